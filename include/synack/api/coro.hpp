// C++20 coroutines on the socket API: Task<T>, a Reactor per Stack, and awaitable
// streams and listeners.
//
//   api::Task<> echo(api::AsyncStream s) {
//     std::array<std::byte, 1024> buf;
//     for (;;) {
//       auto n = co_await s.read(buf);        // Result<size_t, RecvError>; 0 = EOF
//       if (!n || *n == 0) break;
//       if (!co_await s.write(Bytes(buf).first(*n))) break;  // all of it, or an error
//     }
//     s.close();
//   }
//   api::Task<> server(api::Reactor& r) {
//     auto l = api::AsyncListener::listen(r, 7, 16).value();
//     for (;;) {
//       auto s = co_await l.accept();         // Result<AsyncStream, AcceptError>
//       if (s) r.spawn(echo(std::move(*s)));  // one task per connection
//     }
//   }
//   api::Reactor reactor(stack, [] { return link::monotonic_now(); });
//   reactor.spawn(server(reactor));
//   loop.on_event([&](const stack::Event& e, Instant) { reactor.on_event(e); });  // EventLoop
//   // or, driving the Stack yourself: after feeding it frames/time, reactor.poll();
//
// How it works: an awaitable first tries its operation (receive, send, accept, the
// connect's progress). Only if that would block does the coroutine suspend, registered
// with the Reactor under its socket's id. The Reactor turns the Stack's TCP events into
// readiness with an api::Poller; any readiness of a socket (readable, writable,
// connected, closed, an error ...) makes its waiters try again, and a waiter whose
// operation now completes is resumed; the others keep waiting. Trying first means a
// readiness that came before the co_await is never lost (the Poller is edge-triggered).
//
// The Reactor is sans-I/O like the rest of the core: it never reads a clock itself but
// asks the function it was given (link::monotonic_now on a real link, the simulator's
// clock in tests) for the `now` every socket call takes. Coroutines are resumed only
// from poll()/on_event()/spawn(), on the caller's thread, one at a time.
//
// Lifetimes: a Task owns its coroutine frame. Destroying a Task that is suspended in a
// co_await destroys the frame: the awaitable leaves the Reactor (nothing resumes it
// later) and the sockets in the frame close as their destructors say. A Task given to
// spawn() belongs to the Reactor until it finishes; ~Reactor destroys the ones still
// suspended. Tasks, streams and listeners must not outlive their Reactor, nor the
// Reactor its Stack.
//
// Errors are values (Result), as everywhere in synack. An exception that escapes a
// coroutine is kept in its Task and rethrown by co_await/result(); one that escapes a
// spawned Task is rethrown from the poll()/on_event()/spawn() that resumed it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "synack/api/poller.hpp"
#include "synack/api/socket.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/events.hpp"
#include "synack/stack/stack.hpp"
#include "synack/wire/addr.hpp"

namespace synack::api {

template <class T = void>
class Task;

namespace detail {

// What Task<T>'s promise keeps apart from the value: who awaits it, and an exception.
struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;

  std::suspend_always initial_suspend() noexcept { return {}; }  // lazy: runs when awaited
  // Symmetric transfer to the awaiting coroutine (no stack growth through a chain).
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      if (auto c = h.promise().continuation) return c;
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

// A lazy coroutine returning T: it starts when first awaited (or start()ed, or given to
// Reactor::spawn) and owns its frame (move-only; destruction destroys the frame).
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const { return static_cast<bool>(h_); }
  // True once the coroutine returned (or threw).
  bool done() const { return h_ && h_.done(); }
  // Runs a task nobody awaits up to its first suspension (what Reactor::spawn does).
  void start() {
    if (h_ && !h_.done()) h_.resume();
  }
  // The returned value of a done() task (moved out), or its exception rethrown.
  T result() { return h_.promise().take(); }

  // co_await task: runs it, the awaiting coroutine resumes when it returns.
  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().continuation = awaiting;
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    return Awaiter{h_};
  }

