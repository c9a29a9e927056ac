// Software GSO: a TCP super-segment (TxMeta::gso_size, TSO over IPv4 or IPv6) cut into
// the segments it stands for, as the kernel's tcp_gso_segment does for a TAP write
// that asks for it. For a link that cannot segment in hardware or in its device, and
// for tests that check what the wire would carry.
#pragma once

#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/stack/types.hpp"

namespace synack::link {

/// The Ethernet frames `frame` (an IPv4 or IPv6 TCP super-segment, its checksum left
/// partial as `tx` says) stands for: pieces of tx.gso_size payload bytes, each with a
/// copy of the first tx.hdr_len bytes; the sequence number advanced, FIN and PSH on
/// the last piece only, CWR on the first only; the IPv4 Total Length, Identification
/// (+1 per piece) and header checksum, or the IPv6 Payload Length, rewritten; the
/// partial TCP checksum adjusted from the whole segment's length to the piece's (Linux
/// leaves the pseudo-header sum with the whole length) and finished. Empty when `tx`
/// is no super-segment or does not fit the frame (nothing is sent then).
std::vector<ByteVec> segment_super_frame(Bytes frame, const stack::TxMeta& tx);

}  // namespace synack::link
