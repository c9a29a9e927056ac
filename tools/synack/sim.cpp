// `synack sim`: two complete stacks over a simulated link on a virtual clock.
// No root, no network; the same seed gives byte-identical output and capture.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "sim_attack.hpp"
#include "sim_scenarios.hpp"
#include "world.hpp"

namespace synack::cli {
namespace {

struct SimArgs {
  std::string scenario;
  double loss = 0, reorder = 0, dup = 0, corrupt = 0;
  double delay_ms = 1.0;
  double rate_mbit = 0;
  std::uint64_t seed = 1;
  std::uint64_t bytes = 0;
  std::string pcap;
  std::string cc = "cubic";
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
  if (!sc) throw UsageError(fmt::format("sim: unknown scenario '{}' (see --list)", a.scenario));
  if (!sc->run) return run_attack_scenario(a);
  if (a.insecure_only || a.default_only)
    throw UsageError("sim: --insecure and --secure apply to the attack scenario only");
  WorldOptions wo;
  wo.seed = a.seed;
  wo.absolute_seq = a.absolute;
  wo.pcap_path = a.pcap;
  wo.link.loss = a.loss;
  wo.link.reorder = a.reorder;
  wo.link.duplicate = a.dup;
  wo.link.corrupt = a.corrupt;
  wo.link.delay = Duration(static_cast<std::int64_t>(a.delay_ms * 1e6));
  wo.link.rate_bps = static_cast<std::uint64_t>(a.rate_mbit * 1e6);
  wo.stack.tcp.defaults.cc = cc_algorithm(a.cc);
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
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--delay", a->delay_ms, "One-way delay in ms")->check(CLI::Range(0.0, 10000.0));
  sub->add_option("--reorder", a->reorder, "Reordering probability")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--dup", a->dup, "Duplication probability")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--corrupt", a->corrupt, "Bit-flip probability per frame")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--rate", a->rate_mbit, "Link rate in Mbit/s (0 = unlimited)")
      ->check(CLI::Range(0.0, 100000.0));
  sub->add_option("--seed", a->seed, "Seed for everything random");
  sub->add_option("--bytes", a->bytes, "Bytes to transfer (scenarios that move data)");
  sub->add_option("--pcap", a->pcap,
                  "Write the client's capture (pcapng, virtual-clock timestamps)");
  add_cc_option(*sub, a->cc);
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
