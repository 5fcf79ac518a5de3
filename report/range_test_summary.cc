#include "report/range_test_summary.h"

#include <algorithm>
#include <optional>

#include "fmt/format.h"
#include "report/report.h"
#include "sweep/range_test_plan.h"

namespace lrsweep {
namespace {

using Json = nlohmann::ordered_json;

std::string LrText(const std::optional<double>& lr) {
  return lr ? fmt::format("{:.3g}", *lr) : "—";
}

// The peak LRs trials took from test `trial`, grouped by LR.
std::vector<RangeTestSummary::Chosen> ChosenFrom(int64_t trial,
                                                 const std::vector<TrialRecord>& trials) {
  std::map<std::pair<double, std::string>, std::vector<int64_t>> by_lr;
  for (const TrialRecord& row : trials) {
    const std::optional<RelativeLr> relative = RelativeLrFromPlan(row.plan_json);
    if (!relative || relative->range_test_trial != trial) continue;
    // The peak LR as planned (the row's lr is the LR it last ran at).
    const double peak = relative->factor * relative->pick;
    by_lr[{peak, fmt::format("{:g} x {}", relative->factor, relative->anchor)}].push_back(
        row.trial);
  }
  std::vector<RangeTestSummary::Chosen> chosen;
  for (auto& [key, rows] : by_lr) chosen.push_back({key.first, key.second, std::move(rows)});
  return chosen;
}

}  // namespace

bool IsRangeTestTrial(const TrialRecord& trial) {
  return RangeTestTrialFromPlan(trial.plan_json).has_value();
}

RangeTestSummary SummarizeRangeTests(const std::vector<TrialRecord>& tests,
                                     const std::vector<TrialRecord>& trials,
                                     const std::map<int64_t, std::vector<MetricPoint>>& histories) {
  RangeTestSummary summary;
  for (const TrialRecord& row : tests) {
    const std::optional<RangeTestTrial> plan = RangeTestTrialFromPlan(row.plan_json);
    if (!plan) continue;
    RangeTestSummary::Test test;
    test.trial = row.trial;
    test.setup = plan->label;
    test.state = row.state;
    test.reason = row.reason;
    test.steps = row.step;
    auto history = histories.find(row.trial);
    if (history != histories.end() && !history->second.empty()) {
      test.curve = AnalyzeRangeTest(history->second, plan->spec);
      // The worker ends a test whose raw loss blew up before the smoothed loss shows it.
      if (row.state == TrialState::kDiverged && !test.curve.diverged_lr) {
        test.curve.diverged_lr =
            std::max_element(history->second.begin(), history->second.end(),
                             [](const MetricPoint& a, const MetricPoint& b) {
                               return a.step < b.step;
                             })->lr;
      }
    }
    test.chosen = ChosenFrom(row.trial, trials);
    summary.tests.push_back(std::move(test));
  }
  return summary;
}

std::string MarkdownRangeTests(const SweepReport& report) {
  const RangeTestSummary& summary = report.range_tests;
  if (!summary.active()) return "";
  std::string out =
      "\n## LR range test\n\nEach training setup's loss against an exponentially growing LR "
      "(smoothed), before the sweep's trials. steepest: the LR where the loss falls fastest; "
      "min_loss: the LR of the lowest loss / 10.\n\n"
      "| trial | setup | state | steps | steepest | min_loss | diverged at | peak LRs taken | "
      "note |\n|---:|---|---|---:|---:|---:|---:|---|---|\n";
  for (const RangeTestSummary::Test& test : summary.tests) {
    std::string chosen;
    for (const RangeTestSummary::Chosen& c : test.chosen) {
      chosen += fmt::format("{}{:.3g} ({}, {} trials)", chosen.empty() ? "" : ", ", c.lr,
                            c.label, c.trials.size());
    }
    std::string note = test.curve.problem;
    if (test.state == TrialState::kFailed || test.state == TrialState::kCancelled) {
      note = test.reason;
    }
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", test.trial, test.setup,
                       std::string(TrialStateName(test.state)), test.steps,
                       LrText(test.curve.steepest_lr), LrText(test.curve.Pick("min_loss")),
                       LrText(test.curve.diverged_lr), chosen.empty() ? "—" : chosen,
                       note.empty() ? "" : note);
  }
  return out;
}

