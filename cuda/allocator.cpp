// reel/cuda/allocator.cpp — the caching device allocator and the caching pinned (page-locked) host allocator.
//
// Device memory (PyTorch's design, simplified): requests round up to 512 B. Requests up to 1 MiB come from
// 2 MiB segments (the small pool); bigger ones from 20 MiB segments when under 10 MiB, otherwise from a
// segment of their own size rounded up to 2 MiB (the large pool). A segment is one cudaMalloc, cut into blocks:
// an allocation takes the smallest free block of its pool that is big enough and was made on the same stream,
// and splits off the rest when it is worth keeping (>= 512 B small, > 1 MiB large). A freed block goes back to
// its pool, merged with free neighbours of its segment; cudaFree happens only in empty_cache or when cudaMalloc
// fails (then the device is synchronised, every wholly free segment released, and the cudaMalloc retried once
// before OutOfMemoryError). Blocks carry the stream they were allocated on and serve only that stream, so a
// block freed while a kernel on that stream still uses it is handed out only to later work of the same stream.
//
// Pinned host memory (Tensor::pin_memory): cudaHostAlloc blocks rounded to powers of two, cached per size. An
// asynchronous copy that reads or writes a pinned block records an event (record_pinned_use); a freed block is
// reused only after those events completed, so the host never rewrites memory a copy still reads.
#include <algorithm>
#include <bit>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "cuda/allocator.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/stream.h"
#include "tensor/cuda.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

constexpr size_t kMinBlock = 512;                   // every request rounds up to a multiple of this
constexpr size_t kSmallRequest = size_t{1} << 20;   // requests up to 1 MiB use the small pool
constexpr size_t kSmallSegment = size_t{2} << 20;   // small-pool segments are 2 MiB
constexpr size_t kMediumRequest = size_t{10} << 20;  // large requests under 10 MiB share 20 MiB segments
constexpr size_t kMediumSegment = size_t{20} << 20;
constexpr size_t kSegmentRounding = size_t{2} << 20;  // bigger segments round up to 2 MiB

size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// "1.50 GiB (1610612736 bytes)": readable, and exact for tests and logs.
std::string format_bytes(size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 6) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.2f} {} ({} bytes)", value, units[unit], bytes);
}

// ---- device allocator ------------------------------------------------------------------------------------
struct Block {
  int device = 0;
  cudaStream_t stream = nullptr;
  bool small = false;       // which pool: small (2 MiB segments) or large
  bool allocated = false;
  size_t size = 0;
  char* ptr = nullptr;
  Block* prev = nullptr;    // neighbours inside the same segment (null at the segment's ends)
  Block* next = nullptr;
};

// Free blocks ordered by (stream, size, address): lower_bound finds the best fit on a stream.
struct BlockOrder {
  bool operator()(const Block* a, const Block* b) const {
    return std::make_tuple(reinterpret_cast<uintptr_t>(a->stream), a->size, reinterpret_cast<uintptr_t>(a->ptr)) <
           std::make_tuple(reinterpret_cast<uintptr_t>(b->stream), b->size, reinterpret_cast<uintptr_t>(b->ptr));
  }
};
using FreeBlocks = std::set<Block*, BlockOrder>;

struct DeviceState {
  FreeBlocks small_free;
  FreeBlocks large_free;
  int64_t allocated = 0;  // bytes in blocks held by tensors
  int64_t peak = 0;
  int64_t reserved = 0;   // bytes in segments (cudaMalloc'd, not yet freed)
  FreeBlocks& pool(bool small) { return small ? small_free : large_free; }
};

class CachingDeviceAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    int device = 0;
    REEL_CUDA_CHECK(cudaGetDevice(&device));
    return allocate_on(nbytes, device);
  }

  void* allocate_on(size_t nbytes, int device) {
    check_device_index(device);
    if (nbytes == 0) return nullptr;
    const size_t size = round_up(nbytes, kMinBlock);
    const bool small = size <= kSmallRequest;
    const cudaStream_t stream = current_raw_stream_of(device);
    std::lock_guard<std::mutex> lock(mutex_);
    DeviceState& state = devices_[device];
    FreeBlocks& pool = state.pool(small);
    Block* block = take_best_fit(pool, stream, size);
    if (block == nullptr) block = new_segment(state, device, stream, small, nbytes, size);
    split(pool, block, size);
    block->allocated = true;
    state.allocated += static_cast<int64_t>(block->size);
    state.peak = std::max(state.peak, state.allocated);
    live_[block->ptr] = block;
    return block->ptr;
  }

  void deallocate(void* p, size_t) override {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    REEL_CHECK(it != live_.end(), "CUDA caching allocator: freeing {} which it did not allocate", p);
    Block* block = it->second;
    live_.erase(it);
    DeviceState& state = devices_[block->device];
    FreeBlocks& pool = state.pool(block->small);
    state.allocated -= static_cast<int64_t>(block->size);
    block->allocated = false;
    if (block->prev != nullptr && !block->prev->allocated) block = merge(pool, block->prev, block);
    if (block->next != nullptr && !block->next->allocated) block = merge(pool, block, block->next);
    pool.insert(block);
  }

  int64_t allocated(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return devices_[device].allocated;
  }
  int64_t peak(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return devices_[device].peak;
  }
  int64_t reserved(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    return devices_[device].reserved;
  }
  void reset_peak(int device) {
    std::lock_guard<std::mutex> lock(mutex_);
    devices_[device].peak = devices_[device].allocated;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int device = 0; device < kMaxDevices; ++device)
      if (devices_[device].reserved > 0) release_cached_segments(device);
  }

 private:
  // Removes and returns the smallest free block of `pool` made on `stream` with at least `size` bytes.
  static Block* take_best_fit(FreeBlocks& pool, cudaStream_t stream, size_t size) {
    Block key;
    key.stream = stream;
    key.size = size;
    key.ptr = nullptr;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream != stream) return nullptr;
    Block* block = *it;
    pool.erase(it);
    return block;
  }

  // Cuts `block` down to `size` when the rest is worth a block of its own; the rest goes back to the pool.
  static void split(FreeBlocks& pool, Block* block, size_t size) {
    const size_t rest = block->size - size;
    const bool worth = block->small ? rest >= kMinBlock : rest > kSmallRequest;
    if (!worth) return;
    auto* remainder = new Block(*block);
    remainder->ptr = block->ptr + size;
    remainder->size = rest;
    remainder->prev = block;
    remainder->next = block->next;
    if (block->next != nullptr) block->next->prev = remainder;
    block->next = remainder;
    block->size = size;
    pool.insert(remainder);
  }

  // Joins two adjacent blocks of one segment (`second` follows `first`); free neighbours leave the pool first.
  static Block* merge(FreeBlocks& pool, Block* first, Block* second) {
    if (!first->allocated) pool.erase(first);
    if (!second->allocated) pool.erase(second);
    first->size += second->size;
    first->next = second->next;
    if (second->next != nullptr) second->next->prev = first;
    delete second;
    return first;
  }

  // cudaMalloc of a new segment for a request of `size` bytes; on failure frees the cache and retries, and
  // finally tries a segment of exactly `size` before throwing OutOfMemoryError. Called with mutex_ held.
  Block* new_segment(DeviceState& state, int device, cudaStream_t stream, bool small, size_t requested, size_t size) {
    const size_t segment = small ? kSmallSegment : size < kMediumRequest ? kMediumSegment : round_up(size, kSegmentRounding);
    DeviceGuard guard(device);
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, segment);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it: we handle it
      release_cached_segments(device);
      status = cudaMalloc(&p, segment);
    }
    size_t got = segment;
    if (status == cudaErrorMemoryAllocation && segment != size) {
      cudaGetLastError();
      got = round_up(size, kMinBlock);
      status = cudaMalloc(&p, got);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      const bool have_info = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
      if (!have_info) cudaGetLastError();
      throw OutOfMemoryError(fmt::format(
          "CUDA out of memory: tried to allocate {} on cuda:{}. The caching allocator has {} allocated by tensors, "
          "{} reserved from CUDA, peak allocated {}{}", format_bytes(requested), device,
          format_bytes(static_cast<size_t>(state.allocated)), format_bytes(static_cast<size_t>(state.reserved)),
          format_bytes(static_cast<size_t>(state.peak)),
          have_info ? fmt::format("; the device has {} free of {}", format_bytes(free_bytes), format_bytes(total_bytes))
                    : std::string()));
    }
    REEL_CUDA_CHECK(status);
    state.reserved += static_cast<int64_t>(got);
    auto* block = new Block();
    block->device = device;
    block->stream = stream;
    block->small = small;
    block->size = got;
    block->ptr = static_cast<char*>(p);
    return block;
  }

  // Synchronises the device (a cached block may still be read by queued work) and cudaFrees every segment that
  // is one whole free block. Called with mutex_ held.
  void release_cached_segments(int device) {
    DeviceGuard guard(device);
    REEL_CUDA_CHECK(cudaDeviceSynchronize());
    DeviceState& state = devices_[device];
    for (FreeBlocks* pool : {&state.small_free, &state.large_free}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* block = *it;
        if (block->prev != nullptr || block->next != nullptr) {
          ++it;
          continue;
        }
        REEL_CUDA_CHECK(cudaFree(block->ptr));
        state.reserved -= static_cast<int64_t>(block->size);
        it = pool->erase(it);
        delete block;
      }
    }
  }

  std::mutex mutex_;
  DeviceState devices_[kMaxDevices];
  std::unordered_map<void*, Block*> live_;  // allocated blocks by address
};

CachingDeviceAllocator& device_allocator() {
  static auto* allocator = new CachingDeviceAllocator();  // never destroyed: tensors may die during shutdown
  return *allocator;
}

// ---- pinned host allocator -------------------------------------------------------------------------------
struct PinnedBlock {
  void* ptr = nullptr;
  size_t size = 0;
  bool allocated = false;
  std::vector<cudaEvent_t> pending;  // asynchronous copies that use the block
};

class CachingPinnedAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    REEL_CHECK(device_count() > 0, "pin_memory: page-locked host memory needs a CUDA device, but no CUDA device is "
               "available on this machine (request of {} bytes)", nbytes);
    if (nbytes == 0) return nullptr;
    const size_t size = std::max<size_t>(std::bit_ceil(nbytes), kMinBlock);
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PinnedBlock*>& list = free_[size];
    for (auto it = list.begin(); it != list.end(); ++it) {
      PinnedBlock* block = *it;
      if (!copies_finished(block)) continue;
      list.erase(it);
      block->allocated = true;
      return block->ptr;
    }
    void* p = nullptr;
    cudaError_t status = cudaHostAlloc(&p, size, cudaHostAllocPortable);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      release_cached_blocks();
      status = cudaHostAlloc(&p, size, cudaHostAllocPortable);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw OutOfMemoryError(fmt::format("pin_memory: out of page-locked host memory: tried to allocate {}; {} are "
                                         "pinned by reel", format_bytes(nbytes), format_bytes(reserved_)));
    }
    REEL_CUDA_CHECK(status);
    auto* block = new PinnedBlock();
    block->ptr = p;
    block->size = size;
    block->allocated = true;
    blocks_[p] = block;
    reserved_ += size;
    return p;
  }

  void deallocate(void* p, size_t) override {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(p);
    REEL_CHECK(it != blocks_.end(), "CUDA pinned allocator: freeing {} which it did not allocate", p);
    it->second->allocated = false;
    free_[it->second->size].push_back(it->second);
  }

  void record_use(void* p, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(p);
    REEL_CHECK(it != blocks_.end(), "CUDA pinned allocator: {} is not a pinned block", p);
    cudaEvent_t event = nullptr;
    REEL_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    REEL_CUDA_CHECK(cudaEventRecord(event, stream));
    it->second->pending.push_back(event);
  }

  // cudaFreeHost of every free block whose copies finished.
  void release_cached_blocks() {
    for (auto& [size, list] : free_) {
      for (auto it = list.begin(); it != list.end();) {
        PinnedBlock* block = *it;
        if (!copies_finished(block)) {
          ++it;
          continue;
        }
        REEL_CUDA_CHECK(cudaFreeHost(block->ptr));
        reserved_ -= block->size;
        blocks_.erase(block->ptr);
        delete block;
        it = list.erase(it);
      }
    }
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_blocks();
  }

 private:
  // Drops the events of finished copies; true when none is left.
  static bool copies_finished(PinnedBlock* block) {
    auto& pending = block->pending;
    for (auto it = pending.begin(); it != pending.end();) {
      const cudaError_t status = cudaEventQuery(*it);
      if (status == cudaErrorNotReady) {
        cudaGetLastError();
        ++it;
        continue;
      }
      REEL_CUDA_CHECK(status);
      REEL_CUDA_CHECK(cudaEventDestroy(*it));
      it = pending.erase(it);
    }
    return pending.empty();
  }

  std::mutex mutex_;
  std::unordered_map<void*, PinnedBlock*> blocks_;    // every block, by address
  std::map<size_t, std::vector<PinnedBlock*>> free_;  // free blocks by size
  size_t reserved_ = 0;
};

CachingPinnedAllocator& host_allocator() {
  static auto* allocator = new CachingPinnedAllocator();  // never destroyed, like the device allocator
  return *allocator;
}

}  // namespace

// ---- cuda/kernels.h, cuda/allocator.h --------------------------------------------------------------------
Allocator* caching_allocator() { return &device_allocator(); }
Allocator* pinned_allocator() { return &host_allocator(); }

bool is_pinned(const Tensor& tensor) {
  return tensor.defined() && tensor.storage() && tensor.storage()->allocator == pinned_allocator();
}

void record_pinned_use(const Tensor& tensor, cudaStream_t stream) { host_allocator().record_use(tensor.storage()->data, stream); }

// ---- tensor/cuda.h ---------------------------------------------------------------------------------------
int64_t memory_allocated(int device) { return device_allocator().allocated(resolve_device(device, "memory_allocated")); }

int64_t max_memory_allocated(int device) {
  return device_allocator().peak(resolve_device(device, "max_memory_allocated"));
}

int64_t memory_reserved(int device) { return device_allocator().reserved(resolve_device(device, "memory_reserved")); }

void reset_peak_memory_stats(int device) { device_allocator().reset_peak(resolve_device(device, "reset_peak_memory_stats")); }

void empty_cache() {
  resolve_device(-1, "empty_cache");
  device_allocator().empty_cache();
  host_allocator().empty_cache();
}

namespace detail {
Allocator* pinned_host_allocator() { return pinned_allocator(); }
void* allocate_device_memory(size_t nbytes, int device) { return device_allocator().allocate_on(nbytes, device); }
}  // namespace detail

}  // namespace reel::cuda
