// Scoring a trial's metric history into one number, as the sweep's `metric:` says.
//
//   std::optional<double> score = ScoreTrial(points, {"val_accuracy", true, "final", 5});
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_SWEEP_SCORING_H_
#define LRSWEEP_SWEEP_SCORING_H_

#include <optional>
#include <string>
#include <vector>

#include "sweep/records.h"

namespace lrsweep {

struct ScoreRule {
  std::string metric = "val_accuracy";
  bool maximize = true;
  std::string summary = "final";  // final | best | last_k_mean
  int64_t last_k = 5;
};

// The score over the points that measured the metric (in step order); nullopt if none did.
std::optional<double> ScoreTrial(const std::vector<MetricPoint>& points, const ScoreRule& rule);

// The latest value of every metric ("val_accuracy", "val_loss", "test_accuracy", "train_loss")
// as a JSON object text.
std::string FinalMetricsJson(const std::vector<MetricPoint>& points);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_SCORING_H_
