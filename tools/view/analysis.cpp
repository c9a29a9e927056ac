#include "analysis.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <map>

#include "ip_packet.hpp"
#include "synack/tcp/state.hpp"
#include "synack/wire/ethernet.hpp"

namespace synack::view {

std::string Endpoint::to_string() const {
  return fmt::format("{}:{}", ip.to_uri_string(), port);
}

std::string describe_marks(std::uint32_t m, std::uint32_t dup_ack_count) {
  std::string out;
  auto add = [&](std::uint32_t bit, const std::string& name) {
    if (!(m & bit)) return;
    if (!out.empty()) out += ", ";
    out += name;
  };
  add(mark::kLost, "lost");
  add(mark::kGap, "previous segment not captured");
  add(mark::kSpurious, "spurious");
  if ((m & mark::kProbe) != 0) {
    add(mark::kProbe, "tail loss probe");
  } else {
    add(mark::kRetransmission, "retransmission");
  }
  add(mark::kOutOfOrder, "out of order");
  add(mark::kDupAck, fmt::format("dup ack #{}", dup_ack_count));
  add(mark::kDsack, "D-SACK");
  if (!(m & mark::kDsack)) add(mark::kSack, "SACK");
  add(mark::kZeroWindow, "zero window");
  add(mark::kZeroWindowProbe, "zero-window probe");
  add(mark::kWindowUpdate, "window update");
  add(mark::kKeepAlive, "keepalive");
  add(mark::kFastOpen, "Fast Open");
  add(mark::kEcnCe, "ECN CE");
  add(mark::kEcnEcho, "ECE");
  add(mark::kCwr, "CWR");
  add(mark::kReset, "reset");
  add(mark::kBadChecksum, "bad checksum (offloaded?)");
  return out;
}

std::optional<Duration> Connection::srtt(Dir data) const {
  // RFC 6298 §2: SRTT <- R, then SRTT <- 7/8 SRTT + 1/8 R'.
  std::optional<double> s;
  for (const auto& r : rtt) {
    if (r.data_dir != data) continue;
    auto v = static_cast<double>(r.rtt.count());
    s = s ? *s + (v - *s) / 8 : v;
  }
  if (!s) return std::nullopt;
  return Duration(static_cast<std::int64_t>(*s));
}

const SegmentInfo* segment_of(const Connection& c, std::size_t frame) {
  auto it = std::lower_bound(c.segments.begin(), c.segments.end(), frame,
                             [](const SegmentInfo& s, std::size_t f) { return s.frame < f; });
  return it != c.segments.end() && it->frame == frame ? &*it : nullptr;
}

namespace {

using tcp::Rule;
using tcp::State;

// Sequence space covered so far by one direction, as merged [left, right) ranges of
// 64-bit offsets from the direction's base (so a transfer past 4 GiB stays ordered).
class Coverage {
 public:
  // Adds [l, r); says whether any of it was covered before.
  bool add(std::uint64_t l, std::uint64_t r) {
    if (l >= r) return false;
    bool overlap = false;
    auto it = ranges_.upper_bound(l);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second > l) overlap = true;
      if (prev->second >= l) {
        l = prev->first;
        r = std::max(r, prev->second);
        it = ranges_.erase(prev);
      }
    }
    while (it != ranges_.end() && it->first <= r) {
      if (it->first < r) overlap = true;
      r = std::max(r, it->second);
      it = ranges_.erase(it);
    }
    ranges_.emplace(l, r);
    return overlap;
  }

 private:
  std::map<std::uint64_t, std::uint64_t> ranges_;
};

struct DirState {
  bool have_base = false;
  SeqNum base;             // ISN (from the SYN) or the first sequence number seen
  std::uint64_t high = 0;  // one past the highest sequence number sent
  Coverage sent;
  std::optional<std::uint8_t> wscale;
  // What this direction last acknowledged and advertised (about the other's data).
  bool have_ack = false;
  std::uint64_t last_ack = 0;
  std::uint64_t last_win = 0;
  std::uint32_t dup_acks = 0;
  bool zero_window = false;
  // The data segments in flight: end offset -> (first sent, retransmitted since).
  std::map<std::uint64_t, std::pair<Instant, bool>> flight;
  std::vector<std::pair<std::uint64_t, std::size_t>> retransmitted;  // (start, segment index)
  Instant last_sent;
  bool sent_anything = false;
  std::uint32_t dup_acks_since_new = 0;  // dup ACKs from the other end since new data
  bool syn_sent = false, fin_sent = false;
  std::uint64_t fin_end = 0;  // offset just past its FIN
  State state = State::Closed;
  bool state_known = false;
  bool syn_sent_active = false;   // went SYN-SENT -> SYN-RECEIVED (simultaneous open)
  bool fin_seen_by_peer = false;  // its FIN reached the other end
};

