// RACK-TLP's loss detection (RFC 8985 §6): a segment is lost when a segment sent after
// it has been delivered (cumulatively acknowledged or SACKed) and it is older than the
// delivered one's RTT plus a reordering window. Time, not counts of duplicate ACKs,
// so lost retransmissions and application-limited tails are detected too.
//
// Rack keeps what the RFC calls the per-segment variables (§5.2: each segment's last
// transmission time, whether it was retransmitted, SACKed or marked lost) in a log in
// sequence order, and the per-connection RACK state (§5.3). It is sans-I/O and never
// reads a clock: the Tcb tells it what it sent and what the peer acknowledged, asks it
// which segments are lost, and arms the reordering timer it reports. The tail loss
// probe (§7) is the Tcb's, because it is a send decision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"

namespace synack::tcp {

/// One transmitted segment: [start, end) of sequence space (a FIN counts).
struct SentSegment {
  SeqNum start;
  SeqNum end;
  Instant xmit;  ///< Segment.xmit_ts: its most recent transmission
  /// The ordinal of that transmission (every on_send counts one): what "sent after"
  /// means when two transmissions share a clock reading.
  std::uint64_t order = 0;
  bool retransmitted = false;  ///< Segment.retransmitted
  bool lost = false;           ///< marked lost and not retransmitted since
  bool sacked = false;
  std::uint32_t len() const { return static_cast<std::uint32_t>(end - start); }
};

/// The sent segments in sequence order, as a std::deque would keep them but on one
/// vector: pop_front moves a head index and the dead front is dropped in one move once
/// it is the larger part, so a connection in its steady state keeps its storage (no
/// allocation per segment) and one that never sent anything has none.
class SentLog {
 public:
  using iterator = std::vector<SentSegment>::iterator;
  using const_iterator = std::vector<SentSegment>::const_iterator;
  iterator begin() { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return v_.end(); }
  bool empty() const { return head_ == v_.size(); }
  std::size_t size() const { return v_.size() - head_; }
  SentSegment& operator[](std::size_t i) { return v_[head_ + i]; }
  const SentSegment& operator[](std::size_t i) const { return v_[head_ + i]; }
  SentSegment& front() { return v_[head_]; }
  const SentSegment& front() const { return v_[head_]; }
  SentSegment& back() { return v_.back(); }
  const SentSegment& back() const { return v_.back(); }
  void push_back(const SentSegment& r) { v_.push_back(r); }
  iterator insert(iterator pos, const SentSegment& r) { return v_.insert(pos, r); }
  void pop_front() {
    if (++head_ == v_.size()) {
      clear();
    } else if (head_ >= 32 && 2 * head_ >= v_.size()) {
      v_.erase(v_.begin(), begin());
      head_ = 0;
    }
  }
  void clear() {
    v_.clear();  // the capacity stays for the next flight
    head_ = 0;
  }

 private:
  std::vector<SentSegment> v_;
  std::size_t head_ = 0;  ///< v_[0, head_) are popped
};

class Rack {
 public:
  /// A bound on the log (tiny segments in a large window): past it new bytes join the
  /// newest record (coarser times, never unbounded memory).
  static constexpr std::size_t kMaxRecords = 16384;
  /// RFC 8985 §6.2 step 4: "RACK.reo_wnd_persist ... 16".
  static constexpr std::uint32_t kReoWndPersist = 16;
  /// DupThresh (RFC 6675): with no reordering seen, this many SACKed segments make the
  /// reordering window zero (§6.2 step 4).
  static constexpr std::size_t kDupThresh = 3;

  // --- transmission ---
  /// [start, end) went out at `now`. Beyond the log it is new data (a new record); inside
  /// it, a retransmission: the records it covers (split at its edges) take the new time,
  /// become `retransmitted` and are no longer `lost`.
  void on_send(SeqNum start, SeqNum end, Instant now);

  // --- an acceptable ACK (§6.2 steps 1-4) ---
  /// The cumulative ACK moved to `una`: the segments below it are delivered.
  void on_cumulative_ack(SeqNum una, Instant now);
  /// [left, right) was newly SACKed (within the log).
  void on_sacked(SeqNum left, SeqNum right, Instant now);
  /// A D-SACK arrived: a retransmission was spurious, the path reorders (step 4: widen
  /// the reordering window once per round trip, `snd_nxt` marks the round's end).
  void on_dsack(SeqNum snd_nxt);
  /// An RTT sample (RFC 6298/7323) for RACK.min_RTT (step 1).
  void on_rtt_sample(Duration rtt);
  /// RFC 2018 §8: the peer may have discarded what it SACKed; forget the marks.
  void clear_sacked();
  /// Loss recovery ended (step 4: the widened window persists for 16 recoveries).
  void on_recovery_exit();

