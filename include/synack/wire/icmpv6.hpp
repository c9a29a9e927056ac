#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/error.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"

namespace synack::wire {

/// ICMPv6 message types handled here (RFC 4443, RFC 4861, RFC 2710, RFC 3810).
enum class Icmpv6Type : std::uint8_t {
  DestUnreachable = 1,    ///< RFC 4443 §3.1
  PacketTooBig = 2,       ///< RFC 4443 §3.2 (MTU)
  TimeExceeded = 3,       ///< RFC 4443 §3.3
  ParameterProblem = 4,   ///< RFC 4443 §3.4 (pointer)
  EchoRequest = 128,      ///< RFC 4443 §4.1
  EchoReply = 129,        ///< RFC 4443 §4.2
  MldQuery = 130,         ///< Multicast Listener Query (MLDv1 and v2)
  MldV1Report = 131,      ///< MLDv1 report (RFC 2710)
  MldV1Done = 132,        ///< MLDv1 done (RFC 2710)
  RouterSolicit = 133,    ///< RFC 4861 §4.1
  RouterAdvert = 134,     ///< RFC 4861 §4.2
  NeighborSolicit = 135,  ///< RFC 4861 §4.3
  NeighborAdvert = 136,   ///< RFC 4861 §4.4
  Redirect = 137,         ///< RFC 4861 §4.5
  MldV2Report = 143,      ///< MLDv2 report (RFC 3810 §5.2)
};

/// Destination Unreachable codes (RFC 4443 §3.1).
enum class Icmpv6UnreachCode : std::uint8_t {
  NoRoute = 0,          ///< no route to destination
  AdminProhibited = 1,  ///< communication administratively prohibited
  BeyondScope = 2,      ///< beyond the scope of the source address
  Address = 3,          ///< address unreachable
  Port = 4,             ///< port unreachable
  SourcePolicy = 5,     ///< source address failed ingress/egress policy
  RejectRoute = 6,      ///< reject route to destination
};

/// A Prefix Information option (RFC 4861 §4.6.2).
struct NdpPrefixInfo {
  std::uint8_t prefix_len = 0;           ///< valid leading bits of `prefix`
  bool on_link = false;                  ///< L flag
  bool autonomous = false;               ///< A flag (SLAAC, RFC 4862)
  std::uint32_t valid_lifetime = 0;      ///< seconds; 0xffffffff is infinity
  std::uint32_t preferred_lifetime = 0;  ///< seconds; 0xffffffff is infinity
  Ipv6Addr prefix;                       ///< the prefix (bits after prefix_len ignored)
  bool operator==(const NdpPrefixInfo&) const = default;  ///< field by field
};

/// The NDP options synack understands (RFC 4861 §4.6, the Nonce of RFC 3971 §5.3.2).
/// Unknown options are skipped by their length on parse.
struct NdpOptions {
  static constexpr std::size_t kMaxPrefixes = 4;       ///< Prefix Information options kept
  std::optional<MacAddr> source_lla;                   ///< Source Link-Layer Address (type 1)
  std::optional<MacAddr> target_lla;                   ///< Target Link-Layer Address (type 2)
  std::array<NdpPrefixInfo, kMaxPrefixes> prefixes{};  ///< Prefix Information (type 3)
  std::uint8_t prefix_count = 0;                       ///< prefixes kept (at most kMaxPrefixes)
  std::uint8_t prefixes_dropped = 0;  ///< parse: Prefix Information options past kMaxPrefixes
  bool has_redirected = false;        ///< a Redirected Header option (type 4) is present
  Bytes redirected;  ///< its data: the redirected packet's start (zero padding included)
  std::optional<std::uint32_t> mtu;  ///< MTU (type 5)
  /// Nonce (type 14, 6 bytes; Linux sends it in DAD solicitations, RFC 7527).
  std::optional<std::array<std::uint8_t, 6>> nonce;

