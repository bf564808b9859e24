// reel/cuda/softmax.cu — fused, numerically stable softmax and log_softmax on CUDA; same semantics as
// cpu/softmax.cpp.
//
// Every slice along attrs.dim is one "row", done in three passes over the input: m = max (NaN sticks), then
// s = sum e^(x - m), then y = e^(x - m) / s or y = x - m - ln s. e^x never sees a positive argument, so large
// inputs cannot overflow; a NaN in a row makes the row NaN, and a row of -inf, or one holding +inf, gives NaN,
// as in PyTorch. Arithmetic is in float for the 16-bit types and in the element type otherwise.
// The other dims are the row axes: size-1 dims dropped, neighbours merged where both the input and the
// (contiguous) output strides chain. Two launches:
//   block per row   threads stride along the row and merge their partial max / sum through a fixed
//                   warp-shuffle + shared-memory tree (deterministic);
//   thread per row  short rows, or many rows that neighbour each other in memory (softmax over dim 0 of a
//                   row-major matrix): each thread walks its own row, and a warp reads coalesced.
// The front door (tensor/ops_softmax.cpp) allocates the contiguous output and skips empty inputs.
#include <cmath>
#include <limits>
#include <vector>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/scalar_math.h"

namespace reel::cuda {

namespace {

constexpr int kMaxRowAxes = 16;         // row axes after merging; more is refused
constexpr int kMaxThreads = 512;        // threads of one row's block (a power of two, a multiple of 32)
constexpr int64_t kShortRow = 16;       // rows this short always go one per thread
constexpr int64_t kColumnRows = 1024;   // column layouts with this many rows go one per thread

// Row index -> input and output offsets (elements), over the row axes stored outermost first.
struct RowAxes {
  int ndim = 0;
  int64_t sizes[kMaxRowAxes] = {};
  int64_t in_strides[kMaxRowAxes] = {};
  int64_t out_strides[kMaxRowAxes] = {};

  __device__ __forceinline__ void offsets(int64_t row, int64_t& in, int64_t& out) const {
    in = 0;
    out = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = row / sizes[d];
      const int64_t index = row - q * sizes[d];
      in += index * in_strides[d];
      out += index * out_strides[d];
      row = q;
    }
  }
};

struct SoftmaxGeometry {
  RowAxes rows;
  int64_t num_rows = 1;
  int64_t length = 1;      // elements per row: the size of the softmax dim (1 for a 0-dim input)
  int64_t in_stride = 1;   // between elements of a row
  int64_t out_stride = 1;
};

SoftmaxGeometry make_geometry(const char* op, const Tensor& x, int64_t dim) {
  SoftmaxGeometry geo;
  const DimVector out_strides = contiguous_strides(x.sizes());
  std::vector<int64_t> sizes, in_strides, outs;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d == dim) {
      geo.length = x.size(d);
      geo.in_stride = x.stride(d);
      geo.out_stride = out_strides[d];
      continue;
    }
    const int64_t size = x.size(d);
    geo.num_rows *= size;
    if (size == 1) continue;
    if (!sizes.empty() && in_strides.back() == x.stride(d) * size && outs.back() == out_strides[d] * size) {
      sizes.back() *= size;
      in_strides.back() = x.stride(d);
      outs.back() = out_strides[d];
    } else {
      sizes.push_back(size);
      in_strides.push_back(x.stride(d));
      outs.push_back(out_strides[d]);
    }
  }
  REEL_CHECK(sizes.size() <= static_cast<size_t>(kMaxRowAxes),
             "{}: the CUDA kernel supports at most {} row axes after merging, got {} (input shape {}, strides {}, "
             "dim {})",
             op, kMaxRowAxes, sizes.size(), shape_str(x.sizes()), shape_str(x.strides()), dim);
  geo.rows.ndim = static_cast<int>(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    geo.rows.sizes[i] = sizes[i];
    geo.rows.in_strides[i] = in_strides[i];
    geo.rows.out_strides[i] = outs[i];
  }
  return geo;
}

// max(current, x) with NaN sticking.
template <typename C>
__device__ __forceinline__ C max_with_nan(C current, C x) {
  return (x > current || x != x) ? x : current;
}

struct MaxOp {
  template <typename C> __device__ C operator()(C a, C b) const { return max_with_nan(a, b); }
};
struct SumOp {
  template <typename C> __device__ C operator()(C a, C b) const { return a + b; }
};

// Combines one value per thread across the block in a fixed order; every thread gets the result.
// `shared` holds blockDim.x / 32 values; blockDim.x is a multiple of 32.
template <typename C, typename Op>
__device__ C block_all_reduce(C value, Op op, C* shared) {
  const unsigned int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_down_sync(0xffffffffu, value, offset));
  if (lane == 0) shared[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < warps ? shared[lane] : shared[0];
    for (int offset = 16; offset > 0; offset /= 2) {
      const C other = __shfl_down_sync(0xffffffffu, value, offset);
      if (lane + offset < warps) value = op(value, other);
    }
    if (lane == 0) shared[0] = value;
  }
  __syncthreads();
  const C result = shared[0];
  __syncthreads();  // shared[] is reused by the next reduction
  return result;
}

