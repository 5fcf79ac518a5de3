// Reading a `schedule:` mapping from YAML into a ScheduleSpec, and writing a spec back out.
//
// Parsing checks everything that can be checked without knowing the length of training: the type
// name (with the closest valid name on a typo), unknown keys, value types and ranges. Errors are
// InvalidArgument naming file:line:column and the key path, e.g.
//   sweep.yaml:9:21: schedule.pct_start: must be in (0, 1), got 1.5
//
//   YamlReader reader("cosine.yaml");
//   ASSIGN_OR_RETURN(ScheduleSpec spec, ParseScheduleSpec(root["schedule"], reader, "schedule"));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_PARSER_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_PARSER_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule_spec.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

// Parses the mapping `node`, found at key path `path` ("schedule" in files).
absl::StatusOr<ScheduleSpec> ParseScheduleSpec(const YAML::Node& node, const YamlReader& reader,
                                               absl::string_view path);

// Loads a schedule file: YAML whose only top-level key is `schedule:`.
absl::StatusOr<ScheduleSpec> LoadScheduleFile(const std::string& file);

// The spec as a mapping with every parameter of its type (defaults included), in the same keys
// the parser reads, so that ParseScheduleSpec(ToYaml(ScheduleSpecToJson(s))) gives back `s`.
// Unset lengths (t_max before resolution) are omitted.
nlohmann::ordered_json ScheduleSpecToJson(const ScheduleSpec& spec);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_PARSER_H_
