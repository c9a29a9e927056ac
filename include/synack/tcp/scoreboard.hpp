// The SACK sender's scoreboard (RFC 6675 §3, RFC 2018 §5): which ranges above SND.UNA
// the receiver reported holding. Sorted, disjoint, non-adjacent ranges with a hard cap;
// everything here is a bookkeeping query, the Tcb decides what to send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "synack/base/seqnum.hpp"

namespace synack::tcp {

class SackScoreboard {
 public:
  struct Range {
    SeqNum left;
    SeqNum right;  // one past the last octet
  };
  static constexpr std::size_t kMaxRanges = 64;

  // Records a SACK block [left, right) of an ACK whose cumulative point is `una`, for
  // data up to `snd_max`. Returns the bytes newly marked (0 for blocks that are old,
  // impossible, or D-SACKs below `una`).
  std::uint32_t add(SeqNum left, SeqNum right, SeqNum una, SeqNum snd_max);
  // SND.UNA moved: forget what lies below it.
  void advance(SeqNum una);
  void clear() { r_.clear(); }
  bool empty() const { return r_.empty(); }
  const std::vector<Range>& ranges() const { return r_; }
  std::uint32_t sacked_bytes() const;
  // Is the octet at `s` SACKed?
  bool is_sacked(SeqNum s) const;
  // The first SACKed range that starts at or after `s`, if any.
  std::optional<Range> next_sacked(SeqNum s) const;
  // RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed ranges above `s`, or
  // more than (DupThresh - 1) * SMSS bytes SACKed above it.
  bool is_lost(SeqNum s, std::uint32_t smss, std::uint32_t dup_thresh = 3) const;
  // The un-SACKed bytes in [una, limit) that is_lost() judges lost.
  std::uint32_t lost_bytes(SeqNum from, std::uint32_t smss) const;
  // The first hole (un-SACKed range below the highest SACKed octet) at or after `s`.
  std::optional<Range> hole_at_or_after(SeqNum s, SeqNum una) const;

 private:
  std::vector<Range> r_;
};

}  // namespace synack::tcp
