#include "report/statistics.h"

#include <cmath>
#include <numeric>

#include "boost/math/distributions/students_t.hpp"

namespace lrsweep {
namespace {

double Mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double SampleVariance(const std::vector<double>& values, double mean) {
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size() - 1);
}

}  // namespace

double StudentTQuantile(double p, double df) {
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

SeedStats Summarize(const std::vector<double>& values) {
  SeedStats stats;
  stats.n = static_cast<int64_t>(values.size());
  if (values.empty()) return stats;
  stats.mean = Mean(values);
  if (values.size() < 2) return stats;
  stats.std = std::sqrt(SampleVariance(values, stats.mean));
  const double half = StudentTQuantile(0.975, static_cast<double>(values.size() - 1)) * *stats.std /
                      std::sqrt(static_cast<double>(values.size()));
  stats.ci95_low = stats.mean - half;
  stats.ci95_high = stats.mean + half;
  return stats;
}

std::optional<double> WelchTwoSidedP(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const double ma = Mean(a), mb = Mean(b);
  const double va = SampleVariance(a, ma) / static_cast<double>(a.size());
  const double vb = SampleVariance(b, mb) / static_cast<double>(b.size());
  if (va + vb == 0) return std::nullopt;
  const double t = (ma - mb) / std::sqrt(va + vb);
  const double df = (va + vb) * (va + vb) /
                    (va * va / static_cast<double>(a.size() - 1) +
                     vb * vb / static_cast<double>(b.size() - 1));
  const boost::math::students_t_distribution<double> dist(df);
  return 2 * boost::math::cdf(boost::math::complement(dist, std::abs(t)));
}

}  // namespace lrsweep
