#include "sweep/scoring.h"

#include <algorithm>

#include "nlohmann/json.hpp"

namespace lrsweep {

std::optional<double> ScoreTrial(const std::vector<MetricPoint>& points, const ScoreRule& rule) {
  std::vector<double> values;
  for (const MetricPoint& point : points) {
    if (std::optional<double> value = point.Get(rule.metric)) values.push_back(*value);
  }
  if (values.empty()) return std::nullopt;
  if (rule.summary == "best") {
    return rule.maximize ? *std::max_element(values.begin(), values.end())
                         : *std::min_element(values.begin(), values.end());
  }
  if (rule.summary == "last_k_mean") {
    const size_t k = std::min(values.size(), static_cast<size_t>(std::max<int64_t>(1, rule.last_k)));
    double sum = 0;
    for (size_t i = values.size() - k; i < values.size(); ++i) sum += values[i];
    return sum / static_cast<double>(k);
  }
  return values.back();
}

std::string FinalMetricsJson(const std::vector<MetricPoint>& points) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const char* name : {"val_accuracy", "val_loss", "test_accuracy", "train_loss"}) {
    for (auto it = points.rbegin(); it != points.rend(); ++it) {
      if (std::optional<double> value = it->Get(name)) {
        out[name] = *value;
        break;
      }
    }
  }
  if (!points.empty()) {
    out["steps"] = points.back().step + 1;
    out["wall_seconds"] = points.back().wall_seconds;
  }
  return out.dump();
}

}  // namespace lrsweep
