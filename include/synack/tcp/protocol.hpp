// The TCP layer as the Stack sees it: segments in, segments out, timers, events.
// It owns every connection and listener and demultiplexes by 4-tuple. It knows
// nothing about Ethernet, ARP or interfaces: the Stack wraps its output in IPv4.
//
// CONTRACT with the stack layer (keep these signatures; add freely):
//   TcpProtocol(const TcpConfig&, Random&)
//   void on_segment(const SegmentIn&, Instant now)
//   void on_icmp_error(const IcmpErrorIn&, Instant now)
//   void on_timer(Instant now)
//   std::optional<Instant> next_deadline() const
//   std::optional<OutSegment> pop_segment()
//
// Time: user calls (send, receive, close ...) act at the latest Instant passed to
// any call (on_segment/on_timer/connect); call on_timer(now) first if time moved.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>

#include "synack/base/buffer_pool.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/compact_optional.hpp"
#include "synack/base/fifo.hpp"
#include "synack/base/random.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/tcp/challenge_limit.hpp"
#include "synack/tcp/fastopen.hpp"
#include "synack/tcp/segment.hpp"
#include "synack/tcp/state.hpp"
#include "synack/tcp/syncookie.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/tcp/types.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {

class Tcb;
struct TcbContext;

class TcpProtocol {
 public:
  TcpProtocol(const TcpConfig& config, Random& random);
  ~TcpProtocol();
  const TcpConfig& config() const { return config_; }
  /// What the Stack's interfaces do for every segment (TcpConfig::tx_checksum_offload,
  /// tso_max, tso6_max): finish transport checksums, and cut IPv4 (IPv6) super-segments
  /// up to tso_max (tso6_max) bytes.
  void set_tx_offloads(bool checksum, std::uint32_t tso_max, std::uint32_t tso6_max) {
    config_.tx_checksum_offload = checksum;
    config_.tso_max = checksum ? tso_max : 0;
    config_.tso6_max = checksum ? tso6_max : 0;
  }
  TcpProtocol(const TcpProtocol&) = delete;
  TcpProtocol& operator=(const TcpProtocol&) = delete;

