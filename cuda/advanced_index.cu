// reel/cuda/advanced_index.cu — CUDA kernels of advanced indexing: index, index_put, nonzero and scatter_reduce (the
// CPU versions are cpu/advanced_index.cpp; the front doors, tensor/ops_advanced_index.cpp and ops_scatter_reduce.cpp,
// have checked shapes and dtypes and stacked the broadcast index tensors into one contiguous int64 [k, B...] tensor).
//
// Index values are data, so the kernels check them before anything is written: a first kernel validates (and
// wraps) every index, records the position of the first bad one with atomicMin, and that one number comes back to
// the host, where an out-of-range index throws the CPU's reel::Error. index and index_put then run one thread per
// (b, rest) element of the geometry (tensor/advanced_index.h). index_put with accumulate and scatter_reduce combine
// with atomics (cuda/atomics.cuh): integer sums, products and every max / min are exact and order-free; floating
// sums and products depend on the order the atomics land in (they can differ from the CPU's ordered result by
// rounding). index_put without accumulate keeps one of clashing values (unspecified which, as in PyTorch).
#include <climits>

#include "cuda/atomics.cuh"
#include "cuda/kernels.h"
#include "cuda/shape_layout.cuh"
#include "tensor/advanced_index.h"
#include "tensor/dispatch.h"
#include "tensor/scalar_math.h"

