#include "cli/export_command.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cli/local_coordinator.h"
#include "common/status_macros.h"
#include "report/tensorboard_events.h"
#include "rpc/rpc_convert.h"

namespace lrsweep {

absl::Status RunExport(CoordinatorClient& client, const ExportCommandOptions& options,
                       std::ostream& out) {
  ASSIGN_OR_RETURN(std::vector<v1::TrialInfo> trials, client.ListTrials(options.sweep_id));
  int64_t written = 0;
  for (const v1::TrialInfo& info : trials) {
    ASSIGN_OR_RETURN(std::vector<v1::MetricPoint> points,
                     client.GetMetrics(options.sweep_id, info.trial()));
    if (points.empty()) continue;
    std::vector<MetricPoint> history;
    history.reserve(points.size());
    for (const v1::MetricPoint& point : points) history.push_back(FromProto(point));
    ASSIGN_OR_RETURN(std::string path,
                     WriteTrialEvents(options.tensorboard_dir, FromProto(info), history));
    ++written;
  }
  out << "wrote " << written << " of " << trials.size() << " trials' event files to "
      << (std::filesystem::path(options.tensorboard_dir) / options.sweep_id).string()
      << " (tensorboard --logdir " << options.tensorboard_dir << ")\n";
  return absl::OkStatus();
}

absl::Status RunExportFromDataDir(const ExportCommandOptions& options, std::ostream& out) {
  if (!std::filesystem::exists(options.data_dir + "/lrsweep.db")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data-dir ", options.data_dir,
        ": no lrsweep data there (lrsweep.db); give the directory `lrsweep run --data-dir` used"));
  }
  std::error_code ignored;
  std::filesystem::create_directories(options.data_dir + "/logs", ignored);
  ASSIGN_OR_RETURN(LocalCoordinator coordinator,
                   StartLocalCoordinator(ExecutableDir(), options.data_dir, {},
                                         options.data_dir + "/logs/export-coordinator.log"));
  CoordinatorClient client(coordinator.address);
  const absl::Status exported = RunExport(client, options, out);
  coordinator.process.Terminate(absl::Seconds(10));
  return exported;
}

}  // namespace lrsweep
