// TAP offloads against the real kernel, in a private network namespace: the kernel
// writes megabytes to synack's echo service and reads them back. With offloads on,
// what the kernel sends arrives as GSO super-frames with partial checksums and what
// synack sends leaves with its checksum for the kernel to finish; every byte must
// come back intact either way, and with offloads off nothing of that is used.
#include <gtest/gtest.h>
#include <linux/if_tun.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/services/services.hpp"
#include "synack/stack/stack.hpp"
#include "tap_netns.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Netns;
using test::report;

constexpr const char* kTap = "synoff0";

// The child: synack at 10.77.0.2/24 serving echo:7 on the TAP until SIGTERM.
int serve_echo(int out, bool offload) {
  TapOptions opts;
  opts.offload = offload;
  auto tap = TapLink::open(kTap, opts);
  if (!tap) {
    report(out, "error", tap.error().message());
    return 1;
  }
  SeededRandom rng(1);
  stack::StackConfig cfg;
  stack::Stack st(cfg, rng);
  const auto iface =
      st.add_interface(wire::MacAddr{{0x02, 0, 0, 0x77, 0, 0x02}},
                       *wire::Ipv4Cidr::parse("10.77.0.2/24"), 1500, tap->tx_offloads());
  auto created = EventLoop::create(st, *tap, iface);
  if (!created) return 2;
  EventLoop& loop = **created;
  services::ServiceConfig scfg;
  services::ServiceHost services(st, scfg);
  if (!services.add(*services::parse_service("echo:7"))) return 3;
  loop.on_event([&](const stack::Event& e, Instant now) {
    if (const auto* t = std::get_if<tcp::Event>(&e)) services.on_event(*t, now);
  });
  loop.on_shutdown([&](Instant now) { services.shutdown(now); });
  loop.set_done([&] { return services.connections() == 0; });
  report(out, "framing_vnet", tap->framing() == TapFraming::VnetHdr ? 1 : 0);
  report(out, "tso4_accepted", (tap->rx_offloads() & TUN_F_TSO4) != 0 ? 1 : 0);
  report(out, "ready", 1);
  auto outcome = loop.run(60s);
  report(out, "outcome", outcome ? std::string(to_string(*outcome)) : outcome.error().message());
  const auto& t = tap->stats();
  report(out, "rx_super_frames", t.rx_super_frames);
  report(out, "rx_csum_partial", t.rx_csum_partial);
  report(out, "rx_bad_vnet_hdr", t.rx_bad_vnet_hdr);
  report(out, "tx_csum_partial", t.tx_csum_partial);
  report(out, "tx_super_frames", t.tx_super_frames);
  report(out, "tx_frames", t.tx_frames);
  report(out, "tcp_rx_bad_checksum", st.stats().tcp_rx_bad_checksum);
  report(out, "rx_csum_skipped", st.stats().rx_csum_partial + st.stats().rx_csum_verified_by_link);
  report(out, "echo_bytes", services.stats().bytes_out);
  return 0;
}

// The kernel's side: 8 MiB in large writes (so its TCP builds TSO super-segments),
// read back concurrently and compared byte for byte.
constexpr const char* kClient = R"(import hashlib, socket, threading
N = 8 * 1024 * 1024
data = bytes((i * 7 + i // 251) & 0xff for i in range(65536)) * (N // 65536)
s = socket.create_connection(("10.77.0.2", 7), timeout=20)
def writer():
    view = memoryview(data)
    while view:
        n = s.send(view[:262144])
        view = view[n:]
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=writer)
t.start()
got = bytearray()
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    got += b
t.join()
print("received=%d" % len(got))
print("intact=%d" % (1 if bytes(got) == data else 0))
)";

struct RemoveFile {
  std::string path;
  ~RemoveFile() { std::remove(path.c_str()); }
};

