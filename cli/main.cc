// lrsweep: the command-line tool. Subcommands are wired here; each lives in its own file and
// returns an absl::Status that becomes the exit code (cli/exit_codes.h).
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "cli/coordinator_client.h"
#include "cli/dashboard_command.h"
#include "cli/export_command.h"
#include "cli/housekeeping_commands.h"
#include "cli/exit_codes.h"
#include "cli/plan_command.h"
#include "cli/remote_commands.h"
#include "cli/run_command.h"
#include "cli/schedule_command.h"
#include "cli/schedule_export.h"
#include "common/command_line.h"
#include "common/suggest.h"

namespace lrsweep {
namespace {

// CLI11 answers `lrsweep bogus` with "A subcommand is required"; name the unknown command and
// the real ones instead. Exit code 2, or nullopt when the first word is a command (or absent).
std::optional<int> RejectUnknownCommand(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> commands;
  for (const CLI::App* command : app.get_subcommands({})) commands.push_back(command->get_name());
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--coordinator" || arg == "--tls-ca" || arg == "--tls-cert" ||
        arg == "--tls-key" || arg == "--token-file" || arg == "--tls-server-name") {
      ++i;  // its value
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    if (std::find(commands.begin(), commands.end(), arg) != commands.end()) return std::nullopt;
    std::cerr << "error: unknown command '" << arg << "'." << DidYouMean(arg, commands)
              << " Commands: " << absl::StrJoin(commands, ", ") << " (lrsweep --help)\n";
    return 2;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  CLI::App app{"lrsweep: find the learning-rate schedule that trains your model best"};
  app.require_subcommand(1);
  // Global options (--coordinator) work after the subcommand too: a subcommand hands options it
  // does not know to the app.
  app.fallthrough();
  app.set_version_flag("--version", "lrsweep 0.1.0");
  std::string coordinator_flag;
  app.add_option("--coordinator", coordinator_flag,
                 "Coordinator HOST:PORT (default: $LRSWEEP_COORDINATOR or 127.0.0.1:7077)")
      ->check(HostPortValidator(/*allow_zero=*/false));
  ClientSecurityFlags security_flags;
  AddClientSecurityOptions(app, security_flags);

  ScheduleCommandOptions schedule_options;
  int64_t total_steps = 0;
  CLI::App* schedule = app.add_subcommand(
      "schedule", "Print the LR (and momentum) a schedule file gives at every step");
  // Required unless `schedule export` is used (checked after parsing).
  schedule->add_option("file", schedule_options.file, "YAML file with a top-level schedule:");
  CLI::Option* total_option =
      schedule->add_option("--total-steps", total_steps, "Optimizer steps in the run");
  schedule->add_option("--steps-per-epoch", schedule_options.steps_per_epoch,
                       "Optimizer steps per epoch (needed for unit: epoch)");
  schedule->add_option("--metrics", schedule_options.metrics_file,
                       "One metric per line, fed to plateau; prints one row per value");
  schedule->add_option("--format", schedule_options.format,
                       "csv, json, svg, or pytorch (the torch.optim.lr_scheduler code)")
      ->capture_default_str();
  schedule->add_flag("--log-scale", schedule_options.log_scale, "svg: log-scale LR axis");
  ScheduleExportOptions export_options;
  CLI::App* schedule_export = schedule->add_subcommand(
      "export", "The schedule a trial trained with, as a schedule file or PyTorch code");
  schedule_export->add_option("sweep", export_options.sweep_id, "Sweep id")->required();
  schedule_export->add_option("trial", export_options.trial, "Trial index")->required();
  schedule_export->add_option("--format", export_options.format, "yaml or pytorch")
      ->capture_default_str();
  schedule_export->add_option("-o,--output", export_options.output,
                              "Write to this file instead of stdout");

  PlanCommandOptions plan_options;
  CLI::App* plan =
      app.add_subcommand("plan", "Expand a sweep into its trials without running them");
  plan->add_option("file", plan_options.file, "Sweep YAML file")->required();
  plan->add_option("--format", plan_options.format, "jsonl or table")->capture_default_str();

  RunCommandOptions run_options;
  CLI::App* run = app.add_subcommand(
      "run", "Run a sweep on this machine: coordinator, local workers, progress, ranking");
  run->add_option("file", run_options.file, "Sweep YAML file")->required();
  run->add_option("--workers", run_options.workers, "Local workers (default: one per core)")
      ->check(CLI::Range(1, 4096));
  run->add_option("--data-dir", run_options.data_dir, "State, logs and reports")
      ->capture_default_str();
  run->add_option("--device", run_options.device, "Device of the workers: cpu, cuda, cuda:N")
      ->capture_default_str();
  run->add_option("--dashboard-listen", run_options.dashboard_listen,
                  "HOST:PORT of the live dashboard (port 0 picks a free one); off loopback the "
                  "coordinator's TLS and token rules apply")
      ->capture_default_str()
      ->check(HostPortValidator(/*allow_zero=*/true));
  run->add_flag("--retry", run_options.retry,
                "If this file's sweep ended earlier, run its FAILED and CANCELLED trials again "
                "(from their newest checkpoints) instead of starting a new sweep");
  run->add_flag_callback("--no-dashboard", [&run_options] { run_options.dashboard_listen.clear(); },
                         "Do not serve the dashboard");

  std::string submit_file;
  CLI::App* submit = app.add_subcommand("submit", "Submit a sweep; prints its id last");
  submit->add_option("file", submit_file, "Sweep YAML file")->required();
  std::string submit_into;
  submit->add_option("--into", submit_into,
                     "Add to this sweep the trials of FILE (its edited file) that it lacks");

  std::string sweep_id;
  CLI::App* status = app.add_subcommand("status", "Sweeps and workers, or one sweep's trials");
  status->add_option("sweep", sweep_id, "Sweep id");
  std::vector<std::string> status_tags;
  std::string status_state, status_name;
  bool status_archived = false;
  status->add_option("--tag", status_tags, "Only sweeps with this tag (repeatable: all of them)");
  status->add_option("--state", status_state, "Only sweeps in this state: running, finished, "
                                              "cancelled");
  status->add_option("--name", status_name, "Only sweeps whose name or id contains this");
  status->add_flag("--archived", status_archived, "Archived sweeps too");
  HousekeepingCommands housekeeping;
  AddHousekeepingCommands(app, &housekeeping);
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a sweep's unfinished trials");
  cancel->add_option("sweep", sweep_id, "Sweep id")->required();
  bool retry_cancelled = false;
  CLI::App* retry = app.add_subcommand(
      "retry", "Run a sweep's FAILED trials again, each from its newest checkpoint");
  retry->add_option("sweep", sweep_id, "Sweep id")->required();
  retry->add_flag("--cancelled", retry_cancelled, "Its CANCELLED trials too");
  CLI::App* watch = app.add_subcommand("watch", "Live progress until the sweep ends");
  watch->add_option("sweep", sweep_id, "Sweep id")->required();

  std::string report_format = "md", report_output;
  ReportOptions report_options;
  CLI::App* report = app.add_subcommand("report", "The ranking of a sweep's configurations");
  report->add_option("sweep", sweep_id, "Sweep id")->required();
  report->add_option("--format", report_format, "md, html, json or csv")->capture_default_str();
  report->add_option("-o,--output", report_output, "Write to this file instead of stdout");
  report->add_option("--tolerance", report_options.tolerance,
                     "Stable LR range: peak LRs within this much of a family's best")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));

