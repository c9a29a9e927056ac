// One connection's Transmission Control Block (RFC 9293 §3.3.1) and its state
// machine. Variable names follow the RFC (snd_una is SND.UNA ...). The Tcb is
// sans-I/O: it appends segments and events to queues owned by its TcpProtocol and
// reports its next deadline; it never reads a clock.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/fifo.hpp"
#include "synack/base/ring_buffer.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"
#include "synack/tcp/assembler.hpp"
#include "synack/tcp/challenge_limit.hpp"
#include "synack/tcp/congestion.hpp"
#include "synack/tcp/fastopen.hpp"
#include "synack/tcp/info.hpp"
#include "synack/tcp/rack.hpp"
#include "synack/tcp/recovery.hpp"
#include "synack/tcp/rtt.hpp"
#include "synack/tcp/scoreboard.hpp"
#include "synack/tcp/segment.hpp"
#include "synack/tcp/state.hpp"
#include "synack/tcp/syncookie.hpp"
#include "synack/tcp/timers.hpp"
#include "synack/tcp/types.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {

/// What a Tcb needs from its owner: configuration and the output/event queues.
struct TcbContext {
  const TcpConfig& config;
  Fifo<OutSegment>& out;
  Fifo<Event>& events;
  const std::function<void(const Transition&)>& trace;
  /// MUST-20: negative advice for IP, raised at R1.
  std::deque<NegativeAdvice>& advice;
  /// MUST-58/59: while true, pure ACKs wait for flush_output() at the end of the batch.
  const bool& batching;
  /// RFC 5961 §7: every challenge ACK asks here first.
  ChallengeAckLimiter& challenge_limit;
  /// Protocol-wide counters (RFC 5961, limits) that connections add to.
  ProtocolStats& stats;
  /// RFC 7413: the client's cookie cache (an active open with Fast Open updates it).
  TfoCookieCache& tfo_cache;
  /// Buffers for outgoing segments (sent frames come back through Stack::recycle).
  BufferPool& pool;
};

class Tcb {
 public:
  /// `ctx` is the owner's, shared by all its connections, and outlives the Tcb.
  /// `opts` may be shared with other connections (a listener's children, every connection
  /// with the defaults): set_options gives this one its own copy. `route_mtu`: what the
  /// route to the peer carries (TcpProtocol's route MTU); below the configured MTU it is
  /// the path MTU the MSS is computed from (as lower_path_mtu would make it).
  Tcb(TcbContext& ctx, ConnId id, Endpoint local, Endpoint remote,
      std::shared_ptr<const SocketOptions> opts, std::uint16_t route_mtu);

  // --- opens ---
  /// OPEN (active), §3.10.1: "select an ISS. Send a SYN segment ... enter SYN-SENT".
  void open_active(SeqNum iss, Instant now);
  /// §3.10.7.2, a SYN on a listener: this Tcb is the new connection (starts in LISTEN).
  /// `tfo`: what the listener decided about the SYN's Fast Open option (RFC 7413).
  void open_from_listen(const wire::TcpRepr& syn, SeqNum iss, ListenerId listener, Instant now,
                        const TfoPassive& tfo = {});
  /// Before open_active: data the SYN may carry (RFC 7413 §4.2) goes into the send
  /// buffer; `cookie` is the cached cookie to send with it, an empty cookie asks for
  /// one, nullopt sends no Fast Open option. `peer_mss`: the server's cached MSS (0:
  /// unknown, 536 is assumed).
  void tfo_prepare_active(std::optional<TfoCookie> cookie, std::uint16_t peer_mss, Bytes data);
  /// RFC 4987 §3.6: `ack` returned a valid SYN cookie to a listener. The connection
  /// starts in ESTABLISHED as if it had sent the cookie SYN,ACK (ISS = the cookie) and
  /// received this ACK; the caller then hands `ack` to on_segment for its text/FIN.
  void open_from_cookie(const wire::TcpRepr& ack, const CookieConnection& c, ListenerId listener,
                        Instant now);
  /// RFC 7323 §5.4: the per-connection offset of our TSval clock, derived from the ISS
  /// (a cookie SYN,ACK's TSval must run on the clock its rebuilt connection uses).
  /// RFC 7323 §5.4/§7.1: the offset added to our millisecond clock in TSval, so that
  /// TSval reveals neither uptime nor anything about the ISN. Set by the owner before
  /// an open (a keyed hash of the address pair: TcpProtocol::ts_offset).
  void set_ts_offset(std::uint32_t offset) { ts_offset_ = offset; }
  /// RFC 7323 §2.3: the window scale shift a receive buffer of this size needs.
  static std::uint8_t window_scale_for(std::size_t recv_buffer);

