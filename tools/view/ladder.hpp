// The ladder diagram as text: one line per frame between two hosts drawn as columns,
// as in the textbook figures of the 3-way handshake and the 4-way close. `synack sim`
// prints it live; render_ladder() prints a whole Recording (`synack trace`).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "recording.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::view {

class Ladder {
 public:
  Ladder(std::string left_title, std::string right_title, bool absolute_seq)
      : left_(std::move(left_title)), right_(std::move(right_title)), absolute_(absolute_seq) {}

  std::string header() const;
  // A frame sent by `from`; `lost` marks one the link dropped.
  std::string frame_line(Instant t, Side from, Bytes frame, bool lost);
  std::string frame_line(Instant t, Side from, const RecordedFrame& f);
  // A note in one host's column (a state change, an application action).
  std::string note_line(Instant t, Side side, const std::string& text) const;

  // One frame as text, independent of direction ("ARP who-has ...", "TCP 49152 > 7 S ...").
  std::string describe(Bytes frame);
  std::string describe(const RecordedFrame& f);
  // A capture taken where checksums are offloaded holds unfinished ones: describe
  // such segments anyway (the analysis marks bad checksums).
  void verify_checksums(bool on) { verify_checksums_ = on; }
  // The same starting at the IP header.
  std::string describe_ip(Bytes packet);
  // Relative numbers of one direction count from `base` (a capture that does not
  // start with the SYN); a SYN seen later still resets it.
  void set_base(const wire::IpAddr& src, std::uint16_t sport, const wire::IpAddr& dst,
                std::uint16_t dport, SeqNum base) {
    isn_[{src, sport, dst, dport}] = base;
  }

 private:
  static std::string frame_line_text(Instant t, Side from, bool lost, const std::string& text);
  std::string describe_tcp(const wire::IpAddr& src, const wire::IpAddr& dst,
                           const wire::PseudoHeader& ph, Bytes segment);
  std::string describe_ipv6(Bytes packet);
  using Key = std::tuple<wire::IpAddr, std::uint16_t, wire::IpAddr, std::uint16_t>;
  std::string left_, right_;
  bool absolute_;
  bool verify_checksums_ = true;
  std::map<Key, SeqNum> isn_;  // initial sequence number per direction, learned from SYNs
};

struct Analysis;

// A whole Recording as text: the header, then one line per note and frame. With an
// analysis of recording.frames, each TCP frame's line ends with its marks
// ("(retransmission, SACK)") and each inferred note says so.
std::string render_ladder(const Recording& r, const Analysis* a = nullptr);

}  // namespace synack::view
