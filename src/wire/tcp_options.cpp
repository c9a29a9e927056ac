// TCP options (RFC 9293 §3.1/§3.2, RFC 7323, RFC 2018, RFC 7413): the one option
// parser and the one option writer.
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <iterator>
#include <utility>

#include <sstream>

#include "synack/wire/tcp.hpp"

namespace synack::wire {

namespace {

enum Kind : std::uint8_t {
  kEol = 0,
  kNop = 1,
  kMss = 2,
  kWindowScale = 3,
  kSackPermitted = 4,
  kSack = 5,
  kTimestamps = 8,
  kFastOpen = 34,
};

constexpr std::size_t kMaxOptionsLen = 40;  // data offset 15 words - 5 fixed words
constexpr std::size_t kSackBlockLen = 8;
constexpr std::size_t kMaxTfoCookie = 16;

// A length that is fixed for a known kind; nullopt when the kind is variable or unknown.
std::optional<std::size_t> fixed_length(std::uint8_t kind) {
  switch (kind) {
    case kMss:
      return 4;
    case kWindowScale:
      return 3;
    case kSackPermitted:
      return 2;
    case kTimestamps:
      return 10;
    default:
      return std::nullopt;
  }
}

bool valid_variable_length(std::uint8_t kind, std::size_t len) {
  switch (kind) {
    case kSack: {
      // RFC 2018 §3: length 2 + 8*n; at most 4 blocks fit in 40 bytes.
      std::size_t n = (len - 2) / kSackBlockLen;
      return (len - 2) % kSackBlockLen == 0 && n >= 1 && n <= 4;
    }
    case kFastOpen: {
      // RFC 7413 §4.1.1: length 2 is a cookie request; a cookie is 4..16 bytes, even.
      std::size_t cookie = len - 2;
      return cookie == 0 || (cookie >= 4 && cookie <= kMaxTfoCookie && cookie % 2 == 0);
    }
    default:
      return true;  // unknown kinds are skipped by length
  }
}

void apply_option(TcpOptions& o, std::uint8_t kind, Bytes body) {
  switch (kind) {
    case kMss:
      o.mss = load_be16(body, 0);
      break;
    case kWindowScale:
      // Kept raw; RFC 7323 §2.3 clamping to 14 is the TCP layer's decision.
      o.window_scale = load_u8(body, 0);
      break;
    case kSackPermitted:
      o.sack_permitted = true;
      break;
    case kSack:
      o.sack_blocks = {};
      o.sack_count = static_cast<std::uint8_t>(body.size() / kSackBlockLen);
      for (std::size_t i = 0; i < o.sack_count; ++i) {
        o.sack_blocks[i] = {SeqNum(load_be32(body, i * 8)), SeqNum(load_be32(body, i * 8 + 4))};
      }
      break;
    case kTimestamps:
      o.timestamps = TcpTimestamps{load_be32(body, 0), load_be32(body, 4)};
      break;
    case kFastOpen: {
      std::array<std::uint8_t, 16> cookie{};
      for (std::size_t i = 0; i < body.size(); ++i) cookie[i] = load_u8(body, i);
      o.tfo_cookie = cookie;
      o.tfo_cookie_len = static_cast<std::uint8_t>(body.size());
      break;
    }
    default:
      break;
  }
}

// The cookie length actually sent: callers are expected to use 0 or 4..16 (even);
// anything else is cut so the output stays 4-byte aligned and in bounds.
std::size_t tfo_len(const TcpOptions& o) {
  return std::min<std::size_t>(o.tfo_cookie_len, kMaxTfoCookie) & ~std::size_t{1};
}

// Bytes used by everything except SACK blocks, in the emitted layout (each option
// starts on a 4-byte boundary, as Linux lays them out).
std::size_t base_len(const TcpOptions& o) {
  std::size_t n = 0;
  if (o.mss) n += 4;
  if (o.timestamps) {
    n += 12;  // sackOK (or NOP,NOP) + TS
  } else if (o.sack_permitted) {
    n += 4;
  }
  if (o.window_scale) n += 4;
  if (o.tfo_cookie) n += (2 + tfo_len(o) + 3) / 4 * 4;
  return n;
}

// SACK blocks that fit after the other options: RFC 2018 §3 lets the sender cut
// the list; the first block (most recent) is kept.
std::size_t sack_blocks_to_send(const TcpOptions& o) {
  if (o.sack_count == 0) return 0;
  std::size_t room = kMaxOptionsLen - base_len(o);
  std::size_t fit = room >= 4 + kSackBlockLen ? (room - 4) / kSackBlockLen : 0;
  return std::min<std::size_t>({o.sack_count, fit, 4});
}

class Writer {
 public:
  explicit Writer(MutBytes out) : out_(out) {}
  void u8(std::uint8_t v) { store_u8(out_, pos_++, v); }
  void be16(std::uint16_t v) {
    store_be16(out_, pos_, v);
    pos_ += 2;
  }
  void be32(std::uint32_t v) {
    store_be32(out_, pos_, v);
    pos_ += 4;
  }
  std::size_t pos() const { return pos_; }

