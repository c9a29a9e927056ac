// Timeouts (RFC 9293 §3.8, §3.10.8) and ICMP errors (§3.9.2.2) of one connection.
#include <algorithm>

#include "synack/tcp/rtt.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/icmp.hpp"

namespace synack::tcp {

Duration data_r2(const TcpConfig& config, const SocketOptions& opts) {
  // MUST-21: the application's R2 (user timeout) if it set one; otherwise the count
  // r2_retransmissions as the time its backoff takes from the RTO floor (as Linux:
  // the current RTO, however backed off, does not shorten it).
  const Duration r2 = opts.user_timeout
                          ? *opts.user_timeout
                          : backoff_span(config.r2_retransmissions, config.min_rto, config.max_rto);
  // SHLD-11: "The value of R2 SHOULD correspond to at least 100 seconds."
  return std::max(r2, kMinR2);
}

std::optional<Instant> Tcb::deadline() const {
  return timers_.next();
}

void Tcb::on_timer(Instant now) {
  if (timers_.due(Timer::TimeWait, now)) {
    // §3.10.8: "If the time-wait timeout expires on a connection, delete the TCB,
    // enter the CLOSED state, and return."
    terminate(Rule::rfc9293_3_10_8_time_wait_timeout, std::nullopt, now);
    return;
  }
  if (timers_.due(Timer::FinWait2, now)) {
    terminate(Rule::impl_fin_wait_2_timeout, std::nullopt, now);
    return;
  }
  if (timers_.due(Timer::Probe, now)) {
    // RFC 8985 §7.3: the probe timeout expired; output() sends the probe. §7.2: a probe
    // due no later than the RTO goes first, also when the PTO was capped at the RTO (a
    // one-segment tail: 2·SRTT + WCDelAckT above a 200 ms RTO), as Linux's
    // tcp_schedule_loss_probe: a probe, not a timeout. Sending it re-arms the RTO
    // (§7.3). (A timeout that still fires now cancels the probe: on_rto.)
    const bool before_rto = timers_.armed(Timer::Retransmit) &&
                            timers_.at(Timer::Probe) <= timers_.at(Timer::Retransmit) &&
                            probe_allowed();
    timers_.cancel(Timer::Probe);
    loss_w().tlp_probe_ = true;
    loss_w().pto_spent_ = true;
    if (before_rto) timers_.set(Timer::Retransmit, now + rtt_.rto());
  }
  if (timers_.due(Timer::Retransmit, now)) {
    on_rto(now);
    if (state_ == State::Closed) {
      output(now);
      return;
    }
  }
  if (timers_.due(Timer::Reorder, now)) on_reorder_timeout(now);
  if (timers_.due(Timer::Persist, now)) on_persist(now);
  if (timers_.due(Timer::DelayedAck, now)) {
    timers_.cancel(Timer::DelayedAck);
    ack_now_ = true;
  }
  if (timers_.due(Timer::Keepalive, now)) {
    on_keepalive(now);
    if (state_ == State::Closed) return;
  }
  output(now);
}

void Tcb::on_rto(Instant now) {
  timers_.cancel(Timer::Retransmit);
  const bool handshake = state_ == State::SynSent || state_ == State::SynReceived;
  // §3.8.3: "When the number of transmissions of the same segment reaches a
  // threshold R2 greater than R1, close the connection" (MUST-20) — R2 as time: at
  // least 3 minutes for a SYN (MUST-23), data_r2() otherwise.
  const Duration limit = handshake ? ctx_.config.connect_timeout : data_r2(ctx_.config, *opts_);
  if (now - rtx_epoch_ >= limit) {
    // §3.9.2.2 / SHLD-25: report a soft ICMP error recorded meanwhile as the reason.
    terminate(Rule::rfc9293_3_10_8_user_timeout, soft_error_.value_or(ConnError::TimedOut), now);
    return;
  }
  ++rto_count_;
  ++extra_w().counts.rto_expirations;
  // SHLD-9: "inform the application of the delivery problem ... when R1 is reached";
  // MUST-22: "SYN retransmissions MUST be handled in the general way just described
  // for data retransmissions, including notification of the application layer".
  if (rto_count_ == ctx_.config.r1_retransmissions) {
    // SHLD-20: the application may have switched the soft report off.
    if (opts_->report_soft_errors) push_event(EventKind::DeliveryProblem);
    // MUST-20: "When the number of transmissions of the same segment reaches or
    // exceeds threshold R1, pass negative advice to the IP layer, to trigger
    // dead-gateway diagnosis" (RFC 1122 §3.3.1.4). Bounded: the oldest entry goes
    // if the owner never drains the queue.
    constexpr std::size_t kMaxAdvice = 1024;
    if (ctx_.advice.size() >= kMaxAdvice) ctx_.advice.pop_front();
    ctx_.advice.push_back(NegativeAdvice{id_, tuple_.local, tuple_.remote});
    ++extra_w().counts.negative_advice;
  }
  // RFC 5682 §2.1: F-RTO only for a timeout outside any recovery, never for a second
  // one in a row ("If the RTO timer expires again ... the sender MUST NOT enter F-RTO").
  const bool frto_ok = ctx_.config.frto && rto_count_ == 1 && !sack_recovery_ && !rto_recovery_ &&
                       !recovery_.active();
  frto_off();
  // RFC 5681 §3.1 (MUST-19) and RFC 6298 (5.5) "RTO <- RTO * 2". The first timeout of
  // an episode keeps the controller for an Eifel undo (RFC 3522) and our TSval of the
  // retransmission to compare the echo with.
  if (!handshake) {
    if (rto_count_ == 1) {
      // A timeout inside fast recovery keeps the snapshot from before that recovery.
      if (!loss().cc_undo_ || !(sack_recovery_ || recovery_.active())) arm_undo();
      if (ts_ok_) loss_w().eifel_tsval_ = ts_now(now);
    }
    cc_.on_rto(flight(), now);
    // RFC 4821 §7.3: timeouts in a row may be a black hole (segments cut smaller).
    plpmtud_on_rto(now);
  }
  rtt_.backoff();
  // RFC 6582 §4: after a timeout, "recover" is set to the highest sequence sent.
  recovery_.exit();
  sack_recovery_ = false;
  if (loss_) loss_->prr_budget_ = 0;
  // RFC 8985 §7: a timeout ends any probe episode; no probe until new data is acked.
  if (loss_) loss_->tlp_probe_ = false;
  if (loss_) loss_->tlp_end_.reset();
  timers_.cancel(Timer::Probe);
  timers_.cancel(Timer::Reorder);
  // The scoreboard survives a timeout (RFC 8985 §6.3: resend only what is not SACKed),
  // unless the peer reneged: its cumulative ACK stops at data it had SACKed, or a
  // second timeout in a row (then RFC 2018 §8's "ignore prior SACK information").
  if (const auto first = loss().board_.next_sacked(snd_una_);
      first && (first->start == snd_una_ || rto_count_ >= 2)) {
    if (loss_) loss_->board_.clear();
    loss_w().rack_.clear_sacked();
  }
  dupacks_ = 0;
  recover_ = snd_max_;
  rtt_seq_.reset();  // Karn
  loss_w().rto_ts_floor_ = ts_now(now);
  fast_rtx_ = false;
  if (sack_ok_ && !handshake && snd_wnd_ > 0) {
    // With SACK (RFC 8985 §6.3, as Linux's tcp_timeout_mark_lost): everything not
    // SACKed is presumed lost and resent lowest first within cwnd (slow start from one
    // segment) by send_sack_retransmission; RACK keeps judging the retransmissions, so
    // one lost again is sent again without waiting for another timeout. (With the
    // window closed, go back N instead: the persist timer probes it, MUST-37.)
    loss_w().rack_.mark_all_lost();
    rto_recovery_ = true;
    if (frto_ok) {
      // RFC 5682 §3: watch whether data sent before the timeout and never resent is
      // acknowledged — then its original arrived and the timeout was spurious.
      loss_w().frto_ = Frto::FirstAck;
      loss_w().rack_.watch_originals(snd_max_);
    }
    return;
  }
  // RFC 6298 (5.4): "Retransmit the earliest segment that has not been acknowledged";
  // we go back to SND.UNA and let output() resend within the (now one-segment) cwnd.
  snd_nxt_ = snd_una_;
}

void Tcb::on_reorder_timeout(Instant now) {
  // RFC 8985 §6.3: "RACK_detect_loss_and_arm_timer()" once more — the segments whose
  // reordering window has passed are lost; recovery starts if it has not.
  timers_.cancel(Timer::Reorder);
  ++extra_w().counts.reo_timeouts;
  if (!rack_enabled() || flight() == 0) return;
  detect_losses(true, now);
  if (!sack_recovery_ && loss().rack_.lost_bytes() > 0 && seq_ge(snd_una_, recover_)) {
    enter_sack_recovery(now);
  }
}

bool Tcb::tlp_allowed() const {
  // RFC 8985 §7.2: a probe is scheduled while data is outstanding, SACK (and RACK) is
  // in use, no recovery (fast or timeout) is running and no probe is already out.
  return rack_enabled() && can_send_data() && flight() > 0 && snd_wnd_ > 0 && !sack_recovery_ &&
         !rto_recovery_ && !recovery_.active() && rto_count_ == 0 && !loss().tlp_end_ &&
         !in_persist();
}

bool Tcb::recovery_probe_allowed() const {
  // TcpConfig::recovery_probe: during SACK recovery (RACK in use), data outstanding, no
  // timeout yet, and new data the peer's window admits — the probe is new data only:
  // sent after every retransmission, its ACK tells RACK whether they arrived (§6.2: a
  // later transmission delivered marks an earlier one lost after the reordering window).
  if (!ctx_.config.recovery_probe || !rack_enabled() || !sack_recovery_ || !can_send_data() ||
      flight() == 0 || rto_count_ != 0 || in_persist() || snd_nxt_ != snd_max_) {
    return false;
  }
  return seq_lt(snd_max_, data_end()) && seq_lt(snd_max_, snd_una_ + snd_wnd_);
}

Duration Tcb::pto_interval() const {
  // RFC 8985 §7.2: "PTO = 2 * SRTT" (1 s before any sample), plus WCDelAckT (200 ms, the
  // peer's delayed-ACK timer) when only one segment is in flight.
  // Never below kMinPto: on a sub-millisecond path 2 * SRTT is shorter than a
  // receiver's scheduling jitter and would probe needlessly (Linux's floor is two
  // jiffies, 2-8 ms; measured: Linux clients over a TAP drew needless probes at 0.2 ms).
  // "Before any sample" is has_sample(), not SRTT > 0: timestamps tick in milliseconds,
  // so on a sub-millisecond path every sample from a TSecr can be 0 and SRTT with it —
  // taking that for "no sample" made the PTO 1.2 s, never before the RTO, and a tail
  // loss toward a Linux peer (which always sends timestamps) on a TAP was never probed.
  constexpr Duration kMinPto = std::chrono::milliseconds(10);
  Duration pto = rtt_.has_sample() ? 2 * rtt_.srtt() : Duration(std::chrono::seconds(1));
  pto = std::max(pto, kMinPto);
  if (flight() <= eff_mss_) pto += std::chrono::milliseconds(200);
  return pto;
}

void Tcb::on_persist(Instant now) {
  (void)now;
  timers_.cancel(Timer::Persist);
  // §3.8.6.1: probes back off exponentially; the window "may stay zero forever"
  // (MUST-37) as long as the peer answers, so persistence never closes the connection.
  ++persist_backoff_;
  force_probe_ = true;
}

void Tcb::on_keepalive(Instant now) {
  timers_.cancel(Timer::Keepalive);
  if (keepalive_sent_ >= opts_->keepalive_count) {
    terminate(Rule::rfc9293_3_8_4_keepalive_timeout, ConnError::TimedOut, now);
    return;
  }
  ++keepalive_sent_;
  last_keepalive_at_ = now;
  keepalive_probe_ = true;
}

void Tcb::on_icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, SeqNum quoted,
                        Instant now) {
  // RFC 5927 §4.1: act only if the quoted sequence number is in flight.
  if (!(seq_ge(quoted, snd_una_) && seq_lt(quoted, snd_max_))) return;
  const bool handshake = state_ == State::SynSent || state_ == State::SynReceived;
  const auto unreach = static_cast<std::uint8_t>(wire::IcmpType::DestUnreachable);
  const ConnError kind = icmp_error_kind(type, code);
  if (kind == ConnError::MessageTooLong) {
    // Fragmentation needed (RFC 1191), or an ICMPv6 Packet Too Big: lower the path
    // MTU, then the effective MSS. RFC 8201 §4: an IPv6 node "MUST NOT reduce its
    // estimate of the Path MTU below the IPv6 minimum link MTU" (1280).
    // An IPv4 next-hop MTU below 68 is bogus and ignored.
    if (tuple_.remote.addr.is_v4() && mtu < 68) return;
    const std::uint16_t before = path_mtu_;
    lower_path_mtu(mtu);
    if (path_mtu_ < before) {
      snd_nxt_ = snd_una_;  // resend what was too big
      output(now);
    }
    return;
  }
  // Codes 9, 10, 13 (RFC 1812 §5.2.7.1): communication administratively prohibited.
  // RFC 1122 §4.2.3.9 leaves them open; Linux and FreeBSD abort a connection attempt
  // on them (a firewall will not change its mind within the SYN retries) and treat
  // them as soft errors otherwise, and so does synack.
  const bool hard = kind == ConnError::ProtocolUnreachable || kind == ConnError::PortUnreachable ||
                    kind == ConnError::AdminProhibited;
  if (type == unreach && hard && handshake) {
    // "Destination Unreachable -- codes 2-4. These are hard error conditions, so TCP
    // implementations SHOULD abort the connection (SHLD-26)"; as RFC 5461 advises,
    // only while the connection is being established.
    terminate(Rule::rfc9293_3_9_2_2_icmp_hard_error, kind, now);
    output(now);
    return;
  }
  // "Destination Unreachable -- codes 0, 1, 5 ... Since these Unreachable messages
  // indicate soft error conditions, a TCP implementation MUST NOT abort the connection
  // (MUST-56), and it SHOULD make the information available to the application
  // (SHLD-25)." Time Exceeded and Parameter Problem are treated the same way.
  if (type == unreach || type == static_cast<std::uint8_t>(wire::IcmpType::TimeExceeded) ||
      type == static_cast<std::uint8_t>(wire::IcmpType::ParameterProblem)) {
    soft_error_ = kind;
  }
}

}  // namespace synack::tcp
