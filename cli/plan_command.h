// `lrsweep plan SWEEP.yaml [--format jsonl|table]`
//
// Expands a sweep into its trials without running anything: one JSON object per line (jsonl) or
// an aligned table. Lint warnings and a one-line summary go to stderr.
//
//   absl::Status status = RunPlanCommand({.file = "sweeps/fmnist-cnn-schedules.yaml",
//                                         .format = "jsonl"}, std::cout, std::cerr);
//
// Thread safety: stateless.
#ifndef LRSWEEP_CLI_PLAN_COMMAND_H_
#define LRSWEEP_CLI_PLAN_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace lrsweep {

struct PlanCommandOptions {
  std::string file;
  std::string format = "table";  // jsonl | table
};

absl::Status RunPlanCommand(const PlanCommandOptions& options, std::ostream& out,
                            std::ostream& err);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_PLAN_COMMAND_H_
