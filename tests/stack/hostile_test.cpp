// Issue 6, "Bounded resources": nothing a peer sends can exhaust us. Hostile peers
// (hostile_rig.hpp) attack a server Stack with out-of-order floods, a zero window
// kept forever, connections that never read, tiny segments and a SYN flood; each
// test checks the limit of TcpConfig that must bite, its counter, the memory the
// server holds, and that the data the server did keep is delivered byte for byte.
// The last test runs an honest bulk transfer alone and under all attacks at once,
// in virtual time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <vector>

#include "hostile_rig.hpp"

namespace synack::stack::test::hostile {
namespace {

using namespace std::chrono_literals;
using tcp::ConnId;
using tcp::Endpoint;
using tcp::ListenerId;
using tcp::SocketOptions;

constexpr std::size_t KiB = 1024;

ByteVec random_stream(std::size_t n, std::uint64_t seed) {
  SeededRandom r(seed);
  ByteVec v(n);
  for (auto& b : v) b = std::byte{static_cast<std::uint8_t>(r.next_u32())};
  return v;
}

Bytes slice(const ByteVec& v, std::size_t from, std::size_t to) {
  return Bytes(v).subspan(from, to - from);
}

// Everything readable on `id`, appended to `into`.
void read_all(tcp::TcpProtocol& p, ConnId id, ByteVec& into) {
  std::byte buf[16 * KiB];
  for (int i = 0; i < 100000; ++i) {
    auto r = p.receive(id, buf);
    if (!r.ok() || r.value() == 0) return;
    into.insert(into.end(), buf, buf + r.value());
  }
}

SocketOptions buffers(std::size_t send, std::size_t recv) {
  SocketOptions o;
  o.send_buffer = send;
  o.recv_buffer = recv;
  return o;
}

ListenerId listen_on(Rig& rig, std::uint16_t port, std::uint32_t backlog, const SocketOptions& o) {
  auto l = rig.stcp().listen(Endpoint{Ipv4Addr::any(), port}, backlog, o);
  EXPECT_TRUE(l.ok());
  return l.ok() ? *l : ListenerId{};
}

std::uint32_t rcv_nxt(Rig& rig, ConnId id) {
  const tcp::Tcb* t = rig.stcp().tcb(id);
  return t == nullptr ? 0 : t->rcv_nxt().raw();
}

// ---------------------------------------------------------------------------
// 1. Out-of-order flood: thousands of segments, each leaving a 1-byte hole before
// it, in random order over the whole receive window. No two segments touch, so
// every kept segment is one interval of the assembler until the holes are filled.

struct OooCase {
  const char* name;
  std::uint32_t max_segments;
  std::size_t max_bytes;
  bool segments_bite;  // which cap is the tighter one for this flood
};

void PrintTo(const OooCase& c, std::ostream* os) {
  *os << c.name << " (max_ooo_segments " << c.max_segments << ", max_ooo_bytes " << c.max_bytes
      << ")";
}

class OooFlood : public ::testing::TestWithParam<OooCase> {};

struct Slot {
  std::uint32_t start;  // the hole (offset from the first byte expected)
  std::uint32_t end;    // the segment is [start + 1, end)
};

std::vector<Slot> make_slots(std::uint32_t span, SeededRandom& r) {
  std::vector<Slot> slots;
  std::uint32_t off = 0;
  while (off + 17 <= span) {
    const auto len = static_cast<std::uint32_t>(2 + r.below(15));  // 1..15 data bytes
    slots.push_back(Slot{off, off + len});
    off += len;
  }
  return slots;
}

TEST_P(OooFlood, HolesAtRandomOffsetsStayUnderTheCapsAndKeptDataIsDeliveredExactly) {
  const OooCase& p = GetParam();
  StackConfig cfg;
  cfg.tcp.max_ooo_segments = p.max_segments;
  cfg.tcp.max_ooo_bytes = p.max_bytes;
  Rig rig(cfg);
  const SocketOptions o = buffers(8 * KiB, 32 * KiB);
  const ListenerId lid = listen_on(rig, 81, 8, o);
  Attacker& a = rig.add_attacker();
  auto c = rig.open_raw(a, 5000, 81);
  ASSERT_TRUE(c.has_value());
  auto id = rig.stcp().accept(lid);
  ASSERT_TRUE(id.ok());
  const std::uint32_t base = c->snd_nxt;  // RCV.NXT of the server
  const std::uint32_t span = c->wnd;      // the window offered in the SYN,ACK
  ASSERT_EQ(span, o.recv_buffer);

  SeededRandom r(42);
  std::vector<Slot> slots = make_slots(span, r);
  ASSERT_GT(slots.size(), 3000u);
  std::vector<std::size_t> order(slots.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[r.below(i + 1)]);
  const ByteVec stream = random_stream(span, 43);

  const std::uint64_t dropped0 = rig.stcp().stats().ooo_dropped;
  // The server sends no data, so its send ring allocates nothing (rings are lazy):
  // the whole connection must fit in its receive buffer.
  const std::size_t mem_cap = o.recv_buffer;
  std::size_t max_mem = 0;
  for (std::size_t k : order) {
    const Slot& s = slots[k];
    rig.send_raw(*c, slice(stream, s.start + 1, s.end), base + s.start + 1);
    max_mem = std::max(max_mem, rig.stcp().memory_in_use());
    ASSERT_EQ(rcv_nxt(rig, *id), base) << "a hole was filled by nobody";
  }
  (void)rig.take(a, c->sport);
  EXPECT_LE(max_mem, mem_cap);
  EXPECT_LE(rig.stcp().memory_in_use(), rig.stcp().memory_reserved());
  const std::uint64_t dropped = rig.stcp().stats().ooo_dropped - dropped0;
  EXPECT_GT(dropped, 0u);

  // Fill the holes in order. A kept segment makes RCV.NXT jump to its end; a dropped
  // one leaves RCV.NXT just past the hole, and is sent again, now in order.
  std::size_t kept = 0, kept_bytes = 0;
  for (const Slot& s : slots) {
    rig.send_raw(*c, slice(stream, s.start, s.start + 1), base + s.start);
    const std::uint32_t got = rcv_nxt(rig, *id) - base;
    if (got == s.end) {
      ++kept;
      kept_bytes += s.end - s.start - 1;
      continue;
    }
    ASSERT_EQ(got, s.start + 1) << "slot at " << s.start;
    rig.send_raw(*c, slice(stream, s.start + 1, s.end), base + s.start + 1);
    ASSERT_EQ(rcv_nxt(rig, *id) - base, s.end) << "slot at " << s.start;
  }
  const std::uint32_t tail = slots.back().end;
  rig.send_raw(*c, slice(stream, tail, span), base + tail);
  ASSERT_EQ(rcv_nxt(rig, *id) - base, span);

  ByteVec got;
  read_all(rig.stcp(), *id, got);
  EXPECT_TRUE(got == stream) << "delivered " << got.size() << " of " << span << " bytes";
  // The assembler held `kept` intervals at the end of the flood (none touch, none
  // were delivered): its peak, since intervals never merged during the flood.
  EXPECT_LE(kept, p.max_segments);
  EXPECT_LE(kept_bytes, p.max_bytes);
  EXPECT_EQ(kept + dropped, slots.size()) << "every out-of-order segment is kept or counted";
  if (p.segments_bite) {
    EXPECT_EQ(kept, p.max_segments) << "the cap kept fewer intervals than it allows";
  } else {
    // Greedy: once full, only a segment of at most the room left could still fit.
    EXPECT_GT(kept_bytes + 15, p.max_bytes) << "the byte cap kept far less than it allows";
  }
}

INSTANTIATE_TEST_SUITE_P(Hostile, OooFlood,
                         ::testing::Values(OooCase{"Segments", 64, 256 * KiB, true},
                                           OooCase{"Bytes", 4096, 2000, false}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------
// 2. Zero window forever. RFC 9293 §3.8.6.1: "As long as the receiving TCP peer
// continues to send acknowledgments in response to the probe segments, the sending
// TCP peer MUST allow the connection to stay open (MUST-37)", and it "SHOULD send
// the first zero-window probe when a zero window has existed for the retransmission
// timeout period (SHLD-29) ..., and SHOULD increase exponentially the interval
// between successive probes (SHLD-30)". Meanwhile the full send buffer is all the
// memory the connection holds, for hours.

TEST(HostileZeroWindow, ProbesBackOffExponentiallyAndMemoryStaysAtTheSendCapForHours) {
  StackConfig cfg;
  Rig rig(cfg);
  const SocketOptions o = buffers(64 * KiB, 16 * KiB);
  const ListenerId lid = listen_on(rig, 82, 8, o);
  Attacker& a = rig.add_attacker();
  auto c = rig.open_raw(a, 5001, 82, /*our_wnd=*/0);
  ASSERT_TRUE(c.has_value());
  auto id = rig.stcp().accept(lid);
  ASSERT_TRUE(id.ok());

  const ByteVec chunk = random_stream(4 * KiB, 5);
  std::size_t written = 0;
  std::optional<tcp::SendError> stop;
  for (int i = 0; i < 1000 && !stop; ++i) {
    auto w = rig.stcp().send(*id, chunk);
    if (!w.ok()) {
      stop = w.error();
    } else {
      written += w.value();
    }
  }
  rig.flush();
  ASSERT_EQ(stop, tcp::SendError::WouldBlock);
  EXPECT_EQ(written, o.send_buffer);
  const std::size_t mem_full = rig.stcp().memory_in_use();
  EXPECT_GE(mem_full, o.send_buffer);
  EXPECT_LE(mem_full, o.send_buffer + o.recv_buffer);

  // The peer ACKs everything at once, window still 0, for four hours.
  std::vector<Instant> probes;
  std::size_t data_bytes_seen = 0;
  const Instant end = rig.now + 4h;
  for (int i = 0; i < 100000 && rig.now < end; ++i) {
    rig.run_until_true([&] { return a.inbox.contains(c->sport); }, end - rig.now);
    for (const Seen& s : rig.update(*c)) {
      probes.push_back(s.at);
      data_bytes_seen += s.data.size();
      rig.ack_raw(*c);
    }
    ASSERT_EQ(rig.stcp().state(*id), tcp::State::Established)
        << "aborted at probe " << probes.size();
    ASSERT_EQ(rig.stcp().memory_in_use(), mem_full);
  }
  ASSERT_GE(probes.size(), 10u);
  const auto st = rig.stcp().conn_stats(*id);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->zero_window_probes, probes.size());
  EXPECT_LE(data_bytes_seen, probes.size()) << "a probe carries at most one octet";
  EXPECT_EQ(rig.stcp().send_space(*id), 0u);

  std::vector<Duration> gaps;
  for (std::size_t i = 1; i < probes.size(); ++i) gaps.push_back(probes[i] - probes[i - 1]);
  for (std::size_t i = 1; i < gaps.size(); ++i) {
    EXPECT_GE(gaps[i], gaps[i - 1]) << "probe interval shrank at " << i;
  }
  // SHLD-30: the first intervals double (not grow by a constant).
  EXPECT_GE(gaps[1].count(), gaps[0].count() * 19 / 10);
  EXPECT_GE(gaps[2].count(), gaps[1].count() * 19 / 10);
  // Capped: still probing in the last hour, never rarer than max_rto.
  EXPECT_LE(gaps.back(), cfg.tcp.max_rto);
  EXPECT_GT(probes.back(), end - 1h);
}

// ---------------------------------------------------------------------------
// 3. Connections that never read (the server's app never reads them): each holds at
// most its receive buffer; the memory budget refuses the ones beyond it, gracefully,
// and the existing ones keep working.

// Sends data on `c` until the server's window is closed and everything is ACKed.
std::size_t fill_window(Rig& rig, RawConn& c, const ByteVec& stream) {
  std::size_t sent = 0;
  for (int i = 0; i < 1000; ++i) {
    rig.update(c);
    const std::uint32_t room = c.usable();
    if (room == 0 && c.acked == c.snd_nxt) break;
    const std::size_t n = std::min<std::size_t>({room, 1000, stream.size() - sent});
    if (n > 0) {
      rig.send_raw(c, slice(stream, sent, sent + n));
      sent += n;
    }
    rig.run_for(50ms);  // delayed ACKs and window updates
  }
  return sent;
}

TEST(HostileNeverRead, EachHoldsItsReceiveBufferAndTheBudgetRefusesTheRest) {
  StackConfig cfg;
  const SocketOptions o = buffers(16 * KiB, 16 * KiB);
  constexpr std::size_t kFit = 6;
  cfg.tcp.memory_budget = kFit * (o.send_buffer + o.recv_buffer);
  Rig rig(cfg);
  const ListenerId lid = listen_on(rig, 83, 64, o);
  Attacker& a = rig.add_attacker();
  const ByteVec stream = random_stream(64 * KiB, 6);

  std::vector<RawConn> conns;
  std::vector<ConnId> ids;
  std::size_t refused = 0;
  for (std::uint16_t i = 0; i < 10; ++i) {
    const auto before = rig.stcp().stats().refused_memory_budget;
    auto c = rig.open_raw(a, static_cast<std::uint16_t>(6000 + i), 83);
    EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.memory_budget);
    if (!c) {
      ++refused;
      EXPECT_EQ(rig.stcp().stats().refused_memory_budget, before + 1);
      EXPECT_TRUE(rig.take(a, static_cast<std::uint16_t>(6000 + i)).empty()) << "SYN answered";
      continue;
    }
    auto id = rig.stcp().accept(lid);
    ASSERT_TRUE(id.ok());
    const std::size_t sent = fill_window(rig, *c, stream);
    const tcp::Tcb* t = rig.stcp().tcb(*id);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->readable(), sent);
    EXPECT_LE(t->readable(), o.recv_buffer);
    EXPECT_GT(t->readable(), o.recv_buffer / 2) << "the window closed early";
    EXPECT_LE(t->memory_allocated(), o.recv_buffer);  // nothing sent: no send ring memory
    EXPECT_LE(rig.stcp().memory_in_use(), rig.stcp().memory_reserved());
    conns.push_back(*c);
    ids.push_back(*id);
  }
  EXPECT_EQ(conns.size(), kFit);
  EXPECT_LE(rig.stcp().memory_in_use(), kFit * o.recv_buffer);
  EXPECT_EQ(refused, 10 - kFit);
  EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.memory_budget);

