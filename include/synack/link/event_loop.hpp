// EventLoop: drives one sans-I/O Stack over a TapLink in real time.
//
// epoll waits on the TAP fd, a timerfd (CLOCK_MONOTONIC) armed to the earliest of
// the stack's next_deadline(), the impairer's next release and the user timers,
// a signalfd for SIGINT/SIGTERM and any fds the application registers (stdin for
// nc, ...). When idle the timerfd is the only thing that can wake it: no polling.
//
// After every step (frames read, timer fired, fd callback, user timer) the loop
// drains stack.pop_event() into the event handler and stack.pop_frame() into the
// TAP (through the Impairer if configured) and the optional capture, until both
// are empty, so callbacks may call into the stack freely.
//
// Backpressure: a frame the TAP refuses for now (EAGAIN: its queue is full) is kept, in
// order, with every frame generated after it, and the loop waits for EPOLLOUT to write
// them; never dropped because the device was momentarily full. The queue is bounded
// (LoopOptions::tx_queue_limit): past it a frame is dropped and counted (tx_dropped),
// like a full NIC ring. Shutdown waits for the queue to drain (within the grace).
//
// Offloads: what the TAP's virtio_net_hdr says about a received frame (a checksum
// verified or never computed, a super-frame) goes to the stack with it
// (Stack::on_frames with RxMeta); what the stack asks of the link for a frame it sends
// (Frame::tx: a checksum to finish) goes into the header. Through an Impairer, which
// may corrupt frames, a frame carries nothing: partial checksums are finished in
// software first and the stack verifies every checksum. A capture notes super-frames
// and partial checksums in the packet's comment.
//
// Shutdown: on SIGINT/SIGTERM (or request_shutdown()) the shutdown callback runs
// once (an app closes its connections with FIN there); the loop keeps running
// until the done callback returns true or the grace period (2 s) passes. A second
// signal during shutdown returns at once.
//
// Signals are blocked in the calling thread while run() executes and restored
// afterwards; the loop is meant for a single-threaded program (or for the one
// thread that should receive SIGINT/SIGTERM).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/link/impair.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/link/tap_link.hpp"
#include "synack/stack/stack.hpp"

namespace synack::link {

// CLOCK_MONOTONIC as an Instant: the clock a Stack sees on a real link.
Instant monotonic_now();

struct LoopError {
  int sys_errno = 0;
  std::string_view step;  // e.g. "epoll_wait" (a static string)
  std::string message() const;
};

enum class RunOutcome : std::uint8_t {
  Stopped,          // stop() was called
  ShutdownDone,     // after a shutdown request, the done callback returned true
  ShutdownTimeout,  // after a shutdown request, the grace period ran out
  SecondSignal,     // a second SIGINT/SIGTERM arrived during shutdown
  TimeLimit,        // run(limit) reached its limit
};
std::string_view to_string(RunOutcome o);

struct LoopOptions {
  bool handle_signals = true;  // SIGINT/SIGTERM via signalfd start the shutdown
  Duration shutdown_grace = std::chrono::seconds(2);
  std::size_t max_events = 64;  // epoll_wait batch
  // Frames kept while the TAP refuses writes (EAGAIN), at most.
  std::size_t tx_queue_limit = 4096;
};

struct LoopStats {
  std::uint64_t frames_in = 0;   // frames read from the TAP
  std::uint64_t frames_out = 0;  // frames written to the TAP
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t tx_dropped = 0;      // dropped: tx_queue_limit reached, or a write error
  std::uint64_t tx_queued = 0;       // frames that waited for EPOLLOUT (TAP queue full)
  std::uint64_t tx_other_iface = 0;  // stack frames for an interface this loop does not drive
  std::uint64_t rx_errors = 0;       // TAP read errors
  std::uint64_t pcap_errors = 0;     // capture writes that failed
  std::uint64_t wakeups = 0;         // epoll_wait returns
  std::uint64_t timer_fires = 0;     // timerfd expirations seen
  std::uint64_t signals = 0;         // SIGINT/SIGTERM received
};

class EventLoop {
 public:
  using EventHandler = std::function<void(const stack::Event&, Instant now)>;
  // `events` is the epoll mask that fired (EPOLLIN, EPOLLHUP, ...).
  using FdHandler = std::function<void(std::uint32_t events, Instant now)>;
  using TimerHandler = std::function<void(Instant now)>;
  using ShutdownHandler = std::function<void(Instant now)>;
  using DoneCheck = std::function<bool()>;
  using TimerId = std::uint64_t;

