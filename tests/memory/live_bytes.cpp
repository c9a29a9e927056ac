// The replacement operator new/delete behind live_heap_bytes(): forwards to malloc and
// free (as the standard library's own does) and keeps a running total.
#include "live_bytes.hpp"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace {
std::size_t g_live = 0;
std::size_t g_allocations = 0;

void* counted(std::size_t n) {
  if (n == 0) n = 1;
  void* p = std::malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  g_live += ::malloc_usable_size(p);
  ++g_allocations;
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  g_live -= ::malloc_usable_size(p);
  std::free(p);
}
}  // namespace

namespace synack::testing {
std::size_t live_heap_bytes() {
  return g_live;
}
std::size_t heap_allocations() {
  return g_allocations;
}
}  // namespace synack::testing

void* operator new(std::size_t n) {
  return counted(n);
}
void* operator new[](std::size_t n) {
  return counted(n);
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
