// reel/autograd/derivatives_shape_index.cpp — the backward formulas of the shape ops that move data
// (tensor/ops_shape.cpp: cat, flip, tril, triu), of indexing (tensor/ops_index.cpp: index_select, gather, scatter,
// scatter_add, index_add) and of the views (tensor/views.cpp), plus CopySlices, the node an in-place write through
// a view leaves on its base (copy_slices_backward, recorded by autograd/record.cpp). Each formula is followed by
// its facts (autograd/derivatives_common.h).
#include <algorithm>
#include <optional>

#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

// ---- shape ops ---------------------------------------------------------------------------------------------------
// y = cat(x_0, x_1, ...; dim): dx_i = the slice of g that came from x_i
void cat_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  int64_t start = 0;
  for (size_t i = 0; i < c.node.input_meta.size(); ++i) {
    const InputMeta& in = c.input(i);
    const bool skipped = in.sizes.size() == 1 && in.sizes[0] == 0 && c.grad().dim() != 1;  // legacy empty input
    if (skipped) continue;
    const int64_t length = in.sizes[static_cast<size_t>(dim)];
    if (c.needs_input_grad(i)) c.grad_inputs[i] = c.grad().narrow(dim, start, length);
    start += length;
  }
}
constexpr OpDerivative cat_derivative{OpId::cat, cat_backward, "CatBackward"};
// y = flip(x, dims): dx = flip(g, dims)
void flip_backward(Ctx& c) { c.grad_inputs[0] = flip(c.grad(), c.attrs().dims); }
constexpr OpDerivative flip_derivative{OpId::flip, flip_backward, "FlipBackward"};
// y = tril(x, k): dx = tril(g, k)
void tril_backward(Ctx& c) { c.grad_inputs[0] = tril(c.grad(), c.attrs().get<DiagonalAttrs>().diagonal); }
constexpr OpDerivative tril_derivative{OpId::tril, tril_backward, "TrilBackward"};
// y = triu(x, k): dx = triu(g, k)
void triu_backward(Ctx& c) { c.grad_inputs[0] = triu(c.grad(), c.attrs().get<DiagonalAttrs>().diagonal); }
constexpr OpDerivative triu_derivative{OpId::triu, triu_backward, "TriuBackward"};

// ---- indexing ----------------------------------------------------------------------------------------------------
// The positions of `index` (1-D) other than `padding`, or nullopt when every position is kept.
std::optional<Tensor> positions_without(const Tensor& index, int64_t padding) {
  const std::vector<int64_t> rows = index.to_vector<int64_t>();
  std::vector<int64_t> kept;
  kept.reserve(rows.size());
  for (size_t p = 0; p < rows.size(); ++p)
    if (rows[p] != padding) kept.push_back(static_cast<int64_t>(p));
  if (kept.size() == rows.size()) return std::nullopt;
  return tensor(kept, TensorOptions(kInt64).device(index.device()));
}
// y = x.index_select(dim, i): dx = zeros.index_add(dim, i, g)  (inputs: x, index). From embedding (dim 0): the
// positions whose index is the padding row (EmbeddingAttrs::padding_idx) give nothing, and when sparse a leaf x
// receives the rows as a sparse gradient (Note [Row-sparse gradients]). Plain index_select holds no family struct.
void index_select_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  const EmbeddingAttrs embedding = attrs.holds<EmbeddingAttrs>() ? attrs.get<EmbeddingAttrs>() : EmbeddingAttrs{};
  Tensor index = c.input_value(1), grad = c.grad();
  if (embedding.padding_idx) {
    if (std::optional<Tensor> kept = positions_without(index, *embedding.padding_idx)) {
      index = index.index_select(0, *kept);
      grad = grad.index_select(0, *kept);
    }
  }
  if (embedding.sparse && c.defer_sparse_rows(0, index, grad)) return;  // a sparse gradient for the leaf
  if (c.defer_index_add(0, attrs.dim, index, grad)) return;     // rows added straight into the leaf
  c.grad_inputs[0] = zeros_for(c.input(0), grad).index_add(attrs.dim, index, grad);
}
constexpr OpDerivative index_select_derivative{
    OpId::index_select, index_select_backward, "IndexSelectBackward", {kIn1}};
