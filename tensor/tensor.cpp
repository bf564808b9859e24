// reel/tensor/tensor.cpp — the Tensor handle: construction, storage, metadata accessors, devices, errors.
#include "tensor/tensor.h"
#include "tensor/batching_hook.h"

#include <fmt/format.h>

#include <iostream>

#include "tensor/cuda.h"
#include "tensor/dispatch.h"
#include "tensor/libtorch_compat.h"
#include "tensor/ops.h"
#include "tensor/pool.h"
#include "tensor/sparse.h"

namespace reel {

// ---- errors ----------------------------------------------------------------------------------------------
void throw_error(std::string message) { throw Error(message); }

namespace detail {
void print_warning(const std::string& message) { std::cerr << "Warning: " << message << '\n'; }
}  // namespace detail

void throw_unsupported_dtype(std::string_view op, ScalarType t) {
  throw Error(fmt::format("{}: dtype {} is not supported", op, dtype_name(t)));
}

// ---- devices ---------------------------------------------------------------------------------------------
Device::Device(const std::string& spec) {
  if (spec == "cpu") {
    *this = Device(kCPU);
    return;
  }
  if (spec == "cuda") {
    *this = Device(kCUDA, 0);
    return;
  }
  if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5 && spec.size() <= 8) {
    int index = 0;
    for (size_t i = 5; i < spec.size(); ++i) {
      REEL_CHECK(spec[i] >= '0' && spec[i] <= '9', "Device: cannot parse '{}' (expected cpu, cuda or cuda:N)", spec);
      index = index * 10 + (spec[i] - '0');
    }
    REEL_CHECK(index < 128, "Device: CUDA index {} in '{}' is too large", index, spec);
    *this = Device(kCUDA, index);
    return;
  }
  throw Error(fmt::format("Device: cannot parse '{}' (expected cpu, cuda or cuda:N)", spec));
}

std::string Device::str() const { return is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", index); }

// ---- allocators and storage ------------------------------------------------------------------------------
namespace {
Allocator* g_allocators[kNumDeviceTypes] = {};
}

void register_allocator(DeviceType type, Allocator* allocator) { g_allocators[static_cast<int>(type)] = allocator; }

Allocator* get_allocator(DeviceType type) {
  Allocator* a = g_allocators[static_cast<int>(type)];
  if (a == nullptr) {
    find_kernel(OpId::copy, type);  // first use of the kernel table registers the backends and allocators
    a = g_allocators[static_cast<int>(type)];
  }
  REEL_CHECK(a != nullptr, "no allocator for device type {}: this build of reel has no {} backend",
             Device(type).str(), type == kCUDA ? "CUDA" : "CPU");
  return a;
}

void* StorageImpl::operator new(size_t size) { return detail::ThreadLocalPool<sizeof(StorageImpl)>::allocate(size); }
void StorageImpl::operator delete(void* p, size_t size) {
  detail::ThreadLocalPool<sizeof(StorageImpl)>::release(p, size);
}

StorageImpl::StorageImpl(size_t bytes, Device where) : nbytes(bytes), device(where) {
  allocator = get_allocator(where.type);
  // CUDA memory comes from the device named by `where`, whichever device is current.
  data = where.is_cuda() ? cuda::detail::allocate_device_memory(bytes, where.index) : allocator->allocate(bytes);
}

StorageImpl::StorageImpl(void* borrowed, size_t bytes, Device where, Callback<void(void*)> deleter)
    : data(borrowed), nbytes(bytes), device(where) {
  if (deleter) user_deleter = new Callback<void(void*)>(std::move(deleter));
}

StorageImpl::~StorageImpl() {
  if (allocator != nullptr) {
    allocator->deallocate(data, nbytes);
  } else if (user_deleter != nullptr) {
    (*user_deleter)(data);
    delete user_deleter;
  }
}

// ---- TensorImpl / Tensor ---------------------------------------------------------------------------------
void* TensorImpl::operator new(size_t size) { return detail::ThreadLocalPool<sizeof(TensorImpl)>::allocate(size); }
void TensorImpl::operator delete(void* p, size_t size) {
  detail::ThreadLocalPool<sizeof(TensorImpl)>::release(p, size);
}

void TensorImpl::refresh_contiguity() {
  int64_t expected = 1;
  is_contiguous = true;
  if (numel == 0) return;  // (and `expected` below stays within numel, so it cannot overflow)
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) {
      is_contiguous = false;
      return;
    }
    expected *= sizes[i];
  }
}

