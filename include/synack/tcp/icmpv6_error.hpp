// How TCP reads an ICMPv6 error (RFC 4443 §3): as the ICMPv4 error with the same meaning,
// so one set of rules (RFC 9293 §3.9.2.2, RFC 5927, RFC 1191/8201) serves both families.
#pragma once

#include <cstdint>
#include <optional>

#include "synack/tcp/segment.hpp"

namespace synack::tcp {

/// The ICMPv4-style type, code and next-hop MTU TCP acts on for an ICMPv6 error of
/// `type`/`code` (`mtu`: Packet Too Big's MTU field), as Linux's icmpv6_err_convert maps
/// both families onto one set of errors: Packet Too Big is "fragmentation needed" (type
/// 3 code 4, the MTU capped at 65535); Destination Unreachable's codes become network
/// unreachable (no route), administratively prohibited (admin, source policy, reject
/// route), port unreachable, or host unreachable (the rest); Parameter Problem code 1
/// (unrecognized Next Header) is protocol unreachable. Endpoints and the quoted
/// sequence number are left for the caller. nullopt: not an ICMPv6 error type.
std::optional<IcmpErrorIn> icmpv6_error_for_tcp(std::uint8_t type, std::uint8_t code,
                                                std::uint32_t mtu);

}  // namespace synack::tcp