  // Our own active open is refused by the same budget.
  auto own = rig.stcp().connect(Endpoint{rig.server_addr, 0}, Endpoint{a.addr, 9}, rig.now, o);
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error(), tcp::ConnectError::NoMemory);
  EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.memory_budget);

  // Nor may an admitted connection grow its buffers past the budget.
  const std::size_t reserved = rig.stcp().memory_reserved();
  auto grow = rig.stcp().set_options(ids[2], buffers(o.send_buffer, 2 * o.recv_buffer));
  ASSERT_FALSE(grow.ok());
  EXPECT_EQ(grow.error(), tcp::OptionError::InvalidValue);
  EXPECT_EQ(rig.stcp().options(ids[2])->recv_buffer, o.recv_buffer);
  EXPECT_EQ(rig.stcp().memory_reserved(), reserved);

  // An existing connection keeps working: the app reads it, the window reopens, the
  // peer sends more, and the bytes are the peer's.
  ByteVec got;
  read_all(rig.stcp(), ids[0], got);
  rig.flush();
  rig.run_for(100ms);
  const std::size_t first = got.size();
  EXPECT_TRUE(std::equal(got.begin(), got.end(), stream.begin()));
  const std::size_t more = fill_window(
      rig, conns[0], ByteVec(stream.begin() + static_cast<std::ptrdiff_t>(first), stream.end()));
  EXPECT_GT(more, 0u) << "the window never reopened";
  read_all(rig.stcp(), ids[0], got);
  EXPECT_EQ(got.size(), first + more);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), stream.begin()));

  // Releasing one connection returns its share: a new connection is admitted.
  ASSERT_TRUE(rig.stcp().abort(ids[1]).ok());
  rig.flush();
  EXPECT_TRUE(rig.open_raw(a, 6100, 83).has_value());
  EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.memory_budget);
}

