// Ranking a sweep's trials and rendering the result as Markdown, JSON or CSV.
//
// Configurations (trials equal but for the seed) are ranked by the mean score of their completed
// trials, best first; configurations without a score (every trial diverged, failed or unfinished)
// rank last. The trial list keeps every trial with its state and reason: nothing is dropped.
//
//   SweepReport report = BuildReport(sweep_view, trials);
//   std::cout << RenderMarkdown(report);
//
// Thread safety: stateless functions over value types.
#ifndef LRSWEEP_COORDINATOR_REPORT_H_
#define LRSWEEP_COORDINATOR_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "coordinator/coordinator.h"
#include "coordinator/records.h"
#include "nlohmann/json.hpp"

namespace lrsweep {

struct ConfigRank {
  int64_t rank = 0;  // 1-based
  int64_t config = 0;
  nlohmann::ordered_json params;
  std::string schedule_type;
  std::optional<double> mean;  // over scored trials
  int64_t n = 0;               // scored trials
  std::vector<int64_t> trials;
};

struct SweepReport {
  SweepView sweep;
  std::vector<TrialRecord> trials;
  std::vector<ConfigRank> ranking;
};

SweepReport BuildReport(const SweepView& sweep, const std::vector<TrialRecord>& trials);

std::string RenderMarkdown(const SweepReport& report);
nlohmann::ordered_json RenderJson(const SweepReport& report);
std::string RenderCsv(const SweepReport& report);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_REPORT_H_
