// A program built against an installed synack (find_package or pkg-config): two
// stacks in one process, frames handed across by hand, a TCP echo through the socket
// API. Prints what crossed, and exits 0 only if the echo came back byte for byte.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"
#include "synack/version.hpp"

using namespace synack;

int main() {
  SystemRandom rng_a, rng_b;  // RFC 6528: an unpredictable ISN key per stack
  stack::Stack a(stack::StackConfig{}, rng_a), b(stack::StackConfig{}, rng_b);
  auto ip_a = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
  auto ip_b = wire::Ipv4Addr::from_octets(10, 77, 0, 2);
  a.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}}, {ip_a, 24});
  b.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 2}}, {ip_b, 24});

  Instant now{};
  // One "wire": every frame either stack sends reaches the other 1 ms later.
  auto pump = [&] {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      while (auto f = a.pop_frame()) b.on_frame(f->iface, f->bytes, now), moved = true;
      while (auto f = b.pop_frame()) a.on_frame(f->iface, f->bytes, now), moved = true;
      if (!moved) return;
      now += std::chrono::milliseconds(1);
      a.on_timer(now);
      b.on_timer(now);
    }
  };

  auto listener = api::TcpListener::listen(b, 7, 4);
  auto client = api::TcpStream::connect(a, ip_b, 7, now);
  if (!listener.ok() || !client.ok()) return std::puts("listen/connect failed"), 1;
  pump();
  auto server = listener->accept(now);
  if (!server.ok()) return std::puts("nothing to accept"), 1;

  std::string_view msg = "hello from an installed synack";
  (void)client->send(as_bytes(msg), now);
  pump();
  std::byte buf[64];
  auto n = server->receive(buf, now);
  if (!n.ok()) return std::puts("server read failed"), 1;
  (void)server->send({buf, *n}, now);  // echo
  pump();
  auto m = client->receive(buf, now);
  if (!m.ok()) return std::puts("client read failed"), 1;
  std::string back(reinterpret_cast<const char*>(buf), *m);
  std::printf("synack %s (headers %s): echoed %zu bytes: %s\n",
              std::string(library_version()).c_str(), SYNACK_VERSION_STRING, back.size(),
              back.c_str());
  return back == msg ? 0 : 1;
}
