// TpeSearch: `method: tpe` — after the random start, each configuration that ends (all its
// seeds final) makes room for one more, suggested by a TpeSampler from every configuration so
// far, until `count` configurations exist.
//
// A configuration's observation is the mean of its seeds' scores when all completed; one that
// failed, diverged or was stopped is a bad observation, not ignored; one still running is a bad
// observation too (the "constant liar"), so that suggestions made while others train spread out.
// Several suggestions made in one batch of endings see each other the same way. Each suggestion
// draws from a seed derived from the sweep's seed and the new configuration's index, so the
// method is a function of the stored trials: after a coordinator restart, replaying them
// rebuilds it, and since suggested trials are written in the same transaction as the endings
// that caused them, none is repeated or lost.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TpeSearch> tpe, TpeSearch::Create(spec));
//
// Thread safety: not thread-safe (see SearchMethod).
#ifndef LRSWEEP_SEARCH_TPE_SEARCH_H_
#define LRSWEEP_SEARCH_TPE_SEARCH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "search/search_method.h"
#include "search/tpe_sampler.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

class TpeSearch : public SearchMethod {
 public:
  static absl::StatusOr<std::unique_ptr<TpeSearch>> Create(const SweepSpec& spec);
  explicit TpeSearch(const SweepSpec& spec);

  void OnTrialCreated(const TrialRecord& trial) override;
  bool ObservesMetrics() const override { return false; }
  void OnTrialEnded(const TrialRecord& trial) override;
  std::vector<SearchOperation> AfterTrialsEnd(const std::vector<TrialRecord>& ending,
                                             const EndingPoints& points) const override;

 private:
  struct Known {
    TrialState state = TrialState::kPending;
    std::optional<double> score;
  };
  struct Configuration {
    std::optional<ChosenConfiguration> chosen;  // unset when its params are not the sweep's
    std::map<int64_t, Known> trials;
  };

  // Every configuration as an observation, with `ending` applied.
  std::vector<TpeObservation> Observations(const std::map<int64_t, Configuration>& configs) const;
  static bool AllFinal(const Configuration& configuration);

  SweepSpec spec_;
  TpeSampler sampler_;
  std::map<int64_t, Configuration> configs_;  // by configuration index
};

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_TPE_SEARCH_H_
