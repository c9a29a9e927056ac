// Tcb: construction, transitions, user calls (RFC 9293 §3.10.1 - §3.10.6).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
// RFC 7323 §2.3: the smallest shift that lets the whole buffer be advertised (<= 14).
std::uint8_t wscale_for(std::size_t buffer) {
  std::uint8_t s = 0;
  while (s < 14 && (buffer >> s) > 0xffff) ++s;
  return s;
}
}  // namespace

Tcb::Tcb(TcbContext& ctx, ConnId id, Endpoint local, Endpoint remote,
         std::shared_ptr<const SocketOptions> opts, std::uint16_t route_mtu)
    : ctx_(ctx),
      id_(id),
      tuple_{local, remote},
      opts_(std::move(opts)),
      path_mtu_(lowered_path_mtu(ctx.config.mtu, route_mtu, remote.addr.is_v4())),
      snd_buf_(opts_->send_buffer),
      rcv_buf_(opts_->recv_buffer),
      rtt_(ctx.config.initial_rto, ctx.config.min_rto, ctx.config.max_rto),
      cc_(opts_->cc, 536, ctx.config.initial_window_segments) {
  if (ctx_.config.window_scaling) rcv_wscale_ = wscale_for(rcv_buf_.capacity());
  set_eff_mss();
  // RFC 4821 from the start (Linux's tcp_mtu_probing = 2): the base size, then upwards.
  if (ctx_.config.mtu_probing == MtuProbing::Always) plpmtud_start(plpmtud_base(), Instant{});
}

void Tcb::open_active(SeqNum iss, Instant now) {
  // §3.10.1: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is sent. Set SND.UNA to
  // ISS, SND.NXT to ISS+1, enter SYN-SENT state" (SND.NXT advances when output() sends it).
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
  snd_buf_seq_ = iss + 1;
  rtx_epoch_ = now;
  last_rcv_at_ = now;
  user_visible_ = true;
  transition(State::SynSent, Rule::rfc9293_3_10_1_open_active, now);
  output(now);
}

void Tcb::open_from_listen(const wire::TcpRepr& syn, SeqNum iss, ListenerId listener, Instant now,
                           const TfoPassive& tfo) {
  passive_open_ = true;  // MUST-11
  listener_ = listener;
  state_ = State::Listen;
  // §3.10.7.2: "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be
  // selected and a SYN segment sent of the form <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
  // SND.NXT is set to ISS+1 and SND.UNA to ISS."
  irs_ = syn.seq;
  rcv_nxt_ = syn.seq + 1;
  rcv_adv_ = rcv_nxt_;
  last_ack_sent_ = rcv_nxt_;
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
  snd_buf_seq_ = iss + 1;
  // The window of a SYN is never scaled (RFC 7323 §2.2).
  snd_wnd_ = max_snd_wnd_ = syn.window;
  snd_wl1_ = syn.seq;
  snd_wl2_ = syn.ack;
  process_syn_options(syn.options);
  ecn_on_syn(syn.flags.bits & wire::TcpFlags::kEce, syn.flags.bits & wire::TcpFlags::kCwr);
  if (ts_ok_) {
    ts_recent_ = syn.options.timestamps->tsval;
    ts_recent_at_ = now;
  }
  // "... and any other control or text should be queued for processing later" —
  // unless RFC 7413 says otherwise: data with a valid Fast Open cookie is accepted
  // now, data on any other Fast Open SYN is dropped (tcb_fastopen.cpp).
  if (tfo.send_cookie) extra_w().tfo_syn_option_ = tfo.send_cookie;
  if (tfo.accept_data) {
    tfo_accept_syn_data(syn.payload);
  } else if (!tfo.drop_data) {
    queue_syn_text(syn.payload, syn.flags.fin());
  }
  rtx_epoch_ = now;
  last_rcv_at_ = now;
  ++segs_in_;
  transition(State::SynReceived, Rule::rfc9293_3_10_7_2_listen_syn, now);
  output(now);
}

