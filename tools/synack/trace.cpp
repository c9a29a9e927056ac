// `synack trace FILE`: read a capture (pcap or pcapng, from synack, tcpdump, tshark or
// Wireshark), find its TCP connections, and print each as the ladder `synack sim`
// prints, with both ends' states inferred from RFC 9293 and each segment's marks.
#include <fmt/core.h>

#include <memory>

#include "analysis.hpp"
#include "capture.hpp"
#include "cli.hpp"
#include "connection_view.hpp"
#include "ladder.hpp"
#include "pictures.hpp"

namespace synack::cli {
namespace {

struct TraceArgs {
  std::string file;
  bool list = false;
  std::size_t conn = 0;  // 1-based; 0: all
  bool absolute = false;
  view::PictureFiles pictures;  // of one connection
};

std::string ms(Duration d) {
  return fmt::format("{:.3f} ms", static_cast<double>(d.count()) / 1e6);
}

std::string list_line(std::size_t n, const view::Connection& c) {
  auto r = c.srtt(c.dir[1].bytes > c.dir[0].bytes ? view::Dir::BtoA : view::Dir::AtoB);
  std::string rtt = r ? ms(*r) : "-";
  return fmt::format("{:>3}  {:<22} {:<22} {:>12} {:>12} {:>12} {:>7}/{:<7} {:>10}  {}\n", n,
                     c.a.to_string(), c.b.to_string(), ms(c.last - c.first), c.dir[0].bytes,
                     c.dir[1].bytes, c.dir[0].retransmissions, c.dir[1].retransmissions, rtt,
                     c.segments.size());
}

std::string summary(const view::Connection& c) {
  std::string out;
  for (int d = 0; d < 2; ++d) {
    const auto& p = c.dir[d];
    out += fmt::format("{} > {}: {} bytes in {} segments, {} retransmitted ({} bytes)\n",
                       d == 0 ? c.a.to_string() : c.b.to_string(),
                       d == 0 ? c.b.to_string() : c.a.to_string(), p.bytes, p.segments,
                       p.retransmissions, p.retransmitted_bytes);
  }
  for (auto d : {view::Dir::AtoB, view::Dir::BtoA}) {
    auto s = c.srtt(d);
    if (!s) continue;
    std::size_t k = 0;
    for (const auto& r : c.rtt) k += r.data_dir == d;
    out += fmt::format(
        "{}'s data acknowledged {} after the capture point saw it (smoothed, {} "
        "samples)\n",
        d == view::Dir::AtoB ? c.a.to_string() : c.b.to_string(), ms(*s), k);
  }
  return out;
}

int run_trace(const TraceArgs& a) {
  auto cap = view::read_capture_file(a.file);
  if (!cap) {
    fmt::print(stderr, "synack trace: '{}': {}\n", a.file, cap.error());
    return kExitRuntime;
  }
  view::Analysis all = view::analyze(cap->frames);
  if (all.connections.empty()) {
    fmt::print(stderr, "synack trace: '{}': no TCP segment among its {} frames\n", a.file,
               cap->frames.size());
    return kExitRuntime;
  }
  const std::size_t n = all.connections.size();
  if (a.conn > n) {
    fmt::print(stderr, "synack trace: '{}': --conn {} is not one of its connections 1..{}\n",
               a.file, a.conn, n);
    return kExitRuntime;
  }
  if (a.list) {
    fmt::print("{:>3}  {:<22} {:<22} {:>12} {:>12} {:>12} {:>15} {:>10}  {}\n", "#", "A (opens)",
               "B", "duration", "bytes A>B", "bytes B>A", "retrans A/B", "srtt", "segments");
    for (std::size_t i = 0; i < n; ++i) fmt::print("{}", list_line(i + 1, all.connections[i]));
    return kExitOk;
  }
  if (a.pictures.any()) {
    // Pictures are of one connection: --conn N, or the only/first one.
    std::size_t pick = a.conn ? a.conn : 1;
    auto v = view::connection_view(cap->frames, all.connections[pick - 1], a.absolute);
    if (!view::write_pictures("synack trace", a.pictures, v.recording, v.analysis)) {
      return kExitRuntime;
    }
  }
  if (all.tcp_fragments) {
    fmt::print("note: {} IP fragments of TCP were not reassembled (their segments are left out)\n",
               all.tcp_fragments);
  }
  if (cap->truncated) {
    fmt::print(
        "note: {} frames were cut short by the capture's snap length (their numbers and "
        "lengths are read from the headers kept)\n",
        cap->truncated);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (a.conn && a.conn != i + 1) continue;
    view::ConnectionView v = view::connection_view(cap->frames, all.connections[i], a.absolute);
    const view::Connection& c = v.analysis.connections.front();
    if (n > 1) {
      fmt::print("{}connection {}: {} > {}\n", i ? "\n" : "", i + 1, c.a.to_string(),
                 c.b.to_string());
    }
    fmt::print("{}", view::render_ladder(v.recording, &v.analysis));
    fmt::print("\n{}", summary(c));
  }
  return kExitOk;
}

}  // namespace

void register_trace(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("trace", "Print the ladder diagram of a pcap/pcapng capture");
  auto args = std::make_shared<TraceArgs>();
  sub->add_option("FILE", args->file, "A pcap or pcapng capture")->required();
  sub->add_flag("--list", args->list, "List the connections, one line each");
  sub->add_option("--conn", args->conn, "Only connection N (see --list)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  sub->add_flag("--absolute", args->absolute, "Raw sequence numbers instead of relative ones");
  sub->add_option("--svg", args->pictures.svg,
                  "Draw the ladder of connection --conn (default 1) as SVG")
      ->type_name("FILE");
  sub->add_option("--plot", args->pictures.plot,
                  "Draw its time-sequence graph (the direction that carried the most data) as SVG")
      ->type_name("FILE");
  sub->add_option("--html", args->pictures.html,
                  "Write one self-contained page: ladder, graph, every frame's fields")
      ->type_name("FILE");
  sub->callback([&action, args] { action = [args] { return run_trace(*args); }; });
}

}  // namespace synack::cli
