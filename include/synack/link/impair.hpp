// Impairment of a real link
// (`--impair loss=P,dup=P,reorder=P,corrupt=P,ce=P,delay=MS,seed=N`).
//
// The kernel here has no netem on the TAP, so a user who wants to see the stack
// under loss impairs it in the stack's own process: every frame the stack sends
// and every frame it receives passes through a SimLink with the same
// DirectionConfig both ways, seeded, so a run is reproducible.
//
// SimLink's convention for a real link: outbound frames are sent from End::A and
// delivered to End::B (the device); inbound frames are sent from End::B and
// delivered to End::A (the stack).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/link/sim_link.hpp"

namespace synack::link {

// Which frames the impairment applies to (`dir=both|in|out`): `in` is what the
// stack receives, `out` what it sends. Default both, as docs/CLI.md describes.
enum class ImpairDirection : std::uint8_t { Both, In, Out };

struct ImpairSpec {
  DirectionConfig config;  // applied to the direction(s) chosen by `direction`
  std::uint64_t seed = 1;
  ImpairDirection direction = ImpairDirection::Both;
  bool operator==(const ImpairSpec& o) const;
};

enum class ImpairErrorCode : std::uint8_t {
  Empty,         // the spec (or one of its comma-separated items) is empty
  MissingValue,  // an item without '=' or with nothing after it
  UnknownKey,    // a key other than loss, dup, reorder, corrupt, ce, delay, jitter, seed, dir
  DuplicateKey,  // the same key twice
  BadNumber,     // the value is not a number of the right kind
  OutOfRange,    // probability outside [0, 1], negative or huge delay
};

struct ImpairError {
  ImpairErrorCode code = ImpairErrorCode::Empty;
  std::string key;    // the offending key ("" if none)
  std::string value;  // the offending value ("" if none)
  // "--impair: loss=1.5: probability must be between 0 and 1"
  std::string message() const;
};

// Keys: loss, dup, reorder, corrupt, ce (probabilities 0..1; ce marks ECT(0)/ECT(1)
// IPv4 packets CE as an ECN router would, RFC 3168 §5: see mark_ce), delay, jitter
// (milliseconds, decimals allowed, at most 60000), seed (unsigned 64-bit), dir
// (both | in | out).
// Every key is optional but at least one must be present.
Result<ImpairSpec, ImpairError> parse_impair(std::string_view spec);

// Where the Impairer hands frames whose time has come.
class ImpairSink {
 public:
  virtual ~ImpairSink() = default;
  virtual void to_device(ByteVec frame, Instant now) = 0;  // outbound, after impairment
  virtual void to_stack(ByteVec frame, Instant now) = 0;   // inbound, after impairment
};

class Impairer {
 public:
  explicit Impairer(const ImpairSpec& spec)
      : link_(spec.seed, spec.direction == ImpairDirection::In ? DirectionConfig{} : spec.config,
              spec.direction == ImpairDirection::Out ? DirectionConfig{} : spec.config) {}

  // A frame the stack transmitted / the device received, at `now`.
  void from_stack(ByteVec frame, Instant now) { link_.send(End::A, std::move(frame), now); }
  void from_device(ByteVec frame, Instant now) { link_.send(End::B, std::move(frame), now); }

  // Hands every frame due at `now` to the sink; returns how many.
  std::size_t release(Instant now, ImpairSink& sink);
  // When release() next has something to hand over.
  std::optional<Instant> next_deadline() const { return link_.next_deadline(); }

  const DirectionStats& outbound() const { return link_.stats(End::A); }
  const DirectionStats& inbound() const { return link_.stats(End::B); }
  std::size_t in_flight() const { return link_.in_flight(); }

 private:
  SimLink link_;
};

}  // namespace synack::link