  // The Stack and TapLink must outlive the loop; `iface` is the stack interface
  // the TAP carries.
  static Result<std::unique_ptr<EventLoop>, LoopError> create(stack::Stack& stack, TapLink& tap,
                                                              stack::IfaceId iface,
                                                              const LoopOptions& options = {});
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // --- configuration (before or during run) ---------------------------------
  void set_impairment(const ImpairSpec& spec) { impairer_.emplace(spec); }
  // Captures every frame the stack receives (after inbound impairment) and sends
  // (before outbound impairment) on `pcap` interface `pcap_iface`, stamped with
  // wall-clock time.
  void set_capture(PcapngWriter* pcap, std::uint32_t pcap_iface) {
    pcap_ = pcap;
    pcap_iface_ = pcap_iface;
  }
  void on_event(EventHandler h) { on_event_ = std::move(h); }
  void on_shutdown(ShutdownHandler h) { on_shutdown_ = std::move(h); }
  // Polled after each step once shutdown began; without one, shutdown ends as
  // soon as the shutdown callback's frames are sent.
  void set_done(DoneCheck d) { done_ = std::move(d); }

  // Watches an extra fd (not owned). Callbacks may remove any fd, their own too.
  Status<LoopError> add_fd(int fd, std::uint32_t epoll_events, FdHandler h);
  void remove_fd(int fd);
  // One-shot timer at `when` (monotonic); cancel() before it fires to drop it.
  TimerId call_at(Instant when, TimerHandler h);
  void cancel(TimerId id);

  // --- running ----------------------------------------------------------------
  // Runs until stop(), the end of a shutdown, or `limit` (measured from the
  // call) passes. Callbacks run inside; stop() and request_shutdown() may be
  // called from them.
  Result<RunOutcome, LoopError> run(std::optional<Duration> limit = std::nullopt);
  void stop() { stopped_ = true; }
  // What a signal does: the shutdown callback, then wait for done or the grace.
  void request_shutdown(Instant now);
  bool shutting_down() const { return shutdown_deadline_.has_value(); }

  // Drains the stack's events and frames now: call after using the stack from
  // outside a loop callback (inside one, the loop does it afterwards).
  void flush(Instant now);

  const LoopStats& stats() const { return stats_; }
  // Frames waiting for the TAP to take them (EAGAIN), oldest first.
  std::size_t tx_pending() const { return tx_pending_.size(); }
  const Impairer* impairer() const { return impairer_ ? &*impairer_ : nullptr; }
  stack::Stack& stack() { return *stack_; }
  TapLink& tap() { return *tap_; }

 private:
  struct Timer {
    TimerId id;
    TimerHandler handler;
  };
  class Sink;

  EventLoop(stack::Stack& stack, TapLink& tap, stack::IfaceId iface, const LoopOptions& options);
  Status<LoopError> setup();
  Status<LoopError> watch(int fd, std::uint32_t events);
  Status<LoopError> arm_timer(std::optional<Instant> when);
  std::optional<Instant> next_wakeup(std::optional<Instant> run_deadline) const;
  std::optional<RunOutcome> finished(Instant now, std::optional<Instant> run_deadline) const;
  Status<LoopError> dispatch(int fd, std::uint32_t events);
  Status<LoopError> read_tap(Instant now);
  void read_timerfd();
  void read_signals(Instant now);
  void run_due(Instant now);
  void send_out(ByteVec frame, stack::TxMeta tx, Instant now);
  // Frames that arrived together go to the stack as one batch (Stack::on_frames).
  void deliver_in(std::span<const Bytes> frames, std::span<const stack::RxMeta> meta, Instant now);
  // Hands over what the impairer holds for `now`; the count it released.
  std::size_t release_impaired(Instant now);
  void write_device(ByteVec frame, stack::TxMeta tx = {});
  // One write: true when the TAP took the frame or refused it for good (counted in
  // tx_dropped), false when its queue is full for now.
  bool write_or_drop(const ByteVec& frame, const stack::TxMeta& tx);
  // Writes the kept frames while the TAP takes them; stops watching EPOLLOUT once empty.
  void drain_pending();
  void watch_writable(bool on);
  void capture(Bytes frame, Direction dir, Instant now, std::string_view comment = {});

  stack::Stack* stack_;
  TapLink* tap_;
  stack::IfaceId iface_;
  LoopOptions options_;
  UniqueFd epoll_;
  UniqueFd timer_;
  UniqueFd signal_;
  std::optional<Impairer> impairer_;
  PcapngWriter* pcap_ = nullptr;
  std::uint32_t pcap_iface_ = 0;
  Duration wall_offset_{0};  // CLOCK_REALTIME - CLOCK_MONOTONIC, for capture timestamps
  EventHandler on_event_;
  ShutdownHandler on_shutdown_;
  DoneCheck done_;
  std::map<int, std::shared_ptr<FdHandler>> fds_;
  std::multimap<Instant, Timer> timers_;
  TimerId next_timer_id_ = 1;
  std::optional<Instant> armed_;
  std::deque<stack::Frame> tx_pending_;  // (iface unused: there is one)
  bool watching_out_ = false;
  std::optional<Instant> shutdown_deadline_;
  bool stopped_ = false;
  bool second_signal_ = false;
  LoopStats stats_;
};

}  // namespace synack::link
