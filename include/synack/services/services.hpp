// The classic TCP services, sans-I/O, on the socket API: echo (RFC 862), discard
// (RFC 863), chargen (RFC 864), daytime (RFC 867) and a small HTTP/1.1 file
// server. A ServiceHost owns the listeners and every accepted connection; the
// caller feeds it the stack's TCP events and the time:
//
//   services::ServiceHost host(stack, cfg);
//   host.add(*services::parse_service("echo:7"));
//   loop.on_event([&](const stack::Event& e, Instant now) {
//     if (auto* t = std::get_if<tcp::Event>(&e)) host.on_event(*t, now);
//   });
//   ... at host.next_deadline(): host.on_timer(now);   // idle timeouts
//   ... on shutdown: host.shutdown(now); done when host.connections() == 0
//
// It never blocks and never reads a clock: the daytime text comes from an
// injected wall-clock function, timeouts from the caller's `now`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "synack/api/socket.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/types.hpp"

namespace synack::services {

// The services are applications on the socket API.
using api::ListenError;
using api::SocketOptions;
using api::State;
using api::TcpListener;
using api::TcpStream;

enum class ServiceKind : std::uint8_t { Echo, Discard, Chargen, Daytime, Http };
std::string_view to_string(ServiceKind k);

struct ServiceSpec {
  ServiceKind kind = ServiceKind::Echo;
  std::uint16_t port = 0;
  std::string dir;  // http only: the document root ("" = the built-in pages)
  bool operator==(const ServiceSpec&) const = default;
};

// "echo:7", "http:80:/srv/www" ... ; the error is one line for a user.
Result<ServiceSpec, std::string> parse_service(std::string_view text);

// RFC 867 leaves the format free; this is its suggested "Weekday, Month Day,
// Year Time-Zone" form, in UTC, ending in CRLF.
std::string daytime_text(std::time_t t);
// RFC 864 §"TCP Based Character Generator Service": line `n` (from 0) of the
// rotating 72-character pattern of the 95 printable ASCII characters, with CRLF.
std::string chargen_line(std::uint64_t n);

struct ServiceConfig {
  std::size_t max_conns = 10000;  // accepted connections over all services
  // A connection that neither sends nor accepts a byte for this long is aborted,
  // so a peer that never reads (chargen) or never finishes a request can't hold
  // a slot forever.
  Duration idle_timeout = std::chrono::seconds(120);
  std::uint32_t backlog = 1024;
  std::function<std::time_t()> wall_clock;  // for daytime; required if daytime is served
  SocketOptions socket;                     // accepted connections' options
};

struct ServiceStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected_max_conns = 0;  // reset because max_conns was reached
  std::uint64_t closed = 0;              // finished with FIN
  std::uint64_t aborted = 0;             // reset by the peer or a timeout
  std::uint64_t idle_timeouts = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t http_errors = 0;  // 4xx answers
  // Loss recovery of finished connections, up to their close (tcp::ConnStats).
  std::uint64_t retransmitted_segs = 0;
  std::uint64_t rto_expirations = 0;
  std::uint64_t sack_recoveries = 0;
  std::uint64_t tlp_probes = 0;
  std::uint64_t recovery_probes = 0;  // probes of a stalled SACK recovery
  std::uint64_t spurious_undos = 0;   // D-SACK (RFC 3708) and Eifel (RFC 3522) undos
  std::uint64_t dsacks_in = 0;        // RFC 2883 D-SACK blocks received from the peers
  // RFC 4821 packetization-layer PMTUD (tcp::ConnStats::mtu_*).
  std::uint64_t mtu_black_holes = 0;
  std::uint64_t mtu_probes = 0;
  std::uint64_t mtu_probes_acked = 0;
  std::uint64_t mtu_probes_lost = 0;
};

class ServiceSession;  // one connection's application state (service_host.cpp)

class ServiceHost {
 public:
  ServiceHost(stack::Stack& stack, ServiceConfig config);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  Status<ListenError> add(const ServiceSpec& spec);

  void on_event(const tcp::Event& e, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_deadline() const;
  // Stops listening and closes every connection with FIN (after what is queued).
  void shutdown(Instant now);

  std::size_t connections() const { return conns_.size(); }
  // True once no connection of ours is still exchanging FINs (closed ones may
  // sit in TIME-WAIT): what a graceful shutdown waits for.
  bool drained() const;
  const ServiceStats& stats() const { return stats_; }

 private:
  struct Listening {
    ServiceSpec spec;
    TcpListener listener;
  };
  struct Conn {
    std::unique_ptr<ServiceSession> session;
    TcpStream stream;
    Instant last_progress;
    ByteVec pending;  // produced, not yet taken by TCP's send buffer
    std::size_t pending_off = 0;
    bool peer_eof = false;
  };
  void accept_all(Listening& l, Instant now);
  void pump(std::uint32_t conn, Instant now);
  bool finished_closing(tcp::ConnId id) const;
  void finish(std::map<std::uint32_t, Conn>::iterator it, bool graceful, Instant now);

  stack::Stack& stack_;
  ServiceConfig config_;
  std::map<std::uint32_t, Listening> listeners_;  // by ListenerId
  std::map<std::uint32_t, Conn> conns_;           // by ConnId
  std::vector<tcp::ConnId> closing_;              // closed by us, FIN not yet done
  bool shutting_down_ = false;
  ServiceStats stats_;
};

}  // namespace synack::services
