#include "synack/stack/ndp.hpp"

#include <algorithm>

namespace synack::stack {

std::string_view to_string(NudState s) {
  switch (s) {
    case NudState::Incomplete:
      return "incomplete";
    case NudState::Reachable:
      return "reachable";
    case NudState::Stale:
      return "stale";
    case NudState::Delay:
      return "delay";
    case NudState::Probe:
      return "probe";
  }
  return "?";
}

NdpCache::NdpCache(const Ipv6Config& config)
    : config_(config),
      reachable_time_(config.base_reachable_time),
      retrans_timer_(config.retrans_timer) {}

std::optional<NdpEntryView> NdpCache::find(const NdpKey& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  return NdpEntryView{e.state, e.mac, e.is_router, e.waiting.size(), e.probes_sent};
}

std::optional<wire::MacAddr> NdpCache::lookup_for_send(const NdpKey& key, Instant now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.mac) return std::nullopt;
  Entry& e = it->second;
  e.last_used = now;
  if (e.state == NudState::Reachable && now >= e.timer) e.state = NudState::Stale;
  // Appendix C: STALE, "sending packet" -> DELAY, start the delay timer.
  if (e.state == NudState::Stale) {
    e.state = NudState::Delay;
    e.timer = now + config_.delay_first_probe;
  }
  return e.mac;
}

// Frees one slot: the least recently used entry that is neither Incomplete (it holds
// frames and a resolution in progress) nor Reachable-and-fresh, else any non-Incomplete.
bool NdpCache::make_room(Instant now) {
  if (entries_.size() < config_.max_neighbors) return true;
  auto victim = entries_.end();
  for (int pass = 0; pass < 2 && victim == entries_.end(); ++pass) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      const Entry& e = it->second;
      if (e.state == NudState::Incomplete) continue;
      bool fresh = e.state == NudState::Reachable && now < e.timer;
      if (pass == 0 && fresh) continue;
      if (victim == entries_.end() || e.last_used < victim->second.last_used) victim = it;
    }
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

NdpCache::Enqueued NdpCache::enqueue(const NdpKey& key, ByteVec frame, Instant now) {
  auto it = entries_.find(key);
  bool start = false;
  if (it == entries_.end()) {
    if (queued_total_ >= config_.max_queued_total) return Enqueued::DropQueueFull;
    if (!make_room(now)) return Enqueued::DropCacheFull;
    Entry e;
    e.last_used = now;
    it = entries_.emplace(key, std::move(e)).first;
    start = true;
  }
  Entry& e = it->second;
  // An entry with a MAC never queues (lookup_for_send gave it); only Incomplete does.
  if (e.waiting.size() >= config_.max_queued_per_neighbor ||
      queued_total_ >= config_.max_queued_total) {
    // RFC 4861 §7.2.2: "When a queue overflows, the new arrival SHOULD replace the
    // oldest entry." We keep the oldest instead (as the ARP cache does): the
    // difference does not matter to a host, and it keeps both caches alike.
    if (start) entries_.erase(it);
    return Enqueued::DropQueueFull;
  }
  e.waiting.push_back(std::move(frame));
  ++queued_total_;
  if (!start) return Enqueued::Queued;
  // Appendix C: no entry, "packet to send" -> create, INCOMPLETE, send multicast NS,
  // start the retransmit timer.
  e.probes_sent = 1;
  e.timer = now + retrans_timer_;
  return Enqueued::SendSolicit;
}

void NdpCache::set_mac(Entry& e, wire::MacAddr mac, std::vector<ByteVec>& released) {
  e.mac = mac;
  e.probes_sent = 0;
  queued_total_ -= e.waiting.size();
  for (auto& f : e.waiting) released.push_back(std::move(f));
  e.waiting.clear();
}

void NdpCache::to_reachable(Entry& e, Instant now) {
  e.state = NudState::Reachable;
  e.timer = now + reachable_time_;
  e.probes_sent = 0;
}

void NdpCache::on_lla(const NdpKey& key, wire::MacAddr mac, Instant now,
                      std::vector<ByteVec>& released, bool is_router) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    // Appendix C: no entry, NS/RS/RA/Redirect with a link-layer address -> create, STALE.
    if (!make_room(now)) return;
    Entry e;
    e.state = NudState::Stale;
    e.mac = mac;
    e.is_router = is_router;
    e.last_used = now;
    entries_.emplace(key, std::move(e));
    return;
  }
  Entry& e = it->second;
  if (is_router) e.is_router = true;
  if (e.state == NudState::Incomplete) {
    // "INCOMPLETE: record link-layer address, send queued packets, -> STALE".
    set_mac(e, mac, released);
    e.state = NudState::Stale;
    return;
  }
  // "!INCOMPLETE, different link-layer address than cached: update, -> STALE";
  // the same address: unchanged.
  if (e.mac != mac) {
    e.mac = mac;
    e.state = NudState::Stale;
    e.probes_sent = 0;
  }
}

