// AsioDriver: a link::EventLoop driven from a (standalone) asio::io_context, for programs
// whose main loop is Asio's. Not part of the core: the target synack::asio_loop exists
// when Asio's headers were found (Debian libasio-dev, `#include <asio.hpp>`).
//
// It uses the embedding interface of link::EventLoop (event_loop.hpp): it waits for the
// loop's fd() to be readable (asio::posix::stream_descriptor::async_wait on a dup of it)
// and for the loop's next_deadline() (an asio::steady_timer: std::chrono::steady_clock is
// CLOCK_MONOTONIC on Linux, the loop's clock), and calls poll_once() at either. The
// Stack's own timers are in the loop's timerfd, so they wake the fd too; the steady_timer
// also covers links without an fd. Everything runs on the thread(s) running the
// io_context: use one thread (or a strand of your own around every use of the stack).
//
//   asio::io_context io;
//   auto loop = link::EventLoop::create(stack, tap, iface, {.handle_signals = false}).value();
//   api::Reactor reactor(stack, link::monotonic_now);
//   loop->on_event([&](const stack::Event& e, Instant) { reactor.on_event(e); });
//   asio_loop::AsioDriver driver(io, *loop);
//   driver.start();
//   reactor.spawn(my_coroutine(reactor));
//   driver.kick();  // we called into the stack outside a callback: let the frames leave
//   io.run();
//
// Frames that an fd-less link (MemoryLink) receives from elsewhere wake nothing (see
// event_loop.hpp): give each such loop a kick() after its peer's round, or use links
// with fds (a TAP, a socketpair through TapLink::adopt).
#pragma once

#include <asio.hpp>
#include <memory>
#include <optional>

#include "synack/link/event_loop.hpp"

namespace synack::asio_loop {

class AsioDriver {
 public:
  // Neither `io` nor `loop` is owned; both must outlive the driver. Out of fds for the
  // dup, Asio throws (asio::system_error), as its own constructors do.
  AsioDriver(asio::io_context& io, link::EventLoop& loop);
  ~AsioDriver();
  AsioDriver(const AsioDriver&) = delete;
  AsioDriver& operator=(const AsioDriver&) = delete;

  // Begins: a first poll_once() round is posted, then one whenever the fd is readable or
  // the deadline comes. Ends by itself when poll_once() reports an outcome or an error.
  void start();
  // Cancels the waits (the loop itself is left as it is). start() resumes.
  void stop();
  // Posts a round: after calling into the stack from outside a loop callback.
  void kick();

  bool running() const { return running_; }
  // Why it ended by itself: the loop's outcome (stop(), a shutdown's end) or an error.
  std::optional<link::RunOutcome> outcome() const { return outcome_; }
  std::optional<link::LoopError> error() const { return error_; }
  // poll_once() rounds run so far.
  std::uint64_t rounds() const { return rounds_; }

 private:
  void round();
  void arm();
  void post_round();

  asio::io_context& io_;
  link::EventLoop& loop_;
  asio::posix::stream_descriptor fd_;
  asio::steady_timer timer_;
  // Handlers hold a weak_ptr: a handler that runs after the driver is gone does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool running_ = false;
  bool waiting_fd_ = false;
  bool round_posted_ = false;
  std::uint64_t rounds_ = 0;
  std::optional<link::RunOutcome> outcome_;
  std::optional<link::LoopError> error_;
};

}  // namespace synack::asio_loop
