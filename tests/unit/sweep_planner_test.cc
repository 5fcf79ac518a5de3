// Sweep files: the documented example plans as written, grids and random search expand as
// documented, and bad sweeps are refused with their position.
#include "sweep/sweep_planner.h"

#include <chrono>
#include <cmath>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

absl::StatusOr<SweepPlan> PlanText(const std::string& yaml) {
  absl::StatusOr<SweepSpec> sweep = ParseSweep(yaml, "sweep.yaml");
  if (!sweep.ok()) return sweep.status();
  return PlanSweep(*sweep);
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<SweepPlan> plan = PlanText(yaml);
  EXPECT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(plan.status().message());
}

const char kMinimal[] = R"(name: t
train:
  model: {type: mlp, hidden: [8]}
  data: {type: synthetic, train_examples: 1000, val_fraction: 0.2}
  epochs: 2
  batch_size: 100
)";

TEST(SweepPlannerTest, ADuplicateKeyAnywhereIsAnErrorNamingBothLines) {
  // yaml-cpp keeps the first of two equal keys: the second block would silently not run.
  absl::StatusOr<SweepSpec> twice = ParseSweep(R"(name: d
train: {epochs: 1}
parameters:
  schedule.type: cosine
  schedule.lr: [0.1, 0.2]
  schedule.lr: [0.5]
)", "sweep.yaml");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()),
              AllOf(HasSubstr("sweep.yaml:6:3: key 'schedule.lr' appears twice"),
                    HasSubstr("first at line 5, column 3")));
  absl::StatusOr<SweepSpec> top = ParseSweep(
      "name: d\ntrain: {epochs: 1}\nparameters: {schedule.type: cosine, schedule.lr: 0.1}\n"
      "parameters: {schedule.type: step, schedule.lr: 0.1}\n", "sweep.yaml");
  ASSERT_FALSE(top.ok());
  EXPECT_THAT(std::string(top.status().message()),
              AllOf(HasSubstr("sweep.yaml:4:1: key 'parameters'"), HasSubstr("first at line 3")));
}

TEST(SweepPlannerTest, TextThatIsNotUtf8IsRefusedWhereItIs) {
  // Found by fuzz/fuzz_sweep_parser: a Latin-1 byte in a value crashed the JSON of the plan.
  absl::StatusOr<SweepSpec> sweep = ParseSweep("name: ok\ntrain: {epochs: 1}\n# caf\xe9\n",
                                               "latin1.yaml");
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sweep.status().message()),
              AllOf(HasSubstr("latin1.yaml:3:6: not UTF-8 text (byte 0xe9)"),
                    HasSubstr("save the file as UTF-8")));
  const absl::StatusOr<SweepSpec> utf8 =
      ParseSweep("name: caf\xc3\xa9\ntrain: {epochs: 1}\nschedule: {type: cosine, lr: 0.1}\n", "utf8.yaml");
  EXPECT_TRUE(utf8.ok()) << utf8.status();
}

TEST(SweepPlannerTest, AnchorsOfAnchorsAreRefusedInBoundedTime) {
  std::string yaml = "name: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    yaml += "]\n";
  }
  absl::StatusOr<SweepSpec> sweep = ParseSweep(yaml, "bomb.yaml");  // 10^9 nodes if expanded
  ASSERT_FALSE(sweep.ok());
  EXPECT_THAT(std::string(sweep.status().message()),
              AllOf(HasSubstr("bomb.yaml"), HasSubstr("anchors and aliases")));
}

TEST(SweepPlannerTest, AnAliasInsideItsOwnAnchorIsRefusedWhereItIs) {
  // yaml-cpp would build each of these as a node that contains itself.
  const std::string head = "name: c\ntrain: {steps: 5, data: {type: synthetic}}\n";
  for (const auto& [yaml, place] : std::vector<std::pair<std::string, std::string>>{
           {head + "schedule: {type: cosine}\nparameters: {schedule.lr: &a [0.1, *a]}\n",
            "c.yaml:4:36: alias *a"},
           {"name: c\nschedule: &s {type: cosine, lr: 0.1, warmup: *s}\n", "c.yaml:2:46: alias *s"},
           {"name: c\ntrain: &t\n  steps: 5\n  args: [1, {x: *t}]\n", "c.yaml:4:17: alias *t"}}) {
    absl::StatusOr<SweepSpec> sweep = ParseSweep(yaml, "c.yaml");
    EXPECT_TRUE(absl::IsInvalidArgument(sweep.status())) << yaml;
    EXPECT_THAT(std::string(sweep.status().message()),
                AllOf(HasSubstr(place), HasSubstr("contain itself"))) << yaml;
  }
}