// `used_before`: a reader with offloads had the (persistent) TAP first.
void run_echo(bool offload, bool used_before = false) {
  Netns ns(offload ? "synack-off1" : used_before ? "synack-off2" : "synack-off0");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(test::sh(ns.exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                             "net.ipv6.conf.default.disable_ipv6=1")),
            0);
  ASSERT_EQ(ns.ip(std::string("tuntap add ") + kTap + " mode tap"), 0);
  ASSERT_EQ(ns.ip(std::string("addr add 10.77.0.1/24 dev ") + kTap), 0);
  RemoveFile script{"/tmp/synack-offload-" + std::to_string(::getpid()) + ".py"};
  std::ofstream(script.path) << kClient;

  if (used_before) {
    Child first(ns.name(), [](int out) {
      auto tap = TapLink::open(kTap);
      report(out, "framing_vnet", tap && tap->framing() == TapFraming::VnetHdr ? 1 : 0);
      return tap ? 0 : 1;
    });
    ASSERT_EQ(first.finish(10s), 0) << first.raw();
    ASSERT_EQ(first.u64("framing_vnet"), 1u);
  }
  Child child(ns.name(), [offload](int out) { return serve_echo(out, offload); });
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(child.wait_for("ready", 10s)) << child.raw();
  const std::string result = test::capture(ns.exec("/usr/bin/python3 " + script.path, 60));
  // The kernel's view of its TAP: TSO on when synack offered to take super-frames.
  const std::string features = test::capture(ns.exec(std::string("ethtool -k ") + kTap));
  child.signal(SIGTERM);
  ASSERT_EQ(child.finish(20s), 0) << child.raw();

  EXPECT_NE(result.find("received=8388608"), std::string::npos) << result;
  EXPECT_NE(result.find("intact=1"), std::string::npos) << result;
  EXPECT_EQ(child.u64("echo_bytes"), 8388608u);
  EXPECT_EQ(child.u64("tcp_rx_bad_checksum"), 0u);
  EXPECT_EQ(child.u64("rx_bad_vnet_hdr"), 0u);
  if (offload) {
    EXPECT_EQ(child.u64("framing_vnet"), 1u);
    EXPECT_EQ(child.u64("tso4_accepted"), 1u);
    // The kernel's large writes came as super-frames with checksums left partial.
    EXPECT_GT(child.u64("rx_super_frames"), 0u) << features;
    EXPECT_GT(child.u64("rx_csum_partial"), 0u);
    EXPECT_GT(child.u64("rx_csum_skipped"), 0u);
    // And synack's segments left for the kernel to finish their checksums, the echo's
    // bulk in TSO super-segments the kernel cut up.
    EXPECT_GT(child.u64("tx_csum_partial"), 0u);
    EXPECT_GT(child.u64("tx_super_frames"), 0u);
  } else {
    EXPECT_EQ(child.u64("framing_vnet"), 0u);
    EXPECT_EQ(child.u64("rx_super_frames"), 0u);
    EXPECT_EQ(child.u64("rx_csum_partial"), 0u);
    EXPECT_EQ(child.u64("tx_csum_partial"), 0u);
    EXPECT_EQ(child.u64("tx_super_frames"), 0u);
    EXPECT_EQ(child.u64("rx_csum_skipped"), 0u);
  }
}

TEST(TapOffload, KernelEchoesEightMiBThroughSynackWithOffloadsIntact) {
  SYNACK_REQUIRE_ROOT();
  run_echo(true);
}

TEST(TapOffload, WithOffloadsOffTheSameTransferUsesPlainFrames) {
  SYNACK_REQUIRE_ROOT();
  run_echo(false);
}

// The device keeps what TUNSETOFFLOAD told it after its reader closes: a plain open
// must take that back, or the kernel keeps sending partial checksums and super-frames.
TEST(TapOffload, APlainOpenAfterAnOffloadingReaderGetsPlainFramesAgain) {
  SYNACK_REQUIRE_ROOT();
  run_echo(false, true);
}

}  // namespace
}  // namespace synack::link
