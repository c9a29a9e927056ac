#include "synack/base/ring_buffer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace synack {

namespace {
constexpr std::size_t kFirstAllocation = 4096;
}

ByteRing::ByteRing(std::size_t capacity) : cap_(clamp(capacity)) {}

void ByteRing::grow(std::size_t need) {
  if (need <= alloc_) return;
  const std::size_t n = std::min<std::size_t>(
      cap_, std::max<std::size_t>({need, 2 * std::size_t{alloc_}, kFirstAllocation}));
  // Uninitialised: the pages are touched only when data is written into them.
  auto nb = std::make_unique_for_overwrite<std::byte[]>(n);
  // The whole old ring, from the head: committed bytes and any placed past the end
  // by write_at (out-of-order data) keep their offsets.
  if (alloc_ > 0) {
    std::memcpy(nb.get(), buf_.get() + head_, alloc_ - head_);
    std::memcpy(nb.get() + (alloc_ - head_), buf_.get(), head_);
  }
  buf_ = std::move(nb);
  alloc_ = static_cast<std::uint32_t>(n);
  head_ = 0;
}

std::size_t ByteRing::write_at(std::size_t off, Bytes data) {
  if (off >= free()) return 0;
  std::size_t n = std::min<std::size_t>(data.size(), free() - off);
  if (n == 0) return 0;  // (memcpy must not see the null pointer of an empty span)
  grow(len_ + off + n);
  std::size_t pos = (head_ + len_ + off) % alloc_;
  std::size_t first = std::min<std::size_t>(n, alloc_ - pos);
  std::memcpy(buf_.get() + pos, data.data(), first);
  std::memcpy(buf_.get(), data.data() + first, n - first);
  return n;
}

void ByteRing::commit(std::size_t n) {
  assert(n <= free());
  // Bytes committed were placed by write_at, which allocated room for them.
  assert(len_ + n <= alloc_ || n == 0);
  len_ += static_cast<std::uint32_t>(n);
}

std::size_t ByteRing::write(Bytes data) {
  std::size_t n = write_at(0, data);
  len_ += static_cast<std::uint32_t>(n);
  return n;
}

template <class Copy>
std::size_t ByteRing::copy_out(std::size_t off, MutBytes out, Copy copy) const {
  if (off >= len_) return 0;
  std::size_t n = std::min<std::size_t>(out.size(), len_ - off);
  if (n == 0) return 0;
  std::size_t pos = (head_ + off) % alloc_;
  std::size_t first = std::min<std::size_t>(n, alloc_ - pos);
  copy(out, Bytes(buf_.get() + pos, first));
  copy(out.subspan(first), Bytes(buf_.get(), n - first));
  return n;
}

std::size_t ByteRing::peek(std::size_t off, MutBytes out) const {
  return copy_out(off, out, [](MutBytes dst, Bytes src) {
    if (!src.empty()) std::memcpy(dst.data(), src.data(), src.size());
  });
}

std::size_t ByteRing::peek(std::size_t off, MutBytes out, Checksum& sum) const {
  return copy_out(off, out, [&sum](MutBytes dst, Bytes src) { sum.add_copy(dst, src); });
}

std::size_t ByteRing::read(MutBytes out) {
  std::size_t n = peek(0, out);
  consume(n);
  return n;
}

void ByteRing::consume(std::size_t n) {
  assert(n <= len_);
  if (alloc_ == 0) return;
  head_ = static_cast<std::uint32_t>((head_ + n) % alloc_);
  len_ -= static_cast<std::uint32_t>(n);
}

void ByteRing::reserve(std::size_t new_cap) {
  cap_ = std::max(cap_, clamp(new_cap));
}

}  // namespace synack
