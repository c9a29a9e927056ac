#include "plot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "svg_util.hpp"

namespace synack::view {
namespace {

constexpr double kLeft = 86, kRightMargin = 24;
constexpr double kMainTop = 74, kMainH = 400;
constexpr double kRttTop = 530, kRttH = 120;
constexpr double kFlightTop = 700, kFlightH = 120;
constexpr double kHeight = 880;

constexpr const char* kData = "#1f4e9c";
constexpr const char* kLostC = "#f39c12";
constexpr const char* kRtx = "#d62728";
constexpr const char* kProbeC = "#8e44ad";
constexpr const char* kAck = "#2ca02c";
constexpr const char* kWin = "#b8860b";
constexpr const char* kSackC = "#17becf";
constexpr const char* kRttC = "#34495e";
constexpr const char* kFlightC = "#7f8c8d";

// A "nice" step (1, 2 or 5 times a power of ten) giving about `n` ticks over `range`.
double nice_step(double range, int n) {
  if (range <= 0) return 1;
  double raw = range / n;
  double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

std::string trim_num(double v) {
  if (std::fabs(v) < 1e-9) v = 0;
  std::string s = fmt::format("{:.3f}", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A byte scale: the unit its ticks are written in.
struct ByteUnit {
  double div;
  const char* name;
};
ByteUnit byte_unit(double max) {
  if (max >= 4.0 * 1024 * 1024) return {1024.0 * 1024, "MiB"};
  if (max >= 4.0 * 1024) return {1024.0, "KiB"};
  return {1.0, "B"};
}

// Per pixel column: the lowest and highest value seen, and the first and last.
struct Column {
  bool any = false;
  double lo = 0, hi = 0, first = 0, last = 0;
  void add(double v) {
    if (!any) {
      any = true;
      lo = hi = first = v;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    last = v;
  }
  void add_range(double a, double b) {
    add(a);
    add(b);
  }
};

class Panel {
 public:
  // A panel's vertical scale; every panel spans the same x range (the time axis).
  Panel(double top, double height, double ymin, double ymax)
      : top_(top), h_(height), ymin_(ymin), ymax_(ymax) {
    if (ymax_ <= ymin_) ymax_ = ymin_ + 1;
  }
  double y(double v) const { return top_ + h_ - (v - ymin_) / (ymax_ - ymin_) * h_; }
  double top() const { return top_; }
  double bottom() const { return top_ + h_; }
  double ymin() const { return ymin_; }
  double ymax() const { return ymax_; }

 private:
  double top_, h_, ymin_, ymax_;
};

}  // namespace

std::optional<BusiestDirection> busiest_direction(const Analysis& a) {
  std::optional<BusiestDirection> best;
  std::uint64_t most = 0;
  for (std::size_t i = 0; i < a.connections.size(); ++i) {
    for (Dir d : {Dir::AtoB, Dir::BtoA}) {
      const std::uint64_t b = a.connections[i].dir[static_cast<int>(d)].bytes;
      if (!best || b > most) {
        best = BusiestDirection{i, d};
        most = b;
      }
    }
  }
  return best;
}

std::string render_time_sequence(const Connection& c, Dir d, const PlotOptions& opt) {
  const double width = std::max(opt.width, 400);
  const double pw = width - kLeft - kRightMargin;
  const auto ncols = static_cast<std::size_t>(pw) + 1;
  const Endpoint& from = d == Dir::AtoB ? c.a : c.b;
  const Endpoint& to = d == Dir::AtoB ? c.b : c.a;

  // Time axis: a simulator's virtual clock starts at 0 and is shown as is (the ladder's
  // times); a capture's clock is the epoch, so it is shown from the first segment.
  std::int64_t t_first = std::numeric_limits<std::int64_t>::max(), t_last = 0;
  for (const auto& s : c.segments) {
    t_first = std::min(t_first, s.t.nanos());
    t_last = std::max(t_last, s.t.nanos());
  }
  if (c.segments.empty()) t_first = t_last = 0;
  const bool from_zero = t_first < 3600LL * 1'000'000'000;
  const double origin = from_zero ? 0.0 : static_cast<double>(t_first);
  const double span_ns = std::max(1.0, static_cast<double>(t_last) - (from_zero ? 0.0 : origin));
  const bool secs = span_ns >= 10e9;
  const double unit_ns = secs ? 1e9 : 1e6;
  const double tmin = from_zero ? static_cast<double>(t_first) / unit_ns : 0.0;
  const double tmax = (static_cast<double>(t_last) - origin) / unit_ns;
  const double tspan0 = std::max(tmax - tmin, 1e-9);
  // A little room at both ends, so the first and last segments are not on the frame.
  const double tpad = tspan0 * 0.02;
  const double tspan = tspan0 + 2 * tpad;
  auto tx = [&](Instant t) { return (static_cast<double>(t.nanos()) - origin) / unit_ns; };
  auto xpix = [&](double tv) { return kLeft + (tv - tmin + tpad) / tspan * pw; };
  auto col_of = [&](double tv) {
    auto c0 = static_cast<std::ptrdiff_t>((tv - tmin + tpad) / tspan * pw);
    return static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(c0, 0, static_cast<std::ptrdiff_t>(ncols - 1)));
  };
  auto col_x = [&](std::size_t col) { return kLeft + static_cast<double>(col); };

  // Gather: the data bars by kind, the ACK and window lines, SACK blocks, bytes in flight.
  enum Kind { kNormal, kLostK, kRtxK, kProbeK, kKinds };
  std::vector<Column> bars[kKinds];
  for (auto& b : bars) b.assign(ncols, {});
  struct Marked {
    double t, lo, hi;
    Kind kind;
    std::uint32_t seq, len;
  };
  std::vector<Marked> marked;
  std::vector<Column> ack(ncols), win(ncols), sack(ncols), flight(ncols);
  double ymin = std::numeric_limits<double>::max(), ymax = 0;
  std::uint64_t retrans = 0, probes = 0, lost = 0, data_segs = 0;
  bool have_una = false;
  double snd_una = 0, snd_max = 0, ack_max = 0, flight_max = 0, win_max = 0;
  bool any_ack = false;
  for (const auto& s : c.segments) {
    const double tv = tx(s.t);
    const std::size_t col = col_of(tv);
    if (s.dir == d) {
      const double lo = s.seq;
      const double seglen = s.len + (s.flags.syn() ? 1 : 0) + (s.flags.fin() ? 1 : 0);
      if (!have_una) {
        have_una = true;
        snd_una = snd_max = lo;
      }
      snd_max = std::max(snd_max, lo + seglen);
      ymin = std::min(ymin, lo);
      ymax = std::max(ymax, lo + seglen);
      if (s.len > 0) {
        ++data_segs;
        Kind k = (s.marks & mark::kProbe)            ? kProbeK
                 : (s.marks & mark::kRetransmission) ? kRtxK
                 : s.lost                            ? kLostK
                                                     : kNormal;
        if (k == kRtxK) ++retrans;
        if (k == kProbeK) ++probes;
        if (s.lost) ++lost;
        if (k == kRtxK || k == kProbeK) {
          marked.push_back({tv, lo, lo + s.len, k, s.seq, s.len});
        }
        bars[k][col].add_range(lo, lo + s.len);
      }
    } else if (!s.lost && s.flags.ack()) {
      // What came back, as the sender saw it (a lost ACK never arrived), when it arrived.
      const std::size_t col = col_of(tx(s.arrived));
      const double a = s.ack;
      ack_max = any_ack ? std::max(ack_max, a) : a;
      any_ack = true;
      ack[col].add(ack_max);
      const double edge = a + static_cast<double>(s.window);
      win[col].add(edge);
      ymax = std::max(ymax, ack_max);
      win_max = std::max(win_max, edge);
      ymin = std::min(ymin, ack_max);
      for (const auto& b : s.sack) {
        sack[col].add_range(b.left, b.right);
        ymax = std::max(ymax, static_cast<double>(b.right));
      }
      if (have_una) snd_una = std::max(snd_una, a);
    }
    if (have_una) {
      const double f = std::max(0.0, snd_max - snd_una);
      flight[col].add(f);
      flight_max = std::max(flight_max, f);
    }
  }
  if (ymin > ymax) ymin = ymax = 0;
  // The window's edge is drawn when it is near the data; far above (a big receive
  // buffer) it would flatten everything else, so it is cut at the top and says so.
  const bool window_cut = win_max > ymax + std::max(ymax - ymin, 1.0) * 0.5;
  if (!window_cut) ymax = std::max(ymax, win_max);
  const bool merge_marked = marked.size() > opt.max_marked;
  if (!merge_marked) {
    // Drawn one by one below; keep them out of the merged bars.
    for (auto& b : bars[kRtxK]) b = {};
    for (auto& b : bars[kProbeK]) b = {};
  }

  std::string o;
  o.reserve(64 * 1024);
  o += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tsg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
      "font-size=\"12\">\n",
      num(width), num(kHeight));
  const std::string title =
      fmt::format("time-sequence graph: {} > {}", from.to_string(), to.to_string());
  o += "<title>" + xml_escape(title) + "</title>\n";
  // The heading fits the width (15px bold, about 9 px a character): two long IPv6
  // endpoints drop the "time-sequence graph: " prefix, then are cut (the <title> above
  // keeps all of it).
  const auto fits = static_cast<std::size_t>((width - kLeft - kRightMargin) / 9);
  std::string heading = title;
  if (heading.size() > fits) heading = fmt::format("{} > {}", from.to_string(), to.to_string());
  if (heading.size() > fits && fits > 3) heading = heading.substr(0, fits - 3) + "...";
  o += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
                   num(width), num(kHeight));
  o += fmt::format(
      "<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\" fill=\"#111\">{}</text>\n",
      num(kLeft), xml_escape(heading));
  const auto& pd = c.dir[static_cast<int>(d)];
  o += fmt::format(
      "<text x=\"{}\" y=\"40\" fill=\"#444\">{} data segments sent ({} retransmission{}, {} TLP "
      "probe{}), {} bytes{}</text>\n",
      num(kLeft), data_segs, retrans, retrans == 1 ? "" : "s", probes, probes == 1 ? "" : "s",
      pd.bytes,
      (lost ? fmt::format(", {} lost on the link", lost) : "") +
          (window_cut ? fmt::format("; ACK + window reaches {} bytes, above the graph",
                                    static_cast<std::uint64_t>(win_max))
                      : ""));

  // Legend.
  struct Entry {
    const char* color;
    const char* text;
    bool line;
  };
  const Entry legend[] = {{kData, "data", false},
                          {kLostC, "lost on the link", false},
                          {kRtx, "retransmission", false},
                          {kProbeC, "TLP probe", false},
                          {kAck, "ACK", true},
                          {kWin, "ACK + window", true},
                          {kSackC, "SACK block", false}};
  double lx = kLeft;
  for (const auto& e : legend) {
    if (e.line) {
      o += fmt::format(
          "<line x1=\"{}\" y1=\"54\" x2=\"{}\" y2=\"54\" stroke=\"{}\" stroke-width=\"2\"/>",
          num(lx), num(lx + 16), e.color);
    } else {
      o += fmt::format("<rect x=\"{}\" y=\"47\" width=\"4\" height=\"14\" fill=\"{}\"/>",
                       num(lx + 6), e.color);
    }
    o += fmt::format("<text x=\"{}\" y=\"58\" fill=\"#222\">{}</text>\n", num(lx + 20), e.text);
    lx += 20 + static_cast<double>(std::string_view(e.text).size()) * 6.0 + 18;
  }

  // Axes and grids.
  const double x_step = nice_step(tspan, 10);
  auto x_ticks = [&](double top, double bottom, bool labels) {
    for (double v = std::ceil((tmin - tpad) / x_step) * x_step; v <= tmax + tpad + x_step * 1e-9;
         v += x_step) {
      const double x = xpix(v);
      o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e6e6e6\"/>",
                       num(x), num(top), num(bottom));
      if (labels) {
        o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
                         num(x), num(bottom + 15), trim_num(v));
      }
    }
    o += "\n";
  };
  auto frame = [&](const Panel& p, const std::string& ylabel, auto fmt_tick, double y_step) {
    x_ticks(p.top(), p.bottom(), true);
    for (double v = std::ceil(p.ymin() / y_step) * y_step; v <= p.ymax() + y_step * 1e-9;
         v += y_step) {
      o += fmt::format(
          "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#e6e6e6\"/>"
          "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\" fill=\"#444\">{5}</text>",
          num(kLeft), num(p.y(v)), num(kLeft + pw), num(kLeft - 6), num(p.y(v) + 4), fmt_tick(v));
    }
    o += fmt::format(
        "\n<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
        num(kLeft), num(p.top()), num(pw), num(p.bottom() - p.top()));
    o += fmt::format(
        "<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" fill=\"#222\" transform=\"rotate(-90 {0} "
        "{1})\">{2}"
        "</text>\n",
        num(16), num((p.top() + p.bottom()) / 2), xml_escape(ylabel));
  };
  auto byte_axis = [&](const Panel& p, const std::string& what) {
    const ByteUnit u = byte_unit(p.ymax());
    const double step = nice_step((p.ymax() - p.ymin()) / u.div, 6) * u.div;
    frame(
        p, fmt::format("{} ({})", what, u.name), [&](double v) { return trim_num(v / u.div); },
        step);
  };

