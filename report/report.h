// Ranking a sweep's trials and rendering the result as Markdown, JSON, CSV or a self-contained
// HTML page with interactive charts.
//
// Configurations (trials equal but for the seed) are ranked by the mean score of their completed
// trials, best first, with n, standard deviation and the 95% confidence interval of the mean
// (Student t); configurations without a score (every trial diverged, failed or unfinished) get
// no rank and are listed after the ranked ones with their trials' states. The report also says whether the best configuration is significantly better than the
// runner-up (Welch's t-test, p < 0.05), shows the best configuration of each schedule family with
// its gain over constant LR, each family's stable peak-LR range (peak LRs within `tolerance` of
// its best), and the diagnoses of every trial's curves. Nothing is dropped: DIVERGED, FAILED and
// STOPPED trials are listed with their reasons, and what early stopping saved is counted.
//
//   SweepReport report = BuildReport(sweep_view, trials, histories, ReportOptions{});
//   std::cout << RenderMarkdown(report);
//
// Thread safety: stateless functions over value types.
#ifndef LRSWEEP_REPORT_REPORT_H_
#define LRSWEEP_REPORT_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "sweep/views.h"
#include "report/diagnoses.h"
#include "sweep/records.h"
#include "report/statistics.h"
#include "report/parameter_importance.h"
#include "report/range_test_summary.h"
#include "report/tpe_summary.h"
#include "nlohmann/json.hpp"

namespace lrsweep {

struct ReportOptions {
  double tolerance = 0.01;  // "within 1 point" of a family's best, for the stable LR range
  int top_configs = 3;      // configurations whose curves the HTML report draws
  // Diagnose every final trial's curve. A caller that keeps the diagnoses of trials that no
  // longer change (the dashboard) turns this off and fills SweepReport::diagnoses itself.
  bool diagnose = true;
};

struct ConfigRank {
  int64_t rank = 0;  // 1-based among the scored configurations; 0: not ranked (no score)
  int64_t config = 0;
  nlohmann::ordered_json params;
  std::string schedule_type;
  double peak_lr = 0.0;  // as written (before batch-size scaling)
  SeedStats stats;       // over scored (completed) trials
  std::vector<double> scores;
  std::vector<int64_t> trials;
  std::string states;  // its trials' states, e.g. "2 DIVERGED, 1 FAILED" (why it has no score)
  // Successive halving: the highest rung it reached and the fraction of the full run trained
  // there; its score is from that rung's trials only. 0 and 1 for other sweeps.
  int64_t rung = 0;
  double horizon_fraction = 1.0;
  bool scored() const { return stats.n > 0; }
};

struct FamilyBest {
  std::string family;
  int64_t config = 0;
  SeedStats stats;
  std::optional<double> gain_over_constant;  // positive = better than constant LR
};

struct Sensitivity {
  std::string family;
  double best_lr = 0.0;
  double lr_min = 0.0;  // the stable range: peak LRs whose mean is within tolerance of the best
  double lr_max = 0.0;
  int64_t lrs_tried = 0;  // distinct peak LRs the family's configurations ran, scored or not
};

struct Significance {
  std::optional<double> p_value;  // Welch's t-test, best vs runner-up
  bool significant = false;
  std::string note;
};

// What early stopping saved: the steps the trials it STOPPED did not train.
struct EarlyStopSummary {
  int64_t stopped = 0;        // trials STOPPED by the sweep's search method
  int64_t steps_saved = 0;    // their planned steps beyond the step they were stopped at
  int64_t steps_planned = 0;  // every trial's planned steps
};

// One rung of a successive-halving sweep (method: asha).
struct RungSummary {
  int64_t rung = 0;
  double fraction = 1.0;          // of the full run
  int64_t steps_per_trial = 0;    // of its first trial (batch sizes may differ)
  int64_t configurations = 0;     // that trained at this rung
  int64_t finished = 0;           // of them, with every trial final
  int64_t promoted = 0;           // of them, that reached the next rung
  int64_t steps = 0;              // optimizer steps its trials trained
  // Each configuration's mean score over its completed trials at this rung, by config.
  std::map<int64_t, double> scores;
};

// "1234 optimizer steps trained, 31.2% of the 3950 the full grid ... trains."
struct SweepReport;
std::string HalvingText(const SweepReport& report);

// "2 trials stopped early: 180 of 1,024 planned steps (17.6%) not trained."
std::string EarlyStopText(const EarlyStopSummary& summary);

struct SweepReport {
  SweepView sweep;
  ReportOptions options;
  std::vector<TrialRecord> trials;
  std::map<int64_t, std::vector<MetricPoint>> histories;  // by trial
  std::vector<ConfigRank> ranking;
  std::vector<FamilyBest> family_best;
  std::vector<Sensitivity> sensitivity;
  Significance significance;
  std::vector<Diagnosis> diagnoses;
  EarlyStopSummary early_stop;
  // Successive halving (empty for other sweeps): its rungs, the steps all trials trained, and
  // what the same configurations and seeds would have trained as a full grid.
  std::vector<RungSummary> rungs;
  int64_t steps_trained = 0;
  int64_t full_grid_steps = 0;
  TpeSummary tpe;  // method: tpe (inactive for other sweeps)
  // What the score depends on, most first (parameter_importance.h): from the completed trials
  // at the lowest rung, the one every configuration reached (all of them without halving).
  std::vector<ParameterImportance> importance;
  // lr_range_test: the range test trials, which `trials` and everything ranked leave out.
  RangeTestSummary range_tests;
};

SweepReport BuildReport(const SweepView& sweep, const std::vector<TrialRecord>& trials,
                        std::map<int64_t, std::vector<MetricPoint>> histories = {},
                        ReportOptions options = {});

std::string RenderMarkdown(const SweepReport& report);
nlohmann::ordered_json RenderJson(const SweepReport& report);
std::string RenderCsv(const SweepReport& report);
// One HTML file that opens offline: the data and Vega-Lite (bundled) inline, five charts.
std::string RenderHtml(const SweepReport& report);

// The charting scripts the HTML report inlines (Vega, Vega-Lite, vega-embed, in load order), for
// pages that serve them instead (the dashboard).
struct BundledScript {
  std::string name;  // "vega.min.js"
  absl::string_view text;
};
std::vector<BundledScript> BundledChartScripts();

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_REPORT_H_
