// ServiceHost: listeners, accepted connections and their sessions, pumped from
// TCP events; idle timeouts; graceful shutdown.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

#include "service_session.hpp"
#include "synack/services/services.hpp"

namespace synack::services {
namespace {

constexpr std::size_t kChunk = 16 * 1024;
constexpr int kMaxRounds = 64;  // per pump: bounds the work one event can trigger

std::string real_root(const std::string& dir) {
  if (dir.empty()) return {};
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) == nullptr) return {};
  return buf;
}

}  // namespace

ServiceHost::ServiceHost(stack::Stack& stack, ServiceConfig config)
    : stack_(stack), config_(std::move(config)) {}

ServiceHost::~ServiceHost() = default;

Status<ListenError> ServiceHost::add(const ServiceSpec& spec) {
  auto l = TcpListener::listen(stack_, spec.port, config_.backlog, config_.socket);
  if (!l) return Err{l.error()};
  const auto id = l->id().value;
  ServiceSpec resolved = spec;
  if (spec.kind == ServiceKind::Http && !spec.dir.empty()) {
    resolved.dir = real_root(spec.dir);
    if (resolved.dir.empty()) return Err{ListenError::InvalidAddress};
  }
  listeners_.emplace(id, Listening{resolved, std::move(*l)});
  return {};
}

std::unique_ptr<ServiceSession> make_session(const ServiceSpec& spec,
                                             const std::function<std::time_t()>& clock) {
  switch (spec.kind) {
    case ServiceKind::Echo:
      return make_echo_session();
    case ServiceKind::Discard:
      return make_discard_session();
    case ServiceKind::Chargen:
      return make_chargen_session();
    case ServiceKind::Daytime:
      return make_daytime_session(clock ? clock() : 0);
    case ServiceKind::Http:
      return make_http_session(spec.dir);
  }
  return make_discard_session();
}

void ServiceHost::accept_all(Listening& l, Instant now) {
  for (;;) {
    auto s = l.listener.accept(now);
    if (!s) return;
    if (shutting_down_ || conns_.size() >= config_.max_conns) {
      ++stats_.rejected_max_conns;
      (void)s->abort(now);
      continue;
    }
    ++stats_.accepted;
    const auto id = s->id().value;
    Conn c{make_session(l.spec, config_.wall_clock), std::move(*s), now, {}, 0, false};
    conns_.emplace(id, std::move(c));
    pump(id, now);
  }
}

void ServiceHost::on_event(const tcp::Event& e, Instant now) {
  if (e.kind == tcp::EventKind::AcceptReady) {
    auto it = listeners_.find(e.listener.value);
    if (it != listeners_.end()) accept_all(it->second, now);
    return;
  }
  auto it = conns_.find(e.conn.value);
  if (it == conns_.end()) return;
  switch (e.kind) {
    case tcp::EventKind::Error:
    case tcp::EventKind::Closed:
      finish(it, false, now);
      return;
    case tcp::EventKind::Readable:
    case tcp::EventKind::Writable:
    case tcp::EventKind::PeerClosed:
      pump(e.conn.value, now);
      return;
    default:
      return;
  }
}

void ServiceHost::pump(std::uint32_t id, Instant now) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  std::array<std::byte, kChunk> buf;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool progress = false;
    // Output first: what is queued, then what the session produces next.
    for (;;) {
      if (c.pending_off == c.pending.size()) {
        c.pending.resize(kChunk);
        c.pending.resize(c.session->produce(c.pending));
        c.pending_off = 0;
        if (c.pending.empty()) break;
      }
      auto sent = c.stream.send(Bytes(c.pending).subspan(c.pending_off), now);
      if (!sent || *sent == 0) break;
      c.pending_off += *sent;
      stats_.bytes_out += *sent;
      progress = true;
    }
    while (!c.peer_eof && c.session->wants_input()) {
      auto got = c.stream.receive(buf, now);
      if (!got) break;
      progress = true;
      if (*got == 0) {
        c.peer_eof = true;
        c.session->on_peer_closed();
        break;
      }
      stats_.bytes_in += *got;
      c.session->on_data(Bytes(buf).first(*got));
    }
    if (!progress) break;
    c.last_progress = now;
  }
  stats_.http_requests += std::exchange(c.session->requests, 0);
  stats_.http_errors += std::exchange(c.session->errors, 0);
  if (c.session->failed() || c.stream.error()) {
    finish(it, false, now);
  } else if (c.session->finished() && c.pending_off == c.pending.size()) {
    finish(it, true, now);
  }
}

void ServiceHost::finish(std::map<std::uint32_t, Conn>::iterator it, bool graceful, Instant now) {
  Conn& c = it->second;
  if (auto st = c.stream.stats()) {
    stats_.retransmitted_segs += st->retransmitted_segs;
    stats_.rto_expirations += st->rto_expirations;
    stats_.sack_recoveries += st->sack_recoveries;
    stats_.tlp_probes += st->tlp_probes;
    stats_.recovery_probes += st->recovery_probes;
    stats_.spurious_undos += st->spurious_recoveries + st->spurious_rtos;
    stats_.dsacks_in += st->dsacks_in;
    stats_.mtu_black_holes += st->mtu_black_holes;
    stats_.mtu_probes += st->mtu_probes;
    stats_.mtu_probes_acked += st->mtu_probes_acked;
    stats_.mtu_probes_lost += st->mtu_probes_lost;
  }
  if (graceful) {
    ++stats_.closed;
    std::erase_if(closing_, [&](tcp::ConnId id) { return finished_closing(id); });
    closing_.push_back(c.stream.id());
    (void)c.stream.close(now);
  } else {
    ++stats_.aborted;
    if (c.stream.is_open() && c.stream.state()) (void)c.stream.abort(now);
  }
  conns_.erase(it);
}

void ServiceHost::on_timer(Instant now) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    auto next = std::next(it);
    if (now - it->second.last_progress >= config_.idle_timeout) {
      ++stats_.idle_timeouts;
      finish(it, false, now);
    }
    it = next;
  }
}

std::optional<Instant> ServiceHost::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& [id, c] : conns_) {
    const Instant t = c.last_progress + config_.idle_timeout;
    if (!best || t < *best) best = t;
  }
  return best;
}

void ServiceHost::shutdown(Instant now) {
  shutting_down_ = true;
  for (auto& [id, l] : listeners_) (void)l.listener.close(now);
  listeners_.clear();
  while (!conns_.empty()) finish(conns_.begin(), true, now);
}

bool ServiceHost::finished_closing(tcp::ConnId id) const {
  // Our FIN is acknowledged (FIN-WAIT-2, TIME-WAIT) or the connection is gone:
  // whatever remains is the peer's to close.
  auto s = stack_.tcp().state(id);
  return !s || *s == State::FinWait2 || *s == State::TimeWait || *s == State::Closed;
}

bool ServiceHost::drained() const {
  return std::all_of(closing_.begin(), closing_.end(),
                     [&](tcp::ConnId id) { return finished_closing(id); });
}

}  // namespace synack::services
