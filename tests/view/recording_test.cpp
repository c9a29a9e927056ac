// The sim records what it prints: every frame and note, in order.
#include <gtest/gtest.h>

#include "recording.hpp"

namespace synack::view {
namespace {

TEST(Recording, KeepsFramesAndNotesInOrder) {
  Recording r;
  r.add_note({Instant::from_nanos(0), Side::Left, "connect(10.77.0.2:80)", "", false});
  r.add_frame({Instant::from_nanos(1000), Side::Left, false, LinkType::Ethernet, ByteVec(60)});
  r.add_note({Instant::from_nanos(2000), Side::Right, "LISTEN -> SYN-RECEIVED", "rfc", false});
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0].kind, Recording::Event::Kind::Note);
  EXPECT_EQ(r.events[1].kind, Recording::Event::Kind::Frame);
  EXPECT_EQ(r.events[1].index, 0u);
  EXPECT_EQ(r.events[2].index, 1u);
  EXPECT_EQ(r.notes[1].rule, "rfc");
}

}  // namespace
}  // namespace synack::view
