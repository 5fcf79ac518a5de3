#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

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

std::string Number(double value) { return fmt::format("{:.4f}", value); }

std::string MeanText(const SeedStats& stats) {
  if (stats.n == 0) return "-";
  return stats.std ? fmt::format("{:.4f} ± {:.4f}", stats.mean, *stats.std) : Number(stats.mean);
}

std::string CiText(const SeedStats& stats) {
  if (!stats.ci95_low) return "-";
  return fmt::format("[{:.4f}, {:.4f}]", *stats.ci95_low, *stats.ci95_high);
}

nlohmann::ordered_json OptionalJson(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json CiJson(const SeedStats& stats) {
  if (!stats.ci95_low) return nullptr;
  return nlohmann::ordered_json::array({*stats.ci95_low, *stats.ci95_high});
}

bool Better(bool maximize, double a, double b) { return maximize ? a > b : a < b; }

// A trial's rung of successive halving and the fraction of the full run it trains (0 and 1 for
// trials of other sweeps), from its plan.
std::pair<int64_t, double> RungOf(const TrialRecord& trial) {
  const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
  if (!plan.contains("rung") || !plan["rung"].is_number_integer()) return {0, 1.0};
  return {plan["rung"].get<int64_t>(), plan.value("horizon_fraction", 1.0)};
}

// Parameter importance over the completed trials at the lowest rung: trials at different
// horizons are not comparable, and every configuration reached the lowest.
void RankImportance(SweepReport& report) {
  std::optional<int64_t> lowest;
  for (const TrialRecord& trial : report.trials) {
    const int64_t rung = RungOf(trial).first;
    if (!lowest || rung < *lowest) lowest = rung;
  }
  std::vector<ScoredParams> scored;
  for (const TrialRecord& trial : report.trials) {
    if (trial.state != TrialState::kCompleted || !trial.score) continue;
    if (RungOf(trial).first != *lowest) continue;
    scored.push_back({ParseOr(trial.params_json, nlohmann::ordered_json::object()), *trial.score});
  }
  report.importance = RankParameterImportance(scored, report.sweep.record.maximize);
}

void RankConfigurations(SweepReport& report) {
  // Under successive halving a configuration is scored at the highest rung it reached.
  std::map<int64_t, std::pair<int64_t, double>> top_rung;  // config -> (rung, fraction)
  for (const TrialRecord& trial : report.trials) {
    const std::pair<int64_t, double> rung = RungOf(trial);
    auto found = top_rung.find(trial.config);
    if (found == top_rung.end() || rung.first > found->second.first) top_rung[trial.config] = rung;
  }
  std::map<int64_t, ConfigRank> by_config;
  for (const TrialRecord& trial : report.trials) {
    ConfigRank& rank = by_config[trial.config];
    rank.config = trial.config;
    if (rank.trials.empty()) {
      rank.params = ParseOr(trial.params_json, nlohmann::ordered_json::object());
      const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
      if (plan.contains("schedule") && plan["schedule"].contains("type")) {
        rank.schedule_type = plan["schedule"]["type"].get<std::string>();
      }
      if (plan.contains("base_lr")) rank.peak_lr = plan["base_lr"].get<double>();
    }
    rank.trials.push_back(trial.trial);
    std::tie(rank.rung, rank.horizon_fraction) = top_rung[trial.config];
    if (trial.state == TrialState::kCompleted && trial.score &&
        RungOf(trial).first == rank.rung) {
      rank.scores.push_back(*trial.score);
    }
  }
  std::map<int64_t, std::map<TrialState, int64_t>> states;
  for (const TrialRecord& trial : report.trials) ++states[trial.config][trial.state];
  for (auto& [config, rank] : by_config) {
    rank.stats = Summarize(rank.scores);
    std::vector<std::string> parts;
    for (const auto& [state, count] : states[config]) {
      parts.push_back(fmt::format("{} {}", count, TrialStateName(state)));
    }
    rank.states = absl::StrJoin(parts, ", ");
    report.ranking.push_back(rank);
  }
  const bool maximize = report.sweep.record.maximize;
  std::stable_sort(report.ranking.begin(), report.ranking.end(),
                   [maximize](const ConfigRank& a, const ConfigRank& b) {
                     if (a.scored() != b.scored()) return a.scored();
                     if (!a.scored()) return a.config < b.config;
                     if (a.rung != b.rung) return a.rung > b.rung;
                     return Better(maximize, a.stats.mean, b.stats.mean);
                   });
  for (size_t i = 0; i < report.ranking.size(); ++i) {
    report.ranking[i].rank = report.ranking[i].scored() ? int64_t(i) + 1 : 0;
  }
}

void CompareTopTwo(SweepReport& report) {
  if (report.ranking.size() < 2 || !report.ranking[1].scored()) {
    report.significance.note = "fewer than two scored configurations";
    return;
  }
  const ConfigRank& best = report.ranking[0];
  const ConfigRank& next = report.ranking[1];
  report.significance.p_value = WelchTwoSidedP(best.scores, next.scores);
  if (!report.significance.p_value) {
    report.significance.note = fmt::format(
        "Whether rank 1 really beats rank 2 cannot be told yet: {} ran with a single seed, and "
        "scores change from seed to seed. Add seeds to the sweep (for example `seeds: [0, 1, 2]`) "
        "to get error bars and a significance test.",
        best.stats.n < 2 && next.stats.n < 2 ? "each of them" : "one of them");
    return;
  }
  report.significance.significant = *report.significance.p_value < 0.05;
  report.significance.note = fmt::format(
      "rank 1 vs rank 2: Welch's t-test p = {:.3g} — {}", *report.significance.p_value,
      report.significance.significant ? "significantly better"
                                      : "not significantly better (more seeds would tell)");
}

void BestPerFamily(SweepReport& report) {
  std::map<std::string, const ConfigRank*> best;
  for (const ConfigRank& rank : report.ranking) {  // ranked: the first seen is the family's best
    // Scores of shorter runs (lower rungs of successive halving) are not compared with it.
    if (rank.scored() && rank.rung == report.ranking[0].rung &&
        best.count(rank.schedule_type) == 0) {
      best[rank.schedule_type] = &rank;
    }
  }
  std::optional<double> constant;
  if (best.count("constant")) constant = best["constant"]->stats.mean;
  for (const ConfigRank& rank : report.ranking) {
    auto found = best.find(rank.schedule_type);
    if (found == best.end() || found->second != &rank) continue;
    FamilyBest family{rank.schedule_type, rank.config, rank.stats, std::nullopt};
    if (constant) {
      family.gain_over_constant = report.sweep.record.maximize ? rank.stats.mean - *constant
                                                                : *constant - rank.stats.mean;
    }
    report.family_best.push_back(family);
  }
}

void StableLrRanges(SweepReport& report) {
  std::map<std::string, std::map<double, double>> best_by_lr;  // family -> peak LR -> best mean
  std::map<std::string, std::set<double>> tried;  // family -> every peak LR run, scored or not
  const bool maximize = report.sweep.record.maximize;
  for (const ConfigRank& rank : report.ranking) {
    if (rank.peak_lr > 0) tried[rank.schedule_type].insert(rank.peak_lr);
  }
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.scored() || rank.peak_lr <= 0 || rank.rung != report.ranking[0].rung) continue;
    auto& by_lr = best_by_lr[rank.schedule_type];
    auto found = by_lr.find(rank.peak_lr);
    if (found == by_lr.end() || Better(maximize, rank.stats.mean, found->second)) {
      by_lr[rank.peak_lr] = rank.stats.mean;
    }
  }
  for (const FamilyBest& family : report.family_best) {
    const auto& by_lr = best_by_lr[family.family];
    if (by_lr.empty()) continue;
    Sensitivity s{family.family, 0, 0, 0, static_cast<int64_t>(tried[family.family].size())};
    double best = by_lr.begin()->second;
    for (const auto& [lr, mean] : by_lr) {
      if (Better(maximize, mean, best) || (mean == best && s.best_lr == 0)) best = mean, s.best_lr = lr;
    }
    s.lr_min = s.lr_max = s.best_lr;
    for (const auto& [lr, mean] : by_lr) {
      if (std::abs(mean - best) <= report.options.tolerance) {
        s.lr_min = std::min(s.lr_min, lr);
        s.lr_max = std::max(s.lr_max, lr);
      }
    }
    report.sensitivity.push_back(s);
  }
}