  // --- events from below ---
  /// `ecn`: the ECN field of the IP header the segment came in (RFC 3168 §6.1.3).
  void on_segment(const wire::TcpRepr& seg, Instant now, wire::Ecn ecn = wire::Ecn::NotEct);
  /// The path carries at most `mtu` (an ICMP Fragmentation Needed or Packet Too Big); a
  /// lower value than the current path MTU lowers it and the MSS. Never below the
  /// family's minimum (68 for IPv4, 1280 for IPv6).
  void lower_path_mtu(std::uint16_t mtu);
  void on_icmp_error(std::uint8_t type, std::uint8_t code, std::uint16_t mtu, SeqNum quoted,
                     Instant now);
  void on_timer(Instant now);
  std::optional<Instant> deadline() const;
  /// End of a batch of segments (MUST-59): send whatever was deferred, one ACK at most.
  void flush_output(Instant now) { output(now); }

  // --- user calls (§3.10.2 - §3.10.5) ---
  std::size_t send(Bytes data, bool urgent, Instant now);
  /// Bytes read; 0 with eof()==true at end of stream.
  std::size_t receive(MutBytes out, Instant now);
  /// Like receive() but leaves the bytes in the buffer (MSG_PEEK): no window change.
  std::size_t peek(MutBytes out) const;
  void shutdown_write(Instant now);
  void close(Instant now);
  void abort(Instant now);
  /// §3.6.1 (MAY-2): may this SYN reopen the connection directly from TIME-WAIT?
  bool accepts_reopen(const wire::TcpRepr& syn, Instant now) const;
  /// Ends the TIME-WAIT incarnation in favour of the new one.
  void close_for_reopen(Instant now);
  /// An active open may take over this TIME-WAIT 4-tuple (TcpProtocol::connect): timestamps
  /// were in use and the last one arrived at least a second ago, so PAWS at both ends
  /// tells the new incarnation's segments from the old one's (as Linux's tcp_tw_reuse).
  bool reusable_for_connect(Instant now) const {
    return state_ == State::TimeWait && reuse_allowed(ts_ok_, ts_recent_at_, now);
  }
  /// Ends TIME-WAIT for that reuse.
  void close_for_reuse(Instant now);
  /// Ends TIME-WAIT at once: the TIME-WAIT table is full (TcpConfig::max_time_wait).
  void close_for_time_wait_overflow(Instant now);
  /// A released connection in TIME-WAIT, reduced to what that state still reads:
  /// TcpProtocol keeps this (136 B) instead of the Tcb, and thaw() rebuilds an
  /// equivalent Tcb when a segment, the TIME-WAIT timer or a reuse of the 4-tuple needs
  /// one. Everything else is known in TIME-WAIT: all data sent and acknowledged, the
  /// buffers empty and released, no timer but TIME-WAIT's.
  struct Frozen {
    FourTuple tuple;  ///< both ends
    Instant expires, ts_recent_at, last_rcv_at;
    /// (ISS and IRS are read only before ESTABLISHED: not kept.)
    SeqNum snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2, rcv_nxt, rcv_adv, last_ack_sent,
        snd_buf_seq;
    std::uint32_t snd_wnd, max_snd_wnd, ts_recent, ts_offset;
    ListenerId listener;
    std::uint16_t snd_mss, eff_mss, path_mtu;
    std::uint8_t snd_wscale, rcv_wscale, dscp;
    Rule last_rule;
    /// The booleans, one bit each.
    enum Flag : std::uint16_t {
      kPassiveOpen = 1u << 0,
      kUserVisible = 1u << 1,
      kWscaleOk = 1u << 2,
      kTsOk = 1u << 3,
      kSynOfferedWs = 1u << 4,
      kSynOfferedTs = 1u << 5,
      kSackPermitted = 1u << 6,
      kSackOk = 1u << 7,
      kFinQueued = 1u << 8,
      kFinSent = 1u << 9,
      kFinReceived = 1u << 10,
      kUserClosed = 1u << 11,
      kEcnOk = 1u << 12,
      kEcnEce = 1u << 13,
    };
    std::uint16_t flags;
  };
  /// In TIME-WAIT with nothing pending (no ACK owed, no timer but TIME-WAIT's).
  bool freezable() const;
  Frozen freeze() const;
  /// On a Tcb just constructed for the same connection: becomes the frozen one.
  void thaw(const Frozen& f);
  /// Whether a frozen connection's 4-tuple may be taken over by an active open (as
  /// reusable_for_connect).
  static bool reusable_for_connect(const Frozen& f, Instant now) {
    return reuse_allowed(f.flags & Frozen::kTsOk, f.ts_recent_at, now);
  }

