// The socket façade: every call forwards to the Stack's TcpProtocol. Time first
// catches up (Stack::on_timer) so the call acts at `now`, as TcpProtocol asks; the
// stack is flushed afterwards so segments and events leave at once.
#include "synack/api/socket.hpp"

#include <utility>

#include "synack/base/seqnum.hpp"
#include "synack/tcp/tcb.hpp"

namespace synack::api {

std::string_view to_string(ConnectError e) {
  switch (e) {
    case ConnectError::NoRoute:
      return "no route to host";
    case ConnectError::InvalidAddress:
      return "invalid address";
    case ConnectError::AddressInUse:
      return "address in use";
    case ConnectError::NoEphemeralPort:
      return "no ephemeral port";
    case ConnectError::TooManyConnections:
      return "too many connections";
    case ConnectError::InvalidOption:
      return "invalid option";
    case ConnectError::NoMemory:
      return "memory budget exhausted";
    case ConnectError::Refused:
      return "connection refused";
    case ConnectError::Reset:
      return "connection reset";
    case ConnectError::TimedOut:
      return "connection timed out";
    case ConnectError::HostUnreachable:
      return "host unreachable";
    case ConnectError::NetUnreachable:
      return "network unreachable";
    case ConnectError::ProtocolUnreachable:
      return "protocol unreachable";
    case ConnectError::PortUnreachable:
      return "port unreachable";
    case ConnectError::AdminProhibited:
      return "communication administratively prohibited";
  }
  return "unknown";
}

ConnectError to_connect_error(tcp::ConnectError e) {
  switch (e) {
    case tcp::ConnectError::InvalidAddress:
      return ConnectError::InvalidAddress;
    case tcp::ConnectError::AddressInUse:
      return ConnectError::AddressInUse;
    case tcp::ConnectError::NoEphemeralPort:
      return ConnectError::NoEphemeralPort;
    case tcp::ConnectError::TooManyConnections:
      return ConnectError::TooManyConnections;
    case tcp::ConnectError::InvalidOption:
      return ConnectError::InvalidOption;
    case tcp::ConnectError::NoMemory:
      return ConnectError::NoMemory;
  }
  return ConnectError::InvalidAddress;
}

ConnectError to_connect_error(tcp::ConnError e) {
  switch (e) {
    case tcp::ConnError::Refused:
      return ConnectError::Refused;
    case tcp::ConnError::Reset:
      return ConnectError::Reset;
    case tcp::ConnError::TimedOut:
      return ConnectError::TimedOut;
    case tcp::ConnError::HostUnreachable:
      return ConnectError::HostUnreachable;
    case tcp::ConnError::NetUnreachable:
      return ConnectError::NetUnreachable;
    case tcp::ConnError::ProtocolUnreachable:
      return ConnectError::ProtocolUnreachable;
    case tcp::ConnError::PortUnreachable:
      return ConnectError::PortUnreachable;
    case tcp::ConnError::AdminProhibited:
      return ConnectError::AdminProhibited;
    case tcp::ConnError::MessageTooLong:  // never from TCP (it lowers its MSS)
      return ConnectError::HostUnreachable;
  }
  return ConnectError::Reset;
}

// ------------------------------------------------------------------ TcpListener

Result<TcpListener, ListenError> TcpListener::listen(stack::Stack& stack, std::uint16_t port,
                                                     std::uint32_t backlog) {
  const tcp::Endpoint local{wire::Ipv6Addr::unspecified(), port};  // dual-stack
  auto id = stack.tcp().listen(local, backlog);
  if (!id) return Err{id.error()};
  return TcpListener(stack, *id, local);
}

Result<TcpListener, ListenError> TcpListener::listen(stack::Stack& stack, std::uint16_t port,
                                                     std::uint32_t backlog,
                                                     const SocketOptions& opts) {
  return listen(stack, tcp::Endpoint{wire::Ipv6Addr::unspecified(), port}, backlog, opts);
}

Result<TcpListener, ListenError> TcpListener::listen(stack::Stack& stack, tcp::Endpoint local,
                                                     std::uint32_t backlog,
                                                     const SocketOptions& opts) {
  // A listener on an address that is not ours would never see a segment.
  if (!local.addr.is_unspecified() && !stack.is_local_address(local.addr))
    return Err{ListenError::InvalidAddress};
  auto id = stack.tcp().listen(local, backlog, opts);
  if (!id) return Err{id.error()};
  return TcpListener(stack, *id, local);
}

TcpListener::TcpListener(TcpListener&& o) noexcept
    : stack_(std::exchange(o.stack_, nullptr)), id_(o.id_), local_(o.local_) {}

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
    release();
    stack_ = std::exchange(o.stack_, nullptr);
    id_ = o.id_;
    local_ = o.local_;
  }
  return *this;
}

