// TcpProtocol: demultiplexing (RFC 9293 §3.10.7.1-2), listeners, the timer heap and
// the socket-level API over the Tcbs.
#include "synack/tcp/protocol.hpp"

#include <sodium.h>

#include <algorithm>

#include "keyed_hash.hpp"
#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
using wire::TcpFlags;

bool bad_remote(const wire::IpAddr& a) {
  return a.is_unspecified() || a.is_broadcast() || a.is_multicast();
}
}  // namespace

TcpProtocol::TcpProtocol(const TcpConfig& config, Random& random)
    : config_(config), random_(random), challenge_limit_(config.challenge_ack_limit, random) {
  for (auto* key : {&isn_key_, &ts_key_}) {
    for (std::size_t i = 0; i < key->size(); i += 8) {
      const std::uint64_t v = random_.next_u64();
      for (std::size_t j = 0; j < 8; ++j) (*key)[i + j] = static_cast<unsigned char>(v >> (8 * j));
    }
  }
  ctx_ = std::make_unique<TcbContext>(TcbContext{config_, out_, events_, trace_, advice_, batching_,
                                                 challenge_limit_, stats_, tfo_cache_, pool_});
}

TcpProtocol::~TcpProtocol() = default;

Tcb* TcpProtocol::find(ConnId id) {
  Conn* c = thaw(id);
  return c ? &c->tcb : nullptr;
}

TcpProtocol::Conn* TcpProtocol::thaw(ConnId id) {
  if (auto it = conns_.find(id); it != conns_.end()) return it->second.get();
  auto f = frozen_.find(id);
  if (f == frozen_.end()) return nullptr;
  SocketOptions opts = config_.defaults;
  opts.dscp = f->second.dscp;
  // (A TIME-WAIT connection sends only ACKs: the configured MTU, no route asked.)
  auto c = std::make_unique<Conn>(*ctx_, id, f->second.tuple.local, f->second.tuple.remote,
                                  shared_options(opts), config_.mtu);
  c->tcb.thaw(f->second);
  c->released = true;
  c->time_wait = true;
  c->scheduled = f->second.expires;
  repoint(c->tcb.tuple(), id);
  frozen_.erase(f);
  Conn* raw = c.get();
  conns_.emplace(id, std::move(c));
  ++stats_.time_wait_thawed;
  return raw;
}

void TcpProtocol::freeze(ConnId id) {
  auto it = conns_.find(id);
  const auto f = frozen_.emplace(id, it->second->tcb.freeze()).first;
  repoint(f->second.tuple, id);
  conns_.erase(it);
  ++stats_.time_wait_frozen;
}

void TcpProtocol::unindex(const Tuple& t, ConnId id) {
  auto it = by_tuple_.find(t);
  if (it == by_tuple_.end() || it->second != id) return;
  count_ephemeral(*it->first, -1);
  by_tuple_.erase(it);
}

void TcpProtocol::repoint(const Tuple& now_at, ConnId id) {
  // Found through the old address, which is still valid: the tuples are equal.
  auto it = by_tuple_.find(now_at);
  if (it == by_tuple_.end() || it->second != id) return;
  by_tuple_.erase(it);
  by_tuple_.emplace(&now_at, id);
}
const Tcb* TcpProtocol::find(ConnId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second->tcb;
}
const Tcb* TcpProtocol::tcb(ConnId id) const {
  return find(id);
}

std::size_t TcpProtocol::memory_in_use() const {
  std::size_t n = 0;
  for (const auto& [id, c] : conns_) n += c->tcb.memory_allocated();
  return n;
}

SeqNum TcpProtocol::choose_isn(const Tuple& t, Instant now) {
  if (config_.insecure.predictable_isn) {
    // The 4.2BSD-era scheme RFC 6528 §1 describes as attackable: a global counter
    // that moves by 64000 per connection and 128 per millisecond. One probe
    // connection tells an off-path attacker the next ISN almost exactly.
    predictable_isn_ += 64000;
    return SeqNum(predictable_isn_ + static_cast<std::uint32_t>(now.nanos() / 1'000'000 * 128));
  }
  // RFC 6528 §3 (MUST-8): "ISN = M + F(localip, localport, remoteip, remoteport,
  // secretkey)" where "M is the 4 microsecond timer" and F is a keyed hash
  // (SipHash-2-4 via libsodium's crypto_shorthash).
  const auto h = KeyedHashInput()
                     .add(t.local.addr)
                     .add16(t.local.port)
                     .add(t.remote.addr)
                     .add16(t.remote.port)
                     .hash(isn_key_.data());
  std::uint32_t f = 0;
  for (int i = 0; i < 4; ++i) f |= std::uint32_t{h[i]} << (8 * i);
  const auto m = static_cast<std::uint32_t>(now.nanos() / 4000);
  return SeqNum(m + f);
}

