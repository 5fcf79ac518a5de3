#include "cli/schedule_export.h"

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule.h"
#include "schedule/schedule_parser.h"
#include "schedule/schedule_pytorch.h"
#include "sweep/plan_schedule.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {
namespace {

// JSON as a YAML node. Numbers are written as their shortest round-trip text (0.1, not
// 0.10000000000000001).
YAML::Node ToYamlNode(const nlohmann::ordered_json& json) {
  if (json.is_object()) {
    YAML::Node node(YAML::NodeType::Map);
    for (const auto& item : json.items()) node[item.key()] = ToYamlNode(item.value());
    return node;
  }
  if (json.is_array()) {
    YAML::Node node(YAML::NodeType::Sequence);
    for (const auto& item : json) node.push_back(ToYamlNode(item));
    // Short lists of numbers (milestones) read best on one line.
    if (!json.empty() && !json[0].is_structured()) node.SetStyle(YAML::EmitterStyle::Flow);
    return node;
  }
  if (json.is_string()) return YAML::Node(json.get<std::string>());
  if (json.is_boolean()) return YAML::Node(json.get<bool>());
  if (json.is_number_float()) return YAML::Node(fmt::format("{}", json.get<double>()));
  return YAML::Node(json.dump());
}

struct TrialSchedule {
  Schedule schedule;
  std::string params;
};

absl::StatusOr<TrialSchedule> ScheduleOfTrial(const v1::TrialInfo& trial) {
  const std::string where = absl::StrCat("trial ", trial.trial(), " of sweep ", trial.sweep_id());
  ASSIGN_OR_RETURN(Schedule schedule, ScheduleOfPlan(trial.plan_json(), where));
  const nlohmann::ordered_json plan =
      nlohmann::ordered_json::parse(trial.plan_json(), nullptr, /*allow_exceptions=*/false);
  return TrialSchedule{std::move(schedule),
                       plan.contains("params") ? plan["params"].dump() : std::string("{}")};
}

std::string ScheduleYaml(const v1::TrialInfo& trial, const TrialSchedule& exported) {
  const Horizon& horizon = exported.schedule.horizon();
  YAML::Node root(YAML::NodeType::Map);
  root["schedule"] = ToYamlNode(ScheduleSpecToJson(exported.schedule.spec()));
  YAML::Emitter emitter;
  emitter << root;
  return fmt::format(
      "# The schedule trial {} of sweep {} trained with ({}), resolved for its run:\n"
      "#   lrsweep schedule THIS_FILE --total-steps {}{}\n"
      "# prints the LR it used at every step.\n{}\n",
      trial.trial(), trial.sweep_id(), exported.params, horizon.total_steps,
      horizon.steps_per_epoch > 0 ? fmt::format(" --steps-per-epoch {}", horizon.steps_per_epoch)
                                  : "",
      emitter.c_str());
}

}  // namespace

absl::StatusOr<std::string> ExportTrialSchedule(const v1::TrialInfo& trial,
                                                const std::string& format) {
  if (format != "yaml" && format != "pytorch") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: unknown format '", format, "'; use yaml or pytorch"));
  }
  ASSIGN_OR_RETURN(TrialSchedule exported, ScheduleOfTrial(trial));
  if (format == "pytorch") {
    ASSIGN_OR_RETURN(std::string code, PytorchSchedulerCode(exported.schedule));
    return absl::StrCat("# Trial ", trial.trial(), " of sweep ", trial.sweep_id(), " (",
                        exported.params, ")\n", code);
  }
  return ScheduleYaml(trial, exported);
}

absl::Status RunScheduleExport(CoordinatorClient& client, const ScheduleExportOptions& options,
                               std::ostream& out) {
  ASSIGN_OR_RETURN(std::vector<v1::TrialInfo> trials, client.ListTrials(options.sweep_id));
  for (const v1::TrialInfo& trial : trials) {
    if (trial.trial() != options.trial) continue;
    ASSIGN_OR_RETURN(std::string text, ExportTrialSchedule(trial, options.format));
    if (options.output.empty()) {
      out << text;
      return absl::OkStatus();
    }
    return WriteFileAtomically(options.output, text);
  }
  return absl::NotFoundError(absl::StrCat("sweep ", options.sweep_id, " has no trial ",
                                          options.trial, " (it has ", trials.size(),
                                          " trials, numbered from 0)"));
}

}  // namespace lrsweep