void SummarizeRungs(SweepReport& report) {
  std::map<int64_t, RungSummary> rungs;
  std::map<int64_t, std::map<int64_t, bool>> finished;  // rung -> config -> every trial final
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> scores;  // (rung, config) -> scores
  bool halving = false;
  for (const TrialRecord& trial : report.trials) {
    const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
    halving = halving || plan.contains("rung");
    const auto [rung, fraction] = RungOf(trial);
    RungSummary& summary = rungs[rung];
    summary.rung = rung;
    summary.fraction = fraction;
    if (summary.steps_per_trial == 0) summary.steps_per_trial = trial.total_steps;
    summary.steps += trial.state == TrialState::kCompleted
                         ? trial.total_steps
                         : std::min(trial.step, trial.total_steps);
    if (trial.state == TrialState::kCompleted && trial.score) {
      scores[{rung, trial.config}].push_back(*trial.score);
    }
    auto [it, inserted] = finished[rung].emplace(trial.config, true);
    it->second = it->second && IsFinal(trial.state);
    if (rung == 0) {
      report.full_grid_steps += std::llround(static_cast<double>(trial.total_steps) / fraction);
    }
  }
  if (!halving) return;
  for (auto& [rung, summary] : rungs) {
    summary.configurations = static_cast<int64_t>(finished[rung].size());
    for (const auto& [config, done] : finished[rung]) {
      summary.finished += done ? 1 : 0;
      auto next = finished.find(rung + 1);
      summary.promoted += next != finished.end() && next->second.count(config) > 0 ? 1 : 0;
    }
    for (const auto& [key, values] : scores) {
      if (key.first != rung) continue;
      double sum = 0.0;
      for (double value : values) sum += value;
      summary.scores[key.second] = sum / static_cast<double>(values.size());
    }
    report.steps_trained += summary.steps;
    report.rungs.push_back(summary);
  }
}

}  // namespace