// y = x.gather(dim, i): dx = zeros.scatter_add(dim, i, g)
void gather_backward(Ctx& c) {
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).scatter_add(c.attrs().dim, c.input_value(1), c.grad());
}
constexpr OpDerivative gather_derivative{OpId::gather, gather_backward, "GatherBackward", {kIn1}};
// Pads t with zeros at the end of each dim up to `sizes` (src may be larger than index: its extra part is unread).
Tensor zero_padded(Tensor t, const DimVector& sizes) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    const int64_t missing = sizes[static_cast<size_t>(d)] - t.size(d);
    if (missing <= 0) continue;
    DimVector pad_sizes(t.sizes());
    pad_sizes[static_cast<size_t>(d)] = missing;
    t = cat({t, zeros(pad_sizes, TensorOptions(t.dtype()).device(t.device()))}, d);
  }
  return t;
}
// y = x.scatter(dim, i, src): dx = g with the overwritten places zeroed, dsrc = g.gather(dim, i) (0 where unread)
void scatter_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  const Tensor& index = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad().scatter(dim, index, Scalar(0.0));
  if (c.node.next_edges.size() > 2 && c.needs_input_grad(2))
    c.grad_inputs[2] = zero_padded(c.grad().gather(dim, index), c.input(2).sizes);
}
constexpr OpDerivative scatter_derivative{OpId::scatter, scatter_backward, "ScatterBackward", {kIn1, kNone, kIn1}};
// y = x.scatter_add(dim, i, src): dx = g, dsrc = g.gather(dim, i) (0 where unread)
void scatter_add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(2))
    c.grad_inputs[2] = zero_padded(c.grad().gather(c.attrs().dim, c.input_value(1)), c.input(2).sizes);
}
constexpr OpDerivative scatter_add_derivative{
    OpId::scatter_add, scatter_add_backward, "ScatterAddBackward", {kNone, kNone, kIn1}};
// y = x.index_add(dim, i, src, alpha): dx = g, dsrc = alpha g.index_select(dim, i)
void index_add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(2))
    c.grad_inputs[2] = c.grad().index_select(c.attrs().dim, c.input_value(1)) * c.attrs().get<IndexAddAttrs>().alpha;
}
constexpr OpDerivative index_add_derivative{
    OpId::index_add, index_add_backward, "IndexAddBackward", {kNone, kNone, kIn1}};

