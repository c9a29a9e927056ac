// sim::Network itself: reproducible to the byte, a switch that delivers where Ethernet
// would, losses reported exactly as they happen, and a clock that jumps straight to the
// next thing due.
#include "synack/sim/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "synack/api/socket.hpp"
#include "synack/link/pcapng.hpp"

namespace synack::sim {
namespace {

using namespace std::chrono_literals;

wire::MacAddr mac(std::uint8_t n) {
  return wire::MacAddr{{0x02, 0, 0, 0, 0, n}};
}
wire::Ipv4Addr ip(std::uint8_t n) {
  return wire::Ipv4Addr::from_octets(10, 77, 0, n);
}
HostConfig host(std::uint8_t n, std::uint64_t seed) {
  return HostConfig{.name = "h" + std::to_string(n),
                    .mac = mac(n),
                    .addr = wire::Ipv4Cidr{ip(n), 24},
                    .seed = seed};
}

ByteVec bytes_of(const std::string& s) {
  ByteVec v(s.size());
  std::transform(s.begin(), s.end(), v.begin(), [](char c) { return std::byte(c); });
  return v;
}

// A 64 KiB TCP transfer from host 0 to host 1 over an impaired cable, every frame both
// hosts saw written to an in-memory pcapng. Returns the capture.
ByteVec transfer_capture(std::uint64_t seed) {
  Network net;
  const HostId a = net.add_host(host(1, seed * 3 + 1));
  const HostId b = net.add_host(host(2, seed * 3 + 2));
  const link::DirectionConfig path{.loss = 0.05,
                                   .delay = 3ms,
                                   .jitter = 2ms,
                                   .reorder = 0.05,
                                   .duplicate = 0.02,
                                   .rate_bps = 20'000'000};
  net.connect(a, b, seed * 3 + 3, path, path);
  auto pcap = link::PcapngWriter::in_memory();
  const std::array<std::uint32_t, 2> ifaces = {pcap.add_interface("h1"), pcap.add_interface("h2")};
  net.on_capture = [&](const CapturedFrame& f) {
    const bool sent = f.dir == CapturedFrame::Dir::Sent;
    (void)pcap.write(ifaces[f.host], f.at, f.frame,
                     sent ? link::Direction::Outbound : link::Direction::Inbound,
                     f.lost ? "lost" : "");
  };

  auto listener = api::TcpListener::listen(net.stack(b), 80, 4);
  EXPECT_TRUE(listener.ok());
  auto client = api::TcpStream::connect(net.stack(a), ip(2), 80, net.now());
  EXPECT_TRUE(client.ok());
  std::optional<api::TcpStream> server;
  ByteVec data(64 * 1024);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 13 + 5);
  std::size_t sent = 0;
  ByteVec got;
  const bool done = net.run_until(
      [&] {
        if (!server) {
          if (auto s = listener->accept(net.now()); s.ok()) server.emplace(std::move(*s));
        }
        if (sent < data.size()) {
          if (auto n = client->send(Bytes(data).subspan(sent), net.now()); n.ok()) sent += *n;
        }
        if (server) {
          std::array<std::byte, 8192> buf;
          for (;;) {
            auto n = server->receive(buf, net.now());
            if (!n.ok() || *n == 0) break;
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
          }
        }
        return got.size() == data.size();
      },
      net.now() + 60s);
  EXPECT_TRUE(done);
  EXPECT_EQ(got, data);
  return pcap.bytes();
}

TEST(SimNetwork, SameSeedGivesTheSameCaptureToTheByte) {
  const ByteVec first = transfer_capture(7);
  const ByteVec again = transfer_capture(7);
  ASSERT_GT(first.size(), 64u * 1024);
  EXPECT_EQ(first, again);
  // And the seed does matter: another one loses other frames at other instants.
  EXPECT_NE(first, transfer_capture(8));
}

// Everything each host received, as captured.
struct Inbox {
  std::map<HostId, std::vector<ByteVec>> frames;
  std::vector<ByteVec> of(HostId h) const {
    auto it = frames.find(h);
    return it == frames.end() ? std::vector<ByteVec>{} : it->second;
  }
};

TEST(SimNetwork, ThreeHostsOnASwitchLearnTheirPortsAndResolveEachOther) {
  Network net;
  const SwitchId sw = net.add_switch();
  std::array<HostId, 3> h{};
  for (std::uint8_t i = 0; i < 3; ++i) {
    h[i] = net.add_host(host(static_cast<std::uint8_t>(i + 1), 100 + i));
    net.connect_to_switch(h[i], sw, 200 + i, {.delay = 1ms}, {.delay = 1ms});
  }
  Inbox inbox;
  net.on_capture = [&](const CapturedFrame& f) {
    if (f.dir == CapturedFrame::Dir::Received)
      inbox.frames[f.host].emplace_back(f.frame.begin(), f.frame.end());
  };

  // Host 1 and host 3 each send host 2 a datagram; host 2 answers host 1.
  auto s1 = net.stack(h[0]).udp_bind(wire::Ipv4Addr::any(), 1000);
  auto s2 = net.stack(h[1]).udp_bind(wire::Ipv4Addr::any(), 2000);
  auto s3 = net.stack(h[2]).udp_bind(wire::Ipv4Addr::any(), 3000);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  ASSERT_TRUE(net.stack(h[0]).udp_send_to(*s1, ip(2), 2000, bytes_of("from 1"), net.now()).ok());
  ASSERT_TRUE(net.stack(h[2]).udp_send_to(*s3, ip(2), 2000, bytes_of("from 3"), net.now()).ok());
  std::vector<std::string> at2;
  bool answered = false;
  ASSERT_TRUE(net.run_until(
      [&] {
        while (auto d = net.stack(h[1]).udp_receive_from(*s2))
          at2.emplace_back(reinterpret_cast<const char*>(d->payload.data()), d->payload.size());
        if (at2.size() == 2 && !answered) {
          answered = true;
          EXPECT_TRUE(
              net.stack(h[1]).udp_send_to(*s2, ip(1), 1000, bytes_of("reply"), net.now()).ok());
        }
        return answered && net.stack(h[0]).udp_receive_from(*s1).has_value();
      },
      net.now() + 1s));
  std::sort(at2.begin(), at2.end());
  EXPECT_EQ(at2, (std::vector<std::string>{"from 1", "from 3"}));
  EXPECT_FALSE(net.stack(h[2]).udp_receive_from(*s3).has_value());

  // The switch learned every host's port from its first frame.
  for (std::uint8_t i = 0; i < 3; ++i)
    EXPECT_EQ(net.switch_learned(sw, mac(static_cast<std::uint8_t>(i + 1))), h[i]);
  // ARP resolved through the switch: the senders know host 2, host 2 knows host 1.
  const Instant t = net.now();
  EXPECT_EQ(net.stack(h[0]).neighbors().lookup({net.iface(h[0]), ip(2)}, t), mac(2));
  EXPECT_EQ(net.stack(h[2]).neighbors().lookup({net.iface(h[2]), ip(2)}, t), mac(2));
  EXPECT_EQ(net.stack(h[1]).neighbors().lookup({net.iface(h[1]), ip(1)}, t), mac(1));

  // Each host received only broadcasts and frames for its own address: unicast went to
  // one port, never flooded once learned. Host 2 got both datagrams' frames.
  for (std::uint8_t i = 0; i < 3; ++i) {
    for (const ByteVec& f : inbox.of(h[i])) {
      const auto dst = wire::MacAddr::load(f, 0);
      EXPECT_TRUE(dst.is_broadcast() || dst == mac(static_cast<std::uint8_t>(i + 1)))
          << "host " << int(i + 1) << " received a frame for someone else";
    }
  }
  auto unicast_to = [&](HostId x, std::uint8_t n) {
    auto v = inbox.of(x);
    return std::count_if(v.begin(), v.end(),
                         [&](const ByteVec& f) { return wire::MacAddr::load(f, 0) == mac(n); });
  };
  // Host 2 answered both ARP requests straight to their senders and got the two
  // datagrams; host 1 got its ARP reply and the answer, host 3 its ARP reply. Each
  // broadcast request reached the two other hosts only.
  EXPECT_EQ(unicast_to(h[1], 2), 2);
  EXPECT_EQ(unicast_to(h[0], 1), 2);
  EXPECT_EQ(unicast_to(h[2], 3), 1);
  EXPECT_EQ(inbox.of(h[0]).size(), 3u);
  EXPECT_EQ(inbox.of(h[1]).size(), 4u);
  EXPECT_EQ(inbox.of(h[2]).size(), 2u);
}

TEST(SimNetwork, LossDropsExactlyTheFramesTheCaptureReportsLost) {
  Network net;
  const HostId a = net.add_host(host(1, 11));
  const HostId b = net.add_host(host(2, 12));
  const link::DirectionConfig lossy{.loss = 0.3, .delay = 2ms};
  const LinkId cable = net.connect(a, b, 13, lossy, lossy);
  // Per sender: the frames the capture says made it onto the wire, and those it says
  // were lost; per receiver what arrived.
  std::map<HostId, std::multiset<ByteVec>> kept, lost, arrived;
  std::uint64_t lost_count = 0;
  net.on_capture = [&](const CapturedFrame& f) {
    ByteVec bytes(f.frame.begin(), f.frame.end());
    if (f.dir == CapturedFrame::Dir::Received) {
      arrived[f.host].insert(std::move(bytes));
    } else if (f.lost) {
      ++lost_count;
      lost[f.host].insert(std::move(bytes));
    } else {
      kept[f.host].insert(std::move(bytes));
    }
  };
  auto sa = net.stack(a).udp_bind(wire::Ipv4Addr::any(), 1000);
  auto sb = net.stack(b).udp_bind(wire::Ipv4Addr::any(), 2000);
  ASSERT_TRUE(sa.ok() && sb.ok());
  // 200 distinct datagrams each way, 10 ms apart (ARP retries cover lost resolutions).
  for (int i = 0; i < 200; ++i) {
    net.at(Instant::zero() + i * 10ms, [&, i] {
      (void)net.stack(a).udp_send_to(*sa, ip(2), 2000, bytes_of("a" + std::to_string(i)),
                                     net.now());
      (void)net.stack(b).udp_send_to(*sb, ip(1), 1000, bytes_of("b" + std::to_string(i)),
                                     net.now());
    });
  }
  net.run_to(Instant::zero() + 10s);

  ASSERT_GT(lost_count, 60u);  // 30 % of some 800 frames
  EXPECT_EQ(lost_count,
            net.link(cable).stats(link::End::A).lost + net.link(cable).stats(link::End::B).lost);
  // What arrived is exactly what was not reported lost, copy for copy.
  EXPECT_EQ(arrived[b], kept[a]);
  EXPECT_EQ(arrived[a], kept[b]);
  for (const auto& [sender, frames] : lost) {
    const HostId receiver = sender == a ? b : a;
    for (const ByteVec& f : frames) {
      // A lost frame arrives only if an identical one (an ARP retry) was also kept.
      EXPECT_EQ(arrived[receiver].count(f), kept[sender].count(f));
    }
  }
}

TEST(SimNetwork, TheClockJumpsToTheEarliestDeadlineOfHostsLinksAndCalls) {
  Network net;
  const HostId a = net.add_host(host(1, 21));
  const HostId b = net.add_host(host(2, 22));
  net.connect(a, b, 23, {.delay = 7ms}, {.delay = 7ms});
  bool called = false;
  net.at(Instant::zero() + 3ms, [&] { called = true; });
  auto sa = net.stack(a).udp_bind(wire::Ipv4Addr::any(), 1000);
  auto sb = net.stack(b).udp_bind(wire::Ipv4Addr::any(), 2000);
  ASSERT_TRUE(sa.ok() && sb.ok());
  ASSERT_TRUE(net.stack(a).udp_send_to(*sa, ip(2), 2000, bytes_of("x"), net.now()).ok());
  net.settle();  // the ARP request leaves at 0

  // The call at 3 ms, the request's arrival at 7, the reply's at 14, the datagram's at
  // 21: every step lands exactly on the earliest deadline, nothing in between.
  std::vector<Instant> visited;
  while (net.now() < Instant::zero() + 21ms) {
    const auto next = net.next_deadline();
    ASSERT_TRUE(next.has_value());
    ASSERT_TRUE(net.step(Instant::zero() + 1s));
    EXPECT_EQ(net.now(), *next);
    visited.push_back(net.now());
  }
  EXPECT_TRUE(called);
  EXPECT_EQ(visited, (std::vector<Instant>{Instant::zero() + 3ms, Instant::zero() + 7ms,
                                           Instant::zero() + 14ms, Instant::zero() + 21ms}));
  EXPECT_EQ(net.clock_advances(), 4u);
  EXPECT_TRUE(net.stack(b).udp_receive_from(*sb).has_value());
  // Nothing due before `limit`: step() leaves the clock alone.
  const auto next = net.next_deadline();
  const Instant before = net.now();
  if (next) {
    EXPECT_FALSE(net.step(*next - 1ns));
    EXPECT_EQ(net.now(), before);
  }
}

}  // namespace
}  // namespace synack::sim
