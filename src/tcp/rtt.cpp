#include "synack/tcp/rtt.hpp"

#include <algorithm>

namespace synack::tcp {

void RttEstimator::sample(Duration r) {
  if (r < Duration{0}) return;
  latest_ = r;
  ++samples_;
  if (!has_sample_) {
    // RFC 6298 (2.2): "SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max (G, K*RTTVAR)"
    srtt_ = r;
    rttvar_ = r / 2;
    has_sample_ = true;
  } else {
    // RFC 6298 (2.3): "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|,
    //                  SRTT <- (1 - alpha) * SRTT + alpha * R'" with alpha=1/8, beta=1/4.
    const Duration err = srtt_ > r ? srtt_ - r : r - srtt_;
    rttvar_ = (rttvar_ * 3 + err) / 4;
    srtt_ = (srtt_ * 7 + r) / 8;
  }
  // Clock granularity G: we measure in nanoseconds, but timestamps tick in ms.
  const Duration g = std::chrono::milliseconds(1);
  rto_ = srtt_ + std::max(g, rttvar_ * 4);
  // RFC 6298 (5.7) lets a new sample collapse the backoff.
  backoff_shift_ = 0;
}

void RttEstimator::restart_after_syn_timeout() {
  backoff_shift_ = 0;
  if (!has_sample_) rto_ = std::max(rto_, Duration(std::chrono::seconds(3)));
}

void RttEstimator::backoff() {
  if (rto() < max()) ++backoff_shift_;
}

Duration RttEstimator::base_rto() const {
  // RFC 6298 (2.4): "Whenever RTO is computed, if it is less than 1 second, then
  // the RTO SHOULD be rounded up to 1 second" (min configurable); (2.5) a maximum.
  return std::clamp(rto_, min(), max());
}

Duration RttEstimator::rto() const {
  Duration r = base_rto();
  const Duration top = max();
  for (int i = 0; i < backoff_shift_ && r < top; ++i) r *= 2;
  return std::min(r, top);
}

Duration backoff_span(std::uint32_t retransmissions, Duration base, Duration max) {
  base = std::max(base, Duration{1});
  max = std::max(max, base);
  Duration total{0};
  Duration rto = base;
  std::uint64_t i = 0;
  // Doubling phase: at most ~63 steps before the RTO reaches the maximum.
  for (; i <= retransmissions && rto < max; ++i) {
    total += rto;
    rto = rto > max / 2 ? max : rto * 2;
  }
  // The remaining timeouts all last the maximum.
  const std::uint64_t rest = retransmissions + std::uint64_t{1} - i;
  if (rest > 0) {
    const auto room = static_cast<std::uint64_t>((Duration::max() - total) / max);
    if (rest > room) return Duration::max();
    total += max * static_cast<Duration::rep>(rest);
  }
  return total;
}

}  // namespace synack::tcp
