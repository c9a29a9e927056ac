// A set of sequence-number intervals with a hard cap on entries: sorted, disjoint,
// adjacent ones merged. The receiver's out-of-order bookkeeping (which ranges beyond
// RCV.NXT are already held in the receive ring; the bytes live in the ring, so memory is
// bounded by the receive window), and the SACK sender's scoreboard (SackScoreboard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "synack/base/seqnum.hpp"

namespace synack::tcp {

class Assembler {
 public:
  struct Interval {
    SeqNum start;
    SeqNum end;  ///< one past the last octet
  };

  explicit Assembler(std::size_t max_intervals) : max_(max_intervals) {}

  /// Records [start, end). Returns false (nothing recorded) if that would need
  /// more than max_intervals entries.
  bool add(SeqNum start, SeqNum end);
  /// If an interval begins at or before `next`, removes every interval that
  /// touches [.., next] and returns the new contiguous end (>= next).
  std::optional<SeqNum> pop_contiguous(SeqNum next);
  /// Drops everything before `next` (after RCV.NXT moved).
  void discard_before(SeqNum next);
  bool empty() const { return iv_.empty(); }
  std::size_t intervals() const { return iv_.size(); }
  void clear() { iv_.clear(); }
  /// Total bytes held out of order.
  std::uint64_t bytes() const;
  /// The held interval that overlaps [start, end), if any (the first one).
  std::optional<Interval> find(SeqNum start, SeqNum end) const;
  /// Is every byte of [start, end) held already?
  bool covers(SeqNum start, SeqNum end) const;

  /// The intervals held, in sequence order (SackScoreboard reads them).
  const std::vector<Interval>& ranges() const { return iv_; }

 private:
  std::vector<Interval> iv_;  ///< sorted, disjoint, non-adjacent
  std::size_t max_;
};

}  // namespace synack::tcp
