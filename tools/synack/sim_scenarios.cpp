#include "sim_scenarios.hpp"

#include "sim_tcp.hpp"

#include <fmt/core.h>

#include <string>
#include <variant>

namespace synack::cli {
namespace {

std::string link_summary(World& w) {
  const auto& a = w.link().stats(link::End::A);
  const auto& b = w.link().stats(link::End::B);
  std::string out = fmt::format(
      "link: client sent {} frames ({} lost, {} duplicated, {} corrupted), "
      "server sent {} frames ({} lost, {} duplicated, {} corrupted)\n",
      a.sent, a.lost + a.queue_dropped, a.duplicated, a.corrupted, b.sent, b.lost + b.queue_dropped,
      b.duplicated, b.corrupted);
  if (a.ce_marked + b.ce_marked > 0) {
    out += fmt::format("link: {} client frames and {} server frames marked CE\n", a.ce_marked,
                       b.ce_marked);
  }
  return out;
}

// ARP resolution, ICMP echo and a UDP echo exchange: the network layer below TCP,
// and how a UDP socket is found by (destination address, destination port) alone.
// Over IPv6 (--ip6) the same with NDP's neighbour solicitation and advertisement in
// place of ARP (RFC 4861 §7.2) and ICMPv6 echo (RFC 4443 §4).
bool run_ping_udp(World& w, const ScenarioParams& p) {
  constexpr int kPings = 3;
  const int datagrams = p.bytes ? static_cast<int>(std::min<std::uint64_t>(p.bytes, 1000)) : 3;
  Host& c = w.client();
  Host& s = w.server();
  int replies = 0, echoed = 0, verified = 0;

  auto server_sock = s.stack->udp_bind(w.any(), 7);
  auto client_sock = c.stack->udp_bind(w.any(), 0);
  if (!server_sock || !client_sock) return false;
  w.note(s, "udp bind *:7 (echo)");

  w.on_event = [&](Host& h, const stack::Event& e) {
    if (auto* r = std::get_if<stack::PingReply>(&e)) {
      ++replies;
      w.note(h, fmt::format("ping reply seq {} from {}", r->seq, r->src.to_string()));
    } else if (auto* r6 = std::get_if<stack::Ping6Reply>(&e)) {
      ++replies;
      w.note(h, fmt::format("ping reply seq {} from {}", r6->seq, r6->src.to_string()));
    } else if (auto* u = std::get_if<stack::UdpReadable>(&e)) {
      while (auto d = h.stack->udp_receive_from(u->socket)) {
        if (&h == &s) {  // echo it back to whoever sent it
          w.note(h,
                 fmt::format("udp from {}:{} \"{}\" -> echo", d->src.to_uri_string(), d->src_port,
                             std::string(reinterpret_cast<const char*>(d->payload.data()),
                                         d->payload.size())));
          (void)h.stack->udp_send_to(u->socket, d->src, d->src_port, d->payload, w.now());
          ++echoed;
        } else {
          std::string text(reinterpret_cast<const char*>(d->payload.data()), d->payload.size());
          ++verified;
          w.note(h, fmt::format("udp echo \"{}\"", text));
        }
      }
    }
  };

  const std::string pattern = "synack ping payload";
  const Instant start = w.now();  // 0, or when --ip6's addresses have passed DAD
  for (int i = 1; i <= kPings; ++i) {
    w.at(start + std::chrono::milliseconds(100 * (i - 1)), [&, i] {
      w.note(c, fmt::format("ping {} seq {}", s.ip.to_string(), i));
      (void)w.ping(c, s, static_cast<std::uint16_t>(i), as_bytes(pattern));
    });
  }
  for (int i = 1; i <= datagrams; ++i) {
    w.at(start + std::chrono::milliseconds(300 + 50 * i), [&, i] {
      std::string msg = fmt::format("hello #{}", i);
      w.note(c, fmt::format("udp send \"{}\" to {}:7", msg, s.ip.to_uri_string()));
      (void)c.stack->udp_send_to(*client_sock, s.ip, 7, as_bytes(msg), w.now());
    });
  }
  w.run_until([&] { return replies == kPings && verified == datagrams; }, std::chrono::seconds(30));
  std::string summary = fmt::format(
      "\nsummary: ping {}/{} replies, udp {}/{} datagrams echoed and verified, virtual time {:.3f} "
      "ms\n",
      replies, kPings, verified, datagrams, static_cast<double>(w.now().nanos()) / 1e6);
  summary += link_summary(w);
  summary +=
      fmt::format("client stats: {}\nserver stats: {}\n", stack::format_stats(c.stack->stats()),
                  stack::format_stats(s.stack->stats()));
  w.append(summary);
  (void)echoed;
  // ICMP and UDP are unreliable: on an impaired link losing some is the lesson, not a
  // failure. On a perfect link everything must arrive.
  const auto& cfg = w.link().config(link::End::A);
  bool impaired = cfg.loss > 0 || cfg.corrupt > 0 || cfg.duplicate > 0 || cfg.reorder > 0;
  return impaired || (replies == kPings && verified == datagrams);
}

const std::vector<Scenario> kScenarios = {
    {"request-response", "handshake, one request and its response, 4-way close (the default)",
     run_request_response},
    {"handshake", "3-way handshake, then 4-way close, no data", run_handshake},
    {"transfer", "bulk transfer client -> server (--bytes, default 64 KiB), verified",
     run_transfer},
    {"simultaneous-open", "both ends send SYN at once (RFC 9293 Figure 7)", run_simultaneous_open},
    {"simultaneous-close", "both ends send FIN at once (RFC 9293 Figure 13)",
     run_simultaneous_close},
    {"half-close", "client shuts down its sending side and still reads the answer", run_half_close},
    {"rst", "RST from a closed port, then abort() of an open connection", run_rst},
    {"urgent", "the sixth flag: URG and the urgent pointer on one byte of urgent data", run_urgent},
    {"demux", "two clients on one server port: UDP's 2-tuple (one socket) vs TCP's 4-tuple",
     run_demux},
    {"server-first", "the server sends first after the handshake (banner)", run_server_first},
    {"zero-window", "the receiver stops reading: zero window, probes, reopening", run_zero_window},
    {"loss", "bulk transfer over a lossy link (5 % unless --loss): retransmission", run_loss},
    {"black-hole",
     "bulk transfer through a 1280-byte hop that drops big packets silently: RFC 4821 PLPMTUD",
     run_black_hole},
    {"tfo", "TCP Fast Open (RFC 7413): a cookie, then the request on the SYN; time saved", run_tfo},
    {"ping-udp", "ARP (NDP with --ip6), ICMP echo and a UDP echo exchange (the layers below TCP)",
     run_ping_udp},
    {"attack", "off-path attacker guesses SEQ/ACK: insecure stack vs default (3 hosts)", nullptr},
};

}  // namespace

const std::string_view kDefaultScenario = "request-response";

const std::vector<Scenario>& scenarios() {
  return kScenarios;
}

const Scenario* find_scenario(std::string_view name) {
  for (const auto& s : kScenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace synack::cli
