// reel/cuda/check.h — REEL_CUDA_CHECK: every CUDA runtime call is checked, and a failure becomes a
// reel::Error naming the call, file, line and CUDA's own status text.
#pragma once

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "tensor/error_format.h"

#define REEL_CUDA_CHECK(call)                                                                            \
  do {                                                                                                   \
    cudaError_t reel_cuda_status = (call);                                                               \
    if (reel_cuda_status != cudaSuccess) [[unlikely]] {                                                  \
      ::reel::throw_error(::fmt::format("CUDA error at {}:{}: {} failed: {} ({})", __FILE__, __LINE__,   \
                                        #call, cudaGetErrorString(reel_cuda_status),                     \
                                        cudaGetErrorName(reel_cuda_status)));                            \
    }                                                                                                    \
  } while (0)
