// Two TcpProtocol instances on a virtual clock, joined by an impaired "wire" written
// here: seeded loss, duplication and reordering. Every byte must arrive exactly once,
// in order, and both ends must finish in CLOSED or TIME-WAIT.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

struct InFlight {
  Instant at;
  std::uint64_t order;
  bool to_b;
  OutSegment seg;
};

struct Side {
  TcpProtocol* proto = nullptr;
  std::optional<ConnId> conn;
  ByteVec to_send;
  std::size_t sent = 0;
  ByteVec received;
  bool shut = false;
  bool eof = false;
  bool released = false;
  std::size_t read_quota = 0;  // bytes read per step (0: everything available)
};

struct Impairment {
  double loss = 0;
  double dup = 0;
  Duration base = std::chrono::milliseconds(10);
  Duration jitter = std::chrono::milliseconds(0);
};

class Pump {
 public:
  Pump(std::uint64_t seed, Impairment imp) : rng_(seed), imp_(imp) {}

  void collect(TcpProtocol& from, bool to_b, Instant now) {
    while (auto s = from.pop_segment()) {
      if (rng_.chance(imp_.loss)) continue;
      const int copies = rng_.chance(imp_.dup) ? 2 : 1;
      for (int i = 0; i < copies; ++i) {
        const auto j = imp_.jitter.count() > 0
                           ? Duration(static_cast<std::int64_t>(
                                 rng_.below(static_cast<std::uint64_t>(imp_.jitter.count()))))
                           : Duration(0);
        q_.push_back(InFlight{now + imp_.base + j, order_++, to_b, *s});
      }
    }
  }
  std::optional<Instant> next() const {
    std::optional<Instant> n;
    for (const auto& f : q_) {
      if (!n || f.at < *n) n = f.at;
    }
    return n;
  }
  // Delivers every segment due at or before now, in arrival-time order.
  void deliver(TcpProtocol& a, TcpProtocol& b, Instant now) {
    std::sort(q_.begin(), q_.end(), [](const InFlight& x, const InFlight& y) {
      return x.at < y.at || (x.at == y.at && x.order < y.order);
    });
    while (!q_.empty() && q_.front().at <= now) {
      InFlight f = std::move(q_.front());
      q_.erase(q_.begin());
      auto r =
          wire::TcpRepr::parse(f.seg.bytes(), wire::PseudoHeader::between(f.seg.src, f.seg.dst));
      ASSERT_TRUE(r.ok());
      SegmentIn in{f.seg.src, f.seg.dst, r.value(), false};
      if (getenv("LOOP_PKT")) {
        printf("%9.3f %s %s seq %u ack %u len %zu win %u\n", f.at.nanos() / 1e9,
               f.to_b ? "A>B" : "B>A", r.value().flags.to_string().c_str(), r.value().seq.raw(),
               r.value().ack.raw(), r.value().payload.size(), r.value().window);
      }
      (f.to_b ? b : a).on_segment(in, f.at);
    }
  }
  bool empty() const { return q_.empty(); }

 private:
  SeededRandom rng_;
  Impairment imp_;
  std::vector<InFlight> q_;
  std::uint64_t order_ = 0;
};

// Returns whether the application made progress.
bool app_step(Side& s) {
  if (!s.conn || s.released) return false;
  const std::size_t before = s.sent + s.received.size();
  TcpProtocol& p = *s.proto;
  while (s.sent < s.to_send.size()) {
    auto r = p.send(*s.conn, Bytes(s.to_send).subspan(s.sent));
    if (!r.ok()) break;
    s.sent += r.value();
  }
  if (s.sent == s.to_send.size() && !s.shut) {
    EXPECT_TRUE(p.shutdown_write(*s.conn).ok());
    s.shut = true;
  }
  std::byte buf[3000];
  std::size_t budget = s.read_quota ? s.read_quota : SIZE_MAX;
  for (int i = 0; i < 1000 && !s.eof && budget > 0; ++i) {
    auto r = p.receive(*s.conn, MutBytes(buf, std::min(sizeof buf, budget)));
    if (!r.ok()) {
      EXPECT_EQ(r.error(), RecvError::WouldBlock);
      break;
    }
    if (r.value() == 0) {
      s.eof = true;
      break;
    }
    s.received.insert(s.received.end(), buf, buf + r.value());
    budget -= r.value();
  }
  if (s.eof && s.shut) {
    EXPECT_TRUE(p.close(*s.conn).ok());
    s.released = true;
    return true;
  }
  return s.sent + s.received.size() != before;
}

