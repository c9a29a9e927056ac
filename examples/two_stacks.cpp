// two_stacks: two complete TCP/IP stacks in one process, wired back to back in memory.
// A client on stack A connects to an echo server on stack B, sends one line and prints
// what comes back. No root, no TAP, no network: this program is the wire and the clock.
//
// synack's core is sans-I/O: a Stack never reads a clock or touches a device. You hand
// it frames and the time; it hands back frames, events and its next deadline. Here the
// clock is virtual (it jumps to the next deadline when nothing moves), so the run takes
// no real time; with a real link you would pass link::monotonic_now() instead.
#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "synack/api/poller.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

using namespace synack;

int main() {
  // ISNs and ephemeral ports must be unpredictable (RFC 6528): a real random source.
  SystemRandom rng_a, rng_b;
  stack::Stack a(stack::StackConfig{}, rng_a), b(stack::StackConfig{}, rng_b);
  const auto cidr_a = *wire::Ipv4Cidr::parse("10.77.0.1/24");
  const auto cidr_b = *wire::Ipv4Cidr::parse("10.77.0.2/24");
  const auto if_a = a.add_interface(*wire::MacAddr::parse("02:00:00:00:00:01"), cidr_a);
  const auto if_b = b.add_interface(*wire::MacAddr::parse("02:00:00:00:00:02"), cidr_b);
  Instant now = Instant::zero();

  auto listener = api::TcpListener::listen(b, 7, /*backlog=*/8);
  auto client = api::TcpStream::connect(a, cidr_b.addr, 7, now);
  if (!listener || !client) return std::fprintf(stderr, "listen/connect failed\n"), 1;
  std::optional<api::TcpStream> server;  // the accepted connection
  api::Poller poll_a, poll_b;            // readiness per stack
  const std::string line = "hello from stack A";
  std::string echoed;
  std::array<std::byte, 512> buf{};

  for (int round = 0; round < 100000 && client->is_open(); ++round) {
    // 1. Events first (what the applications send in answer rides on the ACKs).
    (void)poll_b.poll(b);
    while (auto e = poll_b.next()) {
      if (e->kind == api::ReadyKind::Acceptable) {
        if (auto s = listener->accept(now)) server.emplace(std::move(*s));
        std::printf("server: accepted a connection\n");
      } else if (server && e->conn == server->id() &&
                 (e->kind == api::ReadyKind::Readable || e->kind == api::ReadyKind::PeerClosed)) {
        // Echo everything readable; at the end of stream, close our side too.
        for (auto n = server->receive(buf, now); n; n = server->receive(buf, now)) {
          if (*n == 0) {
            (void)server->close(now);
            break;
          }
          (void)server->send(Bytes(buf).first(*n), now);
          std::printf("server: echoed %zu bytes\n", *n);
        }
      }
    }
    (void)poll_a.poll(a);
    while (auto e = poll_a.next()) {
      if (e->kind == api::ReadyKind::Connected) {
        std::printf("client: connected to %s:7\n", cidr_b.addr.to_string().c_str());
        (void)client->send(as_bytes(line), now);
      } else if (e->kind == api::ReadyKind::ConnectFailed) {
        std::printf("client: %s\n",
                    std::string(api::to_string(api::to_connect_error(*e->error))).c_str());
        return 1;
      } else if (e->kind == api::ReadyKind::Readable) {
        for (auto n = client->receive(buf, now); n && *n > 0; n = client->receive(buf, now)) {
          echoed.append(reinterpret_cast<const char*>(buf.data()), *n);
        }
        if (echoed.size() == line.size()) {
          std::printf("client: got back \"%s\"\n", echoed.c_str());
          (void)client->close(now);  // FIN; the loop ends
        }
      }
    }
    // 2. Frames: what one stack sends, the other receives (an ideal wire).
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
    // 3. Time: nothing moved, so jump to the earliest deadline (a delayed ACK, ...).
    auto next = a.next_deadline();
    if (auto d = b.next_deadline(); d && (!next || *d < *next)) next = d;
    if (!next) break;
    now = std::max(now, *next);
    a.on_timer(now);
    b.on_timer(now);
  }
  return echoed == line ? 0 : 1;
}
