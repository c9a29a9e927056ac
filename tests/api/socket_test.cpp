// The socket API over two real Stacks joined by a SimLink on a virtual clock:
// connect/accept/echo, refusal, resets, half-close, options, readiness order.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../sim/two_hosts.hpp"

namespace synack::api {
// Readable names in failure messages.
inline void PrintTo(ReadyKind k, std::ostream* os) {
  *os << to_string(k);
}
}  // namespace synack::api

namespace synack::test {
namespace {

using api::ReadyKind;
using api::TcpListener;
using api::TcpStream;
using link::End;
using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 7;

std::string text(Bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Every byte receive() gives until WouldBlock (or end of stream / error).
std::string drain(TcpStream& s, Instant now, bool* eof = nullptr) {
  std::string out;
  std::array<std::byte, 512> buf{};
  for (int i = 0; i < 10000; ++i) {
    auto r = s.receive(buf, now);
    if (!r.ok()) break;
    if (*r == 0) {
      if (eof) *eof = true;
      break;
    }
    out += text(Bytes(buf).first(*r));
  }
  return out;
}

std::vector<ReadyKind> kinds_for(const SimHost& h, tcp::ConnId c) {
  std::vector<ReadyKind> out;
  for (const auto& e : h.seen) {
    if (e.conn == c) out.push_back(e.kind);
  }
  return out;
}

bool saw(const SimHost& h, ReadyKind k, tcp::ConnId c = {}) {
  return std::any_of(h.seen.begin(), h.seen.end(), [&](const api::ReadyEvent& e) {
    return e.kind == k && (c == tcp::ConnId{} || e.conn == c);
  });
}

// The value of a Result a fixture cannot do without; a failure ends the test (gtest
// reports the exception) instead of running on with a broken fixture.
template <class T, class E>
T must(Result<T, E>&& r, const char* what) {
  if (!r.ok()) throw std::runtime_error(std::string("fixture step failed: ") + what);
  return std::move(r).value();
}

// A connected pair: `client` on A, `server` (accepted) on B; 5 ms each way.
struct Connected {
  explicit Connected(std::uint64_t seed, const api::SocketOptions& client_opts = {},
                     const api::SocketOptions& server_opts = {})
      : net(seed, {.delay = 5ms}, {.delay = 5ms}),
        listener(must(TcpListener::listen(net.b.stack, kPort, 4, server_opts), "listen")),
        client(must(TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now, client_opts),
                    "connect")),
        server(accept_one()) {
    if (!net.run_until_true([&] { return saw(net.a, ReadyKind::Connected); }, 5s))
      throw std::runtime_error("fixture: no Connected");
  }
  TcpStream accept_one() {
    if (!net.run_until_true([&] { return saw(net.b, ReadyKind::Acceptable); }, 5s))
      throw std::runtime_error("fixture: nothing to accept");
    return must(listener.accept(net.now), "accept");
  }

  TwoHosts net;
  TcpListener listener;
  TcpStream client;
  TcpStream server;
};

TEST(ApiSocket, ConnectAcceptEcho) {
  TwoHosts net(1, {.delay = 5ms}, {.delay = 5ms});
  auto l = TcpListener::listen(net.b.stack, kPort, 4);
  ASSERT_TRUE(l.ok());
  auto c = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), api::State::SynSent);
  EXPECT_EQ(c->connect_progress().value(), api::ConnectProgress::InProgress);
  // MUST-44: the source address is the one the route to B gives.
  ASSERT_TRUE(c->local().has_value());
  EXPECT_EQ(c->local()->addr, net.a.addr);
  EXPECT_GE(c->local()->port, 49152);
  EXPECT_EQ(c->remote(), (tcp::Endpoint{net.b.addr, kPort}));

  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::Acceptable); }, 5s));
  auto s = l->accept(net.now);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->remote(), c->local());
  EXPECT_EQ(s->local(), (tcp::Endpoint{net.b.addr, kPort}));
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Connected); }, 5s));
  EXPECT_EQ(c->state(), api::State::Established);
  EXPECT_EQ(c->connect_progress().value(), api::ConnectProgress::Connected);
  EXPECT_TRUE(c->writable());
  EXPECT_FALSE(c->readable());

  ASSERT_EQ(c->send(as_bytes("ping 1"), net.now).value(), 6u);
  ASSERT_TRUE(net.run_until_true([&] { return s->readable(); }, 5s));
  std::string got = drain(*s, net.now);
  EXPECT_EQ(got, "ping 1");
  ASSERT_EQ(s->send(as_bytes(got), net.now).value(), 6u);  // echo
  ASSERT_TRUE(net.run_until_true([&] { return c->readable(); }, 5s));
  EXPECT_EQ(drain(*c, net.now), "ping 1");
  std::array<std::byte, 8> small{};
  auto r = c->receive(small, net.now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), api::RecvError::WouldBlock);
}

