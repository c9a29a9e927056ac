// Shared pieces of the synack program: how subcommands register, common options,
// and the exit-code rules of docs/CLI.md (0 ok, 1 runtime failure, 2 usage error).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "synack/tcp/types.hpp"

namespace synack::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// A usage error found after parsing (a value CLI11 could not check): exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Validators whose messages name the bad value and what is accepted:
// "--cc: 'foo' is not one of newreno, cubic", "--mtu: '99999' is not in 576..9000".
CLI::Validator one_of(std::vector<std::string> choices);
CLI::Validator int_in(std::int64_t lo, std::int64_t hi);
CLI::Validator real_in(double lo, double hi);
CLI::Validator whole_number();  // 0..2^64-1, decimal only

// The one line printed for a CLI11 parse error (App::failure_message): names what was
// wrong (the unknown word, the missing option, the bad value) and what would be right.
std::string usage_message(const CLI::App* top, const CLI::Error& e);

// What a subcommand runs once the command line has parsed; returns the exit code.
using Action = std::function<int()>;

// Options every subcommand that runs a stack accepts.
struct CommonOptions {
  std::string pcap;
  std::string log = "warn";
  int mtu = 1500;
  std::optional<int> mss;
  std::string cc = "cubic";
  bool ecn = false;  // --ecn: ask for ECN on active opens (EcnMode::On)
  bool tfo = false;  // --tfo: TCP Fast Open (RFC 7413), SocketOptions::tfo
  std::string impair;
  std::optional<double> min_rto_ms;      // --min-rto: TcpConfig::min_rto
  std::optional<double> user_timeout_s;  // --user-timeout: R2 for data (>= 100 s applies)
};
void add_common_options(CLI::App& sub, CommonOptions& o);
// --cc newreno|cubic (common, and on `sim`); the name as the stack's enum.
void add_cc_option(CLI::App& sub, std::string& cc);
tcp::CcAlgorithm cc_algorithm(const std::string& name);
// --ecn (wherever --cc is): RFC 3168 ECN asked for on active opens; without it a peer's
// request is still accepted (Linux's net.ipv4.tcp_ecn 1 and 2).
void add_ecn_option(CLI::App& sub, bool& ecn);
tcp::EcnMode ecn_mode(bool ecn);

// Options for attaching to a TAP interface.
struct TapOptions {
  std::string tap;
  std::string ip;
  std::string gw;
  std::string mac;
  std::string ip6;             // --ip6 ADDR/PREFIX or auto; empty: no IPv6
  std::string offload = "on";  // --offload on|off: IFF_VNET_HDR checksum offload and TSO
};
void add_tap_options(CLI::App& sub, TapOptions& o);

void register_sim(CLI::App& app, Action& action);
void register_serve(CLI::App& app, Action& action);
void register_nc(CLI::App& app, Action& action);
void register_get(CLI::App& app, Action& action);
void register_trace(CLI::App& app, Action& action);
void register_bench(CLI::App& app, Action& action, const std::string& argv0);

}  // namespace synack::cli
