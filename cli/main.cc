// lrsweep: the command-line tool. Subcommands are wired here; each lives in its own file and
// returns an absl::Status that becomes the exit code (cli/exit_codes.h).
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/exit_codes.h"
#include "cli/plan_command.h"
#include "cli/schedule_command.h"

namespace lrsweep {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"lrsweep: find the learning-rate schedule that trains your model best"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "lrsweep 0.1.0");

  ScheduleCommandOptions schedule_options;
  int64_t total_steps = 0;
  CLI::App* schedule = app.add_subcommand(
      "schedule", "Print the LR (and momentum) a schedule file gives at every step");
  schedule->add_option("file", schedule_options.file, "YAML file with a top-level schedule:")
      ->required();
  CLI::Option* total_option =
      schedule->add_option("--total-steps", total_steps, "Optimizer steps in the run");
  schedule->add_option("--steps-per-epoch", schedule_options.steps_per_epoch,
                       "Optimizer steps per epoch (needed for unit: epoch)");
  schedule->add_option("--metrics", schedule_options.metrics_file,
                       "One metric per line, fed to plateau; prints one row per value");
  schedule->add_option("--format", schedule_options.format, "csv, json or svg")
      ->capture_default_str();
  schedule->add_flag("--log-scale", schedule_options.log_scale, "svg: log-scale LR axis");

  PlanCommandOptions plan_options;
  CLI::App* plan =
      app.add_subcommand("plan", "Expand a sweep into its trials without running them");
  plan->add_option("file", plan_options.file, "Sweep YAML file")->required();
  plan->add_option("--format", plan_options.format, "jsonl or table")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }

  if (*schedule) {
    if (total_option->count() > 0) schedule_options.total_steps = total_steps;
    return ReportAndExitCode(RunScheduleCommand(schedule_options, std::cout, std::cerr));
  }
  if (*plan) return ReportAndExitCode(RunPlanCommand(plan_options, std::cout, std::cerr));
  return kExitBadInput;
}

}  // namespace
}  // namespace lrsweep

int main(int argc, char** argv) { return lrsweep::Main(argc, argv); }
