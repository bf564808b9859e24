// reel/cuda/launch.cuh — the one generic strided elementwise kernel of the CUDA backend.
//
//   launch_elementwise<Out, In...>(iter, f)   runs out[i] = f(in0[i], in1[i], ...) over a TensorIter
//
// Every elementwise-like CUDA kernel (the ops.def elementwise rows, where, clamp, dtype-casting copies, fill)
// goes through here. The TensorIter (tensor/iter.h) has already broadcast, dropped size-1 dims and merged
// contiguous dims; its shape and per-operand BYTE strides are copied into a small by-value struct that maps a
// linear element index to each operand's byte offset. Index math is 32-bit when every offset fits, 64-bit
// otherwise. A one-dim iteration (is_flat(): dense operands, broadcast scalars or one strided run) skips the
// division entirely. Threads walk the elements with a grid-stride loop on the current stream of the current
// device; the caller makes the operands' device current first (set_current_device, cuda/kernels.h).
//
// `f` must be callable on the device: a functor struct with a REEL_HOST_DEVICE (or __device__) operator(), or
// an extended __device__ lambda defined in a named function (nvcc refuses extended lambdas nested inside
// other host lambdas, such as the generic lambda passed to dispatch_dtype; use a functor struct there).
// Loads convert nothing: f receives In values exactly as stored (reel::Half, not float); its result is
// static_cast to Out on the store.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/iter.h"

namespace reel::cuda {

namespace launch_detail {

inline constexpr int kMaxDims = 16;           // dims of a TensorIter after merging; more is refused
inline constexpr int kThreadsPerBlock = 256;  // threads of one elementwise block
inline constexpr int64_t kMaxBlocks = 65536;  // grid-stride loops cover the rest

// Linear index -> byte offset of each of N operands, over dims stored outermost first.
template <int N, typename Index>
struct OffsetCalculator {
  int ndim = 0;
  Index sizes[kMaxDims] = {};
  Index strides[kMaxDims][N] = {};  // bytes

  // offsets[k] = sum_d index_d * strides[d][k], where index_d is the multi-index of `linear`.
  __device__ __forceinline__ void get(Index linear, Index (&offsets)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) offsets[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const Index size = sizes[d];
      const Index q = linear / size;
      const Index index = linear - q * size;
      linear = q;
#pragma unroll
      for (int k = 0; k < N; ++k) offsets[k] += index * strides[d][k];
    }
  }
};

template <int N>
struct Pointers {
  char* data[N];
};

template <typename T>
__device__ __forceinline__ T load_as_stored(const char* p) {
  return *reinterpret_cast<const T*>(p);
}

// Applies f to the inputs at the given byte offsets and stores into the output (operand 0).
template <typename Out, typename... In>
struct Apply {
  template <typename F, typename Index, size_t... K>
  static __device__ __forceinline__ void run(char* const* data, const Index* offsets, const F& f,
                                             std::index_sequence<K...>) {
    *reinterpret_cast<Out*>(data[0] + offsets[0]) =
        static_cast<Out>(f(load_as_stored<In>(data[K + 1] + offsets[K + 1])...));
  }
};

// One-dim iteration: offset of operand k is i * stride[k] (stride 0 for a broadcast scalar).
template <typename Index, typename F, typename Out, typename... In>
__global__ void flat_elementwise_kernel(Pointers<1 + sizeof...(In)> ptrs, Index strides_0, Index strides_1,
                                        Index strides_2, Index strides_3, int64_t n, F f) {
  constexpr int N = 1 + sizeof...(In);
  const Index all_strides[4] = {strides_0, strides_1, strides_2, strides_3};
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const Index linear = static_cast<Index>(i);
    Index offsets[N];
#pragma unroll
    for (int k = 0; k < N; ++k) offsets[k] = linear * all_strides[k];
    Apply<Out, In...>::run(ptrs.data, offsets, f, std::index_sequence_for<In...>{});
  }
}

