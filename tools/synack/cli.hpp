// Shared pieces of the synack program: how subcommands register, common options,
// and the exit-code rules of shared/CLI.md (0 ok, 1 runtime failure, 2 usage error).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

#include "synack/tcp/types.hpp"

namespace synack::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// A usage error found after parsing (a value CLI11 could not check): exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a subcommand runs once the command line has parsed; returns the exit code.
using Action = std::function<int()>;

// Options every subcommand that runs a stack accepts.
struct CommonOptions {
  std::string pcap;
  std::string log = "warn";
  int mtu = 1500;
  std::optional<int> mss;
  std::string cc = "cubic";
  std::string impair;
};
void add_common_options(CLI::App& sub, CommonOptions& o);
// --cc newreno|cubic (common, and on `sim`); the name as the stack's enum.
void add_cc_option(CLI::App& sub, std::string& cc);
tcp::CcAlgorithm cc_algorithm(const std::string& name);

// Options for attaching to a TAP interface.
struct TapOptions {
  std::string tap;
  std::string ip;
  std::string gw;
  std::string mac;
};
void add_tap_options(CLI::App& sub, TapOptions& o);

void register_sim(CLI::App& app, Action& action);
void register_serve(CLI::App& app, Action& action);
void register_nc(CLI::App& app, Action& action);
void register_get(CLI::App& app, Action& action);
void register_trace(CLI::App& app, Action& action);
void register_bench(CLI::App& app, Action& action, const std::string& argv0);

}  // namespace synack::cli
