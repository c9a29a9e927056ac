// tcp::TcpInfo (Tcb::info through Stack::tcp_info and api::TcpStream::info) against a
// simulated connection whose wire the test watches: every expected value is either
// what the test did (bytes written, the one segment it dropped, the one it duplicated)
// or what it counted on the wire (segments, SACK blocks, arrival times), and the RTT
// bounds come from the link's delay and the stack's configuration. Then the ss -ti-like
// formatter of `synack serve --stats-interval` (tools/synack/conn_table.cpp) on those
// snapshots.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bulk_transfer.hpp"
#include "conn_table.hpp"
#include "synack/tcp/info.hpp"
#include "two_hosts.hpp"

namespace synack::test {
namespace {

constexpr std::uint16_t kPort = 5001;
constexpr Duration kDelay = std::chrono::milliseconds(5);  // each way
constexpr std::size_t kBytes = 200'000;
// Timestamp RTT samples (RFC 7323) count whole milliseconds of the sender's clock: a
// sample may be up to this much off the true round trip either way.
constexpr Duration kTsTick = std::chrono::milliseconds(1);

// The TCP segment in an Ethernet frame, if it carries one.
std::optional<wire::TcpRepr> tcp_of(Bytes frame) {
  if (frame.size() < 14 + 20 || load_be16(frame, 12) != 0x0800) return std::nullopt;
  auto ip = wire::Ipv4Repr::parse(frame.subspan(14));
  if (!ip.ok() || ip->protocol != 6) return std::nullopt;
  auto t = wire::TcpRepr::parse(ip->payload, wire::PseudoHeader{ip->src, ip->dst});
  if (!t.ok()) return std::nullopt;
  return *t;
}

// What the test saw on the wire.
struct Watch {
  std::uint64_t tcp_from_a = 0;  // segments A handed to the link (dropped ones too)
  std::uint64_t tcp_to_b = 0;    // segments delivered to B (duplicates too)
  std::uint64_t sack_blocks_to_a = 0;
  Instant last_to_a, last_data_to_b;
  std::uint16_t last_window_to_a = 0;  // the window field of the last segment to A
  // Originals of A's data segments, in order of first transmission.
  std::set<std::uint32_t> seen_seqs;
  std::uint32_t originals = 0;
  std::size_t dropped_len = 0;
  std::uint32_t dropped = 0, duplicated = 0;
};

// A connection from A to B over a link of kDelay each way; A writes kBytes, B reads
// them. `drop_nth` / `dup_nth` (1-based, 0: none): the n-th original data segment from
// A is dropped / delivered twice.
class Transfer : public WithNet, public BulkTransfer {
 public:
  Transfer(std::uint32_t drop_nth, std::uint32_t dup_nth, const stack::StackConfig& cfg_a = {},
           const stack::StackConfig& cfg_b = {})
      : WithNet(11, link_cfg(), link_cfg(), cfg_a, cfg_b), BulkTransfer(net, kPort, kBytes, 7, 3) {
    net.on_send = [this](link::End from, Bytes f, Instant) {
      if (from == link::End::A && tcp_of(f)) ++w.tcp_from_a;
    };
    net.on_deliver = [this](link::End to, Bytes f, Instant at) {
      auto t = tcp_of(f);
      if (!t) return;
      if (to == link::End::A) {
        w.last_to_a = at;
        w.last_window_to_a = t->window;
        w.sack_blocks_to_a += std::min<std::uint8_t>(t->options.sack_count, 4);
      } else {
        ++w.tcp_to_b;
        if (!t->payload.empty()) w.last_data_to_b = at;
      }
    };
    net.copies = [this, drop_nth, dup_nth](link::End from, Bytes f) {
      auto t = tcp_of(f);
      if (from != link::End::A || !t || t->payload.empty()) return 1;
      if (!w.seen_seqs.insert(t->seq.raw()).second) return 1;  // a retransmission
      ++w.originals;
      if (w.originals == drop_nth) {
        ++w.dropped;
        w.dropped_len = t->payload.size();
        return 0;
      }
      if (w.originals == dup_nth) {
        ++w.duplicated;
        return 2;
      }
      return 1;
    };
  }

  static link::DirectionConfig link_cfg() {
    link::DirectionConfig d;
    d.delay = kDelay;
    return d;
  }

