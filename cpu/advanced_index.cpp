// reel/cpu/advanced_index.cpp — CPU kernels of advanced indexing: index (gather by broadcast index tensors),
// index_put (write or accumulate at them), nonzero (the coordinates of the nonzeros) and scatter_reduce.
//
// The front doors (tensor/ops_advanced_index.cpp, ops_scatter_reduce.cpp) have checked shapes and dtypes, stacked
// the broadcast index tensors into one contiguous int64 [k, B...] tensor and computed the geometry
// (tensor/advanced_index.h). Index values are data, so the kernels check them: every index is validated (and a
// negative one wrapped) before anything is written, so a bad index writes nowhere.
// index_put and scatter_reduce are deterministic: work is split between threads by the elements of self a thread
// owns (index_put: the rest coordinates; scatter_reduce: the rows of the index), and each thread applies its updates
// in index order — with duplicate indices the last value written wins (accumulate = false), sums add in order.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/advanced_index.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/scalar_math.h"

namespace reel::cpu {

namespace {

constexpr int64_t kGrainElements = 16384;  // elements of work below which a loop stays on one thread

// Calls fn.template operator()<Bits>() with an unsigned type of the element size (the index kernels move bits).
template <typename Fn>
void dispatch_bits(int64_t bytes, Fn&& fn) {
  switch (bytes) {
    case 1: fn.template operator()<uint8_t>(); break;
    case 2: fn.template operator()<uint16_t>(); break;
    case 4: fn.template operator()<uint32_t>(); break;
    default: fn.template operator()<uint64_t>(); break;
  }
}

// offsets[b] = sum_j wrap(indices[j][b]) * self_strides[dims[j]]; throws for an index outside [-size, size).
std::vector<int64_t> indexed_offsets(const char* op, const Tensor& indices, IntList dims, IntList self_sizes,
                                     IntList self_strides, int64_t count) {
  std::vector<int64_t> offsets(static_cast<size_t>(count), 0);
  const int64_t* values = indices.data_ptr<int64_t>();
  for (size_t j = 0; j < dims.size(); ++j) {
    const int64_t dim = dims[j], size = self_sizes[dim], stride = self_strides[dim];
    const int64_t* row = values + static_cast<int64_t>(j) * count;
    for (int64_t b = 0; b < count; ++b) {
      int64_t v = row[b];
      if (v < -size || v >= size) throw_index_out_of_range(op, v, dim, size);
      if (v < 0) v += size;
      offsets[static_cast<size_t>(b)] += v * stride;
    }
  }
  return offsets;
}

// The self and result offsets of every rest coordinate r (row-major over the rest dims).
void rest_offsets(const AdvancedIndexGeometry& g, std::vector<int64_t>& self_offsets,
                  std::vector<int64_t>& result_offsets) {
  self_offsets.assign(static_cast<size_t>(g.rest_count), 0);
  result_offsets.assign(static_cast<size_t>(g.rest_count), 0);
  const int64_t rank = static_cast<int64_t>(g.rest_sizes.size());
  for (int64_t r = 0; r < g.rest_count; ++r) {
    int64_t rem = r, self_offset = 0, result_offset = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      const int64_t c = rem % g.rest_sizes[d];
      rem /= g.rest_sizes[d];
      self_offset += c * g.rest_self_strides[d];
      result_offset += c * g.rest_result_strides[d];
    }
    self_offsets[static_cast<size_t>(r)] = self_offset;
    result_offsets[static_cast<size_t>(r)] = result_offset;
  }
}

AdvancedIndexGeometry geometry_of(const Tensor& self, const Tensor& indices, IntList dims) {
  const IntList stacked = indices.sizes();
  return advanced_index_geometry(self.sizes(), self.strides(), dims, IntList(stacked.data() + 1, stacked.size() - 1));
}

// ---- index: y[b, r] = x[offset(b) + rest(r)] ---------------------------------------------------------------------
// inputs: x (any strides), indices (contiguous int64 [k, B...]); outputs: y (row-major, the geometry's
// result_sizes); attrs.dims: the indexed dims of x.
void index_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& indices = args.inputs[1];
  Tensor& out = args.outputs[0];
  const AdvancedIndexGeometry g = geometry_of(x, indices, args.attrs->dims);
  const std::vector<int64_t> offsets = indexed_offsets("index", indices, args.attrs->dims, x.sizes(), x.strides(), g.count);
  if (out.numel() == 0) return;
  std::vector<int64_t> self_rest, result_rest;
  rest_offsets(g, self_rest, result_rest);
  dispatch_bits(x.element_size(), [&]<typename Bits>() {
    const Bits* source = static_cast<const Bits*>(x.data_ptr());
    Bits* target = static_cast<Bits*>(out.data_ptr());
    parallel_for(0, g.count, std::max<int64_t>(1, kGrainElements / g.rest_count), [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        const Bits* from = source + offsets[static_cast<size_t>(b)];
        Bits* to = target + b * g.result_index_stride;
        for (int64_t r = 0; r < g.rest_count; ++r) to[result_rest[static_cast<size_t>(r)]] = from[self_rest[static_cast<size_t>(r)]];
      }
    });
  });
}

