// One EventLoop, one Stack, two interfaces on two links: 10.77.1.1/24 on a TapLink over
// a SOCK_SEQPACKET socketpair (the test plays the kernel at its far end) and
// 10.77.2.1/24 on a MemoryLink (the test holds the other end). Traffic on both at once
// must reach the right interface, and what the stack sends must leave by the link of
// the interface its route chose. Also: MemoryLink itself, per-link backpressure on a
// link without an fd, per-link capture and impairment, add_link's refusals.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "../stack/harness.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/memory_link.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using stack::test::arp;
using stack::test::ethernet;
using stack::test::icmp;
using stack::test::ip;
using stack::test::ipv4;
using wire::MacAddr;

constexpr std::uint16_t kIpv4 = 0x0800, kArp = 0x0806;
constexpr std::uint8_t kIcmp = 1, kUdp = 17;
constexpr std::size_t kEthIp = 14 + 20;  // Ethernet + IPv4 header (no options)

// Side A (the socketpair) and side B (the memory link).
const MacAddr kMacA{{0x02, 0, 0, 0x77, 1, 0x01}}, kPeerMacA{{0x02, 0, 0, 0x77, 1, 0x02}};
const MacAddr kMacB{{0x02, 0, 0, 0x77, 2, 0x01}}, kPeerMacB{{0x02, 0, 0, 0x77, 2, 0x02}};
const wire::Ipv4Addr kIpA = ip(10, 77, 1, 1), kPeerA = ip(10, 77, 1, 2);
const wire::Ipv4Addr kIpB = ip(10, 77, 2, 1), kPeerB = ip(10, 77, 2, 2);

ByteVec payload(std::uint16_t seq, std::uint8_t side) {
  ByteVec p(64 + seq);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::byte>(side * 16 + seq + i);
  return p;
}
std::uint32_t echo_rest(std::uint16_t seq) {
  return (std::uint32_t{0x7777} << 16) | seq;
}

ByteVec arp_request(MacAddr from_mac, wire::Ipv4Addr from, wire::Ipv4Addr to) {
  return ethernet(MacAddr::broadcast(), from_mac, kArp, arp(1, from_mac, from, MacAddr{}, to));
}
ByteVec arp_reply(MacAddr from_mac, wire::Ipv4Addr from, MacAddr to_mac, wire::Ipv4Addr to) {
  return ethernet(to_mac, from_mac, kArp, arp(2, from_mac, from, to_mac, to));
}
ByteVec ping(MacAddr to_mac, MacAddr from_mac, wire::Ipv4Addr from, wire::Ipv4Addr to,
             std::uint16_t seq, std::uint8_t side) {
  return ethernet(
      to_mac, from_mac, kIpv4,
      ipv4(from, to, kIcmp, icmp(8, 0, echo_rest(seq), payload(seq, side)), {.ident = seq}));
}
// The parts of an echo reply the stack must get right: Ethernet addresses, IPv4
// source and destination, the ICMP message.
void expect_echo_reply(const ByteVec& got, MacAddr to_mac, MacAddr from_mac, wire::Ipv4Addr from,
                       wire::Ipv4Addr to, std::uint16_t seq, std::uint8_t side) {
  const ByteVec want_icmp = icmp(0, 0, echo_rest(seq), payload(seq, side));
  ASSERT_EQ(got.size(), kEthIp + want_icmp.size()) << "seq " << seq;
  const ByteVec eth = ethernet(to_mac, from_mac, kIpv4, {});
  EXPECT_EQ(ByteVec(got.begin(), got.begin() + 14), eth) << "seq " << seq;
  EXPECT_EQ(wire::Ipv4Addr{load_be32(got, 14 + 12)}, from) << "seq " << seq;
  EXPECT_EQ(wire::Ipv4Addr{load_be32(got, 14 + 16)}, to) << "seq " << seq;
  EXPECT_EQ(ByteVec(got.begin() + kEthIp, got.end()), want_icmp) << "seq " << seq;
}

