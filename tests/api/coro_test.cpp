// The coroutine API (api/coro.hpp) between two real Stacks: an echo with a coroutine
// server and client checked byte for byte, a refused connect as an error value, reads
// after the peer's FIN, tasks destroyed while suspended (ASan: no leak, no resume of a
// dead frame), Task<T> values and exceptions. Then the same echo driven by two
// link::EventLoops embedded in the test's own epoll loop (EventLoop::fd/poll_once)
// over a socketpair, with the Reactors fed by the loops' event handlers.
#include "synack/api/coro.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

namespace synack::test {
namespace {

using api::AsyncListener;
using api::AsyncStream;
using api::Reactor;
using api::Task;
using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 7;
const wire::Ipv4Addr kAddrA = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv4Addr kAddrB = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

std::string text(Bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// A pattern long enough that the writer waits for send-buffer room many times.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// Two stacks wired back to back, on a virtual clock that jumps to the next deadline
// when nothing moves. Each has a Reactor reading that clock.
struct Net {
  Net()
      : rng_a(1),
        rng_b(2),
        a(stack::StackConfig{}, rng_a),
        b(stack::StackConfig{}, rng_b),
        ra(a, [this] { return now; }),
        rb(b, [this] { return now; }) {
    ia = a.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}}, wire::Ipv4Cidr{kAddrA, 24});
    ib = b.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 2}}, wire::Ipv4Cidr{kAddrB, 24});
  }
  SeededRandom rng_a, rng_b;
  stack::Stack a, b;
  stack::IfaceId ia, ib;
  Instant now = Instant::zero();
  Reactor ra, rb;

  // Events first (the coroutines answer them), then frames across, until quiet; then
  // the clock jumps. Stops when done() holds or after `limit` of virtual time.
  template <class Done>
  bool run(Done done, Duration limit = 60s) {
    const Instant end = now + limit;
    for (int rounds = 0; rounds < 1000000; ++rounds) {
      (void)ra.poll();
      (void)rb.poll();
      if (done()) return true;
      bool moved = false;
      while (auto f = a.pop_frame()) {
        moved = true;
        b.on_frame(ib, f->bytes, now);
      }
      while (auto f = b.pop_frame()) {
        moved = true;
        a.on_frame(ia, f->bytes, now);
      }
      if (moved) continue;
      std::optional<Instant> next = a.next_deadline();
      if (auto d = b.next_deadline(); d && (!next || *d < *next)) next = d;
      if (!next || *next > end) return done();
      now = std::max(now, *next);
      a.on_timer(now);
      b.on_timer(now);
    }
    return done();
  }
};

// Reads until the end of stream; the bytes, or "error: ..." on a read error.
Task<std::string> read_all(AsyncStream& s) {
  std::string got;
  std::array<std::byte, 1000> buf{};
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n) co_return "error: " + std::to_string(static_cast<int>(n.error()));
    if (*n == 0) co_return got;
    got += text(Bytes(buf).first(*n));
  }
}

// The echo server's connection: everything read is written back; FIN answers FIN.
Task<> echo_conn(AsyncStream s) {
  std::array<std::byte, 1500> buf{};
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) break;
    auto w = co_await s.write(Bytes(buf).first(*n));
    if (!w) break;
  }
  (void)s.close();
}

Task<> echo_server(AsyncListener& l, Reactor& r, int* accepted) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    ++*accepted;
    r.spawn(echo_conn(std::move(*s)));
  }
}

Task<> write_all_then_shut(AsyncStream& s, std::string data, std::size_t* written) {
  auto w = co_await s.write(as_bytes(data));
  if (w) *written = *w;
  (void)s.shutdown_write();
}

// Connects, writes `data` from a second task while this one reads the echo back.
Task<std::string> echo_client(Reactor& r, std::string data, std::size_t* written) {
  auto c = co_await AsyncStream::connect(r, kAddrB, kPort);
  if (!c) co_return std::string("connect: ") + std::string(api::to_string(c.error()));
  r.spawn(write_all_then_shut(*c, data, written));
  std::string back = co_await read_all(*c);
  (void)c->close();
  co_return back;
}

TEST(Coro, EchoOfThreeHundredKilobytesComesBackExactly) {
  Net net;
  auto l = AsyncListener::listen(net.rb, kPort, 8);
  ASSERT_TRUE(l.ok());
  int accepted = 0;
  net.rb.spawn(echo_server(*l, net.rb, &accepted));
  const std::string data = pattern(300000);
  std::size_t written = 0;
  Task<std::string> client = echo_client(net.ra, data, &written);
  client.start();
  ASSERT_TRUE(net.run([&] { return client.done(); }));
  const std::string back = client.result();
  EXPECT_EQ(written, data.size());
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  EXPECT_EQ(accepted, 1);
  // The server's connection task ended with the client's FIN; the accept loop waits on.
  ASSERT_TRUE(net.run([&] { return net.rb.running() == 1; }));
  EXPECT_EQ(net.ra.running(), 0u);  // the writer finished and was reaped
}

