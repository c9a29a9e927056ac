// Packetization-layer path MTU discovery (RFC 4821) for TCP.
//
// ICMP "fragmentation needed" (RFC 1191, Tcb::on_icmp_error) only helps where routers
// send it and firewalls let it through. Where they do not, a path that cannot carry
// our packets drops every full-sized segment without a word: an ICMP black hole. TCP
// sees only timeouts. RFC 4821 lets TCP find the packet size itself:
//
//   - black-hole detection (§7.3, as Linux's tcp_mtu_probing = 1): when R1 timeouts in
//     a row meet the same data (where RFC 1122 §4.2.3.5 says to pass negative advice
//     to IP), segments are cut for a base packet size (search_low: an MSS of
//     TcpConfig::mtu_probe_base_mss) and each further timeout halves it;
//   - probing (§7.4-7.6): a binary search between search_low (known to get through) and
//     search_high (not yet ruled out). One segment of the probed size is sent with new
//     data behind it; its acknowledgement raises search_low, its retransmission (it was
//     lost: resent in pieces of the old size) lowers search_high below it.
//   - §7.7: a finished search starts again after TcpConfig::mtu_reprobe_interval, in
//     case the path grew.
#include <algorithm>
#include <limits>

#include "synack/tcp/tcb.hpp"