  /// In TIME-WAIT after the application let go: the buffers are no longer needed
  /// (nothing can be sent or read any more); their memory goes back.
  void release_memory_for_time_wait();
  SeqNum snd_max() const { return snd_max_; }

  // --- queries ---
  ConnId id() const { return id_; }
  State state() const { return state_; }
  Rule last_rule() const { return last_rule_; }
  Endpoint local() const { return tuple_.local; }
  /// Both ends (the demultiplexer's key points here).
  const FourTuple& tuple() const { return tuple_; }
  /// IP and TCP headers without options: 40 bytes over IPv4, 60 over IPv6.
  std::uint16_t headers() const { return ip_tcp_headers(tuple_.remote.addr); }
  Endpoint remote() const { return tuple_.remote; }  ///< the peer's end
  bool passive() const { return passive_open_; }
  ListenerId listener() const { return listener_; }
  bool eof() const { return fin_received_ && rcv_buf_.empty(); }
  /// The peer's FIN has been processed (§3.10.7.4 eighth step), data may still be unread.
  bool fin_received() const { return fin_received_; }
  bool write_shut() const { return fin_queued_; }
  std::optional<ConnError> error() const { return error_; }
  std::optional<ConnError> soft_error() const { return soft_error_; }
  std::size_t readable() const { return rcv_buf_.size(); }
  std::size_t send_space() const { return snd_buf_.free(); }
  std::size_t unsent_or_unacked() const { return snd_buf_.size(); }
  /// Buffer memory allocated now, and the most it may grow to (the buffer limits).
  std::size_t memory_allocated() const { return snd_buf_.allocated() + rcv_buf_.allocated(); }
  std::size_t memory_limit() const { return snd_buf_.capacity() + rcv_buf_.capacity(); }
  /// MUST-33: bytes of urgent data still to be read (0 if none pending).
  std::size_t urgent_remaining() const;
  ConnStats stats() const;
  /// A TCP_INFO-like snapshot at `now` (info.hpp).
  TcpInfo info(Instant now) const;
  /// What a frozen TIME-WAIT connection still tells (TcpInfo::frozen).
  static TcpInfo info(ConnId id, const Frozen& f, Instant now);
  const SocketOptions& options() const { return *opts_; }
  void set_options(const SocketOptions& o, Instant now);
  /// A passive connection reached ESTABLISHED and should join the accept queue (once).
  bool take_accept_ready();
  /// Events are suppressed until the user knows the id (accept()).
  void set_user_visible() { user_visible_ = true; }
  /// The Tcb reached CLOSED and can be deleted by the owner.
  bool finished() const { return state_ == State::Closed; }

  /// RFC names, exposed read-only for tests and traces.
  SeqNum iss() const { return iss_; }
  SeqNum irs() const { return irs_; }
  SeqNum snd_una() const { return snd_una_; }
  SeqNum snd_nxt() const { return snd_nxt_; }
  std::uint32_t snd_wnd() const { return snd_wnd_; }
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  std::uint32_t rcv_wnd() const;
  std::uint32_t eff_snd_mss() const { return eff_mss_; }
  std::uint8_t snd_wscale() const { return snd_wscale_; }
  std::uint8_t rcv_wscale() const { return rcv_wscale_; }
  bool timestamps_enabled() const { return ts_ok_; }
  bool window_scaling_enabled() const { return wscale_ok_; }
  /// The peer's SYN carried SACK-permitted (RFC 2018).
  bool peer_sack_permitted() const { return sack_permitted_; }
  /// SACK is in use: both SYNs carried SACK-permitted and TcpConfig::sack is on.
  bool sack_enabled() const { return sack_ok_; }
  /// RFC 3168: both SYNs agreed on ECN (§6.1.1).
  bool ecn_enabled() const { return ecn_ok_; }
  /// The cold parts allocated so far (see LossState, Extras below): none for a
  /// connection idle since its handshake.
  bool holds_loss_state() const { return loss_ != nullptr; }
  bool holds_extras() const { return extra_ != nullptr; }

