// Reading schedule mappings: defaults are PyTorch's / HF's, and every bad input is refused with
// the file position and key named.
#include "schedule/schedule_parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ScheduleSpec> Parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ParseScheduleSpec(root["schedule"], YamlReader("s.yaml"), "schedule");
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<ScheduleSpec> spec = Parse(yaml);
  EXPECT_FALSE(spec.ok()) << yaml;
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(ScheduleParserTest, DefaultsArePyTorchAndHuggingFaceDefaults) {
  absl::StatusOr<ScheduleSpec> onecycle = Parse("schedule: {type: onecycle, lr: 0.1}");
  ASSERT_TRUE(onecycle.ok()) << onecycle.status();
  EXPECT_EQ(onecycle->pct_start, 0.3);
  EXPECT_EQ(onecycle->div_factor, 25.0);
  EXPECT_EQ(onecycle->final_div_factor, 1e4);
  EXPECT_EQ(onecycle->base_momentum, 0.85);
  EXPECT_EQ(onecycle->max_momentum, 0.95);
  EXPECT_TRUE(onecycle->cycle_momentum);
  EXPECT_FALSE(onecycle->three_phase);

  absl::StatusOr<ScheduleSpec> plateau = Parse("schedule: {type: plateau, lr: 0.1}");
  ASSERT_TRUE(plateau.ok());
  EXPECT_EQ(plateau->factor, 0.1);
  EXPECT_EQ(plateau->patience, 10);
  EXPECT_EQ(plateau->threshold, 1e-4);
  EXPECT_EQ(plateau->eps, 1e-8);
  EXPECT_EQ(plateau->unit, ScheduleUnit::kEpoch);

  absl::StatusOr<ScheduleSpec> wsd =
      Parse("schedule: {type: wsd, lr: 0.001, decay_steps: 10}");
  ASSERT_TRUE(wsd.ok());
  EXPECT_EQ(wsd->decay_type, WsdShape::kCosine);
  EXPECT_EQ(wsd->warmup_type, WsdShape::kLinear);
  EXPECT_EQ(wsd->num_cycles, 0.5);

  absl::StatusOr<ScheduleSpec> linear = Parse("schedule: {type: linear, lr: 0.1}");
  ASSERT_TRUE(linear.ok());
  EXPECT_DOUBLE_EQ(linear->start_factor, 1.0 / 3.0);
  EXPECT_EQ(linear->end_factor, 1.0);
}

TEST(ScheduleParserTest, OneCycleMaxLrIsItsLr) {
  absl::StatusOr<ScheduleSpec> spec = Parse("schedule: {type: onecycle, max_lr: 0.4}");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->lr, 0.4);
  EXPECT_THAT(ErrorOf("schedule: {type: onecycle, max_lr: 0.4, lr: 0.3}"),
              HasSubstr("they differ"));
}

TEST(ScheduleParserTest, CyclicHasCyclicLrsDefaultsAndNeedsABaseBelowItsPeak) {
  absl::StatusOr<ScheduleSpec> cyclic =
      Parse("schedule: {type: cyclic, max_lr: 0.1, base_lr: 0.01}");
  ASSERT_TRUE(cyclic.ok()) << cyclic.status();
  EXPECT_EQ(cyclic->lr, 0.1);
  EXPECT_EQ(cyclic->step_size_up, 2000);
  EXPECT_FALSE(cyclic->step_size_down.has_value());
  EXPECT_EQ(cyclic->cyclic_mode, CyclicMode::kTriangular);
  EXPECT_EQ(cyclic->gamma, 1.0);  // not step's 0.1
  EXPECT_EQ(cyclic->base_momentum, 0.8);
  EXPECT_EQ(cyclic->max_momentum, 0.9);
  EXPECT_THAT(ErrorOf("schedule: {type: cyclic, lr: 0.1}"),
              HasSubstr("schedule.base_lr: cyclic needs base_lr"));
  EXPECT_THAT(ErrorOf("schedule: {type: cyclic, lr: 0.1,\n  base_lr: 0.2}"),
              HasSubstr("s.yaml:2:12: schedule.base_lr: must be below lr (0.1)"));
  EXPECT_THAT(ErrorOf("schedule: {type: cyclic, lr: 0.1, base_lr: 0.01, mode: triangle}"),
              HasSubstr("unknown value 'triangle'. Valid: triangular, triangular2, exp_range."));
  EXPECT_THAT(ErrorOf("schedule: {type: cyclic, lr: 0.1, base_lr: 0.01, gamma: 1.5}"),
              HasSubstr("must be in (0, 1]"));
  // The same key means another thing for plateau; each type reads its own.
  EXPECT_THAT(ErrorOf("schedule: {type: cyclic, lr: 0.1, base_lr: 0.01, mode: min}"),
              HasSubstr("unknown value 'min'"));
}

TEST(ScheduleParserTest, NonPositiveLrNamesKeyAndPosition) {
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosine\n  lr: 0\n"),
              HasSubstr("s.yaml:3:7: schedule.lr: must be greater than 0"));
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosine\n  lr: -1\n"), HasSubstr("schedule.lr"));
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosine\n"), HasSubstr("schedule.lr: missing"));
}

