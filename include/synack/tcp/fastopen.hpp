// TCP Fast Open (RFC 7413): the server's cookie keys and the client's cookie cache.
// Both are owned by a TcpProtocol (no global state); the Tcb side is tcb_fastopen.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <optional>

#include "synack/base/random.hpp"
#include "synack/base/time.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {

/// A Fast Open cookie as carried in option kind 34: len 0 is a cookie request,
/// otherwise 4..16 bytes, even (RFC 7413 §4.1.1).
struct TfoCookie {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t len = 0;
  bool operator==(const TfoCookie&) const = default;
  /// The option's value as wire::TcpOptions holds it.
  static std::optional<TfoCookie> from(const wire::TcpOptions& o);
  void put(wire::TcpOptions& o) const {
    o.tfo_cookie = bytes;
    o.tfo_cookie_len = len;
  }
};

/// What a listener decided about a SYN's Fast Open option (TcpProtocol::tfo_on_syn),
/// handed to Tcb::open_from_listen.
struct TfoPassive {
  std::optional<TfoCookie> send_cookie;  ///< put this cookie in the SYN,ACK
  bool accept_data = false;              ///< valid cookie: the SYN's data is taken now
  bool drop_data = false;                ///< a Fast Open SYN without a valid cookie
};

/// The server side (RFC 7413 §4.1.2): "The server is in charge of cookie generation
/// and authentication." Cookie = SipHash-2-4 (libsodium crypto_shorthash, 8 bytes) of
/// the client's IPv4 address under a secret key drawn from the injected Random. The
/// key is replaced every `rotation`; the previous key stays valid until the next
/// rotation (a grace period of one interval), so a cookie lives between one and two
/// intervals. Keys move forward lazily, at the first use after a rotation is due.
class TfoServerKeys {
 public:
  static constexpr std::uint8_t kCookieLen = 8;
  TfoServerKeys(Random& random, Duration rotation);
  /// The cookie for `client` under the current key.
  /// The first use draws the first key (so a stack that never sees Fast Open draws
  /// nothing from its Random).
  TfoCookie make(wire::IpAddr client, Instant now);
  /// Valid under the current key or the previous one (the grace period)?
  bool valid(wire::IpAddr client, const TfoCookie& cookie, Instant now);
  std::uint64_t rotations() const { return rotations_; }

 private:
  using Key = std::array<unsigned char, 16>;
  void rotate_if_due(Instant now);
  Key draw();
  static TfoCookie cookie_under(const Key& key, wire::IpAddr client);

  Random& random_;
  Duration rotation_;
  Key current_{};
  std::optional<Key> previous_;
  std::optional<Instant> epoch_;  ///< when current_ became current (set at first use)
  std::uint64_t rotations_ = 0;
};

/// The client side (RFC 7413 §4.1.3): "the client caches the cookie ... along with the
/// server's MSS" per server IP address. Bounded: the least recently used entry goes
/// when a new server arrives at `capacity` entries. A SYN with data that timed out
/// (§4.2.2: the data or the option may be dropped by a middlebox) stops data on SYNs
/// to that server for `holdoff` << (losses - 1) (at most 64 x): the SYNs carry no
/// Fast Open option meanwhile, as Linux's tcp_fastopen_cookie_check after SYN losses.
class TfoCookieCache {
 public:
  struct Entry {
    std::optional<TfoCookie> cookie;  ///< the server's last cookie (len >= 4)
    std::uint16_t mss = 0;            ///< the server's MSS option on that SYN,ACK (0: none)
    std::uint32_t syn_losses = 0;     ///< SYNs with data that timed out, in a row
    Instant last_loss;
  };
  TfoCookieCache(std::size_t capacity, Duration holdoff) : capacity_(capacity), holdoff_(holdoff) {}

  /// What to send on a SYN to `server`, nullopt: no Fast Open option at all (held off).
  const Entry* find(wire::IpAddr server) const;
  bool held_off(wire::IpAddr server, Instant now) const;
  /// A SYN,ACK carried a cookie (and the server's MSS option, 0 if none).
  void store(wire::IpAddr server, const TfoCookie& cookie, std::uint16_t mss);
  /// Our SYN with data had to be retransmitted (its data left out).
  void note_syn_loss(wire::IpAddr server, Instant now);
  /// The server acknowledged the data on our SYN.
  void note_success(wire::IpAddr server);
  std::size_t size() const { return map_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  Entry& touch(wire::IpAddr server);

  std::size_t capacity_;
  Duration holdoff_;
  std::list<wire::IpAddr> lru_;  ///< most recently used first
  struct Slot {
    Entry entry;
    std::list<wire::IpAddr>::iterator pos;
  };
  std::map<wire::IpAddr, Slot> map_;
};

}  // namespace synack::tcp
