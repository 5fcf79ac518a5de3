// A line chart of an LR curve as a standalone SVG document, for `lrsweep schedule --format svg`.
//
//   LineChart chart{.title = "cosine, lr 0.1", .x_label = "step", .y_label = "learning rate"};
//   chart.series.push_back({"lr", lrs, "#1f77b4"});
//   std::string svg = RenderSvg(chart, /*log_y=*/false);
//
// Long curves are reduced to the minimum and maximum of each pixel column, so every step change
// stays visible while the file stays small.
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_CLI_SVG_PLOT_H_
#define LRSWEEP_CLI_SVG_PLOT_H_

#include <string>
#include <vector>

namespace lrsweep {

struct ChartSeries {
  std::string name;
  std::vector<double> values;  // y at x = 0, 1, 2, ...
  std::string color;
  bool right_axis = false;  // drawn against its own axis on the right (e.g. momentum)
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string right_label;
  std::vector<ChartSeries> series;
};

// Renders the chart; `log_y` puts the left axis on a log scale (non-positive values are
// clamped to the smallest positive value).
std::string RenderSvg(const LineChart& chart, bool log_y);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_SVG_PLOT_H_