std::uint8_t Tcb::window_scale_for(std::size_t recv_buffer) {
  return wscale_for(recv_buffer);
}

void Tcb::open_from_cookie(const wire::TcpRepr& ack, const CookieConnection& c, ListenerId listener,
                           Instant now) {
  passive_open_ = true;  // MUST-11
  listener_ = listener;
  state_ = State::Listen;
  // What §3.10.7.2 and the SYN-RECEIVED step of §3.10.7.4 would have set, rebuilt
  // from the ACK: IRS = SEG.SEQ - 1, ISS = SEG.ACK - 1 (the cookie), SND.UNA =
  // SND.NXT = ISS + 1 (our SYN is acknowledged), SND.WND <- SEG.WND, SND.WL1 <-
  // SEG.SEQ, SND.WL2 <- SEG.ACK.
  irs_ = ack.seq - 1;
  rcv_nxt_ = ack.seq;
  last_ack_sent_ = rcv_nxt_;
  iss_ = recover_ = c.iss;
  snd_una_ = snd_nxt_ = snd_max_ = c.iss + 1;
  snd_buf_seq_ = c.iss + 1;
  // The options the cookie (MSS) and our SYN,ACK's TSval (window scale, SACK) kept.
  // Without timestamps there was no room for them: no window scaling, no SACK, and
  // the MSS rounded down to the table (RFC 4987 §3.6's "some TCP options ... cannot
  // be encoded"; Linux degrades the same way).
  snd_mss_ = c.mss;
  syn_offered_ws_ = wscale_ok_ = c.wscale.has_value();
  snd_wscale_ = c.wscale.value_or(0);
  if (!wscale_ok_) rcv_wscale_ = 0;
  syn_offered_ts_ = ts_ok_ = c.timestamps;
  sack_permitted_ = c.sack_permitted;
  sack_ok_ = ctx_.config.sack && sack_permitted_;
  if (ts_ok_) {
    ts_recent_ = ack.options.timestamps->tsval;
    ts_recent_at_ = now;
  }
  set_eff_mss();
  // The cookie SYN,ACK offered an unscaled window of the buffer (RFC 7323 §2.2).
  rcv_adv_ = rcv_nxt_ + static_cast<std::uint32_t>(std::min<std::size_t>(rcv_buf_.free(), 0xffff));
  snd_wnd_ = max_snd_wnd_ = static_cast<std::uint32_t>(ack.window) << snd_wscale_;
  snd_wl1_ = ack.seq;
  snd_wl2_ = ack.ack;
  // No RTT sample: the echoed TSval had its low bits replaced (up to 127 ms off) and
  // without timestamps nothing was timed; the RTO stays at its initial value.
  rtx_epoch_ = now;
  last_rcv_at_ = now;
  transition(State::Established, Rule::rfc4987_3_6_syn_cookie_ack, now);
  accept_ready_ = true;
}

void Tcb::transition(State to, Rule rule, Instant now) {
  const State from = state_;
#ifdef SYNACK_CHECK_TRANSITIONS
  if (!is_legal(rule, from, to)) {
    std::fprintf(stderr, "synack: illegal transition %.*s -> %.*s by rule %.*s\n",
                 static_cast<int>(to_string(from).size()), to_string(from).data(),
                 static_cast<int>(to_string(to).size()), to_string(to).data(),
                 static_cast<int>(to_string(rule).size()), to_string(rule).data());
    std::abort();
  }
#endif
  state_ = to;
  last_rule_ = rule;
  if (ctx_.trace) ctx_.trace(Transition{id_, tuple_.local, tuple_.remote, from, to, rule, now});
}

void Tcb::push_event(EventKind k, ConnError e) {
  if (!user_visible_) return;
  ctx_.events.push_back(Event{k, id_, listener_, e});
}