std::uint64_t unwrap(std::uint32_t rel, std::uint64_t ref) {
  auto d = static_cast<std::int32_t>(rel - static_cast<std::uint32_t>(ref));
  auto v = static_cast<std::int64_t>(ref) + d;
  return v < 0 ? rel : static_cast<std::uint64_t>(v);
}

std::string state_name(State s) {
  return std::string(tcp::to_string(s));
}

class Analyzer {
 public:
  explicit Analyzer(Analysis& out) : out_(out) {}

  void frame(std::size_t i, const RecordedFrame& f) {
    ByteVec padded;
    if (f.truncated()) padded = f.padded();
    Bytes ip_bytes = f.truncated() ? Bytes(padded) : Bytes(f.bytes);
    int version = 0;  // what the link layer says it carries (0: raw IP, either)
    if (f.link == LinkType::Ethernet) {
      auto eth = wire::EthernetRepr::parse(ip_bytes);
      if (!eth || (eth->ethertype != static_cast<std::uint16_t>(wire::EtherType::Ipv4) &&
                   eth->ethertype != static_cast<std::uint16_t>(wire::EtherType::Ipv6))) {
        ++out_.skipped;
        return;
      }
      ip_bytes = eth->payload;
      version = eth->ethertype == static_cast<std::uint16_t>(wire::EtherType::Ipv4) ? 4 : 6;
    }
    auto ip = parse_ip(ip_bytes);
    if (ip && version != 0 && ip->version != version) ip = Err{std::string("IP version mismatch")};
    if (!ip || ip->protocol != static_cast<std::uint8_t>(wire::IpProto::Tcp) || ip->fragment) {
      if (ip && ip->fragment && ip->protocol == static_cast<std::uint8_t>(wire::IpProto::Tcp))
        ++out_.tcp_fragments;
      ++out_.skipped;
      return;
    }
    const wire::PseudoHeader ph = ip->pseudo_header();
    // Verified first; a wrong checksum is marked (offloaded?) and the segment read
    // anyway. A truncated frame's zero padding cannot match its checksum: not verified.
    auto seg = wire::TcpRepr::parse(
        ip->payload, ph, f.truncated() ? wire::ChecksumCheck::Skip : wire::ChecksumCheck::Verify);
    const bool bad_sum = !seg && seg.error() == wire::WireError::BadChecksum;
    if (bad_sum) seg = wire::TcpRepr::parse(ip->payload, ph, wire::ChecksumCheck::Skip);
    if (!seg) {
      ++out_.skipped;
      return;
    }
    ++out_.tcp_segments;
    Endpoint src{ip->src, seg->src_port}, dst{ip->dst, seg->dst_port};
    auto [ci, dir] = connection_for(src, dst, *seg);
    Connection& c = out_.connections[ci];
    c.last = f.t;
    SegmentInfo s;
    s.frame = i;
    s.t = f.t;
    s.arrived = f.arrived.value_or(f.t);
    s.dir = dir;
    s.lost = f.lost;
    s.flags = seg->flags;
    s.len = static_cast<std::uint32_t>(seg->payload.size());
    s.raw_window = seg->window;
    s.ts = seg->options.timestamps;
    s.ecn = ip->ecn;
    if (bad_sum) s.marks |= mark::kBadChecksum;
    if (f.lost) s.marks |= mark::kLost;
    track(c, ci, s, *seg);
    c.segments.push_back(std::move(s));
  }

 private:
  struct Key {
    wire::IpAddr ip1, ip2;
    std::uint16_t p1, p2;
    auto operator<=>(const Key&) const = default;
  };
  static Key key_of(const Endpoint& x, const Endpoint& y) {
    auto ord = [](const Endpoint& e) { return std::pair{e.ip, e.port}; };
    return ord(x) < ord(y) ? Key{x.ip, y.ip, x.port, y.port} : Key{y.ip, x.ip, y.port, x.port};
  }

