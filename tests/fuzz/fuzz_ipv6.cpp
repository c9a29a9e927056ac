// Properties: Ipv6Repr parse -> emit -> parse keeps every field and the payload; the
// extension-header walk stays inside the packet and its offsets point where they say
// (the Next Header field naming a Fragment header holds 44, a Parameter Problem pointer
// is inside the packet, the upper-layer payload ends with the packet); the RFC 7112
// check and the Fragment header's parse -> emit -> parse hold up on anything. The input
// is tried as given and with version 6 and a matching payload length forced, so the
// fuzzer spends its time in the walk.
#include "fuzz_util.hpp"
#include "synack/wire/ipv6.hpp"

using namespace synack;
using namespace synack::wire;

namespace {

void check_walk(const Ipv6Repr& ip, Bytes packet) {
  const Ipv6HeaderChain c = walk_ipv6_headers(ip);
  const std::size_t total = Ipv6Repr::kHeaderLen + ip.payload.size();
  fuzz::check(c.extension_count <= Ipv6HeaderChain::kMaxExtensionHeaders + 1);
  switch (c.verdict) {
    case Ipv6Verdict::Deliver:
      fuzz::check(c.upper_offset >= Ipv6Repr::kHeaderLen && c.upper_offset <= total);
      fuzz::check(c.upper_offset + c.upper_payload.size() == total);
      fuzz::check(c.upper_payload.data() == packet.data() + c.upper_offset);
      fuzz::check(c.upper_protocol == 6 || c.upper_protocol == 17 || c.upper_protocol == 58 ||
                  c.upper_protocol == 59);
      fuzz::check(c.drop == Ipv6DropReason::None);
      break;
    case Ipv6Verdict::Reassemble:
      fuzz::check(c.fragment.has_value() && !c.fragment->is_atomic());
      fuzz::check(c.fragment_at + Ipv6FragmentHeader::kLen + c.fragment_data.size() == total);
      fuzz::check(c.fragment_data.data() ==
                  packet.data() + c.fragment_at + Ipv6FragmentHeader::kLen);
      fuzz::check(c.fragment_next_header_at < c.fragment_at);
      fuzz::check(load_u8(packet, c.fragment_next_header_at) == 44);
      fuzz::check(!c.fragment->more || c.fragment_data.size() % 8 == 0);
      fuzz::check(c.fragment_at - Ipv6Repr::kHeaderLen + c.fragment->byte_offset() +
                      c.fragment_data.size() <=
                  0xffff);
      (void)first_fragment_chain_complete(c);
      break;
    case Ipv6Verdict::ParameterProblem:
      fuzz::check(c.problem_pointer < total);
      if (c.unrecognized_next_header()) {
        const std::uint8_t nh = load_u8(packet, c.problem_pointer);
        fuzz::check(nh != 6 && nh != 17 && nh != 58 && nh != 59 && nh != 43 && nh != 44 &&
                    nh != 60);
      }
      break;
    case Ipv6Verdict::Discard:
      fuzz::check(c.drop != Ipv6DropReason::None);
      break;
  }
  if (c.fragment) {
    std::vector<std::byte> out(Ipv6FragmentHeader::kLen);
    c.fragment->emit(out);
    auto again = Ipv6FragmentHeader::parse(out);
    fuzz::check(again.ok() && *again == *c.fragment);
  }
  fuzz::check(first_fragment_chain_complete(c) || c.verdict == Ipv6Verdict::Reassemble);
}

void round_trip(Bytes in) {
  auto r = Ipv6Repr::parse(in);
  if (!r.ok()) return;
  fuzz::check(Ipv6Repr::kHeaderLen + r->payload.size() <= in.size());
  std::vector<std::byte> out(r->total_len());
  fuzz::check(r->emit(out) == out.size());
  fuzz::check(fuzz::same_bytes(out, in.first(out.size())));
  auto again = Ipv6Repr::parse(out);
  fuzz::check(again.ok());
  const Ipv6Repr& a = *again;
  fuzz::check(a.src == r->src && a.dst == r->dst && a.next_header == r->next_header &&
              a.hop_limit == r->hop_limit && a.traffic_class == r->traffic_class &&
              a.flow_label == r->flow_label);
  fuzz::check(fuzz::same_bytes(a.payload, r->payload));
  check_walk(*r, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in = fuzz::input(data, size);
  round_trip(in);
  if (size >= Ipv6Repr::kHeaderLen && size - Ipv6Repr::kHeaderLen <= 0xffff) {
    std::vector<std::byte> fixed(in.begin(), in.end());
    store_u8(fixed, 0, static_cast<std::uint8_t>(0x60 | (load_u8(in, 0) & 0x0f)));
    store_be16(fixed, 4, static_cast<std::uint16_t>(size - Ipv6Repr::kHeaderLen));
    round_trip(fixed);
  }
  auto f = Ipv6FragmentHeader::parse(in);
  if (f.ok()) {
    std::vector<std::byte> out(Ipv6FragmentHeader::kLen);
    fuzz::check(f->emit(out) == Ipv6FragmentHeader::kLen);
    auto again = Ipv6FragmentHeader::parse(out);
    fuzz::check(again.ok() && *again == *f);
  }
  return 0;
}
