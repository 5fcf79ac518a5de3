#include "report/parameter_importance.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace lrsweep {
namespace {

constexpr char kAbsent[] = "(absent)";

std::string ValueText(const nlohmann::ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

// The group of each trial for `key`: its value, or the quantile bin of its number when the
// parameter is numeric with more distinct values than `max_bins`.
std::vector<std::string> GroupsOf(const std::vector<ScoredParams>& trials, const std::string& key,
                                  int max_bins) {
  std::vector<std::string> groups(trials.size(), kAbsent);
  std::set<double> distinct;
  bool numeric = true;
  for (const ScoredParams& trial : trials) {
    auto value = trial.params.find(key);
    if (value == trial.params.end()) continue;
    if (value->is_number()) {
      distinct.insert(value->get<double>());
    } else {
      numeric = false;
    }
  }
  const bool binned = numeric && static_cast<int>(distinct.size()) > max_bins;
  std::vector<double> edges;  // upper edges of the bins, by quantile of the distinct values
  if (binned) {
    const std::vector<double> sorted(distinct.begin(), distinct.end());
    for (int b = 1; b <= max_bins; ++b) {
      edges.push_back(sorted[std::min(sorted.size() - 1, sorted.size() * size_t(b) / size_t(max_bins))]);
    }
    edges.back() = sorted.back();
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  }
  for (size_t i = 0; i < trials.size(); ++i) {
    auto value = trials[i].params.find(key);
    if (value == trials[i].params.end()) continue;
    if (!binned) {
      groups[i] = ValueText(*value);
      continue;
    }
    const double x = value->get<double>();
    const size_t bin = size_t(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
    const double low = bin == 0 ? *distinct.begin() : edges[bin - 1];
    groups[i] = absl::StrCat(bin == 0 ? "[" : "(", Number(low), ", ", Number(edges[bin]), "]");
  }
  return groups;
}

}  // namespace

std::vector<ParameterImportance> RankParameterImportance(const std::vector<ScoredParams>& trials,
                                                         bool maximize, int max_bins) {
  std::vector<ParameterImportance> ranked;
  if (trials.size() < 3) return ranked;
  double mean = 0.0;
  for (const ScoredParams& trial : trials) mean += trial.score;
  mean /= double(trials.size());
  double total = 0.0;
  for (const ScoredParams& trial : trials) total += (trial.score - mean) * (trial.score - mean);
  if (!(total > 0.0)) return ranked;
  std::set<std::string> keys;
  for (const ScoredParams& trial : trials) {
    for (auto it = trial.params.begin(); it != trial.params.end(); ++it) keys.insert(it.key());
  }
  for (const std::string& key : keys) {
    const std::vector<std::string> groups = GroupsOf(trials, key, max_bins);
    std::map<std::string, std::pair<double, int64_t>> sums;  // group -> (sum, count)
    for (size_t i = 0; i < trials.size(); ++i) {
      sums[groups[i]].first += trials[i].score;
      sums[groups[i]].second += 1;
    }
    if (sums.size() < 2) continue;
    ParameterImportance importance;
    importance.parameter = key;
    importance.groups = static_cast<int64_t>(sums.size());
    double between = 0.0;
    bool first = true;
    for (const auto& [group, sum] : sums) {
      const double group_mean = sum.first / double(sum.second);
      between += double(sum.second) * (group_mean - mean) * (group_mean - mean);
      if (first || (maximize ? group_mean > importance.best_group_mean
                             : group_mean < importance.best_group_mean)) {
        importance.best_group = group;
        importance.best_group_mean = group_mean;
        first = false;
      }
    }
    importance.importance = std::clamp(between / total, 0.0, 1.0);
    ranked.push_back(std::move(importance));
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const ParameterImportance& a, const ParameterImportance& b) {
                     return a.importance > b.importance;
                   });
  return ranked;
}

}  // namespace lrsweep
