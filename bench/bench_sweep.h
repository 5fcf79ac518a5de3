// The sweep the coordinator benchmarks submit: `trials` random constant-LR trials of a tiny
// model, never trained (the simulated workers only report), so that only bookkeeping is measured.
#ifndef LRSWEEP_BENCH_BENCH_SWEEP_H_
#define LRSWEEP_BENCH_BENCH_SWEEP_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace lrsweep {

inline std::string BookkeepingSweepYaml(const std::string& name, int64_t trials) {
  return absl::StrCat("name: ", name, R"(
max_trials: 1000000
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 10
  batch_size: 10
parameters:
  schedule.type: constant
  schedule.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0}
method: random
seed: 1
count: )", trials, "\n");
}

}  // namespace lrsweep

#endif  // LRSWEEP_BENCH_BENCH_SWEEP_H_
