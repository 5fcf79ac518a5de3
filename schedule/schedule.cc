#include "schedule/schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

// InvalidArgument for a key of the schedule, with its file position when the parser saw it.
absl::Status SpecError(const ScheduleSpec& spec, const std::string& key,
                       absl::string_view message) {
  auto location = spec.locations.find(key);
  if (location == spec.locations.end()) {
    return absl::InvalidArgumentError(absl::StrCat(spec.key_path, ".", key, ": ", message));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(location->second, ": ", spec.key_path, ".", key, ": ", message));
}

// PyTorch OneCycleLR's annealing functions, in the same operation order.
double AnnealCos(double start, double end, double pct) {
  const double cos_out = std::cos(kPi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}
double AnnealLinear(double start, double end, double pct) { return (end - start) * pct + start; }

// One phase of OneCycleLR: it ends at step `end_step` and moves LR and momentum between the given
// values.
struct OneCyclePhase {
  double end_step;
  double start_lr, end_lr;
  double start_momentum, end_momentum;
};

std::vector<OneCyclePhase> OneCyclePhases(const ScheduleSpec& spec, int64_t total) {
  const double initial_lr = spec.lr / spec.div_factor;
  const double max_lr = spec.lr;
  const double min_lr = initial_lr / spec.final_div_factor;
  const double t = static_cast<double>(total);
  const double lo = spec.base_momentum, hi = spec.max_momentum;
  if (spec.three_phase) {
    return {{spec.pct_start * t - 1, initial_lr, max_lr, hi, lo},
            {2 * spec.pct_start * t - 2, max_lr, initial_lr, lo, hi},
            {t - 1, initial_lr, min_lr, hi, hi}};
  }
  return {{spec.pct_start * t - 1, initial_lr, max_lr, hi, lo}, {t - 1, max_lr, min_lr, lo, hi}};
}

// CyclicLR.get_lr() in its operation order: returns {lr, momentum} at `step` (last_epoch).
std::pair<double, double> CyclicAt(const ScheduleSpec& spec, int64_t step) {
  const double up = static_cast<double>(spec.step_size_up);
  const double down = static_cast<double>(spec.step_size_down.value_or(spec.step_size_up));
  const double total_size = up + down;
  const double step_ratio = up / total_size;
  const double t = static_cast<double>(step);
  const double cycle = std::floor(1 + t / total_size);
  const double x = 1. + t / total_size - cycle;
  const double scale_factor = x <= step_ratio ? x / step_ratio : (x - 1) / (step_ratio - 1);
  // triangular and triangular2 scale per cycle, exp_range per iteration (torch's scale_mode).
  double scale = 1.;
  if (spec.cyclic_mode == CyclicMode::kTriangular2) scale = 1 / std::pow(2., cycle - 1);
  if (spec.cyclic_mode == CyclicMode::kExpRange) scale = std::pow(spec.gamma, t);
  const double lr = spec.base_lr + (spec.lr - spec.base_lr) * scale_factor * scale;
  const double momentum =
      spec.max_momentum - (spec.max_momentum - spec.base_momentum) * scale_factor * scale;
  return {lr, momentum};
}

// OneCycleLR.get_lr(): returns {lr, momentum} at `step`.
std::pair<double, double> OneCycleAt(const ScheduleSpec& spec, int64_t total, int64_t step) {
  const std::vector<OneCyclePhase> phases = OneCyclePhases(spec, total);
  double start_step = 0;
  const double s = static_cast<double>(step);
  for (size_t i = 0; i < phases.size(); ++i) {
    const OneCyclePhase& phase = phases[i];
    if (s <= phase.end_step || i == phases.size() - 1) {
      const double pct = (s - start_step) / (phase.end_step - start_step);
      if (spec.anneal_strategy == AnnealStrategy::kCos) {
        return {AnnealCos(phase.start_lr, phase.end_lr, pct),
                AnnealCos(phase.start_momentum, phase.end_momentum, pct)};
      }
      return {AnnealLinear(phase.start_lr, phase.end_lr, pct),
              AnnealLinear(phase.start_momentum, phase.end_momentum, pct)};
    }
    start_step = phase.end_step;
  }
  return {spec.lr, spec.max_momentum};
}

// HuggingFace's WSD factor (transformers._get_wsd_scheduler_lambda).
double WsdShapeFactor(WsdShape shape, double progress, bool decaying, double num_cycles) {
  switch (shape) {
    case WsdShape::kLinear:
      return decaying ? 1.0 - progress : progress;
    case WsdShape::kCosine:
      return decaying ? 0.5 * (1.0 + std::cos(kPi * num_cycles * 2.0 * progress))
                      : 0.5 * (1.0 - std::cos(kPi * progress));
    case WsdShape::kOneMinusSqrt:
      return decaying ? 1.0 - std::sqrt(progress) : 1.0 - std::sqrt(1.0 - progress);
  }
  return 1.0;
}

double WsdFactor(const ScheduleSpec& spec, int64_t step) {
  const int64_t warmup = spec.warmup_steps;
  const int64_t stable = spec.stable_steps.value_or(0);
  const int64_t decay = spec.decay_steps.value_or(0);
  if (step < warmup) {
    const double progress =
        static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
    double factor = WsdShapeFactor(spec.warmup_type, progress, false, spec.num_cycles);
    factor = factor * (1.0 - spec.min_lr_ratio) + spec.min_lr_ratio;
    return std::max(0.0, factor);
  }
  if (step < warmup + stable) return 1.0;
  if (step < warmup + stable + decay) {
    const double progress = static_cast<double>(step - warmup - stable) /
                            static_cast<double>(std::max<int64_t>(1, decay));
    double factor = WsdShapeFactor(spec.decay_type, progress, true, spec.num_cycles);
    factor = factor * (1.0 - spec.min_lr_ratio) + spec.min_lr_ratio;
    return std::max(0.0, factor);
  }
  return spec.min_lr_ratio;
}

// HuggingFace's inverse square root factor (transformers._get_inverse_sqrt_schedule_lr_lambda).
double InverseSqrtFactor(const ScheduleSpec& spec, int64_t step) {
  if (step < spec.warmup_steps) {
    return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, spec.warmup_steps));
  }
  const int64_t timescale = *spec.timescale;
  const int64_t shift = timescale - spec.warmup_steps;
  return 1.0 / std::sqrt(static_cast<double>(step + shift) / static_cast<double>(timescale));
}

