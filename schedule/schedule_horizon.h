// A schedule resolved for a shorter run: the same shape over a fraction of the horizon.
//
// Successive halving trains a configuration for a fraction f of its full run before deciding
// whether it goes on. Comparing schedules caught mid-way is biased (a cosine at 30% of its run is
// still near its peak LR), so each shorter run compresses the whole schedule in time instead: a
// cosine over f of the run decays fully within it. Lengths derived from the horizon (cosine's
// t_max, linear's total_iters, warmup.fraction, wsd's stable phase) follow the shorter horizon by
// themselves when the schedule is resolved; this scales every length written explicitly, in
// ticks: warmup.steps, step_size, milestones, t_max, t_0, step_size_up/down, total_iters,
// warmup_steps, timescale, stable_steps and decay_steps (rounded, at least 1), and the per-tick
// decay of exponential and exp_range (gamma^(1/f)). An epoch-unit schedule is expressed in steps
// first, so that a fraction of an epoch still has a shape. Plateau's patience and cooldown count
// evaluations, not ticks, and are kept.
//
//   ScheduleSpec short_run = ScheduleForFraction(spec, 1.0 / 9, steps_per_epoch);
//   ASSIGN_OR_RETURN(ScheduleSpec resolved, ResolveSchedule(short_run, Horizon{steps / 9, spe}));
//
// Thread safety: a pure function.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_HORIZON_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_HORIZON_H_

#include <cstdint>

#include "schedule/schedule_spec.h"

namespace lrsweep {

// `spec` (not yet resolved) compressed to `fraction` (in (0, 1]) of its run; unchanged for 1.
ScheduleSpec ScheduleForFraction(const ScheduleSpec& spec, double fraction,
                                 int64_t steps_per_epoch);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_HORIZON_H_
