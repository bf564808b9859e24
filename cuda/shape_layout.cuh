// reel/cuda/shape_layout.cuh — small pieces shared by the CUDA data-movement kernels (shape.cu, index.cu):
// the launch shape of a one-thread-per-element kernel, a by-value copy of a tensor's sizes and strides that a
// kernel can unravel linear indices with, and the switch from an element size to an unsigned type of that
// size (kernels that only move elements copy them as raw bits).
#pragma once

#include <algorithm>
#include <cstdint>

#include "cuda/check.h"
#include "tensor/tensor.h"

namespace reel::cuda {

inline constexpr int kThreadsPerBlock = 256;
inline constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // grid-stride loops cover anything larger
inline constexpr int kMaxLayoutDims = 16;

// Blocks for `n` elements at one element per thread (at least 1; the kernels loop when n is larger).
inline unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreadsPerBlock - 1) / kThreadsPerBlock;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, kMaxBlocks));
}

// Throws a reel::Error when the kernel just launched could not start (bad configuration, no device image...).
inline void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  REEL_CHECK(status == cudaSuccess, "CUDA kernel {} failed to launch: {} ({})", kernel, cudaGetErrorString(status),
             cudaGetErrorName(status));
}

// A grid-stride loop over n elements: for (int64_t e = first_element(); e < n; e += element_step()).
__device__ inline int64_t first_element() { return blockIdx.x * int64_t{blockDim.x} + threadIdx.x; }
__device__ inline int64_t element_step() { return int64_t{gridDim.x} * blockDim.x; }

// Sizes and element strides of up to kMaxLayoutDims dims, passed to kernels by value.
struct StridedLayout {
  int ndim = 0;
  int64_t sizes[kMaxLayoutDims] = {};
  int64_t strides[kMaxLayoutDims] = {};
};

// The layout of `sizes`/`strides` (a 0-dim tensor gives ndim 0: one element at offset 0).
inline StridedLayout make_layout(IntList sizes, IntList strides, const char* op) {
  REEL_CHECK(sizes.size() <= static_cast<size_t>(kMaxLayoutDims),
             "{}: the CUDA kernel supports tensors of at most {} dims, got shape {}", op, kMaxLayoutDims,
             shape_str(sizes));
  StridedLayout layout;
  layout.ndim = static_cast<int>(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d) {
    layout.sizes[d] = sizes[d];
    layout.strides[d] = strides[d];
  }
  return layout;
}
inline StridedLayout make_layout(const Tensor& t, const char* op) { return make_layout(t.sizes(), t.strides(), op); }

// Element offset of row-major element `linear` of a tensor with this layout.
__device__ inline int64_t strided_offset(int64_t linear, const StridedLayout& layout) {
  int64_t offset = 0;
  for (int d = layout.ndim - 1; d >= 0; --d) {
    const int64_t size = layout.sizes[d];
    offset += (linear % size) * layout.strides[d];
    linear /= size;
  }
  return offset;
}

// Calls fn.template operator()<U>() with an unsigned integer type of `bytes` bytes.
template <typename Fn>
void dispatch_element_size(int64_t bytes, Fn&& fn) {
  switch (bytes) {
    case 1: fn.template operator()<uint8_t>(); return;
    case 2: fn.template operator()<uint16_t>(); return;
    case 4: fn.template operator()<uint32_t>(); return;
    case 8: fn.template operator()<uint64_t>(); return;
    default: REEL_CHECK(false, "element size {} is not supported", bytes);
  }
}

}  // namespace reel::cuda
