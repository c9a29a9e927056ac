// tap_echo: an RFC 862 echo server on a Linux TAP device, written with the coroutine API
// on link::EventLoop. The kernel side of the TAP is an ordinary interface: give it an
// address in the same subnet and talk to us with nc.
//
//   ip tuntap add tap0 mode tap && ip addr add 10.77.0.1/24 dev tap0 && ip link set tap0 up
//   tap_echo tap0 10.77.0.2/24 7 &
//   echo hello | nc -N 10.77.0.2 7
//
// Needs CAP_NET_ADMIN (or a TAP created for your user). SIGINT/SIGTERM stop it.
#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "synack/api/coro.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

using namespace synack;
using api::AsyncListener;
using api::AsyncStream;
using api::Task;

Task<> echo(AsyncStream s) {
  const auto peer = s.stream().remote();
  std::array<std::byte, 4096> buf{};
  std::size_t total = 0;
  for (;;) {
    auto n = co_await s.read(buf);
    if (!n || *n == 0) break;  // an error, or the client's FIN
    if (!co_await s.write(Bytes(buf).first(*n))) break;
    total += *n;
  }
  std::printf("echoed %zu bytes to %s\n", total, peer ? peer->addr.to_string().c_str() : "?");
  std::fflush(stdout);
  (void)s.close();  // FIN after what is queued
}

Task<> serve(api::Reactor& r, AsyncListener& listener) {
  for (;;) {
    auto s = co_await listener.accept();
    if (s) r.spawn(echo(std::move(*s)));  // one coroutine per connection
  }
}

int main(int argc, char** argv) {
  if (argc != 4) return std::fprintf(stderr, "usage: tap_echo TAP ADDR/PREFIX PORT\n"), 2;
  const auto cidr = wire::Ipv4Cidr::parse(argv[2]);
  std::uint16_t port = 0;
  const std::string_view port_text = argv[3];
  if (!cidr || std::from_chars(port_text.begin(), port_text.end(), port).ec != std::errc{}) {
    return std::fprintf(stderr, "tap_echo: bad address or port\n"), 2;
  }
  auto tap = link::TapLink::open(argv[1]);
  if (!tap) return std::fprintf(stderr, "tap_echo: %s\n", tap.error().message().c_str()), 1;

  SystemRandom rng;  // ISNs, ephemeral ports, SYN cookies: never a fixed seed here
  stack::Stack stack(stack::StackConfig{}, rng);
  // A locally administered MAC of our own (the kernel's side has another one). The
  // link's offloads (checksums, TSO over the TAP's virtio_net_hdr) are the stack's too.
  const auto iface = stack.add_interface(*wire::MacAddr::parse("02:53:00:00:00:02"), *cidr, 1500,
                                         tap->tx_offloads());
  auto loop = link::EventLoop::create(stack, *tap, iface);
  if (!loop) return std::fprintf(stderr, "tap_echo: %s\n", loop.error().message().c_str()), 1;

  api::Reactor reactor(stack, link::monotonic_now);
  (*loop)->on_event([&](const stack::Event& e, Instant) { reactor.on_event(e); });
  (*loop)->on_shutdown([&](Instant) { (*loop)->stop(); });  // SIGINT/SIGTERM
  auto listener = AsyncListener::listen(reactor, port, /*backlog=*/64);
  if (!listener) return std::fprintf(stderr, "tap_echo: cannot listen on %u\n", port), 1;
  reactor.spawn(serve(reactor, *listener));
  std::printf("echo on %s port %u (%s)\n", cidr->addr.to_string().c_str(), port, argv[1]);
  std::fflush(stdout);

  auto r = (*loop)->run();
  if (!r) return std::fprintf(stderr, "tap_echo: %s\n", r.error().message().c_str()), 1;
  return 0;
}
