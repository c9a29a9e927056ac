// One EventLoop and one Stack on two real TAPs in a private namespace: the kernel has
// 10.77.1.2 on synmtA and 10.77.2.2 on synmtB, the stack 10.77.1.1 and 10.77.2.1. The
// kernel pings both addresses at once; each echo reply must leave by its own TAP (the
// kernel's per-TAP receive counters equal the loop's per-link frames out).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/stack/stack.hpp"
#include "tap_netns.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Netns;
using test::report;

int serve_two(int out) {
  auto a = TapLink::open("synmtA");
  auto b = TapLink::open("synmtB");
  if (!a || !b) {
    report(out, "error", !a ? a.error().message() : b.error().message());
    return 1;
  }
  SeededRandom rng(1);
  stack::Stack st(stack::StackConfig{}, rng);
  const auto ia = st.add_interface(wire::MacAddr{{0x02, 0, 0, 0x77, 1, 1}},
                                   *wire::Ipv4Cidr::parse("10.77.1.1/24"), 1500, a->tx_offloads());
  const auto ib = st.add_interface(wire::MacAddr{{0x02, 0, 0, 0x77, 2, 1}},
                                   *wire::Ipv4Cidr::parse("10.77.2.1/24"), 1500, b->tx_offloads());
  auto created = EventLoop::create(st, *a, ia);
  if (!created) {
    report(out, "error", created.error().message());
    return 2;
  }
  EventLoop& loop = **created;
  if (!loop.add_link(*b, ib)) return 3;
  report(out, "ready", 1);
  auto outcome = loop.run(30s);
  report(out, "outcome", outcome ? std::string(to_string(*outcome)) : outcome.error().message());
  report(out, "icmp_tx_echo_replies", st.stats().icmp_tx_echo_replies);
  for (EventLoop::LinkId id : {0u, 1u}) {
    const std::string n = std::to_string(id);
    report(out, "frames_in" + n, loop.stats(id).frames_in);
    report(out, "frames_out" + n, loop.stats(id).frames_out);
  }
  report(out, "tx_other_iface", loop.stats().tx_other_iface);
  return 0;
}

std::uint64_t kernel_rx_packets(const Netns& ns, const std::string& dev) {
  const std::string v =
      test::capture(ns.exec("cat /sys/class/net/" + dev + "/statistics/rx_packets"));
  return v.empty() ? ~std::uint64_t{0} : std::stoull(v);
}

TEST(MultiTap, TheKernelPingsBothInterfacesAtOnceAndEachReplyLeavesByItsOwnTap) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-mtap");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(test::sh(ns.exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                             "net.ipv6.conf.default.disable_ipv6=1")),
            0);
  for (const char* dev : {"synmtA", "synmtB"}) {
    ASSERT_EQ(ns.ip(std::string("tuntap add ") + dev + " mode tap"), 0);
  }
  ASSERT_EQ(ns.ip("addr add 10.77.1.2/24 dev synmtA"), 0);
  ASSERT_EQ(ns.ip("addr add 10.77.2.2/24 dev synmtB"), 0);

  Child child(ns.name(), serve_two);
  ASSERT_TRUE(child.wait_for("ready", 15s)) << child.raw();
  // Both at once: two pings in the background, waited for together.
  const std::string pings = test::capture(
      ns.exec("sh -c 'ping -c 4 -W 2 -i 0.2 10.77.1.1 & ping -c 4 -W 2 -i 0.2 10.77.2.1 & wait'"));
  child.signal(SIGTERM);
  ASSERT_EQ(child.finish(15s), 0) << child.raw();

  EXPECT_NE(pings.find("--- 10.77.1.1 ping statistics ---\n4 packets transmitted, 4 received"),
            std::string::npos)
      << pings;
  EXPECT_NE(pings.find("--- 10.77.2.1 ping statistics ---\n4 packets transmitted, 4 received"),
            std::string::npos)
      << pings;
  EXPECT_EQ(child.u64("icmp_tx_echo_replies"), 8u) << child.raw();
  // Each link carried its own: an ARP reply (or request) and four echo replies at least,
  // and every frame the loop wrote on a link is one the kernel received on that TAP.
  EXPECT_GE(child.u64("frames_out0"), 5u);
  EXPECT_GE(child.u64("frames_out1"), 5u);
  EXPECT_GE(child.u64("frames_in0"), 5u);
  EXPECT_GE(child.u64("frames_in1"), 5u);
  EXPECT_EQ(kernel_rx_packets(ns, "synmtA"), child.u64("frames_out0"));
  EXPECT_EQ(kernel_rx_packets(ns, "synmtB"), child.u64("frames_out1"));
  EXPECT_EQ(child.u64("tx_other_iface"), 0u);
}

}  // namespace
}  // namespace synack::link