absl::Status CheckOneCyclePhases(const ScheduleSpec& spec, int64_t total) {
  double start = 0;
  for (const OneCyclePhase& phase : OneCyclePhases(spec, total)) {
    if (phase.end_step == start) {
      return SpecError(spec, "pct_start",
                       absl::StrCat("with ", total, " ticks, pct_start ", spec.pct_start,
                                    " leaves a phase of zero length; use a larger pct_start or "
                                    "more steps"));
    }
    start = phase.end_step;
  }
  return absl::OkStatus();
}

// The horizon of each segment of a sequential schedule whose main part (after its own warmup)
// is `main` ticks: segment i runs from milestones[i-1] (or 0) to milestones[i] (or the end).
absl::StatusOr<std::vector<Horizon>> SegmentHorizons(const ScheduleSpec& spec,
                                                     const Horizon& horizon, int64_t main) {
  if (!spec.milestones.empty() && spec.milestones.back() >= main) {
    return SpecError(spec, "milestones",
                     absl::StrCat("the last milestone (", spec.milestones.back(),
                                  ") must fall inside the ", main, " ", UnitName(spec.unit),
                                  "s the schedules share; move it earlier or train longer"));
  }
  const int64_t steps_per_tick = spec.unit == ScheduleUnit::kEpoch ? horizon.steps_per_epoch : 1;
  std::vector<Horizon> horizons;
  int64_t start = 0;
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const int64_t end = i < spec.milestones.size() ? spec.milestones[i] : main;
    horizons.push_back(Horizon{(end - start) * steps_per_tick, horizon.steps_per_epoch});
    start = end;
  }
  return horizons;
}

// Resolves each segment over its own share of the run, at the sequential schedule's lr and unit.
absl::Status ResolveSegments(ScheduleSpec& spec, const Horizon& horizon, int64_t main) {
  ASSIGN_OR_RETURN(const std::vector<Horizon> horizons, SegmentHorizons(spec, horizon, main));
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    ScheduleSpec& segment = spec.segments[i];
    segment.lr = spec.lr;
    segment.unit = spec.unit;
    ASSIGN_OR_RETURN(segment, ResolveSchedule(segment, horizons[i]));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> TotalTicks(const ScheduleSpec& spec, const Horizon& horizon) {
  if (horizon.total_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("training must have at least 1 step, got ", horizon.total_steps));
  }
  if (spec.unit == ScheduleUnit::kStep) return horizon.total_steps;
  if (horizon.steps_per_epoch < 1) {
    return SpecError(spec, "unit",
                     "unit is epoch but the steps per epoch are unknown (give "
                     "--steps-per-epoch, or train.epochs in a sweep)");
  }
  return (horizon.total_steps + horizon.steps_per_epoch - 1) / horizon.steps_per_epoch;
}

