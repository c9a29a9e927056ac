// Segment arrival, RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (other states), one
// function per step. Each step returns a Step; output() sends whatever results.
#include <algorithm>

#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
constexpr std::uint8_t kMaxWscale = 14;  // RFC 7323 §2.3
}  // namespace

void Tcb::on_segment(const wire::TcpRepr& in, Instant now, wire::Ecn ecn) {
  ++segs_in_;
  last_rcv_at_ = now;
  if (!in.payload.empty()) last_data_rcvd_ms_ = stamp_ms(now);
  keepalive_sent_ = 0;
  Seg seg{in.seq,         in.ack,    in.flags.syn(), in.flags.ack(), in.flags.rst(), in.flags.fin(),
          in.flags.urg(), in.urgent, in.window,      in.payload,     &in.options};
  seg.ece = in.flags.bits & wire::TcpFlags::kEce;
  seg.cwr = in.flags.bits & wire::TcpFlags::kCwr;
  seg.ecn = ecn;
  switch (state_) {
    case State::Closed:
    case State::Listen:
      return;  // the TcpProtocol answers these (§3.10.7.1, §3.10.7.2)
    case State::SynSent:
      on_syn_sent(seg, now);
      break;
    default:
      if (!predicted(seg, now)) on_synchronized(seg, now);
      break;
  }
  output(now);
}

// Header prediction (Van Jacobson's fast path, as 4.4BSD's tcp_input and Linux's
// tcp_rcv_established): on an ESTABLISHED connection where nothing unusual is going on
// (no recovery, nothing held out of order, no FIN seen), the two commonest segments
// skip the checks that cannot fire for them and run the very steps the full §3.10.7.4
// processing would run, in its order — the same state, the same segments out:
//   - a pure ACK of new data at RCV.NXT (we are sending): the fifth step's ACK
//     processing, then TS.Recent;
//   - the next in-order data while nothing of ours is in flight (we are receiving):
//     the window update, TS.Recent, ECN, delivery. Its ACK field repeats SND.UNA, which
//     the fifth step would find changes nothing (no duplicate without a flight, no loss
//     state that a no-news ACK could move).
// Anything else — flags beyond ACK/PSH, SACK blocks, a timestamp PAWS would look at
// twice, data that does not fit the window — takes the full path.
bool Tcb::predicted(const Seg& seg, Instant now) {
  if (state_ != State::Established || !ctx_.config.header_prediction) return false;
  if (!seg.ack_flag || seg.syn || seg.rst || seg.fin || seg.urg || seg.ece || seg.cwr) return false;
  if (seg.seq != rcv_nxt_ || seg.opts->sack_count != 0 || peer_fin_seq_) return false;
  // RFC 7323 PAWS (the first check): a timestamp that is there and not older.
  if (ts_ok_ && (!seg.opts->timestamps ||
                 static_cast<std::int32_t>(seg.opts->timestamps->tsval - ts_recent_) < 0 ||
                 !ts_recent_valid(now)))
    return false;
  if (sack_recovery_ || rto_recovery_ || recovery_.active()) return false;
  if (loss_ && !loss_->ooo_.empty()) return false;
  if (seg.data.empty()) {
    // SND.UNA < SEG.ACK =< SND.MAX: acceptable, new (the sequence test passes at RCV.NXT
    // whatever the window; the RFC 5961 range holds above SND.UNA).
    if (!seq_gt(seg.ack, snd_una_) || seq_gt(seg.ack, snd_max_)) return false;
    ++ctx_.stats.predicted_acks;
    accept_ack(seg, now);
    update_ts_recent(seg, now);
    return true;
  }
  // Data: all of it inside the window (nothing to trim), nothing of ours in flight and
  // an ACK that says so, and no loss-recovery state that an ACK could still move.
  if (seg.data.size() > rcv_wnd() || seg.ack != snd_una_ || flight() != 0 || user_closed_)
    return false;
  if (loss_ && (loss_->frto_ != Frto::Off || loss_->tlp_end_ || loss_->cc_undo_ ||
                loss_->rack_.advanced() || loss_->rack_.has_clean_rtt()))
    return false;
  ++ctx_.stats.predicted_data;
  update_send_window(seg);
  update_ts_recent(seg, now);
  ecn_on_arrival(seg);
  deliver_in_order(seg.data, now);
  return true;
}

void Tcb::process_syn_options(const wire::TcpOptions& o) {
  // MUST-15: "If an MSS Option is not received at connection setup, TCP
  // implementations MUST assume a default send MSS of 536 (576 - 40) for IPv4 or 1220
  // (1280 - 60) for IPv6".
  const std::uint16_t default_mss = tuple_.remote.addr.is_v4() ? 536 : 1220;
  snd_mss_ = o.mss.value_or(default_mss);
  if (snd_mss_ == 0) snd_mss_ = default_mss;
  // RFC 7323 §2.2: window scaling is used only if both SYNs carry the option; a
  // SYN,ACK may carry it only if the SYN did (so on a SYN,ACK we offered it).
  syn_offered_ws_ = o.window_scale.has_value();
  wscale_ok_ = ctx_.config.window_scaling && syn_offered_ws_;
  if (wscale_ok_) {
    // "If a Window Scale option is received with a shift.cnt value larger than 14,
    // the TCP SHOULD log the error but MUST use 14 instead" (§2.3).
    snd_wscale_ = std::min(*o.window_scale, kMaxWscale);
  } else {
    snd_wscale_ = 0;
    rcv_wscale_ = 0;
  }
  syn_offered_ts_ = o.timestamps.has_value();
  ts_ok_ = ctx_.config.timestamps && syn_offered_ts_;
  // RFC 2018 §2: SACK only if both SYNs carried SACK-permitted (ours only when the
  // peer's did, on a SYN,ACK).
  sack_permitted_ = o.sack_permitted;
  sack_ok_ = ctx_.config.sack && sack_permitted_;
  set_eff_mss();
}

void Tcb::queue_reset_reply(SeqNum seq, std::optional<SeqNum> ack) {
  extra_w().rst_reply_ = RstReply{seq, ack};
}

void Tcb::queue_syn_text(Bytes text, bool fin) {
  // §3.10.7.2 (LISTEN): "any other control or text should be queued for processing
  // later"; §3.10.7.3 (SYN-SENT, SYN without ACK): "If there are other controls or
  // text in the segment, queue them for processing after the ESTABLISHED state has
  // been reached". The text is held like out-of-order data at RCV.NXT (the SYN,ACK
  // acknowledges only the SYN) and handed over by deliver_queued_text().
  // A FIN on the SYN is a control queued the same way: it counts (eighth step) once the
  // text before it has been delivered, if all of that text was kept.
  const std::size_t fits = std::min(text.size(), rcv_buf_.free());
  bool kept = fits == text.size();
  if (fits > 0) {
    if (loss_w().ooo_.add(rcv_nxt_, rcv_nxt_ + static_cast<std::uint32_t>(fits))) {
      rcv_buf_.write_at(0, text.first(fits));
    } else {
      kept = false;
    }
  }
  if (fin && kept) peer_fin_seq_ = rcv_nxt_ + static_cast<std::uint32_t>(text.size());
}