 private:
  void reset() {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

class Reactor;

namespace detail {

// One suspended co_await, registered with the Reactor under its socket. It lives in
// the coroutine frame: destroying the frame unregisters it (~Waiter), so a destroyed
// Task is never resumed. try_complete() retries the operation on every readiness of
// the socket; true means done (the result is stored) and the coroutine is resumed.
class Waiter {
 public:
  Waiter() = default;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  virtual ~Waiter();

 protected:
  virtual bool try_complete() = 0;
  // Registers the suspended coroutine `h` under a socket: a stream or a listener id.
  void wait(Reactor& r, bool listener, std::uint32_t id, std::coroutine_handle<> h);

 private:
  friend class synack::api::Reactor;
  Reactor* reactor_ = nullptr;  // set while registered
  std::coroutine_handle<> handle_;
  std::pair<bool, std::uint32_t> key_{};
};

}  // namespace detail

// Resumes the coroutines waiting on one Stack's sockets when they become ready. One per
// Stack (socket ids are per Stack).
class Reactor {
 public:
  using Clock = std::function<Instant()>;
  Reactor(stack::Stack& stack, Clock clock);
  ~Reactor();  // destroys the spawned tasks still suspended
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  stack::Stack& stack() { return *stack_; }
  // The time the socket calls of the awaitables use.
  Instant now() const { return clock_(); }

  // For a program that drives the Stack itself: drains stack.pop_event() and resumes
  // what became ready, again until the stack has no more events (the resumed coroutines
  // make some). The events that are not TCP (UDP, ping replies) come back in order.
  std::vector<stack::Event> poll();
  // For link::EventLoop::on_event (the loop drains pop_event): one event. Non-TCP
  // events are ignored.
  void on_event(const stack::Event& e);

  // Starts `task` at once (up to its first co_await that blocks) and keeps it until it
  // finishes; a finished task is destroyed at the next poll()/on_event()/spawn().
  void spawn(Task<void> task);
  // Spawned tasks not finished yet.
  std::size_t running() const;

 private:
  friend class detail::Waiter;
  using Key = std::pair<bool, std::uint32_t>;  // (is a listener, id)
  void add(detail::Waiter* w);
  void remove(detail::Waiter* w);
  void wake(Key key);
  // Resumes the woken waiters whose operation completes; re-registers the others.
  void run_ready();
  void reap();

  stack::Stack* stack_;
  Clock clock_;
  Poller poller_;
  std::multimap<Key, detail::Waiter*> waiting_;
  std::deque<detail::Waiter*> ready_;  // woken, to try again (still registered)
  std::list<Task<void>> spawned_;
  bool resuming_ = false;
};

class AsyncStream;

// co_await AsyncStream::connect(...): Result<AsyncStream, ConnectError>.
class ConnectOp : public detail::Waiter {
 public:
  ConnectOp(Reactor& r, wire::IpAddr remote, std::uint16_t port, const SocketOptions* opts)
      : r_(r), remote_(remote), port_(port), opts_(opts ? std::optional(*opts) : std::nullopt) {}
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h) { wait(r_, false, stream_->id().value, h); }
  Result<AsyncStream, ConnectError> await_resume();

 private:
  bool try_complete() override;
  Reactor& r_;
  wire::IpAddr remote_;
  std::uint16_t port_;
  std::optional<SocketOptions> opts_;
  std::optional<TcpStream> stream_;
  std::optional<ConnectError> error_;
};

// co_await stream.read(buf): Result<std::size_t, RecvError>, 0 = end of stream.
class ReadOp : public detail::Waiter {
 public:
  ReadOp(Reactor& r, TcpStream& s, MutBytes out) : r_(r), s_(s), out_(out) {}
  bool await_ready() { return try_complete(); }
  void await_suspend(std::coroutine_handle<> h) { wait(r_, false, s_.id().value, h); }
  Result<std::size_t, RecvError> await_resume() { return *result_; }

