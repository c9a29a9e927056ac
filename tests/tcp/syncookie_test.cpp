// SYN cookies (RFC 4987 §3.6): the codec (cookie layout as Linux's
// secure_tcp_syn_cookie, options in the TSval as cookie_init_timestamp), and the
// listener's stateless SYN,ACK and rebuild from the returning ACK, with real bytes.
#include <gtest/gtest.h>

#include <string>

#include "synack/tcp/syncookie.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

using namespace std::chrono_literals;

SynCookieCodec::Key key_of(unsigned char seed) {
  SynCookieCodec::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(seed * 31 + i * 7);
  return k;
}

const Endpoint kLocal{kAddrA, 80};
const Endpoint kRemote{kAddrB, 40000};

// ------------------------------------------------------------------------- codec
TEST(SynCookieCodec, TickIs64Seconds) {
  EXPECT_EQ(SynCookieCodec::tick(at_ms(0)), 0u);
  EXPECT_EQ(SynCookieCodec::tick(at_ms(63'999)), 0u);
  EXPECT_EQ(SynCookieCodec::tick(at_ms(64'000)), 1u);
  EXPECT_EQ(SynCookieCodec::tick(at_ms(64'000LL * 1000 + 5)), 1000u);
}

TEST(SynCookieCodec, MssIndexIsLargestEntryNotAbovePeerMss) {
  // kMssTable = {536, 1300, 1440, 1460}; no option means 536 (MUST-15).
  const std::pair<std::optional<std::uint16_t>, std::uint16_t> cases[] = {
      {std::nullopt, 536}, {100, 536},   {536, 536},   {1000, 536},  {1299, 536},
      {1300, 1300},        {1439, 1300}, {1440, 1440}, {1459, 1440}, {1460, 1460},
      {1461, 1460},        {9000, 1460}, {65535, 1460}};
  for (const auto& [peer, want] : cases) {
    const auto i = SynCookieCodec::mss_index(peer);
    ASSERT_LT(i, SynCookieCodec::kMssTable.size());
    EXPECT_EQ(SynCookieCodec::kMssTable[i], want) << "peer MSS " << peer.value_or(0);
  }
}

TEST(SynCookieCodec, Ipv6PeersUseTheIpv6Table) {
  // kMssTable6 = {1220, 1420, 1440, 8940}; no option means 1220 (MUST-15 for IPv6).
  const std::pair<std::optional<std::uint16_t>, std::uint16_t> cases[] = {
      {std::nullopt, 1220}, {536, 1220},  {1219, 1220}, {1220, 1220}, {1419, 1220},
      {1420, 1420},         {1460, 1440}, {8939, 1440}, {8940, 8940}, {65535, 8940}};
  for (const auto& [peer, want] : cases) {
    const auto i = SynCookieCodec::mss_index(peer, true);
    EXPECT_EQ(SynCookieCodec::mss_table(true)[i], want) << "peer MSS " << peer.value_or(0);
  }
  EXPECT_EQ(&SynCookieCodec::mss_table(false), &SynCookieCodec::kMssTable);
}

TEST(SynCookieCodec, RoundTripsEveryMssEntryAtEveryAcceptedAge) {
  const SynCookieCodec codec(key_of(1), key_of(2));
  const std::uint32_t isns[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 123456789};
  // Ticks around the 8-bit wrap of the count field too.
  const std::uint32_t ticks[] = {0, 1, 254, 255, 256, 100000};
  for (std::uint8_t idx = 0; idx < SynCookieCodec::kMssTable.size(); ++idx) {
    for (std::uint32_t isn : isns) {
      for (std::uint32_t t : ticks) {
        const std::uint32_t c = codec.encode(kLocal, kRemote, SeqNum(isn), idx, t);
        for (std::uint32_t age = 0; age <= SynCookieCodec::kMaxAge; ++age) {
          const auto got = codec.decode(kLocal, kRemote, SeqNum(isn), c, t + age);
          ASSERT_TRUE(got.has_value())
              << "idx " << int(idx) << " isn " << isn << " tick " << t << " age " << age;
          EXPECT_EQ(*got, idx);
        }
      }
    }
  }
}

TEST(SynCookieCodec, CookieDependsOnEveryInput) {
  const SynCookieCodec codec(key_of(1), key_of(2));
  const std::uint32_t base = codec.encode(kLocal, kRemote, SeqNum(1000), 3, 10);
  EXPECT_NE(base, codec.encode(kLocal, kRemote, SeqNum(1001), 3, 10));
  EXPECT_NE(base, codec.encode(kLocal, kRemote, SeqNum(1000), 2, 10));
  EXPECT_NE(base, codec.encode(kLocal, kRemote, SeqNum(1000), 3, 11));
  EXPECT_NE(base, codec.encode(kLocal, Endpoint{kAddrB, 40001}, SeqNum(1000), 3, 10));
  // Not just ISN + constant: two tuples differ by more than their ISNs do.
  const std::uint32_t other = codec.encode(kLocal, Endpoint{kAddrB, 40001}, SeqNum(1000), 3, 10);
  EXPECT_NE(other - base, 0u);
  // The top 8 bits move with the tick (tick << 24 is added).
  EXPECT_EQ(codec.encode(kLocal, kRemote, SeqNum(1000), 3, 10 + 256) >> 24, base >> 24);
}

TEST(SynCookieCodec, RejectsWrongTupleIsnKeyAndAge) {
  const SynCookieCodec codec(key_of(1), key_of(2));
  const std::uint32_t t = 500;
  for (std::uint8_t idx = 0; idx < 4; ++idx) {
    const std::uint32_t c = codec.encode(kLocal, kRemote, SeqNum(777), idx, t);
    ASSERT_EQ(codec.decode(kLocal, kRemote, SeqNum(777), c, t), idx);
    const Endpoint other_addr{wire::Ipv4Addr::from_octets(10, 77, 0, 3), 80};
    EXPECT_FALSE(codec.decode(other_addr, kRemote, SeqNum(777), c, t));
    EXPECT_FALSE(codec.decode(Endpoint{kAddrA, 81}, kRemote, SeqNum(777), c, t));
    EXPECT_FALSE(codec.decode(kLocal, Endpoint{kAddrA, 40000}, SeqNum(777), c, t));
    EXPECT_FALSE(codec.decode(kLocal, Endpoint{kAddrB, 40001}, SeqNum(777), c, t));
    // Local and remote swapped.
    EXPECT_FALSE(codec.decode(kRemote, kLocal, SeqNum(777), c, t));
    // Another client ISN. The cookie is H0 + ISN + ...: an ISN off by 1..3 lands on
    // another MSS index or outside the table (as with Linux's layout: only someone who
    // saw the SYN,ACK can shift SEG.SEQ and SEG.ACK together, and could simply have
    // completed the handshake); 4 or more away it never decodes.
    for (std::uint32_t d : {4u, 5u, 1000u, 1u << 24, 1u << 31}) {
      EXPECT_FALSE(codec.decode(kLocal, kRemote, SeqNum(777 + d), c, t)) << d;
      EXPECT_FALSE(codec.decode(kLocal, kRemote, SeqNum(777 - d), c, t)) << d;
    }
    for (std::uint32_t d : {1u, 2u, 3u}) {
      const auto shifted = codec.decode(kLocal, kRemote, SeqNum(777 + d), c, t);
      if (shifted) {
        EXPECT_NE(*shifted, idx);
      }
    }
    // Age: kMaxAge ticks is still fine, one more is not; a cookie from the future never.
    EXPECT_TRUE(codec.decode(kLocal, kRemote, SeqNum(777), c, t + SynCookieCodec::kMaxAge));
    EXPECT_FALSE(codec.decode(kLocal, kRemote, SeqNum(777), c, t + SynCookieCodec::kMaxAge + 1));
    EXPECT_FALSE(codec.decode(kLocal, kRemote, SeqNum(777), c, t + 100));
    EXPECT_FALSE(codec.decode(kLocal, kRemote, SeqNum(777), c, t - 1));
    // Another key (either one).
    EXPECT_FALSE(SynCookieCodec(key_of(3), key_of(2)).decode(kLocal, kRemote, SeqNum(777), c, t));
    EXPECT_FALSE(SynCookieCodec(key_of(1), key_of(3)).decode(kLocal, kRemote, SeqNum(777), c, t));
  }
}

TEST(SynCookieCodec, KeysComeFromTheInjectedRandom) {
  SeededRandom r1(5), r2(5), r3(6);
  const SynCookieCodec a(r1), b(r2), c(r3);
  const std::uint32_t ca = a.encode(kLocal, kRemote, SeqNum(1), 0, 0);
  EXPECT_EQ(ca, b.encode(kLocal, kRemote, SeqNum(1), 0, 0));
  EXPECT_NE(ca, c.encode(kLocal, kRemote, SeqNum(1), 0, 0));
  EXPECT_FALSE(c.decode(kLocal, kRemote, SeqNum(1), ca, 0));
}

TEST(SynCookieCodec, EverySingleBitFlipIsRejectedOrChangesOnlyTheMss) {
  // Bits 2..31: rejected. Bits 0..1 lie under the 2-bit MSS index, which Linux's
  // layout leaves unauthenticated beyond its range: a flip there is rejected or
  // yields another table entry — never the original options, never a valid cookie
  // for anything else.
  const SynCookieCodec codec(key_of(1), key_of(2));
  int low_bit_accepts = 0;
  for (std::uint32_t isn : {1u, 99999u, 0xfffffff0u}) {
    for (std::uint8_t idx = 0; idx < 4; ++idx) {
      const std::uint32_t c = codec.encode(kLocal, kRemote, SeqNum(isn), idx, 42);
      for (int bit = 0; bit < 32; ++bit) {
        const auto got = codec.decode(kLocal, kRemote, SeqNum(isn), c ^ (1u << bit), 42);
        if (bit >= 2) {
          EXPECT_FALSE(got.has_value()) << "bit " << bit << " idx " << int(idx);
        } else if (got) {
          EXPECT_NE(*got, idx) << "bit " << bit;
          ++low_bit_accepts;
        }
      }
    }
  }
  // Bit 0 moves the index by one (3 -> 4 and 0 -> -1 fall out of the table).
  EXPECT_GT(low_bit_accepts, 0);
}

TEST(SynCookieTimestamp, RoundTripsEveryWscaleAndSackAtManyClocks) {
  const std::uint32_t clocks[] = {0,          1,          63,         64,         65,
                                  0x12345678, 0x7fffffff, 0x80000000, 0xffffffc0, 0xffffffff};
  for (std::uint32_t now : clocks) {
    for (int ws = -1; ws <= 14; ++ws) {
      for (bool sack : {false, true}) {
        CookieTsOptions o;
        if (ws >= 0) o.wscale = static_cast<std::uint8_t>(ws);
        o.sack_permitted = sack;
        const std::uint32_t ts = cookie_tsval(now, o);
        // Low 6 bits: wscale (0xF = none), bit 4 SACK, bit 5 (ECN) clear.
        const std::uint32_t bits =
            (ws >= 0 ? static_cast<std::uint32_t>(ws) : 0xFu) | (sack ? 0x10u : 0u);
        EXPECT_EQ(ts & 0x3Fu, bits);
        // Never ahead of the clock, and less than 64 behind it.
        EXPECT_LT(now - ts, 64u) << "now " << now << " ts " << ts;
        const auto back = cookie_ts_options(ts);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, o) << "now " << now << " ws " << ws << " sack " << sack;
      }
    }
  }
}

TEST(SynCookieTimestamp, WscaleAbove14IsClampedAndEcnBitRejected) {
  CookieTsOptions o;
  o.wscale = 15;
  EXPECT_EQ(cookie_tsval(1000, o) & 0xF, 14u);  // RFC 7323 §2.3: use 14
  EXPECT_FALSE(cookie_ts_options(0x20).has_value());
  EXPECT_FALSE(cookie_ts_options(0x3F).has_value());
  auto none = cookie_ts_options(0x0F);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->wscale);
  EXPECT_FALSE(none->sack_permitted);
}

// ------------------------------------------------------------------------ listener
TcpConfig cookie_config(bool timestamps, std::uint32_t syn_queue = 1,
                        SynCookies mode = SynCookies::WhenFull) {
  TcpConfig c;
  c.timestamps = timestamps;
  c.window_scaling = true;
  c.syn_queue = syn_queue;
  c.syn_cookies = mode;
  return c;
}

wire::TcpOptions syn_options(std::optional<std::uint16_t> mss, std::optional<std::uint8_t> ws,
                             bool sack, std::optional<std::uint32_t> tsval) {
  wire::TcpOptions o;
  o.mss = mss;
  o.window_scale = ws;
  o.sack_permitted = sack;
  if (tsval) o.timestamps = wire::TcpTimestamps{*tsval, 0};
  return o;
}

struct CookieServer {
  explicit CookieServer(TcpConfig c, std::uint32_t backlog = 8, SocketOptions opts = {})
      : cfg(c), proto(cfg, rng) {
    proto.set_trace([this](const Transition& t) { trace.push_back(t); });
    lid = proto.listen(Endpoint{kAddrA, 80}, backlog, opts).value();
  }
  // A SYN from `port`; returns what the listener sent.
  std::vector<Sent> syn(std::uint16_t port, std::uint32_t isn, const wire::TcpOptions& o,
                        Instant at, Bytes payload = {}) {
    Peer p{kAddrB, port, kAddrA, 80};
    proto.on_segment(p.seg(F::kSyn, isn, 0, 65535, payload, o), at);
    return drain(proto);
  }
  // The handshake's ACK answering `synack` (TSopt echoing its TSval if it had one).
  SegmentIn ack_for(std::uint16_t port, const wire::TcpRepr& synack, std::uint16_t wnd,
                    std::optional<std::uint32_t> tsval, Bytes payload = {},
                    std::uint8_t extra = 0) {
    Peer p{kAddrB, port, kAddrA, 80};
    auto in = p.seg(static_cast<std::uint8_t>(F::kAck | extra), synack.ack.raw(),
                    synack.seq.raw() + 1, wnd, payload);
    if (tsval && synack.options.timestamps) {
      in.seg.options.timestamps = wire::TcpTimestamps{*tsval, synack.options.timestamps->tsval};
    }
    return in;
  }
  TcpConfig cfg;
  SeededRandom rng{21};
  TcpProtocol proto;
  ListenerId lid;
  std::vector<Transition> trace;
};

// The codec a TcpProtocol seeded like CookieServer holds: its keys are the first
// draws from the injected Random.
SynCookieCodec codec_of_seed(std::uint64_t seed) {
  SeededRandom r(seed);
  return SynCookieCodec(r);
}

TEST(SynCookieListener, FullSynQueueAnswersWithStatelessCookie) {
  CookieServer s(cookie_config(true));
  const Instant t0 = at_ms(100'000);  // tick 1
  auto first = s.syn(1111, 9000, syn_options(1460, 7, true, 500), t0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(s.proto.connection_count(), 1u);  // the SYN queue (1) is now full
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 0u);

  auto out = s.syn(40000, 5000, syn_options(1400, 7, true, 1000), t0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(s.proto.connection_count(), 1u);  // no state kept
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 1u);
  const wire::TcpRepr& sa = out[0].seg;
  EXPECT_EQ(out[0].flags(), "S.");
  EXPECT_EQ(sa.src_port, 80);
  EXPECT_EQ(sa.dst_port, 40000);
  EXPECT_EQ(sa.ack.raw(), 5001u);
  // The ISN is the cookie for this tuple, client ISN and MSS 1300 (largest <= 1400).
  const auto idx = codec_of_seed(21).decode(kLocal, kRemote, SeqNum(5000), sa.seq.raw(),
                                            SynCookieCodec::tick(t0));
  ASSERT_TRUE(idx.has_value());
  EXPECT_EQ(SynCookieCodec::kMssTable[*idx], 1300);
  // Options as a normal SYN,ACK: our MSS, our window scale (256 KiB needs shift 3).
  EXPECT_EQ(sa.options.mss, 1460);
  EXPECT_EQ(sa.options.window_scale, 3);
  EXPECT_EQ(sa.window, 65535);
  EXPECT_TRUE(sa.options.sack_permitted);  // echoed, and kept in the TSval (RFC 2018 §2)
  ASSERT_TRUE(sa.options.timestamps);
  EXPECT_EQ(sa.options.timestamps->tsecr, 1000u);
  // TSval: the rebuilt connection's clock, low 6 bits = peer wscale 7 |
  // SACK-permitted (0x10), not ahead of that clock. The clock offset is per address
  // pair: the normal SYN,ACK to the same peer at the same instant shows it.
  ASSERT_TRUE(first[0].seg.options.timestamps);
  const std::uint32_t clock = first[0].seg.options.timestamps->tsval;
  const std::uint32_t tsval = sa.options.timestamps->tsval;
  EXPECT_EQ(tsval & 0x3F, 0x17u);
  EXPECT_LT(clock - tsval, 64u);
}

TEST(SynCookieListener, CookieSynAckLooksLikeTheNormalOne) {
  SocketOptions opts;
  opts.recv_buffer = 40000;  // no scaling needed: shift 0, window 40000
  opts.dscp = 10;
  for (bool ts : {true, false}) {
    CookieServer normal(cookie_config(ts, 8, SynCookies::Never), 8, opts);
    CookieServer cookie(cookie_config(ts, 8, SynCookies::Always), 8, opts);
    const auto o = syn_options(1460, 2, false, 77);
    auto a = normal.syn(40000, 1, o, at_ms(5));
    auto b = cookie.syn(40000, 1, o, at_ms(5));
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].out.dscp_ecn, 40);
    EXPECT_EQ(a[0].out.dscp_ecn, b[0].out.dscp_ecn);
    EXPECT_EQ(a[0].out.ttl, b[0].out.ttl);
    wire::TcpRepr x = a[0].seg, y = b[0].seg;
    EXPECT_EQ(x.window, 40000);
    EXPECT_EQ(x.flags.bits, y.flags.bits);
    EXPECT_EQ(x.ack, y.ack);
    EXPECT_EQ(x.window, y.window);
    EXPECT_NE(x.seq, y.seq);  // an RFC 6528 ISN vs a cookie
    if (ts) {
      EXPECT_EQ(a[0].out.bytes().size(), b[0].out.bytes().size());
      ASSERT_TRUE(x.options.timestamps && y.options.timestamps);
      EXPECT_EQ(x.options.timestamps->tsecr, y.options.timestamps->tsecr);
      x.options.timestamps->tsval = y.options.timestamps->tsval = 0;
      EXPECT_EQ(x.options, y.options);
    } else {
      // Without timestamps the cookie SYN,ACK drops window scaling (no room to keep
      // the peer's shift); otherwise identical.
      EXPECT_EQ(x.options.window_scale, 0);
      EXPECT_FALSE(y.options.window_scale);
      x.options.window_scale.reset();
      EXPECT_EQ(x.options, y.options);
    }
  }
}

TEST(SynCookieListener, ReturningAckRebuildsConnectionWithScalingAndTimestamps) {
  CookieServer s(cookie_config(true, 1, SynCookies::Always));
  const Instant t0 = at_ms(1000);
  auto out = s.syn(40000, 5000, syn_options(1460, 7, true, 1000), t0);
  ASSERT_EQ(out.size(), 1u);
  const wire::TcpRepr sa = out[0].seg;
  EXPECT_EQ(s.proto.connection_count(), 0u);
  // The ACK carries 5 bytes of data already; window 1000 << 7.
  const auto hello = as_bytes(std::string_view("hello"));
  s.proto.on_segment(s.ack_for(40000, sa, 1000, 1010, hello), at_ms(1050));
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);
  EXPECT_EQ(s.proto.connection_count(), 1u);
  auto ev = events(s.proto);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::AcceptReady);
  auto id = s.proto.accept(s.lid);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(s.proto.state(*id), State::Established);
  ASSERT_EQ(s.trace.size(), 1u);
  EXPECT_EQ(s.trace[0].from, State::Listen);
  EXPECT_EQ(s.trace[0].to, State::Established);
  EXPECT_EQ(s.trace[0].rule, Rule::rfc4987_3_6_syn_cookie_ack);
  EXPECT_EQ(to_string(s.trace[0].rule), "rfc4987_3_6_syn_cookie_ack");
  const Tcb* t = s.proto.tcb(*id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->iss(), sa.seq);
  EXPECT_EQ(t->irs().raw(), 5000u);
  EXPECT_EQ(t->snd_una().raw(), sa.seq.raw() + 1);
  EXPECT_EQ(t->rcv_nxt().raw(), 5006u);  // the ACK's 5 bytes were taken
  EXPECT_TRUE(t->timestamps_enabled());
  EXPECT_TRUE(t->window_scaling_enabled());
  EXPECT_EQ(t->snd_wscale(), 7);
  EXPECT_EQ(t->rcv_wscale(), 3);
  EXPECT_TRUE(t->peer_sack_permitted());
  EXPECT_EQ(t->snd_wnd(), 1000u << 7);
  EXPECT_EQ(t->eff_snd_mss(), 1460u - 12u);  // table 1460, minus TSopt
  // The data is readable after accept(); reading it opens the window, announced
  // scaled by our shift 3 (256 KiB buffer: 262144 >> 3, beyond 16 bits unscaled).
  std::byte buf[64];
  auto n = s.proto.receive(*id, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), *n), "hello");
  auto update = drain(s.proto);
  ASSERT_EQ(update.size(), 1u);
  EXPECT_EQ(update[0].flags(), ".");
  EXPECT_EQ(update[0].seg.ack.raw(), 5006u);
  EXPECT_EQ(update[0].seg.window, 262144u >> 3);

  // Our data goes out in 1448-byte pieces on the rebuilt TS clock (the last 104
  // bytes with them: no other short segment is unacknowledged, Minshall's Nagle).
  const std::string data = pattern(3000);
  ASSERT_EQ(s.proto.send(*id, as_bytes(std::string_view(data))).value(), 3000u);
  auto segs = drain(s.proto);
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[2].text(), data.substr(2896));
  EXPECT_EQ(segs[1].text(), data.substr(1448, 1448));
  EXPECT_EQ(segs[0].seg.seq.raw(), sa.seq.raw() + 1);
  EXPECT_EQ(segs[0].seg.ack.raw(), 5006u);
  EXPECT_EQ(segs[0].data.size(), 1448u);
  EXPECT_EQ(segs[0].text(), data.substr(0, 1448));
  ASSERT_TRUE(segs[0].seg.options.timestamps);
  EXPECT_EQ(segs[0].seg.options.timestamps->tsecr, 1010u);
  const std::uint32_t since_synack =
      segs[0].seg.options.timestamps->tsval - sa.options.timestamps->tsval;
  EXPECT_GE(since_synack, 50u);  // 50 ms passed: the clock continued
  EXPECT_LT(since_synack, 50u + 64u);
  EXPECT_EQ(segs[0].seg.window, 262144u >> 3);

  // The peer acknowledges all of it with data of its own.
  Peer p{kAddrB, 40000, kAddrA, 80};
  auto more = p.seg(F::kAck | F::kPsh, 5006, sa.seq.raw() + 1 + 3000, 1000,
                    as_bytes(std::string_view("world")));
  more.seg.options.timestamps = wire::TcpTimestamps{1100, segs[2].seg.options.timestamps->tsval};
  s.proto.on_segment(more, at_ms(1100));
  EXPECT_EQ(s.proto.tcb(*id)->snd_una().raw(), sa.seq.raw() + 1 + 3000);
  EXPECT_EQ(s.proto.tcb(*id)->rcv_nxt().raw(), 5011u);
  n = s.proto.receive(*id, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), *n), "world");
}

