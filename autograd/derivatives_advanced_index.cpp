// reel/autograd/derivatives_advanced_index.cpp — the backward formulas of advanced indexing (tensor/
// ops_advanced_index.cpp: index, index_put) and of scatter_reduce's kernel (tensor/ops_scatter_reduce.cpp: sum,
// prod, amax, amin; mean is written around sum there and differentiates through it). Each formula is written with
// reel ops, so it is itself differentiable, and followed by its facts (autograd/derivatives_common.h). The formulas
// are PyTorch's.
#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

// The index list of a recorded index / index_put call: the stacked index tensor j (input 1) at dim attrs.dims[j].
std::vector<std::optional<Tensor>> recorded_index_list(Ctx& c) {
  const DimVector& dims = c.attrs().dims;
  const Tensor& stacked = c.input_value(1);
  std::vector<std::optional<Tensor>> list(static_cast<size_t>(dims[dims.size() - 1]) + 1);
  for (size_t j = 0; j < dims.size(); ++j) list[static_cast<size_t>(dims[j])] = stacked.select(0, static_cast<int64_t>(j));
  return list;
}

// ---- index / index_put ---------------------------------------------------------------------------------------------
// y = x[indices]: dx = zeros with g added at the indices (index_put with accumulate; duplicates add up)
void index_backward(Ctx& c) {
  c.grad_inputs[0] = index_put(zeros_for(c.input(0), c.grad()), recorded_index_list(c), c.grad(), true);
}
constexpr OpDerivative index_derivative{OpId::index, index_backward, "IndexBackward", {kIn1}};

// y = x; y[indices] (=|+=) v: dx = g (accumulate) or g with the written places zeroed; dv = g[indices] (the engine
// sums it back to v's shape where v was broadcast)
void index_put_backward(Ctx& c) {
  const std::vector<std::optional<Tensor>> list = recorded_index_list(c);
  const bool accumulate = c.attrs().get<IndexPutAttrs>().accumulate;
  if (c.needs_input_grad(0)) {
    c.grad_inputs[0] = accumulate ? c.grad()
                                  : index_put(c.grad(), list, zeros({}, TensorOptions(c.grad().dtype())
                                                                            .device(c.grad().device())));
  }
  if (c.needs_input_grad(2)) c.grad_inputs[2] = index(c.grad(), list);
}
constexpr OpDerivative index_put_derivative{OpId::index_put, index_put_backward, "IndexPutBackward", {kIn1, kNone, kIn1}};

// ---- scatter_reduce ---------------------------------------------------------------------------------------------------
// Pads t with zeros at the end of each dim up to `sizes` (src may be larger than index: its extra part is unread).
Tensor padded_to(Tensor t, const DimVector& sizes) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    const int64_t missing = sizes[static_cast<size_t>(d)] - t.size(d);
    if (missing <= 0) continue;
    DimVector pad_sizes(t.sizes());
    pad_sizes[static_cast<size_t>(d)] = missing;
    t = cat({t, zeros(pad_sizes, TensorOptions(t.dtype()).device(t.device()))}, d);
  }
  return t;
}

// src restricted to the part index reads (its leading index.sizes() block).
Tensor read_part(const Tensor& src, const Tensor& index) {
  Tensor part = src;
  for (int64_t d = 0; d < index.dim(); ++d) part = part.narrow(d, 0, index.size(d));
  return part;
}

// y = scatter_reduce(x, dim, i, src, reduce, include_self) (inputs x, index, src):
//   sum:   dx = g, dsrc = g.gather(dim, i)
//   prod:  dx = g * y' / x' with x' = x (zeros as 1) and y' its scatter_reduce (the product of the others);
//          dsrc = g y / src, where a src value that is the only zero of its target gets g times the product of the
//          others instead
//   amax / amin: g is shared evenly among the values equal to the result (x's own, when included, and src's):
//          dx = (x == y) g / n, dsrc = (src == y.gather) (g / n).gather, n = how many there are
// Without include_self, dx is also zero wherever a value landed (x's own value was not used there).
void scatter_reduce_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  const ScatterReduceAttrs& attrs = c.attrs().get<ScatterReduceAttrs>();
  const Tensor& g = c.grad();
  const Tensor& index = c.input_value(1);
  Tensor grad_self, grad_src;
  if (attrs.reduce == ScatterReduction::sum) {
    grad_self = g;
    if (c.needs_input_grad(2)) grad_src = g.gather(dim, index);
  } else if (attrs.reduce == ScatterReduction::prod) {
    const Tensor& self = c.input_value(0);
    const Tensor src = read_part(c.input_value(2), index);
    const Tensor y = result(c);
    const Tensor masked_self = self.masked_fill(self == 0, 1);
    const Tensor masked_self_result =
        masked_self.scatter_reduce(dim, index, src, "prod", attrs.include_self);
    grad_self = g * masked_self_result / masked_self;
    if (c.needs_input_grad(2)) {
      const Tensor src_zero = src == 0;
      const Tensor zero_counts =
          zeros_like(self).scatter_add(dim, index, src_zero.to(self.dtype())).gather(dim, index);
      const Tensor single_zero = logical_and(src_zero, zero_counts == 1);
      const Tensor masked_src_result = self.scatter_reduce(dim, index, src.masked_fill(single_zero, 1), "prod",
                                                           attrs.include_self);
      grad_src = where(single_zero, (g * masked_src_result).gather(dim, index),
                       (g * y).gather(dim, index) / src.masked_fill(src_zero, 1));
    }
  } else {  // amax, amin
    const Tensor& self = c.input_value(0);
    const Tensor src = read_part(c.input_value(2), index);
    const Tensor y = result(c);
    const Tensor value = y.gather(dim, index);
    const Tensor self_is_result = (self == y).to(g.dtype());
    const Tensor src_is_result = (src == value).to(g.dtype());
    const Tensor counts = (attrs.include_self ? self_is_result : zeros_like(self_is_result))
                              .scatter_add(dim, index, src_is_result);
    const Tensor shared = g / counts.masked_fill(counts == 0, 1);
    grad_self = self_is_result * shared;
    if (c.needs_input_grad(2)) grad_src = src_is_result * shared.gather(dim, index);
  }
  if (!attrs.include_self) grad_self = grad_self.scatter(dim, index, Scalar(0.0));
  if (c.needs_input_grad(0)) c.grad_inputs[0] = grad_self;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = padded_to(grad_src, c.input(2).sizes);
}
constexpr OpDerivative scatter_reduce_derivative{
    OpId::scatter_reduce, scatter_reduce_backward, "ScatterReduceBackward", {kIn0 | kIn1 | kIn2, kNone, kIn0 | kIn1 | kIn2},
    kIn0 | kIn2};

constexpr OpDerivative kAdvancedIndexDerivatives[] = {
    index_derivative,
    index_put_derivative,
    scatter_reduce_derivative,
};

}  // namespace

std::span<const OpDerivative> advanced_index_derivatives() { return kAdvancedIndexDerivatives; }

}  // namespace reel::autograd