TEST(ApiSocket, ClosedPortRefusesConnect) {
  TwoHosts net(2, {.delay = 5ms}, {.delay = 5ms});
  auto c = TcpStream::connect(net.a.stack, net.b.addr, 9, net.now);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::ConnectFailed); }, 5s));
  auto failed = std::find_if(net.a.seen.begin(), net.a.seen.end(), [](const api::ReadyEvent& e) {
    return e.kind == ReadyKind::ConnectFailed;
  });
  EXPECT_EQ(failed->conn, c->id());
  ASSERT_TRUE(failed->error.has_value());
  // RFC 9293 §3.10.7.3: an acceptable RST in SYN-SENT -> "error: connection reset",
  // which for an OPEN means refused.
  EXPECT_EQ(api::to_connect_error(*failed->error), api::ConnectError::Refused);
  ASSERT_FALSE(c->connect_progress().ok());
  EXPECT_EQ(c->connect_progress().error(), api::ConnectError::Refused);
  EXPECT_EQ(c->error(), tcp::ConnError::Refused);
  EXPECT_EQ(c->state(), api::State::Closed);
  EXPECT_FALSE(saw(net.a, ReadyKind::Error));  // an open that failed, not an abort
  EXPECT_EQ(kinds_for(net.a, c->id()), (std::vector{ReadyKind::ConnectFailed, ReadyKind::Closed}));
  auto sent = c->send(as_bytes("x"), net.now);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error(), api::SendError::Reset);
}

TEST(ApiSocket, ConnectRejectsInvalidRemotesAndNoRoute) {
  TwoHosts net(3);
  using wire::Ipv4Addr;
  // MUST-46: broadcast, multicast and unspecified remotes are an error of the OPEN call.
  for (Ipv4Addr bad :
       {Ipv4Addr::broadcast(), Ipv4Addr::any(), Ipv4Addr::from_octets(224, 0, 0, 1),
        Ipv4Addr::from_octets(239, 1, 2, 3), Ipv4Addr::from_octets(10, 77, 0, 255)}) {
    auto c = TcpStream::connect(net.a.stack, bad, kPort, net.now);
    ASSERT_FALSE(c.ok()) << bad.to_string();
    EXPECT_EQ(c.error(), api::ConnectError::InvalidAddress) << bad.to_string();
  }
  auto port0 = TcpStream::connect(net.a.stack, net.b.addr, 0, net.now);
  ASSERT_FALSE(port0.ok());
  EXPECT_EQ(port0.error(), api::ConnectError::InvalidAddress);
  // Off-link and no default gateway.
  auto far = TcpStream::connect(net.a.stack, Ipv4Addr::from_octets(192, 0, 2, 1), kPort, net.now);
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error(), api::ConnectError::NoRoute);
  api::SocketOptions zero;
  zero.send_buffer = 0;
  auto bad_opt = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now, zero);
  ASSERT_FALSE(bad_opt.ok());
  EXPECT_EQ(bad_opt.error(), api::ConnectError::InvalidOption);
  EXPECT_FALSE(net.a.stack.pop_frame().has_value());  // nothing was sent
  EXPECT_EQ(net.a.stack.tcp().connection_count(), 0u);
}