// ---------------------------------------------------------------------------
// 4. Tiny segments: 1-byte segments in order and out of order. Every one counted,
// the data intact, and memory does not grow with the number of segments.

TEST(HostileTinySegments, OneByteSegmentsAreCountedDeliveredAndCostNoMemoryPerSegment) {
  StackConfig cfg;
  Rig rig(cfg);
  const SocketOptions o = buffers(8 * KiB, 8 * KiB);
  const ListenerId lid = listen_on(rig, 84, 8, o);
  Attacker& a = rig.add_attacker();
  auto c = rig.open_raw(a, 5002, 84);
  ASSERT_TRUE(c.has_value());
  auto id = rig.stcp().accept(lid);
  ASSERT_TRUE(id.ok());
  constexpr std::size_t kInOrder = 3000, kBlock = 128;
  const ByteVec stream = random_stream(kInOrder + kBlock, 7);
  const tcp::ConnStats s0 = *rig.stcp().conn_stats(*id);
  const std::size_t mem_cap = o.recv_buffer;  // nothing sent: no send ring memory

  ByteVec got;
  std::size_t mem_early = 0;
  for (std::size_t i = 0; i < kInOrder; ++i) {
    rig.send_raw(*c, slice(stream, i, i + 1));
    if (i % 100 == 99) read_all(rig.stcp(), *id, got);
    const std::size_t mem = rig.stcp().memory_in_use();
    ASSERT_LE(mem, mem_cap);
    if (i < 100) mem_early = std::max(mem_early, mem);
    ASSERT_LE(mem, mem_early) << "memory grew at segment " << i;
  }
  rig.run_for(1s);
  const tcp::ConnStats s1 = *rig.stcp().conn_stats(*id);
  EXPECT_EQ(s1.segs_in - s0.segs_in, kInOrder);
  EXPECT_EQ(s1.bytes_in - s0.bytes_in, kInOrder);

  // Out of order: the 64 odd offsets of a block (64 separate intervals, exactly the
  // default max_ooo_segments), then the even ones downwards, offset 0 last.
  const std::uint64_t dropped0 = rig.stcp().stats().ooo_dropped;
  const std::uint32_t base = c->snd_nxt;
  auto one = [&](std::size_t off) {
    rig.send_raw(*c, slice(stream, kInOrder + off, kInOrder + off + 1),
                 base + static_cast<std::uint32_t>(off));
  };
  for (std::size_t off = 1; off < kBlock; off += 2) one(off);
  for (std::size_t off = kBlock - 2; off >= 2; off -= 2) one(off);
  EXPECT_EQ(rcv_nxt(rig, *id), base);
  one(0);
  EXPECT_EQ(rcv_nxt(rig, *id), base + kBlock);
  EXPECT_LE(rig.stcp().memory_in_use(), mem_early);
  read_all(rig.stcp(), *id, got);
  EXPECT_TRUE(got == stream) << "delivered " << got.size() << " bytes";
  const tcp::ConnStats s2 = *rig.stcp().conn_stats(*id);
  EXPECT_EQ(s2.ooo_segs_in - s1.ooo_segs_in, kBlock - 1);
  EXPECT_EQ(s2.segs_in - s1.segs_in, kBlock);
  EXPECT_EQ(rig.stcp().stats().ooo_dropped, dropped0);
}

