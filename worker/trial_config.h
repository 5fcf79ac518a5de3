// TrialConfig: what a worker needs to train one trial, read from the lease's plan JSON (the same
// object `lrsweep plan --format jsonl` prints for the trial).
//
//   ASSIGN_OR_RETURN(TrialConfig config, ParseTrialConfig(lease.plan_json));
//   ASSIGN_OR_RETURN(Schedule schedule, Schedule::Create(config.schedule, config.horizon()));
//
// Thread safety: a plain value type.
#ifndef LRSWEEP_WORKER_TRIAL_CONFIG_H_
#define LRSWEEP_WORKER_TRIAL_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "sweep/train_spec.h"
#include "schedule/schedule.h"
#include "schedule/schedule_spec.h"

namespace lrsweep {

struct TrialConfig {
  int64_t trial = 0;
  int64_t seed = 0;
  TrainSpec train;
  ScheduleSpec schedule;  // resolved
  int64_t total_steps = 0;
  int64_t steps_per_epoch = 0;
  int64_t checkpoint_every_steps = 500;
  double checkpoint_every_minutes = 10.0;
  // torchscript: where this worker holds train.model.file (set after fetching it).
  std::string model_file;

  Horizon horizon() const { return {total_steps, steps_per_epoch}; }
};

// InvalidArgument naming the field when the JSON is not a trial plan.
absl::StatusOr<TrialConfig> ParseTrialConfig(const std::string& plan_json);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_TRIAL_CONFIG_H_
