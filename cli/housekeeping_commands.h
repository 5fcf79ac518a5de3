// The CLI's sweep housekeeping: `lrsweep label` (a note and tags), `lrsweep archive` (delete a
// finished sweep's checkpoints, keep its results) and `lrsweep delete` (delete all of it). Archive
// and delete ask for confirmation in a terminal and need --yes otherwise; both say how much space
// they freed.
//
//   HousekeepingCommands housekeeping;
//   AddHousekeepingCommands(app, &housekeeping);
//   ... parse ...
//   if (std::optional<absl::Status> done = RunHousekeepingCommand(housekeeping, client, io))
//     return ReportAndExitCode(*done);
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_CLI_HOUSEKEEPING_COMMANDS_H_
#define LRSWEEP_CLI_HOUSEKEEPING_COMMANDS_H_

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/coordinator_client.h"

namespace lrsweep {

struct HousekeepingCommands {
  CLI::App* label = nullptr;
  CLI::App* archive = nullptr;
  CLI::App* remove = nullptr;  // `delete`
  std::string sweep_id;
  std::optional<std::string> note;
  std::vector<std::string> tags;
  std::vector<std::string> untags;
  bool yes = false;  // archive/delete without asking
};

// Where a command talks to its user: confirmation is asked on `in` only when `interactive`.
struct ConsoleIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool interactive = false;
};

void AddHousekeepingCommands(CLI::App& app, HousekeepingCommands* commands);

// Runs the housekeeping command the command line chose; nullopt when it chose another one.
std::optional<absl::Status> RunHousekeepingCommand(const HousekeepingCommands& commands,
                                                   CoordinatorClient& client, ConsoleIo io);

// "12.3 MB", "512 B": sizes as people read them (powers of 1000, like `df -H`).
std::string HumanBytes(int64_t bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_HOUSEKEEPING_COMMANDS_H_
