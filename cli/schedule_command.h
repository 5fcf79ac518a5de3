// `lrsweep schedule FILE --total-steps N [--steps-per-epoch K] [--metrics FILE]
//                   [--format csv|json|svg|pytorch] [--log-scale] [-o OUT]`
//
// Prints the LR the optimizer uses at steps 0..N-1 (before each step's scheduler advance), plus
// momentum when the schedule cycles it. With --metrics (one value per line, for plateau), one row
// per metric: row i is the LR in effect when metric i is observed. Lint warnings go to stderr.
// --format pytorch prints instead the torch.optim.lr_scheduler code of the schedule for that run
// length (see schedule/schedule_pytorch.h).
//
//   ScheduleCommandOptions options{.file = "cosine.yaml", .total_steps = 1000};
//   absl::Status status = RunScheduleCommand(options, std::cout, std::cerr);
//
// Thread safety: stateless.
#ifndef LRSWEEP_CLI_SCHEDULE_COMMAND_H_
#define LRSWEEP_CLI_SCHEDULE_COMMAND_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace lrsweep {

struct ScheduleCommandOptions {
  std::string file;
  std::optional<int64_t> total_steps;
  int64_t steps_per_epoch = 0;
  std::string metrics_file;
  std::string format = "csv";  // csv | json | svg | pytorch
  bool log_scale = false;
};

absl::Status RunScheduleCommand(const ScheduleCommandOptions& options, std::ostream& out,
                                std::ostream& err);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_SCHEDULE_COMMAND_H_
