#include "synack/wire/error.hpp"

namespace synack::wire {

std::string_view to_string(WireError e) {
  switch (e) {
    case WireError::Truncated:
      return "truncated";
    case WireError::BadVersion:
      return "bad version";
    case WireError::BadHeaderLength:
      return "bad header length";
    case WireError::BadTotalLength:
      return "bad total length";
    case WireError::BadChecksum:
      return "bad checksum";
    case WireError::BadDataOffset:
      return "bad data offset";
    case WireError::BadOptionLength:
      return "bad option length";
    case WireError::Unsupported:
      return "unsupported";
    case WireError::BadField:
      return "bad field";
  }
  return "unknown wire error";
}

}  // namespace synack::wire
