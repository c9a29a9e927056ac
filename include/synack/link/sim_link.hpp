// SimLink: an in-memory, impaired link between two endpoints on a virtual clock.
//
// Sans-I/O like the rest of the stack: the caller passes every Instant, SimLink
// never reads a clock, never sleeps and owns no thread. It models, per direction,
// a sender's serialisation queue (rate limit + tail drop) followed by a path
// that loses, corrupts, duplicates, delays, jitters and reorders frames, all
// drawn from a per-direction seeded stream so that a run is reproducible and
// traffic one way never shifts the impairments of the other way.
//
// Typical loop (two stacks A and B):
//   link.send(End::A, frame, now);                 // A transmitted a frame
//   while (auto d = link.pop_ready(now)) deliver(d->to, d->frame, d->at);
//   auto when = link.next_deadline();              // advance the clock to here
//
// On a real link (TAP) the same class impairs both ways: send outbound frames
// from End::A (deliveries to End::B go to the device) and inbound frames from
// End::B (deliveries to End::A go to the stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/random.hpp"
#include "synack/base/time.hpp"

namespace synack::link {

enum class End : std::uint8_t { A = 0, B = 1 };

constexpr End peer(End e) {
  return e == End::A ? End::B : End::A;
}

// Impairments of one direction. The defaults are a perfect link: no loss, no
// delay, unlimited rate and queue.
struct DirectionConfig {
  double loss = 0;               // probability a frame is lost on the wire (after serialisation)
  Duration delay{0};             // fixed propagation delay
  Duration jitter{0};            // delay varies uniformly in [-jitter, +jitter] (clamped at 0).
                                 // Like netem, jitter larger than the frame gap reorders too.
  double reorder = 0;            // probability a frame is held back an extra random delay
  Duration reorder_hold = 10ms;  // that extra delay is uniform in [1ns, reorder_hold]
  double duplicate = 0;          // probability a second copy is delivered (own delay draw)
  double corrupt = 0;            // probability a copy gets 1..3 distinct random bits flipped
  double ce = 0;  // probability an ECN-capable IP copy is marked CE (RFC 3168 §5, mark_ce)
  std::uint64_t rate_bps = 0;          // serialisation rate; 0 = unlimited
  std::size_t queue_limit_bytes = 0;   // tail drop above this backlog; 0 = no limit
  std::size_t queue_limit_frames = 0;  // tail drop above this backlog; 0 = no limit
  // A hop that cannot carry packets larger than this many bytes (the frame less its
  // 14-byte Ethernet header) and drops them without a word: a router whose ICMP
  // "fragmentation needed" is filtered (an ICMP black hole, RFC 2923 §2.1). 0 = none.
  std::size_t mtu = 0;

  // Probabilities in [0, 1] and no negative durations. SimLink clamps invalid
  // values rather than misbehave, but callers parsing user input should check.
  bool valid() const;
};

// Counters of one direction (frames sent *from* that end).
struct DirectionStats {
  std::uint64_t sent = 0;           // frames handed to send()
  std::uint64_t delivered = 0;      // copies returned by pop_ready() (duplicates count)
  std::uint64_t lost = 0;           // lost on the wire
  std::uint64_t queue_dropped = 0;  // tail-dropped by the serialisation queue
  std::uint64_t duplicated = 0;     // extra copies created
  std::uint64_t corrupted = 0;      // copies with flipped bits
  std::uint64_t reordered = 0;      // copies held back by the reorder impairment
  std::uint64_t ce_marked = 0;      // copies marked CE (DirectionConfig::ce)
  std::uint64_t too_big = 0;        // dropped by the black-hole hop (DirectionConfig::mtu)
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_delivered = 0;
};

// RFC 3168 §5: what a router with active queue management does instead of dropping an
// ECN-capable packet. If `frame` is Ethernet II carrying IPv4 or IPv6 whose ECN field is
// ECT(0) or ECT(1), sets it to CE (for IPv4 updating the header checksum, RFC 1624) and
// returns true; any other frame (Not-ECT, already CE, not IP, truncated) is left alone:
// false.
bool mark_ce(ByteVec& frame);

struct Delivery {
  End to;
  ByteVec frame;
  Instant at;  // the frame's arrival time (<= the `now` passed to pop_ready)
};

class SimLink {
 public:
  explicit SimLink(std::uint64_t seed, DirectionConfig a_to_b = {}, DirectionConfig b_to_a = {});
  // Both directions impaired alike (each still with its own random stream).
  static SimLink symmetric(std::uint64_t seed, const DirectionConfig& both) {
    return SimLink(seed, both, both);
  }

  // Hands a frame to the link at `now`. Calls must not go back in time per direction.
  void send(End from, ByteVec frame, Instant now);

  // Earliest arrival time of a frame still in flight.
  std::optional<Instant> next_deadline() const;

  // The next frame whose arrival time is <= now: in arrival-time order, ties in
  // the order they were scheduled (send order).
  std::optional<Delivery> pop_ready(Instant now);

  std::size_t in_flight() const { return heap_.size(); }
  const DirectionStats& stats(End from) const { return path(from).stats; }
  const DirectionConfig& config(End from) const { return path(from).cfg; }
  // Changes the impairments of one direction from now on (frames in flight keep
  // their arrival times).
  void set_config(End from, const DirectionConfig& cfg);

 private:
  // One frame in the serialisation backlog: when it finishes leaving the sender.
  struct Departure {
    Instant tx_end;
    std::size_t bytes;
  };

  struct Path {
    Path(std::uint64_t seed, const DirectionConfig& c);
    DirectionConfig cfg;
    SeededRandom rng;
    DirectionStats stats;
    // Busy period of the serialiser: bits sent since it last went idle, so that
    // departure times are computed from a total and rounding never accumulates.
    Instant busy_start;
    Instant busy_until;
    std::uint64_t busy_bits = 0;
    std::deque<Departure> backlog;  // tx_end is non-decreasing
    std::size_t backlog_bytes = 0;
  };

  struct InFlight {
    Instant at;
    std::uint64_t order;  // global scheduling order: tie-break for equal `at`
    End to;
    ByteVec frame;
  };
  // Min-heap comparator (std heap functions build a max-heap on `less`).
  static bool later(const InFlight& x, const InFlight& y) {
    return x.at != y.at ? x.at > y.at : x.order > y.order;
  }

  Path& path(End from) { return paths_[static_cast<std::size_t>(from)]; }
  const Path& path(End from) const { return paths_[static_cast<std::size_t>(from)]; }

  static void release_departed(Path& p, Instant now);
  static bool queue_admits(const Path& p, std::size_t bytes);
  static Instant serialise(Path& p, std::size_t bytes, Instant now);
  static Duration path_delay(Path& p);
  static void corrupt(Path& p, ByteVec& frame);
  void schedule_copy(Path& p, End to, ByteVec frame, Instant tx_end);

  Path paths_[2];
  std::vector<InFlight> heap_;
  std::uint64_t next_order_ = 0;
};

}  // namespace synack::link
