// reel/cpu/index.cpp — CPU kernels of the index ops: index_select, gather, scatter, scatter_add, index_add and
// one_hot.
//
// The front door (tensor/ops_index.cpp) has checked ranks, shapes and dtypes and made the index tensor
// contiguous. Index values are data, so only a kernel can check them: every kernel first validates all of
// its indices (reel::Error naming the op, the bad value and the valid range) and only then writes, so a bad
// index never writes anywhere. Indices do not wrap: -1 is an error, as in PyTorch.
// Accumulating kernels are deterministic: scatter_add and index_add split work between threads by output
// slice, and each slice adds its contributions in index order, whatever the thread count.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

constexpr int64_t kGrainElements = 16384;  // elements of work below which a loop stays on one thread
constexpr int64_t kRowBlock = 64;          // scatter rows handled together when the scatter dim is not innermost

// Calls fn.template operator()<I>() with the C++ type of an index tensor (int32 or int64).
template <typename Fn>
void dispatch_index(const Tensor& index, const char* op, Fn&& fn) {
  if (index.dtype() == kInt64) fn.template operator()<int64_t>();
  else if (index.dtype() == kInt32) fn.template operator()<int32_t>();
  else throw_unsupported_dtype(op, index.dtype());
}

// Throws unless every index of the contiguous tensor `index` lies in [0, sizes[dim]).
template <typename I>
void check_indices(const Tensor& index, IntList sizes, int64_t dim, const char* op) {
  const int64_t size = sizes[static_cast<size_t>(dim)];
  const I* values = static_cast<const I*>(index.data_ptr());
  for (int64_t i = 0; i < index.numel(); ++i) {
    const int64_t v = static_cast<int64_t>(values[i]);
    REEL_CHECK(v >= 0 && v < size,
               "{}: index {} is out of bounds for dim {} with size {} (valid range [0, {})) of the input of shape {}",
               op, v, dim, size, size, shape_str(sizes));
  }
}

// Sizes and strides with a 0-dim tensor read as one element of shape [1].
DimVector sizes_of(const Tensor& t) { return t.dim() == 0 ? DimVector{1} : DimVector(t.sizes()); }
DimVector strides_of(const Tensor& t) { return t.dim() == 0 ? DimVector{0} : DimVector(t.strides()); }

// Element offsets, in each of `count` stride sets, of row `row`: a row-major linear index over every dim of
// `sizes` except `skip` (whose coordinate counts as 0).
void row_offsets(const DimVector& sizes, int64_t skip, int64_t row, const DimVector* const* strides, int count,
                 int64_t* offsets) {
  for (int s = 0; s < count; ++s) offsets[s] = 0;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    if (d == skip) continue;
    const int64_t coordinate = row % sizes[d];
    row /= sizes[d];
    for (int s = 0; s < count; ++s) offsets[s] += coordinate * (*strides[s])[d];
  }
}

// y = a + alpha * b in T's arithmetic (bool: a || (alpha && b)).
template <typename T>
inline T add_scaled(T a, T b, compute_t<T> alpha) {
  if constexpr (std::is_same_v<T, bool>) return a || (alpha && b);
  else return static_cast<T>(static_cast<compute_t<T>>(a) + alpha * static_cast<compute_t<T>>(b));
}

// ---- index_select: y[..., i, ...] = x[..., index[i], ...] -------------------------------------------------------
// inputs: x (contiguous), index (contiguous, 1-D or 0-dim, int32/int64); outputs: y (contiguous); attrs.dim.
void index_select_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& index = args.inputs[1];
  Tensor& out = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  const DimVector x_sizes = sizes_of(x);
  const int64_t source_size = x_sizes[dim];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x_sizes[d];
  for (size_t d = static_cast<size_t>(dim) + 1; d < x_sizes.size(); ++d) inner *= x_sizes[d];
  const int64_t count = index.numel();
  dispatch_index(index, "index_select", [&]<typename I>() {
    check_indices<I>(index, x_sizes, dim, "index_select");
    if (out.numel() == 0) return;
    const I* indices = static_cast<const I*>(index.data_ptr());
    dispatch_dtype(x.dtype(), "index_select", [&]<typename T>() {
      const T* source = static_cast<const T*>(x.data_ptr());
      T* target = static_cast<T*>(out.data_ptr());
      const int64_t grain = std::max<int64_t>(1, kGrainElements / inner);
      parallel_for(0, outer * count, grain, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t o = row / count, i = row % count;
          const T* from = source + (o * source_size + static_cast<int64_t>(indices[i])) * inner;
          std::copy(from, from + inner, target + row * inner);
        }
      });
    });
  });
}

