// The classic services over two simulated stacks: echo, discard, chargen,
// daytime; the connection limit, idle timeouts and a graceful shutdown.
#include <gtest/gtest.h>

#include <string>

#include "service_rig.hpp"
#include "synack/services/services.hpp"

namespace synack::services {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::ServiceRig;

std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

TEST(ServiceSpec, ParsesEveryServiceAndRejectsBadOnes) {
  EXPECT_EQ(*parse_service("echo:7"), (ServiceSpec{ServiceKind::Echo, 7, ""}));
  EXPECT_EQ(*parse_service("http:8080:/srv/www"),
            (ServiceSpec{ServiceKind::Http, 8080, "/srv/www"}));
  EXPECT_EQ(parse_service("daytime:13")->kind, ServiceKind::Daytime);
  for (const char* bad : {"ssh:22", "echo", "echo:0", "echo:65536", "echo:7x",
                          "echo:", "discard:9:/tmp", "http:80:", ":80"}) {
    EXPECT_FALSE(parse_service(bad).ok()) << bad;
  }
  EXPECT_NE(parse_service("ssh:22").error().find("unknown service 'ssh:22'"), std::string::npos);
}

TEST(ServiceText, ChargenLinesRotateThroughThePrintableCharacters) {
  const std::string l0 = chargen_line(0);
  ASSERT_EQ(l0.size(), 74u);
  EXPECT_EQ(l0.substr(0, 10), R"q( !"#$%&'())q");
  EXPECT_EQ(l0.substr(72), "\r\n");
  EXPECT_EQ(chargen_line(1)[0], '!');
  EXPECT_EQ(chargen_line(94)[0], '~');
  EXPECT_EQ(chargen_line(95), l0);  // 95 characters: the pattern repeats
  EXPECT_EQ(chargen_line(30)[71], static_cast<char>(32 + (30 + 71) % 95));
}

TEST(ServiceText, DaytimeIsTheInjectedTimeInUtc) {
  EXPECT_EQ(daytime_text(0), "Thursday, January 01, 1970 00:00:00-UTC\r\n");
  // `date -u -d @1795000000`
  EXPECT_EQ(daytime_text(1795000000), "Wednesday, November 18, 2026 11:06:40-UTC\r\n");
}

TEST(Services, EchoReturnsEveryByteThenCloses) {
  ServiceRig rig;
  rig.add("echo:7");
  const std::string data = pattern(300000, 7);
  EXPECT_EQ(rig.exchange(7, data), data);
  EXPECT_EQ(rig.host.stats().accepted, 1u);
  EXPECT_EQ(rig.host.stats().closed, 1u);
  EXPECT_EQ(rig.host.stats().bytes_in, data.size());
  EXPECT_EQ(rig.host.stats().bytes_out, data.size());
  EXPECT_EQ(rig.host.connections(), 0u);
}

TEST(Services, EchoSurvivesLossAndServesManyClientsAtOnce) {
  ServiceRig rig({}, 5, link::DirectionConfig{.loss = 0.05});
  rig.add("echo:7");
  std::vector<Client> clients;
  for (std::uint32_t i = 0; i < 20; ++i)
    clients.push_back(rig.connect(7, pattern(20000 + i * 100, i)));
  std::vector<Client*> ptrs;
  for (auto& c : clients) ptrs.push_back(&c);
  ASSERT_TRUE(rig.run(
      [&] { return std::all_of(clients.begin(), clients.end(), [](auto& c) { return c.eof; }); },
      600s, ptrs));
  for (auto& c : clients) EXPECT_EQ(c.in, c.out);
  EXPECT_EQ(rig.host.stats().accepted, 20u);
}

TEST(Services, DiscardReadsEverythingAndSendsNothing) {
  ServiceRig rig;
  rig.add("discard:9");
  EXPECT_EQ(rig.exchange(9, pattern(500000, 3)), "");
  EXPECT_EQ(rig.host.stats().bytes_in, 500000u);
  EXPECT_EQ(rig.host.stats().bytes_out, 0u);
  EXPECT_EQ(rig.host.stats().closed, 1u);
}

TEST(Services, ChargenStreamsLinesUntilTheClientCloses) {
  ServiceRig rig;
  rig.add("chargen:19");
  Client c = rig.connect(19, "", /*fin_after=*/false);
  ASSERT_TRUE(rig.run([&] { return c.in.size() >= 100 * 74; }, 30s, {&c}));
  for (std::uint64_t n = 0; n < 100; ++n) ASSERT_EQ(c.in.substr(n * 74, 74), chargen_line(n)) << n;
  // RFC 864: the server sends until the calling user closes.
  ASSERT_TRUE(c.stream.shutdown_write(rig.net.now).ok());
  ASSERT_TRUE(rig.run([&] { return c.eof; }, 30s, {&c}));
  EXPECT_EQ(rig.host.connections(), 0u);
}

TEST(Services, DaytimeSendsTheInjectedTimeAndCloses) {
  ServiceConfig cfg;
  cfg.wall_clock = [] { return std::time_t{86400 * 365}; };
  ServiceRig rig(cfg);
  rig.add("daytime:13");
  EXPECT_EQ(rig.exchange(13, ""), "Friday, January 01, 1971 00:00:00-UTC\r\n");
  Client c = rig.connect(13, "", /*fin_after=*/false);  // the server closes first
  ASSERT_TRUE(rig.run([&] { return c.eof; }, 30s, {&c}));
  EXPECT_EQ(c.in, daytime_text(86400 * 365));
}

TEST(Services, MaxConnsResetsConnectionsOverTheLimit) {
  ServiceConfig cfg;
  cfg.max_conns = 2;
  ServiceRig rig(cfg);
  rig.add("discard:9");
  std::vector<Client> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(rig.connect(9, "", false));
  std::vector<Client*> ptrs{&clients[0], &clients[1], &clients[2]};
  rig.run([] { return false; }, 2s, ptrs);
  EXPECT_EQ(rig.host.connections(), 2u);
  EXPECT_EQ(rig.host.stats().accepted, 2u);
  EXPECT_EQ(rig.host.stats().rejected_max_conns, 1u);
  EXPECT_FALSE(clients[0].failed);
  EXPECT_FALSE(clients[1].failed);
  EXPECT_TRUE(clients[2].failed);  // reset
}

TEST(Services, IdleConnectionsAreAbortedAfterTheTimeout) {
  ServiceConfig cfg;
  cfg.idle_timeout = 10s;
  ServiceRig rig(cfg);
  rig.add("echo:7");
  Client idle = rig.connect(7, "", false);
  Client busy = rig.connect(7, "", false);
  // The busy client sends a byte every 4 s and stays; the idle one is dropped.
  for (int i = 0; i < 5; ++i) {
    busy.out += "x";
    rig.run([] { return false; }, 4s, {&idle, &busy});
  }
  EXPECT_TRUE(idle.failed);
  EXPECT_FALSE(busy.failed);
  EXPECT_EQ(busy.in, "xxxxx");
  EXPECT_EQ(rig.host.stats().idle_timeouts, 1u);
  EXPECT_EQ(rig.host.connections(), 1u);
}

TEST(Services, ShutdownClosesEveryConnectionWithFin) {
  ServiceRig rig;
  rig.add("echo:7");
  Client a = rig.connect(7, "hello", false);
  Client b = rig.connect(7, "world", false);
  ASSERT_TRUE(rig.run([&] { return a.in == "hello" && b.in == "world"; }, 10s, {&a, &b}));
  rig.host.shutdown(rig.net.now);
  EXPECT_EQ(rig.host.connections(), 0u);
  ASSERT_TRUE(rig.run([&] { return a.eof && b.eof; }, 10s, {&a, &b}));
  EXPECT_FALSE(a.failed);  // a FIN, not a reset
  EXPECT_FALSE(b.failed);
  ASSERT_TRUE(rig.run([&] { return rig.host.drained(); }, 10s, {&a, &b}));
  // New connections are refused once the listeners are gone.
  Client late = rig.connect(7, "", false);
  rig.run([&] { return late.failed; }, 5s, {&late});
  EXPECT_TRUE(late.failed);
}

}  // namespace
}  // namespace synack::services
