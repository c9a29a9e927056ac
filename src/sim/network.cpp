#include "synack/sim/network.hpp"

#include <stdexcept>
#include <utility>

namespace synack::sim {
namespace {

// A stack asking again and again for a timer at an instant that never passes is a bug;
// after this many steps at one instant step() reports it instead of spinning forever.
constexpr int kMaxStepsPerInstant = 100000;
// Rounds of settle() at one instant: frames bouncing at zero delay forever (a loop in
// the topology cannot happen with one switch, but a misbehaving stack could) end here.
constexpr int kMaxRoundsPerInstant = 10000;

std::optional<wire::MacAddr> destination(Bytes frame) {
  if (frame.size() < 14) return std::nullopt;
  return wire::MacAddr::load(frame, 0);
}

}  // namespace

HostId Network::add_host(const HostConfig& cfg) {
  Host h;
  h.cfg = cfg;
  h.rng = std::make_unique<SeededRandom>(cfg.seed);
  h.stack = std::make_unique<stack::Stack>(cfg.stack, *h.rng);
  h.iface = h.stack->add_interface(cfg.mac, cfg.addr, cfg.mtu);
  hosts_.push_back(std::move(h));
  return hosts_.size() - 1;
}

SwitchId Network::add_switch() {
  switches_.emplace_back();
  return switches_.size() - 1;
}

LinkId Network::connect(HostId a, HostId b, std::uint64_t seed, const link::DirectionConfig& a_to_b,
                        const link::DirectionConfig& b_to_a) {
  if (hosts_.at(a).link || hosts_.at(b).link || a == b)
    throw std::invalid_argument("sim::Network::connect: a host has one cable");
  Cable c;
  c.sim = std::make_unique<link::SimLink>(seed, a_to_b, b_to_a);
  c.ends[0] = Attach{false, a};
  c.ends[1] = Attach{false, b};
  links_.push_back(std::move(c));
  const LinkId id = links_.size() - 1;
  hosts_[a].link = id;
  hosts_[a].end = link::End::A;
  hosts_[b].link = id;
  hosts_[b].end = link::End::B;
  return id;
}

LinkId Network::connect_to_switch(HostId h, SwitchId s, std::uint64_t seed,
                                  const link::DirectionConfig& up,
                                  const link::DirectionConfig& down) {
  if (hosts_.at(h).link)
    throw std::invalid_argument("sim::Network::connect_to_switch: a host has one cable");
  Switch& sw = switches_.at(s);
  Cable c;
  c.sim = std::make_unique<link::SimLink>(seed, up, down);
  c.ends[0] = Attach{false, h};
  c.ends[1] = Attach{true, s};
  links_.push_back(std::move(c));
  const LinkId id = links_.size() - 1;
  hosts_[h].link = id;
  hosts_[h].end = link::End::A;
  sw.ports.push_back(id);
  return id;
}

std::optional<HostId> Network::switch_learned(SwitchId s, wire::MacAddr mac) const {
  const Switch& sw = switches_.at(s);
  auto it = sw.table.find(mac.octets);
  if (it == sw.table.end()) return std::nullopt;
  return links_[it->second].ends[0].index;
}

void Network::transmit(HostId from, ByteVec frame) {
  send_on(hosts_.at(from), std::move(frame));
}

// A frame leaves a host's interface now: onto its cable, reported to the capture with
// whether that first hop lost it.
void Network::send_on(Host& h, ByteVec frame) {
  const HostId id = static_cast<HostId>(&h - hosts_.data());
  ++h.frames_sent;
  const int n = copies ? copies(id, frame) : 1;
  bool lost = n <= 0 || !h.link;
  ByteVec copy;
  if (on_capture) copy = frame;
  if (!lost) {
    link::SimLink& l = *links_[*h.link].sim;
    const auto& st = l.stats(h.end);
    const std::uint64_t before = st.lost + st.queue_dropped;
    for (int k = 1; k < n; ++k) l.send(h.end, ByteVec(frame), now_);
    l.send(h.end, std::move(frame), now_);
    lost = st.lost + st.queue_dropped != before;
  }
  if (on_capture) on_capture(CapturedFrame{now_, id, CapturedFrame::Dir::Sent, copy, lost});
}

void Network::pump() {
  for (Host& h : hosts_) {
    while (auto f = h.stack->pop_frame()) send_on(h, std::move(f->bytes));
  }
}

// Every frame due now moves one hop: into a host, or into a switch that forwards it.
// Cables in the order they were made, each in arrival order.
bool Network::deliver() {
  bool any = false;
  for (LinkId l = 0; l < links_.size(); ++l) {
    while (auto d = links_[l].sim->pop_ready(now_)) {
      any = true;
      const Attach& to = links_[l].ends[static_cast<std::size_t>(d->to)];
      if (to.is_switch) {
        forward(to.index, l, d->frame);
      } else {
        arrive(to.index, d->frame, d->at);
      }
    }
  }
  return any;
}

// A learning switch: it learns the source MAC's port, sends a frame for a known MAC to
// that port only and floods broadcasts, multicasts and unknown destinations to every
// other port. No ageing: a simulation's hosts never move.
void Network::forward(SwitchId s, LinkId in_port, const ByteVec& frame) {
  Switch& sw = switches_[s];
  auto dst = destination(frame);
  if (!dst) return;  // a runt: a real switch drops it too
  sw.table[wire::MacAddr::load(frame, 6).octets] = in_port;
  if (!dst->is_multicast()) {
    if (auto it = sw.table.find(dst->octets); it != sw.table.end()) {
      if (it->second != in_port) links_[it->second].sim->send(link::End::B, frame, now_);
      return;
    }
  }
  for (LinkId port : sw.ports) {
    if (port != in_port) links_[port].sim->send(link::End::B, frame, now_);
  }
}

// A frame the accept hook refuses never reached the host: it is not captured either,
// as tcpdump does not see what the NIC dropped for a bad FCS.
void Network::arrive(HostId to, const ByteVec& frame, Instant at) {
  if (accept && !accept(to, frame)) return;
  if (on_capture) on_capture(CapturedFrame{at, to, CapturedFrame::Dir::Received, frame, false});
  Host& h = hosts_[to];
  h.stack->on_frame(h.iface, frame, at);
  if (after_delivery) after_delivery(to, frame, at);
}

bool Network::settle() {
  bool any = true, did = false;
  for (int round = 0; any && round < kMaxRoundsPerInstant; ++round) {
    any = false;
    while (!calls_.empty() && calls_.begin()->first <= now_) {
      auto fn = std::move(calls_.begin()->second);
      calls_.erase(calls_.begin());
      fn();
      any = true;
    }
    pump();
    any = deliver() || any;
    if (on_event) {
      for (HostId h = 0; h < hosts_.size(); ++h) {
        while (auto e = hosts_[h].stack->pop_event()) {
          on_event(h, *e);
          any = true;
        }
      }
    }
    // Frames sent here do not make another round by themselves: those due now are
    // delivered by the next step(), which finds them at this same instant.
    pump();
    did = did || any;
  }
  return did;
}

std::optional<Instant> Network::next_deadline() const {
  std::optional<Instant> next;
  auto consider = [&next](std::optional<Instant> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const Cable& c : links_) consider(c.sim->next_deadline());
  for (const Host& h : hosts_) consider(h.stack->next_deadline());
  if (!calls_.empty()) consider(calls_.begin()->first);
  return next;
}

bool Network::step(Instant limit) {
  auto next = next_deadline();
  if (!next || *next > limit) return false;
  if (*next > now_) {
    now_ = *next;
    ++advances_;
    same_instant_ = 0;
  } else if (++same_instant_ > kMaxStepsPerInstant) {
    stuck_ = true;
    return false;
  }
  for (Host& h : hosts_) h.stack->on_timer(now_);
  settle();
  return true;
}

bool Network::run_until(const std::function<bool()>& done, Instant deadline) {
  settle();
  // done() is called once per step and its last answer returned: it may act and
  // consume (an application reading), so asking it twice could change the answer.
  for (;;) {
    if (done()) return true;
    // What done() queued (an application sending) leaves now, not at whatever
    // deadline comes next.
    pump();
    if (!step(deadline)) return done();
  }
}

void Network::run_to(Instant until) {
  settle();
  while (step(until)) {
  }
  if (until > now_) now_ = until;
}

}  // namespace synack::sim
