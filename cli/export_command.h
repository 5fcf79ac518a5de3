// `lrsweep export SWEEP --tensorboard DIR`: every trial of a sweep as a TensorBoard event file
// (report/tensorboard_events.h), read from a coordinator, or from a local data dir whose run has
// ended (`--data-dir`, which starts a coordinator on it for the export).
//
//   lrsweep export fmnist-1a2b3c --tensorboard tb && tensorboard --logdir tb
//
// Thread safety: call from one thread.
#ifndef LRSWEEP_CLI_EXPORT_COMMAND_H_
#define LRSWEEP_CLI_EXPORT_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "cli/coordinator_client.h"

namespace lrsweep {

struct ExportCommandOptions {
  std::string sweep_id;
  std::string tensorboard_dir;
  std::string data_dir;  // empty: the coordinator of --coordinator / $LRSWEEP_COORDINATOR
};

// Writes one file per trial that reported a point (trials that never ran have nothing to show)
// and says how many, and where.
absl::Status RunExport(CoordinatorClient& client, const ExportCommandOptions& options,
                       std::ostream& out);

// The same against a coordinator started on `options.data_dir` for the export.
absl::Status RunExportFromDataDir(const ExportCommandOptions& options, std::ostream& out);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_EXPORT_COMMAND_H_