SweepReport BuildReport(const SweepView& sweep, const std::vector<TrialRecord>& trials,
                        std::map<int64_t, std::vector<MetricPoint>> histories,
                        ReportOptions options) {
  SweepReport report;
  report.sweep = sweep;
  report.options = options;
  std::vector<TrialRecord> range_tests;
  for (const TrialRecord& trial : trials) {
    (IsRangeTestTrial(trial) ? range_tests : report.trials).push_back(trial);
  }
  report.histories = std::move(histories);
  report.range_tests = SummarizeRangeTests(range_tests, report.trials, report.histories);
  RankConfigurations(report);
  CompareTopTwo(report);
  BestPerFamily(report);
  StableLrRanges(report);
  SummarizeRungs(report);
  SummarizeTpe(&report);
  RankImportance(report);
  for (const TrialRecord& trial : report.trials) {
    report.early_stop.steps_planned += trial.total_steps;
    if (trial.state != TrialState::kStopped) continue;
    report.early_stop.stopped += 1;
    report.early_stop.steps_saved += std::max<int64_t>(0, trial.total_steps - trial.step);
  }
  for (const TrialRecord& trial : report.trials) {
    if (!options.diagnose) break;
    if (!IsFinal(trial.state) && trial.state != TrialState::kDiverged) continue;
    auto history = report.histories.find(trial.trial);
    static const std::vector<MetricPoint> kEmpty;
    for (Diagnosis& d : DiagnoseTrial(trial, history == report.histories.end() ? kEmpty
                                                                               : history->second)) {
      report.diagnoses.push_back(std::move(d));
    }
  }
  return report;
}

std::string HalvingText(const SweepReport& report) {
  const double percent = report.full_grid_steps > 0
                             ? 100.0 * static_cast<double>(report.steps_trained) /
                                   static_cast<double>(report.full_grid_steps)
                             : 0.0;
  return fmt::format("{} optimizer steps trained, {:.1f}% of the {} the full grid of the same "
                     "configurations and seeds trains.",
                     report.steps_trained, percent, report.full_grid_steps);
}

std::string EarlyStopText(const EarlyStopSummary& summary) {
  const double percent = summary.steps_planned > 0 ? 100.0 * static_cast<double>(summary.steps_saved) /
                                                         static_cast<double>(summary.steps_planned)
                                                   : 0.0;
  return fmt::format("{} trial{} stopped early: {} of {} planned steps ({:.1f}%) not trained.",
                     summary.stopped, summary.stopped == 1 ? "" : "s", summary.steps_saved,
                     summary.steps_planned, percent);
}

