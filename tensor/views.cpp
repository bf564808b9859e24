// reel/tensor/views.cpp — the view ops: new sizes, strides and offset over the same storage, no data moved.
//
// view/reshape follow PyTorch's stride-compatibility rule (a new shape is a view exactly when each run of
// new dims maps onto a run of old dims that is contiguous in memory); transpose/permute reorder sizes and
// strides; slice/narrow/select move the offset; expand sets stride 0 on broadcast dims. Writing through
// any of them writes the base tensor. Every bad argument throws reel::Error naming the op and the shape.
//
// Each primitive view is recorded on the tape (tensor/autograd_hook.h) with the attributes its backward needs:
//   view       attrs.dims = the new sizes           transpose  attrs.dims = {dim0, dim1} (wrapped)
//   t          none (backward is g.t())             permute    attrs.dims = the wrapped permutation
//   squeeze    attrs.dim = the dim, or -1 for all    unsqueeze  attrs.dim = the inserted dim
//   expand     attrs.dims = the expanded sizes      slice      attrs.dim, a = start, b = end, c = step (clamped)
//   select     attrs.dim, a = the wrapped index     as_strided see Tensor::as_strided below
//   diagonal   DiagonalViewAttrs (offset, wrapped dim1 and dim2)
// (the input's sizes are in the node's input metadata). reshape, flatten, narrow, expand_as, chunk, split and
// unbind are composites of those, so they record through them. Every view op reports itself to the thread's op
// observer (observe_view, tensor/dispatch.h) under its own name: reshape, flatten and narrow after the views they
// are made of; contiguous (tensor/ops_copy.cpp) too.
#include <algorithm>
#include <numeric>
#include <optional>

#include "tensor/autograd_hook.h"
#include "tensor/batching_hook.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// Replaces a single -1 in `shape` by the size that makes the element count equal `numel`.
DimVector infer_size(IntList shape, int64_t numel, const char* op, IntList input_sizes) {
  DimVector result(shape);
  std::optional<size_t> infer_at;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      REEL_CHECK(!infer_at, "{}: only one dimension can be inferred (-1), got shape {}", op, shape_str(shape));
      infer_at = i;
    } else {
      REEL_CHECK(shape[i] >= 0, "{}: invalid size {} at dim {} of shape {}", op, shape[i], i, shape_str(shape));
      REEL_CHECK(!__builtin_mul_overflow(known, shape[i], &known), "{}: shape {} has more elements than int64 can count",
                 op, shape_str(shape));
    }
  }
  if (infer_at) {
    REEL_CHECK(known != 0, "{}: cannot infer the -1 in shape {} for an input of {} elements (the other sizes "
               "multiply to 0)", op, shape_str(shape), numel);
    REEL_CHECK(numel % known == 0, "{}: shape {} is invalid for an input of {} elements (input shape {})", op,
               shape_str(shape), numel, shape_str(input_sizes));
    result[*infer_at] = numel / known;
  } else {
    REEL_CHECK(known == numel, "{}: shape {} is invalid for an input of {} elements (input shape {})", op,
               shape_str(shape), numel, shape_str(input_sizes));
  }
  return result;
}

