// reel/tensor/ops_scan.cpp — front doors of the cumulative ops along a dim (cumsum, cumprod, logcumsumexp,
// cummax, cummin), of the counting reductions written with other ops (nansum, count_nonzero, aminmax) and of
// LibTorch's dtype overloads of sum, mean, softmax and log_softmax.
//
// Semantics follow PyTorch: cumsum and cumprod of bool and integer inputs give int64 unless `dtype` is given, in
// which case the input is cast to it first (the cast is recorded, so gradients flow back through it);
// logcumsumexp needs a floating input; cummax / cummin return (values, int64 indices) where a tie moves the
// index to the later element and a NaN sticks. A 0-dim input is one row of one element. The scan kernels
// (cpu/scan.cpp, cuda/scan.cu) get a row-major input and attrs.dim wrapped, and accumulate sums and products in
// a wider type (double for float32, float for the 16-bit floats, int64 for the integers), as PyTorch does.
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

OpAttrs scan_attrs(const char* op, const Tensor& x, int64_t dim) {
  OpAttrs attrs;
  attrs.dim = wrap_dim(dim, x.sizes(), op);
  return attrs;
}

// cumsum / cumprod: the result dtype is `dtype`, else the input's when floating, else int64.
Tensor arithmetic_scan(OpId op, const Tensor& self, int64_t dim, std::optional<ScalarType> dtype) {
  const char* name = op_name(op).data();
  self.check_defined(name);
  const ScalarType out = dtype ? *dtype : (self.is_floating_point() ? self.dtype() : kInt64);
  const Tensor input = self.dtype() == out ? self : self.to(out);
  const OpAttrs attrs = scan_attrs(name, input, dim);
  Tensor result;
  run_op(op, &attrs, input, {&result, {{input.sizes(), out, input.device()}}},
         {.skip_kernel_when_empty = true, .contiguous_inputs = 1});
  return result;
}

std::tuple<Tensor, Tensor> extreme_scan(OpId op, const Tensor& self, int64_t dim) {
  const char* name = op_name(op).data();
  self.check_defined(name);
  const OpAttrs attrs = scan_attrs(name, self, dim);
  Tensor outputs[2];
  run_op(op, &attrs, self,
         {outputs, {{self.sizes(), self.dtype(), self.device()}, {self.sizes(), kInt64, self.device()}}},
         {.skip_kernel_when_empty = true, .contiguous_inputs = 1});
  return {outputs[0], outputs[1]};
}

Tensor cast_to(const Tensor& x, std::optional<ScalarType> dtype) { return dtype ? x.to(*dtype) : x; }

}  // namespace

// y_i = sum_{j <= i} x_j along dim
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype) {
  return arithmetic_scan(OpId::cumsum, self, dim, dtype);
}

// y_i = prod_{j <= i} x_j along dim
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype) {
  return arithmetic_scan(OpId::cumprod, self, dim, dtype);
}