namespace {

std::string MarkdownRanking(const SweepReport& report) {
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
  const bool halving = !report.rungs.empty();
  if (halving) {
    out += "Successive halving: a configuration is scored at the highest rung it reached (its "
           "share of the full run in the rung column); higher rungs rank first.\n\n";
  }
  out += fmt::format("| rank | schedule | {} (mean ± std) | 95% CI | n |{} parameters | trials |\n",
                     sweep.metric_name, halving ? " rung |" : "");
  out += halving ? "|---:|---|---:|---|---:|---|---|---|\n" : "|---:|---|---:|---|---:|---|---|\n";
  for (const ConfigRank& rank : report.ranking) {
    if (!rank.scored()) continue;
    const std::string rung =
        halving ? fmt::format(" {} ({:.3g}) |", rank.rung, rank.horizon_fraction) : "";
    out += fmt::format("| {} | {} | {} | {} | {} |{} {} | {} |\n", rank.rank, rank.schedule_type,
                       MeanText(rank.stats), CiText(rank.stats), rank.stats.n, rung,
                       ParamsText(rank.params), absl::StrJoin(rank.trials, ", "));
  }
  out += fmt::format("\n{}\n", report.significance.note);
  std::string unranked;
  for (const ConfigRank& rank : report.ranking) {
    if (rank.scored()) continue;
    unranked += fmt::format("| {} | {} | {} | {} |\n", rank.schedule_type,
                            ParamsText(rank.params), absl::StrJoin(rank.trials, ", "),
                            rank.states);
  }
  if (!unranked.empty()) {
    out += "\n## Not ranked (no score yet, or none: diverged, failed, stopped, unfinished)\n\n"
           "| schedule | parameters | trials | states |\n|---|---|---|---|\n" + unranked;
  }
  return out;
}

std::string MarkdownFamilies(const SweepReport& report) {
  if (report.family_best.empty()) return "";
  std::string out = "\n## Each schedule family at its best\n\n| schedule | best " +
                    report.sweep.record.metric_name +
                    " | 95% CI | gain over constant LR | configuration |\n|---|---:|---|---:|---|\n";
  for (const FamilyBest& family : report.family_best) {
    const ConfigRank* rank = nullptr;
    for (const ConfigRank& r : report.ranking) {
      if (r.config == family.config) rank = &r;
    }
    out += fmt::format("| {} | {} | {} | {} | {} |\n", family.family, MeanText(family.stats),
                       CiText(family.stats),
                       family.gain_over_constant ? fmt::format("{:+.4f}", *family.gain_over_constant)
                                                 : "-",
                       rank ? ParamsText(rank->params) : "");
  }
  return out;
}

std::string MarkdownImportance(const SweepReport& report) {
  if (report.importance.empty()) return "";
  std::string out =
      "\n## What the score depends on\n\nThe share of the variance of the trials' " +
      report.sweep.record.metric_name +
      " that each parameter alone explains (first-order, as fANOVA's main effects); the rest is "
      "seeds and interactions.\n\n| parameter | importance | values | best value (mean) |\n"
      "|---|---:|---:|---|\n";
  for (const ParameterImportance& p : report.importance) {
    out += fmt::format("| {} | {:.0f}% | {} | {} ({:.4f}) |\n", p.parameter, 100 * p.importance,
                       p.groups, p.best_group, p.best_group_mean);
  }
  return out;
}

std::string MarkdownSensitivityAndDiagnoses(const SweepReport& report) {
  std::string out;
  if (!report.sensitivity.empty()) {
    out += fmt::format("\n## Stable peak-LR range (within {:g} of each family's best)\n\n"
                       "| schedule | best peak LR | stable range | peak LRs tried |\n"
                       "|---|---:|---|---:|\n",
                       report.options.tolerance);
    for (const Sensitivity& s : report.sensitivity) {
      out += fmt::format("| {} | {:g} | {:g} – {:g} ({:.1f}x) | {} |\n", s.family, s.best_lr,
                         s.lr_min, s.lr_max, s.lr_max / s.lr_min, s.lrs_tried);
    }
  }
  if (!report.diagnoses.empty()) {
    out += "\n## Diagnoses\n\n| trial | finding | steps | what | fix |\n|---:|---|---|---|---|\n";
    for (const Diagnosis& d : report.diagnoses) {
      out += fmt::format("| {} | {} | {}–{} | {} | {} |\n", d.trial, d.code, d.from_step,
                         d.to_step, d.message, d.fix);
    }
  }
  return out;
}

std::string MarkdownRungs(const SweepReport& report) {
  if (report.rungs.empty()) return "";
  std::string out = fmt::format(
      "\n## Successive halving\n\n{}\n\n| rung | share of the run | steps per trial | "
      "configurations | finished | promoted | steps trained |\n|---:|---:|---:|---:|---:|---:|---:|\n",
      HalvingText(report));
  for (const RungSummary& rung : report.rungs) {
    out += fmt::format("| {} | {:.3g} | {} | {} | {} | {} | {} |\n", rung.rung, rung.fraction,
                       rung.steps_per_trial, rung.configurations, rung.finished, rung.promoted,
                       rung.steps);
  }
  return out;
}

std::string MarkdownProblems(const SweepReport& report) {
  std::string out;
  for (const TrialRecord& trial : report.trials) {
    if (trial.state != TrialState::kDiverged && trial.state != TrialState::kFailed) continue;
    if (out.empty()) {
      out = "\n## Diverged and failed trials\n\n| trial | state | parameters | reason |\n"
            "|---:|---|---|---|\n";
    }
    out += fmt::format("| {} | {} | {} | {} |\n", trial.trial, TrialStateName(trial.state),
                       ParamsText(ParseOr(trial.params_json, {})), trial.reason);
  }
  if (report.early_stop.stopped == 0) return out;
  out += fmt::format("\n## Stopped early\n\n{}\n\n| trial | stopped at step | parameters | reason |\n"
                     "|---:|---:|---|---|\n",
                     EarlyStopText(report.early_stop));
  for (const TrialRecord& trial : report.trials) {
    if (trial.state != TrialState::kStopped) continue;
    out += fmt::format("| {} | {} of {} | {} | {} |\n", trial.trial, trial.step,
                       trial.total_steps, ParamsText(ParseOr(trial.params_json, {})),
                       trial.reason);
  }
  return out;
}

// A rung's scores as [{config, mean}], by config.
nlohmann::ordered_json ScoresJson(const std::map<int64_t, double>& scores) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [config, mean] : scores) out.push_back({{"config", config}, {"mean", mean}});
  return out;
}