TEST(SynCookieListener, WithoutTimestampsRebuildsWithoutScalingOrSack) {
  // The SYN offers WS and SACK but no TSopt: nothing can carry them (RFC 4987 §3.6,
  // as Linux), and the MSS falls to the table entry below the peer's 1000.
  CookieServer s(cookie_config(true, 1, SynCookies::Always));
  auto out = s.syn(40000, 7000, syn_options(1000, 7, true, std::nullopt), at_ms(10));
  ASSERT_EQ(out.size(), 1u);
  const wire::TcpRepr sa = out[0].seg;
  EXPECT_EQ(sa.options.mss, 1460);
  EXPECT_FALSE(sa.options.window_scale);
  EXPECT_FALSE(sa.options.timestamps);
  s.proto.on_segment(s.ack_for(40000, sa, 50000, std::nullopt), at_ms(20));
  auto id = s.proto.accept(s.lid);
  ASSERT_TRUE(id.ok());
  const Tcb* t = s.proto.tcb(*id);
  EXPECT_FALSE(t->timestamps_enabled());
  EXPECT_FALSE(t->window_scaling_enabled());
  EXPECT_EQ(t->snd_wscale(), 0);
  EXPECT_EQ(t->rcv_wscale(), 0);
  EXPECT_FALSE(t->peer_sack_permitted());
  EXPECT_EQ(t->eff_snd_mss(), 536u);
  EXPECT_EQ(t->snd_wnd(), 50000u);
  const std::string data = pattern(1000);
  ASSERT_EQ(s.proto.send(*id, as_bytes(std::string_view(data))).value(), 1000u);
  auto segs = drain(s.proto);
  ASSERT_EQ(segs.size(), 2u);  // 536 bytes, then the 464-byte tail (Minshall's Nagle)
  EXPECT_EQ(segs[0].data.size(), 536u);
  EXPECT_EQ(segs[1].data.size(), 464u);
  EXPECT_FALSE(segs[0].seg.options.timestamps);
  EXPECT_EQ(segs[0].seg.window, 65535);  // unscaled: capped at 16 bits
}