absl::StatusOr<ScheduleSpec> ResolveSchedule(const ScheduleSpec& input, const Horizon& horizon) {
  ScheduleSpec spec = input;
  ASSIGN_OR_RETURN(const int64_t total, TotalTicks(spec, horizon));
  int64_t warmup = 0;
  if (spec.warmup) {
    warmup = spec.warmup->steps ? *spec.warmup->steps
                                : std::llround(*spec.warmup->fraction * static_cast<double>(total));
    if (warmup >= total && warmup > 0) {
      const std::string key = spec.warmup->steps ? "warmup.steps" : "warmup.fraction";
      return SpecError(spec, key,
                       absl::StrCat(warmup, " warmup ", UnitName(spec.unit),
                                    "s leave nothing of the ", total,
                                    " in training; shorten the warmup"));
    }
    spec.warmup->steps = warmup;
    spec.warmup->fraction.reset();
  }
  const int64_t main = total - warmup;
  switch (spec.type) {
    case ScheduleType::kCosine:
      if (!spec.t_max) spec.t_max = main;
      break;
    case ScheduleType::kLinear:
    case ScheduleType::kPolynomial:
      if (!spec.total_iters) spec.total_iters = main;
      break;
    case ScheduleType::kInverseSqrt:
      if (!spec.timescale) spec.timescale = spec.warmup_steps > 0 ? spec.warmup_steps : 10000;
      break;
    case ScheduleType::kWsd: {
      if (!spec.stable_steps) spec.stable_steps = main - spec.warmup_steps - *spec.decay_steps;
      if (!spec.decay_steps) spec.decay_steps = main - spec.warmup_steps - *spec.stable_steps;
      const int64_t used = spec.warmup_steps + *spec.stable_steps + *spec.decay_steps;
      if (*spec.stable_steps < 0 || *spec.decay_steps < 0 || used > main) {
        return SpecError(spec, input.decay_steps ? "decay_steps" : "stable_steps",
                         absl::StrCat("warmup_steps + stable_steps + decay_steps must fit in the ",
                                      main, " ", UnitName(spec.unit),
                                      "s of training; shorten one of them"));
      }
      break;
    }
    case ScheduleType::kOneCycle:
      RETURN_IF_ERROR(CheckOneCyclePhases(spec, main));
      break;
    case ScheduleType::kSequential:
      RETURN_IF_ERROR(ResolveSegments(spec, horizon, main));
      break;
    default:
      break;
  }
  return spec;
}

Schedule::Schedule(ScheduleSpec spec, Horizon horizon, int64_t total_ticks, int64_t warmup_ticks)
    : spec_(std::move(spec)),
      horizon_(horizon),
      total_ticks_(total_ticks),
      warmup_ticks_(warmup_ticks) {
  plateau_.lr = spec_.lr;
  plateau_.best = spec_.mode == PlateauMode::kMin ? std::numeric_limits<double>::infinity()
                                                  : -std::numeric_limits<double>::infinity();
}

absl::StatusOr<Schedule> Schedule::Create(const ScheduleSpec& spec, const Horizon& horizon) {
  ASSIGN_OR_RETURN(ScheduleSpec resolved, ResolveSchedule(spec, horizon));
  ASSIGN_OR_RETURN(const int64_t total, TotalTicks(resolved, horizon));
  const int64_t warmup = resolved.warmup ? *resolved.warmup->steps : 0;
  std::vector<Schedule> segments;
  if (resolved.type == ScheduleType::kSequential) {
    ASSIGN_OR_RETURN(const std::vector<Horizon> horizons,
                     SegmentHorizons(resolved, horizon, total - warmup));
    for (size_t i = 0; i < horizons.size(); ++i) {
      ASSIGN_OR_RETURN(Schedule segment, Create(resolved.segments[i], horizons[i]));
      segments.push_back(std::move(segment));
    }
  }
  Schedule schedule(std::move(resolved), horizon, total, warmup);
  schedule.segments_ = std::move(segments);
  return schedule;
}

