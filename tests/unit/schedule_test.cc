// Schedule behaviour beyond the PyTorch references: resolution against the run length, epoch
// units, refusing foreign state, and the documented equivalences.
#include "schedule/schedule.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schedule/schedule_horizon.h"
#include "schedule/schedule_parser.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

ScheduleSpec Spec(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  absl::StatusOr<ScheduleSpec> spec =
      ParseScheduleSpec(root["schedule"], YamlReader("s.yaml"), "schedule");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

std::vector<double> Lrs(const ScheduleSpec& spec, Horizon horizon) {
  absl::StatusOr<Schedule> schedule = Schedule::Create(spec, horizon);
  EXPECT_TRUE(schedule.ok()) << schedule.status();
  std::vector<double> lrs;
  for (int64_t i = 0; i < horizon.total_steps; ++i) {
    lrs.push_back(schedule->lr());
    schedule->Step();
  }
  return lrs;
}

TEST(ScheduleTest, LengthsDefaultToTheStepsAfterWarmup) {
  absl::StatusOr<ScheduleSpec> resolved =
      ResolveSchedule(Spec("schedule: {type: cosine, lr: 0.1, warmup: {fraction: 0.1}}"),
                      Horizon{1000, 0});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved->warmup->steps, 100);
  EXPECT_EQ(*resolved->t_max, 900);
  absl::StatusOr<ScheduleSpec> poly =
      ResolveSchedule(Spec("schedule: {type: polynomial, lr: 0.1, warmup: {steps: 7}}"),
                      Horizon{50, 0});
  ASSERT_TRUE(poly.ok());
  EXPECT_EQ(*poly->total_iters, 43);
}

TEST(ScheduleTest, WarmupReachesPeakThenMainScheduleStartsAtZero) {
  const std::vector<double> lrs =
      Lrs(Spec("schedule: {type: cosine, lr: 0.2, warmup: {steps: 4}}"), Horizon{20, 0});
  EXPECT_EQ(lrs[0], 0.0);
  EXPECT_DOUBLE_EQ(lrs[2], 0.1);
  EXPECT_EQ(lrs[4], 0.2);  // first step of the cosine: its peak
  EXPECT_LT(lrs[19], lrs[18]);
}

TEST(ScheduleTest, EpochUnitChangesLrOnlyAtEpochBoundaries) {
  const std::vector<double> lrs =
      Lrs(Spec("schedule: {type: exponential, lr: 1.0, gamma: 0.5, unit: epoch}"),
          Horizon{30, 10});
  EXPECT_EQ(lrs[0], 1.0);
  EXPECT_EQ(lrs[9], 1.0);
  EXPECT_EQ(lrs[10], 0.5);
  EXPECT_EQ(lrs[29], 0.25);
}

TEST(ScheduleTest, EpochUnitNeedsStepsPerEpoch) {
  absl::StatusOr<Schedule> schedule =
      Schedule::Create(Spec("schedule: {type: step, lr: 0.1, step_size: 2, unit: epoch}"),
                       Horizon{100, 0});
  EXPECT_THAT(std::string(schedule.status().message()), HasSubstr("steps per epoch"));
}

TEST(ScheduleTest, WarmupLongerThanTrainingIsRefused) {
  absl::StatusOr<Schedule> schedule =
      Schedule::Create(Spec("schedule:\n  type: cosine\n  lr: 0.1\n  warmup: {steps: 200}\n"),
                       Horizon{100, 0});
  ASSERT_FALSE(schedule.ok());
  EXPECT_THAT(std::string(schedule.status().message()),
              HasSubstr("s.yaml:4:19: schedule.warmup.steps: 200 warmup steps leave nothing"));
}

TEST(ScheduleTest, WsdPhasesMustFit) {
  absl::StatusOr<Schedule> schedule = Schedule::Create(
      Spec("schedule: {type: wsd, lr: 0.1, warmup_steps: 50, decay_steps: 80}"), Horizon{100, 0});
  EXPECT_THAT(std::string(schedule.status().message()), HasSubstr("must fit in the 100 steps"));
}

TEST(ScheduleTest, OneCyclePhaseOfZeroLengthIsRefused) {
  // pct_start * total - 1 == 0: PyTorch would divide by zero.
  absl::StatusOr<Schedule> schedule =
      Schedule::Create(Spec("schedule: {type: onecycle, lr: 0.1, pct_start: 0.1}"), Horizon{10, 0});
  EXPECT_THAT(std::string(schedule.status().message()), HasSubstr("zero length"));
}

TEST(ScheduleTest, RestoringStateFromAnotherConfigurationIsRefused) {
  absl::StatusOr<Schedule> a =
      Schedule::Create(Spec("schedule: {type: cosine, lr: 0.1}"), Horizon{100, 0});
  absl::StatusOr<Schedule> b =
      Schedule::Create(Spec("schedule: {type: cosine, lr: 0.2}"), Horizon{100, 0});
  for (int i = 0; i < 10; ++i) a->Step();
  const absl::Status status = b->RestoreState(a->SaveState());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("different schedule configuration"));
  EXPECT_EQ(b->step(), 0);  // unchanged

  ScheduleState past_end = a->SaveState();
  past_end.step = 500;
  EXPECT_EQ(a->RestoreState(past_end).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ScheduleTest, PlateauStateSurvivesJson) {
  absl::StatusOr<Schedule> plateau =
      Schedule::Create(Spec("schedule: {type: plateau, lr: 0.1, patience: 1}"), Horizon{10, 1});
  const ScheduleState fresh = plateau->SaveState();
  EXPECT_TRUE(std::isinf(fresh.plateau_best));
  absl::StatusOr<ScheduleState> loaded =
      ScheduleStateFromJson(nlohmann::json::parse(ScheduleStateToJson(fresh).dump()));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, fresh);
  EXPECT_FALSE(ScheduleStateFromJson(nlohmann::json::parse(R"({"step": "x"})")).ok());
}