// ---- views -------------------------------------------------------------------------------------------------------
// y = x viewed with other sizes (view, reshape, flatten, squeeze, unsqueeze): dx = g reshaped back
void reshape_backward(Ctx& c) { c.grad_inputs[0] = c.grad().reshape(c.input(0).sizes); }
constexpr OpDerivative view_derivative{OpId::view, reshape_backward, "ViewBackward"};
constexpr OpDerivative reshape_derivative{OpId::reshape, reshape_backward, "ReshapeBackward"};
constexpr OpDerivative flatten_derivative{OpId::flatten, reshape_backward, "FlattenBackward"};
constexpr OpDerivative squeeze_derivative{OpId::squeeze, reshape_backward, "SqueezeBackward"};
constexpr OpDerivative unsqueeze_derivative{OpId::unsqueeze, reshape_backward, "UnsqueezeBackward"};
// y = x.t(): dx = g.t()
void t_backward(Ctx& c) { c.grad_inputs[0] = c.grad().t(); }
constexpr OpDerivative t_derivative{OpId::t, t_backward, "TBackward"};
// y = x.transpose(d0, d1): dx = g.transpose(d0, d1)
void transpose_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  c.grad_inputs[0] = c.grad().transpose(attrs.dims[0], attrs.dims[1]);
}
constexpr OpDerivative transpose_derivative{OpId::transpose, transpose_backward, "TransposeBackward"};
// y = x.permute(p): dx = g.permute(p^-1)
void permute_backward(Ctx& c) {
  const DimVector& p = c.attrs().dims;
  DimVector inverse(p.size());
  for (size_t i = 0; i < p.size(); ++i) inverse[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
  c.grad_inputs[0] = c.grad().permute(inverse);
}
constexpr OpDerivative permute_derivative{OpId::permute, permute_backward, "PermuteBackward"};
// y = x.expand(sizes): dx = g summed over the expanded dims (the engine's sum_to does it)
void expand_backward(Ctx& c) { c.grad_inputs[0] = c.grad(); }
constexpr OpDerivative expand_derivative{OpId::expand, expand_backward, "ExpandBackward"};
// y = x[..., start:end:step, ...] (slice, narrow; attrs: dim, SliceAttrs): dx = zeros with g added at the sliced
// positions
void slice_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  const SliceAttrs& range = c.attrs().get<SliceAttrs>();
  auto sliced = [&](const Tensor& full) { return full.slice(dim, range.start, range.end, range.step); };
  if (c.add_into_input_view(0, sliced, c.grad())) return;  // added into the input's summed gradient in place
  Tensor positions = arange(range.start, range.end, range.step, TensorOptions(kInt64).device(c.grad().device()));
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).index_add(dim, positions, c.grad());
}
constexpr OpDerivative slice_derivative{OpId::slice, slice_backward, "SliceBackward"};
// y = x.select(dim, i): dx = zeros with g placed at index i of dim
void select_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  const int64_t index = c.attrs().get<SelectAttrs>().index;
  auto selected = [&](const Tensor& full) { return full.select(dim, index); };
  if (c.add_into_input_view(0, selected, c.grad())) return;  // added into the input's summed gradient in place
  Tensor position = full({1}, index, TensorOptions(kInt64).device(c.grad().device()));
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).index_add(dim, position, c.grad().unsqueeze(dim));
}
constexpr OpDerivative select_derivative{OpId::select, select_backward, "SelectBackward"};
// y = x.as_strided(sizes, strides, offset): both read the same storage, so dx[i] = sum of g[j] over the outputs j
// that read the storage position input element i sits at (overlapping outputs accumulate).
// attrs: dims = out sizes, out strides, input strides; dim = out rank; AsStridedAttrs: out and input offsets.
void as_strided_backward(Ctx& c) {
  const InputMeta& in = c.input(0);
  const OpAttrs& attrs = c.attrs();
  const AsStridedAttrs& offsets = attrs.get<AsStridedAttrs>();
  const size_t out_rank = static_cast<size_t>(attrs.dim);
  const size_t in_rank = in.sizes.size();
  DimVector out_sizes, out_strides, in_strides;
  for (size_t i = 0; i < out_rank; ++i) out_sizes.push_back(attrs.dims[i]);
  for (size_t i = 0; i < out_rank; ++i) out_strides.push_back(attrs.dims[out_rank + i]);
  for (size_t i = 0; i < in_rank; ++i) in_strides.push_back(attrs.dims[2 * out_rank + i]);
  // One past the highest storage position either view touches.
  auto extent = [](IntList sizes, IntList strides, int64_t offset) {
    int64_t last = offset;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == 0) return offset;
      last += (sizes[i] - 1) * strides[i];
    }
    return last + 1;
  };
  const int64_t storage = std::max(extent(out_sizes, out_strides, offsets.storage_offset),
                                   extent(in.sizes, in_strides, offsets.base_offset));
  const TensorOptions positions_options = TensorOptions(kInt64).device(in.device);
  Tensor positions = arange(storage, positions_options);
  Tensor read = positions.as_strided(out_sizes, out_strides, offsets.storage_offset).reshape({-1});
  Tensor owned = positions.as_strided(in.sizes, in_strides, offsets.base_offset).reshape({-1});
  Tensor per_position = zeros({storage}, TensorOptions(c.grad().dtype()).device(in.device))
                            .index_add(0, read, c.grad().reshape({-1}));
  c.grad_inputs[0] = per_position.index_select(0, owned).reshape(in.sizes);
}
constexpr OpDerivative as_strided_derivative{OpId::as_strided, as_strided_backward, "AsStridedBackward"};

