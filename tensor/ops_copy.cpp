// reel/tensor/ops_copy.cpp — front doors of the data-moving basics: copy_ (strided copy with dtype cast and
// broadcasting, non_blocking), to(dtype / device), pin_memory, contiguous, clone, fill_ and zero_ (to, clone and
// zero_ also of sparse tensors). Every copy runs the copy kernel (clone's under clone's own OpId) through run_op,
// which walks a TensorIter over (destination, source); copy_ and fill_ write into the caller's tensor.
#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"
#include "tensor/sparse.h"

namespace reel {

namespace {
// A cross-device copy runs on the kernel of the non-CPU side (it knows how to reach host memory).
Device copy_device(Device dst, Device src) { return dst.is_cpu() ? src : dst; }
}  // namespace

// dst[i] = cast(src[i]); src broadcasts to dst's shape. non_blocking reaches the kernel in CopyAttrs.
Tensor& Tensor::copy_(const Tensor& src, bool non_blocking) {
  check_defined("copy_");
  src.check_defined("copy_");
  DimVector shape = broadcast_shapes(sizes(), src.sizes(), "copy_");
  REEL_CHECK(shape == DimVector(sizes()), "copy_: source of shape {} does not broadcast to the destination's shape {}",
             shape_str(src.sizes()), shape_str(sizes()));
  if (detail::needs_recording({this, &src})) {
    // dst's old values are gone (their gradient is 0); its new ones are src cast and broadcast (gradient g,
    // summed back to src's shape). expand records a node even for src's own shape, so dst never shares src's.
    return detail::in_place_recorded("copy_", *this, {&src}, [&](const Tensor& before) {
      return src.to(before.dtype()).expand(before.sizes());
    });
  }
  detail::begin_write(*this, "copy_");
  const OpAttrs attrs = family_attrs(CopyAttrs{non_blocking});
  run_op(OpId::copy, &attrs, src, *this,
         {.record = Record::no, .skip_kernel_when_empty = true, .iterate = true,
          .device = copy_device(device(), src.device())});
  return *this;
}

// y[i] = value
Tensor& Tensor::fill_(Scalar value) {
  check_defined("fill_");
  REEL_CHECK(!(value.is_floating_point() && !is_floating_point()) || value.to_double() == static_cast<double>(value.to_int64()),
             "fill_: cannot fill a {} tensor with the non-integral value {}", dtype_name(dtype()), value.to_double());
  if (is_grad_enabled() && requires_grad()) {  // the new values are constants: self's history is cut
    return detail::in_place_recorded("fill_", *this, {}, [&](const Tensor& before) {
      return full(before.sizes(), value, before.options());
    });
  }
  detail::begin_write(*this, "fill_");
  const OpAttrs attrs = family_attrs(FillAttrs{value});
  run_op(OpId::fill, &attrs, {}, *this, {.record = Record::no, .skip_kernel_when_empty = true, .iterate = true});
  return *this;
}

Tensor& Tensor::zero_() {
  if (defined() && is_sparse()) return detail::sparse_zero_(*this);  // no rows left, as PyTorch's
  return fill_(0);
}

Tensor Tensor::to(ScalarType dtype) const {
  if (defined() && is_sparse()) return detail::sparse_to(*this, device(), dtype);
  check_defined("to");
  if (dtype == this->dtype()) return *this;
  Tensor out;
  run_op(OpId::copy, nullptr, *this, {&out, {{sizes(), dtype, device()}}},
         {.skip_kernel_when_empty = true, .iterate = true});
  return out;
}

// With non_blocking, a CUDA -> CPU result lands in pinned memory so the copy can run asynchronously (PyTorch).
Tensor Tensor::to(Device device, bool non_blocking) const {
  if (defined() && is_sparse()) return detail::sparse_to(*this, device, dtype());
  check_defined("to");
  if (device == this->device()) return *this;
  Tensor source = contiguous();
  const bool pinned_result = non_blocking && is_cuda() && device.is_cpu();
  const OpAttrs attrs = family_attrs(CopyAttrs{non_blocking});
  Tensor out;
  run_op(OpId::copy, &attrs, source,
         {&out, {{sizes(), dtype(), device, pinned_result ? Alloc::pinned : Alloc::dense}}},
         {.skip_kernel_when_empty = true, .iterate = true, .device = copy_device(device, source.device()),
          .allocating = "to"});
  return out;
}

Tensor Tensor::to(Device device, ScalarType dtype, bool non_blocking) const {
  return to(dtype).to(device, non_blocking);
}

Tensor Tensor::to(const TensorOptions& options) const {
  Tensor result = options.has_dtype() ? to(options.dtype()) : *this;
  return result.to(options.device());
}

// A pinned CPU copy (itself when already pinned); differentiable like to().
Tensor Tensor::pin_memory() const {
  check_defined("pin_memory");
  REEL_CHECK(is_cpu(), "pin_memory: only CPU tensors can be pinned, but this tensor of shape {} is on {}",
             shape_str(sizes()), device().str());
  if (is_pinned()) return *this;
  Tensor out;
  run_op(OpId::copy, nullptr, *this, {&out, {{sizes(), dtype(), Device(kCPU), Alloc::pinned}}},
         {.skip_kernel_when_empty = true, .iterate = true, .allocating = "pin_memory"});
  return out;
}

// A view event under contiguous's name either way (after clone's, when it copies).
Tensor Tensor::contiguous() const {
  check_defined("contiguous");
  if (is_contiguous()) {
    observe_view(OpId::contiguous, *this, *this);
    return *this;
  }
  Tensor out = clone();
  observe_view(OpId::contiguous, *this, out);
  return out;
}

Tensor Tensor::clone() const {
  if (defined() && is_sparse()) return detail::sparse_clone(*this);
  check_defined("clone");
  Tensor out;
  run_op(OpId::clone, nullptr, *this, {&out, {{sizes(), dtype(), device()}}},
         {.skip_kernel_when_empty = true, .iterate = true});
  return out;
}

}  // namespace reel