 private:
  /// The rule of reusable_for_connect, for a Tcb and a Frozen alike.
  static bool reuse_allowed(bool ts_ok, Instant ts_recent_at, Instant now) {
    return ts_ok && now - ts_recent_at >= std::chrono::seconds(1);
  }
  /// Outcome of one §3.10.7.4 step.
  enum class Step : std::uint8_t {
    Continue,    ///< go on with the next step
    Drop,        ///< discard the segment silently
    DropAndAck,  ///< discard and send an ACK (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>)
    Closed,      ///< the connection was deleted
  };
  /// The arriving segment as the steps see it, trimmed to the receive window.
  struct Seg {
    SeqNum seq;
    SeqNum ack;
    bool syn = false, ack_flag = false, rst = false, fin = false, urg = false;
    std::uint16_t up = 0;
    std::uint16_t wnd = 0;
    Bytes data;
    const wire::TcpOptions* opts = nullptr;
    bool ece = false, cwr = false;      ///< RFC 3168 §6.1
    wire::Ecn ecn = wire::Ecn::NotEct;  ///< the IP ECN field it arrived with
    std::uint32_t len() const {
      return static_cast<std::uint32_t>(data.size()) + (syn ? 1 : 0) + (fin ? 1 : 0);
    }
  };

  /// §3.10.7.3 and §3.10.7.4 (tcb_input.cpp).
  void on_syn_sent(const Seg& seg, Instant now);
  void on_synchronized(Seg seg, Instant now);
  Step check_paws(const Seg& seg, Instant now);
  Step check_sequence(Seg& seg);
  Step check_rst(const Seg& seg, Instant now);
  Step check_syn(const Seg& seg, Instant now);
  /// RFC 5961: a challenge ACK (if the §7 rate limit allows), counted in `counter`.
  Step challenge_ack(std::uint64_t& counter, Instant now);
  Step check_ack(const Seg& seg, Instant now);
  /// The fifth step for an acceptable ACK: SACK blocks, new or duplicate ACK, SACK-based
  /// recovery, ECE, the send window.
  void accept_ack(const Seg& seg, Instant now);
  /// Header prediction: handles `seg` by the fast path if it is one of the two common
  /// cases (see the definition); false: the full steps must run.
  bool predicted(const Seg& seg, Instant now);
  /// The seventh step for text at RCV.NXT: into the receive buffer, with the held
  /// out-of-order text it makes contiguous, and the ACK it calls for.
  void deliver_in_order(Bytes data, Instant now);
  void syn_acked(const Seg& seg, Instant now);
  Step check_ack_syn_received(const Seg& seg, Instant now);
  void process_new_ack(const Seg& seg, Instant now);
  void process_dup_ack(const Seg& seg, Instant now);
  void update_send_window(const Seg& seg);
  Step process_urg(const Seg& seg);
  Step process_text(const Seg& seg, Instant now);
  Step check_fin(const Seg& seg, Instant now);
  void enter_time_wait(Instant now, Rule rule);
  void process_syn_options(const wire::TcpOptions& o);
  void update_ts_recent(const Seg& seg, Instant now);
  bool ts_recent_valid(Instant now) const;
  void rtt_sample_on_ack(const Seg& seg, Instant now);
  bool fin_acked() const;
  void queue_reset_reply(SeqNum seq, std::optional<SeqNum> ack);
  /// SACK (RFC 2018, RFC 2883) on the receiving side.
  void sack_note_arrival(SeqNum start, SeqNum end);
  void note_duplicate(SeqNum start, SeqNum end);
  void fill_sack_blocks(wire::TcpOptions& o) const;
  /// The payload of a full-sized segment now: Eff.snd.MSS less the SACK option the
  /// segment will carry (RFC 9293 §3.7.1 counts every option in TCPhdrsize; as Linux's
  /// tcp_current_mss).
  std::uint32_t send_mss() const;
  /// Bytes the SACK blocks of `o` add to its options.
  static std::uint32_t sack_option_len(const wire::TcpOptions& o);
  /// SACK on the sending side: RFC 8985 RACK (or RFC 6675 IsLost) marks losses, RFC
  /// 6675 recovery resends them, RFC 6937 PRR decides how much, RFC 8985 TLP probes tails.
  std::uint32_t take_sack_blocks(const Seg& seg, Instant now);
  void sack_after_ack(std::uint32_t acked, std::uint32_t newly_sacked, Instant now);
  void detect_losses(bool timer, Instant now);
  void enter_sack_recovery(Instant now);
  std::uint32_t sack_pipe() const;
  bool send_sack_retransmission(Instant now);
  /// RFC 6937's sndcnt for an ACK that delivered `delivered` bytes (adds them to
  /// prr_delivered).
  std::int64_t prr_sndcnt(std::uint64_t delivered);
  bool rack_enabled() const { return sack_ok_ && ctx_.config.rack; }
  void tlp_after_ack(bool dup_only, Instant now);
  bool tlp_allowed() const;
  bool recovery_probe_allowed() const;
  bool probe_allowed() const { return tlp_allowed() || recovery_probe_allowed(); }
  void send_new_probe_segments(Instant now);
  Duration pto_interval() const;
  bool send_loss_probe(Instant now);
  /// Undo of a window reduction that a loss never justified: RFC 3708's D-SACK detection
  /// after fast recovery, RFC 3522 Eifel detection with the RFC 4015 response after a
  /// timeout. arm_undo keeps the controller as it was before the reduction.
  void arm_undo();
  void try_undo_dsack();
  void undo_reduction();
  /// A timeout found needless (Eifel or F-RTO): undo, and stop resending the window.
  void undo_spurious_timeout(SeqNum ack);
  /// RFC 5682 §3 SACK-enhanced F-RTO: the ACKs after a timeout's first retransmission.
  void frto_after_ack(std::uint32_t acked, std::uint32_t newly_sacked);
  void frto_off();
  /// Fast Open, RFC 7413 (tcb_fastopen.cpp).
  std::uint32_t tfo_syn_data_len(Instant now);
  void tfo_on_syn_ack(const Seg& seg);
  void tfo_accept_syn_data(Bytes data);
  /// ECN, RFC 3168 (tcb_ecn.cpp).
  std::uint8_t ecn_syn_flags() const;
  void ecn_on_syn(bool ece, bool cwr);
  void ecn_on_arrival(const Seg& seg);
  void ecn_on_ece(std::uint32_t flight_before, Instant now);
  wire::Ecn ecn_on_send(std::uint8_t& flags, bool new_data);
  /// §3.10.7.2/§3.10.7.3: text (and a FIN) on a SYN is held until ESTABLISHED, then
  /// delivered.
  void queue_syn_text(Bytes text, bool fin);
  void deliver_queued_text();