void pair_send(int fd, const ByteVec& frame) {
  ASSERT_EQ(::send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()))
      << std::strerror(errno);
}
void pair_read(int fd, std::vector<ByteVec>& got) {
  for (;;) {
    ByteVec buf(2048);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) return;
    buf.resize(static_cast<std::size_t>(n));
    got.push_back(std::move(buf));
  }
}
void memory_read(MemoryLink& end, std::vector<ByteVec>& got) {
  for (;;) {
    auto b = end.receive();
    ASSERT_TRUE(b.ok());
    if (b->frames.empty()) return;
    for (Bytes f : b->frames) got.emplace_back(f.begin(), f.end());
  }
}
void memory_send(MemoryLink& end, const ByteVec& frame) {
  ASSERT_EQ(end.transmit(frame, {}), TxStatus::Sent);
}

struct Rig {
  UniqueFd peer_a;  // the far end of link A's socketpair
  std::optional<TapLink> tap_a;
  std::optional<MemoryLink> mem_b, peer_b;
  SeededRandom rng{1};
  stack::Stack st{stack::StackConfig{}, rng};
  stack::IfaceId iface_a, iface_b;
  std::unique_ptr<EventLoop> loop;
  EventLoop::LinkId link_a = 0, link_b = 0;
  std::vector<ByteVec> got_a, got_b;  // what the stack sent on each link

  Rig() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer_a = UniqueFd(fds[1]);
    tap_a.emplace(TapLink::adopt(UniqueFd(fds[0]), "pairA", 1514));
    auto [ours, theirs] = MemoryLink::pair("memB", "peerB");
    mem_b.emplace(std::move(ours));
    peer_b.emplace(std::move(theirs));
    iface_a = st.add_interface(kMacA, *wire::Ipv4Cidr::parse("10.77.1.1/24"));
    iface_b = st.add_interface(kMacB, *wire::Ipv4Cidr::parse("10.77.2.1/24"));
    auto created = EventLoop::create(st, *tap_a, iface_a, LoopOptions{.handle_signals = false});
    EXPECT_TRUE(created.ok());
    if (!created) return;
    loop = std::move(*created);
    auto b = loop->add_link(*mem_b, iface_b);
    EXPECT_TRUE(b.ok());
    if (b) link_b = *b;
  }
  // Runs the loop in slices, collecting what each peer receives, until `until` holds
  // (at most `rounds` slices).
  template <typename Pred>
  void run_until(Pred until, int rounds = 200) {
    for (int i = 0; i < rounds && !until(); ++i) {
      ASSERT_TRUE(loop->run(5ms).ok());
      pair_read(peer_a.get(), got_a);
      memory_read(*peer_b, got_b);
    }
  }
};

TEST(MemoryLink, WhatOneEndSendsTheOtherReceivesInOrderUpToItsLimit) {
  auto [a, b] = MemoryLink::pair("a", "b", MemoryLinkOptions{.queue_limit = 3, .read_batch = 2});
  EXPECT_EQ(a.name(), "a");
  EXPECT_EQ(b.name(), "b");
  EXPECT_LT(a.poll_fd(), 0);
  EXPECT_EQ(a.tx_offloads(), stack::LinkOffloads{});
  const ByteVec f1{std::byte{1}}, f2{std::byte{2}, std::byte{2}}, f3{std::byte{3}},
      f4{std::byte{4}};
  EXPECT_EQ(a.transmit(f1, {}), TxStatus::Sent);
  EXPECT_EQ(a.transmit(f2, {}), TxStatus::Sent);
  EXPECT_EQ(a.transmit(f3, {}), TxStatus::Sent);
  EXPECT_EQ(a.transmit(f4, {}), TxStatus::WouldBlock);  // b holds 3
  EXPECT_EQ(a.transmit(f4, stack::TxMeta{.csum_start = 34, .csum_offset = 16}), TxStatus::Dropped);
  EXPECT_EQ(b.waiting(), 3u);
  EXPECT_EQ(a.waiting(), 0u);
  auto r = b.receive();  // a batch of at most 2
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->frames.size(), 2u);
  EXPECT_TRUE(r->meta.empty());
  EXPECT_EQ(ByteVec(r->frames[0].begin(), r->frames[0].end()), f1);
  EXPECT_EQ(ByteVec(r->frames[1].begin(), r->frames[1].end()), f2);
  EXPECT_EQ(a.transmit(f4, {}), TxStatus::Sent);  // room again
  r = b.receive();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->frames.size(), 2u);
  EXPECT_EQ(ByteVec(r->frames[0].begin(), r->frames[0].end()), f3);
  EXPECT_EQ(ByteVec(r->frames[1].begin(), r->frames[1].end()), f4);
  r = b.receive();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->frames.empty());
  EXPECT_EQ(a.stats().tx_frames, 4u);
  EXPECT_EQ(a.stats().tx_bytes, 5u);
  EXPECT_EQ(a.stats().tx_would_block, 1u);
  EXPECT_EQ(a.stats().tx_errors, 1u);
  EXPECT_EQ(b.stats().rx_frames, 4u);
  EXPECT_EQ(b.stats().rx_bytes, 5u);
  // The other way round too; a limit of its own at a's end.
  a.set_queue_limit(1);
  EXPECT_EQ(b.transmit(f2, {}), TxStatus::Sent);
  EXPECT_EQ(b.transmit(f3, {}), TxStatus::WouldBlock);
  r = a.receive();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->frames.size(), 1u);
  EXPECT_EQ(ByteVec(r->frames[0].begin(), r->frames[0].end()), f2);
}

