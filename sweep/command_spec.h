// CommandSpec: a trial trained by the user's own program (`train.command`) instead of the
// built-in trainer.
//
// The worker runs the command once per attempt, in `workdir`, with LRSWEEP_TRIAL naming a JSON
// file of the trial (its params, LR, schedule, horizon and checkpoint folders: see
// docs/own-script.md). The program reports metrics and checkpoints through the Python client
// (python/lrsweep) or by printing `lrsweep {...}` lines.
//
//   train:
//     command: [python3, train.py, --data, /data/imagenette]
//     steps: 3000            # or epochs + steps_per_epoch
//     batch_size: 128
//     args: {dropout: 0.1}   # the script's own values; sweepable as train.args.dropout
//
// Thread safety: a plain value type.
#ifndef LRSWEEP_SWEEP_COMMAND_SPEC_H_
#define LRSWEEP_SWEEP_COMMAND_SPEC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/yaml_reader.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

struct CommandSpec {
  // The program and its arguments, run without a shell. A single string instead runs through
  // /bin/sh -c (then argv is {"/bin/sh", "-c", text}).
  std::vector<std::string> argv;
  // Where it runs. Relative paths are relative to the sweep file's folder; the planner makes it
  // absolute (workers need a path that exists on their node: a shared file system).
  std::string workdir = ".";
  std::map<std::string, std::string> env;  // added to the worker's environment
  // An attempt that prints no report for this long is killed and failed: a hung data loader or a
  // deadlocked collective must not hold a GPU forever.
  double report_timeout_minutes = 10.0;
  // After SIGTERM (preemption) the program has this long to checkpoint and exit 0 before SIGKILL.
  double stop_grace_seconds = 60.0;
  // The script's own values (train.args.*), swept like any other key; handed over as JSON.
  nlohmann::ordered_json args = nlohmann::ordered_json::object();
};

// Keys of a command train mapping (besides steps, epochs, batch_size).
const std::vector<std::string>& CommandTrainKeys();

// Reads command, workdir, env, report_timeout_minutes, stop_grace_seconds and args of `train`.
absl::StatusOr<CommandSpec> ParseCommandSpec(const YAML::Node& train, const YamlReader& reader,
                                             absl::string_view path);

// `workdir` made absolute against `base_dir` (the sweep file's folder where it was submitted).
// InvalidArgument when it is relative and base_dir is unknown.
absl::StatusOr<std::string> ResolveWorkdir(const CommandSpec& command,
                                           absl::string_view base_dir);

// The keys ParseCommandSpec reads, written back (inside the train mapping's JSON).
void CommandSpecToJson(const CommandSpec& command, nlohmann::ordered_json* train);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_COMMAND_SPEC_H_
