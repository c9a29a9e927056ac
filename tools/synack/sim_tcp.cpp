#include "sim_tcp.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

namespace synack::cli {
namespace {

using namespace std::chrono_literals;

// Deterministic test data: byte i of every stream. Receivers check each byte.
std::byte pattern(std::uint64_t i) {
  return std::byte((i * 2654435761u) >> 24);
}

std::string endpoint_text(const tcp::Endpoint& e) {
  return fmt::format("{}:{}", e.addr.to_uri_string(), e.port);
}

// One host's side of a TCP conversation in a scenario: its socket, what it received,
// what happened to it, and the application callbacks the scenario installs.
struct Peer {
  World* world = nullptr;
  Host* host = nullptr;
  std::optional<tcp::ListenerId> listener;
  std::optional<tcp::ConnId> conn;
  ByteVec received;
  std::uint64_t bad_bytes = 0;  // received bytes that differ from the pattern
  bool verify_pattern = false;
  bool established = false, peer_closed = false, closed = false;
  std::optional<tcp::ConnError> error;
  tcp::ConnStats stats;  // last snapshot while the connection existed
  bool reading = true;   // a paused application leaves data in the receive buffer
  std::uint64_t to_send = 0, sent = 0;
  bool close_after_send = false;
  std::function<void()> on_established, on_readable, on_peer_closed;

  tcp::TcpProtocol& tcp() { return host->stack->tcp(); }
  void flush() { host->stack->flush_tcp(world->now()); }
  void note(const std::string& text) { world->note(*host, text); }
  void snapshot() {
    if (conn) {
      if (auto s = tcp().conn_stats(*conn)) {
        note_plpmtud(stats, *s);
        stats = *s;
      }
    }
  }
  // RFC 4821 as it happens (only a run that meets a black hole or probes shows these).
  void note_plpmtud(const tcp::ConnStats& was, const tcp::ConnStats& now) {
    if (now.mtu_black_holes > was.mtu_black_holes)
      note(
          fmt::format("PLPMTUD: {} timeouts in a row, a black hole? segments now cut for {}-byte "
                      "packets (RFC 4821 §7.3)",
                      now.rto_expirations, now.packet_mtu));
    if (now.mtu_probes_acked > was.mtu_probes_acked)
      note(fmt::format("PLPMTUD: probe acknowledged, packets now {} bytes (§7.6.1)",
                       now.packet_mtu));
    if (now.mtu_probes_lost > was.mtu_probes_lost)
      note(fmt::format("PLPMTUD: probe lost, that size ruled out; packets stay {} bytes (§7.6.2)",
                       now.packet_mtu));
    if (now.mtu_probes > was.mtu_probes)
      note(fmt::format("PLPMTUD: probe #{} sent, one segment larger than {}-byte packets (§7.4)",
                       now.mtu_probes, now.packet_mtu));
  }

