// Coroutines on the socket API (see coro.hpp): the Reactor's waiter registry and the
// awaitables' retries.
#include "synack/api/coro.hpp"

#include <algorithm>
#include <variant>

namespace synack::api {

namespace detail {

Waiter::~Waiter() {
  // A frame destroyed while suspended here: forget it, so nothing resumes it.
  if (reactor_ != nullptr) reactor_->remove(this);
}

void Waiter::wait(Reactor& r, bool listener, std::uint32_t id, std::coroutine_handle<> h) {
  handle_ = h;
  key_ = {listener, id};
  r.add(this);
}

}  // namespace detail

Reactor::Reactor(stack::Stack& stack, Clock clock) : stack_(&stack), clock_(std::move(clock)) {}

Reactor::~Reactor() {
  // Destroying the frames unregisters their waiters from this (still whole) Reactor.
  spawned_.clear();
}

void Reactor::add(detail::Waiter* w) {
  w->reactor_ = this;
  waiting_.emplace(w->key_, w);
}

void Reactor::remove(detail::Waiter* w) {
  auto [first, last] = waiting_.equal_range(w->key_);
  for (auto it = first; it != last; ++it) {
    if (it->second == w) {
      waiting_.erase(it);
      break;
    }
  }
  ready_.erase(std::remove(ready_.begin(), ready_.end(), w), ready_.end());
  w->reactor_ = nullptr;
}

void Reactor::wake(Key key) {
  auto [first, last] = waiting_.equal_range(key);
  for (auto it = first; it != last; ++it) {
    // Once per waiter, however many readiness notifications came.
    if (std::find(ready_.begin(), ready_.end(), it->second) == ready_.end()) {
      ready_.push_back(it->second);
    }
  }
}

void Reactor::run_ready() {
  // A coroutine resumed here may spawn, await, destroy other tasks (their waiters leave
  // ready_ in ~Waiter) or call into the stack; it must not call poll()/on_event().
  if (resuming_) return;
  resuming_ = true;
  while (!ready_.empty()) {
    detail::Waiter* w = ready_.front();
    ready_.pop_front();
    if (!w->try_complete()) continue;  // still would block: stays registered
    remove(w);
    // After resume() the frame may be gone (and `w` with it): nothing touches it.
    w->handle_.resume();
  }
  resuming_ = false;
  reap();
}

void Reactor::reap() {
  for (auto it = spawned_.begin(); it != spawned_.end();) {
    if (it->done()) {
      Task<void> t = std::move(*it);
      it = spawned_.erase(it);
      t.result();  // rethrows what escaped the coroutine
    } else {
      ++it;
    }
  }
}

std::vector<stack::Event> Reactor::poll() {
  std::vector<stack::Event> others;
  for (;;) {
    std::vector<stack::Event> more = poller_.poll(*stack_);
    for (auto& e : more) others.push_back(std::move(e));
    bool any = false;
    while (auto r = poller_.next()) {
      any = true;
      wake(r->kind == ReadyKind::Acceptable ? Key{true, r->listener.value}
                                            : Key{false, r->conn.value});
    }
    if (!any && more.empty()) break;
    run_ready();
  }
  reap();
  return others;
}

void Reactor::on_event(const stack::Event& e) {
  const auto* t = std::get_if<tcp::Event>(&e);
  if (t == nullptr) return;
  poller_.feed(*stack_, *t);
  while (auto r = poller_.next()) {
    wake(r->kind == ReadyKind::Acceptable ? Key{true, r->listener.value}
                                          : Key{false, r->conn.value});
  }
  run_ready();
}

void Reactor::spawn(Task<void> task) {
  spawned_.push_back(std::move(task));
  spawned_.back().start();
  reap();
}

std::size_t Reactor::running() const {
  return static_cast<std::size_t>(std::count_if(spawned_.begin(), spawned_.end(),
                                                [](const Task<void>& t) { return !t.done(); }));
}

// --- awaitables -----------------------------------------------------------------

bool ConnectOp::await_ready() {
  auto s = opts_ ? TcpStream::connect(r_.stack(), remote_, port_, r_.now(), *opts_)
                 : TcpStream::connect(r_.stack(), remote_, port_, r_.now());
  if (!s) {
    error_ = s.error();
    return true;
  }
  stream_.emplace(std::move(*s));
  return try_complete();
}

bool ConnectOp::try_complete() {
  auto p = stream_->connect_progress();
  if (!p) {
    error_ = p.error();
    return true;
  }
  switch (*p) {
    case ConnectProgress::InProgress:
      return false;
    case ConnectProgress::Connected:
      return true;
    case ConnectProgress::Closed:
      // Gone without a handshake failure the stack could name (the stream was
      // released): the nearest reason.
      error_ = ConnectError::Reset;
      return true;
  }
  return true;
}

Result<AsyncStream, ConnectError> ConnectOp::await_resume() {
  if (error_) return Err{*error_};
  return AsyncStream(r_, std::move(*stream_));
}

bool ReadOp::try_complete() {
  auto n = s_.receive(out_, r_.now());
  if (!n && n.error() == RecvError::WouldBlock) return false;
  result_ = n;
  return true;
}

bool WriteOp::try_complete() {
  while (done_ < data_.size()) {
    auto n = s_.send(data_.subspan(done_), r_.now());
    if (!n) {
      if (n.error() == SendError::WouldBlock) return false;
      result_ = Err{n.error()};
      return true;
    }
    done_ += *n;
  }
  result_ = done_;
  return true;
}

bool AcceptOp::try_complete() {
  auto s = l_.accept(r_.now());
  if (!s) {
    if (s.error() == AcceptError::WouldBlock) return false;
    error_ = s.error();
    return true;
  }
  stream_.emplace(std::move(*s));
  return true;
}

Result<AsyncStream, AcceptError> AcceptOp::await_resume() {
  if (error_) return Err{*error_};
  return AsyncStream(r_, std::move(*stream_));
}

Result<AsyncListener, ListenError> AsyncListener::listen(Reactor& r, std::uint16_t port,
                                                         std::uint32_t backlog) {
  auto l = TcpListener::listen(r.stack(), port, backlog);
  if (!l) return Err{l.error()};
  return AsyncListener(r, std::move(*l));
}

Result<AsyncListener, ListenError> AsyncListener::listen(Reactor& r, std::uint16_t port,
                                                         std::uint32_t backlog,
                                                         const SocketOptions& opts) {
  auto l = TcpListener::listen(r.stack(), port, backlog, opts);
  if (!l) return Err{l.error()};
  return AsyncListener(r, std::move(*l));
}

}  // namespace synack::api