TEST(Coro, ConnectToAClosedPortIsRefusedAsAValue) {
  Net net;
  std::optional<api::ConnectError> error;
  auto client = [&]() -> Task<> {
    auto c = co_await AsyncStream::connect(net.ra, kAddrB, 9);
    if (!c) error = c.error();
  };
  Task<> t = client();
  t.start();
  ASSERT_TRUE(net.run([&] { return t.done(); }));
  t.result();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(*error, api::ConnectError::Refused);
  EXPECT_EQ(api::to_string(*error), "connection refused");
}

TEST(Coro, ConnectWithNoRouteFailsWithoutSuspending) {
  Net net;
  std::optional<api::ConnectError> error;
  auto client = [&]() -> Task<> {
    auto c = co_await AsyncStream::connect(net.ra, wire::Ipv4Addr::from_octets(192, 0, 2, 1), 80);
    if (!c) error = c.error();
  };
  Task<> t = client();
  t.start();
  EXPECT_TRUE(t.done());  // failed inside the first try: never suspended
  EXPECT_EQ(error, api::ConnectError::NoRoute);
}

TEST(Coro, ReadAfterThePeersFinReturnsZeroEveryTime) {
  Net net;
  auto l = AsyncListener::listen(net.rb, kPort, 8);
  ASSERT_TRUE(l.ok());
  auto server = [&]() -> Task<> {
    auto s = co_await l->accept();
    if (!s) co_return;
    (void)co_await s->write(as_bytes("bye"));
    (void)s->close();
  };
  std::vector<std::string> reads;
  auto client = [&]() -> Task<> {
    auto c = co_await AsyncStream::connect(net.ra, kAddrB, kPort);
    if (!c) co_return;
    std::array<std::byte, 16> buf{};
    for (int i = 0; i < 3; ++i) {
      auto n = co_await c->read(buf);
      reads.push_back(n ? text(Bytes(buf).first(*n)) : "error");
    }
  };
  net.rb.spawn(server());
  Task<> t = client();
  t.start();
  ASSERT_TRUE(net.run([&] { return t.done(); }));
  EXPECT_EQ(reads, (std::vector<std::string>{"bye", "", ""}));
}

TEST(Coro, DestroyingSuspendedTasksLeavesNothingToResume) {
  Net net;
  auto l = AsyncListener::listen(net.rb, kPort, 8);
  ASSERT_TRUE(l.ok());
  bool resumed = false;
  auto acceptor = [&]() -> Task<> {
    auto s = co_await l->accept();
    resumed = true;  // must never run: the task is destroyed first
    (void)s;
  };
  {
    Task<> pending = acceptor();
    pending.start();
    EXPECT_FALSE(pending.done());
  }  // destroyed while suspended in accept()

  // A reader suspended on an established connection, then destroyed: its stream (in
  // the frame) closes, so the server reads the end of stream.
  std::string server_got = "unset";
  auto server = [&]() -> Task<> {
    auto s = co_await l->accept();
    if (!s) co_return;
    server_got = co_await read_all(*s);
  };
  bool reader_resumed = false;
  auto reader = [&]() -> Task<> {
    auto c = co_await AsyncStream::connect(net.ra, kAddrB, kPort);
    if (!c) co_return;
    std::array<std::byte, 16> buf{};
    auto n = co_await c->read(buf);  // the server never writes
    reader_resumed = true;
    (void)n;
  };
  Task<> srv = server();
  srv.start();
  auto r = std::make_unique<Task<>>(reader());
  r->start();
  // Connected and waiting in read() on both sides.
  EXPECT_FALSE(net.run([] { return false; }, 2s));  // 2 s of virtual time: nothing ends
  ASSERT_EQ(net.b.tcp_connections().size(), 1u);
  EXPECT_FALSE(r->done());
  r.reset();
  ASSERT_TRUE(net.run([&] { return srv.done(); }));
  EXPECT_EQ(server_got, "");
  EXPECT_FALSE(resumed);
  EXPECT_FALSE(reader_resumed);
}

