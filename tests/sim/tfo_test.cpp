// TCP Fast Open (RFC 7413) between two complete stacks over a SimLink: the first
// connection's SYN asks for a cookie, the SYN,ACK carries it, the second connection's
// SYN carries the cookie and the request, the server reads the request at accept and
// the SYN,ACK acknowledges it. Every frame is parsed and every byte checked; then the
// same exchange over lossy links for many seeds (fallbacks allowed, bytes exact).
#include <gtest/gtest.h>

#include <string>

#include "synack/tcp/protocol.hpp"
#include "two_hosts.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;

struct Seen {
  link::End from;
  wire::TcpRepr seg;
  ByteVec payload;
};

constexpr std::uint16_t kPort = 80;

ByteVec bytes_of(const std::string& s) {
  ByteVec v(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) v[i] = std::byte(s[i]);
  return v;
}

stack::StackConfig tfo_config() {
  stack::StackConfig cfg;
  cfg.tcp.defaults.tfo = true;
  return cfg;
}

// One request/response over `c` (client) and the server's next accepted connection.
// Returns false if anything did not arrive exactly.
bool exchange(TwoHosts& w, tcp::ListenerId lid, const ByteVec& request, const ByteVec& response,
              bool on_syn, std::size_t* readable_at_accept = nullptr) {
  tcp::TcpProtocol& ct = w.a.stack.tcp();
  tcp::TcpProtocol& st = w.b.stack.tcp();
  const tcp::SocketOptions opts = ct.config().defaults;
  auto c =
      ct.connect({w.a.addr, 0}, {w.b.addr, kPort}, w.now, opts, on_syn ? Bytes(request) : Bytes{});
  if (!c) return false;
  w.a.stack.flush_tcp(w.now);
  w.transmit();  // onto the link now (run_until_true only sees the link's deadlines)
  if (!on_syn) {
    if (!w.run_until_true([&] { return ct.state(*c) == tcp::State::Established; }, 10min))
      return false;
    if (ct.send(*c, request).value_or(0) != request.size()) return false;
    w.a.stack.flush_tcp(w.now);
    w.transmit();  // onto the link now (run_until_true only sees the link's deadlines)
  }
  std::optional<tcp::ConnId> s;
  if (!w.run_until_true(
          [&] {
            if (!s) {
              if (auto r = st.accept(lid)) {
                s = *r;
                if (readable_at_accept) *readable_at_accept = st.readable(*s).value_or(0);
              }
            }
            return s && st.readable(*s).value_or(0) >= request.size();
          },
          10min))
    return false;
  ByteVec got(request.size());
  if (st.receive(*s, got).value_or(0) != request.size() || got != request) return false;
  if (st.send(*s, response).value_or(0) != response.size()) return false;
  w.b.stack.flush_tcp(w.now);
  w.transmit();
  if (!w.run_until_true([&] { return ct.readable(*c).value_or(0) >= response.size(); }, 10min))
    return false;
  ByteVec back(response.size());
  if (ct.receive(*c, back).value_or(0) != response.size() || back != response) return false;
  (void)ct.close(*c);
  w.a.stack.flush_tcp(w.now);
  w.transmit();  // onto the link now (run_until_true only sees the link's deadlines)
  (void)st.close(*s);
  w.b.stack.flush_tcp(w.now);
  w.transmit();
  w.run_for(5s);
  return true;
}