TEST(MultiLink, TrafficOnBothLinksAtOnceReachesItsInterfaceAndIsAnsweredOnItsLink) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  EXPECT_EQ(rig.loop->link_count(), 2u);
  EXPECT_EQ(rig.link_b, 1u);
  EXPECT_EQ(&rig.loop->link(0), &*rig.tap_a);
  EXPECT_EQ(&rig.loop->link(1), &*rig.mem_b);
  EXPECT_EQ(rig.loop->link_iface(1), rig.iface_b);
  constexpr std::uint16_t kPings = 12;
  // Both peers at once, interleaved: ARP, then pings.
  pair_send(rig.peer_a.get(), arp_request(kPeerMacA, kPeerA, kIpA));
  memory_send(*rig.peer_b, arp_request(kPeerMacB, kPeerB, kIpB));
  for (std::uint16_t seq = 1; seq <= kPings; ++seq) {
    pair_send(rig.peer_a.get(), ping(kMacA, kPeerMacA, kPeerA, kIpA, seq, 1));
    memory_send(*rig.peer_b, ping(kMacB, kPeerMacB, kPeerB, kIpB, seq, 2));
  }
  rig.run_until([&] { return rig.got_a.size() >= kPings + 1u && rig.got_b.size() >= kPings + 1u; });

  ASSERT_EQ(rig.got_a.size(), kPings + 1u);
  ASSERT_EQ(rig.got_b.size(), kPings + 1u);
  EXPECT_EQ(rig.got_a[0], arp_reply(kMacA, kIpA, kPeerMacA, kPeerA));
  EXPECT_EQ(rig.got_b[0], arp_reply(kMacB, kIpB, kPeerMacB, kPeerB));
  for (std::uint16_t seq = 1; seq <= kPings; ++seq) {
    expect_echo_reply(rig.got_a[seq], kPeerMacA, kMacA, kIpA, kPeerA, seq, 1);
    expect_echo_reply(rig.got_b[seq], kPeerMacB, kMacB, kIpB, kPeerB, seq, 2);
  }
  // The loop's counters, per link and summed.
  const LinkLoopStats& a = rig.loop->stats(0);
  const LinkLoopStats& b = rig.loop->stats(1);
  EXPECT_EQ(a.frames_in, kPings + 1u);
  EXPECT_EQ(a.frames_out, kPings + 1u);
  EXPECT_EQ(b.frames_in, kPings + 1u);
  EXPECT_EQ(b.frames_out, kPings + 1u);
  std::uint64_t bytes_a = 0, bytes_b = 0;
  for (const auto& f : rig.got_a) bytes_a += f.size();
  for (const auto& f : rig.got_b) bytes_b += f.size();
  EXPECT_EQ(a.bytes_out, bytes_a);
  EXPECT_EQ(b.bytes_out, bytes_b);
  const LoopStats& all = rig.loop->stats();
  EXPECT_EQ(all.frames_in, a.frames_in + b.frames_in);
  EXPECT_EQ(all.frames_out, a.frames_out + b.frames_out);
  EXPECT_EQ(all.bytes_out, bytes_a + bytes_b);
  EXPECT_EQ(all.tx_other_iface, 0u);
  EXPECT_EQ(all.tx_dropped, 0u);
  EXPECT_EQ(rig.st.stats().icmp_tx_echo_replies, 2u * kPings);
  EXPECT_EQ(rig.tap_a->stats().tx_frames, kPings + 1u);
  EXPECT_EQ(rig.mem_b->stats().tx_frames, kPings + 1u);
}

