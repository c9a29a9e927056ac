#include "synack/tcp/congestion.hpp"

#include <algorithm>
#include <cmath>

namespace synack::tcp {

namespace {

// RFC 5681 §3.1 eq. (4): "ssthresh = max (FlightSize / 2, 2*SMSS)".
std::uint32_t half_flight(std::uint32_t flight, std::uint32_t mss) {
  return std::max(flight / 2, 2 * mss);
}

std::uint32_t add_sat(std::uint32_t a, std::uint64_t b) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(a + b, std::numeric_limits<std::uint32_t>::max()));
}

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

std::uint32_t initial_window(std::uint32_t smss, std::uint32_t segments) {
  smss = std::max<std::uint32_t>(smss, 1);
  if (segments == 0) {
    // RFC 5681 §3.1: "If SMSS > 2190 bytes: IW = 2 * SMSS bytes and MUST NOT be more
    // than 2 segments; If (SMSS > 1095 bytes) and (SMSS <= 2190 bytes): IW = 3 * SMSS
    // bytes ...; if SMSS <= 1095 bytes: IW = 4 * SMSS bytes".
    return smss > 2190 ? 2 * smss : smss > 1095 ? 3 * smss : 4 * smss;
  }
  // RFC 6928 §2: "min (10*MSS, max (2*MSS, 14600))", generalised to N segments.
  const std::uint64_t n = segments;
  const std::uint64_t w = std::min(n * smss, std::max<std::uint64_t>(2ull * smss, n * 1460));
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(w, 0x7fffffffu));
}

CcWindow::CcWindow(std::uint32_t m, std::uint32_t iw)
    : mss(std::max<std::uint32_t>(m, 1)), iw_segments(iw), cwnd(initial_window(mss, iw)) {}

void CcWindow::set_mss(std::uint32_t m) {
  m = std::max<std::uint32_t>(m, 1);
  if (initial) {
    cwnd = initial_window(m, iw_segments);
  } else {
    // Keep the window in segments when the MSS changes (e.g. a PMTU decrease).
    cwnd = std::max<std::uint32_t>(1, cwnd / mss) * m;
  }
  mss = m;
}

void CcWindow::recovery_exit(std::uint32_t flight) {
  cwnd = std::min(ssthresh, std::max(flight, mss) + mss);
}

// ---------------------------------------------------------------- NewReno

void NewReno::on_ack(const AckSample& a) {
  // RFC 5681 §3.1: only grow in congestion avoidance when the window was used.
  if (!w_.in_slow_start() && !w_.cwnd_limited(a.flight_before)) return;
  w_.initial = false;
  if (w_.in_slow_start()) {
    // Slow start: "cwnd += min (N, SMSS)" (eq. 2).
    w_.cwnd = add_sat(w_.cwnd, std::min(a.acked, w_.mss));
  } else {
    // Congestion avoidance: about one SMSS per RTT (eq. 3, byte counting).
    ca_acc_ += a.acked;
    if (ca_acc_ >= w_.cwnd) {
      ca_acc_ -= w_.cwnd;
      w_.cwnd = add_sat(w_.cwnd, w_.mss);
    }
  }
}

void NewReno::on_congestion_event(std::uint32_t flight, Instant) {
  // RFC 5681 §3.2 step 2 / RFC 6582 §3.2 step 2: ssthresh per eq. (4). The window
  // recovery sends with (ssthresh + 3*SMSS, inflated) is the Tcb's FastRecovery.
  w_.initial = false;
  w_.ssthresh = half_flight(flight, w_.mss);
  w_.cwnd = w_.ssthresh;
  ca_acc_ = 0;
}

void NewReno::on_rto(std::uint32_t flight, Instant) {
  // RFC 5681 §3.1: ssthresh per eq. (4) and "cwnd to no more than ... 1 full-sized segment".
  w_.initial = false;
  w_.ssthresh = half_flight(flight, w_.mss);
  w_.cwnd = w_.mss;
  ca_acc_ = 0;
}

// ---------------------------------------------------------------- HyStart++

void HystartPlusPlus::start_round(SeqNum snd_max) {
  // RFC 9406 §4.2: "At the start of each round during standard slow start and CSS:
  // lastRoundMinRTT = currentRoundMinRTT; currentRoundMinRTT = infinity;
  // rttSampleCount = 0". A round ends when the ACK covers windowEnd (SND.NXT then).
  last_round_min_rtt_ = current_round_min_rtt_;
  current_round_min_rtt_.reset();
  rtt_sample_count_ = 0;
  window_end_ = snd_max;
  round_started_ = true;
}

