// Fuzzes schedule files and the schedule library: any mapping is parsed, resolved against a
// horizon, stepped (with plateau metrics), and its state saved and restored, without crashing;
// the LR stays a number, and a restored schedule continues exactly.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/yaml_reader.h"
#include "schedule/schedule.h"
#include "schedule/schedule_parser.h"
#include "schedule/schedule_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  // The first bytes choose the horizon; the rest is the schedule mapping.
  const int64_t total_steps = 1 + (data[0] | (data[1] << 8)) % 3000;
  const int64_t steps_per_epoch = data[2] % 2 == 0 ? 0 : 1 + data[3] % 50;
  const std::string text(reinterpret_cast<const char*>(data + 4), size - 4);
  absl::StatusOr<YAML::Node> node = lrsweep::ParseYaml(text, "fuzz.yaml");
  if (!node.ok()) return 0;
  // A schedule file (top-level schedule:) or the mapping itself.
  const YAML::Node mapping =
      node->IsMap() && (*node)["schedule"].IsDefined() ? (*node)["schedule"] : *node;
  absl::StatusOr<lrsweep::ScheduleSpec> spec =
      lrsweep::ParseScheduleSpec(mapping, lrsweep::YamlReader("fuzz.yaml"), "schedule");
  if (!spec.ok()) return 0;
  absl::StatusOr<lrsweep::Schedule> schedule =
      lrsweep::Schedule::Create(*spec, {total_steps, steps_per_epoch});
  if (!schedule.ok()) {
    if (!absl::IsInvalidArgument(schedule.status())) __builtin_trap();
    return 0;
  }
  lrsweep::ScheduleState half;
  for (int64_t step = 0; step < total_steps; ++step) {
    if (std::isnan(schedule->lr())) __builtin_trap();
    (void)schedule->momentum();
    (void)schedule->PlannedLrAt(step);
    if (step == total_steps / 2) half = schedule->SaveState();
    schedule->Step();
    schedule->ObserveMetric(1.0 / static_cast<double>(1 + step % 7));
  }
  const nlohmann::json saved = lrsweep::ScheduleStateToJson(half);
  absl::StatusOr<lrsweep::ScheduleState> loaded = lrsweep::ScheduleStateFromJson(saved);
  if (!loaded.ok() || !(*loaded == half)) __builtin_trap();
  absl::StatusOr<lrsweep::Schedule> again =
      lrsweep::Schedule::Create(*spec, {total_steps, steps_per_epoch});
  if (!again.ok() || !again->RestoreState(*loaded).ok()) __builtin_trap();
  return 0;
}