 private:
  bool try_complete() override;
  Reactor& r_;
  TcpStream& s_;
  MutBytes out_;
  std::optional<Result<std::size_t, RecvError>> result_;
};

// co_await stream.write(data): Result<std::size_t, SendError>, every byte of `data`
// taken by the send buffer (waiting for room as often as needed), or the error.
class WriteOp : public detail::Waiter {
 public:
  WriteOp(Reactor& r, TcpStream& s, Bytes data) : r_(r), s_(s), data_(data) {}
  bool await_ready() { return try_complete(); }
  void await_suspend(std::coroutine_handle<> h) { wait(r_, false, s_.id().value, h); }
  Result<std::size_t, SendError> await_resume() { return *result_; }

 private:
  bool try_complete() override;
  Reactor& r_;
  TcpStream& s_;
  Bytes data_;
  std::size_t done_ = 0;
  std::optional<Result<std::size_t, SendError>> result_;
};

// co_await listener.accept(): Result<AsyncStream, AcceptError>.
class AcceptOp : public detail::Waiter {
 public:
  AcceptOp(Reactor& r, TcpListener& l) : r_(r), l_(l) {}
  bool await_ready() { return try_complete(); }
  void await_suspend(std::coroutine_handle<> h) { wait(r_, true, l_.id().value, h); }
  Result<AsyncStream, AcceptError> await_resume();

 private:
  bool try_complete() override;
  Reactor& r_;
  TcpListener& l_;
  std::optional<TcpStream> stream_;
  std::optional<AcceptError> error_;
};

// A TcpStream whose reads, writes and connect are awaitable. The plain stream stays
// available (stream()) for everything else; its calls take the Reactor's now().
class AsyncStream {
 public:
  AsyncStream(Reactor& r, TcpStream s) : r_(&r), s_(std::move(s)) {}

  // Active open; completes when the handshake does, or with why it failed (Refused,
  // TimedOut ... as ReadyKind::ConnectFailed would say).
  static ConnectOp connect(Reactor& r, wire::IpAddr remote, std::uint16_t port) {
    return ConnectOp(r, remote, port, nullptr);
  }
  static ConnectOp connect(Reactor& r, wire::IpAddr remote, std::uint16_t port,
                           const SocketOptions& opts) {
    return ConnectOp(r, remote, port, &opts);
  }

  // The awaitables refer to this stream and `out`/`data`: keep them alive until the
  // co_await completes (the natural thing inside one coroutine).
  ReadOp read(MutBytes out) { return ReadOp(*r_, s_, out); }
  WriteOp write(Bytes data) { return WriteOp(*r_, s_, data); }

  Status<CloseError> shutdown_write() { return s_.shutdown_write(r_->now()); }
  Status<CloseError> close() { return s_.close(r_->now()); }
  Status<CloseError> abort() { return s_.abort(r_->now()); }

  TcpStream& stream() { return s_; }
  const TcpStream& stream() const { return s_; }
  Reactor& reactor() const { return *r_; }

 private:
  Reactor* r_;
  TcpStream s_;
};

// A TcpListener whose accept() is awaitable.
class AsyncListener {
 public:
  AsyncListener(Reactor& r, TcpListener l) : r_(&r), l_(std::move(l)) {}
  // TcpListener::listen on the Reactor's stack (without `opts`: the stack's defaults).
  static Result<AsyncListener, ListenError> listen(Reactor& r, std::uint16_t port,
                                                   std::uint32_t backlog);
  static Result<AsyncListener, ListenError> listen(Reactor& r, std::uint16_t port,
                                                   std::uint32_t backlog,
                                                   const SocketOptions& opts);

  AcceptOp accept() { return AcceptOp(*r_, l_); }
  Status<CloseError> close() { return l_.close(r_->now()); }

  TcpListener& listener() { return l_; }
  Reactor& reactor() const { return *r_; }

 private:
  Reactor* r_;
  TcpListener l_;
};

}  // namespace synack::api
