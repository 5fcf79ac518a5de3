#include "cli/housekeeping_commands.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "fmt/format.h"
#include "cli/remote_commands.h"

namespace lrsweep {
namespace {

absl::Status RunLabel(const HousekeepingCommands& commands, CoordinatorClient& client,
                      std::ostream& out) {
  ASSIGN_OR_RETURN(v1::SweepSummary sweep,
                   client.Label(commands.sweep_id, commands.note, commands.tags, commands.untags));
  out << fmt::format("{}: tags [{}]\n", sweep.sweep_id(), absl::StrJoin(sweep.tags(), ", "));
  if (!sweep.note().empty()) out << "note: " << sweep.note() << "\n";
  return absl::OkStatus();
}

// Asks before an archive or delete: OK to go ahead, CANCELLED when the user said no, and
// INVALID_ARGUMENT (exit 2) without a terminal to ask on and without --yes.
absl::Status Confirm(const HousekeepingCommands& commands, CoordinatorClient& client,
                     const std::string& verb, const std::string& consequence, ConsoleIo io) {
  if (commands.yes) return absl::OkStatus();
  if (!io.interactive) {
    return absl::InvalidArgumentError(absl::StrCat(
        verb, " ", commands.sweep_id, ": ", consequence,
        "; nobody is at a terminal to confirm it, so pass --yes to go ahead"));
  }
  ASSIGN_OR_RETURN(v1::SweepSummary sweep, client.GetSweep(commands.sweep_id));
  io.out << fmt::format("{} {} ({}, {} trials, {})? {}. [y/N] ", verb, sweep.sweep_id(),
                        sweep.name(), sweep.total_trials(),
                        absl::AsciiStrToLower(
                            SweepStateName(static_cast<SweepState>(sweep.state()))),
                        consequence);
  io.out.flush();
  std::string answer;
  std::getline(io.in, answer);
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (answer == "y" || answer == "yes") return absl::OkStatus();
  return absl::CancelledError(absl::StrCat(verb, " ", commands.sweep_id, ": not confirmed; nothing changed"));
}

std::string FreedLine(const v1::SpaceFreed& freed) {
  std::vector<std::string> parts;
  if (freed.trials() > 0) parts.push_back(fmt::format("{} trials", freed.trials()));
  if (freed.metric_points() > 0) {
    parts.push_back(fmt::format("{} metric points", freed.metric_points()));
  }
  parts.push_back(fmt::format("{} checkpoints ({})", freed.checkpoints(),
                              HumanBytes(freed.checkpoint_bytes())));
  if (freed.log_bytes() > 0) parts.push_back(fmt::format("logs ({})", HumanBytes(freed.log_bytes())));
  return fmt::format("{}; {} of files freed", absl::StrJoin(parts, ", "),
                     HumanBytes(freed.checkpoint_bytes() + freed.log_bytes()));
}

absl::Status RunArchive(const HousekeepingCommands& commands, CoordinatorClient& client,
                        ConsoleIo io) {
  RETURN_IF_ERROR(Confirm(commands, client, "archive",
                          "its checkpoints are deleted (its results stay; it can no longer be "
                          "retried)",
                          io));
  ASSIGN_OR_RETURN(v1::SpaceFreed freed, client.Archive(commands.sweep_id));
  io.out << fmt::format("archived {}: {}\n", commands.sweep_id, FreedLine(freed));
  return absl::OkStatus();
}

absl::Status RunDelete(const HousekeepingCommands& commands, CoordinatorClient& client,
                       ConsoleIo io) {
  RETURN_IF_ERROR(Confirm(commands, client, "delete",
                          "its trials, metrics, checkpoints and logs are deleted for good", io));
  ASSIGN_OR_RETURN(v1::SpaceFreed freed, client.Delete(commands.sweep_id));
  io.out << fmt::format("deleted {}: {}\n", commands.sweep_id, FreedLine(freed));
  return absl::OkStatus();
}

}  // namespace

void AddHousekeepingCommands(CLI::App& app, HousekeepingCommands* commands) {
  commands->label = app.add_subcommand("label", "Set a sweep's note, add or remove its tags");
  commands->label->add_option("sweep", commands->sweep_id, "Sweep id")->required();
  commands->label->add_option("--note", commands->note, "The note (\"\" clears it)");
  commands->label->add_option("--tag", commands->tags, "Add this tag (repeatable)");
  commands->label->add_option("--untag", commands->untags, "Remove this tag (repeatable)");

  commands->archive = app.add_subcommand(
      "archive", "Delete an ended sweep's checkpoints and hide it; its results stay");
  commands->archive->add_option("sweep", commands->sweep_id, "Sweep id")->required();
  commands->archive->add_flag("-y,--yes", commands->yes, "Do not ask for confirmation");

  commands->remove = app.add_subcommand(
      "delete", "Delete an ended sweep with its trials, metrics, checkpoints and logs");
  commands->remove->add_option("sweep", commands->sweep_id, "Sweep id")->required();
  commands->remove->add_flag("-y,--yes", commands->yes, "Do not ask for confirmation");
}

std::optional<absl::Status> RunHousekeepingCommand(const HousekeepingCommands& commands,
                                                   CoordinatorClient& client, ConsoleIo io) {
  if (*commands.label) return RunLabel(commands, client, io.out);
  if (*commands.archive) return RunArchive(commands, client, io);
  if (*commands.remove) return RunDelete(commands, client, io);
  return std::nullopt;
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1000 && unit < 3) {
    value /= 1000;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace lrsweep
