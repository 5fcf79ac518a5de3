#include "dashboard/downsample.h"

#include <cmath>

namespace lrsweep {

std::vector<CurvePoint> DownsampleLttb(const std::vector<CurvePoint>& points, size_t max_points) {
  if (max_points < 3 || points.size() <= max_points) return points;
  std::vector<CurvePoint> kept;
  kept.reserve(max_points);
  kept.push_back(points.front());
  // The points between the ends fall into max_points - 2 buckets of equal width in index.
  const double bucket = static_cast<double>(points.size() - 2) / static_cast<double>(max_points - 2);
  size_t previous = 0;
  for (size_t b = 0; b < max_points - 2; ++b) {
    const size_t begin = 1 + static_cast<size_t>(std::floor(b * bucket));
    const size_t end = 1 + static_cast<size_t>(std::floor((b + 1) * bucket));
    // The third corner: the average of the next bucket (the last point for the last bucket).
    const size_t next_begin = end;
    const size_t next_end =
        b + 1 < max_points - 2 ? 1 + static_cast<size_t>(std::floor((b + 2) * bucket))
                               : points.size();
    double avg_x = 0.0;
    double avg_y = 0.0;
    for (size_t i = next_begin; i < next_end; ++i) {
      avg_x += points[i].x;
      avg_y += points[i].y;
    }
    const double count = static_cast<double>(next_end - next_begin);
    avg_x /= count;
    avg_y /= count;
    const CurvePoint& a = points[previous];
    size_t best = begin;
    double best_area = -1.0;
    for (size_t i = begin; i < end; ++i) {
      const double area = std::fabs((a.x - avg_x) * (points[i].y - a.y) -
                                    (a.x - points[i].x) * (avg_y - a.y));
      if (area > best_area) {
        best_area = area;
        best = i;
      }
    }
    kept.push_back(points[best]);
    previous = best;
  }
  kept.push_back(points.back());
  return kept;
}

}  // namespace lrsweep