TcpListener::~TcpListener() {
  release();
}

void TcpListener::release() {
  if (stack_ == nullptr) return;
  // Resets of never-accepted children leave at the stack's next entry point.
  (void)stack_->tcp().close_listener(id_);
  stack_ = nullptr;
}

Result<TcpStream, AcceptError> TcpListener::accept(Instant now) {
  if (stack_ == nullptr) return Err{AcceptError::NoSuchListener};
  stack_->on_timer(now);
  auto id = stack_->tcp().accept(id_);
  if (!id) return Err{id.error()};
  // accept() reports what happened before it (data, FIN) as events: hand them on.
  stack_->flush_tcp(now);
  return TcpStream(*stack_, *id);
}

Status<CloseError> TcpListener::close(Instant now) {
  if (stack_ == nullptr) return Err{CloseError::NoSuchListener};
  stack_->on_timer(now);
  auto r = stack_->tcp().close_listener(id_);
  stack_->flush_tcp(now);
  stack_ = nullptr;
  return r;
}

// -------------------------------------------------------------------- TcpStream

namespace {

// Active OPEN with the stack's default options (opts == nullptr) or with *opts.
Result<tcp::ConnId, ConnectError> open_active(stack::Stack& stack, wire::IpAddr remote,
                                              std::uint16_t port, Instant now,
                                              const SocketOptions* opts, Bytes data = {}) {
  // RFC 9293 MUST-46: "reject as an error a local OPEN call for an invalid remote
  // IP address (e.g., a broadcast or multicast address)".
  if (remote.is_unspecified() || remote.is_broadcast() || remote.is_multicast() || port == 0)
    return Err{ConnectError::InvalidAddress};
  stack.on_timer(now);
  // MUST-44: the source address comes from the IP layer's route to the remote.
  auto src = stack.source_address(remote);
  if (!src) {
    return Err{src.error() == stack::SendError::NoRoute ? ConnectError::NoRoute
                                                        : ConnectError::InvalidAddress};
  }
  const tcp::Endpoint local{*src, 0};  // port 0: an ephemeral port
  const tcp::Endpoint peer{remote, port};
  auto id = opts ? stack.tcp().connect(local, peer, now, *opts, data)
                 : stack.tcp().connect(local, peer, now);
  if (!id) return Err{to_connect_error(id.error())};
  stack.flush_tcp(now);
  return *id;
}

}  // namespace

Result<TcpStream, ConnectError> TcpStream::connect(stack::Stack& stack, wire::IpAddr remote,
                                                   std::uint16_t port, Instant now) {
  auto id = open_active(stack, remote, port, now, nullptr);
  if (!id) return Err{id.error()};
  return TcpStream(stack, *id);
}

Result<TcpStream, ConnectError> TcpStream::connect(stack::Stack& stack, wire::IpAddr remote,
                                                   std::uint16_t port, Instant now,
                                                   const SocketOptions& opts) {
  return connect(stack, remote, port, now, opts, Bytes{});
}

Result<TcpStream, ConnectError> TcpStream::connect(stack::Stack& stack, wire::IpAddr remote,
                                                   std::uint16_t port, Instant now,
                                                   const SocketOptions& opts, Bytes data) {
  auto id = open_active(stack, remote, port, now, &opts, data);
  if (!id) return Err{id.error()};
  return TcpStream(stack, *id);
}

TcpStream::TcpStream(TcpStream&& o) noexcept
    : stack_(std::exchange(o.stack_, nullptr)), id_(o.id_), released_(o.released_) {}

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
  if (this != &o) {
    release();
    stack_ = std::exchange(o.stack_, nullptr);
    id_ = o.id_;
    released_ = o.released_;
  }
  return *this;
}

