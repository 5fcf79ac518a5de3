// Schedule: the learning rate (and momentum) an optimizer uses at each step of one training run.
//
// A Schedule is created from a ScheduleSpec and the length of training. It is stepped once per
// optimizer step; `lr()` is the LR to use for the step about to be taken, i.e. what
// `optimizer.param_groups[0]["lr"]` holds in PyTorch before that step's `scheduler.step()`.
// Values equal torch.optim.lr_scheduler 1.13 and HuggingFace's get_*_schedule* functions (tests
// check this against PyTorch itself).
//
//   ASSIGN_OR_RETURN(Schedule schedule,
//                    Schedule::Create(spec, Horizon{.total_steps = 4220, .steps_per_epoch = 422}));
//   for (int64_t step = 0; step < 4220; ++step) {
//     SetOptimizerLr(schedule.lr());
//     TrainOneStep();
//     schedule.Step();
//     if (EndOfEpoch(step)) schedule.ObserveMetric(val_loss);  // plateau only; others ignore it
//   }
//
// Warmup: a `warmup` block runs first for W ticks; the main schedule then counts from 0 over the
// remaining ticks. A tick is an optimizer step (unit: step) or an epoch (unit: epoch), in which
// case every length (warmup.steps, t_max, step_size, milestones, ...) counts epochs and the LR
// changes only at epoch boundaries.
//
// Resume: SaveState() / RestoreState() carry everything needed for a restored schedule to continue
// bit-identically to one never interrupted.
//
// Thread safety: not thread-safe; one Schedule belongs to one training loop.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "schedule/schedule_spec.h"
#include "schedule/schedule_state.h"

namespace lrsweep {

// The length of one training run.
struct Horizon {
  int64_t total_steps = 0;      // optimizer steps in the whole run
  int64_t steps_per_epoch = 0;  // optimizer steps per epoch; 0 = unknown (unit: epoch fails)
};

// Fills every length that defaults to "the rest of training" (warmup fraction -> steps, t_max,
// total_iters, wsd stable/decay steps, inverse_sqrt timescale) and checks the spec against the
// horizon. Errors are InvalidArgument naming the key (and its file position when known).
absl::StatusOr<ScheduleSpec> ResolveSchedule(const ScheduleSpec& spec, const Horizon& horizon);

// Ticks (steps or epochs, by the spec's unit) in a run of the given horizon.
absl::StatusOr<int64_t> TotalTicks(const ScheduleSpec& spec, const Horizon& horizon);

class Schedule {
 public:
  // Resolves `spec` against `horizon` (see ResolveSchedule) and starts at step 0.
  static absl::StatusOr<Schedule> Create(const ScheduleSpec& spec, const Horizon& horizon);

  // The resolved spec: every default and derived length filled in.
  const ScheduleSpec& spec() const { return spec_; }
  const Horizon& horizon() const { return horizon_; }
  int64_t total_ticks() const { return total_ticks_; }
  int64_t warmup_ticks() const { return warmup_ticks_; }

  // Optimizer steps taken so far.
  int64_t step() const { return step_; }
  // LR for the optimizer step about to be taken.
  double lr() const;
  // Momentum (SGD momentum or Adam beta1) for that step, when the schedule cycles it
  // (onecycle with cycle_momentum); nullopt otherwise.
  std::optional<double> momentum() const;
  bool cycles_momentum() const;

  // Advances by one optimizer step.
  void Step();
  // Feeds one value of the monitored metric (plateau: once per tick, like
  // ReduceLROnPlateau.step(metric)). Ignored by other types and during warmup.
  void ObserveMetric(double metric);

  // The LR at optimizer step `step` as planned, i.e. ignoring any metric history (for plateau,
  // its LR before any reduction). Does not change the schedule.
  double PlannedLrAt(int64_t step) const;

  ScheduleState SaveState() const;
  // Restores a saved state. FailedPrecondition when the state cannot come from this schedule
  // (step past the end, or its LR differs from what this schedule gives at that step).
  absl::Status RestoreState(const ScheduleState& state);

 private:
  struct PlateauState {
    double lr = 0.0;
    double best = 0.0;
    int64_t num_bad_epochs = 0;
    int64_t cooldown_counter = 0;
    int64_t metrics_seen = 0;
  };
  struct RestartPosition {
    int64_t cycle = 0;
    int64_t t_cur = 0;
    int64_t t_i = 0;
  };

  Schedule(ScheduleSpec spec, Horizon horizon, int64_t total_ticks, int64_t warmup_ticks);

  int64_t TickOf(int64_t step) const;
  // The factor-free LR at tick `tick` of the whole schedule (warmup included).
  double LrAtTick(int64_t tick, double plateau_lr) const;
  double MainLr(int64_t main_tick, double plateau_lr) const;
  std::optional<double> MomentumAtTick(int64_t tick) const;
  RestartPosition RestartAt(int64_t main_tick) const;
  // cosine_restarts by num_cycles: the factor of lr - eta_min at a tick after warmup.
  double HardRestartFactor(int64_t main_tick) const;
  bool IsBetter(double current, double best) const;

  ScheduleSpec spec_;
  Horizon horizon_;
  int64_t total_ticks_ = 0;
  int64_t warmup_ticks_ = 0;
  int64_t step_ = 0;
  PlateauState plateau_;
  // sequential: one schedule per segment, each over its own ticks.
  std::vector<Schedule> segments_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_H_
