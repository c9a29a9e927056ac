#include "world.hpp"

#include <fmt/core.h>

#include <algorithm>

#include <stdexcept>

namespace synack::cli {
namespace {

wire::Ipv4Addr ipv4_of(std::uint8_t last) {
  return wire::Ipv4Addr::from_octets(10, 77, 0, last);
}
// The ULA prefix fd00:77::/64 (RFC 4193), as the IPv6 examples in docs/CLI.md use.
wire::Ipv6Addr ipv6_of(std::uint8_t last) {
  return wire::Ipv6Addr::from_groups(0xfd00, 0x77, 0, 0, 0, 0, 0, last);
}

Host add_host(sim::Network& net, const char* name, Side side, std::uint8_t last, std::uint64_t seed,
              const stack::StackConfig& cfg, bool ip6) {
  Host h;
  h.name = name;
  h.side = side;
  h.mac = wire::MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, last}};
  // The interface keeps its IPv4 address with --ip6 too (a dual-stack host, as most
  // are); the scenarios just address the peer by IPv6, so no IPv4 frame is sent.
  h.ip = ip6 ? wire::IpAddr(ipv6_of(last)) : wire::IpAddr(ipv4_of(last));
  h.link_local = wire::Ipv6Addr::link_local_from_mac(h.mac);
  h.id = net.add_host({.name = name,
                       .mac = h.mac,
                       .addr = wire::Ipv4Cidr{ipv4_of(last), 24},
                       .stack = cfg,
                       .seed = seed});
  h.stack = &net.stack(h.id);
  h.iface = net.iface(h.id);
  return h;
}

// --ip6: the hosts are statically addressed on a cable without a router, so they do
// not solicit one: a Router Solicitation (RFC 4861 §6.3.7) would go unanswered and its
// retransmissions, 4 s apart, would land in the middle of every scenario's ladder.
// Duplicate Address Detection stays on: it is how every IPv6 address starts, and the
// ladder shows it (the NS from :: before anything else).
stack::StackConfig with_ipv6(stack::StackConfig cfg, bool ip6) {
  if (ip6) cfg.ipv6.max_rtr_solicitations = 0;
  return cfg;
}

std::string title(const char* who, bool ip6, std::uint8_t last) {
  return fmt::format("{} {}", who, ip6 ? ipv6_of(last).to_string() : ipv4_of(last).to_string());
}

}  // namespace

World::World(const WorldOptions& opt)
    : ip6_(opt.ip6),
      ladder_(title("client", opt.ip6, 1), title("server", opt.ip6, 2), opt.absolute_seq) {
  // One seed draws all others, in this order: the client's stack, the server's, the link.
  SeededRandom seeds(opt.seed);
  const stack::StackConfig cfg = with_ipv6(opt.stack, ip6_);
  a_ = add_host(net_, "client", Side::Left, 1, seeds.next_u64(), cfg, ip6_);
  b_ = add_host(net_, "server", Side::Right, 2, seeds.next_u64(), cfg, ip6_);
  link_ = net_.connect(a_.id, b_.id, seeds.next_u64(), opt.link, opt.link);
  net_.on_capture = [this](const sim::CapturedFrame& f) { on_frame(f); };
  net_.on_event = [this](sim::HostId h, const stack::Event& e) {
    if (on_event) on_event(host(h), e);
  };
  if (!opt.pcap_path.empty()) {
    auto w = link::PcapngWriter::open_file(opt.pcap_path);
    if (!w) throw std::runtime_error(fmt::format("cannot write '{}'", opt.pcap_path));
    pcap_.emplace(std::move(*w));
    // The capture is the client's view, as tcpdump on the client would record it:
    // everything it sends (also frames the link then loses) and everything it receives.
    pcap_iface_ = pcap_->add_interface("client-eth0");
  }
  out_ += ladder_.header();
  recording_.left_title = fmt::format("client {}", a_.ip.to_string());
  recording_.right_title = fmt::format("server {}", b_.ip.to_string());
  recording_.absolute_seq = opt.absolute_seq;
  if (ip6_) bring_up_ipv6();
}

