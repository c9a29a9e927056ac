#include "synack/stack/stats.hpp"

#include <fmt/format.h>

namespace synack::stack {

std::string format_stats(const Stats& s, bool nonzero_only) {
  std::string out;
  auto add = [&](const char* name, std::uint64_t v) {
    if (nonzero_only && v == 0) return;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", name, v);
  };
#define SYNACK_STATS_PRINT(name) add(#name, s.name);
  SYNACK_STACK_STATS(SYNACK_STATS_PRINT)
#undef SYNACK_STATS_PRINT
  return out;
}

std::string format_tcp_stats(const tcp::ProtocolStats& s, bool nonzero_only) {
  std::string out;
  auto add = [&](const char* name, std::uint64_t v) {
    if (nonzero_only && v == 0) return;
    if (!out.empty()) out += ' ';
    out += fmt::format("tcp_{}={}", name, v);
  };
#define SYNACK_TCP_STATS_PRINT(name) add(#name, s.name);
  SYNACK_TCP_STATS(SYNACK_TCP_STATS_PRINT)
#undef SYNACK_TCP_STATS_PRINT
  return out;
}

}  // namespace synack::stack
