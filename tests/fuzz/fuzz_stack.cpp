// Structure-aware fuzzing of Stack::on_frame around a live connection. Every input
// starts from the same state: client 10.77.0.1 connected to a listener on server
// 10.77.0.2:80, data in flight both ways. The input is then a sequence of at most
// kMaxOps operations: a TCP segment on the client's real 4-tuple near the live
// sequence space (valid checksums, so it reaches TCP), raw frames, clock advances,
// application calls, or delivering queued frames between the two stacks.
// Properties: every frame either stack emits parses with the wire layer (checksums
// included, RFC 9293 MUST-2) and the connection count stays within the backlog bound.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "fuzz_util.hpp"
#include "synack/base/checksum.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"

using namespace synack;
using synack::wire::fuzz::check;

namespace {

constexpr std::size_t kMaxOps = 64;
constexpr std::size_t kMaxQueued = 32;  // frames waiting for delivery, per direction
constexpr std::uint32_t kBacklog = 4;
constexpr std::uint16_t kServerPort = 80;

// Consumes the fuzz input front to back; reads past the end yield zeros.
struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  std::uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) << 16 | u16(); }
  ByteVec bytes(std::size_t len) {
    ByteVec out(len);
    for (std::size_t i = 0; i < len; ++i) out[i] = std::byte{u8()};
    return out;
  }
};

struct Host {
  Host(std::uint8_t n, const stack::StackConfig& cfg)
      : rng(n),
        stack(cfg, rng),
        addr(wire::Ipv4Addr::from_octets(10, 77, 0, n)),
        mac{{0x02, 0, 0, 0, 0, n}} {
    iface = stack.add_interface(mac, wire::Ipv4Cidr{addr, 24});
  }
  SeededRandom rng;
  stack::Stack stack;
  wire::Ipv4Addr addr;
  wire::MacAddr mac;
  stack::IfaceId iface;
};

// Every frame a stack sends must parse at every layer it claims to carry.
void check_frame(const Host& from, Bytes frame) {
  auto eth = wire::EthernetRepr::parse(frame);
  check(eth.ok());
  check(eth->src == from.mac);
  if (eth->ethertype == 0x0806) {
    check(wire::ArpRepr::parse(eth->payload).ok());
    return;
  }
  if (eth->ethertype == 0x86dd) {
    // IPv6 (the server with variant bit 32): NDP, MLD, echo replies, errors, fragments.
    check(eth->payload.size() <= 1500);
    auto ip = wire::Ipv6Repr::parse(eth->payload);
    check(ip.ok());
    const auto chain = wire::walk_ipv6_headers(*ip);
    if (chain.verdict == wire::Ipv6Verdict::Reassemble) return;
    check(chain.verdict == wire::Ipv6Verdict::Deliver);
    check(chain.upper_protocol == 58);
    check(wire::Icmpv6Repr::parse(chain.upper_payload, ip->pseudo_header()).ok());
    return;
  }
  check(eth->ethertype == 0x0800);
  check(eth->payload.size() <= 1500);
  auto ip = wire::Ipv4Repr::parse(eth->payload);
  check(ip.ok());
  check(ip->src == from.addr);
  const wire::PseudoHeader ph{ip->src, ip->dst};
  switch (ip->protocol) {
    case 6:
      check(wire::TcpRepr::parse(ip->payload, ph).ok());
      break;
    case 17:
      check(wire::UdpRepr::parse(ip->payload, ph).ok());
      break;
    case 1:
      check(wire::IcmpRepr::parse(ip->payload).ok());
      break;
    default:
      check(false);
  }
}

class Session {
 public:
  // `variant` picks the server's configuration (the first input byte): SYN cookies
  // for every SYN, the insecure RFC 793 / counter-ISN demo modes, a tiny challenge-ACK
  // budget, no timestamps, tiny out-of-order and memory caps.
  explicit Session(std::uint8_t variant)
      : a_(1, config(0)), b_(2, config(variant)), budget_(config(variant).tcp.memory_budget) {}

