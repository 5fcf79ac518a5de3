#include "schedule/schedule_lint.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

constexpr double kMaxWarmupShare = 0.30;
constexpr int64_t kLargeBatch = 512;
constexpr int64_t kMaxStepDrops = 3;

class Linter {
 public:
  Linter(const ScheduleSpec& raw, const ScheduleSpec& resolved, int64_t total,
         const LintContext& context)
      : raw_(raw), spec_(resolved), total_(total), context_(context) {
    warmup_ = spec_.warmup ? *spec_.warmup->steps : 0;
    main_ = total_ - warmup_;
  }

  std::vector<LintWarning> Run() {
    CheckLength();
    CheckEtaMin();
    CheckUnit();
    CheckWarmupLength();
    CheckMissingWarmup();
    CheckFixedWarmupSteps();
    CheckWarmupRoundsToZero();
    CheckStepDrops();
    CheckDoubleWarmup();
    return std::move(warnings_);
  }

 private:
  void Warn(const std::string& check, const std::string& key, std::string message,
            std::string fix) {
    auto location = raw_.locations.find(key);
    if (location == raw_.locations.end()) location = raw_.locations.find("type");
    warnings_.push_back({check, location == raw_.locations.end() ? "" : location->second, key,
                         std::move(message), std::move(fix)});
  }

  std::string Unit() const { return std::string(UnitName(spec_.unit)); }

  void CheckLength() {
    if (spec_.type == ScheduleType::kCosine && raw_.t_max && *raw_.t_max != main_) {
      Warn("t_max_mismatch", "t_max",
           fmt::format("t_max is {} but {} {}s follow the warmup: the LR {}", *raw_.t_max, main_,
                       Unit(),
                       *raw_.t_max < main_ ? "climbs back up after reaching eta_min"
                                           : "never finishes its decay"),
           fmt::format("remove t_max (it defaults to the {}s after warmup) or set t_max: {}",
                       Unit(), main_));
    }
    if (spec_.type == ScheduleType::kPolynomial && raw_.total_iters && *raw_.total_iters < main_) {
      Warn("t_max_mismatch", "total_iters",
           fmt::format("total_iters is {} but {} {}s follow the warmup: the LR is 0 for the "
                       "last {}",
                       *raw_.total_iters, main_, Unit(), main_ - *raw_.total_iters),
           fmt::format("remove total_iters or set total_iters: {}", main_));
    }
  }

  void CheckEtaMin() {
    if ((spec_.type == ScheduleType::kCosine || spec_.type == ScheduleType::kCosineRestarts) &&
        spec_.eta_min == 0.0) {
      Warn("eta_min_zero", raw_.IsExplicit("eta_min") ? "eta_min" : "type",
           "eta_min is 0: the LR reaches 0 and the last steps of each cycle learn nothing",
           fmt::format("set a small floor, e.g. eta_min: {:g} (lr / 100)", spec_.lr / 100));
    }
  }

  void CheckUnit() {
    const bool per_step_type =
        spec_.type == ScheduleType::kOneCycle || spec_.type == ScheduleType::kInverseSqrt;
    if (per_step_type && spec_.unit == ScheduleUnit::kEpoch) {
      Warn("step_schedule_by_epoch", "unit",
           fmt::format("{} is designed to change the LR every optimizer step; stepped per epoch "
                       "it moves in a few coarse jumps",
                       std::string(ScheduleTypeName(spec_.type))),
           "use unit: step");
    }
    if (spec_.type == ScheduleType::kPlateau && spec_.unit == ScheduleUnit::kStep) {
      Warn("plateau_by_step", "unit",
           "plateau with unit: step compares per-step metrics: patience counts noisy steps, not "
           "epochs, and the LR collapses early",
           "use unit: epoch (the default for plateau)");
    }
  }

  int64_t TotalWarmup() const {
    int64_t warmup = warmup_;
    if (spec_.type == ScheduleType::kWsd || spec_.type == ScheduleType::kInverseSqrt) {
      warmup += spec_.warmup_steps;
    }
    if (spec_.type == ScheduleType::kSequential && !spec_.segments.empty()) {
      // A first segment that ramps up (linear from a lower factor, or its own warmup) warms up.
      const ScheduleSpec& first = spec_.segments.front();
      if (first.warmup) {
        warmup += *first.warmup->steps;
      } else if (first.type == ScheduleType::kLinear && first.start_factor < first.end_factor) {
        warmup += std::min(*first.total_iters, spec_.milestones.empty() ? main_
                                                                        : spec_.milestones[0]);
      }
    }
    return warmup;
  }

  void CheckWarmupLength() {
    const int64_t warmup = TotalWarmup();
    const double share = static_cast<double>(warmup) / static_cast<double>(total_);
    if (share > kMaxWarmupShare) {
      const std::string key = raw_.warmup ? (raw_.warmup->steps ? "warmup.steps"
                                                                : "warmup.fraction")
                                          : "warmup_steps";
      Warn("long_warmup", key,
           fmt::format("warmup takes {} of {} {}s ({:.0f}% of training); the model spends most "
                       "of the run below its peak LR",
                       warmup, total_, Unit(), 100 * share),
           "keep warmup to 1-10% of training, e.g. warmup: {fraction: 0.05}");
    }
  }

