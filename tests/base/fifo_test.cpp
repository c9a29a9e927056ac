#include "synack/base/fifo.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "synack/base/random.hpp"

namespace synack {
namespace {

// Against std::deque as the model: random pushes and pops across many growths and
// wrap-arounds keep the same order, front, back and size.
TEST(Fifo, BehavesAsADequeUsedAsAQueue) {
  SeededRandom rng(5);
  Fifo<int> f;
  std::deque<int> model;
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool push = model.empty() || rng.below(100) < (step < 10000 ? 60u : 40u);
    if (push) {
      f.push_back(next);
      model.push_back(next++);
    } else {
      ASSERT_EQ(f.front(), model.front());
      f.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(f.size(), model.size());
    ASSERT_EQ(f.empty(), model.empty());
    if (!model.empty()) {
      ASSERT_EQ(f.front(), model.front());
      ASSERT_EQ(f.back(), model.back());
    }
  }
  f.clear();
  EXPECT_TRUE(f.empty());
}

// Elements that own memory are moved in and out, and a popped one is destroyed at once.
TEST(Fifo, MovesOwnersAndReleasesThemOnPop) {
  Fifo<std::unique_ptr<int>> f;
  auto p = std::make_unique<int>(7);
  std::weak_ptr<int> watch;
  auto shared = std::make_shared<int>(9);
  watch = shared;
  Fifo<std::shared_ptr<int>> g;
  g.push_back(std::move(shared));
  EXPECT_FALSE(watch.expired());
  g.pop_front();
  EXPECT_TRUE(watch.expired());
  f.push_back(std::move(p));
  EXPECT_EQ(*f.front(), 7);
  auto back = std::move(f.front());
  f.pop_front();
  EXPECT_EQ(*back, 7);
  EXPECT_TRUE(f.empty());
}

}  // namespace
}  // namespace synack
