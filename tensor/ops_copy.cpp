// reel/tensor/ops_copy.cpp — front doors of the data-moving basics: copy_ (strided copy with dtype cast and
// broadcasting, non_blocking), to(dtype / device), pin_memory, contiguous, clone, fill_ and zero_ (to, clone and
// zero_ also of sparse tensors).
#include "tensor/autograd_hook.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"
#include "tensor/sparse.h"

namespace reel {

// dst[i] = cast(src[i]); src broadcasts to dst's shape. non_blocking reaches the kernel as attrs.flag.
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
  if (numel() == 0) return *this;
  // A cross-device copy runs on the kernel of the non-CPU side (it knows how to reach host memory).
  const Device kernel_device = device().is_cpu() ? src.device() : device();
  const Tensor* operands[] = {this, &src};
  TensorIter iter(operands, 2);
  OpAttrs attrs;
  attrs.flag = non_blocking;
  KernelArgs args;
  args.op = OpId::copy;
  args.iter = &iter;
  args.attrs = &attrs;
  args.inputs = &src;
  args.num_inputs = 1;
  args.outputs = this;
  args.num_outputs = 1;
  dispatch(args, kernel_device);
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
  if (numel() == 0) return *this;
  const Tensor* operands[] = {this};
  TensorIter iter(operands, 1);
  OpAttrs attrs;
  attrs.a = value;
  KernelArgs args;
  args.op = OpId::fill;
  args.iter = &iter;
  args.attrs = &attrs;
  args.outputs = this;
  args.num_outputs = 1;
  args.operands = operands;
  args.num_operands = 1;
  dispatch(args, device());
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
  Tensor out = Tensor::make(sizes(), dtype, device());
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  detail::record(OpId::copy, {this}, {&out});
  return out;
}

// With non_blocking, a CUDA -> CPU result lands in pinned memory so the copy can run asynchronously (PyTorch).
Tensor Tensor::to(Device device, bool non_blocking) const {
  if (defined() && is_sparse()) return detail::sparse_to(*this, device, dtype());
  check_defined("to");
  if (device == this->device()) return *this;
  Tensor source = contiguous();
  const bool pinned_result = non_blocking && is_cuda() && device.is_cpu();
  Tensor out = pinned_result ? Tensor::make_pinned(sizes(), dtype(), "to") : Tensor::make(sizes(), dtype(), device, "to");
  {
    NoGradGuard no_grad;
    out.copy_(source, non_blocking);
  }
  detail::record(OpId::copy, {&source}, {&out});
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
  Tensor out = Tensor::make_pinned(sizes(), dtype(), "pin_memory");
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  detail::record(OpId::copy, {this}, {&out});
  return out;
}

Tensor Tensor::contiguous() const {
  check_defined("contiguous");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  if (defined() && is_sparse()) return detail::sparse_clone(*this);
  check_defined("clone");
  Tensor out = Tensor::make(sizes(), dtype(), device());
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  detail::record(OpId::clone, {this}, {&out});
  return out;
}

}  // namespace reel
