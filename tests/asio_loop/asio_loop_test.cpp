// asio_loop::AsioDriver: two Stacks, each with a link::EventLoop, driven by one
// asio::io_context (no EventLoop::run, no epoll of our own). A coroutine echo over a
// socketpair comes back byte for byte while an Asio timer of the program's own runs in
// the same io_context; the loop's stop() ends the driver with RunOutcome::Stopped; a
// driver destroyed with waits pending leaves nothing behind that would run later.
#include "synack/asio_loop/asio_loop.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "synack/api/coro.hpp"
#include "synack/base/random.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

namespace synack::test {
namespace {

using api::AsyncListener;
using api::AsyncStream;
using api::Task;
using asio_loop::AsioDriver;
using namespace std::chrono_literals;

const wire::Ipv4Addr kAddrA = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv4Addr kAddrB = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

struct Host {
  Host(std::uint64_t seed, wire::Ipv4Addr addr, std::uint8_t mac, link::UniqueFd fd,
       asio::io_context& io)
      : rng(seed),
        st(stack::StackConfig{}, rng),
        tap(link::TapLink::adopt(std::move(fd), "pair" + std::to_string(mac), 1514)),
        reactor(st, [] { return link::monotonic_now(); }) {
    iface = st.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, mac}}, wire::Ipv4Cidr{addr, 24});
    loop = link::EventLoop::create(st, tap, iface, {.handle_signals = false}).value();
    loop->on_event([this](const stack::Event& e, Instant) { reactor.on_event(e); });
    driver = std::make_unique<AsioDriver>(io, *loop);
  }
  SeededRandom rng;
  stack::Stack st;
  link::TapLink tap;
  stack::IfaceId iface;
  api::Reactor reactor;
  std::unique_ptr<link::EventLoop> loop;
  std::unique_ptr<AsioDriver> driver;
};

// A and B joined by a SOCK_SEQPACKET socketpair (one frame per datagram).
struct Pair {
  explicit Pair(asio::io_context& io) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return;
    a = std::make_unique<Host>(1, kAddrA, 1, link::UniqueFd(fds[0]), io);
    b = std::make_unique<Host>(2, kAddrB, 2, link::UniqueFd(fds[1]), io);
  }
  std::unique_ptr<Host> a, b;
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + (i * 13 + i / 97) % 26);
  return s;
}

Task<> echo_one(AsyncListener& l) {
  auto s = co_await l.accept();
  if (!s) co_return;
  std::array<std::byte, 2048> buf{};
  for (;;) {
    auto n = co_await s->read(buf);
    if (!n || *n == 0) break;
    if (!co_await s->write(Bytes(buf).first(*n))) break;
  }
  (void)s->close();
}

Task<> send_all(AsyncStream& c, const std::string& data) {
  (void)co_await c.write(as_bytes(data));
  (void)c.shutdown_write();
}

Task<> client(api::Reactor& r, const std::string& data, std::string& back, bool& done) {
  auto c = co_await AsyncStream::connect(r, kAddrB, 7);
  if (c) {
    r.spawn(send_all(*c, data));
    std::array<std::byte, 2048> buf{};
    for (auto n = co_await c->read(buf); n && *n > 0; n = co_await c->read(buf)) {
      back.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    (void)c->close();
  }
  done = true;
}

TEST(AsioDriver, CoroutineEchoOverASocketpairWithTheProgramsOwnTimer) {
  asio::io_context io;
  Pair p(io);
  ASSERT_TRUE(p.a && p.b);
  auto l = AsyncListener::listen(p.b->reactor, 7, 8);
  ASSERT_TRUE(l.ok());
  p.b->reactor.spawn(echo_one(*l));
  const std::string data = pattern(200000);
  std::string back;
  bool done = false;
  p.a->driver->start();
  p.b->driver->start();
  p.a->reactor.spawn(client(p.a->reactor, data, back, done));
  p.a->driver->kick();  // the SYN was made outside a loop callback

  // The program's own Asio work in the same io_context: a repeating timer that also
  // ends the run once the echo is done (or after 20 s of wall time: a hang, not a
  // threshold on speed).
  asio::steady_timer tick(io);
  int ticks = 0;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  std::function<void(const asio::error_code&)> on_tick = [&](const asio::error_code& ec) {
    if (ec) return;
    ++ticks;
    if (done || std::chrono::steady_clock::now() > give_up) return io.stop();
    tick.expires_after(1ms);
    tick.async_wait(on_tick);
  };
  tick.expires_after(1ms);
  tick.async_wait(on_tick);
  io.run();

  ASSERT_TRUE(done);
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  EXPECT_GT(ticks, 0);
  EXPECT_TRUE(p.a->driver->running());
  EXPECT_FALSE(p.a->driver->error().has_value());
  EXPECT_GT(p.a->driver->rounds(), 1u);
  EXPECT_GT(p.b->loop->stats().frames_in, 0u);
}

TEST(AsioDriver, TheLoopsStopEndsTheDriverWithItsOutcome) {
  asio::io_context io;
  Pair p(io);
  ASSERT_TRUE(p.a && p.b);
  p.a->driver->start();
  p.a->loop->call_at(link::monotonic_now(), [&](Instant) { p.a->loop->stop(); });
  io.run();  // returns once nothing is left to wait for: the driver ended itself
  EXPECT_FALSE(p.a->driver->running());
  ASSERT_TRUE(p.a->driver->outcome().has_value());
  EXPECT_EQ(*p.a->driver->outcome(), link::RunOutcome::Stopped);
}

TEST(AsioDriver, ADestroyedDriverLeavesNoHandlerThatTouchesIt) {
  asio::io_context io;
  Pair p(io);
  ASSERT_TRUE(p.a && p.b);
  p.a->driver->start();
  p.a->driver->kick();
  io.poll();  // a round ran, the fd wait is pending
  // Frames arrive for A, so its fd turns readable after the driver is gone.
  auto c = api::TcpStream::connect(p.b->st, kAddrA, 9, link::monotonic_now());
  ASSERT_TRUE(c.ok());
  p.b->loop->flush(link::monotonic_now());
  p.a->driver.reset();
  io.run_for(50ms);  // ASan would catch a handler using the freed driver
  SUCCEED();
}

}  // namespace
}  // namespace synack::test
