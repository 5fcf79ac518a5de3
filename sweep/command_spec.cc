#include "sweep/command_spec.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

absl::Status ParseArgv(const YAML::Node& node, const YamlReader& reader, const std::string& path,
                       std::vector<std::string>* argv) {
  if (IsScalarNode(node)) {
    ASSIGN_OR_RETURN(std::string text, reader.String(node, path));
    if (text.empty()) return reader.Error(node, path, "must not be empty");
    *argv = {"/bin/sh", "-c", text};
    return absl::OkStatus();
  }
  if (!IsSequenceNode(node) || node.size() == 0) {
    return reader.Error(node, path, "must be the program and its arguments, e.g. "
                                    "[python3, train.py, --data, /data], or one shell command "
                                    "line as a string");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    if (!IsScalarNode(node[i])) {
      return reader.Error(node[i], item_path, "each argument must be a string");
    }
    argv->push_back(node[i].Scalar());
  }
  if ((*argv)[0].empty()) return reader.Error(node[0], path + "[0]", "names no program");
  return absl::OkStatus();
}

absl::Status ParseEnv(const YAML::Node& node, const YamlReader& reader, const std::string& path,
                      std::map<std::string, std::string>* env) {
  RETURN_IF_ERROR(reader.RequireMap(node, path));
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string key_path = JoinPath(path, key);
    if (key.empty() || key.find('=') != std::string::npos) {
      return reader.Error(entry.first, key_path, "is not a variable name");
    }
    if (key.rfind("LRSWEEP_", 0) == 0) {
      return reader.Error(entry.first, key_path, "LRSWEEP_ variables are set by the worker");
    }
    ASSIGN_OR_RETURN((*env)[key], reader.String(entry.second, key_path));
  }
  return absl::OkStatus();
}

absl::Status PositiveDouble(const YAML::Node& train, const YamlReader& reader,
                            const std::string& path, const char* key, double* out) {
  if (!train[key].IsDefined()) return absl::OkStatus();
  const std::string key_path = JoinPath(path, key);
  ASSIGN_OR_RETURN(*out, reader.Double(train[key], key_path));
  if (!(*out > 0) || !std::isfinite(*out)) {
    return reader.Error(train[key], key_path, "must be a positive number");
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& CommandTrainKeys() {
  static const auto* keys = new std::vector<std::string>{
      "command", "workdir", "env", "report_timeout_minutes", "stop_grace_seconds", "args",
      "steps_per_epoch"};
  return *keys;
}

absl::StatusOr<CommandSpec> ParseCommandSpec(const YAML::Node& train, const YamlReader& reader,
                                             absl::string_view path_view) {
  const std::string path(path_view);
  CommandSpec command;
  RETURN_IF_ERROR(ParseArgv(train["command"], reader, JoinPath(path, "command"), &command.argv));
  if (train["workdir"].IsDefined()) {
    ASSIGN_OR_RETURN(command.workdir, reader.String(train["workdir"], JoinPath(path, "workdir")));
    if (command.workdir.empty()) {
      return reader.Error(train["workdir"], JoinPath(path, "workdir"), "must name a folder");
    }
  }
  if (train["env"].IsDefined()) {
    RETURN_IF_ERROR(ParseEnv(train["env"], reader, JoinPath(path, "env"), &command.env));
  }
  RETURN_IF_ERROR(PositiveDouble(train, reader, path, "report_timeout_minutes",
                                 &command.report_timeout_minutes));
  RETURN_IF_ERROR(PositiveDouble(train, reader, path, "stop_grace_seconds",
                                 &command.stop_grace_seconds));
  if (train["args"].IsDefined()) {
    RETURN_IF_ERROR(reader.RequireMap(train["args"], JoinPath(path, "args")));
    command.args = YamlToJson(train["args"]);
  }
  return command;
}

absl::StatusOr<std::string> ResolveWorkdir(const CommandSpec& command,
                                           absl::string_view base_dir) {
  const std::filesystem::path workdir(command.workdir);
  if (workdir.is_absolute()) return workdir.lexically_normal().string();
  if (base_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "train.workdir: '", command.workdir, "' is relative to the sweep file's folder, which "
        "is unknown here; submit the sweep with `lrsweep submit` or `lrsweep run`, or give an "
        "absolute path"));
  }
  return (std::filesystem::path(std::string(base_dir)) / workdir).lexically_normal().string();
}

void CommandSpecToJson(const CommandSpec& command, nlohmann::ordered_json* train) {
  (*train)["command"] = command.argv;
  (*train)["workdir"] = command.workdir;
  if (!command.env.empty()) (*train)["env"] = command.env;
  (*train)["report_timeout_minutes"] = command.report_timeout_minutes;
  (*train)["stop_grace_seconds"] = command.stop_grace_seconds;
  (*train)["args"] = command.args;
}

}  // namespace lrsweep