  /// Bytes emit writes: each option is a multiple of 8.
  std::size_t encoded_len() const;
};

/// One multicast address record of an MLDv2 report (RFC 3810 §5.2.4).
struct MldRecord {
  /// Record types (RFC 3810 §5.2.12).
  enum Type : std::uint8_t {
    kModeIsInclude = 1,    ///< MODE_IS_INCLUDE
    kModeIsExclude = 2,    ///< MODE_IS_EXCLUDE
    kChangeToInclude = 3,  ///< CHANGE_TO_INCLUDE_MODE (leave, with no sources)
    kChangeToExclude = 4,  ///< CHANGE_TO_EXCLUDE_MODE (join, with no sources)
    kAllowNew = 5,         ///< ALLOW_NEW_SOURCES
    kBlockOld = 6,         ///< BLOCK_OLD_SOURCES
  };
  std::uint8_t type = kChangeToExclude;               ///< record type
  std::uint16_t source_count = 0;                     ///< parse: sources listed (emit writes none)
  Ipv6Addr group;                                     ///< the multicast address
  bool operator==(const MldRecord&) const = default;  ///< field by field
};

/// An ICMPv6 message (RFC 4443) with NDP (RFC 4861) and MLD (RFC 2710, RFC 3810): one
/// struct for every type, each using the fields its format has. The checksum covers
/// the IPv6 pseudo-header (build it with PseudoHeader::ipv6 or Ipv6Repr::pseudo_header).
struct Icmpv6Repr {
  static constexpr std::size_t kHeaderLen = 8;  ///< type, code, checksum, 4 more bytes
  /// The invoking packet an error message carries at most: the whole IPv6 packet stays
  /// within the minimum MTU of 1280 (RFC 4443 §2.4(c)): 1280 - 40 - 8.
  static constexpr std::size_t kMaxErrorData = 1280 - Ipv6Repr::kHeaderLen - kHeaderLen;
  static constexpr std::size_t kMaxMldRecords = 16;  ///< MLDv2 report records kept

  static constexpr std::uint8_t kRaManaged = 0x80;    ///< RA M flag (RFC 4861 §4.2)
  static constexpr std::uint8_t kRaOther = 0x40;      ///< RA O flag
  static constexpr std::uint8_t kNaRouter = 0x80;     ///< NA R flag (RFC 4861 §4.4)
  static constexpr std::uint8_t kNaSolicited = 0x40;  ///< NA S flag
  static constexpr std::uint8_t kNaOverride = 0x20;   ///< NA O flag

  std::uint8_t type = 0;  ///< Icmpv6Type
  std::uint8_t code = 0;  ///< 0 for everything but errors

  std::uint16_t ident = 0;    ///< echo identifier
  std::uint16_t seq_no = 0;   ///< echo sequence number
  std::uint32_t mtu = 0;      ///< Packet Too Big: the next-hop MTU
  std::uint32_t pointer = 0;  ///< Parameter Problem: the offending octet's offset
  /// Echo: the data. Errors: the invoking packet (emit sends at most kMaxErrorData).
  /// Another type (emit only): what follows the first 8 bytes.
  Bytes data;

  std::uint8_t cur_hop_limit = 0;     ///< RA: Cur Hop Limit (0: unspecified)
  std::uint8_t ra_flags = 0;          ///< RA: M (0x80), O (0x40) and the rest of that byte
  std::uint16_t router_lifetime = 0;  ///< RA: seconds (0: not a default router)
  std::uint32_t reachable_time = 0;   ///< RA: milliseconds (0: unspecified)
  std::uint32_t retrans_timer = 0;    ///< RA: milliseconds (0: unspecified)
  std::uint8_t na_flags = 0;          ///< NA: R (0x80), S (0x40), O (0x20)
  Ipv6Addr target;                    ///< NS, NA, Redirect: the target address
  Ipv6Addr destination;               ///< Redirect: the destination address
  NdpOptions options;                 ///< RS, RA, NS, NA, Redirect

  std::uint16_t max_response = 0;     ///< MLD query: Maximum Response Code
  Ipv6Addr mld_group;                 ///< MLD query (0 = general), MLDv1 report/done
  std::uint8_t mld_version = 2;       ///< MLD query: 1 (24 bytes) or 2 (28 and more)
  bool suppress_router_side = false;  ///< MLDv2 query: S flag
  std::uint8_t qrv = 0;               ///< MLDv2 query: Querier's Robustness Variable
  std::uint8_t qqic = 0;              ///< MLDv2 query: Querier's Query Interval Code
  Bytes mld_sources;                  ///< MLDv2 query: the source addresses (16 bytes each)

