// Counts heap allocations (operator new) per thread, for `synack bench`'s
// "allocations per segment" figure. The replacement forwards to malloc/free, as the
// standard library's own operator new does; the count is a thread_local increment.
#include <cstdlib>
#include <new>

#include "bench.hpp"

namespace {
thread_local std::uint64_t g_allocations = 0;

void* counted(std::size_t n) {
  ++g_allocations;
  if (n == 0) n = 1;
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}
}  // namespace

namespace synack::cli::bench {
std::uint64_t allocations() {
  return g_allocations;
}
}  // namespace synack::cli::bench

void* operator new(std::size_t n) {
  return counted(n);
}
void* operator new[](std::size_t n) {
  return counted(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
