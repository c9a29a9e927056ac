#include "svg_ladder.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "ladder.hpp"
#include "svg_util.hpp"

namespace synack::view {
namespace {

// Geometry (pixels). Monospace text, so a label's width is known from its length.
constexpr double kWidth = 1180;
constexpr double kTimeRight = 76;   // the time column ends here (right-aligned)
constexpr double kLeftLine = 370;   // the left host's timeline
constexpr double kRightLine = 850;  // the right host's timeline
constexpr double kTop = 64;         // first row
constexpr double kRow = 30;         // one event
constexpr double kDrop = 14;        // how far an arrow falls while crossing
constexpr double kCharW = 6.6;      // 11px monospace

std::string ms(Instant t) {
  return fmt::format("{:.3f}", static_cast<double>(t.nanos()) / 1e6);
}

// The text ladder's description without the option list and with single spaces:
// "58407 > 80 S seq 0 win 65535" (the full text is on hover).
std::string short_label(const std::string& d) {
  std::string s = d.substr(0, d.find(" <"));
  std::string out;
  for (char c : s) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

// A column title fits between the timelines: 14px bold monospace is about 8.4 px a
// character, and the timelines are 480 px apart, so 56 characters. The longest a
// connection gives ("server [" 39-character IPv6 address "]:65535", 54) fits whole;
// anything longer keeps its start and end around "..." (the whole title is on hover).
std::string fit_title(const std::string& t) {
  constexpr std::size_t kMax = 56;
  if (t.size() <= kMax) return t;
  const std::size_t keep = kMax - 3;
  return t.substr(0, keep - keep / 2) + "..." + t.substr(t.size() - keep / 2);
}

struct Colors {
  static constexpr const char* kArrow = "#2b3a4a";
  static constexpr const char* kLost = "#c0392b";
  static constexpr const char* kState = "#1a5fb4";
  static constexpr const char* kStateFill = "#e8f0fb";
  static constexpr const char* kApp = "#6b6b6b";
};

}  // namespace

std::string describe_frame(Ladder& ladder, const RecordedFrame& f) {
  return ladder.describe(f);
}

Ladder ladder_for(const Recording& r, const Analysis* a) {
  // As render_ladder() (synack trace) sets it up: with an analysis, checksums are not
  // required and a connection seen without its SYN counts from its first number.
  Ladder l(r.left_title, r.right_title, r.absolute_seq);
  if (a) {
    l.verify_checksums(false);
    if (a->connections.size() == 1) {
      const Connection& c = a->connections.front();
      if (c.dir[0].base) l.set_base(c.a.ip, c.a.port, c.b.ip, c.b.port, *c.dir[0].base);
      if (c.dir[1].base) l.set_base(c.b.ip, c.b.port, c.a.ip, c.a.port, *c.dir[1].base);
    }
  }
  return l;
}

bool is_state_note(const RecordedNote& n) {
  if (!n.rule.empty()) return true;
  // "FROM -> TO" with both in capitals (RFC 9293 state names).
  auto arrow = n.text.find(" -> ");
  if (arrow == std::string::npos || arrow == 0) return false;
  auto state = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || (c >= '0' && c <= '9');
    });
  };
  return state(std::string_view(n.text).substr(0, arrow)) &&
         state(std::string_view(n.text).substr(arrow + 4));
}

std::vector<MarkTag> mark_tags(const SegmentInfo& s) {
  struct M {
    std::uint32_t bit;
    const char* text;
    const char* color;
  };
  static constexpr M kMarks[] = {
      {mark::kReset, "RST", "#8b0000"},
      {mark::kLost, "lost", "#c0392b"},
      {mark::kProbe, "TLP probe", "#7b3fa0"},
      {mark::kRetransmission, "retransmission", "#d62728"},
      {mark::kSpurious, "spurious", "#e67e22"},
      {mark::kDupAck, "dup ACK", "#d35400"},
      {mark::kDsack, "D-SACK", "#008b8b"},
      {mark::kSack, "SACK", "#138d90"},
      {mark::kOutOfOrder, "out of order", "#8e5a2b"},
      {mark::kZeroWindow, "zero window", "#9a7d0a"},
      {mark::kZeroWindowProbe, "zero-window probe", "#9a7d0a"},
      {mark::kWindowUpdate, "window update", "#6b8e23"},
      {mark::kKeepAlive, "keep-alive", "#5d6d7e"},
      {mark::kFastOpen, "TFO", "#1e8449"},
      {mark::kEcnCe, "CE", "#2471a3"},
      {mark::kEcnEcho, "ECE", "#2471a3"},
      {mark::kCwr, "CWR", "#2471a3"},
      {mark::kBadChecksum, "bad checksum", "#c0392b"},
      {mark::kGap, "gap before (not captured)", "#7f8c8d"},
  };
  std::vector<MarkTag> out;
  for (const auto& m : kMarks) {
    if (!(s.marks & m.bit)) continue;
    if (m.bit == mark::kSack && (s.marks & mark::kDsack)) continue;  // D-SACK says it
    std::string text = m.text;
    if (m.bit == mark::kDupAck && s.dup_ack_count > 0) text += fmt::format(" #{}", s.dup_ack_count);
    if ((m.bit == mark::kSack || m.bit == mark::kDsack) && !s.sack.empty()) {
      const auto& b = s.sack.front();
      text += fmt::format(" {}-{}", b.left, b.right);
      if (s.sack.size() > 1) text += fmt::format(" +{}", s.sack.size() - 1);
    }
    out.push_back({std::move(text), m.color});
  }
  return out;
}

