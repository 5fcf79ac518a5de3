#include "sweep/range_test.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fmt/format.h"

namespace lrsweep {
namespace {

// Points before this share of the curve are not candidates for the steepest slope: the moving
// average has seen too few losses there for a slope to mean anything.
constexpr double kSkipStartFraction = 0.05;
// Fewer points than this before the divergence: no pick.
constexpr size_t kMinPoints = 5;

struct Smoothed {
  std::vector<RangeTestPoint> points;
  bool diverged = false;
  std::optional<double> diverged_lr;
};

Smoothed Smooth(const std::vector<MetricPoint>& raw, const RangeTestSpec& spec) {
  std::map<int64_t, const MetricPoint*> by_step;
  for (const MetricPoint& point : raw) {
    if (point.train_loss) by_step[point.step] = &point;
  }
  Smoothed out;
  double average = 0.0;
  double lowest = 0.0;
  double weight = 1.0;
  for (const auto& [step, point] : by_step) {
    const double loss = *point->train_loss;
    if (!std::isfinite(loss)) {
      out.diverged = true;
      out.diverged_lr = point->lr;
      break;
    }
    average = spec.smoothing * average + (1.0 - spec.smoothing) * loss;
    weight *= spec.smoothing;
    const double smoothed = average / (1.0 - weight);
    if (!out.points.empty() && smoothed > spec.divergence_factor * lowest) {
      out.diverged = true;
      out.diverged_lr = point->lr;
      break;
    }
    lowest = out.points.empty() ? smoothed : std::min(lowest, smoothed);
    out.points.push_back({step, point->lr, loss, smoothed});
  }
  return out;
}

}  // namespace

std::optional<double> RangeTestCurve::Pick(const std::string& anchor) const {
  if (anchor == "steepest") return steepest_lr;
  if (anchor == "min_loss" && min_loss_lr) return *min_loss_lr / 10.0;
  return std::nullopt;
}

RangeTestCurve AnalyzeRangeTest(const std::vector<MetricPoint>& points, const RangeTestSpec& spec) {
  Smoothed smoothed = Smooth(points, spec);
  RangeTestCurve curve;
  curve.points = std::move(smoothed.points);
  curve.diverged = smoothed.diverged;
  curve.diverged_lr = smoothed.diverged_lr;
  const std::vector<RangeTestPoint>& p = curve.points;
  if (p.size() < kMinPoints) {
    curve.problem = fmt::format(
        "only {} loss points before the loss diverged{}; lower lr_range_test.min_lr or raise "
        "lr_range_test.steps",
        p.size(), curve.diverged_lr ? fmt::format(" at lr {:.3g}", *curve.diverged_lr) : "");
    return curve;
  }
  const size_t lowest = static_cast<size_t>(
      std::min_element(p.begin(), p.end(),
                       [](const RangeTestPoint& a, const RangeTestPoint& b) {
                         return a.smoothed < b.smoothed;
                       }) -
      p.begin());
  curve.min_loss_lr = p[lowest].lr;
  // Slope by central differences in log LR (one-sided at the ends), as numpy.gradient.
  const size_t first = std::max<size_t>(
      1, static_cast<size_t>(kSkipStartFraction * static_cast<double>(p.size())));
  std::optional<double> steepest_slope;
  for (size_t i = first; i <= lowest && i < p.size(); ++i) {
    const size_t before = i - 1;
    const size_t after = std::min(i + 1, p.size() - 1);
    const double dx = std::log(p[after].lr) - std::log(p[before].lr);
    if (!(dx > 0.0)) continue;
    const double slope = (p[after].smoothed - p[before].smoothed) / dx;
    if (!steepest_slope || slope < *steepest_slope) {
      steepest_slope = slope;
      curve.steepest_lr = p[i].lr;
    }
  }
  if (!steepest_slope || *steepest_slope >= 0.0) {
    curve.steepest_lr.reset();
    curve.problem = fmt::format(
        "the loss never fell between lr {:.3g} and {:.3g}; lower lr_range_test.min_lr, or check "
        "that the model trains at all",
        p.front().lr, p.back().lr);
  } else if (!curve.diverged && lowest + 1 == p.size()) {
    curve.problem = fmt::format(
        "the loss was still falling at lr {:.3g}, the end of the test; raise "
        "lr_range_test.max_lr for a min_loss pick that means something",
        p.back().lr);
  }
  return curve;
}

bool RangeTestDiverged(const std::vector<MetricPoint>& points, const RangeTestSpec& spec) {
  return Smooth(points, spec).diverged;
}

}  // namespace lrsweep
