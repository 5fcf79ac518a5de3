// TensorBoard event files: the CRC against the standard check value, and a trial's file read back
// by tests/python/read_tfevents.py, a reader written apart from the writer (its own CRC-32C and
// protobuf decoding), checking every value, the record framing and a damaged file's rejection.
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report/tensorboard_events.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

std::string Reader() {
  return "/usr/bin/python3 " + testing::SourceDir() + "/tests/python/read_tfevents.py ";
}

TEST(TensorBoardTest, MaskedCrcOfTheStandardCheckValue) {
  const uint32_t crc = 0xE3069283u;  // CRC-32C("123456789")
  EXPECT_EQ(MaskedCrc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
  EXPECT_EQ(TensorBoardRecord("abc").size(), 8u + 4u + 3u + 4u);
}

TEST(TensorBoardTest, EveryScalarAndTheParametersReadBackIndependently) {
  TrialRecord trial;
  trial.sweep_id = "s-1";
  trial.trial = 7;
  trial.config = 3;
  trial.seed = 1;
  trial.state = TrialState::kCompleted;
  trial.params_json = R"({"schedule.type":"onecycle","schedule.lr":0.3})";
  trial.updated_ms = 1796000000000;
  std::vector<MetricPoint> history;
  for (int64_t step = 0; step < 300; ++step) {
    MetricPoint p;
    p.step = step;
    p.lr = 0.3 * (1.0 - step / 300.0);
    p.momentum = 0.85 + step / 3000.0;
    p.train_loss = 2.0 / (1.0 + step);
    if (step % 100 == 99) {
      p.val_loss = 0.5 - step / 1000.0;
      p.val_accuracy = 0.8 + step / 10000.0;
    }
    p.examples_per_second = 1000.0 + step;
    p.wall_seconds = step * 0.01;
    history.push_back(p);
  }
  testing::TempDir dir;
  absl::StatusOr<std::string> path = WriteTrialEvents(dir.path() + "/tb", trial, history);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_THAT(*path, HasSubstr("/tb/s-1/trial-0007/events.out.tfevents.1796000000.lrsweep"));
  const testing::CommandResult reader = testing::RunCommand(Reader() + *path);
  ASSERT_EQ(reader.exit_code, 0) << reader.err;
  const nlohmann::json read = nlohmann::json::parse(reader.out);
  EXPECT_EQ(read["file_version"], "brain.Event:2");
  EXPECT_EQ(read["records"], 2 + 300) << "version, parameters, one event per step";
  const nlohmann::json& scalars = read["scalars"];
  ASSERT_EQ(scalars["lr"].size(), 300u);
  ASSERT_EQ(scalars["momentum"].size(), 300u);
  ASSERT_EQ(scalars["train_loss"].size(), 300u);
  ASSERT_EQ(scalars["examples_per_second"].size(), 300u);
  ASSERT_EQ(scalars["val_loss"].size(), 3u);
  ASSERT_EQ(scalars["val_accuracy"].size(), 3u);
  EXPECT_FALSE(scalars.contains("test_accuracy")) << "never measured, never written";
  for (size_t i = 0; i < 300; ++i) {
    const MetricPoint& p = history[i];
    EXPECT_EQ(scalars["lr"][i][0], p.step);
    EXPECT_FLOAT_EQ(scalars["lr"][i][1].get<float>(), static_cast<float>(p.lr));
    EXPECT_FLOAT_EQ(scalars["momentum"][i][1].get<float>(), static_cast<float>(*p.momentum));
    EXPECT_FLOAT_EQ(scalars["train_loss"][i][1].get<float>(), static_cast<float>(*p.train_loss));
  }
  EXPECT_EQ(scalars["val_loss"][2][0], 299);
  EXPECT_FLOAT_EQ(scalars["val_loss"][2][1].get<float>(), static_cast<float>(0.5 - 0.299));
  const std::string text = read["text"]["parameters"];
  EXPECT_THAT(text, HasSubstr("| schedule.type | onecycle |"));
  EXPECT_THAT(text, HasSubstr("| schedule.lr | 0.3 |"));
  EXPECT_THAT(text, HasSubstr("| state | COMPLETED |"));
  // The last point's wall time is the trial's last update.
  EXPECT_DOUBLE_EQ(read["wall_times"].back().get<double>(), 1796000000.0);

  // A flipped byte is caught by the reader's own CRC: the framing really is checked.
  std::string bytes;
  {
    std::ifstream in(*path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x40;
  const std::string damaged = dir.Write("damaged.tfevents", bytes);
  const testing::CommandResult rejected = testing::RunCommand(Reader() + damaged);
  EXPECT_EQ(rejected.exit_code, 1);
  EXPECT_THAT(rejected.err, HasSubstr("CRC"));
}

}  // namespace
}  // namespace lrsweep