LadderSelection select_ladder_events(const Recording& r, std::size_t max_frames) {
  LadderSelection sel;
  sel.head_end = r.events.size();
  sel.tail_begin = r.events.size();
  if (r.frames.size() <= max_frames) return sel;
  const std::size_t keep_head = max_frames / 2, keep_tail = max_frames - keep_head;
  // The head ends just before frame number keep_head; the tail starts at frame number
  // frames - keep_tail. Notes between two kept frames stay with them.
  std::size_t seen = 0;
  for (std::size_t e = 0; e < r.events.size(); ++e) {
    if (r.events[e].kind != Recording::Event::Kind::Frame) continue;
    if (seen == keep_head) {
      sel.head_end = e;
    }
    if (seen == r.frames.size() - keep_tail) {
      // Keep the notes just before the first tail frame with the tail.
      std::size_t b = e;
      while (b > sel.head_end && r.events[b - 1].kind == Recording::Event::Kind::Note) --b;
      sel.tail_begin = b;
      break;
    }
    ++seen;
  }
  for (std::size_t e = sel.head_end; e < sel.tail_begin; ++e) {
    if (r.events[e].kind == Recording::Event::Kind::Frame) {
      ++sel.elided_frames;
    } else {
      ++sel.elided_notes;
    }
  }
  return sel;
}

