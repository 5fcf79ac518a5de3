// Each lint check fires on the pitfall it describes, and a healthy schedule gets no warning.
#include "schedule/schedule_lint.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schedule/schedule_parser.h"

namespace lrsweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Checks(const std::string& yaml, Horizon horizon = {1000, 100},
                                LintContext context = {}) {
  YAML::Node root = YAML::Load(yaml);
  absl::StatusOr<ScheduleSpec> spec =
      ParseScheduleSpec(root["schedule"], YamlReader("s.yaml"), "schedule");
  EXPECT_TRUE(spec.ok()) << spec.status();
  std::vector<std::string> checks;
  for (const LintWarning& warning : LintSchedule(*spec, horizon, context)) {
    EXPECT_FALSE(warning.fix.empty());
    checks.push_back(warning.check);
  }
  return checks;
}

TEST(ScheduleLintTest, AWarmupFractionThatRoundsToNoStepsIsFlagged) {
  // 5% of 8 steps is 0.4 steps: no warmup at all, the same trial as one without warmup.
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1, eta_min: 0.001, warmup: {fraction: 0.05}}",
                     {8, 8}),
              ::testing::Contains("warmup_rounds_to_zero"));
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1, eta_min: 0.001, warmup: {fraction: 0.05}}",
                     {40, 8}),
              ::testing::Not(::testing::Contains("warmup_rounds_to_zero")));
}

TEST(ScheduleLintTest, HealthySchedulesHaveNoWarnings) {
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1, eta_min: 0.001, warmup: {fraction: 0.05}}",
                     {1000, 100}, {"adamw", 256, true}),
              IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: onecycle, lr: 0.1}", {1000, 100}, {"sgd", 128, true}),
              IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: multistep, lr: 0.1, milestones: [500, 750, 900]}"),
              IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: plateau, lr: 0.1}"), IsEmpty());
}

TEST(ScheduleLintTest, TMaxNotMatchingStepsAfterWarmup) {
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1, eta_min: 0.001, t_max: 1000, "
                     "warmup: {steps: 100}}"),
              ElementsAre("t_max_mismatch"));
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1, eta_min: 0.001, t_max: 900, "
                     "warmup: {steps: 100}}"),
              IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: polynomial, lr: 0.1, total_iters: 300}"),
              ElementsAre("t_max_mismatch"));
}

TEST(ScheduleLintTest, EtaMinZeroOnCosine) {
  EXPECT_THAT(Checks("schedule: {type: cosine, lr: 0.1}"), ElementsAre("eta_min_zero"));
  EXPECT_THAT(Checks("schedule: {type: cosine_restarts, lr: 0.1, t_0: 100}"),
              ElementsAre("eta_min_zero"));
}

TEST(ScheduleLintTest, PerStepSchedulesByEpoch) {
  EXPECT_THAT(Checks("schedule: {type: onecycle, lr: 0.1, unit: epoch}"),
              ElementsAre("step_schedule_by_epoch"));
  EXPECT_THAT(Checks("schedule: {type: inverse_sqrt, lr: 0.1, unit: epoch, warmup_steps: 1}"),
              ElementsAre("step_schedule_by_epoch"));
}

TEST(ScheduleLintTest, PlateauByStep) {
  EXPECT_THAT(Checks("schedule: {type: plateau, lr: 0.1, unit: step}"),
              ElementsAre("plateau_by_step"));
}

TEST(ScheduleLintTest, WarmupOverThirtyPercent) {
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1, warmup: {fraction: 0.4}}"),
              ElementsAre("long_warmup"));
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1, warmup: {fraction: 0.3}}"), IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: wsd, lr: 0.1, warmup_steps: 400, decay_steps: 100}"),
              ElementsAre("long_warmup"));
}

TEST(ScheduleLintTest, NoWarmupWithAdamWOrLargeBatch) {
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.001}", {1000, 100}, {"adamw", 64, false}),
              ElementsAre("missing_warmup"));
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1}", {1000, 100}, {"sgd", 1024, false}),
              ElementsAre("missing_warmup"));
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1}", {1000, 100}, {"sgd", 512, false}),
              IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1, warmup: {fraction: 0.0}}", {1000, 100},
                     {"adamw", 64, false}),
              ElementsAre("missing_warmup"));
}

TEST(ScheduleLintTest, FixedWarmupStepsWhenLengthFollowsData) {
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1, warmup: {steps: 50}}", {1000, 100},
                     {"sgd", 128, true}),
              ElementsAre("fixed_warmup_steps"));
  EXPECT_THAT(Checks("schedule: {type: constant, lr: 0.1, warmup: {steps: 50}}", {1000, 100},
                     {"sgd", 128, false}),
              IsEmpty());
}

TEST(ScheduleLintTest, MoreThanThreeStepDrops) {
  EXPECT_THAT(Checks("schedule: {type: step, lr: 0.1, step_size: 200}"),
              ElementsAre("many_step_drops"));
  EXPECT_THAT(Checks("schedule: {type: step, lr: 0.1, step_size: 250}"), IsEmpty());
  EXPECT_THAT(Checks("schedule: {type: multistep, lr: 0.1, milestones: [100, 200, 300, 400]}"),
              ElementsAre("many_step_drops"));
  // Milestones past the end never drop.
  EXPECT_THAT(Checks("schedule: {type: multistep, lr: 0.1, milestones: [100, 200, 300, 4000]}"),
              IsEmpty());
}

TEST(ScheduleLintTest, WarningNamesPositionAndFix) {
  YAML::Node root = YAML::Load("schedule:\n  type: cosine\n  lr: 0.1\n  eta_min: 0\n");
  absl::StatusOr<ScheduleSpec> spec =
      ParseScheduleSpec(root["schedule"], YamlReader("s.yaml"), "schedule");
  const std::vector<LintWarning> warnings = LintSchedule(*spec, {100, 0}, {});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(FormatLintWarning(warnings[0]),
              HasSubstr("warning: s.yaml:4:12: schedule.eta_min: eta_min is 0"));
  EXPECT_THAT(FormatLintWarning(warnings[0]), HasSubstr("Fix: set a small floor, e.g. eta_min: 0.001"));
}

}  // namespace
}  // namespace lrsweep
