#include "search/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "common/portable_random.h"
#include "common/yaml_reader.h"

namespace lrsweep {
namespace {

constexpr int kCandidates = 24;  // draws from l(x) per parameter (Optuna's n_ei_candidates)
constexpr double kSqrt2Pi = 2.5066282746310002;

// Box-Muller: std::normal_distribution differs between standard libraries.
double StandardNormal(std::mt19937_64& rng) {
  const double u1 = 1.0 - Uniform01(rng);  // (0, 1]
  const double u2 = Uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Observations counted as good among n: hyperopt's gamma (a quarter, at most 25; Optuna's 10%
// leaves one or two good points at the budgets of an LR sweep), at least one.
size_t GoodCount(size_t n) {
  return std::max<size_t>(1, std::min<size_t>(25, static_cast<size_t>(std::ceil(0.25 * n))));
}

// A mixture of Gaussians truncated to [low, high], equally weighted: one per point and a prior
// over the whole range.
struct Parzen {
  std::vector<double> mu;
  std::vector<double> sigma;
  std::vector<double> scale;  // 1 / (sigma sqrt(2 pi) x the mass inside [low, high])
  double low = 0.0;
  double high = 0.0;
};

Parzen FitParzen(std::vector<double> points, double low, double high) {
  Parzen parzen{{}, {}, {}, low, high};
  const double range = high - low;
  std::sort(points.begin(), points.end());
  const double min_sigma = range / std::min(100.0, static_cast<double>(points.size()) + 1.0);
  for (size_t i = 0; i < points.size(); ++i) {
    const double left = points[i] - (i > 0 ? points[i - 1] : low);
    const double right = (i + 1 < points.size() ? points[i + 1] : high) - points[i];
    parzen.mu.push_back(points[i]);
    parzen.sigma.push_back(std::clamp(std::max(left, right), min_sigma, range));
  }
  parzen.mu.push_back(low + range / 2);  // the prior
  parzen.sigma.push_back(range);
  for (size_t i = 0; i < parzen.mu.size(); ++i) {
    const double s = parzen.sigma[i];
    const double mass = NormalCdf((high - parzen.mu[i]) / s) - NormalCdf((low - parzen.mu[i]) / s);
    parzen.scale.push_back(1.0 / (s * kSqrt2Pi * std::max(mass, 1e-12)));
  }
  return parzen;
}

double LogDensity(const Parzen& parzen, double x) {
  double sum = 0.0;
  for (size_t i = 0; i < parzen.mu.size(); ++i) {
    const double z = (x - parzen.mu[i]) / parzen.sigma[i];
    sum += std::exp(-0.5 * z * z) * parzen.scale[i];
  }
  return std::log(sum / static_cast<double>(parzen.mu.size()) + 1e-300);
}

double SampleParzen(const Parzen& parzen, std::mt19937_64& rng) {
  const size_t i = UniformIndex(rng, parzen.mu.size());
  for (int attempt = 0; attempt < 100; ++attempt) {
    const double x = parzen.mu[i] + parzen.sigma[i] * StandardNormal(rng);
    if (x >= parzen.low && x <= parzen.high) return x;
  }
  return std::clamp(parzen.mu[i], parzen.low, parzen.high);
}

// The category maximizing l/g among draws from l; counts with a uniform prior of weight 1.
size_t SuggestCategory(const std::vector<size_t>& good, const std::vector<size_t>& bad,
                       std::mt19937_64& rng) {
  const size_t k = good.size();
  std::vector<double> l(k), g(k);
  for (size_t i = 0; i < k; ++i) {
    l[i] = static_cast<double>(good[i]) + 1.0 / static_cast<double>(k);
    g[i] = static_cast<double>(bad[i]) + 1.0 / static_cast<double>(k);
  }
  const double l_sum = std::accumulate(l.begin(), l.end(), 0.0);
  const double g_sum = std::accumulate(g.begin(), g.end(), 0.0);
  size_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < kCandidates; ++c) {
    double u = Uniform01(rng) * l_sum;
    size_t pick = 0;
    while (pick + 1 < k && u >= l[pick]) u -= l[pick++];
    const double score = std::log(l[pick] / l_sum) - std::log(g[pick] / g_sum);
    if (score > best_score) {
      best_score = score;
      best = pick;
    }
  }
  return best;
}

}  // namespace

TpeSampler::TpeSampler(const SweepSpec& spec) {
  if (spec.grids.empty()) grids_.push_back(Grid{});
  for (const ParameterGrid& grid : spec.grids) {
    Grid sampled;
    for (const ParameterAxis& axis : grid.axes) {
      sampled.paths.push_back(axis.path);
      std::vector<nlohmann::ordered_json> values;
      std::optional<Dimension> dimension;
      if (axis.distribution && axis.distribution->kind != Distribution::Kind::kChoice) {
        const Distribution& d = *axis.distribution;
        Dimension numeric;
        numeric.log = d.kind == Distribution::Kind::kLogUniform;
        numeric.integer = d.kind == Distribution::Kind::kIntUniform;
        numeric.low = numeric.log ? std::log(d.min) : numeric.integer ? d.min - 0.5 : d.min;
        numeric.high = numeric.log ? std::log(d.max) : numeric.integer ? d.max + 0.5 : d.max;
        dimension = numeric;
      } else {
        const std::vector<YAML::Node>& nodes =
            axis.distribution ? axis.distribution->values : axis.values;
        for (const YAML::Node& node : nodes) values.push_back(YamlToJson(node));
        if (axis.distribution || (axis.listed && values.size() > 1)) {
          dimension = Dimension{true, static_cast<int64_t>(values.size())};
        }
      }
      sampled.dimensions.push_back(dimension);
      sampled.values.push_back(std::move(values));
    }
    grids_.push_back(std::move(sampled));
  }
}

std::optional<ChosenConfiguration> TpeSampler::ConfigurationOf(
    int64_t grid, const nlohmann::ordered_json& params) const {
  if (grid < 0 || grid >= static_cast<int64_t>(grids_.size())) return std::nullopt;
  const Grid& g = grids_[static_cast<size_t>(grid)];
  ChosenConfiguration configuration;
  configuration.grid = static_cast<size_t>(grid);
  for (size_t a = 0; a < g.paths.size(); ++a) {
    ChosenValue value;
    const std::optional<Dimension>& dimension = g.dimensions[a];
    if (dimension) {
      if (!params.contains(g.paths[a])) return std::nullopt;
      const nlohmann::ordered_json& json = params[g.paths[a]];
      if (dimension->categorical) {
        const auto found = std::find(g.values[a].begin(), g.values[a].end(), json);
        if (found == g.values[a].end()) return std::nullopt;
        value.index = found - g.values[a].begin();
      } else {
        if (!json.is_number()) return std::nullopt;
        value.number = json.get<double>();
      }
    }
    configuration.values.push_back(value);
  }
  return configuration;
}

ChosenConfiguration TpeSampler::Suggest(const std::vector<TpeObservation>& observations,
                                        uint64_t seed) const {
  std::mt19937_64 rng(seed);
  // Good: the best scored; bad: the other scored, then every unscored one.
  std::vector<const TpeObservation*> scored, bad;
  for (const TpeObservation& o : observations) (o.loss ? scored : bad).push_back(&o);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const TpeObservation* a, const TpeObservation* b) { return *a->loss < *b->loss; });
  const bool learn = scored.size() >= 2;
  const size_t n_good = learn ? std::min(scored.size(), GoodCount(observations.size())) : 0;
  const std::vector<const TpeObservation*> good(scored.begin(), scored.begin() + n_good);
  bad.insert(bad.begin(), scored.begin() + n_good, scored.end());

  ChosenConfiguration next;
  if (grids_.size() > 1) {
    std::vector<size_t> good_counts(grids_.size()), bad_counts(grids_.size());
    for (const TpeObservation* o : good) ++good_counts[o->configuration.grid];
    for (const TpeObservation* o : bad) ++bad_counts[o->configuration.grid];
    next.grid = learn ? SuggestCategory(good_counts, bad_counts, rng)
                      : UniformIndex(rng, grids_.size());
  }
  const Grid& grid = grids_[next.grid];
  for (size_t a = 0; a < grid.dimensions.size(); ++a) {
    const std::optional<Dimension>& dimension = grid.dimensions[a];
    if (!dimension) {
      next.values.push_back(ChosenValue{});
      continue;
    }
    // This axis' values among the observations of the same grid.
    auto axis_values = [&](const std::vector<const TpeObservation*>& set) {
      std::vector<ChosenValue> out;
      for (const TpeObservation* o : set) {
        if (o->configuration.grid == next.grid && a < o->configuration.values.size()) {
          out.push_back(o->configuration.values[a]);
        }
      }
      return out;
    };
    const ChosenValue value =
        SuggestValue(*dimension, axis_values(good), axis_values(bad), learn, rng);
    next.values.push_back(value);
  }
  return next;
}

