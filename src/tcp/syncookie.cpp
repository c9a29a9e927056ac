// SYN cookies (RFC 4987 §3.6): the codec, the options kept in the TSval, and the
// listener's two halves — answering a SYN without state, rebuilding the connection
// from the returning ACK.
#include "synack/tcp/syncookie.hpp"

#include <sodium.h>

#include <algorithm>

#include "keyed_hash.hpp"
#include "synack/tcp/protocol.hpp"
#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
using wire::TcpFlags;

constexpr std::uint32_t kCountBits = 24;
constexpr std::uint32_t kDataMask = (1u << kCountBits) - 1;
constexpr std::uint32_t kTsBits = 6;  // low TSval bits replaced by the options
constexpr std::uint32_t kTsMask = (1u << kTsBits) - 1;
constexpr std::uint32_t kTsNoWscale = 0xF;
constexpr std::uint32_t kTsSack = 1u << 4;
constexpr std::uint32_t kTsEcn = 1u << 5;
constexpr std::uint8_t kMaxWscale = 14;  // RFC 7323 §2.3

SynCookieCodec::Key draw_key(Random& random) {
  SynCookieCodec::Key k{};
  for (std::size_t i = 0; i < k.size(); i += 8) {
    const std::uint64_t v = random.next_u64();
    for (std::size_t j = 0; j < 8; ++j) k[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  return k;
}
}  // namespace

// ------------------------------------------------------------------------- codec
SynCookieCodec::SynCookieCodec(Random& random) : k0_(draw_key(random)), k1_(draw_key(random)) {}

std::uint32_t SynCookieCodec::tick(Instant now) {
  const std::int64_t n = now.nanos();
  std::int64_t t = n / kTick.count();
  if (n % kTick.count() < 0) --t;  // floor, should an Instant ever be negative
  return static_cast<std::uint32_t>(t);
}

std::uint8_t SynCookieCodec::mss_index(std::optional<std::uint16_t> peer_mss, bool ipv6) {
  // MUST-15: no MSS option means 536 (IPv4) or 1220 (IPv6), each table's smallest entry.
  const auto& table = mss_table(ipv6);
  const std::uint16_t mss = peer_mss.value_or(table[0]);
  std::uint8_t i = 0;
  while (i + 1u < table.size() && table[i + 1u] <= mss) ++i;
  return i;
}

std::uint32_t SynCookieCodec::hash(const Key& key, Endpoint local, Endpoint remote,
                                   std::optional<std::uint32_t> count) const {
  KeyedHashInput in;
  in.add(local.addr).add16(local.port).add(remote.addr).add16(remote.port);
  if (count) in.add32(*count);
  const auto h = in.hash(key.data());
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{h[i]} << (8 * i);
  return v;
}

std::uint32_t SynCookieCodec::encode(Endpoint local, Endpoint remote, SeqNum client_isn,
                                     std::uint8_t mss_index, std::uint32_t tick) const {
  // H0 and the client's ISN make the cookie look like an RFC 6528 ISN to the peer;
  // the top 8 bits carry the tick, the low 24 the MSS index under a MAC that also
  // covers the tick (so a replayed cookie cannot be moved to another tick).
  return hash(k0_, local, remote, std::nullopt) + client_isn.raw() + (tick << kCountBits) +
         ((hash(k1_, local, remote, tick) + mss_index) & kDataMask);
}

std::optional<std::uint8_t> SynCookieCodec::decode(Endpoint local, Endpoint remote,
                                                   SeqNum client_isn, std::uint32_t cookie,
                                                   std::uint32_t tick) const {
  const std::uint32_t v = cookie - hash(k0_, local, remote, std::nullopt) - client_isn.raw();
  // The tick is known modulo 2^8 only: age is the distance back from `tick`.
  const std::uint32_t age = (tick - (v >> kCountBits)) & (0xFFFFFFFFu >> kCountBits);
  if (age > kMaxAge) return std::nullopt;
  const std::uint32_t made = tick - age;
  const std::uint32_t index = (v - hash(k1_, local, remote, made)) & kDataMask;
  // A wrong key, tuple or client ISN leaves a pseudo-random 24-bit number here: it
  // falls into the table with probability 4 / 2^24.
  static_assert(kMssTable.size() == kMssTable6.size());
  if (index >= kMssTable.size()) return std::nullopt;
  return static_cast<std::uint8_t>(index);
}

std::uint32_t cookie_tsval(std::uint32_t ts_now, const CookieTsOptions& o) {
  std::uint32_t bits = o.wscale ? std::min(*o.wscale, kMaxWscale) : kTsNoWscale;
  if (o.sack_permitted) bits |= kTsSack;
  // As Linux's cookie_init_timestamp: "ts = (ts_now >> TSBITS) << TSBITS; ts |=
  // options; if (ts > ts_now) ts -= (1UL << TSBITS)". Only the low bits differ, so
  // comparing them is the same test and immune to the 32-bit clock wrapping.
  std::uint32_t ts = (ts_now & ~kTsMask) | bits;
  if (bits > (ts_now & kTsMask)) ts -= 1u << kTsBits;
  return ts;
}

std::optional<CookieTsOptions> cookie_ts_options(std::uint32_t tsecr) {
  const std::uint32_t bits = tsecr & kTsMask;
  if (bits & kTsEcn) return std::nullopt;  // never set by us
  CookieTsOptions o;
  o.sack_permitted = (bits & kTsSack) != 0;
  const std::uint32_t ws = bits & kTsNoWscale;
  if (ws == kTsNoWscale) return o;
  if (ws > kMaxWscale) return std::nullopt;
  o.wscale = static_cast<std::uint8_t>(ws);
  return o;
}

// ------------------------------------------------------------------------ listener
namespace {

// The connection an ACK's cookie describes, or nullopt if it carries none of ours.
std::optional<CookieConnection> check_cookie(const SynCookieCodec& codec, const TcpConfig& cfg,
                                             const SegmentIn& in, std::uint32_t tick) {
  const wire::TcpRepr& seg = in.seg;
  const Endpoint local{in.dst, seg.dst_port};
  const Endpoint remote{in.src, seg.src_port};
  // The ACK of our SYN,ACK: SEG.ACK = cookie + 1, SEG.SEQ = client ISN + 1.
  const std::uint32_t cookie = seg.ack.raw() - 1;
  const auto index = codec.decode(local, remote, seg.seq - 1, cookie, tick);
  if (!index) return std::nullopt;
  CookieConnection c;
  c.iss = SeqNum(cookie);
  c.mss = SynCookieCodec::mss_table(remote.addr.is_v6())[*index];
  // Our SYN,ACK carried TSopt only if the SYN did (and timestamps are on); then the
  // ACK echoes our TSval, whose low bits hold the window scale and SACK-permitted.
  if (cfg.timestamps && seg.options.timestamps) {
    const auto o = cookie_ts_options(seg.options.timestamps->tsecr);
    if (!o || (o->wscale && !cfg.window_scaling)) return std::nullopt;
    c.timestamps = true;
    c.wscale = o->wscale;
    c.sack_permitted = o->sack_permitted;
  }
  return c;
}

}  // namespace

void TcpProtocol::send_cookie_syn_ack(Listener& l, const SegmentIn& in, Instant now) {
  const wire::TcpRepr& syn = in.seg;
  const Endpoint local{in.dst, syn.dst_port};
  const Endpoint remote{in.src, syn.src_port};
  const std::uint32_t t = SynCookieCodec::tick(now);
  const std::uint8_t index = SynCookieCodec::mss_index(syn.options.mss, in.src.is_v6());
  const SeqNum iss(cookie_codec_.encode(local, remote, syn.seq, index, t));
  // RFC 7323 options survive only in the TSval: without timestamps the SYN,ACK offers
  // no window scaling either (as Linux clears the options when the SYN has no TSopt),
  // so both ends agree there is none.
  const bool ts = config_.timestamps && syn.options.timestamps.has_value();
  const bool ws = ts && config_.window_scaling && syn.options.window_scale.has_value();
  // The SYN,ACK a SYN-RECEIVED Tcb would send (Tcb::emit): <SEQ=ISS><ACK=RCV.NXT>
  // <CTL=SYN,ACK>, MSS = MTU - 40 (60 over IPv6), an unscaled window, WS and TSopt if offered.
  wire::TcpRepr r;
  r.src_port = local.port;
  r.dst_port = remote.port;
  r.seq = iss;
  r.ack = syn.seq + 1;
  // RFC 3168 §6.1.1: never an ECN-setup SYN-ACK (no ECE), whatever the SYN asked: the
  // cookie keeps no record of an ECN agreement (Linux hides one in the TSval), so the
  // rebuilt connection runs without ECN and both ends know it.
  r.flags.bits = TcpFlags::kSyn | TcpFlags::kAck;
  r.window = static_cast<std::uint16_t>(std::min<std::size_t>(l.opts.recv_buffer, 0xffff));
  r.options.mss = static_cast<std::uint16_t>(route_mtu(remote.addr) - ip_tcp_headers(remote.addr));
  if (ws) r.options.window_scale = Tcb::window_scale_for(l.opts.recv_buffer);
  if (ts) {
    CookieTsOptions o;
    if (ws) o.wscale = std::min(*syn.options.window_scale, std::uint8_t{14});
    // RFC 2018 §2: SACK-permitted echoed (and kept in the TSval) when the SYN had it.
    o.sack_permitted = config_.sack && syn.options.sack_permitted;
    r.options.sack_permitted = o.sack_permitted;
    const auto ts_now =
        static_cast<std::uint32_t>(to_millis(now.since_origin())) + ts_offset(in.dst, in.src);
    r.options.timestamps =
        wire::TcpTimestamps{cookie_tsval(ts_now, o), syn.options.timestamps->tsval};
  }
  out_.push_back(
      build_segment(in.dst, in.src, r, config_.ttl, wire::ChecksumFill::Complete, &pool_));
  out_.back().dscp_ecn = static_cast<std::uint8_t>(l.opts.dscp << 2);  // SHLD-22
  l.cookie_tick = t;
  ++stats_.syn_cookies_sent;
}

bool TcpProtocol::on_cookie_ack(ListenerId lid, const SegmentIn& in, Instant now) {
  Listener& l = listeners_.at(lid);
  const std::uint32_t t = SynCookieCodec::tick(now);
  // Only a listener that sent cookies lately looks for one (Linux's
  // tcp_synq_no_recent_overflow): a listener that never needed cookies answers every
  // stray ACK with a RST as §3.10.7.2 says, and gives blind guessers nothing to try.
  if (!l.cookie_tick || t - *l.cookie_tick > SynCookieCodec::kMaxAge) return false;
  const auto c = check_cookie(cookie_codec_, config_, in, t);
  if (!c) {
    ++stats_.syn_cookies_invalid;
    return false;
  }
  // The accept queue may have filled since the SYN,ACK: drop silently, the client
  // retransmits its ACK or data (as Linux's listen overflow).
  if (l.accept_queue.size() >= l.backlog) {
    ++stats_.dropped_accept_queue_full;
    return true;
  }
  if (!admit(l.opts)) return true;  // max_connections / memory budget, counted there
  ++stats_.syn_cookies_valid;
  const Tuple tuple{Endpoint{in.dst, in.seg.dst_port}, Endpoint{in.src, in.seg.src_port}};
  const ConnId id = add_conn(tuple, l.opts);
  Conn& conn = *conns_.at(id);
  conn.listener = lid;
  ++l.embryonic;  // as a SYN's child: settle() moves it to the accept queue
  conn.tcb.open_from_cookie(in.seg, *c, lid, now);
  // The rest of the ACK (text, FIN, its window) through the normal ESTABLISHED path.
  conn.tcb.on_segment(in.seg, now, in.ecn);
  settle(id);
  return true;
}

}  // namespace synack::tcp