TEST(ScheduleParserTest, RestartLengthBelowOneIsRefused) {
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosine_restarts\n  lr: 0.1\n  t_0: 0\n"),
              HasSubstr("s.yaml:4:8: schedule.t_0: must be at least 1"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine_restarts, lr: 0.1}"), HasSubstr("needs t_0"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine_restarts, lr: 0.1, t_0: 5, t_mult: 1.5}"),
              HasSubstr("schedule.t_mult: expected a whole number"));
}

TEST(ScheduleParserTest, PctStartOutsideOpenUnitIntervalIsRefused) {
  for (const char* value : {"0", "1", "1.5", "-0.1"}) {
    EXPECT_THAT(ErrorOf(std::string("schedule: {type: onecycle, lr: 0.1, pct_start: ") + value +
                        "}"),
                HasSubstr("schedule.pct_start: must be in (0, 1)"));
  }
}

TEST(ScheduleParserTest, UnsortedMilestonesAreRefused) {
  EXPECT_THAT(ErrorOf("schedule:\n  type: multistep\n  lr: 0.1\n  milestones: [30, 10]\n"),
              HasSubstr("s.yaml:4:15: schedule.milestones: milestones must be sorted in "
                        "increasing order, but 10 follows 30"));
  EXPECT_THAT(ErrorOf("schedule: {type: multistep, lr: 0.1, milestones: [10, 10]}"),
              HasSubstr("sorted"));
}

TEST(ScheduleParserTest, UnknownTypeSuggestsClosestName) {
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosin\n  lr: 0.1\n"),
              HasSubstr("s.yaml:2:9: schedule.type: unknown schedule type 'cosin'. Did you mean "
                        "'cosine'?"));
  EXPECT_THAT(ErrorOf("schedule: {type: one_cycle, lr: 0.1}"), HasSubstr("'onecycle'"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine_restart, lr: 0.1}"),
              HasSubstr("'cosine_restarts'"));
}

TEST(ScheduleParserTest, UnknownKeyIsRefusedAtItsPosition) {
  EXPECT_THAT(ErrorOf("schedule:\n  type: cosine\n  lr: 0.1\n  etamin: 0.01\n"),
              HasSubstr("s.yaml:4:3: schedule.etamin: unknown key 'etamin' in schedule. Did you "
                        "mean 'eta_min'?"));
  // A key of another type is unknown for this one.
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, gamma: 0.5}"),
              HasSubstr("unknown key 'gamma'"));
}

TEST(ScheduleParserTest, WrongTypesAreNamed) {
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: fast}"),
              HasSubstr("schedule.lr: expected a number, got 'fast'"));
  EXPECT_THAT(ErrorOf("schedule: {type: step, lr: 0.1, step_size: [1]}"),
              HasSubstr("expected a whole number, got a list"));
  EXPECT_THAT(ErrorOf("schedule: {type: onecycle, lr: 0.1, three_phase: maybe}"),
              HasSubstr("expected true or false"));
  EXPECT_THAT(ErrorOf("schedule: {type: onecycle, lr: 0.1, anneal_strategy: cosine}"),
              HasSubstr("Did you mean 'cos'?"));
}

TEST(ScheduleParserTest, WarmupNeedsExactlyOneLength) {
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {steps: 5, fraction: 0.1}}"),
              HasSubstr("not both"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {start_factor: 0.1}}"),
              HasSubstr("needs 'steps: N' or 'fraction: f'"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {fraction: 1.0}}"),
              HasSubstr("schedule.warmup.fraction: must be in [0, 1)"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {step: 5}}"),
              HasSubstr("Did you mean 'steps'?"));
}

TEST(ScheduleParserTest, TypeSpecificRanges) {
  EXPECT_THAT(ErrorOf("schedule: {type: linear, lr: 0.1, start_factor: 0}"),
              HasSubstr("schedule.start_factor: must be in (0, 1]"));
  EXPECT_THAT(ErrorOf("schedule: {type: plateau, lr: 0.1, factor: 1.0}"),
              HasSubstr("schedule.factor: must be in (0, 1)"));
  EXPECT_THAT(ErrorOf("schedule: {type: exponential, lr: 0.1}"), HasSubstr("needs gamma"));
  EXPECT_THAT(ErrorOf("schedule: {type: wsd, lr: 0.1}"), HasSubstr("needs decay_steps"));
  EXPECT_THAT(ErrorOf("schedule: {type: onecycle, lr: 0.1, base_momentum: 0.99}"),
              HasSubstr("must not exceed max_momentum"));
}

TEST(ScheduleParserTest, ResolvedSpecRoundTripsThroughItsMapping) {
  absl::StatusOr<ScheduleSpec> spec =
      Parse("schedule: {type: wsd, lr: 0.001, decay_steps: 10, decay_type: 1-sqrt}");
  ASSERT_TRUE(spec.ok());
  const std::string json = ScheduleSpecToJson(*spec).dump();
  absl::StatusOr<ScheduleSpec> again = Parse("schedule: " + json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ScheduleSpecToJson(*again).dump(), json);
}

TEST(ScheduleFileTest, OnlyScheduleAtTopLevel) {
  absl::StatusOr<ScheduleSpec> spec = LoadScheduleFile("/nonexistent/s.yaml");
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("cannot open file"));
}

}  // namespace
}  // namespace lrsweep