// ---------------------------------------------------------------------------
// 5. SYN flood at a listener without SYN cookies: the SYN queue bounds the
// embryonic connections; the rest is dropped and counted (RFC 4987 §3.1).

TEST(HostileSynFlood, TheSynQueueBoundsEmbryonicConnections) {
  StackConfig cfg;
  cfg.tcp.syn_queue = 8;
  cfg.tcp.syn_cookies = tcp::SynCookies::Never;
  Rig rig(cfg);
  const SocketOptions o = buffers(16 * KiB, 16 * KiB);
  const ListenerId lid = listen_on(rig, 85, 128, o);
  Attacker& a = rig.add_attacker();
  const auto dropped0 = rig.stcp().stats().dropped_syn_queue_full;
  constexpr std::uint16_t kSyns = 5000;
  std::size_t peak = 0;
  for (std::uint16_t i = 0; i < kSyns; ++i) {
    const auto port = static_cast<std::uint16_t>(10000 + i);
    rig.inject(a, RawSeg{port, 85, 77u * i, 0, F::kSyn, 65535, {}, 1460});
    peak = std::max(peak, rig.stcp().connection_count());
  }
  std::size_t answered = 0;
  for (auto& [port, segs] : a.inbox) {
    answered +=
        std::any_of(segs.begin(), segs.end(), [](const Seen& s) { return s.seg.flags.syn(); });
  }
  EXPECT_LE(peak, cfg.tcp.syn_queue);
  EXPECT_EQ(answered, cfg.tcp.syn_queue);
  EXPECT_EQ(rig.stcp().stats().dropped_syn_queue_full - dropped0, kSyns - cfg.tcp.syn_queue);
  EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.syn_queue * (o.send_buffer + o.recv_buffer));
  EXPECT_FALSE(rig.stcp().accept(lid).ok());

  // The embryonic connections give up (SYN,ACK retransmissions unanswered): the
  // queue drains and an honest client gets in.
  rig.run_for(10min);
  EXPECT_EQ(rig.stcp().connection_count(), 0u);
  auto cid = rig.client.tcp().connect(Endpoint{rig.client_addr, 0}, Endpoint{rig.server_addr, 85},
                                      rig.now);
  ASSERT_TRUE(cid.ok());
  rig.flush();
  rig.run_for(1s);
  EXPECT_EQ(rig.client.tcp().state(*cid), tcp::State::Established);
  EXPECT_TRUE(rig.stcp().accept(lid).ok());
}

