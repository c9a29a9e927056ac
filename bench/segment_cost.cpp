// synack_segcost: a driver for counting instructions per data segment with callgrind
// (docs/PERFORMANCE.md, "Instructions per data segment").
//
// Two Stacks back to back in this process, as `synack bench` row (a) (one connection,
// one direction, 64 KiB application writes, every frame handed across at once and
// recycled to its sender as a NIC driver would), but on a virtual clock that advances
// 10 µs per round: a run under valgrind, 50 times slower, sends exactly the segments a
// native run sends. After a warm-up the steady state runs inside measured_phase(),
// split between two functions callgrind tells apart:
//   send_side():    the sender's application writes (the copy into the send buffer),
//                   its TCP output (segments, headers, checksums), the ACKs it gets
//                   back, its timers, taking back the buffers of its sent frames;
//   receive_side(): the receiver taking the data frames (IPv4, TCP input, reassembly
//                   into the receive buffer), its ACKs, its timers and the
//                   application's reads (the copy out).
// Prints the data segments and bytes of the measured phase; instructions per segment
// are each function's inclusive Ir over that count:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_phase*'
//       --callgrind-out-file=cg.out build/synack_segcost 1500 20000
//   callgrind_annotate --inclusive=yes cg.out | grep -E 'send_side|receive_side|measured_phase'
// Usage: synack_segcost [MTU=1500] [SEGMENTS=20000]
#include <fmt/core.h>

#include <cstdlib>
#include <vector>

#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

namespace {

using namespace synack;

constexpr std::uint16_t kPort = 9;
const wire::Ipv4Addr kClient = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv4Addr kServer = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

struct Run {
  explicit Run(std::uint16_t mtu)
      : cfg(config(mtu)), rng_c(1), rng_s(2), client(cfg, rng_c), server(cfg, rng_s) {
    if_c =
        client.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}}, wire::Ipv4Cidr{kClient, 24}, mtu);
    if_s =
        server.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 2}}, wire::Ipv4Cidr{kServer, 24}, mtu);
  }
  static stack::StackConfig config(std::uint16_t mtu) {
    stack::StackConfig c;
    c.tcp.mtu = mtu;
    return c;
  }

  stack::StackConfig cfg;
  SeededRandom rng_c, rng_s;
  stack::Stack client, server;
  stack::IfaceId if_c{}, if_s{};
  std::vector<ByteVec> to_server, to_client, sent;  // frames in flight, frames to recycle
  std::vector<Bytes> views;
  std::vector<std::byte> out = std::vector<std::byte>(64 * 1024, std::byte{0x5a});
  std::vector<std::byte> in = std::vector<std::byte>(64 * 1024);
  std::uint64_t received = 0;
  Instant now = Instant::from_nanos(1'000'000'000);

  void deliver(stack::Stack& to, stack::IfaceId iface, std::vector<ByteVec>& frames) {
    if (frames.empty()) return;
    views.assign(frames.begin(), frames.end());
    to.on_frames(iface, views, now);
  }
};

// The sender: ACKs in, timers, the buffers of the frames the receiver has taken back,
// application writes until the send buffer is full, its frames out.
[[gnu::noinline]] void send_side(Run& r, api::TcpStream& c) {
  r.deliver(r.client, r.if_c, r.to_client);
  r.to_client.clear();
  for (ByteVec& f : r.sent) r.client.recycle(std::move(f));
  r.sent.clear();
  if (auto d = r.client.next_deadline(); d && *d <= r.now) r.client.on_timer(r.now);
  for (;;) {
    auto n = c.send(r.out, r.now);
    if (!n.ok() || *n == 0) break;
  }
  while (r.client.pop_event()) {
  }
  while (auto f = r.client.pop_frame()) r.to_server.push_back(std::move(f->bytes));
}

// The receiver: data frames in, timers, application reads, its ACKs out.
[[gnu::noinline]] void receive_side(Run& r, api::TcpStream& s) {
  r.deliver(r.server, r.if_s, r.to_server);
  for (ByteVec& f : r.to_server) r.sent.push_back(std::move(f));
  r.to_server.clear();
  if (auto d = r.server.next_deadline(); d && *d <= r.now) r.server.on_timer(r.now);
  for (;;) {
    auto n = s.receive(r.in, r.now);
    if (!n.ok() || *n == 0) break;
    r.received += *n;
  }
  while (r.server.pop_event()) {
  }
  while (auto f = r.server.pop_frame()) r.to_client.push_back(std::move(f->bytes));
}

void round(Run& r, api::TcpStream& c, api::TcpStream& s) {
  send_side(r, c);
  receive_side(r, s);
  r.now = r.now + std::chrono::microseconds(10);
}

// Rounds until the sender has sent `segments` more segments (bounded).
[[gnu::noinline]] std::uint64_t measured_phase(Run& r, api::TcpStream& c, api::TcpStream& s,
                                               std::uint64_t segments) {
  const std::uint64_t start = c.stats()->segs_out;
  for (int i = 0; i < 10'000'000 && c.stats()->segs_out - start < segments; ++i) round(r, c, s);
  return c.stats()->segs_out - start;
}

}  // namespace

int main(int argc, char** argv) {
  const auto mtu = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 1500);
  const std::uint64_t segments = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20'000;
  if (mtu < 576 || mtu > 9000 || segments == 0) {
    fmt::print(stderr, "usage: synack_segcost [MTU 576..9000] [SEGMENTS > 0]\n");
    return 2;
  }
  Run r(mtu);
  auto listener = api::TcpListener::listen(r.server, kPort, 4).value();
  auto c = api::TcpStream::connect(r.client, kServer, kPort, r.now).value();
  std::optional<api::TcpStream> s;
  for (int i = 0; i < 1000 && !s; ++i) {
    while (auto f = r.client.pop_frame()) r.to_server.push_back(std::move(f->bytes));
    r.deliver(r.server, r.if_s, r.to_server);
    r.to_server.clear();
    while (auto f = r.server.pop_frame()) r.to_client.push_back(std::move(f->bytes));
    r.deliver(r.client, r.if_c, r.to_client);
    r.to_client.clear();
    r.now = r.now + std::chrono::microseconds(10);
    if (auto a = listener.accept(r.now); a.ok()) s.emplace(std::move(*a));
  }
  if (!s) {
    fmt::print(stderr, "synack_segcost: no connection\n");
    return 1;
  }
  // Warm-up: windows open, buffers and pools reach their steady state.
  const std::uint64_t warm = c.stats()->segs_out + 5000;
  for (int i = 0; i < 1'000'000 && c.stats()->segs_out < warm; ++i) round(r, c, *s);
  const std::uint64_t bytes_before = r.received;
  const auto st0 = *c.stats();
  const std::uint64_t segs = measured_phase(r, c, *s, segments);
  const auto st1 = *c.stats();
  // Bytes the receiver's application read in the phase: about segments x payload (a
  // flight's worth may still be in transit at either end of the phase).
  const std::uint64_t bytes = r.received - bytes_before;
  fmt::print("mtu {} segments {} bytes read {} ({:.0f} per segment) retransmitted {}\n", mtu, segs,
             bytes, segs ? static_cast<double>(bytes) / static_cast<double>(segs) : 0.0,
             st1.retransmitted_segs - st0.retransmitted_segs);
  return 0;
}
