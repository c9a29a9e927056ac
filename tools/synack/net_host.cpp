// NetHost: the TAP-attached stack shared by serve, nc and get.
#include "net_host.hpp"

#include <fmt/core.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "conn_table.hpp"
#include "synack/link/impair.hpp"
#include "synack/tcp/state.hpp"
#include "synack/wire/addr.hpp"

namespace synack::cli {
namespace {

LogLevel parse_level(const std::string& s) {
  if (s == "error") return LogLevel::Error;
  if (s == "info") return LogLevel::Info;
  if (s == "debug") return LogLevel::Debug;
  if (s == "trace") return LogLevel::Trace;
  return LogLevel::Warn;
}

// A locally administered MAC derived from our address: stable across runs, and
// never the kernel side's (which the kernel draws at random).
wire::MacAddr default_mac(wire::Ipv4Addr a) {
  return wire::MacAddr{{0x02, 0x53, static_cast<std::uint8_t>(a.value >> 24),
                        static_cast<std::uint8_t>(a.value >> 16),
                        static_cast<std::uint8_t>(a.value >> 8),
                        static_cast<std::uint8_t>(a.value)}};
}

// The kernel activates a device's transmit queue in linkwatch, up to a second
// after the carrier comes on (when our fd attached); until then it drops what it
// sends on the TAP, e.g. the ARP reply to our first request. IFF_RUNNING tells
// when that happened. Waits at most 2 s; a link that stays down is not an error
// here (the stack retries ARP), only slower.
void wait_until_running(const std::string& name) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  for (int i = 0; i < 200; ++i) {
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags & IFF_RUNNING) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(s);
}

// Why TEXT is not a usable ADDR/PREFIX for this stack, or "" if it is.
std::string ip_problem(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return "has no /PREFIX";
  const auto addr = wire::Ipv4Addr::parse(std::string_view(text).substr(0, slash));
  if (!addr) return fmt::format("has '{}', which is not an IPv4 address", text.substr(0, slash));
  if (addr->is_unspecified() || addr->is_multicast() || addr->is_broadcast()) {
    return fmt::format("has {}, which is not a unicast address", addr->to_string());
  }
  if (!wire::Ipv4Cidr::parse(text)) return "has a PREFIX that is not 0..32";
  return {};
}

}  // namespace

void validate_tap(const TapOptions& t) {
  // Linux interface names are at most IFNAMSIZ - 1 = 15 bytes.
  if (t.tap.empty() || t.tap.size() > 15) {
    throw UsageError(fmt::format("--tap: interface name '{}' must be 1..15 characters", t.tap));
  }
  if (auto why = ip_problem(t.ip); !why.empty()) {
    throw UsageError(
        fmt::format("--ip: '{}' {}; expected ADDR/PREFIX, e.g. 10.0.0.2/24", t.ip, why));
  }
  if (!t.gw.empty() && !wire::Ipv4Addr::parse(t.gw)) {
    throw UsageError(fmt::format("--gw: '{}' is not an IPv4 address, e.g. 10.0.0.1", t.gw));
  }
  if (!t.ip6.empty() && t.ip6 != "auto") {
    auto c = wire::Ipv6Cidr::parse(t.ip6);
    if (!c || c->addr.is_unspecified() || c->addr.is_multicast() || c->addr.is_loopback() ||
        c->addr.is_link_local()) {
      throw UsageError(fmt::format(
          "--ip6: '{}' is not a global or unique-local ADDR/PREFIX (e.g. fd77::2/64) or 'auto'",
          t.ip6));
    }
  }
  if (!t.mac.empty()) {
    auto mac = wire::MacAddr::parse(t.mac);
    if (!mac || mac->is_multicast()) {
      throw UsageError(
          fmt::format("--mac: '{}' is not a unicast MAC address, e.g. 02:00:00:00:00:01", t.mac));
    }
  }
}

std::uint16_t parse_port_arg(const std::string& flag, const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stol(text) < 1 ||
      std::stol(text) > 65535) {
    throw UsageError(fmt::format("{} '{}' is not in 1..65535", flag, text));
  }
  return static_cast<std::uint16_t>(std::stol(text));
}

