// Explicit Congestion Notification for TCP, RFC 3168 §6.1: the ECN-setup handshake,
// ECT(0) on new data, the receiver's ECE echo of CE marks until CWR, and the sender's
// one window reduction per window of data in answer to ECE.
#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

namespace {
using wire::TcpFlags;
}  // namespace

std::uint8_t Tcb::ecn_syn_flags() const {
  // §6.1.1: an ECN-setup SYN has ECE and CWR set, an ECN-setup SYN-ACK ECE set and
  // CWR not set. The SYN keeps them when retransmitted: a host "MUST NOT set ECT on
  // data packets unless it ... has sent no non-ECN-setup SYN or non-ECN-setup SYN-ACK
  // packet".
  if (state_ == State::SynSent) {
    return opts_->ecn == EcnMode::On ? TcpFlags::kEce | TcpFlags::kCwr : 0;
  }
  return ecn_ok_ && passive_open_ ? TcpFlags::kEce : 0;
}

void Tcb::ecn_on_syn(bool ece, bool cwr) {
  if (passive_open_) {
    // §6.1.1: a SYN with ECE and CWR set is an ECN-setup SYN; we answer with an
    // ECN-setup SYN-ACK unless ECN is off for the listener.
    ecn_ok_ = opts_->ecn != EcnMode::Off && ece && cwr;
  } else {
    // §6.1.1: only an ECN-setup SYN-ACK (ECE set, CWR not set) agrees; a SYN-ACK with
    // both set is not one (a peer or middlebox that reflects the SYN's flags), so no
    // ECT may follow it.
    ecn_ok_ = opts_->ecn == EcnMode::On && ece && !cwr;
  }
  if (ecn_ok_) ++ctx_.stats.ecn_connections;
}

void Tcb::ecn_on_arrival(const Seg& seg) {
  if (!ecn_ok_) return;
  // §6.1.3: "the data receiver ... sets the ECE flag in every ACK packet it sends
  // until it receives a CWR packet" — the CWR first, so that a segment with both CWR
  // and CE starts a new echo.
  if (seg.cwr) ecn_ece_ = false;
  // "If the CE codepoint is set on a received data packet, the receiving TCP ... sets
  // the ECE flag". The ACK leaves at once (as Linux's quick ACK): the sender learns of
  // the congestion one delayed-ACK time sooner.
  if (seg.ecn == wire::Ecn::Ce && !seg.data.empty()) {
    ecn_ece_ = true;
    ack_now_ = true;
    ++extra_w().counts.ce_in;
    ++ctx_.stats.ecn_ce_in;
  }
}

void Tcb::ecn_on_ece(std::uint32_t flight_before, Instant now) {
  ++extra_w().counts.ece_in;
  if (loss_)
    loss_->cc_undo_
        .reset();  // congestion the network reported: no reduction of this episode is undone
  ++ctx_.stats.ecn_ece_in;
  // §6.1.2: "the TCP source halves the congestion window "cwnd" and reduces the slow
  // start threshold "ssthresh"" — but "TCP should not react to congestion indications
  // more than once every window of data", so not again for the window already
  // answered (its ECEs keep coming until our CWR reaches the peer) nor during loss
  // recovery (the loss already reduced the window).
  if (ecn_cwr_ || (extra().ecn_high_ && seq_le(snd_una_, *extra().ecn_high_))) return;
  if (sack_recovery_ || recovery_.active() || seq_lt(snd_una_, recover_)) {
    // The loss already halved the window: only tell the peer (CWR), as Linux does.
    extra_w().ecn_high_ = recover_;
    ecn_cwr_ = true;
    return;
  }
  // The window reduction of a congestion event, without any retransmission: the
  // FlightSize is the data outstanding before this ACK (the data the CE mark was on).
  cc_.on_congestion_event(flight_before, now);
  extra_w().ecn_high_ = snd_max_;
  ecn_cwr_ = true;
  ++extra_w().counts.ecn_cwnd_reductions;
  ++ctx_.stats.ecn_cwnd_reductions;
}

wire::Ecn Tcb::ecn_on_send(std::uint8_t& flags, bool new_data) {
  if (!ecn_ok_ || (flags & TcpFlags::kSyn)) return wire::Ecn::NotEct;
  // §6.1.3: ECE "in every ACK packet" until the peer's CWR arrives.
  if (ecn_ece_ && (flags & TcpFlags::kAck)) flags |= TcpFlags::kEce;
  // §6.1.5/§6.1.6: ECT only on new data — "pure acknowledgement packets", window
  // probes and retransmitted packets "MUST NOT" be ECT (RST and SYN are not either).
  // §6.1.2: "When an ECN-Capable TCP sender reduces its congestion window for any
  // reason (because of a retransmit timeout, a Fast Retransmit, or in response to an
  // ECN Notification), the TCP sender sets the CWR flag in the TCP header of the first
  // new data packet sent after the window reduction". Timeouts of the handshake, before
  // the first segment here, reduce nothing.
  const std::uint64_t losses = extra_w().counts.fast_retransmits + extra_w().counts.rto_expirations;
  if (extra().ecn_losses_ != kNoLosses && extra().ecn_losses_ != losses) ecn_cwr_ = true;
  extra_w().ecn_losses_ = losses;
  if (!new_data) return wire::Ecn::NotEct;
  if (ecn_cwr_) {
    flags |= TcpFlags::kCwr;
    ecn_cwr_ = false;
  }
  return wire::Ecn::Ect0;
}

}  // namespace synack::tcp