void Tcb::terminate(Rule rule, std::optional<ConnError> err, Instant now) {
  transition(State::Closed, rule, now);
  error_ = err;
  timers_.cancel(Timer::Retransmit);
  timers_.cancel(Timer::Persist);
  timers_.cancel(Timer::DelayedAck);
  timers_.cancel(Timer::Keepalive);
  timers_.cancel(Timer::TimeWait);
  timers_.cancel(Timer::FinWait2);
  ack_now_ = false;
  fast_rtx_ = force_probe_ = keepalive_probe_ = false;
  // MUST-12: the user learns whether the connection closed normally or was aborted.
  if (err) push_event(EventKind::Error, *err);
  push_event(EventKind::Closed);
}

void Tcb::set_eff_mss() {
  // §3.7.1 (MUST-16): "Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize - IPoptionsize"
  // with MMS_S = MTU - 20 (IPv4 header; 40 for IPv6, RFC 8200 §8.3) and TCPhdrsize
  // including our options. The MTU is the path's, or the size RFC 4821 probing has
  // found to get through so far.
  const std::uint16_t mtu = packet_mtu();
  const std::uint32_t ip_header = headers() - 20u;
  const std::uint32_t mms_s = mtu > ip_header ? mtu - ip_header : 68u;
  const std::uint32_t hdr = 20 + (ts_ok_ ? 12 : 0);
  const std::uint32_t lim = std::min<std::uint32_t>(snd_mss_ + 20u, mms_s);
  eff_mss_ = std::max<std::uint32_t>(lim > hdr ? lim - hdr : 1, 1);
  cc_.set_mss(eff_mss_);
}

std::uint32_t Tcb::rcv_mss() const {
  // The payload of a "full-sized segment" from the peer (SHLD-19, RFC 5681 §4.2): it
  // sends at most the MSS we announced (MTU - 40, or 60), at most what its own MSS says its
  // path carries, and every segment loses the options it must carry (the 12-byte
  // TSopt, RFC 7323 §3.2), as Linux's tcp_initialize_rcv_mss estimates it.
  const std::uint32_t announced = path_mtu_ > headers() ? path_mtu_ - headers() : 28u;
  const std::uint32_t mss = std::min<std::uint32_t>(announced, snd_mss_);
  const std::uint32_t opts = ts_ok_ ? 12u : 0u;
  return mss > opts ? mss - opts : 1u;
}

std::size_t Tcb::send(Bytes data, bool urgent, Instant now) {
  const std::size_t n = snd_buf_.write(data);
  if (urgent && n > 0) {
    // §3.8.5 / RFC 6093: the urgent pointer points to the sequence number of the
    // octet following the urgent data.
    snd_up_ = data_end();
    snd_up_valid_ = true;
  }
  if (n < data.size()) writable_blocked_ = true;
  output(now);
  return n;
}

std::size_t Tcb::receive(MutBytes out, Instant now) {
  const std::size_t n = rcv_buf_.read(out);
  // Reading frees buffer space; announce it once the window opened enough (the
  // receiver half of SWS avoidance decides how much is enough).
  if (n > 0 && window_update_due()) {
    ack_now_ = true;
    output(now);
  }
  return n;
}

std::size_t Tcb::peek(MutBytes out) const {
  const std::size_t n = std::min(out.size(), rcv_buf_.size());
  return rcv_buf_.peek(0, out.first(n));
}

void Tcb::shutdown_write(Instant now) {
  if (fin_queued_) return;
  fin_queued_ = true;
  // §3.10.4 CLOSE: "Queue this until all preceding SENDs have been segmentized, then
  // form a FIN segment and send it. In any case, enter FIN-WAIT-1 state."
  switch (state_) {
    case State::Established:
      transition(State::FinWait1, Rule::rfc9293_3_10_4_close_established, now);
      break;
    case State::CloseWait:
      // "Queue this request until all preceding SENDs have been segmentized; then
      // send a FIN segment, enter LAST-ACK state."
      transition(State::LastAck, Rule::rfc9293_3_10_4_close_close_wait, now);
      break;
    default:
      // SYN-SENT / SYN-RECEIVED: "queue for processing after entering ESTABLISHED".
      break;
  }
  output(now);
}