Json RangeTestJson(const RangeTestSummary& summary) {
  Json tests = Json::array();
  for (const RangeTestSummary::Test& test : summary.tests) {
    Json curve = Json::array();
    for (const RangeTestPoint& p : test.curve.points) {
      curve.push_back({{"step", p.step}, {"lr", p.lr}, {"loss", p.loss}, {"smoothed", p.smoothed}});
    }
    Json chosen = Json::array();
    for (const RangeTestSummary::Chosen& c : test.chosen) {
      chosen.push_back({{"lr", c.lr}, {"from", c.label}, {"trials", c.trials}});
    }
    auto optional = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
    tests.push_back({{"trial", test.trial},
                     {"setup", test.setup},
                     {"state", std::string(TrialStateName(test.state))},
                     {"steps", test.steps},
                     {"steepest", optional(test.curve.steepest_lr)},
                     {"min_loss", optional(test.curve.Pick("min_loss"))},
                     {"lowest_loss_lr", optional(test.curve.min_loss_lr)},
                     {"diverged_at", optional(test.curve.diverged_lr)},
                     {"problem", test.curve.problem},
                     {"chosen", chosen},
                     {"curve", curve}});
  }
  return tests;
}

Json RangeTestChart(const RangeTestSummary& summary) {
  Json curve = Json::array();
  Json marks = Json::array();
  for (const RangeTestSummary::Test& test : summary.tests) {
    const std::string setup = fmt::format("trial {}: {}", test.trial, test.setup);
    for (const RangeTestPoint& p : test.curve.points) {
      curve.push_back({{"setup", setup}, {"lr", p.lr}, {"loss", p.loss}, {"smoothed", p.smoothed}});
    }
    auto mark = [&](const std::optional<double>& lr, const std::string& label) {
      if (lr) marks.push_back({{"setup", setup}, {"lr", *lr}, {"label", label}});
    };
    mark(test.curve.steepest_lr, "steepest");
    mark(test.curve.Pick("min_loss"), "min_loss");
    for (const RangeTestSummary::Chosen& c : test.chosen) mark(c.lr, "peak " + c.label);
  }
  const Json x = {{"field", "lr"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}},
                  {"title", "learning rate"}};
  const Json color = {{"field", "setup"}, {"type", "nominal"}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", "LR range test: loss vs LR (picks and the peak LRs taken marked)"},
          {"width", 520}, {"height", 300},
          {"layer",
           Json::array(
               {{{"data", {{"values", curve}}},
                 {"mark", {{"type", "line"}, {"opacity", 0.25}}},
                 {"encoding", {{"x", x},
                               {"y", {{"field", "loss"}, {"type", "quantitative"},
                                      {"title", "training loss"}, {"scale", {{"zero", false}}}}},
                               {"color", color}}}},
                {{"data", {{"values", curve}}},
                 {"mark", {{"type", "line"}, {"strokeWidth", 2}}},
                 {"encoding", {{"x", x}, {"y", {{"field", "smoothed"}, {"type", "quantitative"}}},
                               {"color", color}}}},
                {{"data", {{"values", marks}}},
                 {"mark", {{"type", "rule"}, {"strokeDash", Json::array({4, 3})}}},
                 {"encoding", {{"x", x}, {"color", color},
                               {"tooltip", Json::array({{{"field", "label"}}, {{"field", "lr"}},
                                                        {{"field", "setup"}}})}}}},
                {{"data", {{"values", marks}}},
                 {"mark", {{"type", "text"}, {"angle", 270}, {"align", "right"}, {"dx", -4},
                           {"dy", -4}, {"fontSize", 10}}},
                 {"encoding", {{"x", x}, {"y", {{"value", 0}}}, {"text", {{"field", "label"}}},
                               {"color", color}}}}})}};
}

}  // namespace lrsweep
