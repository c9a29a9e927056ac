#include "connection_view.hpp"

#include <fmt/core.h>

namespace synack::view {

ConnectionView connection_view(std::span<const RecordedFrame> frames, const Connection& c,
                               bool absolute_seq) {
  std::vector<RecordedFrame> mine;
  mine.reserve(c.segments.size());
  for (const auto& s : c.segments) {
    RecordedFrame f = frames[s.frame];
    f.from = side_of(s.dir);
    mine.push_back(std::move(f));
  }
  ConnectionView v;
  v.analysis = analyze(mine);
  Recording& r = v.recording;
  r.absolute_seq = absolute_seq;
  r.left_title = fmt::format("{}{}", c.saw_syn ? "client " : "", c.a.to_string());
  r.right_title = fmt::format("{}{}", c.saw_syn ? "server " : "", c.b.to_string());
  const auto& states = v.analysis.connections.empty() ? std::vector<InferredState>{}
                                                      : v.analysis.connections.front().states;
  std::size_t k = 0;
  auto notes_for = [&](std::size_t frame, bool before) {
    while (k < states.size() && states[k].frame == frame && states[k].before_frame == before) {
      const InferredState& st = states[k++];
      r.add_note({st.t, side_of(st.end), fmt::format("{} -> {}", st.from, st.to), st.rule, true});
    }
  };
  for (std::size_t i = 0; i < mine.size(); ++i) {
    notes_for(i, true);
    r.add_frame(std::move(mine[i]));
    notes_for(i, false);
  }
  return v;
}

}  // namespace synack::view
