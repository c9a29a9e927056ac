// SYN cookies under load (RFC 4987 §3.6): two complete Stacks over the simulator
// with every connection rebuilt from a cookie (SynCookies::Always) moving 1 MiB each
// way, and a SYN flood from 5000 spoofed sources against a listener whose SYN queue
// holds 64, while a legitimate client connects and exchanges data.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "../sim/two_hosts.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

using namespace std::chrono_literals;
using test::TwoHosts;

ByteVec stream_bytes(std::size_t n, std::uint32_t salt) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = std::byte(static_cast<std::uint8_t>((i * 131 + salt + i / 251) & 0xff));
  }
  return v;
}

// One end's application: sends `out`, reads into `in`, shuts down when all is sent.
struct AppEnd {
  std::optional<api::TcpStream> stream;
  ByteVec out;
  std::size_t sent = 0;
  ByteVec in;
  bool shut = false;
  bool eof = false;

  void step(Instant now) {
    if (!stream) return;
    while (sent < out.size()) {
      auto r = stream->send(
          Bytes(out).subspan(sent, std::min<std::size_t>(out.size() - sent, 16384)), now);
      if (!r.ok()) break;
      sent += *r;
    }
    if (sent == out.size() && !shut) {
      shut = stream->shutdown_write(now).ok();
    }
    std::byte buf[8192];
    for (int i = 0; i < 1000 && !eof; ++i) {
      auto r = stream->receive(buf, now);
      if (!r.ok()) break;
      if (*r == 0) {
        eof = true;
        break;
      }
      in.insert(in.end(), buf, buf + *r);
    }
  }
};

void run_cookie_transfer(bool timestamps) {
  stack::StackConfig cfg;
  cfg.tcp.timestamps = timestamps;
  cfg.tcp.syn_cookies = SynCookies::Always;
  link::DirectionConfig path;
  path.delay = 5ms;
  path.rate_bps = 100'000'000;
  TwoHosts w(3, path, path, cfg, cfg);
  constexpr std::size_t kBytes = 1 << 20;
  auto listener = api::TcpListener::listen(w.b.stack, 5001, 8).value();
  AppEnd client, server;
  client.out = stream_bytes(kBytes, 1);
  server.out = stream_bytes(kBytes, 2);
  client.stream = api::TcpStream::connect(w.a.stack, w.b.addr, 5001, w.now).value();
  const Instant limit = w.now + 120s;
  while (w.now < limit && !(client.eof && server.eof)) {
    w.run_for(1ms);
    if (!server.stream) {
      if (auto s = listener.accept(w.now); s.ok()) server.stream.emplace(std::move(*s));
    }
    client.step(w.now);
    server.step(w.now);
  }
  ASSERT_TRUE(client.eof && server.eof) << "transfer did not finish in 120 s of virtual time";
  EXPECT_EQ(server.in.size(), kBytes);
  EXPECT_TRUE(server.in == client.out) << "client -> server bytes differ";
  EXPECT_EQ(client.in.size(), kBytes);
  EXPECT_TRUE(client.in == server.out) << "server -> client bytes differ";
  const ProtocolStats& st = w.b.stack.tcp().stats();
  EXPECT_EQ(st.syn_cookies_sent, 1u);
  EXPECT_EQ(st.syn_cookies_valid, 1u);
  EXPECT_EQ(st.syn_cookies_invalid, 0u);
  // Both ends agree on what the cookie kept: with timestamps, window scaling too
  // (256 KiB buffers need shift 3); without, neither end scales.
  const Tcb* srv = w.b.stack.tcp().tcb(server.stream->id());
  const Tcb* cli = w.a.stack.tcp().tcb(client.stream->id());
  ASSERT_NE(srv, nullptr);
  ASSERT_NE(cli, nullptr);
  EXPECT_EQ(srv->timestamps_enabled(), timestamps);
  EXPECT_EQ(cli->timestamps_enabled(), timestamps);
  EXPECT_EQ(srv->rcv_wscale(), timestamps ? 3 : 0);
  EXPECT_EQ(srv->snd_wscale(), cli->rcv_wscale());
  EXPECT_EQ(cli->snd_wscale(), srv->rcv_wscale());
  EXPECT_EQ(srv->iss(), cli->irs());  // the cookie is the ISS the client saw
  EXPECT_EQ(srv->eff_snd_mss(), timestamps ? 1448u : 1460u);
}

TEST(SynCookieSim, AlwaysCookiesMoveOneMebibyteEachWayWithTimestamps) {
  run_cookie_transfer(true);
}

TEST(SynCookieSim, AlwaysCookiesMoveOneMebibyteEachWayWithoutTimestamps) {
  run_cookie_transfer(false);
}

