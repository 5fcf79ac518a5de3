// Fuzzes the sweep language: any text given to `lrsweep plan/run/submit` (and to the
// coordinator's SubmitSweep) is parsed and planned without crashing, in bounded time and memory;
// an error is InvalidArgument with its place.
#include <cstdint>
#include <string>

#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<lrsweep::SweepSpec> sweep = lrsweep::ParseSweep(text, "fuzz.yaml");
  if (!sweep.ok()) {
    if (!absl::IsInvalidArgument(sweep.status())) __builtin_trap();
    return 0;
  }
  sweep->base_dir = "/fuzz";
  // The planner's own cap (max_trials) bounds a real submission; a smaller one keeps each input
  // quick without skipping any code path (64 trials are four of the planner's parse batches).
  if (sweep->max_trials > 64) sweep->max_trials = 64;
  absl::StatusOr<lrsweep::SweepPlan> plan = lrsweep::PlanSweep(*sweep);
  if (!plan.ok() && !absl::IsInvalidArgument(plan.status())) __builtin_trap();
  if (plan.ok()) {
    for (const lrsweep::TrialPlan& trial : plan->trials) lrsweep::TrialPlanToJson(trial).dump();
  }
  return 0;
}
