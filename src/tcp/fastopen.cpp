// TCP Fast Open (RFC 7413): server cookie keys (SipHash-2-4) and the client cookie cache.
#include "synack/tcp/fastopen.hpp"

#include <sodium.h>

#include <algorithm>

namespace synack::tcp {

std::optional<TfoCookie> TfoCookie::from(const wire::TcpOptions& o) {
  if (!o.tfo_cookie) return std::nullopt;
  TfoCookie c;
  c.len = std::min<std::uint8_t>(o.tfo_cookie_len, 16);
  std::copy_n(o.tfo_cookie->begin(), c.len, c.bytes.begin());
  return c;
}

// ------------------------------------------------------------------ server keys
TfoServerKeys::TfoServerKeys(Random& random, Duration rotation)
    : random_(random), rotation_(rotation) {}

TfoServerKeys::Key TfoServerKeys::draw() {
  Key k{};
  for (std::size_t i = 0; i < k.size(); i += 8) {
    const std::uint64_t v = random_.next_u64();
    for (std::size_t j = 0; j < 8; ++j) k[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  return k;
}

void TfoServerKeys::rotate_if_due(Instant now) {
  if (!epoch_) {
    current_ = draw();
    epoch_ = now;
    return;
  }
  if (rotation_ <= Duration::zero() || now - *epoch_ < rotation_) return;
  // Two intervals or more without use: the previous key is older than its grace.
  const bool stale = now - *epoch_ >= 2 * rotation_;
  previous_ = stale ? std::nullopt : std::optional<Key>(current_);
  current_ = draw();
  epoch_ = now;
  ++rotations_;
}

TfoCookie TfoServerKeys::cookie_under(const Key& key, wire::IpAddr client) {
  // RFC 7413 §4.1.2: "The cookie SHOULD be a MAC tag of the client's IP address
  // under a secret key" (the example is AES_128; SipHash-2-4 is Linux's since 5.x).
  // The address as on the wire: 4 bytes for IPv4, 16 for IPv6.
  const Bytes in = client.wire_bytes();
  static_assert(crypto_shorthash_BYTES == kCookieLen);
  TfoCookie c;
  crypto_shorthash(c.bytes.data(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                   key.data());
  c.len = kCookieLen;
  return c;
}

TfoCookie TfoServerKeys::make(wire::IpAddr client, Instant now) {
  rotate_if_due(now);
  return cookie_under(current_, client);
}

bool TfoServerKeys::valid(wire::IpAddr client, const TfoCookie& cookie, Instant now) {
  rotate_if_due(now);
  if (cookie.len != kCookieLen) return false;
  // Compared in constant time: the cookie is a MAC.
  const TfoCookie cur = cookie_under(current_, client);
  if (sodium_memcmp(cur.bytes.data(), cookie.bytes.data(), kCookieLen) == 0) return true;
  if (!previous_) return false;
  const TfoCookie prev = cookie_under(*previous_, client);
  return sodium_memcmp(prev.bytes.data(), cookie.bytes.data(), kCookieLen) == 0;
}

// ----------------------------------------------------------------- client cache
const TfoCookieCache::Entry* TfoCookieCache::find(wire::IpAddr server) const {
  auto it = map_.find(server);
  return it == map_.end() ? nullptr : &it->second.entry;
}

bool TfoCookieCache::held_off(wire::IpAddr server, Instant now) const {
  const Entry* e = find(server);
  if (!e || e->syn_losses == 0) return false;
  const std::uint32_t shift = std::min<std::uint32_t>(e->syn_losses - 1, 6);
  return now - e->last_loss < holdoff_ * (std::int64_t{1} << shift);
}

TfoCookieCache::Entry& TfoCookieCache::touch(wire::IpAddr server) {
  auto it = map_.find(server);
  if (it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    return it->second.entry;
  }
  if (capacity_ > 0 && map_.size() >= capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(server);
  return map_.emplace(server, Slot{Entry{}, lru_.begin()}).first->second.entry;
}

void TfoCookieCache::store(wire::IpAddr server, const TfoCookie& cookie, std::uint16_t mss) {
  if (capacity_ == 0 || cookie.len < 4) return;
  Entry& e = touch(server);
  e.cookie = cookie;
  if (mss != 0) e.mss = mss;
}

void TfoCookieCache::note_syn_loss(wire::IpAddr server, Instant now) {
  if (capacity_ == 0) return;
  Entry& e = touch(server);
  ++e.syn_losses;
  e.last_loss = now;
}

void TfoCookieCache::note_success(wire::IpAddr server) {
  auto it = map_.find(server);
  if (it != map_.end()) it->second.entry.syn_losses = 0;
}

}  // namespace synack::tcp
