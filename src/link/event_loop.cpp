#include "synack/link/event_loop.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <utility>

#include "synack/link/gso.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::link {

namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Blocks SIGINT/SIGTERM for the duration of run(), so that they queue on the
// signalfd instead of killing the process; the caller's mask comes back after.
class SignalBlock {
 public:
  explicit SignalBlock(bool active) : active_(active) {
    if (!active_) return;
    sigset_t set = shutdown_signals();
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SignalBlock() {
    if (active_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  bool active_;
  sigset_t old_{};
};

std::optional<Instant> earliest(std::optional<Instant> a, std::optional<Instant> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// The capture comment for a frame whose virtio_net_hdr said something: what crossed
// the TAP is not what the wire would carry (one super-frame for many segments, a
// checksum field with only the pseudo-header sum in it). Empty for a plain frame, so
// captures without offloads stay as they were.
std::string offload_comment(Bytes frame, std::uint16_t gso_size, bool partial, bool valid) {
  std::string c;
  if (gso_size != 0) {
    const bool v6 = frame.size() >= wire::EthernetRepr::kHeaderLen &&
                    load_be16(frame, 12) == static_cast<std::uint16_t>(wire::EtherType::Ipv6);
    c = std::string("super-frame (virtio_net_hdr GSO ") + (v6 ? "TCPv6" : "TCPv4") + ", gso_size " +
        std::to_string(gso_size) + ", " + std::to_string(frame.size()) +
        " bytes; the kernel's side sees it as segments)";
  }
  if (partial) {
    if (!c.empty()) c += "; ";
    c += "transport checksum partial (NEEDS_CSUM: only the pseudo-header sum)";
  } else if (valid) {
    if (!c.empty()) c += "; ";
    c += "transport checksum verified by the kernel (DATA_VALID)";
  }
  return c;
}

}  // namespace

Instant monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant::from_nanos(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
}

std::string LoopError::message() const {
  std::string m = "event loop: ";
  m += step;
  if (sys_errno != 0) {
    m += ": ";
    m += std::strerror(sys_errno);
  }
  return m;
}

std::string_view to_string(RunOutcome o) {
  switch (o) {
    case RunOutcome::Stopped:
      return "stopped";
    case RunOutcome::ShutdownDone:
      return "shutdown done";
    case RunOutcome::ShutdownTimeout:
      return "shutdown timed out";
    case RunOutcome::SecondSignal:
      return "second signal";
    case RunOutcome::TimeLimit:
      return "time limit";
  }
  return "unknown";
}

// Hands frames released by the Impairer to the device or the stack. Frames for the
// stack are collected and delivered together by deliver(): what the Impairer releases
// at one instant arrived together, as one TAP read does (MUST-59, Stack::on_frames).
class EventLoop::Sink final : public ImpairSink {
 public:
  Sink(EventLoop& loop, Port& port) : loop_(loop), port_(port) {}
  void to_device(ByteVec frame, Instant) override { loop_.write_device(port_, std::move(frame)); }
  void to_stack(ByteVec frame, Instant) override { inbound_.push_back(std::move(frame)); }
  void deliver(Instant now) {
    if (inbound_.empty()) return;
    const std::vector<Bytes> frames(inbound_.begin(), inbound_.end());
    loop_.deliver_in(port_, frames, {}, now);
    inbound_.clear();
  }

 private:
  EventLoop& loop_;
  Port& port_;
  std::vector<ByteVec> inbound_;
};

EventLoop::EventLoop(stack::Stack& stack, const LoopOptions& options)
    : stack_(&stack), options_(options) {
  // Captures carry wall-clock time (what Wireshark shows); the stack runs on the
  // monotonic clock, which does not jump.
  timespec real{};
  ::clock_gettime(CLOCK_REALTIME, &real);
  const Instant wall =
      Instant::from_nanos(std::int64_t{real.tv_sec} * 1'000'000'000 + real.tv_nsec);
  wall_offset_ = wall - monotonic_now();
}

EventLoop::~EventLoop() = default;

Result<std::unique_ptr<EventLoop>, LoopError> EventLoop::create(stack::Stack& stack,
                                                                const LoopOptions& options) {
  std::unique_ptr<EventLoop> loop(new EventLoop(stack, options));
  if (auto st = loop->setup(); !st) return Err{st.error()};
  return loop;
}

Result<std::unique_ptr<EventLoop>, LoopError> EventLoop::create(stack::Stack& stack, Link& link,
                                                                stack::IfaceId iface,
                                                                const LoopOptions& options) {
  auto loop = create(stack, options);
  if (!loop) return loop;
  if (auto id = (*loop)->add_link(link, iface); !id) return Err{id.error()};
  return loop;
}

Result<EventLoop::LinkId, LoopError> EventLoop::add_link(Link& link, stack::IfaceId iface) {
  if (stack_->interface(iface) == nullptr) return Err{LoopError{EINVAL, "add_link"}};
  const int fd = link.poll_fd();
  for (const auto& p : ports_) {
    if (p->iface == iface || p->link == &link) return Err{LoopError{EEXIST, "add_link"}};
  }
  if (fd >= 0) {
    if (fds_.count(fd) != 0 || is_link_fd(fd) || fd == timer_.get() || fd == signal_.get()) {
      return Err{LoopError{EEXIST, "add_link"}};
    }
    if (auto st = watch(fd, EPOLLIN); !st) return Err{st.error()};
  }
  auto port = std::make_unique<Port>();
  port->link = &link;
  port->iface = iface;
  port->fd = fd;
  ports_.push_back(std::move(port));
  return ports_.size() - 1;
}

bool EventLoop::is_link_fd(int fd) const {
  if (fd < 0) return false;
  return std::any_of(ports_.begin(), ports_.end(), [fd](const auto& p) { return p->fd == fd; });
}

EventLoop::Port* EventLoop::port_for(stack::IfaceId iface) {
  for (auto& p : ports_) {
    if (p->iface == iface) return p.get();
  }
  return nullptr;
}

std::size_t EventLoop::tx_pending() const {
  std::size_t n = 0;
  for (const auto& p : ports_) n += p->pending.size();
  return n;
}

Status<LoopError> EventLoop::setup() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return Err{LoopError{errno, "epoll_create1"}};
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return Err{LoopError{errno, "timerfd_create"}};
  if (auto st = watch(timer_.get(), EPOLLIN); !st) return st;
  if (options_.handle_signals) {
    sigset_t set = shutdown_signals();
    signal_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!signal_.valid()) return Err{LoopError{errno, "signalfd"}};
    if (auto st = watch(signal_.get(), EPOLLIN); !st) return st;
  }
  return {};
}

Status<LoopError> EventLoop::watch(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
    return Err{LoopError{errno, "epoll_ctl(ADD)"}};
  }
  return {};
}

Status<LoopError> EventLoop::add_fd(int fd, std::uint32_t epoll_events, FdHandler h) {
  if (fds_.count(fd) != 0 || is_link_fd(fd) || fd == timer_.get() || fd == signal_.get()) {
    return Err{LoopError{EEXIST, "add_fd"}};
  }
  if (auto st = watch(fd, epoll_events); !st) return st;
  fds_[fd] = std::make_shared<FdHandler>(std::move(h));
  return {};
}

void EventLoop::remove_fd(int fd) {
  if (fds_.erase(fd) == 0) return;
  // Fails harmlessly if the caller already closed the fd (it left the set then).
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::call_at(Instant when, TimerHandler h) {
  const TimerId id = next_timer_id_++;
  timers_.emplace(when, Timer{id, std::move(h)});
  return id;
}

void EventLoop::cancel(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.id == id) {
      timers_.erase(it);
      return;
    }
  }
}