NetHost::NetHost(const CommonOptions& common, const TapOptions& tap, std::size_t max_conns,
                 const std::function<void(stack::StackConfig&)>& tune)
    : level_(parse_level(common.log)), pcap_path_(common.pcap) {
  validate_tap(tap);
  std::optional<link::ImpairSpec> impair;
  if (!common.impair.empty()) {
    auto spec = link::parse_impair(common.impair);
    if (!spec) throw UsageError(spec.error().message());
    impair = *spec;
  }
  if (common.mss && *common.mss + 40 > common.mtu) {
    throw UsageError(fmt::format("--mss: {} does not fit in --mtu {}; at most {} (MTU - 40)",
                                 *common.mss, common.mtu, common.mtu - 40));
  }
  const auto cidr = *wire::Ipv4Cidr::parse(tap.ip);

  link::TapOptions tap_options;
  // --impair models loss, duplication, corruption of frames on a wire: with offloads a
  // frame may stand for 40 segments (a GRO/TSO super-frame) and one loss would take them
  // all, so impairment runs on plain frames, one segment each, as without offloads.
  tap_options.offload = tap.offload == "on" && !impair;
  auto opened = link::TapLink::open(tap.tap, tap_options);
  if (!opened) throw std::runtime_error(opened.error().message());
  tap_.emplace(std::move(*opened));
  wait_until_running(tap.tap);

  stack::StackConfig cfg;
  // The MSS we announce is the TCP config's mtu - 40 (RFC 9293 §3.7.1).
  cfg.tcp.mtu = static_cast<std::uint16_t>(common.mss ? *common.mss + 40 : common.mtu);
  cfg.tcp.max_connections = max_conns + 64;  // room for TIME-WAIT and embryonic ones
  if (common.min_rto_ms) {
    cfg.tcp.min_rto = Duration(static_cast<std::int64_t>(*common.min_rto_ms * 1e6));
    cfg.tcp.max_rto = std::max(cfg.tcp.max_rto, cfg.tcp.min_rto);
  }
  if (common.user_timeout_s && *common.user_timeout_s > 0) {
    cfg.tcp.defaults.user_timeout =
        Duration(static_cast<std::int64_t>(*common.user_timeout_s * 1e9));
  }
  cfg.tcp.defaults.cc = cc_algorithm(common.cc);
  cfg.tcp.defaults.ecn = ecn_mode(common.ecn);
  cfg.tcp.defaults.tfo = common.tfo;
  if (tune) tune(cfg);
  stack_ = std::make_unique<stack::Stack>(cfg, rng_);
  const auto mac = tap.mac.empty() ? default_mac(cidr.addr) : *wire::MacAddr::parse(tap.mac);
  const auto iface =
      stack_->add_interface(mac, cidr, static_cast<std::size_t>(common.mtu), tap_->tx_offloads());
  if (!tap.gw.empty()) stack_->set_default_gateway(*wire::Ipv4Addr::parse(tap.gw));
  if (!tap.ip6.empty()) {
    // Link-local always; a static address, or SLAAC from router advertisements (auto).
    std::optional<wire::Ipv6Cidr> addr;
    if (tap.ip6 != "auto") addr = wire::Ipv6Cidr::parse(tap.ip6);
    stack_->enable_ipv6(iface, addr, tap.ip6 == "auto", link::monotonic_now());
  }
  if (level_ == LogLevel::Trace) {
    stack_->tcp().set_trace([](const tcp::Transition& t) {
      fmt::print(stderr, "trace: conn {} {}:{} <-> {}:{}: {} -> {} ({})\n", t.conn.value,
                 t.local.addr.to_string(), t.local.port, t.remote.addr.to_string(), t.remote.port,
                 tcp::to_string(t.from), tcp::to_string(t.to), tcp::to_string(t.rule));
    });
  }

  auto loop = link::EventLoop::create(*stack_, *tap_, iface);
  if (!loop) throw std::runtime_error(loop.error().message());
  loop_ = std::move(*loop);
  if (impair) loop_->set_impairment(*impair);
  if (!common.pcap.empty()) {
    auto w = link::PcapngWriter::open_file(common.pcap);
    if (!w) throw std::runtime_error(fmt::format("--pcap: cannot write '{}'", common.pcap));
    pcap_.emplace(std::move(*w));
    loop_->set_capture(&*pcap_, pcap_->add_interface(tap.tap));
  }
}

NetHost::~NetHost() = default;