TEST(ApiSocket, ListenErrors) {
  TwoHosts net(4);
  auto l = TcpListener::listen(net.b.stack, kPort, 4);
  ASSERT_TRUE(l.ok());
  auto again = TcpListener::listen(net.b.stack, kPort, 4);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), api::ListenError::AddressInUse);
  auto foreign = TcpListener::listen(
      net.b.stack, tcp::Endpoint{wire::Ipv4Addr::from_octets(10, 77, 0, 9), 80}, 4, {});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error(), api::ListenError::InvalidAddress);
  auto port0 = TcpListener::listen(net.b.stack, 0, 4);
  ASSERT_FALSE(port0.ok());
  EXPECT_EQ(port0.error(), api::ListenError::InvalidAddress);
  auto none = l->accept(net.now);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), api::AcceptError::WouldBlock);
  ASSERT_TRUE(l->close(net.now).ok());
  EXPECT_FALSE(l->is_open());
  EXPECT_EQ(l->accept(net.now).error(), api::AcceptError::NoSuchListener);
  // The port is free again.
  EXPECT_TRUE(TcpListener::listen(net.b.stack, kPort, 4).ok());
}

TEST(ApiSocket, ResetDuringTransfer) {
  Connected p(5);
  TwoHosts& net = p.net;
  std::vector<std::byte> block(20000, std::byte{0x5a});
  auto sent = p.client.send(block, net.now);
  ASSERT_TRUE(sent.ok());
  ASSERT_GT(*sent, 0u);
  // Part of the data is on its way when the server aborts.
  net.run_for(6ms);
  ASSERT_TRUE(p.server.abort(net.now).ok());
  EXPECT_FALSE(p.server.is_open());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Error); }, 5s));
  const auto& err =
      *std::find_if(net.a.seen.begin(), net.a.seen.end(),
                    [](const api::ReadyEvent& e) { return e.kind == ReadyKind::Error; });
  EXPECT_EQ(err.conn, p.client.id());
  EXPECT_EQ(err.error, tcp::ConnError::Reset);  // MUST-12: told apart from a normal close
  EXPECT_FALSE(saw(net.a, ReadyKind::ConnectFailed));
  EXPECT_EQ(p.client.error(), tcp::ConnError::Reset);
  EXPECT_EQ(p.client.connect_progress().value(), api::ConnectProgress::Connected);
  EXPECT_EQ(p.client.state(), api::State::Closed);
  auto more = p.client.send(block, net.now);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error(), api::SendError::Reset);
  std::array<std::byte, 16> small{};
  auto r = p.client.receive(small, net.now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), api::RecvError::Reset);
  EXPECT_TRUE(p.client.readable());  // receive() does not block: it fails at once
  EXPECT_FALSE(p.client.writable());
  ASSERT_TRUE(p.client.close(net.now).ok());
  EXPECT_FALSE(p.client.state().has_value());  // released and gone
}

TEST(ApiSocket, HalfCloseKeepsReading) {
  Connected p(6);
  TwoHosts& net = p.net;
  ASSERT_EQ(p.client.send(as_bytes("request"), net.now).value(), 7u);
  ASSERT_TRUE(p.client.shutdown_write(net.now).ok());
  auto late = p.client.send(as_bytes("more"), net.now);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error(), api::SendError::WriteShutdown);
  EXPECT_FALSE(p.client.writable());

  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::PeerClosed); }, 5s));
  bool eof = false;
  EXPECT_EQ(drain(p.server, net.now, &eof), "request");
  EXPECT_TRUE(eof);
  EXPECT_EQ(p.server.state(), api::State::CloseWait);
  ASSERT_TRUE(net.run_until_true([&] { return p.client.state() == api::State::FinWait2; }, 5s));

  // CLOSE-WAIT may still send (§3.10.2); the half-closed client keeps reading.
  std::string response(3000, 'r');
  ASSERT_EQ(p.server.send(as_bytes(response), net.now).value(), response.size());
  ASSERT_TRUE(p.server.close(net.now).ok());
  std::string got;
  eof = false;
  ASSERT_TRUE(net.run_until_true(
      [&] {
        got += drain(p.client, net.now, &eof);
        return eof;
      },
      10s));
  EXPECT_EQ(got, response);
  EXPECT_EQ(p.client.state(), api::State::TimeWait);
  ASSERT_TRUE(p.client.close(net.now).ok());
  // The server's LAST-ACK ends with our ACK; TIME-WAIT ends after 2*MSL.
  ASSERT_TRUE(net.run_until_true([&] { return !p.server.state().has_value(); }, 5s));
  EXPECT_EQ(p.client.state(), api::State::TimeWait);
  net.run_for(61s);
  EXPECT_FALSE(p.client.state().has_value());
}