std::string render_svg_ladder(const Recording& r, const Analysis* analysis,
                              const SvgLadderOptions& options) {
  std::unordered_map<std::size_t, const SegmentInfo*> seg_of;
  if (analysis) {
    for (const auto& c : analysis->connections)
      for (const auto& s : c.segments) seg_of.emplace(s.frame, &s);
  }
  // Describe every frame in order (the describer learns each direction's ISN from SYNs),
  // also those the picture elides.
  Ladder ladder = ladder_for(r, analysis);
  std::vector<std::string> desc;
  desc.reserve(r.frames.size());
  for (const auto& f : r.frames) desc.push_back(describe_frame(ladder, f));

  const LadderSelection sel = select_ladder_events(r, std::max<std::size_t>(options.max_frames, 2));
  const std::size_t rows =
      sel.head_end + (r.events.size() - sel.tail_begin) + (sel.elided() ? 1 : 0);
  const double height = kTop + static_cast<double>(rows) * kRow + 40;

  std::string o;
  o.reserve(512 + rows * 700);
  o += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" "
      "font-size=\"11\">\n",
      num(kWidth), num(height));
  o += "<title>" + xml_escape(r.left_title + " and " + r.right_title + ": ladder diagram") +
       "</title>\n";
  o += "<defs>"
       "<marker id=\"ah\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"11\" "
       "markerHeight=\"11\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path "
       "d=\"M0,0 L10,5 L0,10 z\" "
       "fill=\"context-stroke\"/></marker></defs>\n";
  o += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n",
                   num(kWidth), num(height));
  // Column titles and timelines.
  o += fmt::format("<text x=\"{}\" y=\"18\" text-anchor=\"end\" fill=\"#555\">time (ms)</text>\n",
                   num(kTimeRight));
  for (auto [x, title] :
       {std::pair{kLeftLine, &r.left_title}, std::pair{kRightLine, &r.right_title}}) {
    o += fmt::format(
        "<text class=\"host\" x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" "
        "font-weight=\"bold\" fill=\"#111\">{}{}</text>\n",
        num(x), xml_escape(fit_title(*title)),
        fit_title(*title) == *title ? "" : "<title>" + xml_escape(*title) + "</title>");
    o += fmt::format(
        "<line x1=\"{0}\" y1=\"34\" x2=\"{0}\" y2=\"{1}\" stroke=\"#888\" stroke-width=\"2\"/>\n",
        num(x), num(height - 20));
  }

  double y = kTop;
  std::string prev_time;
  auto time_cell = [&](Instant t) {
    std::string s = ms(t);
    if (s != prev_time) {
      o += fmt::format(
          "<text class=\"time\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#555\">{}</text>\n",
          num(kTimeRight), num(y + 4), s);
    }
    prev_time = s;
  };
  auto draw_note = [&](const RecordedNote& n) {
    time_cell(n.t);
    const bool left = n.side == Side::Left;
    const bool state = is_state_note(n);
    const double room = left ? kLeftLine - 13 - kTimeRight - 6 : kWidth - kRightLine - 13 - 6;
    const std::string text =
        clip(n.text + (n.inferred ? " (inferred)" : ""), static_cast<std::size_t>(room / kCharW));
    const double w = static_cast<double>(text.size()) * kCharW + 10;
    const double x = left ? kLeftLine - 8 : kRightLine + 8;
    std::string hover = n.text;
    if (!n.rule.empty()) hover += "\nrule: " + n.rule;
    if (n.inferred) hover += "\n(inferred from the frames, not reported by the stack)";
    o += fmt::format("<g class=\"note {}\">", state ? "state" : "app");
    o += "<title>" + xml_escape(hover) + "</title>";
    if (state) {
      o += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"17\" rx=\"3\" fill=\"{}\" "
          "stroke=\"{}\"{}/>",
          num(left ? x - w : x), num(y - 8.5), num(w), Colors::kStateFill, Colors::kState,
          n.inferred ? " stroke-dasharray=\"3,2\"" : "");
      o += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\" "
          "font-weight=\"bold\">{}</text>",
          num(left ? x - w / 2 : x + w / 2), num(y + 4), Colors::kState, xml_escape(text));
    } else {
      // An application note too long for its column takes two lines (10px), cut at a space.
      const std::string full = n.text + (n.inferred ? " (inferred)" : "");
      const auto max2 = static_cast<std::size_t>(room / 6.0);
      const double tx = left ? x - 5 : x + 5;
      const auto split = full.rfind(' ', max2);
      if (full.size() > text.size() && split != std::string::npos && split > 0) {
        o += fmt::format(
            "<text x=\"{0}\" y=\"{1}\" text-anchor=\"{2}\" fill=\"{3}\" font-style=\"italic\" "
            "font-size=\"10\"><tspan x=\"{0}\">{4}</tspan><tspan x=\"{0}\" "
            "dy=\"11\">{5}</tspan></text>",
            num(tx), num(y - 1), left ? "end" : "start", Colors::kApp,
            xml_escape(full.substr(0, split)), xml_escape(clip(full.substr(split + 1), max2)));
      } else {
        o += fmt::format(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"{}\" "
            "font-style=\"italic\">{}</text>",
            num(tx), num(y + 4), left ? "end" : "start", Colors::kApp, xml_escape(text));
      }
    }
    o += "</g>\n";
  };
  auto draw_frame = [&](std::size_t i) {
    const RecordedFrame& f = r.frames[i];
    time_cell(f.t);
    const bool ltr = f.from == Side::Left;
    const double x1 = ltr ? kLeftLine : kRightLine, x2 = ltr ? kRightLine : kLeftLine;
    const double y1 = y - kDrop / 2, y2 = y + kDrop / 2;
    auto it = seg_of.find(i);
    const SegmentInfo* seg = it == seg_of.end() ? nullptr : it->second;
    std::vector<MarkTag> tags = seg ? mark_tags(*seg) : std::vector<MarkTag>{};
    if (f.lost && (!seg || !(seg->marks & mark::kLost)))
      tags.insert(tags.begin(), {"lost", Colors::kLost});
    const char* color =
        f.lost ? Colors::kLost : (!tags.empty() ? tags.front().color : Colors::kArrow);
    std::string hover = fmt::format("frame {} at {} ms, {} bytes{}\n{}", i, ms(f.t), f.bytes.size(),
                                    f.lost ? ", lost on the link" : "", desc[i]);
    for (const auto& t : tags) hover += "\n" + t.text;
    o += fmt::format("<g class=\"frame{}\" data-frame=\"{}\" id=\"frame-{}\">",
                     f.lost ? " lost" : "", i, i);
    o += "<title>" + xml_escape(hover) + "</title>";
    // A wide transparent band makes the thin arrow easy to click.
    o += fmt::format(
        "<rect class=\"hit\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"transparent\"/>",
        num(kLeftLine), num(y - kRow / 2), num(kRightLine - kLeftLine), num(kRow));
    // Text reads left to right along the arrow: rising for an arrow that goes right to left.
    const double angle =
        std::atan2(ltr ? kDrop : -kDrop, kRightLine - kLeftLine) * 180 / 3.14159265358979;
    const double mx = (kLeftLine + kRightLine) / 2;
    if (f.lost) {
      // Stops 60 % of the way across, where the link dropped it, at an x.
      const double ex = x1 + (x2 - x1) * 0.6, ey = y1 + (y2 - y1) * 0.6;
      o += fmt::format(
          "<line class=\"arrow\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
          "stroke-width=\"1.6\" stroke-dasharray=\"6,3\"/>",
          num(x1), num(y1), num(ex), num(ey), color);
      o += fmt::format(
          "<path class=\"cross\" d=\"M{},{} l8,8 m0,-8 l-8,8\" stroke=\"{}\" "
          "stroke-width=\"2.2\"/>",
          num(ex - 4), num(ey - 4), Colors::kLost);
    } else {
      o += fmt::format(
          "<line class=\"arrow\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
          "stroke-width=\"1.6\" marker-end=\"url(#ah)\"/>",
          num(x1), num(y1), num(x2 + (ltr ? -1 : 1)), num(y2), color);
    }
    const double mid_y = y;  // the arrow's midpoint
    const auto max_chars = static_cast<std::size_t>((kRightLine - kLeftLine - 30) / kCharW);
    o += fmt::format(
        "<text class=\"label\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" fill=\"{2}\" "
        "transform=\"rotate({3} {0} {4})\">{5}</text>",
        num(mx), num(mid_y - (f.lost ? 7 : 4)), f.lost ? Colors::kLost : "#111", num(angle),
        num(mid_y), xml_escape(clip(short_label(desc[i]), max_chars)));
    if (!tags.empty()) {
      // Under the arrow, each tag in its colour.
      // Up to what fits between the timelines (9.5px monospace); all of them on hover.
      const auto room = static_cast<std::size_t>((kRightLine - kLeftLine - 20) / 5.8);
      std::string line;
      std::size_t chars = 0;
      for (std::size_t k = 0; k < tags.size(); ++k) {
        const std::string more = fmt::format(" +{} more", tags.size() - k);
        if (k && chars + 2 + tags[k].text.size() + more.size() > room) {
          line += fmt::format("<tspan fill=\"#999\">{}</tspan>", xml_escape(more));
          break;
        }
        if (k) {
          line += "<tspan fill=\"#999\">, </tspan>";
          chars += 2;
        }
        line +=
            fmt::format("<tspan fill=\"{}\">{}</tspan>", tags[k].color, xml_escape(tags[k].text));
        chars += tags[k].text.size();
      }
      o += fmt::format(
          "<text class=\"marks\" xml:space=\"preserve\" style=\"white-space:pre\" x=\"{0}\" "
          "y=\"{1}\" text-anchor=\"middle\" font-size=\"9.5\" "
          "font-weight=\"bold\" transform=\"rotate({2} {0} {3})\">{4}</text>",
          num(mx), num(mid_y + 12), num(angle), num(mid_y), line);
    }
    o += "</g>\n";
  };

  for (std::size_t e = 0; e < r.events.size(); ++e) {
    if (!sel.drawn(e)) {
      if (e == sel.head_end) {
        std::string what = fmt::format("... {} frames", sel.elided_frames);
        if (sel.elided_notes) what += fmt::format(" and {} notes", sel.elided_notes);
        what += " not drawn ...";
        o += fmt::format(
            "<g class=\"elided\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\" "
            "fill=\"#f3f3f3\"/>"
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\" "
            "font-style=\"italic\">{}</text></g>\n",
            num(kTimeRight + 8), num(y - 10), num(kWidth - kTimeRight - 16),
            num((kLeftLine + kRightLine) / 2), num(y + 4), xml_escape(what));
        y += kRow;
      }
      continue;
    }
    const auto& ev = r.events[e];
    if (ev.kind == Recording::Event::Kind::Frame) {
      draw_frame(ev.index);
    } else {
      draw_note(r.notes[ev.index]);
    }
    y += kRow;
  }
  o += fmt::format(
      "<text x=\"{}\" y=\"{}\" fill=\"#888\" font-size=\"10\">one row per event, evenly spaced: "
      "not to scale in time</text>\n",
      num(kTimeRight - 60), num(height - 6));
  o += "</svg>\n";
  return o;
}

}  // namespace synack::view