// ---- gather: y[i][j] = x[i][index[i][j]] (dim = 1) ------------------------------------------------------------------
// inputs: x (any strides), index (contiguous int64, x's rank); outputs: y (contiguous, index's shape); attrs.dim.
void gather_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& index = args.inputs[1];
  Tensor& out = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  check_indices<int64_t>(index, sizes_of(x), dim, "gather");
  if (out.numel() == 0) return;
  const DimVector sizes = sizes_of(index);
  const DimVector out_strides = contiguous_strides(sizes);
  DimVector x_strides = strides_of(x);
  const int64_t dim_stride = x_strides[dim];
  x_strides[dim] = 0;  // the index replaces the coordinate along dim
  const int64_t last = static_cast<int64_t>(sizes.size()) - 1;
  const int64_t length = sizes[last], x_step = x_strides[last];
  const DimVector* stride_sets[] = {&out_strides, &x_strides};
  const int64_t* indices = index.data_ptr<int64_t>();
  dispatch_dtype(x.dtype(), "gather", [&]<typename T>() {
    const T* source = static_cast<const T*>(x.data_ptr());
    T* target = static_cast<T*>(out.data_ptr());
    parallel_for(0, out.numel() / length, std::max<int64_t>(1, kGrainElements / length), [&](int64_t begin, int64_t end) {
      int64_t offsets[2];
      for (int64_t row = begin; row < end; ++row) {
        row_offsets(sizes, last, row, stride_sets, 2, offsets);
        const int64_t* row_indices = indices + offsets[0];
        T* row_target = target + offsets[0];
        const T* row_source = source + offsets[1];
        for (int64_t j = 0; j < length; ++j) row_target[j] = row_source[j * x_step + row_indices[j] * dim_stride];
      }
    });
  });
}

// ---- scatter / scatter_add: y[i][index[i][j]] (=|+=) src[i][j] (dim = 1) ---------------------------------------------
// inputs: index (contiguous int64) and, when ScatterAttrs::has_src, src (any strides); outputs: self, written in
// place (any strides); attrs: dim, ScatterAttrs (value: written when there is no src tensor).
// Work is split by rows: a row fixes every coordinate except dim, so different rows write different elements
// and each row applies its updates in index order.
template <typename T, bool Accumulate>
void scatter_loop(const Tensor& index, const Tensor* src, Tensor& self, int64_t dim, T value) {
  const DimVector sizes = sizes_of(index);
  const DimVector index_strides = contiguous_strides(sizes);
  const DimVector self_strides = strides_of(self);
  const DimVector src_strides = src ? strides_of(*src) : DimVector(sizes.size(), 0);
  const DimVector* stride_sets[] = {&index_strides, &self_strides, &src_strides};
  const int64_t length = sizes[dim];
  const int64_t index_step = index_strides[dim], self_step = self_strides[dim], src_step = src_strides[dim];
  const int64_t* indices = index.data_ptr<int64_t>();
  T* target = static_cast<T*>(self.data_ptr());
  const T* source = src ? static_cast<const T*>(src->data_ptr()) : nullptr;
  auto update = [&](int64_t self_offset, int64_t src_offset) {
    const T incoming = source ? source[src_offset] : value;
    if constexpr (Accumulate) target[self_offset] = add_scaled<T>(target[self_offset], incoming, compute_t<T>(1));
    else target[self_offset] = incoming;
  };
  // When dim is the innermost dim, a row's updates are close together: walk each row to its end. Otherwise
  // neighbouring rows are close: walk a block of rows together, one index position at a time.
  const bool dim_innermost = dim == static_cast<int64_t>(sizes.size()) - 1;
  const int64_t rows = index.numel() / length;
  parallel_for(0, rows, std::max<int64_t>(1, kGrainElements / length), [&](int64_t begin, int64_t end) {
    int64_t offsets[kRowBlock][3];
    const int64_t block = dim_innermost ? 1 : kRowBlock;
    for (int64_t first = begin; first < end; first += block) {
      const int64_t count = std::min(block, end - first);
      for (int64_t r = 0; r < count; ++r) row_offsets(sizes, dim, first + r, stride_sets, 3, offsets[r]);
      for (int64_t t = 0; t < length; ++t) {
        for (int64_t r = 0; r < count; ++r) {
          const int64_t idx = indices[offsets[r][0] + t * index_step];
          update(offsets[r][1] + idx * self_step, offsets[r][2] + t * src_step);
        }
      }
    }
  });
}