TEST(SynCookieListener, NoWindowScalingOfferedKeepsNoneWithTimestamps) {
  CookieServer s(cookie_config(true, 1, SynCookies::Always));
  auto out = s.syn(40000, 7000, syn_options(std::nullopt, std::nullopt, false, 9), at_ms(10));
  ASSERT_EQ(out.size(), 1u);
  const wire::TcpRepr sa = out[0].seg;
  EXPECT_FALSE(sa.options.window_scale);
  ASSERT_TRUE(sa.options.timestamps);
  EXPECT_EQ(sa.options.timestamps->tsval & 0x3F, 0x0Fu);  // 0xF: no WS, no SACK
  s.proto.on_segment(s.ack_for(40000, sa, 2000, 10), at_ms(20));
  auto id = s.proto.accept(s.lid);
  ASSERT_TRUE(id.ok());
  const Tcb* t = s.proto.tcb(*id);
  EXPECT_TRUE(t->timestamps_enabled());
  EXPECT_FALSE(t->window_scaling_enabled());
  EXPECT_EQ(t->snd_wnd(), 2000u);
  EXPECT_EQ(t->eff_snd_mss(), 536u - 12u);  // no MSS option: 536 (MUST-15)
}

TEST(SynCookieListener, AckWithFinRebuildsIntoCloseWait) {
  CookieServer s(cookie_config(false, 1, SynCookies::Always));
  auto out = s.syn(40000, 100, syn_options(1460, std::nullopt, false, std::nullopt), at_ms(0));
  ASSERT_EQ(out.size(), 1u);
  s.proto.on_segment(
      s.ack_for(40000, out[0].seg, 8000, std::nullopt, as_bytes(std::string_view("bye")), F::kFin),
      at_ms(1));
  auto acks = drain(s.proto);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].seg.ack.raw(), 101u + 3u + 1u);  // data and FIN acknowledged
  auto id = s.proto.accept(s.lid);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(s.proto.state(*id), State::CloseWait);
  auto ev = events(s.proto);
  EXPECT_TRUE(has_event(ev, EventKind::Readable));
  EXPECT_TRUE(has_event(ev, EventKind::PeerClosed));
}

