#include "report/diagnoses.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace lrsweep {
namespace {

constexpr double kZeroLrFraction = 1e-6;       // "zero": below this fraction of the peak LR
constexpr double kZeroLrMinShare = 0.02;       // of training spent at zero LR
constexpr double kDecayedFraction = 0.10;      // LR below this share of its peak counts as decayed
constexpr double kFlatRelativeChange = 0.01;   // per tenth of training
constexpr int kSegments = 10;
constexpr int kPlateauSegments = 3;            // 30% of training
constexpr double kSpikeRise = 0.25;            // loss rise after an abrupt LR change
constexpr double kAbruptLrRatio = 2.0;         // LR change factor between consecutive steps
constexpr double kOscillationSpread = 0.25;    // std / mean of the second half's loss
constexpr double kOverfitRise = 0.05;          // val loss above its minimum

struct Series {
  std::vector<int64_t> steps;
  std::vector<double> values;
};

Series TrainLoss(const std::vector<MetricPoint>& history) {
  Series s;
  for (const MetricPoint& p : history) {
    if (p.train_loss && std::isfinite(*p.train_loss)) {
      s.steps.push_back(p.step);
      s.values.push_back(*p.train_loss);
    }
  }
  return s;
}

Series ValLoss(const std::vector<MetricPoint>& history) {
  Series s;
  for (const MetricPoint& p : history) {
    if (p.val_loss && std::isfinite(*p.val_loss)) {
      s.steps.push_back(p.step);
      s.values.push_back(*p.val_loss);
    }
  }
  return s;
}

double MeanOf(const std::vector<double>& v, size_t begin, size_t end) {
  if (end <= begin) return 0;
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / double(end - begin);
}

// Mean training loss of each tenth of training.
std::vector<double> SegmentMeans(const Series& loss) {
  std::vector<double> means;
  const size_t n = loss.values.size();
  for (int s = 0; s < kSegments; ++s) {
    means.push_back(MeanOf(loss.values, n * s / kSegments, n * (s + 1) / kSegments));
  }
  return means;
}

bool Flat(double before, double after) {
  return before > 0 && std::abs(before - after) / before < kFlatRelativeChange;
}

std::optional<Diagnosis> LrReachesZero(const std::vector<MetricPoint>& h, int64_t total) {
  double peak = 0;
  size_t peak_at = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i].lr > peak) peak = h[i].lr, peak_at = i;
  }
  if (peak <= 0) return std::nullopt;
  for (size_t i = peak_at; i < h.size(); ++i) {
    if (h[i].lr > kZeroLrFraction * peak) continue;
    const int64_t zero_steps = total - h[i].step;
    if (zero_steps < std::max<int64_t>(2, static_cast<int64_t>(kZeroLrMinShare * double(total)))) {
      return std::nullopt;
    }
    return Diagnosis{0, "lr_reaches_zero", h[i].step, total - 1,
                     fmt::format("the LR is ~0 from step {} on: the last {} steps learn nothing",
                                 h[i].step, zero_steps),
                     "raise eta_min (e.g. lr / 100) or make t_max cover the whole run"};
  }
  return std::nullopt;
}

std::optional<Diagnosis> EarlyPlateau(const std::vector<MetricPoint>& h, const Series& loss,
                                      int64_t total) {
  if (loss.values.size() < 20) return std::nullopt;
  double peak = 0;
  for (const MetricPoint& p : h) peak = std::max(peak, p.lr);
  const MetricPoint* middle = nullptr;
  for (const MetricPoint& p : h) {
    if (p.step <= total / 2) middle = &p;
  }
  if (middle == nullptr || middle->lr >= kDecayedFraction * peak) return std::nullopt;
  const std::vector<double> segments = SegmentMeans(loss);
  for (int s = kSegments / 2; s < kSegments; ++s) {
    if (!Flat(segments[s - 1], segments[s])) return std::nullopt;
  }
  return Diagnosis{0, "early_plateau", total / 2, total - 1,
                   fmt::format("the LR fell below {:.0f}% of its peak before step {} and the "
                               "training loss stopped improving after it",
                               100 * kDecayedFraction, total / 2),
                   "decay more slowly (longer t_max, gamma closer to 1) or move milestones later"};
}