std::pair<std::uint32_t, std::size_t> TcpProtocol::port_offset_and_bucket(const wire::IpAddr& local,
                                                                          Endpoint remote) const {
  // Keyed with the ISN secret; the leading 'P' keeps this input apart from ISN ones.
  const auto h = KeyedHashInput()
                     .add(std::byte{'P'})
                     .add(local)
                     .add(remote.addr)
                     .add16(remote.port)
                     .hash(isn_key_.data());
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{h[i]} << (8 * i);
  return {static_cast<std::uint32_t>(v), static_cast<std::size_t>(v >> 32) % port_table_.size()};
}

void TcpProtocol::count_ephemeral(const Tuple& t, int delta) {
  if (t.local.port < config_.ephemeral_first || t.local.port > config_.ephemeral_last) return;
  const Tuple key{Endpoint{t.local.addr, 0}, t.remote};
  if (delta > 0) {
    ++ephemeral_in_use_[key];
  } else if (auto it = ephemeral_in_use_.find(key); it != ephemeral_in_use_.end()) {
    if (--it->second == 0) ephemeral_in_use_.erase(it);
  }
}

std::uint32_t TcpProtocol::ts_offset(const wire::IpAddr& local, const wire::IpAddr& remote) const {
  // RFC 7323 §5.4: "a random offset" per connection keeps TSval from revealing the
  // clock (uptime, §7.1). Keyed by the address pair, as Linux does: connections
  // between the same two hosts share one clock, so PAWS holds across incarnations
  // (a TIME-WAIT reopen sees a newer TSval).
  const auto h = KeyedHashInput().add(local).add(remote).hash(ts_key_.data());
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{h[i]} << (8 * i);
  return v;
}

// ------------------------------------------------------------------ segment arrival
void TcpProtocol::on_segment(const SegmentIn& in, Instant now) {
  advance(now);
  ++stats_.segs_in;
  // MUST-57: "silently discard an incoming SYN segment that is addressed to a
  // broadcast or multicast address"; MUST-63: ignore a SYN from an invalid source.
  // TCP is unicast only, so we drop every such segment.
  if (in.dst_is_broadcast_or_multicast || in.dst.is_broadcast() || in.dst.is_multicast() ||
      bad_remote(in.src)) {
    ++stats_.dropped_broadcast;
    return;
  }
  // RFC 7413 §4.1.1: the Fast Open option belongs on SYNs; elsewhere it is ignored.
  if (in.seg.options.tfo_cookie && !in.seg.flags.syn()) ++stats_.tfo_ignored;
  const Tuple t{Endpoint{in.dst, in.seg.dst_port}, Endpoint{in.src, in.seg.src_port}};
  if (auto it = by_tuple_.find(t); it != by_tuple_.end()) {
    const ConnId id = it->second;
    Conn* c = thaw(id);
    Tcb* tcb = &c->tcb;
    // (The listener is looked up only for a SYN that could reopen: not per segment.)
    std::optional<ListenerId> l;
    if (tcb->accepts_reopen(in.seg, now) && (l = find_listener(t.local))) {
      // §3.6.1 MAY-2: "it MAY accept a new SYN from the remote TCP endpoint to reopen
      // the connection directly from TIME-WAIT state, if it: (1) assigns its initial
      // sequence number for the new connection to be larger than the largest sequence
      // number it used on the previous connection incarnation".
      const SeqNum floor = tcb->snd_max();
      tcb->close_for_reopen(now);
      settle(id, *c);
      on_listener_segment(*l, in, now, floor);
      purge_heap();
      return;
    }
    if (completes_into_full_accept_queue(*c, in.seg)) {
      // As Linux: the last ACK of a handshake is dropped while the listener's accept
      // queue is full (the backlog is a hard bound); our SYN,ACK retransmission makes
      // the peer send it again, by when the application may have accepted.
      ++stats_.dropped_accept_queue_full;
      return;
    }
    tcb->on_segment(in.seg, now, in.ecn);
    settle(id, *c);
    purge_heap();
    return;
  }
  if (auto l = find_listener(t.local)) {
    on_listener_segment(*l, in, now);
    purge_heap();
    return;
  }
  // §3.10.7.1: "If the state is CLOSED (i.e., TCB does not exist), then all data in
  // the incoming segment is discarded. An incoming segment containing a RST is
  // discarded. An incoming segment not containing a RST causes a RST to be sent."
  reply_reset(in);
}

bool TcpProtocol::completes_into_full_accept_queue(const Conn& c, const wire::TcpRepr& seg) const {
  if (!c.listener || c.queued || c.tcb.state() != State::SynReceived) return false;
  if (!seg.flags.ack() || seg.flags.rst() || seg.flags.syn()) return false;
  auto lit = listeners_.find(*c.listener);
  return lit != listeners_.end() && lit->second.accept_queue.size() >= lit->second.backlog;
}

