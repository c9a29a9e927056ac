// Helpers for the tests of the pictures: real frames (built with the wire emitters, or
// recorded by a simulated run) and a small XML well-formedness check.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recording.hpp"
#include "sim_scenarios.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"
#include "world.hpp"

namespace synack::view::testing {

inline constexpr wire::MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr wire::MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr wire::Ipv4Addr kIpA = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
inline constexpr wire::Ipv4Addr kIpB = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

// An Ethernet + IPv4 frame around a transport payload written by `emit_l4` at offset 34.
template <typename EmitL4>
ByteVec ipv4_frame(std::uint8_t proto, std::size_t l4_len, EmitL4 emit_l4,
                   std::uint8_t dscp_ecn = 0, std::uint16_t ident = 0x1234) {
  ByteVec f(14 + 20 + l4_len);
  const std::size_t n = emit_l4(MutBytes(f).subspan(34));
  EXPECT_EQ(n, l4_len);
  wire::Ipv4Repr ip;
  ip.src = kIpA;
  ip.dst = kIpB;
  ip.protocol = proto;
  ip.ttl = 64;
  ip.dscp_ecn = dscp_ecn;
  ip.ident = ident;
  ip.payload = Bytes(f).subspan(34, l4_len);
  ip.emit(MutBytes(f).subspan(14));
  wire::EthernetRepr eth{kMacB, kMacA, static_cast<std::uint16_t>(wire::EtherType::Ipv4),
                         Bytes(f).subspan(14)};
  eth.emit(f);
  return f;
}

inline ByteVec tcp_frame(const wire::TcpRepr& t, std::uint8_t dscp_ecn = 0) {
  return ipv4_frame(
      6, t.total_len(),
      [&](MutBytes out) {
        return t.emit(out, {kIpA, kIpB});
      },
      dscp_ecn);
}

// The recording of `synack sim SCENARIO` with the defaults (seed 1, 1 ms each way).
inline Recording sim_recording(std::string_view scenario, std::uint64_t bytes = 0) {
  cli::WorldOptions wo;
  wo.seed = 1;
  wo.link.delay = Duration(1'000'000);
  cli::World world(wo);
  const cli::Scenario* sc = cli::find_scenario(scenario);
  EXPECT_NE(sc, nullptr) << scenario;
  if (sc) sc->run(world, cli::ScenarioParams{bytes});
  return world.recording();
}

// Well-formed XML: one root, every tag closed in order, attributes quoted, entities
// known. Returns "" or what is wrong.
inline std::string xml_problem(std::string_view x) {
  std::vector<std::string> stack;
  bool root_seen = false;
  std::size_t i = 0;
  auto check_text = [&](std::string_view text) -> std::string {
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '<') return "raw < in text";
      if (text[k] == '&') {
        auto semi = text.find(';', k);
        if (semi == std::string_view::npos) return "& without ;";
        std::string_view ent = text.substr(k + 1, semi - k - 1);
        if (ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos" &&
            !(ent.size() > 1 && ent[0] == '#'))
          return "unknown entity &" + std::string(ent) + ";";
      }
    }
    return "";
  };
  while (i < x.size()) {
    const std::size_t lt = x.find('<', i);
    const std::string_view text = x.substr(i, lt == std::string_view::npos ? x.size() - i : lt - i);
    if (auto p = check_text(text); !p.empty()) return p;
    if (lt == std::string_view::npos) break;
    if (x.substr(lt, 4) == "<!--") {
      auto end = x.find("-->", lt);
      if (end == std::string_view::npos) return "unclosed comment";
      i = end + 3;
      continue;
    }
    if (x.substr(lt, 2) == "<?") {
      i = x.find("?>", lt) + 2;
      continue;
    }
    // Find the tag's end, skipping quoted attribute values.
    std::size_t k = lt + 1;
    char quote = 0;
    for (; k < x.size(); ++k) {
      if (quote) {
        if (x[k] == quote)
          quote = 0;
        else if (x[k] == '<')
          return "raw < in an attribute";
      } else if (x[k] == '"' || x[k] == '\'') {
        quote = x[k];
      } else if (x[k] == '>') {
        break;
      }
    }
    if (k >= x.size()) return "unclosed tag";
    std::string_view tag = x.substr(lt + 1, k - lt - 1);
    i = k + 1;
    if (tag.starts_with('/')) {
      std::string name(tag.substr(1));
      if (stack.empty() || stack.back() != name) return "</" + name + "> closes nothing open";
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.ends_with('/');
    std::string name(tag.substr(0, tag.find_first_of(" \t\n/")));
    if (name.empty()) return "empty tag name";
    // Attributes: name="value" pairs.
    std::string_view attrs = tag.substr(name.size());
    if (self_closing) attrs.remove_suffix(1);
    for (std::size_t a = 0; a < attrs.size();) {
      if (attrs[a] == ' ' || attrs[a] == '\n' || attrs[a] == '\t') {
        ++a;
        continue;
      }
      auto eq = attrs.find('=', a);
      if (eq == std::string_view::npos || eq + 1 >= attrs.size() ||
          (attrs[eq + 1] != '"' && attrs[eq + 1] != '\''))
        return "attribute without a quoted value in <" + name + ">";
      auto close = attrs.find(attrs[eq + 1], eq + 2);
      if (close == std::string_view::npos) return "unterminated attribute";
      if (auto p = check_text(attrs.substr(eq + 2, close - eq - 2)); !p.empty()) return p;
      a = close + 1;
    }
    if (stack.empty()) {
      if (root_seen) return "a second root element <" + name + ">";
      root_seen = true;
    }
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return "<" + stack.back() + "> never closed";
  if (!root_seen) return "no root element";
  return "";
}

// How many times `needle` occurs in `hay`.
inline std::size_t count(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string_view::npos;
       p = hay.find(needle, p + needle.size()))
    ++n;
  return n;
}

// Elements in an XML text: every "<name" start tag.
inline std::size_t elements(std::string_view x) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    if (x[i] == '<' &&
        ((x[i + 1] >= 'a' && x[i + 1] <= 'z') || (x[i + 1] >= 'A' && x[i + 1] <= 'Z')))
      ++n;
  return n;
}

}  // namespace synack::view::testing
