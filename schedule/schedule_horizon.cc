#include "schedule/schedule_horizon.h"

#include <algorithm>
#include <cmath>

namespace lrsweep {

ScheduleSpec ScheduleForFraction(const ScheduleSpec& spec, double fraction,
                                 int64_t steps_per_epoch) {
  if (fraction >= 1.0) return spec;
  ScheduleSpec out = spec;
  double scale = fraction;  // new ticks per old tick
  if (out.unit == ScheduleUnit::kEpoch) {
    scale *= static_cast<double>(std::max<int64_t>(1, steps_per_epoch));
    out.unit = ScheduleUnit::kStep;
  }
  auto ticks = [scale](int64_t value) {
    return value <= 0 ? value
                      : std::max<int64_t>(1, std::llround(static_cast<double>(value) * scale));
  };
  auto optional_ticks = [&](std::optional<int64_t>& value) {
    if (value) value = ticks(*value);
  };
  if (out.warmup) optional_ticks(out.warmup->steps);
  out.step_size = ticks(out.step_size);
  for (int64_t& milestone : out.milestones) milestone = ticks(milestone);
  if (out.type == ScheduleType::kSequential) {
    // Every segment keeps at least one tick, so each still has its milestone.
    for (size_t i = 1; i < out.milestones.size(); ++i) {
      out.milestones[i] = std::max(out.milestones[i], out.milestones[i - 1] + 1);
    }
    for (ScheduleSpec& segment : out.segments) {
      segment.unit = spec.unit;  // segments count in the sequential schedule's ticks
      segment = ScheduleForFraction(segment, fraction, steps_per_epoch);
    }
  } else {
    out.milestones.erase(std::unique(out.milestones.begin(), out.milestones.end()),
                         out.milestones.end());
  }
  optional_ticks(out.t_max);
  out.t_0 = ticks(out.t_0);
  out.step_size_up = ticks(out.step_size_up);
  optional_ticks(out.step_size_down);
  optional_ticks(out.total_iters);
  out.warmup_steps = ticks(out.warmup_steps);
  optional_ticks(out.timescale);
  optional_ticks(out.stable_steps);
  optional_ticks(out.decay_steps);
  if (out.type == ScheduleType::kExponential ||
      (out.type == ScheduleType::kCyclic && out.cyclic_mode == CyclicMode::kExpRange)) {
    out.gamma = std::pow(out.gamma, 1.0 / scale);
  }
  return out;
}

}  // namespace lrsweep
