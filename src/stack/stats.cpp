#include "synack/stack/stats.hpp"

#include <string>

namespace synack::stack {

namespace {
// One "name=value" list, space-separated; zero counters left out if asked.
struct CounterLine {
  const char* prefix;
  bool nonzero_only;
  std::string out;
  void add(const char* name, std::uint64_t v) {
    if (nonzero_only && v == 0) return;
    if (!out.empty()) out += ' ';
    out.append(prefix).append(name).append(1, '=').append(std::to_string(v));
  }
};
}  // namespace

std::string format_stats(const Stats& s, bool nonzero_only) {
  CounterLine line{"", nonzero_only, {}};
#define SYNACK_STATS_PRINT(name) line.add(#name, s.name);
  SYNACK_STACK_STATS(SYNACK_STATS_PRINT)
#undef SYNACK_STATS_PRINT
  return line.out;
}

std::string format_tcp_stats(const tcp::ProtocolStats& s, bool nonzero_only) {
  CounterLine line{"tcp_", nonzero_only, {}};
#define SYNACK_TCP_STATS_PRINT(name) line.add(#name, s.name);
  SYNACK_TCP_STATS(SYNACK_TCP_STATS_PRINT)
#undef SYNACK_TCP_STATS_PRINT
  return line.out;
}

}  // namespace synack::stack
