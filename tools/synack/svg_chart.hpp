// A line chart as a self-contained SVG document (no scripts, no external resources):
// a few series over one x axis, linear or logarithmic, with ticks, axis labels, a
// legend and each point's value in a <title> (shown on hover). Used by
// `synack bench --sweep ... --svg FILE`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace synack::cli {

struct ChartSeries {
  std::string name;
  std::string color;                     // any SVG colour, e.g. "#1f77b4"
  std::vector<std::optional<double>> y;  // one per x; nullopt: not measured (a gap)
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;  // x values must then be > 0
  std::vector<double> x;
  std::vector<ChartSeries> series;
};

// The chart as SVG text (UTF-8). Text is escaped; the y axis starts at 0.
std::string render_svg(const LineChart& chart);

}  // namespace synack::cli
