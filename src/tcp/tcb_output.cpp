// Output: the one place that decides what a connection sends (DESIGN.md), from its
// state: SYN, data within min(SND.WND, cwnd) in MSS-sized pieces, FIN, ACKs,
// window updates, probes, and RST replies.
#include <algorithm>

#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
using wire::TcpFlags;
// A safety bound on segments produced per call (a full 1 MiB window at MSS 536 fits).
constexpr int kMaxSegmentsPerCall = 4096;
}  // namespace

void Tcb::output(Instant now) {
  for (int i = 0; i < kMaxSegmentsPerCall && output_one(now); ++i) {
  }
  update_timers(now);
}

bool Tcb::output_one(Instant now) {
  if (extra().rst_reply_) {
    emit_rst(extra().rst_reply_->seq, extra().rst_reply_->ack, now);
    if (extra_) extra_->rst_reply_.reset();
    return true;
  }
  switch (state_) {
    case State::Closed:
    case State::Listen:
      return false;
    case State::SynSent:
      // §3.10.1: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is sent."
      // RFC 7413 §4.2: with a cached cookie the first SYN also carries data.
      if (snd_nxt_ != iss_) return false;
      emit(TcpFlags::kSyn | ecn_syn_flags(), iss_, tfo_syn_data_len(now), true, now);
      return true;
    case State::SynReceived:
      // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; any ACK we owe here repeats it.
      if (snd_nxt_ == iss_ || ack_now_) {
        emit(TcpFlags::kSyn | TcpFlags::kAck | ecn_syn_flags(), iss_, 0, true, now);
        return true;
      }
      // RFC 7413 §4.1.2: a server that took a SYN's data may answer it before the
      // handshake completes (after the SYN,ACK, within the windows; as Linux).
      if (!extra().tfo_child_) return false;
      break;
    case State::TimeWait:
      if (!ack_now_ || ctx_.batching) return false;
      emit(TcpFlags::kAck, snd_max_, 0, false, now);
      return true;
    default:
      break;
  }
  if (send_data_or_fin(now)) return true;
  // MUST-59: inside a batch the pure ACK waits until every segment is processed
  // (TcpProtocol::end_batch); ack_now_ stays set so no ACK is lost. A duplicate ACK
  // for out-of-order data does not wait (Tcb::process_text).
  if (ack_now_ && (!ctx_.batching || dup_ack_now_)) {
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. The RFC's SND.NXT never moves back; ours
    // does on a timeout (go back N), so the highest sequence sent stands in for it —
    // an ACK with an older SEQ would fail the peer's acceptability test and be lost.
    emit(TcpFlags::kAck, snd_max_, 0, false, now);
    return true;
  }
  return false;
}

bool Tcb::can_send_data() const {
  switch (state_) {
    case State::SynReceived:
      return extra().tfo_child_ && snd_nxt_ != iss_;  // RFC 7413: after our SYN,ACK
    case State::Established:
    case State::CloseWait:
    case State::FinWait1:
    case State::Closing:
    case State::LastAck:
      return true;
    default:
      return false;
  }
}