void Tcb::deliver_queued_text() {
  if (loss().ooo_.empty()) return;
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return;
  // Only text queued at RCV.NXT (a SYN's) is contiguous here: process_text pops every
  // interval that in-order data reaches.
  const auto end = loss_w().ooo_.pop_contiguous(rcv_nxt_);
  if (!end || *end == rcv_nxt_) return;
  const auto n = static_cast<std::uint32_t>(*end - rcv_nxt_);
  rcv_buf_.commit(n);
  rcv_nxt_ = *end;
  loss_w().ooo_.discard_before(rcv_nxt_);
  bytes_in_ += n;
  push_event(EventKind::Readable);
  ack_now_ = true;  // RFC 5681 §4.2: the held text filled the gap at RCV.NXT
}

// ---------------------------------------------------------------- §3.10.7.3 SYN-SENT
void Tcb::on_syn_sent(const Seg& seg, Instant now) {
  bool ack_acceptable = false;
  if (seg.ack_flag) {
    // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is
    // set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>"
    if (seq_le(seg.ack, iss_) || seq_gt(seg.ack, snd_max_)) {
      if (!seg.rst) queue_reset_reply(seg.ack, std::nullopt);
      ++extra_w().counts.dropped_segs;
      return;
    }
    // "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
    ack_acceptable = seq_lt(snd_una_, seg.ack);
  }
  if (seg.rst) {
    // "If the ACK was acceptable, then signal to the user 'error: connection reset',
    // drop the segment, enter CLOSED state, delete TCB, and return. Otherwise (no
    // ACK), drop the segment and return." (RFC 5961 §3: the ACK must ack the SYN.)
    if (ack_acceptable) {
      terminate(Rule::rfc9293_3_10_7_3_syn_sent_rst, ConnError::Refused, now);
    } else {
      ++extra_w().counts.dropped_segs;
    }
    return;
  }
  // Third: security (no IP security compartments in this stack).
  if (!seg.syn) {
    // Fifth: "If neither of the SYN or RST bits is set, then drop the segment and return."
    ++extra_w().counts.dropped_segs;
    return;
  }
  // Fourth: "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ."
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  // RCV.WND is the window our SYN offered (unscaled, RFC 7323 §2.2; nothing has been
  // received since). Not RCV.NXT alone: until our ACK went out that made a zero window,
  // and segments arriving in the same batch as the SYN,ACK (a Fast Open server's
  // response right behind it, as Linux sends it) were dropped as outside the window.
  rcv_adv_ = rcv_nxt_ + static_cast<std::uint32_t>(std::min<std::size_t>(rcv_buf_.free(), 0xffff));
  process_syn_options(*seg.opts);
  if (ts_ok_) {
    ts_recent_ = seg.opts->timestamps->tsval;
    ts_recent_at_ = now;
  }
  snd_wnd_ = max_snd_wnd_ = seg.wnd;  // a SYN's window is not scaled
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  if (ack_acceptable) {
    ecn_on_syn(seg.ece, seg.cwr);  // RFC 3168 §6.1.1: an ECN-setup SYN-ACK?
    // "SND.UNA should be advanced to equal SEG.ACK ... If SND.UNA > ISS (our SYN has
    // been ACKed), change the connection state to ESTABLISHED, form an ACK segment
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
    syn_acked(seg, now);
    tfo_on_syn_ack(seg);  // RFC 7413: cache the cookie; data not acked is resent
    transition(State::Established, Rule::rfc9293_3_10_7_3_syn_sent_syn_ack, now);
    push_event(EventKind::Connected);
    if (fin_queued_) transition(State::FinWait1, Rule::rfc9293_3_10_4_close_established, now);
    ack_now_ = true;
    // "Data or controls that were queued for transmission MAY be included. If there
    // are other controls or text in the segment, then continue processing at the
    // sixth step below where the URG bit is checked".
    Seg rest = seg;
    rest.seq = seg.seq + 1;
    rest.syn = false;
    if (process_urg(rest) != Step::Continue) return;
    if (process_text(rest, now) != Step::Continue) return;
    (void)check_fin(rest, now);
    return;
  }
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>
  // <CTL=SYN,ACK> and send it." (simultaneous open, MUST-10). "If there are other
  // controls or text in the segment, queue them for processing after the ESTABLISHED
  // state has been reached, return."
  queue_syn_text(seg.data, seg.fin);
  snd_nxt_ = iss_;  // output() (re)sends our SYN, now with ACK
  transition(State::SynReceived, Rule::rfc9293_3_10_7_3_syn_sent_syn, now);
}

// ----------------------------------------------------------- §3.10.7.4 other states
void Tcb::on_synchronized(Seg seg, Instant now) {
  const Seg original = seg;
  Step s = check_paws(seg, now);
  if (s == Step::Continue) s = check_sequence(seg);
  if (s == Step::Continue) s = check_rst(seg, now);
  // Third: security — nothing to check.
  if (s == Step::Continue) s = check_syn(seg, now);
  if (s == Step::Continue) s = check_ack(seg, now);
  // RFC 7323 §4.3 (2) only once the segment's ACK has been accepted (as Linux, whose
  // tcp_ack replaces TS.Recent after validating the ACK): a segment dropped by the
  // RST, SYN or ACK checks never moves TS.Recent, so one forged in-window segment
  // with a huge TSval cannot make PAWS drop the peer's real segments.
  if (s == Step::Continue) update_ts_recent(original, now);
  if (s == Step::Continue) ecn_on_arrival(seg);  // RFC 3168 §6.1.3: CE and CWR
  if (s == Step::Continue) s = process_urg(seg);
  if (s == Step::Continue) s = process_text(seg, now);
  if (s == Step::Continue) s = check_fin(seg, now);
  if (s == Step::Continue && !loss().ooo_.empty()) {
    // Text that arrived on the SYN, now that the connection is ESTABLISHED; a FIN
    // already seen right after it then counts too.
    deliver_queued_text();
    s = check_fin(seg, now);
  }
  switch (s) {
    case Step::DropAndAck:
      ack_now_ = true;
      [[fallthrough]];
    case Step::Drop:
      ++extra_w().counts.dropped_segs;
      break;
    case Step::Continue:
    case Step::Closed:
      break;
  }
}

Tcb::Step Tcb::check_paws(const Seg& seg, Instant now) {
  if (!ts_ok_ || seg.rst) return Step::Continue;
  // RFC 7323 §3.2: "If a non-<RST> segment is received without a TSopt, a TCP SHOULD
  // silently drop the segment."
  if (!seg.opts->timestamps) return Step::Drop;
  // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving segment,
  // SEG.TSval < TS.Recent, and if TS.Recent is valid, then treat the arriving segment
  // as not acceptable: Send an acknowledgment in reply ... and drop the segment."
  const auto tsval = seg.opts->timestamps->tsval;
  if (ts_recent_valid(now) && static_cast<std::int32_t>(tsval - ts_recent_) < 0)
    return Step::DropAndAck;
  return Step::Continue;
}

