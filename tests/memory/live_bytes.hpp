// Heap bytes in use by this process, as counted by the replacement operator new and
// delete of live_bytes.cpp (malloc_usable_size of every block: what the allocator
// really hands out, not what was asked for). Single-threaded tests only.
#pragma once

#include <cstddef>

namespace synack::testing {
std::size_t live_heap_bytes();
// operator new calls so far (every one, whatever was freed since).
std::size_t heap_allocations();
}  // namespace synack::testing