void TcpProtocol::reply_reset(const SegmentIn& in) {
  const wire::TcpRepr& seg = in.seg;
  if (seg.flags.rst()) return;  // never RST a RST
  wire::TcpRepr r;
  r.src_port = seg.dst_port;
  r.dst_port = seg.src_port;
  if (seg.flags.ack()) {
    // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
    r.seq = seg.ack;
    r.flags.bits = TcpFlags::kRst;
  } else {
    // "If the ACK bit is off, sequence number zero is used,
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
    r.seq = SeqNum(0);
    r.ack = seg.seq + seg.seg_len();
    r.flags.bits = TcpFlags::kRst | TcpFlags::kAck;
  }
  out_.push_back(
      build_segment(in.dst, in.src, r, config_.ttl, wire::ChecksumFill::Complete, &pool_));
  ++stats_.rst_out_no_socket;
}

std::optional<ListenerId> TcpProtocol::find_listener(Endpoint local) const {
  // The listener on the address itself, else one on the unspecified address of its
  // family, else one on :: (dual-stack: an IPv4 peer reaches it, as with Linux's
  // default net.ipv6.bindv6only = 0).
  std::optional<ListenerId> family_wildcard;
  std::optional<ListenerId> dual_stack;
  for (const auto& [id, l] : listeners_) {
    if (l.local.port != local.port) continue;
    if (l.local.addr == local.addr) return id;
    if (!l.local.addr.is_unspecified()) continue;
    if (l.local.addr.is_v4() == local.addr.is_v4()) {
      family_wildcard = id;
    } else if (l.local.addr.is_v6()) {
      dual_stack = id;
    }
  }
  return family_wildcard ? family_wildcard : dual_stack;
}

void TcpProtocol::on_listener_segment(ListenerId lid, const SegmentIn& in, Instant now,
                                      std::optional<SeqNum> isn_floor) {
  const wire::TcpRepr& seg = in.seg;
  // §3.10.7.2 LISTEN. "First, check for a RST ... An incoming RST should be ignored."
  if (seg.flags.rst()) return;
  // "Second, check for an ACK ... An acceptable reset segment should be formed for
  // any arriving ACK-bearing segment. The RST should be formatted as follows:
  // <SEQ=SEG.ACK><CTL=RST>"
  if (seg.flags.ack()) {
    // RFC 4987 §3.6: unless it is the ACK of a SYN,ACK we sent with a SYN cookie.
    if (seg.flags.syn() || !on_cookie_ack(lid, in, now)) reply_reset(in);
    return;
  }
  // "Fourth, other data or control ... drop the segment and return."
  if (!seg.flags.syn()) return;
  // "Third, check for a SYN": a new connection. A full accept queue drops it (as
  // Linux: the client retries later); a full SYN queue answers with a SYN cookie
  // (RFC 4987 §3.6) or, with cookies off, drops it.
  Listener& l = listeners_.at(lid);
  if (l.accept_queue.size() >= l.backlog) {
    ++stats_.dropped_accept_queue_full;
    return;
  }
  if (l.embryonic >= config_.syn_queue || config_.syn_cookies == SynCookies::Always) {
    if (config_.syn_cookies == SynCookies::Never) {
      ++stats_.dropped_syn_queue_full;
    } else {
      send_cookie_syn_ack(l, in, now);
    }
    return;
  }
  if (!admit(l.opts)) return;
  const TfoPassive tfo = tfo_on_syn(l, in, now);
  const Tuple t{Endpoint{in.dst, seg.dst_port}, Endpoint{in.src, seg.src_port}};
  const ConnId id = add_conn(t, l.opts);
  Conn& c = *conns_.at(id);
  c.listener = lid;
  ++l.embryonic;
  if (tfo.accept_data) {
    c.tfo_listener = lid;
    ++l.tfo_pending;
  }
  SeqNum iss = choose_isn(t, now);
  if (isn_floor && !seq_gt(iss, *isn_floor)) iss = *isn_floor + 1;
  c.tcb.open_from_listen(seg, iss, lid, now, tfo);
  settle(id);
}

