#include "sweep/sweep_extension.h"

#include <algorithm>
#include <map>
#include <set>

#include "nlohmann/json.hpp"

namespace lrsweep {
namespace {

// What a trial trains with: its plan without the numbers the sweep gives it.
struct TrialKeys {
  std::string trial;   // the same trial
  std::string config;  // the same configuration (any seed)
};

TrialKeys KeysOf(const std::string& plan_json) {
  nlohmann::ordered_json plan = nlohmann::ordered_json::parse(plan_json, nullptr, false);
  if (plan.is_discarded() || !plan.is_object()) return {plan_json, plan_json};
  plan.erase("trial");
  plan.erase("config");
  TrialKeys keys;
  keys.trial = plan.dump();
  plan.erase("seed");
  keys.config = plan.dump();
  return keys;
}

}  // namespace

std::vector<TrialRecord> TrialsToAdd(const std::string& sweep_id,
                                     const std::vector<TrialRecord>& existing,
                                     const SweepPlan& plan, int64_t now_ms) {
  std::set<std::string> trials;
  std::map<std::string, int64_t> configs;
  int64_t next_config = 0;
  for (const TrialRecord& trial : existing) {
    const TrialKeys keys = KeysOf(trial.plan_json);
    trials.insert(keys.trial);
    configs.emplace(keys.config, trial.config);
    next_config = std::max(next_config, trial.config + 1);
  }
  std::vector<TrialRecord> added;
  for (const TrialPlan& planned : plan.trials) {
    TrialRecord trial = NewTrialRecord(planned);
    const TrialKeys keys = KeysOf(trial.plan_json);
    if (!trials.insert(keys.trial).second) continue;
    auto config = configs.emplace(keys.config, next_config);
    if (config.second) ++next_config;
    TrialPlan numbered = planned;
    numbered.index = static_cast<int64_t>(existing.size() + added.size());
    numbered.config = config.first->second;
    trial = NewTrialRecord(numbered);
    trial.sweep_id = sweep_id;
    trial.updated_ms = now_ms;
    added.push_back(std::move(trial));
  }
  return added;
}

}  // namespace lrsweep
