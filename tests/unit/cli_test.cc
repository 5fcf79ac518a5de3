// The lrsweep binary as users and their scripts see it: output formats, the PyTorch-equal CSV,
// exit codes, and messages that name the file, line and column.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::RunLrsweep;
using testing::SourceDir;
using testing::TempDir;

nlohmann::json References() {
  std::ifstream in(testing::TorchReferencesPath());
  if (!in) return nullptr;
  return nlohmann::json::parse(in);
}

std::vector<std::vector<std::string>> CsvRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

TEST(CliScheduleTest, CsvEqualsPyTorchForEveryReferenceCase) {
  const nlohmann::json refs = References();
  ASSERT_FALSE(refs.is_null()) << "run through ctest, which generates the references first";
  TempDir dir;
  for (const nlohmann::json& c : refs["cases"]) {
    const std::string name = c["name"];
    const std::string file =
        dir.Write(name + ".yaml", "schedule: " + c["schedule"].dump() + "\n");
    std::string args = "schedule " + file;
    if (c.contains("metrics")) {
      std::string metrics;
      for (const auto& m : c["metrics"]) metrics += std::to_string(m.get<double>()) + "\n";
      args += " --metrics " + dir.Write(name + ".metrics", metrics);
    } else {
      args += " --total-steps " + std::to_string(c["total_steps"].get<int64_t>());
    }
    if (c["steps_per_epoch"].get<int64_t>() > 0) {
      args += " --steps-per-epoch " + std::to_string(c["steps_per_epoch"].get<int64_t>());
    }
    const testing::CommandResult result = RunLrsweep(args);
    ASSERT_EQ(result.exit_code, 0) << name << ": " << result.err;
    const auto rows = CsvRows(result.out);
    ASSERT_EQ(rows.size(), c["lr"].size() + 1) << name;
    EXPECT_EQ(rows[0][0], "step");
    EXPECT_EQ(rows[0].size(), c.contains("momentum") ? 3u : 2u) << name;
    for (size_t i = 1; i < rows.size(); ++i) {
      double lr = 0;
      ASSERT_TRUE(absl::SimpleAtod(rows[i][1], &lr));
      const double expected = c["lr"][i - 1].get<double>();
      EXPECT_LE(std::abs(lr - expected), 1e-9 * std::max(std::abs(expected), 1e-12))
          << name << " step " << i - 1;
      if (c.contains("momentum")) {
        double momentum = 0;
        ASSERT_TRUE(absl::SimpleAtod(rows[i][2], &momentum));
        EXPECT_NEAR(momentum, c["momentum"][i - 1].get<double>(), 1e-12) << name;
      }
    }
  }
}

