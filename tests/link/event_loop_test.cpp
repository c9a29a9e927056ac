// EventLoop + TapLink + Stack against the Linux kernel in a private namespace:
// the kernel pings the stack and exchanges UDP datagrams with it, with and
// without impairment, and the loop shuts down on SIGTERM.
#include "synack/link/event_loop.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/epoll.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "synack/base/random.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/stack/stack.hpp"
#include "tap_netns.hpp"

namespace synack::link {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::Netns;
using test::report;

constexpr const char* kTap = "synloop0";
constexpr const char* kStackIp = "10.77.0.2";

// The namespace side: kernel at 10.77.0.1/24 on a pre-created TAP, IPv6 off so
// that the only traffic is what the test sends.
void setup_kernel_side(const Netns& ns) {
  ASSERT_EQ(test::sh(ns.exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                             "net.ipv6.conf.default.disable_ipv6=1")),
            0);
  ASSERT_EQ(ns.ip(std::string("tuntap add ") + kTap + " mode tap"), 0);
  ASSERT_EQ(ns.ip(std::string("addr add 10.77.0.1/24 dev ") + kTap), 0);
}

struct StackRun {
  std::optional<ImpairSpec> impair;
  std::string pcap_path;  // empty: no capture
  Duration grace = 2s;
  bool never_done = false;    // the done callback always says "not yet"
  bool exercise_fds = false;  // a timer writes to a pipe watched with add_fd
  bool idle_first = false;    // an idle run(300ms) before serving, to count wakeups
  Duration limit = 30s;
};

// The child: a Stack at 10.77.0.2/24 with a UDP echo on port 7, driven by an
// EventLoop over the TAP until SIGTERM (or the limit); reports its counters.
int serve_stack(int out, const StackRun& spec) {
  auto tap = TapLink::open(kTap);
  if (!tap) {
    report(out, "error", tap.error().message());
    return 1;
  }
  SeededRandom rng(1);
  stack::Stack st(stack::StackConfig{}, rng);
  const auto iface = st.add_interface(wire::MacAddr{{0x02, 0, 0, 0x77, 0, 0x02}},
                                      *wire::Ipv4Cidr::parse("10.77.0.2/24"));
  auto created = EventLoop::create(st, *tap, iface, LoopOptions{.shutdown_grace = spec.grace});
  if (!created) {
    report(out, "error", created.error().message());
    return 2;
  }
  EventLoop& loop = **created;
  if (spec.impair) loop.set_impairment(*spec.impair);
  std::optional<PcapngWriter> pcap;
  if (!spec.pcap_path.empty()) {
    auto w = PcapngWriter::open_file(spec.pcap_path);
    if (!w) return 3;
    pcap.emplace(std::move(*w));
    loop.set_capture(&*pcap, pcap->add_interface(kTap));
  }

  auto udp = st.udp_bind(wire::Ipv4Addr::any(), 7);
  if (!udp) return 4;
  std::uint64_t echoed = 0;
  loop.on_event([&](const stack::Event& e, Instant now) {
    const auto* readable = std::get_if<stack::UdpReadable>(&e);
    if (readable == nullptr) return;
    while (auto d = st.udp_receive_from(readable->socket)) {
      if (st.udp_send_to(readable->socket, d->src, d->src_port, d->payload, now)) ++echoed;
    }
  });
  bool shutdown_called = false;
  loop.on_shutdown([&](Instant) {
    shutdown_called = true;
    report(out, "shutdown", 1);
  });
  loop.set_done([&] { return shutdown_called && !spec.never_done; });

  if (spec.idle_first) {
    auto idle = loop.run(300ms);
    report(out, "idle_outcome", idle ? std::string(to_string(*idle)) : idle.error().message());
    report(out, "idle_wakeups", loop.stats().wakeups);
  }

  // A user timer writes to a pipe; the pipe's fd callback reads it and
  // unregisters itself.
  int pipe_fds[2] = {-1, -1};
  std::uint64_t fd_reads = 0, timer_fired = 0;
  if (spec.exercise_fds) {
    if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) return 5;
    auto added = loop.add_fd(pipe_fds[0], EPOLLIN, [&](std::uint32_t events, Instant) {
      char c;
      if ((events & EPOLLIN) != 0 && ::read(pipe_fds[0], &c, 1) == 1 && c == 'x') ++fd_reads;
      loop.remove_fd(pipe_fds[0]);
    });
    if (!added) return 6;
    loop.call_at(monotonic_now() + 20ms, [&](Instant) {
      ++timer_fired;
      [[maybe_unused]] auto n = ::write(pipe_fds[1], "x", 1);
    });
    const auto never = loop.call_at(monotonic_now() + 10ms, [&](Instant) { timer_fired += 100; });
    loop.cancel(never);
  }

  report(out, "ready", 1);
  auto outcome = loop.run(spec.limit);
  report(out, "outcome", outcome ? std::string(to_string(*outcome)) : outcome.error().message());
  if (pcap) {
    if (!pcap->flush()) return 7;
    report(out, "pcap_packets", pcap->packets_written());
  }
  const auto& s = st.stats();
  report(out, "icmp_rx_echo_requests", s.icmp_rx_echo_requests);
  report(out, "icmp_tx_echo_replies", s.icmp_tx_echo_replies);
  report(out, "udp_rx", s.udp_rx);
  report(out, "eth_rx_frames", s.eth_rx_frames);
  report(out, "rx_batches", s.rx_batches);
  report(out, "echoed", echoed);
  report(out, "frames_in", loop.stats().frames_in);
  report(out, "frames_out", loop.stats().frames_out);
  report(out, "tx_dropped", loop.stats().tx_dropped);
  report(out, "signals", loop.stats().signals);
  report(out, "fd_reads", fd_reads);
  report(out, "timer_fired", timer_fired);
  if (const Impairer* imp = loop.impairer()) {
    report(out, "imp_in_sent", imp->inbound().sent);
    report(out, "imp_in_duplicated", imp->inbound().duplicated);
    report(out, "imp_out_sent", imp->outbound().sent);
    report(out, "imp_out_delivered", imp->outbound().delivered);
  }
  if (pipe_fds[0] >= 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
  }
  return 0;
}