  /// Output (tcb_output.cpp): the one place that decides what to send.
  void output(Instant now);
  bool output_one(Instant now);
  bool send_data_or_fin(Instant now);
  std::uint32_t sendable_len(bool& fin_too) const;
  /// TSO (TcpConfig::tso_max, tso6_max over IPv6): how far a full-sized segment of new data `len`
  /// grows into a super-segment of whole segments, within the windows; `len` when it does not.
  std::uint32_t tso_len(std::uint32_t len) const;
  /// `gso_size` non-zero: data_len is a super-segment of pieces that size (TSO).
  void emit(std::uint8_t flags, SeqNum seq, std::uint32_t data_len, bool advance, Instant now,
            std::uint32_t gso_size = 0);
  void emit_rst(SeqNum seq, std::optional<SeqNum> ack, Instant now);
  std::uint16_t window_field(bool syn);
  bool window_update_due() const;
  std::uint32_t advertisable_window() const;
  wire::TcpOptions options_for(bool syn, Instant now) const;
  std::uint32_t ts_now(Instant now) const;
  void update_timers(Instant now);

  /// Timers (tcb_timer.cpp).
  void on_rto(Instant now);
  void on_reorder_timeout(Instant now);
  void on_persist(Instant now);
  void on_keepalive(Instant now);
  bool in_persist() const;
  Duration persist_interval() const;

  /// State and reporting.
  void transition(State to, Rule rule, Instant now);
  void push_event(EventKind k, ConnError e = ConnError::Reset);
  void terminate(Rule rule, std::optional<ConnError> err, Instant now);
  void set_eff_mss();
  std::uint32_t rcv_mss() const;

  // tcb_plpmtud.cpp: packetization-layer path MTU discovery (RFC 4821).
  /// The IP packet size segments are cut for: path_mtu_, or less while a search runs.
  std::uint16_t packet_mtu() const;
  void plpmtud_start(std::uint16_t low, Instant now);
  // RFC 4821 §7.2 search_low to start from: TcpConfig::mtu_probe_base_mss's packet, and
  // over IPv6 at least 1280.
  std::uint16_t plpmtud_base() const;
  void plpmtud_on_rto(Instant now);
  bool send_mtu_probe(Instant now);
  void plpmtud_on_ack(Instant now);
  void plpmtud_on_retransmit(SeqNum seq, std::uint32_t len, Instant now);
  void plpmtud_on_path_mtu();
  /// The path MTU `current` becomes when told the path carries `mtu`: lower only, never
  /// below the family's minimum (68 for IPv4, 1280 for IPv6).
  static std::uint16_t lowered_path_mtu(std::uint16_t current, std::uint16_t mtu, bool v4);
  void plpmtud_on_recovery_exit();

