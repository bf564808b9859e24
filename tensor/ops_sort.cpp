// reel/tensor/ops_sort.cpp — front doors of sorting and selection along a dim: sort, argsort, topk, kthvalue,
// median, nanmedian, mode (free functions and Tensor methods), with LibTorch's names, defaults and tuples.
//
// Semantics follow PyTorch: NaN orders above every number; each op returns (values, int64 indices) with
// values_i = x[indices_i] along dim; ties may come back in any order (a stable sort keeps input order). A 0-dim
// input is one row of one element (dim 0 or -1). Selections (kthvalue, median, nanmedian, mode) drop dim unless
// keepdim, and refuse a dim of size 0 as PyTorch does; sort and topk return empty results for empty inputs.
// The kernels (cpu/sort.cpp, cuda/sort.cu) get a row-major input and attrs.dim wrapped; they share the row
// addressing of tensor/sort_math.h. Gradients scatter through the indices (autograd/derivatives_sort_scan.cpp).
#include <cmath>
#include <limits>

#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// The size of `dim` (1 for a 0-dim input, which is one row of one element).
int64_t dim_size(const Tensor& x, int64_t dim) { return x.dim() == 0 ? 1 : x.size(dim); }

void check_not_bool(const char* op, const Tensor& x) {
  REEL_CHECK(x.dtype() != kBool, "{}: not implemented for bool inputs (shape {}); convert first, e.g. x.to(reel::kUInt8)",
             op, shape_str(x.sizes()));
}

// x's sizes with dim set to `length` (sort: n, topk: k).
DimVector sizes_with(const Tensor& x, int64_t dim, int64_t length) {
  DimVector sizes(x.sizes());
  if (x.dim() > 0) sizes[static_cast<size_t>(dim)] = length;
  return sizes;
}

// x's sizes with dim dropped (or kept as 1).
DimVector reduced_sizes(const Tensor& x, int64_t dim, bool keepdim) {
  DimVector sizes;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d != dim) sizes.push_back(x.size(d));
    else if (keepdim) sizes.push_back(1);
  }
  return sizes;
}

// One (values, indices) op over x along attrs.dim, outputs of `sizes`.
std::tuple<Tensor, Tensor> run_values_indices(OpId op, const OpAttrs& attrs, const Tensor& x, IntList sizes) {
  Tensor outputs[2];
  run_op(op, &attrs, x, {outputs, {{sizes, x.dtype(), x.device()}, {sizes, kInt64, x.device()}}},
         {.skip_kernel_when_empty = true, .contiguous_inputs = 1});
  return {outputs[0], outputs[1]};
}

// kthvalue / median / nanmedian / mode: one value per row; the row must not be empty.
std::tuple<Tensor, Tensor> select_along(OpId op, OpAttrs attrs, const Tensor& x, int64_t dim, bool keepdim) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  attrs.dim = wrap_dim(dim, x.sizes(), name);
  attrs.keepdim = keepdim;
  REEL_CHECK(dim_size(x, attrs.dim) > 0, "{}(): Expected reduction dim {} to have non-zero size (input shape {})", name,
             attrs.dim, shape_str(x.sizes()));
  return run_values_indices(op, attrs, x, reduced_sizes(x, attrs.dim, keepdim));
}

// median() / nanmedian(): over every element; an empty input gives NaN as in PyTorch.
Tensor select_all(OpId op, const Tensor& x) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  check_not_bool(name, x);
  if (x.numel() == 0) {
    REEL_CHECK(x.is_floating_point(), "{}(): cannot take the median of an empty {} tensor (shape {})", name,
               dtype_name(x.dtype()), shape_str(x.sizes()));
    return full({}, std::numeric_limits<double>::quiet_NaN(), TensorOptions(x.dtype()).device(x.device()));
  }
  return std::get<0>(select_along(op, {}, x.reshape({-1}), 0, false));
}

}  // namespace

// (y, k): x along dim in ascending (descending) order, y_i = x[k_i]
std::tuple<Tensor, Tensor> sort(const Tensor& self, std::optional<bool> stable, int64_t dim, bool descending) {
  self.check_defined("sort");
  OpAttrs attrs;
  attrs.dim = wrap_dim(dim, self.sizes(), "sort");
  attrs.set(SortAttrs{descending, stable.value_or(false)});
  return run_values_indices(OpId::sort, attrs, self, self.sizes());
}
std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim, bool descending) {
  return sort(self, std::optional<bool>(false), dim, descending);
}