// Strides that let `new_sizes` view memory laid out as (old_sizes, old_strides), or nullopt when no strides
// can (PyTorch's computeStride). Walk the old dims from the back, grouping them into chunks that are
// contiguous with each other; each chunk must be covered exactly by a run of new dims.
std::optional<DimVector> view_strides(IntList old_sizes, IntList old_strides, IntList new_sizes) {
  DimVector new_strides(new_sizes.size());
  if (old_sizes.empty()) {  // a 0-dim tensor views as any all-ones shape
    for (auto& s : new_strides) s = 1;
    return new_strides;
  }
  const int64_t numel = std::accumulate(old_sizes.begin(), old_sizes.end(), int64_t{1}, std::multiplies<>());
  if (numel == 0) {
    if (old_sizes == new_sizes) return DimVector(old_strides);
    return contiguous_strides(new_sizes);
  }
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_sizes[tensor_d];
    const bool chunk_ends = tensor_d == 0 || (old_sizes[tensor_d - 1] != 1 &&
                                              old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
      new_strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= new_sizes[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (tensor_d > 0) {
      chunk_base_stride = old_strides[tensor_d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

// Records `out` as the view op's output on the tape (when grad mode is on and self requires grad), and links
// it to its base: the root tensor whose storage it views, so that an in-place write through the view can
// rewrite the base's history and the view can follow later changes of it (Note [In-place ops and autograd]).
Tensor recorded(OpId op, const Tensor& self, Tensor out, const OpAttrs& attrs = OpAttrs{}) {
  if (self.impl()->pending_node != 0) [[unlikely]] {  // a view of an op an autobatch::Scope has not run yet
    detail::defer_view(op, self, out, attrs);
    return out;
  }
  TensorImpl* base = self.impl()->view_base ? self.impl()->view_base.get() : self.impl();
  detail::record(op, {&self}, {&out}, &attrs);  // first: refreshes self's history if its base's changed
  out.impl()->view_base = IntrusivePtr<TensorImpl>(base);
  out.impl()->view_base_history = base->history_version;
  observe_view(op, self, out);
  return out;
}

// reshape, flatten and narrow are written with the primitive views (recorded through them), yet the observer sees
// each under its own name too: one view event after those of the views (or the copy) it is made of.
Tensor observed(OpId op, const Tensor& self, Tensor out) {
  observe_view(op, self, out);
  return out;
}

OpAttrs dims_attrs(IntList dims) {
  OpAttrs attrs;
  attrs.dims = DimVector(dims);
  return attrs;
}

OpAttrs dim_attrs(int64_t dim) {
  OpAttrs attrs;
  attrs.dim = dim;
  return attrs;
}

// base + index * step without overflow. Views of tensors with elements stay within their storage, so only a
// tensor without elements (whose strides as_strided leaves arbitrary, as PyTorch does) can overflow here; its
// strides and offset address nothing, so `base` is as good as any value then.
int64_t advance_or_keep(int64_t base, int64_t index, int64_t step) {
  int64_t moved = 0;
  if (__builtin_mul_overflow(index, step, &moved) || __builtin_add_overflow(base, moved, &moved)) return base;
  return moved;
}

// Python's slice-index clamping: negative wraps once, then the value is clamped into [0, size].
int64_t clamp_slice_index(int64_t index, int64_t size) {
  if (index < 0) index += size;
  return index < 0 ? 0 : index > size ? size : index;
}

}  // namespace

// y = x with new sizes; strides must allow it (PyTorch's view rule); one size may be -1.
Tensor Tensor::view(IntList sizes) const {
  check_defined("view");
  DimVector shape = infer_size(sizes, numel(), "view", this->sizes());
  std::optional<DimVector> strides = view_strides(this->sizes(), this->strides(), shape);
  REEL_CHECK(strides.has_value(),
             "view: size {} is not compatible with the input's size {} and stride {} (at least one dim spans two "
             "non-contiguous subspaces); use .reshape(...) instead",
             shape_str(shape), shape_str(this->sizes()), shape_str(this->strides()));
  return recorded(OpId::view, *this, detail::make_view_keep_pending(*this, shape, *strides, storage_offset()), dims_attrs(shape));
}

// y = view(x, sizes) when the strides allow, else a contiguous copy viewed as sizes.
Tensor Tensor::reshape(IntList sizes) const {
  check_defined("reshape");
  DimVector shape = infer_size(sizes, numel(), "reshape", this->sizes());
  if (view_strides(this->sizes(), this->strides(), shape)) return observed(OpId::reshape, *this, view(shape));
  return observed(OpId::reshape, *this, contiguous().view(shape));
}

// y = reshape(x, sizes[:start] + [prod(sizes[start..end])] + sizes[end+1:])
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined("flatten");
  const int64_t start = wrap_dim(start_dim, sizes(), "flatten");
  const int64_t end = wrap_dim(end_dim, sizes(), "flatten");
  REEL_CHECK(start <= end, "flatten: start_dim {} comes after end_dim {} (shape {})", start, end, shape_str(sizes()));
  if (dim() == 0) return observed(OpId::flatten, *this, reshape({1}));
  if (start == end) return observed(OpId::flatten, *this, *this);
  DimVector shape;
  int64_t merged = 1;
  for (int64_t d = 0; d < dim(); ++d) {
    if (d < start || d > end) {
      shape.push_back(impl()->sizes[d]);
    } else {
      // Only a tensor without elements can overflow here ([0, 2^62, 2^62].flatten(1)).
      REEL_CHECK(!__builtin_mul_overflow(merged, impl()->sizes[d], &merged),
                 "flatten: dims {} to {} of shape {} hold more elements than int64 can count", start, end,
                 shape_str(sizes()));
      if (d == end) shape.push_back(merged);
    }
  }
  return observed(OpId::flatten, *this, reshape(shape));
}

// y[.., j, .., i, ..] = x[.., i, .., j, ..]: swap sizes and strides of two dims.
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  check_defined("transpose");
  const int64_t a = wrap_dim(dim0, sizes(), "transpose");
  const int64_t b = wrap_dim(dim1, sizes(), "transpose");
  DimVector shape(sizes());
  DimVector stride(strides());
  if (dim() > 0) {
    std::swap(shape[a], shape[b]);
    std::swap(stride[a], stride[b]);
  }
  return recorded(OpId::transpose, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dims_attrs({a, b}));
}

// y = x^T for 2-D; 0-D and 1-D come back unchanged.
Tensor Tensor::t() const {
  check_defined("t");
  REEL_CHECK(dim() <= 2, "t: expects a tensor with <= 2 dims, got {} dims (shape {}); use transpose(dim0, dim1)",
             dim(), shape_str(sizes()));
  DimVector shape(sizes());
  DimVector stride(strides());
  if (dim() == 2) {
    std::swap(shape[0], shape[1]);
    std::swap(stride[0], stride[1]);
  }
  return recorded(OpId::t, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()));
}

// y.sizes[i] = x.sizes[dims[i]], same for strides.
Tensor Tensor::permute(IntList dims) const {
  check_defined("permute");
  REEL_CHECK(static_cast<int64_t>(dims.size()) == dim(),
             "permute: number of dims {} in {} does not match the tensor's {} dims (shape {})", dims.size(),
             shape_str(dims), dim(), shape_str(sizes()));
  DimVector shape(dims.size());
  DimVector stride(dims.size());
  DimVector wrapped(dims.size());
  DimVector seen(dims.size(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], sizes(), "permute");
    REEL_CHECK(!seen[d], "permute: dims {} repeat dim {} (must be a permutation of 0..{})", shape_str(dims), d,
               dim() - 1);
    seen[d] = true;
    wrapped[i] = d;
    shape[i] = impl()->sizes[d];
    stride[i] = impl()->strides[d];
  }
  return recorded(OpId::permute, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dims_attrs(wrapped));
}