  // Accepted connections get `opts`, or the stack's defaults (TcpConfig::defaults).
  void listen(std::uint16_t port, std::optional<tcp::SocketOptions> opts = std::nullopt) {
    auto l = tcp().listen({world->any(), port}, 8, opts.value_or(tcp().config().defaults));
    if (!l) throw std::runtime_error("sim: listen failed");
    listener = *l;
    note(fmt::format("listen(*:{}, backlog 8)", port));
  }
  void connect(const wire::IpAddr& dst, std::uint16_t port, std::uint16_t local_port = 0) {
    note(fmt::format("connect({}:{})", dst.to_uri_string(), port));
    auto c = tcp().connect({host->ip, local_port}, {dst, port}, world->now());
    if (!c) throw std::runtime_error("sim: connect failed");
    conn = *c;
    flush();
  }
  // An active open with the first data handed over at once (RFC 7413 Fast Open when
  // opts.tfo: on the SYN if a cookie is cached).
  void connect_with_data(const wire::IpAddr& dst, std::uint16_t port,
                         const tcp::SocketOptions& opts, const std::string& data) {
    note(fmt::format("connect({}:{}) with {} bytes{}", dst.to_uri_string(), port, data.size(),
                     opts.tfo ? " (Fast Open)" : ""));
    auto c = tcp().connect({host->ip, 0}, {dst, port}, world->now(), opts, as_bytes(data));
    if (!c) throw std::runtime_error("sim: connect failed");
    conn = *c;
    flush();
  }
  // Forget the connection (a new one follows on the same host).
  void reset_connection() {
    conn.reset();
    received.clear();
    established = peer_closed = closed = false;
    error.reset();
  }
  void send_text(const std::string& text) {
    auto n = tcp().send(*conn, as_bytes(text));
    note(fmt::format("send({} bytes)", n ? *n : 0));
    flush();
  }
  // SEND with the URGENT flag (RFC 9293 §3.8.5): the segment carries URG and the
  // urgent pointer marks where the urgent data ends.
  void send_urgent_text(const std::string& text) {
    auto n = tcp().send_urgent(*conn, as_bytes(text));
    note(fmt::format("send({} bytes, URGENT)", n ? *n : 0));
    flush();
  }
  // Sends pattern bytes [sent, to_send) as far as the send buffer takes them.
  void pump_send() {
    if (!conn || !established) return;
    std::byte chunk[16384];
    while (sent < to_send) {
      std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, to_send - sent));
      for (std::size_t i = 0; i < n; ++i) chunk[i] = pattern(sent + i);
      auto r = tcp().send(*conn, Bytes(chunk, n));
      if (!r || *r == 0) break;
      sent += *r;
    }
    if (sent == to_send && close_after_send) {
      close_after_send = false;
      close();
    }
    flush();
  }
  void read_all() {
    if (!conn || !reading) return;
    std::byte buf[16384];
    for (;;) {
      auto r = tcp().receive(*conn, buf);
      if (!r || *r == 0) break;
      for (std::size_t i = 0; i < *r; ++i) {
        if (verify_pattern && buf[i] != pattern(received.size() + i)) ++bad_bytes;
      }
      received.insert(received.end(), buf, buf + *r);
    }
    snapshot();
    flush();
  }
  void close() {
    snapshot();
    note("close()");
    (void)tcp().close(*conn);
    flush();
  }
  void shutdown() {
    snapshot();
    note("shutdown(write)");
    (void)tcp().shutdown_write(*conn);
    flush();
  }

  void on_event(const tcp::Event& e) {
    // Events of a connection still waiting in the accept queue are not ours yet:
    // accept() below catches up with whatever happened to it before.
    if (e.kind != tcp::EventKind::AcceptReady && (!conn || e.conn != *conn)) return;
    switch (e.kind) {
      case tcp::EventKind::AcceptReady:
        if (auto c = tcp().accept(*listener)) {
          conn = *c;
          established = true;
          auto remote = tcp().remote_endpoint(*conn);
          note(fmt::format("accept() -> new socket for {}", remote ? endpoint_text(*remote) : "?"));
          if (on_established) on_established();
          // Data and even the FIN that arrived before the accept: accept() has queued
          // their Readable and PeerClosed events (TcpProtocol::accept); pump_send's
          // flush hands them to the stack's queue, which the world drains next.
          pump_send();
        }
        break;
      case tcp::EventKind::Connected:
        established = true;
        note("connected");
        if (on_established) on_established();
        pump_send();
        break;
      case tcp::EventKind::Readable:
        read_all();
        if (on_readable) on_readable();
        break;
      case tcp::EventKind::Writable:
        pump_send();
        break;
      case tcp::EventKind::PeerClosed:
        read_all();
        peer_closed = true;
        note("peer closed (FIN received, end of stream)");
        if (on_peer_closed) on_peer_closed();
        break;
      case tcp::EventKind::Closed:
        closed = true;
        break;
      case tcp::EventKind::Error:
        error = e.error;
        closed = true;
        note(fmt::format("error: {}", tcp::to_string(e.error)));
        break;
      case tcp::EventKind::DeliveryProblem:
        note("delivery problem (R1 retransmissions)");
        break;
      case tcp::EventKind::Urgent: {
        auto left = tcp().urgent_remaining(*conn);
        note(fmt::format("urgent data: {} urgent bytes not read yet", left ? *left : 0));
        break;
      }
    }
  }
};

