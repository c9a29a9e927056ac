// The ladder as a picture, like the textbook figures of the handshake and the close:
// two vertical timelines under the hosts' names, time going down one row per event
// (evenly spaced, not to scale; the time in ms in the left margin), each frame an arrow
// sloping from its sender to its receiver and labelled as the text ladder labels it,
// a frame the link lost an arrow that stops midway at an x, state changes boxed beside
// their host's timeline (the RFC rule on hover), application calls in grey italics.
// With an Analysis, marks (retransmission, dup ACK, SACK, ...) colour the arrow and
// are written under it. Long runs keep the first and last frames and elide the middle.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "ladder.hpp"
#include "recording.hpp"

namespace synack::view {

struct SvgLadderOptions {
  // More frames than this: the first and last max_frames/2 are drawn, the middle
  // becomes one "... k frames ..." row.
  std::size_t max_frames = 400;
};

// Which events a ladder draws: all of them, or a head and a tail around an elided middle.
struct LadderSelection {
  std::size_t head_end = 0;    // events [0, head_end) are drawn
  std::size_t tail_begin = 0;  // and events [tail_begin, events.size())
  std::size_t elided_frames = 0, elided_notes = 0;
  bool elided() const { return elided_frames + elided_notes > 0; }
  bool drawn(std::size_t event) const { return event < head_end || event >= tail_begin; }
};
LadderSelection select_ladder_events(const Recording& r, std::size_t max_frames);

// The picture as a standalone SVG document (UTF-8, no scripts, no external resources).
// Each frame is a <g class="frame" data-frame="N"> (N indexes r.frames), so a page can
// make it clickable; each carries a <title> with the frame's full description.
std::string render_svg_ladder(const Recording& r, const Analysis* analysis,
                              const SvgLadderOptions& options = {});

// A note is a state change ("SYN-SENT -> ESTABLISHED", or any note naming its rule),
// not an application call.
bool is_state_note(const RecordedNote& n);

// What the analysis says a segment was, as short coloured tags ("retransmission",
// "dup ACK #2", "SACK"), most important first; the colour of the first one is the
// arrow's.
struct MarkTag {
  std::string text;
  const char* color;
};
std::vector<MarkTag> mark_tags(const SegmentInfo& s);

// The text ladder's describer set up as render_ladder() sets it up for `r` and `a`
// (relative numbers from the analysis' bases, checksums not required with an analysis),
// and a frame's description by it. Call describe_frame for every frame in order: it
// learns each direction's ISN from the SYNs.
Ladder ladder_for(const Recording& r, const Analysis* a);
std::string describe_frame(Ladder& ladder, const RecordedFrame& f);

}  // namespace synack::view