nlohmann::ordered_json TrialsJson(const SweepReport& report) {
  nlohmann::ordered_json trials = nlohmann::ordered_json::array();
  for (const TrialRecord& trial : report.trials) {
    const nlohmann::ordered_json plan = ParseOr(trial.plan_json, nlohmann::ordered_json::object());
    trials.push_back({{"trial", trial.trial},
                      {"config", trial.config},
                      {"seed", trial.seed},
                      {"state", TrialStateName(trial.state)},
                      {"params", ParseOr(trial.params_json, nlohmann::ordered_json::object())},
                      {"schedule", plan.contains("schedule") ? plan["schedule"] : nullptr},
                      {"score", OptionalJson(trial.score)},
                      {"attempts", trial.attempts},
                      {"failures", trial.failures},
                      {"preemptions", trial.preemptions},
                      {"reason", trial.reason},
                      {"final", ParseOr(trial.final_metrics_json, nlohmann::ordered_json::object())}});
  }
  return trials;
}

nlohmann::ordered_json RankingJson(const SweepReport& report) {
  nlohmann::ordered_json ranking = nlohmann::ordered_json::array();
  for (const ConfigRank& rank : report.ranking) {
    ranking.push_back({{"rank", rank.scored() ? nlohmann::ordered_json(rank.rank) : nullptr},
                       {"states", rank.states},
                       {"config", rank.config},
                       {"schedule", rank.schedule_type},
                       {"params", rank.params},
                       {"peak_lr", rank.peak_lr},
                       {"mean", rank.scored() ? nlohmann::ordered_json(rank.stats.mean) : nullptr},
                       {"std", OptionalJson(rank.stats.std)},
                       {"ci95", CiJson(rank.stats)},
                       {"n", rank.stats.n},
                       {"rung", rank.rung},
                       {"horizon_fraction", rank.horizon_fraction},
                       {"trials", rank.trials}});
  }
  return ranking;
}

nlohmann::ordered_json FamiliesJson(const SweepReport& report) {
  nlohmann::ordered_json families = nlohmann::ordered_json::array();
  for (const FamilyBest& family : report.family_best) {
    families.push_back({{"schedule", family.family},
                        {"config", family.config},
                        {"mean", family.stats.mean},
                        {"std", OptionalJson(family.stats.std)},
                        {"ci95", CiJson(family.stats)},
                        {"n", family.stats.n},
                        {"gain_over_constant", OptionalJson(family.gain_over_constant)}});
  }
  return families;
}