namespace reel::cuda {

namespace {

// ---- index validation -----------------------------------------------------------------------------------------------
__global__ void reset_first_bad(unsigned long long* first_bad) { *first_bad = ULLONG_MAX; }

// offsets[b] = sum_j wrap(indices[j][b]) * dims.strides[j] (dims.sizes[j]: the size of the j-th indexed dim); an index
// outside [-size, size) records its position j * count + b in *first_bad (the smallest one wins).
__global__ void indexed_offsets(const int64_t* indices, StridedLayout dims, int64_t count, int64_t* offsets,
                                unsigned long long* first_bad) {
  for (int64_t b = first_element(); b < count; b += element_step()) {
    int64_t offset = 0;
    for (int j = 0; j < dims.ndim; ++j) {
      int64_t v = indices[j * count + b];
      const int64_t size = dims.sizes[j];
      if (v < -size || v >= size) {
        atomicMin(first_bad, static_cast<unsigned long long>(j * count + b));
        continue;
      }
      if (v < 0) v += size;
      offset += v * dims.strides[j];
    }
    offsets[b] = offset;
  }
}

// Records in *first_bad the first position of values[0, n) outside [0, high).
__global__ void check_range(const int64_t* values, int64_t n, int64_t high, unsigned long long* first_bad) {
  for (int64_t e = first_element(); e < n; e += element_step()) {
    if (values[e] < 0 || values[e] >= high) atomicMin(first_bad, static_cast<unsigned long long>(e));
  }
}

// The slot the check kernels write: one device number, reset before a check.
struct FirstBad {
  Tensor slot;
  FirstBad(Device device) : slot(Tensor::make({1}, kInt64, device)) {
    reset_first_bad<<<1, 1, 0, current_raw_stream()>>>(pointer());
    check_launch("reset_first_bad");
  }
  unsigned long long* pointer() const { return static_cast<unsigned long long*>(slot.data_ptr()); }
  // The recorded position (-1: none), and the index value there.
  int64_t position(const int64_t* values, int64_t& value) const {
    unsigned long long host = 0;
    const cudaStream_t stream = current_raw_stream();
    REEL_CUDA_CHECK(cudaMemcpyAsync(&host, pointer(), sizeof host, cudaMemcpyDeviceToHost, stream));
    REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (host == ULLONG_MAX) return -1;
    REEL_CUDA_CHECK(cudaMemcpyAsync(&value, values + host, sizeof value, cudaMemcpyDeviceToHost, stream));
    REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
    return static_cast<int64_t>(host);
  }
};

// The self offset of every b, after checking every index (throws the CPU's error for the first bad one).
Tensor checked_offsets(const char* op, const Tensor& self, const Tensor& indices, IntList dims, int64_t count) {
  Tensor offsets = Tensor::make({count}, kInt64, self.device());
  if (count == 0) return offsets;
  DimVector sizes, strides;
  for (int64_t d : dims) {
    sizes.push_back(self.size(d));
    strides.push_back(self.stride(d));
  }
  const StridedLayout layout = make_layout(sizes, strides, op);
  FirstBad first_bad(self.device());
  indexed_offsets<<<blocks_for(count), kThreadsPerBlock, 0, current_raw_stream()>>>(
      indices.data_ptr<int64_t>(), layout, count, offsets.data_ptr<int64_t>(), first_bad.pointer());
  check_launch("indexed_offsets");
  int64_t value = 0;
  const int64_t bad = first_bad.position(indices.data_ptr<int64_t>(), value);
  if (bad >= 0) {
    const int64_t j = bad / count;
    throw_index_out_of_range(op, value, dims[static_cast<size_t>(j)], sizes[static_cast<size_t>(j)]);
  }
  return offsets;
}

AdvancedIndexGeometry geometry_of(const Tensor& self, const Tensor& indices, IntList dims) {
  const IntList stacked = indices.sizes();
  return advanced_index_geometry(self.sizes(), self.strides(), dims, IntList(stacked.data() + 1, stacked.size() - 1));
}

// ---- kernels --------------------------------------------------------------------------------------------------------
// out[b * index_stride + rest_out(r)] = x[offsets[b] + rest_x(r)], e = b * rest_count + r.
template <typename Bits>
__global__ void index_elements(const Bits* x, Bits* out, const int64_t* offsets, StridedLayout rest_x,
                               StridedLayout rest_out, int64_t index_stride, int64_t rest_count, int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t b = e / rest_count, r = e - b * rest_count;
    out[b * index_stride + strided_offset(r, rest_out)] = x[offsets[b] + strided_offset(r, rest_x)];
  }
}

// self[offsets[b] + rest_self(r)] (=|+=) values[b * index_stride + rest_values(r)].
template <typename T, bool Accumulate>
__global__ void index_put_elements(T* self, const T* values, const int64_t* offsets, StridedLayout rest_self,
                                   StridedLayout rest_values, int64_t index_stride, int64_t rest_count,
                                   int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t b = e / rest_count, r = e - b * rest_count;
    T* target = self + offsets[b] + strided_offset(r, rest_self);
    const T value = values[b * index_stride + strided_offset(r, rest_values)];
    if constexpr (Accumulate) atomic_add_scaled<T>(target, value, compute_t<T>(1));
    else *target = value;
  }
}

// Element i of x is the running[i]-th nonzero when the running count steps there: write its coordinates.
__global__ void nonzero_elements(const int64_t* running, StridedLayout shape, int64_t* out, int64_t numel) {
  for (int64_t i = first_element(); i < numel; i += element_step()) {
    const int64_t before = i == 0 ? 0 : running[i - 1];
    if (running[i] == before) continue;
    int64_t* row = out + before * shape.ndim;
    int64_t rem = i;
    for (int d = shape.ndim - 1; d >= 0; --d) {
      row[d] = rem % shape.sizes[d];
      rem /= shape.sizes[d];
    }
  }
}

// self[coordinates of e with dim's replaced by index[e]] = identity (scatter_reduce without include_self).
template <typename T>
__global__ void scatter_identity_elements(const int64_t* index, T* self, StridedLayout self_layout,
                                          int64_t self_dim_stride, T identity, int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step())
    self[strided_offset(e, self_layout) + index[e] * self_dim_stride] = identity;
}