Tcb::Step Tcb::check_sequence(Seg& seg) {
  // First: "check sequence number". The acceptability test (§3.10.7.4 table):
  //   len 0, wnd 0: SEG.SEQ = RCV.NXT
  //   len 0, wnd>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
  //   len>0, wnd 0: not acceptable
  //   len>0, wnd>0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or
  //                 RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
  if (state_ == State::SynReceived && seg.syn && seg.ack_flag && seg.seq == irs_) {
    // Simultaneous open (§3.5 Figure 8, line 6): the peer's SYN,ACK repeats the SYN we
    // already hold; its SYN lies before RCV.NXT, so only its ACK is new.
    seg.syn = false;
    seg.seq = irs_ + 1;
  }
  const std::uint32_t wnd = rcv_wnd();
  const std::uint32_t len = seg.len();
  bool ok;
  if (len == 0) {
    ok = wnd == 0 ? seg.seq == rcv_nxt_ : in_window(seg.seq, rcv_nxt_, wnd);
  } else if (wnd == 0) {
    // MUST-66 / "special allowance should be made to accept valid ACKs, URGs, and
    // RSTs": a segment at RCV.NXT is processed with its text trimmed away.
    ok = seg.seq == rcv_nxt_;
  } else {
    ok = in_window(seg.seq, rcv_nxt_, wnd) || in_window(seg.seq + (len - 1), rcv_nxt_, wnd);
  }
  if (!ok) {
    // TIME-WAIT: "The only thing that can arrive in this state is a retransmission of
    // the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
    if (state_ == State::TimeWait && seg.fin && !seg.rst && seg.seq + len == rcv_nxt_) {
      timers_.set(Timer::TimeWait, last_rcv_at_ + 2 * ctx_.config.msl);
    }
    // RFC 2883 §4.1.1: text that was all received before is reported as a D-SACK.
    const SeqNum data_start = seg.seq + (seg.syn ? 1u : 0u);
    const SeqNum data_end = data_start + static_cast<std::uint32_t>(seg.data.size());
    if (!seg.rst && !seg.data.empty() && seq_le(data_end, rcv_nxt_)) {
      note_duplicate(data_start, data_end);
    }
    // "If an incoming segment is not acceptable, an acknowledgment should be sent in
    // reply (unless the RST bit is set, if so drop the segment and return)".
    return seg.rst ? Step::Drop : Step::DropAndAck;
  }
  // "segments with higher beginning sequence numbers SHOULD be held" — trim to the
  // window: text before RCV.NXT (already received) and beyond RCV.NXT+RCV.WND.
  if (seq_lt(seg.seq, rcv_nxt_)) {
    std::uint32_t cut = static_cast<std::uint32_t>(rcv_nxt_ - seg.seq);
    if (seg.syn) {
      seg.syn = false;
      --cut;
      seg.seq += 1;
    }
    cut = std::min<std::uint32_t>(cut, static_cast<std::uint32_t>(seg.data.size()));
    // RFC 2883 §4.1.1: the part received before is a duplicate (D-SACK).
    if (cut > 0 && !seg.rst) note_duplicate(seg.seq, seg.seq + cut);
    seg.data = seg.data.subspan(cut);
    seg.seq += cut;
    if (seg.urg && seg.up <= cut)
      seg.urg = false;
    else if (seg.urg)
      seg.up = static_cast<std::uint16_t>(seg.up - cut);
  }
  const SeqNum right = rcv_nxt_ + wnd;
  const SeqNum data_start = seg.seq + (seg.syn ? 1u : 0u);
  const std::uint32_t room =
      seq_lt(data_start, right) ? static_cast<std::uint32_t>(right - data_start) : 0;
  if (seg.data.size() > room) {
    seg.data = seg.data.first(room);
    seg.fin = false;  // the FIN lies beyond the window
    ack_now_ = true;
  }
  return Step::Continue;
}

Tcb::Step Tcb::check_rst(const Seg& seg, Instant now) {
  if (!seg.rst) return Step::Continue;
  // RFC 1337 §3 (F1): "Ignore RST segments in TIME-WAIT state" — an old duplicate RST
  // must not end TIME-WAIT early (hazard H1, TIME-WAIT assassination). On by default,
  // as FreeBSD (Linux: net.ipv4.tcp_rfc1337); TcpConfig::rfc1337 = false follows
  // RFC 9293's second step below.
  if (state_ == State::TimeWait && ctx_.config.rfc1337) {
    ++ctx_.stats.rst_ignored_time_wait;
    return Step::Drop;
  }
  // RFC 5961 §3.2: "If the RST bit is set and the sequence number exactly matches the
  // next expected sequence number (RCV.NXT), then TCP MUST reset the connection" ...
  // "Otherwise (the sequence number does not exactly match RCV.NXT but is within
  // the window), TCP MUST send an acknowledgment (challenge ACK)".
  // (InsecureOptions::no_rfc5961: RFC 793 resets on any RST inside the window.)
  if (seg.seq != rcv_nxt_ && !ctx_.config.insecure.no_rfc5961) {
    return challenge_ack(ctx_.stats.challenge_acks_rst, now);
  }
  ++ctx_.stats.rst_accepted;
  switch (state_) {
    case State::SynReceived:
      // "If this connection was initiated with a passive OPEN (i.e., came from the
      // LISTEN state), then return this connection to LISTEN state and return." Our
      // listener still exists, so the embryonic connection is simply deleted.
      if (passive_open_) {
        terminate(Rule::rfc9293_3_10_7_4_rst_syn_received_passive, ConnError::Reset, now);
      } else {
        // "If this connection was initiated with an active OPEN ... the user should
        // be informed with 'connection refused'."
        terminate(Rule::rfc9293_3_10_7_4_rst_syn_received_active, ConnError::Refused, now);
      }
      return Step::Closed;
    case State::Established:
    case State::FinWait1:
    case State::FinWait2:
    case State::CloseWait:
      // "any outstanding RECEIVEs and SEND should receive 'reset' responses ...
      // Users should also receive an unsolicited general 'connection reset' signal.
      // Enter the CLOSED state, delete the TCB, and return."
      terminate(Rule::rfc9293_3_10_7_4_rst, ConnError::Reset, now);
      return Step::Closed;
    default:
      // CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete the TCB, and return."
      terminate(Rule::rfc9293_3_10_7_4_rst, std::nullopt, now);
      return Step::Closed;
  }
}

Tcb::Step Tcb::check_syn(const Seg& seg, Instant now) {
  if (!seg.syn) return Step::Continue;
  if (ctx_.config.insecure.no_rfc5961) {
    // RFC 793 p.71: "If the SYN is in the window it is an error, send a reset, any
    // outstanding RECEIVEs and SEND should receive "reset" responses ... enter the
    // CLOSED state" — what RFC 5961 §4 replaced, because a blind SYN kills.
    queue_reset_reply(snd_nxt_, std::nullopt);
    terminate(Rule::rfc793_syn_in_window, ConnError::Reset, now);
    return Step::Closed;
  }
  // RFC 5961 §4.2 (adopted by §3.10.7.4 fourth step): "If the SYN bit is set,
  // irrespective of the sequence number, TCP endpoints MUST send a 'challenge ACK'
  // to the remote peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the
  // acknowledgment, TCP implementations MUST drop the unacceptable segment".
  return challenge_ack(ctx_.stats.challenge_acks_syn, now);
}

Tcb::Step Tcb::challenge_ack(std::uint64_t& counter, Instant now) {
  // RFC 5961 §7: "An implementation SHOULD include an ACK throttling mechanism";
  // over the limit the segment is still dropped, only the ACK is not sent.
  if (!ctx_.challenge_limit.allow(now)) {
    ++ctx_.stats.challenge_acks_limited;
    return Step::Drop;
  }
  ++counter;
  ++extra_w().counts.challenge_acks;
  return Step::DropAndAck;
}

