// The TPE section of a report (method: tpe): the order in which configurations were tried, which
// came from the random start and which TPE suggested, and where the search concentrated — the
// values of the best quarter of the configurations against everything tried.
//
//   SweepReport report = BuildReport(...);   // fills report.tpe for a TPE sweep
//   std::string markdown = MarkdownTpe(report);  // "" for other sweeps
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_TPE_SUMMARY_H_
#define LRSWEEP_REPORT_TPE_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace lrsweep {

struct SweepReport;

struct TpeSummary {
  struct Step {
    int64_t config = 0;
    bool suggested = false;  // by TPE; else sampled at random
    nlohmann::ordered_json params;
    std::optional<double> score;  // the configuration's mean; unset: no completed trial
    std::optional<double> best_so_far;
  };
  // One swept parameter: the best quarter's values against all configurations' ("0.01–0.03",
  // "cosine (3 of 3)").
  struct Region {
    std::string parameter;
    std::string best_quarter;
    std::string all;
  };
  bool active = false;
  int64_t suggested = 0;
  int64_t best_quarter = 0;  // configurations in the best quarter
  std::vector<Step> history;  // in the order the configurations were created
  std::vector<Region> regions;
};

// Fills report->tpe from its trials and ranking (RankConfigurations must have run).
void SummarizeTpe(SweepReport* report);
std::string MarkdownTpe(const SweepReport& report);
nlohmann::ordered_json TpeJson(const TpeSummary& tpe);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_TPE_SUMMARY_H_
