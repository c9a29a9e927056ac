// The socket API: BSD-like, typed, sans-I/O. A thin façade over the Stack's
// tcp::TcpProtocol — it keeps no state machine of its own. Every call that can
// change TCP state takes the caller's `now`: it first lets the stack catch up to
// that time (Stack::on_timer), acts, then flushes the stack (Stack::flush_tcp) so
// the resulting segments are queued for the link and the events reach
// Stack::pop_event() (see api::Poller).
//
// Usage (a client and a server in one process, the caller drives the clock):
//
//   stack::Stack server(cfg, rng1), client(cfg, rng2);   // + add_interface, a link
//   auto l = api::TcpListener::listen(server, 7, /*backlog=*/16).value();
//   auto c = api::TcpStream::connect(client, server_addr, 7, now).value();
//   api::Poller poller;
//   ... move frames, call on_timer(now) ...
//   poller.poll(client);
//   while (auto e = poller.next()) {
//     if (e->kind == api::ReadyKind::Connected) c.send(as_bytes("hello"), now);
//     if (e->kind == api::ReadyKind::ConnectFailed)
//       log(api::to_string(api::to_connect_error(*e->error)));  // "connection refused"
//   }
//   if (auto s = l.accept(now); s.ok()) { ... s->receive(buf, now) ... }
//   c.shutdown_write(now);            // half-close: FIN after the queued data
//   c.close(now);                     // CLOSE; the stream may linger in TIME-WAIT
//
// Lifetime: a TcpStream/TcpListener refers to its Stack and must not outlive it.
// Dropping an open stream closes it gracefully (like close(2)); having no clock, the
// destructor cannot flush, so its FIN leaves at the stack's next entry point — call
// close(now) to send it at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/info.hpp"
#include "synack/tcp/types.hpp"
#include "synack/wire/addr.hpp"

/// The socket API: TcpListener, TcpStream, Poller and the coroutines on top of them.
namespace synack::api {

/// The per-operation error enums of tcp fit the socket calls as they are.
using tcp::AcceptError;
using tcp::CloseError;
using tcp::ConnError;
using tcp::ListenError;
using tcp::OptionError;
using tcp::RecvError;
using tcp::SendError;
using tcp::SocketOptions;
using tcp::State;

/// Why an active open failed. The first group is returned by TcpStream::connect
/// itself; the second arrives later, when the handshake fails (Poller's
/// ConnectFailed event, or TcpStream::connect_error()).
enum class ConnectError : std::uint8_t {
  NoRoute,             ///< no interface or gateway reaches the remote address
  InvalidAddress,      ///< MUST-46: broadcast, multicast or unspecified remote, or port 0
  AddressInUse,        ///< that 4-tuple already exists
  NoEphemeralPort,     ///< every ephemeral port to that remote is taken
  TooManyConnections,  ///< the stack's connection limit
  InvalidOption,       ///< a zero buffer size, or one above the stack's max_buffer
  NoMemory,            ///< the stack's global memory budget is spent
  // --- reported after connect() returned ---
  Refused,          ///< RST in answer to our SYN (§3.10.7.3)
  Reset,            ///< RST in SYN-RECEIVED after a simultaneous open
  TimedOut,         ///< no answer within the connect timeout (MUST-23)
  HostUnreachable,  ///< ICMP errors (RFC 1122 §4.2.3.9)
  NetUnreachable,
  ProtocolUnreachable,
  PortUnreachable,
  AdminProhibited,  ///< ICMP codes 9, 10, 13 while connecting (a firewall said no)
};
/// A short phrase for a user: "connection refused", "no route to host" …
std::string_view to_string(ConnectError e);
/// The socket-level meaning of the tcp layer's synchronous connect failure.
ConnectError to_connect_error(tcp::ConnectError e);
/// The socket-level meaning of a handshake that failed after connect() returned
/// (the error of a ReadyKind::ConnectFailed notification).
ConnectError to_connect_error(tcp::ConnError e);

class TcpStream;

/// A passive OPEN (§3.10.1): a listening socket.
class TcpListener {
 public:
  /// Listens on `port` of every local address, IPv4 and IPv6 (bound to ::, which takes
  /// IPv4 clients too, as Linux's default). Accepted streams start with `opts`
  /// (buffer sizes must be known before the SYN,ACK: they fix the window scale);
  /// without `opts`, with the stack's tcp defaults.
  static Result<TcpListener, ListenError> listen(stack::Stack& stack, std::uint16_t port,
                                                 std::uint32_t backlog);
  /// As above, accepted streams starting with `opts`.
  static Result<TcpListener, ListenError> listen(stack::Stack& stack, std::uint16_t port,
                                                 std::uint32_t backlog, const SocketOptions& opts);
  /// Listens on one local address; it must be one of the stack's (or unspecified).
  static Result<TcpListener, ListenError> listen(stack::Stack& stack, tcp::Endpoint local,
                                                 std::uint32_t backlog, const SocketOptions& opts);

  /// Takes over `o`'s listener; `o` is left closed.
  TcpListener(TcpListener&& o) noexcept;
  /// Closes this listener, then takes over `o`'s.
  TcpListener& operator=(TcpListener&& o) noexcept;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener();  ///< closes the listener (connections not yet accepted are reset)

  /// The next established connection, or WouldBlock (wait for ReadyKind::Acceptable).
  Result<TcpStream, AcceptError> accept(Instant now);
  /// Stops listening; connections not yet accepted are reset.
  Status<CloseError> close(Instant now);

