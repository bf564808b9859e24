// reel/tensor/ops_softmax.cpp — front doors of softmax and log_softmax (free functions and Tensor methods).
//
// Both need a floating input (PyTorch refuses integer tensors too), take one dim (negative wraps; a 0-dim
// input accepts 0 and -1 and is a row of one element) and return a new contiguous tensor of the input's
// shape and dtype. The kernel (cpu/softmax.cpp) gets the input as it is, any strides, and attrs.dim.
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

Tensor softmax_along(OpId op, const Tensor& x, int64_t dim) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  REEL_CHECK(x.is_floating_point(),
             "{}: expected a floating-point input, got {} (shape {}); convert it first, e.g. x.to(reel::kFloat32)",
             name, dtype_name(x.dtype()), shape_str(x.sizes()));
  OpAttrs attrs;
  attrs.dim = wrap_dim(dim, x.sizes(), name);
  Tensor out;
  run_op(op, &attrs, x, {&out, {{x.sizes(), x.dtype(), x.device()}}}, {.skip_kernel_when_empty = true});
  return out;
}

}  // namespace

// y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j, along dim
Tensor softmax(const Tensor& x, int64_t dim) { return softmax_along(OpId::softmax, x, dim); }
// y_i = x_i - m - ln sum_j e^(x_j - m), along dim
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_along(OpId::log_softmax, x, dim); }

Tensor Tensor::softmax(int64_t dim) const { return reel::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return reel::log_softmax(*this, dim); }

}  // namespace reel