TEST(SynCookieListener, InvalidCookieAckIsAnsweredWithRstAndCounted) {
  CookieServer s(cookie_config(true, 1, SynCookies::Always));
  auto out = s.syn(40000, 5000, syn_options(1460, 7, false, 1000), at_ms(0));
  ASSERT_EQ(out.size(), 1u);
  wire::TcpRepr sa = out[0].seg;
  // SEG.ACK one off.
  auto bad = s.ack_for(40000, sa, 1000, 1001);
  bad.seg.ack = bad.seg.ack + 1;
  s.proto.on_segment(bad, at_ms(1));
  auto r = drain(s.proto);
  ASSERT_EQ(r.size(), 1u);
  // §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(r[0].seg.seq, bad.seg.ack);
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 1u);
  // The right cookie from another port, and with another client ISN.
  s.proto.on_segment(s.ack_for(40001, sa, 1000, 1001), at_ms(1));
  auto moved = s.ack_for(40000, sa, 1000, 1001);
  moved.seg.seq = moved.seg.seq + 4;
  s.proto.on_segment(moved, at_ms(1));
  EXPECT_EQ(drain(s.proto).size(), 2u);
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 3u);
  // TSecr with the ECN bit (never sent by us).
  auto ecn = s.ack_for(40000, sa, 1000, 1001);
  ecn.seg.options.timestamps->tsecr |= 0x20;
  s.proto.on_segment(ecn, at_ms(1));
  EXPECT_EQ(drain(s.proto).size(), 1u);
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 4u);
  EXPECT_EQ(s.proto.connection_count(), 0u);
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 0u);
  // The genuine ACK still works.
  s.proto.on_segment(s.ack_for(40000, sa, 1000, 1001), at_ms(2));
  EXPECT_TRUE(drain(s.proto).empty());
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);
  EXPECT_TRUE(s.proto.accept(s.lid).ok());
}