// The listen() backlog bounds the accept queue: completed handshakes the app does
// not accept() are held up to the backlog, no more.
TEST(HostileSynFlood, TheBacklogBoundsTheAcceptQueue) {
  StackConfig cfg;
  cfg.tcp.syn_queue = 8;
  cfg.tcp.syn_cookies = tcp::SynCookies::Never;
  Rig rig(cfg);
  constexpr std::uint32_t kBacklog = 4;
  const ListenerId lid = listen_on(rig, 86, kBacklog, buffers(16 * KiB, 16 * KiB));
  Attacker& a = rig.add_attacker();
  std::size_t peak = 0;
  for (std::uint16_t i = 0; i < 20; ++i) {
    (void)rig.open_raw(a, static_cast<std::uint16_t>(7000 + i), 86, 65535, 100ms);
    peak = std::max(peak, rig.stcp().connection_count());
  }
  EXPECT_LE(peak, kBacklog + cfg.tcp.syn_queue);
  EXPECT_GT(rig.stcp().stats().dropped_accept_queue_full, 0u);
  std::size_t accepted = 0;
  while (rig.stcp().accept(lid).ok() && accepted < 100) ++accepted;
  EXPECT_EQ(accepted, kBacklog);
}

// max_connections: the whole TcpProtocol's connection table.
TEST(HostileLimits, MaxConnectionsRefusesSynsAndConnect) {
  StackConfig cfg;
  cfg.tcp.max_connections = 5;
  Rig rig(cfg);
  const SocketOptions o = buffers(16 * KiB, 16 * KiB);
  const ListenerId lid = listen_on(rig, 87, 64, o);
  Attacker& a = rig.add_attacker();
  std::vector<RawConn> conns;
  for (std::uint16_t i = 0; i < 5; ++i) {
    auto c = rig.open_raw(a, static_cast<std::uint16_t>(8000 + i), 87);
    ASSERT_TRUE(c.has_value()) << i;
    conns.push_back(*c);
  }
  const auto refused0 = rig.stcp().stats().refused_max_connections;
  EXPECT_FALSE(rig.open_raw(a, 8100, 87).has_value());
  EXPECT_TRUE(rig.take(a, 8100).empty()) << "the refused SYN was answered";
  EXPECT_EQ(rig.stcp().stats().refused_max_connections, refused0 + 1);
  auto own = rig.stcp().connect(Endpoint{rig.server_addr, 0}, Endpoint{a.addr, 9}, rig.now, o);
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error(), tcp::ConnectError::TooManyConnections);
  EXPECT_EQ(rig.stcp().stats().refused_max_connections, refused0 + 2);
  EXPECT_EQ(rig.stcp().connection_count(), 5u);

  // The admitted ones still work.
  auto id = rig.stcp().accept(lid);
  ASSERT_TRUE(id.ok());
  const ByteVec data = random_stream(500, 8);
  rig.send_raw(conns[0], data);
  ByteVec got;
  read_all(rig.stcp(), *id, got);
  EXPECT_TRUE(got == data);
}