// Wires two peers into a world: events to their handlers, state changes to the ladder.
struct Session {
  World& w;
  Peer client, server;
  bool label_connections = false;

  explicit Session(World& world) : w(world) {
    client.world = server.world = &w;
    client.host = &w.client();
    server.host = &w.server();
    for (Peer* p : {&client, &server}) {
      Host* h = p->host;
      p->tcp().set_trace([this, h](const tcp::Transition& t) {
        // With several connections per host, each change names its connection by the
        // client's port (the end that differs between them).
        std::string conn;
        if (label_connections) {
          conn = fmt::format("conn {}: ", h == client.host ? t.local.port : t.remote.port);
        }
        w.note_at(*h, t.at,
                  fmt::format("{}{} -> {}  [{}]", conn, tcp::to_string(t.from),
                              tcp::to_string(t.to), tcp::to_string(t.rule)));
      });
    }
    w.on_step = [this] {
      client.snapshot();
      server.snapshot();
    };
    w.on_event = [this](Host& h, const stack::Event& e) {
      if (auto* te = std::get_if<tcp::Event>(&e))
        (&h == client.host ? client : server).on_event(*te);
    };
  }
  ~Session() {
    for (Peer* p : {&client, &server}) p->tcp().set_trace(nullptr);
    w.on_event = nullptr;
    w.on_step = nullptr;
  }

  // Both ends fully closed (CLOSED, or TIME-WAIT which the run then waits out).
  bool both_closed() const { return client.closed && server.closed; }

  std::string retrans_summary() {
    std::string out =
        fmt::format("retransmitted segments: client {} ({} timeouts), server {} ({} timeouts)",
                    client.stats.retransmitted_segs, client.stats.rto_expirations,
                    server.stats.retransmitted_segs, server.stats.rto_expirations);
    // RFC 3168, only when the connection negotiated it (other runs print as before).
    if (client.stats.ecn || server.stats.ecn) {
      const auto& c = client.stats;
      const auto& s = server.stats;
      out += fmt::format(
          "\nECN: client {} CE in, {} ECE in, {} window reductions; server {} CE in, {} ECE in, "
          "{} window reductions",
          c.ce_in, c.ece_in, c.ecn_cwnd_reductions, s.ce_in, s.ece_in, s.ecn_cwnd_reductions);
    }
    // RFC 4821, only when a connection met a black hole or probed.
    for (const Peer* p : {&client, &server}) {
      const auto& c = p->stats;
      if (c.mtu_black_holes + c.mtu_probes == 0) continue;
      out += fmt::format(
          "\nPLPMTUD ({}): {} black-hole reductions, {} probes ({} acknowledged, {} lost), "
          "packets of {} bytes at the end",
          p->host->name, c.mtu_black_holes, c.mtu_probes, c.mtu_probes_acked, c.mtu_probes_lost,
          c.packet_mtu);
    }
    return out;
  }

  void summary(const std::string& what) {
    std::string errors;
    for (Peer* p : {&client, &server}) {
      if (p->error)
        errors += fmt::format("{} error: {}\n", p->host->name, tcp::to_string(*p->error));
    }
    w.append(fmt::format("\nsummary: {}\n{}{}\nvirtual time {:.3f} ms\n", what, errors,
                         retrans_summary(), static_cast<double>(w.now().nanos()) / 1e6));
  }
};

std::string as_text(const ByteVec& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

constexpr std::uint16_t kPort = 80;
constexpr auto kLimit = 10min;  // virtual time; TIME-WAIT (2 MSL = 60 s) fits easily
// A bulk transfer over a bad link may take a while and survive long outages (R2 for
// data is 663 s by default): it gets more virtual time.
constexpr auto kTransferLimit = 3h;

}  // namespace

