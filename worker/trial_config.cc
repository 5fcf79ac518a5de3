#include "worker/trial_config.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule_parser.h"

namespace lrsweep {
namespace {

// The plan's "artifacts": the files its train mapping names, pinned by digest.
absl::StatusOr<ArtifactManifest> ParseTrialArtifacts(const std::string& plan_json) {
  ArtifactManifest artifacts;
  try {
    const nlohmann::json plan = nlohmann::json::parse(plan_json);
    if (!plan.contains("artifacts")) return artifacts;
    for (const auto& [path, ref] : plan.at("artifacts").items()) {
      artifacts[path] = ArtifactRefFromJson(ref);
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("trial plan: artifacts: ", e.what()));
  }
  return artifacts;
}

}  // namespace

absl::StatusOr<TrialConfig> ParseTrialConfig(const std::string& plan_json) {
  // JSON is YAML: the same parsers (and their checks) read the plan.
  ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(plan_json, "trial plan"));
  const YamlReader reader("trial plan");
  RETURN_IF_ERROR(reader.RequireMap(root, ""));
  TrialConfig config;
  ASSIGN_OR_RETURN(config.trial, reader.Int(root["trial"], "trial"));
  ASSIGN_OR_RETURN(config.seed, reader.Int(root["seed"], "seed"));
  ASSIGN_OR_RETURN(config.total_steps, reader.Int(root["total_steps"], "total_steps"));
  ASSIGN_OR_RETURN(config.steps_per_epoch, reader.Int(root["steps_per_epoch"], "steps_per_epoch"));
  ASSIGN_OR_RETURN(ArtifactManifest artifacts, ParseTrialArtifacts(plan_json));
  ASSIGN_OR_RETURN(config.train, ParseTrainSpec(root["train"], reader, "train", artifacts));
  ASSIGN_OR_RETURN(config.schedule, ParseScheduleSpec(root["schedule"], reader, "schedule"));
  if (root["checkpoint"].IsDefined()) {
    ASSIGN_OR_RETURN(config.checkpoint_every_steps,
                     reader.Int(root["checkpoint"]["every_steps"], "checkpoint.every_steps"));
    ASSIGN_OR_RETURN(config.checkpoint_every_minutes,
                     reader.Double(root["checkpoint"]["every_minutes"], "checkpoint.every_minutes"));
  }
  if (config.total_steps != config.train.TotalSteps() ||
      config.steps_per_epoch != config.train.StepsPerEpoch()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trial plan: total_steps/steps_per_epoch (", config.total_steps, "/",
        config.steps_per_epoch, ") disagree with its train mapping (", config.train.TotalSteps(),
        "/", config.train.StepsPerEpoch(), "); the coordinator and worker versions differ"));
  }
  return config;
}

}  // namespace lrsweep
