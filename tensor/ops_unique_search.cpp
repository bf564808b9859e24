// reel/tensor/ops_unique_search.cpp — front doors of the counting and searching ops: unique (LibTorch's
// _unique2), unique_consecutive, bincount, histc, searchsorted and bucketize. None is differentiable (PyTorch has
// no derivative for them either), so nothing is recorded.
//
// Semantics follow PyTorch:
//   unique       over the flattened input: (sorted distinct values, inverse of the input's shape, counts);
//                inverse and counts are empty ([0]) unless asked for; each NaN is a value of its own.
//   unique_consecutive  the same with runs of equal neighbours collapsed instead of sorting; with dim, runs of equal
//                slices along dim (a composite of other ops).
//   bincount     1-D non-negative integers; length max(max x + 1, minlength); int64 counts, or sums of the
//                weights (float32 weights give float32, any other dtype float64).
//   histc        floating input; min == max (the default 0, 0) takes the data's min and max, and a range that
//                is still one point widens to [min - 1, max + 1]; values outside are ignored, x = max falls in
//                the last bin; the counts have the input's dtype.
//   searchsorted sorted_sequence 1-D or with the input's leading dims; both are promoted to a common dtype (bool
//                refused); int64 indices, int32 with out_int32; `right` (or side "right") gives #{s_j <= v} instead of
//                #{s_j < v}; a sorter gathers the sequence into ascending order first.
//   bucketize    searchsorted with a 1-D boundaries tensor, arguments in the other order.
// unique's output sizes depend on the data: its kernel makes its outputs (Alloc::none). bincount and histc find
// their length / range with amax / amin here, so their kernels get outputs of a known size.
#include <cmath>
#include <limits>

#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

std::tuple<Tensor, Tensor, Tensor> unique_op(OpId op, const Tensor& self, bool sorted, bool return_inverse,
                                             bool return_counts) {
  self.check_defined(op_name(op).data());
  OpAttrs attrs;
  attrs.set(UniqueAttrs{sorted, return_inverse, return_counts});
  Tensor outputs[3];
  run_op(op, &attrs, self, {outputs, {OutputMeta::absent(), OutputMeta::absent(), OutputMeta::absent()}},
         {.record = Record::no, .contiguous_inputs = 1, .device = self.device()});
  return {outputs[0], outputs[1], outputs[2]};
}

// unique_consecutive along dim: slice i starts a run when it differs anywhere from slice i - 1 (NaN differs from
// itself); inverse = the run of each slice (a cumsum of the starts), counts = the gaps between the run starts.
// Written with other ops, all on the input's device; like PyTorch's, it returns inverse and counts either way.
std::tuple<Tensor, Tensor, Tensor> unique_consecutive_dim(const Tensor& self, bool, bool, int64_t dim) {
  self.check_defined("unique_consecutive");
  REEL_CHECK(self.dim() > 0, "unique_consecutive: dimension specified as {} but tensor has no dimensions", dim);
  REEL_CHECK(dim >= -self.dim() && dim < self.dim(), "unique_consecutive: dim {} is out of range for an input of "
             "shape {}", dim, shape_str(self.sizes()));
  const int64_t d = dim < 0 ? dim + self.dim() : dim;
  const int64_t n = self.size(d);
  bool other_empty = false;
  for (int64_t k = 0; k < self.dim(); ++k) other_empty = other_empty || (k != d && self.size(k) == 0);
  REEL_CHECK(!other_empty, "unique_consecutive: there are 0 sized dimensions, and they aren't selected, so unique "
             "cannot be applied (input shape {}, dim {})", shape_str(self.sizes()), dim);
  const TensorOptions index_options = TensorOptions(kInt64).device(self.device());
  if (n == 0) return {self.clone(), empty({0}, index_options), empty({0}, index_options)};
  const Tensor rows = movedim(self, d, 0).reshape({n, self.numel() / n});
  std::vector<Tensor> parts = {ones({1}, TensorOptions(kBool).device(self.device()))};
  if (n > 1) parts.push_back(any(ne(rows.narrow(0, 1, n - 1), rows.narrow(0, 0, n - 1)), 1));
  const Tensor starts = cat(parts, 0);             // [n] bool
  const Tensor inverse = cumsum(starts, 0) - 1;    // [n] int64
  const Tensor first = nonzero(starts).view({-1});  // [runs] int64
  const int64_t runs = first.size(0);
  const Tensor ends = cat({first.narrow(0, 1, runs - 1), full({1}, n, index_options)}, 0);
  return {self.index_select(d, first), inverse, ends - first};
}

}  // namespace