bool run_request_response(World& w, const ScenarioParams&) {
  Session s(w);
  const std::string request =
      fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", w.server().ip.to_uri_string());
  const std::string body = "hello from synack\n";
  const std::string response =
      fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body);
  s.server.listen(kPort);
  s.client.on_established = [&] { s.client.send_text(request); };
  bool answered = false, closing = false;
  s.server.on_readable = [&] {
    if (!answered && s.server.received.size() == request.size()) {
      answered = true;
      s.server.send_text(response);
    }
  };
  s.client.on_readable = [&] {
    if (!closing && s.client.received.size() == response.size()) {
      closing = true;
      s.client.close();  // active close
    }
  };
  s.server.on_peer_closed = [&] { s.server.close(); };  // passive close
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = as_text(s.server.received) == request && as_text(s.client.received) == response &&
            s.both_closed() && !s.client.error && !s.server.error;
  s.summary(fmt::format("request {} bytes, response {} bytes, {}", request.size(), response.size(),
                        ok ? "both delivered exactly" : "NOT delivered correctly"));
  return ok;
}

bool run_tfo(World& w, const ScenarioParams&) {
  // RFC 7413: the same request/response twice. The first connection asks for a Fast
  // Open cookie on its SYN; the second sends SYN + cookie + request, the server hands
  // the request to the application at accept (SYN-RECEIVED) and answers before the
  // handshake completes: the response arrives one round trip sooner.
  Session s(w);
  const std::string request =
      fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", w.server().ip.to_uri_string());
  const std::string body = "hello from synack\n";
  const std::string response =
      fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.size(), body);
  tcp::SocketOptions opts = s.server.tcp().config().defaults;
  opts.tfo = true;
  s.server.listen(kPort, opts);
  bool answered = false, closing = false;
  std::optional<Instant> started, first_byte;
  s.server.on_readable = [&] {
    if (!answered && s.server.received.size() == request.size()) {
      answered = true;
      s.server.send_text(response);
    }
  };
  s.client.on_readable = [&] {
    if (!first_byte && !s.client.received.empty()) first_byte = w.now();
    if (!closing && s.client.received.size() == response.size()) {
      closing = true;
      s.client.close();
    }
  };
  s.server.on_peer_closed = [&] { s.server.close(); };
  // One ping first, so that ARP (NDP) is resolved and both connections start alike.
  s.client.note(fmt::format("ping {} (resolve {} before timing)", w.server().ip.to_string(),
                            w.ip6() ? "the neighbor by NDP" : "ARP"));
  const std::string ping = "warm-up";
  (void)w.ping(w.client(), w.server(), 1, as_bytes(ping));
  w.run_until(
      [&] {
        return w.neighbours(w.client()) > 0 && w.neighbours(w.server()) > 0 &&
               w.echo_replies(w.client()) > 0;
      },
      kLimit);
  std::array<Duration, 2> ttfb{};
  std::array<bool, 2> ok{};
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      w.append("\n--- second connection: SYN + cookie + request ---\n");
      s.client.reset_connection();
      s.server.reset_connection();
      answered = closing = false;
      first_byte.reset();
    }
    started = w.now();
    if (round == 0) {
      s.client.on_established = [&] { s.client.send_text(request); };
      s.client.note("connect with Fast Open: no cookie cached, the SYN asks for one");
      s.client.connect_with_data(w.server().ip, kPort, opts, "");
    } else {
      s.client.on_established = nullptr;
      s.client.connect_with_data(w.server().ip, kPort, opts, request);
    }
    // Until the server has closed and the client waits in TIME-WAIT (or gave up).
    w.run_until([&] { return (s.server.closed && s.client.peer_closed) || s.client.error; },
                kLimit);
    ttfb[round] = first_byte ? *first_byte - *started : Duration::zero();
    ok[round] = first_byte && as_text(s.server.received) == request &&
                as_text(s.client.received) == response && !s.client.error && !s.server.error;
  }
  w.run_until([&] { return s.both_closed(); }, kLimit);
  const auto& cs = s.client.tcp().stats();
  const auto& ss = s.server.tcp().stats();
  const auto ms = [](Duration d) { return static_cast<double>(d.count()) / 1e6; };
  const bool all = ok[0] && ok[1] && s.both_closed() && cs.tfo_syn_data_acked == 1;
  w.append(fmt::format(
      "\nTFO: client {} cookie cached, {} SYN with data ({} acked); server {} cookie requests, "
      "{} cookies sent, {} SYNs with data accepted\n",
      cs.tfo_cookies_cached, cs.tfo_syn_data_sent, cs.tfo_syn_data_acked, ss.tfo_cookie_requests,
      ss.tfo_cookies_sent, ss.tfo_accepted));
  s.summary(fmt::format(
      "first response byte {:.3f} ms after connect without Fast Open, {:.3f} ms with it: "
      "{:.3f} ms saved; request {} bytes, response {} bytes, {}",
      ms(ttfb[0]), ms(ttfb[1]), ms(ttfb[0] - ttfb[1]), request.size(), response.size(),
      all ? "both delivered exactly" : "NOT delivered correctly"));
  return all;
}

