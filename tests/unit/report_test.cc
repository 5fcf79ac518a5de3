// Ranking statistics against known values, the report's sections, and every diagnosis on curves
// that show it (and none on a healthy run).
#include "report/report.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(StatisticsTest, MeanStdAndConfidenceIntervalMatchKnownValues) {
  const SeedStats stats = Summarize({0.90, 0.92, 0.94});
  EXPECT_NEAR(stats.mean, 0.92, 1e-12);
  EXPECT_NEAR(*stats.std, 0.02, 1e-12);
  // t(0.975, 2) = 4.302652729911275; half width = t * 0.02 / sqrt(3).
  EXPECT_NEAR(StudentTQuantile(0.975, 2), 4.302652729911275, 1e-9);
  EXPECT_NEAR(*stats.ci95_high - stats.mean, 4.302652729911275 * 0.02 / std::sqrt(3.0), 1e-10);
  EXPECT_NEAR(StudentTQuantile(0.975, 30), 2.042272456301238, 1e-9);
  EXPECT_FALSE(Summarize({0.5}).std.has_value());
  EXPECT_EQ(Summarize({}).n, 0);
}

TEST(StatisticsTest, WelchTestMatchesANumericalIntegration) {
  // t = 2.6112, df = 6.9808; the two-sided tail integrated numerically is 0.0349387792.
  EXPECT_NEAR(*WelchTwoSidedP({1, 2, 3, 4}, {3, 4, 5, 6, 7}), 0.0349387792, 1e-8);
  EXPECT_FALSE(WelchTwoSidedP({1}, {2, 3}).has_value());
  EXPECT_FALSE(WelchTwoSidedP({1, 1}, {1, 1}).has_value());
}

TrialRecord Trial(int64_t index, int64_t config, TrialState state, std::optional<double> score,
                  const std::string& type, double lr) {
  TrialRecord trial;
  trial.trial = index;
  trial.config = config;
  trial.state = state;
  trial.score = score;
  trial.params_json = "{\"schedule.type\":\"" + type + "\",\"schedule.lr\":" + std::to_string(lr) + "}";
  trial.plan_json = "{\"base_lr\":" + std::to_string(lr) + ",\"schedule\":{\"type\":\"" + type + "\"}}";
  trial.total_steps = 100;
  return trial;
}

SweepView View(bool maximize) {
  SweepView view;
  view.record.id = "s-1";
  view.record.name = "s";
  view.record.metric_name = "val_accuracy";
  view.record.maximize = maximize;
  return view;
}

