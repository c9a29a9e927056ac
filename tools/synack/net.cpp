// serve, nc and get: the subcommands that attach a stack to a real TAP interface.
// This file registers their flags and runs `serve`; nc and get run in
// net_nc.cpp and net_get.cpp, the shared TAP/stack/loop setup in net_host.cpp.
#include <fmt/core.h>

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "cli.hpp"
#include "conn_table.hpp"
#include "net_host.hpp"
#include "net_run.hpp"
#include "synack/services/services.hpp"

namespace synack::cli {
namespace {

// One signal, blocked while this object lives and read from a signalfd instead of a
// handler; the previous mask comes back afterwards (after any pending one is read, so
// that unblocking it does not deliver it with its default action).
class SignalFd {
 public:
  explicit SignalFd(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (::sigprocmask(SIG_BLOCK, &set, &old_) != 0) {
      throw std::runtime_error("sigprocmask failed");
    }
    fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) {
      ::sigprocmask(SIG_SETMASK, &old_, nullptr);
      throw std::runtime_error("signalfd failed");
    }
  }
  ~SignalFd() {
    drain();
    ::close(fd_);
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  int fd() const { return fd_; }
  // Reads every queued signal; how many there were.
  int drain() {
    int n = 0;
    signalfd_siginfo info{};
    while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) ++n;
    return n;
  }

 private:
  int fd_ = -1;
  sigset_t old_{};
};

struct ServeArgs {
  CommonOptions common;
  TapOptions tap;
  std::vector<std::string> services;
  int max_conns = 10000;
  double idle_timeout = 120;
  std::string syn_cookies = "when-full";
  int syn_queue = 256;
  int challenge_ack_limit = 1000;
  double stats_interval = 0;  // seconds; 0: no periodic table (SIGUSR1 still prints one)
};

// The connection table (conn_table.hpp) of every connection the stack holds, on stdout.
void print_conn_table(const stack::Stack& stack, Instant now) {
  std::vector<tcp::TcpInfo> infos;
  for (const auto id : stack.tcp_connections()) {
    if (auto i = stack.tcp_info(id, now)) infos.push_back(*i);
  }
  const std::string title = fmt::format("connections: {} (at {:.3f} s monotonic)", infos.size(),
                                        std::chrono::duration<double>(now.since_origin()).count());
  std::fputs(format_conn_table(infos, title).c_str(), stdout);
  std::fflush(stdout);
}

tcp::SynCookies parse_syn_cookies(const std::string& s) {
  if (s == "never") return tcp::SynCookies::Never;
  if (s == "always") return tcp::SynCookies::Always;
  return tcp::SynCookies::WhenFull;  // CLI11 checked the value
}

int run_serve(const ServeArgs& a) {
  std::vector<services::ServiceSpec> specs;
  for (const auto& s : a.services) {
    auto spec = services::parse_service(s);
    if (!spec) throw UsageError(spec.error());
    // Checked before the TAP opens: bad input must not touch the network.
    for (const auto& other : specs) {
      if (other.port == spec->port) {
        throw UsageError(fmt::format("port {} is given to two services", spec->port));
      }
    }
    std::error_code ec;
    if (!spec->dir.empty() && !std::filesystem::is_directory(spec->dir, ec)) {
      throw UsageError(fmt::format("service '{}': '{}' is not a directory", s, spec->dir));
    }
    specs.push_back(*spec);
  }
  // SIGUSR1 prints the connection table: blocked here (before anything can send it),
  // it queues on a signalfd the loop watches, so the table is printed from the loop,
  // never from a signal handler.
  SignalFd usr1(SIGUSR1);
  NetHost host(a.common, a.tap, static_cast<std::size_t>(a.max_conns), [&a](stack::StackConfig& c) {
    c.tcp.syn_cookies = parse_syn_cookies(a.syn_cookies);
    c.tcp.syn_queue = static_cast<std::uint32_t>(a.syn_queue);
    c.tcp.challenge_ack_limit = static_cast<std::uint32_t>(a.challenge_ack_limit);
  });
  services::ServiceConfig cfg;
  cfg.socket.cc = cc_algorithm(a.common.cc);
  cfg.socket.ecn = ecn_mode(a.common.ecn);
  cfg.socket.tfo = a.common.tfo;
  cfg.max_conns = static_cast<std::size_t>(a.max_conns);
  cfg.idle_timeout =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(a.idle_timeout));
  cfg.wall_clock = [] { return std::time(nullptr); };
  services::ServiceHost services(host.stack(), cfg);
  for (const auto& spec : specs) {
    auto added = services.add(spec);
    if (!added) {
      throw std::runtime_error(added.error() == api::ListenError::AddressInUse
                                   ? fmt::format("port {} is given to two services", spec.port)
                                   : fmt::format("service {}:{}: cannot use DIR '{}'",
                                                 services::to_string(spec.kind), spec.port,
                                                 spec.dir));
    }
  }
  auto& loop = host.loop();
  // One timer, at the earliest idle deadline; re-armed whenever it fires or a
  // connection appears while none is armed.
  std::optional<link::EventLoop::TimerId> timer;
  std::function<void()> arm = [&] {
    if (timer) return;
    if (auto when = services.next_deadline()) {
      timer = loop.call_at(*when, [&](Instant now) {
        timer.reset();
        services.on_timer(now);
        arm();
      });
    }
  };
  loop.on_event([&](const stack::Event& e, Instant now) {
    if (const auto* t = std::get_if<tcp::Event>(&e)) {
      services.on_event(*t, now);
      arm();
    }
  });
  auto print_table = [&](Instant now) { print_conn_table(host.stack(), now); };
  if (auto st = loop.add_fd(usr1.fd(), EPOLLIN,
                            [&](std::uint32_t, Instant now) {
                              if (usr1.drain() > 0) print_table(now);
                            });
      !st) {
    throw std::runtime_error(st.error().message());
  }
  std::optional<link::EventLoop::TimerId> stats_timer;
  const Duration interval =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(a.stats_interval));
  std::function<void(Instant)> periodic = [&](Instant now) {
    print_table(now);
    stats_timer = loop.call_at(now + interval, periodic);
  };
  if (a.stats_interval > 0) stats_timer = loop.call_at(host.now() + interval, periodic);
  loop.on_shutdown([&](Instant now) { services.shutdown(now); });
  loop.set_done([&] { return services.drained(); });
  if (host.logs(LogLevel::Info)) {
    for (const auto& spec : specs) {
      fmt::print(stderr, "serving {} on {}:{}\n", services::to_string(spec.kind), a.tap.ip,
                 spec.port);
    }
  }
  host.run();
  if (stats_timer) loop.cancel(*stats_timer);
  loop.remove_fd(usr1.fd());
  const auto& st = services.stats();
  host.report(fmt::format(
      "svc_accepted={} svc_rejected={} svc_closed={} svc_aborted={} "
      "svc_idle_timeouts={} svc_bytes_in={} svc_bytes_out={} "
      "svc_http_requests={} svc_http_errors={} svc_retransmitted_segs={} svc_rtos={} "
      "svc_sack_recoveries={} svc_tlp_probes={} svc_recovery_probes={} svc_spurious_undos={} "
      "svc_dsacks_in={} svc_mtu_black_holes={} svc_mtu_probes={} svc_mtu_probes_acked={} "
      "svc_mtu_probes_lost={}",
      st.accepted, st.rejected_max_conns, st.closed, st.aborted, st.idle_timeouts, st.bytes_in,
      st.bytes_out, st.http_requests, st.http_errors, st.retransmitted_segs, st.rto_expirations,
      st.sack_recoveries, st.tlp_probes, st.recovery_probes, st.spurious_undos, st.dsacks_in,
      st.mtu_black_holes, st.mtu_probes, st.mtu_probes_acked, st.mtu_probes_lost));
  return kExitOk;
}

