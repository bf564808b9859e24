// reel/tensor/ops_scatter_reduce.cpp — front doors of scatter_reduce (sum, prod, mean, amax, amin, with or without
// self's own values) and of scatter with reduce "add" / "multiply", plus their in-place forms and Tensor methods.
//
// The kernel op (OpId::scatter_reduce, cpu/advanced_index.cpp, cuda/advanced_index.cu) combines by sum, prod, amax
// or amin; "mean" is written here around it: the sum divided by how many values each element received (plus one
// for self's own when include_self), elements that received nothing keep their value, and integer means round
// down (PyTorch's floor division). Arguments are checked as scatter checks them (tensor/ops_index.cpp): an int64
// index of self's rank, no larger than src anywhere and than self outside dim; src of self's dtype and rank.
#include <string>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

struct ParsedReduce {
  ScatterReduction reduce = ScatterReduction::sum;
  bool mean = false;
};

ParsedReduce parse_reduce(std::string_view reduce) {
  if (reduce == "sum") return {ScatterReduction::sum, false};
  if (reduce == "prod") return {ScatterReduction::prod, false};
  if (reduce == "mean") return {ScatterReduction::sum, true};
  if (reduce == "amax") return {ScatterReduction::amax, false};
  if (reduce == "amin") return {ScatterReduction::amin, false};
  throw Error(fmt::format("scatter_reduce: reduce argument must be either sum, prod, mean, amax or amin, got {}",
                          reduce));
}

// Checks the arguments and returns the wrapped dim.
int64_t check_scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  const char* op = "scatter_reduce";
  self.check_defined(op);
  index.check_defined(op);
  src.check_defined(op);
  REEL_CHECK(self.device() == index.device() && self.device() == src.device(),
             "{}: expected all tensors on one device, got self on {}, index on {} and src on {}", op,
             self.device().str(), index.device().str(), src.device().str());
  const int64_t d = wrap_dim(dim, self.sizes(), op);
  REEL_CHECK(index.dtype() == kInt64, "{}: expected dtype int64 for index, got {} (shape {})", op,
             dtype_name(index.dtype()), shape_str(index.sizes()));
  REEL_CHECK(self.dtype() == src.dtype(), "{}: expected self and src to have the same dtype, got {} and {}", op,
             dtype_name(self.dtype()), dtype_name(src.dtype()));
  REEL_CHECK(index.dim() == self.dim() && src.dim() == self.dim(),
             "{}: index and src must have the same number of dimensions as self, got index {}, src {} and self {}",
             op, shape_str(index.sizes()), shape_str(src.sizes()), shape_str(self.sizes()));
  for (int64_t k = 0; k < index.dim(); ++k) {
    REEL_CHECK(k == d || index.size(k) <= self.size(k),
               "{}: expected index {} to be no larger than self {} apart from dimension {} (size {} vs {} at dim {})",
               op, shape_str(index.sizes()), shape_str(self.sizes()), d, index.size(k), self.size(k), k);
    REEL_CHECK(index.size(k) <= src.size(k), "{}: expected index {} to be no larger than src {} (size {} vs {} at dim {})",
               op, shape_str(index.sizes()), shape_str(src.sizes()), index.size(k), src.size(k), k);
  }
  return d;
}

// The kernel op on a clone of self: recorded inputs self, index, src; attrs.dim, ScatterReduceAttrs.
Tensor run_scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                          ScatterReduction reduce, bool include_self) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = self.clone();
  }
  detail::begin_write(out, "scatter_reduce_");
  OpAttrs attrs;
  attrs.dim = dim;
  attrs.set(ScatterReduceAttrs{reduce, include_self});
  const Tensor inputs[] = {index, src};
  run_op(OpId::scatter_reduce, &attrs, inputs, out,
         {.contiguous_inputs = 0b01, .recorded_inputs = {&self, &index, &src}});
  return out;
}

}  // namespace

// y = x; y[i][index[i][j]] = reduce over (y[i][index[i][j]] when include_self, and every src[i][j] landing there)
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                      bool include_self) {
  const ParsedReduce parsed = parse_reduce(reduce);
  const int64_t d = check_scatter_reduce(self, dim, index, src);
  Tensor out = run_scatter_reduce(self, d, index, src, parsed.reduce, include_self);
  if (!parsed.mean) return out;
  // mean: divide by the count of values each element took (at least 1; self's own counts when include_self).
  Tensor count;
  {
    NoGradGuard no_grad;
    const TensorOptions options = TensorOptions(kInt64).device(self.device());
    count = full(self.sizes(), include_self ? 1 : 0, options).scatter_add(d, index, ones(index.sizes(), options));
    count = count.clamp(1);
  }
  if (is_floating_point(self.dtype())) return out / count;
  NoGradGuard no_grad;  // integers: floor division, exact for |sum| < 2^53
  return floor(out.to(kFloat64) / count).to(self.dtype());
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) {
  REEL_CHECK(reduce == "add" || reduce == "multiply",
             "scatter: reduce argument must be either add or multiply, got {}", reduce);
  return scatter_reduce(self, dim, index, src, reduce == "add" ? "sum" : "prod", true);
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value, std::string_view reduce) {
  self.check_defined("scatter");
  index.check_defined("scatter");
  const Tensor src = full(index.sizes(), value, TensorOptions(self.dtype()).device(self.device()));
  return scatter(self, dim, index, src, reduce);
}

Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) const {
  return reel::scatter(*this, dim, index, src, reduce);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, Scalar value, std::string_view reduce) const {
  return reel::scatter(*this, dim, index, value, reduce);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) {
  return detail::in_place_recorded("scatter_", *this, {&src}, [&](const Tensor& before) {
    return reel::scatter(before, dim, index, src, reduce);
  });
}
Tensor Tensor::scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                              bool include_self) const {
  return reel::scatter_reduce(*this, dim, index, src, reduce, include_self);
}
Tensor& Tensor::scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                                bool include_self) {
  return detail::in_place_recorded("scatter_reduce_", *this, {&src}, [&](const Tensor& before) {
    return reel::scatter_reduce(before, dim, index, src, reduce, include_self);
  });
}

}  // namespace reel
