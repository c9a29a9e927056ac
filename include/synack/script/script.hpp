// The scripted-segment language (packetdrill style) used by tests/scripts/*.pkt.
// One line per event: a segment injected into the stack (`<`), a segment the stack
// must have sent (`>`), or a socket call with its expected result. docs/SCRIPTS.md
// is the reference. This is library code so that a fuzz target can drive the parser:
// every malformed input yields a typed ScriptError with its line number, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "synack/base/result.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/base/time.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::script {

enum class ScriptErrorCode : std::uint8_t {
  LineTooLong,        // a line longer than kMaxLineLen
  TooManyLines,       // more than kMaxLines event lines
  BadTime,            // malformed time, or `~` range whose end precedes its start
  TimeGoesBackwards,  // an absolute time earlier than the previous line
  BadFlags,           // flags token with letters outside "SFRP.UEW" or repeated letters
  BadEcn,             // an IP ECN mark other than [noecn] [ect0] [ect1] [ce]
  BadSequence,        // `seq:end(len)` inconsistent, or malformed `seq N`
  MissingSequence,    // an injected (`<`) segment without a sequence number
  BadNumber,          // a number that is not decimal or overflows its field
  BadKeyword,         // unknown or repeated segment keyword
  BadOption,          // malformed `<...>` option list
  BadCall,            // malformed `name(args)` or unknown call name
  BadArgCount,        // known call with the wrong number of arguments
  BadExpect,          // malformed `= value` / `= -Error`
  BadDirective,       // malformed `%key value`
  TrailingGarbage,    // text after a complete line
};

std::string_view to_string(ScriptErrorCode c);

struct ScriptError {
  std::size_t line = 0;  // 1-based
  ScriptErrorCode code = ScriptErrorCode::BadCall;
  std::string detail;
  std::string to_string() const;  // "line 12: BadFlags: 'SX' ..."
};

inline constexpr std::size_t kMaxLineLen = 4096;
inline constexpr std::size_t kMaxLines = 100000;

enum class Direction : std::uint8_t { Inbound, Outbound };  // '<' injected, '>' expected

// When a line happens. `0.010` is absolute (seconds since script start), `+0.010` is
// relative to the previous line's (actual) time; `A~B` is a window [A, B] for `>`
// lines, each end absolute or '+' relative to the previous line (as in packetdrill).
struct TimeSpec {
  bool relative = false;
  Duration at{0};
  std::optional<Duration> until;
  bool until_relative = false;
  bool operator==(const TimeSpec&) const = default;
};

// Options as written in `<...>`. `*` for a timestamp value means "any" on `>` lines
// and "echo the last TSval the stack sent" (ecr) on `<` lines. SACK blocks are
// relative, like seq/ack: `<` blocks to the local ISN, `>` blocks to the remote ISN.
struct OptionSpec {
  wire::TcpOptions opts;
  bool tsval_any = false;
  bool tsecr_any = false;
  // `FO *` (RFC 7413 cookie): on `>` lines any cookie of 4..16 bytes; on `<` lines the
  // last cookie the stack sent. `FO` alone is a cookie request, `FO 0a0b0c0d` a cookie.
  bool tfo_any = false;
  bool operator==(const OptionSpec&) const = default;
};

// A segment as written. Sequence numbers are relative to the sender's ISN and the
// ack to the receiver's. Absent fields are not compared on `>` lines.
struct SegmentSpec {
  Direction dir = Direction::Inbound;
  std::uint8_t flags = 0;             // wire::TcpFlags bits
  std::optional<std::uint32_t> seq;   // start of the segment, relative
  std::uint32_t payload_len = 0;      // meaningful only when seq is present
  std::optional<std::uint32_t> ack;   // relative
  std::optional<std::uint16_t> win;   // raw header field (unscaled)
  std::optional<std::uint16_t> urg;   // raw urgent pointer
  std::optional<OptionSpec> options;  // present => options must match exactly
  // The IP header's ECN field (RFC 3168), written `[noecn]`, `[ect0]`, `[ect1]` or
  // `[ce]` after the direction, as packetdrill. Absent: Not-ECT (both directions).
  std::optional<wire::Ecn> ecn;
  bool operator==(const SegmentSpec&) const = default;
};