void EventLoop::request_shutdown(Instant now) {
  if (shutting_down()) return;
  shutdown_deadline_ = now + options_.shutdown_grace;
  if (on_shutdown_) on_shutdown_(now);
  flush(now);
}

Result<RunOutcome, LoopError> EventLoop::run(std::optional<Duration> limit) {
  SignalBlock block(options_.handle_signals);
  stopped_ = false;
  const Instant start = monotonic_now();
  const std::optional<Instant> run_deadline =
      limit ? std::optional<Instant>(start + *limit) : std::nullopt;
  run_due(start);
  auto busy = service_fdless(start);
  if (!busy) return Err{busy.error()};
  std::vector<epoll_event> events(std::max<std::size_t>(options_.max_events, 1));
  for (;;) {
    if (auto done = finished(monotonic_now(), run_deadline)) {
      (void)arm_timer(std::nullopt);
      return *done;
    }
    if (auto st = arm_timer(next_wakeup(run_deadline)); !st) return Err{st.error()};
    // A link without an fd that gave frames may have more (or its peer in this loop
    // answered): look again without sleeping.
    const int n =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), *busy ? 0 : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Err{LoopError{errno, "epoll_wait"}};
    }
    ++stats_.wakeups;
    for (int i = 0; i < n && !stopped_; ++i) {
      if (auto st = dispatch(events[i].data.fd, events[i].events); !st) return Err{st.error()};
    }
    run_due(monotonic_now());
    busy = service_fdless(monotonic_now());
    if (!busy) return Err{busy.error()};
  }
}

