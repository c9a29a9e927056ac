// Test harness: two complete Stacks (10.77.0.1 = End::A, 10.77.0.2 = End::B on one
// /24) joined by one cable of a sim::Network, driven on its virtual clock. Each host
// has an api::Poller fed by poll(). enable_ipv6() gives them IPv6 as well (fd77::1 and
// fd77::2 on one /64; NDP resolves them over the cable as ARP does IPv4). Used by
// tests/api, tests/services and tests/sim.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_set>
#include <vector>

#include "synack/api/poller.hpp"
#include "synack/api/socket.hpp"
#include "synack/link/sim_link.hpp"
#include "synack/sim/network.hpp"
#include "synack/stack/stack.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::test {

// FNV-1a: identifies a frame's exact bytes.
inline std::uint64_t frame_hash(Bytes b) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::byte x : b) h = (h ^ std::to_integer<std::uint64_t>(x)) * 1099511628211ull;
  return h;
}

// Whether a damaged frame would still pass every check of the layers above: IPv4
// header checksum, then the TCP checksum (over the IPv4 or IPv6 pseudo-header). (The
// Internet checksum misses two flips of one bit position in different words; ARP has
// no checksum at all, and the IPv6 header none of its own: damage to its traffic
// class, flow label or hop limit only shows as an unknown frame.)
inline bool damage_undetectable(Bytes frame) {
  if (frame.size() < 14) return true;
  const std::uint16_t type = load_be16(frame, 12);
  if (type == 0x0800 && frame.size() >= 14 + 20) {
    auto ip = wire::Ipv4Repr::parse(frame.subspan(14));
    if (!ip.ok()) return false;
    if (ip->protocol != 6) return true;
    return wire::TcpRepr::parse(ip->payload, wire::PseudoHeader{ip->src, ip->dst}).ok();
  }
  if (type == 0x86dd && frame.size() >= 14 + wire::Ipv6Repr::kHeaderLen) {
    auto ip = wire::Ipv6Repr::parse(frame.subspan(14));
    if (!ip.ok()) return false;
    if (ip->next_header != 6) return true;  // ICMPv6 (NDP, MLD): as ARP for IPv4
    return wire::TcpRepr::parse(ip->payload, ip->pseudo_header()).ok();
  }
  return true;
}

// One host of the network, as the tests reach it.
struct SimHost {
  SimHost(sim::Network& net, sim::HostId id)
      : stack(net.stack(id)), addr(net.config(id).addr.addr), iface(net.iface(id)) {}
  stack::Stack& stack;  // owned by the network
  wire::Ipv4Addr addr;
  std::optional<wire::Ipv6Addr> addr6;  // set by TwoHosts::enable_ipv6
  stack::IfaceId iface;
  api::Poller poller;
  std::vector<api::ReadyEvent> seen;  // every readiness event poll() took, in order

  // Moves the stack's events into the poller and from there into `seen`.
  void poll() {
    (void)poller.poll(stack);
    while (auto e = poller.next()) seen.push_back(*e);
  }
};

class TwoHosts {
 public:
  explicit TwoHosts(std::uint64_t seed, const link::DirectionConfig& a_to_b = {},
                    const link::DirectionConfig& b_to_a = {}, const stack::StackConfig& cfg = {})
      : TwoHosts(seed, a_to_b, b_to_a, cfg, cfg) {}
  TwoHosts(std::uint64_t seed, const link::DirectionConfig& a_to_b,
           const link::DirectionConfig& b_to_a, const stack::StackConfig& cfg_a,
           const stack::StackConfig& cfg_b)
      : a(net_, make_host(net_, 1, seed * 2 + 1, cfg_a)),
        b(net_, make_host(net_, 2, seed * 2 + 2, cfg_b)),
        link(net_.link(net_.connect(0, 1, seed, a_to_b, b_to_a))) {
    net_.on_capture = [this](const sim::CapturedFrame& f) {
      const link::End e = f.host == 0 ? link::End::A : link::End::B;
      if (f.dir == sim::CapturedFrame::Dir::Sent) {
        if (fcs) sent_frames_.insert(frame_hash(f.frame));
        if (on_send) on_send(e, f.frame, f.at);
      } else if (on_deliver) {
        on_deliver(e, f.frame, f.at);
      }
    };
    net_.copies = [this](sim::HostId from, Bytes frame) {
      return copies ? copies(from == 0 ? link::End::A : link::End::B, frame) : 1;
    };
    net_.accept = [this](sim::HostId, Bytes frame) {
      if (!fcs || intact_or_detectable(frame)) return true;
      ++fcs_dropped;
      return false;
    };
  }

