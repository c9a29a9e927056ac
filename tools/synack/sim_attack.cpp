#include "sim_attack.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <variant>

#include "ladder.hpp"
#include "synack/base/random.hpp"
#include "synack/sim/network.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::cli {
namespace {

using namespace std::chrono_literals;

enum Who : int { kA = 0, kB = 1, kC = 2 };
constexpr std::array<char, 3> kLetter = {'A', 'B', 'C'};
constexpr std::array<std::uint8_t, 3> kAddrByte = {1, 2, 66};

constexpr std::uint16_t kShellPort = 514;    // rsh's port: a remote shell
constexpr std::uint16_t kClientPort = 1023;  // A's fixed source port (the assumption)
// The story's clock (virtual ms).
constexpr auto kProbeAt = 100ms;
constexpr auto kSessionAt = 200ms;  // "A's session starts at about 200 ms" (C knows)
constexpr auto kAttackAt = 600ms;
constexpr auto kSweepAt = 650ms;
constexpr auto kOracleAt = 700ms;
constexpr auto kEndAt = 1200ms;
struct Command {
  std::chrono::milliseconds at;
  const char* text;
};
constexpr std::array<Command, 3> kCommands = {
    {{250ms, "uptime"}, {400ms, "ls /etc"}, {900ms, "date"}}};
constexpr std::size_t kLastCommand = kCommands.size() - 1;  // typed after the attack

// The 4.2BSD-style counter of TcpConfig.insecure.predictable_isn, as C models it.
constexpr std::uint32_t kIsnPerConnection = 64000;
constexpr std::uint32_t kIsnPerMs = 128;
// The injected segment starts this far below C's guess of A's first byte and opens
// with a sled of blanks, so that any RCV.NXT within ±kSlack of the guess works.
constexpr std::uint32_t kSlack = 512;
constexpr const char* kInjected = "rm -rf / --no-preserve-root";
// ACK = B's guess + 1 - kAckBelow: RFC 793 ignores an old ACK ("a duplicate") but drops
// one beyond SND.NXT, so C errs low.
constexpr std::uint32_t kAckBelow = 1024;
constexpr int kSweepCount = 8;
constexpr std::uint32_t kSweepStep = 16384;

std::string time_col(Instant t) {
  return fmt::format("{:>10.3f}", static_cast<double>(t.nanos()) / 1e6);
}

std::int64_t ms_of(Instant t) {
  return to_millis(t.since_origin());
}

std::string shell_answer(const std::string& cmd) {
  if (cmd == "uptime") return " 06:00:01 up 412 days,  load average: 0.01\n";
  if (cmd == "ls /etc") return "hosts  passwd  shadow  ssh\n";
  if (cmd == "date") return "Thu Nov 26 06:00:02 UTC 2026\n";
  if (cmd.rfind("rm -rf", 0) == 0) return "(silence: everything is gone)\n";
  return "sh: " + cmd + ": not found\n";
}

std::string printable(const std::string& s) {
  std::string o;
  for (char ch : s) o += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return o;
}

// B's end of A's session as the stack sees it, before and after a forged segment.
struct BView {
  bool exists = false;
  tcp::State state = tcp::State::Closed;
  SeqNum rcv_nxt, snd_una, snd_nxt;
  std::uint32_t rcv_wnd = 0;
  tcp::ConnStats conn;
  tcp::ProtocolStats proto;
};

// A parsed TCP segment with its addresses.
struct Seg {
  wire::Ipv4Addr src, dst;
  wire::TcpRepr tcp;
};

std::optional<Seg> parse_tcp(Bytes frame) {
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth || eth->ethertype != static_cast<std::uint16_t>(wire::EtherType::Ipv4)) return {};
  auto ip = wire::Ipv4Repr::parse(eth->payload);
  if (!ip || ip->protocol != static_cast<std::uint8_t>(wire::IpProto::Tcp)) return {};
  auto t = wire::TcpRepr::parse(ip->payload, {ip->src, ip->dst});
  if (!t) return {};
  return Seg{ip->src, ip->dst, *t};
}

// One host on the switch (its stack and cable belong to the sim::Network; HostId = Who).
struct Node {
  wire::MacAddr mac;
  wire::Ipv4Addr ip;
  std::optional<tcp::ListenerId> shell;
  std::map<std::uint32_t, std::string> lines;  // shell input per connection, by ConnId
};

class AttackRun {
 public:
  AttackRun(const AttackOptions& opt, bool insecure, std::string& out, const AttackCapture& cap);
  AttackResult play();

 private:
  // --- the network: three hosts, one switch, one clock (a sim::Network) ---
  void build(const AttackOptions& opt);
  void at(std::chrono::milliseconds t, std::function<void()> fn) {
    net_.at(Instant::zero() + t, std::move(fn));
  }
  void run_until(Instant end);
  void sent(int from, Bytes frame);
  void arriving(int to, Bytes frame, Instant at);
  void arrived(int to, Bytes frame);
  int node_of(wire::MacAddr mac) const;
  tcp::TcpProtocol& tcp(int who) { return net_.stack(static_cast<sim::HostId>(who)).tcp(); }
  void flush(int who) { net_.stack(static_cast<sim::HostId>(who)).flush_tcp(now()); }
  Instant now() const { return net_.now(); }

  // --- the ladder ---
  std::string arrows(int from, int to, bool spoofed) const;
  std::string describe(Bytes frame, bool spoofed);
  void frame_line(int from, int to, bool spoofed, const std::string& text);
  void note(int who, const std::string& text);
  void narrate(const std::string& text);
  void flush_repeats();

