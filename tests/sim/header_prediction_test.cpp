// Header prediction (Tcb::predicted) is an optimisation only: nothing on the wire, in
// the delivered bytes or in the connection's counters may tell it apart from the full
// §3.10.7.4 steps. Each scenario runs the same seeded traffic between two stacks twice,
// TcpConfig::header_prediction off and on, and every frame (its bytes, its instant, its
// direction) must be the same; with it on the fast path must actually have been taken.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "two_hosts.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;
using api::TcpListener;
using api::TcpStream;

constexpr std::uint16_t kPort = 5001;

struct Scenario {
  std::uint64_t seed = 1;
  link::DirectionConfig ab{.delay = 2ms};
  link::DirectionConfig ba{.delay = 2ms};
  std::size_t a_to_b = 400'000;  // bytes the client sends
  std::size_t b_to_a = 0;        // bytes the server sends
  bool timestamps = true;
  bool sack = true;
  bool ecn = false;
  std::size_t recv_buffer = 256 * 1024;
  Duration read_every = 1ms;  // the server application reads this often
};

struct Record {
  std::vector<std::tuple<std::int64_t, int, ByteVec>> frames;  // when, from, bytes
  std::string got_b, got_a;                                    // what each end read
  std::uint64_t predicted_acks = 0, predicted_data = 0;
  std::uint64_t retransmitted = 0;  // both ends' retransmitted segments (the same runs)
};

std::string pattern(std::size_t n, char salt) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + salt) % 26);
  return s;
}

