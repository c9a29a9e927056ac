// Input: a capture file (pcap or pcapng). Property: `synack trace`'s reader refuses
// or reads it without crashing, and whatever it read goes through the analysis and the
// text ladder of every connection without crashing (sanitizers check memory and UB).
#include <cstddef>
#include <cstdint>

#include "analysis.hpp"
#include "capture.hpp"
#include "connection_view.hpp"
#include "fuzz_util.hpp"
#include "ladder.hpp"

using namespace synack;
using synack::wire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto cap = view::read_capture_bytes({reinterpret_cast<const std::byte*>(data), size});
  if (!cap) {
    check(cap.error().rfind("at byte ", 0) == 0);  // the error names the offset
    return 0;
  }
  view::Analysis a = view::analyze(cap->frames);
  check(a.tcp_segments + a.skipped == a.frames);
  for (const auto& c : a.connections) {
    auto v = view::connection_view(cap->frames, c);
    check(v.recording.frames.size() == c.segments.size());
    (void)view::render_ladder(v.recording, &v.analysis);
  }
  return 0;
}