TEST(SynCookieListener, AcksAreNotCookiesUnlessCookiesWereSentRecently) {
  CookieServer s(cookie_config(false, 1, SynCookies::Always));
  // No cookie ever sent: a stray ACK is answered per §3.10.7.2, not counted.
  Peer p{kAddrB, 40000, kAddrA, 80};
  s.proto.on_segment(p.seg(F::kAck, 1, 999, 100), at_ms(0));
  auto r = drain(s.proto);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 0u);

  // A cookie at tick 0 is accepted through tick 2 (t < 192 s) ...
  auto a = s.syn(40000, 10, syn_options(1460, std::nullopt, false, std::nullopt), at_ms(0));
  auto b = s.syn(40001, 20, syn_options(1460, std::nullopt, false, std::nullopt), at_ms(0));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  s.proto.on_segment(s.ack_for(40000, a[0].seg, 100, std::nullopt), at_ms(191'999));
  EXPECT_TRUE(drain(s.proto).empty());
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);
  // ... not at tick 3; no cookie since tick 0 either: a plain RST, not counted.
  s.proto.on_segment(s.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(192'000));
  r = drain(s.proto);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 0u);
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);

  // With a recent cookie (another client, tick 3), the expired one counts as invalid.
  auto c = s.syn(40002, 30, syn_options(1460, std::nullopt, false, std::nullopt), at_ms(193'000));
  ASSERT_EQ(c.size(), 1u);
  s.proto.on_segment(s.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(193'000));
  EXPECT_EQ(drain(s.proto).size(), 1u);
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 1u);
}

TEST(SynCookieListener, SynAckAtListenerIsStillReset) {
  CookieServer s(cookie_config(false, 1, SynCookies::Always));
  auto a = s.syn(40000, 10, {}, at_ms(0));
  ASSERT_EQ(a.size(), 1u);
  // A SYN,ACK carrying the right numbers is not a cookie's ACK.
  auto in = s.ack_for(40000, a[0].seg, 100, std::nullopt, {}, F::kSyn);
  in.seg.seq = SeqNum(10);
  s.proto.on_segment(in, at_ms(1));
  auto r = drain(s.proto);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(s.proto.connection_count(), 0u);
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 0u);
}

TEST(SynCookieListener, FullAcceptQueueDropsSynsAndCookieAcks) {
  CookieServer s(cookie_config(false, 8, SynCookies::Always), /*backlog=*/1);
  auto a = s.syn(40000, 10, {}, at_ms(0));
  auto b = s.syn(40001, 20, {}, at_ms(0));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  s.proto.on_segment(s.ack_for(40000, a[0].seg, 100, std::nullopt), at_ms(1));
  EXPECT_EQ(s.proto.connection_count(), 1u);
  // The accept queue (1) is full: b's valid ACK is dropped silently (no RST) ...
  s.proto.on_segment(s.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(2));
  EXPECT_TRUE(drain(s.proto).empty());
  EXPECT_EQ(s.proto.stats().dropped_accept_queue_full, 1u);
  EXPECT_EQ(s.proto.stats().syn_cookies_invalid, 0u);
  EXPECT_EQ(s.proto.connection_count(), 1u);
  // ... and so is a new SYN (as Linux: no SYN,ACK while the accept queue is full).
  EXPECT_TRUE(s.syn(40002, 30, {}, at_ms(3)).empty());
  EXPECT_EQ(s.proto.stats().dropped_accept_queue_full, 2u);
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 2u);
  // Once accept() made room, b's retransmitted ACK gets in.
  ASSERT_TRUE(s.proto.accept(s.lid).ok());
  s.proto.on_segment(s.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(1000));
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 2u);
  EXPECT_TRUE(s.proto.accept(s.lid).ok());
}