// y = x.diagonal(offset, dim1, dim2): dx = zeros with g written on that diagonal (a copy_ into the diagonal view
// of the zeros, recorded under create_graph so the second derivative is g's diagonal again)
void diagonal_backward(Ctx& c) {
  const DiagonalViewAttrs& attrs = c.attrs().get<DiagonalViewAttrs>();
  auto on_diagonal = [&](const Tensor& full) { return full.diagonal(attrs.offset, attrs.dim1, attrs.dim2); };
  if (c.add_into_input_view(0, on_diagonal, c.grad())) return;  // added into the input's summed gradient in place
  Tensor grad_input = zeros_for(c.input(0), c.grad());
  on_diagonal(grad_input).copy_(c.grad());
  c.grad_inputs[0] = grad_input;
}
constexpr OpDerivative diagonal_derivative{OpId::diagonal, diagonal_backward, "DiagonalBackward"};

constexpr OpDerivative kShapeIndexDerivatives[] = {
    cat_derivative, flip_derivative, tril_derivative, triu_derivative, index_select_derivative, gather_derivative,
    scatter_derivative, scatter_add_derivative, index_add_derivative, view_derivative, reshape_derivative,
    flatten_derivative, squeeze_derivative, unsqueeze_derivative, t_derivative, transpose_derivative,
    permute_derivative, expand_derivative, slice_derivative, select_derivative, as_strided_derivative,
    diagonal_derivative,
};

// ---- CopySlices --------------------------------------------------------------------------------------------------
// The view's sizes and strides, from a CopySlices node's attrs (dims = sizes then strides, dim = rank; its offsets
// are AsStridedAttrs).
void copy_slices_region(const OpAttrs& attrs, DimVector& sizes, DimVector& strides) {
  const size_t rank = static_cast<size_t>(attrs.dim);
  sizes.assign(attrs.dims.begin(), attrs.dims.begin() + static_cast<int64_t>(rank));
  strides.assign(attrs.dims.begin() + static_cast<int64_t>(rank), attrs.dims.begin() + static_cast<int64_t>(2 * rank));
}

}  // namespace

std::span<const OpDerivative> shape_index_derivatives() { return kShapeIndexDerivatives; }

// CopySlices (Note [In-place ops and autograd]): dbase_old = g with the view's region zeroed (those values were
// overwritten), dsrc = g's view region. Written with differentiable ops under create_graph.
void copy_slices_backward(Ctx& c) {
  DimVector sizes, strides;
  copy_slices_region(c.attrs(), sizes, strides);
  const AsStridedAttrs& offsets = c.attrs().get<AsStridedAttrs>();
  const int64_t region_offset = offsets.storage_offset - offsets.base_offset;
  const Tensor& g = c.grad();
  if (!reel::is_grad_enabled() && g.use_count() == 1 && g.storage().use_count() == 1 && g.is_contiguous() &&
      !g.impl()->is_view) {
    // Only the engine holds g: take the region's values out and zero them in g itself, so a buffer written step
    // by step (h.select(0, t).copy_(x_t)) costs O(region) per step in backward, not a copy of the whole buffer.
    Tensor region = g.as_strided(sizes, strides, g.storage_offset() + region_offset);
    if (c.needs_input_grad(1)) c.grad_inputs[1] = region.clone();
    if (c.needs_input_grad(0)) {
      region.zero_();
      c.grad_inputs[0] = g;
    }
    return;
  }
  const Tensor dense = g.contiguous();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = dense.as_strided(sizes, strides, dense.storage_offset() + region_offset);
  if (!c.needs_input_grad(0)) return;
  if (reel::is_grad_enabled()) {  // create_graph: a product with a constant mask, so it is recorded
    Tensor mask = ones(c.input(0).sizes, TensorOptions(dense.dtype()).device(dense.device()));
    {
      NoGradGuard no_grad;
      mask.as_strided(sizes, strides, region_offset).zero_();
    }
    c.grad_inputs[0] = c.grad() * mask;
  } else {
    Tensor cleared = dense.clone();
    cleared.as_strided(sizes, strides, region_offset).zero_();
    c.grad_inputs[0] = cleared;
  }
}

}  // namespace reel::autograd