  // The main panel.
  const double pad = std::max(1.0, (ymax - ymin) * 0.02);
  const Panel main(kMainTop, kMainH, std::max(0.0, ymin - pad), ymax + pad);
  byte_axis(main, "relative sequence number");
  // Step lines through the columns (first, lowest, highest, last value per column).
  auto step_path = [&](const std::vector<Column>& cols, const Panel& p) {
    std::string path;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Column& cl = cols[i];
      if (!cl.any) continue;
      const double x = col_x(i);
      // Along at the last level to this column, then up or down through its values.
      path += path.empty() ? fmt::format("M{},{}", num(x), num(p.y(cl.first)))
                           : fmt::format("H{}V{}", num(x), num(p.y(cl.first)));
      if (cl.lo != cl.first) path += fmt::format("V{}", num(p.y(cl.lo)));
      if (cl.hi != cl.lo) path += fmt::format("V{}", num(p.y(cl.hi)));
      if (cl.last != cl.hi) path += fmt::format("V{}", num(p.y(cl.last)));
    }
    if (!path.empty()) path += fmt::format("H{}", num(kLeft + pw));
    return path;
  };
  // One vertical bar per column, at least 2 * min_half pixels tall, so a single
  // segment shows next to a long transfer.
  auto bars_path = [&](const std::vector<Column>& cols, const Panel& p, double min_half) {
    std::string path;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (!cols[i].any) continue;
      const double y1 = p.y(cols[i].lo), y2 = p.y(cols[i].hi);
      const double mid = (y1 + y2) / 2;
      const double a = std::max(y1, mid + min_half), b = std::min(y2, mid - min_half);
      path += fmt::format("M{},{}V{}", num(col_x(i) + 0.5), num(a), num(b));
    }
    return path;
  };
  auto path_el = [&](const std::string& cls, const std::string& d_attr, const char* color, double w,
                     const char* extra = "") {
    if (d_attr.empty()) return;
    o += fmt::format(
        "<path class=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{}/>\n", cls,
        d_attr, color, num(w), extra);
  };
  o += fmt::format(
      "<clipPath id=\"{}-main\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\n",
      opt.id, num(kLeft), num(kMainTop), num(pw), num(kMainH));
  const std::string clip = fmt::format(" clip-path=\"url(#{}-main)\"", opt.id);
  path_el("window", step_path(win, main), kWin, 1.5, clip.c_str());
  path_el("sack", bars_path(sack, main, 1), kSackC, 2, " stroke-opacity=\"0.6\"");
  path_el("ack", step_path(ack, main), kAck, 1.5);
  path_el("data", bars_path(bars[kNormal], main, 1), kData, 1.5);
  // Wider than the data bars, so a lost or repeated segment in a burst stands out.
  // (A few: big enough to find. Many: thin, or they would hide the data they repeat.)
  const bool few = marked.size() + lost <= 60;
  const double mark_half = few ? 3.5 : 1.5, mark_w = few ? 4 : 2;
  path_el("lost", bars_path(bars[kLostK], main, mark_half), kLostC, mark_w);
  path_el("retransmission", bars_path(bars[kRtxK], main, mark_half), kRtx, mark_w);
  path_el("probe", bars_path(bars[kProbeK], main, mark_half), kProbeC, mark_w);
  if (!merge_marked) {
    for (const auto& m : marked) {
      const double x = xpix(m.t);
      const double y1 = main.y(m.lo), y2 = main.y(m.hi);
      o += fmt::format(
          "<line class=\"{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
          "stroke-width=\"{}\">"
          "<title>{} seq {}:{} at {} {}</title></line>\n",
          m.kind == kRtxK ? "retransmission" : "probe", num(x),
          num(std::max(y1, (y1 + y2) / 2 + mark_half + 1.5)), num(x),
          num(std::min(y2, (y1 + y2) / 2 - mark_half - 1.5)), m.kind == kRtxK ? kRtx : kProbeC,
          num(mark_w + 1), m.kind == kRtxK ? "retransmission" : "tail loss probe", m.seq,
          m.seq + m.len, trim_num(m.t), secs ? "s" : "ms");
    }
  }

  // RTT samples.
  std::vector<const RttSample*> rtts;
  double rtt_max = 0;
  for (const auto& r : c.rtt) {
    if (r.data_dir != d) continue;
    rtts.push_back(&r);
    rtt_max = std::max(rtt_max, static_cast<double>(r.rtt.count()) / 1e6);
  }
  const Panel rp(kRttTop, kRttH, 0, rtt_max > 0 ? rtt_max * 1.1 : 1);
  frame(
      rp, "RTT (ms)", [](double v) { return trim_num(v); }, nice_step(rp.ymax(), 4));
  if (rtts.empty()) {
    o += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">no RTT samples</text>\n",
        num(kLeft + pw / 2), num(kRttTop + kRttH / 2));
  } else if (rtts.size() <= opt.max_rtt_points) {
    for (const RttSample* r : rtts) {
      const double v = static_cast<double>(r->rtt.count()) / 1e6;
      o += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"><title>RTT {} ms at {} "
          "{}</title></circle>\n",
          num(xpix(tx(r->t))), num(rp.y(v)), kRttC, trim_num(v), trim_num(tx(r->t)),
          secs ? "s" : "ms");
    }
  } else {
    std::vector<Column> cols(ncols);
    for (const RttSample* r : rtts)
      cols[col_of(tx(r->t))].add(static_cast<double>(r->rtt.count()) / 1e6);
    std::string path;
    for (std::size_t i = 0; i < ncols; ++i) {
      if (!cols[i].any) continue;
      path += fmt::format("M{},{}V{}", num(col_x(i)), num(rp.y(cols[i].lo)), num(rp.y(cols[i].hi)));
    }
    path_el("rtt", path, kRttC, 3, " stroke-linecap=\"round\"");
  }
  o += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#222\">RTT samples ({})</text>\n",
                   num(kLeft + 6), num(kRttTop - 6), rtts.size());

  // Bytes in flight.
  const Panel fp(kFlightTop, kFlightH, 0, flight_max > 0 ? flight_max * 1.1 : 1);
  byte_axis(fp, "in flight");
  path_el("flight", step_path(flight, fp), kFlightC, 1.5);
  o += fmt::format(
      "<text x=\"{}\" y=\"{}\" fill=\"#222\">bytes in flight (seen on the wire): highest sequence "
      "sent "
      "minus highest ACK received; not the congestion window</text>\n",
      num(kLeft + 6), num(kFlightTop - 6));
  o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#222\">{}</text>\n",
                   num(kLeft + pw / 2), num(kHeight - 12),
                   secs ? (from_zero ? "time (s)" : "time since the first segment (s)")
                        : (from_zero ? "time (ms)" : "time since the first segment (ms)"));
  o += "</svg>\n";
  return o;
}

}  // namespace synack::view
