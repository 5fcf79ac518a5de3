#include "report/tensorboard_events.h"

#include <array>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "tensorboard/event.pb.h"

namespace lrsweep {
namespace {

constexpr int32_t kDtString = 7;

std::array<uint32_t, 256> Crc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    table[i] = crc;
  }
  return table;
}

void AddScalar(tensorboard::Summary* summary, const std::string& tag, double value) {
  tensorboard::Summary::Value* scalar = summary->add_value();
  scalar->set_tag(tag);
  scalar->set_simple_value(static_cast<float>(value));
}

// The parameters as a Markdown table, which TensorBoard's text plugin renders.
std::string ParametersMarkdown(const TrialRecord& trial) {
  std::string text = "| parameter | value |\n|---|---|\n";
  const nlohmann::json params =
      nlohmann::json::parse(trial.params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      absl::StrAppend(&text, "| ", key, " | ", value.is_string() ? value.get<std::string>() : value.dump(), " |\n");
    }
  }
  absl::StrAppend(&text, "| seed | ", trial.seed, " |\n| configuration | ", trial.config,
                  " |\n| state | ", TrialStateName(trial.state), " |\n");
  if (!trial.reason.empty()) absl::StrAppend(&text, "| reason | ", trial.reason, " |\n");
  return text;
}

tensorboard::Event TextEvent(const std::string& tag, const std::string& text, double wall_time) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(0);
  tensorboard::Summary::Value* value = event.mutable_summary()->add_value();
  value->set_tag(tag);
  value->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  tensorboard::TensorProto* tensor = value->mutable_tensor();
  tensor->set_dtype(kDtString);
  tensor->mutable_tensor_shape();  // a scalar
  tensor->add_string_val(text);
  return event;
}

tensorboard::Event ScalarEvent(const MetricPoint& point, double wall_time) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(point.step);
  tensorboard::Summary* summary = event.mutable_summary();
  AddScalar(summary, "lr", point.lr);
  if (point.momentum) AddScalar(summary, "momentum", *point.momentum);
  for (const char* metric : {"train_loss", "val_loss", "val_accuracy", "test_accuracy"}) {
    if (std::optional<double> value = point.Get(metric)) AddScalar(summary, metric, *value);
  }
  if (point.examples_per_second > 0) {
    AddScalar(summary, "examples_per_second", point.examples_per_second);
  }
  return event;
}

std::string Serialized(const tensorboard::Event& event) {
  std::string bytes;
  event.SerializeToString(&bytes);
  return bytes;
}

}  // namespace

uint32_t MaskedCrc32c(absl::string_view data) {
  static const std::array<uint32_t, 256> table = Crc32cTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = table[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  crc ^= 0xFFFFFFFFu;
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string TensorBoardRecord(absl::string_view payload) {
  auto little_endian = [](uint64_t value, int bytes) {
    std::string out(static_cast<size_t>(bytes), '\0');
    for (int i = 0; i < bytes; ++i) out[static_cast<size_t>(i)] = static_cast<char>(value >> (8 * i));
    return out;
  };
  const std::string length = little_endian(payload.size(), 8);
  return absl::StrCat(length, little_endian(MaskedCrc32c(length), 4), payload,
                      little_endian(MaskedCrc32c(payload), 4));
}

std::string TrialEventFile(const TrialRecord& trial, const std::vector<MetricPoint>& history) {
  // Wall times: the trial's last update is its last point's; earlier points are placed by their
  // seconds since the trial started.
  const double last_seconds = history.empty() ? 0.0 : history.back().wall_seconds;
  const double start = static_cast<double>(trial.updated_ms) / 1000.0 - last_seconds;
  tensorboard::Event version;
  version.set_wall_time(start);
  version.set_file_version("brain.Event:2");
  std::string file = TensorBoardRecord(Serialized(version));
  absl::StrAppend(&file, TensorBoardRecord(Serialized(
                             TextEvent("parameters", ParametersMarkdown(trial), start))));
  for (const MetricPoint& point : history) {
    absl::StrAppend(&file, TensorBoardRecord(Serialized(ScalarEvent(point, start + point.wall_seconds))));
  }
  return file;
}

absl::StatusOr<std::string> WriteTrialEvents(const std::string& dir, const TrialRecord& trial,
                                             const std::vector<MetricPoint>& history) {
  const std::filesystem::path folder = std::filesystem::path(dir) / trial.sweep_id /
                                       absl::StrFormat("trial-%04d", trial.trial);
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tensorboard ", dir, ": cannot create ", folder.string(), ": ", error.message()));
  }
  const std::string path =
      (folder / absl::StrCat("events.out.tfevents.", trial.updated_ms / 1000, ".lrsweep")).string();
  RETURN_IF_ERROR(WriteFileAtomically(path, TrialEventFile(trial, history)));
  return path;
}

}  // namespace lrsweep
