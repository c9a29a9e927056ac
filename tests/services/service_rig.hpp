// Test rig for services::ServiceHost: the server on host B of a TwoHosts simulation
// (virtual clock), fed with B's TCP events; clients are api::TcpStreams on host A
// pumped by the test.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "../sim/two_hosts.hpp"
#include "synack/services/services.hpp"

namespace synack::test {

// ReadyEvent (what TwoHosts' poller keeps) back to the tcp::Event the host takes.
inline tcp::Event to_tcp_event(const api::ReadyEvent& r) {
  tcp::Event e;
  e.conn = r.conn;
  e.listener = r.listener;
  switch (r.kind) {
    case api::ReadyKind::Acceptable:
      e.kind = tcp::EventKind::AcceptReady;
      break;
    case api::ReadyKind::Writable:
      e.kind = tcp::EventKind::Writable;
      break;
    case api::ReadyKind::PeerClosed:
      e.kind = tcp::EventKind::PeerClosed;
      break;
    case api::ReadyKind::Closed:
      e.kind = tcp::EventKind::Closed;
      break;
    case api::ReadyKind::Error:
    case api::ReadyKind::ConnectFailed:
      e.kind = tcp::EventKind::Error;
      e.error = r.error.value_or(tcp::ConnError::Reset);
      break;
    default:
      e.kind = tcp::EventKind::Readable;
  }
  return e;
}

// One client connection on host A: sends `out` (then FIN if asked), collects
// everything it receives until the server's FIN.
struct Client {
  Client(api::TcpStream s, std::string o, bool fin)
      : stream(std::move(s)), out(std::move(o)), fin_after(fin) {}
  api::TcpStream stream;
  std::string out;
  bool fin_after = true;
  std::size_t sent = 0;
  bool fin_sent = false;
  std::string in;
  bool eof = false;
  bool failed = false;

  void pump(Instant now) {
    while (sent < out.size()) {
      auto n = stream.send(as_bytes(std::string_view(out).substr(sent)), now);
      if (!n || *n == 0) break;
      sent += *n;
    }
    if (fin_after && sent == out.size() && !fin_sent && stream.state() == tcp::State::Established) {
      fin_sent = stream.shutdown_write(now).ok();
    }
    char buf[8192];
    while (!eof) {
      auto n = stream.receive(MutBytes(reinterpret_cast<std::byte*>(buf), sizeof buf), now);
      if (!n) {
        failed = failed || n.error() != tcp::RecvError::WouldBlock;
        break;
      }
      if (*n == 0) eof = true;
      in.append(buf, *n);
    }
    if (stream.error()) failed = true;
  }
};

class ServiceRig {
 public:
  explicit ServiceRig(services::ServiceConfig cfg = {}, std::uint64_t seed = 1,
                      const link::DirectionConfig& both_ways = {})
      : net(seed, both_ways, both_ways), host(net.b.stack, std::move(cfg)) {}

  TwoHosts net;
  services::ServiceHost host;

  void add(std::string_view spec) {
    auto s = services::parse_service(spec);
    ASSERT_TRUE(s.ok()) << s.error();
    ASSERT_TRUE(host.add(*s).ok());
  }

  Client connect(std::uint16_t port, std::string out, bool fin_after = true) {
    auto s = api::TcpStream::connect(net.a.stack, net.b.addr, port, net.now);
    EXPECT_TRUE(s.ok());
    return Client(std::move(*s), std::move(out), fin_after);
  }

  // Delivers host B's readiness to the service host, and its idle timer.
  void feed() {
    while (fed_ < net.b.seen.size()) host.on_event(to_tcp_event(net.b.seen[fed_++]), net.now);
    if (auto d = host.next_deadline(); d && *d <= net.now) host.on_timer(net.now);
  }

  // Runs the simulation (pumping `clients` after every step) until done() or
  // `limit` of virtual time has passed.
  bool run(const std::function<bool()>& done, Duration limit, std::vector<Client*> clients = {}) {
    const Instant end = net.now + limit;
    for (int i = 0; i < 2'000'000; ++i) {
      feed();
      for (Client* c : clients) c->pump(net.now);
      if (done()) return true;
      std::optional<Instant> next = net.next_deadline();
      if (auto d = host.next_deadline(); d && (!next || *d < *next)) next = d;
      if (!next || *next > end) {
        net.run_until(end);
        feed();
        for (Client* c : clients) c->pump(net.now);
        return done();
      }
      net.run_until(std::max(*next, net.now + std::chrono::microseconds(1)));
    }
    return done();
  }

  // One request/response: connect, send `request` (+FIN), read until EOF.
  std::string exchange(std::uint16_t port, std::string request,
                       Duration limit = std::chrono::seconds(30)) {
    Client c = connect(port, std::move(request));
    EXPECT_TRUE(run([&] { return c.eof || c.failed; }, limit, {&c}));
    EXPECT_FALSE(c.failed);
    return c.in;
  }

 private:
  std::size_t fed_ = 0;
};

}  // namespace synack::test