bool Tcb::send_data_or_fin(Instant now) {
  if (!can_send_data()) return false;
  if (send_sack_retransmission(now)) return true;
  if (send_loss_probe(now)) return true;
  if (send_mtu_probe(now)) return true;
  if (fast_rtx_) {
    // RFC 5681 §3.2 / RFC 6582: retransmit the segment starting at SND.UNA.
    fast_rtx_ = false;
    const std::uint32_t avail =
        seq_lt(snd_una_, data_end()) ? static_cast<std::uint32_t>(data_end() - snd_una_) : 0;
    const std::uint32_t len = std::min(avail, send_mss());
    const bool fin = fin_sent_ && len == avail && seq_le(snd_una_ + len, fin_seq());
    if (len > 0 || (fin && !fin_acked())) {
      emit(TcpFlags::kAck | (fin ? TcpFlags::kFin : 0), snd_una_, len, false, now);
      return true;
    }
  }
  if (force_probe_) {
    force_probe_ = false;
    if (seq_lt(snd_nxt_, data_end())) {
      // §3.8.6.1: "The sending TCP peer MUST regularly transmit at least one octet of
      // new data (if available) ... even if the send window is zero" (MUST-35/36).
      // With some window open this is the SWS "override timeout" instead.
      const auto usable =
          static_cast<std::int32_t>((snd_una_ + std::min(snd_wnd_, cwnd())) - snd_nxt_);
      const std::uint32_t unsent = static_cast<std::uint32_t>(data_end() - snd_nxt_);
      if (usable > 0) {
        emit(TcpFlags::kAck, snd_nxt_,
             std::min({unsent, static_cast<std::uint32_t>(usable), send_mss()}), true, now);
      } else {
        ++extra_w().counts.zero_window_probes;
        emit(TcpFlags::kAck, snd_nxt_, 1, false, now);
      }
      return true;
    }
  }
  if (keepalive_probe_) {
    // §3.8.4: "sending a segment with SEG.SEQ = SND.NXT-1" and no data (SHLD-12).
    keepalive_probe_ = false;
    ++extra_w().counts.keepalive_probes;
    emit(TcpFlags::kAck, snd_nxt_ - 1, 0, false, now);
    return true;
  }
  if (sack_ok_ && seq_lt(snd_nxt_, snd_max_)) {
    // After a timeout (go back N) SACKed data is not sent again (RFC 8985 §7.3, as
    // Linux): SND.NXT jumps over every SACKed range it meets.
    while (auto r = loss().board_.next_sacked(snd_nxt_)) {
      if (r->start != snd_nxt_) break;
      snd_nxt_ = seq_min(r->end, snd_max_);
    }
  }
  bool fin_too = false;
  std::uint32_t len = sendable_len(fin_too);
  if (len == 0 && !fin_too) return false;
  std::uint32_t gso_size = 0;
  if (const std::uint32_t super = tso_len(len); super > len) {
    gso_size = len;
    len = super;
  }
  std::uint8_t flags = TcpFlags::kAck;
  // MUST-61: "set the PSH bit in the last buffered segment".
  if (len > 0 && snd_nxt_ + len == data_end()) flags |= TcpFlags::kPsh;
  if (fin_too) flags |= TcpFlags::kFin;
  emit(flags, snd_nxt_, len, true, now, gso_size);
  return true;
}

std::uint32_t Tcb::tso_len(std::uint32_t len) const {
  // Only where one segment after another would go out at once anyway: new data (not
  // go-back-N), full-sized, outside loss recovery (PRR and fast recovery meter what
  // they send segment by segment). The super-segment is what the same loop of
  // sendable_len() would send back to back: whole segments within min(SND.WND, cwnd);
  // the short tail, Nagle and the FIN stay with the next call.
  // The link's limit for this family: a link may segment IPv4 only (TSO4 without TSO6).
  const std::uint32_t tso_max =
      tuple_.remote.addr.is_v4() ? ctx_.config.tso_max : ctx_.config.tso6_max;
  if (tso_max == 0 || len == 0 || len != send_mss() || seq_lt(snd_nxt_, snd_max_) ||
      sack_recovery_ || rto_recovery_ || recovery_.active()) {
    return len;
  }
  // The IP header (20, or 40: the stack sends TCP with no IPv6 extension headers) and
  // TCP with every option (60) within the link's packet limit.
  const std::uint32_t max_headers = headers() + 40;
  if (tso_max <= max_headers + len) return len;
  const std::uint32_t unsent = static_cast<std::uint32_t>(data_end() - snd_nxt_);
  const auto usable =
      static_cast<std::uint32_t>((snd_una_ + std::min(snd_wnd_, cwnd())) - snd_nxt_);
  const std::uint32_t room = tso_max - max_headers;
  const std::uint32_t n = std::min({unsent, usable, room});
  return std::max(n / len * len, len);
}

