// A released connection in TIME-WAIT is frozen (Tcb::Frozen) and thawed when it is
// needed: nothing on the wire or in the trace may tell the two apart. Each scenario
// runs twice, TcpConfig::freeze_time_wait off and on, and every byte sent, every
// transition and every event must be the same.
#include <gtest/gtest.h>

#include "synack/tcp/tcb.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

struct Record {
  std::vector<ByteVec> wire;  // every segment, as bytes
  std::vector<std::string> trace;
  std::vector<std::string> events;
  ProtocolStats stats;
};

std::string describe(const Transition& t) {
  return std::to_string(t.conn.value) + " " + std::string(to_string(t.from)) + ">" +
         std::string(to_string(t.to)) + " " + std::to_string(t.at.nanos());
}

// Our side closes first and ends in TIME-WAIT (released); then the peer sends what
// `script` says, with time moving on, until the TIME-WAIT expires.
Record run(bool freeze, bool timestamps) {
  TcpConfig cfg;
  cfg.freeze_time_wait = freeze;
  cfg.timestamps = timestamps;
  wire::TcpOptions syn_opts = Established::mss_opt(1000);
  if (timestamps) syn_opts.timestamps = wire::TcpTimestamps{5000, 0};
  Established c(cfg, syn_opts);
  Record r;
  c.proto.set_trace([&](const Transition& t) { r.trace.push_back(describe(t)); });
  std::uint32_t tsval = 5001;
  auto from_peer = [&](std::uint8_t flags, std::uint32_t seq, Bytes data = {}) {
    SegmentIn in = c.peer.seg(flags, seq, c.nxt, 8192, data);
    if (timestamps) {
      in.seg.options.timestamps = wire::TcpTimestamps{tsval++, c.synack.options.timestamps->tsval};
    }
    c.proto.on_segment(in, c.now);
  };
  auto collect = [&] {
    for (auto& s : drain(c.proto)) {
      auto b = s.out.bytes();
      r.wire.emplace_back(b.begin(), b.end());
    }
    for (auto& e : events(c.proto)) {
      r.events.push_back(std::to_string(static_cast<int>(e.kind)) + " " +
                         std::to_string(e.conn.value));
    }
  };
  auto at = [&](std::int64_t ms) {
    c.now = at_ms(ms);
    c.proto.on_timer(c.now);
    collect();
  };
  EXPECT_TRUE(c.proto.close(c.id).ok());  // FIN
  collect();
  c.nxt += 1;
  from_peer(F::kAck | F::kFin, c.peer_seq);  // acknowledges our FIN, sends its own
  c.peer_seq += 1;
  collect();
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);
  at(10);
  from_peer(F::kAck | F::kFin, c.peer_seq - 1);  // the FIN again: ACK, timer restarts
  collect();
  at(20);
  from_peer(F::kAck, c.peer_seq - 100, as_bytes("old"));  // old data: an ACK
  collect();
  at(30);
  from_peer(F::kAck, c.peer_seq);  // a bare ACK at RCV.NXT: nothing
  collect();
  at(40);
  from_peer(F::kRst, c.peer_seq + 50);  // RST inside the window, not exact: challenge
  collect();
  at(30'000);
  at(61'000);  // past 2·MSL after the last FIN: CLOSED
  at(130'000);
  r.stats = c.proto.stats();
  EXPECT_EQ(c.proto.connection_count(), 0u);
  return r;
}

void same_with_and_without_freezing(bool timestamps) {
  const Record plain = run(false, timestamps);
  const Record frozen = run(true, timestamps);
  EXPECT_EQ(plain.stats.time_wait_frozen, 0u);
  EXPECT_GE(frozen.stats.time_wait_frozen, 4u);  // frozen again after every visit
  EXPECT_GE(frozen.stats.time_wait_thawed, 4u);
  ASSERT_GE(plain.wire.size(), 4u);  // FIN, and the ACKs TIME-WAIT owes
  EXPECT_EQ(frozen.wire, plain.wire);
  EXPECT_EQ(frozen.trace, plain.trace);
  EXPECT_EQ(frozen.events, plain.events);
  ASSERT_FALSE(frozen.trace.empty());
  EXPECT_NE(frozen.trace.back().find("TIME-WAIT>CLOSED"), std::string::npos) << frozen.trace.back();
}

TEST(TimeWaitFreeze, FrozenConnectionAnswersAsItsTcbWould) {
  same_with_and_without_freezing(false);
}

TEST(TimeWaitFreeze, FrozenConnectionAnswersAsItsTcbWouldWithTimestamps) {
  same_with_and_without_freezing(true);
}

TEST(TimeWaitFreeze, AStateQueryOrASynReopensFromFrozen) {
  TcpConfig cfg;
  Established c(cfg);
  ASSERT_TRUE(c.proto.close(c.id).ok());
  drain(c.proto);
  c.nxt += 1;
  c.proto.on_segment(c.peer.seg(F::kAck | F::kFin, c.peer_seq, c.nxt, 8192), c.now);
  c.peer_seq += 1;
  drain(c.proto);
  EXPECT_EQ(c.proto.stats().time_wait_frozen, 1u);
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);  // answered from the frozen state
  EXPECT_EQ(c.proto.tcb(c.id), nullptr);
  EXPECT_EQ(c.proto.time_wait_count(), 1u);
  EXPECT_EQ(c.proto.connection_count(), 1u);
  // The application may still call on the id it released: the connection is thawed
  // for the call (end of stream: 0) and frozen again after it (fuzz_stack found a
  // receive() that read the Tcb after that).
  std::byte buf[16];
  auto r = c.proto.receive(c.id, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 0u);
  EXPECT_EQ(c.proto.stats().time_wait_thawed, 1u);
  EXPECT_EQ(c.proto.stats().time_wait_frozen, 2u);
  // §3.6.1 MAY-2: a new SYN beyond the old sequence space reopens the 4-tuple.
  c.proto.on_segment(c.peer.seg(F::kSyn, c.peer_seq + 100000, 0, 8192), c.now);
  auto out = drain(c.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), "S.");
  EXPECT_EQ(c.proto.stats().time_wait_thawed, 2u);
  EXPECT_EQ(c.proto.time_wait_count(), 0u);
}

}  // namespace
}  // namespace synack::tcp::testing