  // At most 30 s of virtual time.
  bool run(const std::function<bool()>& until = {}) {
    return BulkTransfer::run(std::chrono::seconds(30), until);
  }

  Watch w;
};

// RTT bounds from the configuration: the path's round trip at least, plus the
// receiver's delayed ACK at most, widened by the timestamp clock's tick.
Duration rtt_low() {
  return 2 * kDelay - kTsTick;
}
Duration rtt_high() {
  return 2 * kDelay + stack::StackConfig{}.tcp.delayed_ack + kTsTick;
}

TEST(TcpInfo, CleanTransferCountsWhatTheWireCarried) {
  Transfer t(0, 0);
  ASSERT_TRUE(t.run());
  const auto a = t.client->info(t.net.now);
  const auto b = t.server->info(t.net.now);
  ASSERT_TRUE(a && b);

  EXPECT_EQ(a->state, tcp::State::Established);
  EXPECT_FALSE(a->passive);
  EXPECT_TRUE(b->passive);
  EXPECT_EQ(a->local, *t.client->local());
  EXPECT_EQ(a->remote, (tcp::Endpoint{t.net.b.addr, kPort}));
  EXPECT_EQ(b->remote, a->local);

  // Bytes: what the application wrote and read.
  EXPECT_EQ(a->bytes_sent, kBytes);
  EXPECT_EQ(a->bytes_acked, kBytes);
  EXPECT_EQ(a->bytes_received, 0u);
  EXPECT_EQ(b->bytes_received, kBytes);
  EXPECT_EQ(b->bytes_sent, 0u);
  EXPECT_EQ(b->bytes_acked, 0u);
  EXPECT_EQ(a->send_queued, 0u);
  EXPECT_EQ(a->send_unsent, 0u);
  EXPECT_EQ(b->recv_queued, 0u);
  EXPECT_EQ(a->unacked, 0u);

  // Segments: as counted on the wire; nothing lost, nothing resent.
  EXPECT_EQ(a->segs_out, t.w.tcp_from_a);
  EXPECT_EQ(b->segs_in, t.w.tcp_to_b);
  EXPECT_EQ(a->retrans_segs, 0u);
  EXPECT_EQ(a->bytes_retrans, 0u);
  EXPECT_EQ(a->timeouts, 0u);
  EXPECT_EQ(a->fast_retransmits, 0u);
  EXPECT_EQ(a->sack_blocks_in, 0u);
  EXPECT_EQ(a->dsacks_in, 0u);
  EXPECT_EQ(a->ca_state, tcp::CaState::Open);

  // RTT within the path's bounds.
  ASSERT_TRUE(a->srtt && a->rttvar && a->latest_rtt && a->min_rtt);
  EXPECT_GE(*a->srtt, rtt_low());
  EXPECT_LE(*a->srtt, rtt_high());
  EXPECT_GE(*a->latest_rtt, rtt_low());
  EXPECT_LE(*a->latest_rtt, rtt_high());
  EXPECT_GE(*a->min_rtt, 2 * kDelay);  // RACK times transmissions with the real clock
  EXPECT_LE(*a->min_rtt, rtt_high());
  EXPECT_LE(*a->rttvar, rtt_high());
  EXPECT_GT(a->rtt_samples, 0u);
  EXPECT_GE(a->rto, stack::StackConfig{}.tcp.min_rto);
  EXPECT_EQ(a->backoff, 0u);
  EXPECT_FALSE(b->min_rtt);  // B sent no data: RACK timed nothing

  // Congestion control and pacing (synack does not pace).
  EXPECT_EQ(a->cc, stack::StackConfig{}.tcp.defaults.cc);
  EXPECT_GT(a->cwnd, 0u);
  EXPECT_FALSE(a->pacing_rate_bps);

  // Options: both stacks offer everything by default.
  EXPECT_TRUE(a->wscale && a->timestamps && a->sack);
  EXPECT_EQ(a->snd_wscale, b->rcv_wscale);
  EXPECT_EQ(a->rcv_wscale, b->snd_wscale);
  EXPECT_FALSE(a->ecn);
  EXPECT_FALSE(a->tfo);
  EXPECT_EQ(a->snd_mss, b->snd_mss);
  // A's view of the peer's window: the last advertisement, scaled (RFC 7323 §2.3); B's
  // window never moved left of it (RCV.ADV, SHLD-14).
  EXPECT_EQ(a->snd_wnd, std::uint32_t{t.w.last_window_to_a} << a->snd_wscale);
  EXPECT_LE(a->snd_wnd, b->rcv_wnd);

  // How long ago: B's last data arrival and A's last segment, as seen on the wire (the
  // data stamps keep whole milliseconds).
  ASSERT_TRUE(b->since_data_received && a->since_ack_received && a->since_data_sent);
  const Duration want = t.net.now - t.w.last_data_to_b;
  EXPECT_LE(*b->since_data_received, want + kTsTick);
  EXPECT_GE(*b->since_data_received, want - kTsTick);
  EXPECT_EQ(*a->since_ack_received, t.net.now - t.w.last_to_a);
  EXPECT_FALSE(b->since_data_sent);
  EXPECT_FALSE(a->since_data_received);
}

TEST(TcpInfo, OneDroppedAndOneDuplicatedSegment) {
  Transfer t(/*drop_nth=*/20, /*dup_nth=*/60);
  ASSERT_TRUE(t.run());
  ASSERT_EQ(t.w.dropped, 1u);
  ASSERT_EQ(t.w.duplicated, 1u);
  const auto a = t.client->info(t.net.now);
  const auto b = t.server->info(t.net.now);
  ASSERT_TRUE(a && b);

  // The one loss: one segment and its bytes resent, by SACK recovery, no timeout.
  EXPECT_EQ(a->retrans_segs, 1u);
  EXPECT_EQ(a->bytes_retrans, t.w.dropped_len);
  EXPECT_EQ(a->fast_retransmits, 1u);
  EXPECT_EQ(a->sack_recoveries, 1u);
  EXPECT_EQ(a->timeouts, 0u);
  // The one duplicate: B reported it once as a D-SACK (RFC 2883).
  EXPECT_EQ(a->dsacks_in, 1u);
  EXPECT_EQ(a->sack_blocks_in, t.w.sack_blocks_to_a);
  EXPECT_GT(a->sack_blocks_in, 0u);
  EXPECT_GT(b->ooo_segs_in, 0u);

  // Every byte still counted once.
  EXPECT_EQ(a->bytes_sent, kBytes);
  EXPECT_EQ(a->bytes_acked, kBytes);
  EXPECT_EQ(b->bytes_received, kBytes);
  EXPECT_EQ(a->segs_out, t.w.tcp_from_a);
  EXPECT_EQ(b->segs_in, t.w.tcp_to_b);
  // After the episode: recovery over, ssthresh set by it.
  EXPECT_EQ(a->ca_state, tcp::CaState::Open);
  EXPECT_NE(a->ssthresh, UINT32_MAX);
}

TEST(TcpInfo, LostTailAndLostProbeEndInOneTimeout) {
  // The last data segment and its first retransmission (RFC 8985's tail loss probe: no
  // new data is left to probe with) are both dropped; the retransmission timer repairs
  // the tail.
  Transfer t(0, 0);
  std::optional<std::uint32_t> iss;
  std::size_t tail_len = 0;
  int tail_sends = 0;
  t.net.copies = [&](link::End from, Bytes f) {
    auto seg = tcp_of(f);
    if (from != link::End::A || !seg) return 1;
    if (seg->flags.syn()) iss = seg->seq.raw();
    const bool tail =
        iss && !seg->payload.empty() && seg->seq.raw() + seg->payload.size() == *iss + 1 + kBytes;
    if (!tail || ++tail_sends > 2) return 1;
    tail_len = seg->payload.size();
    return 0;
  };
  // The moment the timeout's retransmission left: in loss recovery, backed off once.
  ASSERT_TRUE(t.run([&] { return tail_sends == 3; }));
  const auto mid = t.client->info(t.net.now);
  ASSERT_TRUE(mid);
  EXPECT_EQ(mid->ca_state, tcp::CaState::Loss);
  EXPECT_EQ(mid->backoff, 1u);
  EXPECT_EQ(mid->timeouts, 1u);
  EXPECT_EQ(mid->tlp_probes, 1u);
  EXPECT_EQ(mid->unacked, tail_len);
  EXPECT_EQ(mid->bytes_acked, kBytes - tail_len);
  EXPECT_EQ(mid->send_unsent, 0u);
  EXPECT_EQ(mid->send_queued, tail_len);
  EXPECT_EQ(*mid->since_data_sent, std::chrono::milliseconds(0));

  ASSERT_TRUE(t.run());
  ASSERT_EQ(tail_sends, 3);  // the original, the probe, the timeout's retransmission
  const auto a = t.client->info(t.net.now);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->tlp_probes, 1u);
  EXPECT_EQ(a->timeouts, 1u);
  EXPECT_EQ(a->retrans_segs, 2u);
  EXPECT_EQ(a->bytes_retrans, 2 * tail_len);
  EXPECT_EQ(a->fast_retransmits, 0u);
  EXPECT_EQ(a->bytes_acked, kBytes);
  EXPECT_EQ(a->unacked, 0u);
  // Past the episode: the timeout's backoff was reset by the new ACK.
  EXPECT_EQ(a->backoff, 0u);
  EXPECT_EQ(a->ca_state, tcp::CaState::Open);
}

TEST(TcpInfo, OptionsAreWhatTheSynsAgreed) {
  // A asks for ECN (RFC 3168) and offers no timestamps; B offers no SACK. What the
  // snapshot reports is the agreement, not either side's configuration.
  stack::StackConfig cfg_a, cfg_b;
  cfg_a.tcp.defaults.ecn = tcp::EcnMode::On;
  cfg_a.tcp.timestamps = false;
  cfg_b.tcp.sack = false;
  cfg_b.tcp.defaults.cc = tcp::CcAlgorithm::NewReno;
  Transfer t(0, 0, cfg_a, cfg_b);
  ASSERT_TRUE(t.run());
  const auto a = t.client->info(t.net.now);
  const auto b = t.server->info(t.net.now);
  ASSERT_TRUE(a && b);
  for (const auto& i : {*a, *b}) {
    EXPECT_TRUE(i.ecn);
    EXPECT_FALSE(i.timestamps);
    EXPECT_FALSE(i.sack);
    EXPECT_TRUE(i.wscale);
    EXPECT_FALSE(i.tfo);
  }
  EXPECT_EQ(a->cc, tcp::CcAlgorithm::Cubic);
  EXPECT_EQ(b->cc, tcp::CcAlgorithm::NewReno);
  EXPECT_FALSE(a->min_rtt);  // RACK runs only with SACK
  // Without timestamps the RTT is timed with the real clock, one segment at a time.
  ASSERT_TRUE(a->srtt);
  EXPECT_GE(*a->srtt, 2 * kDelay);
  EXPECT_LE(*a->srtt, 2 * kDelay + stack::StackConfig{}.tcp.delayed_ack);
  EXPECT_EQ(a->bytes_acked, kBytes);
}

TEST(TcpInfo, EnumeratesConnectionsAndKeepsTimeWait) {
  Transfer t(0, 0);
  ASSERT_TRUE(t.run());
  const tcp::ConnId a_id = t.client->id(), b_id = t.server->id();
  EXPECT_EQ(t.net.a.stack.tcp_connections(), std::vector<tcp::ConnId>{a_id});
  EXPECT_EQ(t.net.b.stack.tcp_connections(), std::vector<tcp::ConnId>{b_id});
  EXPECT_FALSE(t.net.a.stack.tcp_info(tcp::ConnId{a_id.value + 100}, t.net.now));

  // A closes first and ends in TIME-WAIT; once released there it is kept frozen.
  ASSERT_TRUE(t.client->close(t.net.now).ok());
  t.net.run_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(t.server->close(t.net.now).ok());
  t.net.run_for(std::chrono::milliseconds(100));
  ASSERT_EQ(t.net.a.stack.tcp_connections(), std::vector<tcp::ConnId>{a_id});
  EXPECT_TRUE(t.net.b.stack.tcp_connections().empty());
  const auto tw = t.net.a.stack.tcp_info(a_id, t.net.now);
  ASSERT_TRUE(tw);
  EXPECT_EQ(tw->state, tcp::State::TimeWait);
  EXPECT_EQ(t.net.a.stack.tcp().stats().time_wait_frozen, 1u);
  EXPECT_TRUE(tw->frozen);
  EXPECT_TRUE(tw->user_released);
  EXPECT_EQ(tw->remote, (tcp::Endpoint{t.net.b.addr, kPort}));
  EXPECT_TRUE(tw->timestamps && tw->sack && tw->wscale);
  EXPECT_EQ(tw->unacked, 0u);
}

// The formatter of `synack serve --stats-interval` on the snapshots above.
TEST(ConnTable, FormatsARealSnapshotLikeSs) {
  Transfer t(20, 0);
  ASSERT_TRUE(t.run());
  const auto a = t.client->info(t.net.now);
  ASSERT_TRUE(a);
  const std::string local = fmt::format("{}:{}", a->local.addr.to_string(), a->local.port);
  const std::string remote = fmt::format("{}:{}", a->remote.addr.to_string(), a->remote.port);

  const std::string row = cli::conn_summary_line(*a);
  // The row's words, as `ss -t` prints them: state, Recv-Q, Send-Q, local, peer.
  std::istringstream words(row);
  std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
  EXPECT_EQ(w, (std::vector<std::string>{"ESTAB", "0", "0", local, remote})) << row;
  EXPECT_EQ(row.rfind("ESTAB", 0), 0u) << row;
  const std::string d = cli::conn_detail_line(*a);
  EXPECT_EQ(d.front(), '\t');
  auto has = [&](const std::string& f) {
    EXPECT_NE((d + " ").find(" " + f + " "), std::string::npos) << "no '" << f << "' in " << d;
  };
  has(std::string(tcp::to_string(a->cc)));
  has(fmt::format("wscale:{},{}", a->snd_wscale, a->rcv_wscale));
  has("ts");
  has("sack");
  has(fmt::format("mss:{}", a->snd_mss));
  has(fmt::format("cwnd:{}", a->cwnd / a->snd_mss));
  has(fmt::format("ssthresh:{}", a->ssthresh / a->snd_mss));
  has(fmt::format("bytes_acked:{}", kBytes));
  has(fmt::format("bytes_sent:{}", kBytes));
  has(fmt::format("bytes_retrans:{}", t.w.dropped_len));
  has("bytes_received:0");
  has(fmt::format("segs_out:{}", t.w.tcp_from_a));
  has("retrans:1");
  has("fast_rtx:1");
  has(fmt::format("sacks_in:{}", t.w.sack_blocks_to_a));
  has(fmt::format("lastack:{}", to_millis(t.net.now - t.w.last_to_a)));
  has(fmt::format("rto:{:g}", static_cast<double>(to_micros(a->rto)) / 1000.0));
  has(fmt::format("rtt:{:g}/{:g}", static_cast<double>(to_micros(*a->srtt)) / 1000.0,
                  static_cast<double>(to_micros(*a->rttvar)) / 1000.0));
  EXPECT_EQ(d.find("timeouts:"), std::string::npos) << "no timeout happened: " << d;
  EXPECT_EQ(d.find("pacing"), std::string::npos) << "synack does not pace: " << d;

  const std::string table = cli::format_conn_table({*a, *t.server->info(t.net.now)}, "title");
  // The title, the header, two lines per connection.
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 6);
  EXPECT_EQ(table.rfind("title\nState ", 0), 0u) << table;
}

TEST(ConnTable, ProgressLine) {
  Transfer t(0, 0);
  ASSERT_TRUE(t.run());
  const auto a = t.client->info(t.net.now);
  ASSERT_TRUE(a && a->srtt);
  EXPECT_EQ(cli::progress_line(1'000'000, std::chrono::seconds(2), nullptr),
            "1000000 bytes in 2.0 s (4.0 Mbit/s)");
  EXPECT_EQ(
      cli::progress_line(1'000'000, std::chrono::seconds(2), &*a),
      fmt::format("1000000 bytes in 2.0 s (4.0 Mbit/s) rtt {:g} ms cwnd {} retrans 0 acked {}",
                  static_cast<double>(to_micros(*a->srtt)) / 1000.0, a->cwnd / a->snd_mss, kBytes));
  // The receiving end has acknowledged nothing of its own: no "acked".
  const auto b = t.server->info(t.net.now);
  ASSERT_TRUE(b);
  EXPECT_EQ(cli::progress_line(kBytes, std::chrono::seconds(1), &*b).find("acked"),
            std::string::npos);
}

}  // namespace
}  // namespace synack::test
