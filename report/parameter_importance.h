// Which of a sweep's parameters the score depends on: for each parameter, the share of the
// variance of the trials' scores that its value alone explains (the correlation ratio eta^2,
// between-group over total sum of squares). On a full grid this is exactly fANOVA's first-order
// (main-effect) importance; with random or model-based search it is the same quantity estimated
// from the trials that ran. Numeric parameters with many distinct values are grouped into up to
// `max_bins` quantile bins (so log or linear scale does not matter); a parameter a trial lacks
// (a family's own key) is its own group, "(absent)". What remains — seeds, interactions — is the
// rest of the variance. Parameters that vary together (an LR scaled with the batch size) share
// credit: each alone explains what they explain together.
//
//   std::vector<ParameterImportance> ranked = RankParameterImportance(scored, /*maximize=*/true);
//   // ranked[0].parameter "schedule.lr", ranked[0].importance 0.71, ranked[0].best_group "0.1"
//
// Thread safety: a stateless function.
#ifndef LRSWEEP_REPORT_PARAMETER_IMPORTANCE_H_
#define LRSWEEP_REPORT_PARAMETER_IMPORTANCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace lrsweep {

// One trial that has a score, with the parameters it ran with (a flat JSON object).
struct ScoredParams {
  nlohmann::ordered_json params;
  double score = 0.0;
};

struct ParameterImportance {
  std::string parameter;
  double importance = 0.0;  // eta^2 in [0, 1]
  int64_t groups = 0;       // distinct values, or bins
  std::string best_group;   // the value (or bin "[lo, hi]") with the best mean score
  double best_group_mean = 0.0;
};

// Most important first. Parameters with one value, and every parameter when fewer than 3 trials
// are scored or all scores are equal, are left out.
std::vector<ParameterImportance> RankParameterImportance(const std::vector<ScoredParams>& trials,
                                                         bool maximize, int max_bins = 8);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_PARAMETER_IMPORTANCE_H_
