// The SVG ladder of real simulated runs: well-formed, one arrow per frame, lost frames
// stopped at an x, every state change boxed with its RFC rule on hover, text escaped,
// long runs elided.
#include "svg_ladder.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "ladder.hpp"
#include "svg_util.hpp"
#include "view_test_util.hpp"

namespace synack::view {
namespace {

using namespace testing;

// The <g> drawn for frame i.
std::string frame_group(const std::string& svg, std::size_t i) {
  const auto at = svg.find(fmt::format("data-frame=\"{}\"", i));
  if (at == std::string::npos) return "";
  const auto start = svg.rfind("<g", at);
  return svg.substr(start, svg.find("</g>", at) + 4 - start);
}

TEST(SvgLadder, HandshakeRecording) {
  const Recording r = sim_recording("handshake");
  ASSERT_GE(r.frames.size(), 7u);
  const std::string svg = render_svg_ladder(r, nullptr);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  // Column titles.
  EXPECT_NE(svg.find(">client 10.77.0.1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">server 10.77.0.2</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "<text class=\"host\""), 2u);
  // One arrow per frame, none lost, each with its full description on hover.
  EXPECT_EQ(count(svg, "<g class=\"frame"), r.frames.size());
  EXPECT_EQ(count(svg, "class=\"arrow\""), r.frames.size());
  EXPECT_EQ(count(svg, "marker-end="), r.frames.size());
  EXPECT_EQ(count(svg, "class=\"cross\""), 0u);
  Ladder ladder(r.left_title, r.right_title, false);
  for (std::size_t i = 0; i < r.frames.size(); ++i) {
    const std::string g = frame_group(svg, i);
    ASSERT_FALSE(g.empty()) << i;
    EXPECT_NE(g.find(xml_escape(ladder.describe(r.frames[i].bytes))), std::string::npos) << g;
  }
  // The SYN's arrow goes from the client's timeline (x 370) to the server's (x 850),
  // labelled with relative numbers as the text ladder.
  const std::string syn = frame_group(svg, 2);
  EXPECT_NE(syn.find("x1=\"370\""), std::string::npos) << syn;
  EXPECT_NE(syn.find("S seq 0 win 65535</text>"), std::string::npos) << syn;
  const std::string synack = frame_group(svg, 3);
  EXPECT_NE(synack.find("x1=\"850\""), std::string::npos) << synack;
  EXPECT_NE(synack.find("S. seq 0 ack 1 win 65535</text>"), std::string::npos) << synack;
  // Every state change: a box with the rule in its <title>.
  std::size_t states = 0;
  for (const auto& n : r.notes) {
    if (n.rule.empty()) continue;
    ++states;
    EXPECT_NE(svg.find("<title>" + xml_escape(n.text) + "\nrule: " + n.rule + "</title>"),
              std::string::npos)
        << n.text;
  }
  EXPECT_GE(states, 8u);  // 4 on each side at least: open, established, close, closed
  EXPECT_EQ(count(svg, "<g class=\"note state\">"), states);
  EXPECT_EQ(count(svg, "<g class=\"note app\">"), r.notes.size() - states);
  EXPECT_NE(svg.find(">ESTABLISHED -&gt; FIN-WAIT-1</text>"), std::string::npos);
  EXPECT_NE(svg.find("rule: rfc9293_3_10_7_3_syn_sent_syn_ack"), std::string::npos);
}

TEST(SvgLadder, LostFramesStopMidwayAtAnX) {
  Recording r = sim_recording("handshake");
  r.frames[4].lost = true;
  r.frames[6].lost = true;
  const std::string svg = render_svg_ladder(r, nullptr);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"cross\""), 2u);
  EXPECT_EQ(count(svg, "marker-end="), r.frames.size() - 2);
  for (std::size_t i : {4u, 6u}) {
    const std::string g = frame_group(svg, i);
    EXPECT_NE(g.find("class=\"frame lost\""), std::string::npos);
    EXPECT_NE(g.find("class=\"cross\""), std::string::npos);
    EXPECT_EQ(g.find("marker-end"), std::string::npos);
    EXPECT_NE(g.find(">lost</tspan>"), std::string::npos);
  }
  // The lost arrow ends 60 % of the way across (370 + 0.6 * 480 = 658, or 850 - 288 = 562).
  const std::string g4 = frame_group(svg, 4);
  const bool ltr = r.frames[4].from == Side::Left;
  EXPECT_NE(g4.find(ltr ? "x2=\"658\"" : "x2=\"562\""), std::string::npos) << g4;
}

