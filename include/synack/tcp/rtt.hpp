// Retransmission timeout per RFC 6298: SRTT/RTTVAR, Karn, exponential backoff.
#pragma once

#include <cstdint>

#include "synack/base/time.hpp"

namespace synack::tcp {

/// The time from a first transmission to the expiry of the timer of its
/// `retransmissions`-th retransmission when the RTO starts at `base` and doubles up to
/// `max` (RFC 6298 (5.5), (2.5)): the sum of min(base * 2^i, max) for i = 0..n.
/// Linux's tcp_model_timeout; saturates at Duration::max().
Duration backoff_span(std::uint32_t retransmissions, Duration base, Duration max);

class RttEstimator {
 public:
  /// The bounds are kept in microseconds (32 bits: up to 71 minutes; larger ones are
  /// clamped there), so that the estimator is 40 bytes of every connection, not 64.
  RttEstimator(Duration initial, Duration min, Duration max)
      : rto_(initial), min_us_(to_us(min)), max_us_(to_us(max < min ? min : max)) {}
  /// A valid sample (Karn: never from a retransmitted segment unless timestamped).
  void sample(Duration r);
  /// RFC 6298 (5.5): "set RTO <- RTO * 2" (bounded by the maximum).
  void backoff();
  Duration rto() const;
  /// The RTO before any exponential backoff: SRTT + max(G, 4*RTTVAR) within the bounds.
  Duration base_rto() const;
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return has_sample_; }
  /// The most recent sample and how many there were (congestion control's per-ACK
  /// RTT for HyStart++).
  Duration latest() const { return latest_; }
  /// How many samples so far (wraps at 2^32: callers compare it before and after an ACK).
  std::uint32_t samples() const { return samples_; }
  void reset_backoff() { backoff_shift_ = 0; }
  /// RFC 6298 (5.7): after the SYN (or SYN,ACK) timed out, "the RTO MUST be
  /// re-initialized to 3 seconds when data transmission begins" (without a sample).
  void restart_after_syn_timeout();

 private:
  static std::uint32_t to_us(Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us <= 0 ? 0u : us >= 0xffffffffLL ? 0xffffffffu : static_cast<std::uint32_t>(us);
  }
  Duration min() const { return std::chrono::microseconds(min_us_); }
  Duration max() const { return std::chrono::microseconds(max_us_); }

  Duration srtt_{0};
  Duration rttvar_{0};
  Duration rto_;
  Duration latest_{0};
  std::uint32_t min_us_;
  std::uint32_t max_us_;
  std::uint32_t samples_ = 0;
  std::uint8_t backoff_shift_ = 0;
  bool has_sample_ = false;
};

}  // namespace synack::tcp
