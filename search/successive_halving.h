// SuccessiveHalving: `method: asha` — asynchronous successive halving over resolved schedules.
//
// Every configuration (all its seeds) first trains rung 0: min_fraction of the full run, with its
// schedule compressed to that run (schedule/schedule_horizon.h), so a rung compares finished
// schedules, not schedules caught mid-way. A configuration's result at a rung is the mean score
// of its seeds' trials there; one that diverged or failed has none and is never promoted. As
// soon as results arrive — asynchronously, no worker waits for a rung to fill (Li et al., "A
// System for Massively Parallel Hyperparameter Tuning", 2020) — every configuration within the
// best floor(n / reduction_factor) of the n results of its rung, and not yet promoted, gets the
// trials of the next rung: reduction_factor times longer, its schedule resolved for that run.
// Once a rung is closed (every configuration that can reach it did and has its result), its best
// is promoted even when floor(n / reduction_factor) is 0, so the best configuration always
// reaches the last rung: max_fraction of the run (1: the full run, exactly the trial a grid
// would).
//
// Its state is the sweep's trial rows: which configuration, seed and rung each trial is (the
// plan's "rung"), its final state and score. The trials it adds are written with the ending
// that promotes them, so a coordinator killed at any point restarts with the same picture.
//
//   ASSIGN_OR_RETURN(auto halving, SuccessiveHalving::Create(spec));
//   for (const TrialRecord& row : rows_being_completed) ...;
//   std::vector<SearchOperation> add = halving->AfterTrialsEnd(rows_being_completed, {});
//
// Thread safety: not thread-safe (see SearchMethod).
#ifndef LRSWEEP_SEARCH_SUCCESSIVE_HALVING_H_
#define LRSWEEP_SEARCH_SUCCESSIVE_HALVING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "search/search_method.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

class SuccessiveHalving : public SearchMethod {
 public:
  // Plans the trials of every rung after the first. InvalidArgument when one does not resolve.
  static absl::StatusOr<std::unique_ptr<SuccessiveHalving>> Create(const SweepSpec& spec);
  // `planned[k]`: the trials of rung k for every configuration and seed (rung 0's may be empty).
  SuccessiveHalving(int64_t reduction_factor, bool maximize,
                    std::vector<std::vector<TrialRecord>> planned);

  void OnTrialCreated(const TrialRecord& trial) override;
  bool ObservesMetrics() const override { return false; }
  void OnTrialEnded(const TrialRecord& trial) override;
  std::vector<SearchOperation> AfterTrialsEnd(const std::vector<TrialRecord>& ending,
                                             const EndingPoints& points) const override;

  // The rung of a trial row, from its plan ("rung"; 0 when absent).
  static int64_t RungOf(const TrialRecord& trial);

 private:
  struct Known {
    int64_t config = 0;
    int64_t rung = 0;
    TrialState state = TrialState::kPending;
    std::optional<double> score;
  };
  using ConfigRung = std::pair<int64_t, int64_t>;
  // The trials of `rung` to add for `config` (one per seed).
  void Promote(int64_t config, int64_t rung, std::vector<SearchOperation>* out) const;
  // The configuration's result at a rung, with `ending` applied: unset while a trial of it runs;
  // a value, or nullopt inside when it diverged or failed.
  std::optional<std::optional<double>> ResultOf(
      const std::vector<int64_t>& trials, const std::map<int64_t, const TrialRecord*>& ending) const;
  bool Better(double a, double b) const { return maximize_ ? a > b : a < b; }

  const int64_t reduction_factor_;
  const bool maximize_;
  // By rung, then (config, seed): the rows a promotion adds.
  std::vector<std::map<std::pair<int64_t, int64_t>, TrialRecord>> planned_;
  std::map<int64_t, Known> trials_;
  std::map<ConfigRung, std::vector<int64_t>> by_config_rung_;
  std::map<int64_t, std::set<int64_t>> configs_by_rung_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_SUCCESSIVE_HALVING_H_