// (u, inverse, counts): u = sorted distinct values, x = u[inverse], counts_j = #{i: x_i = u_j}
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& self, bool sorted, bool return_inverse, bool return_counts) {
  return unique_op(OpId::unique, self, sorted, return_inverse, return_counts);
}

// (u, inverse, counts) of the runs of equal neighbours in the flattened input
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& self, bool return_inverse, bool return_counts,
                                                      std::optional<int64_t> dim) {
  if (!dim) return unique_op(OpId::unique_consecutive, self, true, return_inverse, return_counts);
  return unique_consecutive_dim(self, return_inverse, return_counts, *dim);
}

// y_v = sum_{i: x_i = v} w_i (w = 1 without weights)
Tensor bincount(const Tensor& self, const Tensor& weights, int64_t minlength) {
  self.check_defined("bincount");
  REEL_CHECK(self.dim() == 1, "bincount: expected a 1-D input, got shape {}", shape_str(self.sizes()));
  REEL_CHECK(is_integral(self.dtype(), false), "bincount: expected an integer input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  REEL_CHECK(minlength >= 0, "bincount: minlength should be >= 0, got {}", minlength);
  int64_t length = minlength;
  if (self.numel() > 0) {
    const int64_t lowest = amin(self).item<int64_t>();
    REEL_CHECK(lowest >= 0, "bincount: input should contain only non-negative values, got {} (shape {})", lowest,
               shape_str(self.sizes()));
    length = std::max(length, amax(self).item<int64_t>() + 1);
  }
  ScalarType out_dtype = kInt64;
  Tensor inputs[2] = {self, Tensor()};
  if (weights.defined()) {
    REEL_CHECK(weights.dim() == 1 && weights.numel() == self.numel(),
               "bincount: weights should be 1-d and have the same length as input (input shape {}, weights shape {})",
               shape_str(self.sizes()), shape_str(weights.sizes()));
    REEL_CHECK(weights.device() == self.device(), "bincount: weights on {} but input on {}",
               weights.device().str(), self.device().str());
    out_dtype = weights.dtype() == kFloat32 ? kFloat32 : kFloat64;
    inputs[1] = weights.to(out_dtype);
  }
  OpAttrs attrs;
  attrs.set(HistogramAttrs{.bins = length, .min = 0, .max = 0, .minlength = minlength});
  Tensor out;
  run_op(OpId::bincount, &attrs, OpInputs(inputs, weights.defined() ? 2 : 1),
         {&out, {{IntList(length), out_dtype, self.device()}}},
         {.record = Record::no, .skip_kernel_when_empty = true, .contiguous_inputs = 3});
  return out;
}

// y_b = #{i: x_i in bin b of `bins` equal bins over [min, max]}
Tensor histc(const Tensor& self, int64_t bins, Scalar min, Scalar max) {
  self.check_defined("histc");
  REEL_CHECK(self.is_floating_point(), "histc: expected a floating-point input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  REEL_CHECK(bins > 0, "histc: bins must be > 0, but got {}", bins);
  double lo = min.to_double(), hi = max.to_double();
  REEL_CHECK(!(lo > hi), "histc: max must be larger than min (min {}, max {})", lo, hi);
  if (lo == hi && self.numel() > 0) {
    lo = amin(self).item<double>();
    hi = amax(self).item<double>();
  }
  if (lo == hi) {
    lo -= 1;
    hi += 1;
  }
  REEL_CHECK(std::isfinite(lo) && std::isfinite(hi), "histc: range of [{}, {}] is not finite (input shape {})", lo, hi,
             shape_str(self.sizes()));
  OpAttrs attrs;
  attrs.set(HistogramAttrs{.bins = bins, .min = lo, .max = hi, .minlength = 0});
  Tensor out;
  run_op(OpId::histc, &attrs, self, {&out, {{IntList(bins), self.dtype(), self.device()}}},
         {.record = Record::no, .contiguous_inputs = 1});
  return out;
}

// k = #{j: s_j < v} (right: #{j: s_j <= v}) within the matching innermost row of sorted_sequence
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& self, bool out_int32, bool right,
                    std::optional<std::string_view> side, const std::optional<Tensor>& sorter) {
  sorted_sequence.check_defined("searchsorted");
  self.check_defined("searchsorted");
  if (side) {
    REEL_CHECK(*side == "left" || *side == "right", "searchsorted: side can only be 'left' or 'right' but got '{}'",
               *side);
    REEL_CHECK(!right || *side == "right", "searchsorted: side and right can't be set to opposites, got side of left "
               "while right was True");
    right = *side == "right";
  }
  if (sorter && sorter->defined()) {
    REEL_CHECK(sorter->dtype() == kInt64, "searchsorted: sorter must be a tensor of long dtype but got {}",
               dtype_name(sorter->dtype()));
    REEL_CHECK(sorter->sizes() == sorted_sequence.sizes(), "searchsorted: boundary and sorter must have the same size, "
               "but got boundary tensor {} and got sorter tensor {}", shape_str(sorted_sequence.sizes()),
               shape_str(sorter->sizes()));
    REEL_CHECK(sorter->device() == sorted_sequence.device(), "searchsorted: sorter on {} but sorted_sequence on {}",
               sorter->device().str(), sorted_sequence.device().str());
    const int64_t n = sorted_sequence.dim() > 0 ? sorted_sequence.size(-1) : 0;
    if (sorter->numel() > 0) {
      const int64_t lo = amin(*sorter).item<int64_t>(), hi = amax(*sorter).item<int64_t>();
      REEL_CHECK(lo >= 0 && hi < n, "searchsorted: sorter index out of range: values in [{}, {}] for a last dim of "
                 "size {}", lo, hi, n);
    }
    // the sequence in the order the sorter gives, then an ordinary search
    return searchsorted(sorted_sequence.gather(-1, *sorter), self, out_int32, right);
  }
  REEL_CHECK(sorted_sequence.device() == self.device(),
             "searchsorted: sorted_sequence on {} but input on {}", sorted_sequence.device().str(),
             self.device().str());
  REEL_CHECK(sorted_sequence.dim() >= 1, "searchsorted: sorted_sequence must have at least 1 dim, got a 0-dim tensor");
  bool leading_match = sorted_sequence.dim() == 1;
  if (!leading_match && self.dim() == sorted_sequence.dim()) {
    leading_match = true;
    for (int64_t d = 0; d + 1 < self.dim(); ++d) leading_match = leading_match && self.size(d) == sorted_sequence.size(d);
  }
  REEL_CHECK(leading_match,
             "searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor "
             "and input value tensor must match, but we got boundaries tensor {} and input value tensor {}",
             shape_str(sorted_sequence.sizes()), shape_str(self.sizes()));
  REEL_CHECK(sorted_sequence.dtype() != kBool && self.dtype() != kBool,
             "searchsorted: not implemented for bool (sorted_sequence {}, input {})",
             dtype_name(sorted_sequence.dtype()), dtype_name(self.dtype()));
  const int64_t n = sorted_sequence.size(-1);
  REEL_CHECK(!out_int32 || n < std::numeric_limits<int32_t>::max(),
             "searchsorted: the size of sorted_sequence's last dim ({}) must be below INT32_MAX with out_int32", n);
  const ScalarType common = result_type(sorted_sequence, self);
  const Tensor inputs[2] = {sorted_sequence.to(common), self.to(common)};
  OpAttrs attrs;
  attrs.set(SearchsortedAttrs{out_int32, right});
  Tensor out;
  run_op(OpId::searchsorted, &attrs, inputs, {&out, {{self.sizes(), out_int32 ? kInt32 : kInt64, self.device()}}},
         {.record = Record::no, .skip_kernel_when_empty = true, .contiguous_inputs = 3});
  return out;
}

// k = searchsorted(boundaries, x)
Tensor bucketize(const Tensor& self, const Tensor& boundaries, bool out_int32, bool right) {
  boundaries.check_defined("bucketize");
  REEL_CHECK(boundaries.dim() == 1, "bucketize: boundaries tensor must be 1 dimension, but got shape {}",
             shape_str(boundaries.sizes()));
  return searchsorted(boundaries, self, out_int32, right);
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------
std::tuple<Tensor, Tensor, Tensor> Tensor::unique_consecutive(bool return_inverse, bool return_counts,
                                                              std::optional<int64_t> dim) const {
  return reel::unique_consecutive(*this, return_inverse, return_counts, dim);
}
Tensor Tensor::bincount(const Tensor& weights, int64_t minlength) const {
  return reel::bincount(*this, weights, minlength);
}
Tensor Tensor::histc(int64_t bins, Scalar min, Scalar max) const { return reel::histc(*this, bins, min, max); }

}  // namespace reel
