// The pictures of a real capture (tests/vectors/kernel-loss.pcap: Linux to Linux over a
// veth with 2 % loss), as `synack trace` would draw them: the analysis and the dissector
// agree on every segment, the ladder and the graph show what the analysis found.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "capture.hpp"
#include "connection_view.hpp"
#include "dissect.hpp"
#include "html.hpp"
#include "plot.hpp"
#include "svg_ladder.hpp"
#include "svg_util.hpp"
#include "view_test_util.hpp"

namespace synack::view {
namespace {

using namespace testing;

TEST(CapturePictures, KernelTransferWithLoss) {
  auto cap = read_capture_file(std::string(SYNACK_SOURCE_DIR) + "/tests/vectors/kernel-loss.pcap");
  ASSERT_TRUE(cap) << cap.error();
  const Analysis all = analyze(cap->frames);
  const auto busiest = busiest_direction(all);
  ASSERT_TRUE(busiest);
  const Connection& c = all.connections[busiest->connection];
  const auto d = static_cast<int>(busiest->dir);
  ASSERT_GT(c.dir[d].bytes, 10'000u);
  ASSERT_GT(c.dir[d].retransmissions, 0u);

  // The dissector reads what the analysis read: ports, raw and relative numbers.
  for (const SegmentInfo& s : c.segments) {
    const auto ls = dissect(cap->frames[s.frame], &s);
    const Layer* tcp = nullptr;
    for (const auto& l : ls)
      if (l.name == "Transmission Control Protocol") tcp = &l;
    ASSERT_NE(tcp, nullptr) << s.frame;
    auto value = [&](std::string_view name) {
      for (const auto& f : tcp->fields)
        if (f.name == name) return f.value;
      return std::string("<missing>");
    };
    EXPECT_EQ(value("sequence number (relative)"), std::to_string(s.seq)) << s.frame;
    EXPECT_EQ(value("window (raw)"), std::to_string(s.raw_window)) << s.frame;
    const Endpoint& from = s.dir == Dir::AtoB ? c.a : c.b;
    EXPECT_EQ(value("source port"), std::to_string(from.port)) << s.frame;
  }

  // The graph: one mark per retransmission of the busiest direction (TLPs apart).
  const std::string plot = render_time_sequence(c, busiest->dir);
  EXPECT_EQ(xml_problem(plot), "");
  std::size_t rtx = 0, probes = 0;
  for (const auto& s : c.segments) {
    if (s.dir != busiest->dir || s.len == 0) continue;
    if (s.marks & mark::kProbe) {
      ++probes;
    } else if (s.marks & mark::kRetransmission) {
      ++rtx;
    }
  }
  EXPECT_GT(rtx + probes, 0u);
  EXPECT_EQ(count(plot, "<line class=\"retransmission\""), rtx);
  EXPECT_EQ(count(plot, "<line class=\"probe\""), probes);
  EXPECT_LT(elements(plot), 3000u);

  // The connection as trace draws it: a ladder with an arrow per frame, marks in colour.
  const ConnectionView v = connection_view(cap->frames, c);
  const std::string svg = render_svg_ladder(v.recording, &v.analysis);
  EXPECT_EQ(xml_problem(svg), "");
  const std::size_t drawn = std::min<std::size_t>(v.recording.frames.size(), 400);
  EXPECT_EQ(count(svg, "<g class=\"frame"), drawn);
  EXPECT_GT(count(svg, ">retransmission</tspan>"), 0u);
  EXPECT_GT(count(svg, "<g class=\"note state\">"), 0u);  // the inferred states
  EXPECT_NE(svg.find("(inferred)"), std::string::npos);
  const std::string page = render_html(v.recording, v.analysis);
  if (const char* dir = std::getenv("SYNACK_VIEW_OUT")) {  // for a person to look at
    write_whole_file(std::string(dir) + "/kernel-loss-ladder.svg", svg);
    write_whole_file(std::string(dir) + "/kernel-loss-plot.svg", plot);
    write_whole_file(std::string(dir) + "/kernel-loss.html", page);
  }
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(count(page, "<svg class=\"tsg\""), c.dir[0].bytes && c.dir[1].bytes ? 2u : 1u);
}

}  // namespace
}  // namespace synack::view