// y_i = e^(x_i - m) / sum_j e^(x_j - m)  or  y_i = x_i - m - ln sum_j e^(x_j - m); one block per row.
template <typename T, bool kLog>
__global__ void softmax_block_kernel(const T* input, T* output, SoftmaxGeometry geo) {
  using C = compute_t<T>;
  __shared__ C shared[kMaxThreads / 32];
  const int64_t n = geo.length, is = geo.in_stride, os = geo.out_stride;
  for (int64_t row = blockIdx.x; row < geo.num_rows; row += gridDim.x) {
    int64_t in_offset, out_offset;
    geo.rows.offsets(row, in_offset, out_offset);
    const T* in = input + in_offset;
    T* out = output + out_offset;

    C m = -std::numeric_limits<C>::infinity();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = max_with_nan(m, static_cast<C>(in[i * is]));
    m = block_all_reduce(m, MaxOp{}, shared);

    C sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += std::exp(static_cast<C>(in[i * is]) - m);
    sum = block_all_reduce(sum, SumOp{}, shared);

    if constexpr (kLog) {
      const C log_sum = std::log(sum);
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        out[i * os] = static_cast<T>((static_cast<C>(in[i * is]) - m) - log_sum);
    } else {
      const C scale = C(1) / sum;
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        out[i * os] = static_cast<T>(std::exp(static_cast<C>(in[i * is]) - m) * scale);
    }
  }
}

// The same with one thread per row.
template <typename T, bool kLog>
__global__ void softmax_thread_kernel(const T* input, T* output, SoftmaxGeometry geo) {
  using C = compute_t<T>;
  const int64_t n = geo.length, is = geo.in_stride, os = geo.out_stride;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < geo.num_rows; row += step) {
    int64_t in_offset, out_offset;
    geo.rows.offsets(row, in_offset, out_offset);
    const T* in = input + in_offset;
    T* out = output + out_offset;

    C m = -std::numeric_limits<C>::infinity();
    for (int64_t i = 0; i < n; ++i) m = max_with_nan(m, static_cast<C>(in[i * is]));
    C sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<C>(in[i * is]) - m);
    if constexpr (kLog) {
      const C log_sum = std::log(sum);
      for (int64_t i = 0; i < n; ++i) out[i * os] = static_cast<T>((static_cast<C>(in[i * is]) - m) - log_sum);
    } else {
      const C scale = C(1) / sum;
      for (int64_t i = 0; i < n; ++i) out[i * os] = static_cast<T>(std::exp(static_cast<C>(in[i * is]) - m) * scale);
    }
  }
}

unsigned int grid_for(int64_t work, int64_t per_block) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < 65536 ? blocks : 65536);
}

template <typename T, bool kLog>
void run_softmax(const char* op, const Tensor& x, Tensor& y, int64_t dim) {
  set_current_device(x.device());
  const SoftmaxGeometry geo = make_geometry(op, x, dim);
  if (geo.num_rows == 0 || geo.length == 0) return;
  const T* input = static_cast<const T*>(x.data_ptr());
  T* output = static_cast<T*>(y.data_ptr());
  cudaStream_t stream = current_raw_stream();
  // Column layout: the next row is closer in memory than the next element of a row.
  const bool column = geo.rows.ndim > 0 && geo.rows.in_strides[geo.rows.ndim - 1] < geo.in_stride;
  if (geo.length <= kShortRow || (column && geo.num_rows >= kColumnRows)) {
    softmax_thread_kernel<T, kLog><<<grid_for(geo.num_rows, 128), 128, 0, stream>>>(input, output, geo);
  } else {
    int threads = 32;
    while (threads < kMaxThreads && threads < geo.length) threads *= 2;
    softmax_block_kernel<T, kLog><<<grid_for(geo.num_rows, 1), threads, 0, stream>>>(input, output, geo);
  }
  REEL_CUDA_CHECK(cudaGetLastError());
}

// attrs.dim = the (wrapped) softmax dim.
template <bool kLog>
void softmax_kernel(const KernelArgs& args) {
  const char* name = op_name(args.op).data();
  dispatch_floating(args.inputs[0].dtype(), name, [&]<typename T>() {
    run_softmax<T, kLog>(name, args.inputs[0], args.outputs[0], args.attrs->dim);
  });
}

}  // namespace

void register_softmax_kernels() {
  register_kernel(OpId::softmax, kCUDA, &softmax_kernel<false>);
  register_kernel(OpId::log_softmax, kCUDA, &softmax_kernel<true>);
}

}  // namespace reel::cuda