// The stack originates: a datagram to each peer leaves by the link of the interface the
// route chose, after an ARP request on that link only.
TEST(MultiLink, WhatTheStackOriginatesLeavesByTheLinkItsRouteChose) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  auto sock = rig.st.udp_bind(wire::Ipv4Addr::any(), 5000);
  ASSERT_TRUE(sock.ok());
  const ByteVec to_b = stack::test::bytes_of("for B"), to_a = stack::test::bytes_of("for A!");
  const Instant now = monotonic_now();
  ASSERT_TRUE(rig.st.udp_send_to(*sock, kPeerB, 9, to_b, now).ok());
  ASSERT_TRUE(rig.st.udp_send_to(*sock, kPeerA, 9, to_a, now).ok());
  rig.loop->flush(now);
  rig.run_until([&] { return !rig.got_a.empty() && !rig.got_b.empty(); });
  ASSERT_EQ(rig.got_a.size(), 1u);
  ASSERT_EQ(rig.got_b.size(), 1u);
  EXPECT_EQ(rig.got_a[0],
            ethernet(MacAddr::broadcast(), kMacA, kArp, arp(1, kMacA, kIpA, MacAddr{}, kPeerA)));
  EXPECT_EQ(rig.got_b[0],
            ethernet(MacAddr::broadcast(), kMacB, kArp, arp(1, kMacB, kIpB, MacAddr{}, kPeerB)));
  // The peers answer; each datagram follows on its own link.
  pair_send(rig.peer_a.get(), arp_reply(kPeerMacA, kPeerA, kMacA, kIpA));
  memory_send(*rig.peer_b, arp_reply(kPeerMacB, kPeerB, kMacB, kIpB));
  rig.run_until([&] { return rig.got_a.size() >= 2 && rig.got_b.size() >= 2; });
  ASSERT_EQ(rig.got_a.size(), 2u);
  ASSERT_EQ(rig.got_b.size(), 2u);
  const auto expect_udp = [](const ByteVec& got, MacAddr to_mac, MacAddr from_mac,
                             wire::Ipv4Addr from, wire::Ipv4Addr to, const ByteVec& data) {
    const ByteVec want = stack::test::udp(from, to, 5000, 9, data);
    ASSERT_EQ(got.size(), kEthIp + want.size());
    EXPECT_EQ(ByteVec(got.begin(), got.begin() + 14), ethernet(to_mac, from_mac, kIpv4, {}));
    EXPECT_EQ(got[14 + 9], std::byte{kUdp});
    EXPECT_EQ(wire::Ipv4Addr{load_be32(got, 14 + 12)}, from);
    EXPECT_EQ(wire::Ipv4Addr{load_be32(got, 14 + 16)}, to);
    EXPECT_EQ(ByteVec(got.begin() + kEthIp, got.end()), want);
  };
  expect_udp(rig.got_a[1], kPeerMacA, kMacA, kIpA, kPeerA, to_a);
  expect_udp(rig.got_b[1], kPeerMacB, kMacB, kIpB, kPeerB, to_b);
}