bool run_handshake(World& w, const ScenarioParams&) {
  Session s(w);
  s.server.listen(kPort);
  s.client.on_established = [&] { s.client.close(); };
  s.server.on_peer_closed = [&] { s.server.close(); };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = s.both_closed() && !s.client.error && !s.server.error;
  s.summary(ok ? "3-way handshake, then 4-way close" : "handshake did not complete");
  return ok;
}

bool run_transfer(World& w, const ScenarioParams& p) {
  Session s(w);
  const std::uint64_t bytes = p.bytes ? p.bytes : 64 * 1024;
  s.server.listen(kPort);
  s.server.verify_pattern = true;
  s.client.to_send = bytes;
  s.client.close_after_send = true;
  s.server.on_peer_closed = [&] { s.server.close(); };
  s.client.connect(w.server().ip, kPort);
  Instant start = w.now();
  // First until the server has every byte and the FIN, then until both ends close.
  w.run_until([&] { return s.server.peer_closed || s.both_closed(); }, kTransferLimit);
  const Duration delivered = w.now() - start;
  w.run_until([&] { return s.both_closed(); }, kTransferLimit);
  bool ok = s.server.received.size() == bytes && s.server.bad_bytes == 0 && s.both_closed();
  if (p.report) *p.report = TransferReport{ok, delivered, s.client.stats};
  s.summary(fmt::format("{} of {} bytes delivered and verified{}", s.server.received.size(), bytes,
                        ok ? "" : " (INCOMPLETE or CORRUPT)"));
  return ok;
}

bool run_loss(World& w, const ScenarioParams& p) {
  // Loss is the link's job: without --loss this scenario makes the link drop 5 %.
  if (w.link().config(link::End::A).loss == 0) {
    for (auto e : {link::End::A, link::End::B}) {
      auto cfg = w.link().config(e);
      cfg.loss = 0.05;
      w.link().set_config(e, cfg);
    }
    w.append("(link loss set to 5 % each way; use --loss to choose)\n");
  }
  return run_transfer(w, p);
}

bool run_black_hole(World& w, const ScenarioParams& p) {
  // A hop in the middle carries at most kHopMtu-byte packets and drops larger ones
  // without an ICMP "fragmentation needed" (filtered): RFC 1191 learns nothing, and
  // only RFC 4821 probing lets the transfer through.
  constexpr std::size_t kHopMtu = 1280;
  for (auto e : {link::End::A, link::End::B}) {
    auto cfg = w.link().config(e);
    if (cfg.mtu == 0) cfg.mtu = kHopMtu;
    w.link().set_config(e, cfg);
  }
  w.append(fmt::format(
      "(a hop on the path drops packets over {} bytes and sends no ICMP: a black hole; the "
      "hosts' MTU is 1500)\n",
      w.link().config(link::End::A).mtu));
  ScenarioParams q = p;
  if (q.bytes == 0) q.bytes = 256 * 1024;
  const bool ok = run_transfer(w, q);
  const auto& a = w.link().stats(link::End::A);
  const auto& b = w.link().stats(link::End::B);
  w.append(fmt::format("link: {} client and {} server packets too big for the hop, dropped\n",
                       a.too_big, b.too_big));
  return ok;
}

