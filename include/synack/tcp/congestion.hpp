// Congestion control behind a small interface (DESIGN.md): the Tcb reports ACKs,
// fast-retransmit losses and RTO expirations; the controller owns cwnd/ssthresh.
#pragma once

#include <cstdint>
#include <memory>

namespace synack::tcp {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  // `acked` new bytes were cumulatively acknowledged (not during recovery deflation).
  virtual void on_ack(std::uint32_t acked, std::uint32_t flight_before) = 0;
  // Three duplicate ACKs: fast retransmit, enter fast recovery (RFC 5681 §3.2 / RFC 6582).
  virtual void on_loss(std::uint32_t flight) = 0;
  // A further duplicate ACK during fast recovery.
  virtual void on_dup_ack_in_recovery() = 0;
  // A partial ACK in recovery (RFC 6582 §3.2 step 5) of `acked` bytes.
  virtual void on_partial_ack(std::uint32_t acked) = 0;
  // Recovery complete: a full ACK (RFC 6582 §3.2 step 4).
  virtual void on_recovery_exit(std::uint32_t flight) = 0;
  // The retransmission timer expired (RFC 5681 §3.1 eq. 4).
  virtual void on_rto(std::uint32_t flight) = 0;
  virtual void set_mss(std::uint32_t mss) = 0;
  virtual std::uint32_t cwnd() const = 0;
  virtual std::uint32_t ssthresh() const = 0;
};

// RFC 5681 slow start / congestion avoidance plus RFC 6582 NewReno fast recovery.
class NewReno final : public CongestionControl {
 public:
  NewReno(std::uint32_t mss, std::uint32_t initial_window_segments);
  void on_ack(std::uint32_t acked, std::uint32_t flight_before) override;
  void on_loss(std::uint32_t flight) override;
  void on_dup_ack_in_recovery() override;
  void on_partial_ack(std::uint32_t acked) override;
  void on_recovery_exit(std::uint32_t flight) override;
  void on_rto(std::uint32_t flight) override;
  void set_mss(std::uint32_t mss) override;
  std::uint32_t cwnd() const override { return cwnd_; }
  std::uint32_t ssthresh() const override { return ssthresh_; }

 private:
  std::uint32_t mss_;
  std::uint32_t cwnd_;
  std::uint32_t ssthresh_ = 0xffffffffu;  // RFC 5681 §3.1: "arbitrarily high"
  std::uint32_t ca_acc_ = 0;              // bytes acked toward the next +MSS in CA
};

}  // namespace synack::tcp
