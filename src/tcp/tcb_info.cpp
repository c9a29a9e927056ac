// Tcb::info: the TCP_INFO-like snapshot (info.hpp), derived from the connection's
// state at the moment it is asked for.
#include <algorithm>

#include "synack/tcp/info.hpp"
#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

std::string_view to_string(CaState s) {
  switch (s) {
    case CaState::Open:
      return "open";
    case CaState::Disorder:
      return "disorder";
    case CaState::Recovery:
      return "recovery";
    case CaState::Loss:
      return "loss";
  }
  return "?";
}

std::string_view to_string(CcAlgorithm a) {
  switch (a) {
    case CcAlgorithm::NewReno:
      return "newreno";
    case CcAlgorithm::Cubic:
      return "cubic";
  }
  return "?";
}

namespace {
// The time since a stamp of Tcb::stamp_ms (milliseconds modulo 2^32), in whole ms.
Duration since_stamp(std::uint32_t now_ms, std::uint32_t stamp) {
  return std::chrono::milliseconds(static_cast<std::uint32_t>(now_ms - stamp));
}
}  // namespace

TcpInfo Tcb::info(Instant now) const {
  TcpInfo i;
  i.id = id_;
  i.local = tuple_.local;
  i.remote = tuple_.remote;
  i.state = state_;
  i.passive = passive_open_;
  i.user_released = user_closed_;

  if (rtt_.has_sample()) {
    i.srtt = rtt_.srtt();
    i.rttvar = rtt_.rttvar();
    i.latest_rtt = rtt_.latest();
  }
  i.rtt_samples = rtt_.samples();
  i.rto = rtt_.rto();
  i.backoff = rto_count_;
  if (loss_) i.min_rtt = loss_->rack_.min_rtt();

  i.cc = cc_.algorithm();
  i.cwnd = rto_recovery_ ? cc_.cwnd() : cwnd();  // as stats(): the window, not PRR's allowance
  i.ssthresh = cc_.ssthresh();
  i.slow_start = cc_.cwnd() < cc_.ssthresh();
  if (rto_recovery_ || (rto_count_ > 0 && snd_una_ != snd_max_)) {
    i.ca_state = CaState::Loss;
  } else if (sack_recovery_ || recovery_.active()) {
    i.ca_state = CaState::Recovery;
  } else if (dupacks_ > 0) {
    i.ca_state = CaState::Disorder;
  }
  // i.pacing_rate_bps stays nullopt: synack sends as the window allows, unpaced.

  i.snd_mss = eff_mss_;
  i.peer_mss = snd_mss_;
  i.pmtu = path_mtu_;
  i.rcv_mss = is_synchronized(state_) || state_ == State::SynReceived ? rcv_mss() : 0;

  i.unacked = flight();
  i.snd_nxt_offset = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);

  const ConnStats& c = extra().counts;
  // Data in flight: what of the send buffer lies below SND.MAX (snd_buf_seq_ is the
  // first unacknowledged data byte; a SYN or FIN in flight is not data).
  const std::size_t sent_unacked =
      seq_gt(snd_max_, snd_buf_seq_)
          ? std::min<std::size_t>(static_cast<std::uint32_t>(snd_max_ - snd_buf_seq_),
                                  snd_buf_.size())
          : 0;
  i.bytes_sent = bytes_out_;
  i.bytes_acked = bytes_out_ >= sent_unacked ? bytes_out_ - sent_unacked : 0;
  i.bytes_received = bytes_in_;
  i.bytes_retrans = c.retransmitted_bytes;
  i.segs_out = segs_out_;
  i.segs_in = segs_in_;
  i.retrans_segs = c.retransmitted_segs;
  i.timeouts = c.rto_expirations;
  i.fast_retransmits = c.fast_retransmits;
  i.sack_recoveries = c.sack_recoveries;
  i.tlp_probes = c.tlp_probes;
  i.recovery_probes = c.recovery_probes;
  i.lost_segs_marked = c.lost_segs_marked;
  i.sack_blocks_in = c.sack_blocks_in;
  i.dsacks_in = c.dsacks_in;
  i.dup_acks_in = c.dup_acks_in;
  i.ooo_segs_in = c.ooo_segs_in;
  i.spurious_undos = c.spurious_recoveries + c.spurious_rtos;
  i.reordering_seen = loss().rack_.reordering_seen();
  i.reo_wnd_mult = loss().rack_.reo_wnd_mult();

  i.snd_wnd = snd_wnd_;
  i.rcv_wnd = rcv_wnd();
  i.send_queued = snd_buf_.size();
  i.send_unsent = snd_buf_.size() - sent_unacked;
  i.send_buffer = snd_buf_.capacity();
  i.recv_queued = rcv_buf_.size();
  i.recv_buffer = rcv_buf_.capacity();

  const std::uint32_t now_ms = stamp_ms(now);
  if (bytes_out_ > 0) i.since_data_sent = since_stamp(now_ms, last_data_sent_ms_);
  if (bytes_in_ > 0 || c.ooo_segs_in > 0) {
    i.since_data_received = since_stamp(now_ms, last_data_rcvd_ms_);
  }
  if (segs_in_ > 0) i.since_ack_received = now - last_rcv_at_;

  i.wscale = wscale_ok_;
  i.snd_wscale = snd_wscale_;
  i.rcv_wscale = rcv_wscale_;
  i.timestamps = ts_ok_;
  i.sack = sack_ok_;
  i.ecn = ecn_ok_;
  i.tfo = (extra().tfo_active_ && extra().tfo_syn_data_ > 0) || extra().tfo_child_;
  return i;
}

TcpInfo Tcb::info(ConnId id, const Frozen& f, Instant now) {
  TcpInfo i;
  i.id = id;
  i.local = f.tuple.local;
  i.remote = f.tuple.remote;
  i.state = State::TimeWait;
  i.frozen = true;
  i.passive = f.flags & Frozen::kPassiveOpen;
  i.user_released = f.flags & Frozen::kUserClosed;
  i.snd_mss = f.eff_mss;
  i.peer_mss = f.snd_mss;
  i.pmtu = f.path_mtu;
  i.unacked = static_cast<std::uint32_t>(f.snd_max - f.snd_una);
  i.snd_nxt_offset = static_cast<std::uint32_t>(f.snd_nxt - f.snd_una);
  i.snd_wnd = f.snd_wnd;
  i.rcv_wnd = seq_gt(f.rcv_adv, f.rcv_nxt) ? static_cast<std::uint32_t>(f.rcv_adv - f.rcv_nxt) : 0;
  i.since_ack_received = now - f.last_rcv_at;
  i.wscale = f.flags & Frozen::kWscaleOk;
  i.snd_wscale = f.snd_wscale;
  i.rcv_wscale = f.rcv_wscale;
  i.timestamps = f.flags & Frozen::kTsOk;
  i.sack = f.flags & Frozen::kSackOk;
  i.ecn = f.flags & Frozen::kEcnOk;
  return i;
}

}  // namespace synack::tcp