// y_i = ln sum_{j <= i} e^(x_j) along dim
Tensor logcumsumexp(const Tensor& self, int64_t dim) {
  self.check_defined("logcumsumexp");
  REEL_CHECK(self.is_floating_point(), "logcumsumexp: expected a floating-point input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  return arithmetic_scan(OpId::logcumsumexp, self, dim, std::nullopt);
}

// (y, k): y_i = max_{j <= i} x_j, k_i the last j reaching it
std::tuple<Tensor, Tensor> cummax(const Tensor& self, int64_t dim) { return extreme_scan(OpId::cummax, self, dim); }
// (y, k): y_i = min_{j <= i} x_j, k_i the last j reaching it
std::tuple<Tensor, Tensor> cummin(const Tensor& self, int64_t dim) { return extreme_scan(OpId::cummin, self, dim); }

// y = sum_i x_i over the x_i that are not NaN (their gradient is 0)
Tensor nansum(const Tensor& self, IntList dims, bool keepdim, std::optional<ScalarType> dtype) {
  self.check_defined("nansum");
  const Tensor input = cast_to(self, dtype);
  if (!input.is_floating_point()) return sum(input, dims, keepdim);
  return sum(where(logical_not(isnan(input)), input, 0.0), dims, keepdim);
}

// y = #{i: x_i != 0} (int64)
Tensor count_nonzero(const Tensor& self, IntList dims) {
  self.check_defined("count_nonzero");
  return sum(ne(self, 0), dims, false);
}
Tensor count_nonzero(const Tensor& self, std::optional<int64_t> dim) {
  if (!dim) return count_nonzero(self, IntList());
  const int64_t d = *dim;
  return count_nonzero(self, IntList(d));
}

// (min_i x_i, max_i x_i) over dim, or over every element
std::tuple<Tensor, Tensor> aminmax(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  self.check_defined("aminmax");
  if (!dim) {
    REEL_CHECK(self.numel() > 0,
               "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity (input "
               "shape {})",
               shape_str(self.sizes()));
    return {amin(self, {}, keepdim), amax(self, {}, keepdim)};
  }
  const int64_t d = wrap_dim(*dim, self.sizes(), "aminmax");
  REEL_CHECK(self.dim() == 0 || self.size(d) > 0,
             "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity (dim {} of "
             "shape {})",
             d, shape_str(self.sizes()));
  return {amin(self, IntList(d), keepdim), amax(self, IntList(d), keepdim)};
}

// ---- LibTorch's dtype overloads: cast, then reduce ---------------------------------------------------------------
Tensor sum(const Tensor& x, ScalarType dtype) { return sum(x.to(dtype)); }
Tensor sum(const Tensor& x, IntList dims, bool keepdim, std::optional<ScalarType> dtype) {
  return sum(cast_to(x, dtype), dims, keepdim);
}
Tensor mean(const Tensor& x, ScalarType dtype) { return mean(x.to(dtype)); }
Tensor mean(const Tensor& x, IntList dims, bool keepdim, std::optional<ScalarType> dtype) {
  return mean(cast_to(x, dtype), dims, keepdim);
}
Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) { return softmax(cast_to(x, dtype), dim); }
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  return log_softmax(cast_to(x, dtype), dim);
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------
Tensor Tensor::cumsum(int64_t dim, std::optional<ScalarType> dtype) const { return reel::cumsum(*this, dim, dtype); }
Tensor Tensor::cumprod(int64_t dim, std::optional<ScalarType> dtype) const { return reel::cumprod(*this, dim, dtype); }
Tensor Tensor::logcumsumexp(int64_t dim) const { return reel::logcumsumexp(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::cummax(int64_t dim) const { return reel::cummax(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::cummin(int64_t dim) const { return reel::cummin(*this, dim); }
Tensor Tensor::nansum(IntList dims, bool keepdim, std::optional<ScalarType> dtype) const {
  return reel::nansum(*this, dims, keepdim, dtype);
}
Tensor Tensor::count_nonzero(IntList dims) const { return reel::count_nonzero(*this, dims); }
Tensor Tensor::count_nonzero(std::optional<int64_t> dim) const { return reel::count_nonzero(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::aminmax(std::optional<int64_t> dim, bool keepdim) const {
  return reel::aminmax(*this, dim, keepdim);
}
Tensor Tensor::sum(ScalarType dtype) const { return reel::sum(*this, dtype); }
Tensor Tensor::sum(IntList dims, bool keepdim, std::optional<ScalarType> dtype) const {
  return reel::sum(*this, dims, keepdim, dtype);
}
Tensor Tensor::mean(ScalarType dtype) const { return reel::mean(*this, dtype); }
Tensor Tensor::mean(IntList dims, bool keepdim, std::optional<ScalarType> dtype) const {
  return reel::mean(*this, dims, keepdim, dtype);
}
Tensor Tensor::softmax(int64_t dim, std::optional<ScalarType> dtype) const { return reel::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, std::optional<ScalarType> dtype) const {
  return reel::log_softmax(*this, dim, dtype);
}

}  // namespace reel
