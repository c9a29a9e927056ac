// TapLink against the real kernel, inside private network namespaces.
#include "synack/link/tap_link.hpp"

#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

#include "tap_netns.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Netns;
using test::report;

TEST(TapLink, NameLongerThan15BytesIsRejectedBeforeAnySyscall) {
  auto r = TapLink::open("sixteen-bytes-xx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, TapErrorCode::NameTooLong);
  EXPECT_EQ(r.error().sys_errno, 0);
  EXPECT_NE(r.error().message().find("15"), std::string::npos) << r.error().message();
}

TEST(TapLink, InvalidNamesAreRejectedBeforeAnySyscall) {
  for (const char* name : {"", ".", "..", "a/b", "a:b", "a b"}) {
    SCOPED_TRACE(name);
    auto r = TapLink::open(name);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, TapErrorCode::InvalidName);
    EXPECT_EQ(r.error().sys_errno, 0);
  }
}

bool is_up(const std::string& name) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const bool up = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) != 0;
  ::close(s);
  return up;
}

TEST(TapLink, CreatesAMissingTapBringsItUpAndItVanishesOnClose) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-tapc");
  ASSERT_TRUE(ns.ok());
  // No IPv6 in the namespace: a TAP coming up would otherwise send router and
  // multicast-listener solicitations at once, and the empty read below would see them.
  ASSERT_EQ(test::sh(ns.exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                             "net.ipv6.conf.default.disable_ipv6=1")),
            0);
  Child child(ns.name(), [](int out) {
    report(out, "before", ::if_nametoindex("syncreate0") != 0 ? 1 : 0);
    {
      auto tap = TapLink::open("syncreate0");
      if (!tap) {
        report(out, "error", tap.error().message());
        return 1;
      }
      report(out, "created", tap->created() ? 1 : 0);
      report(out, "exists", ::if_nametoindex("syncreate0") != 0 ? 1 : 0);
      report(out, "up", is_up("syncreate0") ? 1 : 0);
      report(out, "nonblocking", (::fcntl(tap->fd(), F_GETFL) & O_NONBLOCK) != 0 ? 1 : 0);
      auto mtu = tap->mtu();
      report(out, "mtu", mtu ? *mtu : 0);
      auto mac = tap->kernel_mac();
      report(out, "mac", mac ? mac->to_string() : "error");
      // Nothing to read yet on a fresh TAP with no address: an empty batch.
      auto n = tap->read_batch();
      report(out, "empty_batch", n && *n == 0 && tap->batch().empty() ? 1 : 0);
    }
    report(out, "after", ::if_nametoindex("syncreate0") != 0 ? 1 : 0);
    return 0;
  });
  ASSERT_TRUE(child.started());
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.u64("before"), 0u);
  EXPECT_EQ(child.u64("created"), 1u);
  EXPECT_EQ(child.u64("exists"), 1u);
  EXPECT_EQ(child.u64("up"), 1u);
  EXPECT_EQ(child.u64("nonblocking"), 1u);
  EXPECT_EQ(child.u64("mtu"), 1500u);
  auto mac = wire::MacAddr::parse(child.get("mac"));
  ASSERT_TRUE(mac.has_value()) << child.raw();
  EXPECT_FALSE(mac->is_multicast());
  EXPECT_NE(*mac, wire::MacAddr{});
  EXPECT_EQ(child.u64("empty_batch"), 1u);
  EXPECT_EQ(child.u64("after"), 0u) << "a TAP we created must not outlive the TapLink";
}

TEST(TapLink, AttachesToAPrecreatedTapWhichStaysAndIsBusyWhileHeld) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-tapp");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns.ip("tuntap add synpre0 mode tap"), 0);
  ASSERT_EQ(ns.ip("link set synpre0 mtu 1400"), 0);
  Child child(ns.name(), [](int out) {
    {
      auto tap = TapLink::open("synpre0");
      if (!tap) {
        report(out, "error", tap.error().message());
        return 1;
      }
      report(out, "created", tap->created() ? 1 : 0);
      report(out, "up", is_up("synpre0") ? 1 : 0);
      auto mtu = tap->mtu();
      report(out, "mtu", mtu ? *mtu : 0);
      auto second = TapLink::open("synpre0");
      report(out, "second", second ? "opened" : std::string(to_string(second.error().code)));
      report(out, "second_busy", !second && second.error().code == TapErrorCode::Busy ? 1 : 0);
    }
    report(out, "after", ::if_nametoindex("synpre0") != 0 ? 1 : 0);
    return 0;
  });
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.u64("created"), 0u);
  EXPECT_EQ(child.u64("up"), 1u);
  EXPECT_EQ(child.u64("mtu"), 1400u);
  EXPECT_EQ(child.u64("second_busy"), 1u) << child.get("second");
  EXPECT_EQ(child.u64("after"), 1u) << "a pre-created TAP belongs to its creator";
}