std::uint32_t HystartPlusPlus::on_ack(const AckSample& a, std::uint32_t mss, bool& exit_to_ca) {
  exit_to_ca = false;
  if (phase_ == Phase::Done) return std::min(a.acked, mss);  // RFC 5681 slow start
  const auto n =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(a.acked, std::uint64_t{kL} * mss));
  if (!round_started_) start_round(a.snd_max);
  if (a.rtt) {
    // "Keep track of the minimum observed RTT: currentRoundMinRTT =
    // min(currentRoundMinRTT, currRTT); rttSampleCount += 1".
    current_round_min_rtt_ = std::min(current_round_min_rtt_.value_or(*a.rtt), *a.rtt);
    ++rtt_sample_count_;
  }
  std::uint32_t inc = n;  // "cwnd = cwnd + min (N, L * SMSS)"
  if (phase_ == Phase::SlowStart) {
    // "For rounds where at least N_RTT_SAMPLE RTT samples have been obtained and
    // currentRoundMinRTT and lastRoundMinRTT are valid, check to see if delay
    // increase triggers slow start exit": RttThresh = max(MIN_RTT_THRESH,
    // min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)).
    if (rtt_sample_count_ >= kNRttSample && current_round_min_rtt_ && last_round_min_rtt_) {
      const Duration thresh = std::max<Duration>(
          kMinRttThresh, std::min<Duration>(*last_round_min_rtt_ / kMinRttDivisor, kMaxRttThresh));
      if (*current_round_min_rtt_ >= *last_round_min_rtt_ + thresh) {
        css_baseline_ = current_round_min_rtt_;
        phase_ = Phase::Css;
        css_rounds_ = 0;
      }
    }
  } else {
    // CSS: "cwnd = cwnd + (min (N, L * SMSS) / CSS_GROWTH_DIVISOR)"; and "if
    // (rttSampleCount >= N_RTT_SAMPLE AND currentRoundMinRTT < cssBaselineMinRtt):
    // cssBaselineMinRtt = infinity; resume slow start" (the increase was spurious).
    inc = n / kCssGrowthDivisor;
    if (rtt_sample_count_ >= kNRttSample && current_round_min_rtt_ && css_baseline_ &&
        *current_round_min_rtt_ < *css_baseline_) {
      css_baseline_.reset();
      phase_ = Phase::SlowStart;
    }
  }
  if (seq_ge(a.ack, window_end_)) {
    // This ACK ends the round. "If CSS_ROUNDS rounds are complete, enter congestion
    // avoidance by setting the ssthresh to the current cwnd."
    if (phase_ == Phase::Css && ++css_rounds_ >= kCssRounds) {
      phase_ = Phase::Done;
      exit_to_ca = true;
    }
    start_round(a.snd_max);
  }
  return inc;
}

// ---------------------------------------------------------------- CUBIC

const Cubic::State& Cubic::state() const {
  static const State fresh;
  return s_ ? *s_ : fresh;
}

void Cubic::on_ack(const AckSample& a) {
  if (w_.in_slow_start()) {
    State& st = state();
    w_.initial = false;
    bool exit_to_ca = false;
    const std::uint32_t inc = st.hystart.on_ack(a, w_.mss, exit_to_ca);
    w_.cwnd = add_sat(w_.cwnd, inc);
    if (exit_to_ca) w_.ssthresh = w_.cwnd;
    return;
  }
  // RFC 9438 §5.8 (and RFC 7661): "CUBIC does not increase cwnd when the flow is
  // application-limited" — no growth unless the window was used.
  if (!w_.cwnd_limited(a.flight_before)) return;
  w_.initial = false;
  congestion_avoidance(a);
}

