#include "world.hpp"

#include <fmt/core.h>

#include <algorithm>

#include <stdexcept>

namespace synack::cli {
namespace {

Host make_host(const char* name, Side side, std::uint8_t last, std::uint64_t seed,
               const stack::StackConfig& cfg) {
  Host h;
  h.name = name;
  h.side = side;
  h.mac = wire::MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, last}};
  h.ip = wire::Ipv4Addr::from_octets(10, 77, 0, last);
  h.rng = std::make_unique<SeededRandom>(seed);
  h.stack = std::make_unique<stack::Stack>(cfg, *h.rng);
  h.iface = h.stack->add_interface(h.mac, wire::Ipv4Cidr{h.ip, 24});
  return h;
}

}  // namespace

World::World(const WorldOptions& opt)
    : seed_rng_(opt.seed),
      a_(make_host("client", Side::Left, 1, seed_rng_.next_u64(), opt.stack)),
      b_(make_host("server", Side::Right, 2, seed_rng_.next_u64(), opt.stack)),
      link_(seed_rng_.next_u64(), opt.link, opt.link),
      ladder_(fmt::format("client {}", a_.ip.to_string()),
              fmt::format("server {}", b_.ip.to_string()), opt.absolute_seq) {
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
}

void World::note(Host& h, const std::string& text) {
  note_at(h, now_, text);
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

void World::pump() {
  for (Host* h : {&a_, &b_}) {
    link::End from = h == &a_ ? link::End::A : link::End::B;
    while (auto f = h->stack->pop_frame()) {
      std::uint64_t lost_before = link_.stats(from).lost + link_.stats(from).queue_dropped;
      ByteVec copy = f->bytes;
      link_.send(from, std::move(f->bytes), now_);
      bool lost = link_.stats(from).lost + link_.stats(from).queue_dropped != lost_before;
      ++h->frames_sent;
      out_ += ladder_.frame_line(now_, h->side, copy, lost);
      view::RecordedFrame rf;
      rf.t = now_;
      rf.from = h->side;
      rf.lost = lost;
      rf.bytes = copy;
      recording_.add_frame(std::move(rf));
      if (pcap_ && h == &a_) {
        (void)pcap_->write(pcap_iface_, now_, copy, link::Direction::Outbound,
                           lost ? "lost on the simulated link" : "");
      }
    }
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

// Runs everything due at now_ until nothing more happens at this instant.
bool World::settle() {
  bool any = true;
  for (int round = 0; any && round < 10000; ++round) {
    any = timers_.run_due(now_);
    pump();
    while (auto d = link_.pop_ready(now_)) {
      Host& h = host(d->to);
      if (pcap_ && &h == &a_)
        (void)pcap_->write(pcap_iface_, d->at, d->frame, link::Direction::Inbound);
      note_arrival(h.side == Side::Left ? Side::Right : Side::Left, d->frame, d->at);
      h.stack->on_frame(h.iface, d->frame, d->at);
      any = true;
    }
    for (Host* h : {&a_, &b_}) {
      while (auto e = h->stack->pop_event()) {
        if (on_event) on_event(*h, *e);
        any = true;
      }
    }
    pump();
  }
  return any;
}

bool World::run_until(const std::function<bool()>& done, Duration limit) {
  const Instant end = now_ + limit;
  settle();
  // Bounded in steps as well as in virtual time, so a stack that kept asking for a
  // timer in the past could never hang the simulator.
  for (int steps = 0; !done() && steps < 50'000'000; ++steps) {
    std::optional<Instant> next;
    auto consider = [&next](std::optional<Instant> t) {
      if (t && (!next || *t < *next)) next = t;
    };
    consider(link_.next_deadline());
    consider(a_.stack->next_deadline());
    consider(b_.stack->next_deadline());
    consider(timers_.next());
    if (!next || *next > end) break;
    if (*next > now_) now_ = *next;
    a_.stack->on_timer(now_);
    b_.stack->on_timer(now_);
    settle();
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
