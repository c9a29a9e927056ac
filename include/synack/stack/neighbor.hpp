// The ARP neighbour cache (RFC 826, RFC 1122 §2.3.2): IPv4 address -> MAC per
// interface, with expiry, request retry, and a bounded queue of frames waiting
// for resolution. Pure bookkeeping: the Stack sends the ARP packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/config.hpp"
#include "synack/stack/types.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

struct NeighborKey {
  IfaceId iface;
  wire::Ipv4Addr addr;
  auto operator<=>(const NeighborKey&) const = default;
};

class NeighborCache {
 public:
  explicit NeighborCache(const NeighborConfig& config) : config_(config) {}

  /// The MAC for `key` if resolved and not expired at `now`.
  std::optional<wire::MacAddr> lookup(NeighborKey key, Instant now) const;

  enum class Enqueued : std::uint8_t {
    SendRequest,    ///< queued; a new resolution started: send the first ARP request now
    Queued,         ///< queued behind a resolution already in progress
    DropQueueFull,  ///< per-neighbour or total wait queue full: frame dropped
    DropCacheFull,  ///< no room for a new entry: frame dropped
  };
  /// Holds a frame (Ethernet header still to be written) until `key` resolves.
  Enqueued enqueue(NeighborKey key, ByteVec frame, Instant now);

  /// RFC 826: "If the pair <protocol type, sender protocol address> is already in
  /// my translation table, update the sender hardware address field". Returns
  /// false if there was no entry. Frames waiting for it are appended to `released`.
  bool update(NeighborKey key, wire::MacAddr mac, Instant now, std::vector<ByteVec>& released);
  /// Creates or updates an entry (the "add the triplet" step of RFC 826).
  void insert(NeighborKey key, wire::MacAddr mac, Instant now, std::vector<ByteVec>& released);

  /// MUST-20 negative advice from TCP (RFC 1122 §3.3.1.4 dead-gateway detection): a
  /// resolved entry stops being trusted at `now`, so the next packet to it starts a
  /// new ARP resolution. Returns false if `key` had no resolved, unexpired entry.
  bool mark_stale(NeighborKey key, Instant now);

  struct TimerResult {
    std::vector<NeighborKey> resend;   ///< pending addresses due for another request
    std::uint64_t gave_up = 0;         ///< addresses dropped after max_requests
    std::uint64_t dropped_frames = 0;  ///< frames that were waiting for them
  };
  /// Retries or abandons pending resolutions, forgets expired entries.
  TimerResult on_timer(Instant now);
  std::optional<Instant> next_deadline() const;

  std::size_t size() const { return entries_.size(); }
  std::size_t queued_total() const { return queued_total_; }
  bool pending(NeighborKey key) const;

 private:
  struct Entry {
    std::optional<wire::MacAddr> mac;  ///< unset while resolving
    Instant expires;                   ///< resolved: trusted until then
    std::uint32_t requests_sent = 0;   ///< resolving
    Instant next_request;              ///< resolving: when to retry or give up
    std::deque<ByteVec> waiting;       ///< resolving: frames to send once resolved
  };

  /// Frees a slot if the cache is full. live_too: a resolved entry that has not
  /// expired may go (a confirmed mapping arriving); otherwise only expired ones
  /// (a new, unconfirmed address must not push out a neighbour in use).
  bool make_room(Instant now, bool live_too);
  void resolve(Entry& e, wire::MacAddr mac, Instant now, std::vector<ByteVec>& released);

  NeighborConfig config_;
  std::map<NeighborKey, Entry> entries_;
  std::size_t queued_total_ = 0;
};

}  // namespace synack::stack