  /// Sequence-space helpers.
  SeqNum data_end() const { return snd_buf_seq_ + static_cast<std::uint32_t>(snd_buf_.size()); }
  SeqNum fin_seq() const { return data_end(); }
  std::uint32_t flight() const { return static_cast<std::uint32_t>(snd_max_ - snd_una_); }
  /// The window to send against: RFC 6937 PRR's allowance on top of the flight during
  /// SACK recovery, NewReno's inflated window during its fast recovery, else the CC's —
  /// with RFC 3042 limited transmit's one segment per early duplicate ACK (at most two).
  std::uint32_t cwnd() const {
    if (sack_recovery_) {
      return flight() + static_cast<std::uint32_t>(std::max<std::int64_t>(loss().prr_budget_, 0));
    }
    if (recovery_.active()) return recovery_.window();
    if (rto_recovery_) {
      // After a timeout with SACK, cwnd limits the pipe (what is neither acknowledged,
      // SACKed nor presumed lost), as in fast recovery: new data may go once every lost
      // segment is resent (RFC 6675 NextSeg rule 2; Linux's tcp_packets_in_flight).
      const std::uint32_t pipe = sack_pipe(), c = cc_.cwnd();
      return flight() + (c > pipe ? c - pipe : 0);
    }
    if (ctx_.config.limited_transmit && dupacks_ > 0 && dupacks_ < 3) {
      return cc_.cwnd() + dupacks_ * eff_mss_;
    }
    return cc_.cwnd();
  }
  bool can_send_data() const;

  TcbContext& ctx_;
  ConnId id_;
  ListenerId listener_;
  FourTuple tuple_;
  std::shared_ptr<const SocketOptions> opts_;  ///< 16 B, where a copy took 80
  State state_ = State::Closed;
  Rule last_rule_ = Rule::rfc9293_3_10_5_abort;
  bool passive_open_ = false;  ///< MUST-11: how we reached SYN-RECEIVED
  bool accept_ready_ = false;
  bool user_visible_ = false;
  bool snd_up_valid_ = false;  ///< SND.UP and RCV.UP below hold an urgent pointer
  bool rcv_up_valid_ = false;

  /// Send sequence variables (§3.3.1 Figure 2).
  SeqNum iss_, snd_una_, snd_nxt_, snd_wl1_, snd_wl2_, snd_up_;
  SeqNum snd_max_;  ///< highest sequence number sent + 1 (SND.NXT may go back on RTO)
  std::uint32_t snd_wnd_ = 0;
  std::uint32_t max_snd_wnd_ = 0;
  /// Receive sequence variables (§3.3.1 Figure 3).
  SeqNum irs_, rcv_nxt_, rcv_up_;
  SeqNum rcv_adv_;  ///< RCV.NXT + RCV.WND as last advertised (never moves left, SHLD-14)

  /// Options (§3.7.1, RFC 7323).
  std::uint32_t eff_mss_ = 536;
  std::uint16_t snd_mss_ = 536;  ///< MUST-15: default send MSS
  std::uint16_t path_mtu_;
  std::uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
  bool wscale_ok_ = false;
  bool ts_ok_ = false;
  bool syn_offered_ws_ = false, syn_offered_ts_ = false;  ///< what the peer's SYN carried
  bool sack_permitted_ = false;
  bool sack_ok_ = false;
  bool sack_recovery_ = false;
  bool rto_recovery_ = false;     ///< after a timeout with SACK, until RecoveryPoint is acked
  bool force_probe_ = false;      ///< a window probe is due (persist timer)
  bool keepalive_probe_ = false;  ///< a keepalive is due
  Instant ts_recent_at_;          ///< when TS.Recent was last set (RFC 7323 §5.5)
  std::uint32_t ts_recent_ = 0;
  SeqNum last_ack_sent_;
  std::uint32_t ts_offset_ = 0;
  /// (Here, not with the other rare fields: they fill what would be padding.)
  std::optional<ConnError> error_;
  std::optional<ConnError> soft_error_;

  /// Buffers.
  ByteRing snd_buf_;
  ByteRing rcv_buf_;
  SeqNum snd_buf_seq_;                  ///< sequence number of snd_buf_[0]
  std::optional<SeqNum> peer_fin_seq_;  ///< FIN seen (possibly ahead of RCV.NXT)
  bool fin_queued_ = false;
  bool fin_sent_ = false;
  bool fin_received_ = false;
  bool writable_blocked_ = false;

