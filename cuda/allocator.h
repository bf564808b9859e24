// reel/cuda/allocator.h — what cuda/ files need from the allocators of cuda/allocator.cpp beyond the Allocator
// interface: the device allocator's stream-aware entry point, and the pinned host allocator's bookkeeping of
// asynchronous copies (a pinned block is not handed out again until the copies that read or write it finished).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "tensor/tensor.h"

namespace reel::cuda {

// True when `tensor`'s storage came from the pinned host allocator (Tensor::pin_memory and friends).
bool is_pinned(const Tensor& tensor);

// Records that an asynchronous copy queued on `stream` (of the current device) uses the pinned block that
// holds `tensor`'s storage; the block is reused only after that copy has finished.
void record_pinned_use(const Tensor& tensor, cudaStream_t stream);

}  // namespace reel::cuda