  // --- the applications: a shell on A and B, A's admin session, C's probes ---
  void on_event(int who, const tcp::Event& e);
  void shell_input(int who, tcp::ConnId c);
  void a_command(std::size_t i);
  void a_read();

  // --- the attacker ---
  void c_sees(Bytes frame, Instant at);
  void step1_guess();
  void step2_inject();
  void step3_sweep();
  void step4_oracle();
  void send_forged(SeqNum seq, std::optional<SeqNum> ack, std::uint8_t flags,
                   const std::string& payload);
  BView b_view();
  std::string b_reaction(const Seg& s, const BView& pre, const BView& post);

  void summary();

  bool insecure_;
  std::string& out_;
  AttackCapture cap_;
  bool absolute_;
  sim::Network net_;
  std::array<Node, 3> nodes_;
  bool forging_ = false;                // the frame being sent is C's forgery
  std::optional<BView> pre_;            // B before a forged segment it is being handed
  view::Ladder ladder_{"", "", false};  // describes the frames that are not TCP (ARP)
  using Key = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;
  std::map<Key, SeqNum> isn_;  // per direction, learned from genuine SYNs
  std::deque<std::string> recent_;
  std::uint64_t repeated_ = 0;

  // A's admin session.
  std::optional<tcp::ConnId> a_conn_, b_conn_;
  std::string a_sent_, a_received_, b_received_;
  std::size_t b_consumed_ = 0;  // session bytes B's shell has turned into lines
  std::size_t a_received_before_last_ = 0;
  bool last_command_sent_ = false;
  std::optional<std::uint32_t> a_tsval_;  // the TSval of A's latest segment to B

  // What C learns from its probes: the ISN and (about) when it was chosen.
  struct Probe {
    Instant syn_sent;
    std::optional<SeqNum> isn;
    Instant chosen;
  };
  std::map<std::uint32_t, Probe> probes_;  // by the probed host's address
  SeqNum guess_a_, guess_b_;
  bool told_storm_ = false;

  AttackResult result_;
};

AttackRun::AttackRun(const AttackOptions& opt, bool insecure, std::string& out,
                     const AttackCapture& cap)
    : insecure_(insecure), out_(out), cap_(cap), absolute_(opt.absolute_seq) {
  result_.insecure = insecure;
  build(opt);
}

void AttackRun::build(const AttackOptions& opt) {
  // Both runs draw the same seeds: they differ only in TcpConfig.insecure.
  SeededRandom seeds(opt.seed);
  link::DirectionConfig hop = opt.link;
  hop.delay = opt.link.delay / 2;  // host -> switch -> host is one path delay
  hop.jitter = opt.link.jitter / 2;
  const sim::SwitchId sw = net_.add_switch();
  for (int i = 0; i < 3; ++i) {
    Node& n = nodes_[i];
    stack::StackConfig cfg;
    if (i != kC && insecure_) {
      cfg.tcp.insecure.predictable_isn = true;
      cfg.tcp.insecure.no_rfc5961 = true;
    }
    n.mac = wire::MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, kAddrByte[i]}};
    n.ip = wire::Ipv4Addr::from_octets(10, 77, 0, kAddrByte[i]);
    const std::uint64_t stack_seed = seeds.next_u64();
    const auto h = net_.add_host({.name = std::string(1, kLetter[i]),
                                  .mac = n.mac,
                                  .addr = wire::Ipv4Cidr{n.ip, 24},
                                  .stack = cfg,
                                  .seed = stack_seed});
    net_.connect_to_switch(h, sw, seeds.next_u64(), hop, hop);
    tcp(i).set_trace([this, i](const tcp::Transition& t) {
      if (i == kC) return;  // the attacker's own probes are not the story
      note(i, fmt::format("{}:{} {} -> {}  [{}]", t.remote.addr.to_string(), t.remote.port,
                          tcp::to_string(t.from), tcp::to_string(t.to), tcp::to_string(t.rule)));
    });
  }
  net_.on_capture = [this](const sim::CapturedFrame& f) {
    const int who = static_cast<int>(f.host);
    if (f.dir == sim::CapturedFrame::Dir::Sent) {
      sent(who, f.frame);
    } else {
      arriving(who, f.frame, f.at);
    }
  };
  net_.after_delivery = [this](sim::HostId to, Bytes frame, Instant) {
    arrived(static_cast<int>(to), frame);
  };
  net_.on_event = [this](sim::HostId h, const stack::Event& e) {
    if (auto* te = std::get_if<tcp::Event>(&e)) on_event(static_cast<int>(h), *te);
  };
}

// ------------------------------------------------------------------ the network

int AttackRun::node_of(wire::MacAddr mac) const {
  for (int i = 0; i < 3; ++i) {
    if (nodes_[i].mac == mac) return i;
  }
  return -1;
}

// A frame left a host: what C learns from its own probes, the ladder, B's capture.
void AttackRun::sent(int from, Bytes frame) {
  auto eth = wire::EthernetRepr::parse(frame);
  const int to = eth ? node_of(eth->dst) : -1;
  if (auto s = parse_tcp(frame); s && from == kA && s->tcp.dst_port == kShellPort &&
                                 s->tcp.src_port == kClientPort && s->tcp.options.timestamps) {
    a_tsval_ = s->tcp.options.timestamps->tsval;
  }
  if (auto s = parse_tcp(frame); s && from == kC && s->tcp.flags.syn() && !s->tcp.flags.ack()) {
    probes_[s->dst.value].syn_sent = now();
  }
  frame_line(from, to, forging_, describe(frame, forging_));
  if (cap_.writer && from == kB) {
    (void)cap_.writer->write(cap_.iface, now() + cap_.offset, frame, link::Direction::Outbound);
  }
}