namespace {
[[noreturn]] void throw_device_unavailable(IntList sizes, Device device, const char* op) {
#ifdef REEL_WITH_CUDA
  const char* reason = "no CUDA device is available on this machine";
#else
  const char* reason = "this build of reel has no CUDA backend (configure with -DREEL_CUDA=ON where nvcc exists)";
#endif
  throw Error(fmt::format("{}: cannot create a tensor of shape {} on {}: {}", op, shape_str(sizes), device.str(),
                          reason));
}

// The TensorImpl of a new dense tensor, without storage; sets *nbytes to the bytes its storage needs.
IntrusivePtr<TensorImpl> make_dense_impl(IntList sizes, ScalarType dtype, Device device, const char* op, size_t* nbytes) {
  if (device.is_cuda() && device.index >= cuda::device_count()) {
    if (cuda::device_count() == 0) throw_device_unavailable(sizes, device, op);
    throw Error(fmt::format("{}: cannot create a tensor of shape {} on {}: only {} CUDA device(s) exist", op,
                            shape_str(sizes), device.str(), cuda::device_count()));
  }
  // One pass computes the strides, the element count and the overflow/negative-size checks.
  const int64_t element = reel::element_size(dtype);
  auto* impl = new TensorImpl();
  impl->refcount.store_relaxed(1);  // counted here, adopted below: no atomic increment
  IntrusivePtr<TensorImpl> handle = IntrusivePtr<TensorImpl>::adopt(impl);
  impl->sizes.assign(sizes.begin(), sizes.end());
  impl->strides.resize(sizes.size());
  int64_t numel = 1;
  bool ok = true;
  bool strides_fit = true;  // false when a stride (the product of the later sizes) left int64
  for (size_t i = sizes.size(); i-- > 0;) {
    const int64_t s = sizes[i];
    impl->strides[i] = numel;
    ok &= s >= 0;
    const bool overflow = __builtin_mul_overflow(numel, s > 1 ? s : 1, &numel);
    ok &= !overflow;
    strides_fit &= !overflow || i == 0;
  }
  if (!ok) {
    checked_numel(sizes, op);  // throws with the precise message, unless a leading 0 makes the count 0
    // No elements, but the strides overflow (e.g. [0, 2^62, 2^62]): PyTorch refuses these too.
    REEL_CHECK(strides_fit, "{}: the contiguous strides of shape {} do not fit in int64", op, shape_str(sizes));
  }
  for (int64_t s : sizes)
    if (s == 0) numel = 0;
  if (numel > (INT64_MAX >> 3)) {  // rare: only then pay for the exact division
    REEL_CHECK(numel <= INT64_MAX / element, "{}: shape {} of {} needs more bytes than int64 can count", op,
               shape_str(sizes), dtype_name(dtype));
  }
  impl->dtype = dtype;
  impl->device = device;
  impl->numel = numel;
  impl->is_contiguous = true;
  *nbytes = static_cast<size_t>(numel * element);
  return handle;
}
}  // namespace

Tensor Tensor::make(IntList sizes, ScalarType dtype, Device device, const char* op) {
  size_t nbytes = 0;
  IntrusivePtr<TensorImpl> impl = make_dense_impl(sizes, dtype, device, op, &nbytes);
  auto* storage = new StorageImpl(nbytes, device);
  storage->refcount.store_relaxed(1);
  impl->storage = Storage::adopt(storage);
  return Tensor(std::move(impl));
}

Tensor Tensor::make_pinned(IntList sizes, ScalarType dtype, const char* op) {
  Allocator* pinned = cuda::detail::pinned_host_allocator();
  REEL_CHECK(pinned != nullptr, "{}: pinned host memory needs CUDA, and this build of reel has no CUDA backend "
             "(configure with -DREEL_CUDA=ON where nvcc exists)", op);
  REEL_CHECK(cuda::device_count() > 0, "{}: pinned host memory for a tensor of shape {} needs a CUDA device, but no "
             "CUDA device is available on this machine", op, shape_str(sizes));
  size_t nbytes = 0;
  IntrusivePtr<TensorImpl> impl = make_dense_impl(sizes, dtype, Device(kCPU), op, &nbytes);
  void* data = pinned->allocate(nbytes);
  StorageImpl* storage = nullptr;
  try {
    storage = new StorageImpl(data, nbytes, Device(kCPU), nullptr);
  } catch (...) {
    pinned->deallocate(data, nbytes);
    throw;
  }
  storage->allocator = pinned;  // owner of `data`: freed back to the pinned cache
  impl->storage = Storage(storage);
  return Tensor(std::move(impl));
}

bool Tensor::is_pinned() const {
  check_defined("is_pinned");
  Allocator* pinned = cuda::detail::pinned_host_allocator();
  return pinned != nullptr && impl_->storage && impl_->storage->allocator == pinned;
}

Tensor Tensor::make_view(const Tensor& base, IntList sizes, IntList strides, int64_t offset) {
  if (base.impl()->pending_node != 0) [[unlikely]]
    detail::materialize_pending(*base.impl());  // a view of real memory (the view ops record pending views instead)
  return detail::make_view_keep_pending(base, sizes, strides, offset);
}

