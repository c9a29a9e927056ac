// TCP Fast Open (RFC 7413) in one connection: data on the client's SYN, its
// acknowledgment or fallback, the cookie in the SYN,ACK, and the server taking the
// data of a SYN whose cookie its listener verified (TcpProtocol::tfo_on_syn).
#include <algorithm>

#include "synack/tcp/tcb.hpp"

namespace synack::tcp {

void Tcb::tfo_prepare_active(std::optional<TfoCookie> cookie, std::uint16_t peer_mss, Bytes data) {
  if (cookie || peer_mss != 0) {  // else the defaults: no Fast Open
    extra_w().tfo_active_ = cookie.has_value();
    extra_w().tfo_syn_option_ = cookie;
    extra_w().tfo_peer_mss_ = peer_mss;
  }
  (void)snd_buf_.write(data);
}

std::uint32_t Tcb::tfo_syn_data_len(Instant now) {
  if (!extra().tfo_active_) return 0;
  if (extra().tfo_syn_sent_) {
    // A retransmitted SYN. RFC 7413 §4.2.2: "the client ... SHOULD retransmit the SYN
    // without the data" is Linux's answer to a SYN with data that got no reply (a
    // middlebox may drop SYNs with data or with unknown options): the SYN goes again
    // with neither, and the server is held off in the cache for a while.
    if (extra().tfo_syn_data_ > 0 && extra().tfo_syn_option_) {
      if (extra_) extra_->tfo_syn_option_.reset();
      ++ctx_.stats.tfo_syn_data_timeouts;
      ctx_.tfo_cache.note_syn_loss(tuple_.remote.addr, now);
    }
    return 0;
  }
  extra_w().tfo_syn_sent_ = true;
  if (!extra().tfo_syn_option_ || extra().tfo_syn_option_->len == 0 || snd_buf_.empty()) return 0;
  // §4.2: the data fits one segment: the server's MSS (cached with the cookie; 536,
  // MUST-15's default, when unknown) and our path, less the options of this SYN.
  const std::uint32_t mss = std::min<std::uint32_t>(
      extra().tfo_peer_mss_ != 0 ? extra().tfo_peer_mss_ : 536u, path_mtu_ - headers());
  const auto opts = static_cast<std::uint32_t>(options_for(true, now).encoded_len());
  const std::uint32_t room = mss > opts ? mss - opts : 0;
  extra_w().tfo_syn_data_ =
      static_cast<std::uint32_t>(std::min<std::size_t>(snd_buf_.size(), room));
  if (extra().tfo_syn_data_ > 0) ++ctx_.stats.tfo_syn_data_sent;
  return extra().tfo_syn_data_;
}

void Tcb::tfo_on_syn_ack(const Seg& seg) {
  if (!extra().tfo_active_) return;
  // §4.1.3: "the client caches the cookie ... along with the MSS" of the SYN,ACK.
  if (const auto c = TfoCookie::from(*seg.opts); c && c->len >= 4) {
    ctx_.tfo_cache.store(tuple_.remote.addr, *c, seg.opts->mss.value_or(0));
    ++ctx_.stats.tfo_cookies_cached;
  }
  if (extra().tfo_syn_data_ == 0) return;
  if (seg.ack == iss_ + 1 + extra().tfo_syn_data_) {
    ++ctx_.stats.tfo_syn_data_acked;
    ctx_.tfo_cache.note_success(tuple_.remote.addr);
    return;
  }
  // §4.2.2: "If the server does not acknowledge the data ... the client SHOULD
  // retransmit the data after the 3WHS": from SND.UNA, as after a timeout.
  ++ctx_.stats.tfo_syn_data_fallback;
  snd_nxt_ = snd_una_;
}

void Tcb::tfo_accept_syn_data(Bytes data) {
  // §4.1.2: with a valid cookie "the server ... MUST acknowledge the SYN and the data"
  // and may hand the data to the application before the handshake completes: the
  // text is in-order data at RCV.NXT now, and the connection joins the accept queue
  // in SYN-RECEIVED (as Linux's fast open child sockets).
  const std::size_t n = std::min(data.size(), rcv_buf_.free());
  if (n > 0) {
    (void)rcv_buf_.write(data.first(n));
    rcv_nxt_ = rcv_nxt_ + static_cast<std::uint32_t>(n);
    rcv_adv_ = seq_max(rcv_adv_, rcv_nxt_);
    last_ack_sent_ = rcv_nxt_;
    bytes_in_ += n;
  }
  extra_w().tfo_child_ = true;
  accept_ready_ = true;
}

}  // namespace synack::tcp
