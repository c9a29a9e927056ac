#pragma once

#include <cstdint>
#include <optional>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/error.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::wire {

/// Next Header values an IPv6 host handles (IANA protocol numbers; RFC 8200 §4).
enum class NextHeader : std::uint8_t {
  HopByHop = 0,       ///< Hop-by-Hop Options (only right after the IPv6 header)
  Tcp = 6,            ///< TCP
  Udp = 17,           ///< UDP
  Routing = 43,       ///< Routing header
  Fragment = 44,      ///< Fragment header
  Esp = 50,           ///< IPsec ESP (not walked: unrecognised)
  Ah = 51,            ///< IPsec AH (not walked: unrecognised)
  Icmpv6 = 58,        ///< ICMPv6
  NoNextHeader = 59,  ///< nothing follows (RFC 8200 §4.7)
  DestOptions = 60,   ///< Destination Options
};

/// The fixed IPv6 header (RFC 8200 §3). Extension headers are part of the payload: walk
/// them with walk_ipv6_headers.
struct Ipv6Repr {
  static constexpr std::size_t kHeaderLen = 40;  ///< the fixed header
  std::uint8_t traffic_class = 0;  ///< DSCP and ECN (ecn_of / with_ecn apply, RFC 3168 §5)
  std::uint32_t flow_label = 0;    ///< 20 bits (RFC 6437)
  std::uint8_t next_header = 0;    ///< the first extension header or the upper layer
  std::uint8_t hop_limit = 64;     ///< decremented by each router
  Ipv6Addr src;                    ///< source address
  Ipv6Addr dst;                    ///< destination address
  Bytes payload;                   ///< exactly Payload Length bytes (extension headers included)

  /// The ECN field of the traffic class.
  Ecn ecn() const { return ecn_of(traffic_class); }
  /// Validates the version and the payload length against the buffer (bytes past it
  /// are link-layer padding and ignored). A payload length of 0 is taken as an empty
  /// payload (jumbograms, RFC 2675, are not supported).
  static Result<Ipv6Repr, WireError> parse(Bytes packet);
  /// Writes the 40-byte header, then copies payload unless it is already in place at
  /// out+40. Returns the total length (out must hold it; the payload is <= 65535 bytes).
  std::size_t emit(MutBytes out) const;
  std::size_t total_len() const { return kHeaderLen + payload.size(); }  ///< header + payload
  /// The pseudo-header for this packet's transport checksum (RFC 8200 §8.1).
  PseudoHeader pseudo_header() const { return PseudoHeader::ipv6(src, dst); }
};

/// The Fragment header (RFC 8200 §4.5).
struct Ipv6FragmentHeader {
  static constexpr std::size_t kLen = 8;  ///< always 8 bytes
  std::uint8_t next_header = 0;           ///< the header of the fragmentable part
  std::uint16_t offset = 0;               ///< in 8-byte units (13 bits)
  bool more = false;                      ///< M flag: more fragments follow
  std::uint32_t ident = 0;                ///< identification

  /// Offset 0 and M clear: a whole packet in one "fragment" (RFC 6946: process as is).
  bool is_atomic() const { return offset == 0 && !more; }
  /// The offset in bytes.
  std::size_t byte_offset() const { return std::size_t{offset} * 8; }
  /// The first 8 bytes of `b` (the reserved fields are ignored); Truncated if shorter.
  static Result<Ipv6FragmentHeader, WireError> parse(Bytes b);
  /// Writes kLen bytes (reserved fields zero; offset cut to 13 bits).
  std::size_t emit(MutBytes out) const;
  bool operator==(const Ipv6FragmentHeader&) const = default;  ///< field by field
};

/// Writes an 8-byte Hop-by-Hop Options header holding a Router Alert option (RFC 2711;
/// value 0 = MLD, as RFC 3810 §5 requires on MLD messages) and a 2-byte PadN, followed
/// by `next_header`. Returns 8.
std::size_t emit_router_alert_hbh(MutBytes out, std::uint8_t next_header, std::uint16_t value = 0);

/// ICMPv6 Parameter Problem codes (RFC 4443 §3.4, RFC 7112).
enum class ParamProblemCode : std::uint8_t {
  ErroneousField = 0,          ///< erroneous header field encountered
  UnrecognizedNextHeader = 1,  ///< unrecognized Next Header type encountered
  UnrecognizedOption = 2,      ///< unrecognized IPv6 option encountered
  IncompleteChain = 3,         ///< first fragment has an incomplete header chain
};

