#include "svg_chart.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "svg_util.hpp"

namespace synack::cli {
namespace {

constexpr double kWidth = 720, kHeight = 420;
constexpr double kLeft = 70, kRight = 180, kTop = 40, kBottom = 60;  // margins

std::string number(double v) {
  if (v >= 100 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  if (v >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

// A "nice" step (1, 2 or 5 times a power of ten) for about `ticks` ticks up to `max`.
double nice_step(double max, int ticks) {
  const double raw = max / ticks;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string render_svg(const LineChart& c) {
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  double y_max = 0;
  for (const auto& s : c.series) {
    for (const auto& y : s.y) {
      if (y) y_max = std::max(y_max, *y);
    }
  }
  const double step = nice_step(y_max > 0 ? y_max : 1, 5);
  const double y_top = std::max(step, std::ceil(y_max / step) * step);
  const double x_lo = c.x.empty() ? 0 : c.x.front(), x_hi = c.x.empty() ? 1 : c.x.back();
  auto fx = [&](double x) {
    const double a = c.log_x ? std::log(x) : x, lo = c.log_x ? std::log(x_lo) : x_lo,
                 hi = c.log_x ? std::log(x_hi) : x_hi;
    return kLeft + (hi > lo ? (a - lo) / (hi - lo) : 0.5) * plot_w;
  };
  auto fy = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::string o = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
      kWidth, kHeight, kLeft, view::xml_escape(c.title));
  // Grid and y ticks.
  for (double y = 0; y <= y_top + step / 2; y += step) {
    o += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        kLeft, kLeft + plot_w, fy(y), kLeft - 6, fy(y) + 4, number(y));
  }
  // x ticks: one per measured x.
  for (double x : c.x) {
    o += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#999\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        fx(x), kTop + plot_h, kTop + plot_h + 5, kTop + plot_h + 19, number(x));
  }
  o += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      kLeft, kTop, plot_w, plot_h, kLeft + plot_w / 2, kHeight - 18, view::xml_escape(c.x_label),
      kTop + plot_h / 2, view::xml_escape(c.y_label));
  // Series: a polyline per run of measured points, a marker with its value per point,
  // and a legend entry.
  for (std::size_t si = 0; si < c.series.size(); ++si) {
    const ChartSeries& s = c.series[si];
    o += fmt::format("<g class=\"series\" stroke=\"{0}\" fill=\"{0}\">\n",
                     view::xml_escape(s.color));
    std::string points;
    auto flush = [&] {
      if (!points.empty()) {
        o += fmt::format("<polyline fill=\"none\" stroke-width=\"2\" points=\"{}\"/>\n", points);
      }
      points.clear();
    };
    for (std::size_t i = 0; i < c.x.size() && i < s.y.size(); ++i) {
      if (!s.y[i]) {
        flush();
        continue;
      }
      points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", fx(c.x[i]), fy(*s.y[i]));
    }
    flush();
    for (std::size_t i = 0; i < c.x.size() && i < s.y.size(); ++i) {
      if (!s.y[i]) continue;
      o += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\"><title>{}: {} at {} {}</title></circle>\n",
          fx(c.x[i]), fy(*s.y[i]), view::xml_escape(s.name), number(*s.y[i]),
          view::xml_escape(c.x_label), number(c.x[i]));
    }
    const double ly = kTop + 10 + 20 * static_cast<double>(si);
    o += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke-width=\"2\"/>\n"
        "<text x=\"{3}\" y=\"{4}\" stroke=\"none\" fill=\"#000\">{5}</text>\n</g>\n",
        kLeft + plot_w + 12, kLeft + plot_w + 34, ly, kLeft + plot_w + 40, ly + 4,
        view::xml_escape(s.name));
  }
  o += "</svg>\n";
  return o;
}

}  // namespace synack::cli
