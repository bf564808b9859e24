// reel/cuda/index.cu — CUDA kernels of the index ops: index_select, gather, scatter, scatter_add, index_add and
// one_hot (the CPU versions are cpu/index.cpp; the front doors, tensor/ops_index.cpp, have checked ranks, shapes
// and dtypes and made the index tensor contiguous).
//
// Index values are data, so only a kernel can check them. As on the CPU, every kernel validates all of its
// indices before it writes anything: a small reduction finds the index tensor's min and max on the device,
// the two numbers come back to the host, and an out-of-range value throws the same reel::Error as the CPU
// (naming the op, the bad value, the dim and the valid range). Indices do not wrap: -1 is an error.
// Then one thread handles one element (of the output, or of the index / source for the writing ops).
// scatter_add and index_add accumulate with atomics: atomicAdd for float32, float64, int32 and int64; a
// compare-and-swap loop on the enclosing 32-bit word for float16, bfloat16, uint8, int8 and int16, which computes each
// update exactly as the CPU does (float arithmetic, one rounding to the element type). Integer sums are exact
// whatever the order; floating sums depend on the order the atomics land in, so they can differ from the
// CPU's index-ordered sums by rounding. scatter with clashing indices leaves one of the clashing values
// (unspecified which, as in PyTorch).
#include <climits>
#include <cstring>
#include <type_traits>

#include "cuda/atomics.cuh"
#include "cuda/kernels.h"
#include "cuda/shape_layout.cuh"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

constexpr int64_t kMaxRangeBlocks = 1024;  // blocks of the index min/max reduction (each adds 16 atomics)

// Sizes and strides with a 0-dim tensor read as one element of shape [1] (as cpu/index.cpp).
DimVector sizes_of(const Tensor& t) { return t.dim() == 0 ? DimVector{1} : DimVector(t.sizes()); }
DimVector strides_of(const Tensor& t) { return t.dim() == 0 ? DimVector{0} : DimVector(t.strides()); }

// ---- index validation ------------------------------------------------------------------------------------------

__global__ void index_range_init(int64_t* range) {
  range[0] = LLONG_MAX;
  range[1] = LLONG_MIN;
}

// range[0] = min(index), range[1] = max(index): per-thread, then per-warp, then one atomic pair per warp.
template <typename I>
__global__ void index_range_reduce(const I* index, int64_t numel, int64_t* range) {
  long long low = LLONG_MAX, high = LLONG_MIN;
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const long long value = static_cast<long long>(index[e]);
    low = value < low ? value : low;
    high = value > high ? value : high;
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    const long long other_low = __shfl_down_sync(0xffffffffu, low, offset);
    const long long other_high = __shfl_down_sync(0xffffffffu, high, offset);
    low = other_low < low ? other_low : low;
    high = other_high > high ? other_high : high;
  }
  if ((threadIdx.x & 31u) == 0) {
    atomicMin(reinterpret_cast<long long*>(range), low);
    atomicMax(reinterpret_cast<long long*>(range) + 1, high);
  }
}

struct IndexRange {
  int64_t min = 0;
  int64_t max = 0;
};

// The smallest and largest value of a contiguous, non-empty int32/int64 index tensor on the current device.
template <typename I>
IndexRange index_range(const Tensor& index) {
  const cudaStream_t stream = current_raw_stream();
  Tensor range = Tensor::make({2}, kInt64, index.device());
  int64_t* range_data = static_cast<int64_t*>(range.data_ptr());
  index_range_init<<<1, 1, 0, stream>>>(range_data);
  check_launch("index_range_init");
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(blocks_for(index.numel()), kMaxRangeBlocks));
  index_range_reduce<I><<<blocks, kThreadsPerBlock, 0, stream>>>(static_cast<const I*>(index.data_ptr()),
                                                                  index.numel(), range_data);
  check_launch("index_range_reduce");
  int64_t host[2] = {0, 0};
  REEL_CUDA_CHECK(cudaMemcpyAsync(host, range_data, sizeof host, cudaMemcpyDeviceToHost, stream));
  REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
  return IndexRange{host[0], host[1]};
}

// Throws unless every index of the contiguous tensor `index` lies in [0, sizes[dim]) (message as cpu/index.cpp).
template <typename I>
void check_indices(const Tensor& index, IntList sizes, int64_t dim, const char* op) {
  if (index.numel() == 0) return;
  const IndexRange range = index_range<I>(index);
  const int64_t size = sizes[static_cast<size_t>(dim)];
  const int64_t bad = range.min < 0 ? range.min : range.max;
  REEL_CHECK(range.min >= 0 && range.max < size,
             "{}: index {} is out of bounds for dim {} with size {} (valid range [0, {})) of the input of shape {}",
             op, bad, dim, size, size, shape_str(sizes));
}

// Calls fn.template operator()<I>() with the C++ type of an index tensor (int32 or int64).
template <typename Fn>
void dispatch_index(const Tensor& index, const char* op, Fn&& fn) {
  if (index.dtype() == kInt64) fn.template operator()<int64_t>();
  else if (index.dtype() == kInt32) fn.template operator()<int32_t>();
  else throw_unsupported_dtype(op, index.dtype());
}

