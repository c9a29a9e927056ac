#include "synack/base/ring_buffer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace synack {

ByteRing::ByteRing(std::size_t capacity)
    : buf_(capacity ? std::make_unique<std::byte[]>(capacity) : nullptr), cap_(capacity) {}

std::size_t ByteRing::write_at(std::size_t off, Bytes data) {
  if (off >= free()) return 0;
  std::size_t n = std::min(data.size(), free() - off);
  if (n == 0) return 0;  // (memcpy must not see the null pointer of an empty span)
  std::size_t pos = (head_ + len_ + off) % cap_;
  std::size_t first = std::min(n, cap_ - pos);
  std::memcpy(buf_.get() + pos, data.data(), first);
  std::memcpy(buf_.get(), data.data() + first, n - first);
  return n;
}

void ByteRing::commit(std::size_t n) {
  assert(n <= free());
  len_ += n;
}

std::size_t ByteRing::write(Bytes data) {
  std::size_t n = write_at(0, data);
  len_ += n;
  return n;
}

std::size_t ByteRing::peek(std::size_t off, MutBytes out) const {
  if (off >= len_) return 0;
  std::size_t n = std::min(out.size(), len_ - off);
  if (n == 0) return 0;
  std::size_t pos = (head_ + off) % cap_;
  std::size_t first = std::min(n, cap_ - pos);
  std::memcpy(out.data(), buf_.get() + pos, first);
  std::memcpy(out.data() + first, buf_.get(), n - first);
  return n;
}

std::size_t ByteRing::read(MutBytes out) {
  std::size_t n = peek(0, out);
  consume(n);
  return n;
}

void ByteRing::consume(std::size_t n) {
  assert(n <= len_);
  if (cap_ == 0) return;
  head_ = (head_ + n) % cap_;
  len_ -= n;
}

void ByteRing::reserve(std::size_t new_cap) {
  if (new_cap <= cap_) return;
  auto nb = std::make_unique<std::byte[]>(new_cap);
  peek(0, MutBytes(nb.get(), len_));
  buf_ = std::move(nb);
  cap_ = new_cap;
  head_ = 0;
}

}  // namespace synack