TfoPassive TcpProtocol::tfo_on_syn(Listener& l, const SegmentIn& in, Instant now) {
  // RFC 7413 §4.1.2, server side. (A SYN answered with a SYN cookie never gets here:
  // no state, so no data and no Fast Open cookie — as Linux.)
  TfoPassive r;
  const auto cookie = TfoCookie::from(in.seg.options);
  if (!cookie) return r;  // no option: RFC 9293 as ever (text on a SYN is queued)
  if (!l.opts.tfo) {
    ++stats_.tfo_ignored;  // a listener without Fast Open ignores the option
    return r;
  }
  // Data on a SYN is taken only with a valid cookie; otherwise it is dropped and the
  // SYN,ACK acknowledges the SYN alone (the client sends it again, §4.2.2).
  r.drop_data = true;
  if (cookie->len == 0) {
    // "Fast Open Cookie Request": answer with a cookie.
    ++stats_.tfo_cookie_requests;
    r.send_cookie = tfo_keys_.make(in.src, now);
    ++stats_.tfo_cookies_sent;
    return r;
  }
  if (!tfo_keys_.valid(in.src, *cookie, now)) {
    // "If the cookie is not valid, the server ... sends a SYN-ACK with a new cookie".
    ++stats_.tfo_cookie_invalid;
    r.send_cookie = tfo_keys_.make(in.src, now);
    ++stats_.tfo_cookies_sent;
    return r;
  }
  // A valid cookie with no data (or a FIN on the SYN): a normal handshake.
  if (in.seg.payload.empty() || in.seg.flags.fin()) return r;
  // §5.1: "servers [SHOULD] limit the number of pending TFO connection requests";
  // beyond it the SYN gets a normal handshake (its data is not acknowledged).
  if (l.tfo_pending >= config_.tfo_max_pending) {
    ++stats_.tfo_pending_overflow;
    return r;
  }
  ++stats_.tfo_accepted;
  r.drop_data = false;
  r.accept_data = true;
  return r;
}

void TcpProtocol::tfo_settle(Conn& c, bool gone) {
  if (!c.tfo_listener || (!gone && c.tcb.state() == State::SynReceived)) return;
  auto lit = listeners_.find(*c.tfo_listener);
  if (lit != listeners_.end() && lit->second.tfo_pending > 0) --lit->second.tfo_pending;
  c.tfo_listener.reset();
}

bool TcpProtocol::options_valid(const SocketOptions& opts) const {
  if (opts.user_timeout && *opts.user_timeout < Duration{0}) return false;
  return opts.send_buffer > 0 && opts.recv_buffer > 0 && opts.send_buffer <= config_.max_buffer &&
         opts.recv_buffer <= config_.max_buffer;
}

bool TcpProtocol::admit(const SocketOptions& opts) {
  if (connection_count() - time_wait_ >= config_.max_connections) {
    ++stats_.refused_max_connections;
    return false;
  }
  // The budget is charged with the buffer limits, not what is allocated now: a
  // connection admitted can always fill its buffers, whatever its peers do.
  if (reserved_ + opts.send_buffer + opts.recv_buffer > config_.memory_budget) {
    ++stats_.refused_memory_budget;
    return false;
  }
  return true;
}

void TcpProtocol::enter_time_wait(Conn& c) {
  if (time_wait_ >= config_.max_time_wait) {
    ++stats_.time_wait_overflow;
    c.tcb.close_for_time_wait_overflow(now_);  // CLOSED now: settle() reaps it
    return;
  }
  c.time_wait = true;
  ++time_wait_;
  reserved_ -= c.charged;
  c.charged = 0;
  c.tcb.release_memory_for_time_wait();
}

std::shared_ptr<const SocketOptions> TcpProtocol::shared_options(const SocketOptions& opts) {
  for (const auto& s : shared_opts_) {
    if (s && *s == opts) return s;
  }
  shared_opts_[1] = std::move(shared_opts_[0]);
  shared_opts_[0] = std::make_shared<const SocketOptions>(opts);
  return shared_opts_[0];
}

std::uint16_t TcpProtocol::route_mtu(const wire::IpAddr& remote) const {
  const std::uint16_t mtu = config_.mtu;
  return route_mtu_ ? std::min(mtu, route_mtu_(remote)) : mtu;
}

ConnId TcpProtocol::add_conn(const Tuple& t, const SocketOptions& opts) {
  const ConnId id{next_id_++};
  auto c = std::make_unique<Conn>(*ctx_, id, t.local, t.remote, shared_options(opts),
                                  route_mtu(t.remote.addr));
  c->tcb.set_ts_offset(ts_offset(t.local.addr, t.remote.addr));
  c->charged = static_cast<std::uint32_t>(c->tcb.memory_limit());
  reserved_ += c->charged;
  const Tuple* key = &c->tcb.tuple();
  conns_.emplace(id, std::move(c));
  if (auto old = by_tuple_.find(t); old != by_tuple_.end()) by_tuple_.erase(old);
  by_tuple_.emplace(key, id);
  count_ephemeral(t, +1);
  ++stats_.conns_opened;
  return id;
}

void TcpProtocol::on_icmp_error(const IcmpErrorIn& err, Instant now) {
  advance(now);
  // MUST-55: "TCP implementations MUST silently discard any received ICMP Source
  // Quench messages."
  constexpr std::uint8_t kSourceQuench = 4;
  auto it = by_tuple_.find(Tuple{err.local, err.remote});
  if (err.type == kSourceQuench || it == by_tuple_.end()) {
    ++stats_.icmp_ignored;
    return;
  }
  // MUST-54: "act on an ICMP error message ... directing it to the connection".
  const ConnId id = it->second;
  find(id)->on_icmp_error(err.type, err.code, err.next_hop_mtu, err.quoted_seq, now);
  settle(id);
  purge_heap();
}

