// A rig for hostile-peer tests: a server Stack, an honest client Stack joined to it
// by a cable of a sim::Network, and any number of attackers on the server's Ethernet segment
// that inject hand-built TCP segments. Everything the server sends (to the client
// and to the attackers alike) leaves through the same SimLink direction, so the
// attackers' replies share the server's uplink with the honest traffic. Attackers
// answer the server's ARP requests themselves; their frames reach the server at the
// instant they are injected. One virtual clock, no wall-clock time.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "harness.hpp"
#include "synack/link/sim_link.hpp"
#include "synack/sim/network.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::stack::test::hostile {

constexpr std::uint16_t kEthIpv4 = 0x0800;
constexpr std::uint16_t kEthArp = 0x0806;
constexpr std::uint8_t kProtoTcp = 6;
using F = wire::TcpFlags;

// A segment the server sent to an attacker, parsed back.
struct Seen {
  wire::TcpRepr seg;  // payload cleared (see data)
  ByteVec data;
  Instant at;
};

// One TCP segment an attacker sends, described field by field.
struct RawSeg {
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 65535;
  Bytes payload;
  std::uint16_t mss = 0;  // 0 = no MSS option
};

// Builds the segment by hand (not with the wire layer): a header, an optional MSS
// option, the payload and a checksum over the IPv4 pseudo-header.
inline ByteVec tcp_segment(Ipv4Addr src, Ipv4Addr dst, const RawSeg& s) {
  ByteVec opts;
  if (s.mss != 0) opts = Builder{}.u8(2).u8(4).u16(s.mss).out;
  const auto words = static_cast<std::uint8_t>(5 + opts.size() / 4);
  ByteVec seg = Builder{}
                    .u16(s.sport)
                    .u16(s.dport)
                    .u32(s.seq)
                    .u32(s.ack)
                    .u8(static_cast<std::uint8_t>(words << 4))
                    .u8(s.flags)
                    .u16(s.window)
                    .u16(0)
                    .u16(0)
                    .raw(opts)
                    .raw(s.payload)
                    .out;
  Checksum c;
  c.add_u32(src.value)
      .add_u32(dst.value)
      .add_u16(kProtoTcp)
      .add_u16(static_cast<std::uint16_t>(seg.size()))
      .add(seg);
  store_be16(seg, 16, c.finish());
  return seg;
}

// A hostile host: its address and what the server sent to each of its ports.
struct Attacker {
  Ipv4Addr addr;
  MacAddr mac;
  std::map<std::uint16_t, std::deque<Seen>> inbox;
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;  // frame bytes the server sent to this host
};

// One attacker's TCP connection as the attacker tracks it.
struct RawConn {
  Attacker* host = nullptr;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint32_t snd_nxt = 0;  // the attacker's next sequence number
  std::uint32_t rcv_nxt = 0;  // the server's next sequence number (what we ACK)
  std::uint32_t acked = 0;    // the server's latest ACK of our data
  std::uint32_t wnd = 0;      // the server's latest window field (no scaling offered)
  std::uint16_t our_wnd = 65535;
  std::uint32_t right_edge() const { return acked + wnd; }
  std::uint32_t usable() const { return right_edge() - snd_nxt; }
};

class Rig {
 public:
  explicit Rig(const StackConfig& server_cfg, const link::DirectionConfig& path = {},
               const StackConfig& client_cfg = {}, std::uint64_t seed = 7)
      : client(net_.stack(host(client_mac, client_addr, client_cfg, seed * 2 + 2))),
        server(net_.stack(host(server_mac, server_addr, server_cfg, seed * 2 + 1))),
        link(net_.link(net_.connect(kClient, kServer, seed, path, path))),
        server_if(net_.iface(kServer)),
        client_if(net_.iface(kClient)) {
    // The server's ARP requests for an attacker are answered here, not sent.
    net_.copies = [this](sim::HostId from, Bytes f) {
      return from == kServer && answer_arp(f) ? 0 : 1;
    };
    // Frames for an attacker's MAC come out of the client's end of the cable (the
    // attackers share the server's segment): they go to that attacker, not the client.
    net_.accept = [this](sim::HostId to, Bytes f) {
      if (to != kClient) return true;
      const MacAddr dst = MacAddr::load(f, 0);
      if (dst == client_mac || dst == MacAddr::broadcast()) return true;
      if (Attacker* a = attacker_with(dst)) to_attacker(*a, f);
      return false;
    };
    // Nobody reads the stacks' events here: tests poll state, accept() and receive().
    net_.on_event = [](sim::HostId, const stack::Event&) {};
  }

