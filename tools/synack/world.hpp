// Two complete hosts joined by a SimLink on one virtual clock: the engine behind
// `synack sim`. The network itself is a sim::Network; World adds what the program
// shows of it (the ladder, the Recording for the pictures, the client's capture).
// Everything is driven from one seed, so a run is reproducible byte for byte.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ladder.hpp"
#include "recording.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/link/sim_link.hpp"
#include "synack/sim/network.hpp"
#include "synack/stack/stack.hpp"

namespace synack::cli {

using view::Ladder;
using view::Side;

struct Host {
  std::string name;
  Side side;
  wire::MacAddr mac;
  wire::IpAddr ip;                // 10.77.0.x, or fd00:77::x with WorldOptions::ip6
  wire::Ipv6Addr link_local;      // with ip6: fe80::/64 from the MAC (modified EUI-64)
  stack::Stack* stack = nullptr;  // owned by the World's sim::Network
  sim::HostId id = 0;
  stack::IfaceId iface{};  // its one interface
};

struct WorldOptions {
  std::uint64_t seed = 1;
  link::DirectionConfig link;  // applied to both directions
  bool absolute_seq = false;
  std::string pcap_path;  // empty: no capture
  stack::StackConfig stack;
  // Both hosts speak IPv6 (fd00:77::1 and ::2 on one /64, plus their link-local
  // addresses) and the scenarios run over it; no IPv4 address is configured.
  bool ip6 = false;
};

class World {
 public:
  explicit World(const WorldOptions& opt);

  Host& client() { return a_; }
  Host& server() { return b_; }
  bool ip6() const { return ip6_; }
  // The wildcard address of the world's family: 0.0.0.0, or :: with ip6.
  wire::IpAddr any() const {
    return ip6_ ? wire::IpAddr(wire::Ipv6Addr::unspecified()) : wire::IpAddr(wire::Ipv4Addr::any());
  }
  Instant now() const { return net_.now(); }
  link::SimLink& link() { return net_.link(link_); }

  // Called for every event a host's stack raises.
  std::function<void(Host&, const stack::Event&)> on_event;
  // Called after each instant of virtual time has settled.
  std::function<void()> on_step;
  // An echo request (ICMP, or ICMPv6 with ip6) from `from` to `to`, identifier 1.
  Status<stack::SendError> ping(Host& from, const Host& to, std::uint16_t seq, Bytes data);
  // Echo replies `h` has received (ICMP, or ICMPv6 with ip6).
  std::uint64_t echo_replies(const Host& h) const;
  // Entries in `h`'s neighbour cache (ARP, or NDP with ip6).
  std::size_t neighbours(const Host& h) const;
  // Runs `fn` when the virtual clock reaches `t`.
  void at(Instant t, std::function<void()> fn) { net_.at(t, std::move(fn)); }
  // Advances the world until done() holds or `limit` of virtual time has passed or
  // nothing is left to happen. Returns done().
  bool run_until(const std::function<bool()>& done, Duration limit);

  void note(Host& h, const std::string& text);
  void note_at(Host& h, Instant t, const std::string& text);
  void append(const std::string& text) { out_ += text; }
  // Flushes the capture; returns false (with a message on stderr) on a write error.
  bool finish_capture();
  const std::string& output() const { return out_; }
  // Every frame and note so far, for the pictures (--svg, --plot, --html).
  const view::Recording& recording() const { return recording_; }

 private:
  void on_frame(const sim::CapturedFrame& f);
  void note_arrival(Side from, Bytes frame, Instant at);
  Host& host(sim::HostId id) { return id == a_.id ? a_ : b_; }
  void bring_up_ipv6();

  bool ip6_ = false;

  sim::Network net_;
  Host a_, b_;
  sim::LinkId link_ = 0;
  Ladder ladder_;
  std::optional<link::PcapngWriter> pcap_;
  std::uint32_t pcap_iface_ = 0;
  std::string out_;
  view::Recording recording_;
};

}  // namespace synack::cli
