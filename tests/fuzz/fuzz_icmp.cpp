// Property: parse -> emit -> parse gives the same repr (type, code, echo ident/seq,
// next-hop MTU, pointer, data). Tried as given and with the checksum repaired.
#include "fuzz_util.hpp"
#include "synack/wire/icmp.hpp"

using namespace synack;
using namespace synack::wire;

namespace {

void round_trip(Bytes in) {
  auto r = IcmpRepr::parse(in);
  if (!r.ok()) return;
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out) == in.size());
  auto again = IcmpRepr::parse(out);
  fuzz::check(again.ok());
  const IcmpRepr& a = *again;
  fuzz::check(a.type == r->type && a.code == r->code && a.ident == r->ident &&
              a.seq_no == r->seq_no && a.next_hop_mtu == r->next_hop_mtu &&
              a.pointer == r->pointer);
  fuzz::check(fuzz::same_bytes(a.data, r->data));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  round_trip(in);
  if (size >= IcmpRepr::kHeaderLen) round_trip(fuzz::with_checksum(in, 2, size, nullptr, 0));
  return 0;
}