TEST(TapLink, NoPermissionForAnUnprivilegedUser) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-tapu");
  ASSERT_TRUE(ns.ok());
  Child child(ns.name(), [](int out) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) return 2;
    auto tap = TapLink::open("synperm0");
    report(out, "code", tap ? std::string("opened") : std::string(to_string(tap.error().code)));
    report(out, "no_permission", !tap && tap.error().code == TapErrorCode::NoPermission ? 1 : 0);
    return 0;
  });
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.u64("no_permission"), 1u) << child.get("code");
}

TEST(TapLink, NoDeviceWhenDevNetTunIsMissing) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-tapd");
  ASSERT_TRUE(ns.ok());
  Child child(ns.name(), [](int out) {
    // A private mount namespace where an empty tmpfs hides /dev/net.
    if (::unshare(CLONE_NEWNS) != 0) return 2;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 3;
    if (::mount("tmpfs", "/dev/net", "tmpfs", 0, nullptr) != 0) return 4;
    auto tap = TapLink::open("synnodev0");
    report(out, "code", tap ? std::string("opened") : std::string(to_string(tap.error().code)));
    report(out, "no_device", !tap && tap.error().code == TapErrorCode::NoDevice ? 1 : 0);
    return 0;
  });
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.u64("no_device"), 1u) << child.get("code");
}

// Builds an ARP request (RFC 826) byte by byte: who has `target`, tell `sender`.
ByteVec arp_request(wire::MacAddr src, wire::Ipv4Addr sender, wire::Ipv4Addr target) {
  ByteVec f(42, std::byte{0});
  wire::MacAddr::broadcast().store(f, 0);
  src.store(f, 6);
  store_be16(f, 12, 0x0806);
  store_be16(f, 14, 1);       // hardware type: Ethernet
  store_be16(f, 16, 0x0800);  // protocol type: IPv4
  f[18] = std::byte{6};
  f[19] = std::byte{4};
  store_be16(f, 20, 1);  // request
  src.store(f, 22);
  sender.store(f, 28);
  target.store(f, 38);
  return f;
}

TEST(TapLink, WritesAFrameToTheKernelAndReadsItsAnswer) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-taprw");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns.ip("tuntap add synrw0 mode tap"), 0);
  ASSERT_EQ(ns.ip("addr add 10.77.0.1/24 dev synrw0"), 0);
  Child child(ns.name(), [](int out) {
    auto tap = TapLink::open("synrw0", TapOptions{.bring_up = true, .read_batch = 4});
    if (!tap) {
      report(out, "error", tap.error().message());
      return 1;
    }
    const wire::MacAddr ours{{0x02, 0, 0, 0x77, 0, 0x02}};
    const auto frame = arp_request(ours, wire::Ipv4Addr::from_octets(10, 77, 0, 2),
                                   wire::Ipv4Addr::from_octets(10, 77, 0, 1));
    report(out, "write_ok", tap->write(frame) ? 1 : 0);
    report(out, "kernel_mac", tap->kernel_mac() ? tap->kernel_mac()->to_string() : "error");
    // Wait (bounded) for the kernel's ARP reply among whatever else it sends.
    for (int round = 0; round < 50; ++round) {
      pollfd p{tap->fd(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      auto n = tap->read_batch();
      if (!n) return 5;
      for (Bytes f : tap->batch()) {
        if (f.size() < 42 || load_be16(f, 12) != 0x0806 || load_be16(f, 20) != 2) continue;
        report(out, "reply_dst", wire::MacAddr::load(f, 0).to_string());
        report(out, "reply_sender_mac", wire::MacAddr::load(f, 22).to_string());
        report(out, "reply_sender_ip", wire::Ipv4Addr::load(f, 28).to_string());
        report(out, "reply_target_ip", wire::Ipv4Addr::load(f, 38).to_string());
        report(out, "tx_frames", tap->stats().tx_frames);
        report(out, "rx_counted", tap->stats().rx_frames >= 1 ? 1 : 0);
        return 0;
      }
    }
    return 6;
  });
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.u64("write_ok"), 1u);
  EXPECT_EQ(child.get("reply_dst"), "02:00:00:77:00:02");
  EXPECT_EQ(child.get("reply_sender_mac"), child.get("kernel_mac"));
  EXPECT_EQ(child.get("reply_sender_ip"), "10.77.0.1");
  EXPECT_EQ(child.get("reply_target_ip"), "10.77.0.2");
  EXPECT_EQ(child.u64("tx_frames"), 1u);
  EXPECT_EQ(child.u64("rx_counted"), 1u);
}

}  // namespace
}  // namespace synack::link