// ------------------------------------------------------------------------ flood
// The server and a legitimate client as two TcpProtocols joined directly; flood
// segments come from spoofed addresses, and what the server sends them is lost.
struct FloodRig {
  FloodRig() : server(server_cfg(), server_rng), client(TcpConfig{}, client_rng) {
    lid = server.listen(Endpoint{kAddrA, 80}, 16).value();
  }
  static TcpConfig server_cfg() {
    TcpConfig c;
    c.syn_queue = 64;  // syn_cookies = WhenFull (the default)
    return c;
  }
  // Moves segments between the two; returns how many went to spoofed sources.
  std::size_t exchange() {
    std::size_t lost = 0;
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      while (auto s = server.pop_segment()) {
        if (s->dst != kAddrB) {
          ++lost;
          continue;
        }
        deliver(client, *s);
        moved = true;
      }
      while (auto s = client.pop_segment()) {
        deliver(server, *s);
        moved = true;
      }
      if (!moved) break;
    }
    return lost;
  }
  void deliver(TcpProtocol& to, const OutSegment& s) {
    auto r = wire::TcpRepr::parse(s.bytes(), wire::PseudoHeader::between(s.src, s.dst));
    ASSERT_TRUE(r.ok());
    to.on_segment(SegmentIn{s.src, s.dst, *r, false}, now);
  }
  void tick(Duration d) {
    now += d;
    server.on_timer(now);
    client.on_timer(now);
  }
  // SYN number i of the flood: a distinct spoofed address and port each.
  SegmentIn flood_syn(std::uint32_t i) const {
    SegmentIn in;
    in.src = wire::Ipv4Addr::from_octets(10, 77, static_cast<std::uint8_t>(10 + i / 250),
                                         static_cast<std::uint8_t>(1 + i % 250));
    in.dst = kAddrA;
    in.seg.src_port = static_cast<std::uint16_t>(1024 + i);
    in.seg.dst_port = 80;
    in.seg.seq = SeqNum(i * 2654435761u);
    in.seg.flags.bits = F::kSyn;
    in.seg.window = 65535;
    in.seg.options.mss = 1460;
    in.seg.options.window_scale = 7;
    in.seg.options.sack_permitted = true;
    in.seg.options.timestamps = wire::TcpTimestamps{i, 0};
    return in;
  }

  SeededRandom server_rng{41};
  SeededRandom client_rng{42};
  TcpProtocol server;
  TcpProtocol client;
  ListenerId lid;
  Instant now = at_ms(0);
};

TEST(SynCookieFlood, SpoofedSynFloodLeavesRoomForALegitimateClient) {
  FloodRig r;
  constexpr std::uint32_t kFlood = 5000;
  std::size_t peak_conns = 0, peak_memory = 0, peak_reserved = 0;
  std::optional<ConnId> cid, sid;
  std::uint32_t sent = 0;
  // 50 SYNs per millisecond; the legitimate client connects halfway through.
  for (int ms = 0; ms < 200 && sent < kFlood; ++ms) {
    for (int k = 0; k < 50 && sent < kFlood; ++k) r.server.on_segment(r.flood_syn(sent++), r.now);
    if (sent == kFlood / 2) {
      cid = r.client.connect(Endpoint{kAddrB, 0}, Endpoint{kAddrA, 80}, r.now).value();
    }
    r.exchange();
    if (!sid) {
      if (auto a = r.server.accept(r.lid); a.ok()) sid = *a;
    }
    peak_conns = std::max(peak_conns, r.server.connection_count());
    peak_memory = std::max(peak_memory, r.server.memory_in_use());
    peak_reserved = std::max(peak_reserved, r.server.memory_reserved());
    r.tick(1ms);
  }
  ASSERT_EQ(sent, kFlood);
  ASSERT_TRUE(cid.has_value());
  ASSERT_TRUE(sid.has_value()) << "the legitimate client was not accepted";
  const ProtocolStats& st = r.server.stats();
  // 64 embryonic children at most, plus the legitimate connection.
  EXPECT_LE(peak_conns, 64u + 1u);
  EXPECT_EQ(st.syn_cookies_sent, kFlood - 64u + 1u);  // the client's SYN got one too
  EXPECT_EQ(st.syn_cookies_valid, 1u);
  EXPECT_EQ(st.dropped_syn_queue_full, 0u);
  // Embryonic children allocate no buffer memory (ByteRing allocates lazily): what
  // is allocated stays far below what 5000 connections' buffers would take.
  EXPECT_LT(peak_memory, 64u * 1024u);
  EXPECT_LE(peak_reserved, 65u * 2u * 256u * 1024u);
  EXPECT_EQ(r.client.state(*cid), State::Established);
  EXPECT_EQ(r.server.state(*sid), State::Established);
  EXPECT_EQ(r.server.tcb(*sid)->last_rule(), Rule::rfc4987_3_6_syn_cookie_ack);

  // The legitimate connection exchanges data both ways while the flood's children
  // still sit in the SYN queue.
  const ByteVec up = stream_bytes(200'000, 7), down = stream_bytes(150'000, 9);
  ByteVec got_up, got_down;
  std::size_t up_sent = 0, down_sent = 0;
  std::byte buf[8192];
  for (int ms = 0; ms < 20'000 && (got_up.size() < up.size() || got_down.size() < down.size());
       ++ms) {
    if (up_sent < up.size()) {
      auto n = r.client.send(*cid, Bytes(up).subspan(up_sent));
      if (n.ok()) up_sent += *n;
    }
    if (down_sent < down.size()) {
      auto n = r.server.send(*sid, Bytes(down).subspan(down_sent));
      if (n.ok()) down_sent += *n;
    }
    r.exchange();
    for (auto [p, id, into] :
         {std::tuple{&r.server, *sid, &got_up}, std::tuple{&r.client, *cid, &got_down}}) {
      for (auto n = p->receive(id, buf); n.ok() && *n > 0; n = p->receive(id, buf)) {
        into->insert(into->end(), buf, buf + *n);
      }
    }
    r.exchange();
    r.tick(1ms);
  }
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size() << " bytes up";
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size() << " bytes down";
  EXPECT_LE(r.server.connection_count(), 64u + 1u);
}

}  // namespace
}  // namespace synack::tcp::testing
