#include "cli/plan_command.h"


#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/submission.h"
#include "common/status_macros.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

std::string ParamText(const nlohmann::ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

void WriteTable(const SweepPlan& plan, std::ostream& out) {
  // The swept paths other than those with a column of their own.
  const std::set<std::string> own_column = {"schedule.type", "schedule.lr", "train.batch_size"};
  out << fmt::format("{:>5} {:>6} {:>5}  {:<15} {:>10} {:>10} {:>6} {:>7} {:>6}  {}\n", "trial",
                     "config", "seed", "schedule", "base_lr", "lr", "batch", "steps", "warmup",
                     "other parameters");
  for (const TrialPlan& trial : plan.trials) {
    std::vector<std::string> others;
    for (const auto& [path, value] : trial.params) {
      if (own_column.count(path) == 0) others.push_back(path + "=" + ParamText(value));
    }
    out << fmt::format("{:>5} {:>6} {:>5}  {:<15} {:>10.4g} {:>10.4g} {:>6} {:>7} {:>6}  {}\n",
                       trial.index, trial.config, trial.seed,
                       std::string(ScheduleTypeName(trial.schedule.type)), trial.base_lr, trial.lr,
                       trial.train.batch_size, trial.total_steps, trial.warmup_steps,
                       absl::StrJoin(others, " "));
  }
}

}  // namespace

absl::Status RunPlanCommand(const PlanCommandOptions& options, std::ostream& out,
                            std::ostream& err) {
  if (options.format != "jsonl" && options.format != "table") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: unknown format '", options.format, "'; use jsonl or table"));
  }
  ASSIGN_OR_RETURN(Submission submission, ReadSubmission(options.file));
  const SweepSpec& sweep = submission.spec;
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep));
  const int64_t total = static_cast<int64_t>(plan.trials.size());
  for (const std::string& warning : sweep.warnings) err << warning << '\n';
  for (const PlanWarning& warning : plan.warnings) {
    err << FormatPlanWarning(warning, total) << '\n';
  }
  if (options.format == "jsonl") {
    for (const TrialPlan& trial : plan.trials) out << TrialPlanToJson(trial).dump() << '\n';
  } else {
    WriteTable(plan, out);
  }
  const int64_t configurations = plan.trials.empty() ? 0 : plan.trials.back().config + 1;
  err << fmt::format("{}: {} trials ({} configurations x {} seeds), {} warnings\n", sweep.name,
                     total, configurations, sweep.seeds.size(), plan.warnings.size());
  return absl::OkStatus();
}

}  // namespace lrsweep