 private:
  MutBytes out_;
  std::size_t pos_ = 0;
};

}  // namespace

std::size_t TcpOptions::encoded_len() const {
  std::size_t blocks = sack_blocks_to_send(*this);
  return base_len(*this) + (blocks > 0 ? 4 + blocks * kSackBlockLen : 0);
}

Result<TcpOptions, WireError> parse_tcp_options(Bytes area) {
  TcpOptions o;
  std::size_t i = 0;
  // RFC 9293 §3.1 MUST-64: options may begin on any octet boundary.
  while (i < area.size()) {
    std::uint8_t kind = load_u8(area, i);
    if (kind == kEol) break;  // end of option list
    if (kind == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= area.size()) return Err{WireError::BadOptionLength};
    std::size_t len = load_u8(area, i + 1);
    if (len < 2 || i + len > area.size()) return Err{WireError::BadOptionLength};
    auto fixed = fixed_length(kind);
    if (fixed ? len != *fixed : !valid_variable_length(kind, len)) {
      return Err{WireError::BadOptionLength};
    }
    apply_option(o, kind, area.subspan(i + 2, len - 2));
    i += len;
  }
  return o;
}

std::size_t emit_tcp_options(const TcpOptions& o, MutBytes out) {
  std::size_t total = o.encoded_len();
  assert(out.size() >= total);
  Writer w(out);
  if (o.mss) {
    w.u8(kMss);
    w.u8(4);
    w.be16(*o.mss);
  }
  if (o.timestamps) {
    if (o.sack_permitted) {
      w.u8(kSackPermitted);
      w.u8(2);
    } else {
      w.u8(kNop);
      w.u8(kNop);
    }
    w.u8(kTimestamps);
    w.u8(10);
    w.be32(o.timestamps->tsval);
    w.be32(o.timestamps->tsecr);
  } else if (o.sack_permitted) {
    w.u8(kNop);
    w.u8(kNop);
    w.u8(kSackPermitted);
    w.u8(2);
  }
  if (std::size_t blocks = sack_blocks_to_send(o); blocks > 0) {
    w.u8(kNop);
    w.u8(kNop);
    w.u8(kSack);
    w.u8(static_cast<std::uint8_t>(2 + blocks * kSackBlockLen));
    for (std::size_t b = 0; b < blocks; ++b) {
      w.be32(o.sack_blocks[b].left.raw());
      w.be32(o.sack_blocks[b].right.raw());
    }
  }
  if (o.window_scale) {
    w.u8(kNop);
    w.u8(kWindowScale);
    w.u8(3);
    w.u8(*o.window_scale);
  }
  if (o.tfo_cookie) {
    std::size_t cookie = tfo_len(o);
    w.u8(kFastOpen);
    w.u8(static_cast<std::uint8_t>(2 + cookie));
    for (std::size_t k = 0; k < cookie; ++k) w.u8((*o.tfo_cookie)[k]);
  }
  while (w.pos() < total) w.u8(kNop);  // pad to a 32-bit boundary
  return total;
}

std::string format_tcp_options(const TcpOptions& o) {
  // Printed the way tcpdump prints what emit_tcp_options writes, NOP padding
  // included, so a kernel SYN reads "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>".
  // Written to one stream (GCC 12's -Wrestrict misfires on chains of std::string
  // operator+ at -O3), so the core needs no formatting library.
  std::ostringstream out;
  bool first = true;
  auto item = [&]() -> std::ostringstream& {
    out << (first ? '<' : ',');
    first = false;
    return out;
  };
  if (o.mss) item() << "mss " << *o.mss;
  if (o.timestamps) {
    if (o.sack_permitted) {
      item() << "sackOK";
    } else {
      item() << "nop";
      item() << "nop";
    }
    item() << "TS val " << o.timestamps->tsval << " ecr " << o.timestamps->tsecr;
  } else if (o.sack_permitted) {
    item() << "nop";
    item() << "nop";
    item() << "sackOK";
  }
  if (std::size_t blocks = sack_blocks_to_send(o); blocks > 0) {
    item() << "nop";
    item() << "nop";
    item() << "sack " << blocks << ' ';
    for (std::size_t b = 0; b < blocks; ++b) {
      out << '{' << o.sack_blocks[b].left.raw() << ':' << o.sack_blocks[b].right.raw() << '}';
    }
  }
  if (o.window_scale) {
    item() << "nop";
    item() << "wscale " << unsigned{*o.window_scale};
  }
  if (o.tfo_cookie) {
    std::size_t cookie = tfo_len(o);
    if (cookie == 0) {
      item() << "tfo cookiereq";
    } else {
      item() << "tfo cookie ";
      static constexpr char kHex[] = "0123456789abcdef";
      for (std::size_t k = 0; k < cookie; ++k) {
        unsigned v = static_cast<unsigned>((*o.tfo_cookie)[k]);
        out << kHex[(v >> 4) & 0xf] << kHex[v & 0xf];
      }
    }
    if ((2 + cookie) % 4 != 0) {
      item() << "nop";
      item() << "nop";
    }
  }
  if (!first) out << '>';
  return std::move(out).str();
}

}  // namespace synack::wire