TEST(ReportTest, RanksConfigurationsAcrossSeedsWithFamiliesAndStableRanges) {
  std::vector<TrialRecord> trials = {
      Trial(0, 0, TrialState::kCompleted, 0.80, "constant", 0.01),
      Trial(1, 0, TrialState::kCompleted, 0.82, "constant", 0.01),
      Trial(2, 1, TrialState::kCompleted, 0.90, "cosine", 0.1),
      Trial(3, 1, TrialState::kCompleted, 0.91, "cosine", 0.1),
      Trial(4, 2, TrialState::kCompleted, 0.895, "cosine", 0.03),
      Trial(5, 2, TrialState::kCompleted, 0.90, "cosine", 0.03),
      Trial(6, 3, TrialState::kDiverged, std::nullopt, "cosine", 1.0),
      Trial(7, 3, TrialState::kFailed, std::nullopt, "cosine", 1.0),
  };
  trials[6].reason = "diverged at step 3 (lr 1)";
  const SweepReport report = BuildReport(View(true), trials);
  ASSERT_EQ(report.ranking.size(), 4u);
  EXPECT_EQ(report.ranking[0].config, 1);
  EXPECT_NEAR(report.ranking[0].stats.mean, 0.905, 1e-12);
  EXPECT_EQ(report.ranking[0].stats.n, 2);
  EXPECT_EQ(report.ranking[3].config, 3);  // unscored ranks last
  EXPECT_FALSE(report.ranking[3].scored());
  ASSERT_EQ(report.family_best.size(), 2u);
  EXPECT_EQ(report.family_best[0].family, "cosine");
  EXPECT_NEAR(*report.family_best[0].gain_over_constant, 0.905 - 0.81, 1e-12);
  ASSERT_TRUE(report.significance.p_value.has_value());
  EXPECT_FALSE(report.significance.significant);  // 0.905 vs 0.8975 on two seeds
  // cosine at 0.03 is within 0.01 of its best at 0.1: the stable range spans both.
  const Sensitivity& cosine = report.sensitivity[0];
  EXPECT_EQ(cosine.family, "cosine");
  EXPECT_DOUBLE_EQ(cosine.best_lr, 0.1);
  EXPECT_DOUBLE_EQ(cosine.lr_min, 0.03);
  EXPECT_DOUBLE_EQ(cosine.lr_max, 0.1);

  const nlohmann::ordered_json json = RenderJson(report);
  for (const char* key : {"ranking", "family_best", "diagnoses", "sensitivity", "significance"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_TRUE(json["ranking"][0].contains("std"));
  EXPECT_EQ(json["ranking"][0]["ci95"].size(), 2u);
  const std::string markdown = RenderMarkdown(report);
  EXPECT_THAT(markdown, HasSubstr("## Diverged and failed trials"));
  EXPECT_THAT(markdown, HasSubstr("diverged at step 3 (lr 1)"));
  EXPECT_THAT(markdown, HasSubstr("0.9050 ± 0.0071"));
  EXPECT_THAT(RenderCsv(report), HasSubstr("1,1,cosine,0.1,0.905"));
  const std::string html = RenderHtml(report);
  EXPECT_THAT(html, HasSubstr("vegaEmbed"));
  EXPECT_THAT(html, HasSubstr("id=\"chart5\""));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script src=")));  // nothing fetched from a network
}

TEST(ReportTest, OnlyScoredConfigurationsAreRankedAndEveryTriedLrCounts) {
  std::vector<TrialRecord> trials = {
      Trial(0, 0, TrialState::kFailed, std::nullopt, "cosine", 0.02),
      Trial(1, 1, TrialState::kCompleted, 0.90, "cosine", 0.1),
      Trial(2, 2, TrialState::kDiverged, std::nullopt, "onecycle", 1.0),
      Trial(3, 3, TrialState::kCompleted, 0.85, "onecycle", 0.1),
  };
  const SweepReport report = BuildReport(View(true), trials);
  ASSERT_EQ(report.ranking.size(), 4u);
  EXPECT_EQ(report.ranking[0].rank, 1);
  EXPECT_EQ(report.ranking[1].rank, 2);
  EXPECT_EQ(report.ranking[2].rank, 0);  // no score: no rank, even when listed
  EXPECT_EQ(report.ranking[2].states, "1 FAILED");
  EXPECT_EQ(report.sensitivity[0].family, "cosine");
  EXPECT_EQ(report.sensitivity[0].lrs_tried, 2) << "0.02 failed but was tried";
  const std::string markdown = RenderMarkdown(report);
  EXPECT_THAT(markdown, HasSubstr("## Not ranked"));
  EXPECT_THAT(markdown, HasSubstr("| cosine | schedule.type=cosine schedule.lr=0.02 | 0 | "
                                  "1 FAILED |"));
  EXPECT_THAT(markdown, ::testing::Not(HasSubstr("| 3 | cosine")));
  EXPECT_TRUE(RenderJson(report)["ranking"][2]["rank"].is_null());
  // One seed each: said in plain words, with what to change.
  EXPECT_THAT(report.significance.note,
              AllOf(HasSubstr("single seed"), HasSubstr("seeds: [0, 1, 2]")));
  EXPECT_THAT(report.significance.note, ::testing::Not(HasSubstr("cannot tell:")));
}

TEST(ReportTest, HtmlTablesAreRealSortableTablesWithTheBestRowAndTheVerdict) {
  std::vector<TrialRecord> trials = {
      Trial(0, 0, TrialState::kCompleted, 0.80, "cosine", 0.1),
      Trial(1, 0, TrialState::kCompleted, 0.02, "cosine", 0.1),  // a wide interval
      Trial(2, 1, TrialState::kCompleted, 0.85, "onecycle", 0.3),
      Trial(3, 1, TrialState::kCompleted, 0.86, "onecycle", 0.3),
  };
  const std::string html = RenderHtml(BuildReport(View(true), trials));
  EXPECT_THAT(html, AllOf(HasSubstr("<table class=\"sortable\">"), HasSubstr("<tr class=\"best\">"),
                          HasSubstr("<th>schedule.lr</th>"), HasSubstr("id=\"verdict\""),
                          HasSubstr("<td class=\"num\" data-sort=\"0.3\">0.3</td>")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("schedule.type=")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<pre id=\"summary\">")));
  // The accuracy band of the metric-vs-LR chart stays in [0, 1].
  const size_t start = html.find("const specs = ") + 14;
  const nlohmann::json specs = nlohmann::json::parse(html.substr(start, html.find(";\n", start) - start));
  for (const nlohmann::json& row : specs[0]["data"]["values"]) {
    EXPECT_GE(row["low"].get<double>(), 0.0);
    EXPECT_LE(row["high"].get<double>(), 1.0);
  }
}

TEST(ReportTest, MinimizedMetricRanksLowestFirst) {
  const SweepReport report = BuildReport(
      View(false), {Trial(0, 0, TrialState::kCompleted, 0.3, "cosine", 0.1),
                    Trial(1, 1, TrialState::kCompleted, 0.2, "onecycle", 0.1)});
  EXPECT_EQ(report.ranking[0].config, 1);
}

// Under successive halving each rung lists every configuration's mean score there, which the
// dashboard draws as a line per configuration across the rungs it reached.
TEST(ReportTest, EachRungHasTheMeanScoreOfEveryConfigurationThatTrainedThere) {
  auto at_rung = [](TrialRecord trial, int64_t rung, double fraction) {
    trial.plan_json = "{\"base_lr\":0.1,\"rung\":" + std::to_string(rung) +
                      ",\"horizon_fraction\":" + std::to_string(fraction) +
                      ",\"schedule\":{\"type\":\"cosine\"}}";
    return trial;
  };
  const SweepReport report = BuildReport(
      View(true), {at_rung(Trial(0, 0, TrialState::kCompleted, 0.5, "cosine", 0.1), 0, 1.0 / 3),
                   at_rung(Trial(1, 0, TrialState::kCompleted, 0.7, "cosine", 0.1), 0, 1.0 / 3),
                   at_rung(Trial(2, 1, TrialState::kCompleted, 0.4, "cosine", 0.2), 0, 1.0 / 3),
                   at_rung(Trial(3, 0, TrialState::kCompleted, 0.8, "cosine", 0.1), 1, 1.0),
                   at_rung(Trial(4, 0, TrialState::kRunning, std::nullopt, "cosine", 0.1), 1, 1.0)});
  ASSERT_EQ(report.rungs.size(), 2u);
  EXPECT_EQ(report.rungs[0].promoted, 1);
  EXPECT_DOUBLE_EQ(report.rungs[0].scores.at(0), 0.6);  // the mean of its two seeds
  EXPECT_DOUBLE_EQ(report.rungs[0].scores.at(1), 0.4);
  ASSERT_EQ(report.rungs[1].scores.size(), 1u);  // a running trial has no score yet
  EXPECT_DOUBLE_EQ(report.rungs[1].scores.at(0), 0.8);
  const nlohmann::ordered_json json = RenderJson(report);
  EXPECT_EQ(json["successive_halving"]["rungs"][0]["scores"][1]["config"], 1);
  EXPECT_DOUBLE_EQ(json["successive_halving"]["rungs"][0]["scores"][1]["mean"].get<double>(), 0.4);
}

// --- Diagnoses on synthetic curves ---

struct Curve {
  std::vector<MetricPoint> points;
  TrialRecord trial;
};

// `loss(step)` and `lr(step)` over `n` steps; validation every `eval` steps from `val(step)`.
template <typename Loss, typename Lr, typename Val>
Curve Make(int64_t n, Loss loss, Lr lr, Val val, int64_t eval = 50) {
  Curve curve;
  curve.trial.state = TrialState::kCompleted;
  curve.trial.total_steps = n;
  for (int64_t s = 0; s < n; ++s) {
    MetricPoint p;
    p.step = s;
    p.lr = lr(s);
    p.train_loss = loss(s);
    if ((s + 1) % eval == 0) p.val_loss = val(s);
    curve.points.push_back(p);
  }
  return curve;
}

double Noise(int64_t s) { return 0.01 * std::sin(s * 12.9898); }

std::vector<std::string> Codes(const Curve& curve) {
  std::vector<std::string> codes;
  for (const Diagnosis& d : DiagnoseTrial(curve.trial, curve.points)) {
    EXPECT_FALSE(d.fix.empty());
    EXPECT_LE(d.from_step, d.to_step);
    codes.push_back(d.code);
  }
  return codes;
}

const double kPi = 3.141592653589793;

TEST(DiagnosesTest, HealthyRunHasNoFindings) {
  const Curve healthy = Make(
      1000, [](int64_t s) { return 0.3 + 2.0 * std::exp(-s / 300.0) + Noise(s); },
      [](int64_t s) { return 1e-4 + 0.1 * (1 + std::cos(kPi * s / 1000.0)) / 2; },
      [](int64_t s) { return 0.35 + 2.0 * std::exp(-s / 300.0); });
  EXPECT_THAT(Codes(healthy), IsEmpty());
}

TEST(DiagnosesTest, Diverged) {
  Curve curve = Make(10, [](int64_t) { return 2.0; }, [](int64_t) { return 1.0; },
                     [](int64_t) { return 2.0; });
  curve.trial.state = TrialState::kDiverged;
  curve.trial.reason = "diverged at step 9 (lr 1)";
  EXPECT_THAT(Codes(curve), ElementsAre("diverged"));
}

TEST(DiagnosesTest, TheFixForADivergenceFitsItsSchedule) {
  auto fix = [](const std::string& schedule) {
    Curve curve = Make(10, [](int64_t) { return 2.0; }, [](int64_t) { return 1.0; },
                       [](int64_t) { return 2.0; });
    curve.trial.state = TrialState::kDiverged;
    curve.trial.plan_json = R"({"schedule": )" + schedule + "}";
    return DiagnoseTrial(curve.trial, curve.points).at(0).fix;
  };
  // One-cycle warms up already: a warmup block would be the double warmup the linter flags.
  EXPECT_THAT(fix(R"({"type": "onecycle", "max_lr": 1.0})"),
              AllOf(HasSubstr("pct_start"), ::testing::Not(HasSubstr("warmup:"))));
  EXPECT_THAT(fix(R"({"type": "wsd", "lr": 1.0, "warmup_steps": 10})"),
              AllOf(HasSubstr("warmup_steps"), ::testing::Not(HasSubstr("warmup:"))));
  EXPECT_THAT(fix(R"({"type": "cosine", "lr": 1.0, "warmup": {"steps": 5}})"),
              HasSubstr("lengthen the warmup"));
  EXPECT_THAT(fix(R"({"type": "cosine", "lr": 1.0})"), HasSubstr("add warmup: {fraction: 0.05}"));
}

TEST(DiagnosesTest, LrReachesZeroBeforeTheEnd) {
  const Curve curve = Make(
      1000, [](int64_t s) { return 0.3 + 2.0 * std::exp(-s / 300.0) + Noise(s); },
      [](int64_t s) { return s < 700 ? 0.1 * (1 + std::cos(kPi * s / 700.0)) / 2 : 0.0; },
      [](int64_t s) { return 0.35 + 2.0 * std::exp(-s / 300.0); });
  EXPECT_THAT(Codes(curve), ::testing::Contains("lr_reaches_zero"));
}

TEST(DiagnosesTest, EarlyPlateauAfterAFastDecay) {
  const Curve curve = Make(
      1000, [](int64_t s) { return 0.8 + 1.5 * std::exp(-s / 60.0) + Noise(s) * 0.1; },
      [](int64_t s) { return 0.1 * std::pow(0.99, double(s)); },
      [](int64_t s) { return 0.85 + 1.5 * std::exp(-s / 60.0); });
  EXPECT_THAT(Codes(curve), ElementsAre("early_plateau"));
}

TEST(DiagnosesTest, SpikeAtAWarmRestart) {
  const Curve curve = Make(
      1000,
      [](int64_t s) {
        const double base = 0.3 + 2.0 * std::exp(-s / 300.0);
        return s >= 500 && s < 540 ? base * 2.0 : base;
      },
      [](int64_t s) { return 0.01 + 0.1 * (1 + std::cos(kPi * (s % 500) / 500.0)) / 2; },
      [](int64_t s) { return 0.35 + 2.0 * std::exp(-s / 300.0); });
  EXPECT_THAT(Codes(curve), ::testing::Contains("spike_at_lr_change"));
}

TEST(DiagnosesTest, OscillatingWithoutConvergence) {
  const Curve curve = Make(
      1000, [](int64_t s) { return 1.5 + 0.8 * std::sin(s * 0.7) + (s < 100 ? 1.0 : 0.0); },
      [](int64_t) { return 0.5; }, [](int64_t s) { return 1.6 + 0.5 * std::sin(s * 0.3); });
  EXPECT_THAT(Codes(curve), ::testing::Contains("oscillating"));
}

TEST(DiagnosesTest, OverfittingIsNotAScheduleProblem) {
  const Curve curve = Make(
      1000, [](int64_t s) { return 0.05 + 2.0 * std::exp(-s / 200.0) + Noise(s) * 0.1; },
      [](int64_t s) { return 1e-4 + 0.1 * (1 + std::cos(kPi * s / 1000.0)) / 2; },
      [](int64_t s) { return 0.5 + 2.0 * std::exp(-s / 150.0) + (s > 400 ? (s - 400) / 1000.0 : 0); });
  EXPECT_THAT(Codes(curve), ElementsAre("overfitting"));
}

TEST(DiagnosesTest, LongPlateauOfBothLosses) {
  const Curve curve = Make(
      1000, [](int64_t s) { return s < 100 ? 2.3 - s * 0.005 : (s < 600 ? 1.8 : 1.8 - (s - 600) * 0.002); },
      [](int64_t) { return 0.05; },
      [](int64_t s) { return s < 100 ? 2.3 - s * 0.005 : (s < 600 ? 1.85 : 1.85 - (s - 600) * 0.002); });
  EXPECT_THAT(Codes(curve), ElementsAre("plateau"));
}

}  // namespace
}  // namespace lrsweep