  void CheckMissingWarmup() {
    if (spec_.type == ScheduleType::kOneCycle || TotalWarmup() > 0) return;
    const bool adamw = context_.optimizer && *context_.optimizer == "adamw";
    const bool large_batch = context_.batch_size && *context_.batch_size > kLargeBatch;
    if (!adamw && !large_batch) return;
    const std::string why =
        adamw ? "AdamW's second-moment estimates are unreliable in the first steps"
              : fmt::format("a batch size of {} with a scaled-up LR", *context_.batch_size);
    Warn("missing_warmup", raw_.warmup ? "warmup.fraction" : "type",
         fmt::format("no warmup: {}, so starting at the peak LR risks an early divergence", why),
         "add warmup: {fraction: 0.05}");
  }

  // A fraction of a short run can round to no warmup at all: the configuration then equals the
  // same schedule without warmup, and a sweep comparing the two compares nothing.
  void CheckWarmupRoundsToZero() {
    if (!raw_.warmup || !raw_.warmup->fraction || *raw_.warmup->fraction <= 0 || warmup_ > 0) {
      return;
    }
    const int64_t needed = static_cast<int64_t>(std::ceil(0.5 / *raw_.warmup->fraction));
    Warn("warmup_rounds_to_zero", "warmup.fraction",
         fmt::format("warmup.fraction {:g} of {} {}s rounds to 0 {}s: this trial has no warmup, "
                     "the same as one without it",
                     *raw_.warmup->fraction, total_, Unit(), Unit()),
         fmt::format("train for at least {} {}s, use a larger fraction, or give warmup.steps",
                     needed, Unit()));
  }

  void CheckFixedWarmupSteps() {
    if (!context_.length_from_epochs || !raw_.warmup || !raw_.warmup->steps ||
        *raw_.warmup->steps == 0) {
      return;
    }
    Warn("fixed_warmup_steps", "warmup.steps",
         fmt::format("warmup.steps is fixed at {} while the run length follows the data size: "
                     "with more or less data it becomes a different share of training",
                     *raw_.warmup->steps),
         fmt::format("use warmup: {{fraction: {:.3g}}} instead",
                     static_cast<double>(*raw_.warmup->steps) / static_cast<double>(total_)));
  }

  void CheckStepDrops() {
    int64_t drops = 0;
    std::string key;
    if (spec_.type == ScheduleType::kStep) {
      drops = main_ > 0 ? (main_ - 1) / spec_.step_size : 0;
      key = "step_size";
    } else if (spec_.type == ScheduleType::kMultiStep) {
      for (int64_t milestone : spec_.milestones) drops += milestone < main_ ? 1 : 0;
      key = "milestones";
    } else {
      return;
    }
    if (drops > kMaxStepDrops) {
      Warn("many_step_drops", key,
           fmt::format("{} LR drops by gamma {:g}: the LR ends at {:.3g} (x{:.3g}), too small to "
                       "make progress after the third drop",
                       drops, spec_.gamma, spec_.lr * std::pow(spec_.gamma, drops),
                       std::pow(spec_.gamma, drops)),
           "use at most 3 drops (e.g. at 50%, 75%, 90% of training) or a cosine decay");
    }
  }

  void CheckDoubleWarmup() {
    if (spec_.type == ScheduleType::kOneCycle && warmup_ > 0) {
      Warn("double_warmup", raw_.warmup->steps ? "warmup.steps" : "warmup.fraction",
           "onecycle already warms up for pct_start of training; the warmup block adds a second "
           "ramp before it",
           "remove the warmup block and tune pct_start instead");
    }
  }

  const ScheduleSpec& raw_;
  const ScheduleSpec& spec_;
  int64_t total_;
  const LintContext& context_;
  int64_t warmup_ = 0;
  int64_t main_ = 0;
  std::vector<LintWarning> warnings_;
};

}  // namespace

std::vector<LintWarning> LintSchedule(const ScheduleSpec& spec, const Horizon& horizon,
                                      const LintContext& context) {
  absl::StatusOr<ScheduleSpec> resolved = ResolveSchedule(spec, horizon);
  if (!resolved.ok()) return {};
  absl::StatusOr<int64_t> total = TotalTicks(spec, horizon);
  if (!total.ok()) return {};
  return Linter(spec, *resolved, *total, context).Run();
}

std::string FormatLintWarning(const LintWarning& warning) {
  return absl::StrCat("warning: ", warning.location.empty() ? "" : warning.location + ": ",
                      "schedule.", warning.key, ": ", warning.message, ". Fix: ", warning.fix,
                      " [", warning.check, "]");
}

}  // namespace lrsweep
