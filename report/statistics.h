// Statistics over seeds: mean, sample standard deviation, the 95% confidence interval of the mean
// (Student t), and Welch's t-test for "is the best configuration really better than the next".
//
//   SeedStats stats = Summarize({0.90, 0.91, 0.89});
//   // stats.mean 0.90, stats.std 0.01, stats.ci95_low/high = mean -+ t(0.975, 2) * std / sqrt(3)
//   std::optional<double> p = WelchTwoSidedP(best_scores, runner_up_scores);
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_STATISTICS_H_
#define LRSWEEP_REPORT_STATISTICS_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace lrsweep {

struct SeedStats {
  int64_t n = 0;
  double mean = 0.0;
  std::optional<double> std;  // sample standard deviation (n - 1); needs n >= 2
  std::optional<double> ci95_low, ci95_high;  // needs n >= 2
};

SeedStats Summarize(const std::vector<double>& values);

// Student t quantile: the value t with P(T <= t) = p for `df` degrees of freedom.
double StudentTQuantile(double p, double df);

// Two-sided p-value of Welch's unequal-variance t-test for the means of `a` and `b`; nullopt when
// either has fewer than 2 values or both have zero variance.
std::optional<double> WelchTwoSidedP(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_STATISTICS_H_