// A frame reaches a host's stack (the switch forwards by destination MAC only, so C
// sees nothing of A's session). For B, a forgery's "before" is kept for arrived().
void AttackRun::arriving(int to, Bytes frame, Instant at) {
  if (to == kC) {
    if (auto s = parse_tcp(frame);
        s && s->tcp.src_port != kClientPort && s->tcp.dst_port != kClientPort) {
      c_sees(frame, at);
    } else if (s) {
      ++result_.session_frames_seen_by_c;  // never: C is off-path
    }
  }
  auto eth = wire::EthernetRepr::parse(frame);
  // A frame "from A" that came out of C's port: the forgery (the switch forwards by
  // destination only, so B cannot tell).
  const bool forged = to == kB && eth && eth->src == nodes_[kC].mac && [&] {
    auto s = parse_tcp(frame);
    return s && s->src == nodes_[kA].ip;
  }();
  pre_.reset();
  if (forged) pre_ = b_view();
  if (cap_.writer && to == kB) {
    (void)cap_.writer->write(cap_.iface, at + cap_.offset, frame, link::Direction::Inbound,
                             forged ? "forged by C: source address 10.77.0.1 (A) spoofed" : "");
  }
}

// B's stack took the forged segment: what it did about it.
void AttackRun::arrived(int to, Bytes frame) {
  if (to != kB || !pre_) return;
  const BView pre = *pre_;
  pre_.reset();
  auto s = parse_tcp(frame);
  const BView post = b_view();
  if (pre.exists && pre.state != tcp::State::Closed) {
    std::string where = fmt::format("forged segment: SEQ = RCV.NXT{:+} (window {})",
                                    s->tcp.seq - pre.rcv_nxt, pre.rcv_wnd);
    if (s->tcp.flags.ack()) where += fmt::format(", ACK = SND.UNA{:+}", s->tcp.ack - pre.snd_una);
    note(kB, where);
  }
  note(kB, "  -> " + b_reaction(*s, pre, post));
  if (post.conn.bytes_in > pre.conn.bytes_in && !told_storm_) {
    told_storm_ = true;
    const tcp::Tcb* ta = tcp(kA).tcb(*a_conn_);
    const SeqNum base = absolute_ ? SeqNum(0) : ta->iss();
    narrate(fmt::format("B now expects A's next byte at {}, A will send from {}: each",
                        post.rcv_nxt - base, ta->snd_nxt() - base));
    narrate("side drops the other's segments and ACKs them (an ACK storm) until a reset.");
  }
}

void AttackRun::run_until(Instant end) {
  net_.settle();
  while (net_.step(end)) {
  }
  flush_repeats();
}

// ------------------------------------------------------------------ the ladder

// Columns A, B, C; an arrow from sender to receiver ('~' for a forged frame).
std::string AttackRun::arrows(int from, int to, bool spoofed) const {
  constexpr std::array<int, 3> pos = {0, 14, 28};
  std::string s = "A             B             C";
  auto draw = [&](int a, int b) {
    const int lo = std::min(pos[a], pos[b]), hi = std::max(pos[a], pos[b]);
    for (int i = lo + 2; i <= hi - 2; ++i) {
      if (s[i] == ' ' && s[i - 1] != 'B' && s[i + 1] != 'B') s[i] = spoofed ? '~' : '-';
    }
    if (pos[b] > pos[a])
      s[hi - 2] = '>';
    else
      s[lo + 2] = '<';
  };
  for (int j = 0; j < 3; ++j) {
    if (j != from && (to == j || to < 0)) draw(from, j);
  }
  return s;
}

std::string AttackRun::describe(Bytes frame, bool spoofed) {
  auto seg = parse_tcp(frame);
  if (!seg) return ladder_.describe(frame);
  const auto& t = seg->tcp;
  Key fwd{seg->src.value, t.src_port, seg->dst.value, t.dst_port};
  Key rev{seg->dst.value, t.dst_port, seg->src.value, t.src_port};
  if (t.flags.syn() && !spoofed) isn_[fwd] = t.seq;
  // Relative to the true ISN of that direction, signed: a forged segment may land
  // before it. (The attacker does not know these bases: that is the point.)
  auto rel = [&](const Key& k, SeqNum v) -> std::string {
    auto it = isn_.find(k);
    if (absolute_ || it == isn_.end()) return fmt::format("{}", v.raw());
    return fmt::format("{}", v - it->second);
  };
  std::string o = fmt::format("{} > {} {:<3} seq {}", t.src_port, t.dst_port, t.flags.to_string(),
                              rel(fwd, t.seq));
  if (!t.payload.empty()) o += fmt::format(":{}", rel(fwd, t.seq + t.payload.size()));
  if (t.flags.ack()) o += fmt::format(" ack {}", rel(rev, t.ack));
  o += fmt::format(" win {}", t.window);
  if (!t.payload.empty()) o += fmt::format(" len {}", t.payload.size());
  if (t.flags.syn()) o += " " + wire::format_tcp_options(t.options);
  return o;
}

void AttackRun::flush_repeats() {
  if (repeated_ == 0) return;
  out_ += fmt::format("{:>10}  ... {} more, repeating the line{} above\n", "", repeated_,
                      recent_.size() > 1 ? "s" : "");
  repeated_ = 0;
}

