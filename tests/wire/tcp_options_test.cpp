#include <gtest/gtest.h>

#include "synack/wire/tcp.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

TcpOptions parse_ok(const char* area) {
  ByteVec a = hex(area);
  auto r = parse_tcp_options(view(a));
  EXPECT_TRUE(r.ok()) << area << ": " << to_string(r.error());
  return r.ok() ? r.value() : TcpOptions{};
}

void expect_bad(const char* area) {
  ByteVec a = hex(area);
  auto r = parse_tcp_options(view(a));
  ASSERT_FALSE(r.ok()) << area;
  EXPECT_EQ(r.error(), WireError::BadOptionLength) << area;
}

ByteVec emit(const TcpOptions& o) {
  ByteVec out(40, std::byte{0xee});
  out.resize(emit_tcp_options(o, out));
  return out;
}

TcpOptions kernel_syn_options() {
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{1, 0};
  o.window_scale = 7;
  return o;
}

// Linux's SYN option layout: mss, sackOK+TS, nop, wscale.
const char* kKernelSyn = "020405b4 0402080a 00000001 00000000 01030307";

TEST(TcpOptions, ParsesKernelSyn) {
  EXPECT_EQ(parse_ok(kKernelSyn), kernel_syn_options());
}

TEST(TcpOptions, EmitsKernelLayout) {
  TcpOptions o = kernel_syn_options();
  EXPECT_EQ(o.encoded_len(), 20u);
  EXPECT_EQ(emit(o), hex(kKernelSyn));
  EXPECT_EQ(format_tcp_options(o), "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
}

TEST(TcpOptions, EmptyHasNoBytesAndNoText) {
  TcpOptions o;
  EXPECT_EQ(o.encoded_len(), 0u);
  EXPECT_TRUE(emit(o).empty());
  EXPECT_EQ(format_tcp_options(o), "");
  EXPECT_EQ(parse_ok(""), TcpOptions{});
}

TEST(TcpOptions, UnknownOptionsSkippedByLength) {
  // MPTCP (30) with 6 bytes, then an unassigned kind 99 of length 2, then MSS.
  TcpOptions o = parse_ok("1e06 00000000 6302 020405b4");
  ASSERT_TRUE(o.mss.has_value());
  EXPECT_EQ(*o.mss, 1460);
  // Experimental TFO (254 + magic) is not RFC 7413 kind 34: skipped.
  TcpOptions exp = parse_ok("fe06f989 0000 01010101");
  EXPECT_FALSE(exp.tfo_cookie.has_value());
}

TEST(TcpOptions, EolStopsParsing) {
  // Everything after EOL is ignored, even what would be malformed.
  TcpOptions o = parse_ok("01 00 020405b4 0201");
  EXPECT_FALSE(o.mss.has_value());
  TcpOptions before = parse_ok("030307 00 0000 ff");
  EXPECT_EQ(before.window_scale, 7);
}

TEST(TcpOptions, AnyAlignment) {
  // RFC 9293 MUST-64: options may start on any octet.
  TcpOptions o = parse_ok(
      "01 020405b4 030302 080a 0000000a 0000000b 0402 01 0512 00000001 00000002 00000003 00000004");
  EXPECT_EQ(o.mss, 1460);
  EXPECT_EQ(o.window_scale, 2);
  EXPECT_EQ(o.timestamps, (TcpTimestamps{10, 11}));
  EXPECT_TRUE(o.sack_permitted);
  ASSERT_EQ(o.sack_count, 2);
  EXPECT_EQ(o.sack_blocks[0], (SackBlock{SeqNum(1), SeqNum(2)}));
  EXPECT_EQ(o.sack_blocks[1], (SackBlock{SeqNum(3), SeqNum(4)}));
}

TEST(TcpOptions, MalformedLengths) {
  expect_bad("1e00");                                        // zero length
  expect_bad("1e01");                                        // length 1
  expect_bad("0200");                                        // MSS with length 0
  expect_bad("01 02");                                       // a kind with no length byte
  expect_bad("1e08 000000");                                 // runs past the options area
  expect_bad("0204 05");                                     // MSS cut short
  expect_bad("020305 00");                                   // MSS length 3
  expect_bad("020505b400");                                  // MSS length 5
  expect_bad("0304 0700");                                   // window scale length 4
  expect_bad("0302");                                        // window scale length 2
  expect_bad("0403 00");                                     // SACK-permitted length 3
  expect_bad("0808 0000000000000000");                       // timestamps length 8
  expect_bad("050e 00000001 00000002 00000003");             // SACK with a partial block
  expect_bad("0502");                                        // SACK with no blocks
  expect_bad("0503 00");                                     // SACK length 3
  expect_bad("2203 00");                                     // TFO cookie of 1 byte
  expect_bad("2204 0000");                                   // TFO cookie of 2 bytes
  expect_bad("2207 0000000000");                             // TFO cookie of 5 bytes (odd)
  expect_bad("2214 00000000000000000000000000000000 0000");  // 18-byte cookie
}

TEST(TcpOptions, SackBlocks) {
  for (std::uint8_t n = 1; n <= 4; ++n) {
    TcpOptions o;
    o.sack_count = n;
    for (std::uint8_t i = 0; i < n; ++i) {
      o.sack_blocks[i] = {SeqNum(1000u * i + 1), SeqNum(1000u * i + 501)};
    }
    ByteVec b = emit(o);
    EXPECT_EQ(b.size(), 4u + 8u * n);
    EXPECT_EQ(b[2], std::byte{5});
    EXPECT_EQ(b[3], std::byte(2 + 8 * n));
    auto r = parse_tcp_options(view(b));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), o);
  }
  TcpOptions two;
  two.timestamps = TcpTimestamps{7, 9};
  two.sack_count = 2;
  two.sack_blocks[0] = {SeqNum(100), SeqNum(200)};
  two.sack_blocks[1] = {SeqNum(4294967000u), SeqNum(300)};
  EXPECT_EQ(format_tcp_options(two),
            "<nop,nop,TS val 7 ecr 9,nop,nop,sack 2 {100:200}{4294967000:300}>");
}

