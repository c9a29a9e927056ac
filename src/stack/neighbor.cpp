#include "synack/stack/neighbor.hpp"

#include <algorithm>

namespace synack::stack {

std::optional<wire::MacAddr> NeighborCache::lookup(NeighborKey key, Instant now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.mac || now >= it->second.expires) return std::nullopt;
  return it->second.mac;
}

bool NeighborCache::pending(NeighborKey key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && !it->second.mac;
}

// Frees one slot: an expired entry if any, else the resolved entry closest to
// expiry. Pending entries are never evicted (they hold queued frames).
bool NeighborCache::make_room(Instant now, bool live_too) {
  if (entries_.size() < config_.max_entries) return true;
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!it->second.mac) continue;
    if (now >= it->second.expires) {
      victim = it;
      break;
    }
    if (!live_too) continue;
    if (victim == entries_.end() || it->second.expires < victim->second.expires) victim = it;
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

NeighborCache::Enqueued NeighborCache::enqueue(NeighborKey key, ByteVec frame, Instant now) {
  auto it = entries_.find(key);
  bool start = false;
  if (it == entries_.end()) {
    // A flood of packets to unknown (e.g. spoofed) addresses: refuse before touching
    // the cache, and never at the expense of a resolved neighbour still in use.
    if (queued_total_ >= config_.max_queued_total) return Enqueued::DropQueueFull;
    if (!make_room(now, false)) return Enqueued::DropCacheFull;
    it = entries_.emplace(key, Entry{}).first;
    start = true;
  } else if (it->second.mac) {
    // A resolved entry past its lifetime: resolve again (RFC 1122 §2.3.2.1 allows
    // any flushing policy; we re-request rather than trust a stale mapping).
    it->second = Entry{};
    start = true;
  }
  Entry& e = it->second;
  if (e.waiting.size() >= config_.max_queued_per_neighbor ||
      queued_total_ >= config_.max_queued_total) {
    if (start && e.waiting.empty()) entries_.erase(it);
    return Enqueued::DropQueueFull;
  }
  e.waiting.push_back(std::move(frame));
  ++queued_total_;
  if (!start) return Enqueued::Queued;
  e.requests_sent = 1;
  e.next_request = now + config_.retry_interval;
  return Enqueued::SendRequest;
}

void NeighborCache::resolve(Entry& e, wire::MacAddr mac, Instant now,
                            std::vector<ByteVec>& released) {
  e.mac = mac;
  e.expires = now + config_.reachable_time;
  e.requests_sent = 0;
  queued_total_ -= e.waiting.size();
  for (auto& f : e.waiting) released.push_back(std::move(f));
  e.waiting.clear();
}

bool NeighborCache::update(NeighborKey key, wire::MacAddr mac, Instant now,
                           std::vector<ByteVec>& released) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  resolve(it->second, mac, now, released);
  return true;
}

void NeighborCache::insert(NeighborKey key, wire::MacAddr mac, Instant now,
                           std::vector<ByteVec>& released) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (!make_room(now, true)) return;
    it = entries_.emplace(key, Entry{}).first;
  }
  resolve(it->second, mac, now, released);
}

bool NeighborCache::mark_stale(NeighborKey key, Instant now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.mac || now >= it->second.expires) return false;
  // Expired rather than erased: enqueue() then restarts resolution for it (and the
  // entry keeps its slot, so a full cache cannot refuse the re-resolution).
  it->second.expires = now;
  return true;
}

NeighborCache::TimerResult NeighborCache::on_timer(Instant now) {
  TimerResult out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (e.mac) {
      it = now >= e.expires ? entries_.erase(it) : std::next(it);
      continue;
    }
    if (now < e.next_request) {
      ++it;
      continue;
    }
    if (e.requests_sent < config_.max_requests) {
      ++e.requests_sent;
      e.next_request = now + config_.retry_interval;
      out.resend.push_back(it->first);
      ++it;
      continue;
    }
    // RFC 1122 §2.3.2.1: give up after a bounded number of tries; the waiting
    // packets are discarded.
    ++out.gave_up;
    out.dropped_frames += e.waiting.size();
    queued_total_ -= e.waiting.size();
    it = entries_.erase(it);
  }
  return out;
}

std::optional<Instant> NeighborCache::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& [key, e] : entries_) {
    if (e.mac) continue;  // expiry is checked lazily; no need to wake up for it
    if (!best || e.next_request < *best) best = e.next_request;
  }
  return best;
}

}  // namespace synack::stack
