// The SACK sender's scoreboard (RFC 6675 §3, RFC 2018 §5): which ranges above SND.UNA
// the receiver reported holding, kept in an Assembler (the same bounded interval set the
// receiver uses). Everything here is a query; the Tcb decides what to send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "synack/base/seqnum.hpp"
#include "synack/tcp/assembler.hpp"

namespace synack::tcp {

class SackScoreboard {
 public:
  using Range = Assembler::Interval;
  static constexpr std::size_t kMaxRanges = 64;

  /// Records a SACK block [left, right) of an ACK whose cumulative point is `una`, for
  /// data up to `snd_max`. Returns the bytes newly marked (0 for blocks that are old,
  /// impossible, D-SACKs below `una`, or beyond kMaxRanges).
  std::uint32_t add(SeqNum left, SeqNum right, SeqNum una, SeqNum snd_max);
  /// SND.UNA moved: forget what lies below it.
  void advance(SeqNum una) { set_.discard_before(una); }
  void clear() { set_.clear(); }
  bool empty() const { return set_.empty(); }
  /// Every octet of [left, right) is SACKed.
  bool covers(SeqNum left, SeqNum right) const { return set_.covers(left, right); }
  std::uint32_t sacked_bytes() const { return static_cast<std::uint32_t>(set_.bytes()); }
  /// The first SACKed range that starts at or after `s`, if any.
  std::optional<Range> next_sacked(SeqNum s) const;
  /// RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed ranges above `s`, or
  /// more than (DupThresh - 1) * SMSS bytes SACKed above it.
  bool is_lost(SeqNum s, std::uint32_t smss, std::uint32_t dup_thresh = 3) const;
  /// The end of the highest hole at or after `from` that is_lost() judges lost (every
  /// hole below it is lost too: is_lost is monotone), if any.
  std::optional<SeqNum> lost_upto(SeqNum from, std::uint32_t smss) const;
  /// The first hole (un-SACKed range below the highest SACKed octet) at or after `s`.
  std::optional<Range> hole_at_or_after(SeqNum s, SeqNum una) const;

 private:
  Assembler set_{kMaxRanges};
};

}  // namespace synack::tcp
