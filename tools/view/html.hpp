// One self-contained page for looking at an exchange (inline CSS and script, nothing
// fetched from anywhere): the SVG ladder, the time-sequence graph of each direction
// that carried data, a packet list, and a detail pane that shows every header field of
// the frame clicked (as Wireshark's middle pane) with its bytes in hex; the arrow keys
// (or j/k) step through the frames. The fields come from dissect(), embedded as JSON.
//
// The page reads two URL fragments: #frame=N selects frame N on load; #selftest=N
// clicks frame N, presses the right arrow key, and writes what the pane then showed
// into <pre id="selftest"> (tests/view/browser_test.sh reads it with --dump-dom).
#pragma once

#include <string>

#include "analysis.hpp"
#include "recording.hpp"
#include "svg_ladder.hpp"

namespace synack::view {

struct HtmlOptions {
  SvgLadderOptions ladder;  // the page holds the frames its ladder draws
  std::size_t max_plots = 4;
};

std::string render_html(const Recording& r, const Analysis& a, const HtmlOptions& options = {});

// The per-frame JSON the page embeds: {"frames":[{"i":0,"t":"0.000","from":"left",...}]}
// for the frames the ladder draws.
std::string frames_json(const Recording& r, const Analysis& a, const SvgLadderOptions& ladder = {});

}  // namespace synack::view
