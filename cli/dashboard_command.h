// `lrsweep dashboard`: the dashboard of a local data dir's sweeps, also after their run ended.
// It starts a coordinator on the data dir with the dashboard on and no workers, prints the URL
// and serves until Ctrl-C. While a `lrsweep run` holds the data dir, its own dashboard (whose URL
// the run printed) is the one to open: the data dir has one owner at a time.
//
//   RETURN_IF_ERROR(RunDashboardCommand({"lrsweep-data", "127.0.0.1:8080"}, std::cerr));
//
// Thread safety: call from the main thread, which it blocks until SIGINT/SIGTERM.
#ifndef LRSWEEP_CLI_DASHBOARD_COMMAND_H_
#define LRSWEEP_CLI_DASHBOARD_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace lrsweep {

struct DashboardCommandOptions {
  std::string data_dir = "lrsweep-data";
  std::string listen = "127.0.0.1:8080";
};

absl::Status RunDashboardCommand(const DashboardCommandOptions& options, std::ostream& err);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_DASHBOARD_COMMAND_H_
