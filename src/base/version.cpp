#include "synack/version.hpp"

namespace synack {

std::string_view library_version() noexcept {
  return SYNACK_VERSION_STRING;
}

}  // namespace synack