namespace lrsweep {
namespace {

ScoredParams Scored(nlohmann::ordered_json params, double score) {
  return {std::move(params), score};
}

// On a full 2 x 2 grid where the score depends only on the LR, the LR explains all of its
// variance and the warmup none; the best LR is named with its mean.
TEST(ParameterImportanceTest, OnAFullGridTheParameterTheScoreFollowsExplainsItAll) {
  const std::vector<ScoredParams> trials = {
      Scored({{"schedule.lr", 0.1}, {"schedule.warmup", 0}}, 0.80),
      Scored({{"schedule.lr", 0.1}, {"schedule.warmup", 100}}, 0.80),
      Scored({{"schedule.lr", 1.0}, {"schedule.warmup", 0}}, 0.60),
      Scored({{"schedule.lr", 1.0}, {"schedule.warmup", 100}}, 0.60)};
  const std::vector<ParameterImportance> ranked = RankParameterImportance(trials, true);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].parameter, "schedule.lr");
  EXPECT_DOUBLE_EQ(ranked[0].importance, 1.0);
  EXPECT_EQ(ranked[0].best_group, "0.1");
  EXPECT_DOUBLE_EQ(ranked[0].best_group_mean, 0.80);
  EXPECT_EQ(ranked[1].parameter, "schedule.warmup");
  EXPECT_NEAR(ranked[1].importance, 0.0, 1e-12);
  // Minimizing, the best LR is the other one.
  EXPECT_EQ(RankParameterImportance(trials, false)[0].best_group, "1.0");
}

