// Property: Icmpv6Repr parse -> emit -> parse keeps every field emit writes (echo and
// error data, the error cut to 1232 bytes; NDP fields and the options synack knows;
// MLD queries and report records), and emit writes exactly total_len() bytes. The
// input is a 32-byte IPv6 source and destination, then the message; it is tried as
// given and with its checksum repaired, so the fuzzer gets past the check.
// validate_ndp and describe run on everything that parses.
#include <algorithm>

#include "fuzz_util.hpp"
#include "synack/wire/icmpv6.hpp"

using namespace synack;
using namespace synack::wire;

namespace {

bool same_options(const NdpOptions& a, const NdpOptions& b) {
  if (a.source_lla != b.source_lla || a.target_lla != b.target_lla || a.mtu != b.mtu ||
      a.nonce != b.nonce || a.prefix_count != b.prefix_count ||
      a.has_redirected != b.has_redirected) {
    return false;
  }
  for (std::size_t i = 0; i < a.prefix_count; ++i) {
    if (!(a.prefixes[i] == b.prefixes[i])) return false;
  }
  // Emit cuts a Redirected Header to what fits in 1280 bytes (1192, a multiple of 8).
  return !a.has_redirected ||
         fuzz::same_bytes(b.redirected,
                          a.redirected.first(std::min<std::size_t>(a.redirected.size(), 1192)));
}

void round_trip(Bytes msg, const Ipv6Addr& src, const Ipv6Addr& dst) {
  const PseudoHeader ph = PseudoHeader::ipv6(src, dst);
  auto r = Icmpv6Repr::parse(msg, ph);
  if (!r.ok()) return;
  Ipv6Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.hop_limit = 255;
  (void)validate_ndp(ip, *r);
  (void)describe(*r);
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out, ph) == out.size());
  auto again = Icmpv6Repr::parse(out, ph);
  fuzz::check(again.ok());
  const Icmpv6Repr& a = *again;
  fuzz::check(a.type == r->type && a.code == r->code && a.ident == r->ident &&
              a.seq_no == r->seq_no && a.mtu == r->mtu && a.pointer == r->pointer);
  if (r->is_error()) {
    fuzz::check(fuzz::same_bytes(
        a.data, r->data.first(std::min(r->data.size(), Icmpv6Repr::kMaxErrorData))));
  } else {
    fuzz::check(fuzz::same_bytes(a.data, r->data));
  }
  fuzz::check(a.cur_hop_limit == r->cur_hop_limit && a.ra_flags == r->ra_flags &&
              a.router_lifetime == r->router_lifetime && a.reachable_time == r->reachable_time &&
              a.retrans_timer == r->retrans_timer && a.na_flags == r->na_flags &&
              a.target == r->target && a.destination == r->destination);
  fuzz::check(same_options(r->options, a.options));
  fuzz::check(a.max_response == r->max_response && a.mld_group == r->mld_group &&
              a.mld_version == r->mld_version &&
              a.suppress_router_side == r->suppress_router_side && a.qrv == r->qrv &&
              a.qqic == r->qqic && fuzz::same_bytes(a.mld_sources, r->mld_sources));
  fuzz::check(a.record_count == r->record_count);
  for (std::size_t i = 0; i < a.record_count; ++i) {
    fuzz::check(a.records[i].type == r->records[i].type &&
                a.records[i].group == r->records[i].group && a.records[i].source_count == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  if (size < 32) return 0;
  const Ipv6Addr src = Ipv6Addr::load(in, 0);
  const Ipv6Addr dst = Ipv6Addr::load(in, 16);
  Bytes msg = in.subspan(32);
  round_trip(msg, src, dst);
  if (msg.size() >= 4) {
    std::vector<std::byte> fixed(msg.begin(), msg.end());
    store_be16(fixed, 2, 0);
    Checksum c;
    // At most 16 * 0xffff + 58 + the length: a 32-bit value, added as two words.
    c.add_u32(static_cast<std::uint32_t>(
        pseudo_header_partial(src, dst, 58, static_cast<std::uint32_t>(fixed.size()))));
    c.add(Bytes(fixed));
    store_be16(fixed, 2, c.finish());
    round_trip(fixed, src, dst);
  }
  return 0;
}