TEST(Coro, AReactorDestroysTheSpawnedTasksStillWaiting) {
  Net net;
  auto l = AsyncListener::listen(net.rb, kPort, 8);
  ASSERT_TRUE(l.ok());
  int accepted = 0;
  {
    // A Reactor of its own on the same stack, gone while its task waits in accept().
    Reactor r(net.b, [&] { return net.now; });
    r.spawn(echo_server(*l, r, &accepted));
    EXPECT_EQ(r.running(), 1u);
  }
  EXPECT_EQ(accepted, 0);
}

Task<int> forty() {
  co_return 40;
}
Task<int> plus_two() {
  int v = co_await forty();
  co_return v + 2;
}
Task<int> throws() {
  throw std::runtime_error("boom");
  co_return 0;
}

TEST(Coro, TasksReturnValuesAndCarryExceptions) {
  Task<int> t = plus_two();
  EXPECT_FALSE(t.done());  // lazy
  t.start();
  ASSERT_TRUE(t.done());
  EXPECT_EQ(t.result(), 42);

  auto outer = []() -> Task<std::string> {
    try {
      (void)co_await throws();
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "not thrown";
  };
  Task<std::string> o = outer();
  o.start();
  ASSERT_TRUE(o.done());
  EXPECT_EQ(o.result(), "caught boom");
}

// --- with link::EventLoop, embedded in the test's own epoll loop -------------------

struct LoopHost {
  LoopHost(std::uint64_t seed, wire::Ipv4Addr addr, std::uint8_t mac, link::UniqueFd fd)
      : rng(seed),
        st(stack::StackConfig{}, rng),
        tap(link::TapLink::adopt(std::move(fd), "pair" + std::to_string(mac), 1514)),
        reactor(st, [] { return link::monotonic_now(); }) {
    iface = st.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, mac}}, wire::Ipv4Cidr{addr, 24});
    loop = link::EventLoop::create(st, tap, iface, {.handle_signals = false}).value();
    loop->on_event([this](const stack::Event& e, Instant) { reactor.on_event(e); });
  }
  SeededRandom rng;
  stack::Stack st;
  link::TapLink tap;
  stack::IfaceId iface;
  Reactor reactor;
  std::unique_ptr<link::EventLoop> loop;
};

TEST(Coro, EchoDrivenByTwoEventLoopsInOneEpoll) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  LoopHost a(1, kAddrA, 1, link::UniqueFd(fds[0]));
  LoopHost b(2, kAddrB, 2, link::UniqueFd(fds[1]));

  link::UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid());
  for (LoopHost* h : {&a, &b}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = h;
    ASSERT_EQ(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, h->loop->fd(), &ev), 0);
  }
  // Idle: nothing to do, so neither loop's fd is readable.
  ASSERT_FALSE(a.loop->poll_once().value().has_value());
  ASSERT_FALSE(b.loop->poll_once().value().has_value());
  std::array<epoll_event, 4> evs{};
  EXPECT_EQ(::epoll_wait(ep.get(), evs.data(), 4, 0), 0);

  auto l = AsyncListener::listen(b.reactor, kPort, 8);
  ASSERT_TRUE(l.ok());
  int accepted = 0;
  b.reactor.spawn(echo_server(*l, b.reactor, &accepted));
  const std::string data = pattern(100000);
  std::size_t written = 0;
  Task<std::string> client = echo_client(a.reactor, data, &written);
  client.start();             // the SYN is queued in A's stack ...
  (void)a.loop->poll_once();  // ... and leaves now (called into the stack from outside)

  // The program's own loop: wait on both loops' fds (their timerfds cover the stacks'
  // deadlines), then let each do its round. Bounded by wall time, not by a threshold
  // on how long the echo takes.
  const Instant give_up = link::monotonic_now() + 20s;
  while (!client.done() && link::monotonic_now() < give_up) {
    const int n = ::epoll_wait(ep.get(), evs.data(), static_cast<int>(evs.size()), 100);
    ASSERT_GE(n, 0);
    for (int i = 0; i < n; ++i) {
      auto r = static_cast<LoopHost*>(evs[i].data.ptr)->loop->poll_once();
      ASSERT_TRUE(r.ok());
      ASSERT_FALSE(r->has_value());
    }
  }
  ASSERT_TRUE(client.done());
  const std::string back = client.result();
  EXPECT_EQ(written, data.size());
  EXPECT_TRUE(back == data) << back.size() << " bytes back of " << data.size();
  EXPECT_EQ(accepted, 1);
  EXPECT_GT(a.loop->stats().frames_out, 0u);
  EXPECT_GT(b.loop->stats().frames_in, 0u);

  // stop() is reported by the next poll_once(), once.
  a.loop->stop();
  auto r = a.loop->poll_once();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, link::RunOutcome::Stopped);
  EXPECT_FALSE(a.loop->poll_once().value().has_value());
}

}  // namespace
}  // namespace synack::test
