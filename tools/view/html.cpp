#include "html.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <unordered_map>

#include "dissect.hpp"
#include "ladder.hpp"
#include "plot.hpp"
#include "svg_util.hpp"

namespace synack::view {
namespace {

constexpr const char* kCss = R"CSS(
:root { --fg: #1b1f24; --muted: #5b636e; --line: #d8dde3; --sel: #fff0a8; --accent: #1a5fb4; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: #f6f7f9; }
header { padding: 10px 16px 6px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 2px; font-size: 18px; }
header p { margin: 2px 0; color: var(--muted); }
kbd { border: 1px solid #bbb; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; font-size: 12px; background: #fafafa; }
main { display: flex; gap: 10px; padding: 10px; height: calc(100vh - 96px); min-height: 420px; }
#ladder-pane { flex: 1 1 auto; overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; min-width: 0; }
#ladder-pane svg { display: block; width: 100%; max-width: 1100px; height: auto; }
svg.ladder g.frame { cursor: pointer; }
svg.ladder g.frame:hover rect.hit { fill: #eef4ff; }
svg.ladder g.frame.selected rect.hit { fill: var(--sel); }
svg.ladder g.frame.selected line.arrow { stroke-width: 2.6; }
#detail { flex: 0 0 510px; overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; }
#detail h2 { font-size: 15px; margin: 2px 0 4px; }
#detail .marks { color: #b03a2e; font-weight: 600; margin: 2px 0 6px; }
#detail .desc { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; color: var(--muted); margin-bottom: 6px; overflow-wrap: anywhere; }
#detail details { border-top: 1px solid var(--line); padding: 3px 0; }
#detail summary { cursor: pointer; font-weight: 600; }
#detail summary span { font-weight: normal; color: var(--muted); }
#detail table { border-collapse: collapse; width: 100%; font-size: 13px; }
#detail td { padding: 1px 4px; vertical-align: top; }
#detail td.name { color: var(--muted); white-space: nowrap; width: 42%; }
#detail td.value { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
#detail tr:hover td { background: #eef4ff; }
#hex { font: 11px/1.35 "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #fbfbfb; border: 1px solid var(--line); padding: 6px; margin-top: 8px; white-space: pre; overflow-x: auto; }
#hex .off { color: #999; }
#hex span.hl { background: var(--sel); }
.hint { color: var(--muted); }
section.block { margin: 0 10px 10px; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; }
section.block h2 { font-size: 16px; margin: 2px 0 6px; }
section.block svg { max-width: 100%; height: auto; }
#packets { border-collapse: collapse; width: 100%; font-size: 12.5px; }
#packets th { text-align: left; border-bottom: 1px solid var(--line); padding: 2px 6px; position: sticky; top: 0; background: #fff; }
#packets td { padding: 1px 6px; white-space: nowrap; }
#packets td.d { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: normal; }
#packets tr { cursor: pointer; }
#packets tr:hover td { background: #eef4ff; }
#packets tr.selected td { background: var(--sel); }
#packets tr.lost td { color: #c0392b; }
#packet-scroll { max-height: 420px; overflow: auto; }
)CSS";

// The page's behaviour. Plain ES2017, no libraries.
constexpr const char* kScript = R"JS(
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message || e)); });
  var data = JSON.parse(document.getElementById('frames-data').textContent);
  var frames = data.frames;
  var pos = {};
  frames.forEach(function (f, k) { pos[f.i] = k; });
  var cur = -1;
  var tree = document.getElementById('tree');
  var head = document.getElementById('detail-head');
  var hex = document.getElementById('hex');
  var rows = document.querySelectorAll('#packets tbody tr');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function highlight(off, len) {
    var spans = hex.querySelectorAll('span[data-o]');
    spans.forEach(function (s) {
      var o = +s.getAttribute('data-o');
      s.classList.toggle('hl', len > 0 && o >= off && o < off + len);
    });
  }
  function renderHex(h) {
    hex.textContent = '';
    var n = h.length / 2;
    for (var row = 0; row < n; row += 16) {
      hex.appendChild(el('span', 'off', ('000' + row.toString(16)).slice(-4) + '  '));
      var ascii = '';
      for (var k = 0; k < 16; k++) {
        var o = row + k;
        if (o < n) {
          var b = h.substr(o * 2, 2);
          var s = el('span', '', b);
          s.setAttribute('data-o', o);
          hex.appendChild(s);
          hex.appendChild(document.createTextNode(k === 7 ? '  ' : ' '));
          var c = parseInt(b, 16);
          ascii += c >= 32 && c < 127 ? String.fromCharCode(c) : '.';
        } else {
          hex.appendChild(document.createTextNode(k === 7 ? '    ' : '   '));
        }
      }
      hex.appendChild(document.createTextNode(' ' + ascii + '\n'));
    }
  }
  function show(f) {
    head.textContent = '';
    head.appendChild(el('h2', '', 'Frame ' + f.i + ' \u00b7 ' + f.t + ' ms \u00b7 ' + f.dir + ' \u00b7 ' +
                        f.size + ' bytes' + (f.lost ? ' \u00b7 lost on the link' : '')));
    head.appendChild(el('div', 'desc', f.desc));
    if (f.marks) head.appendChild(el('div', 'marks', f.marks));
    tree.textContent = '';
    f.layers.forEach(function (l) {
      var d = el('details');
      d.open = true;
      var s = el('summary', '', l.name + ' ');
      s.appendChild(el('span', '', l.summary));
      s.addEventListener('mouseenter', function () { highlight(l.off, l.len); });
      d.appendChild(s);
      var t = el('table');
      l.fields.forEach(function (fl) {
        var tr = el('tr');
        var name = el('td', 'name', fl[0]);
        name.style.paddingLeft = (4 + 18 * fl[2]) + 'px';
        tr.appendChild(name);
        tr.appendChild(el('td', 'value', fl[1]));
        tr.addEventListener('mouseenter', function () { highlight(fl[3], fl[4]); });
        tr.addEventListener('click', function () { highlight(fl[3], fl[4]); });
        t.appendChild(tr);
      });
      d.appendChild(t);
      tree.appendChild(d);
    });
    renderHex(f.hex);
  }
  function select(k, scroll) {
    if (k < 0 || k >= frames.length) return;
    var old = document.querySelector('svg.ladder g.frame.selected');
    if (old) old.classList.remove('selected');
    if (cur >= 0 && rows[cur]) rows[cur].classList.remove('selected');
    cur = k;
    var f = frames[k];
    var g = document.getElementById('frame-' + f.i);
    if (g) {
      g.classList.add('selected');
      if (scroll && g.scrollIntoView) g.scrollIntoView({block: 'nearest'});
    }
    if (rows[k]) rows[k].classList.add('selected');
    show(f);
  }
  document.querySelectorAll('svg.ladder g.frame').forEach(function (g) {
    g.addEventListener('click', function () {
      var k = pos[+g.getAttribute('data-frame')];
      if (k !== undefined) select(k, false);
    });
  });
  rows.forEach(function (tr, k) { tr.addEventListener('click', function () { select(k, true); }); });
  document.addEventListener('keydown', function (e) {
    if (e.target && /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) return;
    var step = 0;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') step = 1;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') step = -1;
    if (!step) return;
    e.preventDefault();
    select(cur < 0 ? 0 : Math.max(0, Math.min(frames.length - 1, cur + step)), true);
  });

  var m = /(?:^|[#&])frame=(\d+)/.exec(location.hash);
  if (m && pos[+m[1]] !== undefined) select(pos[+m[1]], true);
  m = /(?:^|[#&])selftest=(\d+)/.exec(location.hash);
  if (m) {
    var out = [];
    var want = +m[1];
    var g = document.getElementById('frame-' + want);
    if (!g) {
      out.push('selftest FAIL: no frame ' + want + ' in the ladder');
    } else {
      g.dispatchEvent(new MouseEvent('click', {bubbles: true}));
      out.push('clicked frame ' + want + '; pane:');
      out.push(document.getElementById('detail').innerText);
      var before = cur;
      document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
      var sel = document.querySelector('svg.ladder g.frame.selected');
      out.push('after ArrowRight: selected ' + (sel ? sel.getAttribute('data-frame') : 'none') +
               ', expected ' + (frames[before + 1] ? frames[before + 1].i : 'none'));
      out.push('pane heading now: ' + head.querySelector('h2').textContent);
      document.dispatchEvent(new KeyboardEvent('keydown', {key: 'k', bubbles: true}));
      sel = document.querySelector('svg.ladder g.frame.selected');
      out.push('after k: selected ' + (sel ? sel.getAttribute('data-frame') : 'none'));
      // Hovering a field lights its bytes in the hex dump.
      var rowsNow = tree.querySelectorAll('tr');
      var hit = null;
      rowsNow.forEach(function (tr) {
        if (!hit && tr.firstChild.textContent === 'source port' &&
            tr.closest('details').querySelector('summary').textContent.indexOf('Transmission') === 0) hit = tr;
      });
      if (hit) {
        hit.dispatchEvent(new MouseEvent('mouseenter'));
        var lit = [];
        hex.querySelectorAll('span.hl').forEach(function (sp) { lit.push(sp.textContent); });
        out.push('hover source port: bytes ' + lit.join(' '));
      } else {
        out.push('hover source port: no such row');
      }
    }
    out.push(errors.length ? 'selftest errors: ' + errors.join(' | ') : 'selftest errors: none');
    var st = document.getElementById('selftest');
    st.textContent = out.join('\n');
    st.hidden = false;
  }
})();
)JS";

// Inline SVG in HTML needs no namespace declaration (and the page then names no URL).
std::string inline_svg(std::string svg) {
  const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
  if (auto at = svg.find(ns); at != std::string::npos) svg.erase(at, ns.size());
  return svg;
}

std::string side_name(const Recording& r, Side s) {
  return s == Side::Left ? r.left_title : r.right_title;
}

}  // namespace

