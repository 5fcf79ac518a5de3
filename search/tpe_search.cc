#include "search/tpe_search.h"

#include <set>

#include "nlohmann/json.hpp"

namespace lrsweep {
namespace {

// Attempts at a suggestion that plans (a sampled value can make a trial invalid, e.g. a warmup
// longer than its run); each draws from the next seed.
constexpr int kPlanAttempts = 5;

// SplitMix64: seeds for neighbouring configuration indices that share no structure.
uint64_t MixSeed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TpeSearch>> TpeSearch::Create(const SweepSpec& spec) {
  return std::make_unique<TpeSearch>(spec);
}

TpeSearch::TpeSearch(const SweepSpec& spec) : spec_(spec), sampler_(spec) {}

void TpeSearch::OnTrialCreated(const TrialRecord& trial) {
  Configuration& configuration = configs_[trial.config];
  if (configuration.trials.count(trial.trial) > 0) return;
  configuration.trials[trial.trial] = Known{trial.state, trial.score};
  if (configuration.chosen) return;
  const nlohmann::ordered_json plan =
      nlohmann::ordered_json::parse(trial.plan_json, nullptr, /*allow_exceptions=*/false);
  if (plan.is_discarded() || !plan.is_object() || !plan.contains("params")) return;
  const int64_t grid = plan.contains("grid") && plan["grid"].is_number_integer()
                           ? plan["grid"].get<int64_t>()
                           : 0;
  configuration.chosen = sampler_.ConfigurationOf(grid, plan["params"]);
}

void TpeSearch::OnTrialEnded(const TrialRecord& trial) {
  OnTrialCreated(trial);
  configs_[trial.config].trials[trial.trial] = Known{trial.state, trial.score};
}

bool TpeSearch::AllFinal(const Configuration& configuration) {
  for (const auto& entry : configuration.trials) {
    if (!IsFinal(entry.second.state)) return false;
  }
  return true;
}

std::vector<TpeObservation> TpeSearch::Observations(
    const std::map<int64_t, Configuration>& configs) const {
  std::vector<TpeObservation> observations;
  for (const auto& entry : configs) {
    const Configuration& configuration = entry.second;
    if (!configuration.chosen) continue;
    TpeObservation observation{*configuration.chosen, std::nullopt};
    if (AllFinal(configuration)) {
      double sum = 0.0;
      bool completed = true;
      for (const auto& trial : configuration.trials) {
        completed = completed && trial.second.state == TrialState::kCompleted &&
                    trial.second.score.has_value();
        if (completed) sum += *trial.second.score;
      }
      if (completed && !configuration.trials.empty()) {
        const double mean = sum / static_cast<double>(configuration.trials.size());
        observation.loss = spec_.metric.maximize ? -mean : mean;
      }
    }
    observations.push_back(std::move(observation));
  }
  return observations;
}

std::vector<SearchOperation> TpeSearch::AfterTrialsEnd(
    const std::vector<TrialRecord>& ending, const EndingPoints& /*points*/) const {
  // The configurations as they will be once `ending` is final, and how many it completes.
  std::map<int64_t, Configuration> configs = configs_;
  std::set<int64_t> touched;
  for (const TrialRecord& row : ending) {
    auto found = configs.find(row.config);
    if (found == configs.end() || found->second.trials.count(row.trial) == 0) continue;
    if (IsFinal(found->second.trials[row.trial].state)) continue;
    found->second.trials[row.trial] = Known{row.state, row.score};
    touched.insert(row.config);
  }
  int64_t completed = 0;
  for (int64_t config : touched) completed += AllFinal(configs.at(config)) ? 1 : 0;

  std::vector<SearchOperation> operations;
  std::vector<TpeObservation> observations = Observations(configs);
  int64_t next_config = configs.empty() ? 0 : configs.rbegin()->first + 1;
  for (int64_t made = 0; made < completed && next_config < spec_.count; ++made, ++next_config) {
    for (int attempt = 0; attempt < kPlanAttempts; ++attempt) {
      const ChosenConfiguration chosen = sampler_.Suggest(
          observations, MixSeed(spec_.seed, static_cast<uint64_t>(next_config * kPlanAttempts +
                                                                   attempt)));
      absl::StatusOr<std::vector<TrialPlan>> plans =
          PlanChosenConfiguration(spec_, chosen, next_config, 0);
      if (!plans.ok()) continue;
      for (const TrialPlan& plan : *plans) {
        SearchOperation operation;
        operation.kind = SearchOperation::Kind::kCreate;
        operation.created = NewTrialRecord(plan);
        operations.push_back(std::move(operation));
      }
      // Suggestions after this one see it as running.
      observations.push_back(TpeObservation{chosen, std::nullopt});
      break;
    }
  }
  return operations;
}

}  // namespace lrsweep
