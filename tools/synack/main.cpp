// synack: a user-space TCP/IP stack you can watch. See shared/CLI.md for the contract.
#include <fmt/core.h>

#include <exception>

#include "cli.hpp"

namespace synack::cli {

void add_common_options(CLI::App& sub, CommonOptions& o) {
  sub.add_option("--pcap", o.pcap, "Write every frame sent and received to FILE (pcapng)");
  sub.add_option("--log", o.log, "Log level")
      ->check(CLI::IsMember({"error", "warn", "info", "debug", "trace"}));
  sub.add_option("--mtu", o.mtu, "Link MTU")->check(CLI::Range(576, 9000));
  sub.add_option("--mss", o.mss, "TCP maximum segment size (default: MTU - 40)")
      ->check(CLI::Range(64, 8960));
  add_cc_option(sub, o.cc);
}

void add_cc_option(CLI::App& sub, std::string& cc) {
  sub.add_option("--cc", cc,
                 "Congestion control: cubic (RFC 9438, HyStart++ slow start; the default) or "
                 "newreno (RFC 5681/6582)")
      ->check(CLI::IsMember({"newreno", "cubic"}));
}

tcp::CcAlgorithm cc_algorithm(const std::string& name) {
  return name == "newreno" ? tcp::CcAlgorithm::NewReno : tcp::CcAlgorithm::Cubic;
}

void add_tap_options(CLI::App& sub, TapOptions& o) {
  sub.add_option("--tap", o.tap, "TAP interface to attach to (created if missing)")->required();
  sub.add_option("--ip", o.ip, "This stack's address, ADDR/PREFIX")->required();
  sub.add_option("--gw", o.gw, "Default gateway");
  sub.add_option("--mac", o.mac, "This stack's MAC address");
}

}  // namespace synack::cli

int main(int argc, char** argv) {
  using namespace synack::cli;
  CLI::App app{"synack: a user-space TCP/IP stack that shows its work", "synack"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  Action action;
  register_sim(app, action);
  register_serve(app, action);
  register_nc(app, action);
  register_get(app, action);
  register_trace(app, action);
  register_bench(app, action, argv[0]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One clear line naming what was wrong, then exit 2 (shared/CLI.md).
    fmt::print(stderr, "synack: {} (try --help)\n", e.what());
    return kExitUsage;
  }
  try {
    return action ? action() : kExitUsage;
  } catch (const UsageError& e) {
    fmt::print(stderr, "synack: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "synack: {}\n", e.what());
    return kExitRuntime;
  }
}