TEST(TcpOptions, TooManyOptionsDropSackBlocksFirst) {
  TcpOptions o;
  o.timestamps = TcpTimestamps{1, 2};
  o.sack_count = 4;
  for (std::uint32_t i = 0; i < 4; ++i) o.sack_blocks[i] = {SeqNum(10 * i), SeqNum(10 * i + 5)};
  // TS (12) + 4 blocks (36) = 48 > 40: keep the first three blocks.
  EXPECT_EQ(o.encoded_len(), 40u);
  ByteVec b = emit(o);
  ASSERT_EQ(b.size(), 40u);
  auto r = parse_tcp_options(view(b));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sack_count, 3);
  EXPECT_EQ(r->sack_blocks[0], o.sack_blocks[0]);
  EXPECT_EQ(r->sack_blocks[2], o.sack_blocks[2]);
  EXPECT_EQ(r->timestamps, o.timestamps);

  // Everything else at once fills 40 bytes; no room for any block.
  TcpOptions full = kernel_syn_options();
  full.tfo_cookie =
      std::array<std::uint8_t, 16>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  full.tfo_cookie_len = 16;
  full.sack_count = 1;
  full.sack_blocks[0] = {SeqNum(1), SeqNum(2)};
  EXPECT_EQ(full.encoded_len(), 40u);
  ByteVec fb = emit(full);
  ASSERT_EQ(fb.size(), 40u);
  auto fr = parse_tcp_options(view(fb));
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ(fr->sack_count, 0);
  EXPECT_EQ(fr->tfo_cookie, full.tfo_cookie);
  EXPECT_EQ(fr->mss, 1460);
}

