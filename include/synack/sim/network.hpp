// One simulated network: whole hosts (a stack::Stack each) joined by point-to-point
// SimLinks or by a learning Ethernet switch, on one virtual clock.
//
// It is what `synack sim` and the tests that need more than one stack run on, in the
// manner of smoltcp's and netstack3's test harnesses: nothing reads a clock or a
// global RNG, every random draw comes from a seed the caller gives (one per host, one
// per link), so a run is reproducible frame for frame.
//
//   sim::Network net;
//   auto a = net.add_host({.name = "a", .mac = ..., .addr = {ip_a, 24}, .seed = 1});
//   auto b = net.add_host({.name = "b", .mac = ..., .addr = {ip_b, 24}, .seed = 2});
//   net.connect(a, b, /*seed=*/3, {.loss = 0.01, .delay = 5ms});
//   ... net.stack(a).tcp().connect(...) ...
//   net.run_until([&] { return done; }, net.now() + 10s);
//
// One instant of virtual time runs in this order (settle()): calls scheduled with at()
// that are due, every frame the stacks queued handed to its first hop, every frame due
// delivered (to a stack, or through a switch onto its next hop), the stacks' events
// handed to on_event, the frames that produced sent. It repeats until nothing more
// happens at that instant. step() then moves the clock to the earliest deadline of any
// host, link or scheduled call and calls every host's on_timer first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/random.hpp"
#include "synack/base/time.hpp"
#include "synack/link/sim_link.hpp"
#include "synack/stack/config.hpp"
#include "synack/stack/events.hpp"
#include "synack/stack/stack.hpp"
#include "synack/wire/addr.hpp"

namespace synack::sim {

// Indexes in the order add_host / add_switch / connect returned them.
using HostId = std::size_t;
using SwitchId = std::size_t;
using LinkId = std::size_t;

struct HostConfig {
  std::string name{};
  wire::MacAddr mac{};
  wire::Ipv4Cidr addr{};  // the host's one interface: its address and on-link prefix
  std::size_t mtu = 1500;
  stack::StackConfig stack{};
  std::uint64_t seed = 1;  // the stack's Random (ISNs, ephemeral ports, cookies)
};

// One frame seen at a host's interface: what tcpdump on that host would record.
struct CapturedFrame {
  enum class Dir : std::uint8_t { Sent, Received };
  Instant at;
  HostId host;  // the sender (Sent) or the receiver (Received)
  Dir dir;
  Bytes frame;  // valid during the callback only
  // Sent only: the first hop lost it (on the wire or tail-dropped by its queue), or
  // the copies hook gave it none. A frame a switch forwards onto a lossy port is
  // reported as sent; it just never shows up as received.
  bool lost = false;
};

class Network {
 public:
  Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // --- building ------------------------------------------------------------------
  HostId add_host(const HostConfig& cfg);
  SwitchId add_switch();
  // A cable between two hosts (a is the link's End::A). `seed` drives its impairments.
  LinkId connect(HostId a, HostId b, std::uint64_t seed, const link::DirectionConfig& a_to_b = {},
                 const link::DirectionConfig& b_to_a = {});
  // A cable from a host (End::A) to a new port of a switch (End::B).
  LinkId connect_to_switch(HostId h, SwitchId s, std::uint64_t seed,
                           const link::DirectionConfig& up = {},
                           const link::DirectionConfig& down = {});

  // --- looking in ----------------------------------------------------------------
  std::size_t host_count() const { return hosts_.size(); }
  stack::Stack& stack(HostId h) { return *hosts_.at(h).stack; }
  const stack::Stack& stack(HostId h) const { return *hosts_.at(h).stack; }
  stack::IfaceId iface(HostId h) const { return hosts_.at(h).iface; }
  const HostConfig& config(HostId h) const { return hosts_.at(h).cfg; }
  std::uint64_t frames_sent(HostId h) const { return hosts_.at(h).frames_sent; }
  link::SimLink& link(LinkId l) { return *links_.at(l).sim; }
  const link::SimLink& link(LinkId l) const { return *links_.at(l).sim; }
  // The host a switch's table sends `mac` to, once it has seen a frame from it.
  std::optional<HostId> switch_learned(SwitchId s, wire::MacAddr mac) const;

