// The page: one file, nothing fetched from anywhere, the ladder and the frames' fields
// embedded.
#include "html.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "dissect.hpp"
#include "svg_util.hpp"
#include "view_test_util.hpp"

namespace synack::view {
namespace {

using namespace testing;

std::string json_blob(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"frames-data\">";
  const auto a = page.find(open);
  if (a == std::string::npos) return "";
  const auto b = page.find("</script>", a);
  return page.substr(a + open.size(), b - a - open.size());
}

TEST(Html, SelfContainedPageWithTheFramesFields) {
  const Recording r = sim_recording("request-response");
  const Analysis a = analyze(r.frames);
  const std::string page = render_html(r, a);
  if (const char* dir = std::getenv("SYNACK_VIEW_OUT"))
    write_whole_file(std::string(dir) + "/page.html", page);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  // Nothing from the network: no URL at all, no element that loads anything.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("href="), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(count(page, "url("), count(page, "url(#"));  // only references inside the page
  EXPECT_EQ(count(page, "<script"), 2u);                 // the JSON and the page's own script
  // The ladder, inline, one clickable group per frame.
  EXPECT_EQ(count(page, "<svg class=\"ladder\""), 1u);
  EXPECT_EQ(count(page, "<g class=\"frame"), r.frames.size());
  // The JSON: one entry per frame with its bytes in hex and the dissector's fields.
  const std::string json = json_blob(page);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.find("</"), std::string::npos);  // cannot end the script element
  EXPECT_EQ(json.find('<'), std::string::npos);
  EXPECT_EQ(count(json, "{\"i\":"), r.frames.size());
  for (std::size_t i = 0; i < r.frames.size(); ++i) {
    std::string hex;
    for (std::byte b : r.frames[i].bytes) hex += fmt::format("{:02x}", static_cast<unsigned>(b));
    EXPECT_NE(json.find("\"hex\":\"" + hex + "\""), std::string::npos) << i;
    const SegmentInfo* seg = a.connections.empty() ? nullptr : segment_of(a.connections[0], i);
    EXPECT_EQ(seg == nullptr, i < 2) << i;  // all but the two ARP frames are the connection's
    for (const Layer& l : dissect(r.frames[i], seg)) {
      EXPECT_NE(json.find(json_string(l.name)), std::string::npos);
      for (const Field& f : l.fields) {
        EXPECT_NE(json.find(fmt::format("[{},{},", json_string(f.name), json_string(f.value))),
                  std::string::npos)
            << f.name << " = " << f.value;
      }
    }
  }
  EXPECT_NE(json.find("[\"opcode\",\"1 (request)\","), std::string::npos);
  // The analysis gave the request its relative numbers: seq 1, ack 1 (frame 4).
  EXPECT_NE(json.find("[\"sequence number (relative)\",\"1\","), std::string::npos);
  ASSERT_EQ(a.connections.size(), 1u);
  // The packet list and the pane the script fills.
  EXPECT_EQ(count(page, "<tr><td>") + count(page, "<tr class=\"lost\"><td>"), r.frames.size());
  EXPECT_NE(page.find("<aside id=\"detail\">"), std::string::npos);
  EXPECT_NE(page.find("<pre id=\"selftest\" hidden></pre>"), std::string::npos);
}

TEST(Html, PlotsEveryDirectionThatCarriedData) {
  const Recording r = sim_recording("request-response");
  Analysis a;
  Connection c;
  c.a = {kIpA, 49152};
  c.b = {kIpB, 80};
  SegmentInfo s;
  s.frame = 4;
  s.t = r.frames[4].t;
  s.seq = 1;
  s.len = 35;
  s.flags.bits = wire::TcpFlags::kAck | wire::TcpFlags::kPsh;
  c.segments.push_back(s);
  c.dir[0].bytes = 35;
  a.connections.push_back(c);
  std::string page = render_html(r, a);
  EXPECT_EQ(count(page, "<svg class=\"tsg\""), 1u);
  EXPECT_NE(page.find("10.77.0.1:49152 &gt; 10.77.0.2:80"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  // The analysis adds the relative numbers to the frame's fields.
  EXPECT_NE(json_blob(page).find("[\"sequence number (relative)\",\"1\","), std::string::npos);
  a.connections[0].dir[1].bytes = 57;
  page = render_html(r, a);
  EXPECT_EQ(count(page, "<svg class=\"tsg\""), 2u);
  // The busiest first.
  EXPECT_LT(page.find("10.77.0.2:80 &gt; 10.77.0.1:49152"),
            page.find("10.77.0.1:49152 &gt; 10.77.0.2:80"));
  // No data, no graph.
  EXPECT_EQ(count(render_html(r, Analysis{}), "<svg class=\"tsg\""), 0u);
}

TEST(Html, EscapesTitlesAndNotes) {
  Recording r = sim_recording("handshake");
  r.left_title = "</script><script>alert(1)</script>";
  r.notes[0].text = "<b>bold</b> & more";
  const std::string page = render_html(r, Analysis{});
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<b>bold"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;bold&lt;/b&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(count(page, "<script"), 2u);
  EXPECT_EQ(json_blob(page).find('<'), std::string::npos);
}

TEST(Html, LongRunsHoldTheFramesTheLadderDraws) {
  const Recording hs = sim_recording("handshake");
  Recording r;
  r.left_title = hs.left_title;
  r.right_title = hs.right_title;
  for (int k = 0; k < 1000; ++k) {
    r.add_frame({Instant::from_nanos(k * 1000), k % 2 ? Side::Right : Side::Left, false,
                 LinkType::Ethernet, hs.frames[k % hs.frames.size()].bytes});
  }
  const std::string page = render_html(r, analyze(r.frames));
  EXPECT_NE(page.find("the 600 between are left out"), std::string::npos);
  EXPECT_EQ(count(page, "<g class=\"frame"), 400u);
  const std::string json = json_blob(page);
  EXPECT_EQ(count(json, "{\"i\":"), 400u);
  EXPECT_NE(json.find("{\"i\":199,"), std::string::npos);
  EXPECT_EQ(json.find("{\"i\":200,"), std::string::npos);
  EXPECT_NE(json.find("{\"i\":800,"), std::string::npos);
  EXPECT_LT(page.size(), 2'000'000u);
}

TEST(Html, JsonStrings) {
  EXPECT_EQ(json_string("a\"b\\c\n</script>"), "\"a\\\"b\\\\c\\n\\u003c/script\\u003e\"");
  EXPECT_EQ(json_string(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(xml_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace synack::view