// Turns IPv6 on in both hosts at time 0 and runs until their addresses have passed
// Duplicate Address Detection (RFC 4862 §5.4): each host joins its solicited-node
// groups (MLDv2 reports), waits a random 0..1 s, sends one NS for each address from
// :: and, hearing no NA for RetransTimer (1 s), starts using it. The scenario starts
// after that, as an application on a freshly booted host would.
void World::bring_up_ipv6() {
  for (Host* h : {&a_, &b_}) {
    if (!h->stack->enable_ipv6(h->iface, wire::Ipv6Cidr{h->ip.v6(), 64}, false, now()))
      throw std::runtime_error("sim: enabling IPv6 failed");
    note(*h, fmt::format("IPv6 on: {}/64 and {}/64, tentative until DAD", h->ip.to_string(),
                         h->link_local.to_string()));
  }
  std::map<std::pair<sim::HostId, wire::Ipv6Addr>, stack::Ipv6AddrState> seen;
  auto all_preferred = [&] {
    bool all = true;
    for (Host* h : {&a_, &b_}) {
      for (const auto& info : h->stack->ipv6_addresses(h->iface)) {
        auto& st = seen.try_emplace({h->id, info.cidr.addr}, stack::Ipv6AddrState::Tentative)
                       .first->second;
        if (info.state != st) {
          note(*h, fmt::format("{} {} (RFC 4862 §5.4)", info.cidr.addr.to_string(),
                               stack::to_string(info.state)));
          st = info.state;
        }
        all = all && info.state == stack::Ipv6AddrState::Preferred;
      }
    }
    return all;
  };
  if (!net_.run_until(all_preferred, now() + std::chrono::seconds(10)))
    throw std::runtime_error("sim: IPv6 addresses did not leave DAD");
}

Status<stack::SendError> World::ping(Host& from, const Host& to, std::uint16_t seq, Bytes data) {
  if (to.ip.is_v4()) return from.stack->send_ping(to.ip.v4(), 1, seq, data, now());
  return from.stack->send_ping6(to.ip.v6(), 1, seq, data, now());
}

std::uint64_t World::echo_replies(const Host& h) const {
  const auto& st = h.stack->stats();
  return ip6_ ? st.icmpv6_rx_echo_replies : st.icmp_rx_echo_replies;
}

std::size_t World::neighbours(const Host& h) const {
  return ip6_ ? h.stack->ndp().size() : h.stack->neighbors().size();
}

void World::note(Host& h, const std::string& text) {
  note_at(h, now(), text);
}

void World::note_at(Host& h, Instant t, const std::string& text) {
  out_ += ladder_.note_line(t, h.side, text);
  view::RecordedNote n{t, h.side, text, "", false};
  // A state change reads "FROM -> TO  [rule]": the rule goes where pictures show it.
  if (auto open = text.rfind("  ["); open != std::string::npos && text.back() == ']') {
    n.text = text.substr(0, open);
    n.rule = text.substr(open + 3, text.size() - open - 4);
  }
  recording_.add_note(std::move(n));
}

// Every frame either host sends or receives: the ladder, the recording, the capture.
void World::on_frame(const sim::CapturedFrame& f) {
  Host& h = host(f.host);
  if (f.dir == sim::CapturedFrame::Dir::Received) {
    if (pcap_ && &h == &a_)
      (void)pcap_->write(pcap_iface_, f.at, f.frame, link::Direction::Inbound);
    note_arrival(h.side == Side::Left ? Side::Right : Side::Left, f.frame, f.at);
    return;
  }
  out_ += ladder_.frame_line(f.at, h.side, f.frame, f.lost);
  view::RecordedFrame rf;
  rf.t = f.at;
  rf.from = h.side;
  rf.lost = f.lost;
  rf.bytes.assign(f.frame.begin(), f.frame.end());
  recording_.add_frame(std::move(rf));
  if (pcap_ && &h == &a_) {
    (void)pcap_->write(pcap_iface_, f.at, f.frame, link::Direction::Outbound,
                       f.lost ? "lost on the simulated link" : "");
  }
}

// The recording's latest frame from `from` with these bytes that has not arrived yet
// arrived at `at` (a duplicate finds none; a corrupted copy does not match).
void World::note_arrival(Side from, Bytes frame, Instant at) {
  auto& frames = recording_.frames;
  std::size_t looked = 0;
  for (auto it = frames.rbegin(); it != frames.rend() && looked < 4096; ++it, ++looked) {
    if (it->from != from || it->arrived || it->lost || it->bytes.size() != frame.size()) continue;
    if (std::equal(it->bytes.begin(), it->bytes.end(), frame.begin())) {
      it->arrived = at;
      return;
    }
  }
}

bool World::run_until(const std::function<bool()>& done, Duration limit) {
  const Instant end = now() + limit;
  net_.settle();
  // Bounded in steps as well as in virtual time (and sim::Network gives up on an
  // instant that never passes), so the simulator cannot hang.
  for (int steps = 0; !done() && steps < 50'000'000; ++steps) {
    if (!net_.step(end)) break;
    if (on_step) on_step();
  }
  return done();
}

bool World::finish_capture() {
  if (!pcap_) return true;
  if (auto st = pcap_->flush(); !st) {
    fmt::print(stderr, "synack sim: writing the capture failed: {}\n", link::to_string(st.error()));
    return false;
  }
  return true;
}

}  // namespace synack::cli