TEST(CliScheduleTest, JsonAndSvgFormats) {
  const std::string file = SourceDir() + "/sweeps/schedules/onecycle.yaml";
  const testing::CommandResult json = RunLrsweep("schedule " + file + " --total-steps 50 --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["lr"].size(), 50u);
  EXPECT_EQ(parsed["momentum"].size(), 50u);
  EXPECT_EQ(parsed["schedule"]["type"], "onecycle");

  const testing::CommandResult svg =
      RunLrsweep("schedule " + file + " --total-steps 5000 --format svg --log-scale");
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_THAT(svg.out, StartsWith("<svg"));
  EXPECT_THAT(svg.out, HasSubstr("<polyline"));
  EXPECT_THAT(svg.out, HasSubstr("(log scale)"));
  EXPECT_THAT(svg.out, HasSubstr("momentum"));
}

// The y of the SVG text element whose content is `label` (-1 when there is none).
double LabelY(const std::string& svg, const std::string& label) {
  const size_t text = svg.find(">" + label + "</text>");
  if (text == std::string::npos) return -1;
  const size_t y = svg.rfind(" y=\"", text);
  double value = -1;
  if (!absl::SimpleAtod(svg.substr(y + 4, svg.find('"', y + 4) - y - 4), &value)) return -1;
  return value;
}

TEST(CliScheduleTest, LogScaleTickLabelsSitAtTheirOwnValues) {
  TempDir dir;
  // Cosine from 0.1 down to 3.07e-5: the lowest decade tick, 1e-05, lies below the curve.
  const std::string file = dir.Write(
      "cosine.yaml", "schedule: {type: cosine, lr: 0.1, eta_min: 3.07e-5}\n");
  const testing::CommandResult svg =
      RunLrsweep("schedule " + file + " --total-steps 100 --format svg --log-scale");
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  const double tick = LabelY(svg.out, "1e-05") - 4;  // labels are drawn 4px below their line
  const double top_tick = LabelY(svg.out, "0.1") - 4;
  ASSERT_GT(tick, 0) << svg.out;
  // The curve's lowest point (largest y) lies log10(min / 1e-5) of the 4 decades above the 1e-05
  // line, not on it.
  const size_t points = svg.out.find("points=\"") + 8;
  double lowest = 0;
  for (absl::string_view pair : absl::StrSplit(
           svg.out.substr(points, svg.out.find('"', points) - points), ' ', absl::SkipEmpty())) {
    double y = 0;
    ASSERT_TRUE(absl::SimpleAtod(pair.substr(pair.find(',') + 1), &y));
    lowest = std::max(lowest, y);
  }
  const testing::CommandResult json =
      RunLrsweep("schedule " + file + " --total-steps 100 --format json");
  const std::vector<double> lrs = nlohmann::json::parse(json.out).at("lr").get<std::vector<double>>();
  const double smallest = *std::min_element(lrs.begin(), lrs.end());
  ASSERT_GT(smallest, 2e-5);
  EXPECT_NEAR(tick - lowest, (tick - top_tick) * std::log10(smallest / 1e-5) / 4, 1.0);
}

TEST(CliPlanTest, AHundredMegabyteFileIsRefusedBeforeItIsRead) {
  TempDir dir;
  const std::string file = dir.path() + "/huge.yaml";
  {
    std::ofstream out(file);
    const std::string line = "# " + std::string(1021, 'x') + "\n";
    for (int i = 0; i < 100 * 1024; ++i) out << line;  // 100 MiB of comments
  }
  const testing::CommandResult plan = RunLrsweep("plan " + file);
  EXPECT_EQ(plan.exit_code, 2) << plan.err;
  EXPECT_THAT(plan.err, AllOf(HasSubstr("huge.yaml: 100 MiB"), HasSubstr("at most 4 MiB")));
  std::filesystem::remove(file);
}

TEST(CliScheduleTest, LintWarningsGoToStderr) {
  TempDir dir;
  const std::string file = dir.Write("s.yaml", "schedule:\n  type: cosine\n  lr: 0.1\n");
  const testing::CommandResult result = RunLrsweep("schedule " + file + " --total-steps 10");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("[eta_min_zero]"));
  EXPECT_THAT(result.out, StartsWith("step,lr\n0,0.1\n"));
}

TEST(CliScheduleTest, BadInputExitsTwoNamingFileLineAndColumn) {
  TempDir dir;
  const std::string typo = dir.Write("typo.yaml", "schedule:\n  type: cosine\n  lr: 0.1\n  tmax: 5\n");
  testing::CommandResult result = RunLrsweep("schedule " + typo + " --total-steps 10");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("typo.yaml:4:3: schedule.tmax: unknown key 'tmax'"));
  EXPECT_THAT(result.err, HasSubstr("Did you mean 't_max'?"));
  EXPECT_TRUE(result.out.empty());

  const std::string syntax = dir.Write("syntax.yaml", "schedule:\n  type: [cosine\n");
  result = RunLrsweep("schedule " + syntax + " --total-steps 10");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("syntax.yaml:3:1: YAML syntax error"));

  const std::string top = dir.Write("top.yaml", "shedule: {type: cosine, lr: 0.1}\n");
  result = RunLrsweep("schedule " + top + " --total-steps 10");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("top.yaml:1:1: shedule: unknown key 'shedule'. Did you mean "
                                    "'schedule'?"));

  const std::string ok = dir.Write("ok.yaml", "schedule: {type: constant, lr: 0.1}\n");
  EXPECT_EQ(RunLrsweep("schedule " + ok).exit_code, 2);  // no --total-steps
  EXPECT_EQ(RunLrsweep("schedule " + ok + " --total-steps 0").exit_code, 2);
  EXPECT_EQ(RunLrsweep("schedule " + ok + " --total-steps 5 --format png").exit_code, 2);
  EXPECT_EQ(RunLrsweep("schedule " + ok + " --total-steps five").exit_code, 2);
  EXPECT_EQ(RunLrsweep("schedule " + ok + " --bogus").exit_code, 2);
  EXPECT_EQ(RunLrsweep("schedule " + dir.path() + "/missing.yaml --total-steps 5").exit_code, 2);

  const std::string metrics = dir.Write("m.txt", "0.5\n0.4\nnan-ish\n");
  result = RunLrsweep("schedule " + ok + " --metrics " + metrics);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("m.txt:3:1: expected one number per line"));
}

