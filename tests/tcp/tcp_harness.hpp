// Helpers for tests that drive TcpProtocol with raw segments.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "synack/base/random.hpp"
#include "synack/tcp/protocol.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp::testing {

inline const wire::Ipv4Addr kAddrA = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
inline const wire::Ipv4Addr kAddrB = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

inline Instant at_ms(std::int64_t ms) {
  return Instant::from_nanos(ms * 1'000'000);
}

// A segment the protocol sent, parsed back with wire::TcpRepr::parse.
struct Sent {
  OutSegment out;
  wire::TcpRepr seg;
  ByteVec data;
  std::string flags() const { return seg.flags.to_string(); }
  std::string text() const {
    return std::string(reinterpret_cast<const char*>(data.data()), data.size());
  }
};

inline std::optional<Sent> pop(TcpProtocol& p) {
  auto o = p.pop_segment();
  if (!o) return std::nullopt;
  Sent s;
  s.out = std::move(*o);
  auto r = wire::TcpRepr::parse(s.out.bytes(), wire::PseudoHeader::between(s.out.src, s.out.dst));
  EXPECT_TRUE(r.ok()) << "protocol emitted an unparsable segment";
  if (!r.ok()) return std::nullopt;
  s.seg = r.value();
  s.data.assign(s.seg.payload.begin(), s.seg.payload.end());
  s.seg.payload = {};
  return s;
}

inline std::vector<Sent> drain(TcpProtocol& p) {
  std::vector<Sent> v;
  while (auto s = pop(p)) v.push_back(std::move(*s));
  return v;
}

inline std::vector<Event> events(TcpProtocol& p) {
  std::vector<Event> v;
  while (auto e = p.pop_event()) v.push_back(*e);
  return v;
}

inline bool has_event(const std::vector<Event>& v, EventKind k) {
  for (const auto& e : v) {
    if (e.kind == k) return true;
  }
  return false;
}

// Builds a segment from the test's peer to the protocol.
struct Peer {
  wire::IpAddr addr = kAddrB;
  std::uint16_t port = 40000;
  wire::IpAddr to_addr = kAddrA;
  std::uint16_t to_port = 80;

  SegmentIn seg(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint16_t wnd,
                Bytes payload = {}, wire::TcpOptions opts = {}) const {
    SegmentIn in;
    in.src = addr;
    in.dst = to_addr;
    in.seg.src_port = port;
    in.seg.dst_port = to_port;
    in.seg.seq = SeqNum(seq);
    in.seg.ack = SeqNum(ack);
    in.seg.flags.bits = flags;
    in.seg.window = wnd;
    in.seg.options = opts;
    in.seg.payload = payload;
    return in;
  }
};

using F = wire::TcpFlags;

}  // namespace synack::tcp::testing

namespace synack::tcp::testing {

// A passively opened connection in ESTABLISHED, the peer being the test.
struct Established {
  explicit Established(TcpConfig c = plain(), wire::TcpOptions syn_opts = mss_opt(1000),
                       std::uint16_t peer_wnd = 8192)
      : cfg(c), proto(cfg, rng) {
    proto.set_trace([this](const Transition& t) { trace.push_back(t); });
    lid = proto.listen(Endpoint{kAddrA, 80}, 4).value();
    proto.on_segment(peer.seg(F::kSyn, 1000, 0, peer_wnd, {}, syn_opts), now);
    auto sa = drain(proto);
    EXPECT_EQ(sa.size(), 1u);
    synack = sa.at(0).seg;
    iss = synack.seq.raw();
    nxt = iss + 1;
    auto ack = peer.seg(F::kAck, 1001, nxt, peer_wnd);
    if (syn_opts.timestamps && synack.options.timestamps) {
      // RFC 7323 §3.2: once negotiated, every non-RST segment carries TSopt.
      ack.seg.options.timestamps =
          wire::TcpTimestamps{syn_opts.timestamps->tsval, synack.options.timestamps->tsval};
    }
    proto.on_segment(ack, now);
    id = proto.accept(lid).value();
    events(proto);
  }
  // No timestamps or window scaling, and RFC 6298 (2.4)'s 1 s RTO floor whatever the
  // library's default is (the timings these tests spell out assume it).
  static TcpConfig plain() {
    TcpConfig c;
    c.timestamps = false;
    c.window_scaling = false;
    c.min_rto = std::chrono::seconds(1);
    return c;
  }
  static wire::TcpOptions mss_opt(std::uint16_t mss) {
    wire::TcpOptions o;
    o.mss = mss;
    return o;
  }
  // A segment from the peer with the current sequence numbers.
  SegmentIn in(std::uint8_t flags, Bytes data = {}, std::uint16_t wnd = 8192) {
    return peer.seg(flags, peer_seq, nxt, wnd, data);
  }
  void deliver(const SegmentIn& s) { proto.on_segment(s, now); }
  void advance_to(Instant t) {
    now = t;
    proto.on_timer(now);
  }
  std::string read_all() {
    std::string s;
    std::byte buf[4096];
    for (int i = 0; i < 1000; ++i) {
      auto r = proto.receive(id, buf);
      if (!r.ok() || r.value() == 0) break;
      s.append(reinterpret_cast<const char*>(buf), r.value());
    }
    return s;
  }

  TcpConfig cfg;
  SeededRandom rng{11};
  TcpProtocol proto;
  Peer peer;
  ListenerId lid;
  ConnId id;
  wire::TcpRepr synack;
  std::uint32_t iss = 0;
  std::uint32_t nxt = 0;          // our next sequence number as the peer expects it
  std::uint32_t peer_seq = 1001;  // the peer's next sequence number
  Instant now = at_ms(0);
  std::vector<Transition> trace;
};

inline std::string pattern(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace synack::tcp::testing