void Tcb::close(Instant now) {
  if (state_ == State::SynSent) {
    // §3.10.4 SYN-SENT: "Delete the TCB and return 'error: closing' responses to any
    // queued SENDs, or RECEIVEs."
    terminate(Rule::rfc9293_3_10_4_close_syn_sent, std::nullopt, now);
    return;
  }
  // SHLD-3: "If such a host issues a CLOSE call while received data is still pending
  // in the TCP connection ... its TCP implementation SHOULD send a RST to show that
  // data was lost." SO_LINGER 0 asks for the same.
  if (opts_->linger_zero || !rcv_buf_.empty()) {
    abort(now);
    return;
  }
  user_closed_ = true;
  shutdown_write(now);
}

void Tcb::abort(Instant now) {
  // §3.10.5 ABORT: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT
  // "send a reset segment: <SEQ=SND.NXT><CTL=RST>"; otherwise just delete the TCB.
  switch (state_) {
    case State::SynReceived:
    case State::Established:
    case State::FinWait1:
    case State::FinWait2:
    case State::CloseWait:
      queue_reset_reply(snd_max_, std::nullopt);
      break;
    default:
      break;
  }
  if (state_ != State::Closed) terminate(Rule::rfc9293_3_10_5_abort, std::nullopt, now);
  output(now);
}

bool Tcb::accepts_reopen(const wire::TcpRepr& syn, Instant now) const {
  if (state_ != State::TimeWait || !syn.flags.syn() || syn.flags.ack() || syn.flags.rst())
    return false;
  // RFC 6191 §2: with timestamps, the SYN must carry a newer TSval, or the same TSval
  // (two incarnations within one tick of the peer's clock) and a sequence number beyond
  // the old incarnation's; without them (RFC 1122 §4.2.2.13) the sequence number alone.
  if (ts_ok_ && syn.options.timestamps && ts_recent_valid(now)) {
    const auto newer = static_cast<std::int32_t>(syn.options.timestamps->tsval - ts_recent_);
    return newer > 0 || (newer == 0 && seq_gt(syn.seq, rcv_nxt_));
  }
  return seq_gt(syn.seq, rcv_nxt_);
}

void Tcb::close_for_reopen(Instant now) {
  terminate(Rule::rfc9293_3_6_1_time_wait_reopen, std::nullopt, now);
}

void Tcb::close_for_reuse(Instant now) {
  terminate(Rule::impl_time_wait_reuse, std::nullopt, now);
}

void Tcb::close_for_time_wait_overflow(Instant now) {
  terminate(Rule::impl_time_wait_overflow, std::nullopt, now);
}

bool Tcb::freezable() const {
  if (state_ != State::TimeWait || ack_now_ || dup_ack_now_ || !snd_buf_.empty() ||
      !rcv_buf_.empty() || !fin_received_ || !peer_fin_seq_ || *peer_fin_seq_ + 1 != rcv_nxt_ ||
      eff_mss_ > 0xffff) {
    return false;
  }
  if (extra().rst_reply_ || loss().dsack_ || !loss().ooo_.empty()) return false;
  // Only the TIME-WAIT timer.
  for (Timer t :
       {Timer::Retransmit, Timer::Persist, Timer::Probe, Timer::Reorder, Timer::DelayedAck}) {
    if (timers_.armed(t)) return false;
  }
  return timers_.armed(Timer::TimeWait);
}

