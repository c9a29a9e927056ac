// EventLoop backpressure: frames the device refuses for now (EAGAIN) wait, in order,
// for EPOLLOUT instead of being dropped; past LoopOptions::tx_queue_limit the newest are
// dropped and counted. The device is a SOCK_SEQPACKET socketpair (one frame per
// read/write, like a TAP) with a small send buffer, so "the queue is full" is the
// kernel's real answer, not a mock; no root needed.
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "../stack/harness.hpp"
#include "synack/link/event_loop.hpp"

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
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint16_t kPings = 40;
const MacAddr kPeerMac{{0x02, 0, 0, 0x77, 0, 0x01}};
const MacAddr kStackMac{{0x02, 0, 0, 0x77, 0, 0x02}};
const wire::Ipv4Addr kPeerIp = ip(10, 77, 0, 1);
const wire::Ipv4Addr kStackIp = ip(10, 77, 0, 2);

ByteVec payload(std::uint16_t seq) {
  ByteVec p(200);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::byte>(seq + i);
  return p;
}
std::uint32_t echo_rest(std::uint16_t seq) {
  return (std::uint32_t{0x4242} << 16) | seq;
}

// The stack's end (ours) and the peer's end of a frame pipe; ours refuses writes after
// a few KB the peer has not read.
struct Pipe {
  UniqueFd ours, peer;
};
Pipe frame_pipe() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0)
      << std::strerror(errno);
  const int sndbuf = 4096;
  EXPECT_EQ(::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void peer_send(int fd, const ByteVec& frame) {
  ASSERT_EQ(::send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()))
      << std::strerror(errno);
}
// Every frame waiting at the peer's end, appended to `got`.
void peer_read(int fd, std::vector<ByteVec>& got) {
  for (;;) {
    ByteVec buf(2048);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) return;
    buf.resize(static_cast<std::size_t>(n));
    got.push_back(std::move(buf));
  }
}

// The peer's burst: an ARP request for the stack (it answers and learns the peer), then
// kPings echo requests. Every answer is one frame the stack must send.
void send_burst(int fd) {
  peer_send(fd, ethernet(MacAddr::broadcast(), kPeerMac, kArp,
                         arp(1, kPeerMac, kPeerIp, MacAddr{}, kStackIp)));
  for (std::uint16_t seq = 1; seq <= kPings; ++seq) {
    peer_send(fd, ethernet(kStackMac, kPeerMac, kIpv4,
                           ipv4(kPeerIp, kStackIp, kIcmp, icmp(8, 0, echo_rest(seq), payload(seq)),
                                {.ident = seq})));
  }
}

// The answers in the order they were generated: the ARP reply, then echo reply 1, 2, ...
void expect_answers_in_order(const std::vector<ByteVec>& got, std::size_t count) {
  ASSERT_EQ(got.size(), count);
  EXPECT_EQ(got[0],
            ethernet(kPeerMac, kStackMac, kArp, arp(2, kStackMac, kStackIp, kPeerMac, kPeerIp)));
  constexpr std::size_t kIcmpAt = 14 + 20;  // Ethernet + IPv4 header (no options)
  for (std::size_t i = 1; i < count; ++i) {
    const auto seq = static_cast<std::uint16_t>(i);
    const ByteVec want = icmp(0, 0, echo_rest(seq), payload(seq));
    ASSERT_EQ(got[i].size(), kIcmpAt + want.size()) << "frame " << i;
    const ByteVec header = ethernet(kPeerMac, kStackMac, kIpv4, {});
    EXPECT_EQ(ByteVec(got[i].begin(), got[i].begin() + 14),
              ByteVec(header.begin(), header.begin() + 14))
        << "frame " << i;
    EXPECT_EQ(ByteVec(got[i].begin() + kIcmpAt, got[i].end()), want) << "echo reply " << seq;
  }
}

struct Rig {
  Pipe pipe = frame_pipe();
  TapLink tap;
  SeededRandom rng{1};
  stack::Stack st{stack::StackConfig{}, rng};
  std::unique_ptr<EventLoop> loop;

  explicit Rig(std::size_t limit) : tap(TapLink::adopt(std::move(pipe.ours), "pipe0", 1514)) {
    const auto iface = st.add_interface(kStackMac, *wire::Ipv4Cidr::parse("10.77.0.2/24"));
    auto created = EventLoop::create(st, tap, iface,
                                     LoopOptions{.handle_signals = false, .tx_queue_limit = limit});
    EXPECT_TRUE(created.ok());
    if (created) loop = std::move(*created);
  }
  int peer() const { return pipe.peer.get(); }
};

TEST(EventLoopBackpressure, FramesTheDeviceRefusesWaitInOrderForEpollout) {
  Rig rig(4096);
  ASSERT_TRUE(rig.loop);
  send_burst(rig.peer());
  ASSERT_TRUE(rig.loop->run(200ms).ok());
  // The stack answered everything; the device took what fits, the rest waits.
  EXPECT_EQ(rig.st.stats().icmp_tx_echo_replies, kPings);
  const auto& ls = rig.loop->stats();
  EXPECT_GT(ls.tx_queued, 0u);
  EXPECT_GT(rig.loop->tx_pending(), 0u);
  EXPECT_EQ(ls.frames_out + rig.loop->tx_pending(), kPings + 1u);
  EXPECT_EQ(ls.tx_dropped, 0u);
  EXPECT_GT(rig.tap.stats().tx_would_block, 0u);
  // The peer reads; each time the device has room again (EPOLLOUT) the loop writes on.
  std::vector<ByteVec> got;
  for (int round = 0; round < 200 && got.size() < kPings + 1u; ++round) {
    peer_read(rig.peer(), got);
    ASSERT_TRUE(rig.loop->run(5ms).ok());
  }
  peer_read(rig.peer(), got);
  expect_answers_in_order(got, kPings + 1u);
  EXPECT_EQ(rig.loop->tx_pending(), 0u);
  EXPECT_EQ(ls.frames_out, kPings + 1u);
  EXPECT_EQ(ls.tx_dropped, 0u);
}

TEST(EventLoopBackpressure, PastTheQueueLimitTheNewestFramesAreDroppedAndCounted) {
  constexpr std::size_t kLimit = 4;
  Rig rig(kLimit);
  ASSERT_TRUE(rig.loop);
  send_burst(rig.peer());
  ASSERT_TRUE(rig.loop->run(200ms).ok());
  const auto& ls = rig.loop->stats();
  const std::uint64_t written = ls.frames_out;
  ASSERT_LT(written + kLimit, kPings + 1u);  // the device took only a few
  EXPECT_EQ(rig.loop->tx_pending(), kLimit);
  EXPECT_EQ(ls.tx_queued, kLimit);
  EXPECT_EQ(ls.tx_dropped, kPings + 1u - written - kLimit);
  // What was kept still goes out, in order: the first written + kLimit answers.
  std::vector<ByteVec> got;
  for (int round = 0; round < 200 && got.size() < written + kLimit; ++round) {
    peer_read(rig.peer(), got);
    ASSERT_TRUE(rig.loop->run(5ms).ok());
  }
  peer_read(rig.peer(), got);
  expect_answers_in_order(got, written + kLimit);
}

}  // namespace
}  // namespace synack::link
