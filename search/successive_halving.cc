#include "search/successive_halving.h"

#include <algorithm>
#include <tuple>

#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "sweep/sweep_planner.h"

namespace lrsweep {

absl::StatusOr<std::unique_ptr<SuccessiveHalving>> SuccessiveHalving::Create(
    const SweepSpec& spec) {
  const size_t rungs = RungFractions(spec).size();
  std::vector<std::vector<TrialRecord>> planned(rungs);
  for (size_t rung = 1; rung < rungs; ++rung) {
    ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec, static_cast<int64_t>(rung)));
    for (const TrialPlan& trial : plan.trials) planned[rung].push_back(NewTrialRecord(trial));
  }
  return std::make_unique<SuccessiveHalving>(spec.halving.reduction_factor, spec.metric.maximize,
                                             std::move(planned));
}

SuccessiveHalving::SuccessiveHalving(int64_t reduction_factor, bool maximize,
                                     std::vector<std::vector<TrialRecord>> planned)
    : reduction_factor_(reduction_factor), maximize_(maximize), planned_(planned.size()) {
  for (size_t rung = 0; rung < planned.size(); ++rung) {
    for (TrialRecord& row : planned[rung]) {
      const std::pair<int64_t, int64_t> key{row.config, row.seed};
      planned_[rung].emplace(key, std::move(row));
    }
  }
}

int64_t SuccessiveHalving::RungOf(const TrialRecord& trial) {
  const nlohmann::json plan = nlohmann::json::parse(trial.plan_json, nullptr, false);
  if (plan.is_discarded() || !plan.is_object() || !plan.contains("rung") ||
      !plan["rung"].is_number_integer()) {
    return 0;
  }
  return plan["rung"].get<int64_t>();
}

void SuccessiveHalving::OnTrialCreated(const TrialRecord& trial) {
  if (trials_.count(trial.trial) > 0) return;
  Known known;
  known.config = trial.config;
  known.rung = RungOf(trial);
  known.state = trial.state;
  known.score = trial.score;
  trials_[trial.trial] = known;
  by_config_rung_[{known.config, known.rung}].push_back(trial.trial);
  configs_by_rung_[known.rung].insert(known.config);
}

void SuccessiveHalving::OnTrialEnded(const TrialRecord& trial) {
  OnTrialCreated(trial);
  Known& known = trials_[trial.trial];
  known.state = trial.state;
  known.score = trial.score;
}

std::optional<std::optional<double>> SuccessiveHalving::ResultOf(
    const std::vector<int64_t>& trials, const std::map<int64_t, const TrialRecord*>& ending) const {
  double sum = 0.0;
  bool failed = false;
  for (int64_t index : trials) {
    const Known& known = trials_.at(index);
    auto row = ending.find(index);
    const TrialState state = row != ending.end() ? row->second->state : known.state;
    const std::optional<double> score = row != ending.end() ? row->second->score : known.score;
    if (!IsFinal(state)) return std::nullopt;
    if (state != TrialState::kCompleted || !score) {
      failed = true;
    } else {
      sum += *score;
    }
  }
  if (failed || trials.empty()) return std::optional<double>();
  return std::optional<double>(sum / static_cast<double>(trials.size()));
}

void SuccessiveHalving::Promote(int64_t config, int64_t rung,
                                std::vector<SearchOperation>* out) const {
  const auto& planned = planned_[static_cast<size_t>(rung)];
  for (auto it = planned.lower_bound({config, INT64_MIN});
       it != planned.end() && it->first.first == config; ++it) {
    SearchOperation create;
    create.kind = SearchOperation::Kind::kCreate;
    create.created = it->second;
    create.reason = "promoted by successive halving to rung " + std::to_string(rung);
    out->push_back(std::move(create));
  }
}

std::vector<SearchOperation> SuccessiveHalving::AfterTrialsEnd(
    const std::vector<TrialRecord>& ending, const EndingPoints& /*points*/) const {
  std::map<int64_t, const TrialRecord*> rows;
  for (const TrialRecord& row : ending) {
    if (trials_.count(row.trial) > 0 && IsFinal(row.state)) rows[row.trial] = &row;
  }
  std::vector<SearchOperation> out;
  if (rows.empty()) return out;
  // A rung is closed when no configuration can still reach it and every one that did has its
  // result: then its best goes up even when floor(n / reduction_factor) is 0, so that a sweep
  // always trains its best configuration on the last rung.
  bool lower_closed = true;
  bool added_here = false;  // this call added trials to the rung being looked at
  for (int64_t rung = 0; rung + 1 < static_cast<int64_t>(planned_.size()); ++rung) {
    auto configs = configs_by_rung_.find(rung);
    if (configs == configs_by_rung_.end()) break;
    // (has a value (false: diverged or failed), value, config), best first.
    std::vector<std::tuple<bool, double, int64_t>> results;
    for (int64_t config : configs->second) {
      const std::optional<std::optional<double>> result =
          ResultOf(by_config_rung_.at({config, rung}), rows);
      if (!result) continue;
      results.emplace_back(result->has_value(), result->value_or(0.0), config);
    }
    std::sort(results.begin(), results.end(), [this](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a);
      if (std::get<1>(a) != std::get<1>(b)) return Better(std::get<1>(a), std::get<1>(b));
      return std::get<2>(a) < std::get<2>(b);
    });
    const bool closed = lower_closed && !added_here && results.size() == configs->second.size();
    size_t promoted = results.size() / static_cast<size_t>(reduction_factor_);
    if (closed && promoted == 0 && !results.empty()) promoted = 1;
    added_here = false;
    for (size_t i = 0; i < promoted; ++i) {
      const auto& [has_value, value, config] = results[i];
      if (!has_value || by_config_rung_.count({config, rung + 1}) > 0) continue;
      Promote(config, rung + 1, &out);
      added_here = true;
    }
    lower_closed = closed;
  }
  return out;
}

}  // namespace lrsweep