// self[coordinates of e with dim's replaced by index[e]] = combine(that, src[coordinates of e]).
template <typename T, typename Combine>
__global__ void scatter_reduce_elements(const int64_t* index, T* self, StridedLayout self_layout,
                                        int64_t self_dim_stride, const T* src, StridedLayout src_layout, int64_t numel,
                                        Combine combine) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    T* target = self + strided_offset(e, self_layout) + index[e] * self_dim_stride;
    const T value = src[strided_offset(e, src_layout)];
    if constexpr (std::is_same_v<Combine, AddFn>) atomic_add_scaled<T>(target, value, compute_t<T>(1));
    else atomic_combine<T>(target, value, combine);
  }
}

// ---- index: y[b, r] = x[offset(b) + rest(r)] -------------------------------------------------------------------------
// inputs: x (any strides), indices (contiguous int64 [k, B...]); outputs: y (row-major); attrs.dims.
void index_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& indices = args.inputs[1];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const AdvancedIndexGeometry g = geometry_of(x, indices, args.attrs->dims);
  const Tensor offsets = checked_offsets("index", x, indices, args.attrs->dims, g.count);
  if (out.numel() == 0) return;
  const StridedLayout rest_x = make_layout(g.rest_sizes, g.rest_self_strides, "index");
  const StridedLayout rest_out = make_layout(g.rest_sizes, g.rest_result_strides, "index");
  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    index_elements<Bits><<<blocks_for(out.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<const Bits*>(x.data_ptr()), static_cast<Bits*>(out.data_ptr()), offsets.data_ptr<int64_t>(),
        rest_x, rest_out, g.result_index_stride, g.rest_count, out.numel());
    check_launch("index_elements");
  });
}

// ---- index_put: self[offset(b) + rest(r)] (=|+=) values[b, r] ---------------------------------------------------------
// inputs: indices (contiguous int64 [k, B...]), values (row-major); outputs: self, written in place; attrs.dims,
// IndexPutAttrs.
void index_put_kernel(const KernelArgs& args) {
  const Tensor& indices = args.inputs[0];
  const Tensor& values = args.inputs[1];
  Tensor& self = args.outputs[0];
  set_current_device(self.device());
  const bool accumulate = args.attrs->get<IndexPutAttrs>().accumulate;
  const AdvancedIndexGeometry g = geometry_of(self, indices, args.attrs->dims);
  const Tensor offsets = checked_offsets("index_put_", self, indices, args.attrs->dims, g.count);
  const int64_t numel = g.count * g.rest_count;
  if (numel == 0) return;
  const StridedLayout rest_self = make_layout(g.rest_sizes, g.rest_self_strides, "index_put_");
  const StridedLayout rest_values = make_layout(g.rest_sizes, g.rest_result_strides, "index_put_");
  dispatch_dtype(self.dtype(), "index_put_", [&]<typename T>() {
    T* self_data = static_cast<T*>(self.data_ptr());
    const T* value_data = static_cast<const T*>(values.data_ptr());
    const unsigned blocks = blocks_for(numel);
    const cudaStream_t stream = current_raw_stream();
    if (accumulate) {
      index_put_elements<T, true><<<blocks, kThreadsPerBlock, 0, stream>>>(
          self_data, value_data, offsets.data_ptr<int64_t>(), rest_self, rest_values, g.result_index_stride,
          g.rest_count, numel);
    } else {
      index_put_elements<T, false><<<blocks, kThreadsPerBlock, 0, stream>>>(
          self_data, value_data, offsets.data_ptr<int64_t>(), rest_self, rest_values, g.result_index_stride,
          g.rest_count, numel);
    }
    check_launch("index_put_elements");
  });
}

// ---- nonzero --------------------------------------------------------------------------------------------------------
// inputs: positions (contiguous int64: running count of nonzeros, inclusive); outputs: y [count, rank] int64;
// attrs.dims: x's sizes.
void nonzero_kernel(const KernelArgs& args) {
  const Tensor& positions = args.inputs[0];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  if (out.numel() == 0) return;
  const DimVector& sizes = args.attrs->dims;
  const StridedLayout shape = make_layout(sizes, contiguous_strides(sizes), "nonzero");
  nonzero_elements<<<blocks_for(positions.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
      positions.data_ptr<int64_t>(), shape, out.data_ptr<int64_t>(), positions.numel());
  check_launch("nonzero_elements");
}