// y = x without any size-1 dims.
Tensor Tensor::squeeze() const {
  check_defined("squeeze");
  DimVector shape;
  DimVector stride;
  for (int64_t d = 0; d < dim(); ++d) {
    if (impl()->sizes[d] == 1) continue;
    shape.push_back(impl()->sizes[d]);
    stride.push_back(impl()->strides[d]);
  }
  return recorded(OpId::squeeze, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dim_attrs(-1));
}

// y = x without dim `dim` when its size is 1; otherwise x unchanged.
Tensor Tensor::squeeze(int64_t dim) const {
  check_defined("squeeze");
  const int64_t d = wrap_dim(dim, this->sizes(), "squeeze");
  DimVector shape(sizes());
  DimVector stride(strides());
  if (this->dim() > 0 && shape[d] == 1) {
    shape.erase(d);
    stride.erase(d);
  }
  return recorded(OpId::squeeze, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dim_attrs(d));
}

// y = x with a new size-1 dim inserted at `dim` (which may be dim() to append).
Tensor Tensor::unsqueeze(int64_t dim) const {
  check_defined("unsqueeze");
  const int64_t rank = this->dim() + 1;
  REEL_CHECK(dim >= -rank && dim < rank,
             "unsqueeze: dim {} out of range for a tensor of shape {} (expected a dim in [{}, {}])", dim,
             shape_str(sizes()), -rank, rank - 1);
  const int64_t d = wrap_dim(dim, rank, "unsqueeze");
  DimVector shape(sizes());
  DimVector stride(strides());
  const int64_t new_stride = d >= this->dim() ? 1 : advance_or_keep(0, shape[d], stride[d]);  // size * stride
  shape.insert(d, 1);
  stride.insert(d, new_stride);
  return recorded(OpId::unsqueeze, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dim_attrs(d));
}

