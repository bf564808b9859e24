// reel/tensor/storage.h — the memory behind tensors.
//
// An Allocator hands out raw device memory; each device type registers one (cpu/allocator.cpp,
// cuda/allocator.cpp). A StorageImpl owns one block and is shared, through an intrusive refcount, by every
// view of it. It also carries the version counter that in-place ops bump (autograd uses it to refuse
// saved tensors that were modified after they were saved).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "callback.h"
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

// The atomic reference count of TensorImpl and StorageImpl: the operations IntrusivePtr and the factories need,
// each with its memory order in its name, on the compiler's atomic builtins (GCC and Clang; nvcc passes host code
// to one of them) rather than std::atomic, so that reel.h does not compile <atomic>.
class RefCount {
 public:
  constexpr RefCount(int32_t initial = 0) : value_(initial) {}  // NOLINT: `RefCount refcount{0}`
  RefCount(const RefCount&) = delete;
  RefCount& operator=(const RefCount&) = delete;
  int32_t load_relaxed() const { return __atomic_load_n(&value_, __ATOMIC_RELAXED); }
  int32_t load_acquire() const { return __atomic_load_n(&value_, __ATOMIC_ACQUIRE); }
  // Only while no other thread can reach the object (a fresh one, counted before it is handed out).
  void store_relaxed(int32_t value) { __atomic_store_n(&value_, value, __ATOMIC_RELAXED); }
  void increment_relaxed() { __atomic_fetch_add(&value_, 1, __ATOMIC_RELAXED); }
  // Decrements and returns the count before (1: this was the last reference).
  int32_t fetch_decrement_acq_rel() { return __atomic_fetch_sub(&value_, 1, __ATOMIC_ACQ_REL); }

 private:
  int32_t value_;
};

// Intrusive reference-counted pointer for types that hold `RefCount refcount`.
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
  int32_t use_count() const { return ptr_ ? ptr_->refcount.load_relaxed() : 0; }
  void reset() { IntrusivePtr().swap(*this); }
  void swap(IntrusivePtr& other) noexcept { std::swap(ptr_, other.ptr_); }

 private:
  void retain() {
    if (ptr_) ptr_->refcount.increment_relaxed();
  }
  // A count of 1 read here means this handle is the only reference: nobody else can add one (that needs a
  // reference to copy from), so the object dies without an atomic read-modify-write. The acquire load pairs
  // with the release half of other handles' earlier decrements, as the fetch_sub would.
  void release() {
    if (ptr_ && (ptr_->refcount.load_acquire() == 1 || ptr_->refcount.fetch_decrement_acq_rel() == 1))
      delete ptr_;
    ptr_ = nullptr;
  }
  T* ptr_ = nullptr;
};

struct StorageImpl {
  RefCount refcount{0};
  uint32_t version = 0;  // bumped by every in-place op on any view of this storage
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  // Automatic batching: the generation of the autobatch::Scope whose recorded ops read this memory (an in-place
  // write to it must run those ops first); 0 when none.
  uint32_t pending_read_mark = 0;
  Allocator* allocator = nullptr;                 // owner of `data`; null for borrowed memory
  Callback<void(void*)>* user_deleter = nullptr;  // from_blob with a deleter

  StorageImpl(size_t bytes, Device where);         // allocates from the device's allocator
  StorageImpl(void* borrowed, size_t bytes, Device where, Callback<void(void*)> deleter);
  static void* operator new(size_t size);  // per-thread pool (tensor/pool.h)
  static void operator delete(void* p, size_t size);
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;
  ~StorageImpl();
};

using Storage = IntrusivePtr<StorageImpl>;

}  // namespace reel