void AttackRun::frame_line(int from, int to, bool spoofed, const std::string& text) {
  std::string line =
      fmt::format("{}  {}{}", arrows(from, to, spoofed), spoofed ? "as A: " : "", text);
  if (std::find(recent_.begin(), recent_.end(), line) != recent_.end()) {
    ++repeated_;
    return;
  }
  flush_repeats();
  recent_.push_back(line);
  if (recent_.size() > 2) recent_.pop_front();
  out_ += fmt::format("{}  {}\n", time_col(now()), line);
}

void AttackRun::note(int who, const std::string& text) {
  std::string line = fmt::format("{}: {}", kLetter[who], text);
  if (recent_.size() == 1 && recent_.back() == line) {
    ++repeated_;
    return;
  }
  flush_repeats();
  recent_.assign(1, line);
  out_ += fmt::format("{}  {}\n", time_col(now()), line);
}

// What the simulation knows and the attacker does not.
void AttackRun::narrate(const std::string& text) {
  flush_repeats();
  recent_.clear();
  out_ += fmt::format("{}  (truth) {}\n", time_col(now()), text);
}

// ------------------------------------------------------------------ applications

void AttackRun::on_event(int who, const tcp::Event& e) {
  auto& t = tcp(who);
  switch (e.kind) {
    case tcp::EventKind::AcceptReady:
      while (auto c = t.accept(*nodes_[who].shell)) {
        auto r = t.remote_endpoint(*c);
        const bool session = who == kB && r && r->addr == nodes_[kA].ip && r->port == kClientPort;
        if (session) b_conn_ = *c;
        note(who, fmt::format("shell accept() -> {}:{}{}", r ? r->addr.to_string() : "?",
                              r ? r->port : 0, session ? " (A's admin session)" : ""));
        if (t.readable(*c).value_or(0) > 0) shell_input(who, *c);
      }
      break;
    case tcp::EventKind::Connected:
      note(who, who == kA ? "connected: the admin session is open" : "probe connected");
      break;
    case tcp::EventKind::Readable:
      if (who == kA && a_conn_ && e.conn == *a_conn_) {
        a_read();
      } else if (who != kC) {
        shell_input(who, e.conn);
      } else {
        std::byte sink[2048];
        while (t.receive(e.conn, sink).value_or(0) > 0) {
        }
      }
      break;
    case tcp::EventKind::Error:
      if (who == kB && b_conn_ && e.conn == *b_conn_) result_.reset = true;
      if (who != kC) note(who, fmt::format("error: {}", tcp::to_string(e.error)));
      break;
    default:
      break;
  }
  flush(who);
}

void AttackRun::shell_input(int who, tcp::ConnId c) {
  auto& t = tcp(who);
  const bool session = who == kB && b_conn_ && c == *b_conn_;
  std::string& buf = nodes_[who].lines[c.value];
  char chunk[2048];
  for (;;) {
    auto r = t.receive(c, MutBytes(reinterpret_cast<std::byte*>(chunk), sizeof chunk));
    if (!r || *r == 0) break;
    buf.append(chunk, *r);
    if (session) b_received_.append(chunk, *r);
  }
  // Bytes B read that match what A sent, from the start: everything after is not A's.
  std::size_t same = 0;
  while (session && same < b_received_.size() && same < a_sent_.size() &&
         b_received_[same] == a_sent_[same])
    ++same;
  for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
    std::string line = buf.substr(0, nl);
    buf.erase(0, nl + 1);
    if (session) b_consumed_ += nl + 1;
    line.erase(0, line.find_first_not_of(' '));
    if (line.empty()) continue;  // blank lines (the attacker's sled) do nothing
    const bool injected = session && b_consumed_ > same;
    if (injected) result_.injected_command_ran = true;
    note(who, fmt::format("shell runs `{}`{}", line,
                          injected ? "   <== INJECTED: A never typed this" : ""));
    (void)t.send(c, as_bytes(shell_answer(line)));
  }
  flush(who);
}

void AttackRun::a_command(std::size_t i) {
  const std::string text = std::string(kCommands[i].text) + "\n";
  if (i == kLastCommand) {
    a_received_before_last_ = a_received_.size();
    last_command_sent_ = true;
  }
  auto r = tcp(kA).send(*a_conn_, as_bytes(text));
  if (!r) {
    note(kA, fmt::format("types `{}`: send() fails ({}): the session is gone", kCommands[i].text,
                         tcp::to_string(r.error())));
    last_command_sent_ = false;
    return;
  }
  a_sent_ += text;
  note(kA, fmt::format("types `{}`", kCommands[i].text));
  flush(kA);
}

void AttackRun::a_read() {
  char chunk[2048];
  std::string got;
  for (;;) {
    auto r = tcp(kA).receive(*a_conn_, MutBytes(reinterpret_cast<std::byte*>(chunk), sizeof chunk));
    if (!r || *r == 0) break;
    got.append(chunk, *r);
  }
  if (got.empty()) return;
  a_received_ += got;
  note(kA, fmt::format("reads \"{}\"", printable(got)));
}

// ------------------------------------------------------------------ the attacker

// C's only view of the world: frames addressed to it. A probe's SYN,ACK tells it the
// probed host's current ISN.
void AttackRun::c_sees(Bytes frame, Instant at) {
  auto s = parse_tcp(frame);
  if (!s || !s->tcp.flags.syn() || !s->tcp.flags.ack() || s->tcp.src_port != kShellPort) return;
  auto it = probes_.find(s->src.value);
  if (it == probes_.end() || it->second.isn) return;
  Probe& p = it->second;
  p.isn = s->tcp.seq;
  // The host chose it when the SYN reached it: about half-way through the round trip.
  p.chosen = p.syn_sent + (at - p.syn_sent) / 2;
  const int who = s->src == nodes_[kA].ip ? kA : kB;
  note(kC, fmt::format("probe of {} answered: ISN {} (chosen at about {:.1f} ms)", kLetter[who],
                       s->tcp.seq.raw(), static_cast<double>(p.chosen.nanos()) / 1e6));
}