std::uint32_t Tcb::sendable_len(bool& fin_too) const {
  const bool fin_pending = fin_queued_ && seq_le(snd_nxt_, fin_seq());
  const std::uint32_t unsent =
      seq_lt(snd_nxt_, data_end()) ? static_cast<std::uint32_t>(data_end() - snd_nxt_) : 0;
  fin_too = false;
  if (unsent == 0) {
    fin_too = fin_pending;
    return 0;
  }
  // The usable window (§3.8.6.2.1): U = SND.UNA + min(SND.WND, cwnd) - SND.NXT. It
  // may be negative after the window shrinks (MUST-34).
  const auto usable = static_cast<std::int32_t>((snd_una_ + std::min(snd_wnd_, cwnd())) - snd_nxt_);
  if (usable <= 0) return 0;
  const std::uint32_t full = send_mss();
  const std::uint32_t len = std::min({unsent, static_cast<std::uint32_t>(usable), full});
  const bool covers_rest = len == unsent;
  if (seq_lt(snd_nxt_, snd_max_)) {  // retransmission after an RTO: go back N
    // ... up to the next range the peer SACKed.
    if (const auto r = loss().board_.next_sacked(snd_nxt_); r && seq_lt(r->start, snd_nxt_ + len)) {
      return static_cast<std::uint32_t>(r->start - snd_nxt_);
    }
    fin_too = fin_pending && covers_rest;
    return len;
  }
  // Sender SWS avoidance (§3.8.6.2.1, MUST-38) combined with Nagle (§3.7.4, SHLD-7).
  // Every write is treated as pushed (MUST-60: never buffer indefinitely). Nagle with
  // Minshall's refinement, as Linux: a short segment waits only while another short
  // segment is unacknowledged. SHLD-7's aim (at most one tinygram in flight) holds,
  // and the tail of a long reply no longer waits for the peer's delayed ACK of the
  // full-sized segments before it.
  const bool nothing_unacked = snd_una_ == snd_max_;
  const bool small_in_flight = small_unacked_end_ && seq_gt(*small_unacked_end_, snd_una_);
  const bool nagle_ok = nothing_unacked || !small_in_flight || opts_->no_delay || fin_queued_;
  const bool send = len == full ||                          // (1) a maximum-sized segment
                    (covers_rest && nagle_ok) ||            // (2) pushed, all queued data
                    (2 * len >= max_snd_wnd_ && nagle_ok);  // (3) >= Fs * max window
  if (!send) return 0;
  fin_too = fin_pending && covers_rest;
  return len;
}

std::uint32_t Tcb::ts_now(Instant now) const {
  return static_cast<std::uint32_t>(to_millis(now.since_origin())) + ts_offset_;
}

wire::TcpOptions Tcb::options_for(bool syn, Instant now) const {
  wire::TcpOptions o;
  const bool offering = state_ == State::SynSent;
  if (syn) {
    // MUST-14/MUST-67: the MSS option carries MMS_R - 20 = MTU - 40 (MTU - 60 over
    // IPv6; SHLD-5, MAY-3: sent in every SYN). MUST-65: never on non-SYN segments.
    o.mss = static_cast<std::uint16_t>(path_mtu_ - headers());
    // RFC 7323 §2.2: offer WS in a SYN; in a SYN,ACK only if the SYN carried it.
    if (ctx_.config.window_scaling && (offering || syn_offered_ws_)) o.window_scale = rcv_wscale_;
    if (ctx_.config.timestamps && (offering || syn_offered_ts_)) {
      o.timestamps = wire::TcpTimestamps{ts_now(now), offering ? 0u : ts_recent_};
    }
    // RFC 2018 §2: SACK-permitted in a SYN; in a SYN,ACK only if the SYN carried it.
    o.sack_permitted = ctx_.config.sack && (offering || sack_permitted_);
    // RFC 7413 §4.1.1: the Fast Open option, on SYNs and SYN,ACKs only.
    if (extra().tfo_syn_option_ && (offering || passive_open_)) extra().tfo_syn_option_->put(o);
  } else {
    // RFC 7323 §3.2: once negotiated, "the TSopt MUST be sent in every non-<RST> segment".
    if (ts_ok_) o.timestamps = wire::TcpTimestamps{ts_now(now), ts_recent_};
    if (sack_ok_) fill_sack_blocks(o);
  }
  return o;
}

