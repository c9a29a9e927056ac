// Property: parse -> emit -> parse keeps every field emit writes (all but the
// options, which are parse-only) and the payload bytes. The input is tried as
// given and with its header checksum repaired, so the fuzzer gets past the check.
#include "fuzz_util.hpp"
#include "synack/wire/ipv4.hpp"

using namespace synack;
using namespace synack::wire;

namespace {

void round_trip(Bytes in) {
  auto r = Ipv4Repr::parse(in);
  if (!r.ok()) return;
  fuzz::check(r->header_len >= 20 && r->header_len + r->payload.size() <= in.size());
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out) == out.size());
  auto again = Ipv4Repr::parse(out);
  fuzz::check(again.ok());
  const Ipv4Repr& a = *again;
  fuzz::check(a.src == r->src && a.dst == r->dst && a.protocol == r->protocol && a.ttl == r->ttl &&
              a.dscp_ecn == r->dscp_ecn && a.ident == r->ident &&
              a.dont_fragment == r->dont_fragment && a.more_fragments == r->more_fragments &&
              a.fragment_offset == r->fragment_offset && a.header_len == 20 && a.options.empty());
  fuzz::check(fuzz::same_bytes(a.payload, r->payload));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  round_trip(in);
  if (size >= 20) {
    std::size_t ihl = std::size_t{load_u8(in, 0) & 0x0fu} * 4;
    if (ihl >= 20 && ihl <= size) {
      auto fixed = fuzz::with_checksum(in, 10, ihl, nullptr, 0);
      round_trip(fixed);
    }
  }
  return 0;
}