// Packets in a capture file, read back with libpcap (-1 if it cannot be read).
long count_packets(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return -1;
  long n = 0;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &hdr, &data) == 1 && n < 100000) ++n;
  pcap_close(p);
  return n;
}

struct RemoveFile {
  std::string path;
  ~RemoveFile() { std::remove(path.c_str()); }
};

// The kernel's side of a UDP echo exchange (RFC 862 style), retrying a lost
// datagram up to 5 times; prints "echoed=N".
constexpr const char* kUdpClient = R"(import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
got = 0
for i in range(3):
    msg = ("synack-udp-%d" % i).encode()
    for attempt in range(5):
        s.sendto(msg, ("10.77.0.2", 7))
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        if data == msg and addr == ("10.77.0.2", 7):
            got += 1
            break
print("echoed=%d" % got)
)";

TEST(EventLoop, KernelPingsAndUdpEchoesTheStackThenSigtermShutsItDown) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-loop");
  ASSERT_TRUE(ns.ok());
  setup_kernel_side(ns);
  const std::string tag = std::to_string(::getpid());
  RemoveFile pcap{"/tmp/synack-loop-" + tag + ".pcapng"};
  RemoveFile script{"/tmp/synack-loop-udp-" + tag + ".py"};
  std::ofstream(script.path) << kUdpClient;

  StackRun spec;
  spec.pcap_path = pcap.path;
  spec.exercise_fds = true;
  spec.idle_first = true;
  Child child(ns.name(), [&](int out) { return serve_stack(out, spec); });
  ASSERT_TRUE(child.wait_for("ready", 15s)) << child.raw();

  const std::string ping = test::capture(ns.exec(std::string("ping -c 3 -W 1 -i 0.2 ") + kStackIp));
  const std::string udp = test::capture(ns.exec("/usr/bin/python3 " + script.path));
  child.signal(SIGTERM);
  ASSERT_EQ(child.finish(15s), 0) << child.raw();

  EXPECT_NE(ping.find("3 packets transmitted, 3 received"), std::string::npos) << ping;
  EXPECT_NE(udp.find("echoed=3"), std::string::npos) << udp;
  EXPECT_EQ(child.get("outcome"), "shutdown done") << child.raw();
  EXPECT_EQ(child.u64("shutdown"), 1u);
  EXPECT_EQ(child.u64("signals"), 1u);
  EXPECT_EQ(child.u64("icmp_rx_echo_requests"), 3u);
  EXPECT_EQ(child.u64("icmp_tx_echo_replies"), 3u);
  EXPECT_GE(child.u64("udp_rx"), 3u);
  EXPECT_EQ(child.u64("echoed"), child.u64("udp_rx"));
  // Idle: the loop sleeps on the timerfd; a busy loop would wake millions of times.
  EXPECT_EQ(child.get("idle_outcome"), "time limit");
  EXPECT_LE(child.u64("idle_wakeups"), 5u);
  EXPECT_EQ(child.u64("timer_fired"), 1u);
  EXPECT_EQ(child.u64("fd_reads"), 1u);
  // Every frame read and written is in the capture, both directions.
  EXPECT_EQ(child.u64("tx_dropped"), 0u);
  const std::uint64_t frames = child.u64("frames_in") + child.u64("frames_out");
  EXPECT_GE(child.u64("frames_in"), 3u + 3u);  // echo requests + UDP datagrams
  EXPECT_EQ(child.u64("pcap_packets"), frames);
  EXPECT_EQ(count_packets(pcap.path), static_cast<long>(frames));
  // Every frame read reaches the stack, the frames of one read as one batch
  // (Stack::on_frames, MUST-59); on_frame() alone would count no batch.
  EXPECT_EQ(child.u64("eth_rx_frames"), child.u64("frames_in"));
  EXPECT_GE(child.u64("rx_batches"), 1u);
  EXPECT_LE(child.u64("rx_batches"), child.u64("frames_in"));
}