// k of sort(x)
Tensor argsort(const Tensor& self, int64_t dim, bool descending) {
  return std::get<1>(sort(self, std::optional<bool>(false), dim, descending));
}
Tensor argsort(const Tensor& self, bool stable, int64_t dim, bool descending) {
  return std::get<1>(sort(self, std::optional<bool>(stable), dim, descending));
}

// (y, k): the k largest (smallest) x along dim
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  self.check_defined("topk");
  check_not_bool("topk", self);
  OpAttrs attrs;
  attrs.dim = wrap_dim(dim, self.sizes(), "topk");
  const int64_t n = dim_size(self, attrs.dim);
  REEL_CHECK(k >= 0 && k <= n, "topk: selected index k = {} out of range: dim {} of shape {} has {} elements", k,
             attrs.dim, shape_str(self.sizes()), n);
  attrs.set(TopkAttrs{k, largest, sorted});
  return run_values_indices(OpId::topk, attrs, self, sizes_with(self, attrs.dim, k));
}

// (y, k): the k-th smallest x along dim (k from 1)
std::tuple<Tensor, Tensor> kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim) {
  self.check_defined("kthvalue");
  check_not_bool("kthvalue", self);
  const int64_t wrapped = wrap_dim(dim, self.sizes(), "kthvalue");
  const int64_t n = dim_size(self, wrapped);
  REEL_CHECK(k >= 1 && k <= n, "kthvalue(): selected number k = {} out of range for dim {} of shape {} (expected 1 to {})",
             k, wrapped, shape_str(self.sizes()), n);
  OpAttrs attrs;
  attrs.set(KthvalueAttrs{k});
  return select_along(OpId::kthvalue, attrs, self, wrapped, keepdim);
}

// (y, k): the lower median along dim; NaN (and the first NaN's index) when the row holds a NaN
std::tuple<Tensor, Tensor> median(const Tensor& self, int64_t dim, bool keepdim) {
  self.check_defined("median");
  check_not_bool("median", self);
  return select_along(OpId::median, {}, self, dim, keepdim);
}
Tensor median(const Tensor& self) { return select_all(OpId::median, self); }

// (y, k): the lower median of the non-NaN values along dim
std::tuple<Tensor, Tensor> nanmedian(const Tensor& self, int64_t dim, bool keepdim) {
  self.check_defined("nanmedian");
  check_not_bool("nanmedian", self);
  return select_along(OpId::nanmedian, {}, self, dim, keepdim);
}
Tensor nanmedian(const Tensor& self) { return select_all(OpId::nanmedian, self); }

// (y, k): the most frequent value along dim (the smallest of equally frequent ones) and an index holding it
std::tuple<Tensor, Tensor> mode(const Tensor& self, int64_t dim, bool keepdim) {
  return select_along(OpId::mode, {}, self, dim, keepdim);
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------
std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending) const { return reel::sort(*this, dim, descending); }
std::tuple<Tensor, Tensor> Tensor::sort(std::optional<bool> stable, int64_t dim, bool descending) const {
  return reel::sort(*this, stable, dim, descending);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const { return reel::argsort(*this, dim, descending); }
Tensor Tensor::argsort(bool stable, int64_t dim, bool descending) const {
  return reel::argsort(*this, stable, dim, descending);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return reel::topk(*this, k, dim, largest, sorted);
}
std::tuple<Tensor, Tensor> Tensor::kthvalue(int64_t k, int64_t dim, bool keepdim) const {
  return reel::kthvalue(*this, k, dim, keepdim);
}
Tensor Tensor::median() const { return reel::median(*this); }
std::tuple<Tensor, Tensor> Tensor::median(int64_t dim, bool keepdim) const { return reel::median(*this, dim, keepdim); }
Tensor Tensor::nanmedian() const { return reel::nanmedian(*this); }
std::tuple<Tensor, Tensor> Tensor::nanmedian(int64_t dim, bool keepdim) const {
  return reel::nanmedian(*this, dim, keepdim);
}
std::tuple<Tensor, Tensor> Tensor::mode(int64_t dim, bool keepdim) const { return reel::mode(*this, dim, keepdim); }

}  // namespace reel
