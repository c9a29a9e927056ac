#include "synack/link/sim_link.hpp"

#include "synack/base/checksum.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace synack::link {

namespace {

// SplitMix64 finaliser: turns (seed, direction) into well-separated stream
// seeds, so that seed s direction B->A is unrelated to seed s+1 direction A->B.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_seed(std::uint64_t seed, End from) {
  const std::uint64_t salt = from == End::A ? 0x5a1c'0000'0000'00abULL : 0x5a1c'0000'0000'00baULL;
  return mix64(seed ^ mix64(salt));
}

double clamp_probability(double p) {
  return p >= 0 && p <= 1 ? p : (p > 1 ? 1.0 : 0.0);
}
Duration non_negative(Duration d) {
  return d < Duration{0} ? Duration{0} : d;
}

DirectionConfig sanitised(DirectionConfig c) {
  c.loss = clamp_probability(c.loss);
  c.reorder = clamp_probability(c.reorder);
  c.duplicate = clamp_probability(c.duplicate);
  c.corrupt = clamp_probability(c.corrupt);
  c.ce = clamp_probability(c.ce);
  c.delay = non_negative(c.delay);
  c.jitter = non_negative(c.jitter);
  c.reorder_hold = std::max(non_negative(c.reorder_hold), Duration{1});
  return c;
}

bool is_probability(double p) {
  return p >= 0 && p <= 1;
}  // false for NaN too

// Nanoseconds to serialise `bits` at `rate_bps`, rounded up (a frame has not
// left until its last bit has). 128-bit so long busy periods cannot overflow.
std::int64_t serialisation_nanos(std::uint64_t bits, std::uint64_t rate_bps) {
  const unsigned __int128 num = static_cast<unsigned __int128>(bits) * 1'000'000'000u;
  return static_cast<std::int64_t>((num + rate_bps - 1) / rate_bps);
}

constexpr std::size_t kIp = 14;  // the IPv4 header, after the Ethernet II header

// An IPv4 packet with a whole header whose ECN field is ECT(0) or ECT(1).
// The IP version of an Ethernet II frame with a whole fixed IP header: 4, 6, or 0.
int ip_version(const ByteVec& frame) {
  if (frame.size() >= kIp + 20 && load_be16(frame, 12) == 0x0800) {
    const auto vihl = std::to_integer<std::uint8_t>(frame[kIp]);
    const std::size_t ihl = std::size_t{vihl & 0x0fu} * 4;
    return (vihl >> 4) == 4 && ihl >= 20 && frame.size() >= kIp + ihl ? 4 : 0;
  }
  if (frame.size() >= kIp + 40 && load_be16(frame, 12) == 0x86dd &&
      (std::to_integer<std::uint8_t>(frame[kIp]) >> 4) == 6) {
    return 6;
  }
  return 0;
}

// The ECN field: IPv4's TOS byte, or IPv6's Traffic Class (split over bytes 0 and 1).
std::uint8_t ecn_field(const ByteVec& frame, int version) {
  const auto b1 = std::to_integer<std::uint8_t>(frame[kIp + 1]);
  return version == 4 ? b1 & 0b11u : (b1 >> 4) & 0b11u;
}

bool ect(const ByteVec& frame) {
  const int v = ip_version(frame);
  if (v == 0) return false;
  const std::uint8_t ecn = ecn_field(frame, v);
  return ecn == 0b01 || ecn == 0b10;  // Not-ECT stays, CE is CE already
}

}  // namespace

bool mark_ce(ByteVec& frame) {
  if (!ect(frame)) return false;
  if (ip_version(frame) == 6) {  // no header checksum in IPv6
    frame[kIp + 1] |= std::byte{0x30};
    return true;
  }
  const std::uint16_t old_word = load_be16(frame, kIp);  // version/IHL and the TOS byte
  const auto new_word = static_cast<std::uint16_t>(old_word | 0b11u);
  store_be16(frame, kIp, new_word);
  store_be16(frame, kIp + 10, checksum_update16(load_be16(frame, kIp + 10), old_word, new_word));
  return true;
}

bool DirectionConfig::valid() const {
  return is_probability(loss) && is_probability(reorder) && is_probability(duplicate) &&
         is_probability(corrupt) && is_probability(ce) && delay >= Duration{0} &&
         jitter >= Duration{0} && reorder_hold > Duration{0};
}

SimLink::Path::Path(std::uint64_t seed, const DirectionConfig& c) : cfg(sanitised(c)), rng(seed) {}

SimLink::SimLink(std::uint64_t seed, DirectionConfig a_to_b, DirectionConfig b_to_a)
    : paths_{Path(stream_seed(seed, End::A), a_to_b), Path(stream_seed(seed, End::B), b_to_a)} {}

void SimLink::set_config(End from, const DirectionConfig& cfg) {
  path(from).cfg = sanitised(cfg);
}