  Instant now() const { return now_; }
  // How often step() moved the clock forward (a test's "nothing got stuck" check).
  std::uint64_t clock_advances() const { return advances_; }

  // --- hooks (all optional) ------------------------------------------------------
  // Every frame a host sends or receives: a capture (pcapng, a Recording).
  std::function<void(const CapturedFrame&)> on_capture;
  // Every event a host's stack raises. Unset, events stay in the stack's queue for
  // the caller (an api::Poller) to take.
  std::function<void(HostId, const stack::Event&)> on_event;
  // How many copies of a frame a host sends reach its first hop (0 drops it before
  // the wire, 2 duplicates it): losses and duplicates a test places exactly.
  std::function<int(HostId from, Bytes frame)> copies;
  // Whether a frame that arrived may reach the host's stack (false drops it): e.g. an
  // Ethernet FCS check, which SimLink's bit flips do not model.
  std::function<bool(HostId to, Bytes frame)> accept;
  // After a frame was handed to a host's stack (to see what it did to the stack).
  std::function<void(HostId to, Bytes frame, Instant at)> after_delivery;

  // --- driving -------------------------------------------------------------------
  // Runs `fn` when the virtual clock reaches `t` (at once, in settle(), if t <= now).
  void at(Instant t, std::function<void()> fn) { calls_.emplace(t, std::move(fn)); }
  // Sends a frame from a host's interface now, as if its stack had (a forged frame).
  void transmit(HostId from, ByteVec frame);

  // Hands every frame the stacks queued to its first hop now (nothing is delivered).
  void pump();
  // Everything due at now(), until nothing more happens; returns whether anything did.
  bool settle();
  // The earliest moment a host, a link or a scheduled call has something to do.
  std::optional<Instant> next_deadline() const;
  // Moves the clock to next_deadline() if that is at most `limit`, fires every host's
  // timers and settles. False when nothing is due by `limit` (or the network is stuck:
  // a deadline that never passes, see stuck()).
  bool step(Instant limit);
  // Settles, then steps until done() holds or nothing is due by `deadline`. done() is
  // where an application acts between instants; the frames it queues are sent at once.
  // Returns done().
  bool run_until(const std::function<bool()>& done, Instant deadline);
  // Processes everything due up to and including `until`; the clock ends at `until`.
  void run_to(Instant until);
  void run_for(Duration d) { run_to(now_ + d); }
  // Whether step() gave up at an instant whose deadlines kept it there.
  bool stuck() const { return stuck_; }

 private:
  struct Host {
    HostConfig cfg;
    std::unique_ptr<SeededRandom> rng;  // the stack keeps a reference: stable address
    std::unique_ptr<stack::Stack> stack;
    stack::IfaceId iface;
    std::optional<LinkId> link;  // its cable (one interface, one cable)
    link::End end = link::End::A;
    std::uint64_t frames_sent = 0;
  };
  // What sits at one end of a cable.
  struct Attach {
    bool is_switch = false;
    std::size_t index = 0;  // HostId or SwitchId
  };
  struct Cable {
    std::unique_ptr<link::SimLink> sim;
    Attach ends[2];
  };
  struct Switch {
    std::vector<LinkId> ports;                            // each port's cable (switch = End::B)
    std::map<std::array<std::uint8_t, 6>, LinkId> table;  // learned: MAC -> port
  };

  void send_on(Host& h, ByteVec frame);
  bool deliver();
  void forward(SwitchId s, LinkId in_port, const ByteVec& frame);
  void arrive(HostId to, const ByteVec& frame, Instant at);

  std::vector<Host> hosts_;
  std::vector<Switch> switches_;
  std::vector<Cable> links_;
  std::multimap<Instant, std::function<void()>> calls_;
  Instant now_ = Instant::zero();
  std::uint64_t advances_ = 0;
  int same_instant_ = 0;
  bool stuck_ = false;
};

}  // namespace synack::sim