bool NetHost::wait_ipv6_source(const wire::Ipv6Addr& dst, Duration limit) {
  const Instant end = now() + limit;
  while (!stack_->route6(dst)) {
    if (now() >= end) return false;
    auto r = loop_->poll_once();
    if (!r) throw std::runtime_error(r.error().message());
    if (r->has_value()) return false;                           // the loop ended (a signal)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll_once never blocks
  }
  return true;
}

link::RunOutcome NetHost::run() {
  auto r = loop_->run();
  if (!r) throw std::runtime_error(r.error().message());
  return *r;
}

void NetHost::report(const std::string& extra) {
  if (pcap_ && !pcap_->flush()) {
    fmt::print(stderr, "synack: --pcap: writing '{}' failed\n", pcap_path_);
  }
  if (!logs(LogLevel::Info)) return;
  const auto& ls = loop_->stats();
  const auto& ts = stack_->tcp().stats();
  std::string line = "stats: " + stack::format_stats(stack_->stats(), !logs(LogLevel::Debug));
  const std::string tcp = stack::format_tcp_stats(ts, !logs(LogLevel::Debug));
  if (!tcp.empty()) line += " " + tcp;
  line += fmt::format(" link_frames_in={} link_frames_out={} link_tx_queued={} link_tx_dropped={}",
                      ls.frames_in, ls.frames_out, ls.tx_queued, ls.tx_dropped);
  if (tap_->framing() == link::TapFraming::VnetHdr) {
    const auto& t = tap_->stats();
    line += fmt::format(
        " link_offload=on link_rx_super_frames={} link_rx_csum_partial={} link_rx_csum_valid={} "
        "link_rx_bad_vnet_hdr={} link_tx_super_frames={} link_tx_csum_partial={}",
        t.rx_super_frames, t.rx_csum_partial, t.rx_csum_valid, t.rx_bad_vnet_hdr, t.tx_super_frames,
        t.tx_csum_partial);
  }
  if (const auto* imp = loop_->impairer()) {
    line += fmt::format(" impair_in_lost={} impair_out_lost={}", imp->inbound().lost,
                        imp->outbound().lost);
    if (imp->inbound().ce_marked + imp->outbound().ce_marked > 0) {
      line += fmt::format(" impair_in_ce={} impair_out_ce={}", imp->inbound().ce_marked,
                          imp->outbound().ce_marked);
    }
  }
  if (!extra.empty()) line += " " + extra;
  fmt::print(stderr, "{}\n", line);
}

}  // namespace synack::cli

namespace synack::cli {

Progress::~Progress() {
  if (loop_ != nullptr && timer_) loop_->cancel(*timer_);
}

void Progress::watch(const api::TcpStream& stream, link::EventLoop& loop) {
  stream_ = &stream;
  if (!enabled_ || loop_ != nullptr) return;
  loop_ = &loop;
  timer_ = loop_->call_at(last_ + kInterval, [this](Instant now) { tick(now); });
}

void Progress::tick(Instant now) {
  timer_.reset();
  if (finished_) return;
  if (now - last_ >= kInterval) {
    last_ = now;
    print(now, "\r");
  }
  timer_ = loop_->call_at(last_ + kInterval, [this](Instant t) { tick(t); });
}

void Progress::add(std::uint64_t n, Instant now) {
  bytes_ += n;
  if (enabled_ && !finished_ && now - last_ >= kInterval) {
    last_ = now;
    print(now, "\r");
  }
}

void Progress::done(Instant now) {
  if (finished_) return;
  finished_ = true;
  if (loop_ != nullptr && timer_) loop_->cancel(*timer_);
  timer_.reset();
  if (enabled_) print(now, "\n");
  stream_ = nullptr;
}

void Progress::print(Instant now, const char* end) {
  if (stream_ != nullptr) {
    if (auto i = stream_->info(now)) info_ = *i;
  }
  // Spaces cover what is left of a longer previous line (no terminal escapes: stderr
  // may be a file).
  const std::string line = progress_line(bytes_, now - start_, info_ ? &*info_ : nullptr);
  const std::size_t pad = shown_ > line.size() ? shown_ - line.size() : 0;
  fmt::print(stderr, "{}{:{}}{}", line, "", pad, end);
  shown_ = end[0] == '\n' ? 0 : line.size();
}

}  // namespace synack::cli
