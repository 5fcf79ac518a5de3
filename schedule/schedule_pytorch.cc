#include "schedule/schedule_pytorch.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

// HuggingFace's lr_lambda formulas (transformers/optimization.py), as the code defines them.
constexpr char kInverseSqrtDef[] = R"(def hf_inverse_sqrt(warmup, timescale):
    # transformers' get_inverse_sqrt_schedule
    def factor(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return 1.0 / math.sqrt((step + timescale - warmup) / timescale)
    return factor
)";

constexpr char kWsdDef[] = R"(def hf_wsd(warmup, stable, decay, warmup_type, decay_type, min_lr_ratio, num_cycles):
    # transformers' get_wsd_schedule
    def shape(kind, progress, decaying):
        if kind == "linear":
            return 1.0 - progress if decaying else progress
        if kind == "cosine":
            if decaying:
                return 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
            return 0.5 * (1.0 - math.cos(math.pi * progress))
        return 1.0 - math.sqrt(progress) if decaying else 1.0 - math.sqrt(1.0 - progress)

    def factor(step):
        if step < warmup:
            f = shape(warmup_type, float(step) / float(max(1, warmup)), False)
            return max(0.0, f * (1.0 - min_lr_ratio) + min_lr_ratio)
        if step < warmup + stable:
            return 1.0
        if step < warmup + stable + decay:
            f = shape(decay_type, float(step - warmup - stable) / float(max(1, decay)), True)
            return max(0.0, f * (1.0 - min_lr_ratio) + min_lr_ratio)
        return min_lr_ratio
    return factor
)";

constexpr char kHardRestartsDef[] = R"(def hf_cosine_with_hard_restarts(total, num_cycles, min_ratio):
    # transformers' get_cosine_with_hard_restarts_schedule_with_warmup, floored at eta_min
    def factor(step):
        progress = float(step) / float(max(1, total))
        f = 0.0
        if progress < 1.0:
            f = max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))
        return min_ratio + (1.0 - min_ratio) * f
    return factor
)";

std::string Py(double value) { return fmt::format("{}", value); }
std::string Py(bool value) { return value ? "True" : "False"; }
std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// One scheduler of the flattened sequence and the ticks it runs.
struct Part {
  std::string code;
  int64_t ticks = 0;
};