// ---- kernels -----------------------------------------------------------------------------------------------------

// y[o, i, j] = x[o, index[i], j] (x, y contiguous; inner = elements after dim).
template <typename Bits, typename I>
__global__ void index_select_elements(const Bits* x, const I* index, Bits* out, int64_t numel, int64_t count,
                                      int64_t inner, int64_t source_size) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t j = e % inner, i = (e / inner) % count, o = e / (inner * count);
    out[e] = x[(o * source_size + static_cast<int64_t>(index[i])) * inner + j];
  }
}

// y[e] = x[offset of e's coordinates with the dim coordinate replaced by index[e]]. x_layout: index's sizes,
// x's strides with dim's set to 0; dim_stride: x's stride along dim.
template <typename Bits>
__global__ void gather_elements(const Bits* x, StridedLayout x_layout, int64_t dim_stride, const int64_t* index,
                                Bits* out, int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step())
    out[e] = x[strided_offset(e, x_layout) + index[e] * dim_stride];
}

// self[coordinates of e, with dim's replaced by index[e]] (=|+=) src[coordinates of e] (or value without src).
// self_layout: index's sizes, self's strides with dim's set to 0; src_layout: index's sizes, src's strides.
template <typename T, bool Accumulate>
__global__ void scatter_elements(const int64_t* index, T* self, StridedLayout self_layout, int64_t self_dim_stride,
                                 const T* src, StridedLayout src_layout, T value, int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    T* target = self + strided_offset(e, self_layout) + index[e] * self_dim_stride;
    const T incoming = src ? src[strided_offset(e, src_layout)] : value;
    if constexpr (Accumulate) atomic_add_scaled<T>(target, incoming, compute_t<T>(1));
    else *target = incoming;
  }
}

// self[o, index[i], j] += alpha * source[o, i, j] (self, source contiguous).
template <typename T, typename I>
__global__ void index_add_elements(T* self, const T* source, const I* index, int64_t numel, int64_t count,
                                   int64_t inner, int64_t self_size, compute_t<T> alpha) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t j = e % inner, i = (e / inner) % count, o = e / (inner * count);
    atomic_add_scaled<T>(self + (o * self_size + static_cast<int64_t>(index[i])) * inner + j, source[e], alpha);
  }
}

// y[e, index[e]] = 1 on a zeroed y.
__global__ void one_hot_elements(const int64_t* index, int64_t* out, int64_t numel, int64_t classes) {
  for (int64_t e = first_element(); e < numel; e += element_step()) out[e * classes + index[e]] = 1;
}

// ---- index_select: y[..., i, ...] = x[..., index[i], ...] -------------------------------------------------------
// inputs: x (contiguous), index (contiguous, 1-D or 0-dim, int32/int64); outputs: y (contiguous); attrs.dim.
void index_select_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& index = args.inputs[1];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const int64_t dim = args.attrs->dim;
  const DimVector x_sizes = sizes_of(x);
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(dim) + 1; d < x_sizes.size(); ++d) inner *= x_sizes[d];
  dispatch_index(index, "index_select", [&]<typename I>() {
    check_indices<I>(index, x_sizes, dim, "index_select");
    if (out.numel() == 0) return;
    dispatch_element_size(x.element_size(), [&]<typename Bits>() {
      index_select_elements<Bits, I><<<blocks_for(out.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
          static_cast<const Bits*>(x.data_ptr()), static_cast<const I*>(index.data_ptr()),
          static_cast<Bits*>(out.data_ptr()), out.numel(), index.numel(), inner, x_sizes[dim]);
      check_launch("index_select_elements");
    });
  });
}

// ---- gather: y[i][j] = x[i][index[i][j]] (dim = 1) ------------------------------------------------------------------
// inputs: x (any strides), index (contiguous int64, x's rank); outputs: y (contiguous, index's shape); attrs.dim.
void gather_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& index = args.inputs[1];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const int64_t dim = args.attrs->dim;
  check_indices<int64_t>(index, sizes_of(x), dim, "gather");
  if (out.numel() == 0) return;
  DimVector x_strides = strides_of(x);
  const int64_t dim_stride = x_strides[dim];
  x_strides[dim] = 0;  // the index replaces the coordinate along dim
  const StridedLayout x_layout = make_layout(sizes_of(index), x_strides, "gather");
  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    gather_elements<Bits><<<blocks_for(out.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<const Bits*>(x.data_ptr()), x_layout, dim_stride, index.data_ptr<int64_t>(),
        static_cast<Bits*>(out.data_ptr()), out.numel());
    check_launch("gather_elements");
  });
}