// y = x broadcast to `sizes`: size-1 dims grow with stride 0, -1 keeps a size, new dims may lead.
Tensor Tensor::expand(IntList sizes) const {
  check_defined("expand");
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  REEL_CHECK(ndim >= dim(), "expand: the number of sizes in {} ({}) must be >= the tensor's {} dims (shape {})",
             shape_str(sizes), ndim, dim(), shape_str(this->sizes()));
  DimVector shape(ndim);
  DimVector stride(ndim);
  for (int64_t i = ndim - 1; i >= 0; --i) {
    const int64_t source_dim = i - (ndim - dim());
    int64_t size = source_dim >= 0 ? impl()->sizes[source_dim] : 1;
    int64_t step = source_dim >= 0 ? impl()->strides[source_dim]
                                   : (i == ndim - 1 ? 1 : advance_or_keep(0, shape[i + 1], stride[i + 1]));
    int64_t target = sizes[i];
    if (target == -1) {
      REEL_CHECK(source_dim >= 0, "expand: size -1 is not allowed in the new leading dim {} (sizes {}, tensor shape {})",
                 i, shape_str(sizes), shape_str(this->sizes()));
      target = size;
    }
    REEL_CHECK(target >= 0, "expand: invalid size {} at dim {} of {}", target, i, shape_str(sizes));
    if (size != target) {
      REEL_CHECK(size == 1, "expand: the expanded size {} must match the existing size {} at non-singleton dim {} "
                 "(target sizes {}, tensor shape {})", target, size, i, shape_str(sizes), shape_str(this->sizes()));
      size = target;
      step = 0;
    }
    shape[i] = size;
    stride[i] = step;
  }
  return recorded(OpId::expand, *this, detail::make_view_keep_pending(*this, shape, stride, storage_offset()), dims_attrs(shape));
}

// y = expand(x, other.sizes)
Tensor Tensor::expand_as(const Tensor& other) const {
  other.check_defined("expand_as");
  return expand(other.sizes());
}

// y = x[..., start : start+length, ...] along dim (negative start wraps).
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  check_defined("narrow");
  REEL_CHECK(this->dim() > 0, "narrow: cannot be applied to a 0-dim tensor");
  const int64_t d = wrap_dim(dim, this->sizes(), "narrow");
  const int64_t size = impl()->sizes[d];
  REEL_CHECK(start >= -size && start <= size, "narrow: start {} out of range [{}, {}] for dim {} of shape {}", start,
             -size, size, d, shape_str(sizes()));
  if (start < 0) start += size;
  REEL_CHECK(length >= 0, "narrow: length must be non-negative, got {}", length);
  REEL_CHECK(start <= size - length, "narrow: start ({}) + length ({}) exceeds size {} of dim {} (shape {})", start,
             length, size, d, shape_str(sizes()));
  return observed(OpId::narrow, *this, slice(d, start, start + length, 1));
}

// y = x[..., start:end:step, ...] along dim; start/end clamp like Python slices.
Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  check_defined("slice");
  REEL_CHECK(this->dim() > 0, "slice: cannot be applied to a 0-dim tensor");
  REEL_CHECK(step > 0, "slice: step must be positive, got {}", step);
  const int64_t d = wrap_dim(dim, this->sizes(), "slice");
  const int64_t size = impl()->sizes[d];
  const int64_t first = clamp_slice_index(start.value_or(0), size);
  int64_t last = clamp_slice_index(end.value_or(size), size);
  if (last < first) last = first;
  DimVector shape(sizes());
  DimVector stride(strides());
  shape[d] = (last - first) / step + ((last - first) % step != 0 ? 1 : 0);  // ceil without overflow for huge steps
  stride[d] = advance_or_keep(stride[d], stride[d], step - 1);              // stride * step
  const int64_t offset = advance_or_keep(storage_offset(), first, impl()->strides[d]);
  OpAttrs attrs = dim_attrs(d);
  attrs.set(SliceAttrs{.start = first, .end = last, .step = step});
  return recorded(OpId::slice, *this, detail::make_view_keep_pending(*this, shape, stride, offset), attrs);
}