  // --- loss detection (§6.2 step 5) ---
  /// Marks lost every segment sent before RACK.segment whose time is up. Returns the
  /// bytes newly marked; `timeout` is set to the time until the next segment's time is
  /// up (the reordering timer, §6.3), or zero.
  std::uint32_t detect_loss(Instant now, Duration srtt, bool in_recovery, Duration& timeout);
  /// Whether anything was delivered since the last detect_loss (RACK advanced).
  bool advanced() const { return advanced_; }
  /// The longest RTT of the never-retransmitted segments delivered since the last call
  /// (cumulatively or by SACK; Karn's rule holds), then cleared: an RTT sample for the
  /// retransmission timer where timestamps are off (as Linux's seq_rtt / sack_rtt).
  std::optional<Duration> take_clean_rtt();
  bool has_clean_rtt() const { return clean_rtt_.has_value(); }
  /// Marks the first un-SACKed segment lost unless it was retransmitted (RFC 6675's
  /// rule for DupThresh duplicate ACKs). Returns its bytes.
  std::uint32_t mark_first_lost();
  /// A timeout: every un-SACKed segment is lost, retransmitted or not.
  void mark_all_lost();
  /// A needless timeout undone (Eifel): nothing is presumed lost any more.
  void clear_lost();
  /// Marks lost every un-SACKed, never retransmitted segment that starts below `s`.
  std::uint32_t mark_lost_below(SeqNum s);

  // --- F-RTO (RFC 5682 §3) ---
  /// From now on, note whether a segment that was never retransmitted and ends at or
  /// below `high` is delivered (cumulatively or by SACK): its original transmission
  /// arrived after the timeout fired.
  void watch_originals(SeqNum high);
  void stop_watching() { watch_.reset(); }
  /// Whether such a delivery happened since the last call; clears the note.
  bool take_original_delivered();

  // --- queries ---
  /// The lowest segment marked lost and not yet retransmitted, and the lost segments
  /// right after it, joined while the run is below `max_len` (tiny segments are resent
  /// as one, as Linux's retransmit collapsing).
  std::optional<SentSegment> first_lost_run(std::uint32_t max_len) const;
  /// The highest segment in the log (the one a tail loss probe repeats).
  const SentSegment* last() const { return log_.empty() ? nullptr : &log_.back(); }
  std::uint32_t lost_bytes() const { return lost_bytes_; }
  std::size_t sacked_segments() const { return sacked_segs_; }
  std::size_t records() const { return log_.size(); }
  /// Segments ever marked lost (a statistic).
  std::uint64_t marked_lost() const { return marked_lost_; }
  /// RACK.reo_wnd as §6.2 step 4 computes it now.
  Duration reo_wnd(Duration srtt, bool in_recovery) const;
  bool reordering_seen() const { return reordering_seen_; }
  std::uint32_t reo_wnd_mult() const { return reo_wnd_mult_; }
  Duration rtt() const { return rtt_; }
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  void clear();

 private:
  /// Splits the record containing `s` (strictly inside) in two. Returns the index of the
  /// first record starting at or after `s`.
  std::size_t split_at(SeqNum s);
  void set_lost(SentSegment& r, bool lost);
  /// Steps 2 and 3 for one delivered segment.
  void delivered(const SentSegment& r, Instant now);

  SentLog log_;
  std::uint32_t lost_bytes_ = 0;
  std::size_t sacked_segs_ = 0;
  /// §5.3 per-connection state.
  bool have_segment_ = false;  ///< RACK.segment exists
  /// RACK.segment: RACK.xmit_ts, RACK.end_seq and the transmission ordinal that breaks
  /// ties (only its time, order and end are used).
  SentSegment segment_;
  std::uint64_t sends_ = 0;  ///< transmissions so far (SentSegment::order)
  Duration rtt_{0};          ///< RACK.rtt
  SeqNum fack_;              ///< RACK.fack: the highest end delivered
  bool have_fack_ = false;
  std::optional<Duration> min_rtt_;  ///< RACK.min_RTT
  bool reordering_seen_ = false;
  std::uint32_t reo_wnd_mult_ = 1;
  std::uint32_t reo_wnd_persist_ = kReoWndPersist;
  std::optional<SeqNum> dsack_round_;
  bool advanced_ = false;
  std::uint64_t marked_lost_ = 0;
  std::optional<Duration> clean_rtt_;
  std::optional<SeqNum> watch_;  ///< watch_originals' `high`
  bool original_delivered_ = false;
};

}  // namespace synack::tcp