TEST(SweepPlannerTest, AliasesReuseValuesButCannotMultiplyEveryTrialsWork) {
  // An anchor reused the ordinary way plans.
  absl::StatusOr<SweepPlan> plan = PlanText(R"(name: reuse
train: {steps: 5, data: {type: synthetic}, optimizer: &opt {type: sgd, momentum: 0.9}}
schedule: {type: cosine, lr: 0.1}
parameters:
  - {train.optimizer: [*opt], schedule.lr: [0.1, 0.2]}
  - {train.optimizer: [*opt], schedule.type: [constant]}
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->trials.size(), 3u);
  // 900 bytes of aliases that every one of 200 trials' args would expand to 10^6 values.
  std::string yaml = "name: x\ntrain:\n  command: [/bin/true]\n  steps: 600\n  args:\n"
                     "    x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 6; ++i) {
    yaml += "    x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    yaml += "]\n";
  }
  yaml += "schedule: {type: cosine, lr: 0.05}\nseeds: [";
  for (int i = 0; i < 200; ++i) yaml += (i ? "," : "") + std::to_string(i);
  yaml += "]\n";
  absl::StatusOr<SweepSpec> sweep = ParseSweep(yaml, "args.yaml");
  EXPECT_TRUE(absl::IsInvalidArgument(sweep.status()));
  EXPECT_THAT(std::string(sweep.status().message()),
              AllOf(HasSubstr("args.yaml"), HasSubstr("anchors and aliases")));
}

TEST(SweepPlannerTest, HostileValuesAreLocatedErrorsInBoundedTime) {
  const std::string head = "name: h\ntrain: {epochs: 1, data: {type: synthetic}}\n";
  struct Case {
    std::string yaml;
    const char* says;
  };
  std::string grid = head + "parameters:\n  schedule.type: cosine\n";
  for (const char* axis : {"schedule.lr", "train.batch_size", "train.epochs", "train.accumulate"}) {
    grid += std::string("  ") + axis + ": [";
    for (int i = 1; i <= 1000; ++i) grid += (i > 1 ? "," : "") + std::to_string(i);
    grid += "]\n";
  }
  for (const Case& c : {
           Case{head + "schedule: {type: cosine, lr: 1e400}\n", "3:30: schedule.lr: expected a number"},
           Case{head + "schedule: {type: cosine, lr: .nan}\n", "3:30: schedule.lr: expected a number, got NaN"},
           Case{head + "schedule: {type: cosine, lr: -0}\n", "3:30: schedule.lr: must be greater than 0"},
           Case{"name: d\ntrain: " + std::string(20000, '[') + std::string(20000, ']') + "\n",
                "h.yaml:2:"},
           Case{grid, "expands to 1000000000000 trials, over max_trials"}}) {
    absl::StatusOr<SweepSpec> sweep = ParseSweep(c.yaml, "h.yaml");
    absl::Status status = sweep.status();
    if (sweep.ok()) status = PlanSweep(*sweep).status();
    ASSERT_FALSE(status.ok()) << c.says;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.says;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.says));
  }
}

TEST(SweepPlannerTest, AGridWithoutAnLrNamesTheGrid) {
  absl::StatusOr<SweepPlan> plan = PlanText(R"(name: d
train: {epochs: 1, data: {type: synthetic}}
parameters:
  - schedule.type: cosine
    schedule.lr: 0.1
  - schedule.type: step
    schedule.step_size: 100
)");
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()),
              AllOf(HasSubstr("sweep.yaml:6:5: schedule.lr: missing for trial 1"),
                    HasSubstr("schedule.type=\"step\"")));
}

TEST(SweepPlannerTest, AnEmptyFileAndAMaximizedLossAreExplained) {
  absl::StatusOr<SweepSpec> empty = ParseSweep("", "empty.yaml");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty.yaml: the file is empty"));
  absl::StatusOr<SweepSpec> maximized = ParseSweep(
      "name: m\nmetric: {name: val_loss, goal: maximize}\ntrain: {epochs: 1}\n"
      "schedule: {type: cosine, lr: 0.1}\n", "m.yaml");
  ASSERT_TRUE(maximized.ok()) << maximized.status();
  ASSERT_EQ(maximized->warnings.size(), 1u);
  EXPECT_THAT(maximized->warnings[0], AllOf(HasSubstr("m.yaml:2:"), HasSubstr("highest loss")));
}

