// RACK loss detection (RFC 8985 §6) over the log of transmitted segments.
#include "synack/tcp/rack.hpp"

#include <algorithm>

namespace synack::tcp {

namespace {
// RFC 8985 §6.2: "RACK_sent_after(t1, seq1, t2, seq2): If t1 > t2 or (t1 == t2 and
// seq1 > seq2)". The RFC breaks a tie of times by sequence, which is right for one
// burst of new data; a retransmission that shares the clock reading of a higher segment
// sent before it (a coarse clock, or a zero-delay simulated path) would count as older
// than that segment and be declared lost again the moment the higher one is SACKed —
// `synack sim transfer --delay 0` resent several times what it lost. So a tie of times
// is broken by transmission order first (the same as sequence order within a burst) and
// by sequence only between the halves of one transmission.
bool sent_after(const SentSegment& a, const SentSegment& b) {
  if (a.xmit != b.xmit) return a.xmit > b.xmit;
  if (a.order != b.order) return a.order > b.order;
  return seq_gt(a.end, b.end);
}
}  // namespace

void Rack::clear() {
  log_.clear();
  lost_bytes_ = 0;
  sacked_segs_ = 0;
}

void Rack::watch_originals(SeqNum high) {
  watch_ = high;
  original_delivered_ = false;
}

std::optional<Duration> Rack::take_clean_rtt() {
  const auto r = clean_rtt_;
  clean_rtt_.reset();
  return r;
}

bool Rack::take_original_delivered() {
  const bool seen = original_delivered_;
  original_delivered_ = false;
  return seen;
}

void Rack::set_lost(SentSegment& r, bool lost) {
  if (r.lost == lost) return;
  r.lost = lost;
  if (lost) {
    ++marked_lost_;
    lost_bytes_ += r.len();
  } else {
    lost_bytes_ -= r.len();
  }
}

std::size_t Rack::split_at(SeqNum s) {
  // The first record that ends after s; it contains s unless it starts at or after it.
  const auto it = std::partition_point(log_.begin(), log_.end(),
                                       [&](const SentSegment& r) { return seq_le(r.end, s); });
  const auto i = static_cast<std::size_t>(it - log_.begin());
  if (it == log_.end() || !seq_lt(it->start, s)) return i;
  SentSegment tail = *it;
  tail.start = s;
  log_[i].end = s;
  log_.insert(log_.begin() + static_cast<std::ptrdiff_t>(i) + 1, tail);
  return i + 1;
}

void Rack::on_send(SeqNum start, SeqNum end, Instant now) {
  if (!seq_lt(start, end)) return;
  const std::uint64_t order = ++sends_;
  if (!log_.empty() && seq_lt(start, log_.back().end)) {
    // A retransmission (RFC 8985 §6.1: "Segment.xmit_ts ... the time of the most recent
    // (re)transmission"), of what the log holds.
    start = seq_max(start, log_.front().start);
    const SeqNum covered_end = seq_min(end, log_.back().end);
    if (seq_lt(start, covered_end)) {
      std::size_t i = split_at(start);
      split_at(covered_end);
      for (; i < log_.size() && seq_le(log_[i].end, covered_end); ++i) {
        SentSegment& r = log_[i];
        r.xmit = now;
        r.order = order;
        r.retransmitted = true;
        set_lost(r, false);
      }
    }
    if (!seq_lt(covered_end, end)) return;
    start = covered_end;  // the rest is new data
  }
  if (!log_.empty() && log_.back().end != start) {
    // A gap means the log lost track (it was cleared); start again from here.
    clear();
  }
  if (log_.size() >= kMaxRecords && !log_.empty()) {
    SentSegment& b = log_.back();
    if (!b.sacked && !b.lost && !b.retransmitted) {
      // The log is full (tiny segments in a large window): the new bytes join the
      // newest record, whose time becomes theirs (its older bytes look younger and are
      // declared lost later, never sooner).
      b.end = end;
      b.xmit = now;
      b.order = order;
      return;
    }
  }
  log_.push_back(SentSegment{start, end, now, order});
}

void Rack::delivered(const SentSegment& r, Instant now) {
  advanced_ = true;
  if (watch_ && !r.retransmitted && seq_le(r.end, *watch_)) original_delivered_ = true;
  // Step 3, RACK_detect_reordering: a segment delivered below the highest delivered
  // end, and never retransmitted, arrived out of order.
  if (!have_fack_ || seq_gt(r.end, fack_)) {
    fack_ = r.end;
    have_fack_ = true;
  } else if (seq_lt(r.end, fack_) && !r.retransmitted) {
    reordering_seen_ = true;
  }
  // Step 2, RACK_update: "If Segment.retransmitted is TRUE and ... RTT < RACK.min_RTT
  // [the ACK is for an earlier transmission], skip" (ambiguous), else take the most
  // recently sent delivered segment as RACK.segment.
  const Duration rtt = now - r.xmit;
  if (r.retransmitted && min_rtt_ && rtt < *min_rtt_) return;
  if (!r.retransmitted) {
    on_rtt_sample(rtt);
    if (!clean_rtt_ || rtt > *clean_rtt_) clean_rtt_ = rtt;
  }
  if (!have_segment_ || sent_after(r, segment_)) {
    have_segment_ = true;
    segment_ = r;
    rtt_ = rtt;
  }
}

void Rack::on_cumulative_ack(SeqNum una, Instant now) {
  // Step 4: "If RACK.dsack_round is not None and SND.UNA >= RACK.dsack_round: set
  // RACK.dsack_round = None" (the round that saw the D-SACK is over).
  if (dsack_round_ && seq_ge(una, *dsack_round_)) dsack_round_.reset();
  while (!log_.empty() && seq_le(log_.front().end, una)) {
    SentSegment r = log_.front();
    log_.pop_front();
    if (r.lost) lost_bytes_ -= r.len();
    if (r.sacked) {
      --sacked_segs_;  // delivered when it was SACKed
    } else {
      delivered(r, now);
    }
  }
  if (!log_.empty() && seq_lt(log_.front().start, una)) {
    // Part of a segment (the peer acknowledged part of it): the rest stays.
    SentSegment& f = log_.front();
    if (f.lost) lost_bytes_ -= static_cast<std::uint32_t>(una - f.start);
    f.start = una;
  }
}

void Rack::on_sacked(SeqNum left, SeqNum right, Instant now) {
  if (log_.empty()) return;
  left = seq_max(left, log_.front().start);
  right = seq_min(right, log_.back().end);
  if (!seq_lt(left, right)) return;
  std::size_t i = split_at(left);
  split_at(right);
  for (; i < log_.size() && seq_le(log_[i].end, right); ++i) {
    SentSegment& r = log_[i];
    if (r.sacked) continue;
    r.sacked = true;
    ++sacked_segs_;
    set_lost(r, false);
    delivered(r, now);
  }
}

void Rack::on_dsack(SeqNum snd_nxt) {
  // Step 4: "If RACK.dsack_round is None: RACK.reo_wnd_mult += 1, RACK.dsack_round =
  // SND.NXT" and the widened window persists for 16 recoveries. (It does not set
  // RACK.reordering_seen: a D-SACK may answer a needless probe, not reordering.)
  if (dsack_round_) return;
  ++reo_wnd_mult_;
  dsack_round_ = snd_nxt;
  reo_wnd_persist_ = kReoWndPersist;
}

void Rack::on_rtt_sample(Duration rtt) {
  if (rtt <= Duration::zero()) return;
  if (!min_rtt_ || rtt < *min_rtt_) min_rtt_ = rtt;
}

void Rack::clear_sacked() {
  for (auto& r : log_) r.sacked = false;
  sacked_segs_ = 0;
}

void Rack::on_recovery_exit() {
  // Step 4: "If ... exiting loss recovery, RACK.reo_wnd_persist -= 1; if it is 0,
  // RACK.reo_wnd_mult = 1".
  if (reo_wnd_mult_ > 1 && --reo_wnd_persist_ == 0) {
    reo_wnd_mult_ = 1;
    reo_wnd_persist_ = kReoWndPersist;
  }
}

Duration Rack::reo_wnd(Duration srtt, bool in_recovery) const {
  // Step 4, RACK_update_reo_wnd: no reordering seen and either in recovery or
  // DupThresh segments SACKed: 0 (behave as DupThresh would); else
  // min(RACK.reo_wnd_mult * RACK.min_RTT / 4, SRTT).
  if (!reordering_seen_ && (in_recovery || sacked_segs_ >= kDupThresh)) return Duration::zero();
  if (!min_rtt_) return Duration::zero();
  Duration w = *min_rtt_ / 4 * reo_wnd_mult_;
  if (srtt > Duration::zero()) w = std::min(w, srtt);
  return w;
}

std::uint32_t Rack::detect_loss(Instant now, Duration srtt, bool in_recovery, Duration& timeout) {
  advanced_ = false;
  timeout = Duration::zero();
  if (!have_segment_) return 0;
  const Duration reo = reo_wnd(srtt, in_recovery);
  std::uint32_t newly = 0;
  for (auto& r : log_) {
    // Delivered segments, and lost ones not yet retransmitted, are not judged again.
    if (r.sacked || r.lost) continue;
    // Only a segment sent before RACK.segment can be judged by it.
    if (!sent_after(segment_, r)) continue;
    // "remaining = Segment.xmit_ts + RACK.rtt + RACK.reo_wnd - Now()".
    const Duration remaining = (r.xmit + rtt_ + reo) - now;
    if (remaining <= Duration::zero()) {
      set_lost(r, true);
      newly += r.len();
    } else {
      timeout = std::max(timeout, remaining);
    }
  }
  return newly;
}

std::uint32_t Rack::mark_first_lost() {
  for (auto& r : log_) {
    if (r.sacked) continue;
    if (r.lost || r.retransmitted) return 0;
    set_lost(r, true);
    return r.len();
  }
  return 0;
}

void Rack::mark_all_lost() {
  for (auto& r : log_) {
    if (!r.sacked) set_lost(r, true);
  }
}

void Rack::clear_lost() {
  for (auto& r : log_) set_lost(r, false);
}

std::uint32_t Rack::mark_lost_below(SeqNum s) {
  std::uint32_t newly = 0;
  for (auto& r : log_) {
    if (!seq_lt(r.start, s)) break;
    // A retransmitted segment is not judged again by this rule (RFC 6675's HighRxt).
    if (r.sacked || r.lost || r.retransmitted) continue;
    set_lost(r, true);
    newly += r.len();
  }
  return newly;
}

std::optional<SentSegment> Rack::first_lost_run(std::uint32_t max_len) const {
  if (lost_bytes_ == 0) return std::nullopt;
  std::optional<SentSegment> run;
  for (const auto& r : log_) {
    if (!run) {
      if (r.lost) run = r;
      continue;
    }
    if (!r.lost || r.start != run->end || run->len() >= max_len) break;
    run->end = r.end;
  }
  return run;
}

}  // namespace synack::tcp