// ------------------------------------------------------------------------- timers
void TcpProtocol::on_timer(Instant now) {
  advance(now);
  // Each entry fires at most once per call; a Tcb reschedules itself in settle().
  std::size_t budget = timers_.size() + connection_count() + 1;
  while (!timers_.empty() && timers_.top().at <= now && budget-- > 0) {
    const TimerEntry e = timers_.top();
    timers_.pop();
    if (!timer_live(e)) continue;
    Conn& c = *thaw(e.id);
    c.scheduled.reset();
    c.tcb.on_timer(now);
    settle(e.id);
  }
  purge_heap();
}

std::optional<Instant> TcpProtocol::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.top().at;
}

bool TcpProtocol::timer_live(const TimerEntry& e) const {
  // (An id is in one of the two tables at most; the whole Tcbs are the common case.)
  if (auto it = conns_.find(e.id); it != conns_.end()) return it->second->scheduled == e.at;
  auto f = frozen_.find(e.id);
  return f != frozen_.end() && f->second.expires == e.at;
}

void TcpProtocol::purge_heap() {
  while (!timers_.empty() && !timer_live(timers_.top())) timers_.pop();
  // Lazy deletion leaves stale entries behind; rebuild when they dominate.
  if (timers_.size() > 4 * connection_count() + 64) {
    std::vector<TimerEntry> live;
    for (const auto& [id, c] : conns_) {
      if (c->scheduled) live.push_back(TimerEntry{*c->scheduled, id});
    }
    for (const auto& [id, f] : frozen_) live.push_back(TimerEntry{f.expires, id});
    timers_ = decltype(timers_)(std::greater<>(), std::move(live));
  }
}

std::optional<OutSegment> TcpProtocol::pop_segment() {
  if (out_.empty()) return std::nullopt;
  OutSegment s = std::move(out_.front());
  out_.pop_front();
  ++stats_.segs_out;
  return s;
}

std::optional<NegativeAdvice> TcpProtocol::pop_advice() {
  if (advice_.empty()) return std::nullopt;
  NegativeAdvice a = advice_.front();
  advice_.pop_front();
  return a;
}

void TcpProtocol::begin_batch() {
  batching_ = true;
}

void TcpProtocol::end_batch(Instant now) {
  advance(now);
  if (!batching_) return;
  batching_ = false;
  ++stats_.batches;
  std::sort(batch_touched_.begin(), batch_touched_.end());
  batch_touched_.erase(std::unique(batch_touched_.begin(), batch_touched_.end()),
                       batch_touched_.end());
  // MUST-58: "aggregate ACK segments whenever possible"; every segment of the batch
  // has been processed, so one ACK now covers all of them.
  for (ConnId id : batch_touched_) {
    Tcb* tcb = find(id);
    if (!tcb || tcb->finished()) continue;
    tcb->flush_output(now_);
    settle(id);
  }
  batch_touched_.clear();
  purge_heap();
}

std::optional<Event> TcpProtocol::pop_event() {
  if (events_.empty()) return std::nullopt;
  Event e = events_.front();
  events_.pop_front();
  return e;
}

void TcpProtocol::detach_from_listener(Conn& c, ConnId id) {
  if (!c.listener) return;
  auto lit = listeners_.find(*c.listener);
  if (lit != listeners_.end()) {
    Listener& l = lit->second;
    if (c.queued) {
      std::erase(l.accept_queue, id);
    } else if (l.embryonic > 0) {
      --l.embryonic;
    }
  }
  c.listener.reset();
  c.queued = false;
}

void TcpProtocol::reap(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  detach_from_listener(*it->second, id);
  tfo_settle(*it->second, true);
  // Normally gone already (settle removes a finished connection); never left pointing
  // at a freed Tcb.
  unindex(it->second->tcb.tuple(), id);
  reserved_ -= it->second->charged;
  if (it->second->time_wait) --time_wait_;
  conns_.erase(it);
  ++stats_.conns_closed;
}

void TcpProtocol::settle(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  settle(id, *it->second);
}