  /// Retransmission, congestion, ACK generation.
  RttEstimator rtt_;
  Congestion cc_;
  TcbTimers timers_;   ///< every timer of the connection (timers.hpp)
  Instant rtx_epoch_;  ///< start of the current R1/R2 measurement (§3.8.3)
  std::uint32_t rto_count_ = 0;
  std::uint32_t dupacks_ = 0;
  std::optional<SeqNum> rtt_seq_;  ///< timed segment end (no timestamps)
  Instant rtt_sent_at_;
  FastRecovery recovery_;  ///< RFC 6582 fast recovery (the send quantity while active)
  SeqNum recover_;
  /// Minshall's Nagle (as Linux's snd_sml): the end of the last sub-MSS segment of new
  /// data sent, while it is unacknowledged.
  std::optional<SeqNum> small_unacked_end_;
  bool ack_now_ = false;
  bool fast_rtx_ = false;  ///< a fast retransmission is due (RFC 6582 / RFC 6675)
  /// An out-of-order segment's duplicate ACK: sent at once even inside a batch.
  bool dup_ack_now_ = false;
  /// After a loss (data out of order, a gap filled) the sender's window is small and its
  /// recovery runs on our ACKs: the next in-order segments are acknowledged at once
  /// instead of waiting for a second segment or the delayed-ACK timer (as Linux's
  /// quick-ACK mode).
  static constexpr std::uint8_t kQuickAcks = 16;
  std::uint8_t quickacks_ = 0;  ///< (in the byte of padding after dup_ack_now_)
  std::uint32_t unacked_bytes_ = 0;
  std::uint32_t persist_backoff_ = 0;
  std::uint32_t keepalive_sent_ = 0;
  /// For TcpInfo: when data last left and when a segment with data last arrived, in
  /// milliseconds of the clock modulo 2^32 (stamp_ms; as Linux's lsndtime/lrcvtime in
  /// tcp_jiffies32). They fill what was padding: the Tcb does not grow. Meaningful once
  /// bytes_out_ / bytes_in_ or ooo_segs_in say data went / came.
  std::uint32_t last_data_sent_ms_ = 0;
  Instant last_keepalive_at_;
  Instant last_rcv_at_;
  bool user_closed_ = false;  ///< CLOSE called: further data means loss (SHLD-3)

