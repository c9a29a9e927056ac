// coro_echo: the coroutine API (synack/api/coro.hpp) on two stacks wired in memory.
// A server coroutine accepts and echoes; a client coroutine connects, writes, half-closes
// and reads everything back. Each co_await suspends only while the socket would block;
// the Reactor resumes it when the Stack reports readiness. No root, no network.
#include <array>
#include <cstdio>
#include <string>

#include "synack/api/coro.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

using namespace synack;
using api::AsyncListener;
using api::AsyncStream;
using api::Task;

// One connection: read until the peer's FIN, writing back each piece; then close.
Task<> echo_once(AsyncListener& listener) {
  auto s = co_await listener.accept();
  if (!s) co_return;
  std::array<std::byte, 1024> buf{};
  std::size_t total = 0;
  for (;;) {
    auto n = co_await s->read(buf);  // Result<size_t, RecvError>; 0 = end of stream
    if (!n || *n == 0) break;
    if (!co_await s->write(Bytes(buf).first(*n))) break;  // all of it, or an error
    total += *n;
  }
  std::printf("server: echoed %zu bytes, closing\n", total);
  (void)s->close();
}

Task<> client(api::Reactor& r, wire::Ipv4Addr server, std::string message) {
  auto c = co_await AsyncStream::connect(r, server, 7);
  if (!c) {  // refused, timed out, no route ...: a value, not an exception
    std::printf("client: %s\n", std::string(api::to_string(c.error())).c_str());
    co_return;
  }
  std::printf("client: connected\n");
  if (!co_await c->write(as_bytes(message))) co_return;
  (void)c->shutdown_write();  // FIN after the data: the server's read returns 0
  std::string back;
  std::array<std::byte, 1024> buf{};
  for (auto n = co_await c->read(buf); n && *n > 0; n = co_await c->read(buf)) {
    back.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  std::printf("client: got back \"%s\"\n", back.c_str());
  (void)c->close();
}

int main() {
  SystemRandom rng_a, rng_b;  // never a fixed seed on a real network (RFC 6528)
  stack::Stack a(stack::StackConfig{}, rng_a), b(stack::StackConfig{}, rng_b);
  const auto cidr_b = *wire::Ipv4Cidr::parse("10.77.0.2/24");
  const auto if_a = a.add_interface(*wire::MacAddr::parse("02:00:00:00:00:01"),
                                    *wire::Ipv4Cidr::parse("10.77.0.1/24"));
  const auto if_b = b.add_interface(*wire::MacAddr::parse("02:00:00:00:00:02"), cidr_b);

  // The Reactors ask this program for the time (here a virtual clock, see below).
  Instant now = Instant::zero();
  api::Reactor ra(a, [&] { return now; }), rb(b, [&] { return now; });
  auto listener = AsyncListener::listen(rb, 7, /*backlog=*/8);
  if (!listener) return 1;
  rb.spawn(echo_once(*listener));
  ra.spawn(client(ra, cidr_b.addr, "hello from a coroutine"));

  // The wire and the clock: the same pump as examples/two_stacks.cpp, with the Reactors
  // taking the events (poll() resumes the coroutines whose sockets became ready).
  while (ra.running() + rb.running() > 0) {
    (void)ra.poll();
    (void)rb.poll();
    bool moved = false;
    while (auto f = a.pop_frame()) {
      b.on_frame(if_b, f->bytes, now);
      moved = true;
    }
    while (auto f = b.pop_frame()) {
      a.on_frame(if_a, f->bytes, now);
      moved = true;
    }
    if (moved) continue;
    auto next = a.next_deadline();
    if (auto d = b.next_deadline(); d && (!next || *d < *next)) next = d;
    if (!next) return 1;  // tasks waiting for something that can never come
    now = std::max(now, *next);
    a.on_timer(now);
    b.on_timer(now);
  }
  return 0;
}