void AttackRun::step1_guess() {
  const auto pa = probes_.find(nodes_[kA].ip.value);
  const auto pb = probes_.find(nodes_[kB].ip.value);
  if (pa == probes_.end() || pb == probes_.end() || !pa->second.isn || !pb->second.isn) {
    note(kC, "step 1: a probe went unanswered; guessing blind");
    guess_a_ = guess_b_ = SeqNum(0);
  } else {
    result_.probes_answered = true;
    // A picks its ISN when it connects (~200 ms); B when A's SYN reaches it, one path
    // delay later (C measured the round trip with its probe).
    const Instant a_at = Instant::zero() + kSessionAt;
    const Instant b_at = a_at + (pb->second.chosen - pb->second.syn_sent);
    auto predict = [](const Probe& p, Instant when) {
      const auto ms = static_cast<std::uint32_t>(ms_of(when) - ms_of(p.chosen));
      return *p.isn + kIsnPerConnection + kIsnPerMs * ms;
    };
    guess_a_ = predict(pa->second, a_at);
    guess_b_ = predict(pb->second, b_at);
    note(kC, "step 1: guess both ISNs of A's session. Model: each new connection takes");
    note(kC, fmt::format("  the counter + {} + {} per ms since the last one.", kIsnPerConnection,
                         kIsnPerMs));
    note(kC, fmt::format("  A's ISN (chosen ~{} ms) = {} + {} + {}*{} = {}", ms_of(a_at),
                         pa->second.isn->raw(), kIsnPerConnection, kIsnPerMs,
                         ms_of(a_at) - ms_of(pa->second.chosen), guess_a_.raw()));
    note(kC, fmt::format("  B's ISN (chosen ~{} ms) = {} + {} + {}*{} = {}", ms_of(b_at),
                         pb->second.isn->raw(), kIsnPerConnection, kIsnPerMs,
                         ms_of(b_at) - ms_of(pb->second.chosen), guess_b_.raw()));
  }
  const tcp::Tcb* ta = a_conn_ ? tcp(kA).tcb(*a_conn_) : nullptr;
  const tcp::Tcb* tb = b_conn_ ? tcp(kB).tcb(*b_conn_) : nullptr;
  if (!ta || !tb) {
    narrate("A's session is not open (frames were lost): there is nothing to attack yet");
  } else {
    result_.session_up = true;
    result_.isn_error_a = guess_a_ - ta->iss();
    result_.isn_error_b = guess_b_ - tb->iss();
    narrate(fmt::format("A's ISN is {}, B's {}: the guesses are off by {:+} and {:+}",
                        ta->iss().raw(), tb->iss().raw(), result_.isn_error_a,
                        result_.isn_error_b));
  }
}

void AttackRun::step2_inject() {
  result_.b_before = tcp(kB).stats();
  note(kC, fmt::format("step 2: blind injection as A. SEQ = A's guess + 1 - {}; the data is {}",
                       kSlack, 2 * kSlack));
  note(kC, fmt::format("  blanks, then `{}`: any RCV.NXT within {}", kInjected, kSlack));
  note(kC, "  bytes of the guess works, however much A has typed so far.");
  note(kC, fmt::format("  ACK = B's guess + 1 - {}: RFC 793 ignores an old ACK.", kAckBelow));
  const std::string payload = std::string(2 * kSlack, ' ') + "\n" + kInjected + "\n";
  send_forged(guess_a_ + 1 - kSlack, guess_b_ + 1 - kAckBelow,
              wire::TcpFlags::kPsh | wire::TcpFlags::kAck, payload);
}

void AttackRun::step3_sweep() {
  note(kC, fmt::format("step 3: blind RST sweep: {} RSTs {} bytes apart from A's guess + 1",
                       kSweepCount, kSweepStep));
  for (int k = 0; k < kSweepCount; ++k)
    send_forged(guess_a_ + 1 + static_cast<std::uint32_t>(k) * kSweepStep, {}, wire::TcpFlags::kRst,
                "");
}

// Not an attack C can make: the simulation hands it the numbers it cannot see, to
// show what RFC 5961 adds once the ISN is no longer guessable.
void AttackRun::step4_oracle() {
  const tcp::Tcb* tb = b_conn_ ? tcp(kB).tcb(*b_conn_) : nullptr;
  if (!tb) return;
  const SeqNum rcv_nxt = tb->rcv_nxt();
  const SeqNum snd_una = tb->snd_una();
  narrate(fmt::format("Even if C had guessed right: the simulation now tells C B's RCV.NXT ({})",
                      rcv_nxt.raw()));
  narrate(fmt::format("and SND.UNA ({}), which no off-path attacker can see.", snd_una.raw()));
  at(kOracleAt + 1ms, [this, rcv_nxt, snd_una] {
    note(kC, "data at exactly RCV.NXT with an ACK 1 MiB below SND.UNA, which RFC 793");
    note(kC, "  would ignore as old (as in the insecure run):");
    send_forged(rcv_nxt, snd_una - (1u << 20), wire::TcpFlags::kPsh | wire::TcpFlags::kAck,
                std::string("\n") + kInjected + "\n");
  });
  at(kOracleAt + 20ms, [this, rcv_nxt] {
    note(kC, "RST inside the window, 100 bytes past RCV.NXT:");
    send_forged(rcv_nxt + 100, {}, wire::TcpFlags::kRst, "");
  });
  at(kOracleAt + 40ms, [this, rcv_nxt] {
    note(kC, "SYN inside the window:");
    send_forged(rcv_nxt + 100, {}, wire::TcpFlags::kSyn, "");
  });
  at(kOracleAt + 60ms, [this] {
    narrate("RFC 5961 §3: a blind RST now has to hit RCV.NXT exactly: 1 in 2^32 per try, not");
    narrate("1 in 2^32/RCV.WND (2^14 tries for a 256 KiB window under RFC 793).");
    narrate("Each challenge ACK went to A, the real owner: it fits A's state, so A does nothing;");
    narrate("had A really sent that RST, it would now resend it at exactly RCV.NXT (§3.2).");
  });
}