  // The connection a segment belongs to (a new one for a SYN on a finished or
  // different connection between the same ends), and its direction.
  std::pair<std::size_t, Dir> connection_for(const Endpoint& src, const Endpoint& dst,
                                             const wire::TcpRepr& seg) {
    Key k = key_of(src, dst);
    auto it = index_.find(k);
    bool fresh_syn = seg.flags.syn() && !seg.flags.ack();
    if (it != index_.end()) {
      std::size_t ci = it->second;
      Connection& c = out_.connections[ci];
      Dir d = c.a == src ? Dir::AtoB : Dir::BtoA;
      DirState& ds = dirs_[ci][static_cast<int>(d)];
      bool same_syn = ds.syn_sent && ds.base == seg.seq;
      if (!fresh_syn || same_syn || !finished(ci)) return {ci, d};
    }
    Connection c;
    // A is the end that opens: the sender of a SYN, the receiver of a SYN,ACK.
    bool swap = seg.flags.syn() && seg.flags.ack();
    c.a = swap ? dst : src;
    c.b = swap ? src : dst;
    c.first = Instant();
    out_.connections.push_back(std::move(c));
    dirs_.emplace_back();
    pending_.emplace_back();
    std::size_t ci = out_.connections.size() - 1;
    index_[k] = ci;
    return {ci, swap ? Dir::BtoA : Dir::AtoB};
  }

  bool finished(std::size_t ci) const {
    const auto& d = dirs_[ci];
    auto done = [](const DirState& s) {
      return s.state_known && (s.state == State::Closed || s.state == State::TimeWait);
    };
    return done(d[0]) || done(d[1]) || (d[0].fin_sent && d[1].fin_sent);
  }

  void set_state(Connection& c, std::size_t ci, Dir end, State to, Rule rule, const SegmentInfo& s,
                 bool before, const std::string& why) {
    DirState& e = dirs_[ci][static_cast<int>(end)];
    if (e.state_known && e.state == to) return;
    InferredState st;
    st.t = s.t;
    st.frame = s.frame;
    st.before_frame = before;
    st.end = end;
    st.from = e.state_known ? state_name(e.state) : "?";
    st.to = state_name(to);
    st.rule = std::string(tcp::to_string(rule));
    st.why = why;
    c.states.push_back(std::move(st));
    e.state = to;
    e.state_known = true;
  }