namespace synack::tcp {
namespace {

// Black-hole halving stops here: every IPv4 host takes 576-byte datagrams (RFC 791,
// RFC 1122 §3.3.3), every IPv6 link 1280-byte packets (RFC 8200 §5), and a path
// narrower than that is not worth a smaller segment.
constexpr std::uint16_t kFloorMtu = 576;
constexpr std::uint16_t kFloorMtu6 = 1280;
// The probe goes only with a full window behind it (Linux: cwnd of at least 11 segments)
// and three segments of new data after it, so its loss shows as duplicate ACKs.
constexpr std::uint32_t kProbeMinCwndSegs = 11;
constexpr std::uint32_t kProbeTrailingSegs = 3;

}  // namespace

std::uint16_t Tcb::packet_mtu() const {
  return extra().plpmtud_on_ ? std::min(path_mtu_, extra().plpmtud_low_) : path_mtu_;
}

std::uint16_t Tcb::plpmtud_base() const {
  // Over IPv6 the base is never below the 1280 bytes every IPv6 path carries (RFC 8200
  // §5; RFC 8899 §5.1.2's BASE_PLPMTU): a smaller packet cannot get through where 1280
  // does not. (Linux uses tcp_base_mss for both families and drops to 1084 bytes.)
  const std::uint32_t base = ctx_.config.mtu_probe_base_mss + headers();
  return static_cast<std::uint16_t>(
      tuple_.remote.addr.is_v4() ? base : std::max<std::uint32_t>(base, kFloorMtu6));
}

void Tcb::plpmtud_start(std::uint16_t low, Instant now) {
  auto& x = extra_w();
  x.plpmtud_on_ = true;
  x.plpmtud_low_ = std::min(low, path_mtu_);
  x.plpmtud_high_ = path_mtu_;
  x.plpmtud_probe_ = 0;
  x.plpmtud_reprobe_at_ = now;
  set_eff_mss();
}

void Tcb::plpmtud_on_rto(Instant now) {
  // A timeout is a real problem: no undo for a probe lost before it.
  if (extra_) extra_->plpmtud_undo_ = false;
  if (ctx_.config.mtu_probing == MtuProbing::Off || rto_count_ < ctx_.config.r1_retransmissions)
    return;
  const std::uint16_t base = plpmtud_base();
  auto& x = extra_w();
  if (!x.plpmtud_on_ || x.plpmtud_low_ > base) {
    // §7.3: the timeouts may be a black hole; segments of the base size get through
    // any sane path. (Linux does the same at R1, tcp_retries1.)
    if (packet_mtu() <= base) return;  // already there: nothing to lower
    plpmtud_start(base, now);
  } else {
    // Still nothing gets through: halve, down to the floor.
    const std::uint16_t floor =
        std::min(tuple_.remote.addr.is_v4() ? kFloorMtu : kFloorMtu6, path_mtu_);
    if (x.plpmtud_low_ <= floor) return;
    x.plpmtud_low_ = std::max(static_cast<std::uint16_t>(x.plpmtud_low_ / 2), floor);
    x.plpmtud_probe_ = 0;
    set_eff_mss();
  }
  ++x.counts.mtu_black_holes;
}

bool Tcb::send_mtu_probe(Instant now) {
  if (!extra().plpmtud_on_ || extra().plpmtud_probe_ != 0) return false;
  // Any synchronized state with data to send (FIN-WAIT-1 too: the application may have
  // closed with much still queued).
  if (state_ == State::SynReceived || !can_send_data()) return false;
  // §7.4: not while recovering from a loss, and only with new data.
  if (sack_recovery_ || rto_recovery_ || recovery_.active() || snd_nxt_ != snd_max_) return false;
  auto& x = extra_w();
  // The peer's MSS bounds what a probe could ever learn.
  const auto cap = static_cast<std::uint16_t>(
      std::min<std::uint32_t>(path_mtu_, std::uint32_t{snd_mss_} + headers()));
  const std::uint16_t threshold = ctx_.config.mtu_probe_threshold;
  if (x.plpmtud_high_ > cap) x.plpmtud_high_ = cap;
  if (x.plpmtud_high_ < x.plpmtud_low_ + threshold) {
    // §7.7: the search is over; after the interval, search upwards again.
    if (now < x.plpmtud_reprobe_at_ || cap < x.plpmtud_low_ + threshold) return false;
    x.plpmtud_high_ = cap;
  }
  const auto probe = static_cast<std::uint16_t>((x.plpmtud_low_ + x.plpmtud_high_ + 1) / 2);
  const std::uint32_t hdr = headers() + (ts_ok_ ? 12u : 0u);
  if (probe <= hdr) return false;
  const std::uint32_t len = probe - hdr;
  if (len <= eff_mss_) return false;
  const std::uint32_t unsent =
      seq_lt(snd_nxt_, data_end()) ? static_cast<std::uint32_t>(data_end() - snd_nxt_) : 0;
  if (unsent < len + kProbeTrailingSegs * eff_mss_) return false;
  if (cwnd() < kProbeMinCwndSegs * eff_mss_) return false;
  const std::uint32_t in_flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
  if (in_flight + len > std::min(snd_wnd_, cwnd())) return false;
  x.plpmtud_probe_ = probe;
  x.plpmtud_probe_start_ = snd_nxt_;
  x.plpmtud_probe_end_ = snd_nxt_ + len;
  ++x.counts.mtu_probes;
  emit(wire::TcpFlags::kAck, snd_nxt_, len, true, now);
  return true;
}

void Tcb::plpmtud_on_ack(Instant now) {
  if (!extra_ || extra_->plpmtud_probe_ == 0 || seq_lt(snd_una_, extra_->plpmtud_probe_end_))
    return;
  // §7.6.1: the probe arrived; packets of its size get through.
  auto& x = *extra_;
  x.plpmtud_low_ = x.plpmtud_probe_;
  x.plpmtud_probe_ = 0;
  if (x.plpmtud_high_ < x.plpmtud_low_ + ctx_.config.mtu_probe_threshold)
    x.plpmtud_reprobe_at_ = now + ctx_.config.mtu_reprobe_interval;
  ++x.counts.mtu_probes_acked;
  set_eff_mss();
}

void Tcb::plpmtud_on_retransmit(SeqNum seq, std::uint32_t len, Instant now) {
  if (!extra_ || extra_->plpmtud_probe_ == 0) return;
  auto& x = *extra_;
  if (!seq_lt(seq, x.plpmtud_probe_end_) || !seq_lt(x.plpmtud_probe_start_, seq + len)) return;
  // §7.6.2: the probe was lost (its bytes go again, cut for the current size). The
  // size is ruled out; the search goes on below it.
  x.plpmtud_high_ = static_cast<std::uint16_t>(x.plpmtud_probe_ - 1);
  x.plpmtud_probe_ = 0;
  x.plpmtud_undo_ = sack_recovery_;
  x.plpmtud_lost_start_ = x.plpmtud_probe_start_;
  x.plpmtud_lost_end_ = x.plpmtud_probe_end_;
  if (x.plpmtud_high_ < x.plpmtud_low_ + ctx_.config.mtu_probe_threshold)
    x.plpmtud_reprobe_at_ = now + ctx_.config.mtu_reprobe_interval;
  ++x.counts.mtu_probes_lost;
}

void Tcb::plpmtud_on_recovery_exit() {
  // §7.6.2: "loss of a probe packet SHOULD NOT be interpreted as an indication of
  // congestion". The probe's loss starts a SACK recovery like any other (its bytes are
  // resent in pieces of the old size); when that recovery ends and every retransmission
  // it made that was not found needless (D-SACK) lay inside the probe, the path only
  // said "too big": the reduction is undone, as RFC 3708 undoes a spurious one.
  if (!extra_ || !extra_->plpmtud_undo_) return;
  extra_->plpmtud_undo_ = false;
  if (!loss().cc_undo_ || loss().undo_rtx_left_ == std::numeric_limits<std::uint32_t>::max())
    return;
  for (const auto& r : loss().undo_ranges_) {
    if (seq_lt(r.start, extra_->plpmtud_lost_start_) || seq_gt(r.end, extra_->plpmtud_lost_end_))
      return;
  }
  undo_reduction();
}

std::uint16_t Tcb::lowered_path_mtu(std::uint16_t current, std::uint16_t mtu, bool v4) {
  const std::uint16_t floor = v4 ? 68 : 1280;
  return std::min(current, std::max(mtu, floor));
}

void Tcb::lower_path_mtu(std::uint16_t mtu) {
  mtu = lowered_path_mtu(path_mtu_, mtu, tuple_.remote.addr.is_v4());
  if (mtu >= path_mtu_) return;
  path_mtu_ = mtu;
  plpmtud_on_path_mtu();
  set_eff_mss();
}

void Tcb::plpmtud_on_path_mtu() {
  if (!extra_ || !extra_->plpmtud_on_) return;
  auto& x = *extra_;
  x.plpmtud_high_ = std::min(x.plpmtud_high_, path_mtu_);
  x.plpmtud_low_ = std::min(x.plpmtud_low_, path_mtu_);
  if (x.plpmtud_probe_ > path_mtu_) x.plpmtud_probe_ = 0;  // ICMP said it was too big
}

}  // namespace synack::tcp