void AttackRun::send_forged(SeqNum seq, std::optional<SeqNum> ack, std::uint8_t flags,
                            const std::string& payload) {
  const Node& a = nodes_[kA];
  const Node& b = nodes_[kB];
  wire::TcpRepr t;
  t.src_port = kClientPort;
  t.dst_port = kShellPort;
  t.seq = seq;
  t.ack = ack.value_or(SeqNum(0));
  t.flags.bits = static_cast<std::uint8_t>(flags | (ack ? wire::TcpFlags::kAck : 0));
  t.window = 65535;
  // PAWS (RFC 7323) would drop a segment without A's current TSval before the sequence
  // checks; C is handed that value (see the introduction).
  if (a_tsval_) t.options.timestamps = wire::TcpTimestamps{*a_tsval_, 0};
  t.payload = as_bytes(payload);
  const std::size_t tcp_len = t.total_len();
  ByteVec frame(wire::EthernetRepr::kHeaderLen + wire::Ipv4Repr::kMinHeaderLen + tcp_len);
  MutBytes m(frame);
  constexpr std::size_t kIpAt = wire::EthernetRepr::kHeaderLen;
  constexpr std::size_t kTcpAt = kIpAt + wire::Ipv4Repr::kMinHeaderLen;
  t.emit(m.subspan(kTcpAt), {a.ip, b.ip});
  wire::Ipv4Repr ip;
  ip.src = a.ip;  // the forgery: nothing on the path checks it
  ip.dst = b.ip;
  ip.protocol = static_cast<std::uint8_t>(wire::IpProto::Tcp);
  ip.payload = Bytes(frame).subspan(kTcpAt);
  ip.emit(m.subspan(kIpAt));
  wire::EthernetRepr eth;
  eth.dst = b.mac;
  eth.src = nodes_[kC].mac;
  eth.ethertype = static_cast<std::uint16_t>(wire::EtherType::Ipv4);
  eth.payload = Bytes(frame).subspan(kIpAt);
  eth.emit(m);
  forging_ = true;
  net_.transmit(kC, std::move(frame));
  forging_ = false;
}

BView AttackRun::b_view() {
  BView v;
  v.proto = tcp(kB).stats();
  const tcp::Tcb* tb = b_conn_ ? tcp(kB).tcb(*b_conn_) : nullptr;
  if (!tb) return v;
  v.exists = true;
  v.state = *tcp(kB).state(*b_conn_);
  v.rcv_nxt = tb->rcv_nxt();
  v.snd_una = tb->snd_una();
  v.snd_nxt = tb->snd_nxt();
  v.rcv_wnd = tb->rcv_wnd();
  v.conn = *tcp(kB).conn_stats(*b_conn_);
  return v;
}

// Why B did what it did with one forged segment, from its state before and after.
std::string AttackRun::b_reaction(const Seg& s, const BView& pre, const BView& post) {
  const auto& t = s.tcp;
  const auto& a = pre.proto;
  const auto& z = post.proto;
  if (!pre.exists || pre.state == tcp::State::Closed) {
    return t.flags.rst() ? "no such connection any more: a RST for it is ignored"
                         : "no such connection any more";
  }
  if (z.challenge_acks_rst > a.challenge_acks_rst)
    return "challenge ACK (RFC 5961 §3), sent to A: in window, not at RCV.NXT";
  if (z.challenge_acks_syn > a.challenge_acks_syn)
    return "challenge ACK (RFC 5961 §4), sent to A: SYN on a live connection";
  if (z.challenge_acks_ack > a.challenge_acks_ack)
    return "challenge ACK (RFC 5961 §5), sent to A: the ACK is below SND.UNA - MAX.SND.WND; "
           "the data is dropped";
  if (z.challenge_acks_limited > a.challenge_acks_limited)
    return "dropped; no challenge ACK (over the RFC 5961 §7 limit)";
  if (z.rst_accepted > a.rst_accepted) {
    return (insecure_ ? "RST in the window: connection RESET (RFC 793)"
                      : "RST exactly at RCV.NXT: connection RESET (RFC 5961 §3.2)");
  }
  if (!post.exists || post.state == tcp::State::Closed) {
    return (t.flags.syn() ? "SYN in the window: connection RESET (RFC 793)" : "connection closed");
  }
  if (post.conn.bytes_in > pre.conn.bytes_in) {
    const auto n = post.conn.bytes_in - pre.conn.bytes_in;
    return fmt::format(
        "in window: {} bytes go to the application ({} below RCV.NXT trimmed); the old ACK "
        "is ignored (RFC 793)",
        n, t.payload.size() - n);
  }
  if (post.conn.ooo_segs_in > pre.conn.ooo_segs_in)
    return "in window but past RCV.NXT: held out of order";
  const std::uint32_t len = t.seg_len();
  const bool in_win = len == 0 ? in_window(t.seq, pre.rcv_nxt, pre.rcv_wnd)
                               : in_window(t.seq, pre.rcv_nxt, pre.rcv_wnd) ||
                                     in_window(t.seq + (len - 1), pre.rcv_nxt, pre.rcv_wnd);
  if (!in_win) {
    return (t.flags.rst() ? "dropped: outside the window (a bad RST is never answered)"
                          : "dropped: outside the window; B ACKs A, C never sees it");
  }
  if (t.flags.ack() && seq_gt(t.ack, pre.snd_nxt))
    return "dropped: ACK beyond SND.NXT (B ACKs A; RFC 9293 §3.10.7.4)";
  return "dropped";
}