  void track(Connection& c, std::size_t ci, SegmentInfo& s, const wire::TcpRepr& seg) {
    if (c.segments.empty()) c.first = s.t;
    const int me = static_cast<int>(s.dir), peer = 1 - me;
    DirState& tx = dirs_[ci][me];
    DirState& rx = dirs_[ci][peer];
    Dir peer_dir = static_cast<Dir>(peer);
    auto& per = c.dir[me];
    ++per.segments;

    // --- numbering: relative to the ISN, or to the first number seen.
    if (seg.flags.syn()) {
      if (!tx.have_base || !tx.syn_sent) {
        tx.have_base = true;
        tx.base = seg.seq;
        tx.high = 0;
      }
      tx.syn_sent = true;
      if (seg.options.window_scale) tx.wscale = seg.options.window_scale;
      per.wscale = seg.options.window_scale;
      per.mss = seg.options.mss;
      if (me == 0 && !seg.flags.ack()) c.saw_syn = true;
    } else if (!tx.have_base) {
      tx.have_base = true;
      tx.base = seg.seq;
    }
    std::uint64_t start = unwrap(static_cast<std::uint32_t>(seg.seq - tx.base), tx.high);
    std::uint64_t data_start = start + (seg.flags.syn() ? 1 : 0);
    std::uint64_t end = start + seg.seg_len();
    s.seq = static_cast<std::uint32_t>(seg.seq - tx.base);
    per.base = tx.base;
    bool have_ack = seg.flags.ack() && rx.have_base;
    std::uint64_t ack = 0;
    if (have_ack) {
      ack = unwrap(static_cast<std::uint32_t>(seg.ack - rx.base), rx.high);
      s.ack = static_cast<std::uint32_t>(seg.ack - rx.base);
    } else if (seg.flags.ack()) {
      s.ack = seg.ack.raw();
    }
    // Windows are scaled once both SYNs offered scaling (RFC 7323 §2.2), never on a SYN;
    // a shift above 14 is taken as 14 (§2.3), as a receiver must.
    bool scaled = tx.wscale && rx.wscale && !seg.flags.syn();
    const int shift = scaled ? std::min<int>(*tx.wscale, 14) : 0;
    s.window = std::uint64_t{seg.window} << shift;
    for (std::size_t b = 0; b < seg.options.sack_count && rx.have_base; ++b) {
      s.sack.push_back({static_cast<std::uint32_t>(seg.options.sack_blocks[b].left - rx.base),
                        static_cast<std::uint32_t>(seg.options.sack_blocks[b].right - rx.base)});
    }

    // --- what the segment was
    const bool pure_ack = seg.payload.empty() && !seg.flags.syn() && !seg.flags.fin() &&
                          !seg.flags.rst() && seg.flags.ack();
    if (seg.flags.rst()) s.marks |= mark::kReset;
    if (seg.options.tfo_cookie || (seg.flags.syn() && !seg.payload.empty()))
      s.marks |= mark::kFastOpen;
    if (s.ecn == 3) s.marks |= mark::kEcnCe;
    if (!seg.flags.syn() && seg.flags.ece()) s.marks |= mark::kEcnEcho;
    if (!seg.flags.syn() && seg.flags.cwr()) s.marks |= mark::kCwr;
    if (!s.sack.empty()) s.marks |= mark::kSack;
    if (!seg.flags.rst() && seg.window == 0 && !seg.flags.syn()) s.marks |= mark::kZeroWindow;

    // Keepalives and zero-window probes (RFC 9293 §3.8.4, §3.8.6.1) repeat or stretch
    // sequence space on purpose: named as such, not as retransmissions.
    const bool small = !seg.flags.syn() && !seg.flags.fin() && !seg.flags.rst() &&
                       seg.payload.size() <= 1 && tx.sent_anything && rx.have_ack;
    const bool zwp = small && rx.zero_window &&
                     (seg.payload.empty() ? start + 1 == rx.last_ack : start == rx.last_ack);
    const bool keepalive = small && !zwp && start + 1 == tx.high && rx.last_ack >= tx.high;
    if (zwp) s.marks |= mark::kZeroWindowProbe;
    if (keepalive) s.marks |= mark::kKeepAlive;
    if (seg.seg_len() > 0 && !seg.flags.rst()) {
      if (tx.sent_anything && start > tx.high) s.marks |= mark::kGap;
      bool repeat = tx.sent.add(start, end);
      if (repeat && !zwp && !keepalive) {
        s.marks |= mark::kRetransmission;
        ++per.retransmissions;
        per.retransmitted_bytes += seg.payload.size();
        // A tail loss probe (RFC 8985 §7): the last segment again, sooner than any RTO
        // could fire, with no duplicate ACK asking for it.
        if (end == tx.high && tx.dup_acks_since_new == 0 && !seg.flags.syn()) {
          Duration rto = estimated_rto(c, static_cast<Dir>(me));
          if (s.t - tx.last_sent < rto) s.marks |= mark::kProbe;
        }
        auto f = tx.flight.find(end);
        if (f != tx.flight.end()) f->second.second = true;
        tx.retransmitted.emplace_back(data_start, c.segments.size());
      } else if (!repeat && end <= tx.high && tx.sent_anything) {
        s.marks |= mark::kOutOfOrder;
      }
      if (!repeat) {
        per.bytes += seg.payload.size();
        tx.flight[end] = {s.t, false};
      }
      if (end > tx.high) {
        tx.high = end;
        tx.dup_acks_since_new = 0;
      }
      tx.last_sent = s.t;
      tx.sent_anything = true;
    } else if (!tx.sent_anything && !seg.flags.syn()) {
      tx.high = std::max(tx.high, start);
    }

    if (have_ack) {
      bool outstanding = rx.high > ack;
      if (pure_ack && tx.have_ack && ack == tx.last_ack) {
        if (s.window == tx.last_win && outstanding) {
          s.marks |= mark::kDupAck;
          s.dup_ack_count = ++tx.dup_acks;
          ++rx.dup_acks_since_new;
        } else if (s.window != tx.last_win) {
          s.marks |= mark::kWindowUpdate;
        }
      } else if (!tx.have_ack || ack != tx.last_ack) {
        tx.dup_acks = 0;
      }
      // D-SACK (RFC 2883 §4): the first block is below the cumulative ACK, or inside
      // the second block. It proves a retransmission of that range was not needed.
      if (seg.options.sack_count > 0) {
        const auto& b0 = seg.options.sack_blocks[0];
        std::uint64_t l0 = unwrap(static_cast<std::uint32_t>(b0.left - rx.base), rx.high);
        std::uint64_t r0 = unwrap(static_cast<std::uint32_t>(b0.right - rx.base), rx.high);
        bool dsack = r0 <= ack;
        if (!dsack && seg.options.sack_count > 1) {
          const auto& b1 = seg.options.sack_blocks[1];
          std::uint64_t l1 = unwrap(static_cast<std::uint32_t>(b1.left - rx.base), rx.high);
          std::uint64_t r1 = unwrap(static_cast<std::uint32_t>(b1.right - rx.base), rx.high);
          dsack = l0 >= l1 && r0 <= r1;
        }
        if (dsack) {
          s.marks |= mark::kDsack;
          for (auto it = rx.retransmitted.rbegin(); it != rx.retransmitted.rend(); ++it) {
            if (it->first >= l0 && it->first < r0) {
              c.segments[it->second].marks |= mark::kSpurious;
              break;
            }
          }
        }
      }
      // RTT (Karn): the ACK that first covers a segment sent once.
      if (!tx.have_ack || ack > tx.last_ack) {
        for (auto it = rx.flight.begin(); it != rx.flight.end() && it->first <= ack;) {
          // From the data's sending to the ACK's arrival at its sender.
          if (it->first == ack && !it->second.second && !s.lost && s.arrived >= it->second.first) {
            c.rtt.push_back({s.arrived, peer_dir, s.arrived - it->second.first});
          }
          it = rx.flight.erase(it);
        }
      }
      if (!tx.have_ack || ack >= tx.last_ack) {
        tx.have_ack = true;
        tx.last_ack = ack;
        tx.last_win = s.window;
      }
    }
    if (!seg.flags.rst()) tx.zero_window = seg.window == 0 && !seg.flags.syn();

    infer_states(c, ci, s, seg, have_ack, ack, end);
  }

