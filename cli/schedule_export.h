// `lrsweep schedule export SWEEP TRIAL [--format yaml|pytorch] [-o FILE]`: the schedule a trial
// trained with, as a schedule file or as PyTorch code, to rerun it or paste it into a script.
//
// The schedule is the trial's resolved one: its LR after batch-size scaling, every length (t_max,
// warmup steps, segments) filled in for the trial's run. `lrsweep schedule FILE --total-steps N`
// on the exported file gives the LR the trial used at every step (the header comment names N and
// the steps per epoch).
//
//   ASSIGN_OR_RETURN(std::string yaml, ExportTrialSchedule(trial, "yaml"));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_CLI_SCHEDULE_EXPORT_H_
#define LRSWEEP_CLI_SCHEDULE_EXPORT_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/coordinator_client.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

struct ScheduleExportOptions {
  std::string sweep_id;
  int64_t trial = 0;
  std::string format = "yaml";  // yaml | pytorch
  std::string output;           // a file; empty: stdout
};

// The text of the trial's schedule in `format`, from the trial's plan. InvalidArgument for an
// unknown format or a plan without a schedule; FailedPrecondition when PyTorch cannot express it.
absl::StatusOr<std::string> ExportTrialSchedule(const v1::TrialInfo& trial,
                                                const std::string& format);

absl::Status RunScheduleExport(CoordinatorClient& client, const ScheduleExportOptions& options,
                               std::ostream& out);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_SCHEDULE_EXPORT_H_