// ---- scatter / scatter_add: y[i][index[i][j]] (=|+=) src[i][j] (dim = 1) --------------------------------------------
// inputs: index (contiguous int64) and, when ScatterAttrs::has_src, src (any strides); outputs: self, written in
// place (any strides); attrs: dim, ScatterAttrs (value: written when there is no src tensor).
void scatter_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor* src = args.attrs->get<ScatterAttrs>().has_src ? &args.inputs[1] : nullptr;
  Tensor& self = args.outputs[0];
  set_current_device(self.device());
  const int64_t dim = args.attrs->dim;
  const char* name = op_name(args.op).data();
  check_indices<int64_t>(index, sizes_of(self), dim, name);
  if (index.numel() == 0) return;
  const DimVector sizes = sizes_of(index);
  DimVector self_strides = strides_of(self);
  const int64_t self_dim_stride = self_strides[dim];
  self_strides[dim] = 0;  // the index replaces the coordinate along dim
  const StridedLayout self_layout = make_layout(sizes, self_strides, name);
  const StridedLayout src_layout = make_layout(sizes, src ? strides_of(*src) : DimVector(sizes.size(), 0), name);
  const bool accumulate = args.op == OpId::scatter_add;
  dispatch_dtype(self.dtype(), name, [&]<typename T>() {
    const T value = args.attrs->get<ScatterAttrs>().value.to<T>();
    const T* src_data = src ? static_cast<const T*>(src->data_ptr()) : nullptr;
    T* self_data = static_cast<T*>(self.data_ptr());
    const unsigned blocks = blocks_for(index.numel());
    const cudaStream_t stream = current_raw_stream();
    if (accumulate) {
      scatter_elements<T, true><<<blocks, kThreadsPerBlock, 0, stream>>>(
          index.data_ptr<int64_t>(), self_data, self_layout, self_dim_stride, src_data, src_layout, value,
          index.numel());
    } else {
      scatter_elements<T, false><<<blocks, kThreadsPerBlock, 0, stream>>>(
          index.data_ptr<int64_t>(), self_data, self_layout, self_dim_stride, src_data, src_layout, value,
          index.numel());
    }
    check_launch("scatter_elements");
  });
}

// ---- index_add: y[..., index[i], ...] += alpha * src[..., i, ...] ---------------------------------------------------
// inputs: index (contiguous, 1-D or 0-dim, int32/int64), source (contiguous); outputs: self, contiguous, updated in
// place; attrs: dim, IndexAddAttrs.
void index_add_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  const Tensor& source = args.inputs[1];
  Tensor& self = args.outputs[0];
  set_current_device(self.device());
  const int64_t dim = args.attrs->dim;
  const DimVector self_sizes = sizes_of(self);
  const int64_t count = index.numel();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= self_sizes[d];
  for (size_t d = static_cast<size_t>(dim) + 1; d < self_sizes.size(); ++d) inner *= self_sizes[d];
  const int64_t numel = outer * count * inner;  // source's elements, as [outer, count, inner]
  dispatch_index(index, "index_add", [&]<typename I>() {
    check_indices<I>(index, self_sizes, dim, "index_add");
    if (numel == 0) return;
    dispatch_dtype(self.dtype(), "index_add", [&]<typename T>() {
      const compute_t<T> alpha = args.attrs->get<IndexAddAttrs>().alpha.to<compute_t<T>>();
      index_add_elements<T, I><<<blocks_for(numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
          static_cast<T*>(self.data_ptr()), static_cast<const T*>(source.data_ptr()),
          static_cast<const I*>(index.data_ptr()), numel, count, inner, self_sizes[dim], alpha);
      check_launch("index_add_elements");
    });
  });
}

// ---- one_hot: y[..., c] = (x[...] == c) -----------------------------------------------------------------------------
// inputs: x (contiguous int64); outputs: y (contiguous int64, x's shape + [classes]); attrs: OneHotAttrs.
void one_hot_kernel(const KernelArgs& args) {
  const Tensor& index = args.inputs[0];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const int64_t classes = args.attrs->get<OneHotAttrs>().num_classes;
  if (index.numel() == 0) return;
  const IndexRange range = index_range<int64_t>(index);
  REEL_CHECK(range.min >= 0, "one_hot: class values must be non-negative, got {}", range.min);
  REEL_CHECK(range.max < classes, "one_hot: class values must be smaller than num_classes ({}), got {}", classes,
             range.max);
  const cudaStream_t stream = current_raw_stream();
  REEL_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, static_cast<size_t>(out.nbytes()), stream));
  one_hot_elements<<<blocks_for(index.numel()), kThreadsPerBlock, 0, stream>>>(
      index.data_ptr<int64_t>(), out.data_ptr<int64_t>(), index.numel(), classes);
  check_launch("one_hot_elements");
}

}  // namespace

void register_index_kernels() {
  register_kernel(OpId::index_select, kCUDA, &index_select_kernel);
  register_kernel(OpId::gather, kCUDA, &gather_kernel);
  register_kernel(OpId::scatter, kCUDA, &scatter_kernel);
  register_kernel(OpId::scatter_add, kCUDA, &scatter_kernel);
  register_kernel(OpId::index_add, kCUDA, &index_add_kernel);
  register_kernel(OpId::one_hot, kCUDA, &one_hot_kernel);
}

}  // namespace reel::cuda
