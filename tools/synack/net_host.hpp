// What serve, nc and get share: a Stack on a TAP driven by an EventLoop, with the
// common options (--pcap, --log, --mtu/--mss, --impair) applied, and the exit
// report (`--log info` prints the stats line).
#pragma once

#include <functional>

#include <memory>
#include <optional>
#include <string>

#include "cli.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/random.hpp"
#include "synack/link/event_loop.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

namespace synack::cli {

enum class LogLevel { Error, Warn, Info, Debug, Trace };

class NetHost {
 public:
  // Validates the options (UsageError), opens the TAP and the capture
  // (std::runtime_error on failure).
  // tune, if given, adjusts the stack's configuration before the stack is built
  // (serve's listener limits).
  NetHost(const CommonOptions& common, const TapOptions& tap, std::size_t max_conns = 4096,
          const std::function<void(stack::StackConfig&)>& tune = {});
  ~NetHost();
  NetHost(const NetHost&) = delete;
  NetHost& operator=(const NetHost&) = delete;

  stack::Stack& stack() { return *stack_; }
  link::EventLoop& loop() { return *loop_; }
  LogLevel level() const { return level_; }
  bool logs(LogLevel l) const { return level_ >= l; }
  Instant now() const { return link::monotonic_now(); }

  // Runs the loop until it ends; throws std::runtime_error on a loop failure.
  link::RunOutcome run();
  // Runs the loop until the stack has an IPv6 source address for `dst` (Duplicate
  // Address Detection has finished, RFC 4862 §5.4: a tentative address is not used),
  // at most `limit`. Returns whether it has one.
  bool wait_ipv6_source(const wire::Ipv6Addr& dst, Duration limit);
  // Flushes the capture; prints the stats line (info and above). `extra` is
  // appended to it (e.g. the application's counters).
  void report(const std::string& extra);

 private:
  LogLevel level_ = LogLevel::Warn;
  SystemRandom rng_;
  std::unique_ptr<stack::Stack> stack_;
  std::optional<link::TapLink> tap_;
  std::optional<link::PcapngWriter> pcap_;
  std::unique_ptr<link::EventLoop> loop_;
  std::string pcap_path_;
};

// Validation shared by the subcommands (UsageError naming the flag).
void validate_tap(const TapOptions& t);
std::uint16_t parse_port_arg(const std::string& flag, const std::string& text);

}  // namespace synack::cli

namespace synack::cli {

// `--progress`: a live line on stderr, rewritten in place ('\r') at most four times
// a second, with the bytes the application received, the rate, and the connection's
// RTT, window and retransmissions (conn_table.hpp's progress_line); a final line
// ('\n') at done(). stdout is never touched.
class Progress {
 public:
  static constexpr Duration kInterval = std::chrono::milliseconds(250);
  Progress(bool enabled, Instant start) : enabled_(enabled), start_(start), last_(start) {}
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // The connection to report on (until done()), and the loop whose timer refreshes the
  // line while no data arrives.
  void watch(const api::TcpStream& stream, link::EventLoop& loop);
  void add(std::uint64_t n, Instant now);
  void done(Instant now);

 private:
  void tick(Instant now);
  void print(Instant now, const char* end);
  bool enabled_;
  bool finished_ = false;
  Instant start_;
  Instant last_;
  std::uint64_t bytes_ = 0;
  std::size_t shown_ = 0;  // length of the line on screen
  const api::TcpStream* stream_ = nullptr;
  link::EventLoop* loop_ = nullptr;
  std::optional<link::EventLoop::TimerId> timer_;
  std::optional<tcp::TcpInfo> info_;  // the last snapshot (the connection may be gone)
};

}  // namespace synack::cli
