// ScheduleSpec: the parameters of one learning-rate schedule, as a user writes them.
//
// A spec is what the `schedule:` mapping of a schedule or sweep file says (see
// docs/sweep-reference.md). Parameter names and defaults are PyTorch's (torch.optim.lr_scheduler
// 1.13) and HuggingFace's (transformers.get_*_schedule*), in snake_case. Lengths that default to
// "the rest of training" (t_max, total_iters, wsd's stable_steps) stay unset here and are filled
// in by ResolveSchedule() once the length of training is known.
//
//   ScheduleSpec spec;
//   spec.type = ScheduleType::kCosine;
//   spec.lr = 0.1;
//   spec.eta_min = 1e-5;
//   spec.warmup = WarmupSpec{.fraction = 0.05};
//
// Thread safety: a plain value type.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_SPEC_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace lrsweep {

enum class ScheduleType {
  kConstant,
  kStep,
  kMultiStep,
  kExponential,
  kCosine,
  kCosineRestarts,
  kOneCycle,
  kLinear,
  kPolynomial,
  kInverseSqrt,
  kWsd,
  kPlateau,
  kCyclic,
  kSequential,
};

// What one tick of the schedule is: an optimizer step, or an epoch (steps_per_epoch steps).
enum class ScheduleUnit { kStep, kEpoch };
enum class AnnealStrategy { kCos, kLinear };
// Shape of a WSD warmup or decay phase.
enum class WsdShape { kLinear, kCosine, kOneMinusSqrt };
enum class PlateauMode { kMin, kMax };
// CyclicLR's amplitude policy: constant, halved every cycle, or gamma^step.
enum class CyclicMode { kTriangular, kTriangular2, kExpRange };
enum class ThresholdMode { kRel, kAbs };

// How the LR moves during a warmup: linearly up to lr (LinearLR), or held at start_factor x lr
// (ConstantLR's factor / total_iters, as the first schedule of a SequentialLR).
enum class WarmupShape { kLinear, kConstant };

// Warmup that runs before the main schedule: the LR rises from start_factor x lr to lr over
// `steps` (or fraction x total) ticks, or stays at start_factor x lr for them (shape: constant);
// the main schedule then counts from 0.
struct WarmupSpec {
  std::optional<int64_t> steps;
  std::optional<double> fraction;
  double start_factor = 0.0;
  WarmupShape shape = WarmupShape::kLinear;
};

struct ScheduleSpec {
  ScheduleType type = ScheduleType::kConstant;
  double lr = 0.0;  // base LR; the peak LR for onecycle (max_lr), wsd and warmup schedules
  ScheduleUnit unit = ScheduleUnit::kStep;
  std::optional<WarmupSpec> warmup;

  // step, multistep, exponential (and sequential's segment starts)
  int64_t step_size = 0;
  std::vector<int64_t> milestones;
  double gamma = 0.1;

  // cosine, cosine_restarts. cosine_restarts either restarts every t_0 ticks (growing by t_mult:
  // CosineAnnealingWarmRestarts) or, with t_0 = 0, runs num_cycles equal cycles over the ticks
  // after warmup (HF's get_cosine_with_hard_restarts_schedule_with_warmup).
  std::optional<int64_t> t_max;
  double eta_min = 0.0;
  int64_t t_0 = 0;
  int64_t t_mult = 1;

  // onecycle
  double pct_start = 0.3;
  AnnealStrategy anneal_strategy = AnnealStrategy::kCos;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;

  // cyclic (CyclicLR): lr is max_lr; the LR goes base_lr -> lr over step_size_up ticks and back
  // over step_size_down (default: step_size_up). gamma (default 1.0 here) is exp_range's factor;
  // momentum cycles between max_momentum and base_momentum (CyclicLR's defaults 0.9 / 0.8).
  double base_lr = 0.0;
  int64_t step_size_up = 2000;
  std::optional<int64_t> step_size_down;
  CyclicMode cyclic_mode = CyclicMode::kTriangular;

  // linear, polynomial
  double start_factor = 1.0 / 3.0;
  double end_factor = 1.0;
  std::optional<int64_t> total_iters;
  double power = 1.0;

  // inverse_sqrt, wsd
  int64_t warmup_steps = 0;
  std::optional<int64_t> timescale;
  std::optional<int64_t> stable_steps;
  std::optional<int64_t> decay_steps;
  WsdShape warmup_type = WsdShape::kLinear;
  WsdShape decay_type = WsdShape::kCosine;
  double min_lr_ratio = 0.0;
  double num_cycles = 0.5;  // wsd's cosine shapes; cycles of HF hard restarts (default 1 there)

  // sequential (SequentialLR): `segments` run one after another, segment i+1 starting at tick
  // milestones[i] and counting from 0 again. Segments share this schedule's lr and unit (one
  // optimizer, one base LR); their lengths default to their share of the run.
  std::vector<ScheduleSpec> segments;

  // plateau
  PlateauMode mode = PlateauMode::kMin;
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::kRel;
  int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;

  // Where this schedule sits in its file, for messages: "schedule", or
  // "schedule.schedules[1]" for a segment of a sequential schedule.
  std::string key_path = "schedule";
  // Where each key was written ("file:line:col"), by key path relative to the schedule
  // ("lr", "warmup.steps"), so that errors found later still point into the file.
  std::map<std::string, std::string> locations;

  // Keys the user wrote explicitly (the rest are defaults).
  std::vector<std::string> explicit_keys;
  bool IsExplicit(absl::string_view key) const;
};

// All schedule type names, in documentation order.
const std::vector<std::string>& ScheduleTypeNames();
absl::string_view ScheduleTypeName(ScheduleType type);
std::optional<ScheduleType> ParseScheduleTypeName(absl::string_view name);

// Keys a `schedule:` mapping of the given type accepts (common keys first).
const std::vector<std::string>& AcceptedScheduleKeys(ScheduleType type);
bool AcceptsScheduleKey(ScheduleType type, absl::string_view key);

absl::string_view UnitName(ScheduleUnit unit);
absl::string_view WsdShapeName(WsdShape shape);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_SPEC_H_
