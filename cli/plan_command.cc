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

// The range test trial of `trial`'s training setup.
int64_t RangeTestOf(const TrialPlan& trial, const std::vector<TrialPlan>& trials) {
  for (const TrialPlan& test : trials) {
    if (test.range_test && test.setup_key == trial.setup_key) return test.index;
  }
  return -1;
}

std::string LrColumn(const TrialPlan& trial, double lr) {
  if (trial.relative_lr) return "(range)";  // resolved once the range test ends
  return fmt::format("{:.4g}", lr);
}

void WriteTable(const std::vector<TrialPlan>& trials, std::ostream& out) {
  // The swept paths other than those with a column of their own.
  const std::set<std::string> own_column = {"schedule.type", "schedule.lr", "train.batch_size"};
  out << fmt::format("{:>5} {:>6} {:>5}  {:<15} {:>10} {:>10} {:>6} {:>7} {:>6}  {}\n", "trial",
                     "config", "seed", "schedule", "base_lr", "lr", "batch", "steps", "warmup",
                     "other parameters");
  for (const TrialPlan& trial : trials) {
    std::vector<std::string> others;
    if (trial.range_test) {
      others.push_back(fmt::format("LR range test of {}: lr {:g} to {:g} over {} steps",
                                   trial.range_test->label, trial.range_test->spec.min_lr,
                                   trial.range_test->spec.max_lr, trial.range_test->spec.steps));
    }
    if (trial.relative_lr) {
      others.push_back(fmt::format("lr={:g} x {} of trial {}'s range test", trial.relative_lr->factor,
                                   trial.relative_lr->anchor, RangeTestOf(trial, trials)));
    }
    for (const auto& [path, value] : trial.params) {
      if (own_column.count(path) == 0) others.push_back(path + "=" + ParamText(value));
    }
    out << fmt::format("{:>5} {:>6} {:>5}  {:<15} {:>10} {:>10} {:>6} {:>7} {:>6}  {}\n",
                       trial.index, trial.config, trial.seed,
                       std::string(ScheduleTypeName(trial.schedule.type)),
                       LrColumn(trial, trial.base_lr), LrColumn(trial, trial.lr),
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
  // With an LR range test, its trials come first and the sweep's follow.
  std::vector<TrialPlan> trials = std::move(plan.trials);
  const int64_t range_tests = plan.after_range_test.empty() && !sweep.range_test
                                  ? 0
                                  : static_cast<int64_t>(trials.size());
  for (TrialPlan& trial : plan.after_range_test) trials.push_back(std::move(trial));
  const int64_t total = static_cast<int64_t>(trials.size()) - range_tests;
  for (const std::string& warning : sweep.warnings) err << warning << '\n';
  for (const PlanWarning& warning : plan.warnings) {
    err << FormatPlanWarning(warning, total) << '\n';
  }
  if (options.format == "jsonl") {
    for (const TrialPlan& trial : trials) out << TrialPlanToJson(trial).dump() << '\n';
  } else {
    WriteTable(trials, out);
  }
  const int64_t configurations = total == 0 ? 0 : trials.back().config + 1;
  err << fmt::format("{}: {} trials ({} configurations x {} seeds), {} warnings\n", sweep.name,
                     total, configurations, sweep.seeds.size(), plan.warnings.size());
  if (range_tests > 0) {
    err << fmt::format(
        "LR range test: {} trials first (trials 0-{}, one per training setup); the trials marked "
        "(range) take their peak LR from their setup's test once it ends\n",
        range_tests, range_tests - 1);
  }
  plan.trials = std::move(trials);
  return DescribeRungs(sweep, plan, err);
}

}  // namespace lrsweep
