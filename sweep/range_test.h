// Reading an LR range test: the loss recorded against an exponentially growing LR, smoothed, cut
// where it diverges, and the two LRs a sweep's peak LRs can be relative to.
//
// The loss is an exponential moving average with bias correction (fastai's LR finder): a raw
// per-step loss is too noisy to differentiate. The curve ends at the first point whose smoothed
// loss exceeds divergence_factor x the lowest so far (or is not finite). On what is left:
//   steepest  the LR at the most negative slope d(smoothed loss)/d(log LR), by central
//             differences, searched before the minimum (after it the loss is rising);
//   min_loss  the LR of the lowest smoothed loss, divided by 10 (past it training is unstable).
// A curve whose loss never falls has no steepest pick, and says what to change.
//
//   RangeTestCurve curve = AnalyzeRangeTest(points, spec);
//   if (curve.steepest_lr) lr = *curve.steepest_lr * 0.3;
//
// Thread safety: pure functions.
#ifndef LRSWEEP_SWEEP_RANGE_TEST_H_
#define LRSWEEP_SWEEP_RANGE_TEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sweep/range_test_spec.h"
#include "sweep/records.h"

namespace lrsweep {

struct RangeTestPoint {
  int64_t step = 0;
  double lr = 0.0;
  double loss = 0.0;      // as recorded
  double smoothed = 0.0;  // bias-corrected moving average
};

struct RangeTestCurve {
  std::vector<RangeTestPoint> points;  // up to (not including) the divergence
  bool diverged = false;               // the curve ended by diverging before max_lr
  std::optional<double> diverged_lr;   // the LR it diverged at
  std::optional<double> steepest_lr;
  std::optional<double> min_loss_lr;   // the LR of the lowest loss itself (the pick is / 10)
  // Why a pick is missing, or a doubt about it ("" when none).
  std::string problem;

  // The pick an anchor names (steepest, or min_loss = min_loss_lr / 10); nullopt when missing.
  std::optional<double> Pick(const std::string& anchor) const;
};

// Analyzes the train_loss points of a range test (any order; a step seen twice keeps the last).
RangeTestCurve AnalyzeRangeTest(const std::vector<MetricPoint>& points, const RangeTestSpec& spec);

// Whether the test can stop now: the smoothed loss has diverged.
bool RangeTestDiverged(const std::vector<MetricPoint>& points, const RangeTestSpec& spec);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_RANGE_TEST_H_