TEST(TcpOptions, FastOpen) {
  TcpOptions req = parse_ok("2202 0101");
  ASSERT_TRUE(req.tfo_cookie.has_value());
  EXPECT_EQ(req.tfo_cookie_len, 0);
  TcpOptions cookie = parse_ok("220a 0102030405060708");
  ASSERT_TRUE(cookie.tfo_cookie.has_value());
  EXPECT_EQ(cookie.tfo_cookie_len, 8);
  EXPECT_EQ((*cookie.tfo_cookie)[0], 1);
  EXPECT_EQ((*cookie.tfo_cookie)[7], 8);
  EXPECT_EQ((*cookie.tfo_cookie)[8], 0);

  TcpOptions o;
  o.mss = 1460;
  o.tfo_cookie = std::array<std::uint8_t, 16>{};
  o.tfo_cookie_len = 0;
  EXPECT_EQ(emit(o), hex("020405b4 2202 0101"));
  EXPECT_EQ(format_tcp_options(o), "<mss 1460,tfo cookiereq,nop,nop>");
  EXPECT_EQ(emit(cookie), hex("220a 0102030405060708 0101"));
  EXPECT_EQ(format_tcp_options(cookie), "<tfo cookie 0102030405060708,nop,nop>");
  TcpOptions six = parse_ok("2208 a1a2a3a4a5a6");
  EXPECT_EQ(emit(six), hex("2208 a1a2a3a4a5a6"));  // already a 4-byte multiple
  EXPECT_EQ(format_tcp_options(six), "<tfo cookie a1a2a3a4a5a6>");
}

TEST(TcpOptions, FastOpenEveryCookieLength) {
  // RFC 7413 §4.1.1: "The cookie length MUST be ... 4 to 16 bytes" and even; length
  // 2 (no cookie) is a request. Every even length round-trips, every other is rejected.
  for (std::size_t n = 0; n <= 18; ++n) {
    ByteVec area{std::byte{0x22}, std::byte(n + 2)};
    for (std::size_t i = 0; i < n; ++i) area.push_back(std::byte(0xa0 + i));
    while (area.size() % 4 != 0) area.push_back(std::byte{1});  // NOP padding
    auto r = parse_tcp_options(view(area));
    const bool valid = n == 0 || (n >= 4 && n <= 16 && n % 2 == 0);
    ASSERT_EQ(r.ok(), valid) << n;
    if (!valid) {
      EXPECT_EQ(r.error(), WireError::BadOptionLength) << n;
      continue;
    }
    ASSERT_TRUE(r->tfo_cookie.has_value()) << n;
    EXPECT_EQ(r->tfo_cookie_len, n);
    for (std::size_t i = 0; i < 16; ++i) {
      EXPECT_EQ((*r->tfo_cookie)[i], i < n ? 0xa0 + i : 0) << n << " " << i;
    }
    EXPECT_EQ(emit(*r), area) << n;  // the same bytes, padding included
  }
}

TEST(TcpOptions, RoundTripCombinations) {
  // Every subset of {mss, ws, sackOK, TS, sack blocks, tfo}: emit, parse, compare;
  // the area is a 4-byte multiple, at most 40 bytes.
  for (unsigned mask = 0; mask < 64; ++mask) {
    TcpOptions o;
    if (mask & 1) o.mss = 536;
    if (mask & 2) o.window_scale = 14;
    if (mask & 4) o.sack_permitted = true;
    if (mask & 8) o.timestamps = TcpTimestamps{0xffffffff, 0x12345678};
    if (mask & 16) {
      o.sack_count = 1;
      o.sack_blocks[0] = {SeqNum(5), SeqNum(9)};
    }
    if (mask & 32) {
      o.tfo_cookie = std::array<std::uint8_t, 16>{9, 8, 7, 6};
      o.tfo_cookie_len = 4;
    }
    ByteVec b = emit(o);
    EXPECT_EQ(b.size(), o.encoded_len()) << mask;
    EXPECT_EQ(b.size() % 4, 0u) << mask;
    EXPECT_LE(b.size(), 40u) << mask;
    auto r = parse_tcp_options(view(b));
    ASSERT_TRUE(r.ok()) << mask;
    EXPECT_EQ(r.value(), o) << mask << " " << format_tcp_options(o);
  }
}

TEST(TcpOptions, FormatSackPermittedWithoutTimestamps) {
  TcpOptions o;
  o.mss = 1400;
  o.sack_permitted = true;
  o.window_scale = 0;
  EXPECT_EQ(emit(o), hex("02040578 01010402 01030300"));
  EXPECT_EQ(format_tcp_options(o), "<mss 1400,nop,nop,sackOK,nop,wscale 0>");
}

}  // namespace
}  // namespace synack::wire