Tcb::Step Tcb::check_ack(const Seg& seg, Instant now) {
  // Fifth: "if the ACK bit is off, drop the segment and return".
  if (!seg.ack_flag) return Step::Drop;
  if (state_ == State::SynReceived) {
    const Step s = check_ack_syn_received(seg, now);
    if (s != Step::Continue) return s;
  }
  // RFC 5961 §5.2 (MAY-12): "(SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT" else
  // "the ACK value is considered unacceptable" — send a challenge ACK and drop.
  // (InsecureOptions::no_rfc5961: RFC 793's "If the ACK is a duplicate (SEG.ACK <
  // SND.UNA), it can be ignored" — and the text is processed: blind injection.)
  if (seq_lt(seg.ack, snd_una_ - max_snd_wnd_) && !ctx_.config.insecure.no_rfc5961) {
    return challenge_ack(ctx_.stats.challenge_acks_ack, now);
  }
  // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK,
  // drop the segment, and return." (SND.NXT here is the highest ever sent.)
  if (seq_gt(seg.ack, snd_max_)) return Step::DropAndAck;
  accept_ack(seg, now);

  switch (state_) {
    case State::FinWait1:
      // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
      if (fin_acked()) transition(State::FinWait2, Rule::rfc9293_3_10_7_4_fin_wait_1_ack, now);
      break;
    case State::Closing:
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state".
      if (fin_acked()) enter_time_wait(now, Rule::rfc9293_3_10_7_4_closing_ack);
      break;
    case State::LastAck:
      // "If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".
      if (fin_acked()) {
        terminate(Rule::rfc9293_3_10_7_4_last_ack_ack, std::nullopt, now);
        return Step::Closed;
      }
      break;
    case State::TimeWait:
      // "The only thing that can arrive in this state is a retransmission of the remote
      // FIN. Acknowledge it, and restart the 2 MSL timeout." (the eighth step says the
      // same of a FIN). As Linux, a bare ACK exactly at RCV.NXT only restarts the timer:
      // answering it would let two ends in TIME-WAIT acknowledge each other forever.
      timers_.set(Timer::TimeWait, now + 2 * ctx_.config.msl);
      if (seg.len() > 0 || seg.seq != rcv_nxt_) ack_now_ = true;
      break;
    default:
      break;
  }
  return Step::Continue;
}

void Tcb::accept_ack(const Seg& seg, Instant now) {
  // RFC 2018 §5: the SACK blocks of an acceptable ACK go to the scoreboard first.
  const std::uint32_t rtt_samples = rtt_.samples();
  const std::uint32_t newly_sacked = take_sack_blocks(seg, now);
  const SeqNum una_before = snd_una_;
  if (seq_gt(seg.ack, snd_una_)) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK."
    process_new_ack(seg, now);
  } else if (seg.ack == snd_una_) {
    process_dup_ack(seg, now);
  }
  if (sack_ok_ && loss_) {
    // (No loss state: nothing but the SYN was ever sent, there is nothing to judge.)
    // Without timestamps one segment at a time is timed, and none across a timeout
    // (Karn) — after a loss the timer can stay backed off for long. Every segment
    // sent once and now delivered, SACKed or acknowledged, is a clean sample too
    // (RFC 6298 §3 leaves the choice open; Linux takes one an ACK from the SACK
    // scoreboard, its sack_rtt).
    const auto clean = loss_w().rack_.take_clean_rtt();
    if (clean && !ts_ok_ && rtt_.samples() == rtt_samples) rtt_.sample(*clean);
    sack_after_ack(static_cast<std::uint32_t>(snd_una_ - una_before), newly_sacked, now);
  }
  // RFC 3168 §6.1.2: ECE is a congestion signal (after loss recovery has had its say).
  if (ecn_ok_ && seg.ece) ecn_on_ece(static_cast<std::uint32_t>(snd_max_ - una_before), now);
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated."
  if (seq_le(snd_una_, seg.ack)) update_send_window(seg);
}

void Tcb::syn_acked(const Seg& seg, Instant now) {
  // Our SYN is acknowledged (SYN-SENT on a SYN,ACK, SYN-RECEIVED on an ACK): advance
  // SND.UNA, stop the SYN's retransmission timer; after a SYN timeout RFC 6298 §5.7
  // sets RTO back to 3 s for data (RttEstimator::restart_after_syn_timeout).
  rtt_sample_on_ack(seg, now);
  snd_una_ = seg.ack;
  // RFC 7413: the ACK may cover data too (sent on our SYN, or by a Fast Open server
  // in SYN-RECEIVED): it leaves the send buffer.
  if (const SeqNum to = seq_min(snd_una_, data_end()); seq_gt(to, snd_buf_seq_)) {
    snd_buf_.consume(static_cast<std::uint32_t>(to - snd_buf_seq_));
    snd_buf_seq_ = to;
  }
  if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
  if (sack_ok_ && loss_) {
    // ... and what it covers is delivered: the transmission log and the scoreboard
    // must not keep it (a retransmission from there would read below the buffer).
    // (Without loss state nothing was logged: nothing to do.)
    loss_->rack_.on_cumulative_ack(snd_una_, now);
    loss_->board_.advance(snd_una_);
  }
  timers_.cancel(Timer::Retransmit);
  if (rto_count_ > 0) rtt_.restart_after_syn_timeout();
  rto_count_ = 0;
}

Tcb::Step Tcb::check_ack_syn_received(const Seg& seg, Instant now) {
  // SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
  // continue processing with the variables below set to: SND.WND <- SEG.WND,
  // SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment acknowledgment is not
  // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it."
  if (!(seq_lt(snd_una_, seg.ack) && seq_le(seg.ack, snd_max_))) {
    queue_reset_reply(seg.ack, std::nullopt);
    return Step::Drop;
  }
  syn_acked(seg, now);
  rtx_epoch_ = now;
  snd_wnd_ = static_cast<std::uint32_t>(seg.wnd) << snd_wscale_;
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  transition(State::Established, Rule::rfc9293_3_10_7_4_syn_received_ack, now);
  if (passive_open_) {
    accept_ready_ = true;
  } else {
    push_event(EventKind::Connected);
  }
  if (fin_queued_) transition(State::FinWait1, Rule::rfc9293_3_10_4_close_established, now);
  return Step::Continue;
}

void Tcb::rtt_sample_on_ack(const Seg& seg, Instant now) {
  // RFC 7323 §4.1 RTTM: the RTT sample is the current time minus TSecr of an ACK
  // that acknowledges new data (works for retransmissions too).
  if (ts_ok_ && seg.opts->timestamps && seg.opts->timestamps->tsecr != 0) {
    const std::uint32_t tsecr = seg.opts->timestamps->tsecr;
    // Karn's rule carried over to timestamps: an echo older than our last timeout
    // names a transmission from before the retransmission, and the peer may have
    // held it across the loss (its TS.Recent only moves in order) — no sample.
    if (loss().rto_ts_floor_ && static_cast<std::int32_t>(tsecr - *loss().rto_ts_floor_) < 0)
      return;
    const std::uint32_t ms = ts_now(now) - tsecr;
    if (ms < 0x7fffffffu) rtt_.sample(std::chrono::milliseconds(ms));
    return;
  }
  // Otherwise time one segment at a time; Karn: rtt_seq_ is cleared on retransmission.
  if (rtt_seq_ && seq_ge(seg.ack, *rtt_seq_)) {
    rtt_.sample(now - rtt_sent_at_);
    rtt_seq_.reset();
  }
}

