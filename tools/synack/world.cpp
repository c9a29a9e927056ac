#include "world.hpp"

#include <fmt/core.h>

#include <algorithm>

#include <stdexcept>

namespace synack::cli {
namespace {

Host add_host(sim::Network& net, const char* name, Side side, std::uint8_t last, std::uint64_t seed,
              const stack::StackConfig& cfg) {
  Host h;
  h.name = name;
  h.side = side;
  h.mac = wire::MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, last}};
  h.ip = wire::Ipv4Addr::from_octets(10, 77, 0, last);
  h.id = net.add_host(
      {.name = name, .mac = h.mac, .addr = wire::Ipv4Cidr{h.ip, 24}, .stack = cfg, .seed = seed});
  h.stack = &net.stack(h.id);
  return h;
}

}  // namespace

World::World(const WorldOptions& opt)
    : ladder_(fmt::format("client {}", wire::Ipv4Addr::from_octets(10, 77, 0, 1).to_string()),
              fmt::format("server {}", wire::Ipv4Addr::from_octets(10, 77, 0, 2).to_string()),
              opt.absolute_seq) {
  // One seed draws all others, in this order: the client's stack, the server's, the link.
  SeededRandom seeds(opt.seed);
  a_ = add_host(net_, "client", Side::Left, 1, seeds.next_u64(), opt.stack);
  b_ = add_host(net_, "server", Side::Right, 2, seeds.next_u64(), opt.stack);
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
