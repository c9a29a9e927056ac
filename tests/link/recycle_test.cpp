// The EventLoop hands every frame it has written to the device back to the stack
// (Stack::recycle), so that TCP builds its next segments in those buffers: a sender in
// its steady state allocates no frame buffer per segment. The device is a
// SOCK_SEQPACKET socketpair (one frame per read/write, like a TAP; no root needed); at
// its other end a second Stack, driven from an add_fd callback of the same loop,
// receives a bulk transfer from the loop's stack and acknowledges it.
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;

const wire::MacAddr kSenderMac{{0x02, 0, 0, 0x77, 0, 0x02}};
const wire::MacAddr kReceiverMac{{0x02, 0, 0, 0x77, 0, 0x01}};
const wire::Ipv4Addr kReceiverIp = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
constexpr std::uint16_t kPort = 9;
constexpr std::size_t kBytes = 2 * 1024 * 1024;

std::byte pattern(std::size_t i) {
  return static_cast<std::byte>((i * 7 + 3) & 0xff);
}

// The loop's stack sends kBytes to the peer stack. `sndbuf` is the loop's end of the
// frame pipe: small, so that the device refuses writes now and then and frames wait
// for EPOLLOUT (the queue's drain path); large, so that every write goes through.
struct Transfer {
  std::uint64_t received = 0;
  bool intact = true;
  std::uint64_t segs_out = 0;  // segments the sender's TCP handed out
  std::uint64_t reused = 0;    // of those, built in a recycled buffer
  std::uint64_t kept = 0;      // recycled buffers not used again yet
  LoopStats loop;
};

Transfer run_transfer(int sndbuf) {
  Transfer t;
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0)
      << std::strerror(errno);
  EXPECT_EQ(::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
  UniqueFd peer(fds[1]);
  TapLink tap = TapLink::adopt(UniqueFd(fds[0]), "pipe0", 1514);

  SeededRandom rng_s(1), rng_r(2);
  stack::Stack sender(stack::StackConfig{}, rng_s);
  stack::Stack receiver(stack::StackConfig{}, rng_r);
  const auto if_s = sender.add_interface(kSenderMac, *wire::Ipv4Cidr::parse("10.77.0.2/24"));
  const auto if_r = receiver.add_interface(kReceiverMac, *wire::Ipv4Cidr::parse("10.77.0.1/24"));
  auto created = EventLoop::create(sender, tap, if_s, LoopOptions{.handle_signals = false});
  EXPECT_TRUE(created.ok());
  if (!created) return t;
  EventLoop& loop = **created;

  auto listener = api::TcpListener::listen(receiver, kPort, 4);
  EXPECT_TRUE(listener.ok());
  if (!listener) return t;
  auto client = api::TcpStream::connect(sender, kReceiverIp, kPort, monotonic_now());
  EXPECT_TRUE(client.ok());
  if (!client) return t;
  std::optional<api::TcpStream> server;

  std::vector<std::byte> out(64 * 1024), in(64 * 1024);
  std::size_t sent = 0;
  auto top_up = [&](Instant now) {
    while (sent < kBytes) {
      const std::size_t n = std::min(out.size(), kBytes - sent);
      for (std::size_t i = 0; i < n; ++i) out[i] = pattern(sent + i);
      auto took = client->send(Bytes(out.data(), n), now);
      if (!took.ok() || *took == 0) return;
      sent += *took;
    }
  };
  // The receiver's side of the pipe: frames in, the application reads, frames out.
  std::vector<ByteVec> frames;
  auto pump_receiver = [&](Instant now) {
    frames.clear();
    for (int i = 0; i < 10'000; ++i) {
      ByteVec f(2048);
      const ssize_t n = ::recv(peer.get(), f.data(), f.size(), 0);
      if (n <= 0) break;
      f.resize(static_cast<std::size_t>(n));
      frames.push_back(std::move(f));
    }
    if (!frames.empty()) {
      const std::vector<Bytes> views(frames.begin(), frames.end());
      receiver.on_frames(if_r, views, now);
    }
    if (auto d = receiver.next_deadline(); d && *d <= now) receiver.on_timer(now);
    if (!server) {
      if (auto s = listener->accept(now); s.ok()) server.emplace(std::move(*s));
    }
    if (server) {
      for (;;) {
        auto n = server->receive(in, now);
        if (!n.ok() || *n == 0) break;
        for (std::size_t i = 0; i < *n; ++i) {
          if (in[i] != pattern(t.received + i)) t.intact = false;
        }
        t.received += *n;
      }
    }
    while (receiver.pop_event()) {
    }
    while (auto f = receiver.pop_frame()) {
      EXPECT_EQ(::send(peer.get(), f->bytes.data(), f->bytes.size(), 0),
                static_cast<ssize_t>(f->bytes.size()));
    }
    top_up(now);
  };
  EXPECT_TRUE(
      loop.add_fd(peer.get(), EPOLLIN, [&](std::uint32_t, Instant now) { pump_receiver(now); })
          .ok());
  // The receiver's timers (delayed ACKs): a tick every millisecond while the loop runs.
  std::function<void(Instant)> tick = [&](Instant now) {
    pump_receiver(now);
    loop.call_at(now + 1ms, tick);
  };
  loop.call_at(monotonic_now(), tick);
  loop.flush(monotonic_now());

  for (int round = 0; round < 1000 && t.received < kBytes; ++round) {
    EXPECT_TRUE(loop.run(10ms).ok());
  }
  const auto& pool = sender.tcp().pool();
  t.segs_out = sender.tcp().stats().segs_out;
  t.reused = pool.reused();
  t.kept = pool.kept();
  t.loop = loop.stats();
  return t;
}

TEST(EventLoopRecycle, EveryFrameWrittenToTheDeviceComesBackToTheStacksPool) {
  const Transfer t = run_transfer(1 << 20);
  ASSERT_EQ(t.received, kBytes);
  EXPECT_TRUE(t.intact);
  EXPECT_EQ(t.loop.tx_dropped, 0u);
  // Every TCP frame the loop wrote was given back: the next segments were built in
  // those buffers (reused) or they wait in the pool (kept). Without recycling both
  // are zero and every segment allocates its own buffer.
  EXPECT_GT(t.segs_out, kBytes / 1460);
  EXPECT_EQ(t.reused + t.kept, t.segs_out);
}

TEST(EventLoopRecycle, FramesThatWaitedForEpolloutComeBackToo) {
  const Transfer t = run_transfer(4096);
  ASSERT_EQ(t.received, kBytes);
  EXPECT_TRUE(t.intact);
  EXPECT_GT(t.loop.tx_queued, 0u);  // the device was full at times: the drain path ran
  EXPECT_EQ(t.loop.tx_dropped, 0u);
  EXPECT_EQ(t.reused + t.kept, t.segs_out);
}

}  // namespace
}  // namespace synack::link