std::uint32_t Tcb::advertisable_window() const {
  const std::uint32_t cap = static_cast<std::uint32_t>(
      std::min<std::size_t>(rcv_buf_.free(), std::size_t{0xffff} << rcv_wscale_));
  const std::uint32_t cur = rcv_wnd();
  if (cap <= cur) return cur;
  // Receiver SWS avoidance (§3.8.6.2.2, MUST-39): keep RCV.NXT+RCV.WND fixed until
  // "RCV.BUFF - RCV.USER - RCV.WND >= min( Fr * RCV.BUFF, Eff.snd.MSS )", Fr = 1/2;
  // Eff.snd.MSS is the peer's full-sized segment as we receive it (rcv_mss()).
  const std::uint32_t threshold =
      std::min<std::uint32_t>(static_cast<std::uint32_t>(rcv_buf_.capacity() / 2), rcv_mss());
  return cap - cur >= threshold ? cap : cur;
}

bool Tcb::window_update_due() const {
  if (fin_received_) return false;
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return false;
  // A pure window update only when the peer could be held back by the window it
  // believes in (RFC 9293 §3.8.6.2.2 lets the receiver choose when to announce a
  // window that SWS avoidance allows; ACKs of data carry it anyway). As Linux's
  // __tcp_cleanup_rbuf: the usable window at least doubles (this covers reopening a
  // zero window, the update §3.8.6.1 relies on), or it rises from below one
  // full-sized segment to at least one.
  const std::uint32_t cur = rcv_wnd();
  const std::uint32_t next = advertisable_window();
  if (next <= cur) return false;
  const std::uint32_t mss = rcv_mss();
  return next >= 2 * std::uint64_t{cur} || (cur < mss && next >= mss);
}

std::uint16_t Tcb::window_field(bool syn) {
  if (syn) {
    // RFC 7323 §2.2: "The window field in a segment where the SYN bit is set ... MUST
    // NOT be scaled."
    const auto w = static_cast<std::uint16_t>(std::min<std::size_t>(rcv_buf_.free(), 0xffff));
    if (state_ != State::SynSent) rcv_adv_ = seq_max(rcv_adv_, rcv_nxt_ + w);
    return w;
  }
  const std::uint32_t w = advertisable_window();
  const auto field = static_cast<std::uint16_t>(std::min<std::uint32_t>(w >> rcv_wscale_, 0xffff));
  const SeqNum edge = rcv_nxt_ + (static_cast<std::uint32_t>(field) << rcv_wscale_);
  if (seq_gt(edge, rcv_adv_)) rcv_adv_ = edge;
  return field;
}