TEST(EventLoop, DuplicationOnBothWaysDoublesWhatEachSideSees) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-loopdup");
  ASSERT_TRUE(ns.ok());
  setup_kernel_side(ns);
  StackRun spec;
  spec.impair = *parse_impair("dup=1,seed=4");
  spec.never_done = true;
  spec.grace = 20s;
  Child child(ns.name(), [&](int out) { return serve_stack(out, spec); });
  ASSERT_TRUE(child.wait_for("ready", 15s)) << child.raw();

  const std::string ping = test::capture(ns.exec(std::string("ping -c 2 -W 1 -i 0.2 ") + kStackIp));
  child.signal(SIGTERM);
  // A second signal during the shutdown ends it at once (standard signals do
  // not queue, so wait until the first one was taken).
  ASSERT_TRUE(child.wait_for("shutdown", 10s)) << child.raw();
  child.signal(SIGTERM);
  ASSERT_EQ(child.finish(15s), 0) << child.raw();

  EXPECT_NE(ping.find("2 packets transmitted, 2 received"), std::string::npos) << ping;
  EXPECT_NE(ping.find("duplicates"), std::string::npos) << ping;
  EXPECT_EQ(child.get("outcome"), "second signal") << child.raw();
  EXPECT_EQ(child.u64("signals"), 2u);
  // Each request reached the stack twice; each reply left it twice.
  EXPECT_EQ(child.u64("icmp_rx_echo_requests"), 4u);
  EXPECT_EQ(child.u64("icmp_tx_echo_replies"), 4u);
  EXPECT_EQ(child.u64("imp_in_sent"), child.u64("frames_in"));
  EXPECT_EQ(child.u64("imp_in_duplicated"), child.u64("imp_in_sent"));
  EXPECT_EQ(child.u64("imp_out_delivered"), 2 * child.u64("imp_out_sent"));
  EXPECT_EQ(child.u64("frames_out"), child.u64("imp_out_delivered"));
  // What the impairer releases reaches the stack in batches (Stack::on_frames).
  EXPECT_EQ(child.u64("eth_rx_frames"), child.u64("imp_in_sent") + child.u64("imp_in_duplicated"));
  EXPECT_GE(child.u64("rx_batches"), 1u);
  EXPECT_LE(child.u64("rx_batches"), child.u64("eth_rx_frames"));
}

TEST(EventLoop, LossOneDropsEverythingTheStackWouldSee) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-looploss");
  ASSERT_TRUE(ns.ok());
  setup_kernel_side(ns);
  StackRun spec;
  spec.impair = *parse_impair("loss=1,seed=2");
  Child child(ns.name(), [&](int out) { return serve_stack(out, spec); });
  ASSERT_TRUE(child.wait_for("ready", 15s)) << child.raw();
  const std::string ping = test::capture(ns.exec(std::string("ping -c 2 -W 1 -i 0.2 ") + kStackIp));
  child.signal(SIGTERM);
  ASSERT_EQ(child.finish(15s), 0) << child.raw();

  EXPECT_NE(ping.find("2 packets transmitted, 0 received"), std::string::npos) << ping;
  EXPECT_EQ(child.get("outcome"), "shutdown done");
  EXPECT_GE(child.u64("frames_in"), 1u);  // at least the kernel's ARP requests
  EXPECT_EQ(child.u64("icmp_rx_echo_requests"), 0u);
  EXPECT_EQ(child.u64("frames_out"), 0u);
}