ByteVec random_bytes(SeededRandom& r, std::size_t n) {
  ByteVec v(n);
  for (auto& b : v) b = std::byte(r.next_u32() & 0xff);
  return v;
}

struct Outcome {
  bool done = false;
  Instant end;
};

// The two ends' addresses: IPv4 (kAddrA, kAddrB) or IPv6.
struct Family {
  wire::IpAddr a = kAddrA;
  wire::IpAddr b = kAddrB;
  std::uint16_t min_mtu = 576;
};
const Family kIpv6{wire::Ipv6Addr::parse("fd77::1").value(),
                   wire::Ipv6Addr::parse("fd77::2").value(), 1280};

void run_seed(std::uint64_t seed, Impairment imp, std::size_t max_a, std::size_t max_b,
              Duration user_timeout = std::chrono::seconds(100), Family family = {}) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  SeededRandom data_rng(seed * 7919 + 1);
  SeededRandom ra(seed * 2 + 11), rb(seed * 3 + 17);
  TcpConfig cfg;
  cfg.msl = std::chrono::seconds(5);
  cfg.defaults.send_buffer = 32 * 1024 + data_rng.below(64 * 1024);
  cfg.defaults.recv_buffer = 8 * 1024 + data_rng.below(64 * 1024);
  cfg.defaults.no_delay = data_rng.chance(0.5);
  cfg.timestamps = data_rng.chance(0.7);
  cfg.window_scaling = data_rng.chance(0.7);
  cfg.mtu = static_cast<std::uint16_t>(family.min_mtu + data_rng.below(1500u - family.min_mtu + 1));
  cfg.defaults.user_timeout = user_timeout;
  TcpProtocol a(cfg, ra), b(cfg, rb);
  Pump pump(seed, imp);
  Side sa, sb;
  sa.proto = &a;
  sb.proto = &b;
  // Some readers are slow, so windows close and reopen (persist, window updates).
  if (data_rng.chance(0.3)) sa.read_quota = 1 + data_rng.below(3000);
  if (data_rng.chance(0.3)) sb.read_quota = 1 + data_rng.below(3000);
  sa.to_send = random_bytes(data_rng, data_rng.below(max_a + 1));
  sb.to_send = random_bytes(data_rng, data_rng.below(max_b + 1));

  if (getenv("LOOP_TRACE")) {
    for (auto* p : {&a, &b}) {
      const char* name = p == &a ? "A" : "B";
      p->set_trace([name](const Transition& t) {
        printf("%9.3f %s %s -> %s (%s)\n", t.at.nanos() / 1e9, name,
               std::string(to_string(t.from)).c_str(), std::string(to_string(t.to)).c_str(),
               std::string(to_string(t.rule)).c_str());
      });
    }
  }
  auto l = b.listen(Endpoint{family.b, 80}, 8);
  ASSERT_TRUE(l.ok());
  Instant now = at_ms(0);
  auto c = a.connect(Endpoint{family.a, 0}, Endpoint{family.b, 80}, now);
  ASSERT_TRUE(c.ok());
  sa.conn = c.value();

  const Instant limit = at_ms(3'600'000);
  int iterations = 0;
  auto finished = [&](TcpProtocol& p, const Side& s) {
    if (!s.released) return false;
    auto st = p.state(*s.conn);
    return !st || *st == State::Closed || *st == State::TimeWait;
  };
  while (now < limit && ++iterations < 2'000'000) {
    if (!sb.conn) {
      if (auto acc = b.accept(l.value()); acc.ok()) sb.conn = acc.value();
    }
    const bool progress_a = app_step(sa);
    const bool progress_b = app_step(sb);
    pump.collect(a, true, now);
    pump.collect(b, false, now);
    if (finished(a, sa) && finished(b, sb) && pump.empty()) break;
    std::optional<Instant> next = pump.next();
    for (auto d : {a.next_deadline(), b.next_deadline()}) {
      if (d && (!next || *d < *next)) next = d;
    }
    // A slow reader wakes up every 10 ms while it has data waiting.
    for (const Side* sd : {&sa, &sb}) {
      if (sd->conn && !sd->released && sd->read_quota &&
          sd->proto->readable(*sd->conn).value_or(0) > 0) {
        const Instant tick = now + std::chrono::milliseconds(10);
        if (!next || tick < *next) next = tick;
      }
    }
    if (!next) {
      if (progress_a || progress_b) continue;  // a slow reader still has data to read
      break;
    }
    now = std::max(now, *next);
    pump.deliver(a, b, now);
    a.on_timer(now);
    b.on_timer(now);
    if (getenv("LOOP_PKT") && sa.conn && a.tcb(*sa.conn)) {
      const Tcb* t = a.tcb(*sa.conn);
      auto st = t->stats();
      printf(
          "          A una %u nxt %u wnd %u cwnd %u ssthresh %u rto %lld srtt %lld unsent+unacked "
          "%zu dl %lld\n",
          t->snd_una().raw(), t->snd_nxt().raw(), t->snd_wnd(), st.cwnd, st.ssthresh,
          (long long)to_millis(st.rto), (long long)to_millis(st.srtt), t->unsent_or_unacked(),
          a.next_deadline() ? (long long)(a.next_deadline()->nanos() / 1000000) : -1LL);
    }
    while (a.pop_event()) {
    }
    while (b.pop_event()) {
    }
  }
  if (getenv("LOOP_DEBUG"))
    printf("seed %lu: %zu/%zu bytes, end %lld ms, iters %d\n", (unsigned long)seed,
           sa.to_send.size(), sb.to_send.size(), (long long)(now.nanos() / 1000000), iterations);
  if (getenv("LOOP_DEBUG")) {
    for (auto* sd : {&sa, &sb}) {
      const Tcb* t = sd->conn ? sd->proto->tcb(*sd->conn) : nullptr;
      if (!t) continue;
      printf("  %s: state %s readable %zu rcv_wnd %u rcv_nxt %u eof %d quota %zu shut %d rel %d\n",
             sd == &sa ? "A" : "B", std::string(to_string(t->state())).c_str(), t->readable(),
             t->rcv_wnd(), t->rcv_nxt().raw(), sd->eof, sd->read_quota, sd->shut, sd->released);
    }
  }
  ASSERT_TRUE(sb.conn.has_value()) << "never accepted";
  EXPECT_TRUE(finished(a, sa)) << "A state "
                               << (a.state(*sa.conn) ? to_string(*a.state(*sa.conn)) : "gone");
  EXPECT_TRUE(finished(b, sb)) << "B state "
                               << (b.state(*sb.conn) ? to_string(*b.state(*sb.conn)) : "gone");
  ASSERT_EQ(sb.received.size(), sa.to_send.size());
  EXPECT_TRUE(sb.received == sa.to_send) << "A->B data differs";
  ASSERT_EQ(sa.received.size(), sb.to_send.size());
  EXPECT_TRUE(sa.received == sb.to_send) << "B->A data differs";
}

