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

// For method: asha, each rung's share of the run (checking that every rung resolves).
absl::Status DescribeRungs(const SweepSpec& sweep, const SweepPlan& rung0, std::ostream& err) {
  const std::vector<double> fractions = RungFractions(sweep);
  if (fractions.size() < 2 || rung0.trials.empty()) return absl::OkStatus();
  std::vector<std::string> rungs;
  for (size_t rung = 0; rung < fractions.size(); ++rung) {
    int64_t steps = rung0.trials[0].total_steps;
    if (rung > 0) {  // every rung must resolve, as the coordinator plans them at submission
      ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep, static_cast<int64_t>(rung)));
      steps = plan.trials[0].total_steps;
    }
    rungs.push_back(fmt::format("{:.3g} of the run ({} steps)", fractions[rung], steps));
  }
  err << fmt::format(
      "successive halving: rungs at {} for trial 0's configuration; the trials above are rung "
      "0's, and the best 1/{} of each rung trains the next\n",
      absl::StrJoin(rungs, ", "), sweep.halving.reduction_factor);
  return absl::OkStatus();
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
  return DescribeRungs(sweep, plan, err);
}

}  // namespace lrsweep