TEST(ScheduleTest, PlannedLrIgnoresMetricHistory) {
  absl::StatusOr<Schedule> plateau =
      Schedule::Create(Spec("schedule: {type: plateau, lr: 0.1, patience: 0}"), Horizon{10, 1});
  plateau->ObserveMetric(1.0);
  plateau->Step();
  plateau->ObserveMetric(2.0);  // worse: reduce
  plateau->Step();
  EXPECT_DOUBLE_EQ(plateau->lr(), 0.01);
  EXPECT_EQ(plateau->PlannedLrAt(2), 0.1);
}

// A schedule over a third of the run has the same shape in a third of the steps.
TEST(ScheduleForFractionTest, CompressesTheWholeScheduleInTime) {
  ScheduleSpec exponential;
  exponential.type = ScheduleType::kExponential;
  exponential.lr = 0.1;
  exponential.gamma = 0.99;
  const ScheduleSpec third = ScheduleForFraction(exponential, 1.0 / 3, 10);
  absl::StatusOr<Schedule> full = Schedule::Create(exponential, Horizon{300, 10});
  absl::StatusOr<Schedule> shorter = Schedule::Create(third, Horizon{100, 10});
  ASSERT_TRUE(full.ok() && shorter.ok());
  for (int64_t step : {0, 30, 99}) {
    EXPECT_NEAR(shorter->PlannedLrAt(step), full->PlannedLrAt(3 * step), 1e-12) << step;
  }

  ScheduleSpec steps;
  steps.type = ScheduleType::kMultiStep;
  steps.lr = 0.1;
  steps.unit = ScheduleUnit::kEpoch;
  steps.milestones = {3, 6};
  const ScheduleSpec compressed = ScheduleForFraction(steps, 1.0 / 9, 10);  // 9 epochs of 10
  EXPECT_EQ(compressed.unit, ScheduleUnit::kStep);
  EXPECT_EQ(compressed.milestones, (std::vector<int64_t>{3, 7}));  // 30 and 60 steps / 9
  EXPECT_EQ(ScheduleForFraction(steps, 1.0, 10).unit, ScheduleUnit::kEpoch);  // the full run
}

TEST(ScheduleTest, SequentialMilestonesMustFallInsideTheRun) {
  const ScheduleSpec spec = Spec(
      "schedule: {type: sequential, lr: 0.1, schedules: [{type: constant}, {type: cosine}], "
      "milestones: [50]}");
  absl::StatusOr<Schedule> schedule = Schedule::Create(spec, Horizon{40, 0});
  ASSERT_FALSE(schedule.ok());
  EXPECT_THAT(schedule.status().message(),
              HasSubstr("schedule.milestones: the last milestone (50) must fall inside the 40"));

  const ScheduleSpec too_short = Spec(
      "schedule: {type: sequential, lr: 0.1, schedules: [{type: constant}, "
      "{type: cosine, warmup: {steps: 30}}], milestones: [10]}");
  schedule = Schedule::Create(too_short, Horizon{40, 0});
  ASSERT_FALSE(schedule.ok());
  EXPECT_THAT(schedule.status().message(), HasSubstr("schedule.schedules[1].warmup.steps"));
}

TEST(ScheduleTest, SequentialByEpochCountsMilestonesInEpochs) {
  const ScheduleSpec spec = Spec(
      "schedule: {type: sequential, lr: 0.1, unit: epoch, schedules: [{type: constant}, "
      "{type: step, step_size: 1, gamma: 0.5}], milestones: [2]}");
  const std::vector<double> lrs = Lrs(spec, Horizon{50, 10});  // 5 epochs of 10 steps
  EXPECT_EQ(lrs[19], 0.1);
  EXPECT_EQ(lrs[20], 0.1);  // epoch 2: the step schedule starts at its base
  EXPECT_EQ(lrs[29], 0.1);
  EXPECT_EQ(lrs[30], 0.05);
  EXPECT_EQ(lrs[49], 0.025);
}

TEST(ScheduleForFractionTest, SequentialKeepsEverySegment) {
  const ScheduleSpec spec = Spec(
      "schedule: {type: sequential, lr: 0.1, schedules: [{type: linear, start_factor: 0.1, "
      "total_iters: 3}, {type: constant}, {type: cosine}], milestones: [3, 4]}");
  const ScheduleSpec shorter = ScheduleForFraction(spec, 0.1, 0);
  EXPECT_EQ(shorter.milestones, (std::vector<int64_t>{1, 2}));  // still one tick each
  EXPECT_EQ(shorter.segments[0].total_iters, 1);
  absl::StatusOr<Schedule> schedule = Schedule::Create(shorter, Horizon{10, 0});
  ASSERT_TRUE(schedule.ok()) << schedule.status();
}

}  // namespace
}  // namespace lrsweep
