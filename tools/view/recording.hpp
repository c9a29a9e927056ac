// What a picture of TCP is drawn from: the frames two hosts exchanged, in order, with
// the instant each was sent, who sent it, and whether the link lost it, interleaved
// with notes in each host's column (state changes with the RFC rule behind them,
// application calls). `synack sim` records one as it runs; `synack trace` builds one
// from a capture (its state notes then inferred, and marked so). The text ladder, the
// SVG ladder and the HTML page all render a Recording.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/time.hpp"

namespace synack::view {

enum class Side : std::uint8_t { Left, Right };

// How a frame's bytes start: an Ethernet header (synack, tcpdump on an Ethernet or
// TAP interface) or directly the IP header (raw-IP captures, Linux cooked captures
// once their own header is stripped).
enum class LinkType : std::uint8_t { Ethernet, RawIp };

struct RecordedFrame {
  Instant t;
  Side from = Side::Left;
  bool lost = false;  // sent, then dropped by the (simulated) link
  LinkType link = LinkType::Ethernet;
  ByteVec bytes;
  // Its length on the wire when the capture kept only the first bytes (tcpdump -s);
  // 0: all of it is here. Analysis pads such a frame with zeros to this length, so
  // sequence numbers and lengths still read right (the payload is unknown).
  std::uint32_t wire_len = 0;
  // When it reached the other host, if the recorder knows (the simulator does; a
  // capture holds one instant per frame, and `t` is it). Round-trip times and the ACK
  // line of a time-sequence graph are measured with it, as the sender saw them.
  std::optional<Instant> arrived = std::nullopt;

  bool truncated() const { return wire_len > bytes.size(); }
  // The bytes, zero-padded to the wire length when truncated (at most 64 KiB more).
  ByteVec padded() const {
    ByteVec b = bytes;
    if (truncated() && wire_len <= bytes.size() + 65536) b.resize(wire_len);
    return b;
  }
};

struct RecordedNote {
  Instant t;
  Side side = Side::Left;
  std::string text;       // "SYN-SENT -> ESTABLISHED", "connect(10.77.0.2:80)"
  std::string rule;       // the RFC rule behind a state change ("rfc9293_3_10_7_3_..."), or ""
  bool inferred = false;  // worked out from a capture, not reported by the stack itself
};

struct Recording {
  std::string left_title, right_title;  // "client 10.77.0.1", "server 10.77.0.2"
  bool absolute_seq = false;            // print raw sequence numbers, not relative ones

  struct Event {
    enum class Kind : std::uint8_t { Frame, Note } kind;
    std::size_t index;  // into frames or notes
  };
  std::vector<RecordedFrame> frames;
  std::vector<RecordedNote> notes;
  std::vector<Event> events;  // frames and notes in the order they happened

  void add_frame(RecordedFrame f) {
    events.push_back({Event::Kind::Frame, frames.size()});
    frames.push_back(std::move(f));
  }
  void add_note(RecordedNote n) {
    events.push_back({Event::Kind::Note, notes.size()});
    notes.push_back(std::move(n));
  }
};

}  // namespace synack::view
