// epoll_embed: synack inside a program's own epoll loop. Two stacks, each with a
// link::EventLoop that never runs on its own: the program puts each loop's fd() in its
// epoll set beside an fd of its own (a pipe carrying the message to send) and calls
// poll_once() when that fd is readable. The stacks are wired by a socketpair (one frame
// per datagram, as a TAP would carry them), so this needs no root.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>

#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

using namespace synack;

int main() {
  int wire_fds[2], pipe_fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, wire_fds) != 0 ||
      ::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
    return 1;
  SystemRandom rng_a, rng_b;
  stack::Stack a(stack::StackConfig{}, rng_a), b(stack::StackConfig{}, rng_b);
  const auto cidr_b = *wire::Ipv4Cidr::parse("10.77.0.2/24");
  const auto if_a = a.add_interface(*wire::MacAddr::parse("02:00:00:00:00:01"),
                                    *wire::Ipv4Cidr::parse("10.77.0.1/24"));
  const auto if_b = b.add_interface(*wire::MacAddr::parse("02:00:00:00:00:02"), cidr_b);
  auto link_a = link::TapLink::adopt(link::UniqueFd(wire_fds[0]), "wire-a", 1514);
  auto link_b = link::TapLink::adopt(link::UniqueFd(wire_fds[1]), "wire-b", 1514);
  // Signals stay this program's business: the loops do not take SIGINT/SIGTERM.
  const link::LoopOptions opts{.handle_signals = false};
  auto loop_a = link::EventLoop::create(a, link_a, if_a, opts);
  auto loop_b = link::EventLoop::create(b, link_b, if_b, opts);
  if (!loop_a || !loop_b) return 1;

  // B: an echo server, driven by B's loop's event callback.
  auto listener = api::TcpListener::listen(b, 7, 8);
  if (!listener) return 1;
  std::optional<api::TcpStream> server;
  std::array<std::byte, 512> buf{};
  auto echo_what_is_readable = [&](Instant now) {
    for (auto n = server->receive(buf, now); n; n = server->receive(buf, now)) {
      if (*n == 0) return (void)server->close(now);  // the client's FIN: ours follows
      (void)server->send(Bytes(buf).first(*n), now);
      std::printf("server: echoed %zu bytes\n", *n);
    }
  };
  (*loop_b)->on_event([&](const stack::Event& e, Instant now) {
    const auto* t = std::get_if<tcp::Event>(&e);
    if (t == nullptr) return;
    if (t->kind == tcp::EventKind::AcceptReady && !server) {
      if (auto s = listener->accept(now)) server.emplace(std::move(*s));
      std::printf("server: accepted a connection\n");
      echo_what_is_readable(now);  // data may have come with the handshake's last ACK
    } else if (server && t->conn == server->id() && t->kind != tcp::EventKind::Closed) {
      echo_what_is_readable(now);
    }
  });

  // A: the client. connect() is called from outside any callback, so poll_once() below
  // sends its SYN.
  auto client = api::TcpStream::connect(a, cidr_b.addr, 7, link::monotonic_now());
  if (!client) return 1;
  std::string reply;
  bool done = false;
  (*loop_a)->on_event([&](const stack::Event& e, Instant now) {
    const auto* t = std::get_if<tcp::Event>(&e);
    if (t == nullptr || t->conn != client->id()) return;
    if (t->kind == tcp::EventKind::Connected) std::printf("client: connected\n");
    if (t->kind == tcp::EventKind::Error) done = true;  // refused, reset ...
    if (t->kind != tcp::EventKind::Readable) return;
    for (auto n = client->receive(buf, now); n && *n > 0; n = client->receive(buf, now))
      reply.append(reinterpret_cast<const char*>(buf.data()), *n);
    std::printf("client: got back \"%s\"\n", reply.c_str());
    (void)client->close(now);
    done = true;
  });

  // The program's own loop: the two loops' fds and its pipe, in one epoll set.
  const std::string message = "hello through epoll";
  if (::write(pipe_fds[1], message.data(), message.size()) < 0) return 1;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  link::EventLoop* loops[2] = {loop_a->get(), loop_b->get()};
  for (std::uint32_t i = 0; i < 3; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;  // 0, 1: the loops; 2: the pipe
    ::epoll_ctl(ep, EPOLL_CTL_ADD, i < 2 ? loops[i]->fd() : pipe_fds[0], &ev);
  }
  (void)loops[0]->poll_once();
  while (!done) {
    // The loops' fds turn readable at their deadlines (a timerfd inside), so a timeout
    // is optional; one from next_deadline() is shown here, capped at one second.
    int timeout = 1000;
    for (auto* l : loops) {
      if (auto d = l->next_deadline()) {
        const auto ms = to_millis(*d - link::monotonic_now());
        timeout = static_cast<int>(std::clamp<std::int64_t>(ms, 0, timeout));
      }
    }
    std::array<epoll_event, 4> ready{};
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), timeout);
    for (int i = 0; i < n; ++i) {
      const std::uint32_t who = ready[i].data.u32;
      if (who < 2 && !loops[who]->poll_once()) return 1;
      if (who == 2) {  // our own fd: the message to send; then poll, so that it leaves
        std::array<char, 64> text{};
        const auto got = std::max<ssize_t>(::read(pipe_fds[0], text.data(), text.size()), 0);
        (void)client->send(as_bytes({text.data(), std::size_t(got)}), link::monotonic_now());
        (void)loops[0]->poll_once();
      }
    }
  }
  for (int fd : {ep, pipe_fds[0], pipe_fds[1]}) ::close(fd);
  return reply == message ? 0 : 1;
}