void Tcb::process_new_ack(const Seg& seg, Instant now) {
  const std::uint32_t acked = static_cast<std::uint32_t>(seg.ack - snd_una_);
  const std::uint32_t flight_before = flight();
  const std::uint32_t rtt_samples = rtt_.samples();
  rtt_sample_on_ack(seg, now);
  // "Any segments on the retransmission queue that are thereby entirely
  // acknowledged are removed."
  const SeqNum data_acked_to = seq_min(seg.ack, data_end());
  if (seq_gt(data_acked_to, snd_buf_seq_)) {
    const auto n = static_cast<std::uint32_t>(data_acked_to - snd_buf_seq_);
    snd_buf_.consume(n);
    snd_buf_seq_ += n;
  }
  snd_una_ = seg.ack;
  if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
  plpmtud_on_ack(now);
  if (snd_up_valid_ && seq_ge(snd_una_, snd_up_)) snd_up_valid_ = false;
  if (small_unacked_end_ && seq_ge(snd_una_, *small_unacked_end_)) small_unacked_end_.reset();
  if (loss().eifel_tsval_) {
    // RFC 3522 §2 Eifel detection: the first ACK of new data after a timeout echoes a
    // TSval older than the retransmission's — the original arrived and the timeout was
    // needless. RFC 4015 §3 response: undo the reduction and carry on with new data
    // (SND.NXT back to SND.MAX) instead of sending everything again.
    const bool older =
        seg.opts->timestamps && seg.opts->timestamps->tsecr != 0 &&
        static_cast<std::int32_t>(seg.opts->timestamps->tsecr - *loss().eifel_tsval_) < 0;
    if (loss_) loss_->eifel_tsval_.reset();
    if (older && loss().cc_undo_) undo_spurious_timeout(seg.ack);
  }
  // RFC 6298 (5.3): "When an ACK is received that acknowledges new data, restart the
  // retransmission timer"; the R1/R2 measurement restarts too.
  timers_.cancel(Timer::Retransmit);
  rto_count_ = 0;
  rtx_epoch_ = now;
  if (sack_ok_) {
    loss_w().rack_.on_cumulative_ack(snd_una_, now);
    if (rtt_.samples() != rtt_samples) loss_w().rack_.on_rtt_sample(rtt_.latest());
    timers_.cancel(Timer::Probe);  // RFC 8985 §7.2: re-armed from this ACK (update_timers)
    if (loss_) loss_->pto_spent_ = false;
  }
  if (sack_recovery_) {
    // RFC 6937: the window does not grow during recovery (sack_after_ack decides).
  } else if (recovery_.active()) {
    if (seq_ge(seg.ack, recover_)) {
      recovery_.exit();
      cc_.on_recovery_exit(flight());  // RFC 6582 §3.2 step 6
    } else {
      // RFC 6582 §3.2 step 5: partial ACK — retransmit the first unacknowledged segment.
      recovery_.on_partial_ack(acked, eff_mss_);
      fast_rtx_ = true;
    }
  } else if (!(ecn_ok_ && seg.ece)) {
    // RFC 3168 §6.1.2: "The sending TCP SHOULD NOT increase the congestion window in
    // response to the receipt of an ECN-Echo ACK packet."
    AckSample a{acked, flight_before, snd_una_, snd_max_, std::nullopt, rtt_.srtt(), now};
    if (rtt_.samples() != rtt_samples) a.rtt = rtt_.latest();  // for HyStart++
    cc_.on_ack(a);
  }
  dupacks_ = 0;
  if (writable_blocked_ && snd_buf_.free() > 0) {
    writable_blocked_ = false;
    push_event(EventKind::Writable);
  }
}

void Tcb::process_dup_ack(const Seg& seg, Instant now) {
  // RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": outstanding data, no data, no SYN/FIN,
  // acknowledges SND.UNA, advertises the same window.
  // A zero window is no sign of loss: answers to window probes are not counted.
  const bool dup = flight() > 0 && snd_wnd_ > 0 && seg.data.empty() && !seg.syn && !seg.fin &&
                   (static_cast<std::uint32_t>(seg.wnd) << snd_wscale_) == snd_wnd_;
  if (!dup) return;
  ++extra_w().counts.dup_acks_in;
  ++dupacks_;
  if (sack_ok_) return;  // RFC 6675 decides from the scoreboard (sack_after_ack)
  if (recovery_.active()) {
    recovery_.on_dup_ack(eff_mss_);  // RFC 6582 §3.2 step 4
  } else if (dupacks_ == 3 && seq_gt(snd_una_, recover_)) {
    // RFC 6582 §3.2 step 2: "If three duplicate ACKs are received and ... the
    // Cumulative Acknowledgment field covers more than recover ... enter fast
    // retransmit"; record recover = highest sequence number transmitted.
    recover_ = snd_max_;
    cc_.on_congestion_event(flight(), now);
    recovery_.enter(cc_.ssthresh(), eff_mss_);  // step 3
    fast_rtx_ = true;
    ++extra_w().counts.fast_retransmits;
  }
}

