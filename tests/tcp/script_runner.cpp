// Runs every tests/scripts/*.pkt against one real TcpProtocol on a virtual clock, once
// over IPv4 (the stack 10.77.0.2, the script 10.77.0.1) and once over IPv6 (fd00:77::2,
// fd00:77::1) unless the script names one family (`%family`). Every segment the stack
// emits must be matched, in order, by a `>` line; see docs/SCRIPTS.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "synack/base/random.hpp"
#include "synack/script/script.hpp"
#include "synack/tcp/icmpv6_error.hpp"
#include "synack/tcp/protocol.hpp"
#include "synack/wire/ipv6.hpp"

namespace synack::tcp {
namespace {

using namespace synack::script;  // the script language drives this layer

// The address family a script runs in (packetdrill's ipv4 and ipv6 modes).
enum class Family : std::uint8_t { Ipv4, Ipv6 };

std::string_view family_name(Family f) {
  return f == Family::Ipv4 ? "ipv4" : "ipv6";
}

constexpr wire::Ipv4Addr kLocal4 = wire::Ipv4Addr::from_octets(10, 77, 0, 2);
constexpr wire::Ipv4Addr kRemote4 = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv6Addr kLocal6 = *wire::Ipv6Addr::parse("fd00:77::2");
const wire::Ipv6Addr kRemote6 = *wire::Ipv6Addr::parse("fd00:77::1");
// The IPv6 header is 20 bytes longer than IPv4's: a script written for both families
// runs over IPv6 with a link MTU 20 bytes larger, so its MSS values and segment sizes
// mean the same in both (docs/SCRIPTS.md).
constexpr std::uint16_t kIpv6ExtraHeader = 20;
constexpr std::uint16_t kDefaultServerPort = 8080;
constexpr std::uint16_t kDefaultRemotePort = 40000;
constexpr std::uint32_t kDefaultRemoteIsn = 1000000;
constexpr int kMaxTimerSteps = 1'000'000;

// Scripts spell states as identifiers: the RFC name with '_' for '-' (FIN_WAIT_1).
std::string state_name(State s) {
  std::string name(to_string(s));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string event_name(EventKind k) {
  return std::string(to_string(k));
}

std::string error_name(ConnError e) {
  switch (e) {
    case ConnError::Refused:
      return "Refused";
    case ConnError::Reset:
      return "Reset";
    case ConnError::TimedOut:
      return "TimedOut";
    case ConnError::HostUnreachable:
      return "HostUnreachable";
    case ConnError::NetUnreachable:
      return "NetUnreachable";
    case ConnError::ProtocolUnreachable:
      return "ProtocolUnreachable";
    case ConnError::PortUnreachable:
      return "PortUnreachable";
    case ConnError::AdminProhibited:
      return "AdminProhibited";
    case ConnError::MessageTooLong:
      return "MessageTooLong";
    default:
      return "?";
  }
}

std::string error_name(ListenError e) {
  switch (e) {
    case ListenError::AddressInUse:
      return "AddressInUse";
    case ListenError::InvalidAddress:
      return "InvalidAddress";
    case ListenError::InvalidOption:
      return "InvalidOption";
    default:
      return "?";
  }
}

std::string error_name(AcceptError e) {
  switch (e) {
    case AcceptError::WouldBlock:
      return "WouldBlock";
    case AcceptError::NoSuchListener:
      return "NoSuchListener";
    default:
      return "?";
  }
}

std::string error_name(ConnectError e) {
  switch (e) {
    case ConnectError::InvalidAddress:
      return "InvalidAddress";
    case ConnectError::AddressInUse:
      return "AddressInUse";
    case ConnectError::NoEphemeralPort:
      return "NoEphemeralPort";
    case ConnectError::TooManyConnections:
      return "TooManyConnections";
    default:
      return "?";
  }
}

std::string error_name(SendError e) {
  switch (e) {
    case SendError::NoSuchConnection:
      return "NoSuchConnection";
    case SendError::NotConnected:
      return "NotConnected";
    case SendError::WriteShutdown:
      return "WriteShutdown";
    case SendError::Reset:
      return "Reset";
    case SendError::WouldBlock:
      return "WouldBlock";
    default:
      return "?";
  }
}

std::string error_name(RecvError e) {
  switch (e) {
    case RecvError::NoSuchConnection:
      return "NoSuchConnection";
    case RecvError::WouldBlock:
      return "WouldBlock";
    case RecvError::Reset:
      return "Reset";
    default:
      return "?";
  }
}

std::string error_name(CloseError e) {
  switch (e) {
    case CloseError::NoSuchConnection:
      return "NoSuchConnection";
    case CloseError::NoSuchListener:
      return "NoSuchListener";
    default:
      return "?";
  }
}

std::string error_name(OptionError e) {
  switch (e) {
    case OptionError::NoSuchConnection:
      return "NoSuchConnection";
    case OptionError::InvalidValue:
      return "InvalidValue";
    default:
      return "?";
  }
}

// What a call returned, in script terms: a value or an error name.
struct Outcome {
  std::optional<std::int64_t> value;
  std::string error;
};

template <class T, class E>
Outcome outcome(const Result<T, E>& r, std::int64_t v) {
  return r.ok() ? Outcome{v, {}} : Outcome{std::nullopt, error_name(r.error())};
}
template <class E>
Outcome outcome(const Status<E>& s) {
  return s.ok() ? Outcome{0, {}} : Outcome{std::nullopt, error_name(s.error())};
}

std::string seconds(Instant t) {
  TimeSpec ts;
  ts.at = t.since_origin();
  return format_time(ts);
}

// A segment the stack emitted and when.
struct Emitted {
  Instant at;
  OutSegment seg;
};

// The IP header fields a segment crosses the TCP/IP boundary with: the TTL (IPv6: Hop
// Limit) and the DS byte (IPv4's TOS byte, IPv6's Traffic Class) with its ECN bits.
struct IpFields {
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;
};

// Writes the fields into the family's IP header and reads them back, so an ECN mark is
// set and checked where RFC 3168 §5 puts it in each family (IPv6: the Traffic Class).
IpFields through_ip(const wire::IpAddr& src, const wire::IpAddr& dst, IpFields f) {
  constexpr std::uint8_t kTcp = 6;
  std::array<std::byte, wire::Ipv6Repr::kHeaderLen> buf{};
  if (src.is_v4()) {
    wire::Ipv4Repr ip;
    ip.src = src.v4();
    ip.dst = dst.v4();
    ip.protocol = kTcp;
    ip.ttl = f.ttl;
    ip.dscp_ecn = f.dscp_ecn;
    const auto back = wire::Ipv4Repr::parse(Bytes(buf).first(ip.emit(buf)));
    return back ? IpFields{back->ttl, back->dscp_ecn} : IpFields{0, 0};
  }
  wire::Ipv6Repr ip;
  ip.src = src.v6();
  ip.dst = dst.v6();
  ip.next_header = kTcp;
  ip.hop_limit = f.ttl;
  ip.traffic_class = f.dscp_ecn;
  const auto back = wire::Ipv6Repr::parse(Bytes(buf).first(ip.emit(buf)));
  return back ? IpFields{back->hop_limit, back->traffic_class} : IpFields{0, 0};
}

// The family a script is restricted to by `%family ipv4|ipv6`, if any.
std::optional<Family> script_family(const Script& s) {
  for (const auto& d : s.directives) {
    if (d.key != "family" || d.value.is_number()) continue;
    if (d.value.ident() == "ipv4") return Family::Ipv4;
    if (d.value.ident() == "ipv6") return Family::Ipv6;
  }
  return std::nullopt;
}

class Runner {
 public:
  explicit Runner(Family family = Family::Ipv4)
      : family_(family),
        local_(family == Family::Ipv4 ? wire::IpAddr(kLocal4) : wire::IpAddr(kLocal6)),
        remote_(family == Family::Ipv4 ? wire::IpAddr(kRemote4) : wire::IpAddr(kRemote6)) {}

  // Empty on success, else the first failure ("line N: ...").
  std::string run(std::string_view text) {
    auto parsed = parse_script(text);
    if (!parsed) return parsed.error().to_string();
    for (const auto& d : parsed->directives) {
      if (!apply_directive(d)) return failure_;
    }
    // A script for both families speaks IPv4's numbers; one restricted to IPv6 its own.
    if (family_ == Family::Ipv6 && !script_family(*parsed)) {
      config_.mtu = static_cast<std::uint16_t>(std::min(config_.mtu + kIpv6ExtraHeader, 0xffff));
    }
    bases_.remote_isn = SeqNum(remote_isn_);
    dscp_ = config_.defaults.dscp;
    random_.emplace(seed_);
    proto_.emplace(config_, *random_);
    for (const auto& line : parsed->lines) {
      if (!step(line)) return failure_;
    }
    if (!queue_.empty()) {
      if (const auto r = parse_out(queue_.front().seg)) learn(*r);
      const std::size_t last = parsed->lines.empty() ? 0 : parsed->lines.back().number;
      fail(last, "unexpected segment after the last line: " + show(queue_.front()));
      return failure_;
    }
    return {};
  }

 private:
  bool fail(std::size_t line, std::string msg) {
    failure_ = "line " + std::to_string(line) + ": " + msg;
    return false;
  }

  bool apply_directive(const Directive& d) {
    if (d.key == "family") {  // %family ipv4 | ipv6: the script runs in that family only
      const auto f = d.value.is_number() ? std::nullopt : script_family(Script{{d}, {}});
      if (!f) return fail(d.number, "%family must be ipv4 or ipv6");
      if (*f != family_) {
        return fail(d.number, "an " + std::string(family_name(*f)) + " script run over " +
                                  std::string(family_name(family_)));
      }
      return true;
    }
    if (d.key == "ecn" && !d.value.is_number()) {  // %ecn on | passive | off (RFC 3168)
      if (!parse_ecn(d.value.ident(), config_.defaults.ecn))
        return fail(d.number, "%ecn must be on, passive or off");
      return true;
    }
    if (d.key == "cc") {  // %cc newreno | cubic: the default for new connections
      if (d.value.is_number() || !parse_cc(d.value.ident(), config_.defaults.cc))
        return fail(d.number, "%cc must be newreno or cubic");
      return true;
    }
    if (!d.value.is_number() || d.value.number() < 0) {
      return fail(d.number, "directive %" + d.key + " needs a non-negative number");
    }
    const auto v = d.value.number();
    const auto ms = std::chrono::milliseconds(v);
    auto& c = config_;
    if (d.key == "remote_isn") {
      remote_isn_ = static_cast<std::uint32_t>(v);
    } else if (d.key == "seed") {
      seed_ = static_cast<std::uint64_t>(v);
    } else if (d.key == "remote_port") {
      remote_port_ = static_cast<std::uint16_t>(v);
    } else if (d.key == "backlog") {
      backlog_ = static_cast<std::uint32_t>(v);
    } else if (d.key == "mtu") {
      c.mtu = static_cast<std::uint16_t>(v);
    } else if (d.key == "ttl") {
      if (v < 1 || v > 255) return fail(d.number, "%ttl must be 1..255");
      c.ttl = static_cast<std::uint8_t>(v);
    } else if (d.key == "msl_ms") {
      c.msl = ms;
    } else if (d.key == "initial_rto_ms") {
      c.initial_rto = ms;
    } else if (d.key == "min_rto_ms") {
      c.min_rto = ms;
    } else if (d.key == "max_rto_ms") {
      c.max_rto = ms;
    } else if (d.key == "delayed_ack_ms") {
      c.delayed_ack = ms;
    } else if (d.key == "connect_timeout_ms") {
      c.connect_timeout = ms;
    } else if (d.key == "r1_retransmissions") {
      c.r1_retransmissions = static_cast<std::uint32_t>(v);
    } else if (d.key == "r2_retransmissions") {
      c.r2_retransmissions = static_cast<std::uint32_t>(v);
    } else if (d.key == "window_scaling") {
      c.window_scaling = v != 0;
    } else if (d.key == "timestamps") {
      c.timestamps = v != 0;
    } else if (d.key == "sack") {
      c.sack = v != 0;
    } else if (d.key == "rack") {
      c.rack = v != 0;
    } else if (d.key == "limited_transmit") {
      c.limited_transmit = v != 0;
    } else if (d.key == "frto") {
      c.frto = v != 0;
    } else if (d.key == "recovery_probe") {
      c.recovery_probe = v != 0;
    } else if (d.key == "rfc1337") {
      c.rfc1337 = v != 0;
    } else if (d.key == "initial_window_segments") {
      c.initial_window_segments = static_cast<std::uint32_t>(v);
    } else if (d.key == "syn_queue") {
      c.syn_queue = static_cast<std::uint32_t>(v);
    } else if (d.key == "syn_cookies") {
      // 0 Never, 1 WhenFull, 2 Always (RFC 4987 §3.6).
      if (v > 2) return fail(d.number, "%syn_cookies must be 0, 1 or 2");
      c.syn_cookies = static_cast<SynCookies>(v);
    } else if (d.key == "tfo_max_pending") {
      c.tfo_max_pending = static_cast<std::uint32_t>(v);
    } else if (d.key == "tfo_key_rotation_ms") {
      c.tfo_key_rotation = ms;
    } else if (d.key == "tfo_cookie_cache") {
      c.tfo_cookie_cache = static_cast<std::size_t>(v);
    } else if (d.key == "tfo_syn_loss_holdoff_ms") {
      c.tfo_syn_loss_holdoff = ms;
    } else if (!set_option(c.defaults, d.key, v)) {
      return fail(d.number, "unknown directive %" + d.key);
    }
    return true;
  }

  static std::optional<std::int64_t> conn_stat(const ConnStats& s, std::string_view name) {
    if (name == "cwnd") return s.cwnd;
    if (name == "ssthresh") return s.ssthresh;
    if (name == "ecn") return s.ecn ? 1 : 0;
    if (name == "ce_in") return static_cast<std::int64_t>(s.ce_in);
    if (name == "ece_in") return static_cast<std::int64_t>(s.ece_in);
    if (name == "ecn_cwnd_reductions") return static_cast<std::int64_t>(s.ecn_cwnd_reductions);
    if (name == "retransmitted_segs") return static_cast<std::int64_t>(s.retransmitted_segs);
    if (name == "fast_retransmits") return static_cast<std::int64_t>(s.fast_retransmits);
    if (name == "rto_expirations") return static_cast<std::int64_t>(s.rto_expirations);
    if (name == "spurious_rtos") return static_cast<std::int64_t>(s.spurious_rtos);
    if (name == "tlp_probes") return static_cast<std::int64_t>(s.tlp_probes);
    if (name == "recovery_probes") return static_cast<std::int64_t>(s.recovery_probes);
    if (name == "srtt_ms") return to_millis(s.srtt);
    if (name == "rto_ms") return to_millis(s.rto);
    return std::nullopt;
  }

  static bool parse_ecn(std::string_view name, EcnMode& out) {
    if (name == "on") {
      out = EcnMode::On;
    } else if (name == "passive") {
      out = EcnMode::Passive;
    } else if (name == "off") {
      out = EcnMode::Off;
    } else {
      return false;
    }
    return true;
  }

  static bool parse_cc(std::string_view name, CcAlgorithm& out) {
    if (name == "newreno") {
      out = CcAlgorithm::NewReno;
    } else if (name == "cubic") {
      out = CcAlgorithm::Cubic;
    } else {
      return false;
    }
    return true;
  }

  static bool set_option(SocketOptions& o, std::string_view name, std::int64_t v) {
    const auto ms = std::chrono::milliseconds(v);
    if (name == "nodelay") {
      o.no_delay = v != 0;
    } else if (name == "keepalive") {
      o.keepalive = v != 0;
    } else if (name == "keepalive_idle_ms") {
      o.keepalive_idle = ms;
    } else if (name == "keepalive_interval_ms") {
      o.keepalive_interval = ms;
    } else if (name == "keepalive_count") {
      o.keepalive_count = static_cast<std::uint32_t>(v);
    } else if (name == "send_buffer") {
      o.send_buffer = static_cast<std::size_t>(v);
    } else if (name == "recv_buffer") {
      o.recv_buffer = static_cast<std::size_t>(v);
    } else if (name == "linger_zero") {
      o.linger_zero = v != 0;
    } else if (name == "user_timeout_ms") {
      // As Linux's TCP_USER_TIMEOUT: 0 clears it (R2 from r2_retransmissions again).
      o.user_timeout = v == 0 ? std::nullopt : std::optional<Duration>(ms);
    } else if (name == "dscp") {
      o.dscp = static_cast<std::uint8_t>(v);
    } else if (name == "ecn") {
      // As Linux's net.ipv4.tcp_ecn: 0 off, 1 on (ask and accept), 2 passive (accept).
      if (v < 0 || v > 2) return false;
      o.ecn = v == 0 ? EcnMode::Off : v == 1 ? EcnMode::On : EcnMode::Passive;
    } else if (name == "tfo") {
      o.tfo = v != 0;  // RFC 7413 Fast Open (client and server)
    } else if (name == "report_soft_errors") {
      o.report_soft_errors = v != 0;
    } else {
      return false;
    }
    return true;
  }

  // ---- time ----

  Instant resolve(Duration at, bool relative, Instant base) const {
    return relative ? base + at : Instant::zero() + at;
  }

  void drain() {
    while (auto s = proto_->pop_segment()) {
      queue_.push_back({now_, std::move(*s)});
      if (trace_) std::fprintf(stderr, "  sent %s\n", show(queue_.back()).c_str());
    }
    while (auto e = proto_->pop_event()) events_.push_back(*e);
  }

  // Runs timers up to `t` (stopping early once a segment is queued if `stop_on_output`),
  // then moves the clock to `t`.
  bool advance_to(Instant t, std::size_t line, bool stop_on_output) {
    for (int i = 0; i < kMaxTimerSteps; ++i) {
      if (stop_on_output && !queue_.empty()) return true;
      const auto d = proto_->next_deadline();
      if (!d || *d > t) break;
      now_ = std::max(now_, *d);
      proto_->on_timer(now_);
      drain();
      const auto again = proto_->next_deadline();
      if (again && *again <= now_ && *again == *d && queue_.empty()) {
        return fail(line, "timer due at " + seconds(*d) + " does not advance after on_timer");
      }
    }
    if (stop_on_output && !queue_.empty()) return true;
    if (t > now_ || !ticked_) {
      now_ = std::max(now_, t);
      proto_->on_timer(now_);
      ticked_ = true;
      drain();
    }
    return true;
  }

  // ---- segments ----

  // MUST-2: TcpRepr::parse verifies the checksum over the pseudo-header, so a segment
  // whose checksum the stack got wrong fails every script as "malformed".
  std::optional<wire::TcpRepr> parse_out(const OutSegment& s) const {
    auto r = wire::TcpRepr::parse(s.bytes(), wire::PseudoHeader::between(s.src, s.dst));
    if (!r) return std::nullopt;
    return *r;
  }

  // "> P. 1:101(100) ack 1 win 502 at 1.000", showing the fields `like` shows (or all).
  std::string show(const Emitted& e, const SegmentSpec* like = nullptr) const {
    const auto r = parse_out(e.seg);
    if (!r) return "<malformed segment of " + std::to_string(e.seg.bytes().size()) + " bytes>";
    SegmentSpec s = describe(Direction::Outbound, *r, bases_);
    s.ecn = wire::ecn_of(e.seg.dscp_ecn);
    if (s.ecn == wire::Ecn::NotEct && !(like && like->ecn)) s.ecn.reset();
    if (!(r->flags.bits & wire::TcpFlags::kAck) && !(like && like->ack)) s.ack.reset();
    if (!(r->flags.bits & wire::TcpFlags::kUrg) && !(like && like->urg)) s.urg.reset();
    if (s.options && s.options->opts == wire::TcpOptions{} && !(like && like->options)) {
      s.options.reset();
    }
    return "`" + format_segment(s) + "` at " + seconds(e.at);
  }

  bool expect_segment(const Line& line, const SegmentSpec& want, Instant start, Instant end) {
    if (!advance_to(end, line.number, true)) return false;
    if (queue_.empty()) {
      return fail(line.number, "expected `" + format_segment(want) + "` by " + seconds(end) +
                                   ", nothing was sent");
    }
    const Emitted e = std::move(queue_.front());
    queue_.pop_front();
    prev_ = e.at;
    const auto r = parse_out(e.seg);
    if (!r) return fail(line.number, "the stack sent a malformed segment");
    // MUST-45: every segment of the connection leaves from the local address in use.
    if (e.seg.src != local_ || e.seg.dst != remote_) {
      return fail(line.number,
                  "segment from " + e.seg.src.to_string() + " to " + e.seg.dst.to_string());
    }
    // MUST-49: the TTL (IPv6: Hop Limit) handed to IP is the configured one (%ttl,
    // default 64).
    const IpFields ip = through_ip(local_, remote_, {e.seg.ttl, e.seg.dscp_ecn});
    if (ip.ttl != config_.ttl) {
      return fail(line.number, "segment with TTL " + std::to_string(ip.ttl) + ", configured " +
                                   std::to_string(config_.ttl));
    }
    // MUST-48, SHLD-22: the Diffserv field set for the connection goes to IP unchanged
    // (the ECN bits are compared with the line's mark below). No segment is queued
    // across a setsockopt line, so the current value is the one each segment was sent
    // with.
    if ((ip.dscp_ecn >> 2) != dscp_) {
      return fail(line.number, "segment with DS field " + std::to_string(ip.dscp_ecn) +
                                   ", expected DSCP " + std::to_string(dscp_) + " << 2");
    }
    learn(*r);
    const std::string got = show(e, &want);
    if (r->dst_port != remote_port_ || r->src_port != local_port_) {
      return fail(line.number, "ports " + std::to_string(r->src_port) + "->" +
                                   std::to_string(r->dst_port) + " in " + got);
    }
    SegmentSpec actual = describe(Direction::Outbound, *r, bases_);
    actual.ecn = wire::ecn_of(ip.dscp_ecn);
    const auto diff = mismatches(want, actual);
    if (!diff.empty()) {
      std::string fields;
      for (const auto& f : diff) fields += (fields.empty() ? "" : ",") + f;
      return fail(line.number,
                  "expected `" + format_segment(want) + "` got " + got + " (" + fields + ")");
    }
    if (e.at < start) {
      return fail(line.number, "expected at " + seconds(start) + " got " + got + " (too early)");
    }
    return check_payload(line, *r);
  }

  // ISN and port of our side come from the segments we send: the first SYN, and any
  // SYN,ACK answering a different SYN (a new incarnation).
  void learn(const wire::TcpRepr& r) {
    if (local_port_ == 0) local_port_ = r.src_port;
    if (r.flags.syn()) {
      const bool new_incarnation = r.flags.ack() && (!syn_ack_for_ || *syn_ack_for_ != r.ack);
      if (!isn_known_ || new_incarnation) {
        bases_.local_isn = r.seq;
        isn_known_ = true;
      }
      if (r.flags.ack()) syn_ack_for_ = r.ack;
    }
    if (r.options.timestamps) last_tsval_ = r.options.timestamps->tsval;
    if (r.options.tfo_cookie && r.options.tfo_cookie_len >= 4) last_tfo_ = r.options;
    last_sent_seq_ = r.seq;
  }

  void new_connection() {
    isn_known_ = false;
    syn_ack_for_.reset();
    conn_.reset();
    tx_off_ = 0;
    rx_off_ = 0;
  }

  // Data we send is what write() was given: pattern_byte(stream offset).
  bool check_payload(const Line& line, const wire::TcpRepr& r) {
    const auto first =
        static_cast<std::uint32_t>((r.seq + (r.flags.syn() ? 1 : 0)) - (bases_.local_isn + 1));
    for (std::size_t i = 0; i < r.payload.size(); ++i) {
      if (r.payload[i] != pattern_byte(std::uint64_t{first} + i)) {
        return fail(line.number, "payload byte " + std::to_string(i) + " (stream offset " +
                                     std::to_string(std::uint64_t{first} + i) +
                                     ") is not what was written");
      }
    }
    return true;
  }

  void inject(const SegmentSpec& s) {
    wire::TcpRepr r = to_repr(s, bases_, last_tsval_, last_tfo_);
    r.src_port = remote_port_;
    r.dst_port = local_port_ == 0 ? kDefaultServerPort : local_port_;
    const std::uint32_t first = *s.seq + ((s.flags & wire::TcpFlags::kSyn) ? 1 : 0) - 1;
    ByteVec payload(s.payload_len);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = pattern_byte(first + i);
    r.payload = payload;
    // Through the wire format and back, as the stack would see it.
    const auto ph = wire::PseudoHeader::between(remote_, local_);
    ByteVec bytes(r.total_len());
    bytes.resize(r.emit(bytes, ph));
    auto parsed = wire::TcpRepr::parse(bytes, ph);
    SegmentIn in;
    in.src = remote_;
    in.dst = local_;
    in.seg = parsed ? *parsed : r;
    const auto mark = static_cast<std::uint8_t>(s.ecn.value_or(wire::Ecn::NotEct));
    in.ecn = wire::ecn_of(through_ip(remote_, local_, {64, mark}).dscp_ecn);
    if (trace_)
      std::fprintf(stderr, "  %s inject %s\n", seconds(now_).c_str(), format_segment(s).c_str());
    proto_->on_segment(in, now_);
    drain();
  }

  // ---- calls ----

  std::int64_t arg_or(const CallSpec& c, std::size_t i, std::int64_t dflt) const {
    return i < c.args.size() && c.args[i].is_number() ? c.args[i].number() : dflt;
  }

  Outcome call(const CallSpec& c, std::size_t line) {
    if (c.name == "socket") return {0, {}};
    if (c.name == "listen") {
      const auto port = static_cast<std::uint16_t>(arg_or(c, 0, kDefaultServerPort));
      auto r = proto_->listen(Endpoint{local_, port}, backlog_);
      if (r) {
        listener_ = *r;
        local_port_ = port;
      }
      return outcome(r, 0);
    }
    if (c.name == "connect") {
      remote_port_ = static_cast<std::uint16_t>(arg_or(c, 0, kDefaultServerPort));
      // An explicit local port (second argument) instead of an ephemeral one.
      const auto local_port = static_cast<std::uint16_t>(arg_or(c, 1, 0));
      auto r = proto_->connect(Endpoint{local_, local_port}, Endpoint{remote_, remote_port_}, now_);
      if (r) {
        conn_ = *r;
        if (auto ep = proto_->local_endpoint(*r)) local_port_ = ep->port;
      }
      drain();
      return outcome(r, 0);
    }
    if (c.name == "connect_data") {
      // RFC 7413: an active open that hands n bytes over with the SYN (sendto with
      // MSG_FASTOPEN). A new connection: numbers and stream offsets start again.
      remote_port_ = static_cast<std::uint16_t>(arg_or(c, 1, kDefaultServerPort));
      const auto local_port = static_cast<std::uint16_t>(arg_or(c, 2, 0));
      ByteVec data(static_cast<std::size_t>(std::max<std::int64_t>(0, arg_or(c, 0, 0))));
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = pattern_byte(i);
      new_connection();
      auto r = proto_->connect(Endpoint{local_, local_port}, Endpoint{remote_, remote_port_}, now_,
                               config_.defaults, data);
      if (r) {
        conn_ = *r;
        tx_off_ = data.size();
        if (auto ep = proto_->local_endpoint(*r)) local_port_ = ep->port;
      }
      drain();
      return outcome(r, 0);
    }
    if (c.name == "peer_port") {
      // The peer opens another connection from this port: numbers start again.
      remote_port_ = static_cast<std::uint16_t>(arg_or(c, 0, kDefaultRemotePort));
      new_connection();
      return {0, {}};
    }
    if (c.name == "tcp_stat") {
      // A counter of the whole TcpProtocol (ProtocolStats), e.g. tfo_accepted.
      const ProtocolStats& st = proto_->stats();
      const std::string name = c.args[0].is_number() ? "" : c.args[0].ident();
#define SYNACK_SCRIPT_STAT(f) \
  if (name == #f) return {static_cast<std::int64_t>(st.f), {}};
      SYNACK_TCP_STATS(SYNACK_SCRIPT_STAT)
#undef SYNACK_SCRIPT_STAT
      fail(line, "unknown counter in " + format_call(c));
      return {};
    }
    if (c.name == "begin_batch") {
      // Segments up to end_batch() arrive together (Stack::on_frames, MUST-58/59).
      proto_->begin_batch();
      return {0, {}};
    }
    if (c.name == "end_batch") {
      proto_->end_batch(now_);
      drain();
      return {0, {}};
    }
    if (c.name == "accept") {
      if (!listener_) return {std::nullopt, "NoSuchListener"};
      auto r = proto_->accept(*listener_);
      if (r) conn_ = *r;
      drain();  // accept() reports what happened before it (Readable, PeerClosed ...)
      return outcome(r, 0);
    }
    if (!conn_) {
      fail(line, c.name + "() before connect() or accept()");
      return {std::nullopt, "NoConnection"};
    }
    const ConnId id = *conn_;
    Outcome out;
    if (c.name == "write" || c.name == "send_urgent") {
      ByteVec data(static_cast<std::size_t>(std::max<std::int64_t>(0, arg_or(c, 0, 0))));
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = pattern_byte(tx_off_ + i);
      auto r = c.name == "write" ? proto_->send(id, data) : proto_->send_urgent(id, data);
      if (r) tx_off_ += *r;
      out = outcome(r, r ? static_cast<std::int64_t>(*r) : 0);
    } else if (c.name == "read" || c.name == "peek") {
      // peek (MSG_PEEK): the bytes are checked like read()'s but stay queued.
      const bool peek = c.name == "peek";
      ByteVec buf(static_cast<std::size_t>(std::max<std::int64_t>(0, arg_or(c, 0, 0))));
      auto r = peek ? proto_->peek(id, buf) : proto_->receive(id, buf);
      if (r) {
        for (std::size_t i = 0; i < *r; ++i) {
          if (buf[i] != pattern_byte(rx_off_ + i)) {
            fail(line, c.name + " byte " + std::to_string(i) + " (stream offset " +
                           std::to_string(rx_off_ + i) + ") is not what the peer sent");
            return {};
          }
        }
        if (!peek) rx_off_ += *r;
      }
      out = outcome(r, r ? static_cast<std::int64_t>(*r) : 0);
    } else if (c.name == "urgent") {
      // MUST-33: how much urgent data remains to be read.
      const auto n = proto_->urgent_remaining(id);
      if (!n) return {std::nullopt, "NoSuchConnection"};
      out = {static_cast<std::int64_t>(*n), {}};
    } else if (c.name == "tcp_info") {
      // A counter or gauge of the connection (ConnStats), as Linux's TCP_INFO.
      const auto st = proto_->conn_stats(id);
      if (!st) return {std::nullopt, "NoSuchConnection"};
      const auto v = c.args[0].is_number() ? std::nullopt : conn_stat(*st, c.args[0].ident());
      if (!v) {
        fail(line, "unknown tcp_info field in " + format_call(c));
        return {};
      }
      out = {*v, {}};
    } else if (c.name == "shutdown") {
      out = outcome(proto_->shutdown_write(id));
    } else if (c.name == "close") {
      out = outcome(proto_->close(id));
    } else if (c.name == "abort") {
      out = outcome(proto_->abort(id));
    } else if (c.name == "icmp" || c.name == "icmp6") {
      // An ICMP error quoting the last segment we sent (RFC 9293 §3.9.2.2): icmp() is
      // ICMPv4, icmp6() ICMPv6, which TCP reads as the ICMPv4 error of the same meaning.
      const bool v6 = c.name == "icmp6";
      if (v6 != (family_ == Family::Ipv6)) {
        fail(line, c.name + "() in an " + std::string(family_name(family_)) +
                       " run: restrict the script with %family");
        return {};
      }
      const auto type = static_cast<std::uint8_t>(arg_or(c, 0, 0));
      const auto code = static_cast<std::uint8_t>(arg_or(c, 1, 0));
      const auto mtu = static_cast<std::uint32_t>(arg_or(c, 2, 0));
      std::optional<IcmpErrorIn> err =
          v6 ? icmpv6_error_for_tcp(type, code, mtu)
             : IcmpErrorIn{type, code, static_cast<std::uint16_t>(mtu), {}, {}, {}};
      if (!err) {
        fail(line, "not an ICMPv6 error type in " + format_call(c));
        return {};
      }
      err->local = Endpoint{local_, local_port_};
      err->remote = Endpoint{remote_, remote_port_};
      err->quoted_seq = last_sent_seq_;
      proto_->on_icmp_error(*err, now_);
      out = {0, {}};
    } else if (c.name == "setsockopt") {
      auto opts = proto_->options(id);
      if (!opts) return {std::nullopt, "NoSuchConnection"};
      const bool cc = !c.args[0].is_number() && c.args[0].ident() == "cc";
      if (c.args[0].is_number() ||
          (cc ? c.args[1].is_number() || !parse_cc(c.args[1].ident(), opts->cc)
              : !c.args[1].is_number() ||
                    !set_option(*opts, c.args[0].ident(), c.args[1].number()))) {
        fail(line, "unknown socket option in " + format_call(c));
        return {};
      }
      out = outcome(proto_->set_options(id, *opts));
      if (out.value) dscp_ = opts->dscp;
    } else {
      return {0, {}};
    }
    drain();
    return out;
  }

  bool check_call(const Line& line, const CallSpec& c) {
    if (c.name == "state") return check_state(line, c);
    if (c.name == "event" || c.name == "noevent") return check_event(line, c);
    const Outcome got = call(c, line.number);
    if (!failure_.empty()) return false;
    const std::string shown = got.value ? std::to_string(*got.value) : "-" + got.error;
    if (!c.expect) {
      if (!got.value) return fail(line.number, format_call(c) + " failed: " + shown);
      return true;
    }
    const bool match = c.expect->is_error() ? !got.value && got.error == c.expect->error()
                                            : got.value && *got.value == c.expect->value();
    if (!match) return fail(line.number, format_call(c) + " returned " + shown);
    return true;
  }

  bool check_state(const Line& line, const CallSpec& c) {
    if (c.args[0].is_number()) return fail(line.number, "state() takes a state name");
    std::string now = "CLOSED";
    if (conn_) {
      if (auto s = proto_->state(*conn_)) now = state_name(*s);
    } else if (listener_) {
      now = "LISTEN";
    }
    if (now != c.args[0].ident()) {
      return fail(line.number, "state is " + now + ", expected " + c.args[0].ident());
    }
    return true;
  }

  bool check_event(const Line& line, const CallSpec& c) {
    if (c.args[0].is_number() || (c.args.size() > 1 && c.args[1].is_number())) {
      return fail(line.number, c.name + "() takes an event name");
    }
    const auto it = std::find_if(events_.begin(), events_.end(), [&](const Event& e) {
      return event_name(e.kind) == c.args[0].ident() &&
             (c.args.size() < 2 || error_name(e.error) == c.args[1].ident());
    });
    if (c.name == "noevent") {
      if (it != events_.end()) return fail(line.number, "unexpected event " + c.args[0].ident());
      return true;
    }
    if (it == events_.end()) {
      std::string pending;
      for (const auto& e : events_) {
        pending += " " + event_name(e.kind) +
                   (e.kind == EventKind::Error ? "(" + error_name(e.error) + ")" : "");
      }
      return fail(line.number, "no event " + format_call(c) +
                                   "; pending:" + (pending.empty() ? " none" : pending));
    }
    events_.erase(it);
    return true;
  }

  bool step(const Line& line) {
    const Instant start = resolve(line.time.at, line.time.relative, prev_);
    const Instant end =
        line.time.until ? resolve(*line.time.until, line.time.until_relative, prev_) : start;
    if (end < start) return fail(line.number, "time window ends before it starts");
    if (start < now_) {
      return fail(line.number, "time " + seconds(start) + " is before " + seconds(now_));
    }
    if (const auto* seg = std::get_if<SegmentSpec>(&line.body);
        seg && seg->dir == Direction::Outbound) {
      return expect_segment(line, *seg, start, end);
    }
    if (!advance_to(start, line.number, false)) return false;
    if (!queue_.empty()) {
      if (const auto r = parse_out(queue_.front().seg)) learn(*r);
      return fail(line.number, "unexpected segment " + show(queue_.front()));
    }
    prev_ = start;
    if (const auto* seg = std::get_if<SegmentSpec>(&line.body)) {
      inject(*seg);
      return true;
    }
    return check_call(line, std::get<CallSpec>(line.body));
  }

  // Scripts run with RFC 6298 (2.4)'s 1 s RTO floor whatever the library's default is
  // (the timings they spell out assume it); %min_rto_ms sets another.
  TcpConfig config_ = [] {
    TcpConfig c;
    c.min_rto = std::chrono::seconds(1);
    return c;
  }();
  Family family_;
  wire::IpAddr local_;   // the stack
  wire::IpAddr remote_;  // the peer the script plays
  std::uint64_t seed_ = 1;
  std::uint32_t remote_isn_ = kDefaultRemoteIsn;
  std::uint32_t backlog_ = 16;
  std::optional<SeededRandom> random_;
  std::optional<TcpProtocol> proto_;
  Instant now_;
  Instant prev_;
  bool ticked_ = false;
  SeqBases bases_;
  bool isn_known_ = false;
  std::optional<SeqNum> syn_ack_for_;
  std::uint32_t last_tsval_ = 0;
  std::optional<wire::TcpOptions> last_tfo_;  // the last Fast Open cookie the stack sent
  std::uint8_t dscp_ = 0;                     // the DSCP every emitted segment must carry
  SeqNum last_sent_seq_;
  std::uint16_t local_port_ = 0;
  std::uint16_t remote_port_ = kDefaultRemotePort;
  std::optional<ListenerId> listener_;
  std::optional<ConnId> conn_;
  std::uint64_t tx_off_ = 0;
  std::uint64_t rx_off_ = 0;
  std::deque<Emitted> queue_;
  std::deque<Event> events_;
  std::string failure_;
  // SYNACK_SCRIPT_TRACE=1 prints every segment while a script runs (debugging aid).
  bool trace_ = std::getenv("SYNACK_SCRIPT_TRACE") != nullptr;
};

// SYNACK_SCRIPT_DIR=/some/dir runs the scripts of another directory (debugging aid).
std::filesystem::path script_dir() {
  if (const char* dir = std::getenv("SYNACK_SCRIPT_DIR")) return dir;
  return std::filesystem::path(SYNACK_SOURCE_DIR) / "tests" / "scripts";
}

std::vector<std::string> script_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(script_dir(), ec)) {
    if (entry.path().extension() == ".pkt") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One script in one address family: a test of its own, named after both.
struct ScriptCase {
  std::string file;
  Family family = Family::Ipv4;
  friend void PrintTo(const ScriptCase& c, std::ostream* os) {
    *os << c.file << " over " << family_name(c.family);
  }
};

// Every script in both families, except those a `%family` directive restricts to one
// (a script that does not parse runs in both and fails in both).
std::vector<ScriptCase> script_cases() {
  std::vector<ScriptCase> cases;
  for (const auto& name : script_names()) {
    const auto parsed = parse_script(read_file(script_dir() / name));
    const auto only = parsed ? script_family(*parsed) : std::nullopt;
    for (const Family f : {Family::Ipv4, Family::Ipv6}) {
      if (!only || *only == f) cases.push_back({name, f});
    }
  }
  return cases;
}

class ScriptTest : public ::testing::TestWithParam<ScriptCase> {};

TEST_P(ScriptTest, Runs) {
  const ScriptCase& c = GetParam();
  const std::string text = read_file(script_dir() / c.file);
  ASSERT_FALSE(text.empty()) << c.file;
  Runner runner(c.family);
  const std::string failure = runner.run(text);
  EXPECT_EQ(failure, "") << c.file << " over " << family_name(c.family) << ":" << failure;
}

INSTANTIATE_TEST_SUITE_P(Scripts, ScriptTest, ::testing::ValuesIn(script_cases()),
                         [](const ::testing::TestParamInfo<ScriptCase>& info) {
                           const std::string& file = info.param.file;
                           std::string n = file.substr(0, file.size() - 4);
                           std::replace_if(
                               n.begin(), n.end(),
                               [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
                               '_');
                           return n + "_" + std::string(family_name(info.param.family));
                         });

TEST(ScriptRunner, FindsTheScripts) {
  EXPECT_GE(script_names().size(), 30u);
}

constexpr const char* kHandshake =
    "0.000 listen(8080) = 0\n"
    "0.100 < S 0:0(0) win 65535 <mss 1460>\n";

TEST(ScriptRunner, ReportsAMismatchWithExpectedAndActual) {
  Runner runner;
  const std::string failure =
      runner.run(std::string(kHandshake) + "0.100 > S. 0:0(0) ack 2 <mss 1460>\n");
  EXPECT_EQ(
      failure.rfind("line 3: expected `> S. 0:0(0) ack 2 <mss 1460>` got `> S. 0:0(0) ack 1", 0),
      0u)
      << failure;
  EXPECT_NE(failure.find("(ack)"), std::string::npos) << failure;
}

TEST(ScriptRunner, ReportsAnUnexpectedSegment) {
  Runner runner;
  const std::string failure = runner.run(std::string(kHandshake) + "0.200 state(LISTEN)\n");
  EXPECT_EQ(failure.rfind("line 3: unexpected segment `> S. 0:0(0) ack 1", 0), 0u) << failure;
}

TEST(ScriptRunner, ReportsAMissingSegment) {
  Runner runner;
  const std::string failure = runner.run("0.000 listen(8080) = 0\n0.100 > . 1:1(0) ack 1\n");
  EXPECT_EQ(failure, "line 2: expected `> . 1:1(0) ack 1` by 0.100, nothing was sent");
}

TEST(ScriptRunner, ReportsAWrongCallResult) {
  Runner runner;
  const std::string failure = runner.run("0.000 listen(8080) = -AddressInUse\n");
  EXPECT_EQ(failure, "line 1: listen(8080) = -AddressInUse returned 0");
}

TEST(ScriptRunner, ReportsASegmentSentTooEarly) {
  Runner runner;
  const std::string failure =
      runner.run(std::string(kHandshake) + "0.200 > S. 0:0(0) ack 1 <mss 1460>\n");
  EXPECT_NE(failure.find("too early"), std::string::npos) << failure;
}

TEST(ScriptRunner, ReportsLeftoverSegments) {
  Runner runner;
  EXPECT_EQ(runner.run(kHandshake),
            "line 2: unexpected segment after the last line: `> S. 0:0(0) ack 1 win 65535 "
            "<mss 1460>` at 0.100");
}

TEST(ScriptRunner, Ipv6RunSpeaksFromIpv6AddressesWithTheSameMss) {
  // The link MTU is 20 bytes larger over IPv6, so the SYN,ACK's MSS is 1460 in both.
  const std::string script =
      std::string(kHandshake) + "0.100 > S. 0:0(0) ack 1 <mss 1460>\n0.200 < . 1:1(0) ack 1\n";
  EXPECT_EQ(Runner(Family::Ipv4).run(script), "");
  EXPECT_EQ(Runner(Family::Ipv6).run(script), "");
  // A script restricted to IPv6 gets the MTU as written: 1500 - 60.
  EXPECT_EQ(Runner(Family::Ipv6).run("%family ipv6\n" + script),
            "line 4: expected `> S. 0:0(0) ack 1 <mss 1460>` got `> S. 0:0(0) ack 1 win 65535 "
            "<mss 1440>` at 0.100 (options)");
}

TEST(ScriptRunner, FamilyDirectiveRestrictsTheScript) {
  EXPECT_EQ(Runner(Family::Ipv6).run("%family ipv4\n0.000 listen(8080) = 0\n"),
            "line 1: an ipv4 script run over ipv6");
  EXPECT_EQ(Runner(Family::Ipv4).run("%family ipv6\n0.000 listen(8080) = 0\n"),
            "line 1: an ipv6 script run over ipv4");
  EXPECT_EQ(Runner(Family::Ipv4).run("%family ipv5\n"), "line 1: %family must be ipv4 or ipv6");
  EXPECT_EQ(Runner(Family::Ipv6).run("%family ipv6\n0.000 listen(8080) = 0\n"), "");
}

TEST(ScriptRunner, IcmpErrorsBelongToTheirFamily) {
  const std::string established = std::string(kHandshake) +
                                  "0.100 > S. 0:0(0) ack 1 <mss 1460>\n"
                                  "0.200 < . 1:1(0) ack 1 win 65535\n"
                                  "0.200 accept() = 0\n";
  EXPECT_EQ(Runner(Family::Ipv6).run(established + "0.300 icmp(3, 13)\n"),
            "line 6: icmp() in an ipv6 run: restrict the script with %family");
  EXPECT_EQ(Runner(Family::Ipv4).run(established + "0.300 icmp6(1, 1)\n"),
            "line 6: icmp6() in an ipv4 run: restrict the script with %family");
  EXPECT_EQ(Runner(Family::Ipv6).run(established + "0.300 icmp6(128, 0)\n"),
            "line 6: not an ICMPv6 error type in icmp6(128, 0)");
  EXPECT_EQ(Runner(Family::Ipv6).run(established + "0.300 icmp6(1, 1)\n0.300 state(ESTABLISHED)\n"),
            "");
}

TEST(ScriptRunner, EveryScriptRunsInBothFamiliesUnlessRestricted) {
  std::size_t v4 = 0, v6 = 0;
  for (const auto& c : script_cases()) (c.family == Family::Ipv4 ? v4 : v6)++;
  EXPECT_GE(v4, 30u);
  EXPECT_GE(v6, 30u);
  const auto cases = script_cases();
  const auto count = [&](std::string_view file, Family f) {
    return std::count_if(cases.begin(), cases.end(),
                         [&](const ScriptCase& c) { return c.file == file && c.family == f; });
  };
  EXPECT_EQ(count("abort.pkt", Family::Ipv4), 1);
  EXPECT_EQ(count("abort.pkt", Family::Ipv6), 1);
  EXPECT_EQ(count("icmp-frag-needed-pmtu.pkt", Family::Ipv4), 1);  // %family ipv4
  EXPECT_EQ(count("icmp-frag-needed-pmtu.pkt", Family::Ipv6), 0);
}

TEST(ScriptRunner, ReportsParseErrors) {
  Runner runner;
  EXPECT_EQ(runner.run("0.000 bogus()\n"), "line 1: BadCall: unknown call 'bogus'");
}

}  // namespace
}  // namespace synack::tcp
