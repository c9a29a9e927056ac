#include "synack/tcp/icmpv6_error.hpp"

#include <algorithm>

#include "synack/wire/icmpv6.hpp"

namespace synack::tcp {

std::optional<IcmpErrorIn> icmpv6_error_for_tcp(std::uint8_t type, std::uint8_t code,
                                                std::uint32_t mtu) {
  constexpr std::uint8_t kUnreach = 3, kTimeExceeded = 11, kParamProblem = 12;
  IcmpErrorIn err;
  switch (static_cast<wire::Icmpv6Type>(type)) {
    case wire::Icmpv6Type::PacketTooBig:
      err.type = kUnreach;
      err.code = 4;
      err.next_hop_mtu = static_cast<std::uint16_t>(std::min<std::uint32_t>(mtu, 0xffff));
      return err;
    case wire::Icmpv6Type::DestUnreachable:
      err.type = kUnreach;
      switch (static_cast<wire::Icmpv6UnreachCode>(code)) {
        case wire::Icmpv6UnreachCode::NoRoute:
          err.code = 0;  // network unreachable
          break;
        case wire::Icmpv6UnreachCode::AdminProhibited:
        case wire::Icmpv6UnreachCode::SourcePolicy:
        case wire::Icmpv6UnreachCode::RejectRoute:
          err.code = 13;  // communication administratively prohibited
          break;
        case wire::Icmpv6UnreachCode::Port:
          err.code = 3;  // port unreachable
          break;
        default:
          err.code = 1;  // host unreachable (address unreachable, beyond scope)
          break;
      }
      return err;
    case wire::Icmpv6Type::TimeExceeded:
      err.type = kTimeExceeded;
      err.code = code;
      return err;
    case wire::Icmpv6Type::ParameterProblem:
      // An unrecognized Next Header (code 1) at our TCP header is "protocol
      // unreachable"; anything else a soft error.
      err.type = code == 1 ? kUnreach : kParamProblem;
      err.code = code == 1 ? 2 : 0;
      return err;
    default:
      return std::nullopt;
  }
}

}  // namespace synack::tcp