void TcpProtocol::settle(ConnId id, Conn& c) {
  // Whatever touched the connection during a batch (a segment, a timer, a user call)
  // may have left a pure ACK deferred: end_batch sends it.
  if (batching_) batch_touched_.push_back(id);
  Tcb& tcb = c.tcb;
  tfo_settle(c, false);
  if (tcb.take_accept_ready() && c.listener && !c.queued) {
    auto lit = listeners_.find(*c.listener);
    if (lit != listeners_.end()) {
      Listener& l = lit->second;
      if (l.embryonic > 0) --l.embryonic;
      l.accept_queue.push_back(id);
      c.queued = true;
      events_.push_back(Event{EventKind::AcceptReady, ConnId{}, *c.listener, ConnError::Reset});
    }
  }
  if (c.released && !c.time_wait && tcb.state() == State::TimeWait) enter_time_wait(c);
  if (tcb.finished()) {
    // A CLOSED connection leaves the demultiplexer at once (later segments get a RST
    // per §3.10.7.1) but stays readable until the user releases it.
    unindex(tcb.tuple(), id);
    c.scheduled.reset();
    const bool unaccepted = c.listener.has_value();
    if (c.released || unaccepted) reap(id);
    return;
  }
  const std::optional<Instant> d = tcb.deadline();
  if (d != c.scheduled) {
    c.scheduled = d;
    if (d) timers_.push(TimerEntry{*d, id});
  }
  // A released connection waiting out TIME-WAIT with nothing pending shrinks to its
  // frozen state (not inside a batch: end_batch still visits it).
  if (!batching_ && c.released && c.time_wait && !c.listener && !c.tfo_listener &&
      config_.freeze_time_wait && tcb.freezable()) {
    freeze(id);
  }
}

// ------------------------------------------------------------------------ user API
Result<ListenerId, ListenError> TcpProtocol::listen(Endpoint local, std::uint32_t backlog) {
  return listen(local, backlog, config_.defaults);
}

Result<ListenerId, ListenError> TcpProtocol::listen(Endpoint local, std::uint32_t backlog,
                                                    const SocketOptions& opts) {
  if (local.port == 0 || local.addr.is_broadcast() || local.addr.is_multicast())
    return Err{ListenError::InvalidAddress};
  if (!options_valid(opts)) return Err{ListenError::InvalidOption};
  for (const auto& [id, l] : listeners_) {
    // 0.0.0.0 and :: overlap (:: takes IPv4 too), as on Linux without IPV6_V6ONLY.
    const bool both_unspecified = l.local.addr.is_unspecified() && local.addr.is_unspecified();
    if (l.local.port == local.port && (l.local.addr == local.addr || both_unspecified))
      return Err{ListenError::AddressInUse};
  }
  const ListenerId id{next_id_++};
  Listener l;
  l.local = local;
  l.backlog = std::max<std::uint32_t>(backlog, 1);
  l.opts = opts;
  listeners_.emplace(id, std::move(l));
  return id;
}

Result<ConnId, AcceptError> TcpProtocol::accept(ListenerId lid) {
  auto lit = listeners_.find(lid);
  if (lit == listeners_.end()) return Err{AcceptError::NoSuchListener};
  Listener& l = lit->second;
  if (l.accept_queue.empty()) return Err{AcceptError::WouldBlock};
  const ConnId id = l.accept_queue.front();
  l.accept_queue.pop_front();
  Conn& c = *conns_.at(id);
  c.listener.reset();
  c.queued = false;
  c.tcb.set_user_visible();
  // What happened before accept() is reported now.
  if (c.tcb.readable() > 0) events_.push_back(Event{EventKind::Readable, id, lid, {}});
  // The FIN's PeerClosed was held while the connection was not user-visible: report it
  // even if data before the FIN is still unread (it is, when Readable was just queued).
  if (c.tcb.fin_received()) events_.push_back(Event{EventKind::PeerClosed, id, lid, {}});
  if (c.tcb.finished()) events_.push_back(Event{EventKind::Closed, id, lid, {}});
  return id;
}

Status<CloseError> TcpProtocol::close_listener(ListenerId lid) {
  if (!listeners_.contains(lid)) return Err{CloseError::NoSuchListener};
  std::vector<ConnId> children;
  for (const auto& [id, c] : conns_) {
    if (c->listener == lid) children.push_back(id);
  }
  std::sort(children.begin(), children.end());  // reset in the order they were made
  for (ConnId id : children) {
    conns_.at(id)->tcb.abort(now_);  // never accepted: reset the peer
    settle(id);
  }
  listeners_.erase(lid);
  purge_heap();
  return {};
}

Result<ConnId, ConnectError> TcpProtocol::connect(Endpoint local, Endpoint remote, Instant now) {
  return connect(local, remote, now, config_.defaults);
}

Result<ConnId, ConnectError> TcpProtocol::connect(Endpoint local, Endpoint remote, Instant now,
                                                  const SocketOptions& opts) {
  return connect(local, remote, now, opts, Bytes{});
}

