// Congestion control (DESIGN.md): how much may be in flight — slow start, congestion
// avoidance, the reaction to a congestion event, ssthresh. Loss recovery (which
// segments to resend and how much to send while repairing a loss) is the Tcb's, in
// recovery.hpp; the controller only hears that a congestion event happened, that
// recovery ended, or that the retransmission timer expired.
//
// Controllers are plain classes with the same members, held by value in a
// std::variant inside `Congestion` (no heap object, no virtual call per ACK):
//
//   on_ack(AckSample)               new data cumulatively acknowledged, not in recovery
//   on_congestion_event(flight, t)  a loss was detected (fast retransmit): new ssthresh,
//                                   cwnd = ssthresh; recovery starts from there
//   on_recovery_exit(flight)        recovery complete (RFC 6582 §3.2 step 6)
//   on_rto(flight, t)               the retransmission timer expired
//   set_mss(mss)                    the effective send MSS changed
//   cwnd(), ssthresh()
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <variant>

#include "synack/base/compact_optional.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"
#include "synack/tcp/types.hpp"

namespace synack::tcp {

/// The initial window in bytes for a sender MSS of `smss` (see
/// TcpConfig::initial_window_segments): `segments` > 0 is RFC 6928's
/// "min (10*MSS, max (2*MSS, 14600))" with 10 replaced by `segments` (and 14600 by
/// segments*1460, so the byte bound scales too); 0 selects RFC 5681 §3.1's
/// "IW = 2 * SMSS bytes [if SMSS > 2190] ... 3 * SMSS [if > 1095] ... 4 * SMSS".
std::uint32_t initial_window(std::uint32_t smss, std::uint32_t segments);

/// What an ACK of new data tells the controller.
struct AckSample {
  std::uint32_t acked = 0;          ///< bytes newly acknowledged (SND.UNA advanced by this)
  std::uint32_t flight_before = 0;  ///< FlightSize before the ACK
  SeqNum ack;                       ///< the new SND.UNA
  SeqNum snd_max;                   ///< highest sequence number sent + 1
  std::optional<Duration> rtt;      ///< an RTT sample this ACK produced, if any
  Duration srtt{0};                 ///< the smoothed RTT (RFC 6298), 0 before a sample
  Instant now;
};

/// The window every controller keeps: cwnd and ssthresh in bytes, the MSS they count in.
struct CcWindow {
  CcWindow(std::uint32_t mss, std::uint32_t iw_segments);
  std::uint32_t mss;
  std::uint32_t iw_segments;
  std::uint32_t cwnd;
  std::uint32_t ssthresh = std::numeric_limits<std::uint32_t>::max();  ///< RFC 5681 §3.1
  bool initial = true;  ///< cwnd is still the initial window (nothing acked or lost yet)

  /// A new MSS: the initial window is recomputed from it; later the window keeps its
  /// size in segments.
  void set_mss(std::uint32_t m);
  /// RFC 5681 §3.1 (as RFC 7661 §4.1 puts it): grow only when the window was used —
  /// FlightSize reached to within one MSS of cwnd before this ACK.
  bool cwnd_limited(std::uint32_t flight_before) const {
    return std::uint64_t{flight_before} + mss >= cwnd;
  }
  bool in_slow_start() const { return cwnd < ssthresh; }
  /// RFC 6582 §3.2 step 6: "Set cwnd to either (1) min (ssthresh, max(FlightSize,
  /// SMSS) + SMSS) or (2) ssthresh" — (1), which avoids a burst.
  void recovery_exit(std::uint32_t flight);
};

/// RFC 5681 slow start and congestion avoidance; RFC 5681 eq. (4) on a loss or timeout.
class NewReno {
 public:
  NewReno(std::uint32_t mss, std::uint32_t iw_segments) : w_(mss, iw_segments) {}
  explicit NewReno(const CcWindow& w) : w_(w) {}
  void on_ack(const AckSample& a);
  void on_congestion_event(std::uint32_t flight, Instant now);
  void on_recovery_exit(std::uint32_t flight) { w_.recovery_exit(flight); }
  void on_rto(std::uint32_t flight, Instant now);
  void set_mss(std::uint32_t mss) { w_.set_mss(mss); }
  std::uint32_t cwnd() const { return w_.cwnd; }
  std::uint32_t ssthresh() const { return w_.ssthresh; }
  const CcWindow& window() const { return w_; }

