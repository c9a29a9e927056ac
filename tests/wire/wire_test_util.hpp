// Helpers shared by the wire-layer tests.
#pragma once

#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"

namespace synack::wire::test {

// Every frame of an Ethernet capture under tests/vectors (e.g. "kernel.pcap"), each
// captured whole (-s 0); a failure (and nothing) if it cannot be read.
inline std::vector<ByteVec> load_vector_frames(const std::string& name) {
  const std::string path = std::string(SYNACK_SOURCE_DIR) + "/tests/vectors/" + name;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) {
    ADD_FAILURE() << "cannot open " << path << ": " << err;
    return {};
  }
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  std::vector<ByteVec> frames;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    EXPECT_EQ(h->caplen, h->len);
    const auto* b = reinterpret_cast<const std::byte*>(data);
    frames.emplace_back(b, b + h->caplen);
  }
  pcap_close(p);
  return frames;
}

// "45 00 00 54" or "45000054" -> bytes; whitespace ignored.
inline ByteVec hex(std::string_view s) {
  ByteVec out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      continue;
    } else {
      throw std::invalid_argument("bad hex digit");
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(std::byte(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline ByteVec bytes_of(std::string_view s) {
  Bytes b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}

inline Bytes view(const ByteVec& v) {
  return Bytes(v.data(), v.size());
}

inline void flip_bit(ByteVec& v, std::size_t bit) {
  v[bit / 8] ^= std::byte(0x80 >> (bit % 8));
}

}  // namespace synack::wire::test
