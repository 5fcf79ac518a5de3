#include "cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "fmt/format.h"

namespace lrsweep {
namespace {

constexpr double kWidth = 800, kHeight = 420;
constexpr double kLeft = 80, kRight = 70, kTop = 40, kBottom = 50;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kHeight - kTop - kBottom;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A round tick spacing (1, 2 or 5 times a power of ten) giving about five ticks over `range`.
double NiceStep(double range) {
  const double rough = range / 5;
  const double magnitude = std::pow(10, std::floor(std::log10(rough)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= rough) return factor * magnitude;
  }
  return 10 * magnitude;
}

// Maps values to pixel rows, linearly or logarithmically.
class Axis {
 public:
  Axis(const std::vector<const ChartSeries*>& series, bool log) : log_(log) {
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    double smallest_positive = low;
    for (const ChartSeries* s : series) {
      for (double v : s->values) {
        if (!std::isfinite(v)) continue;
        low = std::min(low, v);
        high = std::max(high, v);
        if (v > 0) smallest_positive = std::min(smallest_positive, v);
      }
    }
    if (!std::isfinite(low)) low = 0, high = 1;
    if (log_) {
      if (!std::isfinite(smallest_positive)) smallest_positive = 1e-8;
      low_ = std::pow(10, std::floor(std::log10(smallest_positive)));
      high_ = std::pow(10, std::ceil(std::log10(std::max(high, smallest_positive))));
      if (high_ <= low_) high_ = low_ * 10;
    } else {
      low_ = std::min(0.0, low);
      high_ = high > low_ ? high : low_ + 1;
      step_ = NiceStep(high_ - low_);
      low_ = std::floor(low_ / step_) * step_;
      high_ = std::ceil(high_ / step_ * (1 + 1e-9)) * step_;
    }
  }

  double Y(double v) const {
    double fraction;
    if (log_) {
      // Zero and values below the lowest tick sit on the bottom edge; the rest where they are,
      // so that every tick label is drawn at its own value.
      v = v > 0 ? std::max(v, low_) : low_;
      fraction = (std::log10(v) - std::log10(low_)) / (std::log10(high_) - std::log10(low_));
    } else {
      fraction = (v - low_) / (high_ - low_);
    }
    return kTop + kPlotHeight * (1 - fraction);
  }

  std::vector<double> Ticks() const {
    std::vector<double> ticks;
    if (log_) {
      for (double t = low_; t <= high_ * 1.0001; t *= 10) ticks.push_back(t);
      return ticks;
    }
    for (double t = low_; t <= high_ + step_ / 2; t += step_) ticks.push_back(t);
    return ticks;
  }

 private:
  bool log_;
  double low_ = 0, high_ = 1, step_ = 0.2;
};

// Points of one series, reduced to min/max per pixel column when longer than the plot is wide.
std::string Polyline(const ChartSeries& series, const Axis& axis, size_t length) {
  std::string points;
  const double x_scale = length > 1 ? kPlotWidth / static_cast<double>(length - 1) : 0;
  auto add = [&](size_t i, double v) {
    points += fmt::format("{:.2f},{:.2f} ", kLeft + x_scale * static_cast<double>(i), axis.Y(v));
  };
  const size_t columns = static_cast<size_t>(kPlotWidth);
  if (series.values.size() <= 2 * columns) {
    for (size_t i = 0; i < series.values.size(); ++i) add(i, series.values[i]);
  } else {
    const size_t per_column = (series.values.size() + columns - 1) / columns;
    for (size_t start = 0; start < series.values.size(); start += per_column) {
      const size_t end = std::min(series.values.size(), start + per_column);
      const auto [lo, hi] =
          std::minmax_element(series.values.begin() + start, series.values.begin() + end);
      add(start, series.values[start]);
      add(static_cast<size_t>(lo - series.values.begin()), *lo);
      add(static_cast<size_t>(hi - series.values.begin()), *hi);
      add(end - 1, series.values[end - 1]);
    }
  }
  return fmt::format(
      "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{} points=\"{}\"/>\n",
      series.color, series.right_axis ? " stroke-dasharray=\"5,3\"" : "", points);
}

// The grid, the tick labels of both y axes and of the x axis (steps 0..length-1).
std::string AxesSvg(const Axis& left_axis, const Axis* right_axis, size_t length) {
  std::string svg;
  for (double tick : left_axis.Ticks()) {
    const double y = left_axis.Y(tick);
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.2f}\" y2=\"{2:.2f}\" stroke=\"#e0e0e0\"/>\n"
        "<text x=\"{3}\" y=\"{4:.2f}\" text-anchor=\"end\">{5:.4g}</text>\n",
        kLeft, kLeft + kPlotWidth, y, kLeft - 6, y + 4, tick);
  }
  if (right_axis != nullptr) {
    for (double tick : right_axis->Ticks()) {
      svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\">{:.3g}</text>\n", kLeft + kPlotWidth + 6,
                         right_axis->Y(tick) + 4, tick);
    }
  }
  const size_t last = length > 0 ? length - 1 : 0;
  const size_t x_step = std::max<size_t>(1, static_cast<size_t>(NiceStep(std::max<double>(1, last))));
  for (size_t step = 0; step <= last; step += x_step) {
    const double x = kLeft + (last > 0 ? kPlotWidth * static_cast<double>(step) /
                                             static_cast<double>(last)
                                       : 0);
    svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x,
                       kTop + kPlotHeight + 18, step);
  }
  return svg;
}

}  // namespace

std::string RenderSvg(const LineChart& chart, bool log_y) {
  std::vector<const ChartSeries*> left, right;
  size_t length = 0;
  for (const ChartSeries& s : chart.series) {
    (s.right_axis ? right : left).push_back(&s);
    length = std::max(length, s.values.size());
  }
  const Axis left_axis(left, log_y);
  const Axis right_axis(right, false);

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
      kWidth, kHeight, kLeft, Escape(chart.title));
  svg += AxesSvg(left_axis, right.empty() ? nullptr : &right_axis, length);
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(18,{}) rotate(-90)\" text-anchor=\"middle\">{}{}</text>\n",
      kLeft, kTop, kPlotWidth, kPlotHeight, kLeft + kPlotWidth / 2, kHeight - 10,
      Escape(chart.x_label), kTop + kPlotHeight / 2, Escape(chart.y_label),
      log_y ? " (log scale)" : "");
  if (!right.empty()) {
    svg += fmt::format(
        "<text transform=\"translate({},{}) rotate(90)\" text-anchor=\"middle\">{}</text>\n",
        kWidth - 14, kTop + kPlotHeight / 2, Escape(chart.right_label));
  }
  double legend_x = kLeft + kPlotWidth - 10;
  for (auto it = chart.series.rbegin(); it != chart.series.rend(); ++it) {
    svg += Polyline(*it, it->right_axis ? right_axis : left_axis, length);
    legend_x -= 90;
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"28\" y2=\"28\" stroke=\"{2}\" stroke-width=\"2\"/>"
        "<text x=\"{3}\" y=\"32\">{4}</text>\n",
        legend_x, legend_x + 20, it->color, legend_x + 24, Escape(it->name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace lrsweep
