#include "schedule/schedule_spec.h"

#include <algorithm>

namespace lrsweep {
namespace {

struct TypeInfo {
  ScheduleType type;
  std::string name;
  std::vector<std::string> keys;  // type-specific keys
};

const std::vector<TypeInfo>& TypeTable() {
  static const auto* table = new std::vector<TypeInfo>{
      {ScheduleType::kConstant, "constant", {}},
      {ScheduleType::kStep, "step", {"step_size", "gamma"}},
      {ScheduleType::kMultiStep, "multistep", {"milestones", "gamma"}},
      {ScheduleType::kExponential, "exponential", {"gamma"}},
      {ScheduleType::kCosine, "cosine", {"t_max", "eta_min"}},
      {ScheduleType::kCosineRestarts,
       "cosine_restarts",
       {"t_0", "t_mult", "num_cycles", "eta_min"}},
      {ScheduleType::kOneCycle,
       "onecycle",
       {"max_lr", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase",
        "cycle_momentum", "base_momentum", "max_momentum"}},
      {ScheduleType::kLinear, "linear", {"start_factor", "end_factor", "total_iters"}},
      {ScheduleType::kPolynomial, "polynomial", {"total_iters", "power"}},
      {ScheduleType::kInverseSqrt, "inverse_sqrt", {"warmup_steps", "timescale"}},
      {ScheduleType::kWsd,
       "wsd",
       {"warmup_steps", "stable_steps", "decay_steps", "warmup_type", "decay_type",
        "min_lr_ratio", "num_cycles"}},
      {ScheduleType::kPlateau,
       "plateau",
       {"mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"}},
      {ScheduleType::kCyclic,
       "cyclic",
       {"max_lr", "base_lr", "step_size_up", "step_size_down", "mode", "gamma", "cycle_momentum",
        "base_momentum", "max_momentum"}},
      {ScheduleType::kSequential, "sequential", {"schedules", "milestones"}},
  };
  return *table;
}

const TypeInfo& Info(ScheduleType type) {
  for (const TypeInfo& info : TypeTable()) {
    if (info.type == type) return info;
  }
  return TypeTable().front();
}

}  // namespace

bool ScheduleSpec::IsExplicit(absl::string_view key) const {
  return std::find(explicit_keys.begin(), explicit_keys.end(), key) != explicit_keys.end();
}

const std::vector<std::string>& ScheduleTypeNames() {
  static const auto* names = [] {
    auto* result = new std::vector<std::string>;
    for (const TypeInfo& info : TypeTable()) result->push_back(info.name);
    return result;
  }();
  return *names;
}

absl::string_view ScheduleTypeName(ScheduleType type) { return Info(type).name; }

std::optional<ScheduleType> ParseScheduleTypeName(absl::string_view name) {
  for (const TypeInfo& info : TypeTable()) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

const std::vector<std::string>& AcceptedScheduleKeys(ScheduleType type) {
  static const auto* keys_by_type = [] {
    auto* result = new std::map<ScheduleType, std::vector<std::string>>;
    for (const TypeInfo& info : TypeTable()) {
      std::vector<std::string> keys = {"type", "lr", "unit", "warmup"};
      keys.insert(keys.end(), info.keys.begin(), info.keys.end());
      (*result)[info.type] = std::move(keys);
    }
    return result;
  }();
  return keys_by_type->at(type);
}

bool AcceptsScheduleKey(ScheduleType type, absl::string_view key) {
  const std::vector<std::string>& keys = AcceptedScheduleKeys(type);
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

absl::string_view UnitName(ScheduleUnit unit) {
  return unit == ScheduleUnit::kStep ? "step" : "epoch";
}

absl::string_view WsdShapeName(WsdShape shape) {
  switch (shape) {
    case WsdShape::kLinear:
      return "linear";
    case WsdShape::kCosine:
      return "cosine";
    case WsdShape::kOneMinusSqrt:
      return "1-sqrt";
  }
  return "linear";
}

}  // namespace lrsweep