Tcb::Frozen Tcb::freeze() const {
  Frozen f{};
  f.tuple = tuple_;
  f.expires = timers_.at(Timer::TimeWait);
  f.ts_recent_at = ts_recent_at_;
  f.last_rcv_at = last_rcv_at_;
  f.snd_una = snd_una_;
  f.snd_nxt = snd_nxt_;
  f.snd_max = snd_max_;
  f.snd_wl1 = snd_wl1_;
  f.snd_wl2 = snd_wl2_;
  f.rcv_nxt = rcv_nxt_;
  f.rcv_adv = rcv_adv_;
  f.last_ack_sent = last_ack_sent_;
  f.snd_buf_seq = snd_buf_seq_;
  f.snd_wnd = snd_wnd_;
  f.max_snd_wnd = max_snd_wnd_;
  f.ts_recent = ts_recent_;
  f.ts_offset = ts_offset_;
  f.listener = listener_;
  f.snd_mss = snd_mss_;
  f.eff_mss = static_cast<std::uint16_t>(eff_mss_);
  f.path_mtu = path_mtu_;
  f.snd_wscale = snd_wscale_;
  f.rcv_wscale = rcv_wscale_;
  f.dscp = opts_->dscp;
  f.last_rule = last_rule_;
  auto bit = [&](bool on, Frozen::Flag b) {
    if (on) f.flags = static_cast<std::uint16_t>(f.flags | b);
  };
  bit(passive_open_, Frozen::kPassiveOpen);
  bit(user_visible_, Frozen::kUserVisible);
  bit(wscale_ok_, Frozen::kWscaleOk);
  bit(ts_ok_, Frozen::kTsOk);
  bit(syn_offered_ws_, Frozen::kSynOfferedWs);
  bit(syn_offered_ts_, Frozen::kSynOfferedTs);
  bit(sack_permitted_, Frozen::kSackPermitted);
  bit(sack_ok_, Frozen::kSackOk);
  bit(fin_queued_, Frozen::kFinQueued);
  bit(fin_sent_, Frozen::kFinSent);
  bit(fin_received_, Frozen::kFinReceived);
  bit(user_closed_, Frozen::kUserClosed);
  bit(ecn_ok_, Frozen::kEcnOk);
  bit(ecn_ece_, Frozen::kEcnEce);
  return f;
}

void Tcb::thaw(const Frozen& f) {
  state_ = State::TimeWait;
  last_rule_ = f.last_rule;
  ts_recent_at_ = f.ts_recent_at;
  last_rcv_at_ = f.last_rcv_at;
  snd_una_ = f.snd_una;
  snd_nxt_ = f.snd_nxt;
  snd_max_ = f.snd_max;
  recover_ = f.snd_max;
  snd_wl1_ = f.snd_wl1;
  snd_wl2_ = f.snd_wl2;
  rcv_nxt_ = f.rcv_nxt;
  rcv_adv_ = f.rcv_adv;
  last_ack_sent_ = f.last_ack_sent;
  snd_buf_seq_ = f.snd_buf_seq;
  snd_wnd_ = f.snd_wnd;
  max_snd_wnd_ = f.max_snd_wnd;
  ts_recent_ = f.ts_recent;
  ts_offset_ = f.ts_offset;
  listener_ = f.listener;
  snd_mss_ = f.snd_mss;
  eff_mss_ = f.eff_mss;
  path_mtu_ = f.path_mtu;
  snd_wscale_ = f.snd_wscale;
  rcv_wscale_ = f.rcv_wscale;
  passive_open_ = f.flags & Frozen::kPassiveOpen;
  user_visible_ = f.flags & Frozen::kUserVisible;
  wscale_ok_ = f.flags & Frozen::kWscaleOk;
  ts_ok_ = f.flags & Frozen::kTsOk;
  syn_offered_ws_ = f.flags & Frozen::kSynOfferedWs;
  syn_offered_ts_ = f.flags & Frozen::kSynOfferedTs;
  sack_permitted_ = f.flags & Frozen::kSackPermitted;
  sack_ok_ = f.flags & Frozen::kSackOk;
  fin_queued_ = f.flags & Frozen::kFinQueued;
  fin_sent_ = f.flags & Frozen::kFinSent;
  fin_received_ = f.flags & Frozen::kFinReceived;
  peer_fin_seq_ = f.rcv_nxt - 1;
  user_closed_ = f.flags & Frozen::kUserClosed;
  ecn_ok_ = f.flags & Frozen::kEcnOk;
  ecn_ece_ = f.flags & Frozen::kEcnEce;
  timers_.cancel_all();
  timers_.set(Timer::TimeWait, f.expires);
  release_memory_for_time_wait();
}

