// EventLoop: drives one sans-I/O Stack over any number of Links in real time.
//
// Each Link (a TapLink, a MemoryLink, ...) carries one stack interface: frames it
// receives go to the stack with that interface's IfaceId, and every frame the stack
// emits goes to the link of its interface (frames for an interface without a link are
// counted in tx_other_iface and dropped). create(stack, link, iface) gives the loop its
// first link; add_link() adds more, before or during run().
//
// epoll waits on the links' fds, a timerfd (CLOCK_MONOTONIC) armed to the earliest of
// the stack's next_deadline(), the impairers' next release and the user timers,
// a signalfd for SIGINT/SIGTERM and any fds the application registers (stdin for
// nc, ...). When idle the timerfd is the only thing that can wake it: no polling.
// A link without an fd (Link::poll_fd() < 0) is read after every wake-up; while such
// a link still gives frames the loop does not block in epoll_wait.
//
// After every step (frames read, timer fired, fd callback, user timer) the loop
// drains stack.pop_event() into the event handler and stack.pop_frame() into the
// links (each through its Impairer if configured) and the optional capture, until
// both are empty, so callbacks may call into the stack freely.
//
// Backpressure, per link: a frame the link refuses for now (TxStatus::WouldBlock: its
// queue is full) is kept, in order, with every frame generated after it for that link,
// and the loop waits for EPOLLOUT on the link's fd to write them (a link without an fd
// is retried after every wake-up); never dropped because the device was momentarily
// full. The queue is bounded (LoopOptions::tx_queue_limit, per link): past it a frame is
// dropped and counted (tx_dropped), like a full NIC ring. Shutdown waits for the queues
// to drain (within the grace).
//
// Offloads: what a link says about a received frame (RxMeta: a checksum verified or
// never computed, a super-frame; a TAP's virtio_net_hdr) goes to the stack with it
// (Stack::on_frames); what the stack asks of the link for a frame it sends
// (Frame::tx: a checksum to finish) goes to Link::transmit. Through an Impairer, which
// may corrupt frames, a frame carries nothing: partial checksums are finished in
// software first and the stack verifies every checksum. A capture notes super-frames
// and partial checksums in the packet's comment.
//
// Impairment and capture are per link (set_impairment / set_capture with a LinkId; the
// forms without one are for the first link). Counters are per link (stats(LinkId))
// and summed over the links (stats()).
//
// Shutdown: on SIGINT/SIGTERM (or request_shutdown()) the shutdown callback runs
// once (an app closes its connections with FIN there); the loop keeps running
// until the done callback returns true or the grace period (2 s) passes. A second
// signal during shutdown returns at once.
//
// Signals are blocked in the calling thread while run() executes and restored
// afterwards; the loop is meant for a single-threaded program (or for the one
// thread that should receive SIGINT/SIGTERM).
//
// Embedding in your own loop (epoll, poll, Asio, libuv ...): do not call run(); put
// fd() in your loop's set for readability and call poll_once() when it is readable or
// when next_deadline() has come, whichever is first. fd() is the loop's own epoll fd: it
// becomes readable when a link's fd has frames (or can take frames it refused), when an
// fd added with add_fd() is ready, and when the loop's timerfd fires at next_deadline()
// -- so a loop that only watches fd() needs no timeout at all; next_deadline() is for
// loops that prefer one (or a link without an fd, see below). poll_once() never blocks:
// it does what one round of run() does and re-arms the timer. After you call into the
// stack from outside a loop callback (TcpStream::send from your own code), call
// poll_once() so the frames leave and the timer follows the stack's new deadline.
//
//   auto loop = link::EventLoop::create(stack, tap, iface, {.handle_signals = false}).value();
//   epoll_ctl(my_epoll, EPOLL_CTL_ADD, loop->fd(), &ev /* EPOLLIN */);
//   for (;;) {
//     epoll_wait(my_epoll, events, n, timeout_until(loop->next_deadline()));
//     ... my own fds ...
//     if (auto r = loop->poll_once(); !r || *r) break;  // an error, or stop()/shutdown done
//   }
//
// Use LoopOptions::handle_signals = false there: SIGINT/SIGTERM are your loop's (with it
// on, poll_once() reads the signalfd, which only sees signals the caller has blocked).
// A link without an fd (MemoryLink) is read by each poll_once(); next_deadline() is the
// last poll's time (due now) while such a link keeps giving frames, but frames put on it
// from elsewhere (its peer's loop) wake nothing: poll again after the peer's poll.
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
#include "synack/link/link.hpp"
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
  // Frames kept per link while it refuses writes (WouldBlock), at most.
  std::size_t tx_queue_limit = 4096;
};