// Any number of dims: the offset calculator turns each linear index into per-operand byte offsets.
template <typename Index, typename F, typename Out, typename... In>
__global__ void strided_elementwise_kernel(Pointers<1 + sizeof...(In)> ptrs,
                                           OffsetCalculator<1 + sizeof...(In), Index> calc, int64_t n, F f) {
  constexpr int N = 1 + sizeof...(In);
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    Index offsets[N];
    calc.get(static_cast<Index>(i), offsets);
    Apply<Out, In...>::run(ptrs.data, offsets, f, std::index_sequence_for<In...>{});
  }
}

// True when the element count and every operand's largest byte offset fit in int32.
inline bool fits_in_int32(const TensorIter& iter) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  if (iter.numel() > kMax) return false;
  for (int k = 0; k < iter.ntensors(); ++k) {
    int64_t extent = 0;
    for (int d = 0; d < iter.ndim(); ++d) {
      const int64_t stride = iter.strides(k)[d];
      extent += (iter.shape()[d] - 1) * (stride < 0 ? -stride : stride);
    }
    if (extent > kMax) return false;
  }
  return true;
}

inline unsigned int block_count(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

template <typename Index, typename F, typename Out, typename... In>
void launch_with_index(const TensorIter& iter, const F& f) {
  constexpr int N = 1 + sizeof...(In);
  Pointers<N> ptrs;
  for (int k = 0; k < N; ++k) ptrs.data[k] = iter.data(k);
  const int64_t n = iter.numel();
  const unsigned int blocks = block_count(n);
  cudaStream_t stream = current_raw_stream();
  if (iter.ndim() <= 1) {
    Index strides[4] = {0, 0, 0, 0};
    for (int k = 0; k < N; ++k) strides[k] = static_cast<Index>(iter.strides(k)[0]);
    flat_elementwise_kernel<Index, F, Out, In...><<<blocks, kThreadsPerBlock, 0, stream>>>(ptrs, strides[0], strides[1],
                                                                                strides[2], strides[3], n, f);
  } else {
    OffsetCalculator<N, Index> calc;
    calc.ndim = iter.ndim();
    for (int d = 0; d < iter.ndim(); ++d) {
      calc.sizes[d] = static_cast<Index>(iter.shape()[d]);
      for (int k = 0; k < N; ++k) calc.strides[d][k] = static_cast<Index>(iter.strides(k)[d]);
    }
    strided_elementwise_kernel<Index, F, Out, In...><<<blocks, kThreadsPerBlock, 0, stream>>>(ptrs, calc, n, f);
  }
  REEL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace launch_detail

// Runs out[i] = f(in0[i], in1[i], ...) over a TensorIter whose operand 0 is the output (type Out) and operands
// 1..N the inputs (types In...), on the current stream. Loads convert nothing: f receives In values as stored.
template <typename Out, typename... In, typename F>
void launch_elementwise(const TensorIter& iter, F f) {
  constexpr int N = 1 + static_cast<int>(sizeof...(In));
  static_assert(N <= TensorIter::kMaxOperands, "launch_elementwise: too many operands for a TensorIter");
  REEL_CHECK(iter.ntensors() == N, "launch_elementwise: the TensorIter holds {} operands but the kernel expects {}",
             iter.ntensors(), N);
  if (iter.numel() == 0) return;
  REEL_CHECK(iter.ndim() <= launch_detail::kMaxDims,
             "launch_elementwise: {} dims remain after merging (shape {}); the CUDA kernels support at most {}",
             iter.ndim(), shape_str(iter.shape()), launch_detail::kMaxDims);
  if (launch_detail::fits_in_int32(iter)) launch_detail::launch_with_index<int32_t, F, Out, In...>(iter, f);
  else launch_detail::launch_with_index<int64_t, F, Out, In...>(iter, f);
}

}  // namespace reel::cuda
