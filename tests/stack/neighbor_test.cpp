// NeighborCache on its own: capacity, eviction, queue accounting.
#include <gtest/gtest.h>

#include "synack/stack/neighbor.hpp"

namespace synack::stack {
namespace {

using wire::Ipv4Addr;
using wire::MacAddr;

NeighborKey key(std::uint8_t n) {
  return {IfaceId{0}, Ipv4Addr::from_octets(10, 77, 0, n)};
}
MacAddr mac(std::uint8_t n) {
  return MacAddr{{2, 0, 0, 0, 0, n}};
}

TEST(NeighborCache, FullCacheEvictsResolvedEntryClosestToExpiry) {
  NeighborConfig cfg;
  cfg.max_entries = 2;
  NeighborCache c(cfg);
  std::vector<ByteVec> released;
  Instant t0;
  c.insert(key(1), mac(1), t0, released);
  c.insert(key(2), mac(2), t0 + std::chrono::seconds(5), released);
  c.insert(key(3), mac(3), t0 + std::chrono::seconds(6), released);
  EXPECT_EQ(c.size(), 2u);
  Instant t = t0 + std::chrono::seconds(7);
  EXPECT_EQ(c.lookup(key(1), t), std::nullopt);  // the oldest went
  EXPECT_EQ(c.lookup(key(2), t), mac(2));
  EXPECT_EQ(c.lookup(key(3), t), mac(3));
}

TEST(NeighborCache, PendingEntriesAreNeverEvicted) {
  NeighborConfig cfg;
  cfg.max_entries = 1;
  NeighborCache c(cfg);
  Instant t0;
  EXPECT_EQ(c.enqueue(key(1), ByteVec(3), t0), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.enqueue(key(2), ByteVec(3), t0), NeighborCache::Enqueued::DropCacheFull);
  std::vector<ByteVec> released;
  c.insert(key(3), mac(3), t0, released);  // no room: not learned
  EXPECT_EQ(c.lookup(key(3), t0), std::nullopt);
  EXPECT_TRUE(c.pending(key(1)));
}

TEST(NeighborCache, UnknownAddressesNeverEvictALiveNeighbour) {
  // A SYN flood from spoofed sources makes us ARP for each one: those pending
  // entries must not push out a resolved neighbour that has not expired.
  NeighborConfig cfg;
  cfg.max_entries = 2;
  NeighborCache c(cfg);
  std::vector<ByteVec> released;
  Instant t0;
  c.insert(key(1), mac(1), t0, released);
  EXPECT_EQ(c.enqueue(key(2), ByteVec(3), t0), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.enqueue(key(3), ByteVec(3), t0), NeighborCache::Enqueued::DropCacheFull);
  EXPECT_EQ(c.lookup(key(1), t0), mac(1));
  // Once the neighbour has expired its slot may be reused.
  const Instant late = t0 + cfg.reachable_time + std::chrono::seconds(1);
  EXPECT_EQ(c.enqueue(key(3), ByteVec(3), late), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.lookup(key(1), late), std::nullopt);
}

TEST(NeighborCache, FullWaitQueueRefusesNewAddressesWithoutTouchingTheCache) {
  NeighborConfig cfg;
  cfg.max_queued_total = 1;
  NeighborCache c(cfg);
  Instant t0;
  EXPECT_EQ(c.enqueue(key(1), ByteVec(3), t0), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.enqueue(key(2), ByteVec(3), t0), NeighborCache::Enqueued::DropQueueFull);
  EXPECT_FALSE(c.pending(key(2)));
  EXPECT_EQ(c.size(), 1u);
}

TEST(NeighborCache, ResolutionReleasesFramesInOrder) {
  NeighborCache c(NeighborConfig{});
  Instant t0;
  EXPECT_EQ(c.enqueue(key(1), ByteVec(1), t0), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.enqueue(key(1), ByteVec(2), t0), NeighborCache::Enqueued::Queued);
  EXPECT_EQ(c.queued_total(), 2u);
  std::vector<ByteVec> released;
  EXPECT_FALSE(c.update(key(2), mac(2), t0, released));
  EXPECT_TRUE(c.update(key(1), mac(1), t0, released));
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].size(), 1u);
  EXPECT_EQ(released[1].size(), 2u);
  EXPECT_EQ(c.queued_total(), 0u);
  EXPECT_EQ(c.next_deadline(), std::nullopt);
}

TEST(NeighborCache, RetryScheduleFollowsConfig) {
  NeighborConfig cfg;
  cfg.retry_interval = std::chrono::milliseconds(250);
  cfg.max_requests = 2;
  NeighborCache c(cfg);
  Instant t0;
  ASSERT_EQ(c.enqueue(key(1), ByteVec(1), t0), NeighborCache::Enqueued::SendRequest);
  EXPECT_EQ(c.next_deadline(), t0 + std::chrono::milliseconds(250));
  auto r = c.on_timer(t0 + std::chrono::milliseconds(250));
  ASSERT_EQ(r.resend.size(), 1u);
  EXPECT_EQ(r.resend[0], key(1));
  r = c.on_timer(t0 + std::chrono::milliseconds(500));
  EXPECT_TRUE(r.resend.empty());
  EXPECT_EQ(r.gave_up, 1u);
  EXPECT_EQ(r.dropped_frames, 1u);
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace synack::stack
