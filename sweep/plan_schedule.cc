#include "sweep/plan_schedule.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule_parser.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

absl::StatusOr<Schedule> ScheduleOfPlan(const std::string& plan_json, const std::string& where) {
  const nlohmann::ordered_json plan =
      nlohmann::ordered_json::parse(plan_json, nullptr, /*allow_exceptions=*/false);
  if (plan.is_discarded() || !plan.is_object() || !plan.contains("schedule") ||
      !plan.contains("total_steps") || !plan["total_steps"].is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": its plan has no schedule (was it planned by an older lrsweep?)"));
  }
  YAML::Node node;
  try {
    node = YAML::Load(plan["schedule"].dump());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": unreadable schedule: ", e.what()));
  }
  ASSIGN_OR_RETURN(ScheduleSpec spec, ParseScheduleSpec(node, YamlReader(where), "schedule"));
  const int64_t steps_per_epoch =
      plan.contains("steps_per_epoch") && plan["steps_per_epoch"].is_number_integer()
          ? plan["steps_per_epoch"].get<int64_t>()
          : 0;
  return Schedule::Create(spec, Horizon{plan["total_steps"].get<int64_t>(), steps_per_epoch});
}

}  // namespace lrsweep
