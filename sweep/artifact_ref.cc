#include "sweep/artifact_ref.h"

#include "fmt/format.h"

namespace lrsweep {

bool TensorFileSummary::ClassIndexTargets() const {
  return target_shape.size() == 1 &&
         (target_dtype == "int64" || target_dtype == "int32" || target_dtype == "int16" ||
          target_dtype == "int8" || target_dtype == "uint8");
}

nlohmann::ordered_json ArtifactRefToJson(const ArtifactRef& ref) {
  nlohmann::ordered_json out = {
      {"path", ref.path}, {"sha256", ref.sha256}, {"bytes", ref.bytes}, {"upload", ref.upload}};
  if (ref.tensors) {
    out["examples"] = ref.tensors->examples;
    out["input_shape"] = ref.tensors->input_shape;
    out["input_dtype"] = ref.tensors->input_dtype;
    out["target_shape"] = ref.tensors->target_shape;
    out["target_dtype"] = ref.tensors->target_dtype;
  }
  return out;
}

ArtifactRef ArtifactRefFromJson(const nlohmann::json& json) {
  ArtifactRef ref;
  ref.path = json.at("path").get<std::string>();
  ref.sha256 = json.at("sha256").get<std::string>();
  ref.bytes = json.at("bytes").get<int64_t>();
  ref.upload = json.value("upload", true);
  if (json.contains("examples")) {
    TensorFileSummary tensors;
    tensors.examples = json.at("examples").get<int64_t>();
    tensors.input_shape = json.at("input_shape").get<std::vector<int64_t>>();
    tensors.input_dtype = json.at("input_dtype").get<std::string>();
    tensors.target_shape = json.at("target_shape").get<std::vector<int64_t>>();
    tensors.target_dtype = json.at("target_dtype").get<std::string>();
    ref.tensors = tensors;
  }
  return ref;
}

std::string DescribeArtifact(const ArtifactRef& ref) {
  const double kb = static_cast<double>(ref.bytes) / 1000.0;
  const std::string size =
      kb < 1000 ? fmt::format("{:.1f} KB", kb) : fmt::format("{:.1f} MB", kb / 1000.0);
  return fmt::format("{} (sha256 {}…, {})", ref.path, ref.sha256.substr(0, 12), size);
}

}  // namespace lrsweep
