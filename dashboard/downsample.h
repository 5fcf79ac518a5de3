// Thinning a learning curve for a chart without changing how it looks: Largest-Triangle-Three-
// Buckets (Steinarsson, 2013). The first and last points stay; every bucket in between keeps the
// point that spans the largest triangle with its neighbours' picks, so spikes (a divergence, a
// warm restart) survive where a stride would skip them.
//
//   std::vector<CurvePoint> shown = DownsampleLttb(points, 300);   // <= 300 points
//
// Thread safety: a stateless function.
#ifndef LRSWEEP_DASHBOARD_DOWNSAMPLE_H_
#define LRSWEEP_DASHBOARD_DOWNSAMPLE_H_

#include <cstddef>
#include <vector>

namespace lrsweep {

struct CurvePoint {
  double x = 0.0;
  double y = 0.0;
};

// At most `max_points` of `points` (sorted by x), the ends included. All of them when there are
// no more than `max_points`, or when `max_points` < 3 (a curve needs its ends and one bucket).
std::vector<CurvePoint> DownsampleLttb(const std::vector<CurvePoint>& points, size_t max_points);

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_DOWNSAMPLE_H_
