#include "cli/dashboard_command.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cli/local_coordinator.h"
#include "common/status_macros.h"
#include "common/termination_signals.h"

namespace lrsweep {

absl::Status RunDashboardCommand(const DashboardCommandOptions& options, std::ostream& err) {
  if (!std::filesystem::exists(options.data_dir + "/lrsweep.db")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data-dir ", options.data_dir,
        ": no lrsweep data there (lrsweep.db); give the directory `lrsweep run --data-dir` used"));
  }
  std::error_code ignored;
  std::filesystem::create_directories(options.data_dir + "/logs", ignored);
  BlockTerminationSignals();
  ASSIGN_OR_RETURN(LocalCoordinator coordinator,
                   StartLocalCoordinator(ExecutableDir(), options.data_dir,
                                         {"--http-listen", options.listen},
                                         options.data_dir + "/logs/dashboard-coordinator.log"));
  err << "dashboard: " << coordinator.dashboard_url << " (sweeps of " << options.data_dir
      << "; Ctrl-C stops it)\n";
  WaitForTerminationSignal();
  coordinator.process.Terminate(absl::Seconds(10));
  return absl::OkStatus();
}

}  // namespace lrsweep