/// What a host does with a received packet after walking its headers.
enum class Ipv6Verdict : std::uint8_t {
  Deliver,           ///< the upper-layer header was reached (see upper_protocol)
  Reassemble,        ///< a fragment (not atomic): hand it to reassembly
  Discard,           ///< drop silently (see Ipv6HeaderChain::drop)
  ParameterProblem,  ///< drop and answer ICMPv6 Parameter Problem (code, pointer)
};

/// Why a walk ended in Ipv6Verdict::Discard.
enum class Ipv6DropReason : std::uint8_t {
  None,             ///< not discarded
  Truncated,        ///< an extension header runs past the payload
  BadOptionLength,  ///< an option runs past its header
  OptionAction,     ///< an unrecognised option whose action says discard (01, or 11 to multicast)
  TooManyHeaders,   ///< more than kMaxExtensionHeaders extension headers
};

/// The result of walking a received packet's extension headers as a host does (RFC 8200
/// §4): what to do with it and where its parts are. Offsets are from the start of the
/// IPv6 header (which is where Parameter Problem pointers count from, RFC 4443 §3.4).
struct Ipv6HeaderChain {
  /// The walk gives up (Discard, TooManyHeaders) after this many extension headers.
  static constexpr std::size_t kMaxExtensionHeaders = 16;

  Ipv6Verdict verdict = Ipv6Verdict::Deliver;  ///< what to do
  Ipv6DropReason drop = Ipv6DropReason::None;  ///< Discard: why
  /// Deliver: the upper-layer protocol (TCP 6, UDP 17, ICMPv6 58 or No Next Header 59).
  std::uint8_t upper_protocol = 0;
  std::size_t upper_offset = 0;               ///< Deliver: where the upper-layer header starts
  Bytes upper_payload;                        ///< Deliver: the upper-layer header and its data
  std::size_t extension_count = 0;            ///< extension headers walked
  std::optional<std::uint16_t> router_alert;  ///< a Hop-by-Hop Router Alert's value (RFC 2711)
  /// The Fragment header, if one was met (an atomic one, RFC 6946, does not stop the walk).
  std::optional<Ipv6FragmentHeader> fragment;
  /// Where the Fragment header starts: the length of the unfragmentable part.
  std::size_t fragment_at = 0;
  /// Where the Next Header field that names the Fragment header is (6: the IPv6 header's);
  /// a reassembler writes fragment->next_header there.
  std::size_t fragment_next_header_at = 0;
  Bytes fragment_data;  ///< Reassemble: this fragment's part of the fragmentable part
  /// ParameterProblem: the code.
  ParamProblemCode problem_code = ParamProblemCode::ErroneousField;
  std::uint32_t problem_pointer = 0;  ///< ParameterProblem: the offending octet
  /// The Next Header that stopped the walk was not one we know (a Parameter Problem
  /// code 1; the stack may answer differently, e.g. for a protocol it does handle).
  bool unrecognized_next_header() const {
    return verdict == Ipv6Verdict::ParameterProblem &&
           problem_code == ParamProblemCode::UnrecognizedNextHeader;
  }
};

/// Walks Hop-by-Hop (first only), Routing, Fragment and Destination Options headers up to
/// the upper-layer header, as a host processes them (RFC 8200 §4):
/// - options by their two high-order type bits (§4.2): 00 skip, 01 discard, 10 discard
///   and Parameter Problem code 2, 11 the same unless the destination is multicast;
///   Pad1/PadN; a Hop-by-Hop Router Alert is reported;
/// - a Routing header with Segments Left 0 is ignored; otherwise (type 0, RFC 5095,
///   included: a host implements no routing type) Parameter Problem code 0 at the
///   Routing Type;
/// - a Fragment header stops the walk (Reassemble) unless atomic; a fragment with M set
///   whose length is not a multiple of 8, or that would make the reassembled Payload
///   Length exceed 65535, is Parameter Problem code 0 (at the Payload Length, at the
///   Fragment Offset);
/// - a Hop-by-Hop header anywhere but first, or any unknown Next Header (ESP, AH ...):
///   Parameter Problem code 1 at that Next Header field.
/// The walk is bounded by the payload and kMaxExtensionHeaders.
Ipv6HeaderChain walk_ipv6_headers(const Ipv6Repr& ip);

/// RFC 7112 / RFC 8200 §4.5: whether a first fragment (offset 0, M set; `chain` from
/// walk_ipv6_headers with verdict Reassemble) holds every header after the Fragment
/// header up to and including the upper-layer header (TCP 20, UDP 8, ICMPv6 4 bytes).
/// If not, it is dropped with Parameter Problem code 3, pointer 0. True for any other
/// packet (nothing to check) and when the chain reaches a protocol we do not know.
bool first_fragment_chain_complete(const Ipv6HeaderChain& chain);

}  // namespace synack::wire
