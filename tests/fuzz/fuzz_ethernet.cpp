// Property: parse(frame) -> emit reproduces the frame exactly (Ethernet II has no
// non-canonical fields), and parsing the output gives the same repr.
#include "fuzz_util.hpp"
#include "synack/wire/ethernet.hpp"

using namespace synack;
using namespace synack::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  auto r = EthernetRepr::parse(in);
  if (!r.ok()) {
    fuzz::check(size < EthernetRepr::kHeaderLen && r.error() == WireError::Truncated);
    return 0;
  }
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out) == size);
  fuzz::check(fuzz::same_bytes(out, in));
  auto again = EthernetRepr::parse(out);
  fuzz::check(again.ok());
  fuzz::check(again->dst == r->dst && again->src == r->src && again->ethertype == r->ethertype);
  fuzz::check(fuzz::same_bytes(again->payload, r->payload));
  return 0;
}
