// Stack events -> readiness notifications (see poller.hpp).
#include "synack/api/poller.hpp"

#include <variant>

#include "synack/tcp/tcb.hpp"

namespace synack::api {

std::string_view to_string(ReadyKind k) {
  switch (k) {
    case ReadyKind::Connected:
      return "connected";
    case ReadyKind::ConnectFailed:
      return "connect-failed";
    case ReadyKind::Acceptable:
      return "acceptable";
    case ReadyKind::Readable:
      return "readable";
    case ReadyKind::Writable:
      return "writable";
    case ReadyKind::PeerClosed:
      return "peer-closed";
    case ReadyKind::Closed:
      return "closed";
    case ReadyKind::Error:
      return "error";
    case ReadyKind::Urgent:
      return "urgent";
    case ReadyKind::DeliveryProblem:
      return "delivery-problem";
  }
  return "unknown";
}

namespace {

ReadyKind kind_of(tcp::EventKind k) {
  switch (k) {
    case tcp::EventKind::Connected:
      return ReadyKind::Connected;
    case tcp::EventKind::AcceptReady:
      return ReadyKind::Acceptable;
    case tcp::EventKind::Readable:
      return ReadyKind::Readable;
    case tcp::EventKind::Writable:
      return ReadyKind::Writable;
    case tcp::EventKind::PeerClosed:
      return ReadyKind::PeerClosed;
    case tcp::EventKind::Closed:
      return ReadyKind::Closed;
    case tcp::EventKind::Error:
      return ReadyKind::Error;
    case tcp::EventKind::DeliveryProblem:
      return ReadyKind::DeliveryProblem;
    case tcp::EventKind::Urgent:
      return ReadyKind::Urgent;
  }
  return ReadyKind::Error;
}

// An abort before our SYN was acknowledged is a failed open, not a broken
// connection. Once the user released the stream nobody asks, so it stays Error.
bool handshake_failed(stack::Stack& stack, tcp::ConnId id) {
  const tcp::Tcb* t = stack.tcp().tcb(id);
  return t != nullptr && t->snd_una() == t->iss();
}

}  // namespace

std::vector<stack::Event> Poller::poll(stack::Stack& stack) {
  std::vector<stack::Event> others;
  while (auto e = stack.pop_event()) {
    const auto* t = std::get_if<tcp::Event>(&*e);
    if (t == nullptr) {
      others.push_back(std::move(*e));
      continue;
    }
    feed(stack, *t);
  }
  return others;
}

void Poller::feed(stack::Stack& stack, const tcp::Event& t) {
  ReadyEvent r{kind_of(t.kind), t.conn, t.listener, std::nullopt};
  if (r.kind == ReadyKind::Acceptable) r.conn = tcp::ConnId{};
  if (r.kind == ReadyKind::Error) {
    r.error = t.error;
    if (handshake_failed(stack, t.conn)) r.kind = ReadyKind::ConnectFailed;
  }
  push(r);
}

std::optional<ReadyEvent> Poller::next() {
  if (queue_.empty()) return std::nullopt;
  ReadyEvent e = queue_.front();
  queue_.pop_front();
  if (coalesces(e.kind)) queued_.erase(key_of(e));
  return e;
}

void Poller::push(const ReadyEvent& e) {
  // One queued notification stands for all of its kind on that socket (edge-
  // triggered): a burst of segments is one Readable, and the queue stays bounded.
  if (coalesces(e.kind) && !queued_.insert(key_of(e)).second) return;
  queue_.push_back(e);
}

bool Poller::coalesces(ReadyKind k) {
  return k == ReadyKind::Readable || k == ReadyKind::Writable || k == ReadyKind::Acceptable ||
         k == ReadyKind::Urgent || k == ReadyKind::DeliveryProblem;
}

Poller::Key Poller::key_of(const ReadyEvent& e) {
  return {e.kind, e.kind == ReadyKind::Acceptable ? e.listener.value : e.conn.value};
}

}  // namespace synack::api