  // ---- the stack-facing contract ----
  void on_segment(const SegmentIn& in, Instant now);
  void on_icmp_error(const IcmpErrorIn& err, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_deadline() const;
  std::optional<OutSegment> pop_segment();
  /// MUST-20: negative advice for IP (next hop suspect), one entry per R1 event.
  std::optional<NegativeAdvice> pop_advice();
  /// MUST-59 (§3.10.7.4): "process all queued segments before sending any ACK".
  /// Between begin_batch() and end_batch() on_segment defers pure ACKs (data and
  /// control segments still go out, carrying the latest ACK); end_batch sends at most
  /// one ACK per connection that still owes one (MUST-58: aggregate). Outside a batch
  /// every on_segment behaves as before. Batches do not nest.
  void begin_batch();
  void end_batch(Instant now);
  bool in_batch() const { return batching_; }

  // ---- the socket-level API ----
  /// Passive OPEN (§3.10.1). local.addr may be 0.0.0.0 (any). backlog bounds the accept
  /// queue (ESTABLISHED, not yet accepted); TcpConfig::syn_queue bounds the embryonic
  /// (SYN-RECEIVED) connections, beyond which SYN cookies answer (TcpConfig::syn_cookies).
  Result<ListenerId, ListenError> listen(Endpoint local, std::uint32_t backlog);
  /// The same, with the options every accepted connection starts with (buffer sizes
  /// must be known before the SYN,ACK: they decide the window scale).
  Result<ListenerId, ListenError> listen(Endpoint local, std::uint32_t backlog,
                                         const SocketOptions& opts);
  Result<ConnId, AcceptError> accept(ListenerId l);
  Status<CloseError> close_listener(ListenerId l);
  /// Active OPEN. local.addr must be the source address the stack picked (MUST-44);
  /// local.port 0 picks an ephemeral port with the injected Random.
  Result<ConnId, ConnectError> connect(Endpoint local, Endpoint remote, Instant now);
  Result<ConnId, ConnectError> connect(Endpoint local, Endpoint remote, Instant now,
                                       const SocketOptions& opts);
  /// Active OPEN with data to send first (RFC 7413 §4.2, as Linux's sendto with
  /// MSG_FASTOPEN): `data` goes into the send buffer before the SYN is built. With
  /// opts.tfo and a cookie cached for remote.addr the SYN carries the cookie and as
  /// much of the data as fits (the server's cached MSS, 536 if unknown, less the SYN's
  /// options); the rest, or all of it when the server does not take it, follows the
  /// handshake. Without a cookie the SYN asks for one. More data than opts.send_buffer
  /// is InvalidOption.
  Result<ConnId, ConnectError> connect(Endpoint local, Endpoint remote, Instant now,
                                       const SocketOptions& opts, Bytes data);
  /// SEND (§3.10.2): bytes accepted into the send buffer (may be fewer than given).
  Result<std::size_t, SendError> send(ConnId id, Bytes data);
  /// SEND with the URGENT flag (§3.8.5): all of `data` becomes urgent.
  Result<std::size_t, SendError> send_urgent(ConnId id, Bytes data);
  /// RECEIVE (§3.10.3): bytes read; 0 means end of stream (the peer's FIN, all read).
  Result<std::size_t, RecvError> receive(ConnId id, MutBytes out);
  /// receive() without consuming (MSG_PEEK): the same results, the bytes stay queued
  /// and the next receive() or peek() returns them again.
  Result<std::size_t, RecvError> peek(ConnId id, MutBytes out) const;
  Status<CloseError> shutdown_write(ConnId id);  ///< half-close: send FIN after the data
  Status<CloseError> close(ConnId id);           ///< CLOSE (§3.10.4); RST if data is lost
  Status<CloseError> abort(ConnId id);           ///< ABORT (§3.10.5): RST now

  Status<OptionError> set_options(ConnId id, const SocketOptions& opts);
  std::optional<SocketOptions> options(ConnId id) const;
  std::optional<State> state(ConnId id) const;
  std::optional<ConnStats> conn_stats(ConnId id) const;
  /// TCP_INFO-like snapshot at `now` (info.hpp); a frozen TIME-WAIT connection gives
  /// what it still knows (TcpInfo::frozen). nullopt: no such connection.
  std::optional<TcpInfo> info(ConnId id, Instant now) const;
  /// Every connection the protocol holds (frozen TIME-WAIT ones too), in id order: the
  /// rows of a connection table (`synack serve --stats-interval`).
  std::vector<ConnId> connection_ids() const;
  std::optional<Endpoint> local_endpoint(ConnId id) const;
  std::optional<Endpoint> remote_endpoint(ConnId id) const;
  /// MUST-33: urgent bytes still to be read.
  std::optional<std::size_t> urgent_remaining(ConnId id) const;
  std::optional<std::size_t> readable(ConnId id) const;
  std::optional<std::size_t> send_space(ConnId id) const;
  /// The Tcb itself, read-only, for traces and tests (nullptr if gone).
  const Tcb* tcb(ConnId id) const;
  std::size_t connection_count() const { return conns_.size() + frozen_.size(); }
  /// Of those, released connections in TIME-WAIT (bounded by TcpConfig::max_time_wait).
  std::size_t time_wait_count() const { return time_wait_; }
  /// Buffer memory allocated now (send + receive rings of every connection).
  std::size_t memory_in_use() const;
  /// What the memory budget is charged with: the sum of every connection's buffer
  /// limits (TcpConfig::memory_budget bounds it; memory_in_use() <= memory_reserved()).
  std::size_t memory_reserved() const { return reserved_; }
  const ProtocolStats& stats() const { return stats_; }
  /// RFC 7413: the client's cookie cache and the server's cookie keys.
  const TfoCookieCache& tfo_cache() const { return tfo_cache_; }
  TfoServerKeys& tfo_keys() { return tfo_keys_; }

  std::optional<Event> pop_event();
  /// A segment's buffer back after its frame left (Stack::recycle): reused by the next
  /// segments, so the steady state allocates nothing.
  void recycle(ByteVec&& buffer) { pool_.give(std::move(buffer)); }
  const BufferPool& pool() const { return pool_; }
  /// Called for every state change of every connection (the trace/ladder hook).
  void set_trace(std::function<void(const Transition&)> trace) { trace_ = std::move(trace); }
  /// The largest packet the route to an address carries, as the layer below knows it
  /// (an IPv6 router advertisement's MTU option, a Packet Too Big cached for the
  /// destination): a new connection starts from min(TcpConfig::mtu, this), and its SYN's
  /// MSS option says so (RFC 9293 §3.7.1, RFC 8201 §5.2). Unset: TcpConfig::mtu.
  using RouteMtu = std::function<std::uint16_t(const wire::IpAddr& remote)>;
  /// Installs the route MTU source (the Stack does).
  void set_route_mtu(RouteMtu f) { route_mtu_ = std::move(f); }
  /// min(TcpConfig::mtu, the route MTU source's answer for `remote`).
  std::uint16_t route_mtu(const wire::IpAddr& remote) const;

 private:
  using Tuple = FourTuple;
  /// by_tuple_ keys point at the 4-tuple the Tcb (or its Frozen form) holds, so the
  /// table stores 8 bytes per connection, not the 36-byte tuple again; looked up by a
  /// Tuple value (heterogeneous lookup).
  struct TupleRefHash {
    using is_transparent = void;
    std::size_t operator()(const Tuple* t) const { return absl::Hash<Tuple>{}(*t); }
    std::size_t operator()(const Tuple& t) const { return absl::Hash<Tuple>{}(t); }
  };
  struct TupleRefEq {
    using is_transparent = void;
    static const Tuple& of(const Tuple* t) { return *t; }
    static const Tuple& of(const Tuple& t) { return t; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return of(a) == of(b);
    }
  };
  struct ConnIdHash {
    std::size_t operator()(ConnId id) const { return absl::Hash<std::uint32_t>{}(id.value); }
  };
  struct Listener {
    Endpoint local;
    std::uint32_t backlog = 0;
    std::uint32_t embryonic = 0;  ///< children in SYN-RECEIVED (bounded by syn_queue)
    /// The SynCookieCodec tick of the last cookie sent: only then do ACKs count as
    /// possible cookies (Linux's tcp_synq_no_recent_overflow).
    std::optional<std::uint32_t> cookie_tick;
    SocketOptions opts;
    std::deque<ConnId> accept_queue;
    /// RFC 7413 §5.1: children that took data from a SYN, still in SYN-RECEIVED.
    std::uint32_t tfo_pending = 0;
  };
  /// A connection: its Tcb and what the protocol keeps about it, in one allocation.
  struct Conn {
    Conn(TcbContext& ctx, ConnId id, Endpoint local, Endpoint remote,
         std::shared_ptr<const SocketOptions> opts, std::uint16_t route_mtu)
        : tcb(ctx, id, local, remote, std::move(opts), route_mtu) {}
    Tcb tcb;
    CompactOptional<Instant> scheduled;  ///< deadline currently in the heap
    std::optional<ListenerId> listener;  ///< set while embryonic or in an accept queue
    /// Counted in this listener's tfo_pending until it leaves SYN-RECEIVED.
    std::optional<ListenerId> tfo_listener;
    /// memory_reserved_ share (the buffer limits: each ring is below 2 GiB, ByteRing).
    std::uint32_t charged = 0;
    bool queued = false;    ///< in the listener's accept queue
    bool released = false;  ///< the user called close()/abort()
    /// Released and in TIME-WAIT: counted in time_wait_, not in live connections, and
    /// charged nothing to the memory budget.
    bool time_wait = false;
  };
  struct TimerEntry {
    Instant at;
    ConnId id;
    /// Earliest first; equal deadlines in connection order (whatever order the heap was
    /// built in: runs are reproducible).
    bool operator>(const TimerEntry& o) const {
      return o.at < at || (o.at == at && o.id.value < id.value);
    }
  };

  void on_listener_segment(ListenerId lid, const SegmentIn& in, Instant now,
                           std::optional<SeqNum> isn_floor = std::nullopt);
  void reply_reset(const SegmentIn& in);
  /// Would this segment complete an embryonic connection whose listener's accept
  /// queue is already full?
  bool completes_into_full_accept_queue(const Conn& c, const wire::TcpRepr& seg) const;
  SeqNum choose_isn(const Tuple& t, Instant now);
  /// RFC 6056 §3.3.4 Algorithm 4 (double-hash port selection, as Linux): the secret
  /// offset F(local, remote) and the table bucket G(local, remote) for a connection
  /// to `remote` (one keyed hash gives both).
  std::pair<std::uint32_t, std::size_t> port_offset_and_bucket(const wire::IpAddr& local,
                                                               Endpoint remote) const;
  /// by_tuple_ changed: keeps ephemeral_in_use_ in step.
  void count_ephemeral(const Tuple& t, int delta);
  /// RFC 7323 §5.4: the TSval offset of connections between these two addresses.
  std::uint32_t ts_offset(const wire::IpAddr& local, const wire::IpAddr& remote) const;
  /// May one more connection with these buffers exist? Counts the refusal if not
  /// (max_connections, memory_budget).
  bool admit(const SocketOptions& opts);
  /// A released connection reached TIME-WAIT: it leaves the live count and the memory
  /// budget, its buffers go; past max_time_wait it closes at once instead.
  void enter_time_wait(Conn& c);
  bool options_valid(const SocketOptions& opts) const;
  /// What receive() and peek() return after taking n bytes from `t`.
  static Result<std::size_t, RecvError> receive_result(const Tcb& t, std::size_t n);
  std::optional<ListenerId> find_listener(Endpoint local) const;
  ConnId add_conn(const Tuple& t, const SocketOptions& opts);
  /// One shared copy of options many connections use (the last two kinds asked for: a
  /// server's listener options, a client's defaults).
  std::shared_ptr<const SocketOptions> shared_options(const SocketOptions& opts);
  std::array<std::shared_ptr<const SocketOptions>, 2> shared_opts_;
  /// After any call that may have changed a connection: reschedule, accept-queue,
  /// reap when CLOSED.
  void settle(ConnId id);
  void settle(ConnId id, Conn& c);  ///< `c` is conns_'s entry for `id`
  Result<std::size_t, SendError> send_data(ConnId id, Bytes data, bool urgent);
  Status<CloseError> release(ConnId id, void (Tcb::*how)(Instant));
  void detach_from_listener(Conn& c, ConnId id);
  void reap(ConnId id);
  /// Whether a heap entry is its connection's current deadline (lazy deletion leaves
  /// stale ones behind), frozen or not.
  bool timer_live(const TimerEntry& e) const;
  void purge_heap();
  void advance(Instant now) {
    if (now > now_) now_ = now;
  }
  Tcb* find(ConnId id);
  const Tcb* find(ConnId id) const;

  TcpConfig config_;
  Random& random_;
  std::array<unsigned char, 16> isn_key_{};  ///< RFC 6528 secretkey
  std::array<unsigned char, 16> ts_key_{};   ///< keys TSval offsets (RFC 7323 §5.4)
  Instant now_;
  std::uint32_t next_id_ = 1;
  /// Hash tables (Abseil's open addressing: one slot per entry, no node): a connection
  /// costs a pointer here and a 16-byte slot in the demultiplexer, whose key points at
  /// the connection's own 4-tuple (Tcb::tuple() or Frozen::tuple: both stay put, a Conn
  /// being on the heap and frozen_ a node map). Every entry leaves before what it
  /// points at (settle, reap, freeze, thaw).
  absl::flat_hash_map<ConnId, std::unique_ptr<Conn>, ConnIdHash> conns_;
  absl::flat_hash_map<const Tuple*, ConnId, TupleRefHash, TupleRefEq> by_tuple_;
  /// Removes the by_tuple_ entry of `t` if it is `id`'s (and its ephemeral count).
  void unindex(const Tuple& t, ConnId id);
  /// Points the by_tuple_ entry of `id` at `now_at` (the same tuple, moved).
  void repoint(const Tuple& now_at, ConnId id);
  /// Released connections in TIME-WAIT with nothing pending, frozen (Tcb::Frozen, 136 B
  /// instead of a Conn): by_tuple_ and the timer heap still name them by id, and thaw()
  /// makes a Conn again when a segment, their timer or a reuse needs one. One node each
  /// (a 144-byte block), so the table's slack is a pointer per slot, not a record.
  absl::node_hash_map<ConnId, Tcb::Frozen, ConnIdHash> frozen_;
  void freeze(ConnId id);
  /// The Conn of `id`, thawed if it was frozen; nullptr if there is none.
  Conn* thaw(ConnId id);
  /// Per (local address, remote endpoint): 4-tuples in by_tuple_ whose local port is
  /// ephemeral. At the range's size there is no free port and connect() goes straight
  /// to the TIME-WAIT takeover instead of probing every port first.
  absl::flat_hash_map<Tuple, std::uint32_t> ephemeral_in_use_;
  /// RFC 6056 Algorithm 4's table[]: per bucket, how far the search has moved on, so
  /// that successive connections to one destination walk the range instead of
  /// returning to a port whose 4-tuple may still be in TIME-WAIT (at either end).
  std::array<std::uint16_t, 1024> port_table_{};
  std::map<ListenerId, Listener> listeners_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  Fifo<OutSegment> out_;
  Fifo<Event> events_;
  std::deque<NegativeAdvice> advice_;
  bool batching_ = false;
  std::vector<ConnId> batch_touched_;
  std::function<void(const Transition&)> trace_;
  RouteMtu route_mtu_;
  ProtocolStats stats_;
  /// Full frames at this MTU; a few hundred kept (a window's worth in flight at once).
  /// With TSO, a few super-segments' buffers too (an IP packet of up to 64 KB and its
  /// Ethernet header): 16 is ~1 MiB, about what a 64-frame window of them needs.
  BufferPool pool_{512, config_.mtu + 14u, 16, 65535u + 14u};
  ChallengeAckLimiter challenge_limit_;
  /// What every Tcb refers to (one copy, not one per connection); made in the constructor.
  std::unique_ptr<TcbContext> ctx_;
  std::size_t reserved_ = 0;           ///< sum of Conn::charged
  std::size_t time_wait_ = 0;          ///< Conns with time_wait set
  std::uint32_t predictable_isn_ = 0;  ///< InsecureOptions::predictable_isn counter

  /// SYN cookies (RFC 4987 §3.6; syncookie.cpp).
  /// A SYN the SYN queue has no room for: answer with a cookie SYN,ACK, keep no state.
  void send_cookie_syn_ack(Listener& l, const SegmentIn& in, Instant now);
  /// A pure ACK at a listener: rebuild the connection if it returns a valid cookie.
  /// false: the caller answers with a RST (§3.10.7.2).
  bool on_cookie_ack(ListenerId lid, const SegmentIn& in, Instant now);
  SynCookieCodec cookie_codec_{random_};  ///< keys drawn at construction

  /// TCP Fast Open (RFC 7413). The server key is drawn at its first use.
  TfoPassive tfo_on_syn(Listener& l, const SegmentIn& in, Instant now);
  void tfo_settle(Conn& c, bool gone);
  TfoServerKeys tfo_keys_{random_, config_.tfo_key_rotation};
  TfoCookieCache tfo_cache_{config_.tfo_cookie_cache, config_.tfo_syn_loss_holdoff};
};

}  // namespace synack::tcp