  Duration estimated_rto(const Connection& c, Dir data) const {
    // RFC 6298 over this direction's samples, with Linux's 200 ms floor: a
    // retransmission sooner than this was not an RTO.
    double srtt = 0, rttvar = 0;
    bool first = true;
    for (const auto& r : c.rtt) {
      if (r.data_dir != data) continue;
      double v = static_cast<double>(r.rtt.count());
      if (first) {
        srtt = v;
        rttvar = v / 2;
        first = false;
      } else {
        rttvar += (std::abs(srtt - v) - rttvar) / 4;
        srtt += (v - srtt) / 8;
      }
    }
    auto rto = static_cast<std::int64_t>(srtt + 4 * rttvar);
    return std::max(Duration(rto), Duration(200'000'000));
  }

  // The RFC 9293 state machine of both ends, run on what each sent and received.
  //
  // A capture shows when a segment passed the capture point, not when its receiver
  // processed it. ACKs and RSTs take effect at once; a SYN or a FIN (which occupy
  // sequence space) is taken as received only once the receiver acknowledges it —
  // until then the receiver may still be sending on its own, as in a simultaneous
  // open or close. What is never acknowledged is taken as received at the end.
  struct Pending {
    SegmentInfo at;  // the segment (its frame, time, flags)
    std::uint64_t end = 0;
    bool syn = false, ack = false, fin = false;
    std::uint64_t ack_value = 0;
  };

