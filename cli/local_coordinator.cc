#include "cli/local_coordinator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kStartupTimeout = absl::Seconds(20);

// Reads the port the coordinator writes once serving.
absl::StatusOr<int> WaitForPort(const std::string& port_file, ChildProcess& coordinator,
                                const std::string& log) {
  const absl::Time deadline = absl::Now() + kStartupTimeout;
  while (absl::Now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) return port;
    if (!coordinator.Running()) {
      const std::string error = LastErrorLine(log);
      return absl::InternalError(absl::StrCat("lrsweep-coordinator exited during startup",
                                              error.empty() ? "" : ": " + error, " (see ", log,
                                              ")"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("lrsweep-coordinator did not start within 20 s; see ", log));
}

}  // namespace

absl::StatusOr<LocalCoordinator> StartLocalCoordinator(const std::string& bin_dir,
                                                       const std::string& data_dir,
                                                       const std::vector<std::string>& flags,
                                                       const std::string& log_file) {
  std::error_code ignored;
  std::filesystem::create_directories(data_dir, ignored);
  const std::string port_file = data_dir + "/coordinator.port";
  std::filesystem::remove(port_file, ignored);
  std::vector<std::string> argv = {bin_dir + "/lrsweep-coordinator", "--listen", "127.0.0.1:0",
                                   "--data-dir", data_dir, "--port-file", port_file};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto http = std::find(flags.begin(), flags.end(), "--http-listen");
  const bool dashboard = http != flags.end() && http + 1 != flags.end();
  const std::string http_port_file = data_dir + "/dashboard.port";
  if (dashboard) {
    std::filesystem::remove(http_port_file, ignored);
    argv.insert(argv.end(), {"--http-port-file", http_port_file});
  }
  ASSIGN_OR_RETURN(ChildProcess process, ChildProcess::Start(argv, log_file));
  ASSIGN_OR_RETURN(int port, WaitForPort(port_file, process, log_file));
  LocalCoordinator coordinator{std::move(process), absl::StrCat("127.0.0.1:", port), ""};
  if (dashboard) {
    // Written before the gRPC port: the dashboard starts first.
    ASSIGN_OR_RETURN(int http_port, WaitForPort(http_port_file, coordinator.process, log_file));
    const std::string host = (http + 1)->substr(0, (http + 1)->rfind(':'));
    coordinator.dashboard_url = absl::StrCat(
        "http://", host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host, ":", http_port, "/");
  }
  return coordinator;
}

}  // namespace lrsweep