  std::string other_sweep;
  CLI::App* compare = app.add_subcommand("compare", "Did a change help? Best of sweep B vs A");
  compare->add_option("sweep_a", sweep_id, "Baseline sweep id")->required();
  compare->add_option("sweep_b", other_sweep, "Sweep id to compare with it")->required();

  int64_t trial = 0;
  std::string metrics_format = "csv";
  CLI::App* metrics = app.add_subcommand("metrics", "A trial's metric history, one row per step");
  metrics->add_option("sweep", sweep_id, "Sweep id")->required();
  metrics->add_option("trial", trial, "Trial index")->required();
  metrics->add_option("--format", metrics_format, "csv or json")->capture_default_str();

  int64_t attempt = 0;
  int64_t tail_lines = 0;
  CLI::App* logs = app.add_subcommand("logs", "What a command trial's program printed");
  logs->add_option("sweep", sweep_id, "Sweep id")->required();
  logs->add_option("trial", trial, "Trial index")->required();
  logs->add_option("--attempt", attempt, "Attempt (default: the latest)")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  logs->add_option("--tail", tail_lines, "Only the last N lines")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));

  DashboardCommandOptions dashboard_options;
  CLI::App* dashboard = app.add_subcommand(
      "dashboard", "Serve the dashboard of a data dir's sweeps, also after their run ended");
  dashboard->add_option("--data-dir", dashboard_options.data_dir, "The data dir of `lrsweep run`")
      ->capture_default_str();
  dashboard->add_option("--listen", dashboard_options.listen,
                        "HOST:PORT to serve on (port 0 picks a free one)")
      ->capture_default_str()
      ->check(HostPortValidator(/*allow_zero=*/true));

  ExportCommandOptions tensorboard_options;
  CLI::App* export_command = app.add_subcommand(
      "export", "Write a sweep's trials as TensorBoard event files (one per trial)");
  export_command->add_option("sweep", tensorboard_options.sweep_id, "Sweep id")->required();
  export_command->add_option("--tensorboard", tensorboard_options.tensorboard_dir,
                             "Directory for the event files: DIR/<sweep>/trial-NNNN/")
      ->required();
  export_command->add_option("--data-dir", tensorboard_options.data_dir,
                             "Read a local data dir (of `lrsweep run`) instead of a coordinator");

  if (std::optional<int> exit_code = RejectUnknownCommand(app, argc, argv)) return *exit_code;
  if (std::optional<int> exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;

  if (*schedule && !*schedule_export) {
    if (schedule_options.file.empty()) {
      std::cerr << "error: schedule: give a schedule FILE (or: lrsweep schedule export SWEEP "
                   "TRIAL)\n";
      return kExitBadInput;
    }
    if (total_option->count() > 0) schedule_options.total_steps = total_steps;
    return ReportAndExitCode(RunScheduleCommand(schedule_options, std::cout, std::cerr));
  }
  if (*plan) return ReportAndExitCode(RunPlanCommand(plan_options, std::cout, std::cerr));
  if (*run) return ReportAndExitCode(RunRunCommand(run_options, std::cout, std::cerr));
  if (*dashboard) return ReportAndExitCode(RunDashboardCommand(dashboard_options, std::cerr));
  if (*export_command && !tensorboard_options.data_dir.empty()) {
    return ReportAndExitCode(RunExportFromDataDir(tensorboard_options, std::cout));
  }

  const std::string address = ResolveCoordinatorAddress(coordinator_flag);
  if (const std::string bad = CheckHostPort(address, false); !bad.empty()) {
    std::cerr << "error: $LRSWEEP_COORDINATOR: " << bad << "\n";
    return 2;
  }
  absl::StatusOr<ClientSecurity> security = LoadClientSecurity(security_flags);
  if (!security.ok()) {
    std::cerr << "error: " << security.status().message() << "\n";
    return 2;
  }
  CoordinatorClient client(address, absl::Seconds(30), *std::move(security));
  if (*submit) return ReportAndExitCode(RunSubmit(client, submit_file, submit_into, std::cout, std::cerr).status());
  if (*status) {
    absl::StatusOr<SweepFilter> filter =
        MakeSweepFilter(status_tags, status_state, status_name, status_archived);
    if (!filter.ok()) return ReportAndExitCode(filter.status());
    return ReportAndExitCode(RunStatus(client, sweep_id, *filter, std::cout));
  }
  if (std::optional<absl::Status> done = RunHousekeepingCommand(
          housekeeping, client, {std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) == 1})) {
    return ReportAndExitCode(*done);
  }
  if (*cancel) return ReportAndExitCode(RunCancel(client, sweep_id, std::cout));
  if (*retry) return ReportAndExitCode(RunRetry(client, sweep_id, retry_cancelled, std::cout));
  if (*watch) {
    return ReportAndExitCode(RunWatch(client, sweep_id, isatty(STDOUT_FILENO) == 1, std::cout));
  }
  if (*report) {
    return ReportAndExitCode(
        RunReport(client, sweep_id, report_format, report_output, report_options, std::cout));
  }
  if (*compare) {
    return ReportAndExitCode(RunCompare(client, sweep_id, other_sweep, std::cout));
  }
  if (*logs) {
    return ReportAndExitCode(
        RunLogs(client, sweep_id, trial, attempt, tail_lines, std::cout, std::cerr));
  }
  if (*schedule_export) {
    return ReportAndExitCode(RunScheduleExport(client, export_options, std::cout));
  }
  if (*metrics) {
    return ReportAndExitCode(RunMetrics(client, sweep_id, trial, metrics_format, std::cout));
  }
  if (*export_command) return ReportAndExitCode(RunExport(client, tensorboard_options, std::cout));
  return kExitBadInput;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
