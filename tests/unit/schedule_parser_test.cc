// Reading schedule mappings: defaults are PyTorch's / HF's, and every bad input is refused with
// the file position and key named.
#include "schedule/schedule_parser.h"

#include "schedule/schedule.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

// ConstantLR's form: the LR held at start_factor x lr, which must then be given and positive.
TEST(ScheduleParserTest, AConstantWarmupNeedsAPositiveStartFactor) {
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {steps: 5, shape: constant}}"),
              HasSubstr("schedule.warmup.shape: a constant warmup holds the LR at start_factor"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {steps: 5, shape: constant, "
                      "start_factor: 0}}"),
              HasSubstr("schedule.warmup.start_factor: must be in (0, 1] for a constant warmup"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine, lr: 0.1, warmup: {steps: 5, shape: flat}}"),
              HasSubstr("schedule.warmup.shape"));
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

TEST(ScheduleParserTest, SequentialSegmentsShareTheLrAndNeedOneMilestoneEach) {
  absl::StatusOr<ScheduleSpec> spec = Parse(R"(schedule:
  type: sequential
  lr: 0.1
  schedules:
    - {type: linear, start_factor: 0.1, total_iters: 10}
    - {type: cosine, eta_min: 0.001}
  milestones: [10]
)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->segments.size(), 2u);
  EXPECT_EQ(spec->segments[1].type, ScheduleType::kCosine);
  EXPECT_EQ(spec->segments[1].key_path, "schedule.schedules[1]");

  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: constant}, "
                      "{type: cosine}]}"),
              HasSubstr("schedule.milestones: 2 schedules need 1 milestones"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: constant}, "
                      "{type: cosine, lr: 0.2}], milestones: [5]}"),
              HasSubstr("s.yaml:1:88: schedule.schedules[1].lr: a segment runs at the "
                        "sequential schedule's lr"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: plateau}]}"),
              HasSubstr("schedule.schedules[0].type: plateau cannot be a segment"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: cosin}]}"),
              HasSubstr("schedule.schedules[0].type: unknown schedule type 'cosin'"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: onecycle}]}"),
              HasSubstr("cycle_momentum: false"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1, schedules: [{type: constant}, "
                      "{type: step, step_size: 2}], milestones: [0]}"),
              HasSubstr("milestones must be >= 1"));
  EXPECT_THAT(ErrorOf("schedule: {type: sequential, lr: 0.1}"),
              HasSubstr("sequential needs schedules"));
}

TEST(ScheduleParserTest, RestartsByCyclesOrByT0NotBoth) {
  absl::StatusOr<ScheduleSpec> hf =
      Parse("schedule: {type: cosine_restarts, lr: 0.1, num_cycles: 2.5}");
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ(hf->t_0, 0);
  EXPECT_EQ(hf->num_cycles, 2.5);
  const std::string json = ScheduleSpecToJson(*hf).dump();
  EXPECT_THAT(json, HasSubstr("\"num_cycles\":2.5"));
  EXPECT_THAT(json, Not(HasSubstr("t_0")));
  absl::StatusOr<ScheduleSpec> again = Parse("schedule: " + json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ScheduleSpecToJson(*again).dump(), json);

  EXPECT_THAT(ErrorOf("schedule: {type: cosine_restarts, lr: 0.1, t_0: 5, num_cycles: 2}"),
              HasSubstr("schedule.t_0: give t_0 (and t_mult) or num_cycles, not both"));
  EXPECT_THAT(ErrorOf("schedule: {type: cosine_restarts, lr: 0.1}"),
              HasSubstr("needs t_0 (ticks in the first cycle) or num_cycles"));
}

TEST(ScheduleParserTest, ResolvedSequentialRoundTripsThroughItsMapping) {
  absl::StatusOr<ScheduleSpec> spec = Parse(
      "schedule: {type: sequential, lr: 0.1, schedules: [{type: linear, start_factor: 0.1, "
      "total_iters: 5}, {type: cosine, warmup: {fraction: 0.1}}], milestones: [5]}");
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<ScheduleSpec> resolved = ResolveSchedule(*spec, Horizon{105, 0});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->segments[1].t_max, 90);  // 100 ticks in the segment, 10 of them warmup
  const std::string json = ScheduleSpecToJson(*resolved).dump();
  EXPECT_THAT(json, Not(HasSubstr("\"unit\":\"step\",\"t_max\"")));
  absl::StatusOr<ScheduleSpec> again = Parse("schedule: " + json);
  ASSERT_TRUE(again.ok()) << again.status() << json;
  EXPECT_EQ(ScheduleSpecToJson(*again).dump(), json);
}

TEST(ScheduleFileTest, OnlyScheduleAtTopLevel) {
  absl::StatusOr<ScheduleSpec> spec = LoadScheduleFile("/nonexistent/s.yaml");
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("cannot open file"));
}

}  // namespace
}  // namespace lrsweep
