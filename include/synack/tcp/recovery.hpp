// Loss recovery's send quantity (DESIGN.md: separate from congestion control).
// NewReno fast recovery, RFC 6582 §3.2 steps 3-5: while a loss is repaired the
// sender may have ssthresh + 3*SMSS in flight, inflated by one SMSS per further
// duplicate ACK (each one says a segment left the network) and deflated by what a
// partial ACK acknowledges. The congestion controller decided ssthresh when the
// congestion event began and sets cwnd again when recovery ends; in between the
// Tcb sends against window().
#pragma once

#include <algorithm>
#include <cstdint>

namespace synack::tcp {

class FastRecovery {
 public:
  bool active() const { return active_; }
  /// The congestion window while recovery is active (bytes).
  std::uint32_t window() const { return window_; }

  /// Step 3: "Set cwnd to ssthresh + 3*SMSS. This artificially 'inflates' the
  /// congestion window by the number of segments (three) that have left the network
  /// and the receiver has buffered."
  void enter(std::uint32_t ssthresh, std::uint32_t mss) {
    active_ = true;
    window_ = ssthresh + 3 * mss;
  }
  /// Step 4: "For each additional duplicate ACK received (after the third), increment
  /// cwnd by SMSS."
  void on_dup_ack(std::uint32_t mss) { window_ += mss; }
  /// Step 5: "deflate the congestion window by the amount of new data acknowledged by
  /// the Cumulative Acknowledgment field. If the partial ACK acknowledges at least one
  /// SMSS of new data, then add back SMSS bytes to the congestion window."
  void on_partial_ack(std::uint32_t acked, std::uint32_t mss) {
    window_ = window_ > acked ? window_ - acked : 0;
    if (acked >= mss) window_ += mss;
    window_ = std::max(window_, mss);
  }
  /// Step 6 (a full ACK) or a timeout ends recovery.
  void exit() { active_ = false; }

 private:
  bool active_ = false;
  std::uint32_t window_ = 0;
};

}  // namespace synack::tcp
