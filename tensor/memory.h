// reel/tensor/memory.h — statistics and control of the CPU caching allocator (cpu/allocator.cpp).
//
// Freed blocks are kept in size classes for reuse instead of going back to the OS: on the VMs reel targets
// a fresh 4 KiB page costs about 14 us in page faults, which would dominate small-tensor workloads.
// See Note [CPU caching allocator] in docs/NOTES.md.
#pragma once

#include <cstdint>

namespace reel::cpu {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // bytes in live blocks (rounded to size classes)
  int64_t peak_allocated_bytes = 0;  // high-water mark of allocated_bytes since start or reset
  int64_t cached_bytes = 0;          // bytes in freed blocks kept for reuse
  int64_t system_allocations = 0;    // blocks obtained from the OS
};

MemoryStats memory_stats();
void reset_peak_memory_stats();
// Returns every cached block to the OS (blocks held by this thread's cache and the shared pool).
void empty_cache();
// The most bytes the cache keeps (default 1 GiB); blocks freed beyond it go back to the OS.
void set_cache_limit(int64_t bytes);

}  // namespace reel::cpu
