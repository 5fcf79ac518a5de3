// The LR range test stage of a sweep (Smith, "Cyclical Learning Rates for Training Neural
// Networks", 2017; fastai's LR finder): what the file says about it.
//
// `lr_range_test: {min_lr: 1.0e-6, max_lr: 1.0, steps: 200}` runs before the sweep's trials, once
// per distinct training setup (model, data, optimizer, batch size: the train mapping without its
// length), with the LR growing exponentially from min_lr to max_lr, one step at a time. The loss
// it records against the LR gives two picks (sweep/range_test.h): the LR of steepest descent and
// the LR of minimum loss divided by 10. A trial's peak LR can then be written relative to a pick:
//
//   lr_range_test: {min_lr: 1.0e-6, max_lr: 1.0, steps: 200}
//   parameters:
//     schedule.type: [cosine, onecycle]
//     schedule.lr: {range_test: steepest, factors: [0.3, 1, 3]}   # 3 trials per type
//
// The same mapping may be the shared `schedule: {lr: ...}`; it then applies to every grid that
// does not sweep schedule.lr itself.
//
// Thread safety: plain values.
#ifndef LRSWEEP_SWEEP_RANGE_TEST_SPEC_H_
#define LRSWEEP_SWEEP_RANGE_TEST_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/yaml_reader.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

struct RangeTestSpec {
  double min_lr = 1e-7;
  double max_lr = 10.0;
  int64_t steps = 100;
  // The test stops once the smoothed loss exceeds this multiple of its minimum (the divergence
  // that ends the curve), and the worker's own check stops a loss this far above its first value.
  double divergence_factor = 4.0;
  // Exponential moving average of the loss, bias-corrected (fastai's default 0.98).
  double smoothing = 0.98;
};

// The picks a peak LR can be relative to.
//   steepest: the LR where the smoothed loss falls fastest per unit of log LR.
//   min_loss: the LR of the lowest smoothed loss, divided by 10.
const std::vector<std::string>& RangeTestAnchors();

// `schedule.lr: {range_test: ANCHOR, factors: [...]}` as written.
struct RelativeLrSpec {
  std::string anchor;
  std::vector<YAML::Node> factors;  // positive numbers, in file order
};

// Parses `lr_range_test:`; `node` is the mapping.
absl::StatusOr<RangeTestSpec> ParseRangeTestSpec(const YamlReader& reader, const YAML::Node& node);

// Whether `node` is written as a relative LR (a mapping with a range_test key).
bool IsRelativeLr(const YAML::Node& node);

// Parses a relative LR at `path` (e.g. "parameters.schedule.lr").
absl::StatusOr<RelativeLrSpec> ParseRelativeLr(const YamlReader& reader, const YAML::Node& node,
                                               const std::string& path);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_RANGE_TEST_SPEC_H_
