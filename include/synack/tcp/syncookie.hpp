// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, answer a SYN
// with a SYN,ACK whose ISN encodes what the connection needs and keep no state. The
// returning ACK (SEG.ACK - 1 is the cookie, SEG.SEQ - 1 the client's ISN) proves the
// peer saw our SYN,ACK and lets the listener rebuild the connection.
//
// Layout, as Linux's secure_tcp_syn_cookie (net/ipv4/syncookies.c), our own code:
//   cookie = H0(4-tuple) + client ISN + (count << 24)
//            + ((H1(4-tuple, count) + mss_index) & 0xFFFFFF)
// H0, H1: SipHash-2-4 (libsodium crypto_shorthash) under two secret 128-bit keys.
// count: 64-second ticks of the Instant; a cookie is valid for kMaxAge ticks more.
// Only the 2-bit MSS index fits; window scale and SACK-permitted ride in the low
// bits of our SYN,ACK's TSval (cookie_tsval), which the ACK's TSecr returns.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "synack/base/random.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"
#include "synack/tcp/types.hpp"

namespace synack::tcp {

class SynCookieCodec {
 public:
  /// The MSS values a cookie can carry (Linux's msstab for IPv4): the largest entry
  /// not above the peer's MSS is used; without an MSS option, 536 (MUST-15).
  static constexpr std::array<std::uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
  /// The same for IPv6 peers (Linux's msstab for IPv6: MTUs 1280, 1480, 1500 and 9000
  /// less 60 bytes of headers); without an MSS option, 1220 (MUST-15 for IPv6).
  static constexpr std::array<std::uint16_t, 4> kMssTable6{1220, 1420, 1440, 8940};
  /// The table for a peer of this address family.
  static constexpr const std::array<std::uint16_t, 4>& mss_table(bool ipv6) {
    return ipv6 ? kMssTable6 : kMssTable;
  }
  static constexpr Duration kTick = std::chrono::seconds(64);
  /// A cookie made at tick t is accepted at ticks t .. t + kMaxAge (Linux accepts one
  /// tick less: MAX_SYNCOOKIE_AGE 2 means ages 0 and 1).
  static constexpr std::uint32_t kMaxAge = 2;
  using Key = std::array<unsigned char, 16>;

  SynCookieCodec(const Key& k0, const Key& k1) : k0_(k0), k1_(k1) {}
  /// Draws both keys from the injected random source.
  explicit SynCookieCodec(Random& random);

  static std::uint32_t tick(Instant now);
  /// Index into mss_table(ipv6) for the peer's MSS option (none: the table's first entry).
  static std::uint8_t mss_index(std::optional<std::uint16_t> peer_mss, bool ipv6 = false);

  /// The ISN of a cookie SYN,ACK for the SYN from `remote` to `local`.
  std::uint32_t encode(Endpoint local, Endpoint remote, SeqNum client_isn, std::uint8_t mss_index,
                       std::uint32_t tick) const;
  /// The MSS index the cookie carries, or nullopt if it is not ours, was made for
  /// another 4-tuple or client ISN, or is older than kMaxAge ticks at `tick`.
  std::optional<std::uint8_t> decode(Endpoint local, Endpoint remote, SeqNum client_isn,
                                     std::uint32_t cookie, std::uint32_t tick) const;

 private:
  std::uint32_t hash(const Key& key, Endpoint local, Endpoint remote,
                     std::optional<std::uint32_t> count) const;

  Key k0_{};
  Key k1_{};
};

/// What the low 6 bits of a cookie SYN,ACK's TSval carry (Linux's
/// cookie_init_timestamp): bits 0-3 the peer's window scale shift (0xF: the peer
/// offered no window scaling), bit 4 SACK-permitted, bit 5 ECN (always 0 here).
struct CookieTsOptions {
  std::optional<std::uint8_t> wscale;  ///< the peer's shift (<= 14)
  bool sack_permitted = false;
  bool operator==(const CookieTsOptions&) const = default;
};

/// Our SYN,ACK's TSval: ts_now with its low 6 bits replaced by the options, moved
/// back 64 if that would put it ahead of ts_now (a TSval must not run ahead of the
/// clock the connection's later segments use).
std::uint32_t cookie_tsval(std::uint32_t ts_now, const CookieTsOptions& o);
/// The options from the returning ACK's TSecr; nullopt if the bits are not ones we
/// send (ECN bit set), which makes the cookie invalid.
std::optional<CookieTsOptions> cookie_ts_options(std::uint32_t tsecr);

/// What Tcb::open_from_cookie rebuilds a connection from.
struct CookieConnection {
  SeqNum iss;                          ///< the cookie
  std::uint16_t mss = 536;             ///< from the table
  std::optional<std::uint8_t> wscale;  ///< the peer's shift; nullopt: no window scaling
  bool sack_permitted = false;         ///< recorded, not used (no SACK yet)
  bool timestamps = false;             ///< TSopt in use (the ACK carried one)
};

}  // namespace synack::tcp