  // Handshake, then 100 bytes client->server delivered and acknowledged, then 300
  // more client->server and 200 server->client sent but not delivered (in flight).
  bool establish() {
    auto lid = b_.stack.tcp().listen(tcp::Endpoint{wire::Ipv4Addr::any(), kServerPort}, kBacklog);
    if (!lid.ok()) return false;
    lid_ = *lid;
    auto c = a_.stack.tcp().connect(tcp::Endpoint{a_.addr, 0}, tcp::Endpoint{b_.addr, kServerPort},
                                    now_);
    if (!c.ok()) return false;
    cid_ = *c;
    a_.stack.flush_tcp(now_);
    for (int i = 0; i < 8; ++i) settle(true);
    auto ch = b_.stack.tcp().accept(lid_);
    if (!ch.ok()) return false;
    child_ = *ch;
    port_ = a_.stack.tcp().local_endpoint(cid_)->port;
    const ByteVec data = pattern(300);
    (void)a_.stack.tcp().send(cid_, Bytes(data).first(100));
    a_.stack.flush_tcp(now_);
    for (int i = 0; i < 4; ++i) settle(true);
    (void)a_.stack.tcp().send(cid_, data);
    (void)b_.stack.tcp().send(child_, Bytes(data).first(200));
    a_.stack.flush_tcp(now_);
    b_.stack.flush_tcp(now_);
    settle(false);
    to_a_.clear();
    to_b_.clear();
    remember_seqs();
    return true;
  }

  void run(Reader& in) {
    for (std::size_t op = 0; op < kMaxOps && !in.empty(); ++op) {
      switch (in.u8() % 6) {
        case 0:
        case 1:
          inject_segment(in);
          break;
        case 2:
          inject_raw(in);
          break;
        case 3:
          advance(in);
          break;
        case 4:
          app_call(in);
          break;
        default:
          settle(true);
          break;
      }
      settle(false);
    }
  }

 private:
  static stack::StackConfig config(std::uint8_t variant) {
    stack::StackConfig c;
    c.first_ip_ident = 1;
    c.tcp.syn_queue = kBacklog;  // SYNs beyond it get SYN cookies (RFC 4987 §3.6)
    if (variant & 1) c.tcp.syn_cookies = tcp::SynCookies::Always;
    if (variant & 2) c.tcp.insecure = tcp::InsecureOptions{true, true};
    if (variant & 4) c.tcp.challenge_ack_limit = 2;
    if (variant & 8) c.tcp.timestamps = false;
    if (variant & 32) c.ipv6.enabled = true;  // link-local + SLAAC, DAD, MLD, RS
    if (variant & 16) {
      c.tcp.max_ooo_segments = 4;
      c.tcp.max_ooo_bytes = 2048;
      c.tcp.defaults.send_buffer = 16 * 1024;
      c.tcp.defaults.recv_buffer = 16 * 1024;
      c.tcp.memory_budget = 3 * 32 * 1024;  // the first child and two more
    }
    return c;
  }
  static ByteVec pattern(std::size_t n) {
    ByteVec v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(i % 251);
    return v;
  }

  void remember_seqs() {
    if (const auto* t = a_.stack.tcp().tcb(cid_)) client_nxt_ = t->snd_nxt().raw();
    if (const auto* t = b_.stack.tcp().tcb(child_)) server_nxt_ = t->snd_nxt().raw();
  }

  // Drains both stacks (checking every frame and the connection bound); with
  // `deliver`, hands the frames queued so far to the other stack first.
  void settle(bool deliver) {
    if (deliver) {
      std::deque<ByteVec> for_b = std::move(to_b_), for_a = std::move(to_a_);
      to_b_.clear();
      to_a_.clear();
      for (const auto& f : for_b) b_.stack.on_frame(b_.iface, f, now_);
      for (const auto& f : for_a) a_.stack.on_frame(a_.iface, f, now_);
    }
    drain(a_, to_b_);
    drain(b_, to_a_);
    // The server holds the original child, the ones we accepted, at most syn_queue
    // embryonic and `backlog` not yet accepted connections; the client only its own.
    check(b_.stack.tcp().connection_count() <= 1 + accepted_ + 2 * kBacklog);
    check(a_.stack.tcp().connection_count() <= 1);
    // Memory: what is allocated never exceeds what was admitted, nor that the budget.
    const auto& tcp = b_.stack.tcp();
    check(tcp.memory_in_use() <= tcp.memory_reserved());
    check(tcp.memory_reserved() <= budget_);
    remember_seqs();
  }