void Tcb::emit(std::uint8_t flags, SeqNum seq, std::uint32_t data_len, bool advance, Instant now,
               std::uint32_t gso_size) {
  const bool syn = flags & TcpFlags::kSyn;
  const bool fin = flags & TcpFlags::kFin;
  wire::TcpRepr r;
  r.src_port = tuple_.local.port;
  r.dst_port = tuple_.remote.port;
  r.seq = seq;
  if (flags & TcpFlags::kAck) r.ack = rcv_nxt_;
  r.window = window_field(syn);
  r.options = options_for(syn, now);
  // A full-sized segment beside these SACK blocks (what send_mss() says).
  const std::uint32_t full = eff_mss_ - std::min(sack_option_len(r.options), eff_mss_ - 1);
  // Options and payload together within the peer's MSS and our path (§3.7.1; Eff.snd.MSS
  // already counts the TSopt): SACK blocks that would not fit beside this payload are
  // left out (the next ACK has them).
  // (A super-segment's pieces each carry the options: the piece must fit.)
  const std::uint32_t piece = gso_size != 0 ? gso_size : data_len;
  while (r.options.sack_count > 0 && piece + sack_option_len(r.options) > eff_mss_) {
    --r.options.sack_count;
  }
  // §3.8.5: the urgent pointer is SND.UP as an offset from this segment's SEQ.
  if (!syn && snd_up_valid_ && seq_gt(snd_up_, seq)) {
    flags |= TcpFlags::kUrg;
    r.urgent = static_cast<std::uint16_t>(std::min<std::uint32_t>(snd_up_ - seq, 0xffff));
  }
  // RFC 3168: ECE/CWR and the ECN field. New data only: not a retransmission (below
  // SND.MAX), not a window probe (sent without advancing SND.NXT).
  // (Never a SYN: RFC 3168 §6.1.1 keeps SYNs Not-ECT, Fast Open data included.)
  const bool new_data = data_len > 0 && advance && !syn && !seq_lt(seq, snd_max_);
  if (data_len > 0 && seq_lt(seq, snd_max_)) plpmtud_on_retransmit(seq, data_len, now);
  const wire::Ecn ecn = ecn_on_send(flags, new_data);
  r.flags.bits = flags;
  // With checksum offload the field gets the pseudo-header sum only; the link finishes it.
  const wire::ChecksumFill fill = ctx_.config.tx_checksum_offload
                                      ? wire::ChecksumFill::PseudoHeaderOnly
                                      : wire::ChecksumFill::Complete;
  if (data_len > 0) {
    // Copied once, from the send buffer into the segment. A SYN's data (RFC 7413)
    // starts after the SYN's sequence number.
    const auto offset = static_cast<std::size_t>((seq + (syn ? 1u : 0u)) - snd_buf_seq_);
    ctx_.out.push_back(build_segment(tuple_.local.addr, tuple_.remote.addr, r, snd_buf_, offset,
                                     data_len, ctx_.config.ttl, fill, &ctx_.pool));
  } else {
    ctx_.out.push_back(
        build_segment(tuple_.local.addr, tuple_.remote.addr, r, ctx_.config.ttl, fill, &ctx_.pool));
  }
  ctx_.out.back().gso_size = static_cast<std::uint16_t>(gso_size);
  // SHLD-22: the DSCP; the ECN bits are the Tcb's.
  ctx_.out.back().dscp_ecn = wire::with_ecn(static_cast<std::uint8_t>(opts_->dscp << 2), ecn);
  ++segs_out_;
  if (flags & TcpFlags::kAck) {
    // MUST-58/59: this ACK covers everything processed so far.
    last_ack_sent_ = rcv_nxt_;
    ack_now_ = false;
    dup_ack_now_ = false;
    if (loss_) loss_->dsack_.reset();  // RFC 2883: a duplicate is reported once
    timers_.cancel(Timer::DelayedAck);
    unacked_bytes_ = 0;
  }
  const SeqNum end = seq + data_len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
  if (end == seq) return;
  if (data_len > 0) last_data_sent_ms_ = stamp_ms(now);
  const bool retransmission = seq_lt(seq, snd_max_);
  if (sack_ok_ && !syn) {
    loss_w().rack_.on_send(seq, end, now);
    // RFC 8985 §7.2: new data re-arms the probe timeout (update_timers).
    if (!retransmission) {
      timers_.cancel(Timer::Probe);
      if (loss_) loss_->pto_spent_ = false;
    }
  }
  if (sack_recovery_) {  // RFC 6937: prr_out counts everything sent in recovery
    loss_w().prr_out_ += data_len;
    loss_w().prr_budget_ -= data_len;
  }
  if (retransmission) {
    ++extra_w().counts.retransmitted_segs;
    if (loss().cc_undo_) {  // RFC 3708: each must come back as a duplicate for an undo
      ++loss_w().undo_rtx_sent_;
      ++loss_w().undo_rtx_left_;
      if (loss().undo_ranges_.size() < kMaxUndoRanges && data_len > 0) {
        loss_w().undo_ranges_.push_back(Assembler::Interval{seq, seq + data_len});
      } else {
        loss_w().undo_rtx_left_ = std::numeric_limits<std::uint32_t>::max();  // too many to prove
      }
    }
    extra_w().counts.retransmitted_bytes += data_len;
    // Karn: a retransmitted segment must not produce an RTT sample.
    if (rtt_seq_ && seq_lt(seq, *rtt_seq_)) rtt_seq_.reset();
  } else {
    bytes_out_ += data_len;
    if (data_len > 0 && data_len < full) small_unacked_end_ = seq + data_len;
    if (!ts_ok_ && !rtt_seq_) {
      rtt_seq_ = end;
      rtt_sent_at_ = now;
    }
  }
  if (snd_una_ == snd_max_ && seq_gt(end, snd_max_)) rtx_epoch_ = now;  // flight starts
  if (advance && seq_gt(end, snd_nxt_)) snd_nxt_ = end;
  if (seq_gt(end, snd_max_)) snd_max_ = end;
  if (fin) fin_sent_ = true;
}