nlohmann::ordered_json SensitivityJson(const SweepReport& report) {
  nlohmann::ordered_json sensitivity = nlohmann::ordered_json::array();
  for (const Sensitivity& s : report.sensitivity) {
    sensitivity.push_back({{"schedule", s.family},
                           {"best_lr", s.best_lr},
                           {"stable_lr_min", s.lr_min},
                           {"stable_lr_max", s.lr_max},
                           {"tolerance", report.options.tolerance},
                           {"lrs_tried", s.lrs_tried}});
  }
  return sensitivity;
}

nlohmann::ordered_json DiagnosesJson(const SweepReport& report) {
  nlohmann::ordered_json diagnoses = nlohmann::ordered_json::array();
  for (const Diagnosis& d : report.diagnoses) {
    diagnoses.push_back({{"trial", d.trial},
                         {"finding", d.code},
                         {"from_step", d.from_step},
                         {"to_step", d.to_step},
                         {"message", d.message},
                         {"fix", d.fix}});
  }
  return diagnoses;
}

}  // namespace

std::string RenderMarkdown(const SweepReport& report) {
  return MarkdownRanking(report) + MarkdownFamilies(report) +
         MarkdownImportance(report) + MarkdownRangeTests(report) + MarkdownRungs(report) +
         MarkdownTpe(report) +
         MarkdownSensitivityAndDiagnoses(report) +
         MarkdownProblems(report);
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
  out["trials"] = TrialsJson(report);
  out["ranking"] = RankingJson(report);
  out["significance"] = {{"p_value", OptionalJson(report.significance.p_value)},
                         {"significant", report.significance.significant},
                         {"note", report.significance.note}};
  out["family_best"] = FamiliesJson(report);
  out["sensitivity"] = SensitivityJson(report);
  out["diagnoses"] = DiagnosesJson(report);
  if (!report.rungs.empty()) {
    nlohmann::ordered_json rungs = nlohmann::ordered_json::array();
    for (const RungSummary& rung : report.rungs) {
      rungs.push_back({{"rung", rung.rung},
                       {"fraction", rung.fraction},
                       {"steps_per_trial", rung.steps_per_trial},
                       {"configurations", rung.configurations},
                       {"finished", rung.finished},
                       {"promoted", rung.promoted},
                       {"steps", rung.steps},
                       {"scores", ScoresJson(rung.scores)}});
    }
    out["successive_halving"] = {{"rungs", rungs},
                                 {"steps_trained", report.steps_trained},
                                 {"full_grid_steps", report.full_grid_steps}};
  }
  if (report.tpe.active) out["tpe"] = TpeJson(report.tpe);
  nlohmann::ordered_json importance = nlohmann::ordered_json::array();
  for (const ParameterImportance& p : report.importance) {
    importance.push_back({{"parameter", p.parameter},
                          {"importance", p.importance},
                          {"groups", p.groups},
                          {"best_group", p.best_group},
                          {"best_group_mean", p.best_group_mean}});
  }
  out["parameter_importance"] = importance;
  if (report.range_tests.active()) out["range_tests"] = RangeTestJson(report.range_tests);
  out["early_stopping"] = {{"stopped", report.early_stop.stopped},
                           {"steps_saved", report.early_stop.steps_saved},
                           {"steps_planned", report.early_stop.steps_planned}};
  return out;
}

std::string RenderCsv(const SweepReport& report) {
  std::string out = "rank,config,schedule,peak_lr,mean,std,ci95_low,ci95_high,n,trials,parameters\n";
  auto quote = [](const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  auto optional = [](const std::optional<double>& v) {
    return v ? fmt::format("{}", *v) : std::string();
  };
  for (const ConfigRank& rank : report.ranking) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n",
                       rank.scored() ? std::to_string(rank.rank) : std::string(), rank.config,
                       rank.schedule_type, rank.peak_lr,
                       rank.scored() ? fmt::format("{}", rank.stats.mean) : "",
                       optional(rank.stats.std), optional(rank.stats.ci95_low),
                       optional(rank.stats.ci95_high), rank.stats.n,
                       quote(absl::StrJoin(rank.trials, " ")), quote(ParamsText(rank.params)));
  }
  return out;
}

}  // namespace lrsweep
