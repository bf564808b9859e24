// reel/cpu/allocator.cpp — the caching CPU allocator.
//
// Requests are rounded up to size classes (4 per power of two, so at most 25% waste; 64-byte minimum and
// alignment). A freed block goes to the freeing thread's small per-class cache (no lock), and from there,
// when that is full, to a shared pool under a mutex. Only when the shared pool holds more than the cache
// limit does memory go back to the OS. See Note [CPU caching allocator] in docs/NOTES.md.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "tensor/error_format.h"
#include "tensor/memory.h"
#include "tensor/storage.h"

namespace reel::cpu {

namespace {

constexpr size_t kAlignment = 64;
constexpr int kClassesPerDoubling = 4;
constexpr int kNumClasses = 64 * kClassesPerDoubling;
constexpr size_t kThreadCacheMaxBytes = size_t{1} << 20;  // blocks up to 1 MiB use the thread cache
constexpr int kThreadCacheSlots = 8;                      // blocks per class per thread

// Size class of a request: 64-byte minimum, then 4 steps per power of two.
int size_class(size_t nbytes, size_t* rounded) {
  if (nbytes <= kAlignment) {
    *rounded = kAlignment;
    return 0;
  }
  const int log2 = 63 - __builtin_clzll(nbytes - 1);  // 2^log2 < nbytes <= 2^(log2+1)
  const size_t base = size_t{1} << log2;
  const size_t step = base / kClassesPerDoubling;
  const size_t steps = (nbytes - base + step - 1) / step;  // 1..4
  *rounded = base + steps * step;
  return (log2 - 6) * kClassesPerDoubling + static_cast<int>(steps);
}

// The hot path touches one counter (allocated) and reads the peak; cached bytes are derived as
// reserved - allocated, where reserved changes only when memory comes from or goes back to the OS.
struct Stats {
  std::atomic<int64_t> allocated{0}, peak{0}, reserved{0}, system{0};
  std::atomic<int64_t> limit{int64_t{1} << 30};
  void add_allocated(int64_t bytes) {
    int64_t now = allocated.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    int64_t previous = peak.load(std::memory_order_relaxed);
    while (now > previous && !peak.compare_exchange_weak(previous, now, std::memory_order_relaxed)) {
    }
  }
  int64_t cached() const { return reserved.load(std::memory_order_relaxed) - allocated.load(std::memory_order_relaxed); }
};
Stats g_stats;

struct SharedPool {
  std::mutex mutex;
  std::vector<void*> blocks[kNumClasses];
};
SharedPool& shared_pool() {
  static SharedPool* pool = new SharedPool();  // never destroyed: threads may free during shutdown
  return *pool;
}

// Null when the OS refuses the block even after the cache was emptied.
void* system_allocate(size_t rounded) {
  // aligned_alloc wants a size that is a multiple of the alignment; the small classes (80, 96, ...) are not.
  const size_t padded = (rounded + kAlignment - 1) & ~(kAlignment - 1);
  void* p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) {
    empty_cache();
    p = std::aligned_alloc(kAlignment, padded);
  }
  if (p == nullptr) return nullptr;
  g_stats.system.fetch_add(1, std::memory_order_relaxed);
  g_stats.reserved.fetch_add(static_cast<int64_t>(rounded), std::memory_order_relaxed);
  return p;
}

void system_free(void* p, size_t rounded) {
  std::free(p);
  g_stats.reserved.fetch_sub(static_cast<int64_t>(rounded), std::memory_order_relaxed);
}

// `p` is already counted as cached (not allocated); keep it in the shared pool unless over the limit.
void release_to_pool(int cls, size_t rounded, void* p) {
  SharedPool& pool = shared_pool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (g_stats.cached() <= g_stats.limit.load(std::memory_order_relaxed)) {
      pool.blocks[cls].push_back(p);
      return;
    }
  }
  system_free(p, rounded);
}

struct ThreadCache {
  void* slots[kNumClasses][kThreadCacheSlots];
  int counts[kNumClasses] = {};
  ~ThreadCache() { flush(); }
  void flush() {
    for (int cls = 0; cls < kNumClasses; ++cls) {
      while (counts[cls] > 0) {
        void* p = slots[cls][--counts[cls]];
        release_to_pool(cls, class_bytes(cls), p);
      }
    }
  }
  static size_t class_bytes(int cls) {
    if (cls == 0) return kAlignment;
    const int log2 = (cls - 1) / kClassesPerDoubling + 6;
    const int steps = (cls - 1) % kClassesPerDoubling + 1;
    const size_t base = size_t{1} << log2;
    return base + static_cast<size_t>(steps) * (base / kClassesPerDoubling);
  }
};
thread_local ThreadCache t_cache;

class CachingCpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    size_t rounded = 0;
    const int cls = size_class(nbytes, &rounded);
    g_stats.add_allocated(static_cast<int64_t>(rounded));
    if (rounded <= kThreadCacheMaxBytes && t_cache.counts[cls] > 0) return t_cache.slots[cls][--t_cache.counts[cls]];
    {
      SharedPool& pool = shared_pool();
      std::lock_guard<std::mutex> lock(pool.mutex);
      auto& list = pool.blocks[cls];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        return p;
      }
    }
    void* p = system_allocate(rounded);
    if (p == nullptr) {
      // Uncount the failed request first, so the statistics in the message are those of the live blocks.
      g_stats.allocated.fetch_sub(static_cast<int64_t>(rounded), std::memory_order_relaxed);
      throw OutOfMemoryError(fmt::format(
          "CPU allocator: out of memory allocating {} bytes ({} bytes allocated, {} cached)", rounded,
          g_stats.allocated.load(std::memory_order_relaxed), g_stats.cached()));
    }
    return p;
  }

  void deallocate(void* p, size_t nbytes) override {
    if (p == nullptr) return;
    size_t rounded = 0;
    const int cls = size_class(nbytes, &rounded);
    g_stats.allocated.fetch_sub(static_cast<int64_t>(rounded), std::memory_order_relaxed);
    if (rounded <= kThreadCacheMaxBytes && t_cache.counts[cls] < kThreadCacheSlots) {
      t_cache.slots[cls][t_cache.counts[cls]++] = p;
      return;
    }
    release_to_pool(cls, rounded, p);
  }
};

}  // namespace

Allocator* caching_allocator() {
  static CachingCpuAllocator* allocator = new CachingCpuAllocator();  // lives for the whole process
  return allocator;
}

MemoryStats memory_stats() {
  MemoryStats s;
  s.allocated_bytes = g_stats.allocated.load();
  s.peak_allocated_bytes = g_stats.peak.load();
  s.cached_bytes = g_stats.cached();
  s.system_allocations = g_stats.system.load();
  return s;
}

void reset_peak_memory_stats() { g_stats.peak.store(g_stats.allocated.load()); }

void empty_cache() {
  t_cache.flush();
  SharedPool& pool = shared_pool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  for (int cls = 0; cls < kNumClasses; ++cls) {
    const size_t bytes = ThreadCache::class_bytes(cls);
    for (void* p : pool.blocks[cls]) system_free(p, bytes);
    pool.blocks[cls].clear();
  }
}

void set_cache_limit(int64_t bytes) {
  REEL_CHECK(bytes >= 0, "set_cache_limit: negative limit {}", bytes);
  g_stats.limit.store(bytes);
}

}  // namespace reel::cpu