TEST(SynCookieListener, NeverDropsSynsBeyondTheSynQueue) {
  CookieServer s(cookie_config(true, 1, SynCookies::Never));
  ASSERT_EQ(s.syn(40000, 10, {}, at_ms(0)).size(), 1u);
  EXPECT_TRUE(s.syn(40001, 20, {}, at_ms(0)).empty());
  EXPECT_EQ(s.proto.stats().dropped_syn_queue_full, 1u);
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 0u);
  EXPECT_EQ(s.proto.connection_count(), 1u);
}

TEST(SynCookieListener, WhenFullUsesTheSynQueueFirst) {
  CookieServer s(cookie_config(false, 2, SynCookies::WhenFull));
  for (std::uint16_t port = 1; port <= 5; ++port) {
    ASSERT_EQ(s.syn(port, 10, {}, at_ms(0)).size(), 1u);
  }
  EXPECT_EQ(s.proto.connection_count(), 2u);
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 3u);
  EXPECT_EQ(s.proto.stats().dropped_syn_queue_full, 0u);
}

TEST(SynCookieListener, RebuildRespectsMaxConnectionsAndMemoryBudget) {
  TcpConfig cfg = cookie_config(false, 8, SynCookies::Always);
  cfg.max_connections = 1;
  CookieServer s(cfg);
  auto a = s.syn(40000, 10, {}, at_ms(0));
  auto b = s.syn(40001, 20, {}, at_ms(0));
  s.proto.on_segment(s.ack_for(40000, a[0].seg, 100, std::nullopt), at_ms(1));
  s.proto.on_segment(s.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(1));
  EXPECT_TRUE(drain(s.proto).empty());
  EXPECT_EQ(s.proto.connection_count(), 1u);
  EXPECT_EQ(s.proto.stats().refused_max_connections, 1u);
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);

  TcpConfig small = cookie_config(false, 8, SynCookies::Always);
  SocketOptions opts;
  opts.send_buffer = opts.recv_buffer = 64 * 1024;
  small.memory_budget = 3 * 64 * 1024;  // one connection (128 KiB) fits, not two
  CookieServer m(small, 8, opts);
  a = m.syn(40000, 10, {}, at_ms(0));
  b = m.syn(40001, 20, {}, at_ms(0));
  m.proto.on_segment(m.ack_for(40000, a[0].seg, 100, std::nullopt), at_ms(1));
  m.proto.on_segment(m.ack_for(40001, b[0].seg, 100, std::nullopt), at_ms(1));
  EXPECT_EQ(m.proto.connection_count(), 1u);
  EXPECT_EQ(m.proto.stats().refused_memory_budget, 1u);
  EXPECT_LE(m.proto.memory_reserved(), small.memory_budget);
}

TEST(SynCookieListener, SynPayloadIsNotAcknowledged) {
  CookieServer s(cookie_config(false, 1, SynCookies::Always));
  auto out = s.syn(40000, 10, {}, at_ms(0), as_bytes(std::string_view("early")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seg.ack.raw(), 11u);  // only the SYN: the client sends "early" again
}

}  // namespace
}  // namespace synack::tcp::testing
