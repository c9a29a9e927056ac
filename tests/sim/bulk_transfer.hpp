// A bulk transfer between the two hosts of a TwoHosts network, through the socket API:
// A connects to B's listener and writes `bytes` of a pattern, B reads and checks every
// byte. The test drives it one instant at a time (run), so its hooks on the network see
// every moment something happened.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "synack/api/socket.hpp"
#include "two_hosts.hpp"

namespace synack::test {

// Holds the network, as a base class constructed before a BulkTransfer base that uses it.
struct WithNet {
  template <class... Args>
  explicit WithNet(Args&&... args) : net(std::forward<Args>(args)...) {}
  TwoHosts net;
};

class BulkTransfer {
 public:
  /// Byte i of the data is i * mul + add. A connects to `to` (B's IPv4 address unless
  /// given: B's IPv6 one once TwoHosts::enable_ipv6 gave it one).
  BulkTransfer(TwoHosts& net, std::uint16_t port, std::size_t bytes, unsigned mul, unsigned add,
               std::optional<wire::IpAddr> to = std::nullopt)
      : net_(net) {
    auto l = api::TcpListener::listen(net.b.stack, port, 4);
    EXPECT_TRUE(l.ok());
    listener.emplace(std::move(*l));
    auto c = api::TcpStream::connect(net.a.stack, to.value_or(net.b.addr), port, net.now);
    EXPECT_TRUE(c.ok());
    client.emplace(std::move(*c));
    data.resize(bytes);
    for (std::size_t i = 0; i < bytes; ++i) data[i] = std::byte(i * mul + add);
  }

  /// Runs until B has read every byte and A has all of it acknowledged (or, given
  /// `until`, until that holds), at most `limit` of virtual time: the application reads
  /// and writes after every step. False if the limit came first.
  bool run(Duration limit, const std::function<bool()>& until = {}) {
    const Instant end = net_.now + limit;
    for (;;) {
      pump();
      if (until ? until() : done()) return true;
      net_.transmit();  // what the application's calls queued, so that its arrival counts
      const auto next = net_.next_deadline();
      if (!next || *next > end) return false;
      net_.run_until(std::max(*next, net_.now));
    }
  }

  /// Accepts, writes what the send buffer takes, reads and checks what arrived.
  void pump() {
    if (!server) {
      auto s = listener->accept(net_.now);
      if (s.ok()) server.emplace(std::move(*s));
    }
    while (sent < data.size()) {
      auto n = client->send(Bytes(data).subspan(sent), net_.now);
      if (!n.ok() || *n == 0) break;
      sent += *n;
    }
    if (!server) return;
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
      auto n = server->receive(buf, net_.now);
      if (!n.ok() || *n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) ASSERT_EQ(buf[i], data[received + i]);
      received += *n;
    }
  }

  /// Every byte read by B and acknowledged to A.
  bool done() const {
    auto i = client->info(net_.now);
    return received == data.size() && i && i->unacked == 0;
  }

  std::optional<api::TcpListener> listener;
  std::optional<api::TcpStream> client, server;
  std::vector<std::byte> data;
  std::size_t sent = 0, received = 0;

 private:
  TwoHosts& net_;
};

}  // namespace synack::test
