// Sweep tags, notes and the listing filter that `lrsweep status` and the dashboard share.
#include "sweep/sweep_labels.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SweepView View(const std::string& id, const std::string& name, SweepState state,
               std::vector<std::string> tags, int64_t archived_ms = 0) {
  SweepView view;
  view.record.id = id;
  view.record.name = name;
  view.record.state = state;
  view.record.tags = std::move(tags);
  view.record.archived_ms = archived_ms;
  return view;
}

TEST(SweepLabelsTest, TagsStaySortedAndDistinctAndABadOneChangesNothing) {
  SweepRecord record;
  record.tags = {"b"};
  SweepLabelChange change;
  change.add_tags = {"c", "a", "b"};
  change.note = "why this sweep";
  ASSERT_TRUE(ApplyLabelChange(change, &record).ok());
  EXPECT_THAT(record.tags, ElementsAre("a", "b", "c"));
  EXPECT_EQ(record.note, "why this sweep");

  SweepLabelChange bad;
  bad.add_tags = {"ok", "not,ok"};
  bad.remove_tags = {"a"};
  const absl::Status refused = ApplyLabelChange(bad, &record);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("'not,ok' has ','"));
  EXPECT_THAT(record.tags, ElementsAre("a", "b", "c"));

  SweepLabelChange too_many;
  for (int i = 0; i < 20; ++i) too_many.add_tags.push_back("t" + std::to_string(i));
  EXPECT_THAT(ApplyLabelChange(too_many, &record).message(), HasSubstr("at most 20 tags"));
  SweepLabelChange long_note;
  long_note.note = std::string(kMaxNoteBytes + 1, 'x');
  EXPECT_EQ(ApplyLabelChange(long_note, &record).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTag(std::string(41, 'a')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateTag("team/vision:v2.1_a-b").ok());
}

TEST(SweepLabelsTest, TheFilterNeedsEveryTagTheStateAndTheTextAndHidesArchived) {
  const SweepView baseline = View("cnn-1a2b3c", "CNN baseline", SweepState::kFinished,
                                  {"baseline", "cnn"});
  const SweepView archived = View("cnn-4d5e6f", "old CNN", SweepState::kFinished, {"cnn"}, 42);
  const SweepView running = View("mlp-777777", "mlp", SweepState::kRunning, {});

  absl::StatusOr<SweepFilter> cnn = MakeSweepFilter({"cnn"}, "finished", "", false);
  ASSERT_TRUE(cnn.ok());
  EXPECT_TRUE(cnn->Matches(baseline));
  EXPECT_FALSE(cnn->Matches(archived));
  EXPECT_FALSE(cnn->Matches(running));
  EXPECT_TRUE(MakeSweepFilter({"cnn"}, "", "", true)->Matches(archived));
  EXPECT_FALSE(MakeSweepFilter({"cnn", "baseline"}, "", "", true)->Matches(archived));
  EXPECT_TRUE(MakeSweepFilter({}, "", "Baseline", false)->Matches(baseline));  // any case
  EXPECT_TRUE(MakeSweepFilter({}, "", "777", false)->Matches(running));       // or the id
  EXPECT_TRUE(MakeSweepFilter({}, "RUNNING", "", false)->Matches(running));

  const absl::StatusOr<SweepFilter> bad_state = MakeSweepFilter({}, "done", "", false);
  EXPECT_EQ(bad_state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_state.status().message(), HasSubstr("running, finished or cancelled"));
}

}  // namespace
}  // namespace lrsweep
