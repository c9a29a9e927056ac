// http_get: fetch one URL over a TAP device with synack's TCP, print the body.
//
//   http_get tap0 10.77.0.2/24 http://10.77.0.1:8080/index.html [GATEWAY]
//
// The body goes to stdout, the status line's code to stderr; the exit status is 0 for a
// complete 2xx response. Uses the coroutine API on link::EventLoop and the HTTP/1.1
// response parser of synack::services. Needs CAP_NET_ADMIN (or a TAP of your own).
#include <array>
#include <chrono>
#include <cstdio>
#include <string>

#include "synack/api/coro.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/services/http.hpp"
#include "synack/stack/stack.hpp"

using namespace synack;
using api::AsyncStream;
using api::Task;

// Connects, sends the request, feeds the response to the parser; stops the loop after.
Task<> fetch(api::Reactor& r, link::EventLoop& loop, services::HttpUrl url, int& status) {
  auto c = co_await AsyncStream::connect(r, url.host, url.port);
  if (!c) {
    std::fprintf(stderr, "http_get: %s\n", std::string(api::to_string(c.error())).c_str());
    co_return loop.stop();
  }
  const std::string request = services::http_get_request(url);
  if (!co_await c->write(as_bytes(request))) co_return loop.stop();
  services::HttpResponseParser parser(
      [](Bytes body) { std::fwrite(body.data(), 1, body.size(), stdout); });
  std::array<std::byte, 8192> buf{};
  while (!parser.complete() && !parser.failed()) {
    auto n = co_await c->read(buf);
    if (!n) break;  // reset, timed out ...
    if (*n == 0) {  // the server closed: ends a body without a length
      (void)parser.finish();
      break;
    }
    (void)parser.feed(Bytes(buf).first(*n));
  }
  if (parser.failed()) std::fprintf(stderr, "http_get: %s\n", parser.error().c_str());
  if (parser.complete()) status = parser.status();
  (void)c->close();
  loop.stop();
}

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    return std::fprintf(stderr, "usage: http_get TAP ADDR/PREFIX URL [GATEWAY]\n"), 2;
  }
  const auto cidr = wire::Ipv4Cidr::parse(argv[2]);
  auto url = services::parse_http_url(argv[3]);
  if (!cidr || !url) return std::fprintf(stderr, "http_get: bad address or URL\n"), 2;
  auto tap = link::TapLink::open(argv[1]);
  if (!tap) return std::fprintf(stderr, "http_get: %s\n", tap.error().message().c_str()), 1;

  SystemRandom rng;
  stack::Stack stack(stack::StackConfig{}, rng);
  const auto iface = stack.add_interface(*wire::MacAddr::parse("02:53:00:00:00:02"), *cidr, 1500,
                                         tap->tx_offloads());
  if (argc == 5) stack.set_default_gateway(wire::Ipv4Addr::parse(argv[4]));
  auto loop = link::EventLoop::create(stack, *tap, iface);
  if (!loop) return std::fprintf(stderr, "http_get: %s\n", loop.error().message().c_str()), 1;

  api::Reactor reactor(stack, link::monotonic_now);
  (*loop)->on_event([&](const stack::Event& e, Instant) { reactor.on_event(e); });
  int status = 0;
  reactor.spawn(fetch(reactor, **loop, *url, status));
  // At most 30 s in all (the connect alone gives up after its own timeout).
  auto r = (*loop)->run(std::chrono::seconds(30));
  if (!r) return std::fprintf(stderr, "http_get: %s\n", r.error().message().c_str()), 1;
  if (*r != link::RunOutcome::Stopped) return std::fprintf(stderr, "http_get: gave up\n"), 1;
  std::fflush(stdout);
  std::fprintf(stderr, "http_get: status %d\n", status);
  return status >= 200 && status < 300 ? 0 : 1;
}