void add_net_common(CLI::App& sub, CommonOptions& common, TapOptions& tap) {
  add_common_options(sub, common);
  sub.add_option("--impair", common.impair,
                 "loss=P,dup=P,reorder=P,corrupt=P,ce=P,delay=MS,jitter=MS,seed=N,dir=both|in|out")
      ->type_name("SPEC");
  add_tap_options(sub, tap);
}

}  // namespace

void register_serve(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("serve", "Serve echo/discard/chargen/daytime/http on a TAP");
  auto args = std::make_shared<ServeArgs>();
  add_net_common(*sub, args->common, args->tap);
  sub->add_option("--max-conns", args->max_conns, "Concurrent connection limit")
      ->type_name("N")
      ->check(int_in(1, 1000000));
  sub->add_option("--idle-timeout", args->idle_timeout,
                  "Abort a connection idle for this many seconds (default 120)")
      ->type_name("S")
      ->check(real_in(0.01, 86400.0));
  sub->add_option("--syn-queue", args->syn_queue,
                  "Half-open (SYN-RECEIVED) connections per listener (default 256)")
      ->type_name("N")
      ->check(int_in(1, 65536));
  sub->add_option("--syn-cookies", args->syn_cookies,
                  "SYN cookies (RFC 4987): when-full (default), always or never")
      ->type_name("MODE")
      ->check(one_of({"when-full", "always", "never"}));
  sub->add_option("--challenge-ack-limit", args->challenge_ack_limit,
                  "RFC 5961 challenge ACKs per second, all connections (0: no limit)")
      ->type_name("N")
      ->check(int_in(0, 1000000));
  sub->add_option("--stats-interval", args->stats_interval,
                  "Print an ss -ti-like table of connections to stdout every S seconds "
                  "(SIGUSR1: at once)")
      ->type_name("S")
      ->check(real_in(0.1, 3600.0));
  sub->add_option("SERVICE", args->services,
                  "echo:PORT discard:PORT chargen:PORT daytime:PORT http:PORT[:DIR]")
      ->required();
  sub->callback([&action, args] { action = [args] { return run_serve(*args); }; });
}

void register_nc(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("nc", "Netcat: stdin -> TCP connection -> stdout");
  auto args = std::make_shared<NcArgs>();
  add_net_common(*sub, args->common, args->tap);
  auto* l = sub->add_option("-l", args->listen_port, "Listen on PORT and accept one connection")
                ->type_name("PORT")
                ->check(int_in(1, 65535));
  sub->add_option("HOST", args->host,
                  "Connect to this IPv4 or IPv6 address ([brackets] optional; not with -l)")
      ->excludes(l);
  sub->add_option("PORT", args->port, "Connect to this port, 1..65535")->excludes(l);
  sub->add_flag("--progress", args->progress, "Show bytes and rate on stderr");
  sub->callback([&action, args] { action = [args] { return run_nc(*args); }; });
}

void register_get(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand(
      "get", "HTTP/1.1 GET of one or more URLs (in order, a connection each) over synack");
  auto args = std::make_shared<GetArgs>();
  add_net_common(*sub, args->common, args->tap);
  // One or more: fetched in order, each over a new connection of the same stack.
  sub->add_option("URL", args->urls, "http://HOST[:PORT]/PATH")->required();
  sub->add_option("-o", args->out, "Write the body (the bodies, in order) to FILE")
      ->type_name("FILE");
  sub->add_flag("--progress", args->progress, "Show bytes and rate on stderr");
  sub->callback([&action, args] { action = [args] { return run_get(*args); }; });
}

}  // namespace synack::cli