// A call argument: a number or an identifier (nodelay, ESTABLISHED, Readable ...).
struct Arg {
  std::variant<std::int64_t, std::string> v;
  bool is_number() const { return v.index() == 0; }
  std::int64_t number() const { return std::get<0>(v); }
  const std::string& ident() const { return std::get<1>(v); }
  bool operator==(const Arg&) const = default;
};

// `= 100` (value) or `= -Refused` (error enumerator name).
struct Expect {
  std::variant<std::int64_t, std::string> v;
  bool is_error() const { return v.index() == 1; }
  std::int64_t value() const { return std::get<0>(v); }
  const std::string& error() const { return std::get<1>(v); }
  bool operator==(const Expect&) const = default;
};

// Known calls: socket() listen([port]) connect([port[, local_port]]) accept() write(n)
// send_urgent(n) read(n) shutdown() close() abort() setsockopt(name, value) state(NAME)
// event(Kind) noevent(Kind) (no such event pending) icmp(type, code[, mtu]) (ICMPv4)
// icmp6(type, code[, mtu]) (ICMPv6: Destination Unreachable, Packet Too Big ...) urgent()
// (urgent bytes still to be read) tcp_info(name) connect_data(n[, port[, local_port]])
// (an active open with n bytes, RFC 7413) peer_port(n) (the peer's next connection)
// tcp_stat(name) (a ProtocolStats counter).
struct CallSpec {
  std::string name;
  std::vector<Arg> args;
  std::optional<Expect> expect;
  bool operator==(const CallSpec&) const = default;
};

struct Line {
  std::size_t number = 0;  // 1-based source line
  TimeSpec time;
  std::variant<SegmentSpec, CallSpec> body;
  bool operator==(const Line&) const = default;
};

// `%key value` before the first event line: runner configuration (remote_isn, mss ...;
// `%family ipv4` or `%family ipv6` runs the script in that address family only).
struct Directive {
  std::size_t number = 0;
  std::string key;
  Arg value;
  bool operator==(const Directive&) const = default;
};

struct Script {
  std::vector<Directive> directives;
  std::vector<Line> lines;
};

Result<Script, ScriptError> parse_script(std::string_view text);
// One event line (no comment handling beyond what parse_script strips).
Result<Line, ScriptError> parse_line(std::string_view text, std::size_t line_no);

// Canonical text; parse_line(format_line(l)) == l for every parsed line.
std::string format_time(const TimeSpec& t);
std::string format_segment(const SegmentSpec& s);  // "> P. 1:101(100) ack 1 win 502"
std::string format_call(const CallSpec& c);
std::string format_line(const Line& l);
std::string format_flags(std::uint8_t flags);  // tcpdump order: "S.", "FP.", ...
std::string_view format_ecn(wire::Ecn e);      // "noecn", "ect0", "ect1", "ce"

// The ISNs that make numbers relative. Unknown local ISN is 0 (absolute numbers).
struct SeqBases {
  SeqNum local_isn;
  SeqNum remote_isn;
};

// A real segment as a fully specified SegmentSpec (every field present), for
// comparison and for "got ..." messages.
SegmentSpec describe(Direction dir, const wire::TcpRepr& seg, const SeqBases& bases);

// Field names where `actual` (from describe) differs from the fields `expected`
// specifies; empty when the segment matches.
std::vector<std::string> mismatches(const SegmentSpec& expected, const SegmentSpec& actual);

// Builds the header of an injected (`<`) segment; the caller sets ports and payload.
// `last_tsval` supplies `ecr *`.
// `last_tfo` supplies `FO *` (nullopt: a cookie request).
wire::TcpRepr to_repr(const SegmentSpec& s, const SeqBases& bases, std::uint32_t last_tsval,
                      const std::optional<wire::TcpOptions>& last_tfo = std::nullopt);

// The byte at stream offset `off` (0 = first byte after the SYN) of any payload the
// runner injects or writes: verifiable position-dependent data.
inline std::byte pattern_byte(std::uint64_t off) {
  return std::byte(off % 251);
}

}  // namespace synack::script