std::vector<Diagnosis> SpikesAtLrChanges(const std::vector<MetricPoint>& h, const Series& loss) {
  std::vector<Diagnosis> found;
  const size_t window = std::max<size_t>(5, loss.values.size() / 50);
  for (size_t i = 1; i < h.size(); ++i) {
    const double before = h[i - 1].lr, after = h[i].lr;
    if (before <= 0 || after <= 0) continue;
    const double ratio = after / before;
    if (ratio < kAbruptLrRatio && ratio > 1 / kAbruptLrRatio) continue;
    const auto at = std::lower_bound(loss.steps.begin(), loss.steps.end(), h[i].step);
    const size_t k = static_cast<size_t>(at - loss.steps.begin());
    if (k < window || k + window > loss.values.size()) continue;
    const double pre = MeanOf(loss.values, k - window, k);
    const double post = MeanOf(loss.values, k, k + window);
    if (post > pre * (1 + kSpikeRise)) {
      const bool restart = ratio > 1;
      found.push_back(
          {0, "spike_at_lr_change", h[i].step, h[i].step + int64_t(window),
           fmt::format("the training loss jumps {:.0f}% right after the LR {} at step {}",
                       100 * (post / pre - 1), restart ? "restarts upward" : "drops", h[i].step),
           restart ? "lower the restart LR (or use fewer restarts)"
                   : "use a smaller drop (gamma closer to 1) or decay smoothly"});
    }
  }
  return found;
}

std::optional<Diagnosis> Oscillating(const Series& loss, int64_t total) {
  const size_t n = loss.values.size();
  if (n < 20) return std::nullopt;
  const size_t half = n / 2;
  const double first = MeanOf(loss.values, 0, std::max<size_t>(1, n / 20));
  const double early = MeanOf(loss.values, half, half + (n - half) / 2);
  const double late = MeanOf(loss.values, half + (n - half) / 2, n);
  const double mean = MeanOf(loss.values, half, n);
  double variance = 0;
  for (size_t i = half; i < n; ++i) variance += (loss.values[i] - mean) * (loss.values[i] - mean);
  const double spread = std::sqrt(variance / double(n - half)) / std::max(1e-12, mean);
  if (late < early * (1 - kFlatRelativeChange) || spread <= kOscillationSpread ||
      mean < 0.5 * first) {
    return std::nullopt;
  }
  return Diagnosis{0, "oscillating", loss.steps[half], total - 1,
                   fmt::format("the training loss swings by {:.0f}% around {:.3g} without "
                               "decreasing in the second half of training",
                               100 * spread, mean),
                   "the LR is too high: lower the peak LR (or decay it)"};
}

std::optional<Diagnosis> Overfitting(const Series& train, const Series& val) {
  if (val.values.size() < 4) return std::nullopt;
  const size_t best = static_cast<size_t>(
      std::min_element(val.values.begin(), val.values.end()) - val.values.begin());
  if (val.values.size() - best < 3 || val.values.back() <= val.values[best] * (1 + kOverfitRise)) {
    return std::nullopt;
  }
  auto train_near = [&](int64_t step) {
    const auto at = std::upper_bound(train.steps.begin(), train.steps.end(), step);
    const size_t end = static_cast<size_t>(at - train.steps.begin());
    const size_t window = std::max<size_t>(1, train.values.size() / 50);
    return MeanOf(train.values, end > window ? end - window : 0, end);
  };
  if (train_near(val.steps.back()) >= train_near(val.steps[best])) return std::nullopt;
  return Diagnosis{0, "overfitting", val.steps[best], val.steps.back(),
                   fmt::format("validation loss rose {:.0f}% above its minimum (step {}) while "
                               "training loss kept falling",
                               100 * (val.values.back() / val.values[best] - 1), val.steps[best]),
                   "overfitting, not a schedule problem: add regularization (weight decay, "
                   "dropout, data) or stop earlier"};
}