TEST(CliPlanTest, JsonlHasOneTrialPerLine) {
  const testing::CommandResult result =
      RunLrsweep("plan " + SourceDir() + "/sweeps/fmnist-cnn-schedules.yaml --format jsonl");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  std::string line;
  int64_t count = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json trial = nlohmann::json::parse(line);
    EXPECT_EQ(trial["trial"], count);
    EXPECT_TRUE(trial["schedule"].is_object());
    ++count;
  }
  EXPECT_EQ(count, 57);
  EXPECT_THAT(result.err, HasSubstr("57 trials (19 configurations x 3 seeds)"));
}

// Every sweep shipped in sweeps/ plans, as the README and the docs tell users to run them (but
// own-model.yaml, whose model and data a script exports first: the next test plans it).
TEST(CliPlanTest, EveryShippedSweepPlans) {
  int64_t planned = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() + "/sweeps")) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "own-model.yaml") continue;
    const testing::CommandResult result = RunLrsweep("plan " + entry.path().string());
    EXPECT_EQ(result.exit_code, 0) << entry.path() << ": " << result.err;
    ++planned;
  }
  EXPECT_GE(planned, 8);
}

TEST(CliPlanTest, AUsersModelAndDataArePinnedAndPlannedFromTheirFiles) {
  const std::string dir = testing::UserModelDir();
  testing::TempDir sweeps;
  const std::string good = sweeps.Write("good.yaml", "name: mine\ntrain:\n  model: {type: "
      "torchscript, path: " + dir + "/tagger.pt}\n  data: {type: tensors, train: " + dir +
      "/cls-train.pt, val_fraction: 0.25}\n  epochs: 2\n  batch_size: 100\n"
      "schedule: {type: cosine, lr: 0.1}\n");
  testing::CommandResult result = RunLrsweep("plan " + good + " --format jsonl");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json trial = nlohmann::json::parse(result.out);
  EXPECT_EQ(trial["steps_per_epoch"], 9) << "1200 examples, 300 held out, batches of 100";
  EXPECT_EQ(trial["artifacts"][dir + "/cls-train.pt"]["examples"], 1200);
  EXPECT_EQ(trial["artifacts"][dir + "/tagger.pt"]["sha256"].get<std::string>().size(), 64u);

  const std::string bad = sweeps.Write("bad.yaml", "name: mine\ntrain:\n  model: {type: "
      "torchscript, path: " + dir + "/tagger.pt}\n  data: {type: tensors, train: " + dir +
      "/broken/mismatch.pt}\n  epochs: 2\nschedule: {type: cosine, lr: 0.1}\n");
  result = RunLrsweep("plan " + bad);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, AllOf(HasSubstr("bad.yaml:4:"), HasSubstr("train.data.train"),
                                HasSubstr("mismatch.pt"), HasSubstr("disagree on the number")));
}

// docs/own-model.md's commands, on a copy of the example: export with PyTorch, then plan.
TEST(CliPlanTest, TheOwnModelExampleExportsAndPlans) {
  testing::TempDir project;
  std::filesystem::copy_file(SourceDir() + "/sweeps/own-model.yaml",
                             project.path() + "/own-model.yaml");
  const std::string python = testing::Setting("LRSWEEP_REFERENCE_PYTHON", "/usr/bin/python3");
  const std::string export_command = python + " " + SourceDir() +
                                     "/sweeps/examples/export_spirals.py " + project.path() +
                                     "/examples/spirals > /dev/null";
  ASSERT_EQ(std::system(export_command.c_str()), 0) << export_command;
  const testing::CommandResult result =
      RunLrsweep("plan " + project.path() + "/own-model.yaml --format table");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("own-model: 6 trials"));
  EXPECT_THAT(result.out, HasSubstr("onecycle"));
}

TEST(CliPlanTest, EveryExampleSweepPlans) {
  for (const char* sweep : {"fmnist-cnn-schedules.yaml", "fmnist-mlp-random.yaml",
                            "synthetic-smoke.yaml"}) {
    const testing::CommandResult result =
        RunLrsweep(std::string("plan ") + SourceDir() + "/sweeps/" + sweep);
    EXPECT_EQ(result.exit_code, 0) << sweep << ": " << result.err;
    EXPECT_THAT(result.out, StartsWith("trial"));
  }
}