TEST(Loopback, CleanLinkTransfersBothWays) {
  run_seed(1, Impairment{}, 200'000, 200'000);
}

TEST(Loopback, ManySeedsWithLossReorderDuplication) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SeededRandom r(seed);
    Impairment imp;
    imp.loss = r.next_double() * 0.08;
    imp.dup = r.next_double() * 0.05;
    imp.jitter = std::chrono::milliseconds(r.below(30));
    run_seed(seed, imp, 60'000, 30'000);
    if (::testing::Test::HasFailure()) break;
  }
}

// The same over IPv6: the segments carry the IPv6 pseudo-header checksum (the pump
// parses every one), MSS = MTU - 60, and every byte still arrives once, in order.
TEST(Loopback, Ipv6ManySeedsWithLossReorderDuplication) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    SeededRandom r(seed);
    Impairment imp;
    imp.loss = r.next_double() * 0.08;
    imp.dup = r.next_double() * 0.05;
    imp.jitter = std::chrono::milliseconds(r.below(30));
    run_seed(seed, imp, 60'000, 30'000, std::chrono::seconds(100), kIpv6);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(Loopback, HarshLinkManySeeds) {
  const std::uint64_t first =
      getenv("LOOP_SEED") ? std::strtoull(getenv("LOOP_SEED"), nullptr, 10) : 1000;
  const std::uint64_t last =
      getenv("LOOP_LAST") ? std::strtoull(getenv("LOOP_LAST"), nullptr, 10) : 1300;
  for (std::uint64_t seed = first; seed < last; ++seed) {
    SeededRandom r(seed);
    Impairment imp;
    imp.loss = 0.05 + r.next_double() * 0.15;
    imp.dup = r.next_double() * 0.1;
    imp.base = std::chrono::milliseconds(1 + r.below(50));
    imp.jitter = std::chrono::milliseconds(r.below(100));
    // At up to 20% loss each way a 100 s user timeout can legitimately expire.
    run_seed(seed, imp, 150'000, 150'000, std::chrono::seconds(900));
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

// Abort on one side reaches the other as a reset (MUST-12), over a clean wire.
TEST(Loopback, AbortIsSeenAsResetByThePeer) {
  SeededRandom ra(1), rb(2);
  TcpConfig cfg;
  TcpProtocol a(cfg, ra), b(cfg, rb);
  Pump pump(3, Impairment{});
  auto l = b.listen(Endpoint{kAddrB, 80}, 4).value();
  Instant now = at_ms(0);
  auto ca = a.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 80}, now).value();
  std::optional<ConnId> cb;
  std::vector<Event> b_events;
  bool aborted = false;
  for (int i = 0; i < 1000; ++i) {
    if (!cb) {
      if (auto r = b.accept(l); r.ok()) cb = r.value();
    }
    if (cb && !aborted && now >= at_ms(200)) {
      ASSERT_TRUE(a.abort(ca).ok());
      aborted = true;
    } else if (cb && !aborted) {
      (void)a.send(ca, as_bytes("ping"));
    }
    pump.collect(a, true, now);
    pump.collect(b, false, now);
    while (auto e = b.pop_event()) b_events.push_back(*e);
    auto next = pump.next();
    for (auto d : {a.next_deadline(), b.next_deadline(),
                   aborted ? std::optional<Instant>() : std::optional(now + 50ms)}) {
      if (d && (!next || *d < *next)) next = d;
    }
    if (!next || *next > at_ms(10'000)) break;
    now = *next;
    pump.deliver(a, b, now);
    a.on_timer(now);
    b.on_timer(now);
  }
  ASSERT_TRUE(cb.has_value());
  EXPECT_EQ(b.state(*cb), State::Closed);
  EXPECT_TRUE(std::any_of(b_events.begin(), b_events.end(), [](const Event& e) {
    return e.kind == EventKind::Error && e.error == ConnError::Reset;
  }));
  EXPECT_FALSE(a.state(ca).has_value());
}

}  // namespace
}  // namespace synack::tcp::testing