TEST(SweepPlannerTest, ExampleSweepPlansAsDocumented) {
  absl::StatusOr<SweepSpec> sweep =
      LoadSweepFile(testing::SourceDir() + "/sweeps/fmnist-cnn-schedules.yaml");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*sweep);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // (3 x 2 x 2 cosine + 2 x 2 onecycle + 3 constant) configurations x 3 seeds.
  ASSERT_EQ(plan->trials.size(), 57u);
  const TrialPlan& first = plan->trials[0];
  EXPECT_EQ(first.seed, 0);
  EXPECT_EQ(plan->trials[1].seed, 1);
  EXPECT_EQ(plan->trials[1].config, 0);
  EXPECT_EQ(plan->trials[3].config, 1);
  // 60000 x 0.9 = 54000 examples; ceil(54000 / 128) = 422 steps per epoch; 5 epochs.
  EXPECT_EQ(first.steps_per_epoch, 422);
  EXPECT_EQ(first.total_steps, 2110);
  // Trial 3: batch 512, sqrt scaling from 128: lr x 2, ceil(54000 / 512) = 106 steps per epoch.
  const TrialPlan& big = plan->trials[3];
  EXPECT_EQ(big.train.batch_size, 512);
  EXPECT_DOUBLE_EQ(big.lr, 0.02);
  EXPECT_EQ(big.total_steps, 530);
  // Warmup fraction 0.05 of 2110 steps: round(105.5) = 106.
  const TrialPlan& warm = plan->trials[6];
  EXPECT_EQ(warm.warmup_steps, 106);
  EXPECT_EQ(*warm.schedule.t_max, 2110 - 106);
  // The shared eta_min applies to cosine, and is not forced on onecycle or constant.
  EXPECT_EQ(warm.schedule.eta_min, 1e-5);
  const nlohmann::ordered_json onecycle = TrialPlanToJson(plan->trials[36]);
  EXPECT_EQ(onecycle["schedule"]["type"], "onecycle");
  EXPECT_FALSE(onecycle["schedule"].contains("eta_min"));
  EXPECT_EQ(onecycle["params"]["schedule.pct_start"], 0.25);
  EXPECT_EQ(TrialPlanToJson(plan->trials[56])["schedule"]["type"], "constant");
}

