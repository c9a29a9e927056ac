// No heap allocation per segment once a bulk transfer is in its steady state: two Stacks
// back to back in this process (as `synack bench` row (a)), every frame handed across
// and its buffer given back to the sender (as a NIC driver would), the application
// writing and reading through the socket API. After a warm-up, the transfer goes on for
// thousands of segments and every operator new of the process is counted
// (live_bytes.cpp): none. Segment by segment at MTU 1500 and 9000, and with TSO/GRO
// super-segments on the wire between the stacks.
#include <gtest/gtest.h>

#include <vector>

#include "live_bytes.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

namespace synack {
namespace {

constexpr std::uint16_t kPort = 9;

struct BackToBack {
  BackToBack(std::uint16_t mtu, stack::LinkOffloads offloads)
      : cfg(config(mtu)), rng_c(1), rng_s(2), client(cfg, rng_c), server(cfg, rng_s) {
    if_c = client.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 1}}, wire::Ipv4Cidr{kClient, 24}, mtu,
                                offloads);
    if_s = server.add_interface(wire::MacAddr{{2, 0, 0, 0, 0, 2}}, wire::Ipv4Cidr{kServer, 24}, mtu,
                                offloads);
  }
  static stack::StackConfig config(std::uint16_t mtu) {
    stack::StackConfig c;
    c.tcp.mtu = mtu;
    return c;
  }
  // Every frame `from` has queued, to `to` in one batch, then back to `from`'s pool.
  bool carry(stack::Stack& from, stack::Stack& to, stack::IfaceId to_if) {
    frames.clear();
    meta.clear();
    while (auto f = from.pop_frame()) {
      frames.push_back(std::move(f->bytes));
      meta.push_back(f->tx.as_received());
    }
    if (frames.empty()) return false;
    views.assign(frames.begin(), frames.end());
    to.on_frames(to_if, views, meta, now);
    for (ByteVec& f : frames) from.recycle(std::move(f));
    return true;
  }
  void pump() {
    for (int round = 0; round < 10'000; ++round) {
      bool moved = carry(client, server, if_s);
      moved = carry(server, client, if_c) || moved;
      for (stack::Stack* s : {&client, &server}) {
        if (auto d = s->next_deadline(); d && *d <= now) {
          s->on_timer(now);
          moved = true;
        }
        while (s->pop_event()) {
        }
      }
      if (!moved) return;
    }
  }

  const wire::Ipv4Addr kClient = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
  const wire::Ipv4Addr kServer = wire::Ipv4Addr::from_octets(10, 77, 0, 2);
  stack::StackConfig cfg;
  SeededRandom rng_c, rng_s;
  stack::Stack client, server;
  stack::IfaceId if_c{}, if_s{};
  std::vector<ByteVec> frames;
  std::vector<Bytes> views;
  std::vector<stack::RxMeta> meta;
  Instant now = Instant::from_nanos(1'000'000'000);
};

struct Phase {
  std::uint64_t segments = 0, bytes = 0, allocations = 0;
};

// A bulk transfer: `warmup` rounds, then `rounds` counted ones (10 µs of virtual time
// each, so that timers run as they would).
Phase bulk(std::uint16_t mtu, stack::LinkOffloads offloads, int warmup, int rounds) {
  BackToBack net(mtu, offloads);
  auto listener = api::TcpListener::listen(net.server, kPort, 4);
  EXPECT_TRUE(listener.ok());
  auto client = api::TcpStream::connect(net.client, net.kServer, kPort, net.now);
  EXPECT_TRUE(client.ok());
  net.pump();
  auto server = listener->accept(net.now);
  EXPECT_TRUE(server.ok());
  if (!client.ok() || !server.ok()) return {};
  std::vector<std::byte> out(64 * 1024, std::byte{0x5a}), in(64 * 1024);
  std::uint64_t received = 0;
  auto round = [&] {
    for (;;) {
      auto n = client->send(out, net.now);
      if (!n.ok() || *n == 0) break;
    }
    net.pump();
    for (;;) {
      auto n = server->receive(in, net.now);
      if (!n.ok() || *n == 0) break;
      EXPECT_EQ(in[0], std::byte{0x5a});
      received += *n;
    }
    net.pump();
    net.now = net.now + std::chrono::microseconds(10);
  };
  for (int i = 0; i < warmup; ++i) round();
  Phase p;
  const std::uint64_t segs0 = client->stats()->segs_out;
  const std::uint64_t received0 = received;
  const std::size_t allocs0 = testing::heap_allocations();
  for (int i = 0; i < rounds; ++i) round();
  p.allocations = testing::heap_allocations() - allocs0;
  p.segments = client->stats()->segs_out - segs0;
  p.bytes = received - received0;
  return p;
}

TEST(SteadyState, BulkTransferAllocatesNothingPerSegment) {
  struct Case {
    std::uint16_t mtu;
    stack::LinkOffloads offloads;
  };
  for (const Case& c : {Case{1500, {}}, Case{9000, {}}, Case{1500, {true, 65535}}}) {
    SCOPED_TRACE(::testing::Message()
                 << "MTU " << c.mtu << (c.offloads.tso_max ? ", TSO/GRO" : ""));
    const Phase p = bulk(c.mtu, c.offloads, 300, 1000);
    EXPECT_GT(p.segments, 1000u);  // the phase moved data: thousands of segments
    EXPECT_GT(p.bytes, 20u * 1000 * 1000);
    EXPECT_EQ(p.allocations, 0u) << "over " << p.segments << " segments";
  }
}

// The counter itself sees allocations: the test above could not pass by counting none.
TEST(SteadyState, TheCounterCountsEveryAllocation) {
  const std::size_t before = testing::heap_allocations();
  int* p = new int(7);
  asm volatile("" : : "r"(p) : "memory");  // escapes: the pair cannot be elided
  delete p;
  EXPECT_EQ(testing::heap_allocations() - before, 1u);
}

}  // namespace
}  // namespace synack