  static void drain(Host& h, std::deque<ByteVec>& out) {
    while (auto f = h.stack.pop_frame()) {
      check(f->iface == h.iface);
      check_frame(h, f->bytes);
      out.push_back(std::move(f->bytes));
      if (out.size() > kMaxQueued) out.pop_front();
    }
    while (h.stack.pop_event()) {
    }
  }

  // A segment on the client's 4-tuple, seq near the client's SND.NXT and ack near
  // the server's, fuzzed flags, window, options and payload; correct checksums.
  void inject_segment(Reader& in) {
    wire::TcpRepr seg;
    seg.src_port = port_;
    seg.dst_port = kServerPort;
    const std::uint8_t mode = in.u8();
    const auto delta = [&](bool wide) {
      const auto d = static_cast<std::int16_t>(in.u16());
      return static_cast<std::uint32_t>(wide ? d * 64 : d % 512);
    };
    seg.seq = SeqNum(client_nxt_ + delta(mode & 1));
    seg.ack = SeqNum(server_nxt_ + delta(mode & 2));
    seg.flags.bits = in.u8();
    seg.window = in.u16();
    if (seg.flags.urg()) seg.urgent = in.u16();
    if (mode & 4) read_options(in, seg.options);
    const std::size_t len = (mode & 8) ? in.u16() % 1461 : in.u8() % 64;
    const ByteVec payload = in.bytes(len);
    seg.payload = payload;
    send_to_b(6, seg.total_len(), [&](MutBytes out) {
      return seg.emit(out, wire::PseudoHeader{a_.addr, b_.addr});
    });
  }

  void read_options(Reader& in, wire::TcpOptions& o) {
    const std::uint8_t which = in.u8();
    if (which & 1) o.mss = in.u16();
    if (which & 2) o.window_scale = in.u8();
    o.sack_permitted = which & 4;
    if (which & 8) o.timestamps = wire::TcpTimestamps{in.u32(), in.u32()};
    o.sack_count = static_cast<std::uint8_t>((which >> 4) & 3);
    for (std::uint8_t i = 0; i < o.sack_count; ++i) {
      const auto left = server_nxt_ - static_cast<std::uint32_t>(in.u8()) * 16;
      o.sack_blocks[i] = {SeqNum(left), SeqNum(left + in.u8())};
    }
    // Keep within the 40-byte option space so emit writes what we asked for.
    while (o.encoded_len() > 40 && o.sack_count > 0) --o.sack_count;
  }

  // Builds Ethernet(a -> b) + IPv4(a -> b, protocol) around `transport_len` bytes
  // written by `fill`, and hands the frame to the server.
  template <class Fill>
  void send_to_b(std::uint8_t protocol, std::size_t transport_len, Fill fill) {
    ByteVec frame(14 + 20 + transport_len);
    const std::size_t n = fill(MutBytes(frame).subspan(34));
    check(n == transport_len);
    wire::Ipv4Repr ip;
    ip.src = a_.addr;
    ip.dst = b_.addr;
    ip.protocol = protocol;
    ip.payload = Bytes(frame).subspan(34);
    ip.emit(MutBytes(frame).subspan(14));
    wire::EthernetRepr eth{b_.mac, a_.mac, 0x0800, Bytes(frame).subspan(14)};
    eth.emit(frame);
    b_.stack.on_frame(b_.iface, frame, now_);
  }

  // Raw bytes: a whole frame, or an IPv4 payload with a valid IP header.
  void inject_raw(Reader& in) {
    const std::uint8_t mode = in.u8();
    ByteVec bytes = in.bytes(in.u8());
    if (mode & 1) {
      b_.stack.on_frame(b_.iface, bytes, now_);
      return;
    }
    if (mode & 0x80) {
      inject_v6(in, mode, bytes);
      return;
    }
    send_to_b(static_cast<std::uint8_t>(mode >> 1) % 20, bytes.size(), [&](MutBytes out) {
      std::copy(bytes.begin(), bytes.end(), out.begin());
      return bytes.size();
    });
  }

