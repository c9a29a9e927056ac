// A first-in first-out queue on one growable ring of slots: push_back and pop_front
// in O(1) that, once the queue has reached its working size, never allocate again
// (std::deque allocates and frees a block every few hundred bytes of traffic, which
// on a stack's per-segment queues is an allocation every few segments).
#pragma once

#include <cassert>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace synack {

template <class T>
class Fifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push_back(T v) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)].emplace(std::move(v));
    ++size_;
  }
  T& front() {
    assert(size_ > 0);
    return *slots_[head_];
  }
  T& back() {
    assert(size_ > 0);
    return *slots_[(head_ + size_ - 1) & (slots_.size() - 1)];
  }
  void pop_front() {
    assert(size_ > 0);
    slots_[head_].reset();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  void clear() {
    while (!empty()) pop_front();
  }

 private:
  /// Doubles the ring (a power of two, so positions wrap with a mask), in order.
  void grow() {
    std::vector<std::optional<T>> bigger(slots_.empty() ? 8 : 2 * slots_.size());
    for (std::size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<std::optional<T>> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace synack
