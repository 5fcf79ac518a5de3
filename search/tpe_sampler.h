// TpeSampler: the Tree-structured Parzen Estimator (Bergstra et al., 2011) over a sweep's
// `parameters:`, suggesting the next configuration from the ones observed so far.
//
// Observations are split into the best gamma(n) = min(ceil(0.25 n), 25) (at least 1) and the rest;
// failed, diverged and still-running configurations always count among the rest (running ones
// as a "constant liar", so that parallel suggestions spread out instead of repeating). For each
// parameter it fits a density to the good values, l(x), and one to the others, g(x), and picks,
// among 24 draws from l, the value maximizing l(x) / g(x):
//   - uniform, log_uniform (in log space) and int_uniform: a mixture of truncated Gaussians, one
//     per observation (bandwidth: the distance to its farther neighbour, clipped to
//     [range / min(100, n + 1), range]), plus a prior Gaussian over the whole range;
//   - listed values and choices: a categorical with a uniform prior of weight 1.
// With several grids (conditional parameters: each grid has its own keys), the grid is chosen
// first, the same way, and each parameter only learns from observations of its grid. Parameters
// are independent of each other, as in Optuna's default TPESampler. Before two observations
// have a score it samples uniformly, like random search.
//
//   TpeSampler sampler(spec);
//   ChosenConfiguration next = sampler.Suggest(observations, /*seed=*/spec.seed * 1000003 + n);
//
// Deterministic: the same observations and seed give the same suggestion on every platform.
// Thread safety: Suggest is const and keeps no state; the sampler holds the sweep's grids.
#ifndef LRSWEEP_SEARCH_TPE_SAMPLER_H_
#define LRSWEEP_SEARCH_TPE_SAMPLER_H_

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

struct TpeObservation {
  ChosenConfiguration configuration;
  // Lower is better (the sweep's metric, negated when maximized); nullopt: failed, diverged, or
  // still running.
  std::optional<double> loss;
};

class TpeSampler {
 public:
  explicit TpeSampler(const SweepSpec& spec);

  ChosenConfiguration Suggest(const std::vector<TpeObservation>& observations,
                              uint64_t seed) const;

  // The grid and values of a trial's plan params ({"schedule.lr": 0.1, ...}, with its "grid"),
  // or nullopt when they are not values of this sweep's parameters.
  std::optional<ChosenConfiguration> ConfigurationOf(int64_t grid,
                                                     const nlohmann::ordered_json& params) const;

 private:
  // One swept parameter, as the sampler sees it.
  struct Dimension {
    bool categorical = false;
    int64_t categories = 0;  // categorical: how many values
    bool log = false;        // log_uniform: densities in log space
    bool integer = false;    // int_uniform
    double low = 0.0;        // numeric: bounds, in the density's space
    double high = 0.0;
  };
  struct Grid {
    std::vector<std::optional<Dimension>> dimensions;  // per axis; nullopt: one fixed value
    std::vector<std::vector<nlohmann::ordered_json>> values;  // per axis: categorical values
    std::vector<std::string> paths;
  };

  // One parameter's value: l/g-maximizing when `learn`, else uniform.
  static ChosenValue SuggestValue(const Dimension& dimension,
                                  const std::vector<ChosenValue>& good,
                                  const std::vector<ChosenValue>& bad, bool learn,
                                  std::mt19937_64& rng);

  std::vector<Grid> grids_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_TPE_SAMPLER_H_