// ---- index_put: self[offset(b) + rest(r)] (=|+=) values[b, r] --------------------------------------------------------
// inputs: indices (contiguous int64 [k, B...]), values (row-major, the geometry's result_sizes); outputs: self,
// written in place (any strides, no internal overlap); attrs.dims, IndexPutAttrs. Threads split the rest
// coordinates (distinct elements of self); each walks b in order.
void index_put_kernel(const KernelArgs& args) {
  const Tensor& indices = args.inputs[0];
  const Tensor& values = args.inputs[1];
  Tensor& self = args.outputs[0];
  const bool accumulate = args.attrs->get<IndexPutAttrs>().accumulate;
  const AdvancedIndexGeometry g = geometry_of(self, indices, args.attrs->dims);
  const std::vector<int64_t> offsets =
      indexed_offsets("index_put_", indices, args.attrs->dims, self.sizes(), self.strides(), g.count);
  if (g.count == 0 || g.rest_count == 0) return;
  std::vector<int64_t> self_rest, result_rest;
  rest_offsets(g, self_rest, result_rest);
  dispatch_dtype(self.dtype(), "index_put_", [&]<typename T>() {
    const T* source = static_cast<const T*>(values.data_ptr());
    T* target = static_cast<T*>(self.data_ptr());
    parallel_for(0, g.rest_count, std::max<int64_t>(1, kGrainElements / g.count), [&](int64_t begin, int64_t end) {
      for (int64_t b = 0; b < g.count; ++b) {
        T* to = target + offsets[static_cast<size_t>(b)];
        const T* from = source + b * g.result_index_stride;
        for (int64_t r = begin; r < end; ++r) {
          T& element = to[self_rest[static_cast<size_t>(r)]];
          const T value = from[result_rest[static_cast<size_t>(r)]];
          if (accumulate) element = static_cast<T>(AddFn()(static_cast<compute_t<T>>(element), static_cast<compute_t<T>>(value)));
          else element = value;
        }
      }
    });
  });
}

// ---- nonzero: y[r, :] = coordinates of the r-th nonzero ----------------------------------------------------------
// inputs: positions (contiguous int64 [numel]: the running count of nonzeros of x, row-major, inclusive); outputs:
// y (row-major int64 [count, rank]); attrs.dims: x's sizes. Element i is the positions[i]-th nonzero when the count
// steps there.
void nonzero_kernel(const KernelArgs& args) {
  const Tensor& positions = args.inputs[0];
  Tensor& out = args.outputs[0];
  const DimVector& sizes = args.attrs->dims;
  const int64_t rank = static_cast<int64_t>(sizes.size());
  if (out.numel() == 0) return;
  const int64_t* running = positions.data_ptr<int64_t>();
  int64_t* coordinates = out.data_ptr<int64_t>();
  parallel_for(0, positions.numel(), kGrainElements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t before = i == 0 ? 0 : running[i - 1];
      if (running[i] == before) continue;
      int64_t* row = coordinates + before * rank;
      int64_t rem = i;
      for (int64_t d = rank - 1; d >= 0; --d) {
        row[d] = rem % sizes[d];
        rem /= sizes[d];
      }
    }
  });
}

