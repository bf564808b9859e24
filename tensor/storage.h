// reel/tensor/storage.h — the memory behind tensors.
//
// An Allocator hands out raw device memory; each device type registers one (cpu/allocator.cpp,
// cuda/allocator.cpp). A StorageImpl owns one block and is shared, through an intrusive refcount, by every
// view of it. It also carries the version counter that in-place ops bump (autograd uses it to refuse
// saved tensors that were modified after they were saved).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "device.h"

namespace reel {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns memory aligned to at least 64 bytes; nbytes may be 0. Throws OutOfMemoryError on failure.
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
};

// The allocator registered for a device type; throws reel::Error when none is (e.g. CUDA in a CPU build).
Allocator* get_allocator(DeviceType type);
void register_allocator(DeviceType type, Allocator* allocator);

// Intrusive reference-counted pointer for types that hold `std::atomic<int32_t> refcount`.
template <typename T>
class IntrusivePtr {
 public:
  IntrusivePtr() = default;
  explicit IntrusivePtr(T* raw) : ptr_(raw) { retain(); }
  IntrusivePtr(const IntrusivePtr& other) : ptr_(other.ptr_) { retain(); }
  IntrusivePtr(IntrusivePtr&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  IntrusivePtr& operator=(const IntrusivePtr& other) {
    IntrusivePtr copy(other);
    std::swap(ptr_, copy.ptr_);
    return *this;
  }
  IntrusivePtr& operator=(IntrusivePtr&& other) noexcept {
    IntrusivePtr moved(std::move(other));
    std::swap(ptr_, moved.ptr_);
    return *this;
  }
  ~IntrusivePtr() { release(); }

  // Takes over a reference the caller already counted (no increment).
  static IntrusivePtr adopt(T* raw) {
    IntrusivePtr p;
    p.ptr_ = raw;
    return p;
  }
  // Gives up ownership without decrementing; the caller now holds the reference.
  T* release_ownership() { return std::exchange(ptr_, nullptr); }

  T* get() const { return ptr_; }
  T* operator->() const { return ptr_; }
  T& operator*() const { return *ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }
  int32_t use_count() const { return ptr_ ? ptr_->refcount.load(std::memory_order_relaxed) : 0; }
  void reset() { IntrusivePtr().swap(*this); }
  void swap(IntrusivePtr& other) noexcept { std::swap(ptr_, other.ptr_); }

 private:
  void retain() {
    if (ptr_) ptr_->refcount.fetch_add(1, std::memory_order_relaxed);
  }
  // A count of 1 read here means this handle is the only reference: nobody else can add one (that needs a
  // reference to copy from), so the object dies without an atomic read-modify-write. The acquire load pairs
  // with the release half of other handles' earlier decrements, as the fetch_sub would.
  void release() {
    if (ptr_ && (ptr_->refcount.load(std::memory_order_acquire) == 1 ||
                 ptr_->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1))
      delete ptr_;
    ptr_ = nullptr;
  }
  T* ptr_ = nullptr;
};

struct StorageImpl {
  std::atomic<int32_t> refcount{0};
  uint32_t version = 0;  // bumped by every in-place op on any view of this storage
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  Allocator* allocator = nullptr;                 // owner of `data`; null for borrowed memory
  std::function<void(void*)>* user_deleter = nullptr;  // from_blob with a deleter

  StorageImpl(size_t bytes, Device where);         // allocates from the device's allocator
  StorageImpl(void* borrowed, size_t bytes, Device where, std::function<void(void*)> deleter);
  static void* operator new(size_t size);  // per-thread pool (tensor/pool.h)
  static void operator delete(void* p, size_t size);
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;
  ~StorageImpl();
};

using Storage = IntrusivePtr<StorageImpl>;

}  // namespace reel