  // An IPv6 packet to the server from a few likely sources to a few likely destinations
  // (its link-local address, all-nodes, its solicited-node group, another host), the
  // hop limit 255 NDP wants or a fuzzed one; an ICMPv6 payload gets a valid checksum so
  // it reaches echo, NDP and MLD.
  void inject_v6(Reader& in, std::uint8_t mode, const ByteVec& payload) {
    const wire::Ipv6Addr ll = wire::Ipv6Addr::link_local_from_mac(b_.mac);
    const wire::Ipv6Addr srcs[] = {wire::Ipv6Addr::from_groups(0xfe80, 0, 0, 0, 0, 0, 0, 1),
                                   wire::Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, 9),
                                   wire::Ipv6Addr::unspecified(), ll};
    const wire::Ipv6Addr dsts[] = {ll, wire::Ipv6Addr::all_nodes(), ll.solicited_node(),
                                   wire::Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, 0x55),
                                   wire::Ipv6Addr::all_routers()};
    const wire::Ipv6Addr src = srcs[in.u8() % 4];
    const wire::Ipv6Addr dst = dsts[in.u8() % 5];
    const std::uint8_t hop = (mode & 0x40) ? 255 : in.u8();
    const std::uint8_t nh = (mode & 0x20) ? 58 : in.u8();
    ByteVec frame(14 + 40 + payload.size());
    MutBytes p = MutBytes(frame).subspan(14);
    store_be32(p, 0, 0x60000000u);
    store_be16(p, 4, static_cast<std::uint16_t>(payload.size()));
    p[6] = std::byte{nh};
    p[7] = std::byte{hop};
    src.store(p, 8);
    dst.store(p, 24);
    std::copy(payload.begin(), payload.end(), frame.begin() + 54);
    if (nh == 58 && payload.size() >= 4) {
      MutBytes l4 = p.subspan(40);
      store_be16(l4, 2, 0);
      Checksum c;
      c.add(Bytes(p).subspan(8, 32))
          .add_u32(static_cast<std::uint32_t>(payload.size()))
          .add_u32(58)
          .add(Bytes(l4));
      store_be16(l4, 2, c.finish());
    }
    const wire::MacAddr dmac = dst.is_multicast() ? dst.multicast_mac() : b_.mac;
    wire::EthernetRepr eth{dmac, a_.mac, 0x86dd, Bytes(frame).subspan(14)};
    eth.emit(frame);
    b_.stack.on_frame(b_.iface, frame, now_);
  }

  void advance(Reader& in) {
    const std::uint16_t v = in.u16();
    // Milliseconds, or whole seconds (up to ~18 h) to reach keepalive/TIME-WAIT.
    now_ = now_ + ((v & 1) ? Duration(std::chrono::seconds(v >> 1))
                           : Duration(std::chrono::milliseconds(v >> 1)));
    a_.stack.on_timer(now_);
    b_.stack.on_timer(now_);
  }

  void app_call(Reader& in) {
    const std::uint8_t what = in.u8();
    Host& h = (what & 1) ? a_ : b_;
    const tcp::ConnId id = (what & 1) ? cid_ : child_;
    auto& t = h.stack.tcp();
    switch ((what >> 1) % 7) {
      case 0: {
        const ByteVec data = pattern(in.u16() % 8192);
        (void)t.send(id, data);
        break;
      }
      case 1: {
        ByteVec buf(in.u16() % 8192);
        (void)t.receive(id, buf);
        break;
      }
      case 2:
        (void)t.shutdown_write(id);
        break;
      case 3:
        (void)t.close(id);
        break;
      case 4:
        (void)t.abort(id);
        break;
      case 5: {
        const ByteVec data = pattern(in.u8() % 64 + 1);
        (void)t.send_urgent(id, data);
        break;
      }
      default:
        if (b_.stack.tcp().accept(lid_).ok()) ++accepted_;
        break;
    }
    h.stack.flush_tcp(now_);
    b_.stack.flush_tcp(now_);
  }

  Host a_, b_;
  std::size_t budget_;
  Instant now_ = Instant::zero();
  tcp::ListenerId lid_{};
  tcp::ConnId cid_{}, child_{};
  std::uint16_t port_ = 0;
  std::uint32_t client_nxt_ = 0, server_nxt_ = 0;
  std::size_t accepted_ = 0;
  std::deque<ByteVec> to_a_, to_b_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  Session s(in.u8());
  check(s.establish());
  s.run(in);
  return 0;
}