void Tcb::update_send_window(const Seg& seg) {
  // "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set
  // SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
  if (seq_lt(snd_wl1_, seg.seq) || (snd_wl1_ == seg.seq && seq_le(snd_wl2_, seg.ack))) {
    // MUST-1: the window is an unsigned number; RFC 7323 §2.3 scales it.
    snd_wnd_ = static_cast<std::uint32_t>(seg.wnd) << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

bool Tcb::ts_recent_valid(Instant now) const {
  // RFC 7323 §5.5: "If the connection has been idle more than 24 days ... TS.Recent
  // is invalid" (the peer's 1 ms clock may have wrapped its sign bit).
  return now - ts_recent_at_ <= std::chrono::hours(24 * 24);
}

void Tcb::update_ts_recent(const Seg& seg, Instant now) {
  // RFC 7323 §5.3 R3: "If an arriving segment satisfies SEG.TSval >= TS.Recent and
  // SEG.SEQ =< Last.ACK.sent, then record its timestamp in TS.Recent."
  if (!ts_ok_ || !seg.opts->timestamps) return;
  const auto tsval = seg.opts->timestamps->tsval;
  const bool newer = static_cast<std::int32_t>(tsval - ts_recent_) >= 0 || !ts_recent_valid(now);
  if (newer && seq_le(seg.seq, last_ack_sent_)) {
    ts_recent_ = tsval;
    ts_recent_at_ = now;
  }
}

// ------------------------------------------------------------- SACK, receiving side
void Tcb::sack_note_arrival(SeqNum start, SeqNum end) {
  // RFC 2018 §4: "The first SACK block ... MUST specify the contiguous block of data
  // containing the segment which triggered this ACK"; the others repeat the most
  // recently reported blocks, so each block is sent in at least three ACKs.
  if (!sack_ok_) return;
  const auto held = loss().ooo_.find(start, end);
  if (!held) return;
  std::array<wire::SackBlock, 4> next{};
  std::uint8_t n = 0;
  next[n++] = wire::SackBlock{held->start, held->end};
  for (std::uint8_t i = 0; i < loss().sack_recent_n_ && n < next.size(); ++i) {
    const auto iv = loss().ooo_.find(loss().sack_recent_[i].left, loss().sack_recent_[i].right);
    if (!iv) continue;  // delivered in order since
    const wire::SackBlock b{iv->start, iv->end};
    if (std::find(next.begin(), next.begin() + n, b) == next.begin() + n) next[n++] = b;
  }
  loss_w().sack_recent_ = next;
  loss_w().sack_recent_n_ = n;
}

void Tcb::note_duplicate(SeqNum start, SeqNum end) {
  // RFC 2883 §4: the first block of the next ACK reports the duplicate; the ACK goes
  // at once (the segment was a retransmission the sender may have to undo).
  if (!sack_ok_) return;
  loss_w().dsack_ = wire::SackBlock{start, end};
  ack_now_ = true;
}

void Tcb::fill_sack_blocks(wire::TcpOptions& o) const {
  // The D-SACK block first (RFC 2883 §4), then the SACK blocks most recent first, each
  // as the held interval is now (it may have grown or merged since). The wire layer
  // sends as many as fit beside the other options (3 with timestamps, 4 without).
  std::uint8_t n = 0;
  if (loss().dsack_) o.sack_blocks[n++] = *loss().dsack_;
  for (std::uint8_t i = 0; i < loss().sack_recent_n_ && n < o.sack_blocks.size(); ++i) {
    const auto iv = loss().ooo_.find(loss().sack_recent_[i].left, loss().sack_recent_[i].right);
    if (!iv) continue;
    const wire::SackBlock b{iv->start, iv->end};
    const auto from = o.sack_blocks.begin() + (loss().dsack_ ? 1 : 0);
    if (std::find(from, o.sack_blocks.begin() + n, b) == o.sack_blocks.begin() + n) {
      o.sack_blocks[n++] = b;
    }
  }
  o.sack_count = n;
}

// --------------------------------------------------------------- SACK, sending side
std::uint32_t Tcb::take_sack_blocks(const Seg& seg, Instant now) {
  if (!sack_ok_ || seg.opts->sack_count == 0) return 0;
  std::uint32_t newly = 0;
  const std::uint8_t n = std::min<std::uint8_t>(seg.opts->sack_count, 4);
  extra_w().counts.sack_blocks_in += n;
  const SeqNum una = seq_max(snd_una_, seg.ack);
  for (std::uint8_t i = 0; i < n; ++i) {
    const auto& b = seg.opts->sack_blocks[i];
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block,
    // reports a duplicate: one of our retransmissions was spurious.
    const bool dsack = i == 0 && (seq_le(b.right, seg.ack) ||
                                  (n > 1 && seq_le(seg.opts->sack_blocks[1].left, b.left) &&
                                   seq_le(b.right, seg.opts->sack_blocks[1].right)));
    if (dsack) {
      ++extra_w().counts.dsacks_in;
      // RFC 3708 §3: a D-SACK of a retransmission of this episode says it was needless
      // (each retransmitted range counts once).
      if (loss().cc_undo_ && loss().undo_rtx_left_ > 0) {
        const auto it = std::find_if(
            loss().undo_ranges_.begin(), loss().undo_ranges_.end(),
            [&](const auto& r) { return seq_le(r.start, b.left) && seq_le(b.right, r.end); });
        if (it != loss().undo_ranges_.end()) {
          loss_w().undo_ranges_.erase(it);
          --loss_w().undo_rtx_left_;
        }
      }
      // RFC 8985 §6.2 step 4: the path reorders (or a retransmission was needless):
      // widen the reordering window. §7.4.2: a D-SACK of the probe's data means the
      // probe repaired nothing.
      if (rack_enabled()) loss_w().rack_.on_dsack(snd_max_);
      if (loss().tlp_end_ && loss().tlp_is_retrans_ && seq_lt(b.left, *loss().tlp_end_) &&
          seq_gt(b.right, loss().tlp_start_))
        loss_w().tlp_dsacked_ = true;
      continue;
    }
    const std::uint32_t added = loss_w().board_.add(b.left, b.right, una, snd_max_);
    newly += added;
    // The segments the block covers are delivered (RFC 8985 §6.2 steps 2-3), as far as
    // the scoreboard took them (it refuses impossible blocks and past its bound).
    const SeqNum l = seq_max(b.left, una), r = seq_min(b.right, snd_max_);
    if (added > 0 && seq_lt(l, r) && loss_w().board_.covers(l, r))
      loss_w().rack_.on_sacked(l, r, now);
  }
  return newly;
}

std::uint32_t Tcb::sack_pipe() const {
  // RFC 6675 §4 SetPipe, by ranges: what was sent and is neither acknowledged, SACKed
  // nor marked lost and still waiting for its retransmission (as Linux's in_flight).
  const std::uint64_t gone =
      std::uint64_t{loss().board_.sacked_bytes()} + loss().rack_.lost_bytes();
  const std::uint32_t out = flight();
  return out > gone ? static_cast<std::uint32_t>(out - gone) : 0u;
}

void Tcb::detect_losses(bool timer, Instant now) {
  const std::uint64_t marked_before = loss().rack_.marked_lost();
  if (rack_enabled()) {
    // RFC 8985 §6.2 step 5 on an ACK that delivered something (RACK advanced), §6.3 on
    // the reordering timer.
    if (timer || loss().rack_.advanced()) {
      Duration wait{0};
      loss_w().rack_.detect_loss(now, rtt_.srtt(), sack_recovery_, wait);
      if (wait > Duration::zero()) {
        timers_.set(Timer::Reorder, now + wait);
      } else {
        timers_.cancel(Timer::Reorder);
      }
    }
  } else {
    // RFC 6675 §4 IsLost(): a hole is lost when DupThresh segments or ranges are SACKed
    // above it.
    if (const auto upto = loss_w().board_.lost_upto(snd_una_, eff_mss_))
      loss_w().rack_.mark_lost_below(*upto);
    // RFC 6675 §5 (4): DupThresh duplicate ACKs name the first unacknowledged segment
    // lost whatever the SACK blocks say. (Not with RACK, as Linux: a path known to
    // reorder would make this rule resend what is only late; RACK's window is zero
    // at DupThresh SACKed segments on a path that does not.)
    if (dupacks_ >= 3) loss_w().rack_.mark_first_lost();
  }
  extra_w().counts.lost_segs_marked += loss().rack_.marked_lost() - marked_before;
}

void Tcb::enter_sack_recovery(Instant now) {
  sack_recovery_ = true;
  recover_ = snd_max_;  // RecoveryPoint = HighData
  loss_w().recover_fs_ = flight();
  if (loss_) loss_->prr_delivered_ = 0;
  if (loss_) loss_->prr_out_ = 0;
  arm_undo();
  cc_.on_congestion_event(flight(), now);
  // RFC 6675 §5 (4.3): retransmit the first lost segment at once, whatever PRR says.
  loss_w().prr_budget_ = eff_mss_;
  if (loss_w().tlp_end_) loss_w().tlp_recovered_ = true;
  ++extra_w().counts.fast_retransmits;
  ++extra_w().counts.sack_recoveries;
}

void Tcb::sack_after_ack(std::uint32_t acked, std::uint32_t newly_sacked, Instant now) {
  loss_w().board_.advance(snd_una_);
  if (loss().frto_ != Frto::Off) frto_after_ack(acked, newly_sacked);
  if (rto_recovery_ && seq_ge(snd_una_, recover_)) rto_recovery_ = false;
  tlp_after_ack(acked == 0 && newly_sacked == 0, now);
  if (sack_recovery_ && newly_sacked > 0) {
    // TcpConfig::recovery_probe: the probe timeout counts from the last ACK that
    // delivered something (a cumulative one re-arms it in check_ack).
    timers_.cancel(Timer::Probe);
    if (loss_) loss_->pto_spent_ = false;
  }
  detect_losses(false, now);
  if (sack_recovery_) {
    if (seq_ge(snd_una_, recover_)) {
      // RFC 6675 §5: recovery ends when the cumulative ACK covers RecoveryPoint;
      // RFC 6937: cwnd = ssthresh (the controller's exit rule).
      sack_recovery_ = false;
      if (loss_) loss_->prr_budget_ = 0;
      cc_.on_recovery_exit(flight());
      loss_w().rack_.on_recovery_exit();
      plpmtud_on_recovery_exit();
      try_undo_dsack();
      return;
    }
    loss_w().prr_budget_ =
        std::max<std::int64_t>(prr_sndcnt(std::uint64_t{acked} + newly_sacked), 0);
    return;
  }
  try_undo_dsack();
  // RFC 6675 §5 (4): enter loss recovery when a segment is marked lost; not again
  // before RecoveryPoint is acknowledged (a timeout's go-back-N repairs until then).
  if (flight() == 0 || seq_lt(snd_una_, recover_) || loss().rack_.lost_bytes() == 0) return;
  enter_sack_recovery(now);
  // RFC 6937 §3 runs "on every ACK starting or during fast recovery": the ACK that
  // starts it may let out more than the fast retransmission (RFC 6675's, sent
  // whatever PRR says) — often a new segment behind it, whose ACK still tells the
  // sender what arrived if the retransmission's own ACK is lost (a receiver that
  // compresses its SACKs, as Linux, sends few).
  loss_w().prr_budget_ =
      std::max<std::int64_t>(prr_sndcnt(std::uint64_t{acked} + newly_sacked), eff_mss_);
}

std::int64_t Tcb::prr_sndcnt(std::uint64_t delivered) {
  // RFC 6937 §3: the send quantity for this ACK.
  loss_w().prr_delivered_ += delivered;
  const std::uint64_t pipe = sack_pipe();
  const std::uint64_t ssthresh = cc_.ssthresh();
  if (pipe > ssthresh) {
    // Proportional rate reduction: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS)
    // - prr_out.
    const std::uint64_t fs = std::max<std::uint32_t>(loss().recover_fs_, 1);
    return static_cast<std::int64_t>((loss().prr_delivered_ * ssthresh + fs - 1) / fs) -
           static_cast<std::int64_t>(loss().prr_out_);
  }
  // Slow start reduction bound: limit = MAX(prr_delivered - prr_out, DeliveredData)
  // + MSS; sndcnt = MIN(ssthresh - pipe, limit).
  const std::int64_t limit =
      std::max<std::int64_t>(static_cast<std::int64_t>(loss().prr_delivered_ - loss().prr_out_),
                             static_cast<std::int64_t>(delivered)) +
      eff_mss_;
  return std::min<std::int64_t>(static_cast<std::int64_t>(ssthresh - pipe), limit);
}

void Tcb::arm_undo() {
  loss_w().cc_undo_ = cc_;
  if (loss_) loss_->undo_rtx_sent_ = 0;
  if (loss_) loss_->undo_rtx_left_ = 0;
  if (loss_) loss_->undo_ranges_.clear();
}

void Tcb::try_undo_dsack() {
  // RFC 3708 §3 (as Linux's undo_retrans): once recovery is over and a D-SACK has
  // come back for every retransmission it made, nothing was lost — the network only
  // reordered or delayed — and the reduction is undone.
  if (!loss().cc_undo_ || sack_recovery_ || rto_count_ > 0 || loss().undo_rtx_sent_ == 0 ||
      loss().undo_rtx_left_ > 0)
    return;
  ++extra_w().counts.spurious_recoveries;
  undo_reduction();
}

void Tcb::undo_spurious_timeout(SeqNum ack) {
  ++extra_w().counts.spurious_rtos;
  undo_reduction();
  snd_nxt_ = seq_max(snd_nxt_, snd_max_);
  loss_w().rack_.clear_lost();
  rto_recovery_ = false;
  frto_off();
  // No timeout recovery is under way any more: fast recovery may start again for what
  // is really lost in the window (as Linux returns to CA_Open).
  recover_ = ack;
}

void Tcb::frto_off() {
  loss_w().frto_ = Frto::Off;
  loss_w().rack_.stop_watching();
}

void Tcb::frto_after_ack(std::uint32_t acked, std::uint32_t newly_sacked) {
  // RFC 5682 §3, the SACK-enhanced F-RTO, on an ACK after the timeout's retransmission
  // of the first unacknowledged segment:
  const bool original = loss_w().rack_.take_original_delivered();
  if (!rto_recovery_ || !loss().cc_undo_) {  // Eifel undid it, or the recovery is over
    frto_off();
    return;
  }
  // Step 3b (and, as Linux, already on the first ACK): data sent before the timeout and
  // never resent was acknowledged or SACKed — the originals were only late. "Declare
  // the timeout spurious"; the response is RFC 4015's, as for Eifel.
  if (original) {
    undo_spurious_timeout(snd_una_);
    return;
  }
  if (loss().frto_ == Frto::SecondAck) {
    // Step 3a: "If the ACK is a duplicate ACK ... or acknowledges [only SACKs] the new
    // data", the timeout was genuine: recover as usual (resend what is presumed lost).
    if (acked == 0 || newly_sacked > 0) frto_off();
    return;
  }
  // Step 2a: a duplicate ACK — conventional recovery.
  if (acked == 0) {
    frto_off();
    return;
  }
  // Step 2b: the ACK advanced SND.UNA but not to RecoveryPoint: "transmit up to two
  // new (previously unsent) segments and enter step 3" — if there are any and the
  // window allows; otherwise conventional recovery.
  const bool new_data = seq_lt(snd_max_, data_end()) && seq_lt(snd_max_, snd_una_ + snd_wnd_);
  if (new_data && seq_lt(snd_una_, recover_)) {
    loss_w().frto_ = Frto::SecondAck;
    loss_w().frto_mark_ = snd_max_;
  } else {
    frto_off();
  }
}

void Tcb::undo_reduction() {
  // The controller returns to its state before the reduction (cwnd, ssthresh, CUBIC's
  // W_max and epoch), as Linux's tcp_undo_cwnd_reduction.
  cc_ = *loss().cc_undo_;
  if (loss_) loss_->cc_undo_.reset();
}

void Tcb::tlp_after_ack(bool dup_only, Instant now) {
  // RFC 8985 §7.4.2: was the probe needed? Decided once the ACK reaches its end.
  if (!loss().tlp_end_ || seq_lt(snd_una_, *loss().tlp_end_)) return;
  if (!loss().tlp_is_retrans_ || loss().tlp_dsacked_) {
    // New data, or the original and the probe both arrived (D-SACK): no loss.
    if (loss_) loss_->tlp_end_.reset();
  } else if (seq_gt(snd_una_, *loss().tlp_end_)) {
    // The probe repaired a loss no other mechanism saw: "invoke the congestion control
    // response equivalent to fast recovery" — once, unless recovery already did.
    if (loss_) loss_->tlp_end_.reset();
    ++extra_w().counts.tlp_recoveries;
    if (!loss().tlp_recovered_ && !sack_recovery_) {
      cc_.on_congestion_event(flight(), now);
      cc_.on_recovery_exit(flight());
    }
  } else if (dup_only) {
    // A duplicate ACK without SACK news at the probe's end: the probe is settled.
    if (loss_) loss_->tlp_end_.reset();
  }
}

bool Tcb::fin_acked() const {
  return fin_sent_ && seq_gt(snd_una_, fin_seq());
}

Tcb::Step Tcb::process_urg(const Seg& seg) {
  // Sixth: "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: If the URG bit is set, RCV.UP <-
  // max(RCV.UP,SEG.UP), and signal the user that the remote side has urgent data if
  // the urgent pointer (RCV.UP) is in advance of the data consumed." (MUST-32)
  if (!seg.urg || seg.up == 0) return Step::Continue;
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return Step::Continue;
  const SeqNum up = seg.seq + seg.up;  // RFC 6093: first octet after the urgent data
  if (!rcv_up_valid_ || seq_gt(up, rcv_up_)) {
    rcv_up_ = up;
    rcv_up_valid_ = true;
    push_event(EventKind::Urgent);
  }
  return Step::Continue;
}

Tcb::Step Tcb::process_text(const Seg& seg, Instant now) {
  // Seventh: "ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: ... deliver segment text to user
  // RECEIVE buffers." In CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not
  // occur since a FIN has been received from the remote side. Ignore the segment text."
  if (seg.fin) {
    peer_fin_seq_ = seg.seq + static_cast<std::uint32_t>(seg.data.size());
    if (seg.data.empty() && seg.seq != rcv_nxt_) ack_now_ = true;  // an out-of-order FIN
  }
  if (seg.data.empty()) return Step::Continue;
  if (state_ != State::Established && state_ != State::FinWait1 && state_ != State::FinWait2)
    return Step::Continue;
  if (user_closed_) {
    // SHLD-3: "or if new data is received after CLOSE is called, its TCP
    // implementation SHOULD send a RST to show that data was lost."
    queue_reset_reply(snd_max_, std::nullopt);
    terminate(Rule::rfc9293_3_10_5_abort, std::nullopt, now);
    return Step::Closed;
  }
  if (seg.seq == rcv_nxt_) {
    deliver_in_order(seg.data, now);
    return Step::Continue;
  }
  // Out of order: SHLD-31 "Segments with higher beginning sequence numbers SHOULD be
  // held for later processing"; RFC 5681 §4.2 "an immediate ACK when an
  // out-of-order segment arrives" (MAY-13).
  ++extra_w().counts.ooo_segs_in;
  const auto off = static_cast<std::uint32_t>(seg.seq - rcv_nxt_);
  const std::size_t fits =
      std::min<std::size_t>(seg.data.size(), rcv_buf_.free() > off ? rcv_buf_.free() - off : 0);
  const SeqNum seg_end = seg.seq + static_cast<std::uint32_t>(seg.data.size());
  // RFC 2883 §4.1.2: out-of-order text already held is a duplicate too.
  if (loss().ooo_.covers(seg.seq, seg_end)) note_duplicate(seg.seq, seg_end);
  // Bounded: at most max_ooo_segments intervals and max_ooo_bytes held (a peer that
  // sprays holes cannot make us keep more; dropped data is simply resent).
  if (fits > 0 && loss().ooo_.bytes() + fits <= ctx_.config.max_ooo_bytes &&
      loss_w().ooo_.add(seg.seq, seg.seq + static_cast<std::uint32_t>(fits))) {
    rcv_buf_.write_at(off, seg.data.first(fits));
    sack_note_arrival(seg.seq, seg.seq + static_cast<std::uint32_t>(fits));
  } else if (fits > 0) {
    ++ctx_.stats.ooo_dropped;
  }
  // Each out-of-order segment gets its own duplicate ACK, also inside a batch
  // (MUST-58/59 aggregate the ACKs of in-order data): a sender without SACK counts
  // them for its fast retransmit (RFC 5681 §3.2, §4.2), and three segments after a
  // loss that arrive together must still produce three duplicates.
  ack_now_ = true;
  dup_ack_now_ = true;
  return Step::Continue;
}

void Tcb::deliver_in_order(Bytes data, Instant now) {
  // (No loss state: nothing is held out of order, none is made for this.)
  const bool filled_gap = loss_ && !loss_->ooo_.empty();
  std::size_t n = rcv_buf_.write(data);
  rcv_nxt_ += static_cast<std::uint32_t>(n);
  if (loss_) {
    if (auto end = loss_->ooo_.pop_contiguous(rcv_nxt_)) {
      const auto extra = static_cast<std::uint32_t>(*end - rcv_nxt_);
      rcv_buf_.commit(extra);
      rcv_nxt_ = *end;
      n += extra;
    }
    loss_->ooo_.discard_before(rcv_nxt_);
  }
  bytes_in_ += n;
  push_event(EventKind::Readable);
  // SHLD-19: "An ACK SHOULD be generated for at least every second full-sized
  // segment or 2*RMSS bytes of new data"; RFC 5681 §4.2: ACK at once when a
  // segment fills in all or part of a gap. A full-sized segment is rcv_mss() bytes
  // (1448 with timestamps), so two of them must reach the threshold.
  unacked_bytes_ += static_cast<std::uint32_t>(n);
  if (filled_gap) quickacks_ = kQuickAcks;
  if (filled_gap || unacked_bytes_ >= 2 * rcv_mss()) {
    ack_now_ = true;
  } else if (quickacks_ > 0) {
    --quickacks_;
    ack_now_ = true;
  } else if (!timers_.armed(Timer::DelayedAck)) {
    // SHLD-18 / MUST-40: a delayed ACK, well under 0.5 s.
    timers_.set(Timer::DelayedAck, now + ctx_.config.delayed_ack);
  }
}

Tcb::Step Tcb::check_fin(const Seg& seg, Instant now) {
  (void)seg;
  // Eighth: the FIN counts only once every octet before it has arrived.
  if (!peer_fin_seq_ || fin_received_ || *peer_fin_seq_ != rcv_nxt_) return Step::Continue;
  // "If the FIN bit is set, signal the user 'connection closing' and return any
  // pending RECEIVEs with same message, advance RCV.NXT over the FIN, and send an
  // acknowledgment for the FIN."
  fin_received_ = true;
  rcv_nxt_ += 1;
  ack_now_ = true;
  push_event(EventKind::PeerClosed);
  switch (state_) {
    case State::SynReceived:
    case State::Established:
      transition(State::CloseWait, Rule::rfc9293_3_10_7_4_fin_established, now);
      break;
    case State::FinWait1:
      // "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT,
      // start the time-wait timer, turn off the other timers; otherwise, enter the
      // CLOSING state."
      if (fin_acked()) {
        enter_time_wait(now, Rule::rfc9293_3_10_7_4_fin_fin_wait_1_acked);
      } else {
        transition(State::Closing, Rule::rfc9293_3_10_7_4_fin_fin_wait_1, now);
      }
      break;
    case State::FinWait2:
      // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
      enter_time_wait(now, Rule::rfc9293_3_10_7_4_fin_fin_wait_2);
      break;
    default:
      // CLOSE-WAIT, CLOSING, LAST-ACK: "Remain in the ... state."
      break;
  }
  return Step::Continue;
}

void Tcb::enter_time_wait(Instant now, Rule rule) {
  transition(State::TimeWait, rule, now);
  timers_.set(Timer::TimeWait, now + 2 * ctx_.config.msl);
  timers_.cancel(Timer::FinWait2);
  timers_.cancel(Timer::Retransmit);
  timers_.cancel(Timer::Persist);
  timers_.cancel(Timer::Keepalive);
}

}  // namespace synack::tcp
