// A link::EventLoop driven by an asio::io_context (see asio_loop.hpp).
#include "synack/asio_loop/asio_loop.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>

namespace synack::asio_loop {

AsioDriver::AsioDriver(asio::io_context& io, link::EventLoop& loop)
    // A dup: the stream_descriptor closes what it holds, the EventLoop keeps its own fd.
    : io_(io), loop_(loop), fd_(io, ::dup(loop.fd())), timer_(io) {}

AsioDriver::~AsioDriver() {
  *alive_ = false;
  asio::error_code ignored;
  timer_.cancel();
  fd_.cancel(ignored);
}

void AsioDriver::start() {
  if (running_) return;
  running_ = true;
  outcome_.reset();
  error_.reset();
  post_round();
}

void AsioDriver::stop() {
  running_ = false;
  asio::error_code ignored;
  timer_.cancel();
  fd_.cancel(ignored);
}

void AsioDriver::kick() {
  if (running_) post_round();
}

void AsioDriver::post_round() {
  if (round_posted_) return;
  round_posted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    round_posted_ = false;
    if (running_) round();
  });
}

void AsioDriver::round() {
  ++rounds_;
  auto r = loop_.poll_once();
  if (!r) {
    error_ = r.error();
    stop();
    return;
  }
  if (r->has_value()) {
    outcome_ = **r;
    stop();
    return;
  }
  arm();
}

void AsioDriver::arm() {
  if (!waiting_fd_) {
    waiting_fd_ = true;
    fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
                     if (alive.expired()) return;
                     waiting_fd_ = false;
                     if (!ec && running_) round();
                   });
  }
  // Asio watches descriptors edge-triggered: if the round left events in the loop's
  // epoll (more than one batch), no new edge will come, so go round again now.
  pollfd p{loop_.fd(), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) {
    post_round();
    return;
  }
  // Setting the expiry cancels the previous wait (its handler sees operation_aborted).
  if (auto d = loop_.next_deadline()) {
    timer_.expires_after(std::max(*d - link::monotonic_now(), Duration::zero()));
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
      if (alive.expired() || ec) return;
      if (running_) round();
    });
  } else {
    timer_.cancel();
  }
}

}  // namespace synack::asio_loop
