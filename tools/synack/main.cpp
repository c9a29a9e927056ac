// synack: a user-space TCP/IP stack you can watch. See docs/CLI.md for the contract.
#include <fmt/core.h>

#include <exception>

#include "cli.hpp"

namespace synack::cli {

void add_common_options(CLI::App& sub, CommonOptions& o) {
  sub.add_option("--pcap", o.pcap, "Write every frame sent and received to FILE (pcapng)")
      ->type_name("FILE");
  sub.add_option("--log", o.log, "Log level")
      ->type_name("LEVEL")
      ->check(one_of({"error", "warn", "info", "debug", "trace"}));
  sub.add_option("--mtu", o.mtu, "Link MTU")->type_name("N")->check(int_in(576, 9000));
  sub.add_option("--mss", o.mss, "TCP maximum segment size (default: MTU - 40)")
      ->type_name("N")
      ->check(int_in(64, 8960));
  add_cc_option(sub, o.cc);
  add_ecn_option(sub, o.ecn);
  sub.add_flag("--tfo", o.tfo,
               "TCP Fast Open (RFC 7413): serve gives cookies and takes data on SYNs with a "
               "valid one; nc and get ask for a cookie (get sends its request on the SYN once "
               "it has one)");
  sub.add_option("--min-rto", o.min_rto_ms,
                 "RTO floor in ms (default 200, as Linux; RFC 6298 (2.4) says 1000)")
      ->type_name("MS")
      ->check(real_in(1.0, 60000.0));
  sub.add_option("--user-timeout", o.user_timeout_s,
                 "R2 for data in seconds (TCP_USER_TIMEOUT; default: 15 retransmissions)")
      ->type_name("S")
      ->check(real_in(0.0, 1e6));
}

void add_cc_option(CLI::App& sub, std::string& cc) {
  sub.add_option("--cc", cc,
                 "Congestion control: cubic (RFC 9438, HyStart++ slow start; the default) or "
                 "newreno (RFC 5681/6582)")
      ->type_name("NAME")
      ->check(one_of({"newreno", "cubic"}));
}

tcp::CcAlgorithm cc_algorithm(const std::string& name) {
  return name == "newreno" ? tcp::CcAlgorithm::NewReno : tcp::CcAlgorithm::Cubic;
}

void add_ecn_option(CLI::App& sub, bool& ecn) {
  sub.add_flag("--ecn", ecn,
               "Ask for ECN (RFC 3168) on active opens; a peer's ECN request is accepted "
               "either way");
}

tcp::EcnMode ecn_mode(bool ecn) {
  return ecn ? tcp::EcnMode::On : tcp::EcnMode::Passive;
}

void add_tap_options(CLI::App& sub, TapOptions& o) {
  sub.add_option("--tap", o.tap, "TAP interface to attach to (created if missing)")
      ->type_name("IF")
      ->required();
  sub.add_option("--ip", o.ip, "This stack's address, ADDR/PREFIX")
      ->type_name("ADDR/PREFIX")
      ->required();
  sub.add_option("--gw", o.gw, "Default gateway")->type_name("ADDR");
  sub.add_option("--mac", o.mac, "This stack's MAC address")->type_name("MAC");
  sub.add_option("--ip6", o.ip6,
                 "IPv6 on the TAP: a link-local address always, plus ADDR/PREFIX, or with "
                 "auto addresses from router advertisements (SLAAC); default: no IPv6")
      ->type_name("ADDR/PREFIX|auto");
  sub.add_option("--offload", o.offload,
                 "TAP offloads (IFF_VNET_HDR): checksums and TSO/GRO super-frames both ways, "
                 "when the kernel accepts them; off (and always with --impair): one plain "
                 "frame per read/write")
      ->type_name("on|off")
      ->check(one_of({"on", "off"}));
}

}  // namespace synack::cli

int main(int argc, char** argv) {
  using namespace synack::cli;
  CLI::App app{"synack: a user-space TCP/IP stack that shows its work", "synack"};
  app.require_subcommand(1);
  app.failure_message(usage_message);
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
    // One clear line naming what was wrong and what would be right (usage_message),
    // then exit 2 (docs/CLI.md), whatever CLI11's own exit code for the error.
    app.exit(e);
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