// Writes what fits of `out` from `sent` on, reads all that is readable into `got`.
void step_app(TcpStream& s, const std::string& out, std::size_t& sent, std::string& got, bool read,
              Instant now) {
  while (sent < out.size()) {
    auto n = s.send(as_bytes(std::string_view(out).substr(sent, 16384)), now);
    if (!n.ok() || *n == 0) break;
    sent += *n;
  }
  if (!read) return;
  std::array<std::byte, 16384> buf{};
  for (;;) {
    auto n = s.receive(buf, now);
    if (!n.ok() || *n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

Record run(const Scenario& sc, bool predict) {
  stack::StackConfig cfg;
  cfg.tcp.header_prediction = predict;
  cfg.tcp.timestamps = sc.timestamps;
  cfg.tcp.sack = sc.sack;
  if (sc.ecn) cfg.tcp.defaults.ecn = tcp::EcnMode::On;
  cfg.tcp.defaults.recv_buffer = sc.recv_buffer;
  TwoHosts net(sc.seed, sc.ab, sc.ba, cfg, cfg);
  Record r;
  net.on_send = [&](link::End from, Bytes f, Instant at) {
    r.frames.emplace_back(at.nanos(), static_cast<int>(from), ByteVec(f.begin(), f.end()));
  };
  auto listener = TcpListener::listen(net.b.stack, kPort, 4);
  EXPECT_TRUE(listener.ok());
  auto client = TcpStream::connect(net.a.stack, net.b.addr, kPort, net.now);
  EXPECT_TRUE(client.ok());
  if (!listener.ok() || !client.ok()) return r;
  std::optional<TcpStream> server;
  const std::string out_a = pattern(sc.a_to_b, 1), out_b = pattern(sc.b_to_a, 2);
  std::size_t sent_a = 0, sent_b = 0;
  bool closed_a = false, closed_b = false;
  Instant next_read = net.now;
  // Last seen while the connections were there to ask (they go once both closed).
  std::uint64_t rtx_a = 0, rtx_b = 0;
  for (int i = 0; i < 600'000 && (!closed_a || !closed_b); ++i) {
    net.run_for(100us);
    if (auto st = client->stats()) rtx_a = st->retransmitted_segs;
    if (server) {
      if (auto st = server->stats()) rtx_b = st->retransmitted_segs;
    }
    if (!server) {
      if (auto s = listener->accept(net.now); s.ok()) server.emplace(std::move(*s));
    }
    if (client->state() == api::State::Established || sent_a > 0) {
      step_app(*client, out_a, sent_a, r.got_a, true, net.now);
    }
    if (server) {
      const bool read = net.now >= next_read;
      if (read) next_read = net.now + sc.read_every;
      step_app(*server, out_b, sent_b, r.got_b, read, net.now);
      if (!closed_b && sent_b == out_b.size() && r.got_b.size() == out_a.size()) {
        EXPECT_TRUE(server->close(net.now).ok());
        closed_b = true;
      }
    }
    if (!closed_a && sent_a == out_a.size() && r.got_a.size() == out_b.size()) {
      EXPECT_TRUE(client->close(net.now).ok());
      closed_a = true;
    }
  }
  net.run_for(5s);  // the FINs, their ACKs
  EXPECT_TRUE(closed_a && closed_b) << "the transfer did not finish";
  for (SimHost* h : {&net.a, &net.b}) {
    const auto& st = h->stack.tcp().stats();
    r.predicted_acks += st.predicted_acks;
    r.predicted_data += st.predicted_data;
  }
  r.retransmitted = rtx_a + rtx_b;
  EXPECT_EQ(r.got_b, out_a);
  EXPECT_EQ(r.got_a, out_b);
  return r;
}

// Runs the scenario both ways; returns the run with prediction on.
Record same_either_way(const Scenario& sc) {
  const Record off = run(sc, false);
  const Record on = run(sc, true);
  EXPECT_EQ(off.predicted_acks + off.predicted_data, 0u);
  EXPECT_EQ(on.retransmitted, off.retransmitted);
  EXPECT_EQ(on.frames.size(), off.frames.size());
  const std::size_t n = std::min(on.frames.size(), off.frames.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (on.frames[i] != off.frames[i]) {
      ADD_FAILURE() << "frame " << i << " of " << n << " differs: at " << std::get<0>(off.frames[i])
                    << " ns from " << std::get<1>(off.frames[i]) << " without prediction, at "
                    << std::get<0>(on.frames[i]) << " ns from " << std::get<1>(on.frames[i])
                    << " with it";
      break;
    }
  }
  return on;
}

TEST(HeaderPrediction, BulkOnACleanPathTakesTheFastPathAndChangesNothing) {
  const Record on = same_either_way(Scenario{});
  // The receiver's in-order data and the sender's ACKs: nearly every segment.
  EXPECT_GT(on.predicted_data, 200u);
  EXPECT_GT(on.predicted_acks, 50u);
  EXPECT_EQ(on.retransmitted, 0u);
}

TEST(HeaderPrediction, LossReorderingAndDuplicatesBothWays) {
  for (std::uint64_t seed : {3, 7, 11}) {
    SCOPED_TRACE(seed);
    Scenario sc;
    sc.seed = seed;
    for (auto* d : {&sc.ab, &sc.ba}) {
      d->loss = 0.03;
      d->reorder = 0.05;
      d->duplicate = 0.01;
      d->jitter = 1ms;
    }
    sc.b_to_a = 150'000;
    const Record on = same_either_way(sc);
    EXPECT_GT(on.retransmitted, 0u);  // the slow path's work was there to get right
    EXPECT_GT(on.predicted_acks + on.predicted_data, 0u);
  }
}

TEST(HeaderPrediction, WithoutTimestampsOrSack) {
  Scenario sc;
  sc.seed = 5;
  sc.timestamps = false;
  sc.sack = false;
  sc.ab.loss = 0.02;
  const Record on = same_either_way(sc);
  EXPECT_GT(on.predicted_data, 0u);
}

TEST(HeaderPrediction, EcnMarksAndASlowReaderThatClosesTheWindow) {
  Scenario sc;
  sc.seed = 9;
  sc.ecn = true;
  sc.ab.ce = 0.05;
  sc.recv_buffer = 16 * 1024;
  sc.read_every = 20ms;  // the window fills and reopens (zero window, probes, updates)
  const Record on = same_either_way(sc);
  EXPECT_GT(on.predicted_data, 0u);
}

}  // namespace
}  // namespace synack::test