  void infer_states(Connection& c, std::size_t ci, const SegmentInfo& s, const wire::TcpRepr& seg,
                    bool have_ack, std::uint64_t ack, std::uint64_t end) {
    const Dir me = s.dir, peer = me == Dir::AtoB ? Dir::BtoA : Dir::AtoB;
    DirState& tx = dirs_[ci][static_cast<int>(me)];
    DirState& rx = dirs_[ci][static_cast<int>(peer)];
    if (c.segments.empty() && !seg.flags.syn()) {
      // Mid-connection capture: both ends were synchronized before it began.
      tx.state = rx.state = State::Established;
      tx.state_known = rx.state_known = true;
    } else if (c.segments.empty() && seg.flags.ack()) {
      // The capture starts at the SYN,ACK: its sender got a SYN, its receiver sent one.
      tx.state = State::SynReceived;
      rx.state = State::SynSent;
      tx.state_known = rx.state_known = true;
      rx.high = 1;
      rx.syn_sent = true;
    }
    // What the sender must have received before it sent this acknowledgement.
    if (have_ack) {
      auto& q = pending_[ci][static_cast<int>(me)];
      while (!q.empty() && q.front().end <= ack) {
        Pending p = q.front();
        q.erase(q.begin());
        p.at.frame = s.frame;
        p.at.t = s.t;
        // A SYN answered by RST found no listener: its receiver stays CLOSED.
        if (!(p.syn && seg.flags.rst())) receive_syn_fin(c, ci, me, p, true);
      }
    }
    // The sender's side, before the segment.
    if (seg.flags.syn() && !seg.flags.ack() && (!tx.state_known || tx.state == State::Closed)) {
      tx.state = State::Closed;
      tx.state_known = true;
      set_state(c, ci, me, State::SynSent, Rule::rfc9293_3_10_1_open_active, s, true,
                "sent SYN: active open");
    }
    if (seg.flags.syn() && seg.flags.ack() && !tx.state_known) {
      tx.state = State::Listen;  // answered a SYN it had not been seen sending: passive
      tx.state_known = true;
    }
    if (seg.flags.fin()) {
      if (tx.state == State::Established || tx.state == State::SynReceived) {
        set_state(c, ci, me, State::FinWait1, Rule::rfc9293_3_10_4_close_established, s, true,
                  "sent FIN: its application closed");
      } else if (tx.state == State::CloseWait) {
        set_state(c, ci, me, State::LastAck, Rule::rfc9293_3_10_4_close_close_wait, s, true,
                  "sent FIN after the peer's: its application closed");
      }
      tx.fin_sent = true;
      tx.fin_end = end;
    }
    if (seg.flags.rst()) {
      bool synced = tx.state_known && tx.state != State::Closed && tx.state != State::Listen &&
                    tx.state != State::SynSent;
      if (synced) {
        set_state(c, ci, me, State::Closed, Rule::rfc9293_3_10_5_abort, s, true,
                  "sent RST: the connection was aborted");
      }
    }
    if (s.lost) return;  // the receiver never saw it

    // The receiver's side. Segments from one sender arrive in order: whatever SYN or
    // FIN this sender sent before, its receiver has taken in by now.
    {
      auto& q = pending_[ci][static_cast<int>(peer)];
      for (Pending p : q) {
        p.at.frame = s.frame;
        p.at.t = s.t;
        receive_syn_fin(c, ci, peer, p, false);
      }
      q.clear();
    }
    if (seg.flags.rst()) {
      if (rx.state == State::SynSent) {
        if (have_ack && ack == rx.high)
          set_state(c, ci, peer, State::Closed, Rule::rfc9293_3_10_7_3_syn_sent_rst, s, false,
                    "received RST acknowledging its SYN: connection refused");
      } else if (rx.state == State::SynReceived && !rx.syn_sent_active) {
        set_state(c, ci, peer, State::Listen, Rule::rfc9293_3_10_7_4_rst_syn_received_passive, s,
                  false, "received RST in SYN-RECEIVED: back to LISTEN");
      } else if (rx.state_known && rx.state != State::Closed && rx.state != State::Listen &&
                 rx.state != State::TimeWait) {
        set_state(c, ci, peer, State::Closed, Rule::rfc9293_3_10_7_4_rst, s, false,
                  "received RST in a synchronized state");
      }
      return;
    }
    if (have_ack && !seg.flags.syn()) receive_ack(c, ci, peer, s, ack);
    if (seg.flags.syn() || (seg.flags.fin() && !tx.fin_seen_by_peer)) {
      if (seg.flags.fin()) tx.fin_seen_by_peer = true;
      auto& q = pending_[ci][static_cast<int>(peer)];
      bool dup = seg.flags.syn() && !q.empty() && q.back().syn;  // a SYN retransmitted
      if (!dup) q.push_back({s, end, seg.flags.syn(), seg.flags.ack(), seg.flags.fin(), ack});
    }
  }