Result<ConnId, ConnectError> TcpProtocol::connect(Endpoint local, Endpoint remote, Instant now,
                                                  const SocketOptions& opts, Bytes data) {
  advance(now);
  if (!options_valid(opts) || data.size() > opts.send_buffer)
    return Err{ConnectError::InvalidOption};
  // MUST-46: "reject as an error a local OPEN call for an invalid remote IP address".
  if (bad_remote(remote.addr) || remote.port == 0 || bad_remote(local.addr) ||
      local.addr.is_v4() != remote.addr.is_v4())
    return Err{ConnectError::InvalidAddress};
  if (connection_count() - time_wait_ >= config_.max_connections) {
    ++stats_.refused_max_connections;
    return Err{ConnectError::TooManyConnections};
  }
  if (!admit(opts)) return Err{ConnectError::NoMemory};
  Tuple t{local, remote};
  // A TIME-WAIT 4-tuple taken over (as Linux's tcp_tw_reuse): the new ISN must lie
  // beyond everything the old incarnation sent (RFC 9293 §3.6.1's rule for reopening).
  std::optional<SeqNum> isn_floor;
  auto take_over_time_wait = [&](const Tuple& tuple) {
    const auto it = by_tuple_.find(tuple);
    if (it == by_tuple_.end()) return true;
    // A frozen connection is judged as it is; only one taken over is thawed.
    if (auto f = frozen_.find(it->second);
        f != frozen_.end() && !Tcb::reusable_for_connect(f->second, now)) {
      return false;
    }
    Tcb* old = find(it->second);
    if (!old || !old->reusable_for_connect(now)) return false;
    isn_floor = old->snd_max() + 65535u + 1u;  // (Linux: snd_nxt + 65535 + 2)
    old->close_for_reuse(now);
    settle(it->second);
    ++stats_.time_wait_reused;
    return true;
  };
  if (local.port == 0) {
    // RFC 6056 Algorithm 4: the search starts at a point secret per destination and
    // moves on with every connection to it, by at least one port and a random step
    // (as Linux since 5.18: the next port is not predictable from the last).
    const std::uint32_t n = config_.ephemeral_last - config_.ephemeral_first + 1u;
    const auto [offset, bucket] = port_offset_and_bucket(local.addr, remote);
    const std::uint32_t start = (offset % n + port_table_[bucket]) % n;  // no 2^32 wrap
    auto port_at = [&](std::uint32_t i) {
      return static_cast<std::uint16_t>(config_.ephemeral_first + (start + i) % n);
    };
    const auto in_use = ephemeral_in_use_.find(Tuple{Endpoint{local.addr, 0}, remote});
    const bool any_free = in_use == ephemeral_in_use_.end() || in_use->second < n;
    bool found = false;
    std::uint32_t i = 0;
    for (; any_free && i < n && !found; ++i) {  // a free port first
      t.local.port = port_at(i);
      found = !by_tuple_.contains(t) && !find_listener(t.local);
    }
    if (!found) {
      for (i = 0; i < n && !found; ++i) {  // else a reusable TIME-WAIT
        t.local.port = port_at(i);
        found = !find_listener(t.local) && take_over_time_wait(t);
      }
    }
    if (!found) return Err{ConnectError::NoEphemeralPort};
    const auto step = static_cast<std::uint32_t>(random_.below(8));
    port_table_[bucket] = static_cast<std::uint16_t>(port_table_[bucket] + std::max(i, step + 1));
  } else if (!take_over_time_wait(t)) {
    return Err{ConnectError::AddressInUse};
  }
  const ConnId id = add_conn(t, opts);
  // RFC 7413 §4.2: a cached cookie goes out with the data, else the SYN asks for one
  // (also when there is no data: a refresh, §4.1.3); a server held off after SYN
  // losses gets no option at all.
  std::optional<TfoCookie> tfo;
  std::uint16_t tfo_mss = 0;
  if (opts.tfo && !tfo_cache_.held_off(remote.addr, now)) {
    tfo = TfoCookie{};
    const TfoCookieCache::Entry* e = tfo_cache_.find(remote.addr);
    if (e && e->cookie && !data.empty()) {
      tfo = *e->cookie;
      tfo_mss = e->mss;
    }
  }
  find(id)->tfo_prepare_active(tfo, tfo_mss, data);
  SeqNum iss = choose_isn(t, now);
  if (isn_floor && !seq_gt(iss, *isn_floor)) iss = *isn_floor + 1;
  find(id)->open_active(iss, now);
  settle(id);
  purge_heap();
  return id;
}

Result<std::size_t, SendError> TcpProtocol::send(ConnId id, Bytes data) {
  return send_data(id, data, false);
}

Result<std::size_t, SendError> TcpProtocol::send_urgent(ConnId id, Bytes data) {
  return send_data(id, data, true);
}

Result<std::size_t, SendError> TcpProtocol::send_data(ConnId id, Bytes data, bool urgent) {
  Tcb* tcb = find(id);
  if (!tcb) return Err{SendError::NoSuchConnection};
  if (tcb->error()) return Err{SendError::Reset};
  if (tcb->finished()) return Err{SendError::NotConnected};
  if (tcb->write_shut()) return Err{SendError::WriteShutdown};
  if (data.empty()) return std::size_t{0};
  const std::size_t n = tcb->send(data, urgent, now_);
  settle(id);
  purge_heap();
  if (n == 0) return Err{SendError::WouldBlock};
  return n;
}