std::string frames_json(const Recording& r, const Analysis& a, const SvgLadderOptions& lo) {
  std::unordered_map<std::size_t, const SegmentInfo*> seg_of;
  for (const auto& c : a.connections)
    for (const auto& s : c.segments) seg_of.emplace(s.frame, &s);
  const LadderSelection sel = select_ladder_events(r, std::max<std::size_t>(lo.max_frames, 2));
  Ladder ladder = ladder_for(r, &a);
  std::string o = "{\"frames\":[";
  bool first = true;
  for (std::size_t e = 0; e < r.events.size(); ++e) {
    if (r.events[e].kind != Recording::Event::Kind::Frame) continue;
    const std::size_t i = r.events[e].index;
    const RecordedFrame& f = r.frames[i];
    const std::string desc = describe_frame(ladder, f);  // every frame: the ISNs
    if (!sel.drawn(e)) continue;
    auto it = seg_of.find(i);
    const SegmentInfo* seg = it == seg_of.end() ? nullptr : it->second;
    std::string marks;
    if (seg) {
      for (const auto& t : mark_tags(*seg)) marks += (marks.empty() ? "" : ", ") + t.text;
    }
    if (f.lost && marks.find("lost") == std::string::npos)
      marks = marks.empty() ? "lost" : "lost, " + marks;
    std::string hex;
    hex.reserve(f.bytes.size() * 2);
    for (std::byte b : f.bytes) hex += fmt::format("{:02x}", static_cast<unsigned>(b));
    if (!first) o += ",\n";
    first = false;
    o += fmt::format(
        "{{\"i\":{},\"t\":\"{:.3f}\",\"from\":\"{}\",\"dir\":{},\"lost\":{},\"size\":{},", i,
        static_cast<double>(f.t.nanos()) / 1e6, f.from == Side::Left ? "left" : "right",
        json_string(side_name(r, f.from) + " \u2192 " +
                    side_name(r, f.from == Side::Left ? Side::Right : Side::Left)),
        f.lost ? "true" : "false", f.bytes.size());
    o += fmt::format("\"desc\":{},\"marks\":{},\"hex\":\"{}\",\"layers\":[", json_string(desc),
                     json_string(marks), hex);
    bool lfirst = true;
    for (const Layer& l : dissect(f, seg)) {
      if (!lfirst) o += ",";
      lfirst = false;
      o += fmt::format("{{\"name\":{},\"summary\":{},\"off\":{},\"len\":{},\"fields\":[",
                       json_string(l.name), json_string(l.summary), l.offset, l.length);
      for (std::size_t k = 0; k < l.fields.size(); ++k) {
        const Field& fl = l.fields[k];
        o += fmt::format("{}[{},{},{},{},{}]", k ? "," : "", json_string(fl.name),
                         json_string(fl.value), fl.depth, fl.offset, fl.length);
      }
      o += "]}";
    }
    o += "]}";
  }
  o += "]}";
  return o;
}

