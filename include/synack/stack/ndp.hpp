// The IPv6 neighbour cache with Neighbor Unreachability Detection (RFC 4861 §7.3 and
// Appendix C): IPv6 address -> MAC per interface, the five reachability states, a
// bounded queue of frames waiting for resolution. Pure bookkeeping: the Stack sends
// the Neighbor Solicitations that on_timer and enqueue ask for.
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

/// One neighbour: the interface it is on and its IPv6 address.
struct NdpKey {
  IfaceId iface;                                    ///< the link
  wire::Ipv6Addr addr;                              ///< the neighbour's address
  auto operator<=>(const NdpKey&) const = default;  ///< total order (std::map key)
};

/// Neighbour reachability states (RFC 4861 §7.3.2).
enum class NudState : std::uint8_t {
  Incomplete,  ///< resolving: multicast NS sent, no link-layer address yet
  Reachable,   ///< confirmed reachable within ReachableTime
  Stale,       ///< not known reachable; nothing is done until a packet is sent
  Delay,       ///< a packet was sent to a Stale entry; wait for an upper-layer hint
  Probe,       ///< unicast NS sent every RetransTimer to confirm reachability
};
/// "incomplete", "reachable", ... (lower case, as `ip -6 neigh` prints them).
std::string_view to_string(NudState s);

/// A read-only view of one entry (NdpCache::find).
struct NdpEntryView {
  NudState state = NudState::Incomplete;  ///< the reachability state
  std::optional<wire::MacAddr> mac;       ///< unset while Incomplete
  bool is_router = false;                 ///< the IsRouter flag (RFC 4861 §7.3.2)
  std::size_t queued = 0;                 ///< frames waiting (Incomplete only)
  std::uint32_t probes_sent = 0;          ///< solicitations sent in Incomplete or Probe
};

/// The neighbour cache of RFC 4861 (one for all interfaces). Memory is bounded by
/// Ipv6Config::max_neighbors and the queue bounds; a full cache evicts a Stale entry (the
/// least recently used), never an Incomplete one holding frames.
class NdpCache {
 public:
  /// Copies the bounds and timers of `config`; ReachableTime starts at the base value
  /// (the Stack sets the randomised one with set_reachable_time).
  explicit NdpCache(const Ipv6Config& config);

  /// ReachableTime (RFC 4861 §6.3.2: randomised by the caller).
  void set_reachable_time(Duration d) { reachable_time_ = d; }
  /// RetransTimer (from an RA, RFC 4861 §6.3.4).
  void set_retrans_timer(Duration d) { retrans_timer_ = d; }
  Duration reachable_time() const { return reachable_time_; }  ///< the current ReachableTime
  Duration retrans_timer() const { return retrans_timer_; }    ///< the current RetransTimer

  /// The entry for `key`, or nullopt.
  std::optional<NdpEntryView> find(const NdpKey& key) const;

  /// Sending a packet to `key`: its MAC if the entry has one (Reachable, Stale, Delay,
  /// Probe). A Stale entry moves to Delay (RFC 4861 §7.3.3). nullopt: call enqueue.
  std::optional<wire::MacAddr> lookup_for_send(const NdpKey& key, Instant now);

  /// What enqueue did.
  enum class Enqueued : std::uint8_t {
    SendSolicit,    ///< a new Incomplete entry: send the first multicast NS now
    Queued,         ///< queued behind a resolution in progress
    DropQueueFull,  ///< per-neighbour or total queue full: frame dropped
    DropCacheFull,  ///< no room for a new entry: frame dropped
  };
  /// Holds a frame (Ethernet header still to be written) until `key` resolves.
  Enqueued enqueue(const NdpKey& key, ByteVec frame, Instant now);

  /// A Neighbor Solicitation (or RS, RA, Redirect) from `key` carried its link-layer
  /// address `mac` (RFC 4861 §7.2.3, Appendix C): created or updated, Stale if new or
  /// changed. `is_router`: set the IsRouter flag (an RA). Frames waiting for it go to
  /// `released`.
  void on_lla(const NdpKey& key, wire::MacAddr mac, Instant now, std::vector<ByteVec>& released,
              bool is_router = false);

  /// A Neighbor Advertisement's facts (RFC 4861 §4.4).
  struct Advert {
    std::optional<wire::MacAddr> target_lla;  ///< the Target Link-Layer Address option
    bool solicited = false;                   ///< S flag
    bool override_ = false;                   ///< O flag
    bool router = false;                      ///< R flag
  };
  /// What on_advert did.
  enum class AdvertResult : std::uint8_t {
    NoEntry,        ///< no entry: ignored (RFC 4861 §7.2.5: no entry is created)
    Ignored,        ///< an Incomplete entry and no link-layer address: ignored
    Updated,        ///< the entry was processed (Appendix C)
    RouterCleared,  ///< processed, and the IsRouter flag went from true to false
  };
  /// RFC 4861 §7.2.5 and Appendix C. Frames waiting for the entry go to `released`.
  AdvertResult on_advert(const NdpKey& key, const Advert& na, Instant now,
                         std::vector<ByteVec>& released);

  /// Upper-layer reachability confirmation (RFC 4861 §7.3.1, e.g. TCP acknowledging new
  /// data): an entry with a MAC becomes Reachable. False if there is none.
  bool confirm(const NdpKey& key, Instant now);

  /// Forgets `key` (and drops frames waiting for it); returns how many frames it held.
  std::size_t remove(const NdpKey& key);

  /// What on_timer asks the Stack to do.
  struct TimerResult {
    std::vector<NdpKey> multicast_solicit;  ///< Incomplete: retransmit the multicast NS
    /// Probe: send a unicast NS to this MAC.
    std::vector<std::pair<NdpKey, wire::MacAddr>> unicast_solicit;
    std::uint64_t gave_up = 0;         ///< entries deleted after their solicitations
    std::uint64_t dropped_frames = 0;  ///< frames that were waiting for them
  };
  /// Runs the state timers: Incomplete retransmissions, Reachable -> Stale, Delay ->
  /// Probe, Probe retransmissions, and deletion after the last solicitation.
  TimerResult on_timer(Instant now);
  std::optional<Instant> next_deadline() const;  ///< the earliest state timer

  std::size_t size() const { return entries_.size(); }        ///< entries, all states
  std::size_t queued_total() const { return queued_total_; }  ///< frames waiting
  /// Drops every entry of `iface` (IPv6 turned off or its link-local lost).
  void clear_iface(IfaceId iface);

 private:
  struct Entry {
    NudState state = NudState::Incomplete;
    std::optional<wire::MacAddr> mac;
    bool is_router = false;
    std::uint32_t probes_sent = 0;
    Instant timer;  // Incomplete/Probe: next retransmission; Reachable: -> Stale; Delay: -> Probe
    Instant last_used;  // eviction order
    std::deque<ByteVec> waiting;
  };
  bool make_room(Instant now);
  void set_mac(Entry& e, wire::MacAddr mac, std::vector<ByteVec>& released);
  void to_reachable(Entry& e, Instant now);

  Ipv6Config config_;
  Duration reachable_time_;
  Duration retrans_timer_;
  std::map<NdpKey, Entry> entries_;
  std::size_t queued_total_ = 0;
};

}  // namespace synack::stack
