// Input: a TCP options area (any length; a real one is at most 40 bytes). Property:
// parse -> emit -> parse gives the same options (modulo SACK blocks that did not
// fit), the emitted area is a 4-byte multiple of at most 40 bytes, and emitting
// the result again is byte-identical.
#include <string>

#include "fuzz_util.hpp"
#include "synack/wire/tcp.hpp"

using namespace synack;
using namespace synack::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = parse_tcp_options(fuzz::input(data, size));
  if (!r.ok()) {
    fuzz::check(r.error() == WireError::BadOptionLength);
    return 0;
  }
  std::vector<std::byte> out(40);
  std::size_t n = emit_tcp_options(*r, out);
  fuzz::check(n == r->encoded_len() && n <= 40 && n % 4 == 0);
  auto again = parse_tcp_options(Bytes(out.data(), n));
  fuzz::check(again.ok());
  fuzz::check(fuzz::options_match(*r, *again));
  std::vector<std::byte> out2(40);
  fuzz::check(emit_tcp_options(*again, out2) == n);
  fuzz::check(fuzz::same_bytes(Bytes(out.data(), n), Bytes(out2.data(), n)));
  std::string text = format_tcp_options(*r);
  fuzz::check(text.empty() == (n == 0));
  return 0;
}