TEST(ApiSocket, OptionsAreAppliedAndReadBack) {
  api::SocketOptions o;
  o.no_delay = true;
  o.keepalive = true;
  o.keepalive_idle = 10s;
  o.keepalive_interval = 1s;
  o.keepalive_count = 3;
  o.send_buffer = 8192;
  o.recv_buffer = 4096;
  o.user_timeout = 30s;
  Connected p(7, o);
  TwoHosts& net = p.net;
  auto got = p.client.options();
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->no_delay);
  EXPECT_TRUE(got->keepalive);
  EXPECT_EQ(got->keepalive_idle, 10s);
  EXPECT_EQ(got->keepalive_interval, 1s);
  EXPECT_EQ(got->keepalive_count, 3u);
  EXPECT_EQ(got->send_buffer, 8192u);
  EXPECT_EQ(got->recv_buffer, 4096u);
  EXPECT_EQ(got->user_timeout, 30s);
  EXPECT_FALSE(got->linger_zero);

  // send_buffer bounds what one send() takes.
  std::vector<std::byte> big(100000, std::byte{1});
  auto n = p.client.send(big, net.now);
  ASSERT_TRUE(n.ok());
  EXPECT_LE(*n, 8192u);
  EXPECT_GT(*n, 0u);
  // recv_buffer bounds what the server lets in while nobody reads.
  ASSERT_TRUE(p.server.send(Bytes(big).first(60000), net.now).ok());
  net.run_for(5s);
  auto readable = net.a.stack.tcp().readable(p.client.id());
  ASSERT_TRUE(readable.has_value());
  EXPECT_GT(*readable, 0u);
  EXPECT_LE(*readable, 4096u);

  // Keep-alive: after 10 s idle a probe goes out (MUST-26/27: configurable idle).
  auto before = p.client.stats()->keepalive_probes;
  EXPECT_EQ(before, 0u);
  std::array<std::byte, 4096> sink{};
  for (int i = 0; i < 100; ++i) {  // drain both ways so nothing is outstanding
    while (p.client.receive(sink, net.now).value_or(0) > 0) {
    }
    while (p.server.receive(sink, net.now).value_or(0) > 0) {
    }
    net.run_for(100ms);
  }
  net.run_for(15s);
  EXPECT_GT(p.client.stats()->keepalive_probes, 0u);
  EXPECT_EQ(p.client.state(), api::State::Established);  // answered probes keep it up

  // set_options reads back; an invalid value is refused and changes nothing.
  api::SocketOptions changed = *got;
  changed.no_delay = false;
  changed.linger_zero = true;
  ASSERT_TRUE(p.client.set_options(changed, net.now).ok());
  EXPECT_FALSE(p.client.options()->no_delay);
  EXPECT_TRUE(p.client.options()->linger_zero);
  api::SocketOptions invalid = changed;
  invalid.recv_buffer = 0;
  auto bad = p.client.set_options(invalid, net.now);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), api::OptionError::InvalidValue);
  EXPECT_EQ(p.client.options()->recv_buffer, 4096u);

  // linger-0: close() resets the connection instead of a FIN exchange.
  ASSERT_TRUE(p.client.close(net.now).ok());
  EXPECT_FALSE(p.client.state().has_value());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::Error); }, 5s));
  EXPECT_EQ(p.server.error(), tcp::ConnError::Reset);
}

// Nagle (SHLD-7) holds a second small segment while one is unacknowledged;
// no_delay sends it at once.
std::uint64_t frames_for_two_small_writes(bool no_delay) {
  api::SocketOptions o;
  o.no_delay = no_delay;
  Connected p(8, o);
  p.net.run_for(1s);  // quiet: every ACK delivered
  const auto before = p.net.link.stats(End::A).sent;
  EXPECT_TRUE(p.client.send(as_bytes("a"), p.net.now).ok());
  EXPECT_TRUE(p.client.send(as_bytes("b"), p.net.now).ok());
  p.net.transmit();
  return p.net.link.stats(End::A).sent - before;
}

TEST(ApiSocket, NoDelayOptionDisablesNagle) {
  EXPECT_EQ(frames_for_two_small_writes(false), 1u);
  EXPECT_EQ(frames_for_two_small_writes(true), 2u);
}