 private:
  static constexpr sim::HostId kClient = 0;  // the cable's End::A
  static constexpr sim::HostId kServer = 1;  // End::B
  sim::Network net_;                         // first: the members below refer into it

 public:
  const MacAddr server_mac = mac(2);
  const MacAddr client_mac = mac(1);
  const Ipv4Addr server_addr = ip(10, 77, 0, 2);
  const Ipv4Addr client_addr = ip(10, 77, 0, 1);
  Stack& client;
  Stack& server;
  link::SimLink& link;  // client = End::A, server = End::B
  IfaceId server_if;
  IfaceId client_if;
  std::vector<std::unique_ptr<Attacker>> attackers;
  // The network's clock as of the last call.
  Instant now = Instant::zero();

  tcp::TcpProtocol& stcp() { return server.tcp(); }

  // A new attacker at 10.77.0.(100 + n), already known to the server's ARP cache.
  Attacker& add_attacker() {
    const auto n = static_cast<std::uint8_t>(attackers.size());
    auto a = std::make_unique<Attacker>();
    a->addr = ip(10, 77, 0, static_cast<std::uint8_t>(100 + n));
    a->mac = MacAddr{{0x02, 0, 0, 0, 1, n}};
    Attacker& ref = *a;
    attackers.push_back(std::move(a));
    server.on_frame(server_if,
                    ethernet(MacAddr::broadcast(), ref.mac, kEthArp,
                             arp(1, ref.mac, ref.addr, {}, server_addr)),
                    now);
    run_until(now);
    return ref;
  }

  // The attacker's segment reaches the server now; everything due now then runs.
  void inject(Attacker& a, const RawSeg& s) {
    server.on_frame(
        server_if,
        ethernet(server_mac, a.mac, kEthIpv4,
                 ipv4(a.addr, server_addr, kProtoTcp, tcp_segment(a.addr, server_addr, s))),
        now);
    run_until(now);
  }

  // After direct calls into either stack's TcpProtocol: send what they queued.
  void flush() {
    server.flush_tcp(now);
    client.flush_tcp(now);
    run_until(now);
  }

  // Processes, in time order, everything due up to `until`; the clock ends there.
  void run_until(Instant until) {
    net_.run_to(until);
    now = net_.now();
    if (net_.stuck() && !reported_stuck_) {
      reported_stuck_ = true;
      ADD_FAILURE() << "stuck at t=" << now.nanos() << "ns";
    }
  }
  void run_for(Duration d) { run_until(now + d); }

  // Runs until done() holds or `limit` of virtual time passed.
  template <class Done>
  bool run_until_true(Done done, Duration limit) {
    const Instant end = now + limit;
    while (!done()) {
      auto next = next_deadline();
      if (!next || *next > end) {
        run_until(end);
        return done();
      }
      run_until(std::max(*next, now));
    }
    return true;
  }

  // Segments the server sent to `a`'s port `port` since the last take.
  std::vector<Seen> take(Attacker& a, std::uint16_t port) {
    std::vector<Seen> out;
    auto it = a.inbox.find(port);
    if (it == a.inbox.end()) return out;
    out.assign(std::make_move_iterator(it->second.begin()),
               std::make_move_iterator(it->second.end()));
    a.inbox.erase(it);
    return out;
  }

  // Reads the server's segments on `c`, tracking its ACK, window and sequence.
  std::vector<Seen> update(RawConn& c) {
    auto got = take(*c.host, c.sport);
    for (const Seen& s : got) {
      if (s.seg.flags.ack() && !seq_lt(s.seg.ack, SeqNum(c.acked))) {
        c.acked = s.seg.ack.raw();
        c.wnd = s.seg.window;
      }
    }
    return got;
  }