// A frame for an interface no link carries is counted, not sent anywhere.
TEST(MultiLink, FramesForAnInterfaceWithoutALinkAreCountedNotSent) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  rig.st.add_interface(MacAddr{{0x02, 0, 0, 0x77, 3, 1}}, *wire::Ipv4Cidr::parse("10.77.3.1/24"));
  auto sock = rig.st.udp_bind(wire::Ipv4Addr::any(), 5000);
  ASSERT_TRUE(sock.ok());
  const Instant now = monotonic_now();
  ASSERT_TRUE(rig.st.udp_send_to(*sock, ip(10, 77, 3, 2), 9, stack::test::bytes_of("x"), now).ok());
  rig.loop->flush(now);
  ASSERT_TRUE(rig.loop->run(5ms).ok());
  pair_read(rig.peer_a.get(), rig.got_a);
  memory_read(*rig.peer_b, rig.got_b);
  EXPECT_EQ(rig.loop->stats().tx_other_iface, 1u);  // the ARP request for 10.77.3.2
  EXPECT_TRUE(rig.got_a.empty());
  EXPECT_TRUE(rig.got_b.empty());
  EXPECT_EQ(rig.loop->stats().frames_out, 0u);
}

TEST(MultiLink, AddLinkRefusesAnUnknownOrTakenInterfaceAndALinkTwice) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  auto [c, d] = MemoryLink::pair("c", "d");
  auto r = rig.loop->add_link(c, stack::IfaceId{99});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EINVAL);
  r = rig.loop->add_link(c, rig.iface_a);  // carried by the socketpair already
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EEXIST);
  const auto iface_c = rig.st.add_interface(MacAddr{{0x02, 0, 0, 0x77, 3, 1}},
                                            *wire::Ipv4Cidr::parse("10.77.3.1/24"));
  r = rig.loop->add_link(*rig.mem_b, iface_c);  // the same link for a second interface
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EEXIST);
  // The socketpair's fd cannot be watched as an extra fd either.
  EXPECT_FALSE(rig.loop->add_fd(rig.tap_a->fd(), EPOLLIN, [](std::uint32_t, Instant) {}).ok());
  r = rig.loop->add_link(c, iface_c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2u);
  EXPECT_EQ(rig.loop->link_count(), 3u);
}

// Backpressure on a link without an fd: the memory link holds at most 3 frames at the
// peer; the rest wait in the loop, in order, and go when the peer has read (retried
// after every wake-up); the socketpair link meanwhile is not held up.
TEST(MultiLink, AFullLinkWithoutAnFdKeepsItsFramesInOrderWhileTheOtherFlows) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  rig.peer_b->set_queue_limit(3);
  constexpr std::uint16_t kPings = 8;
  pair_send(rig.peer_a.get(), arp_request(kPeerMacA, kPeerA, kIpA));
  memory_send(*rig.peer_b, arp_request(kPeerMacB, kPeerB, kIpB));
  for (std::uint16_t seq = 1; seq <= kPings; ++seq) {
    pair_send(rig.peer_a.get(), ping(kMacA, kPeerMacA, kPeerA, kIpA, seq, 1));
    memory_send(*rig.peer_b, ping(kMacB, kPeerMacB, kPeerB, kIpB, seq, 2));
  }
  ASSERT_TRUE(rig.loop->run(20ms).ok());
  // B's peer has read nothing: 3 frames at it, the other 6 answers wait in the loop.
  EXPECT_EQ(rig.peer_b->waiting(), 3u);
  EXPECT_EQ(rig.loop->tx_pending(1), kPings + 1u - 3u);
  EXPECT_EQ(rig.loop->tx_pending(0), 0u);
  EXPECT_EQ(rig.loop->tx_pending(), kPings + 1u - 3u);
  EXPECT_EQ(rig.loop->stats(1).tx_queued, kPings + 1u - 3u);
  EXPECT_EQ(rig.loop->stats(1).frames_out, 3u);
  EXPECT_EQ(rig.loop->stats(0).tx_queued, 0u);
  EXPECT_EQ(rig.loop->stats(0).frames_out, kPings + 1u);
  EXPECT_GT(rig.mem_b->stats().tx_would_block, 0u);
  rig.run_until([&] { return rig.got_a.size() >= kPings + 1u && rig.got_b.size() >= kPings + 1u; });
  ASSERT_EQ(rig.got_a.size(), kPings + 1u);
  ASSERT_EQ(rig.got_b.size(), kPings + 1u);
  EXPECT_EQ(rig.got_b[0], arp_reply(kMacB, kIpB, kPeerMacB, kPeerB));
  for (std::uint16_t seq = 1; seq <= kPings; ++seq) {
    expect_echo_reply(rig.got_b[seq], kPeerMacB, kMacB, kIpB, kPeerB, seq, 2);
  }
  EXPECT_EQ(rig.loop->tx_pending(), 0u);
  EXPECT_EQ(rig.loop->stats(1).frames_out, kPings + 1u);
  EXPECT_EQ(rig.loop->stats().tx_dropped, 0u);
}