TEST(SweepPlannerTest, JsonHasTheDocumentedFields) {
  absl::StatusOr<SweepPlan> plan = PlanText(std::string(kMinimal) + R"(
lr_scaling: {rule: linear, base_batch_size: 50}
parameters:
  schedule.type: cosine
  schedule.lr: [0.1]
  schedule.eta_min: 0.001
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const nlohmann::ordered_json json = TrialPlanToJson(plan->trials[0]);
  for (const char* key : {"trial", "seed", "params", "batch_size", "lr", "total_steps",
                          "warmup_steps", "schedule"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(json["lr"].get<double>(), 0.2);  // linear: 0.1 x 100 / 50
  EXPECT_DOUBLE_EQ(json["schedule"]["lr"].get<double>(), 0.2);
  EXPECT_EQ(json["params"]["schedule.lr"], 0.1);
  EXPECT_EQ(json["total_steps"], 16);  // 800 examples / 100 = 8 steps x 2 epochs
  EXPECT_EQ(json["schedule"]["t_max"], 16);
}

TEST(SweepPlannerTest, GridOrderIsFirstKeyOutermostSeedsInnermost) {
  absl::StatusOr<SweepPlan> plan = PlanText(std::string(kMinimal) + R"(
seeds: [5, 6]
parameters:
  schedule.type: constant
  schedule.lr: [0.1, 0.2]
  train.batch_size: [50, 100, 200]
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->trials.size(), 12u);
  EXPECT_EQ(plan->trials[0].train.batch_size, 50);
  EXPECT_EQ(plan->trials[0].seed, 5);
  EXPECT_EQ(plan->trials[1].seed, 6);
  EXPECT_EQ(plan->trials[2].train.batch_size, 100);
  EXPECT_EQ(plan->trials[6].lr, 0.2);
  EXPECT_EQ(plan->trials[6].train.batch_size, 50);
  EXPECT_EQ(plan->trials[11].index, 11);
}

TEST(SweepPlannerTest, TrainOverridesReachNestedKeys) {
  absl::StatusOr<SweepPlan> plan = PlanText(std::string(kMinimal) + R"(
parameters:
  schedule.type: constant
  schedule.lr: 0.1
  train.optimizer.weight_decay: [0.0, 0.01]
  train.accumulate: 2
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->trials[1].train.optimizer.weight_decay, 0.01);
  EXPECT_EQ(plan->trials[1].train.accumulate, 2);
  EXPECT_EQ(plan->trials[1].train.EffectiveBatchSize(), 200);
  EXPECT_EQ(plan->trials[1].steps_per_epoch, 4);  // 8 micro-batches / 2
  EXPECT_EQ(plan->trials[1].train.model.hidden, std::vector<int64_t>{8});
}

TEST(SweepPlannerTest, RandomSearchIsReproducibleAndWithinBounds) {
  const std::string sweep = std::string(kMinimal) + R"(
method: random
count: 40
seed: 11
parameters:
  - schedule.type: cosine
    schedule.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0}
    schedule.eta_min: 1.0e-6
  - schedule.type: step
    schedule.lr: {distribution: uniform, min: 0.01, max: 0.02}
    schedule.step_size: {distribution: int_uniform, min: 2, max: 4}
    schedule.gamma: {distribution: choice, values: [0.1, 0.5]}
)";
  absl::StatusOr<SweepPlan> a = PlanText(sweep);
  absl::StatusOr<SweepPlan> b = PlanText(sweep);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->trials.size(), 40u);
  std::set<std::string> types;
  std::set<int64_t> step_sizes;
  for (size_t i = 0; i < a->trials.size(); ++i) {
    EXPECT_EQ(TrialPlanToJson(a->trials[i]).dump(), TrialPlanToJson(b->trials[i]).dump());
    const ScheduleSpec& s = a->trials[i].schedule;
    types.insert(std::string(ScheduleTypeName(s.type)));
    if (s.type == ScheduleType::kCosine) {
      EXPECT_GE(s.lr, 1e-4);
      EXPECT_LE(s.lr, 1.0);
    } else {
      EXPECT_GE(s.lr, 0.01);
      EXPECT_LE(s.lr, 0.02);
      step_sizes.insert(s.step_size);
      EXPECT_TRUE(s.gamma == 0.1 || s.gamma == 0.5);
    }
  }
  EXPECT_EQ(types.size(), 2u);
  EXPECT_EQ(step_sizes, (std::set<int64_t>{2, 3, 4}));

  std::string other_seed = sweep;
  other_seed.replace(other_seed.find("seed: 11"), 8, "seed: 12");
  absl::StatusOr<SweepPlan> c = PlanText(other_seed);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(TrialPlanToJson(a->trials[0]).dump(), TrialPlanToJson(c->trials[0]).dump());
}

TEST(SweepPlannerTest, OversizedGridIsRefusedBeforeExpansion) {
  std::string sweep = std::string(kMinimal) + "parameters:\n  schedule.type: constant\n";
  for (const char* key : {"schedule.lr", "train.batch_size", "train.optimizer.momentum",
                          "train.optimizer.weight_decay", "train.model.dropout"}) {
    sweep += std::string("  ") + key + ": [";
    for (int i = 1; i <= 40; ++i) sweep += (i > 1 ? ", " : "") + std::to_string(i);
    sweep += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(ErrorOf(sweep), HasSubstr("expands to 102400000 trials, over max_trials (100000)"));
  // Refused by counting: nothing was built (a generous bound, not a benchmark).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "max_trials: 3\nseeds: [0, 1]\nparameters:\n  schedule.type: constant\n"
                      "  schedule.lr: [0.1, 0.2]\n"),
              HasSubstr("expands to 4 trials, over max_trials (3)"));
}

TEST(SweepPlannerTest, UnknownKeysAreErrorsWithPosition) {
  EXPECT_THAT(ErrorOf("name: t\nmetrc: {name: val_loss}\n"),
              HasSubstr("sweep.yaml:2:1: metrc: unknown key 'metrc'. Did you mean 'metric'?"));
  EXPECT_THAT(ErrorOf("name: t\ntrain:\n  epochs: 1\n  optimizer: {type: sgd, momentun: 0.9}\n"),
              HasSubstr("sweep.yaml:4:26: train.optimizer.momentun: unknown key"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "parameters:\n  schedule.type: cosine\n  schedule.lr: 0.1\n"
                      "  schedule.t_mx: [5]\n"),
              HasSubstr("sweep.yaml:10:3: schedule.t_mx: no schedule type has a key 't_mx'. Did "
                        "you mean 't_max'?"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "parameters:\n  optimizer.lr: [1]\n"),
              HasSubstr("under schedule. or train."));
}

