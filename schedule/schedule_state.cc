#include "schedule/schedule_state.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace lrsweep {
namespace {

nlohmann::json EncodeDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

absl::Status ReadDouble(const nlohmann::json& json, const char* key, double* out) {
  if (!json.contains(key)) {
    return absl::InvalidArgumentError(absl::StrCat("schedule state: missing '", key, "'"));
  }
  const nlohmann::json& value = json.at(key);
  if (value.is_number()) {
    *out = value.get<double>();
    return absl::OkStatus();
  }
  if (value == "inf" || value == "-inf") {
    *out = value == "inf" ? std::numeric_limits<double>::infinity()
                          : -std::numeric_limits<double>::infinity();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("schedule state: '", key, "' must be a number, got ", value.dump()));
}

absl::Status ReadInt(const nlohmann::json& json, const char* key, int64_t* out) {
  if (!json.contains(key) || !json.at(key).is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule state: '", key, "' must be a whole number"));
  }
  *out = json.at(key).get<int64_t>();
  return absl::OkStatus();
}

}  // namespace

bool ScheduleState::operator==(const ScheduleState& other) const {
  auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  return step == other.step && same(lr, other.lr) && momentum == other.momentum &&
         restart_cycle == other.restart_cycle && t_cur == other.t_cur && t_i == other.t_i &&
         same(plateau_lr, other.plateau_lr) && same(plateau_best, other.plateau_best) &&
         plateau_num_bad_epochs == other.plateau_num_bad_epochs &&
         plateau_cooldown_counter == other.plateau_cooldown_counter &&
         plateau_metrics_seen == other.plateau_metrics_seen;
}

nlohmann::json ScheduleStateToJson(const ScheduleState& state) {
  nlohmann::json json;
  json["step"] = state.step;
  json["lr"] = EncodeDouble(state.lr);
  if (state.momentum) json["momentum"] = EncodeDouble(*state.momentum);
  json["restart_cycle"] = state.restart_cycle;
  json["t_cur"] = state.t_cur;
  json["t_i"] = state.t_i;
  json["plateau_lr"] = EncodeDouble(state.plateau_lr);
  json["plateau_best"] = EncodeDouble(state.plateau_best);
  json["plateau_num_bad_epochs"] = state.plateau_num_bad_epochs;
  json["plateau_cooldown_counter"] = state.plateau_cooldown_counter;
  json["plateau_metrics_seen"] = state.plateau_metrics_seen;
  return json;
}

absl::StatusOr<ScheduleState> ScheduleStateFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError("schedule state: expected a JSON object");
  }
  ScheduleState state;
  absl::Status status;
  for (auto [key, out] : std::initializer_list<std::pair<const char*, int64_t*>>{
           {"step", &state.step},
           {"restart_cycle", &state.restart_cycle},
           {"t_cur", &state.t_cur},
           {"t_i", &state.t_i},
           {"plateau_num_bad_epochs", &state.plateau_num_bad_epochs},
           {"plateau_cooldown_counter", &state.plateau_cooldown_counter},
           {"plateau_metrics_seen", &state.plateau_metrics_seen}}) {
    if (status = ReadInt(json, key, out); !status.ok()) return status;
  }
  for (auto [key, out] : std::initializer_list<std::pair<const char*, double*>>{
           {"lr", &state.lr},
           {"plateau_lr", &state.plateau_lr},
           {"plateau_best", &state.plateau_best}}) {
    if (status = ReadDouble(json, key, out); !status.ok()) return status;
  }
  if (json.contains("momentum")) {
    double momentum = 0;
    if (status = ReadDouble(json, "momentum", &momentum); !status.ok()) return status;
    state.momentum = momentum;
  }
  return state;
}

}  // namespace lrsweep