ChosenValue TpeSampler::SuggestValue(const Dimension& dimension,
                                     const std::vector<ChosenValue>& good,
                                     const std::vector<ChosenValue>& bad, bool learn,
                                     std::mt19937_64& rng) {
  ChosenValue value;
  if (dimension.categorical) {
    const size_t k = static_cast<size_t>(dimension.categories);
    std::vector<size_t> good_counts(k), bad_counts(k);
    for (const ChosenValue& v : good) ++good_counts[static_cast<size_t>(v.index) % k];
    for (const ChosenValue& v : bad) ++bad_counts[static_cast<size_t>(v.index) % k];
    value.index = static_cast<int64_t>(learn ? SuggestCategory(good_counts, bad_counts, rng)
                                             : UniformIndex(rng, k));
    return value;
  }
  auto internal = [&](const std::vector<ChosenValue>& values) {
    std::vector<double> out;
    for (const ChosenValue& v : values) {
      if (v.number) out.push_back(dimension.log ? std::log(*v.number) : *v.number);
    }
    return out;
  };
  double x = dimension.low + Uniform01(rng) * (dimension.high - dimension.low);
  if (learn && !good.empty()) {
    const Parzen l = FitParzen(internal(good), dimension.low, dimension.high);
    const Parzen g = FitParzen(internal(bad), dimension.low, dimension.high);
    double best_score = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < kCandidates; ++c) {
      const double candidate = SampleParzen(l, rng);
      const double score = LogDensity(l, candidate) - LogDensity(g, candidate);
      if (score > best_score) {
        best_score = score;
        x = candidate;
      }
    }
  }
  double number = dimension.log ? std::exp(x) : x;
  if (dimension.integer) {
    number = std::clamp(std::round(number), dimension.low + 0.5, dimension.high - 0.5);
  }
  value.number = number;
  return value;
}

}  // namespace lrsweep