 private:
  CcWindow w_;
  std::uint32_t ca_acc_ = 0;  ///< bytes acked toward the next +MSS in avoidance
};

/// HyStart++ (RFC 9406): leaves slow start when the RTT rises, through Conservative
/// Slow Start (CSS), before a loss does it. Used by Cubic.
class HystartPlusPlus {
 public:
  /// RFC 9406 §4.3 constants.
  static constexpr Duration kMinRttThresh = std::chrono::milliseconds(4);
  static constexpr Duration kMaxRttThresh = std::chrono::milliseconds(16);
  static constexpr int kMinRttDivisor = 8;
  static constexpr std::uint32_t kNRttSample = 8;
  static constexpr std::uint32_t kCssGrowthDivisor = 4;
  static constexpr std::uint32_t kCssRounds = 5;
  /// "L = infinity if paced and L = 8 if non-paced" (we do not pace).
  static constexpr std::uint32_t kL = 8;

  enum class Phase : std::uint8_t { SlowStart, Css, Done };

  /// One ACK of new data in slow start (cwnd < ssthresh). Returns the cwnd increase
  /// in bytes; sets `exit_to_ca` when CSS has run its CSS_ROUNDS (the caller then
  /// sets ssthresh = cwnd).
  std::uint32_t on_ack(const AckSample& a, std::uint32_t mss, bool& exit_to_ca);
  /// A congestion event or timeout: HyStart++ is over for this slow start; after an
  /// RTO slow start runs again (RFC 9406 §4.2: "the sender SHOULD use ... HyStart++"
  /// only for the initial slow start; later ones are standard slow start).
  void end() { phase_ = Phase::Done; }
  Phase phase() const { return phase_; }
  std::optional<Duration> css_baseline_min_rtt() const { return css_baseline_; }

 private:
  void start_round(SeqNum snd_max);
  Phase phase_ = Phase::SlowStart;
  bool round_started_ = false;
  SeqNum window_end_;
  CompactOptional<Duration> last_round_min_rtt_;
  CompactOptional<Duration> current_round_min_rtt_;
  std::uint32_t rtt_sample_count_ = 0;
  CompactOptional<Duration> css_baseline_;
  std::uint32_t css_rounds_ = 0;
};

/// CUBIC (RFC 9438) with HyStart++ (RFC 9406) slow start.
class Cubic {
 public:
  static constexpr double kC = 0.4;     ///< §4.2: C = 0.4 (segments / s^3)
  static constexpr double kBeta = 0.7;  ///< §4.6: beta_cubic = 0.7
  /// §4.3: alpha_cubic = 3 * (1 - beta_cubic) / (1 + beta_cubic).
  static constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);

  Cubic(std::uint32_t mss, std::uint32_t iw_segments) : w_(mss, iw_segments) {}
  /// Taking over a connection (setsockopt): HyStart++ only for the first slow start.
  explicit Cubic(const CcWindow& w) : w_(w) {
    if (w.ssthresh != std::numeric_limits<std::uint32_t>::max()) state().hystart.end();
  }
  Cubic(const Cubic& o) : w_(o.w_), s_(o.s_ ? std::make_unique<State>(*o.s_) : nullptr) {}
  Cubic& operator=(const Cubic& o) {
    if (this != &o) {
      w_ = o.w_;
      s_ = o.s_ ? std::make_unique<State>(*o.s_) : nullptr;
    }
    return *this;
  }
  Cubic(Cubic&&) noexcept = default;
  Cubic& operator=(Cubic&&) noexcept = default;
  /// CUBIC's own state exists once the first ACK of data or the first reduction needs
  /// it: a connection idle since its handshake holds only the window.
  bool has_state() const { return s_ != nullptr; }
  void on_ack(const AckSample& a);
  void on_congestion_event(std::uint32_t flight, Instant now);
  void on_recovery_exit(std::uint32_t flight);
  void on_rto(std::uint32_t flight, Instant now);
  void set_mss(std::uint32_t mss) { w_.set_mss(mss); }
  std::uint32_t cwnd() const { return w_.cwnd; }
  std::uint32_t ssthresh() const { return w_.ssthresh; }
  const CcWindow& window() const { return w_; }

