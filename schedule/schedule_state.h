// ScheduleState: everything a Schedule needs to continue exactly where it stopped.
//
// A checkpoint carries it. Most schedule types are pure functions of the step counter; plateau
// also needs its history (best metric, bad-epoch and cooldown counters, current LR), and the
// restart position of cosine_restarts is kept for inspection and as a consistency check.
// `lr` (and `momentum`) are the values at `step`: restoring verifies them, so a checkpoint written
// under a different schedule configuration is refused instead of producing a silent LR jump.
//
//   ScheduleState saved = schedule.SaveState();
//   std::string text = ScheduleStateToJson(saved).dump();
//   ...
//   ASSIGN_OR_RETURN(ScheduleState loaded, ScheduleStateFromJson(nlohmann::json::parse(text)));
//   RETURN_IF_ERROR(other.RestoreState(loaded));
//
// Thread safety: a plain value type.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_STATE_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_STATE_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lrsweep {

struct ScheduleState {
  int64_t step = 0;  // optimizer steps taken
  double lr = 0.0;   // LR for the optimizer step `step`
  std::optional<double> momentum;

  // cosine_restarts: index of the current cycle, position in it, and its length.
  int64_t restart_cycle = 0;
  int64_t t_cur = 0;
  int64_t t_i = 0;

  // plateau (ReduceLROnPlateau's counters).
  double plateau_lr = 0.0;
  double plateau_best = 0.0;  // +-infinity before the first metric
  int64_t plateau_num_bad_epochs = 0;
  int64_t plateau_cooldown_counter = 0;
  int64_t plateau_metrics_seen = 0;

  bool operator==(const ScheduleState& other) const;
};

// JSON with exact doubles; infinities are written as the strings "inf" / "-inf".
nlohmann::json ScheduleStateToJson(const ScheduleState& state);
// InvalidArgument naming the field when a field is missing or of the wrong type.
absl::StatusOr<ScheduleState> ScheduleStateFromJson(const nlohmann::json& json);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_STATE_H_
