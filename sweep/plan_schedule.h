// The schedule a trial trains with, rebuilt from its plan (TrialRecord::plan_json): its
// `schedule` mapping resolved against its `total_steps` and `steps_per_epoch`. What
// `lrsweep schedule export` writes and what the dashboard plots as the planned LR.
//
//   ASSIGN_OR_RETURN(Schedule schedule, ScheduleOfPlan(trial.plan_json, "trial 3 of sweep s"));
//   double lr = schedule.PlannedLrAt(100);
//
// Thread safety: a stateless function.
#ifndef LRSWEEP_SWEEP_PLAN_SCHEDULE_H_
#define LRSWEEP_SWEEP_PLAN_SCHEDULE_H_

#include <string>

#include "absl/status/statusor.h"
#include "schedule/schedule.h"

namespace lrsweep {

// INVALID_ARGUMENT starting with `where` when the plan is not JSON, has no schedule (a range
// test, or a plan of an older lrsweep) or its schedule does not resolve.
absl::StatusOr<Schedule> ScheduleOfPlan(const std::string& plan_json, const std::string& where);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_PLAN_SCHEDULE_H_
