// Draws from std::mt19937_64 that are identical on every platform and standard library (unlike
// std::uniform_real_distribution), so that a seed names the same sampled trials everywhere.
//
//   std::mt19937_64 rng(seed);
//   const double u = Uniform01(rng);                // [0, 1)
//   const size_t pick = UniformIndex(rng, values.size());
//
// Thread safety: pure functions of the generator passed in.
#ifndef LRSWEEP_COMMON_PORTABLE_RANDOM_H_
#define LRSWEEP_COMMON_PORTABLE_RANDOM_H_

#include <algorithm>
#include <cstddef>
#include <random>

namespace lrsweep {

// A uniform double in [0, 1) from 53 random bits.
inline double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

// A uniform index in [0, n); n >= 1.
inline size_t UniformIndex(std::mt19937_64& rng, size_t n) {
  return std::min(n - 1, static_cast<size_t>(Uniform01(rng) * static_cast<double>(n)));
}

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_PORTABLE_RANDOM_H_