void Tcb::emit_rst(SeqNum seq, std::optional<SeqNum> ack, Instant now) {
  (void)now;
  wire::TcpRepr r;
  r.src_port = tuple_.local.port;
  r.dst_port = tuple_.remote.port;
  r.seq = seq;
  r.flags.bits = TcpFlags::kRst;
  if (ack) {
    r.ack = *ack;
    r.flags.bits |= TcpFlags::kAck;
  }
  ctx_.out.push_back(build_segment(tuple_.local.addr, tuple_.remote.addr, r, ctx_.config.ttl,
                                   wire::ChecksumFill::Complete, &ctx_.pool));
  ctx_.out.back().dscp_ecn = static_cast<std::uint8_t>(opts_->dscp << 2);  // SHLD-22
  ++segs_out_;
}

bool Tcb::send_sack_retransmission(Instant now) {
  // RFC 6675 §5 NextSeg() rule 1: the lowest segment marked lost (by RACK or IsLost) and
  // not retransmitted since, one segment of it, while RFC 6937 PRR allows (new data is
  // rule 2: the normal path, against cwnd() = pipe allowance).
  if (sack_recovery_) {
    if (loss().prr_budget_ <= 0) return false;
  } else if (!rto_recovery_ || sack_pipe() >= cc_.cwnd()) {
    // After a timeout: as much as the (slow-starting) window holds beside the pipe.
    return false;
  } else if (loss().frto_ == Frto::SecondAck) {
    // RFC 5682 §3 step 2b: new data, not retransmissions, until the next ACK tells
    // whether the timeout was spurious. If none can go now after all (Nagle, the
    // window), conventional recovery at once rather than a stall until the next
    // timeout (as Linux's tcp_xmit_recovery).
    bool fin_too = false;
    if (snd_max_ != loss().frto_mark_ || sendable_len(fin_too) > 0 || fin_too) return false;
    frto_off();
  }
  const auto lost = loss().rack_.first_lost_run(send_mss());
  if (!lost) return false;
  // (The log holds nothing below SND.UNA; the clip keeps a stale record from ever
  // turning into a payload read below the send buffer.)
  const SeqNum start = seq_max(lost->start, snd_una_);
  if (!seq_lt(start, lost->end)) return false;
  // Within the peer's window only (it may have shrunk since the first transmission).
  const SeqNum right = snd_una_ + snd_wnd_;
  if (!seq_lt(start, right)) return false;
  const SeqNum data_hi = seq_min(seq_min(lost->end, data_end()), right);
  const std::uint32_t avail =
      seq_lt(start, data_hi) ? static_cast<std::uint32_t>(data_hi - start) : 0;
  const std::uint32_t len = std::min(avail, send_mss());
  // The FIN goes again with the last of the data if the lost segment carried it.
  const bool fin =
      fin_sent_ && len == avail && data_hi == data_end() && seq_gt(lost->end, fin_seq());
  if (len == 0 && !fin) return false;
  emit(TcpFlags::kAck | (fin ? TcpFlags::kFin : 0), start, len, false, now);
  return true;
}