bool run_simultaneous_open(World& w, const ScenarioParams&) {
  // RFC 9293 §3.5 Figure 7: both ends send a SYN before seeing the other's.
  Session s(w);
  s.client.on_established = [&] { s.client.close(); };
  s.server.on_peer_closed = [&] { s.server.close(); };
  s.client.connect(w.server().ip, 5001, 5000);
  s.server.connect(w.client().ip, 5000, 5001);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = s.client.established && s.server.established && s.both_closed();
  s.summary(ok ? "simultaneous open: SYNs crossed, both via SYN-RECEIVED to ESTABLISHED"
               : "simultaneous open failed");
  return ok;
}

bool run_simultaneous_close(World& w, const ScenarioParams&) {
  // RFC 9293 §3.6 Figure 13: both FINs cross; both go through CLOSING to TIME-WAIT.
  Session s(w);
  s.server.listen(kPort);
  s.client.on_established = [&] {
    w.at(w.now() + 100ms, [&] {
      s.client.close();
      s.server.close();
    });
  };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = s.both_closed() && !s.client.error && !s.server.error;
  s.summary(ok ? "simultaneous close: FINs crossed" : "simultaneous close failed");
  return ok;
}

bool run_half_close(World& w, const ScenarioParams&) {
  // The client sends its request and shuts down its sending side; it keeps reading
  // the answer that the server sends after seeing end-of-stream (RFC 9293 §3.6, MAY-1).
  Session s(w);
  const std::string request = "count the bytes of this request, then answer";
  s.server.listen(kPort);
  s.client.on_established = [&] {
    s.client.send_text(request);
    s.client.shutdown();
  };
  s.server.on_peer_closed = [&] {
    s.server.send_text(fmt::format("you sent {} bytes", s.server.received.size()));
    s.server.close();
  };
  s.client.on_peer_closed = [&] { s.client.close(); };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  std::string answer = fmt::format("you sent {} bytes", request.size());
  bool ok = as_text(s.client.received) == answer && s.both_closed();
  s.summary(ok ? "half-close: the client read the answer after sending its FIN"
               : "half-close failed");
  return ok;
}

bool run_rst(World& w, const ScenarioParams&) {
  // A SYN to a port nobody listens on is answered with RST (§3.10.7.1), and abort()
  // resets an established connection (§3.10.5).
  Session s(w);
  s.client.connect(w.server().ip, 9);  // nothing listens on 9
  w.run_until([&] { return s.client.closed; }, kLimit);
  bool refused = s.client.error == tcp::ConnError::Refused;
  s.client = Peer{};
  s.client.world = &w;
  s.client.host = &w.client();
  s.server.listen(kPort);
  s.client.on_established = [&] {
    w.at(w.now() + 100ms, [&] {
      s.client.note("abort()");
      (void)s.client.tcp().abort(*s.client.conn);
      s.client.closed = true;
      s.client.flush();
    });
  };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.client.closed && s.server.closed; }, kLimit);
  bool reset = s.server.error == tcp::ConnError::Reset;
  // A RST is never retransmitted (§3.10.7): when the link loses it, the peer cannot know.
  const auto& lstats = w.link().stats(link::End::A);
  bool rst_lost = !reset && lstats.lost + lstats.queue_dropped + lstats.corrupted > 0;
  s.summary(fmt::format("closed port: {}; abort: {}", refused ? "refused by RST" : "NOT refused",
                        reset      ? "peer saw the reset"
                        : rst_lost ? "the link lost the RST, so the peer still thinks it is open"
                                   : "peer did NOT see a reset"));
  return refused && (reset || rst_lost);
}

