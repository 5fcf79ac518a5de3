#include "sweep/range_test_plan.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "schedule/schedule.h"
#include "schedule/schedule_parser.h"

namespace lrsweep {
namespace {

// Train keys a range test does not depend on: it runs its own number of steps and no test.
const char* const kNotSetupKeys[] = {"epochs", "steps", "test", "eval_every_steps", "checkpoint"};

std::string SetupLabel(const TrainSpec& train) {
  if (train.command) return absl::StrCat("command, batch ", train.EffectiveBatchSize());
  return absl::StrCat(train.model.type, ", ", train.optimizer.type, ", batch ",
                      train.EffectiveBatchSize());
}

// The exponential ramp from min_lr to max_lr over the test's steps: ExponentialLR with
// gamma = (max_lr / min_lr)^(1 / (steps - 1)), stepped every optimizer step.
absl::StatusOr<ScheduleSpec> RampSchedule(const RangeTestSpec& spec, const Horizon& horizon,
                                          const std::string& file) {
  YAML::Node node(YAML::NodeType::Map);
  node["type"] = "exponential";
  node["lr"] = spec.min_lr;
  node["gamma"] = std::pow(spec.max_lr / spec.min_lr, 1.0 / static_cast<double>(spec.steps - 1));
  node["unit"] = "step";
  ASSIGN_OR_RETURN(ScheduleSpec ramp, ParseScheduleSpec(node, YamlReader(file), "lr_range_test"));
  return ResolveSchedule(ramp, horizon);
}

}  // namespace

std::string TrainSetupKey(const YAML::Node& train) {
  // nlohmann::json keeps its keys sorted: the same setup gives the same key in any key order.
  nlohmann::json setup = nlohmann::json::parse(YamlToJson(train).dump());
  if (setup.is_object()) {
    for (const char* key : kNotSetupKeys) setup.erase(key);
  }
  return setup.dump();
}

absl::StatusOr<std::vector<TrialPlan>> PlanRangeTestTrials(const SweepSpec& sweep,
                                                           const std::vector<TrialPlan>& planned) {
  std::vector<TrialPlan> tests;
  if (!sweep.range_test) return tests;
  const RangeTestSpec& spec = *sweep.range_test;
  int64_t configurations = 0;
  for (const TrialPlan& trial : planned) configurations = std::max(configurations, trial.config + 1);
  std::map<std::string, bool> seen;
  for (const TrialPlan& first : planned) {
    if (!seen.emplace(first.setup_key, true).second) continue;
    TrialPlan test;
    test.index = static_cast<int64_t>(tests.size());
    test.config = configurations + test.index;  // apart from every configuration of the sweep
    test.seed = first.seed;
    test.train = first.train;
    test.train.epochs.reset();
    test.train.steps = spec.steps;
    test.train.test = false;
    test.train.eval_every_steps.reset();
    test.total_steps = spec.steps;
    test.steps_per_epoch = first.steps_per_epoch;
    ASSIGN_OR_RETURN(test.schedule,
                     RampSchedule(spec, Horizon{test.total_steps, test.steps_per_epoch}, sweep.file));
    test.base_lr = spec.min_lr;
    test.lr = spec.min_lr;
    test.range_test = RangeTestTrial{first.setup_key, SetupLabel(first.train), spec};
    test.setup_key = first.setup_key;
    test.checkpoint = sweep.checkpoint;
    tests.push_back(std::move(test));
  }
  return tests;
}

nlohmann::ordered_json RangeTestTrialToJson(const RangeTestTrial& test) {
  return {{"setup", test.label},          {"key", test.key},
          {"min_lr", test.spec.min_lr},   {"max_lr", test.spec.max_lr},
          {"steps", test.spec.steps},     {"divergence_factor", test.spec.divergence_factor},
          {"smoothing", test.spec.smoothing}};
}

nlohmann::ordered_json RelativeLrToJson(const RelativeLr& relative) {
  nlohmann::ordered_json out = {{"anchor", relative.anchor},
                                {"factor", relative.factor},
                                {"pick", relative.pick},
                                {"range_test_trial", relative.range_test_trial},
                                {"key", relative.key}};
  if (relative.provisional) out["provisional"] = true;
  return out;
}

std::optional<RangeTestTrial> RangeTestTrialFromPlan(absl::string_view plan_json) {
  const nlohmann::json plan = nlohmann::json::parse(plan_json, nullptr, /*allow_exceptions=*/false);
  if (!plan.is_object() || !plan.contains("range_test") || !plan["range_test"].is_object()) {
    return std::nullopt;
  }
  const nlohmann::json& test = plan["range_test"];
  RangeTestTrial out;
  out.label = test.value("setup", "");
  out.key = test.value("key", "");
  out.spec.min_lr = test.value("min_lr", out.spec.min_lr);
  out.spec.max_lr = test.value("max_lr", out.spec.max_lr);
  out.spec.steps = test.value("steps", out.spec.steps);
  out.spec.divergence_factor = test.value("divergence_factor", out.spec.divergence_factor);
  out.spec.smoothing = test.value("smoothing", out.spec.smoothing);
  return out;
}

std::optional<RelativeLr> RelativeLrFromPlan(absl::string_view plan_json) {
  const nlohmann::json plan = nlohmann::json::parse(plan_json, nullptr, /*allow_exceptions=*/false);
  if (!plan.is_object() || !plan.contains("relative_lr") || !plan["relative_lr"].is_object()) {
    return std::nullopt;
  }
  const nlohmann::json& relative = plan["relative_lr"];
  RelativeLr out;
  out.anchor = relative.value("anchor", "");
  out.factor = relative.value("factor", 1.0);
  out.pick = relative.value("pick", 0.0);
  out.range_test_trial = relative.value("range_test_trial", int64_t{-1});
  out.key = relative.value("key", "");
  out.provisional = relative.value("provisional", false);
  return out;
}

}  // namespace lrsweep