TEST(SweepPlannerTest, KeyOfAnotherScheduleTypeInAGridIsRefusedAtTheParameter) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "parameters:\n  schedule.type: constant\n  schedule.lr: 0.1\n"
                      "  schedule.gamma: [0.5]\n"),
              HasSubstr("sweep.yaml:10:20: schedule.gamma: unknown key 'gamma' in schedule"));
}

TEST(SweepPlannerTest, SharedKeyNoTypeAcceptsIsRefused) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "schedule: {milestones: [1]}\nparameters:\n  schedule.type: [cosine, step]\n"
                      "  schedule.lr: 0.1\n"),
              HasSubstr("sweep.yaml:7:12: schedule.milestones: no schedule type in this sweep "
                        "(step, cosine) takes 'milestones'"));
}

TEST(SweepPlannerTest, BadValuesNameTheirLine) {
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "parameters:\n  schedule.type: onecycle\n  schedule.lr: [0.1, fast]\n"),
              HasSubstr("sweep.yaml:9:22: schedule.lr: expected a number, got 'fast'"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "parameters:\n  schedule.type: step\n  schedule.lr: 0.1\n"
                      "  schedule.step_size: [0]\n"),
              HasSubstr("sweep.yaml:10:24: schedule.step_size: must be at least 1"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) +
                      "parameters:\n  schedule.type: cosine\n  schedule.lr: 0.1\n"
                      "  schedule.warmup.steps: [500]\n"),
              HasSubstr("sweep.yaml:10:27: schedule.warmup.steps: 500 warmup steps leave "
                        "nothing of the 16"));
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1, steps: 5}\nschedule: {type: constant, lr: 1}\n"),
              HasSubstr("exactly one of train.epochs or train.steps"));
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1}\nmethod: random\n"),
              HasSubstr("needs count"));
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1}\nparameters:\n  schedule.type: constant\n"
                      "  schedule.lr: {distribution: uniform, min: 0.1, max: 0.2}\n"),
              HasSubstr("distributions need method: random"));
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1}\nmethod: random\ncount: 2\nparameters:\n"
                      "  schedule.type: constant\n"
                      "  schedule.lr: {distribution: log_uniform, min: 0, max: 0.2}\n"),
              HasSubstr("log_uniform needs min > 0"));
  // A key missing from a flow mapping (yaml-cpp hands back an invalid node for it) is a located
  // error, never an exception out of the parser.
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1}\nmethod: random\ncount: 2\nparameters:\n"
                      "  schedule.type: constant\n"
                      "  schedule.lr: {distribution: log_uniform, }\n"),
              HasSubstr("schedule.lr.min: expected a number, got nothing"));
  EXPECT_THAT(ErrorOf("name: t\ntrain: {epochs: 1}\nmethod: random\ncount: 2\nparameters:\n"
                      "  schedule.type: constant\n"
                      "  schedule.lr: {distribution: choice}\n"),
              HasSubstr("needs a non-empty 'values' list"));
}

TEST(SweepPlannerTest, LintWarningsAreGroupedAcrossTrials) {
  absl::StatusOr<SweepPlan> plan = PlanText(std::string(kMinimal) + R"(
seeds: [0, 1, 2]
parameters:
  schedule.type: cosine
  schedule.lr: [0.1, 0.2]
)");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_EQ(plan->warnings[0].warning.check, "eta_min_zero");
  EXPECT_EQ(plan->warnings[0].trials.size(), 6u);
  EXPECT_THAT(FormatPlanWarning(plan->warnings[0], 6), HasSubstr("(all trials)"));
}

TEST(SweepPlannerTest, StepsInsteadOfEpochsAndFashionMnistSizes) {
  absl::StatusOr<SweepPlan> plan = PlanText(R"(name: t
train:
  data: {type: fashion_mnist, val_fraction: 0.2}
  steps: 300
  batch_size: 64
schedule: {type: step, lr: 0.1, step_size: 1, unit: epoch}
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->trials[0].total_steps, 300);
  EXPECT_EQ(plan->trials[0].steps_per_epoch, 750);  // 48000 / 64
}

}  // namespace
}  // namespace lrsweep