  /// The key of this listener's ReadyKind::Acceptable notifications (ReadyEvent::listener).
  tcp::ListenerId id() const { return id_; }
  /// The address and port listened on (address unspecified: every local address).
  tcp::Endpoint local() const { return local_; }
  /// False once closed or moved from.
  bool is_open() const { return stack_ != nullptr; }

 private:
  TcpListener(stack::Stack& s, tcp::ListenerId id, tcp::Endpoint local)
      : stack_(&s), id_(id), local_(local) {}
  void release();

  stack::Stack* stack_ = nullptr;  ///< null once closed or moved from
  tcp::ListenerId id_;
  tcp::Endpoint local_;
};

/// Where an open stands (TcpStream::connect_progress).
enum class ConnectProgress : std::uint8_t {
  InProgress,  ///< SYN-SENT or SYN-RECEIVED: our SYN is not acknowledged yet
  Connected,   ///< the handshake completed (whatever happened afterwards)
  Closed,      ///< closed without a handshake failure (close() in SYN-SENT, or released)
};

/// One TCP connection, from connect() or TcpListener::accept().
class TcpStream {
 public:
  /// Active OPEN to remote:port. The source address is the one the stack's route to
  /// `remote` gives (MUST-44); the local port is ephemeral. Returns once the SYN is
  /// queued: the outcome arrives as ReadyKind::Connected or ReadyKind::ConnectFailed.
  static Result<TcpStream, ConnectError> connect(stack::Stack& stack, wire::IpAddr remote,
                                                 std::uint16_t port, Instant now);
  /// As above, the connection starting with `opts` (buffers, Fast Open, ECN, timeouts).
  static Result<TcpStream, ConnectError> connect(stack::Stack& stack, wire::IpAddr remote,
                                                 std::uint16_t port, Instant now,
                                                 const SocketOptions& opts);
  /// With the first data to send (as Linux's sendto with MSG_FASTOPEN): with opts.tfo
  /// and a Fast Open cookie cached for `remote` the SYN carries it (RFC 7413, see
  /// tcp::TcpProtocol::connect); otherwise it is sent once the handshake completes.
  static Result<TcpStream, ConnectError> connect(stack::Stack& stack, wire::IpAddr remote,
                                                 std::uint16_t port, Instant now,
                                                 const SocketOptions& opts, Bytes data);

  /// Takes over `o`'s connection; `o` is left released.
  TcpStream(TcpStream&& o) noexcept;
  /// Closes this stream (as the destructor), then takes over `o`'s connection.
  TcpStream& operator=(TcpStream&& o) noexcept;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;
  ~TcpStream();  ///< close() if still open (see the lifetime note above)

  /// SEND (§3.10.2): how many bytes the send buffer took (may be fewer than given;
  /// WouldBlock when full: wait for ReadyKind::Writable).
  Result<std::size_t, SendError> send(Bytes data, Instant now);
  /// RECEIVE (§3.10.3): bytes read; 0 = end of stream (the peer's FIN, all read).
  Result<std::size_t, RecvError> receive(MutBytes out, Instant now);
  /// receive() that leaves the data queued (recv with MSG_PEEK).
  Result<std::size_t, RecvError> peek(MutBytes out, Instant now);
  /// Half-close: a FIN follows the queued data; receiving goes on.
  Status<CloseError> shutdown_write(Instant now);
  /// CLOSE (§3.10.4): FIN after the queued data (RST if unread data is lost, or with
  /// linger_zero). The stream is released: only state() and id() stay meaningful.
  Status<CloseError> close(Instant now);
  /// ABORT (§3.10.5): RST now, queued data discarded. Releases the stream.
  Status<CloseError> abort(Instant now);

  /// Changes the socket options of an open connection (buffer sizes may only grow once
  /// the window scale is fixed; see tcp::SocketOptions).
  Status<OptionError> set_options(const SocketOptions& opts, Instant now);
  /// The options in force; nullopt once the connection is gone.
  std::optional<SocketOptions> options() const;

  /// The RFC 9293 state; nullopt once the connection is CLOSED and released.
  std::optional<State> state() const;
  /// Level-triggered readiness: receive() would not say WouldBlock (data, end of
  /// stream, or an error) / send() would take at least one byte.
  bool readable() const;
  /// send() would take at least one byte now.
  bool writable() const;
  /// Why the connection was aborted, if it was (MUST-12: told apart from a close).
  std::optional<ConnError> error() const;
  /// Whether the handshake completed, or why it failed (like SO_ERROR after a
  /// non-blocking connect).
  Result<ConnectProgress, ConnectError> connect_progress() const;

  /// Our address and port; nullopt once the connection is gone.
  std::optional<tcp::Endpoint> local() const;
  /// The peer's address and port; nullopt once the connection is gone.
  std::optional<tcp::Endpoint> remote() const;
  /// The connection's counters (segments, bytes, retransmissions …); nullopt once gone.
  std::optional<tcp::ConnStats> stats() const;
  /// TCP_INFO-like snapshot at `now` (tcp/info.hpp): RTT, window, counters, buffers,
  /// options. nullopt once the connection is gone (released and CLOSED).
  std::optional<tcp::TcpInfo> info(Instant now) const;
  /// The key of this stream's notifications (ReadyEvent::conn); stays valid after close().
  tcp::ConnId id() const { return id_; }
  /// False once close()/abort() released it, or after a move.
  bool is_open() const { return stack_ != nullptr && !released_; }

 private:
  friend class TcpListener;
  TcpStream(stack::Stack& s, tcp::ConnId id) : stack_(&s), id_(id) {}
  void release();

  stack::Stack* stack_ = nullptr;  ///< null only when moved from
  tcp::ConnId id_;
  bool released_ = false;  ///< close() or abort() called
};

}  // namespace synack::api