  // Three-way handshake from `a`. nullopt if no SYN,ACK came back within `limit`.
  std::optional<RawConn> open_raw(Attacker& a, std::uint16_t sport, std::uint16_t dport,
                                  std::uint16_t our_wnd = 65535,
                                  Duration limit = std::chrono::seconds(1)) {
    RawConn c{&a, sport, dport};
    c.our_wnd = our_wnd;
    const std::uint32_t iss = 1'000'000u + 7919u * sport;
    inject(a, RawSeg{sport, dport, iss, 0, F::kSyn, our_wnd, {}, 1460});
    std::optional<Seen> synack;
    run_until_true(
        [&] {
          for (Seen& s : take(a, sport)) {
            if (s.seg.flags.syn() && s.seg.flags.ack() && s.seg.ack.raw() == iss + 1) synack = s;
          }
          return synack.has_value();
        },
        limit);
    if (!synack) return std::nullopt;
    c.snd_nxt = iss + 1;
    c.rcv_nxt = synack->seg.seq.raw() + 1;
    c.acked = iss + 1;
    c.wnd = synack->seg.window;
    inject(a, RawSeg{sport, dport, c.snd_nxt, c.rcv_nxt, F::kAck, our_wnd, {}, 0});
    return c;
  }

  // Data (ACK|PSH) at c.snd_nxt, or at `seq` if given (snd_nxt then unchanged).
  void send_raw(RawConn& c, Bytes data, std::optional<std::uint32_t> seq = std::nullopt) {
    const std::uint32_t at = seq.value_or(c.snd_nxt);
    inject(*c.host, RawSeg{c.sport, c.dport, at, c.rcv_nxt,
                           static_cast<std::uint8_t>(F::kAck | F::kPsh), c.our_wnd, data, 0});
    if (!seq) c.snd_nxt += static_cast<std::uint32_t>(data.size());
  }
  // A pure ACK of everything the server sent, with our window.
  void ack_raw(RawConn& c) {
    inject(*c.host, RawSeg{c.sport, c.dport, c.snd_nxt, c.rcv_nxt, F::kAck, c.our_wnd, {}, 0});
  }

 private:
  sim::HostId host(MacAddr m, Ipv4Addr addr, const StackConfig& cfg, std::uint64_t seed) {
    return net_.add_host({.mac = m, .addr = Ipv4Cidr{addr, 24}, .stack = cfg, .seed = seed});
  }
  std::optional<Instant> next_deadline() const { return net_.next_deadline(); }

  Attacker* attacker_with(Ipv4Addr addr) {
    for (auto& a : attackers) {
      if (a->addr == addr) return a.get();
    }
    return nullptr;
  }
  Attacker* attacker_with(MacAddr m) {
    for (auto& a : attackers) {
      if (a->mac == m) return a.get();
    }
    return nullptr;
  }

  // An ARP request from the server for an attacker's address: answered here.
  bool answer_arp(Bytes f) {
    if (f.size() < 42 || load_be16(f, 12) != kEthArp || load_be16(f, 20) != 1) return false;
    Attacker* a = attacker_with(Ipv4Addr::load(f, 38));
    if (a == nullptr) return false;
    server.on_frame(
        server_if,
        ethernet(server_mac, a->mac, kEthArp, arp(2, a->mac, a->addr, server_mac, server_addr)),
        now);
    return true;
  }

  void to_attacker(Attacker& a, Bytes f) {
    ++a.frames_in;
    a.bytes_in += f.size();
    if (f.size() < 34 || load_be16(f, 12) != kEthIpv4 || load_u8(f, 23) != kProtoTcp) return;
    const auto src = Ipv4Addr::load(f, 26), dst = Ipv4Addr::load(f, 30);
    auto r = wire::TcpRepr::parse(Bytes(f).subspan(34), wire::PseudoHeader{src, dst});
    EXPECT_TRUE(r.ok()) << "server sent an unparsable TCP segment";
    if (!r.ok()) return;
    Seen s{*r, ByteVec(r->payload.begin(), r->payload.end()), now};
    s.seg.payload = {};
    a.inbox[s.seg.dst_port].push_back(std::move(s));
  }

  bool reported_stuck_ = false;
};

}  // namespace synack::stack::test::hostile