  // `end` took in an acknowledgement of its own SYN or FIN.
  void receive_ack(Connection& c, std::size_t ci, Dir end, const SegmentInfo& s,
                   std::uint64_t ack) {
    DirState& rx = dirs_[ci][static_cast<int>(end)];
    if (rx.state == State::SynReceived && ack >= 1) {
      set_state(c, ci, end, State::Established, Rule::rfc9293_3_10_7_4_syn_received_ack, s, false,
                "received the ACK of its SYN,ACK");
    }
    bool fin_acked = rx.fin_sent && ack >= rx.fin_end;
    if (fin_acked && rx.state == State::FinWait1) {
      set_state(c, ci, end, State::FinWait2, Rule::rfc9293_3_10_7_4_fin_wait_1_ack, s, false,
                "its FIN was acknowledged");
    } else if (fin_acked && rx.state == State::Closing) {
      set_state(c, ci, end, State::TimeWait, Rule::rfc9293_3_10_7_4_closing_ack, s, false,
                "its FIN was acknowledged after both sent FIN");
    } else if (fin_acked && rx.state == State::LastAck) {
      set_state(c, ci, end, State::Closed, Rule::rfc9293_3_10_7_4_last_ack_ack, s, false,
                "its FIN was acknowledged: connection closed");
    }
  }

  // `end` took in the other end's SYN or FIN (segment p).
  void receive_syn_fin(Connection& c, std::size_t ci, Dir end, const Pending& p, bool before) {
    DirState& rx = dirs_[ci][static_cast<int>(end)];
    const SegmentInfo& s = p.at;
    if (p.syn) {
      if (!rx.state_known) {
        rx.state = State::Listen;
        rx.state_known = true;
      }
      if (!p.ack && rx.state == State::Listen) {
        set_state(c, ci, end, State::SynReceived, Rule::rfc9293_3_10_7_2_listen_syn, s, before,
                  "received SYN on a listening socket");
      } else if (!p.ack && rx.state == State::SynSent) {
        rx.syn_sent_active = true;
        set_state(c, ci, end, State::SynReceived, Rule::rfc9293_3_10_7_3_syn_sent_syn, s, before,
                  "received SYN while its own SYN is out: simultaneous open");
      } else if (p.ack && rx.state == State::SynSent && p.ack_value >= 1) {
        set_state(c, ci, end, State::Established, Rule::rfc9293_3_10_7_3_syn_sent_syn_ack, s,
                  before, "received SYN,ACK acknowledging its SYN");
      } else if (p.ack && rx.state == State::SynReceived && p.ack_value >= 1) {
        set_state(c, ci, end, State::Established, Rule::rfc9293_3_10_7_4_syn_received_ack, s,
                  before, "received SYN,ACK acknowledging its SYN");
      }
    }
    if (p.fin) {
      if (rx.state == State::Established) {
        set_state(c, ci, end, State::CloseWait, Rule::rfc9293_3_10_7_4_fin_established, s, before,
                  "received FIN: the peer has finished sending");
      } else if (rx.state == State::FinWait1) {
        set_state(c, ci, end, State::Closing, Rule::rfc9293_3_10_7_4_fin_fin_wait_1, s, before,
                  "received FIN before its own FIN was acknowledged: simultaneous close");
      } else if (rx.state == State::FinWait2) {
        set_state(c, ci, end, State::TimeWait, Rule::rfc9293_3_10_7_4_fin_fin_wait_2, s, before,
                  "received FIN after its own FIN was acknowledged");
      }
    }
  }

 public:
  // SYNs and FINs never acknowledged: taken as received where they passed.
  void finish() {
    for (std::size_t ci = 0; ci < pending_.size(); ++ci) {
      for (int e = 0; e < 2; ++e) {
        for (const Pending& p : pending_[ci][e])
          receive_syn_fin(out_.connections[ci], ci, static_cast<Dir>(e), p, false);
        pending_[ci][e].clear();
      }
      // Notes in the order of the frames they belong to (a flushed receipt is late).
      std::stable_sort(out_.connections[ci].states.begin(), out_.connections[ci].states.end(),
                       [](const InferredState& x, const InferredState& y) {
                         return x.frame != y.frame ? x.frame < y.frame
                                                   : x.before_frame && !y.before_frame;
                       });
    }
  }

 private:
  Analysis& out_;
  std::map<Key, std::size_t> index_;
  std::vector<std::array<DirState, 2>> dirs_;
  std::vector<std::array<std::vector<Pending>, 2>> pending_;  // per connection, per receiving end
};

}  // namespace

Analysis analyze(std::span<const RecordedFrame> frames) {
  Analysis a;
  a.frames = frames.size();
  Analyzer an(a);
  for (std::size_t i = 0; i < frames.size(); ++i) an.frame(i, frames[i]);
  an.finish();
  return a;
}

}  // namespace synack::view
