// `synack sim`: two complete stacks over a simulated link on a virtual clock.
// No root, no network; the same seed gives byte-identical output and capture.
#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis.hpp"
#include "cli.hpp"
#include "pictures.hpp"
#include "sim_attack.hpp"
#include "sim_scenarios.hpp"
#include "world.hpp"

namespace synack::cli {
namespace {

struct SimArgs {
  std::string scenario;
  double loss = 0, reorder = 0, dup = 0, corrupt = 0, ce = 0;
  double delay_ms = 1.0;
  double rate_mbit = 0;
  std::uint64_t seed = 1;
  std::uint64_t bytes = 0;
  std::optional<double> min_rto_ms;                 // TcpConfig::min_rto
  std::optional<std::uint32_t> r2_retransmissions;  // TcpConfig::r2_retransmissions
  std::optional<double> user_timeout_s;             // SocketOptions::user_timeout
  std::string pcap;
  view::PictureFiles pictures;  // --svg, --plot, --html of the run (tools/view)
  std::string cc = "cubic";
  bool ecn = false;  // --ecn: the client asks for ECN (RFC 3168)
  bool ip6 = false;  // --ip6: the scenario runs over IPv6
  bool list = false;
  bool absolute = false;
  bool timing = false;
  bool compare = false;        // loss/transfer: classic recovery next to the default
  bool insecure_only = false;  // attack: only the run against TcpConfig.insecure
  bool default_only = false;   // attack: only the run against the defaults
};

int run_attack_scenario(const SimArgs& a) {
  AttackOptions o;
  o.seed = a.seed;
  o.absolute_seq = a.absolute;
  o.pcap_path = a.pcap;
  o.link.loss = a.loss;
  o.link.reorder = a.reorder;
  o.link.duplicate = a.dup;
  o.link.corrupt = a.corrupt;
  o.link.ce = a.ce;
  o.link.delay = Duration(static_cast<std::int64_t>(a.delay_ms * 1e6));
  o.link.rate_bps = static_cast<std::uint64_t>(a.rate_mbit * 1e6);
  o.run_insecure = !a.default_only;
  o.run_default = !a.insecure_only;
  auto started = std::chrono::steady_clock::now();
  std::string out;
  bool ok = run_attack(o, out);
  fmt::print("{}", out);
  if (a.timing) {
    auto wall = std::chrono::steady_clock::now() - started;
    fmt::print(stderr, "wall-clock {:.3f} s\n", std::chrono::duration<double>(wall).count());
  }
  return ok ? kExitOk : kExitRuntime;
}

WorldOptions world_options(const SimArgs& a);
int run_compare(const SimArgs& a, const Scenario& sc, WorldOptions base);

int run_sim(const SimArgs& a) {
  const Scenario* sc = find_scenario(a.scenario.empty() ? kDefaultScenario : a.scenario);
  if (!sc) {
    std::vector<std::string_view> names;
    for (const auto& s : scenarios()) names.push_back(s.name);
    throw UsageError(
        fmt::format("sim: unknown scenario '{}'; expected one of: {} (see synack sim --list)",
                    a.scenario, fmt::join(names, ", ")));
  }
  const bool pictures = a.pictures.any();
  if (pictures && (!sc->run || a.compare)) {
    throw UsageError(fmt::format("sim: --svg, --plot and --html draw one run's ladder; not with {}",
                                 a.compare ? "--compare" : "scenario 'attack'"));
  }
  if (!sc->run && a.ip6) {
    // Its forger writes IPv4 headers and guesses against IPv4 4-tuples (sim_attack.cpp).
    throw UsageError("sim: scenario 'attack' runs over IPv4 only; drop --ip6");
  }
  if (!sc->run) return run_attack_scenario(a);
  if (a.insecure_only || a.default_only) {
    throw UsageError(fmt::format("sim: {} applies to scenario 'attack' only, not '{}'",
                                 a.insecure_only ? "--insecure" : "--secure", sc->name));
  }
  WorldOptions wo = world_options(a);
  if (a.compare) return run_compare(a, *sc, wo);
  auto started = std::chrono::steady_clock::now();
  World world(wo);
  ScenarioParams params{a.bytes};
  bool ok = sc->run(world, params);
  fmt::print("{}", world.output());
  bool capture_ok = world.finish_capture();
  // Nothing on stdout: the ladder printed there is the same with and without them.
  bool pictures_ok =
      !a.pictures.any() || view::write_pictures("synack sim", a.pictures, world.recording(),
                                                view::analyze(world.recording().frames));
  if (a.timing) {
    auto wall = std::chrono::steady_clock::now() - started;
    fmt::print(stderr, "wall-clock {:.3f} s\n", std::chrono::duration<double>(wall).count());
  }
  if (!capture_ok || !pictures_ok) return kExitRuntime;
  return ok ? kExitOk : kExitRuntime;
}

WorldOptions world_options(const SimArgs& a) {
  WorldOptions wo;
  wo.seed = a.seed;
  wo.absolute_seq = a.absolute;
  wo.pcap_path = a.pcap;
  wo.ip6 = a.ip6;
  wo.link.loss = a.loss;
  wo.link.reorder = a.reorder;
  wo.link.duplicate = a.dup;
  wo.link.corrupt = a.corrupt;
  wo.link.ce = a.ce;
  wo.link.delay = Duration(static_cast<std::int64_t>(a.delay_ms * 1e6));
  wo.link.rate_bps = static_cast<std::uint64_t>(a.rate_mbit * 1e6);
  auto& tcp = wo.stack.tcp;
  if (a.min_rto_ms) {
    tcp.min_rto = Duration(static_cast<std::int64_t>(*a.min_rto_ms * 1e6));
    tcp.max_rto = std::max(tcp.max_rto, tcp.min_rto);
  }
  if (a.r2_retransmissions) tcp.r2_retransmissions = *a.r2_retransmissions;
  if (a.user_timeout_s && *a.user_timeout_s > 0) {  // 0: unset, as Linux
    tcp.defaults.user_timeout = Duration(static_cast<std::int64_t>(*a.user_timeout_s * 1e9));
  }
  wo.stack.tcp.defaults.cc = cc_algorithm(a.cc);
  wo.stack.tcp.defaults.ecn = ecn_mode(a.ecn);
  return wo;
}

// `sim loss --compare`: the same lossy transfer (same seed, same link) with 1990s loss
// recovery — NewReno, no SACK: three duplicate ACKs, one hole per round trip, go back N
// after a timeout — and with the default — CUBIC, SACK with RACK-TLP and PRR — side by
// side. Each run's ladder is not printed; the table says what the difference costs.
int run_compare(const SimArgs& a, const Scenario& sc, WorldOptions base) {
  if (sc.name != "loss" && sc.name != "transfer") {
    throw UsageError(fmt::format(
        "sim: --compare applies to scenarios 'loss' and 'transfer', not '{}'", sc.name));
  }
  if (!a.pcap.empty()) throw UsageError("sim: --compare writes no capture; drop --pcap");
  struct Config {
    std::string_view name;
    tcp::CcAlgorithm cc;
    bool sack;
  };
  const Config configs[] = {
      {"newreno, no SACK (RFC 5681/6582)", tcp::CcAlgorithm::NewReno, false},
      {"cubic, SACK + RACK-TLP + PRR", tcp::CcAlgorithm::Cubic, true},
  };
  fmt::print("{} {} bytes, seed {}, loss {} each way, one-way delay {} ms{}{}\n\n", sc.name,
             a.bytes ? a.bytes : 64 * 1024, a.seed,
             sc.name == "loss" && a.loss == 0 ? 0.05 : a.loss, a.delay_ms,
             a.rate_mbit > 0 ? fmt::format(", {} Mbit/s", a.rate_mbit) : "",
             a.ip6 ? ", over IPv6" : "");
  fmt::print("{:<34} {:>13} {:>8} {:>10} {:>10} {:>9} {:>7} {:>6} {:>9}\n", "recovery",
             "delivered ms", "rtx segs", "rtx bytes", "timeouts", "fast rtx", "probes", "D-SACK",
             "result");
  bool all_ok = true;
  for (const auto& c : configs) {
    WorldOptions wo = base;
    wo.stack.tcp.defaults.cc = c.cc;
    wo.stack.tcp.sack = c.sack;
    World world(wo);
    TransferReport r;
    ScenarioParams params{a.bytes, &r};
    const bool ok = sc.run(world, params) && r.ok;
    all_ok = all_ok && ok;
    const auto& s = r.sender;
    fmt::print("{:<34} {:>13.1f} {:>8} {:>10} {:>10} {:>9} {:>7} {:>6} {:>9}\n", c.name,
               static_cast<double>(r.elapsed.count()) / 1e6, s.retransmitted_segs,
               s.retransmitted_bytes, s.rto_expirations, s.fast_retransmits,
               s.tlp_probes + s.recovery_probes, s.dsacks_in, ok ? "verified" : "FAILED");
  }
  fmt::print(
      "\n(delivered: connect until the receiver has every byte and the FIN; rtx: the sender's\n"
      "retransmissions; fast rtx: recoveries started without a timeout; probes: RFC 8985\n"
      "tail loss probes and probes of a silent recovery; D-SACK: duplicates the receiver\n"
      "reported, i.e. spurious retransmissions)\n");
  return all_ok ? kExitOk : kExitRuntime;
}

}  // namespace

void register_sim(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("sim", "Two stacks over a simulated link (no root, no network)");
  auto a = std::make_shared<SimArgs>();
  sub->add_option("SCENARIO", a->scenario, "Scenario to run (see --list)");
  sub->add_flag("--list", a->list, "List the scenarios");
  sub->add_option("--loss", a->loss, "Frame loss probability, each direction")
      ->type_name("P")
      ->check(real_in(0.0, 1.0));
  sub->add_option("--delay", a->delay_ms, "One-way delay in ms")
      ->type_name("MS")
      ->check(real_in(0.0, 10000.0));
  sub->add_option("--reorder", a->reorder, "Reordering probability")
      ->type_name("P")
      ->check(real_in(0.0, 1.0));
  sub->add_option("--dup", a->dup, "Duplication probability")
      ->type_name("P")
      ->check(real_in(0.0, 1.0));
  sub->add_option("--corrupt", a->corrupt, "Bit-flip probability per frame")
      ->type_name("P")
      ->check(real_in(0.0, 1.0));
  sub->add_option("--ce", a->ce,
                  "Probability an ECN-capable frame is marked CE (RFC 3168), each direction")
      ->type_name("P")
      ->check(real_in(0.0, 1.0));
  sub->add_option("--rate", a->rate_mbit, "Link rate in Mbit/s (0 = unlimited)")
      ->type_name("MBIT")
      ->check(real_in(0.0, 100000.0));
  sub->add_option("--seed", a->seed, "Seed for everything random")
      ->type_name("N")
      ->check(whole_number());
  sub->add_option("--bytes", a->bytes, "Bytes to transfer (scenarios that move data)")
      ->type_name("N")
      ->check(whole_number());
  sub->add_option("--pcap", a->pcap,
                  "Write the client's capture (pcapng, virtual-clock timestamps)")
      ->type_name("FILE");
  sub->add_option("--min-rto", a->min_rto_ms,
                  "RTO floor in ms (default 200, as Linux; RFC 6298 (2.4) says 1000)")
      ->type_name("MS")
      ->check(real_in(1.0, 60000.0));
  sub->add_option("--r2-retries", a->r2_retransmissions,
                  "R2 for data as a retransmission count (default 15, as Linux tcp_retries2)")
      ->type_name("N")
      ->check(int_in(0, 1000));
  sub->add_option("--user-timeout", a->user_timeout_s,
                  "R2 for data in seconds, replacing --r2-retries (TCP_USER_TIMEOUT; >= 100)")
      ->type_name("S")
      ->check(real_in(0.0, 1e6));
  sub->add_option("--svg", a->pictures.svg, "Write the ladder as an SVG picture")
      ->type_name("FILE");
  sub->add_option("--plot", a->pictures.plot,
                  "Write the time-sequence graph (SVG) of the direction that carried the most data")
      ->type_name("FILE");
  sub->add_option("--html", a->pictures.html,
                  "Write one self-contained page: ladder, graph, every frame's fields and bytes")
      ->type_name("FILE");
  add_cc_option(*sub, a->cc);
  add_ecn_option(*sub, a->ecn);
  sub->add_flag("--ip6", a->ip6,
                "Run the scenario over IPv6 (fd00:77::1 and ::2, NDP, DAD); not with 'attack'");
  sub->add_flag("--absolute", a->absolute, "Raw sequence numbers instead of relative ones");
  sub->add_flag("--timing", a->timing, "Print wall-clock time on stderr");
  sub->add_flag("--compare", a->compare,
                "loss/transfer: run NewReno without SACK and the default (CUBIC, SACK, RACK-TLP, "
                "PRR) on the same link and seed, and print a table");
  auto* insecure = sub->add_flag("--insecure", a->insecure_only,
                                 "attack: only the run against TcpConfig.insecure (counter ISNs, "
                                 "RFC 793 RST/SYN/ACK rules)");
  sub->add_flag("--secure", a->default_only, "attack: only the run against the default config")
      ->excludes(insecure);
  sub->callback([&action, a] {
    action = [a] {
      if (a->list) {
        for (const auto& s : scenarios()) fmt::print("{:<20} {}\n", s.name, s.summary);
        return kExitOk;
      }
      return run_sim(*a);
    };
  });
}

}  // namespace synack::cli
