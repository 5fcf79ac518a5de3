#include "coordinator/report.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_join.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

nlohmann::ordered_json ParseOr(const std::string& text, nlohmann::ordered_json fallback) {
  if (text.empty()) return fallback;
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

std::string ParamsText(const nlohmann::ordered_json& params) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : params.items()) {
    parts.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }
  return parts.empty() ? "(shared settings)" : absl::StrJoin(parts, " ");
}

std::string ScheduleType(const TrialRecord& trial) {
  const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
  if (plan.contains("schedule") && plan["schedule"].contains("type")) {
    return plan["schedule"]["type"].get<std::string>();
  }
  return "";
}

std::string Score(const std::optional<double>& score) {
  return score ? fmt::format("{:.4f}", *score) : "-";
}

}  // namespace

SweepReport BuildReport(const SweepView& sweep, const std::vector<TrialRecord>& trials) {
  SweepReport report{sweep, trials, {}};
  std::map<int64_t, ConfigRank> by_config;
  for (const TrialRecord& trial : trials) {
    ConfigRank& rank = by_config[trial.config];
    rank.config = trial.config;
    if (rank.trials.empty()) {
      rank.params = ParseOr(trial.params_json, nlohmann::ordered_json::object());
      rank.schedule_type = ScheduleType(trial);
    }
    rank.trials.push_back(trial.trial);
    if (trial.state == TrialState::kCompleted && trial.score) {
      rank.mean = rank.mean.value_or(0.0) + *trial.score;
      ++rank.n;
    }
  }
  for (auto& [config, rank] : by_config) {
    if (rank.n > 0) *rank.mean /= static_cast<double>(rank.n);
    report.ranking.push_back(rank);
  }
  const bool maximize = sweep.record.maximize;
  std::stable_sort(report.ranking.begin(), report.ranking.end(),
                   [maximize](const ConfigRank& a, const ConfigRank& b) {
                     if (a.mean.has_value() != b.mean.has_value()) return a.mean.has_value();
                     if (!a.mean) return a.config < b.config;
                     return maximize ? *a.mean > *b.mean : *a.mean < *b.mean;
                   });
  for (size_t i = 0; i < report.ranking.size(); ++i) report.ranking[i].rank = int64_t(i) + 1;
  return report;
}

std::string RenderMarkdown(const SweepReport& report) {
  const SweepRecord& sweep = report.sweep.record;
  std::string out = fmt::format("# {} ({})\n\n", sweep.name, sweep.id);
  std::vector<std::string> counts;
  for (const auto& [state, count] : report.sweep.counts) {
    counts.push_back(fmt::format("{} {}", count, TrialStateName(state)));
  }
  out += fmt::format("{} trials: {}. Ranked by {} {} ({}), mean over seeds.\n\n",
                     report.sweep.total_trials, absl::StrJoin(counts, ", "),
                     sweep.maximize ? "highest" : "lowest", sweep.metric_name,
                     sweep.metric_summary);
  out += fmt::format("| rank | schedule | {} | n | parameters | trials |\n", sweep.metric_name);
  out += "|---:|---|---:|---:|---|---|\n";
  for (const ConfigRank& rank : report.ranking) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", rank.rank, rank.schedule_type,
                       Score(rank.mean), rank.n, ParamsText(rank.params),
                       absl::StrJoin(rank.trials, ", "));
  }
  std::vector<const TrialRecord*> problems;
  for (const TrialRecord& trial : report.trials) {
    if (trial.state == TrialState::kDiverged || trial.state == TrialState::kFailed) {
      problems.push_back(&trial);
    }
  }
  if (!problems.empty()) {
    out += "\n## Diverged and failed trials\n\n| trial | state | parameters | reason |\n"
           "|---:|---|---|---|\n";
    for (const TrialRecord* trial : problems) {
      out += fmt::format("| {} | {} | {} | {} |\n", trial->trial, TrialStateName(trial->state),
                         ParamsText(ParseOr(trial->params_json, {})), trial->reason);
    }
  }
  return out;
}

nlohmann::ordered_json RenderJson(const SweepReport& report) {
  const SweepRecord& sweep = report.sweep.record;
  nlohmann::ordered_json out;
  out["sweep"] = sweep.id;
  out["name"] = sweep.name;
  out["state"] = SweepStateName(sweep.state);
  out["metric"] = {{"name", sweep.metric_name},
                   {"goal", sweep.maximize ? "maximize" : "minimize"},
                   {"summary", sweep.metric_summary}};
  nlohmann::ordered_json trials = nlohmann::ordered_json::array();
  for (const TrialRecord& trial : report.trials) {
    const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
    trials.push_back({{"trial", trial.trial},
                      {"config", trial.config},
                      {"seed", trial.seed},
                      {"state", TrialStateName(trial.state)},
                      {"params", ParseOr(trial.params_json, nlohmann::ordered_json::object())},
                      {"schedule", plan.contains("schedule") ? plan["schedule"] : nullptr},
                      {"score", trial.score ? nlohmann::ordered_json(*trial.score) : nullptr},
                      {"attempts", trial.attempts},
                      {"failures", trial.failures},
                      {"reason", trial.reason},
                      {"final", ParseOr(trial.final_metrics_json, nlohmann::ordered_json::object())}});
  }
  out["trials"] = trials;
  nlohmann::ordered_json ranking = nlohmann::ordered_json::array();
  for (const ConfigRank& rank : report.ranking) {
    ranking.push_back({{"rank", rank.rank},
                       {"config", rank.config},
                       {"schedule", rank.schedule_type},
                       {"params", rank.params},
                       {"mean", rank.mean ? nlohmann::ordered_json(*rank.mean) : nullptr},
                       {"n", rank.n},
                       {"trials", rank.trials}});
  }
  out["ranking"] = ranking;
  return out;
}

std::string RenderCsv(const SweepReport& report) {
  std::string out = "rank,config,schedule,mean,n,trials,parameters\n";
  auto quote = [](const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  for (const ConfigRank& rank : report.ranking) {
    out += fmt::format("{},{},{},{},{},{},{}\n", rank.rank, rank.config, rank.schedule_type,
                       rank.mean ? fmt::format("{}", *rank.mean) : "", rank.n,
                       quote(absl::StrJoin(rank.trials, " ")), quote(ParamsText(rank.params)));
  }
  return out;
}

}  // namespace lrsweep