TEST(SvgLadder, EscapesAllText) {
  Recording r;
  r.left_title = "client <a&b> \"quoted\"";
  r.right_title = "server 'x'";
  r.add_note(
      {Instant::zero(), Side::Left, "app wrote <script>alert(1)</script> & left", "", false});
  r.add_note({Instant::zero(), Side::Right, "LISTEN -> SYN-RECEIVED", "rule<&>", false});
  r.add_frame({Instant::zero(), Side::Left, false, LinkType::Ethernet, ByteVec(5)});  // malformed
  const std::string svg = render_svg_ladder(r, nullptr);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("client &lt;a&amp;b&gt; &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(svg.find("server &#39;x&#39;"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("rule: rule&lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("malformed frame"), std::string::npos);
}

TEST(SvgLadder, LongIpv6TitlesFitBetweenTheTimelines) {
  Recording r;
  // The longest a connection gives: a full 8-group address and a 5-digit port.
  r.left_title = "client [2001:db8:1234:5678:9abc:def0:1234:5678]:49152";
  // Longer than that (a caller's own title): its middle is elided, all of it on hover.
  r.right_title = "server [2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:80 behind a long name";
  r.add_frame({Instant::zero(), Side::Left, false, LinkType::Ethernet, ByteVec(5)});
  const std::string svg = render_svg_ladder(r, nullptr);
  EXPECT_EQ(xml_problem(svg), "");
  auto host_texts = [&] {
    std::vector<std::string> out;
    const std::string open = "fill=\"#111\">";
    for (auto at = svg.find("<text class=\"host\""); at != std::string::npos;
         at = svg.find("<text class=\"host\"", at + 1)) {
      const auto start = svg.find(open, at) + open.size();
      out.push_back(svg.substr(start, svg.find("</text>", start) - start));
    }
    return out;
  };
  const auto titles = host_texts();
  ASSERT_EQ(titles.size(), 2u);
  EXPECT_EQ(titles[0], r.left_title);
  const std::string& right = titles[1];
  const auto dots = right.find("...");
  ASSERT_NE(dots, std::string::npos) << right;
  EXPECT_EQ(r.right_title.rfind(right.substr(0, dots), 0), 0u) << right;
  EXPECT_TRUE(right.substr(0, right.find("<title>")).size() <= 56u) << right;
  EXPECT_NE(right.find("<title>" + r.right_title + "</title>"), std::string::npos) << right;
  // 14px bold monospace, about 8.4 px a character: each fits half the 480 px between the
  // timelines on either side of its own.
  EXPECT_LE(r.left_title.size() * 8.4, 480.0);
}

TEST(SvgLadder, ElidesTheMiddleOfLongRuns) {
  const Recording hs = sim_recording("handshake");
  Recording r;
  r.left_title = hs.left_title;
  r.right_title = hs.right_title;
  for (int k = 0; k < 1000; ++k) {
    r.add_frame({Instant::from_nanos(k * 1000), k % 2 ? Side::Right : Side::Left, false,
                 LinkType::Ethernet, hs.frames[2].bytes});
    if (k % 100 == 0)
      r.add_note({Instant::from_nanos(k * 1000), Side::Left, fmt::format("note {}", k), "", false});
  }
  const std::string svg = render_svg_ladder(r, nullptr, {.max_frames = 400});
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(count(svg, "<g class=\"frame"), 400u);
  // Frames 0..199 and 800..999 are drawn; the 600 between are one row.
  EXPECT_FALSE(frame_group(svg, 199).empty());
  EXPECT_TRUE(frame_group(svg, 200).empty());
  EXPECT_TRUE(frame_group(svg, 799).empty());
  EXPECT_FALSE(frame_group(svg, 800).empty());
  EXPECT_FALSE(frame_group(svg, 999).empty());
  // Notes at frames 0, 100 in the head; 800, 900 kept with the tail; 200..700 elided.
  EXPECT_NE(svg.find("... 600 frames and 6 notes not drawn ..."), std::string::npos);
  EXPECT_NE(svg.find(">note 800<"), std::string::npos);
  EXPECT_EQ(svg.find(">note 700<"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"elided\""), 1u);
  // The picture stays small.
  EXPECT_LT(svg.size(), 400u * 1500);
  // Short runs are never elided.
  EXPECT_EQ(render_svg_ladder(hs, nullptr).find("not drawn"), std::string::npos);
}

TEST(SvgLadder, MarksFromTheAnalysisColourTheArrow) {
  const Recording r = sim_recording("request-response");
  Analysis a;
  Connection c;
  SegmentInfo rtx;
  rtx.frame = 4;
  rtx.marks = mark::kRetransmission;
  SegmentInfo dup;
  dup.frame = 5;
  dup.marks = mark::kDupAck | mark::kSack;
  dup.dup_ack_count = 2;
  dup.sack = {{1449, 2897}};
  c.segments = {rtx, dup};
  a.connections.push_back(c);
  const std::string svg = render_svg_ladder(r, &a);
  EXPECT_EQ(xml_problem(svg), "");
  const std::string g4 = frame_group(svg, 4);
  EXPECT_NE(g4.find("<tspan fill=\"#d62728\">retransmission</tspan>"), std::string::npos) << g4;
  EXPECT_NE(g4.find("stroke=\"#d62728\""), std::string::npos);  // the arrow in the mark's colour
  const std::string g5 = frame_group(svg, 5);
  EXPECT_NE(g5.find(">dup ACK #2</tspan>"), std::string::npos) << g5;
  EXPECT_NE(g5.find(">SACK 1449-2897</tspan>"), std::string::npos) << g5;
  EXPECT_NE(g5.find("\ndup ACK #2\nSACK 1449-2897</title>"), std::string::npos) << g5;
  // Many marks: as many as fit under the arrow, the rest counted; all on hover.
  a.connections[0].segments[0].marks = mark::kRetransmission | mark::kSpurious | mark::kOutOfOrder |
                                       mark::kZeroWindow | mark::kEcnCe | mark::kEcnEcho |
                                       mark::kCwr | mark::kKeepAlive | mark::kBadChecksum;
  const std::string many = frame_group(render_svg_ladder(r, &a), 4);
  EXPECT_NE(many.find(" more</tspan>"), std::string::npos) << many;
  EXPECT_NE(many.find("\nbad checksum</title>"), std::string::npos) << many;
  EXPECT_EQ(many.find(">bad checksum</tspan>"), std::string::npos) << many;
  // Unmarked frames keep the plain arrow.
  EXPECT_EQ(frame_group(svg, 2).find("class=\"marks\""), std::string::npos);
}

TEST(SvgLadder, StateNotes) {
  EXPECT_TRUE(is_state_note({Instant::zero(), Side::Left, "SYN-SENT -> ESTABLISHED", "", false}));
  EXPECT_TRUE(is_state_note({Instant::zero(), Side::Left, "anything", "rfc9293_x", false}));
  EXPECT_FALSE(is_state_note(
      {Instant::zero(), Side::Left, "accept() -> new socket for 10.77.0.1:1", "", false}));
  EXPECT_FALSE(is_state_note({Instant::zero(), Side::Left, "connected", "", false}));
}

}  // namespace
}  // namespace synack::view
