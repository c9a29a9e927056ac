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

#include "cli.hpp"
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
  std::string cc = "cubic";
  bool ecn = false;  // --ecn: the client asks for ECN (RFC 3168)
  bool list = false;
  bool absolute = false;
  bool timing = false;
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

int run_sim(const SimArgs& a) {
  const Scenario* sc = find_scenario(a.scenario.empty() ? kDefaultScenario : a.scenario);
  if (!sc) {
    std::vector<std::string_view> names;
    for (const auto& s : scenarios()) names.push_back(s.name);
    throw UsageError(
        fmt::format("sim: unknown scenario '{}'; expected one of: {} (see synack sim --list)",
                    a.scenario, fmt::join(names, ", ")));
  }
  if (!sc->run) return run_attack_scenario(a);
  if (a.insecure_only || a.default_only) {
    throw UsageError(fmt::format("sim: {} applies to scenario 'attack' only, not '{}'",
                                 a.insecure_only ? "--insecure" : "--secure", sc->name));
  }
  WorldOptions wo;
  wo.seed = a.seed;
  wo.absolute_seq = a.absolute;
  wo.pcap_path = a.pcap;
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
  auto started = std::chrono::steady_clock::now();
  World world(wo);
  ScenarioParams params{a.bytes};
  bool ok = sc->run(world, params);
  fmt::print("{}", world.output());
  bool capture_ok = world.finish_capture();
  if (a.timing) {
    auto wall = std::chrono::steady_clock::now() - started;
    fmt::print(stderr, "wall-clock {:.3f} s\n", std::chrono::duration<double>(wall).count());
  }
  if (!capture_ok) return kExitRuntime;
  return ok ? kExitOk : kExitRuntime;
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
                  "RTO floor in ms (default 1000; RFC 6298 (2.4) says 1 s, Linux uses 200)")
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
  add_cc_option(*sub, a->cc);
  add_ecn_option(*sub, a->ecn);
  sub->add_flag("--absolute", a->absolute, "Raw sequence numbers instead of relative ones");
  sub->add_flag("--timing", a->timing, "Print wall-clock time on stderr");
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