// eta^2 by hand: type groups cosine {1, 3}, constant {5, 7}; mean 4; total SS 20; between
// 2 * (2 - 4)^2 + 2 * (6 - 4)^2 = 16; importance 0.8. A key some trials lack is its own group.
TEST(ParameterImportanceTest, ItIsTheCorrelationRatioAndAnAbsentKeyIsAGroup) {
  const std::vector<ScoredParams> trials = {
      Scored({{"schedule.type", "cosine"}, {"schedule.eta_min", 0.0}}, 1),
      Scored({{"schedule.type", "cosine"}, {"schedule.eta_min", 0.1}}, 3),
      Scored({{"schedule.type", "constant"}}, 5), Scored({{"schedule.type", "constant"}}, 7)};
  const std::vector<ParameterImportance> ranked = RankParameterImportance(trials, true);
  ASSERT_EQ(ranked.size(), 2u);
  // eta_min: groups 0.0 {1}, 0.1 {3}, (absent) {5, 7}: between = 9 + 1 + 2 * 4 = 18 -> 0.9.
  EXPECT_EQ(ranked[0].parameter, "schedule.eta_min");
  EXPECT_DOUBLE_EQ(ranked[0].importance, 0.9);
  EXPECT_EQ(ranked[0].groups, 3);
  EXPECT_EQ(ranked[0].best_group, "(absent)");
  EXPECT_EQ(ranked[1].parameter, "schedule.type");
  EXPECT_DOUBLE_EQ(ranked[1].importance, 0.8);
  EXPECT_EQ(ranked[1].best_group, "constant");
}

TEST(ParameterImportanceTest, ManyNumericValuesAreBinnedAndTooFewTrialsSayNothing) {
  std::vector<ScoredParams> trials;
  for (int i = 0; i < 40; ++i) {
    const double lr = 1e-4 * std::pow(10.0, i / 10.0);  // 1e-4 .. 1e-0.1, log-spaced
    trials.push_back(Scored({{"schedule.lr", lr}, {"seed_noise", i % 2}}, -std::abs(std::log10(lr) + 2)));
  }
  const std::vector<ParameterImportance> ranked = RankParameterImportance(trials, true, 8);
  ASSERT_FALSE(ranked.empty());
  EXPECT_EQ(ranked[0].parameter, "schedule.lr");
  EXPECT_EQ(ranked[0].groups, 8);
  EXPECT_GT(ranked[0].importance, 0.9);
  EXPECT_THAT(ranked[0].best_group, HasSubstr("0.01"));  // the bin around 1e-2
  EXPECT_TRUE(RankParameterImportance({trials[0], trials[1]}, true).empty());
}

}  // namespace
}  // namespace lrsweep