bool Tcb::send_loss_probe(Instant now) {
  // RFC 8985 §7.3: "If previously unsent segments exist AND the receive window allows new
  // segment transmission: Send the next unsent segment ... Else retransmit the last
  // segment (the highest sequence number sent)"; cwnd does not limit the probe.
  if (!loss().tlp_probe_) return false;
  if (loss_) loss_->tlp_probe_ = false;
  if (recovery_probe_allowed()) {
    // TcpConfig::recovery_probe: SACK recovery heard nothing for a PTO — new data, which
    // PRR pays for (prr_out), not a TLP episode (§7.4's reduction: this recovery has
    // reduced cwnd already). One probe per silence: the next waits for an ACK that
    // delivers something (sack_after_ack), else the RTO (re-armed from here, §7.3).
    send_new_probe_segments(now);
    loss_w().pto_spent_ = true;
    ++extra_w().counts.recovery_probes;
    timers_.set(Timer::Retransmit, now + rtt_.rto());
    return true;
  }
  if (!tlp_allowed()) return false;
  const SeqNum right = snd_una_ + snd_wnd_;
  const std::uint32_t unsent =
      seq_lt(snd_max_, data_end()) ? static_cast<std::uint32_t>(data_end() - snd_max_) : 0;
  const std::uint32_t room =
      seq_lt(snd_max_, right) ? static_cast<std::uint32_t>(right - snd_max_) : 0;
  if (snd_nxt_ == snd_max_ && std::min(unsent, room) > 0) {
    loss_w().tlp_start_ = snd_max_;
    if (loss_) loss_->tlp_is_retrans_ = false;
    send_new_probe_segments(now);
  } else {
    const SentSegment* last = loss().rack_.last();
    if (!last || last->sacked) {
      timers_.set(Timer::Retransmit, now + rtt_.rto());  // nothing to probe with
      return false;
    }
    const SeqNum data_hi = seq_min(last->end, data_end());
    const SeqNum lo = seq_max(last->start, snd_una_);
    const std::uint32_t avail = seq_lt(lo, data_hi) ? static_cast<std::uint32_t>(data_hi - lo) : 0;
    const std::uint32_t len = std::min(avail, send_mss());
    const bool fin = fin_sent_ && seq_gt(last->end, fin_seq());
    if (len == 0 && !fin) {
      timers_.set(Timer::Retransmit, now + rtt_.rto());
      return false;
    }
    loss_w().tlp_start_ = data_hi - len;
    loss_w().tlp_is_retrans_ = true;
    const bool psh = len > 0 && data_hi == data_end();  // as the original (MUST-61)
    emit(TcpFlags::kAck | (fin ? TcpFlags::kFin : 0) | (psh ? TcpFlags::kPsh : 0),
         loss().tlp_start_, len, false, now);
  }
  loss_w().tlp_end_ = snd_max_;
  if (loss_) loss_->tlp_dsacked_ = false;
  if (loss_) loss_->tlp_recovered_ = false;
  ++extra_w().counts.tlp_probes;
  // "After attempting to send a loss probe ... the sender MUST re-arm the RTO timer".
  timers_.set(Timer::Retransmit, now + rtt_.rto());
  return true;
}

void Tcb::send_new_probe_segments(Instant now) {
  // Two segments where RFC 8985 §7.3 says one, when there are two: a receiver delays its
  // ACK for a lone segment (up to 200 ms, 40 ms on Linux) but acknowledges every second
  // full-sized one at once (RFC 9293 §3.8.6.3, RFC 5681 §4.2). Where the whole flight's
  // one ACK was lost (a receiver acknowledging a burst with one ACK), a lone new segment
  // would turn the probe into a delayed-ACK stall. cwnd does not limit a probe.
  const SeqNum right = snd_una_ + snd_wnd_;
  for (int i = 0; i < 2 && seq_lt(snd_max_, right) && seq_lt(snd_max_, data_end()); ++i) {
    const std::uint32_t len = std::min({static_cast<std::uint32_t>(data_end() - snd_max_),
                                        static_cast<std::uint32_t>(right - snd_max_), send_mss()});
    emit(TcpFlags::kAck | (snd_max_ + len == data_end() ? TcpFlags::kPsh : 0), snd_max_, len, true,
         now);
  }
}