Tensor detail::make_view_keep_pending(const Tensor& base, IntList sizes, IntList strides, int64_t offset) {
  auto* impl = new TensorImpl();
  impl->refcount.store_relaxed(1);
  IntrusivePtr<TensorImpl> handle = IntrusivePtr<TensorImpl>::adopt(impl);
  impl->dtype = base.dtype();
  impl->device = base.device();
  impl->numel = checked_numel(sizes, "view");
  impl->sizes = DimVector(sizes);
  impl->strides = DimVector(strides);
  impl->offset = offset;
  impl->storage = base.impl()->storage;  // null for a pending base (autobatch): the view is pending too
  impl->is_view = true;
  impl->refresh_contiguity();
  return Tensor(std::move(handle));
}

int64_t Tensor::size(int64_t d) const { return impl_->sizes[wrap_dim(d, sizes(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, sizes(), "stride")]; }

void* Tensor::data_ptr() const {
  check_defined("data_ptr");
  if (impl_->pending_node != 0) [[unlikely]]
    detail::materialize_pending(*impl_);
  // A view with no elements may carry any offset (as_strided allows it, as PyTorch does): nothing is read
  // through its pointer, so give the storage's start rather than compute an address past it.
  if (impl_->numel == 0) return impl_->storage->data;
  return static_cast<char*>(impl_->storage->data) + impl_->offset * element_size();
}

void Tensor::refuse(const char* op) const {
  REEL_CHECK(defined(), "{}: called on an undefined tensor", op);
  detail::throw_sparse_unsupported(op, *this);
}

void Tensor::check_defined_any_layout(const char* op) const {
  REEL_CHECK(defined(), "{}: called on an undefined tensor", op);
}

void Tensor::check_dtype_is(ScalarType expected, const char* op) const {
  check_defined(op);
  REEL_CHECK(dtype() == expected, "{}: tensor has dtype {} but {} was requested", op, dtype_name(dtype()),
             dtype_name(expected));
}

void Tensor::set_data(const Tensor& new_data) {
  check_defined("set_data");
  new_data.check_defined("set_data");
  REEL_CHECK(is_leaf(), "set_data: only leaf tensors can take new data (this one, of shape {}, has a history)",
             shape_str(sizes()));
  REEL_CHECK(!requires_grad() || new_data.is_floating_point(),
             "set_data: a tensor that requires grad needs floating-point data, got {}", dtype_name(new_data.dtype()));
  TensorImpl* target = impl();
  const TensorImpl* source = new_data.impl();
  target->storage = source->storage;
  target->sizes = source->sizes;
  target->strides = source->strides;
  target->offset = source->offset;
  target->numel = source->numel;
  target->dtype = source->dtype;
  target->device = source->device;
  target->is_contiguous = source->is_contiguous;
  target->is_view = source->is_view;
  target->view_base.reset();  // the new data is not a view of the old base's storage
}

Scalar Tensor::item() const {
  check_defined("item");
  REEL_CHECK(numel() == 1, "item: a tensor with {} elements (shape {}) cannot be converted to a scalar", numel(),
             shape_str(sizes()));
  Tensor host = is_cpu() ? *this : to(Device(kCPU));
  return dispatch_dtype(dtype(), "item", [&]<typename T>() -> Scalar {
    T value = *static_cast<const T*>(host.data_ptr());
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return Scalar(static_cast<float>(value));
    else return Scalar(value);
  });
}

Tensor& Tensor::requires_grad_(bool on) {
  check_defined("requires_grad_");
  REEL_CHECK(!on || is_floating_point(), "requires_grad_: only floating-point tensors can require gradients, got {}",
             dtype_name(dtype()));
  if (!is_leaf()) {
    REEL_CHECK(on, "requires_grad_: you can only change requires_grad flags of leaf tensors; detach() this "
               "non-leaf (shape {}, produced by {}) to get a tensor that does not require grad",
               shape_str(sizes()), autograd::node_name(grad_fn()));
    return *this;
  }
  if (impl_->requires_grad != on) ++impl_->history_version;  // views of it follow (Note [In-place ops and autograd])
  impl_->requires_grad = on;
  // A leaf that requires grad is where differentiation starts: a view that becomes one is no longer tied to
  // its base's history (views of it now have it as their base).
  if (on) impl_->view_base.reset();
  return *this;
}

}  // namespace reel

namespace reel::cuda {
namespace {
int (*g_device_count_hook)() = nullptr;
}
void set_device_count_hook(int (*hook)()) { g_device_count_hook = hook; }
int device_count() {
  find_kernel(OpId::copy, kCPU);  // make sure the backends have registered
  return g_device_count_hook ? g_device_count_hook() : 0;
}
}  // namespace reel::cuda