// Collects the parts of a schedule (warmup, main, a sequential's segments) and the helper
// functions their code needs.
class CodeWriter {
 public:
  absl::Status Add(const ScheduleSpec& spec, int64_t ticks, bool nested) {
    const int64_t warmup = spec.warmup ? *spec.warmup->steps : 0;
    if (warmup > 0) parts_.push_back({WarmupCode(*spec.warmup, warmup), warmup});
    const int64_t main = ticks - warmup;
    if (spec.type == ScheduleType::kSequential) {
      int64_t start = 0;
      for (size_t i = 0; i < spec.segments.size(); ++i) {
        const int64_t end = i < spec.milestones.size() ? spec.milestones[i] : main;
        RETURN_IF_ERROR(Add(spec.segments[i], end - start, /*nested=*/true));
        start = end;
      }
      return absl::OkStatus();
    }
    if ((spec.type == ScheduleType::kOneCycle || spec.type == ScheduleType::kPlateau) &&
        (nested || warmup > 0)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a ", ScheduleTypeName(spec.type), " schedule after a warmup or in a sequential "
          "schedule has no torch.optim.lr_scheduler form: ",
          spec.type == ScheduleType::kOneCycle
              ? "OneCycleLR rewrites the optimizer's initial_lr, which SequentialLR restarts "
                "the others from; use onecycle's own pct_start instead of a warmup"
              : "SequentialLR cannot step ReduceLROnPlateau with a metric"));
    }
    parts_.push_back({MainCode(spec, main), main});
    return absl::OkStatus();
  }

  // The whole program text: header comment, imports, helpers, `scheduler = ...`.
  std::string Finish(const Schedule& schedule) const {
    const ScheduleSpec& spec = schedule.spec();
    const std::string unit(UnitName(spec.unit));
    std::string out = fmt::format(
        "# lrsweep schedule: {}, lr {}, {} {}s. Create `optimizer` with lr={} first.\n",
        std::string(ScheduleTypeName(spec.type)), Py(spec.lr), schedule.total_ticks(), unit, Py(spec.lr));
    out += spec.type == ScheduleType::kPlateau
               ? fmt::format("# Call scheduler.step(metric) once per {} with the monitored "
                             "metric (mode {}).\n",
                             unit, spec.mode == PlateauMode::kMin ? "min" : "max")
               : fmt::format("# Call scheduler.step() once per {}, after optimizer.step().\n",
                             unit);
    if (!helpers_.empty()) out += "import math\n";
    out += "from torch.optim import lr_scheduler\n\n";
    for (const auto& helper : helpers_) absl::StrAppend(&out, helper.second, "\n");
    if (parts_.size() == 1) return absl::StrCat(out, "scheduler = ", parts_[0].code, "\n");
    std::vector<int64_t> milestones;
    int64_t at = 0;
    out += "scheduler = lr_scheduler.SequentialLR(optimizer, [\n";
    for (size_t i = 0; i < parts_.size(); ++i) {
      absl::StrAppend(&out, "    ", parts_[i].code, ",\n");
      at += parts_[i].ticks;
      if (i + 1 < parts_.size()) milestones.push_back(at);
    }
    return absl::StrCat(out, "], milestones=[", absl::StrJoin(milestones, ", "), "])\n");
  }

 private:
  static std::string WarmupCode(const WarmupSpec& warmup, int64_t ticks) {
    if (warmup.shape == WarmupShape::kConstant) {
      return fmt::format("lr_scheduler.ConstantLR(optimizer, factor={}, total_iters={})",
                         Py(warmup.start_factor), ticks);
    }
    if (warmup.start_factor > 0) {
      return fmt::format(
          "lr_scheduler.LinearLR(optimizer, start_factor={}, end_factor=1.0, total_iters={})",
          Py(warmup.start_factor), ticks);
    }
    // LinearLR cannot start from 0.
    return fmt::format("lr_scheduler.LambdaLR(optimizer, lambda step: step / {})", ticks);
  }

  std::string MainCode(const ScheduleSpec& s, int64_t main) {
    switch (s.type) {
      case ScheduleType::kConstant:
        return "lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)";
      case ScheduleType::kStep:
        return fmt::format("lr_scheduler.StepLR(optimizer, step_size={}, gamma={})", s.step_size,
                           Py(s.gamma));
      case ScheduleType::kMultiStep:
        return fmt::format("lr_scheduler.MultiStepLR(optimizer, milestones=[{}], gamma={})",
                           absl::StrJoin(s.milestones, ", "), Py(s.gamma));
      case ScheduleType::kExponential:
        return fmt::format("lr_scheduler.ExponentialLR(optimizer, gamma={})", Py(s.gamma));
      case ScheduleType::kCosine:
        return fmt::format("lr_scheduler.CosineAnnealingLR(optimizer, T_max={}, eta_min={})",
                           *s.t_max, Py(s.eta_min));
      case ScheduleType::kCosineRestarts:
        return RestartsCode(s, main);
      case ScheduleType::kOneCycle:
        return OneCycleCode(s, main);
      case ScheduleType::kLinear:
        return fmt::format(
            "lr_scheduler.LinearLR(optimizer, start_factor={}, end_factor={}, total_iters={})",
            Py(s.start_factor), Py(s.end_factor), *s.total_iters);
      case ScheduleType::kPolynomial:
        return fmt::format("lr_scheduler.PolynomialLR(optimizer, total_iters={}, power={})",
                           *s.total_iters, Py(s.power));
      case ScheduleType::kInverseSqrt:
        helpers_["inverse_sqrt"] = kInverseSqrtDef;
        return fmt::format("lr_scheduler.LambdaLR(optimizer, hf_inverse_sqrt({}, {}))",
                           s.warmup_steps, *s.timescale);
      case ScheduleType::kWsd:
        helpers_["wsd"] = kWsdDef;
        return fmt::format(
            "lr_scheduler.LambdaLR(optimizer, hf_wsd({}, {}, {}, {}, {}, {}, {}))", s.warmup_steps,
            *s.stable_steps, *s.decay_steps, Quoted(WsdShapeName(s.warmup_type)),
            Quoted(WsdShapeName(s.decay_type)), Py(s.min_lr_ratio), Py(s.num_cycles));
      case ScheduleType::kPlateau:
        return PlateauCode(s);
      case ScheduleType::kCyclic:
        return CyclicCode(s);
      case ScheduleType::kSequential:
        break;  // flattened by Add()
    }
    return "";
  }

  std::string RestartsCode(const ScheduleSpec& s, int64_t main) {
    if (s.t_0 > 0) {
      return fmt::format(
          "lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0={}, T_mult={}, eta_min={})",
          s.t_0, s.t_mult, Py(s.eta_min));
    }
    helpers_["hard_restarts"] = kHardRestartsDef;
    return fmt::format(
        "lr_scheduler.LambdaLR(optimizer, hf_cosine_with_hard_restarts({}, {}, {} / {}))", main,
        Py(s.num_cycles), Py(s.eta_min), Py(s.lr));
  }

  static std::string OneCycleCode(const ScheduleSpec& s, int64_t main) {
    return fmt::format(
        "lr_scheduler.OneCycleLR(optimizer, max_lr={}, total_steps={}, pct_start={}, "
        "anneal_strategy={}, cycle_momentum={}, base_momentum={}, max_momentum={}, "
        "div_factor={}, final_div_factor={}, three_phase={})",
        Py(s.lr), main, Py(s.pct_start),
        Quoted(s.anneal_strategy == AnnealStrategy::kCos ? "cos" : "linear"),
        Py(s.cycle_momentum), Py(s.base_momentum), Py(s.max_momentum), Py(s.div_factor),
        Py(s.final_div_factor), Py(s.three_phase));
  }

  static std::string PlateauCode(const ScheduleSpec& s) {
    return fmt::format(
        "lr_scheduler.ReduceLROnPlateau(optimizer, mode={}, factor={}, patience={}, "
        "threshold={}, threshold_mode={}, cooldown={}, min_lr={}, eps={})",
        Quoted(s.mode == PlateauMode::kMin ? "min" : "max"), Py(s.factor), s.patience,
        Py(s.threshold), Quoted(s.threshold_mode == ThresholdMode::kRel ? "rel" : "abs"),
        s.cooldown, Py(s.min_lr), Py(s.eps));
  }

  static std::string CyclicCode(const ScheduleSpec& s) {
    const char* mode = s.cyclic_mode == CyclicMode::kTriangular    ? "triangular"
                       : s.cyclic_mode == CyclicMode::kTriangular2 ? "triangular2"
                                                                   : "exp_range";
    return fmt::format(
        "lr_scheduler.CyclicLR(optimizer, base_lr={}, max_lr={}, step_size_up={}, "
        "step_size_down={}, mode={}, gamma={}, cycle_momentum={}, base_momentum={}, "
        "max_momentum={})",
        Py(s.base_lr), Py(s.lr), s.step_size_up, s.step_size_down.value_or(s.step_size_up),
        Quoted(mode), Py(s.gamma), Py(s.cycle_momentum), Py(s.base_momentum),
        Py(s.max_momentum));
  }

  std::vector<Part> parts_;
  std::map<std::string, std::string> helpers_;  // by name, so each is defined once
};

}  // namespace

absl::StatusOr<std::string> PytorchSchedulerCode(const Schedule& schedule) {
  CodeWriter writer;
  RETURN_IF_ERROR(writer.Add(schedule.spec(), schedule.total_ticks(), /*nested=*/false));
  return writer.Finish(schedule);
}

}  // namespace lrsweep