  /// For tests and traces (segments / seconds, as the RFC writes them).
  double w_max_segments() const { return state().w_max; }
  double k_seconds() const { return state().k; }
  double w_est_segments() const { return state().w_est; }
  std::optional<Instant> epoch_start() const { return state().t_epoch; }
  const HystartPlusPlus& hystart() const { return state().hystart; }
  /// RFC 9438 §4.2 Figure 1: W_cubic(t) = C*(t-K)^3 + W_max, in segments.
  double w_cubic(double t) const {
    const State& st = state();
    return kC * (t - st.k) * (t - st.k) * (t - st.k) + st.w_max;
  }

 private:
  void congestion_avoidance(const AckSample& a);
  void reduce(std::uint32_t flight);
  double segs(std::uint32_t bytes) const { return static_cast<double>(bytes) / w_.mss; }

  struct State {
    HystartPlusPlus hystart;
    double w_max = 0;       ///< §4.1 W_max: cwnd just before the last reduction (segments)
    double k = 0;           ///< §4.2 K (seconds)
    double cwnd_prior = 0;  ///< §4.6 cwnd_prior (segments)
    double w_est = 0;       ///< §4.3 W_est (segments)
    CompactOptional<Instant> t_epoch;  ///< start of the current congestion avoidance stage
    bool after_rto = false;            ///< §4.8: the next epoch takes K = 0, W_max = cwnd
    double acc = 0;                    ///< fractional bytes of cwnd growth not yet applied
  };
  /// Read: the state, or a fresh one's values while none is allocated. Write: allocates.
  const State& state() const;
  State& state() {
    if (!s_) s_ = std::make_unique<State>();
    return *s_;
  }

  CcWindow w_;
  std::unique_ptr<State> s_;
};

/// The Tcb's controller: one algorithm, chosen per connection (SocketOptions::cc).
class Congestion {
 public:
  Congestion(CcAlgorithm algo, std::uint32_t mss, std::uint32_t iw_segments);
  /// setsockopt(cc): continue with the other algorithm from the current cwnd/ssthresh.
  void switch_to(CcAlgorithm algo);
  CcAlgorithm algorithm() const {
    return std::holds_alternative<NewReno>(impl_) ? CcAlgorithm::NewReno : CcAlgorithm::Cubic;
  }

  void on_ack(const AckSample& a) {
    std::visit([&](auto& c) { c.on_ack(a); }, impl_);
  }
  void on_congestion_event(std::uint32_t flight, Instant now) {
    std::visit([&](auto& c) { c.on_congestion_event(flight, now); }, impl_);
  }
  void on_recovery_exit(std::uint32_t flight) {
    std::visit([&](auto& c) { c.on_recovery_exit(flight); }, impl_);
  }
  void on_rto(std::uint32_t flight, Instant now) {
    std::visit([&](auto& c) { c.on_rto(flight, now); }, impl_);
  }
  void set_mss(std::uint32_t mss) {
    std::visit([&](auto& c) { c.set_mss(mss); }, impl_);
  }
  std::uint32_t cwnd() const {
    return std::visit([](const auto& c) { return c.cwnd(); }, impl_);
  }
  std::uint32_t ssthresh() const {
    return std::visit([](const auto& c) { return c.ssthresh(); }, impl_);
  }

 private:
  std::variant<NewReno, Cubic> impl_;
};

}  // namespace synack::tcp