std::optional<Diagnosis> Plateau(const Series& train, const Series& val, int64_t total) {
  if (train.values.size() < 20) return std::nullopt;
  const std::vector<double> segments = SegmentMeans(train);
  int run_start = -1;
  for (int s = 1; s < kSegments; ++s) {
    if (Flat(segments[s - 1], segments[s])) {
      if (run_start < 0) run_start = s - 1;
      const int length = s - run_start;
      if (length >= kPlateauSegments && run_start < kSegments / 2) {
        const int64_t from = total * run_start / kSegments;
        const int64_t to = total * (s + 1) / kSegments - 1;
        // Validation must be flat over the stretch too.
        std::vector<double> in_range;
        for (size_t i = 0; i < val.steps.size(); ++i) {
          if (val.steps[i] >= from && val.steps[i] <= to) in_range.push_back(val.values[i]);
        }
        if (in_range.size() >= 2 && !Flat(in_range.front(), in_range.back())) continue;
        return Diagnosis{0, "plateau", from, to,
                         fmt::format("training and validation loss are both flat from step {} "
                                     "to {} ({:.0f}% of training)",
                                     from, to, 100.0 * double(to - from + 1) / double(total)),
                         "try warm restarts (cosine_restarts) or reduce-on-plateau"};
      }
    } else {
      run_start = -1;
    }
  }
  return std::nullopt;
}

// The trial's resolved schedule mapping (from its plan), or an empty object.
nlohmann::json PlannedSchedule(const TrialRecord& trial) {
  const nlohmann::json plan = nlohmann::json::parse(trial.plan_json, nullptr, false);
  if (plan.is_discarded() || !plan.is_object() || !plan.contains("schedule") ||
      !plan["schedule"].is_object()) {
    return nlohmann::json::object();
  }
  return plan["schedule"];
}

// What to change after a divergence, in this schedule's own terms: a one-cycle or WSD schedule
// already warms up, and a second warmup block is what the linter flags.
std::string DivergedFix(const nlohmann::json& schedule) {
  const std::string type = schedule.value("type", "");
  if (type == "onecycle") {
    return "lower max_lr, or warm up longer and from lower: raise pct_start (e.g. 0.3 -> 0.4) or "
           "div_factor (e.g. 25 -> 50)";
  }
  if (type == "cyclic") {
    return "lower max_lr, the top of every cycle (an LR range test's steepest-descent LR is a "
           "good top), or lengthen step_size_up";
  }
  if (type == "wsd" || type == "inverse_sqrt") {
    return "lower the peak LR, or lengthen its warmup_steps (e.g. x2)";
  }
  if (schedule.contains("warmup")) {
    return "lower the peak LR, or lengthen the warmup (e.g. warmup.fraction x2)";
  }
  return "lower the peak LR, or add warmup: {fraction: 0.05}";
}

// A long flat stretch: a schedule that already restarts or reacts to plateaus is told how to do
// that sooner.
std::string PlateauFix(const nlohmann::json& schedule) {
  const std::string type = schedule.value("type", "");
  if (type == "plateau") return "reduce sooner: lower patience (e.g. halve it) or cooldown";
  if (type == "cosine_restarts") return "restart sooner: lower t_0";
  return "try warm restarts (cosine_restarts) or reduce-on-plateau";
}

}  // namespace

std::vector<Diagnosis> DiagnoseTrial(const TrialRecord& trial,
                                     const std::vector<MetricPoint>& history) {
  std::vector<Diagnosis> found;
  const int64_t total = std::max<int64_t>(trial.total_steps, history.empty() ? 0 : history.back().step + 1);
  if (trial.state == TrialState::kDiverged) {
    const int64_t at = history.empty() ? 0 : history.back().step;
    found.push_back({trial.trial, "diverged", at, at, trial.reason,
                     DivergedFix(PlannedSchedule(trial))});
    return found;
  }
  const Series train = TrainLoss(history);
  const Series val = ValLoss(history);
  std::vector<std::optional<Diagnosis>> candidates = {LrReachesZero(history, total),
                                                      EarlyPlateau(history, train, total),
                                                      Oscillating(train, total),
                                                      Overfitting(train, val)};
  for (Diagnosis& spike : SpikesAtLrChanges(history, train)) candidates.push_back(spike);
  const bool early = candidates[1].has_value();
  if (!early) candidates.push_back(Plateau(train, val, total));
  if (candidates.back() && candidates.back()->code == "plateau") {
    candidates.back()->fix = PlateauFix(PlannedSchedule(trial));
  }
  for (std::optional<Diagnosis>& candidate : candidates) {
    if (!candidate) continue;
    candidate->trial = trial.trial;
    found.push_back(*std::move(candidate));
  }
  return found;
}

}  // namespace lrsweep