// What the loop counted for one link.
struct LinkLoopStats {
  std::uint64_t frames_in = 0;   // frames read from the link
  std::uint64_t frames_out = 0;  // frames the link took
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t tx_dropped = 0;   // dropped: tx_queue_limit reached, or refused for good
  std::uint64_t tx_queued = 0;    // frames that waited for the link (its queue full)
  std::uint64_t rx_errors = 0;    // read errors
  std::uint64_t pcap_errors = 0;  // capture writes that failed
};

// The loop's counters: the per-link ones summed over its links, and its own.
struct LoopStats {
  std::uint64_t frames_in = 0;   // frames read from the links
  std::uint64_t frames_out = 0;  // frames the links took
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t tx_dropped = 0;      // dropped: tx_queue_limit reached, or a write error
  std::uint64_t tx_queued = 0;       // frames that waited for a link (its queue full)
  std::uint64_t tx_other_iface = 0;  // stack frames for an interface no link carries
  std::uint64_t rx_errors = 0;       // link read errors
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
  // A link's index in the loop: 0 for create()'s, then in add_link() order.
  using LinkId = std::size_t;

  // The Stack and the Links must outlive the loop; `iface` is the stack interface
  // `link` carries (LinkId 0).
  static Result<std::unique_ptr<EventLoop>, LoopError> create(stack::Stack& stack, Link& link,
                                                              stack::IfaceId iface,
                                                              const LoopOptions& options = {});
  // A loop without links yet: add_link() gives it some.
  static Result<std::unique_ptr<EventLoop>, LoopError> create(stack::Stack& stack,
                                                              const LoopOptions& options = {});
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // --- links ------------------------------------------------------------------
  // `link` carries the stack interface `iface` from now on. Fails (EINVAL) for an
  // interface the stack does not have, (EEXIST) for one that has a link already or a
  // link or fd the loop watches already.
  Result<LinkId, LoopError> add_link(Link& link, stack::IfaceId iface);
  std::size_t link_count() const { return ports_.size(); }
  Link& link(LinkId id = 0) { return *ports_.at(id)->link; }
  stack::IfaceId link_iface(LinkId id = 0) const { return ports_.at(id)->iface; }

