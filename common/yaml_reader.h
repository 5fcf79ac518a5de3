// Typed, located reading of YAML documents.
//
// Every bad input lrsweep reports names where it is: the file, the line and column (1-based), and
// the dotted key path, followed by what is wrong and what to do. YamlReader is the one place that
// turns yaml-cpp nodes (and yaml-cpp's exceptions) into values or such absl::Status errors.
//
//   ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile("sweep.yaml"));
//   YamlReader reader("sweep.yaml");
//   RETURN_IF_ERROR(reader.CheckKeys(root, "", {"name", "schedule"}));
//   ASSIGN_OR_RETURN(double lr, reader.Double(root["schedule"]["lr"], "schedule.lr"));
//   // on "lr: fast":  sweep.yaml:4:7: schedule.lr: expected a number, got 'fast'
//
// Thread safety: a YamlReader is immutable and may be shared. yaml-cpp nodes are not thread-safe;
// do not read one node tree from several threads.
#ifndef LRSWEEP_COMMON_YAML_READER_H_
#define LRSWEEP_COMMON_YAML_READER_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

// Parses YAML text. `file` names the source in error messages. A syntax error becomes
// InvalidArgument "file:line:col: YAML syntax error: ...".
absl::StatusOr<YAML::Node> ParseYaml(absl::string_view text, absl::string_view file);

// Reads a whole text file. A missing or unreadable file is InvalidArgument naming the path.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// Reads and parses a YAML file. A missing or unreadable file is InvalidArgument naming the path.
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);

// Joins a dotted key path: JoinPath("schedule", "lr") == "schedule.lr", JoinPath("", "x") == "x".
std::string JoinPath(absl::string_view parent, absl::string_view key);

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // "file:line:col" of `node` (the file alone when the node has no position).
  std::string Location(const YAML::Node& node) const;

  // InvalidArgument "file:line:col: path: message".
  absl::Status Error(const YAML::Node& node, absl::string_view path,
                     absl::string_view message) const;

  // Scalars of the given type. A missing node, a sequence or mapping, or a scalar that does not
  // convert is an error naming the expected type and the text found.
  absl::StatusOr<double> Double(const YAML::Node& node, absl::string_view path) const;
  absl::StatusOr<int64_t> Int(const YAML::Node& node, absl::string_view path) const;
  absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view path) const;
  absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view path) const;
  absl::StatusOr<std::vector<int64_t>> IntList(const YAML::Node& node,
                                               absl::string_view path) const;
  absl::StatusOr<std::vector<double>> DoubleList(const YAML::Node& node,
                                                 absl::string_view path) const;

  // Checks that `node` is a mapping (`what` describes it in the message).
  absl::Status RequireMap(const YAML::Node& node, absl::string_view path) const;

  // Checks that every key of mapping `node` is in `allowed`; an unknown key is an error at the
  // key's position naming the closest allowed key.
  absl::Status CheckKeys(const YAML::Node& node, absl::string_view path,
                         const std::vector<std::string>& allowed) const;

 private:
  std::string file_;
};

// The node as JSON: mappings, lists, and scalars as YAML reads them unquoted (an integer, a
// number, true/false, else the text); a quoted scalar stays a string.
nlohmann::ordered_json YamlToJson(const YAML::Node& node);

// Kind tests that are false, instead of throwing, for a key missing from a const mapping:
// yaml-cpp hands back an invalid node there, and its own IsScalar()/IsMap()/IsSequence() throw
// YAML::InvalidNode on it. Use these on any node that came from a lookup.
bool IsScalarNode(const YAML::Node& node);
bool IsSequenceNode(const YAML::Node& node);
bool IsMapNode(const YAML::Node& node);

// Describes a node for messages: its scalar text in quotes, or "a list" / "a mapping".
std::string DescribeNode(const YAML::Node& node);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_YAML_READER_H_
