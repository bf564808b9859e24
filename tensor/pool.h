// reel/tensor/pool.h — per-thread free lists for the small objects every op creates (TensorImpl,
// StorageImpl, autograd nodes). In steady state an op then allocates no fresh memory for its bookkeeping.
// A block freed by another thread simply joins that thread's list.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace reel::detail {

template <size_t BlockSize, size_t MaxBlocks = 4096>
class ThreadLocalPool {
 public:
  static void* allocate(size_t size) {
    if (size == BlockSize) {
      std::vector<void*>& blocks = free_list().blocks;
      if (!blocks.empty()) {
        void* p = blocks.back();
        blocks.pop_back();
        return p;
      }
    }
    return ::operator new(size);
  }
  static void release(void* p, size_t size) {
    if (size == BlockSize) {
      FreeList& list = free_list();
      if (!list.shut_down && list.blocks.size() < MaxBlocks) {
        list.blocks.push_back(p);
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  struct FreeList {
    std::vector<void*> blocks;
    bool shut_down = false;
    FreeList() { blocks.reserve(64); }
    ~FreeList() {
      shut_down = true;  // objects destroyed after this (static destructors) go straight to the heap
      for (void* p : blocks) ::operator delete(p);
      blocks.clear();
    }
  };
  static FreeList& free_list() {
    thread_local FreeList list;
    return list;
  }
};

}  // namespace reel::detail