Result<std::size_t, RecvError> TcpProtocol::receive(ConnId id, MutBytes out) {
  Tcb* tcb = find(id);
  if (!tcb) return Err{RecvError::NoSuchConnection};
  const std::size_t n = tcb->receive(out, now_);
  // The result first: settle() may reap or freeze the connection (tcb would dangle).
  auto r = receive_result(*tcb, n);
  settle(id);
  purge_heap();
  return r;
}

Result<std::size_t, RecvError> TcpProtocol::peek(ConnId id, MutBytes out) const {
  const Tcb* t = tcb(id);
  if (!t) return Err{RecvError::NoSuchConnection};
  return receive_result(*t, t->peek(out));
}

Result<std::size_t, RecvError> TcpProtocol::receive_result(const Tcb& t, std::size_t n) {
  // n bytes, or 0 at the end of the stream; nothing yet is WouldBlock, an aborted
  // connection is Reset.
  if (n > 0 || t.eof()) return n;
  if (t.error() || t.finished()) return Err{RecvError::Reset};
  return Err{RecvError::WouldBlock};
}

Status<CloseError> TcpProtocol::shutdown_write(ConnId id) {
  Tcb* tcb = find(id);
  if (!tcb) return Err{CloseError::NoSuchConnection};
  if (!tcb->finished()) tcb->shutdown_write(now_);
  settle(id);
  purge_heap();
  return {};
}

Status<CloseError> TcpProtocol::close(ConnId id) {
  return release(id, &Tcb::close);
}

Status<CloseError> TcpProtocol::abort(ConnId id) {
  return release(id, &Tcb::abort);
}

Status<CloseError> TcpProtocol::release(ConnId id, void (Tcb::*how)(Instant)) {
  // CLOSE and ABORT both hand the connection back: it is reaped once CLOSED. (A
  // frozen connection was released already; thawed, it answers as it did before.)
  Conn* c = thaw(id);
  if (!c) return Err{CloseError::NoSuchConnection};
  c->released = true;
  Tcb& tcb = c->tcb;
  if (!tcb.finished()) (tcb.*how)(now_);
  settle(id);
  purge_heap();
  return {};
}

Status<OptionError> TcpProtocol::set_options(ConnId id, const SocketOptions& opts) {
  Tcb* tcb = find(id);
  if (!tcb) return Err{OptionError::NoSuchConnection};
  if (!options_valid(opts) || opts.keepalive_count == 0) return Err{OptionError::InvalidValue};
  // Larger buffers are charged to the memory budget first (they never shrink).
  Conn& c = *conns_.at(id);
  const std::size_t limit = std::max(opts.send_buffer, tcb->options().send_buffer) +
                            std::max(opts.recv_buffer, tcb->options().recv_buffer);
  if (limit > c.charged && reserved_ + (limit - c.charged) > config_.memory_budget) {
    ++stats_.refused_memory_budget;
    return Err{OptionError::InvalidValue};
  }
  tcb->set_options(opts, now_);
  reserved_ += tcb->memory_limit() - c.charged;
  c.charged = static_cast<std::uint32_t>(tcb->memory_limit());
  settle(id);
  purge_heap();
  return {};
}

std::optional<SocketOptions> TcpProtocol::options(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->options()) : std::nullopt;
}
std::optional<State> TcpProtocol::state(ConnId id) const {
  if (frozen_.contains(id)) return State::TimeWait;
  const Tcb* t = find(id);
  return t ? std::optional(t->state()) : std::nullopt;
}
std::optional<ConnStats> TcpProtocol::conn_stats(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->stats()) : std::nullopt;
}
std::optional<TcpInfo> TcpProtocol::info(ConnId id, Instant now) const {
  if (const Tcb* t = find(id)) return t->info(now);
  if (auto f = frozen_.find(id); f != frozen_.end()) return Tcb::info(id, f->second, now);
  return std::nullopt;
}
std::vector<ConnId> TcpProtocol::connection_ids() const {
  std::vector<ConnId> ids;
  ids.reserve(conns_.size() + frozen_.size());
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (const auto& [id, f] : frozen_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}
std::optional<Endpoint> TcpProtocol::local_endpoint(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->local()) : std::nullopt;
}
std::optional<Endpoint> TcpProtocol::remote_endpoint(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->remote()) : std::nullopt;
}
std::optional<std::size_t> TcpProtocol::urgent_remaining(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->urgent_remaining()) : std::nullopt;
}
std::optional<std::size_t> TcpProtocol::readable(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->readable()) : std::nullopt;
}
std::optional<std::size_t> TcpProtocol::send_space(ConnId id) const {
  const Tcb* t = find(id);
  return t ? std::optional(t->send_space()) : std::nullopt;
}

}  // namespace synack::tcp