TcpStream::~TcpStream() {
  release();
}

void TcpStream::release() {
  if (stack_ == nullptr || released_) return;
  released_ = true;
  (void)stack_->tcp().close(id_);  // no clock here: the FIN leaves at the next entry point
}

Result<std::size_t, SendError> TcpStream::send(Bytes data, Instant now) {
  if (stack_ == nullptr) return Err{SendError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().send(id_, data);
  stack_->flush_tcp(now);
  return r;
}

Result<std::size_t, RecvError> TcpStream::receive(MutBytes out, Instant now) {
  if (stack_ == nullptr) return Err{RecvError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().receive(id_, out);
  stack_->flush_tcp(now);  // reading may open the window: a window update
  return r;
}

Result<std::size_t, RecvError> TcpStream::peek(MutBytes out, Instant now) {
  if (stack_ == nullptr) return Err{RecvError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().peek(id_, out);
  stack_->flush_tcp(now);
  return r;
}

Status<CloseError> TcpStream::shutdown_write(Instant now) {
  if (stack_ == nullptr) return Err{CloseError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().shutdown_write(id_);
  stack_->flush_tcp(now);
  return r;
}

Status<CloseError> TcpStream::close(Instant now) {
  if (stack_ == nullptr || released_) return Err{CloseError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().close(id_);
  released_ = true;
  stack_->flush_tcp(now);
  return r;
}

Status<CloseError> TcpStream::abort(Instant now) {
  if (stack_ == nullptr || released_) return Err{CloseError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().abort(id_);
  released_ = true;
  stack_->flush_tcp(now);
  return r;
}

Status<OptionError> TcpStream::set_options(const SocketOptions& opts, Instant now) {
  if (stack_ == nullptr) return Err{OptionError::NoSuchConnection};
  stack_->on_timer(now);
  auto r = stack_->tcp().set_options(id_, opts);
  stack_->flush_tcp(now);  // e.g. turning Nagle off may release held data
  return r;
}

std::optional<SocketOptions> TcpStream::options() const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp().options(id_);
}

std::optional<State> TcpStream::state() const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp().state(id_);
}

bool TcpStream::readable() const {
  if (stack_ == nullptr) return false;
  const tcp::Tcb* t = stack_->tcp().tcb(id_);
  // RecvError::NoSuchConnection would not block either.
  return t == nullptr || t->readable() > 0 || t->eof() || t->finished();
}

bool TcpStream::writable() const {
  if (stack_ == nullptr || released_) return false;
  const tcp::Tcb* t = stack_->tcp().tcb(id_);
  if (t == nullptr || t->write_shut()) return false;
  // Data queued in SYN-SENT is accepted (MUST be queued, §3.10.2), so only a
  // connection that is over refuses it.
  return !t->finished() && t->send_space() > 0;
}

std::optional<ConnError> TcpStream::error() const {
  if (stack_ == nullptr) return std::nullopt;
  const tcp::Tcb* t = stack_->tcp().tcb(id_);
  return t ? t->error() : std::nullopt;
}

Result<ConnectProgress, ConnectError> TcpStream::connect_progress() const {
  if (stack_ == nullptr) return ConnectProgress::Closed;
  const tcp::Tcb* t = stack_->tcp().tcb(id_);
  if (t == nullptr) return ConnectProgress::Closed;
  // SND.UNA moves past ISS exactly when our SYN is acknowledged (it could come back
  // to ISS only after 2^32 bytes, which a handshake check can ignore).
  if (t->snd_una() != t->iss()) return ConnectProgress::Connected;
  if (auto e = t->error()) return Err{to_connect_error(*e)};
  return t->finished() ? ConnectProgress::Closed : ConnectProgress::InProgress;
}

std::optional<tcp::Endpoint> TcpStream::local() const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp().local_endpoint(id_);
}

std::optional<tcp::Endpoint> TcpStream::remote() const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp().remote_endpoint(id_);
}

std::optional<tcp::ConnStats> TcpStream::stats() const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp().conn_stats(id_);
}

std::optional<tcp::TcpInfo> TcpStream::info(Instant now) const {
  if (stack_ == nullptr) return std::nullopt;
  return stack_->tcp_info(id_, now);
}

}  // namespace synack::api