void scatter_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor* src = args.attrs->get<ScatterAttrs>().has_src ? &args.inputs[1] : nullptr;
  Tensor& self = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  const char* name = op_name(args.op).data();
  check_indices<int64_t>(index, sizes_of(self), dim, name);
  if (index.numel() == 0) return;
  const bool accumulate = args.op == OpId::scatter_add;
  dispatch_dtype(self.dtype(), name, [&]<typename T>() {
    const T value = args.attrs->get<ScatterAttrs>().value.to<T>();
    if (accumulate) scatter_loop<T, true>(index, src, self, dim, value);
    else scatter_loop<T, false>(index, src, self, dim, value);
  });
}

// ---- index_add: y[..., index[i], ...] += alpha * src[..., i, ...] ---------------------------------------------------
// inputs: index (contiguous, 1-D or 0-dim, int32/int64), source (contiguous); outputs: self, contiguous, updated in
// place; attrs: dim, IndexAddAttrs. Threads split the slices y[o, :, j-block]; each adds its sources in index
// order.
void index_add_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor& source = args.inputs[1];
  Tensor& self = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  const DimVector self_sizes = sizes_of(self);
  const int64_t self_size = self_sizes[dim], count = index.numel();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= self_sizes[d];
  for (size_t d = static_cast<size_t>(dim) + 1; d < self_sizes.size(); ++d) inner *= self_sizes[d];
  dispatch_index(index, "index_add", [&]<typename I>() {
    check_indices<I>(index, self_sizes, dim, "index_add");
    if (count == 0 || self.numel() == 0) return;
    const I* indices = static_cast<const I*>(index.data_ptr());
    dispatch_dtype(self.dtype(), "index_add", [&]<typename T>() {
      const compute_t<T> alpha = args.attrs->get<IndexAddAttrs>().alpha.to<compute_t<T>>();
      T* target = static_cast<T*>(self.data_ptr());
      const T* from = static_cast<const T*>(source.data_ptr());
      const int64_t column_block = std::min<int64_t>(inner, 4096);
      const int64_t column_blocks = (inner + column_block - 1) / column_block;
      const int64_t work_per_task = std::max<int64_t>(1, count * column_block);
      parallel_for(0, outer * column_blocks, std::max<int64_t>(1, kGrainElements / work_per_task),
                   [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t o = task / column_blocks;
          const int64_t j0 = (task % column_blocks) * column_block, j1 = std::min(inner, j0 + column_block);
          for (int64_t i = 0; i < count; ++i) {
            T* to_row = target + (o * self_size + static_cast<int64_t>(indices[i])) * inner;
            const T* from_row = from + (o * count + i) * inner;
            for (int64_t j = j0; j < j1; ++j) to_row[j] = add_scaled<T>(to_row[j], from_row[j], alpha);
          }
        }
      });
    });
  });
}

// ---- one_hot: y[..., c] = (x[...] == c) ------------------------------------------------------------------------------
// inputs: x (contiguous int64); outputs: y (contiguous int64, x's shape + [classes]); attrs: OneHotAttrs.
void one_hot_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  Tensor& out = args.outputs[0];
  const int64_t classes = args.attrs->get<OneHotAttrs>().num_classes;
  const int64_t* values = index.data_ptr<int64_t>();
  for (int64_t i = 0; i < index.numel(); ++i) {
    REEL_CHECK(values[i] >= 0, "one_hot: class values must be non-negative, got {}", values[i]);
    REEL_CHECK(values[i] < classes, "one_hot: class values must be smaller than num_classes ({}), got {}", classes,
               values[i]);
  }
  int64_t* target = out.data_ptr<int64_t>();
  std::fill(target, target + out.numel(), int64_t{0});
  for (int64_t i = 0; i < index.numel(); ++i) target[i * classes + values[i]] = 1;
}

}  // namespace

void register_index_kernels() {
  register_kernel(OpId::index_select, kCPU, &index_select_kernel);
  register_kernel(OpId::gather, kCPU, &gather_kernel);
  register_kernel(OpId::scatter, kCPU, &scatter_kernel);
  register_kernel(OpId::scatter_add, kCPU, &scatter_kernel);
  register_kernel(OpId::index_add, kCPU, &index_add_kernel);
  register_kernel(OpId::one_hot, kCPU, &one_hot_kernel);
}

}  // namespace reel::cpu