int64_t Schedule::TickOf(int64_t step) const {
  if (spec_.unit == ScheduleUnit::kStep) return step;
  return step / horizon_.steps_per_epoch;
}

double Schedule::LrAtTick(int64_t tick, double plateau_lr) const {
  if (tick < warmup_ticks_) {
    const double start = spec_.warmup->start_factor;
    if (spec_.warmup->shape == WarmupShape::kConstant) return spec_.lr * start;
    return spec_.lr * (start + (1.0 - start) * static_cast<double>(tick) /
                                   static_cast<double>(warmup_ticks_));
  }
  return MainLr(tick - warmup_ticks_, plateau_lr);
}

double Schedule::MainLr(int64_t t, double plateau_lr) const {
  const ScheduleSpec& s = spec_;
  const double base = s.lr;
  switch (s.type) {
    case ScheduleType::kConstant:
      return base;
    case ScheduleType::kStep:
      return base * std::pow(s.gamma, static_cast<double>(t / s.step_size));
    case ScheduleType::kMultiStep: {
      const auto passed = std::upper_bound(s.milestones.begin(), s.milestones.end(), t) -
                          s.milestones.begin();
      return base * std::pow(s.gamma, static_cast<double>(passed));
    }
    case ScheduleType::kExponential:
      return base * std::pow(s.gamma, static_cast<double>(t));
    case ScheduleType::kCosine:
      return s.eta_min + (base - s.eta_min) *
                             (1 + std::cos(kPi * static_cast<double>(t) /
                                           static_cast<double>(*s.t_max))) /
                             2;
    case ScheduleType::kCosineRestarts: {
      if (s.t_0 == 0) return s.eta_min + (base - s.eta_min) * HardRestartFactor(t);
      const RestartPosition position = RestartAt(t);
      return s.eta_min + (base - s.eta_min) *
                             (1 + std::cos(kPi * static_cast<double>(position.t_cur) /
                                           static_cast<double>(position.t_i))) /
                             2;
    }
    case ScheduleType::kOneCycle: {
      const int64_t total = total_ticks_ - warmup_ticks_;
      return OneCycleAt(s, total, std::min(t, total - 1)).first;
    }
    case ScheduleType::kLinear: {
      const double done = static_cast<double>(std::min(*s.total_iters, t));
      return base * (s.start_factor +
                     (s.end_factor - s.start_factor) * done / static_cast<double>(*s.total_iters));
    }
    case ScheduleType::kPolynomial: {
      const double done = static_cast<double>(std::min(*s.total_iters, t));
      return base * std::pow(1.0 - done / static_cast<double>(*s.total_iters), s.power);
    }
    case ScheduleType::kInverseSqrt:
      return base * InverseSqrtFactor(s, t);
    case ScheduleType::kWsd:
      return base * WsdFactor(s, t);
    case ScheduleType::kPlateau:
      return plateau_lr;
    case ScheduleType::kCyclic:
      return CyclicAt(s, t).first;
    case ScheduleType::kSequential: {
      // SequentialLR: the segment holding t, counting from its milestone.
      const size_t index = std::upper_bound(s.milestones.begin(), s.milestones.end(), t) -
                           s.milestones.begin();
      const int64_t start = index == 0 ? 0 : s.milestones[index - 1];
      const Schedule& segment = segments_[index];
      return segment.LrAtTick(t - start, segment.spec_.lr);
    }
  }
  return base;
}

double Schedule::HardRestartFactor(int64_t t) const {
  // HF's _get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda after its warmup.
  const int64_t main = total_ticks_ - warmup_ticks_;
  const double progress = static_cast<double>(t) / static_cast<double>(std::max<int64_t>(1, main));
  if (progress >= 1.0) return 0.0;
  return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * std::fmod(spec_.num_cycles * progress, 1.0))));
}

Schedule::RestartPosition Schedule::RestartAt(int64_t t) const {
  // CosineAnnealingWarmRestarts.step() in integers: T_cur += 1; on reaching T_i, wrap and grow.
  RestartPosition position{0, t, spec_.t_0};
  if (spec_.t_mult == 1) {
    position.cycle = t / spec_.t_0;
    position.t_cur = t % spec_.t_0;
    return position;
  }
  while (position.t_cur >= position.t_i) {
    position.t_cur -= position.t_i;
    position.t_i *= spec_.t_mult;
    ++position.cycle;
  }
  return position;
}