// The stack as a client: it pings the kernel (ARP, then echo), and pings an
// absent host whose ARP retries and final give-up only the stack's own
// deadlines (via the timerfd) can drive.
int ping_from_stack(int out) {
  auto tap = TapLink::open(kTap);
  if (!tap) return 1;
  SeededRandom rng(2);
  stack::StackConfig cfg;
  cfg.neighbor.retry_interval = 100ms;
  cfg.neighbor.max_requests = 3;
  stack::Stack st(cfg, rng);
  const auto iface = st.add_interface(wire::MacAddr{{0x02, 0, 0, 0x77, 0, 0x02}},
                                      *wire::Ipv4Cidr::parse("10.77.0.2/24"));
  auto created = EventLoop::create(st, *tap, iface);
  if (!created) return 2;
  EventLoop& loop = **created;
  std::optional<stack::PingReply> reply;
  loop.on_event([&](const stack::Event& e, Instant) {
    if (const auto* r = std::get_if<stack::PingReply>(&e)) reply = *r;
  });
  loop.call_at(monotonic_now(), [&](Instant now) {
    const auto payload = as_bytes("synack ping payload");
    report(out, "sent_kernel",
           st.send_ping(*wire::Ipv4Addr::parse("10.77.0.1"), 0x5a5a, 7, payload, now) ? 1 : 0);
    report(out, "sent_absent",
           st.send_ping(*wire::Ipv4Addr::parse("10.77.0.99"), 0x5a5a, 8, payload, now) ? 1 : 0);
  });
  // No user timer may wake the loop after this: only the stack's own deadlines
  // (100 ms retries, give-up at ~300 ms) can finish the resolution in time.
  auto outcome = loop.run(2s);
  report(out, "outcome", outcome ? std::string(to_string(*outcome)) : outcome.error().message());
  if (reply) {
    report(out, "reply_src", reply->src.to_string());
    report(out, "reply_ident", reply->ident);
    report(out, "reply_seq", reply->seq);
    report(out, "reply_data",
           std::string(reinterpret_cast<const char*>(reply->data.data()), reply->data.size()));
  }
  report(out, "arp_resolution_failed", st.stats().arp_resolution_failed);
  report(out, "arp_drop_unresolved", st.stats().arp_drop_unresolved);
  report(out, "arp_tx_requests", st.stats().arp_tx_requests);
  report(out, "timer_fires", loop.stats().timer_fires);
  return 0;
}

TEST(EventLoop, StackDeadlinesDriveArpRetriesAndThePingReplyComesBack) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-loopping");
  ASSERT_TRUE(ns.ok());
  setup_kernel_side(ns);
  Child child(ns.name(), [](int out) { return ping_from_stack(out); });
  ASSERT_EQ(child.finish(20s), 0) << child.raw();
  EXPECT_EQ(child.get("outcome"), "time limit") << child.raw();
  EXPECT_EQ(child.u64("sent_kernel"), 1u);
  EXPECT_EQ(child.u64("sent_absent"), 1u);
  EXPECT_EQ(child.get("reply_src"), "10.77.0.1");
  EXPECT_EQ(child.u64("reply_ident"), 0x5a5au);
  EXPECT_EQ(child.u64("reply_seq"), 7u);
  EXPECT_EQ(child.get("reply_data"), "synack ping payload");
  // 10.77.0.99: three requests, then the waiting echo request is dropped.
  EXPECT_EQ(child.u64("arp_resolution_failed"), 1u);
  EXPECT_EQ(child.u64("arp_drop_unresolved"), 1u);
  EXPECT_GE(child.u64("arp_tx_requests"), 3u);
  EXPECT_GE(child.u64("timer_fires"), 2u);  // the retries came from timerfd wakeups
}

TEST(EventLoop, ShutdownGivesUpAfterTheGraceWhenNeverDone) {
  SYNACK_REQUIRE_ROOT();
  Netns ns("synack-loopgrace");
  ASSERT_TRUE(ns.ok());
  setup_kernel_side(ns);
  StackRun spec;
  spec.never_done = true;
  spec.grace = 300ms;
  Child child(ns.name(), [&](int out) { return serve_stack(out, spec); });
  ASSERT_TRUE(child.wait_for("ready", 15s)) << child.raw();
  child.signal(SIGINT);
  ASSERT_EQ(child.finish(15s), 0) << child.raw();
  EXPECT_EQ(child.u64("shutdown"), 1u);
  EXPECT_EQ(child.get("outcome"), "shutdown timed out") << child.raw();
}

}  // namespace
}  // namespace synack::link
