// Input: 8-byte pseudo-header (src, dst) then a TCP segment. Property: parse ->
// emit -> parse gives the same header fields, options (modulo SACK blocks emit had
// to drop) and payload. Tried as given and with the checksum repaired.
#include "fuzz_util.hpp"
#include "synack/wire/tcp.hpp"

using namespace synack;
using namespace synack::wire;

namespace {

void round_trip(Bytes in, PseudoHeader ph) {
  auto r = TcpRepr::parse(in, ph);
  if (!r.ok()) return;
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out, ph) == out.size());
  auto again = TcpRepr::parse(out, ph);
  fuzz::check(again.ok());
  const TcpRepr& a = *again;
  fuzz::check(a.src_port == r->src_port && a.dst_port == r->dst_port && a.seq == r->seq &&
              a.ack == r->ack && a.flags == r->flags && a.window == r->window &&
              a.urgent == r->urgent);
  fuzz::check(fuzz::options_match(r->options, a.options));
  fuzz::check(fuzz::same_bytes(a.payload, r->payload));
  (void)a.flags.to_string();
  (void)format_tcp_options(a.options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  Bytes in = fuzz::input(data, size);
  PseudoHeader ph = fuzz::take_pseudo_header(in);
  round_trip(in, ph);
  if (in.size() >= TcpRepr::kMinHeaderLen && in.size() <= 0xffff) {
    round_trip(fuzz::with_checksum(in, 16, in.size(), &ph, 6), ph);
  }
  return 0;
}