TEST(CliPlanTest, BadSweepExitsTwoWithPosition) {
  TempDir dir;
  const std::string file = dir.Write(
      "s.yaml", "name: s\ntrain: {epochs: 1}\nparameters:\n  schedule.type: cosine\n"
                "  schedule.lr: [0.1, -0.2]\n");
  const testing::CommandResult result = RunLrsweep("plan " + file);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("s.yaml:5:22: schedule.lr: must be greater than 0"));
  EXPECT_EQ(RunLrsweep("plan " + file + " --format yaml").exit_code, 2);
}

TEST(CliFirstContactTest, OutOfRangeFlagsExitTwoNamingTheFlag) {
  const std::string sweep = SourceDir() + "/sweeps/synthetic-smoke.yaml";
  for (std::string workers : {"0", "-1"}) {
    testing::CommandResult result = RunLrsweep("run " + sweep + " --workers " + workers);
    EXPECT_EQ(result.exit_code, 2) << workers;
    EXPECT_THAT(result.err, HasSubstr("--workers")) << workers;
  }
  testing::CommandResult result = RunLrsweep("status --coordinator 127.0.0.1:99999");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("the port must be a number from 1 to 65535"));
  result = RunLrsweep("report some-sweep --tolerance -1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--tolerance"));
  for (std::string listen : {"garbage", "127.0.0.1:99999", "::1:7077"}) {
    result = testing::RunBinary("lrsweep-coordinator", "--listen " + listen);
    EXPECT_EQ(result.exit_code, 2) << listen;
    EXPECT_THAT(result.err, HasSubstr("--listen")) << listen;
  }
  result = testing::RunBinary("lrsweep-worker", "--coordinator nohost");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("is not HOST:PORT"));
}

TEST(CliFirstContactTest, ALeaseTimeoutUnderThreeHeartbeatsIsWarnedAbout) {
  const testing::CommandResult result = testing::RunBinary(
      "lrsweep-coordinator", "--heartbeat-ms 2000 --lease-timeout-ms 100 --data-dir /proc/none");
  EXPECT_EQ(result.exit_code, 2);  // the data dir cannot be created: it stops before serving
  EXPECT_THAT(result.err, AllOf(HasSubstr("--lease-timeout-ms 100 is under three heartbeats"),
                                HasSubstr("Use at least 6000")));
}

TEST(CliFirstContactTest, UnknownCommandsAndWrongFilesAreNamed) {
  testing::CommandResult result = RunLrsweep("bogus");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, AllOf(HasSubstr("unknown command 'bogus'"), HasSubstr("run, submit")));
  result = RunLrsweep("sumbit x.yaml");
  EXPECT_THAT(result.err, HasSubstr("Did you mean 'submit'?"));

  TempDir dir;
  result = RunLrsweep("plan " + dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("is a directory; give the YAML file itself"));
  const std::string empty = dir.Write("empty.yaml", "");
  // submit checks the file before it looks for a coordinator (none listens on port 9).
  result = RunLrsweep("submit " + empty + " --coordinator 127.0.0.1:9");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, AllOf(HasSubstr("empty.yaml: the file is empty"),
                                Not(HasSubstr("cannot reach"))));
}

TEST(CliDaemonFlagsTest, ACheckpointStoreThatCannotWorkExitsTwoBeforeConnecting) {
  TempDir dir;
  testing::CommandResult result =
      testing::RunBinary("lrsweep-worker", "--checkpoint-store shared:" + dir.path() + "/absent");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("is not a directory; mount the shared filesystem"));
  result = testing::RunBinary("lrsweep-worker", "--checkpoint-store s3://bucket");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("expected \"coordinator\""));
  result = testing::RunBinary("lrsweep-coordinator",
                              "--shared-checkpoint-dir " + dir.path() + "/absent");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--shared-checkpoint-dir"));
}

TEST(CliGlobalFlagsTest, CoordinatorWorksBeforeOrAfterTheSubcommand) {
  // Nothing listens on port 1: both forms get as far as trying to connect, and say where.
  for (const std::string& args : {std::string("--coordinator 127.0.0.1:1 status"),
                                  std::string("status --coordinator 127.0.0.1:1"),
                                  std::string("cancel some-sweep --coordinator 127.0.0.1:1")}) {
    const testing::CommandResult result = testing::RunLrsweep(args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("cannot reach the coordinator at 127.0.0.1:1")) << args;
  }
}

}  // namespace
}  // namespace lrsweep