TEST(ApiSocket, UserTimeoutAbortsWhenThePathDies) {
  api::SocketOptions o;
  o.user_timeout = 150s;
  Connected p(9, o);
  TwoHosts& net = p.net;
  net.link.set_config(End::A, {.loss = 1.0});
  net.link.set_config(End::B, {.loss = 1.0});
  const Instant start = net.now;
  ASSERT_TRUE(p.client.send(as_bytes("into the void"), net.now).ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Error); }, 600s));
  // R2 is the user timeout (150 s; at least 100 s is the floor), not the default of 15
  // retransmissions (663 s): the first timeout after 150 s, with the RTO at 60 s.
  EXPECT_GE(net.now - start, 150s);
  EXPECT_LT(net.now - start, 211s);
  EXPECT_EQ(p.client.error(), tcp::ConnError::TimedOut);
}

TEST(ApiSocket, ReadinessEventsComeInOrder) {
  api::SocketOptions small;
  small.send_buffer = 4096;
  Connected p(10, small);
  TwoHosts& net = p.net;
  EXPECT_EQ(kinds_for(net.a, p.client.id()), std::vector{ReadyKind::Connected});
  // Fill the send buffer: WouldBlock, then Writable once ACKs free space.
  std::vector<std::byte> big(20000, std::byte{7});
  std::size_t queued = 0;
  while (queued < big.size()) {
    auto r = p.client.send(Bytes(big).subspan(queued), net.now);
    if (!r.ok()) {
      EXPECT_EQ(r.error(), api::SendError::WouldBlock);
      break;
    }
    queued += *r;
  }
  EXPECT_FALSE(p.client.writable());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Writable); }, 5s));
  EXPECT_TRUE(p.client.writable());
  // The server reads, answers and closes; the client reads to the end and closes.
  std::string got;
  ASSERT_TRUE(net.run_until_true(
      [&] {
        got += drain(p.server, net.now);
        return got.size() == queued;
      },
      10s));
  ASSERT_TRUE(p.server.send(as_bytes("done"), net.now).ok());
  ASSERT_TRUE(p.server.shutdown_write(net.now).ok());
  bool eof = false;
  std::string answer;
  ASSERT_TRUE(net.run_until_true(
      [&] {
        answer += drain(p.client, net.now, &eof);
        return eof;
      },
      10s));
  EXPECT_EQ(answer, "done");
  ASSERT_TRUE(p.client.close(net.now).ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::PeerClosed); }, 10s));
  ASSERT_TRUE(p.server.close(net.now).ok());
  net.run_for(2min);  // past TIME-WAIT

  EXPECT_EQ(kinds_for(net.a, p.client.id()),
            (std::vector{ReadyKind::Connected, ReadyKind::Writable, ReadyKind::Readable,
                         ReadyKind::PeerClosed, ReadyKind::Closed}));
  auto server_kinds = kinds_for(net.b, p.server.id());
  ASSERT_GE(server_kinds.size(), 3u);
  EXPECT_EQ(server_kinds.front(), ReadyKind::Readable);
  EXPECT_EQ(server_kinds[server_kinds.size() - 2], ReadyKind::PeerClosed);
  EXPECT_EQ(server_kinds.back(), ReadyKind::Closed);
  // Acceptable came before anything about the accepted stream.
  ASSERT_FALSE(net.b.seen.empty());
  EXPECT_EQ(net.b.seen.front().kind, ReadyKind::Acceptable);
  EXPECT_EQ(net.b.seen.front().listener, p.listener.id());
  EXPECT_FALSE(saw(net.a, ReadyKind::Error));
  EXPECT_FALSE(saw(net.b, ReadyKind::Error));
  EXPECT_FALSE(p.client.state().has_value());
  EXPECT_FALSE(p.server.state().has_value());
}

