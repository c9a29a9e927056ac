// No heap allocation per segment once a bulk transfer is in its steady state: two Stacks
// back to back in this process (as `synack bench` row (a)), every frame handed across
// and its buffer given back to the sender (as a NIC driver would), the application
// writing and reading through the socket API. After a warm-up, the transfer goes on for
// thousands of segments and every operator new of the process is counted
// (live_bytes.cpp): none. Segment by segment at MTU 1500 and 9000, and with TSO/GRO
// super-segments on the wire between the stacks.
#include <gtest/gtest.h>

#include <vector>

#include "back_to_back.hpp"
#include "live_bytes.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

namespace synack {
namespace {

constexpr std::uint16_t kPort = 9;

struct Phase {
  std::uint64_t segments = 0, bytes = 0, allocations = 0;
};

// A bulk transfer: `warmup` rounds, then `rounds` counted ones (10 µs of virtual time
// each, so that timers run as they would).
Phase bulk(std::uint16_t mtu, stack::LinkOffloads offloads, int warmup, int rounds) {
  stack::StackConfig cfg;
  cfg.tcp.mtu = mtu;
  cli::BackToBack net(cfg, mtu, offloads);
  Instant now = Instant::from_nanos(1'000'000'000);
  auto listener = api::TcpListener::listen(net.server, kPort, 4);
  EXPECT_TRUE(listener.ok());
  auto client = api::TcpStream::connect(net.client, net.server_addr, kPort, now);
  EXPECT_TRUE(client.ok());
  net.pump(now);
  auto server = listener->accept(now);
  EXPECT_TRUE(server.ok());
  if (!client.ok() || !server.ok()) return {};
  std::vector<std::byte> out(64 * 1024, std::byte{0x5a}), in(64 * 1024);
  std::uint64_t received = 0;
  auto round = [&] {
    for (;;) {
      auto n = client->send(out, now);
      if (!n.ok() || *n == 0) break;
    }
    net.pump(now);
    for (;;) {
      auto n = server->receive(in, now);
      if (!n.ok() || *n == 0) break;
      EXPECT_EQ(in[0], std::byte{0x5a});
      received += *n;
    }
    net.pump(now);
    now = now + std::chrono::microseconds(10);
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
