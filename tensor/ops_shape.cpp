// reel/tensor/ops_shape.cpp — front doors of the shape ops that move data: cat, flip, tril, triu (kernels in
// cpu/shape.cpp) and the composites stack and repeat, plus their Tensor methods.
//
// flip, tril and triu are recorded with input x and the attrs their kernels get (flip: dims; tril, triu:
// DiagonalAttrs).
// Checks follow PyTorch: cat joins tensors of one rank whose sizes match except along dim (1-D tensors of
// shape [0] are the legacy "empty" and are skipped), promotes their dtypes, and refuses an empty list, 0-dim
// tensors and mixed devices. stack and repeat are written with views and cat/clone, so they differentiate
// through those ops.
#include <fmt/format.h>

#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// True for the 1-D tensors of shape [0] that PyTorch's cat skips whatever the other inputs' shapes.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

// flip, tril, triu: an output of x's shape and dtype, recorded with input x and attrs.
Tensor run_unary_shape_op(OpId op, const Tensor& x, const OpAttrs& attrs) {
  Tensor out;
  run_op(op, &attrs, x, {&out, {{x.sizes(), x.dtype(), x.device()}}});
  return out;
}

Tensor triangle(OpId op, const Tensor& x, int64_t diagonal) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  REEL_CHECK(x.dim() >= 2, "{}: input tensor must have at least 2 dimensions, got shape {}", name,
             shape_str(x.sizes()));
  return run_unary_shape_op(op, x, family_attrs(DiagonalAttrs{diagonal}));
}

}  // namespace

// y = concatenation of the inputs along dim. Recorded inputs: the joined tensors (legacy empty ones left out);
// attrs.dim: the wrapped dim.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  REEL_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  for (const Tensor& t : tensors) t.check_defined("cat");
  const Tensor& first = tensors[0];
  ScalarType dtype = first.dtype();
  const Tensor* reference = nullptr;  // the first input that is not a legacy empty tensor
  size_t reference_index = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    REEL_CHECK(t.dim() > 0, "cat: zero-dimensional tensor (at position {}) cannot be concatenated", i);
    REEL_CHECK(t.device() == first.device(),
               "cat: expected all tensors on one device, got {} (tensor 0, shape {}) and {} (tensor {}, shape {})",
               first.device().str(), shape_str(first.sizes()), t.device().str(), i, shape_str(t.sizes()));
    dtype = promote_types(dtype, t.dtype());
    if (!reference && !is_legacy_empty(t)) {
      reference = &t;
      reference_index = i;
    }
  }
  if (!reference) {  // every input is a legacy empty tensor: the result is one too (no kernel, nothing recorded)
    Tensor out;
    run_op(OpId::cat, nullptr, {}, {&out, {{{0}, dtype, first.device()}}},
           {.record = Record::no, .skip_kernel_when_empty = true});
    return out;
  }

  const int64_t rank = reference->dim();
  const int64_t d = wrap_dim(dim, reference->sizes(), "cat");
  DimVector out_shape(reference->sizes());
  out_shape[d] = 0;
  std::vector<Tensor> inputs;
  inputs.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (is_legacy_empty(t)) continue;
    REEL_CHECK(t.dim() == rank,
               "cat: tensors must have the same number of dimensions: got {} and {} (tensor {} of shape {} and "
               "tensor {} of shape {})",
               rank, t.dim(), reference_index, shape_str(reference->sizes()), i, shape_str(t.sizes()));
    for (int64_t k = 0; k < rank; ++k) {
      REEL_CHECK(k == d || t.size(k) == reference->size(k),
                 "cat: sizes of tensors must match except in dimension {}; expected size {} but got size {} for "
                 "tensor number {} in the list (shapes {} and {})",
                 d, reference->size(k), t.size(k), i, shape_str(reference->sizes()), shape_str(t.sizes()));
    }
    out_shape[d] += t.size(d);
    inputs.push_back(t);
  }

  OpAttrs attrs;
  attrs.dim = d;
  Tensor out;
  run_op(OpId::cat, &attrs, OpInputs(inputs.data(), static_cast<int>(inputs.size())),
         {&out, {{out_shape, dtype, first.device()}}}, {.skip_kernel_when_empty = true});
  return out;
}

// y = cat of the inputs each unsqueezed at dim
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  REEL_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (const Tensor& t : tensors) t.check_defined("stack");
  const Tensor& first = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i) {
    REEL_CHECK(tensors[i].sizes() == first.sizes(),
               "stack: expects each tensor to be equal size, but got {} at entry 0 and {} at entry {}",
               shape_str(first.sizes()), shape_str(tensors[i].sizes()), i);
  }
  const int64_t d = wrap_dim(dim, first.dim() + 1, "stack");
  std::vector<Tensor> unsqueezed;
  unsqueezed.reserve(tensors.size());
  for (const Tensor& t : tensors) unsqueezed.push_back(t.unsqueeze(d));
  return cat(unsqueezed, d);
}

// y[..., i, ...] = x[..., n-1-i, ...] on each flipped dim
Tensor flip(const Tensor& x, IntList dims) {
  x.check_defined("flip");
  OpAttrs attrs;
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, x.sizes(), "flip");
    for (int64_t seen : attrs.dims)
      REEL_CHECK(seen != d, "flip: dim {} appears multiple times in the list of dims {}", d, shape_str(dims));
    if (x.dim() > 0) attrs.dims.push_back(d);
  }
  return run_unary_shape_op(OpId::flip, x, attrs);
}

// y = x tiled repeats[d] times along each dim d (x first gets leading dims of size 1 up to repeats.size())
Tensor repeat(const Tensor& x, IntList repeats) {
  x.check_defined("repeat");
  REEL_CHECK(static_cast<int64_t>(repeats.size()) >= x.dim(),
             "repeat: number of repeat dims ({}) can not be smaller than the number of dims of the tensor ({}, "
             "shape {})",
             repeats.size(), x.dim(), shape_str(x.sizes()));
  for (int64_t r : repeats)
    REEL_CHECK(r >= 0, "repeat: repeats must be non-negative, got {} in {}", r, shape_str(repeats));
  const size_t lead = repeats.size() - static_cast<size_t>(x.dim());
  // View x as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], copy, and merge each pair: [r0*s0, ...].
  DimVector pairs_shape, expanded_shape, out_shape;
  for (size_t d = 0; d < repeats.size(); ++d) {
    const int64_t size = d < lead ? 1 : x.size(static_cast<int64_t>(d - lead));
    pairs_shape.push_back(1);
    pairs_shape.push_back(size);
    expanded_shape.push_back(repeats[d]);
    expanded_shape.push_back(size);
    out_shape.push_back(repeats[d] * size);
  }
  return x.reshape(pairs_shape).expand(expanded_shape).clone().view(out_shape);
}

// y[i,j] = j - i <= k ? x[i,j] : 0
Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(OpId::tril, x, diagonal); }
// y[i,j] = j - i >= k ? x[i,j] : 0
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(OpId::triu, x, diagonal); }

Tensor Tensor::flip(IntList dims) const { return reel::flip(*this, dims); }
Tensor Tensor::repeat(IntList repeats) const { return reel::repeat(*this, repeats); }
Tensor Tensor::tril(int64_t diagonal) const { return reel::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return reel::triu(*this, diagonal); }

}  // namespace reel
