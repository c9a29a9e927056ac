// A connection's timers as one value: RFC 9293 §3.8's retransmission, persist,
// delayed-ACK, keep-alive and TIME-WAIT timers, RFC 8985's reordering and probe
// timeouts, and the FIN-WAIT-2 timeout. Which of them may run together is decided
// here, not by convention in the Tcb:
//  - the retransmission and persist timers share one slot: the persist timer runs
//    while the window keeps data from being sent, the RTO while data is in flight
//    (RFC 9293 §3.8.6.1, RFC 6298 (5.1)/(5.2)); arming one stops the other;
//  - the probe timeout rides on the retransmission timer (RFC 8985 §7.2: never later
//    than the RTO), so arming the persist timer stops it too;
//  - keep-alive, FIN-WAIT-2 and TIME-WAIT share one slot: each belongs to its own
//    state; TIME-WAIT also stops every timer of the sending side;
//  - the delayed ACK and the reordering timer run on their own.
// Five instants (40 B) where eight optionals took 128 B.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "synack/base/time.hpp"

namespace synack::tcp {

enum class Timer : std::uint8_t {
  Retransmit,  ///< RFC 6298
  Persist,     ///< RFC 9293 §3.8.6.1 zero-window probes
  Probe,       ///< RFC 8985 §7.2 probe timeout (tail loss probe)
  Reorder,     ///< RFC 8985 §6.3 reordering timer
  DelayedAck,  ///< RFC 9293 §3.8.6.3
  Keepalive,   ///< RFC 9293 §3.8.4
  FinWait2,    ///< the FIN-WAIT-2 timeout of a closed socket
  TimeWait,    ///< RFC 9293 §3.10.8: 2·MSL
};

class TcbTimers {
 public:
  TcbTimers() { at_.fill(Instant::zero()); }

  bool armed(Timer t) const {
    const Slot s = slot(t);
    return (armed_ & bit(s)) != 0 && (s != kSend || send_ == t) && (s != kLife || life_ == t);
  }
  /// When `t` fires; armed(t) must hold.
  Instant at(Timer t) const { return at_[slot(t)]; }
  std::optional<Instant> get(Timer t) const {
    return armed(t) ? std::optional<Instant>(at(t)) : std::nullopt;
  }
  bool due(Timer t, Instant now) const { return armed(t) && now >= at(t); }

  void set(Timer t, Instant when) {
    const Slot s = slot(t);
    if (t == Timer::Persist) cancel(Timer::Probe);
    if (t == Timer::TimeWait) {
      armed_ &= static_cast<std::uint8_t>(~(bit(kSend) | bit(kProbe) | bit(kReorder)));
    }
    if (s == kSend) send_ = t;
    if (s == kLife) life_ = t;
    at_[s] = when;
    armed_ |= bit(s);
  }
  void cancel(Timer t) {
    if (armed(t)) armed_ &= static_cast<std::uint8_t>(~bit(slot(t)));
  }
  void cancel_all() { armed_ = 0; }
  /// The earliest armed timer's deadline.
  std::optional<Instant> next() const {
    std::optional<Instant> n;
    for (std::size_t s = 0; s < kSlots; ++s) {
      if ((armed_ & bit(static_cast<Slot>(s))) && (!n || at_[s] < *n)) n = at_[s];
    }
    return n;
  }

 private:
  enum Slot : std::uint8_t { kSend, kProbe, kReorder, kDelack, kLife, kSlots };
  static Slot slot(Timer t) {
    switch (t) {
      case Timer::Retransmit:
      case Timer::Persist:
        return kSend;
      case Timer::Probe:
        return kProbe;
      case Timer::Reorder:
        return kReorder;
      case Timer::DelayedAck:
        return kDelack;
      case Timer::Keepalive:
      case Timer::FinWait2:
      case Timer::TimeWait:
        break;
    }
    return kLife;
  }
  static std::uint8_t bit(Slot s) { return static_cast<std::uint8_t>(1u << s); }

  std::array<Instant, kSlots> at_;
  std::uint8_t armed_ = 0;          ///< one bit per slot
  Timer send_ = Timer::Retransmit;  ///< which timer kSend holds
  Timer life_ = Timer::Keepalive;   ///< which timer kLife holds
};

}  // namespace synack::tcp