// max_buffer: the largest buffer one socket may ask for.
TEST(HostileLimits, MaxBufferBoundsWhatASocketMayAskFor) {
  StackConfig cfg;
  cfg.tcp.max_buffer = 64 * KiB;
  Rig rig(cfg);
  Attacker& a = rig.add_attacker();
  auto too_big = rig.stcp().connect(Endpoint{rig.server_addr, 0}, Endpoint{a.addr, 9}, rig.now,
                                    buffers(16 * KiB, 64 * KiB + 1));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error(), tcp::ConnectError::InvalidOption);
  auto fits = rig.stcp().connect(Endpoint{rig.server_addr, 0}, Endpoint{a.addr, 9}, rig.now,
                                 buffers(64 * KiB, 64 * KiB));
  ASSERT_TRUE(fits.ok());
  auto grow = rig.stcp().set_options(*fits, buffers(64 * KiB + 1, 64 * KiB));
  ASSERT_FALSE(grow.ok());
  EXPECT_EQ(grow.error(), tcp::OptionError::InvalidValue);
  EXPECT_EQ(rig.stcp().options(*fits)->send_buffer, 64 * KiB);
  EXPECT_EQ(rig.stcp().memory_reserved(), 128 * KiB);
}

// ---------------------------------------------------------------------------
// 6. Throughput isolation. An honest client downloads 4 MiB from the server over a
// 100 Mbit/s, 2 ms SimLink, once alone and once while the attacks of tests 1-5 hit
// the same server stack. Everything the server sends, to the client or to the
// attackers, leaves through that one uplink, so the attacks cost the honest flow
// exactly what they make the server send (dup ACKs, SYN,ACKs, probes, window
// updates) plus whatever the limits take from it (none: the honest connection was
// admitted before the attack and its buffers are reserved). The replies are about a
// tenth of the uplink in this setup; 1.5x leaves room for that and for the
// queueing they add to the honest ACK clock, and fails if an attack starves the
// honest flow (e.g. a shared limit or timer it exhausts). Virtual time only: the
// ratio is deterministic, not a measurement of the machine.

constexpr std::size_t kHonestBytes = 4 * 1024 * KiB;
constexpr std::uint16_t kHonestPort = 80;
const SocketOptions kHostileOpts = buffers(16 * KiB, 16 * KiB);

link::DirectionConfig lan() {
  link::DirectionConfig d;
  d.delay = 2ms;
  d.rate_bps = 100'000'000;
  return d;
}

