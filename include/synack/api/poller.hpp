// Readiness for the socket API: the Stack's TCP events turned into an ordered
// queue of "this socket is ready for X", keyed by TcpStream::id() / TcpListener::id().
// Ids are per Stack: use one Poller per Stack.
//
//   api::Poller poller;
//   for (auto& other : poller.poll(stack)) handle_udp_or_ping(other);  // non-TCP events
//   while (auto e = poller.next()) {
//     switch (e->kind) {
//       case api::ReadyKind::Acceptable: /* listener e->listener: accept() */ break;
//       case api::ReadyKind::Readable:   /* stream e->conn: receive() until WouldBlock */ break;
//       case api::ReadyKind::Error:      /* *e->error says why (reset, timed out ...) */ break;
//       ...
//     }
//   }
//
// Edge-triggered like EPOLLET: Readable/Writable/Acceptable are reported when the
// condition starts (more data, buffer space after full, a new connection), and one
// queued notification stands for all of its kind until next() hands it out. Between
// notifications, ask the socket itself (TcpStream::readable()/writable()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "synack/api/socket.hpp"
#include "synack/stack/events.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/types.hpp"

namespace synack::api {

/// What a socket became ready for (Poller::next).
enum class ReadyKind : std::uint8_t {
  Connected,        ///< an active open completed: the stream is writable
  ConnectFailed,    ///< an active open failed: to_connect_error(*error) says why
  Acceptable,       ///< the listener has a connection for accept()
  Readable,         ///< new data (or the end of stream) for receive()
  Writable,         ///< send buffer space after send() said WouldBlock
  PeerClosed,       ///< the peer's FIN: receive() returns 0 once the data is read
  Closed,           ///< the connection reached CLOSED (a normal end, or after Error)
  Error,            ///< the connection was aborted: *error says why (MUST-12)
  Urgent,           ///< urgent data arrived or the urgent pointer advanced (MUST-32)
  DeliveryProblem,  ///< SHLD-9: retransmissions reached R1; TCP is still trying
};
/// A lower-case name ("readable", "connect-failed" …), for logs and tests.
std::string_view to_string(ReadyKind k);

/// One readiness notification: which socket, ready for what.
struct ReadyEvent {
  ReadyKind kind = ReadyKind::Readable;  ///< what the socket is ready for
  tcp::ConnId conn;                      ///< the stream (unset for Acceptable)
  tcp::ListenerId listener;              ///< the listener (Acceptable; accepted streams' origin)
  std::optional<ConnError> error;        ///< set for Error and ConnectFailed
  /// Field by field (tests compare whole notifications).
  bool operator==(const ReadyEvent&) const = default;
};

/// The readiness queue of one Stack (see the top of this file).
class Poller {
 public:
  /// Drains stack.pop_event(): TCP events become readiness; the others (UDP, ping
  /// replies) are returned in order for the caller.
  std::vector<stack::Event> poll(stack::Stack& stack);
  /// One TCP event someone else took from stack.pop_event() (an EventLoop's handler).
  void feed(stack::Stack& stack, const tcp::Event& e);
  /// The next readiness notification, in the order the stack produced them.
  std::optional<ReadyEvent> next();
  /// Notifications queued and not yet handed out by next().
  std::size_t pending() const { return queue_.size(); }

 private:
  void push(const ReadyEvent& e);
  static bool coalesces(ReadyKind k);
  /// (kind, handle) of coalescing notifications still queued: the readiness map.
  using Key = std::pair<ReadyKind, std::uint32_t>;
  static Key key_of(const ReadyEvent& e);

  std::deque<ReadyEvent> queue_;
  std::set<Key> queued_;
};

}  // namespace synack::api