Result<std::optional<RunOutcome>, LoopError> EventLoop::poll_once() {
  std::vector<epoll_event> events(std::max<std::size_t>(options_.max_events, 1));
  const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
  if (n < 0 && errno != EINTR) return Err{LoopError{errno, "epoll_wait"}};
  if (n > 0) ++stats_.wakeups;
  for (int i = 0; i < n && !stopped_; ++i) {
    if (auto st = dispatch(events[i].data.fd, events[i].events); !st) return Err{st.error()};
  }
  // Also what the caller did to the stack since the last round (flushed here).
  last_poll_ = monotonic_now();
  run_due(last_poll_);
  auto got = service_fdless(last_poll_);
  if (!got) return Err{got.error()};
  busy_ = *got || std::any_of(ports_.begin(), ports_.end(),
                              [](const auto& p) { return p->fd < 0 && !p->pending.empty(); });
  if (auto done = finished(monotonic_now(), std::nullopt)) {
    stopped_ = false;  // reported once: a later poll_once() goes on
    (void)arm_timer(std::nullopt);
    return std::optional<RunOutcome>(*done);
  }
  if (auto st = arm_timer(next_wakeup(std::nullopt)); !st) return Err{st.error()};
  return std::optional<RunOutcome>();
}

std::optional<Instant> EventLoop::next_deadline() const {
  if (busy_) return last_poll_;
  return next_wakeup(std::nullopt);
}

std::optional<RunOutcome> EventLoop::finished(Instant now,
                                              std::optional<Instant> run_deadline) const {
  if (stopped_) return RunOutcome::Stopped;
  if (second_signal_) return RunOutcome::SecondSignal;
  if (shutdown_deadline_) {
    // Frames still held by the impairer (a delayed FIN) or waiting for the TAP count as
    // not done yet.
    const bool quiet = std::all_of(ports_.begin(), ports_.end(), [](const auto& p) {
      return (!p->impairer || p->impairer->in_flight() == 0) && p->pending.empty();
    });
    if (quiet && (!done_ || done_())) return RunOutcome::ShutdownDone;
    if (now >= *shutdown_deadline_) return RunOutcome::ShutdownTimeout;
  }
  if (run_deadline && now >= *run_deadline) return RunOutcome::TimeLimit;
  return std::nullopt;
}

std::optional<Instant> EventLoop::next_wakeup(std::optional<Instant> run_deadline) const {
  std::optional<Instant> when = earliest(stack_->next_deadline(), run_deadline);
  for (const auto& p : ports_) {
    if (p->impairer) when = earliest(when, p->impairer->next_deadline());
  }
  if (!timers_.empty()) when = earliest(when, timers_.begin()->first);
  return earliest(when, shutdown_deadline_);
}

Status<LoopError> EventLoop::arm_timer(std::optional<Instant> when) {
  if (when == armed_) return {};
  itimerspec spec{};
  if (when) {
    // An absolute time of 0 would disarm the timer: an overdue deadline fires at 1 ns.
    const std::int64_t ns = std::max<std::int64_t>(when->nanos(), 1);
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0) {
    return Err{LoopError{errno, "timerfd_settime"}};
  }
  armed_ = when;
  return {};
}