// y = x[..., index, ...] along dim, which is dropped (negative index wraps).
Tensor Tensor::select(int64_t dim, int64_t index) const {
  check_defined("select");
  REEL_CHECK(this->dim() > 0, "select: cannot be applied to a 0-dim tensor");
  const int64_t d = wrap_dim(dim, this->sizes(), "select");
  const int64_t size = impl()->sizes[d];
  REEL_CHECK(index >= -size && index < size, "select: index {} out of range for dim {} of size {} (shape {})", index,
             d, size, shape_str(sizes()));
  if (index < 0) index += size;
  DimVector shape(sizes());
  DimVector stride(strides());
  const int64_t offset = advance_or_keep(storage_offset(), index, stride[d]);
  shape.erase(d);
  stride.erase(d);
  OpAttrs attrs = dim_attrs(d);
  attrs.set(SelectAttrs{index});
  return recorded(OpId::select, *this, detail::make_view_keep_pending(*this, shape, stride, offset), attrs);
}

// y[i0, i1, ...] = storage[offset + sum_k i_k * strides[k]]
Tensor Tensor::as_strided(IntList sizes, IntList strides, std::optional<int64_t> storage_offset) const {
  check_defined("as_strided");
  if (impl()->pending_node != 0) (void)storage();  // storage offsets need the real memory: run a pending op first
  REEL_CHECK(sizes.size() == strides.size(), "as_strided: {} sizes {} but {} strides {}", sizes.size(),
             shape_str(sizes), strides.size(), shape_str(strides));
  const int64_t offset = storage_offset.value_or(this->storage_offset());
  REEL_CHECK(offset >= 0, "as_strided: storage offset must be non-negative, got {}", offset);
  const int64_t count = checked_numel(sizes, "as_strided");
  int64_t last = offset;  // the highest element index the view touches
  bool last_fits = true;  // false when it is past int64, so past any storage
  for (size_t i = 0; i < sizes.size(); ++i) {
    REEL_CHECK(strides[i] >= 0, "as_strided: negative stride {} in {} is not supported", strides[i],
               shape_str(strides));
    int64_t extent = 0;
    if (count > 0) {
      last_fits = last_fits && !__builtin_mul_overflow(sizes[i] - 1, strides[i], &extent) &&
                  !__builtin_add_overflow(last, extent, &last);
    }
  }
  REEL_CHECK(last_fits, "as_strided: sizes {}, strides {} and offset {} reach beyond element 2^63", shape_str(sizes),
             shape_str(strides), offset);
  const int64_t storage_elements = static_cast<int64_t>(storage()->nbytes) / element_size();
  REEL_CHECK(count == 0 || last < storage_elements,
             "as_strided: sizes {}, strides {} and offset {} reach element {} but the storage holds only {} "
             "elements", shape_str(sizes), shape_str(strides), offset, last, storage_elements);
  // attrs.dims = output sizes, output strides, then this tensor's strides; dim = the output rank; AsStridedAttrs:
  // the output's and this tensor's storage offsets (the backward maps storage positions).
  OpAttrs attrs = dims_attrs(sizes);
  for (int64_t stride : strides) attrs.dims.push_back(stride);
  for (int64_t stride : this->strides()) attrs.dims.push_back(stride);
  attrs.dim = static_cast<int64_t>(sizes.size());
  attrs.set(AsStridedAttrs{.storage_offset = offset, .base_offset = this->storage_offset()});
  return recorded(OpId::as_strided, *this, detail::make_view_keep_pending(*this, sizes, strides, offset), attrs);
}