NdpCache::AdvertResult NdpCache::on_advert(const NdpKey& key, const Advert& na, Instant now,
                                           std::vector<ByteVec>& released) {
  auto it = entries_.find(key);
  // RFC 4861 §7.2.5: "If no entry exists, the advertisement SHOULD be silently discarded."
  if (it == entries_.end()) return AdvertResult::NoEntry;
  Entry& e = it->second;
  const bool was_router = e.is_router;
  if (e.state == NudState::Incomplete) {
    // "If the advertisement's Target Link-Layer Address option is absent, the receiver
    // discards it" (for an Incomplete entry; on a link with addresses).
    if (!na.target_lla) return AdvertResult::Ignored;
    set_mac(e, *na.target_lla, released);
    if (na.solicited) {
      to_reachable(e, now);
    } else {
      e.state = NudState::Stale;
    }
    e.is_router = na.router;
    return AdvertResult::Updated;
  }
  const bool different = na.target_lla && *na.target_lla != e.mac;
  if (!na.override_ && different) {
    // "If the Override flag is clear and the supplied link-layer address differs from
    // that in the cache ... if the state of the entry is REACHABLE, set it to STALE,
    // but do not update the entry in any other way. Otherwise, ... ignore".
    if (e.state == NudState::Reachable) e.state = NudState::Stale;
    return AdvertResult::Updated;
  }
  // "Override flag set, or the supplied link-layer address is the same as in the
  // cache, or no Target Link-Layer Address option was supplied".
  if (different) e.mac = na.target_lla;
  if (na.solicited) {
    to_reachable(e, now);
  } else if (different) {
    e.state = NudState::Stale;
  }
  e.is_router = na.router;
  return was_router && !na.router ? AdvertResult::RouterCleared : AdvertResult::Updated;
}

bool NdpCache::confirm(const NdpKey& key, Instant now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.mac) return false;
  to_reachable(it->second, now);
  return true;
}

std::size_t NdpCache::remove(const NdpKey& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  std::size_t n = it->second.waiting.size();
  queued_total_ -= n;
  entries_.erase(it);
  return n;
}

void NdpCache::clear_iface(IfaceId iface) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first.iface == iface) {
      queued_total_ -= it->second.waiting.size();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

NdpCache::TimerResult NdpCache::on_timer(Instant now) {
  TimerResult out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (now < e.timer || e.state == NudState::Stale) {
      ++it;
      continue;
    }
    switch (e.state) {
      case NudState::Reachable:
        // "REACHABLE, ReachableTime expires -> STALE".
        e.state = NudState::Stale;
        break;
      case NudState::Delay:
        // "DELAY, delay timeout -> PROBE: send unicast NS probe, start retransmit timer".
        e.state = NudState::Probe;
        e.probes_sent = 1;
        e.timer = now + retrans_timer_;
        out.unicast_solicit.emplace_back(it->first, *e.mac);
        break;
      case NudState::Incomplete:
      case NudState::Probe: {
        const bool incomplete = e.state == NudState::Incomplete;
        const std::uint32_t max =
            incomplete ? config_.max_multicast_solicit : config_.max_unicast_solicit;
        if (e.probes_sent < max) {
          ++e.probes_sent;
          e.timer = now + retrans_timer_;
          if (incomplete) {
            out.multicast_solicit.push_back(it->first);
          } else {
            out.unicast_solicit.emplace_back(it->first, *e.mac);
          }
          break;
        }
        // "Retransmit timeout, N or more retransmissions -> discard entry" (and, for
        // INCOMPLETE, the queued packets).
        ++out.gave_up;
        out.dropped_frames += e.waiting.size();
        queued_total_ -= e.waiting.size();
        it = entries_.erase(it);
        continue;
      }
      case NudState::Stale:
        break;
    }
    ++it;
  }
  return out;
}

std::optional<Instant> NdpCache::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& [key, e] : entries_) {
    if (e.state == NudState::Stale) continue;
    if (!best || e.timer < *best) best = e.timer;
  }
  return best;
}

}  // namespace synack::stack
