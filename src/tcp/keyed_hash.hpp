// The input of a keyed hash over addresses and ports (ISNs, SYN cookies, port offsets,
// timestamp offsets): each address as on the wire, 4 bytes for IPv4 and 16 for IPv6,
// so an IPv4 input is byte for byte what it was before IPv6 existed.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/wire/addr.hpp"

namespace synack::tcp {

class KeyedHashInput {
 public:
  KeyedHashInput& add(std::byte tag) {
    bytes_[len_++] = tag;
    return *this;
  }
  KeyedHashInput& add(const wire::IpAddr& a) {
    const Bytes w = a.wire_bytes();
    for (std::size_t i = 0; i < w.size(); ++i) bytes_[len_ + i] = w[i];
    len_ += w.size();
    return *this;
  }
  KeyedHashInput& add16(std::uint16_t v) {
    store_be16(MutBytes(bytes_), len_, v);
    len_ += 2;
    return *this;
  }
  KeyedHashInput& add32(std::uint32_t v) {
    store_be32(MutBytes(bytes_), len_, v);
    len_ += 4;
    return *this;
  }
  /// SipHash-2-4 (libsodium's crypto_shorthash) of the bytes added, under `key`.
  std::array<unsigned char, crypto_shorthash_BYTES> hash(const unsigned char* key) const {
    std::array<unsigned char, crypto_shorthash_BYTES> h{};
    crypto_shorthash(h.data(), reinterpret_cast<const unsigned char*>(bytes_.data()), len_, key);
    return h;
  }

 private:
  std::array<std::byte, 48> bytes_{};  ///< tag + 2 IPv6 addresses + 2 ports + a counter: 41
  std::size_t len_ = 0;
};

}  // namespace synack::tcp