std::uint32_t Tcb::sack_option_len(const wire::TcpOptions& o) {
  if (o.sack_count == 0) return 0;  // nearly every segment: no copy, no lengths
  wire::TcpOptions without = o;
  without.sack_count = 0;
  return static_cast<std::uint32_t>(o.encoded_len() - without.encoded_len());
}

std::uint32_t Tcb::send_mss() const {
  if (!sack_ok_ || (!loss().dsack_ && loss().ooo_.empty())) return eff_mss_;
  wire::TcpOptions o;
  if (ts_ok_) o.timestamps = wire::TcpTimestamps{};
  fill_sack_blocks(o);
  return eff_mss_ - std::min(sack_option_len(o), eff_mss_ - 1);
}

bool Tcb::in_persist() const {
  // Nothing legitimately in flight, data waiting, yet output() sent none of it: the
  // window is zero (or too small to send without SWS) — probe on the persist timer.
  return can_send_data() && snd_nxt_ == snd_una_ && seq_lt(snd_nxt_, data_end());
}

Duration Tcb::persist_interval() const {
  // SHLD-29/30: the first probe one RTO after the window closed, then exponential
  // backoff. The RTO is the estimator's current one, not what earlier data
  // retransmissions backed it off to (the window closing is no sign of loss; as
  // Linux's tcp_probe0_base); persist_backoff_ doubles it from there.
  Duration d = rtt_.base_rto();
  for (std::uint32_t i = 0; i < persist_backoff_ && d < ctx_.config.max_rto; ++i) d *= 2;
  return std::min(d, ctx_.config.max_rto);
}

void Tcb::update_timers(Instant now) {
  if (state_ == State::Closed || state_ == State::Listen || state_ == State::TimeWait) {
    timers_.cancel(Timer::Retransmit);
    timers_.cancel(Timer::Reorder);
    timers_.cancel(Timer::Probe);
    timers_.cancel(Timer::Persist);
    timers_.cancel(Timer::Keepalive);
    return;
  }
  if (in_persist()) {
    timers_.cancel(Timer::Retransmit);
    timers_.cancel(Timer::Probe);
    if (!timers_.armed(Timer::Persist)) timers_.set(Timer::Persist, now + persist_interval());
  } else {
    timers_.cancel(Timer::Persist);
    persist_backoff_ = 0;
    // RFC 6298 (5.1): "Every time a packet containing data is sent (including a
    // retransmission), if the timer is not running, start it"; (5.2) stop it when
    // all outstanding data has been acknowledged.
    if (flight() > 0) {
      if (!timers_.armed(Timer::Retransmit)) timers_.set(Timer::Retransmit, now + rtt_.rto());
    } else {
      timers_.cancel(Timer::Retransmit);
    }
    // RFC 8985 §7.2: the probe timeout, never later than the RTO. §7.3: "After
    // attempting to send a loss probe, regardless of whether a loss probe was sent, the
    // sender MUST re-arm the RTO timer, not the PTO timer".
    if (!probe_allowed() || loss().pto_spent_) {
      timers_.cancel(Timer::Probe);
    } else if (!timers_.armed(Timer::Probe)) {
      timers_.set(Timer::Probe, std::min(now + pto_interval(), timers_.at(Timer::Retransmit)));
    }
  }
  if (state_ == State::FinWait2 && user_closed_ && !timers_.armed(Timer::FinWait2)) {
    timers_.set(Timer::FinWait2, now + ctx_.config.fin_wait_2_timeout);
  }
  // §3.8.4 keep-alives: only on an idle, synchronized connection (MUST-24..28).
  if (opts_->keepalive && (state_ == State::Established || state_ == State::CloseWait) &&
      flight() == 0) {
    // The first probe after keepalive_idle of silence, then one per interval.
    timers_.set(Timer::Keepalive, keepalive_sent_ == 0
                                      ? last_rcv_at_ + opts_->keepalive_idle
                                      : last_keepalive_at_ + opts_->keepalive_interval);
  } else {
    timers_.cancel(Timer::Keepalive);
  }
}

}  // namespace synack::tcp