Status<LoopError> EventLoop::dispatch(int fd, std::uint32_t events) {
  const Instant now = monotonic_now();
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    Port& p = *ports_[i];
    if (p.fd != fd) continue;
    if (events & EPOLLOUT) drain_pending(p);
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (auto n = read_link(p, now); !n) return Err{n.error()};
    }
    return {};
  }
  if (fd == timer_.get()) {
    read_timerfd();
    return {};
  }
  if (signal_.valid() && fd == signal_.get()) {
    read_signals(now);
    return {};
  }
  auto it = fds_.find(fd);
  if (it == fds_.end()) return {};                  // removed by an earlier callback in this batch
  std::shared_ptr<FdHandler> handler = it->second;  // survives remove_fd() inside the call
  (*handler)(events, now);
  flush(now);
  return {};
}

Result<std::size_t, LoopError> EventLoop::read_link(Port& p, Instant now) {
  auto batch = p.link->receive();
  if (!batch) {
    ++p.stats.rx_errors;
    ++stats_.rx_errors;
    return Err{LoopError{batch.error().sys_errno, batch.error().step}};
  }
  const auto frames = batch->frames;
  const auto meta = batch->meta;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ++p.stats.frames_in;
    ++stats_.frames_in;
    p.stats.bytes_in += frames[i].size();
    stats_.bytes_in += frames[i].size();
    if (!p.impairer) continue;
    // The Impairer may corrupt the frame, so the stack must verify it: finish a
    // checksum the kernel left partial, and pass no RxMeta (see deliver()).
    ByteVec copy(frames[i].begin(), frames[i].end());
    if (i < meta.size() && meta[i].checksum == stack::RxChecksum::Partial) {
      wire::finish_partial_checksum(copy, meta[i].csum_start, meta[i].csum_offset);
    }
    p.impairer->from_device(std::move(copy), now);
  }
  // The frames of one read arrived together: the stack takes them as one batch and
  // acknowledges them once (MUST-58/59). With an impairer they reach the stack when it
  // releases them (flush).
  if (!p.impairer) deliver_in(p, frames, meta, now);
  flush(now);
  return frames.size();
}

Result<bool, LoopError> EventLoop::service_fdless(Instant now) {
  bool got = false;
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    Port& p = *ports_[i];
    if (p.fd >= 0) continue;
    if (!p.pending.empty()) drain_pending(p);
    auto n = read_link(p, now);
    if (!n) return Err{n.error()};
    if (*n > 0) got = true;
  }
  return got;
}

void EventLoop::read_timerfd() {
  std::uint64_t expirations = 0;
  if (::read(timer_.get(), &expirations, sizeof expirations) == sizeof expirations) {
    stats_.timer_fires += expirations;
  }
  armed_.reset();  // an absolute timer fires once: re-arm even for the same instant
}

void EventLoop::read_signals(Instant now) {
  signalfd_siginfo info{};
  while (::read(signal_.get(), &info, sizeof info) == sizeof info) {
    ++stats_.signals;
    if (shutting_down()) {
      second_signal_ = true;
    } else {
      request_shutdown(now);
    }
  }
}

void EventLoop::run_due(Instant now) {
  release_impaired(now);
  if (auto d = stack_->next_deadline(); d && *d <= now) stack_->on_timer(now);
  // Only timers due now: one that a handler schedules for `now` runs next round.
  std::vector<Timer> due;
  while (!timers_.empty() && timers_.begin()->first <= now) {
    due.push_back(std::move(timers_.begin()->second));
    timers_.erase(timers_.begin());
  }
  for (auto& t : due) t.handler(now);
  flush(now);
}

std::size_t EventLoop::release_impaired(Instant now) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    Port& p = *ports_[i];
    if (!p.impairer) continue;
    Sink sink(*this, p);
    n += p.impairer->release(now, sink);
    sink.deliver(now);
  }
  return n;
}

void EventLoop::flush(Instant now) {
  // Handlers may call into the stack (more frames, more events) and released
  // inbound frames produce more of both: go round until everything is quiet.
  for (bool progress = true; progress;) {
    progress = false;
    while (auto e = stack_->pop_event()) {
      progress = true;
      if (on_event_) on_event_(*e, now);
    }
    while (auto f = stack_->pop_frame()) {
      progress = true;
      Port* p = port_for(f->iface);
      if (p == nullptr) {
        ++stats_.tx_other_iface;
        continue;
      }
      send_out(*p, std::move(f->bytes), f->tx, now);
    }
    if (release_impaired(now) > 0) progress = true;
  }
}