StackConfig isolation_config() {
  StackConfig c;
  c.tcp.syn_queue = 8;
  c.tcp.syn_cookies = tcp::SynCookies::Never;
  // The honest connection (default buffers) and 20 hostile ones.
  c.tcp.memory_budget = 2 * 256 * KiB + 20 * (kHostileOpts.send_buffer + kHostileOpts.recv_buffer);
  return c;
}

struct Honest {
  ConnId client_side;
  ConnId server_side;
  ByteVec stream = random_stream(kHonestBytes, 60);
  std::size_t written = 0;
  ByteVec got;

  void connect(Rig& rig) {
    const ListenerId lid = listen_on(rig, kHonestPort, 8, SocketOptions{});
    auto c = rig.client.tcp().connect(Endpoint{rig.client_addr, 0},
                                      Endpoint{rig.server_addr, kHonestPort}, rig.now);
    ASSERT_TRUE(c.ok());
    client_side = *c;
    rig.flush();
    std::optional<ConnId> s;
    rig.run_until_true(
        [&] {
          if (auto a = rig.stcp().accept(lid); a.ok()) s = *a;
          return s.has_value();
        },
        5s);
    ASSERT_TRUE(s.has_value());
    server_side = *s;
  }
  // One application step: the server writes what fits, the client reads it all.
  void step(Rig& rig) {
    for (int i = 0; i < 64 && written < stream.size(); ++i) {
      auto w = rig.stcp().send(server_side,
                               slice(stream, written, std::min(written + 64 * KiB, stream.size())));
      if (!w.ok() || w.value() == 0) break;
      written += w.value();
    }
    read_all(rig.client.tcp(), client_side, got);
  }
  bool done() const { return got.size() >= stream.size(); }
};

// The attacks of tests 1-5, all at once, one tick at a time.
struct Attack {
  SeededRandom r{99};
  Attacker* ooo_host = nullptr;
  Attacker* flood_host = nullptr;
  Attacker* hoard_host = nullptr;
  std::optional<RawConn> ooo, zero, tiny;
  std::optional<ConnId> tiny_id;
  std::vector<RawConn> hoarders;  // never-read connections
  ByteVec junk = random_stream(64 * KiB, 61);
  std::uint16_t syn_port = 20000;
  std::uint16_t hoard_port = 3000;
  std::size_t tiny_sent = 0;
  ByteVec tiny_got;

  void setup(Rig& rig) {
    std::map<std::uint16_t, ListenerId> lid;
    for (std::uint16_t p : {81, 82, 83, 84, 85}) lid[p] = listen_on(rig, p, 64, kHostileOpts);
    ooo_host = &rig.add_attacker();
    Attacker& zw_host = rig.add_attacker();
    Attacker& tiny_host = rig.add_attacker();
    hoard_host = &rig.add_attacker();
    flood_host = &rig.add_attacker();
    ooo = rig.open_raw(*ooo_host, 1000, 81);
    zero = rig.open_raw(zw_host, 1000, 82, 0);
    tiny = rig.open_raw(tiny_host, 1000, 84);
    ASSERT_TRUE(ooo && zero && tiny);
    // The zero-window connection's server app fills its send buffer.
    auto zid = rig.stcp().accept(lid[82]);
    ASSERT_TRUE(zid.ok());
    for (int i = 0; i < 100 && rig.stcp().send(*zid, junk).value_or(0) > 0; ++i) {
    }
    EXPECT_EQ(rig.stcp().send_space(*zid), 0u);
    if (auto id = rig.stcp().accept(lid[84]); id.ok()) tiny_id = *id;
    ASSERT_TRUE(tiny_id.has_value());
    rig.flush();
  }

  void tick(Rig& rig) {
    flood_ooo(rig);
    rig.update(*zero);
    rig.ack_raw(*zero);
    tiny_segments(rig);
    hoard(rig);
    syn_flood(rig);
  }