bool contains(const ByteVec& hay, const ByteVec& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// Capture and impairment belong to a link: link B's capture holds B's frames only, and
// B dropping everything it receives leaves A answering.
TEST(MultiLink, CaptureAndImpairmentArePerLink) {
  Rig rig;
  ASSERT_TRUE(rig.loop);
  PcapngWriter pcap_a = PcapngWriter::in_memory(), pcap_b = PcapngWriter::in_memory();
  rig.loop->set_capture(&pcap_a, pcap_a.add_interface("pairA"));
  rig.loop->set_capture(1, &pcap_b, pcap_b.add_interface("memB"));
  auto spec = parse_impair("loss=1,dir=in");
  ASSERT_TRUE(spec.ok());
  rig.loop->set_impairment(1, *spec);
  EXPECT_EQ(rig.loop->impairer(0), nullptr);
  ASSERT_NE(rig.loop->impairer(1), nullptr);

  const ByteVec ping_a = ping(kMacA, kPeerMacA, kPeerA, kIpA, 1, 1);
  const ByteVec ping_b = ping(kMacB, kPeerMacB, kPeerB, kIpB, 1, 2);
  pair_send(rig.peer_a.get(), arp_request(kPeerMacA, kPeerA, kIpA));
  pair_send(rig.peer_a.get(), ping_a);
  memory_send(*rig.peer_b, arp_request(kPeerMacB, kPeerB, kIpB));
  memory_send(*rig.peer_b, ping_b);
  rig.run_until([&] { return rig.got_a.size() >= 2; });
  ASSERT_TRUE(rig.loop->run(20ms).ok());
  memory_read(*rig.peer_b, rig.got_b);
  ASSERT_EQ(rig.got_a.size(), 2u);
  expect_echo_reply(rig.got_a[1], kPeerMacA, kMacA, kIpA, kPeerA, 1, 1);
  EXPECT_TRUE(rig.got_b.empty());  // B's frames were lost on the way in
  EXPECT_EQ(rig.loop->impairer(1)->inbound().lost, 2u);
  EXPECT_EQ(rig.loop->stats(1).frames_in, 2u);  // read from the link, then lost
  EXPECT_EQ(rig.st.stats().icmp_tx_echo_replies, 1u);

  // A's capture: A's ping and its reply; none of B's. B's capture: nothing reached
  // the stack (capture is after inbound impairment) and nothing was sent.
  EXPECT_TRUE(contains(pcap_a.bytes(), ping_a));
  EXPECT_TRUE(contains(pcap_a.bytes(), rig.got_a[1]));
  EXPECT_FALSE(contains(pcap_a.bytes(), ping_b));
  EXPECT_FALSE(contains(pcap_b.bytes(), ping_b));
  EXPECT_FALSE(contains(pcap_b.bytes(), ping_a));
  // The same traffic with B unimpaired shows up in B's capture.
  rig.loop->set_impairment(1, *parse_impair("loss=0"));
  memory_send(*rig.peer_b, arp_request(kPeerMacB, kPeerB, kIpB));
  memory_send(*rig.peer_b, ping_b);
  rig.run_until([&] { return rig.got_b.size() >= 2; });
  ASSERT_EQ(rig.got_b.size(), 2u);
  EXPECT_TRUE(contains(pcap_b.bytes(), ping_b));
  EXPECT_TRUE(contains(pcap_b.bytes(), rig.got_b[1]));
  EXPECT_FALSE(contains(pcap_b.bytes(), ping_a));
}

}  // namespace
}  // namespace synack::link
