// The LR range test section of a report (`lr_range_test:`): each test's loss-vs-LR curve, its
// picks, where it diverged, and the peak LRs the sweep's trials took from it. The range test
// trials are not ranked with the sweep's trials: BuildReport sets them apart into this section.
//
//   SweepReport report = BuildReport(...);               // fills report.range_tests
//   std::string markdown = MarkdownRangeTests(report);   // "" for a sweep without range tests
//   nlohmann::ordered_json chart = RangeTestChart(report.range_tests);  // Vega-Lite, for HTML
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_RANGE_TEST_SUMMARY_H_
#define LRSWEEP_REPORT_RANGE_TEST_SUMMARY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "sweep/range_test.h"
#include "sweep/records.h"

namespace lrsweep {

struct RangeTestSummary {
  struct Chosen {
    double lr = 0.0;
    std::string label;  // "0.3 x steepest"
    std::vector<int64_t> trials;
  };
  struct Test {
    int64_t trial = 0;
    std::string setup;  // "cnn, sgd, batch 128"
    TrialState state = TrialState::kPending;
    std::string reason;
    int64_t steps = 0;  // trained
    RangeTestCurve curve;
    std::vector<Chosen> chosen;  // the peak LRs trials took from it, low to high
  };
  std::vector<Test> tests;
  bool active() const { return !tests.empty(); }
};

// Whether a trial row is a range test trial.
bool IsRangeTestTrial(const TrialRecord& trial);

// The summary of `tests` (range test trials) and of the trials whose LR comes from them.
RangeTestSummary SummarizeRangeTests(const std::vector<TrialRecord>& tests,
                                     const std::vector<TrialRecord>& trials,
                                     const std::map<int64_t, std::vector<MetricPoint>>& histories);

struct SweepReport;
std::string MarkdownRangeTests(const SweepReport& report);
nlohmann::ordered_json RangeTestJson(const RangeTestSummary& summary);
// Loss vs LR (log scale) for every test: the raw loss faint, the smoothed loss bold, the picks
// and the chosen peak LRs as labelled rules.
nlohmann::ordered_json RangeTestChart(const RangeTestSummary& summary);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_RANGE_TEST_SUMMARY_H_