  /// ECN (RFC 3168).
  bool ecn_ok_ = false;   ///< §6.1.1: both SYNs agreed
  bool ecn_ece_ = false;  ///< §6.1.3: CE arrived, ECE on every ACK until a CWR arrives
  bool ecn_cwr_ = false;  ///< §6.1.2: the window was reduced, CWR on the next new data
  std::uint32_t last_data_rcvd_ms_ = 0;  ///< (see last_data_sent_ms_)
  static std::uint32_t stamp_ms(Instant now) {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(to_millis(now.since_origin())));
  }
  /// (ecn_high_ and ecn_losses_, the sender's reaction state, are in Extras.)
  static constexpr std::uint64_t kNoLosses = ~std::uint64_t{0};

  // ---- Cold state, allocated on first use ----
  // A connection idle since its handshake holds none of it: its Tcb is the hot state
  // above (docs/PERFORMANCE.md, memory per idle endpoint). Read through loss() and
  // extra(), which give an empty default while nothing is allocated; write through
  // loss_w() and extra_w(), which allocate.

  /// RFC 5682 §3 F-RTO: waiting for the first ACK after the timeout's retransmission
  /// (step 2), or for the one after the new data it let out (step 3).
  enum class Frto : std::uint8_t { Off, FirstAck, SecondAck };
  /// Bound on LossState::undo_ranges_: past this many retransmissions an episode cannot
  /// be undone.
  static constexpr std::size_t kMaxUndoRanges = 32;
  /// Loss: the receiver's out-of-order data and SACK reports, the sender's scoreboard,
  /// RACK's log of transmissions, recovery, tail loss probes and undo.
  struct LossState {
    explicit LossState(std::size_t max_ooo_segments) : ooo_(max_ooo_segments) {}
    /// RFC 2018 §4: the blocks last reported, most recent first; each names the held
    /// out-of-order interval it overlaps (intervals grow and merge, see fill_sack_blocks).
    std::array<wire::SackBlock, 4> sack_recent_{};
    std::uint8_t sack_recent_n_ = 0;
    /// RFC 2883: a duplicate to report as the first block of the next ACK (D-SACK).
    std::optional<wire::SackBlock> dsack_;
    /// Sending side: what the peer SACKed, and the recovery state of RFC 6675 / RFC 6937.
    SackScoreboard board_;
    Rack rack_;  ///< the transmitted segments and RFC 8985's loss detection over them
    Frto frto_ = Frto::Off;
    SeqNum frto_mark_;                 ///< SND.MAX when step 2b began: new data went once it moves
    std::uint32_t recover_fs_ = 0;     ///< PRR RecoverFS: the flight when recovery began
    std::uint64_t prr_delivered_ = 0;  ///< PRR: bytes delivered (acked or SACKed) since
    std::uint64_t prr_out_ = 0;        ///< PRR: bytes sent since
    std::int64_t prr_budget_ = 0;      ///< PRR sndcnt: bytes this ACK allows
    Assembler ooo_;
    /// RFC 8985 §7: the tail loss probe in flight, [tlp_start_, tlp_end_) (TLP.end_seq).
    bool tlp_probe_ = false;  ///< PTO expired: send a probe now
    bool pto_spent_ = false;  ///< the PTO expired; not again before new data is sent or acked
    std::optional<SeqNum> tlp_end_;
    SeqNum tlp_start_;
    bool tlp_is_retrans_ = false;  ///< TLP.is_retrans
    bool tlp_dsacked_ = false;     ///< a D-SACK reported the probe's data twice
    bool tlp_recovered_ = false;   ///< loss recovery began while the probe was out
    /// Undo state: the controller before the episode's reduction, the retransmissions of
    /// the episode (sent, and not yet reported back as duplicates by D-SACKs), and the
    /// TSval of the first timeout retransmission (Eifel).
    std::optional<Congestion> cc_undo_;
    std::uint32_t undo_rtx_sent_ = 0;
    std::uint32_t undo_rtx_left_ = 0;
    /// What the episode retransmitted: a D-SACK counts only if it reports one of these
    /// (a duplicate the network made of an original proves nothing). Bounded: past
    /// kMaxUndoRanges retransmissions the episode cannot be undone.
    std::vector<Assembler::Interval> undo_ranges_;
    std::optional<std::uint32_t> eifel_tsval_;
    std::optional<std::uint32_t> rto_ts_floor_;  ///< our TSval when the last RTO fired
  };
  struct RstReply {
    SeqNum seq;
    std::optional<SeqNum> ack;
  };
  /// Rare things: the counters of events an ordinary connection never sees, a pending
  /// RST reply, and Fast Open's handshake state.
  struct Extras {
    ConnStats counts;  ///< all but the four hot counters below (and the derived fields)
    std::optional<RstReply> rst_reply_;
    /// Fast Open (RFC 7413).
    std::optional<TfoCookie> tfo_syn_option_;  ///< on our SYN or SYN,ACK (len 0: request)
    bool tfo_active_ = false;                  ///< an active open that uses Fast Open
    bool tfo_syn_sent_ = false;                ///< the first SYN is out (retransmissions: no data)
    std::uint32_t tfo_syn_data_ = 0;           ///< data bytes the first SYN carried
    std::uint16_t tfo_peer_mss_ = 0;           ///< the server's cached MSS (0: unknown)
    bool tfo_child_ = false;  ///< passive: took a SYN's data, may send in SYN-RECEIVED
    /// ECN (RFC 3168 §6.1.2), the sender's reaction: the highest sequence sent when the
    /// window was last reduced (no further reduction for an ECE until the cumulative ACK
    /// passes it), and the loss reductions (fast retransmits + timeouts) seen by the
    /// last data segment sent — a new one means CWR on the next new data ("for any
    /// reason"); kNoLosses: none sent yet.
    std::optional<SeqNum> ecn_high_;
    std::uint64_t ecn_losses_ = kNoLosses;
    /// RFC 4821 once a search started: the largest packet known to get through
    /// (search_low), the smallest not yet ruled out above it (search_high, at most
    /// path_mtu_), the probe in flight (its packet size, 0: none, and its sequence
    /// range), and when a finished search starts again.
    bool plpmtud_on_ = false;
    std::uint16_t plpmtud_low_ = 0, plpmtud_high_ = 0, plpmtud_probe_ = 0;
    SeqNum plpmtud_probe_start_, plpmtud_probe_end_;
    Instant plpmtud_reprobe_at_;
    /// A lost probe's range, resent inside a SACK recovery: if nothing else was lost
    /// in that recovery, its window reduction is undone at the end (§7.6.2).
    bool plpmtud_undo_ = false;
    SeqNum plpmtud_lost_start_, plpmtud_lost_end_;
  };
  const LossState& loss() const { return loss_ ? *loss_ : empty_loss(); }
  LossState& loss_w() {
    if (!loss_) loss_ = std::make_unique<LossState>(ctx_.config.max_ooo_segments);
    return *loss_;
  }
  const Extras& extra() const { return extra_ ? *extra_ : empty_extras(); }
  Extras& extra_w() {
    if (!extra_) extra_ = std::make_unique<Extras>();
    return *extra_;
  }
  static const LossState& empty_loss();
  static const Extras& empty_extras();
  std::unique_ptr<LossState> loss_;
  std::unique_ptr<Extras> extra_;
  /// The counters every segment touches (ConnStats' first four).
  std::uint64_t segs_in_ = 0, segs_out_ = 0, bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace synack::tcp
