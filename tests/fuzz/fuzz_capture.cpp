// Input: a capture file (pcap or pcapng). Property: `synack trace`'s reader refuses
// or reads it without crashing, and whatever it read goes through the analysis, the
// text ladder of every connection, and each frame's one-line description and dissection
// (IPv4 and IPv6 with its extension headers, ICMPv6) without crashing (sanitizers check
// memory and UB); every dissected field lies inside its frame.
#include <cstddef>
#include <cstdint>

#include "analysis.hpp"
#include "capture.hpp"
#include "connection_view.hpp"
#include "dissect.hpp"
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
  check(a.tcp_fragments <= a.skipped);
  view::Ladder ladder("a", "b", false);
  for (const auto& f : cap->frames) {
    (void)ladder.describe(f);
    for (const auto& l : view::dissect(f)) {
      check(l.offset + std::size_t{l.length} <= f.bytes.size());
      for (const auto& fd : l.fields) check(fd.offset + std::size_t{fd.length} <= f.bytes.size());
    }
  }
  for (const auto& c : a.connections) {
    auto v = view::connection_view(cap->frames, c);
    check(v.recording.frames.size() == c.segments.size());
    (void)view::render_ladder(v.recording, &v.analysis);
  }
  return 0;
}