// y[..., i] = x[..., i, ..., i + offset, ...]: dims dim1 and dim2 are dropped and their diagonal (offset above
// the main one when positive, below when negative) becomes the last dim, stride = stride1 + stride2.
Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  check_defined("diagonal");
  REEL_CHECK(this->dim() >= 2, "diagonal: expected a tensor of at least 2 dims, got shape {}", shape_str(sizes()));
  const int64_t d1 = wrap_dim(dim1, this->sizes(), "diagonal");
  const int64_t d2 = wrap_dim(dim2, this->sizes(), "diagonal");
  REEL_CHECK(d1 != d2, "diagonal: diagonal dimensions cannot be identical {}, {} (shape {})", dim1, dim2,
             shape_str(sizes()));
  const int64_t size1 = impl()->sizes[d1], size2 = impl()->sizes[d2];
  // offset >= 0 starts at column offset, offset < 0 at row -offset; no element when that lies outside.
  int64_t length = 0;
  if (offset >= 0) length = offset >= size2 ? 0 : std::min(size1, size2 - offset);
  else length = -offset >= size1 ? 0 : std::min(size1 + offset, size2);
  int64_t start = storage_offset();
  if (length > 0) start += offset >= 0 ? offset * impl()->strides[d2] : -offset * impl()->strides[d1];
  DimVector shape(sizes());
  DimVector stride(strides());
  const int64_t diagonal_stride = stride[d1] + stride[d2];
  const auto high = static_cast<size_t>(std::max(d1, d2)), low = static_cast<size_t>(std::min(d1, d2));
  shape.erase(high);
  shape.erase(low);
  stride.erase(high);
  stride.erase(low);
  shape.push_back(length);
  stride.push_back(diagonal_stride);
  OpAttrs attrs;
  attrs.set(DiagonalViewAttrs{offset, d1, d2});
  return recorded(OpId::diagonal, *this, detail::make_view_keep_pending(*this, shape, stride, start), attrs);
}

// Splits dim into `chunks` nearly equal narrows of ceil(size / chunks) (the last may be smaller).
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const {
  check_defined("chunk");
  REEL_CHECK(this->dim() > 0, "chunk: cannot be applied to a 0-dim tensor");
  REEL_CHECK(chunks > 0, "chunk: number of chunks must be positive, got {}", chunks);
  const int64_t d = wrap_dim(dim, this->sizes(), "chunk");
  const int64_t size = impl()->sizes[d];
  if (size == 0) return split(std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split((size + chunks - 1) / chunks, d);
}

// Narrows of split_size along dim; the last holds what remains.
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const {
  check_defined("split");
  REEL_CHECK(this->dim() > 0, "split: cannot be applied to a 0-dim tensor");
  REEL_CHECK(split_size >= 0, "split: split_size must be non-negative, got {}", split_size);
  const int64_t d = wrap_dim(dim, this->sizes(), "split");
  const int64_t size = impl()->sizes[d];
  REEL_CHECK(split_size > 0 || size == 0, "split: split_size 0 cannot split dim {} of size {} (shape {})", d, size,
             shape_str(sizes()));
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((size + split_size - 1) / split_size, 1);
  std::vector<Tensor> parts;
  parts.reserve(static_cast<size_t>(pieces));
  for (int64_t i = 0; i < pieces; ++i) {
    const int64_t start = i * split_size;
    parts.push_back(narrow(d, start, std::min(split_size, size - start)));
  }
  return parts;
}

// Narrows of the given sizes along dim; they must add up to the dim's size.
std::vector<Tensor> Tensor::split(IntList split_sizes, int64_t dim) const {
  check_defined("split");
  REEL_CHECK(this->dim() > 0, "split: cannot be applied to a 0-dim tensor");
  const int64_t d = wrap_dim(dim, this->sizes(), "split");
  const int64_t size = impl()->sizes[d];
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    REEL_CHECK(s >= 0, "split: split sizes {} contain the negative size {}", shape_str(split_sizes), s);
    total += s;
  }
  REEL_CHECK(total == size, "split: split sizes {} add up to {} but dim {} has size {} (shape {})",
             shape_str(split_sizes), total, d, size, shape_str(sizes()));
  std::vector<Tensor> parts;
  parts.reserve(split_sizes.size());
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    parts.push_back(narrow(d, start, s));
    start += s;
  }
  return parts;
}

// [select(x, dim, 0), select(x, dim, 1), ...]
std::vector<Tensor> Tensor::unbind(int64_t dim) const {
  check_defined("unbind");
  REEL_CHECK(this->dim() > 0, "unbind: cannot be applied to a 0-dim tensor");
  const int64_t d = wrap_dim(dim, this->sizes(), "unbind");
  std::vector<Tensor> parts;
  parts.reserve(static_cast<size_t>(impl()->sizes[d]));
  for (int64_t i = 0; i < impl()->sizes[d]; ++i) parts.push_back(select(d, i));
  return parts;
}

}  // namespace reel
