// Starting an lrsweep-coordinator on this machine, on a free loopback port, and learning that
// port: what `lrsweep run` and the benchmarks need before they can talk to it.
//
//   ASSIGN_OR_RETURN(LocalCoordinator coordinator,
//                    StartLocalCoordinator(ExecutableDir(), data_dir, {}, data_dir + "/c.log"));
//   CoordinatorClient client(coordinator.address);
//
// Thread safety: stateless function; see ChildProcess for the process handle.
#ifndef LRSWEEP_CLI_LOCAL_COORDINATOR_H_
#define LRSWEEP_CLI_LOCAL_COORDINATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/child_process.h"

namespace lrsweep {

struct LocalCoordinator {
  ChildProcess process;
  std::string address;  // 127.0.0.1:<port>
  // "http://127.0.0.1:<port>/" when `flags` turned the dashboard on (--http-listen); else empty.
  std::string dashboard_url;
};

// Starts `bin_dir`/lrsweep-coordinator with its state in `data_dir` (created if missing) and
// `flags` added, its output appended to `log_file`, and waits until it serves. An error names the
// log when the coordinator exits or does not start within 20 s.
absl::StatusOr<LocalCoordinator> StartLocalCoordinator(const std::string& bin_dir,
                                                       const std::string& data_dir,
                                                       const std::vector<std::string>& flags,
                                                       const std::string& log_file);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_LOCAL_COORDINATOR_H_