// ------------------------------------------------------------------ the story

AttackResult AttackRun::play() {
  Node& a = nodes_[kA];
  Node& b = nodes_[kB];
  for (int i : {kA, kB}) {
    auto l = tcp(i).listen({wire::Ipv4Addr::any(), kShellPort}, 8);
    if (!l) throw std::runtime_error("sim attack: listen failed");
    nodes_[i].shell = *l;
    note(i, fmt::format("shell listens on *:{}", kShellPort));
  }
  at(kProbeAt, [&] {
    note(kC, "probes A and B: one connection to each shell port, to read their ISNs");
    for (int i : {kA, kB}) {
      probes_[nodes_[i].ip.value] = Probe{};
      (void)tcp(kC).connect({nodes_[kC].ip, 0}, {nodes_[i].ip, kShellPort}, now());
    }
    flush(kC);
  });
  at(kSessionAt, [&] {
    note(kA, fmt::format("connect({}:{}) from port {}: the admin session", b.ip.to_string(),
                         kShellPort, kClientPort));
    auto c = tcp(kA).connect({a.ip, kClientPort}, {b.ip, kShellPort}, now());
    if (!c) throw std::runtime_error("sim attack: connect failed");
    a_conn_ = *c;
    flush(kA);
  });
  for (std::size_t i = 0; i < kCommands.size(); ++i)
    at(kCommands[i].at, [this, i] { a_command(i); });
  at(kAttackAt, [this] {
    step1_guess();
    step2_inject();
  });
  at(kSweepAt, [this] { step3_sweep(); });
  if (!insecure_) at(kOracleAt, [this] { step4_oracle(); });
  run_until(Instant::zero() + kEndAt);

  const tcp::Tcb* tb = b_conn_ ? tcp(kB).tcb(*b_conn_) : nullptr;
  result_.alive_after = tb && tcp(kB).state(*b_conn_) == tcp::State::Established;
  result_.answered_after = last_command_sent_ && a_received_.size() > a_received_before_last_;
  std::size_t same = 0;
  while (same < b_received_.size() && same < a_sent_.size() && b_received_[same] == a_sent_[same])
    ++same;
  result_.injected_bytes = b_received_.size() - same;
  result_.b_after = tcp(kB).stats();
  summary();
  return result_;
}

std::string moved_counters(const tcp::ProtocolStats& x, const tcp::ProtocolStats& y) {
  std::string o;
  auto add = [&](const char* name, std::uint64_t before, std::uint64_t after) {
    if (after != before) o += fmt::format("{}{} +{}", o.empty() ? "" : ", ", name, after - before);
  };
  add("rst_accepted", x.rst_accepted, y.rst_accepted);
  add("challenge_acks_rst", x.challenge_acks_rst, y.challenge_acks_rst);
  add("challenge_acks_syn", x.challenge_acks_syn, y.challenge_acks_syn);
  add("challenge_acks_ack", x.challenge_acks_ack, y.challenge_acks_ack);
  add("challenge_acks_limited", x.challenge_acks_limited, y.challenge_acks_limited);
  return o.empty() ? "none" : o;
}

void AttackRun::summary() {
  const auto& r = result_;
  out_ += fmt::format(
      "\nresult: ISN guesses off by {:+} (A) and {:+} (B); {} injected bytes reached B's "
      "shell{}; A's session {}.\nB's RFC 5961 counters that moved during the attack: {}\n",
      r.isn_error_a, r.isn_error_b, r.injected_bytes,
      r.injected_command_ran ? fmt::format(" and `{}` ran", kInjected) : "",
      r.reset                             ? "was reset"
      : r.alive_after && r.answered_after ? "survived and still works"
      : r.alive_after                     ? "survived"
                                          : "is gone",
      moved_counters(r.b_before, r.b_after));
}

const char* kIntro =
    R"(synack sim attack: why do sequence and acknowledgement numbers matter for security?

Three hosts on one switch, 10.77.0.0/24:
  A 10.77.0.1   admin workstation: a remote-shell session to B, port 1023 -> 514
  B 10.77.0.2   server: a shell on port 514 that runs each line it reads (A runs one too)
  C 10.77.0.66  attacker, off-path: the switch forwards a frame only to the port of its
                destination MAC (broadcasts to all), so C never sees A<->B traffic. C can
                send anything, with any source address (nothing filters it).
B believes a segment "from A" when its numbers fit B's connection state:
  SEQ must fall inside B's receive window: it counts A's bytes, from A's ISN;
  ACK must be acceptable: it counts B's bytes, from B's ISN. C needs both, unseen.