std::string render_html(const Recording& r, const Analysis& a, const HtmlOptions& opt) {
  const std::string title = r.left_title + " and " + r.right_title;
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>synack: " + xml_escape(title) + "</title>\n<style>" + kCss +
       "</style>\n</head>\n<body>\n";
  o += "<header><h1>" + xml_escape(title) + "</h1>\n";
  std::size_t lost = 0;
  for (const auto& f : r.frames) lost += f.lost ? 1 : 0;
  o += fmt::format("<p>{} frames ({} lost on the link), {} TCP connection{}.", r.frames.size(),
                   lost, a.connections.size(), a.connections.size() == 1 ? "" : "s");
  for (const auto& c : a.connections) {
    const auto& ab = c.dir[0];
    const auto& ba = c.dir[1];
    std::string srtt;
    for (Dir d : {Dir::AtoB, Dir::BtoA}) {
      if (auto s = c.srtt(d)) {
        srtt += fmt::format(", smoothed RTT of {} data {:.3f} ms", d == Dir::AtoB ? "A→B" : "B→A",
                            static_cast<double>(s->count()) / 1e6);
      }
    }
    o += " " + xml_escape(fmt::format(
                   "{} \u2192 {}: {} bytes in {} segments ({} retransmitted); back: {} "
                   "bytes in {} segments ({} retransmitted){}.",
                   c.a.to_string(), c.b.to_string(), ab.bytes, ab.segments, ab.retransmissions,
                   ba.bytes, ba.segments, ba.retransmissions, srtt));
  }
  o += "</p>\n";
  if (const LadderSelection sel =
          select_ladder_events(r, std::max<std::size_t>(opt.ladder.max_frames, 2));
      sel.elided()) {
    o += fmt::format(
        "<p>The ladder and the packet list hold the first and last frames; the {} between are "
        "left out.</p>\n",
        sel.elided_frames);
  }
  o += "<p class=\"hint\">Click an arrow (or a row of the packet list) to see its fields; "
       "<kbd>\u2190</kbd> <kbd>\u2192</kbd> or <kbd>j</kbd> <kbd>k</kbd> step through the frames. "
       "Hover a field to highlight its bytes; hover an arrow or a state for its description "
       "and RFC rule.</p></header>\n";
  o += "<main>\n<section id=\"ladder-pane\">\n";
  o += inline_svg(render_svg_ladder(r, &a, opt.ladder));
  o += "</section>\n<aside id=\"detail\"><div id=\"detail-head\"><h2>No frame selected</h2>"
       "<div class=\"hint\">Click an arrow in the ladder.</div></div><div id=\"tree\"></div>"
       "<pre id=\"hex\"></pre></aside>\n</main>\n";

  // Time-sequence graphs: every direction that carried data, the busiest first.
  struct Dirn {
    std::size_t c;
    Dir d;
    std::uint64_t bytes;
  };
  std::vector<Dirn> dirs;
  for (std::size_t i = 0; i < a.connections.size(); ++i)
    for (Dir d : {Dir::AtoB, Dir::BtoA})
      if (auto b = a.connections[i].dir[static_cast<int>(d)].bytes; b > 0)
        dirs.push_back({i, d, b});
  std::stable_sort(dirs.begin(), dirs.end(),
                   [](const Dirn& x, const Dirn& y) { return x.bytes > y.bytes; });
  if (dirs.size() > opt.max_plots) dirs.resize(opt.max_plots);
  for (std::size_t k = 0; k < dirs.size(); ++k) {
    const auto& dn = dirs[k];
    o += "<section class=\"block plot\"><h2>Time-sequence graph</h2>\n";
    PlotOptions po;
    po.id = fmt::format("tsg{}", k);
    o += inline_svg(render_time_sequence(a.connections[dn.c], dn.d, po));
    o += "</section>\n";
  }

  // Packet list, from the same JSON (the rows are built here so the page works at once).
  o += "<section class=\"block\"><h2>Packets</h2><div id=\"packet-scroll\"><table "
       "id=\"packets\"><thead><tr>"
       "<th>No.</th><th>Time "
       "(ms)</th><th>From</th><th>Description</th><th>Marks</th></tr></thead><tbody>\n";
  {
    std::unordered_map<std::size_t, const SegmentInfo*> seg_of;
    for (const auto& c : a.connections)
      for (const auto& s : c.segments) seg_of.emplace(s.frame, &s);
    const LadderSelection sel =
        select_ladder_events(r, std::max<std::size_t>(opt.ladder.max_frames, 2));
    Ladder ladder = ladder_for(r, &a);
    for (std::size_t e = 0; e < r.events.size(); ++e) {
      if (r.events[e].kind != Recording::Event::Kind::Frame) continue;
      const std::size_t i = r.events[e].index;
      const RecordedFrame& f = r.frames[i];
      const std::string desc = describe_frame(ladder, f);
      if (!sel.drawn(e)) continue;
      std::string marks;
      if (auto it = seg_of.find(i); it != seg_of.end())
        for (const auto& t : mark_tags(*it->second)) marks += (marks.empty() ? "" : ", ") + t.text;
      if (f.lost && marks.find("lost") == std::string::npos)
        marks = marks.empty() ? "lost" : "lost, " + marks;
      o += fmt::format(
          "<tr{}><td>{}</td><td>{:.3f}</td><td>{}</td><td class=\"d\">{}</td><td>{}</td></tr>\n",
          f.lost ? " class=\"lost\"" : "", i, static_cast<double>(f.t.nanos()) / 1e6,
          f.from == Side::Left ? "left" : "right", xml_escape(desc), xml_escape(marks));
    }
  }
  o += "</tbody></table></div></section>\n";
  o += "<pre id=\"selftest\" hidden></pre>\n";
  o += "<script type=\"application/json\" id=\"frames-data\">" + frames_json(r, a, opt.ladder) +
       "</script>\n";
  o += std::string("<script>") + kScript + "</script>\n</body>\n</html>\n";
  return o;
}

}  // namespace synack::view
