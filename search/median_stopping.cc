#include "search/median_stopping.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lrsweep {

void MedianStoppingRule::OnMetrics(const TrialRecord& trial,
                                   const std::vector<MetricPoint>& points) {
  Curve& curve = curves_[trial.trial];
  curve.total_steps = trial.total_steps;
  std::optional<int64_t> first_changed;
  for (const MetricPoint& point : points) {
    const std::optional<double> value = point.Get(spec_.metric);
    if (!value || !std::isfinite(*value)) continue;
    curve.value_by_step[point.step] = *value;
    first_changed = std::min(first_changed.value_or(point.step), point.step);
  }
  if (first_changed) RebuildBest(curve, *first_changed);
}

void MedianStoppingRule::RebuildBest(Curve& curve, int64_t from_step) const {
  curve.best_by_step.erase(curve.best_by_step.lower_bound(from_step), curve.best_by_step.end());
  std::optional<double> best;
  if (!curve.best_by_step.empty()) best = curve.best_by_step.rbegin()->second;
  for (auto it = curve.value_by_step.lower_bound(from_step); it != curve.value_by_step.end();
       ++it) {
    if (!best || Better(it->second, *best)) best = it->second;
    curve.best_by_step[it->first] = *best;
  }
}

void MedianStoppingRule::OnTrialEnded(const TrialRecord& trial) {
  if (trial.state == TrialState::kCompleted) {
    completed_.insert(trial.trial);
  } else {
    completed_.erase(trial.trial);
  }
}

std::optional<double> MedianStoppingRule::BestUpTo(const Curve& curve, double fraction) const {
  if (curve.total_steps <= 0) return std::nullopt;
  // The last measured step within the fraction; rounding keeps a trial that measured exactly at
  // f comparable with one whose horizon does not divide evenly.
  const auto step = static_cast<int64_t>(std::floor(fraction * curve.total_steps + 1e-9));
  auto after = curve.best_by_step.upper_bound(step);
  if (after == curve.best_by_step.begin()) return std::nullopt;
  return std::prev(after)->second;
}

std::vector<SearchOperation> MedianStoppingRule::Decide(const TrialRecord& trial) const {
  auto own = curves_.find(trial.trial);
  if (trial.state != TrialState::kRunning || trial.total_steps <= 0 || own == curves_.end() ||
      own->second.best_by_step.empty()) {
    return {};
  }
  const auto& [step, best] = *own->second.best_by_step.rbegin();
  const double fraction = static_cast<double>(step) / static_cast<double>(trial.total_steps);
  if (fraction < spec_.grace_fraction || fraction >= 1.0) return {};
  std::vector<double> others;
  for (int64_t completed : completed_) {
    if (completed == trial.trial) continue;
    auto curve = curves_.find(completed);
    if (curve == curves_.end()) continue;
    // Only trials that measured the fraction: a horizon's last point is its final value.
    if (curve->second.best_by_step.empty() ||
        static_cast<double>(curve->second.best_by_step.rbegin()->first) <
            fraction * static_cast<double>(curve->second.total_steps) - 1e-9) {
      continue;
    }
    if (std::optional<double> value = BestUpTo(curve->second, fraction)) {
      others.push_back(*value);
    }
  }
  if (static_cast<int64_t>(others.size()) < spec_.min_trials) return {};
  std::sort(others.begin(), others.end());
  const size_t n = others.size();
  const double median = n % 2 == 1 ? others[n / 2] : (others[n / 2 - 1] + others[n / 2]) / 2.0;
  if (!Better(median, best)) return {};
  SearchOperation stop;
  stop.kind = SearchOperation::Kind::kStop;
  stop.trial = trial.trial;
  stop.reason = absl::StrFormat(
      "early stopping (median rule): best %s %.4g by step %d (%.0f%% of training) is %s than "
      "the median %.4g of %d completed trials at the same fraction",
      spec_.metric, best, step, 100.0 * fraction, spec_.maximize ? "lower" : "higher", median, n);
  return {stop};
}

}  // namespace lrsweep