std::optional<double> Schedule::MomentumAtTick(int64_t tick) const {
  if (!cycles_momentum()) return std::nullopt;
  if (tick < warmup_ticks_) return spec_.max_momentum;
  if (spec_.type == ScheduleType::kCyclic) return CyclicAt(spec_, tick - warmup_ticks_).second;
  const int64_t total = total_ticks_ - warmup_ticks_;
  return OneCycleAt(spec_, total, std::min(tick - warmup_ticks_, total - 1)).second;
}

bool Schedule::cycles_momentum() const {
  return (spec_.type == ScheduleType::kOneCycle || spec_.type == ScheduleType::kCyclic) &&
         spec_.cycle_momentum;
}

double Schedule::lr() const { return LrAtTick(TickOf(step_), plateau_.lr); }

std::optional<double> Schedule::momentum() const { return MomentumAtTick(TickOf(step_)); }

double Schedule::PlannedLrAt(int64_t step) const { return LrAtTick(TickOf(step), spec_.lr); }

void Schedule::Step() { ++step_; }

bool Schedule::IsBetter(double current, double best) const {
  // ReduceLROnPlateau.is_better.
  if (spec_.mode == PlateauMode::kMin) {
    return spec_.threshold_mode == ThresholdMode::kRel ? current < best * (1. - spec_.threshold)
                                                       : current < best - spec_.threshold;
  }
  return spec_.threshold_mode == ThresholdMode::kRel ? current > best * (spec_.threshold + 1.)
                                                     : current > best + spec_.threshold;
}

void Schedule::ObserveMetric(double metric) {
  if (spec_.type != ScheduleType::kPlateau || TickOf(step_) < warmup_ticks_) return;
  // ReduceLROnPlateau.step(metrics), line for line.
  ++plateau_.metrics_seen;
  if (IsBetter(metric, plateau_.best)) {
    plateau_.best = metric;
    plateau_.num_bad_epochs = 0;
  } else {
    ++plateau_.num_bad_epochs;
  }
  if (plateau_.cooldown_counter > 0) {
    --plateau_.cooldown_counter;
    plateau_.num_bad_epochs = 0;
  }
  if (plateau_.num_bad_epochs > spec_.patience) {
    const double old_lr = plateau_.lr;
    const double new_lr = std::max(old_lr * spec_.factor, spec_.min_lr);
    if (old_lr - new_lr > spec_.eps) plateau_.lr = new_lr;
    plateau_.cooldown_counter = spec_.cooldown;
    plateau_.num_bad_epochs = 0;
  }
}

ScheduleState Schedule::SaveState() const {
  ScheduleState state;
  state.step = step_;
  state.lr = lr();
  state.momentum = momentum();
  if (spec_.type == ScheduleType::kCosineRestarts && spec_.t_0 > 0) {
    const RestartPosition position =
        RestartAt(std::max<int64_t>(0, TickOf(step_) - warmup_ticks_));
    state.restart_cycle = position.cycle;
    state.t_cur = position.t_cur;
    state.t_i = position.t_i;
  }
  state.plateau_lr = plateau_.lr;
  state.plateau_best = plateau_.best;
  state.plateau_num_bad_epochs = plateau_.num_bad_epochs;
  state.plateau_cooldown_counter = plateau_.cooldown_counter;
  state.plateau_metrics_seen = plateau_.metrics_seen;
  return state;
}

absl::Status Schedule::RestoreState(const ScheduleState& state) {
  if (state.step < 0 || state.step > horizon_.total_steps) {
    return absl::FailedPreconditionError(
        absl::StrCat("saved schedule state is at step ", state.step, " but this run has ",
                     horizon_.total_steps, " steps; was it saved by another configuration?"));
  }
  Schedule restored = *this;
  restored.step_ = state.step;
  restored.plateau_ = {state.plateau_lr, state.plateau_best, state.plateau_num_bad_epochs,
                       state.plateau_cooldown_counter, state.plateau_metrics_seen};
  const ScheduleState check = restored.SaveState();
  if (!(check == state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "saved schedule state does not match this schedule: at step ", state.step,
        " it saved LR ", state.lr, " but this schedule gives ", check.lr,
        "; the checkpoint was written under a different schedule configuration"));
  }
  *this = std::move(restored);
  return absl::OkStatus();
}

}  // namespace lrsweep