 private:
  sim::Network net_;  // first: the hosts below refer into it

 public:
  SimHost a;
  SimHost b;
  link::SimLink& link;
  // The network's clock, as of the last call. A test that steps `link` by hand may move
  // it forward; the next run catches the network up.
  Instant now = Instant::zero();
  std::uint64_t steps = 0;  // clock advances taken (for "nothing stuck" checks)

  // SimLink frames carry no Ethernet FCS; a real NIC drops every 1-3 bit error by
  // its CRC-32. With `fcs` on, a damaged frame reaches the stack only if the checks
  // above the link (IPv4/TCP checksums) can see the damage, so that end-to-end
  // tests exercise those drops without blaming TCP for the checksum's blind spot.
  bool fcs = false;
  std::uint64_t fcs_dropped = 0;
  // Optional observers (e.g. a packet trace while debugging a seed).
  std::function<void(link::End from, Bytes frame, Instant at)> on_send;
  std::function<void(link::End to, Bytes frame, Instant at)> on_deliver;
  // Optional: how many copies of a frame the link gets (0 drops it before the wire, 2
  // duplicates it): losses and duplicates a test places exactly. Unset: one.
  std::function<int(link::End from, Bytes frame)> copies;

  SimHost& host(link::End e) { return e == link::End::A ? a : b; }

  // Turns IPv6 on for both hosts at `now`, with the static addresses fd77::1/64 (A) and
  // fd77::2/64 (B) besides their link-local ones; no SLAAC. Their StackConfig::ipv6
  // says how they get there (Duplicate Address Detection, router solicitations):
  // without DAD (dad_transmits = 0) the addresses are usable at once. Neighbours are
  // resolved by NDP over the cable, with its impairments.
  bool enable_ipv6() {
    catch_up();
    for (auto [h, n] : {std::pair{&a, 1}, std::pair{&b, 2}}) {
      const auto addr =
          wire::Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, static_cast<std::uint16_t>(n));
      if (!h->stack.enable_ipv6(h->iface, wire::Ipv6Cidr{addr, 64}, false, now)) return false;
      h->addr6 = addr;
    }
    return true;
  }

  // Hands every frame both stacks have queued to the link at `now`.
  void transmit() {
    catch_up();
    net_.pump();
  }

  // The earliest moment the link or either stack has something to do.
  std::optional<Instant> next_deadline() const { return net_.next_deadline(); }

  // Processes, in time order, everything due up to and including `until`; the clock
  // ends at `until`. Frames are delivered at their arrival time, timers run when due.
  void run_until(Instant until) {
    catch_up();
    net_.run_to(until);
    now = net_.now();
    steps = net_.clock_advances();
    // A stack asking again and again for a timer that does not advance the clock is a
    // bug, reported instead of hanging the test.
    if (net_.stuck() && !reported_stuck_) {
      reported_stuck_ = true;
      ADD_FAILURE() << "stuck at t=" << now.nanos() << "ns: a deadline that never passes";
    }
    a.poll();
    b.poll();
  }
  void run_for(Duration d) { run_until(now + d); }

  // Runs event by event until done() holds or `limit` of virtual time passed.
  template <class Done>
  bool run_until_true(Done done, Duration limit) {
    const Instant end = now + limit;
    a.poll();
    b.poll();
    while (!done()) {
      auto next = next_deadline();
      if (!next || *next > end) {
        run_until(end);
        return done();
      }
      run_until(std::max(*next, now));
      if (net_.stuck()) return done();
    }
    return true;
  }

 private:
  static sim::HostId make_host(sim::Network& net, std::uint8_t n, std::uint64_t seed,
                               const stack::StackConfig& cfg) {
    return net.add_host({.name = n == 1 ? "a" : "b",
                         .mac = wire::MacAddr{{0x02, 0, 0, 0, 0, n}},
                         .addr = wire::Ipv4Cidr{wire::Ipv4Addr::from_octets(10, 77, 0, n), 24},
                         .stack = cfg,
                         .seed = seed});
  }
  // A test moved `now` past the network's clock (stepping the link by hand): the
  // network processes what was due up to there.
  void catch_up() {
    if (now > net_.now()) net_.run_to(now);
  }
  bool intact_or_detectable(Bytes frame) const {
    // Frames are sent with their exact bytes: an unknown hash means damage.
    return sent_frames_.contains(frame_hash(frame)) || !damage_undetectable(frame);
  }
  std::unordered_set<std::uint64_t> sent_frames_;
  bool reported_stuck_ = false;
};

}  // namespace synack::test