TEST(ApiSocket, PollerCoalescesAndPassesOtherEventsThrough) {
  Connected p(11);
  TwoHosts& net = p.net;
  // Three segments arrive before anyone polls: one Readable stands for all.
  api::SocketOptions nd = *p.client.options();
  nd.no_delay = true;
  ASSERT_TRUE(p.client.set_options(nd, net.now).ok());
  for (const char* m : {"one ", "two ", "three"}) {
    ASSERT_TRUE(p.client.send(as_bytes(m), net.now).ok());
    net.transmit();
  }
  // Deliver without polling B's events into its Poller: step the link by hand.
  api::Poller poller;
  for (int i = 0; i < 100 && net.link.in_flight() > 0; ++i) {
    net.now = *net.link.next_deadline();
    while (auto d = net.link.pop_ready(net.now)) {
      SimHost& h = net.host(d->to);
      h.stack.on_frame(h.iface, d->frame, net.now);
    }
  }
  // A UDP datagram too, to see the Poller hand it back.
  auto ua = net.a.stack.udp_bind(wire::Ipv4Addr::any(), 5000);
  auto ub = net.b.stack.udp_bind(wire::Ipv4Addr::any(), 5001);
  ASSERT_TRUE(ua.ok() && ub.ok());
  ASSERT_TRUE(net.a.stack.udp_send_to(*ua, net.b.addr, 5001, as_bytes("dgram"), net.now).ok());
  net.transmit();
  net.now = *net.link.next_deadline();
  while (auto d = net.link.pop_ready(net.now)) {
    net.host(d->to).stack.on_frame(net.host(d->to).iface, d->frame, net.now);
  }

  auto others = poller.poll(net.b.stack);
  ASSERT_EQ(others.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<stack::UdpReadable>(others[0]));
  EXPECT_EQ(std::get<stack::UdpReadable>(others[0]).socket, *ub);
  std::vector<api::ReadyEvent> got;
  while (auto e = poller.next()) got.push_back(*e);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, ReadyKind::Readable);
  EXPECT_EQ(got[0].conn, p.server.id());
  EXPECT_EQ(drain(p.server, net.now), "one two three");
  EXPECT_EQ(poller.pending(), 0u);
}

TEST(ApiSocket, DroppingAStreamClosesItGracefully) {
  Connected p(12);
  TwoHosts& net = p.net;
  const tcp::ConnId id = p.client.id();
  {
    TcpStream moved = std::move(p.client);
    EXPECT_FALSE(p.client.is_open());  // NOLINT(bugprone-use-after-move): checked on purpose
    EXPECT_TRUE(moved.is_open());
    EXPECT_EQ(moved.id(), id);
  }  // destroyed: close()
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::PeerClosed); }, 5s));
  bool eof = false;
  EXPECT_EQ(drain(p.server, net.now, &eof), "");
  EXPECT_TRUE(eof);
  EXPECT_FALSE(saw(net.b, ReadyKind::Error));
}

TEST(ApiSocket, ConnectTimesOutWhenNothingAnswers) {
  stack::StackConfig cfg;
  cfg.tcp.connect_timeout = 6s;  // R2 for the SYN (MUST-23 asks >= 3 min by default)
  TwoHosts net(13, {.loss = 1.0}, {.loss = 1.0}, cfg);
  auto c = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::ConnectFailed); }, 60s));
  EXPECT_GE(net.now - Instant::zero(), 6s);
  EXPECT_EQ(c->connect_progress().error(), api::ConnectError::TimedOut);
  EXPECT_EQ(kinds_for(net.a, c->id()), (std::vector{ReadyKind::ConnectFailed, ReadyKind::Closed}));
}

// A client that sends and half-closes before the server accepts.
struct EarlyData {
  explicit EarlyData(std::uint64_t seed)
      : net(seed, {.delay = 5ms}, {.delay = 5ms}),
        listener(must(TcpListener::listen(net.b.stack, kPort, 4), "listen")),
        client(must(TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now), "connect")) {
    // MUST be queued in SYN-SENT and sent once established (§3.10.2).
    if (client.send(as_bytes("early"), net.now).value_or(0) != 5 ||
        !client.shutdown_write(net.now).ok())
      throw std::runtime_error("fixture: send/shutdown in SYN-SENT");
    net.run_for(1s);
  }
  TwoHosts net;
  TcpListener listener;
  TcpStream client;
};

TEST(ApiSocket, DataBeforeAcceptIsReportedOnAccept) {
  EarlyData p(14);
  ASSERT_TRUE(saw(p.net.b, ReadyKind::Acceptable));
  ASSERT_EQ(p.net.b.seen.size(), 1u);  // nothing about a stream nobody accepted yet
  auto s = p.listener.accept(p.net.now);
  ASSERT_TRUE(s.ok());
  p.net.run_for(1ms);
  auto kinds = kinds_for(p.net.b, s->id());
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.front(), ReadyKind::Readable);
  bool eof = false;
  EXPECT_EQ(drain(*s, p.net.now, &eof), "early");
  EXPECT_TRUE(eof);
}

