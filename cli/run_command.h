// `lrsweep run SWEEP.yaml [--workers N] [--data-dir DIR]`: the embedded default.
//
// Starts lrsweep-coordinator on 127.0.0.1 (a free port) with its state in DIR, N local
// lrsweep-worker processes (default: one per core, the cores shared between them), submits the
// sweep, shows the watch display, prints the ranking, writes the reports under DIR/reports/ and
// stops everything. Logs of the processes go to DIR/logs/.
//
// Thread safety: stateless; installs SIGINT/SIGTERM handlers for its duration.
#ifndef LRSWEEP_CLI_RUN_COMMAND_H_
#define LRSWEEP_CLI_RUN_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace lrsweep {

struct RunCommandOptions {
  std::string file;
  int workers = 0;  // 0: one per core
  std::string data_dir = "lrsweep-data";
  std::string device = "cpu";
  // Where the coordinator serves the live dashboard while the run lasts; empty: no dashboard.
  std::string dashboard_listen = "127.0.0.1:0";
  // When this file's sweep ended earlier: run its FAILED and CANCELLED trials again (each from
  // its newest checkpoint) instead of starting a new sweep.
  bool retry = false;
};

absl::Status RunRunCommand(const RunCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_RUN_COMMAND_H_
