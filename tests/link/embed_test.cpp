// EventLoop embedded in someone else's loop (event_loop.hpp, "Embedding"): fd() turns
// readable when a call_at() timer is due, next_deadline() names that instant, poll_once()
// runs it; an fd-less link that gave frames makes next_deadline() due at once, and stop()
// is reported once. (tests/api/coro_test.cpp runs a whole echo this way.)
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>

#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/memory_link.hpp"
#include "synack/stack/stack.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

struct Rig {
  Rig() : st(stack::StackConfig{}, rng) {
    auto [x, y] = MemoryLink::pair("ours", "peer");
    ours.emplace(std::move(x));
    peer.emplace(std::move(y));
    iface =
        st.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}}, *wire::Ipv4Cidr::parse("10.77.0.1/24"));
    loop = EventLoop::create(st, *ours, iface, {.handle_signals = false}).value();
  }
  SeededRandom rng{1};
  stack::Stack st;
  std::optional<MemoryLink> ours, peer;
  stack::IfaceId iface;
  std::unique_ptr<EventLoop> loop;
};

TEST(EventLoopEmbed, TheFdTurnsReadableWhenATimerIsDueAndPollOnceRunsIt) {
  Rig r;
  ASSERT_FALSE(r.loop->poll_once().value().has_value());
  EXPECT_EQ(r.loop->next_deadline(), std::nullopt);  // nothing timed: an idle stack
  EXPECT_FALSE(readable(r.loop->fd(), 0));

  const Instant when = monotonic_now() + 20ms;
  int fired = 0;
  r.loop->call_at(when, [&](Instant) { ++fired; });
  ASSERT_FALSE(r.loop->poll_once().value().has_value());  // arms the timerfd
  EXPECT_EQ(r.loop->next_deadline(), when);
  EXPECT_EQ(fired, 0);
  // Waits for the fd alone (10 s bound for a loaded machine: a hang, not a threshold).
  ASSERT_TRUE(readable(r.loop->fd(), 10000));
  EXPECT_GE(monotonic_now(), when);
  ASSERT_FALSE(r.loop->poll_once().value().has_value());
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(r.loop->next_deadline(), std::nullopt);
  EXPECT_FALSE(readable(r.loop->fd(), 0));
}

TEST(EventLoopEmbed, AnFdlessLinkThatGaveFramesIsDueAtOnce) {
  Rig r;
  // A broadcast frame of an EtherType nobody speaks: read, counted, dropped.
  ByteVec frame(60, std::byte{0});
  for (int i = 0; i < 6; ++i) frame[i] = std::byte{0xff};
  frame[12] = std::byte{0x88};
  frame[13] = std::byte{0xb5};
  ASSERT_EQ(r.peer->transmit(frame, {}), TxStatus::Sent);
  ASSERT_FALSE(r.loop->poll_once().value().has_value());
  EXPECT_EQ(r.loop->stats().frames_in, 1u);
  const auto due = r.loop->next_deadline();
  ASSERT_TRUE(due.has_value());
  EXPECT_LE(*due, monotonic_now());  // go round again: the link may have more
  ASSERT_FALSE(r.loop->poll_once().value().has_value());
  EXPECT_EQ(r.loop->next_deadline(), std::nullopt);  // it gave nothing this time
}

TEST(EventLoopEmbed, StopIsReportedByTheNextPollOnceOnly) {
  Rig r;
  r.loop->stop();
  auto once = r.loop->poll_once();
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(*once, RunOutcome::Stopped);
  EXPECT_FALSE(r.loop->poll_once().value().has_value());
}

}  // namespace
}  // namespace synack::link