  std::array<MldRecord, kMaxMldRecords> records{};  ///< MLDv2 report: the records kept
  std::uint16_t record_count = 0;   ///< MLDv2 report: records kept (emit writes these)
  std::uint16_t records_total = 0;  ///< MLDv2 report parse: Nr of Mcast Address Records

  bool is_error() const { return type < 128; }  ///< types 0..127 are errors (RFC 4443 §2.1)
  /// True for RS, RA, NS, NA and Redirect.
  bool is_ndp() const { return type >= 133 && type <= 137; }
  bool ra_managed() const { return (ra_flags & kRaManaged) != 0; }      ///< RA M flag
  bool ra_other() const { return (ra_flags & kRaOther) != 0; }          ///< RA O flag
  bool na_router() const { return (na_flags & kNaRouter) != 0; }        ///< NA R flag
  bool na_solicited() const { return (na_flags & kNaSolicited) != 0; }  ///< NA S flag
  bool na_override() const { return (na_flags & kNaOverride) != 0; }    ///< NA O flag

  /// Checks the checksum over the pseudo-header (unless `check` is Skip), the length of
  /// each message type, NDP's code 0 and options (a zero length or one past the message
  /// is BadOptionLength, RFC 4861 §4.6), that NS/NA targets and a Redirect's destination
  /// are not multicast and a Redirect's target is link-local or the destination (BadField),
  /// and MLDv2 record lengths. Types not listed in Icmpv6Type: Unsupported (RFC 4443
  /// §2.4(b): the stack hands unknown errors up by their type byte itself).
  static Result<Icmpv6Repr, WireError> parse(Bytes message, PseudoHeader ph,
                                             ChecksumCheck check = ChecksumCheck::Verify);
  /// Writes the message with its checksum (an error's data cut to kMaxErrorData; a
  /// Redirected Header padded with zeros to 8 bytes). Returns total_len().
  std::size_t emit(MutBytes out, PseudoHeader ph) const;
  /// The length emit writes.
  std::size_t total_len() const;
};

/// Why validate_ndp refused an NDP message (RFC 4861 §6.1, §7.1, §8.1).
enum class NdpCheck : std::uint8_t {
  Ok,                             ///< valid
  NotNdp,                         ///< not an NDP message type
  HopLimit,                       ///< the IP Hop Limit is not 255 (it came from off-link)
  SourceNotLinkLocal,             ///< RA and Redirect must come from a link-local address
  UnspecifiedSourceWithLla,       ///< RS or NS from :: with a Source Link-Layer Address option
  UnspecifiedSourceNotSolicited,  ///< NS from :: not sent to a solicited-node group
  SolicitedToMulticast,           ///< NA to a multicast address with the S flag set
};

/// The checks of RFC 4861 that need the IP header (hop limit 255, source address rules,
/// the destination of a DAD solicitation, the S flag of a multicast NA). Byte-level
/// checks are Icmpv6Repr::parse's.
NdpCheck validate_ndp(const Ipv6Repr& ip, const Icmpv6Repr& msg);
/// A short description: "hop limit not 255".
std::string_view to_string(NdpCheck c);

/// A one-line tcpdump-like summary: "echo request, id 7355, seq 1", "neighbor
/// solicitation, who has fd00:77::2", "packet too big, mtu 1280".
std::string describe(const Icmpv6Repr& m);

/// Writes an MLDv2 report (RFC 3810 §5.2) as a host sends it: the IPv6 header (hop limit
/// 1, to ff02::16), a Hop-by-Hop header with Router Alert 0, and the ICMPv6 report with
/// `msg`'s records. Returns the packet's length (out must hold 48 + msg.total_len()).
std::size_t emit_mld_report_packet(MutBytes out, const Ipv6Addr& src, const Icmpv6Repr& msg);

}  // namespace synack::wire
