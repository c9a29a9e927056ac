#include "synack/tcp/congestion.hpp"

#include <algorithm>

namespace synack::tcp {

namespace {
// RFC 5681 §3.1 eq. (4): "ssthresh = max (FlightSize / 2, 2*SMSS)".
std::uint32_t half_flight(std::uint32_t flight, std::uint32_t mss) {
  return std::max(flight / 2, 2 * mss);
}
}  // namespace

NewReno::NewReno(std::uint32_t mss, std::uint32_t initial_window_segments)
    : mss_(mss), cwnd_(initial_window_segments * mss) {}

void NewReno::set_mss(std::uint32_t mss) {
  // Keep the window in segments when the MSS changes (e.g. after the handshake).
  const std::uint32_t segs = std::max<std::uint32_t>(1, cwnd_ / std::max<std::uint32_t>(1, mss_));
  mss_ = mss;
  cwnd_ = segs * mss;
}

void NewReno::on_ack(std::uint32_t acked, std::uint32_t flight_before) {
  // RFC 5681 §3.1: only grow when the window was actually used.
  if (flight_before + mss_ < cwnd_ && cwnd_ >= ssthresh_) return;
  if (cwnd_ < ssthresh_) {
    // Slow start: "cwnd += min (N, SMSS)" (eq. 2).
    cwnd_ += std::min(acked, mss_);
  } else {
    // Congestion avoidance: about one SMSS per RTT (eq. 3, byte counting).
    ca_acc_ += acked;
    if (ca_acc_ >= cwnd_) {
      ca_acc_ -= cwnd_;
      cwnd_ += mss_;
    }
  }
}

void NewReno::on_loss(std::uint32_t flight) {
  // RFC 6582 §3.2 step 2/3: ssthresh per eq. (4), "cwnd = ssthresh + 3*SMSS".
  ssthresh_ = half_flight(flight, mss_);
  cwnd_ = ssthresh_ + 3 * mss_;
  ca_acc_ = 0;
}

void NewReno::on_dup_ack_in_recovery() {
  cwnd_ += mss_;
}  // step 4: inflate

void NewReno::on_partial_ack(std::uint32_t acked) {
  // RFC 6582 §3.2 step 5: "deflate the congestion window by the amount of new data
  // acknowledged ... then add back SMSS bytes".
  cwnd_ = (cwnd_ > acked ? cwnd_ - acked : 0) + mss_;
  cwnd_ = std::max(cwnd_, mss_);
}

void NewReno::on_recovery_exit(std::uint32_t flight) {
  // Step 6: "Set cwnd to either (1) min (ssthresh, max(FlightSize, SMSS) + SMSS)".
  cwnd_ = std::min(ssthresh_, std::max(flight, mss_) + mss_);
}

void NewReno::on_rto(std::uint32_t flight) {
  // RFC 5681 §3.1: ssthresh per eq. (4) and "cwnd to no more than ... 1 full-sized segment".
  ssthresh_ = half_flight(flight, mss_);
  cwnd_ = mss_;
  ca_acc_ = 0;
}

}  // namespace synack::tcp