// ---- scatter_reduce ---------------------------------------------------------------------------------------------------
// inputs: index (contiguous int64, self's rank), src (any strides); outputs: self, updated in place; attrs.dim,
// ScatterReduceAttrs.
void scatter_reduce_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor& src = args.inputs[1];
  Tensor& self = args.outputs[0];
  set_current_device(self.device());
  const int64_t dim = args.attrs->dim;
  const ScatterReduceAttrs& attrs = args.attrs->get<ScatterReduceAttrs>();
  const int64_t numel = index.numel();
  if (numel == 0) return;
  const DimVector self_sizes = self.dim() == 0 ? DimVector{1} : DimVector(self.sizes());
  {
    FirstBad first_bad(self.device());
    check_range<<<blocks_for(numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
        index.data_ptr<int64_t>(), numel, self_sizes[dim], first_bad.pointer());
    check_launch("check_range");
    int64_t value = 0;
    REEL_CHECK(first_bad.position(index.data_ptr<int64_t>(), value) < 0,
               "scatter_reduce: index {} is out of bounds for dimension {} with size {} (self shape {})", value, dim,
               self_sizes[dim], shape_str(self.sizes()));
  }
  const DimVector sizes = index.dim() == 0 ? DimVector{1} : DimVector(index.sizes());
  DimVector self_strides = self.dim() == 0 ? DimVector{0} : DimVector(self.strides());
  const int64_t self_dim_stride = self_strides[dim];
  self_strides[dim] = 0;  // the index replaces the coordinate along dim
  const StridedLayout self_layout = make_layout(sizes, self_strides, "scatter_reduce");
  const StridedLayout src_layout =
      make_layout(sizes, src.dim() == 0 ? DimVector{0} : DimVector(src.strides()), "scatter_reduce");
  dispatch_dtype(self.dtype(), "scatter_reduce", [&]<typename T>() {
    T* self_data = static_cast<T*>(self.data_ptr());
    const T* src_data = static_cast<const T*>(src.data_ptr());
    const unsigned blocks = blocks_for(numel);
    const cudaStream_t stream = current_raw_stream();
    if (!attrs.include_self) {
      const T identity = static_cast<T>(scatter_identity<compute_t<T>>(attrs.reduce));
      scatter_identity_elements<T><<<blocks, kThreadsPerBlock, 0, stream>>>(
          index.data_ptr<int64_t>(), self_data, self_layout, self_dim_stride, identity, numel);
      check_launch("scatter_identity_elements");
    }
    auto launch = [&](auto combine) {
      scatter_reduce_elements<T><<<blocks, kThreadsPerBlock, 0, stream>>>(
          index.data_ptr<int64_t>(), self_data, self_layout, self_dim_stride, src_data, src_layout, numel, combine);
      check_launch("scatter_reduce_elements");
    };
    switch (attrs.reduce) {
      case ScatterReduction::sum: launch(AddFn()); break;
      case ScatterReduction::prod: launch(MulFn()); break;
      case ScatterReduction::amax: launch(MaximumFn()); break;
      case ScatterReduction::amin: launch(MinimumFn()); break;
    }
  });
}

}  // namespace

void register_advanced_index_kernels() {
  register_kernel(OpId::index, kCUDA, &index_kernel);
  register_kernel(OpId::index_put, kCUDA, &index_put_kernel);
  register_kernel(OpId::nonzero, kCUDA, &nonzero_kernel);
  register_kernel(OpId::scatter_reduce, kCUDA, &scatter_reduce_kernel);
}

}  // namespace reel::cuda
