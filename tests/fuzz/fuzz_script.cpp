// The scripted-segment parser (synack/script/script.hpp) on arbitrary text. Properties:
// no crash on any input; an error names a line >= 1; and, as script.hpp promises,
// parse_line(format_line(l)) == l for every parsed line, with the canonical text a
// fixed point of format(parse(.)).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "synack/script/script.hpp"

using namespace synack::script;
using synack::wire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = parse_script(text);
  if (!r.ok()) {
    check(r.error().line >= 1);
    (void)r.error().to_string();
    return 0;
  }
  for (const Line& l : r->lines) {
    const std::string canonical = format_line(l);
    const auto again = parse_line(canonical, l.number);
    check(again.ok());
    check(*again == l);
    check(format_line(*again) == canonical);
  }
  return 0;
}