bool run_server_first(World& w, const ScenarioParams&) {
  // Like SMTP or daytime: the server speaks first, right after the handshake.
  Session s(w);
  const std::string banner = "220 synack ready\r\n";
  s.server.listen(kPort);
  s.server.on_established = [&] { s.server.send_text(banner); };
  bool closing = false;
  s.client.on_readable = [&] {
    if (!closing && s.client.received.size() == banner.size()) {
      closing = true;
      s.client.close();
    }
  };
  s.server.on_peer_closed = [&] { s.server.close(); };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = as_text(s.client.received) == banner && s.both_closed();
  s.summary(ok ? "server-first data delivered" : "server-first failed");
  return ok;
}

bool run_zero_window(World& w, const ScenarioParams& p) {
  // The server's application stops reading; its window closes, the client probes the
  // zero window (§3.8.6.1) until the application reads again and the window reopens.
  Session s(w);
  const std::uint64_t bytes = p.bytes ? p.bytes : 24 * 1024;
  tcp::SocketOptions small = w.server().stack->tcp().config().defaults;
  small.recv_buffer = 8192;
  s.server.listen(kPort, small);
  s.server.verify_pattern = true;
  s.server.reading = false;
  s.server.on_established = [&] {
    s.server.note("application pauses reading for 5 s");
    w.at(w.now() + 5s, [&] {
      s.server.note("application reads again");
      s.server.reading = true;
      s.server.read_all();
    });
  };
  s.client.to_send = bytes;
  s.client.close_after_send = true;
  s.server.on_peer_closed = [&] { s.server.close(); };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = s.server.received.size() == bytes && s.server.bad_bytes == 0 && s.both_closed();
  s.summary(fmt::format("{} of {} bytes through a window that closed; zero-window probes sent: {}",
                        s.server.received.size(), bytes, s.client.stats.zero_window_probes));
  if (p.report) *p.report = TransferReport{ok, w.now() - Instant(), s.client.stats};
  return ok;
}

}  // namespace synack::cli