void Cubic::congestion_avoidance(const AckSample& a) {
  State& st = state();
  const double cwnd = segs(w_.cwnd);
  if (!st.t_epoch) {
    // §4.2: t_epoch is "the time when the current congestion avoidance stage
    // started"; "K = cubic_root((W_max - cwnd_epoch) / C)" with cwnd_epoch the cwnd
    // at that time. §4.8: in the first avoidance stage after a timeout "K is set to 0,
    // and W_max is set to the congestion window size at the beginning of the current
    // congestion avoidance stage"; likewise when cwnd is already beyond W_max (no
    // loss yet, or slow start left by HyStart++).
    st.t_epoch = a.now;
    if (st.after_rto || cwnd >= st.w_max) {
      st.w_max = cwnd;
      st.k = 0;
    } else {
      st.k = std::cbrt((st.w_max - cwnd) / kC);
    }
    st.after_rto = false;
    // §4.3: "W_est is set equal to cwnd_epoch at the start of the congestion
    // avoidance stage."
    st.w_est = cwnd;
    st.acc = 0;
  }
  const double t = seconds(a.now - *st.t_epoch);
  const double acked = segs(a.acked);
  // §4.3 Figure 4: "W_est = W_est + alpha_cubic * segments_acked / cwnd", and
  // "once W_est has grown to reach the cwnd at the time of most recently setting
  // ssthresh — that is, W_est >= cwnd_prior — the sender SHOULD set alpha_cubic to 1".
  const double alpha = st.w_est >= st.cwnd_prior ? 1.0 : kAlpha;
  st.w_est += alpha * acked / cwnd;
  double next = cwnd;
  if (w_cubic(t) < st.w_est) {
    // §4.3: "If W_cubic(t) is less than W_est ... CUBIC is in the Reno-friendly
    // region and cwnd SHOULD be set to W_est at each reception of a new ACK."
    next = std::max(cwnd, st.w_est);
  } else {
    // §4.4/§4.5: target = W_cubic(t + RTT), bounded to [cwnd, 1.5*cwnd]; "cwnd MUST
    // be incremented by (target - cwnd) / cwnd for each received new ACK" (per
    // acknowledged segment here: byte counting).
    const double target = std::clamp(w_cubic(t + seconds(a.srtt)), cwnd, 1.5 * cwnd);
    next = cwnd + (target - cwnd) / cwnd * acked;
  }
  st.acc += (next - cwnd) * w_.mss;
  if (st.acc >= 1.0) {
    const double whole = std::floor(st.acc);
    w_.cwnd = add_sat(w_.cwnd, static_cast<std::uint64_t>(whole));
    st.acc -= whole;
  }
}

void Cubic::reduce(std::uint32_t flight) {
  State& st = state();
  w_.initial = false;
  const double cwnd = segs(w_.cwnd);
  // §4.7 fast convergence: "if (cwnd < W_max and fast_convergence) W_max = cwnd *
  // (1 + beta_cubic) / 2; else W_max = cwnd" — a flow losing ground releases some.
  st.w_max = cwnd < st.w_max ? cwnd * (1.0 + kBeta) / 2.0 : cwnd;
  // §4.6: "ssthresh = flight_size * beta_cubic; cwnd_prior = cwnd; ...
  // ssthresh = max(ssthresh, 2)" (2 segments).
  st.cwnd_prior = cwnd;
  const auto reduced = static_cast<std::uint32_t>(static_cast<double>(flight) * kBeta);
  w_.ssthresh = std::max(reduced, 2 * w_.mss);
  st.t_epoch.reset();
  st.acc = 0;
  // RFC 9406 §4.2: a loss during slow start or CSS ends HyStart++; later slow starts
  // are standard ones.
  st.hystart.end();
}

void Cubic::on_congestion_event(std::uint32_t flight, Instant) {
  reduce(flight);
  // §4.6: "cwnd = max(ssthresh, 2)" on a loss; recovery starts from it.
  w_.cwnd = w_.ssthresh;
}

void Cubic::on_recovery_exit(std::uint32_t flight) {
  w_.recovery_exit(flight);
}

void Cubic::on_rto(std::uint32_t flight, Instant) {
  // §4.8: "In the case of a timeout, CUBIC follows Reno to reduce cwnd [RFC5681] but
  // sets ssthresh using beta_cubic (same as in Section 4.6)"; the next avoidance
  // stage starts with K = 0 and W_max = cwnd at that time.
  reduce(flight);
  w_.cwnd = w_.mss;
  state().after_rto = true;
}

// ---------------------------------------------------------------- dispatch

Congestion::Congestion(CcAlgorithm algo, std::uint32_t mss, std::uint32_t iw_segments)
    : impl_(algo == CcAlgorithm::NewReno ? std::variant<NewReno, Cubic>(NewReno(mss, iw_segments))
                                         : std::variant<NewReno, Cubic>(Cubic(mss, iw_segments))) {}

void Congestion::switch_to(CcAlgorithm algo) {
  if (algo == algorithm()) return;
  const CcWindow w = std::visit([](const auto& c) { return c.window(); }, impl_);
  if (algo == CcAlgorithm::NewReno) {
    impl_ = NewReno(w);
  } else {
    impl_ = Cubic(w);
  }
}

}  // namespace synack::tcp