void EventLoop::send_out(Port& p, ByteVec frame, stack::TxMeta tx, Instant now) {
  if (p.pcap != nullptr && tx != stack::TxMeta{}) {
    capture(p, frame, Direction::Outbound, now,
            offload_comment(frame, tx.gso_size, tx.needs_checksum(), false));
  } else {
    capture(p, frame, Direction::Outbound, now);
  }
  if (p.impairer && tx.gso_size != 0) {
    // The Impairer keeps bytes only and models a wire: a super-segment is impaired as
    // the segments it stands for, cut here in software (NetHost offers the stack no TSO
    // when it impairs; this is for one that arrives anyway).
    for (ByteVec& piece : segment_super_frame(frame, tx))
      p.impairer->from_stack(std::move(piece), now);
  } else if (p.impairer) {
    // The checksum is finished here.
    if (tx.needs_checksum()) wire::finish_partial_checksum(frame, tx.csum_start, tx.csum_offset);
    p.impairer->from_stack(std::move(frame), now);
  } else {
    write_device(p, std::move(frame), tx);
  }
}

void EventLoop::deliver_in(Port& p, std::span<const Bytes> frames,
                           std::span<const stack::RxMeta> meta, Instant now) {
  if (frames.empty()) return;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (p.pcap != nullptr && i < meta.size() &&
        (meta[i].gso_size != 0 || meta[i].checksum != stack::RxChecksum::Unverified)) {
      capture(p, frames[i], Direction::Inbound, now,
              offload_comment(frames[i], meta[i].gso_size,
                              meta[i].checksum == stack::RxChecksum::Partial,
                              meta[i].checksum == stack::RxChecksum::Verified));
    } else {
      capture(p, frames[i], Direction::Inbound, now);
    }
  }
  stack_->on_frames(p.iface, frames, meta, now);
}

bool EventLoop::write_or_drop(Port& p, const ByteVec& frame, const stack::TxMeta& tx) {
  switch (p.link->transmit(frame, tx)) {
    case TxStatus::Sent:
      ++p.stats.frames_out;
      ++stats_.frames_out;
      p.stats.bytes_out += frame.size();
      stats_.bytes_out += frame.size();
      return true;
    case TxStatus::WouldBlock:
      return false;
    case TxStatus::Dropped:
      break;
  }
  ++p.stats.tx_dropped;
  ++stats_.tx_dropped;
  return true;
}

void EventLoop::write_device(Port& p, ByteVec frame, stack::TxMeta tx) {
  if (p.pending.empty() && write_or_drop(p, frame, tx)) {
    // The link copied the frame: its buffer goes back to the stack, which builds a later
    // segment in it (Stack::recycle) instead of allocating one per segment.
    stack_->recycle(std::move(frame));
    return;
  }
  // The link's queue is full, or frames wait already (they go first: order is kept).
  if (p.pending.size() >= options_.tx_queue_limit) {
    ++p.stats.tx_dropped;
    ++stats_.tx_dropped;
    stack_->recycle(std::move(frame));
    return;
  }
  p.pending.push_back(stack::Frame{p.iface, std::move(frame), tx});
  ++p.stats.tx_queued;
  ++stats_.tx_queued;
  watch_writable(p, true);
}

void EventLoop::drain_pending(Port& p) {
  while (!p.pending.empty()) {
    stack::Frame& f = p.pending.front();
    if (!write_or_drop(p, f.bytes, f.tx)) return;  // still full: EPOLLOUT again
    stack_->recycle(std::move(f.bytes));           // written (or refused for good)
    p.pending.pop_front();
  }
  watch_writable(p, false);
}

void EventLoop::watch_writable(Port& p, bool on) {
  // A link without an fd is retried after every wake-up instead.
  if (on == p.watching_out || p.fd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.fd = p.fd;
  // (EPOLL_CTL_MOD of a registered fd cannot fail short of a bug; if it did, the frames
  // would wait for the next wake-up instead, which drains them too.)
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, p.fd, &ev) == 0) p.watching_out = on;
}

void EventLoop::capture(Port& p, Bytes frame, Direction dir, Instant now,
                        std::string_view comment) {
  if (p.pcap == nullptr) return;
  if (!p.pcap->write(p.pcap_iface, now + wall_offset_, frame, dir, comment)) {
    ++p.stats.pcap_errors;
    ++stats_.pcap_errors;
  }
}

}  // namespace synack::link