C knows A's and B's addresses, B's port 514 and (an assumption) A's port 1023: rsh
clients take reserved ports from 1023 down, BGP peers use 179 (RFC 6056 random ports would
add ~14 bits to guess). It knows A's session starts at about 200 ms (a scheduled job) and
probes both hosts just before. Timestamps (RFC 7323) are on. PAWS only drops a TSval older
than A's last one: a random TSval passes half the time, so it is no defence. C is handed
A's current TSval so that every forged segment meets the SEQ and ACK checks.
Sequence numbers are relative to each direction's true ISN (negative: before it), which C
does not know; --absolute prints raw values. Ladder columns: A, B, C; ~~> is forged.
)";

}  // namespace

AttackResult play_attack(const AttackOptions& opt, bool insecure, std::string& out,
                         const AttackCapture& capture) {
  AttackRun run(opt, insecure, out, capture);
  return run.play();
}

bool run_attack(const AttackOptions& opt, std::string& out) {
  std::optional<link::PcapngWriter> pcap;
  if (!opt.pcap_path.empty()) {
    auto w = link::PcapngWriter::open_file(opt.pcap_path);
    if (!w) throw std::runtime_error(fmt::format("cannot write '{}'", opt.pcap_path));
    pcap.emplace(std::move(*w));
  }
  out += kIntro;
  std::vector<AttackResult> results;
  const int total = (opt.run_insecure ? 1 : 0) + (opt.run_default ? 1 : 0);
  for (bool insecure : {true, false}) {
    if (!(insecure ? opt.run_insecure : opt.run_default)) continue;
    const int n = static_cast<int>(results.size()) + 1;
    out += insecure ? fmt::format(
                          "\n=== run {} of {}: A and B with TcpConfig.insecure (predictable_isn, "
                          "no_rfc5961) ===\nISNs from a counter (+64000 per connection, +128 per "
                          "ms); RST, SYN and ACK checked as in RFC 793.\nA too, not only B: "
                          "the SEQ C forges counts from A's ISN.\n\n",
                          n, total)
                    : fmt::format(
                          "\n=== run {} of {}: the default configuration ===\nISNs from a keyed "
                          "hash (RFC 6528); RST, SYN and ACK checked as in RFC 5961.\n\n",
                          n, total);
    AttackCapture cap;
    if (pcap) {
      cap.writer = &*pcap;
      cap.iface = pcap->add_interface(insecure ? "B-eth0 (insecure run)" : "B-eth0 (default run)");
      cap.offset = std::chrono::seconds(10) * (n - 1);  // run 2 starts at 10 s
    }
    results.push_back(play_attack(opt, insecure, out, cap));
  }

  out += "\n";
  auto row = [&](const char* name, auto cell) {
    std::string line = fmt::format("{:<34}", name);
    for (const auto& r : results) line += fmt::format("{:<26}", cell(r));
    out += "\n" + line.substr(0, line.find_last_not_of(' ') + 1);
  };
  row("verdict",
      [](const AttackResult& r) { return std::string(r.insecure ? "insecure" : "default"); });
  row("ISN guess error, A (SEQ side)", [](const AttackResult& r) {
    return r.session_up ? fmt::format("{:+}", r.isn_error_a) : std::string("n/a (no session)");
  });
  row("ISN guess error, B (ACK side)", [](const AttackResult& r) {
    return r.session_up ? fmt::format("{:+}", r.isn_error_b) : std::string("n/a (no session)");
  });
  row("injected bytes accepted by app", [](const AttackResult& r) {
    return fmt::format("{}{}", r.injected_bytes, r.injected_command_ran ? " (rm -rf / ran)" : "");
  });
  row("connection reset?", [](const AttackResult& r) {
    return std::string(r.reset         ? "yes"
                       : r.alive_after ? "no, still working"
                       : r.session_up  ? "no, but gone"
                                       : "n/a (no session)");
  });
  row("B rst_accepted", [](const AttackResult& r) {
    return fmt::format("{}", r.b_after.rst_accepted - r.b_before.rst_accepted);
  });
  row("B challenge ACKs rst/syn/ack", [](const AttackResult& r) {
    return fmt::format("{}/{}/{}", r.b_after.challenge_acks_rst - r.b_before.challenge_acks_rst,
                       r.b_after.challenge_acks_syn - r.b_before.challenge_acks_syn,
                       r.b_after.challenge_acks_ack - r.b_before.challenge_acks_ack);
  });
  out +=
      "\n\nWhy they matter: B trusts a segment because its SEQ and ACK fit numbers only A and "
      "B should\nknow. A counter ISN gives them away to anyone who opens one connection; RFC "
      "6528's keyed-hash\nISN does not. RFC 5961 narrows what a guess must hit: a RST or SYN "
      "exactly RCV.NXT, data an\nACK within one window of SND.UNA. Alone it would not have "
      "saved run 1 (the injected ACK was\nclose enough); with unguessable ISNs it leaves a blind "
      "attacker on the order of 2^32 tries per\nreset. An on-path attacker sees the numbers and "
      "is stopped by neither: that takes cryptography\n(TCP-AO, TLS).\n";

  bool capture_ok = true;
  if (pcap) {
    if (auto st = pcap->flush(); !st) {
      fmt::print(stderr, "synack sim: writing the capture failed: {}\n",
                 link::to_string(st.error()));
      capture_ok = false;
    }
  }
  const auto& cfg = opt.link;
  const bool impaired = cfg.loss > 0 || cfg.corrupt > 0 || cfg.duplicate > 0 || cfg.reorder > 0;
  bool ok = true;
  for (const auto& r : results) {
    ok = ok && (r.insecure ? r.injected_bytes > 0 && r.reset
                           : r.injected_bytes == 0 && r.alive_after && r.answered_after);
  }
  return capture_ok && (ok || impaired);
}

}  // namespace synack::cli
