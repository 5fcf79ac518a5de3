// Planning the LR range test stage of a sweep: its trials, one per training setup, and the plan
// JSON that marks range test trials and trials whose LR is relative to one.
//
// A training setup is what a range test's curve depends on: the trial's train mapping (model,
// data, optimizer, batch size, ...) without its length or evaluation keys. Trials that differ only
// in their schedule or seed share one range test.
//
//   ASSIGN_OR_RETURN(std::vector<TrialPlan> tests, PlanRangeTestTrials(sweep, planned));
//   std::optional<RangeTestTrial> test = RangeTestTrialFromPlan(plan_json);
//
// Thread safety: pure functions.
#ifndef LRSWEEP_SWEEP_RANGE_TEST_PLAN_H_
#define LRSWEEP_SWEEP_RANGE_TEST_PLAN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "sweep/sweep_planner.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

// The training setup of a trial's train mapping, as canonical JSON.
std::string TrainSetupKey(const YAML::Node& train);

// The range test trials for `planned` (the sweep's trials, planned with stand-in picks): one per
// training setup in order of first use, numbered from 0, with the seed of the first trial of it.
absl::StatusOr<std::vector<TrialPlan>> PlanRangeTestTrials(const SweepSpec& sweep,
                                                           const std::vector<TrialPlan>& planned);

nlohmann::ordered_json RangeTestTrialToJson(const RangeTestTrial& test);
nlohmann::ordered_json RelativeLrToJson(const RelativeLr& relative);
// From a trial's plan JSON; nullopt when it has none (or it does not read).
std::optional<RangeTestTrial> RangeTestTrialFromPlan(absl::string_view plan_json);
std::optional<RelativeLr> RelativeLrFromPlan(absl::string_view plan_json);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_RANGE_TEST_PLAN_H_
