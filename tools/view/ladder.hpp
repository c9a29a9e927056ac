// The ladder diagram as text: one line per frame between two hosts drawn as columns,
// as in the textbook figures of the 3-way handshake and the 4-way close. `synack sim`
// prints it live; render_ladder() prints a whole Recording (`synack trace`).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "synack/base/bytes.hpp"
#include "synack/base/seqnum.hpp"
#include "recording.hpp"
#include "synack/base/time.hpp"

namespace synack::view {

class Ladder {
 public:
  Ladder(std::string left_title, std::string right_title, bool absolute_seq)
      : left_(std::move(left_title)), right_(std::move(right_title)), absolute_(absolute_seq) {}

  std::string header() const;
  // A frame sent by `from`; `lost` marks one the link dropped.
  std::string frame_line(Instant t, Side from, Bytes frame, bool lost);
  // A note in one host's column (a state change, an application action).
  std::string note_line(Instant t, Side side, const std::string& text) const;

  // One frame as text, independent of direction ("ARP who-has ...", "TCP 49152 > 7 S ...").
  std::string describe(Bytes frame);

 private:
  std::string describe_tcp(std::uint32_t src, std::uint32_t dst, Bytes segment);
  using Key = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;
  std::string left_, right_;
  bool absolute_;
  std::map<Key, SeqNum> isn_;  // initial sequence number per direction, learned from SYNs
};

}  // namespace synack::view