void SimLink::send(End from, ByteVec frame, Instant now) {
  Path& p = path(from);
  const std::size_t size = frame.size();
  p.stats.sent++;
  p.stats.bytes_sent += size;

  release_departed(p, now);
  constexpr std::size_t kEthernetHeader = 14;
  if (p.cfg.mtu != 0 && size > p.cfg.mtu + kEthernetHeader) {
    p.stats.too_big++;
    return;
  }
  if (!queue_admits(p, size)) {
    p.stats.queue_dropped++;
    return;
  }
  const Instant tx_end = serialise(p, size, now);

  // A lost frame still used the sender's serialisation time: it died on the wire.
  if (p.rng.chance(p.cfg.loss)) {
    p.stats.lost++;
    return;
  }
  if (!p.rng.chance(p.cfg.duplicate)) {
    schedule_copy(p, peer(from), std::move(frame), tx_end);
    return;
  }
  p.stats.duplicated++;
  ByteVec copy = frame;
  schedule_copy(p, peer(from), std::move(frame), tx_end);
  schedule_copy(p, peer(from), std::move(copy), tx_end);
}

// Frames whose last bit has left by `now` no longer count against the queue limit.
void SimLink::release_departed(Path& p, Instant now) {
  while (!p.backlog.empty() && p.backlog.front().tx_end <= now) {
    p.backlog_bytes -= p.backlog.front().bytes;
    p.backlog.pop_front();
  }
}

// Tail drop: the backlog (frames not yet fully serialised, the new one
// included) may hold at most queue_limit_frames frames / queue_limit_bytes bytes.
bool SimLink::queue_admits(const Path& p, std::size_t bytes) {
  const auto& c = p.cfg;
  if (c.queue_limit_frames != 0 && p.backlog.size() + 1 > c.queue_limit_frames) return false;
  if (c.queue_limit_bytes != 0 && p.backlog_bytes + bytes > c.queue_limit_bytes) return false;
  return true;
}

// Returns when the frame's last bit leaves the sender: it waits for the frame
// ahead of it, then takes size*8/rate seconds.
Instant SimLink::serialise(Path& p, std::size_t bytes, Instant now) {
  if (p.cfg.rate_bps == 0) return now;
  if (p.busy_until <= now) {  // the serialiser went idle: start a new busy period
    p.busy_start = now;
    p.busy_bits = 0;
  }
  p.busy_bits += std::uint64_t{bytes} * 8;
  p.busy_until = p.busy_start + Duration{serialisation_nanos(p.busy_bits, p.cfg.rate_bps)};
  p.backlog.push_back({p.busy_until, bytes});
  p.backlog_bytes += bytes;
  return p.busy_until;
}

// Fixed delay plus uniform jitter in [-jitter, +jitter], never negative.
Duration SimLink::path_delay(Path& p) {
  Duration d = p.cfg.delay;
  if (p.cfg.jitter > Duration{0}) {
    const auto span = static_cast<std::uint64_t>(p.cfg.jitter.count()) * 2 + 1;
    d += Duration{static_cast<std::int64_t>(p.rng.below(span)) - p.cfg.jitter.count()};
  }
  return std::max(d, Duration{0});
}

// Flips 1..3 distinct bits anywhere in the frame: the length never changes and
// the frame always differs from the original.
void SimLink::corrupt(Path& p, ByteVec& frame) {
  const std::uint64_t nbits = std::uint64_t{frame.size()} * 8;
  const std::uint64_t want = std::min<std::uint64_t>(1 + p.rng.below(3), nbits);
  std::array<std::uint64_t, 3> picked{};
  std::size_t n = 0;
  while (n < want) {  // terminates: want <= nbits distinct positions exist
    const std::uint64_t bit = p.rng.below(nbits);
    if (std::find(picked.begin(), picked.begin() + n, bit) != picked.begin() + n) continue;
    picked[n++] = bit;
    frame[bit / 8] ^= std::byte(1u << (bit % 8));
  }
}

void SimLink::schedule_copy(Path& p, End to, ByteVec frame, Instant tx_end) {
  // A draw only for ECN-capable copies when ce > 0: runs without `ce` keep their
  // random streams (and so their seeds' outcomes).
  if (p.cfg.ce > 0 && ect(frame) && p.rng.chance(p.cfg.ce)) {
    mark_ce(frame);
    p.stats.ce_marked++;
  }
  if (!frame.empty() && p.rng.chance(p.cfg.corrupt)) {
    p.stats.corrupted++;
    corrupt(p, frame);
  }
  Instant at = tx_end + path_delay(p);
  if (p.rng.chance(p.cfg.reorder)) {
    p.stats.reordered++;
    at += Duration{1 + static_cast<std::int64_t>(
                           p.rng.below(static_cast<std::uint64_t>(p.cfg.reorder_hold.count())))};
  }
  heap_.push_back({at, next_order_++, to, std::move(frame)});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

std::optional<Instant> SimLink::next_deadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at;
}

std::optional<Delivery> SimLink::pop_ready(Instant now) {
  if (heap_.empty() || heap_.front().at > now) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  InFlight f = std::move(heap_.back());
  heap_.pop_back();
  // Stats belong to the direction the frame travelled: it was sent from peer(to).
  DirectionStats& s = path(peer(f.to)).stats;
  s.delivered++;
  s.bytes_delivered += f.frame.size();
  return Delivery{f.to, std::move(f.frame), f.at};
}

}  // namespace synack::link