void Tcb::release_memory_for_time_wait() {
  snd_buf_ = ByteRing();
  rcv_buf_ = ByteRing();
  // Nothing is in flight or out of order any more: the loss state goes too (the
  // counters stay readable until the connection is frozen or gone).
  loss_.reset();
}

std::size_t Tcb::urgent_remaining() const {
  if (!rcv_up_valid_) return 0;
  const SeqNum next_read =
      rcv_nxt_ - static_cast<std::uint32_t>(rcv_buf_.size()) - (fin_received_ ? 1u : 0u);
  return seq_gt(rcv_up_, next_read) ? static_cast<std::uint32_t>(rcv_up_ - next_read) : 0;
}

bool Tcb::take_accept_ready() {
  const bool r = accept_ready_;
  accept_ready_ = false;
  return r;
}

void Tcb::set_options(const SocketOptions& o, Instant now) {
  const bool keepalive_changed = o.keepalive != opts_->keepalive;
  if (o != *opts_) opts_ = std::make_shared<const SocketOptions>(o);
  cc_.switch_to(o.cc);
  if (o.send_buffer > snd_buf_.capacity()) snd_buf_.reserve(o.send_buffer);
  // The receive buffer may only grow as far as the window scale agreed at SYN time.
  const std::size_t rcv_cap = std::min<std::size_t>(
      o.recv_buffer, std::size_t{0xffff} << (state_ == State::Closed ? 14 : rcv_wscale_));
  if (rcv_cap > rcv_buf_.capacity() && state_ == State::Closed) {
    rcv_buf_ = ByteRing(rcv_cap);
    if (ctx_.config.window_scaling) rcv_wscale_ = wscale_for(rcv_cap);
  } else if (rcv_cap > rcv_buf_.capacity()) {
    rcv_buf_.reserve(rcv_cap);  // raises the limit; out-of-order bytes keep their place
  }
  if (keepalive_changed) {
    keepalive_sent_ = 0;
    last_rcv_at_ = now;
  }
  output(now);
}

const Tcb::LossState& Tcb::empty_loss() {
  static const LossState empty(0);
  return empty;
}

const Tcb::Extras& Tcb::empty_extras() {
  static const Extras empty;
  return empty;
}

ConnStats Tcb::stats() const {
  ConnStats s = extra().counts;
  s.segs_in = segs_in_;
  s.segs_out = segs_out_;
  s.bytes_in = bytes_in_;
  s.bytes_out = bytes_out_;
  s.srtt = rtt_.srtt();
  s.rttvar = rtt_.rttvar();
  s.rto = rtt_.rto();
  s.cwnd = rto_recovery_ ? cc_.cwnd() : cwnd();  // the pipe allowance is not the window
  s.ssthresh = cc_.ssthresh();
  s.snd_mss = eff_mss_;
  s.packet_mtu = packet_mtu();
  s.snd_wnd = snd_wnd_;
  s.rcv_wnd = rcv_wnd();
  s.ecn = ecn_ok_;
  return s;
}

std::uint32_t Tcb::rcv_wnd() const {
  return seq_gt(rcv_adv_, rcv_nxt_) ? static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
}

}  // namespace synack::tcp
