#include "report/tpe_summary.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fmt/format.h"
#include "report/report.h"
#include <set>

namespace lrsweep {
namespace {

std::string ValueText(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return fmt::format("{:.3g}", value.get<double>());
  return value.dump();
}

// "0.01–0.03" for numbers, "cosine (3 of 4)" (the most common value) otherwise.
std::string Describe(const std::vector<nlohmann::ordered_json>& values) {
  if (values.empty()) return "";
  const bool numbers = std::all_of(values.begin(), values.end(),
                                   [](const nlohmann::ordered_json& v) { return v.is_number(); });
  if (numbers) {
    double low = values[0].get<double>(), high = low;
    for (const nlohmann::ordered_json& v : values) {
      low = std::min(low, v.get<double>());
      high = std::max(high, v.get<double>());
    }
    return low == high ? fmt::format("{:.3g}", low) : fmt::format("{:.3g}–{:.3g}", low, high);
  }
  std::map<std::string, int64_t> counts;
  for (const nlohmann::ordered_json& v : values) ++counts[ValueText(v)];
  const auto most = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
    return a.second < b.second;
  });
  return fmt::format("{} ({} of {})", most->first, most->second, values.size());
}

// `scored` is best first; its first `best` are the best quarter.
void FillRegions(const std::vector<const ConfigRank*>& all,
                 const std::vector<const ConfigRank*>& scored, size_t best, TpeSummary* tpe) {
  std::vector<std::string> parameters;
  for (const ConfigRank* rank : all) {
    for (const auto& item : rank->params.items()) {
      if (std::find(parameters.begin(), parameters.end(), item.key()) == parameters.end()) {
        parameters.push_back(item.key());
      }
    }
  }
  auto values_of = [](const std::vector<const ConfigRank*>& ranks, size_t n,
                      const std::string& parameter) {
    std::vector<nlohmann::ordered_json> values;
    for (size_t i = 0; i < std::min(n, ranks.size()); ++i) {
      if (ranks[i]->params.contains(parameter)) values.push_back(ranks[i]->params[parameter]);
    }
    return values;
  };
  for (const std::string& parameter : parameters) {
    tpe->regions.push_back({parameter, Describe(values_of(scored, best, parameter)),
                            Describe(values_of(all, all.size(), parameter))});
  }
}

}  // namespace

void SummarizeTpe(SweepReport* report) {
  TpeSummary& tpe = report->tpe;
  std::set<int64_t> suggested;  // configurations TPE suggested (their plans say so)
  for (const TrialRecord& trial : report->trials) {
    tpe.active = tpe.active || trial.plan_json.find("\"grid\":") != std::string::npos;
    if (trial.plan_json.find("\"suggested\":true") != std::string::npos) {
      suggested.insert(trial.config);
    }
  }
  if (!tpe.active) return;
  const bool maximize = report->sweep.record.maximize;
  // The ranking lists scored configurations best first, then the unscored.
  std::vector<const ConfigRank*> by_config, scored;
  for (const ConfigRank& rank : report->ranking) {
    by_config.push_back(&rank);
    if (rank.scored()) scored.push_back(&rank);
  }
  std::sort(by_config.begin(), by_config.end(),
            [](const ConfigRank* a, const ConfigRank* b) { return a->config < b->config; });
  std::optional<double> best;
  for (const ConfigRank* rank : by_config) {
    TpeSummary::Step step;
    step.config = rank->config;
    step.suggested = suggested.count(rank->config) > 0;
    step.params = rank->params;
    if (rank->scored()) {
      step.score = rank->stats.mean;
      if (!best || (maximize ? *step.score > *best : *step.score < *best)) best = step.score;
    }
    step.best_so_far = best;
    tpe.suggested += step.suggested ? 1 : 0;
    tpe.history.push_back(std::move(step));
  }
  tpe.best_quarter = static_cast<int64_t>(
      std::max<size_t>(1, static_cast<size_t>(std::ceil(0.25 * static_cast<double>(scored.size())))));
  if (!scored.empty()) FillRegions(by_config, scored, static_cast<size_t>(tpe.best_quarter), &tpe);
}

std::string MarkdownTpe(const SweepReport& report) {
  const TpeSummary& tpe = report.tpe;
  if (!tpe.active) return "";
  std::string out = fmt::format(
      "\n## TPE search\n\n{} configurations: {} sampled at random, then {} suggested by TPE from "
      "the results so far.\n",
      tpe.history.size(), static_cast<int64_t>(tpe.history.size()) - tpe.suggested, tpe.suggested);
  if (!tpe.regions.empty()) {
    out += fmt::format(
        "\nWhere it concentrated: the best quarter ({} configurations) against all of them.\n\n"
        "| parameter | best quarter | all configurations |\n|---|---|---|\n",
        tpe.best_quarter);
    for (const TpeSummary::Region& region : tpe.regions) {
      out += fmt::format("| {} | {} | {} |\n", region.parameter, region.best_quarter, region.all);
    }
  }
  out += "\n| configuration | from | parameters | score | best so far |\n|---:|---|---|---:|---:|\n";
  for (const TpeSummary::Step& step : tpe.history) {
    std::string params;
    for (const auto& item : step.params.items()) {
      params += fmt::format("{}{}={}", params.empty() ? "" : ", ", item.key(),
                            ValueText(item.value()));
    }
    out += fmt::format("| {} | {} | {} | {} | {} |\n", step.config,
                       step.suggested ? "TPE" : "random", params,
                       step.score ? fmt::format("{:.4f}", *step.score) : "—",
                       step.best_so_far ? fmt::format("{:.4f}", *step.best_so_far) : "—");
  }
  return out;
}

nlohmann::ordered_json TpeJson(const TpeSummary& tpe) {
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const TpeSummary::Step& step : tpe.history) {
    history.push_back({{"config", step.config},
                       {"from", step.suggested ? "tpe" : "random"},
                       {"params", step.params},
                       {"score", step.score ? nlohmann::ordered_json(*step.score) : nullptr},
                       {"best_so_far",
                        step.best_so_far ? nlohmann::ordered_json(*step.best_so_far) : nullptr}});
  }
  nlohmann::ordered_json regions = nlohmann::ordered_json::array();
  for (const TpeSummary::Region& region : tpe.regions) {
    regions.push_back({{"parameter", region.parameter},
                       {"best_quarter", region.best_quarter},
                       {"all", region.all}});
  }
  return {{"random_start", static_cast<int64_t>(tpe.history.size()) - tpe.suggested},
          {"suggested", tpe.suggested},
          {"best_quarter", tpe.best_quarter},
          {"concentrated", regions},
          {"history", history}};
}

}  // namespace lrsweep
