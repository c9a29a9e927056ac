#include "synack/tcp/icmpv6_error.hpp"

#include <algorithm>

#include "synack/wire/icmp.hpp"
#include "synack/wire/icmpv6.hpp"

namespace synack::tcp {

std::optional<IcmpErrorIn> icmpv6_error_for_tcp(std::uint8_t type, std::uint8_t code,
                                                std::uint32_t mtu) {
  const auto error = [](wire::IcmpType t, std::uint8_t c, std::uint32_t m = 0) {
    IcmpErrorIn err;
    err.type = static_cast<std::uint8_t>(t);
    err.code = c;
    err.next_hop_mtu = static_cast<std::uint16_t>(std::min<std::uint32_t>(m, 0xffff));
    return std::optional<IcmpErrorIn>(err);
  };
  const auto code4 = [](wire::UnreachCode c) { return static_cast<std::uint8_t>(c); };
  switch (static_cast<wire::Icmpv6Type>(type)) {
    case wire::Icmpv6Type::PacketTooBig:
      return error(wire::IcmpType::DestUnreachable, code4(wire::UnreachCode::FragNeeded), mtu);
    case wire::Icmpv6Type::DestUnreachable:
      switch (static_cast<wire::Icmpv6UnreachCode>(code)) {
        case wire::Icmpv6UnreachCode::NoRoute:
          return error(wire::IcmpType::DestUnreachable, code4(wire::UnreachCode::Net));
        case wire::Icmpv6UnreachCode::AdminProhibited:
        case wire::Icmpv6UnreachCode::SourcePolicy:
        case wire::Icmpv6UnreachCode::RejectRoute:
          // communication administratively prohibited (RFC 1812 §5.2.7.1)
          return error(wire::IcmpType::DestUnreachable, 13);
        case wire::Icmpv6UnreachCode::Port:
          return error(wire::IcmpType::DestUnreachable, code4(wire::UnreachCode::Port));
        default:  // address unreachable, beyond scope
          return error(wire::IcmpType::DestUnreachable, code4(wire::UnreachCode::Host));
      }
    case wire::Icmpv6Type::TimeExceeded:
      return error(wire::IcmpType::TimeExceeded, code);
    case wire::Icmpv6Type::ParameterProblem:
      // An unrecognized Next Header (code 1) at our transport header is "protocol
      // unreachable"; anything else a soft error.
      if (code == 1)
        return error(wire::IcmpType::DestUnreachable, code4(wire::UnreachCode::Protocol));
      return error(wire::IcmpType::ParameterProblem, 0);
    default:
      return std::nullopt;
  }
}

}  // namespace synack::tcp
