// Property: a parsed ARP packet emits back to its first 28 bytes exactly, and
// parsing the output gives an equal repr.
#include "fuzz_util.hpp"
#include "synack/wire/arp.hpp"

using namespace synack;
using namespace synack::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  auto r = ArpRepr::parse(in);
  if (!r.ok()) return 0;
  std::vector<std::byte> out(ArpRepr::kLen);
  fuzz::check(r->emit(out) == ArpRepr::kLen);
  fuzz::check(fuzz::same_bytes(out, in.first(ArpRepr::kLen)));
  auto again = ArpRepr::parse(out);
  fuzz::check(again.ok() && *again == *r);
  return 0;
}
