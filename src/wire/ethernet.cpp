#include "synack/wire/ethernet.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

Result<EthernetRepr, WireError> EthernetRepr::parse(Bytes frame) {
  if (frame.size() < kHeaderLen) return Err{WireError::Truncated};
  EthernetRepr r;
  r.dst = MacAddr::load(frame, 0);
  r.src = MacAddr::load(frame, 6);
  r.ethertype = load_be16(frame, 12);
  r.payload = frame.subspan(kHeaderLen);
  return r;
}

std::size_t EthernetRepr::emit(MutBytes out) const {
  assert(out.size() >= total_len());
  detail::place_payload(out, kHeaderLen, payload);
  dst.store(out, 0);
  src.store(out, 6);
  store_be16(out, 12, ethertype);
  return total_len();
}

}  // namespace synack::wire