namespace synack::cli {

bool run_urgent(World& w, const ScenarioParams&) {
  // The sixth flag. The client sends ordinary data, then one urgent byte: that segment
  // carries URG with the urgent pointer (RFC 9293 §3.8.5, as updated by RFC 6093:
  // the pointer is the sequence number of the byte after the urgent data). The
  // server's application is told urgent data is pending before it reads it.
  Session s(w);
  const std::string normal = "ordinary data\n";
  const std::string urgent = "!";
  s.server.listen(kPort);
  s.client.on_established = [&] {
    s.client.send_text(normal);
    s.client.send_urgent_text(urgent);
  };
  bool closing = false;
  s.server.on_readable = [&] {
    if (!closing && s.server.received.size() == normal.size() + urgent.size()) {
      closing = true;
      s.server.close();
    }
  };
  s.client.on_peer_closed = [&] { s.client.close(); };
  s.client.connect(w.server().ip, kPort);
  w.run_until([&] { return s.both_closed(); }, kLimit);
  bool ok = as_text(s.server.received) == normal + urgent && s.both_closed();
  s.summary(ok ? "ordinary and urgent data delivered in order" : "urgent data NOT delivered");
  return ok;
}

bool run_demux(World& w, const ScenarioParams&) {
  // Demultiplexing: which socket gets an arriving segment. UDP looks at the
  // destination only (address, port: a 2-tuple): two clients' datagrams to port 7 land
  // in one socket. TCP looks at both ends (a 4-tuple): two connections to port 80 from
  // two client ports are two sockets, each made by accept() from the one listening
  // ("welcome") socket, which stays open for the next client.
  Session s(w);
  s.label_connections = true;
  Peer c2, s2;
  c2.world = s2.world = &w;
  c2.host = &w.client();
  s2.host = &w.server();
  Host& ch = w.client();
  Host& sh = w.server();
  auto udp_server = sh.stack->udp_bind(w.any(), 7);
  auto udp_a = ch.stack->udp_bind(w.any(), 5001);
  auto udp_b = ch.stack->udp_bind(w.any(), 5002);
  if (!udp_server || !udp_a || !udp_b) throw std::runtime_error("sim: udp bind failed");
  w.note(sh, "udp bind *:7 (one socket: every datagram to port 7)");
  w.note(ch, "udp bind *:5001 and *:5002 (two client sockets)");
  int datagrams = 0;
  std::set<std::uint16_t> udp_sources;
  std::map<std::uint16_t, std::string> tcp_got;  // client port -> bytes its socket read
  w.on_event = [&](Host& h, const stack::Event& e) {
    if (auto* u = std::get_if<stack::UdpReadable>(&e)) {
      while (auto d = h.stack->udp_receive_from(u->socket)) {
        ++datagrams;
        udp_sources.insert(d->src_port);
        w.note(h, fmt::format("socket *:7 <- {}:{} \"{}\"", d->src.to_uri_string(), d->src_port,
                              std::string(reinterpret_cast<const char*>(d->payload.data()),
                                          d->payload.size())));
      }
      return;
    }
    auto* te = std::get_if<tcp::Event>(&e);
    if (!te) return;
    if (&h == &ch) {
      (s.client.conn && te->conn == *s.client.conn ? s.client : c2).on_event(*te);
      return;
    }
    if (te->kind == tcp::EventKind::AcceptReady) {
      if (!s.server.conn) s.server.on_event(*te);
      if (!s2.conn) s2.on_event(*te);
      return;
    }
    (s.server.conn && te->conn == *s.server.conn ? s.server : s2).on_event(*te);
  };
  for (auto* p : {&s.server, &s2}) {
    p->on_readable = [&, p] {
      auto remote = p->tcp().remote_endpoint(*p->conn);
      std::string got = as_text(p->received);
      if (!remote || got.empty() || got.back() != '\n' || tcp_got.count(remote->port)) return;
      tcp_got[remote->port] = got;
      p->note(fmt::format("socket ({}:{}, {}) read \"{}\"", sh.ip.to_uri_string(), kPort,
                          endpoint_text(*remote), got.substr(0, got.size() - 1)));
      p->close();
    };
  }
  s.server.listen(kPort);
  s2.listener = s.server.listener;
  s.client.on_established = [&] { s.client.send_text("one\n"); };
  c2.on_established = [&] { c2.send_text("two\n"); };
  s.client.on_peer_closed = [&] { s.client.close(); };
  c2.on_peer_closed = [&] { c2.close(); };

  for (auto [sock, port] : {std::pair{*udp_a, 5001}, std::pair{*udp_b, 5002}}) {
    std::string msg = fmt::format("hello from port {}", port);
    w.note(ch, fmt::format("udp send \"{}\" to {}:7", msg, sh.ip.to_uri_string()));
    (void)ch.stack->udp_send_to(sock, sh.ip, 7, as_bytes(msg), w.now());
  }
  w.run_until([&] { return datagrams == 2; }, kLimit);
  s.client.connect(sh.ip, kPort, 49001);
  c2.connect(sh.ip, kPort, 49002);
  auto all_closed = [&] { return s.both_closed() && c2.closed && s2.closed; };
  w.run_until(all_closed, kLimit);
  bool ok = datagrams == 2 && udp_sources.size() == 2 && tcp_got[49001] == "one\n" &&
            tcp_got[49002] == "two\n" && all_closed();
  w.append(fmt::format(
      "\nsummary: UDP: {} datagrams from {} client ports into 1 socket (matched on 2 fields: "
      "destination address and port)\n"
      "TCP: {} connections to port 80 into {} sockets (matched on 4 fields: both addresses and "
      "ports), made by accept() from the one listening socket\n{}\nvirtual time {:.3f} ms\n",
      datagrams, udp_sources.size(), tcp_got.size(), tcp_got.size(),
      ok ? "each socket got exactly its own client's bytes" : "demultiplexing FAILED",
      static_cast<double>(w.now().nanos()) / 1e6));
  return ok;
}

}  // namespace synack::cli