  // Test 1: segments with a hole before each, anywhere in the window.
  void flood_ooo(Rig& rig) {
    rig.update(*ooo);
    for (int i = 0; i < 16 && ooo->wnd > 64; ++i) {
      const auto off = static_cast<std::uint32_t>(1 + r.below(ooo->wnd - 48));
      const auto len = static_cast<std::size_t>(1 + r.below(32));
      rig.send_raw(*ooo, slice(junk, 0, len), ooo->snd_nxt + off);
    }
  }
  // Test 4: 1-byte segments in order, and one out of order, read by the server app.
  void tiny_segments(Rig& rig) {
    rig.update(*tiny);
    for (int i = 0; i < 8; ++i) {
      rig.send_raw(*tiny, slice(junk, tiny_sent % junk.size(), tiny_sent % junk.size() + 1));
      ++tiny_sent;
    }
    const std::size_t ahead = (tiny_sent + 3) % junk.size();
    rig.send_raw(*tiny, slice(junk, ahead, ahead + 1), tiny->snd_nxt + 3);
    read_all(rig.stcp(), *tiny_id, tiny_got);
  }
  // Test 3: connections that fill their window and never read; a new one every tick.
  void hoard(Rig& rig) {
    for (RawConn& c : hoarders) {
      rig.update(c);
      if (c.usable() > 0) rig.send_raw(c, slice(junk, 0, std::min<std::size_t>(c.usable(), 1000)));
    }
    // What is left in the inbox is for new ports: complete those that were answered.
    for (auto it = hoard_host->inbox.begin(); it != hoard_host->inbox.end();
         it = hoard_host->inbox.erase(it)) {
      auto syn = std::find_if(it->second.begin(), it->second.end(),
                              [](const Seen& s) { return s.seg.flags.syn(); });
      if (syn == it->second.end()) continue;
      RawConn c{hoard_host, it->first, 83};
      c.snd_nxt = syn->seg.ack.raw();
      c.acked = c.snd_nxt;
      c.rcv_nxt = syn->seg.seq.raw() + 1;
      c.wnd = syn->seg.window;
      hoarders.push_back(c);
      rig.ack_raw(c);
    }
    const std::uint16_t port = hoard_port++;
    rig.inject(*hoard_host, RawSeg{port, 83, 500u * port, 0, F::kSyn, 65535, {}, 1460});
  }
  // Test 5: SYNs that never complete.
  void syn_flood(Rig& rig) {
    for (int i = 0; i < 16; ++i) {
      const std::uint16_t port = syn_port++;
      rig.inject(*flood_host, RawSeg{port, 85, 77u * port, 0, F::kSyn, 65535, {}, 1460});
    }
    flood_host->inbox.clear();
  }
};

// Runs the honest transfer to its end (bounded); returns its virtual duration.
Duration transfer(Rig& rig, Honest& h, Attack* attack, const StackConfig& cfg) {
  const Instant start = rig.now;
  for (int i = 0; i < 60000 && !h.done(); ++i) {
    h.step(rig);
    if (attack != nullptr) attack->tick(rig);
    rig.flush();
    rig.run_for(1ms);
    EXPECT_LE(rig.stcp().memory_reserved(), cfg.tcp.memory_budget);
    EXPECT_LE(rig.stcp().memory_in_use(), rig.stcp().memory_reserved());
  }
  return rig.now - start;
}

TEST(HostileIsolation, AnHonestTransferKeepsItsThroughputUnderAllAttacks) {
  const StackConfig cfg = isolation_config();
  Duration alone{0};
  {
    Rig rig(cfg, lan());
    Honest h;
    h.connect(rig);
    alone = transfer(rig, h, nullptr, cfg);
    ASSERT_TRUE(h.done());
    EXPECT_TRUE(h.got == h.stream);
  }
  Rig rig(cfg, lan());
  Honest h;
  h.connect(rig);
  Attack attack;
  attack.setup(rig);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::uint64_t uplink0 = rig.link.stats(link::End::B).bytes_sent;
  std::uint64_t hostile0 = 0;
  for (auto& a : rig.attackers) hostile0 += a->bytes_in;
  const Duration attacked = transfer(rig, h, &attack, cfg);
  ASSERT_TRUE(h.done()) << "the honest transfer did not finish";
  EXPECT_TRUE(h.got == h.stream);

  std::uint64_t hostile = 0;
  for (auto& a : rig.attackers) hostile += a->bytes_in;
  hostile -= hostile0;
  const std::uint64_t uplink = rig.link.stats(link::End::B).bytes_sent - uplink0;
  const double ratio = static_cast<double>(attacked.count()) / static_cast<double>(alone.count());
  std::cout << "honest 4 MiB: alone " << alone.count() / 1'000'000 << " ms, attacked "
            << attacked.count() / 1'000'000 << " ms (x" << ratio << "); uplink " << uplink
            << " B, of it to attackers " << hostile << " B\n";
  EXPECT_LE(ratio, 1.5);
  // The attacks did bite while the honest flow went on.
  const tcp::ProtocolStats& st = rig.stcp().stats();
  EXPECT_GT(st.ooo_dropped, 0u);
  EXPECT_GT(st.dropped_syn_queue_full + st.refused_memory_budget, 0u);
  EXPECT_GT(st.refused_memory_budget, 0u);
  EXPECT_GT(attack.tiny_got.size(), 0u);
  EXPECT_TRUE(std::equal(attack.tiny_got.begin(), attack.tiny_got.end(), attack.junk.begin()));
}

}  // namespace
}  // namespace synack::stack::test::hostile