// A FIN that arrived (with data) before accept() is reported as PeerClosed on accept,
// after Readable, although the data before it is still unread.
TEST(ApiSocket, FinBeforeAcceptIsReportedAsPeerClosed) {
  EarlyData p(14);
  auto s = p.listener.accept(p.net.now);
  ASSERT_TRUE(s.ok());
  p.net.run_for(1ms);
  EXPECT_EQ(kinds_for(p.net.b, s->id()), (std::vector{ReadyKind::Readable, ReadyKind::PeerClosed}));
}

TEST(ApiSocket, ClosingAListenerResetsConnectionsNotAccepted) {
  TwoHosts net(15, {.delay = 5ms}, {.delay = 5ms});
  auto l = TcpListener::listen(net.b.stack, kPort, 4);
  ASSERT_TRUE(l.ok());
  auto c = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::Acceptable); }, 5s));
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Connected); }, 5s));
  ASSERT_TRUE(l->close(net.now).ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.a, ReadyKind::Error); }, 5s));
  EXPECT_EQ(c->error(), tcp::ConnError::Reset);
  EXPECT_EQ(net.b.stack.tcp().connection_count(), 0u);
}

// MUST-44: the source address of an active open is the IP layer's choice for that
// destination: the interface whose prefix holds it, or the one leading to the gateway.
TEST(ApiSocket, SourceAddressFollowsTheRoute) {
  TwoHosts net(16);
  const auto second = wire::Ipv4Addr::from_octets(10, 88, 0, 1);
  net.a.stack.add_interface(wire::MacAddr{{0x02, 0, 0, 0, 1, 1}}, wire::Ipv4Cidr{second, 24});
  auto on_second =
      TcpStream::connect(net.a.stack, wire::Ipv4Addr::from_octets(10, 88, 0, 7), kPort, net.now);
  ASSERT_TRUE(on_second.ok());
  EXPECT_EQ(on_second->local()->addr, second);
  auto on_first = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  ASSERT_TRUE(on_first.ok());
  EXPECT_EQ(on_first->local()->addr, net.a.addr);
  net.a.stack.set_default_gateway(net.b.addr);
  auto via_gateway =
      TcpStream::connect(net.a.stack, wire::Ipv4Addr::from_octets(192, 0, 2, 1), kPort, net.now);
  ASSERT_TRUE(via_gateway.ok());
  EXPECT_EQ(via_gateway->local()->addr, net.a.addr);
  EXPECT_EQ(via_gateway->remote(),
            (tcp::Endpoint{wire::Ipv4Addr::from_octets(192, 0, 2, 1), kPort}));
}

TEST(ApiSocket, ListenerOnOneLocalAddressAccepts) {
  TwoHosts net(17, {.delay = 1ms}, {.delay = 1ms});
  auto l = TcpListener::listen(net.b.stack, tcp::Endpoint{net.b.addr, kPort}, 1, {});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->local(), (tcp::Endpoint{net.b.addr, kPort}));
  auto c = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(net.run_until_true([&] { return saw(net.b, ReadyKind::Acceptable); }, 5s));
  auto s = l->accept(net.now);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->local(), (tcp::Endpoint{net.b.addr, kPort}));
  EXPECT_EQ(s->state(), api::State::Established);
}

}  // namespace
}  // namespace synack::test

namespace synack::test {
namespace {

// recv(MSG_PEEK): peek() shows what receive() will return without taking it.
TEST(ApiSocket, PeekLeavesTheDataQueued) {
  Connected c(7);
  ASSERT_EQ(c.client.send(as_bytes("GET / HTTP/1.1\r\n"), c.net.now).value(), 16u);
  ASSERT_TRUE(c.net.run_until_true([&] { return c.server.readable(); }, 5s));
  std::array<std::byte, 4> head{};
  auto p = c.server.peek(head, c.net.now);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(text(Bytes(head).first(*p)), "GET ");
  auto again = c.server.peek(head, c.net.now);  // the same bytes again
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(text(Bytes(head).first(*again)), "GET ");
  EXPECT_TRUE(c.server.readable());
  EXPECT_EQ(drain(c.server, c.net.now), "GET / HTTP/1.1\r\n");  // nothing was consumed
  auto empty = c.server.peek(head, c.net.now);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), api::RecvError::WouldBlock);
}

}  // namespace
}  // namespace synack::test