TEST(TfoTwoStacks, CookieThenRequestOnTheSyn) {
  const stack::StackConfig cfg = tfo_config();
  link::DirectionConfig d;
  d.delay = 5ms;
  TwoHosts w(1, d, d, cfg);
  std::vector<Seen> seen;
  w.on_send = [&](link::End from, Bytes f, Instant) {
    auto ip = wire::Ipv4Repr::parse(f.subspan(14));
    if (load_be16(f, 12) != 0x0800 || !ip.ok() || ip->protocol != 6) return;
    auto t = wire::TcpRepr::parse(ip->payload, wire::PseudoHeader{ip->src, ip->dst});
    ASSERT_TRUE(t.ok());
    seen.push_back({from, *t, ByteVec(t->payload.begin(), t->payload.end())});
  };
  tcp::TcpProtocol& st = w.b.stack.tcp();
  const auto lid = st.listen({w.b.addr, kPort}, 8).value();
  const ByteVec request = bytes_of("GET /tfo HTTP/1.1\r\nHost: 10.77.0.2\r\n\r\n");
  const ByteVec response = bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");

  ASSERT_TRUE(exchange(w, lid, request, response, false));
  ASSERT_GE(seen.size(), 2u);
  // The first SYN: a cookie request (an empty Fast Open option), no data.
  const Seen& syn1 = seen[0];
  EXPECT_EQ(syn1.from, link::End::A);
  EXPECT_EQ(syn1.seg.flags.bits, wire::TcpFlags::kSyn);
  ASSERT_TRUE(syn1.seg.options.tfo_cookie.has_value());
  EXPECT_EQ(syn1.seg.options.tfo_cookie_len, 0);
  EXPECT_TRUE(syn1.payload.empty());
  // Its SYN,ACK: the 8-byte cookie of the client's address, acking the SYN only.
  const Seen& sa1 = seen[1];
  EXPECT_EQ(sa1.from, link::End::B);
  EXPECT_EQ(sa1.seg.flags.bits, wire::TcpFlags::kSyn | wire::TcpFlags::kAck);
  EXPECT_EQ(sa1.seg.ack, syn1.seg.seq + 1);
  const auto cookie = tcp::TfoCookie::from(sa1.seg.options);
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->len, 8);
  EXPECT_EQ(*cookie, st.tfo_keys().make(w.a.addr, w.now));
  EXPECT_EQ(w.a.stack.tcp().tfo_cache().find(w.b.addr)->cookie, cookie);

  const std::size_t before = seen.size();
  std::size_t at_accept = 0;
  ASSERT_TRUE(exchange(w, lid, request, response, true, &at_accept));
  // The request was readable the moment the server accepted.
  EXPECT_EQ(at_accept, request.size());
  ASSERT_GE(seen.size(), before + 3);
  // The second SYN: the cookie and the whole request.
  const Seen& syn2 = seen[before];
  EXPECT_EQ(syn2.from, link::End::A);
  EXPECT_EQ(syn2.seg.flags.bits, wire::TcpFlags::kSyn);
  EXPECT_EQ(tcp::TfoCookie::from(syn2.seg.options), cookie);
  EXPECT_EQ(syn2.payload, request);
  // Its SYN,ACK acknowledges SYN + request and carries no cookie; the response follows
  // at once, before the client's ACK (the server answers in SYN-RECEIVED).
  const Seen& sa2 = seen[before + 1];
  EXPECT_EQ(sa2.from, link::End::B);
  EXPECT_EQ(sa2.seg.flags.bits, wire::TcpFlags::kSyn | wire::TcpFlags::kAck);
  EXPECT_EQ(sa2.seg.ack, syn2.seg.seq + 1 + static_cast<std::uint32_t>(request.size()));
  EXPECT_FALSE(sa2.seg.options.tfo_cookie.has_value());
  const Seen& data2 = seen[before + 2];
  EXPECT_EQ(data2.from, link::End::B);
  EXPECT_EQ(data2.seg.seq, sa2.seg.seq + 1);
  EXPECT_EQ(data2.payload, response);

  const auto& cs = w.a.stack.tcp().stats();
  const auto& ss = st.stats();
  EXPECT_EQ(cs.tfo_cookies_cached, 1u);
  EXPECT_EQ(cs.tfo_syn_data_sent, 1u);
  EXPECT_EQ(cs.tfo_syn_data_acked, 1u);
  EXPECT_EQ(cs.tfo_syn_data_fallback, 0u);
  EXPECT_EQ(ss.tfo_cookie_requests, 1u);
  EXPECT_EQ(ss.tfo_cookies_sent, 1u);
  EXPECT_EQ(ss.tfo_accepted, 1u);
  EXPECT_EQ(ss.tfo_cookie_invalid, 0u);
}

TEST(TfoTwoStacks, LossyLinksStillDeliverEveryByte) {
  const ByteVec request = bytes_of(std::string(300, 'q'));
  ByteVec response(5000);
  for (std::size_t i = 0; i < response.size(); ++i) response[i] = std::byte(i * 7 % 251);
  std::uint64_t accepted = 0, fallbacks = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    link::DirectionConfig d;
    d.delay = 3ms;
    d.loss = 0.15;
    TwoHosts w(seed, d, d, tfo_config());
    const auto lid = w.b.stack.tcp().listen({w.b.addr, kPort}, 8).value();
    ASSERT_TRUE(exchange(w, lid, request, response, false)) << "seed " << seed;
    ASSERT_TRUE(exchange(w, lid, request, response, true)) << "seed " << seed;
    ASSERT_TRUE(exchange(w, lid, request, response, true)) << "seed " << seed;
    accepted += w.b.stack.tcp().stats().tfo_accepted;
    fallbacks += w.a.stack.tcp().stats().tfo_syn_data_fallback +
                 w.a.stack.tcp().stats().tfo_syn_data_timeouts;
  }
  // Most SYNs with data get through; some had to fall back (no timing in this check).
  RecordProperty("accepted", std::to_string(accepted));
  RecordProperty("fallbacks", std::to_string(fallbacks));
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(fallbacks, 0u);
}

}  // namespace
}  // namespace synack::test