  // --- configuration (before or during run) ---------------------------------
  // Impairs what link `id` carries, both ways (its own Impairer).
  void set_impairment(LinkId id, const ImpairSpec& spec) { ports_.at(id)->impairer.emplace(spec); }
  void set_impairment(const ImpairSpec& spec) { set_impairment(0, spec); }
  // Captures every frame the stack receives on link `id` (after inbound impairment)
  // and sends on it (before outbound impairment) on `pcap` interface `pcap_iface`,
  // stamped with wall-clock time. Links may share a writer (one interface each).
  void set_capture(LinkId id, PcapngWriter* pcap, std::uint32_t pcap_iface) {
    ports_.at(id)->pcap = pcap;
    ports_.at(id)->pcap_iface = pcap_iface;
  }
  void set_capture(PcapngWriter* pcap, std::uint32_t pcap_iface) {
    set_capture(0, pcap, pcap_iface);
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

  // --- embedding (see the header comment): instead of run() ------------------
  // Readable when poll_once() has work: a link, an add_fd() fd, or the timer.
  int fd() const { return epoll_.get(); }
  // When poll_once() must run at the latest even if fd() stays quiet (the earliest of
  // the stack's deadline, the impairers', call_at() timers, the shutdown grace); a time
  // already past while a link without an fd keeps giving frames. nullopt: nothing timed.
  std::optional<Instant> next_deadline() const;
  // One round of run() that does not block: what is ready on the fds, the timers due,
  // the fd-less links; then the timer is re-armed. An outcome once the loop is
  // finished (stop() -- reported once --, the end of a shutdown); nullopt otherwise.
  Result<std::optional<RunOutcome>, LoopError> poll_once();

  // Summed over the links, plus the loop's own counters.
  const LoopStats& stats() const { return stats_; }
  const LinkLoopStats& stats(LinkId id) const { return ports_.at(id)->stats; }
  // Frames waiting for a link to take them (WouldBlock): on all links, or on one.
  std::size_t tx_pending() const;
  std::size_t tx_pending(LinkId id) const { return ports_.at(id)->pending.size(); }
  const Impairer* impairer(LinkId id = 0) const {
    return id < ports_.size() && ports_[id]->impairer ? &*ports_[id]->impairer : nullptr;
  }
  stack::Stack& stack() { return *stack_; }

 private:
  struct Timer {
    TimerId id;
    TimerHandler handler;
  };
  // One link and what the loop keeps for it.
  struct Port {
    Link* link = nullptr;
    stack::IfaceId iface;
    int fd = -1;  // link->poll_fd() when added (negative: none)
    std::optional<Impairer> impairer;
    PcapngWriter* pcap = nullptr;
    std::uint32_t pcap_iface = 0;
    std::deque<stack::Frame> pending;  // refused for now, oldest first (iface unused)
    bool watching_out = false;
    LinkLoopStats stats;
  };
  class Sink;

  EventLoop(stack::Stack& stack, const LoopOptions& options);
  Status<LoopError> setup();
  Status<LoopError> watch(int fd, std::uint32_t events);
  Status<LoopError> arm_timer(std::optional<Instant> when);
  std::optional<Instant> next_wakeup(std::optional<Instant> run_deadline) const;
  std::optional<RunOutcome> finished(Instant now, std::optional<Instant> run_deadline) const;
  Status<LoopError> dispatch(int fd, std::uint32_t events);
  // One batch from the link; the number of frames read.
  Result<std::size_t, LoopError> read_link(Port& p, Instant now);
  // Links without an fd: retries what they refused and reads a batch from each. True
  // if any gave frames (the loop does not block then).
  Result<bool, LoopError> service_fdless(Instant now);
  void read_timerfd();
  void read_signals(Instant now);
  void run_due(Instant now);
  Port* port_for(stack::IfaceId iface);
  bool is_link_fd(int fd) const;
  void send_out(Port& p, ByteVec frame, stack::TxMeta tx, Instant now);
  // Frames that arrived together go to the stack as one batch (Stack::on_frames).
  void deliver_in(Port& p, std::span<const Bytes> frames, std::span<const stack::RxMeta> meta,
                  Instant now);
  // Hands over what the impairers hold for `now`; the count they released.
  std::size_t release_impaired(Instant now);
  void write_device(Port& p, ByteVec frame, stack::TxMeta tx = {});
  // One write: true when the link took the frame or refused it for good (counted in
  // tx_dropped), false when its queue is full for now.
  bool write_or_drop(Port& p, const ByteVec& frame, const stack::TxMeta& tx);
  // Writes the kept frames while the link takes them; stops watching EPOLLOUT once empty.
  void drain_pending(Port& p);
  void watch_writable(Port& p, bool on);
  void capture(Port& p, Bytes frame, Direction dir, Instant now, std::string_view comment = {});

  stack::Stack* stack_;
  LoopOptions options_;
  std::vector<std::unique_ptr<Port>> ports_;  // by LinkId; stable while links are added
  UniqueFd epoll_;
  UniqueFd timer_;
  UniqueFd signal_;
  Duration wall_offset_{0};  // CLOCK_REALTIME - CLOCK_MONOTONIC, for capture timestamps
  EventHandler on_event_;
  ShutdownHandler on_shutdown_;
  DoneCheck done_;
  std::map<int, std::shared_ptr<FdHandler>> fds_;
  std::multimap<Instant, Timer> timers_;
  TimerId next_timer_id_ = 1;
  std::optional<Instant> armed_;
  std::optional<Instant> shutdown_deadline_;
  bool stopped_ = false;
  bool second_signal_ = false;
  // poll_once(): an fd-less link gave frames (or holds refused ones) at `last_poll_`.
  bool busy_ = false;
  Instant last_poll_{};
  LoopStats stats_;
};

}  // namespace synack::link