// ---- scatter_reduce: y[i][index[i][j]] = reduce(y[i][index[i][j]], src[i][j]) (dim 1) -----------------------------
// inputs: index (contiguous int64, self's rank), src (any strides); outputs: self, updated in place (any strides);
// attrs.dim, ScatterReduceAttrs. Without include_self every element that receives a value first becomes the
// reduction's identity. A row fixes every coordinate but dim: threads split rows, each row applies its values in
// order along dim.
template <typename T, typename Combine>
void scatter_reduce_loop(const Tensor& index, const Tensor& src, Tensor& self, int64_t dim, bool include_self,
                         compute_t<T> identity, Combine combine) {
  const int64_t rank = index.dim() == 0 ? 1 : index.dim();
  const DimVector sizes = index.dim() == 0 ? DimVector{1} : DimVector(index.sizes());
  const DimVector index_strides = contiguous_strides(sizes);
  const DimVector self_strides = self.dim() == 0 ? DimVector{0} : DimVector(self.strides());
  const DimVector src_strides = src.dim() == 0 ? DimVector{0} : DimVector(src.strides());
  const int64_t length = sizes[dim];
  const int64_t rows = index.numel() / length;
  const int64_t* indices = index.data_ptr<int64_t>();
  T* target = static_cast<T*>(self.data_ptr());
  const T* source = static_cast<const T*>(src.data_ptr());
  auto row_bases = [&](int64_t row, int64_t& index_base, int64_t& self_base, int64_t& src_base) {
    index_base = self_base = src_base = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (d == dim) continue;
      const int64_t c = row % sizes[d];
      row /= sizes[d];
      index_base += c * index_strides[d];
      self_base += c * self_strides[d];
      src_base += c * src_strides[d];
    }
  };
  parallel_for(0, rows, std::max<int64_t>(1, kGrainElements / length), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t index_base, self_base, src_base;
      row_bases(row, index_base, self_base, src_base);
      if (!include_self) {
        for (int64_t t = 0; t < length; ++t)
          target[self_base + indices[index_base + t * index_strides[dim]] * self_strides[dim]] = static_cast<T>(identity);
      }
      for (int64_t t = 0; t < length; ++t) {
        T& element = target[self_base + indices[index_base + t * index_strides[dim]] * self_strides[dim]];
        element = static_cast<T>(combine(static_cast<compute_t<T>>(element),
                                         static_cast<compute_t<T>>(source[src_base + t * src_strides[dim]])));
      }
    }
  });
}

void scatter_reduce_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor& src = args.inputs[1];
  Tensor& self = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  const ScatterReduceAttrs& attrs = args.attrs->get<ScatterReduceAttrs>();
  const int64_t size = self.dim() == 0 ? 1 : self.size(dim);
  const int64_t* values = index.data_ptr<int64_t>();
  for (int64_t i = 0; i < index.numel(); ++i) {
    REEL_CHECK(values[i] >= 0 && values[i] < size,
               "scatter_reduce: index {} is out of bounds for dimension {} with size {} (self shape {})", values[i],
               dim, size, shape_str(self.sizes()));
  }
  if (index.numel() == 0) return;
  dispatch_dtype(self.dtype(), "scatter_reduce", [&]<typename T>() {
    using C = compute_t<T>;
    const C identity = scatter_identity<C>(attrs.reduce);
    switch (attrs.reduce) {
      case ScatterReduction::sum:
        scatter_reduce_loop<T>(index, src, self, dim, attrs.include_self, identity, AddFn());
        break;
      case ScatterReduction::prod:
        scatter_reduce_loop<T>(index, src, self, dim, attrs.include_self, identity, MulFn());
        break;
      case ScatterReduction::amax:
        scatter_reduce_loop<T>(index, src, self, dim, attrs.include_self, identity, MaximumFn());
        break;
      case ScatterReduction::amin:
        scatter_reduce_loop<T>(index, src, self, dim, attrs.include_self, identity, MinimumFn());
        break;
    }
  });
}

}  // namespace

void register_advanced_index_kernels() {
  register_kernel(OpId::index, kCPU, &index_kernel);
  register_kernel(OpId::index_put, kCPU, &index_put_kernel);
  register_kernel(OpId::nonzero, kCPU, &nonzero_kernel);
  register_kernel(OpId::scatter_reduce, kCPU, &scatter_reduce_kernel);
}

}  // namespace reel::cpu
