// IP fragment reassembly (RFC 791 §3.2, RFC 815), sans-I/O: the time is passed in, no
// clock is read and no RNG is used. One class for IPv4 and IPv6: a datagram is keyed
// by (family, source, destination, protocol / next header, identification) with the
// addresses held as 16 bytes and a 32-bit identification; timeouts and limits come
// from the family's policy.
//
//   auto r = reasm.add(fragment, now);    // Complete: r.packet is header + whole payload
//   for (auto& e : reasm.expire(now)) ... // timed out; e.first: the offset-0 fragment
//   reasm.next_deadline();                // when expire() has work
//
// Overlaps (RFC 5722, and for IPv4 what Linux does since 4.19, ip_frag_queue's
// IPFRAG_OVERLAP): a fragment identical to one held (same offset, length and bytes) is
// a duplicate and ignored; any other overlap discards the whole datagram. A second last
// fragment with another end, or data beyond the end, also discards it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/config.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

/// The IP version a fragment belongs to (it selects the policy).
enum class IpFamily : std::uint8_t { Ipv4 = 4, Ipv6 = 6 };

/// What identifies one datagram being reassembled (RFC 791: source, destination,
/// protocol, identification; RFC 8200 §4.5: source, destination, identification).
struct FragmentKey {
  IpFamily family = IpFamily::Ipv4;  ///< selects the policy
  std::array<std::byte, 16> src{};   ///< IPv4: the 4 bytes first, the rest zero
  std::array<std::byte, 16> dst{};   ///< IPv4: the 4 bytes first, the rest zero
  std::uint8_t protocol = 0;         ///< IPv4 protocol (IPv6: the fragment's next header)
  std::uint32_t ident = 0;           ///< IPv4: 16 bits; IPv6: 32 bits
  /// The key of an IPv4 fragment.
  static FragmentKey ipv4(wire::Ipv4Addr src, wire::Ipv4Addr dst, std::uint8_t protocol,
                          std::uint16_t ident);
  auto operator<=>(const FragmentKey&) const = default;  ///< total order (std::map key)
};

/// One received fragment, as the caller parsed it. The bytes are read during add() only.
struct FragmentIn {
  FragmentKey key;         ///< which datagram
  std::size_t offset = 0;  ///< of `data` in the datagram's payload, in bytes (a multiple of 8)
  bool more = false;       ///< MF / M flag: more fragments follow
  /// The header in front of the fragmentable part (IPv4: the whole header with its
  /// options; IPv6: the unfragmentable part). Kept from the offset-0 fragment only: it
  /// heads the reassembled packet and is quoted by Time Exceeded.
  Bytes header;
  Bytes data;  ///< the fragment's payload
  /// RFC 7112 (IPv6): the caller sets it false for a first fragment that does not hold
  /// the whole header chain; such a fragment is refused.
  bool header_chain_complete = true;
};

/// What add() did with a fragment.
enum class FragVerdict : std::uint8_t {
  Queued,            ///< kept; the datagram is not complete yet
  Complete,          ///< the datagram is complete: FragOutcome::packet
  Duplicate,         ///< an exact copy of a fragment held: ignored
  Overlap,           ///< overlapped a held fragment or contradicted the end: datagram discarded
  Refused,           ///< bad by itself (length, offset, tiny fragment, oversize): nothing changed
  NoRoom,            ///< a global bound (bytes or datagrams) was reached: refused
  TooManyFragments,  ///< the datagram passed max_fragments_per_datagram: discarded
};

/// The result of Reassembler::add.
struct FragOutcome {
  FragVerdict verdict = FragVerdict::Queued;  ///< what happened to the fragment
  /// Datagrams of the same source evicted to stay within its bounds.
  std::size_t evicted = 0;
  /// Complete only: the offset-0 fragment's header followed by the whole payload.
  ByteVec packet;
  std::size_t header_len = 0;  ///< Complete only: the length of that header in `packet`
};

/// A datagram that timed out (Reassembler::expire).
struct ExpiredDatagram {
  FragmentKey key;  ///< which datagram
  /// The offset-0 fragment as received (its header, then its data), for ICMP Time
  /// Exceeded (RFC 792 code 1); empty when it never arrived (no message is due then).
  ByteVec first;
};

/// Reassembles fragmented datagrams within bounded memory (ReassemblyConfig).
///
/// Memory is accounted as: per datagram kDatagramOverhead plus the kept header, per
/// fragment kPieceOverhead plus its data bytes. The bounds are checked before anything
/// is stored, so memory() never passes max_bytes, whatever arrives.
class Reassembler {
 public:
  /// Charged per fragment held, beside its bytes (its vector and the allocator's share).
  static constexpr std::size_t kPieceOverhead = 64;
  /// Charged per datagram in progress, beside its header (its entries in the indexes).
  static constexpr std::size_t kDatagramOverhead = 256;

  /// Copies `config`.
  explicit Reassembler(const ReassemblyConfig& config) : config_(config) {}

  /// Takes one fragment received at `now` (see FragVerdict).
  FragOutcome add(const FragmentIn& fragment, Instant now);
  /// Frees the datagrams whose timeout passed at `now`, oldest first.
  std::vector<ExpiredDatagram> expire(Instant now);
  /// When the next datagram times out; nullopt with none in progress.
  std::optional<Instant> next_deadline() const;

  std::size_t memory() const { return bytes_; }                ///< bytes charged now
  std::size_t datagrams() const { return datagrams_.size(); }  ///< datagrams in progress
  std::size_t fragments() const { return pieces_; }            ///< fragments held, all datagrams
  /// Datagrams in progress from `src` (16-byte form, as in FragmentKey).
  std::size_t datagrams_from(IpFamily family, const std::array<std::byte, 16>& src) const;
  /// Bytes charged to `src`.
  std::size_t memory_from(IpFamily family, const std::array<std::byte, 16>& src) const;

 private:
  struct Piece {
    std::size_t offset = 0;
    ByteVec data;
    std::size_t end() const { return offset + data.size(); }
  };
  struct Datagram {
    std::vector<Piece> pieces;  // sorted by offset, never overlapping
    ByteVec header;             // from the offset-0 fragment
    bool have_last = false;
    std::size_t total = 0;     // payload length, once the last fragment fixed it
    std::size_t received = 0;  // payload bytes held
    std::size_t charge = 0;    // bytes charged (memory())
    Instant deadline;
    std::uint64_t seq = 0;
  };
  using SourceKey = std::pair<IpFamily, std::array<std::byte, 16>>;
  struct SourceUse {
    std::size_t datagrams = 0;
    std::size_t bytes = 0;
  };
  using DatagramMap = std::map<FragmentKey, Datagram>;

  Duration timeout(IpFamily f) const;
  /// Why `f` is refused by itself, or false if it may be kept.
  bool refuse(const FragmentIn& f) const;
  void charge(const FragmentKey& key, Datagram& d, std::size_t bytes);
  void remove(DatagramMap::iterator it);
  /// Evicts `source`'s datagram nearest to expiry other than `keep`; false if none.
  bool evict_oldest_of(const SourceKey& source, const FragmentKey* keep);
  FragOutcome discard(DatagramMap::iterator it, FragVerdict why);

  ReassemblyConfig config_;
  DatagramMap datagrams_;
  std::map<std::pair<Instant, std::uint64_t>, FragmentKey> by_deadline_;
  std::map<SourceKey, SourceUse> sources_;
  std::size_t bytes_ = 0;
  std::size_t pieces_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace synack::stack
