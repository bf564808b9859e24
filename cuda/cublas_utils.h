// reel/cuda/cublas_utils.h — what the cuBLAS callers of the CUDA backend share (internal to cuda/):
//   REEL_CUBLAS_CHECK(call)   a failed cuBLAS call becomes a reel::Error naming the call, file, line and status
//   cublas_handle()           this thread's handle for the current device, bound to the current stream, with the
//                             math mode that reel::cuda::allow_tf32() asks for
// The TF32 switch itself (reel::cuda::set_allow_tf32 / allow_tf32) is public, in tensor/cuda.h; like PyTorch's
// torch.backends.cuda.matmul.allow_tf32 it is off by default, so float32 GEMMs round like float32 FMAs.
#pragma once

#include <cublas_v2.h>

#include "tensor/error.h"

namespace reel::cuda {

// Throws reel::Error "cuBLAS error at file:line: call failed: CUBLAS_STATUS_... (code)".
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);

// The calling thread's cuBLAS handle for the current device (created on first use), set to the current stream
// (cuda::current_raw_stream()) and to CUBLAS_TF32_TENSOR_OP_MATH when allow_tf32() is on, else
// CUBLAS_DEFAULT_MATH (plain float32 arithmetic for float32 GEMMs).
cublasHandle_t cublas_handle();

}  // namespace reel::cuda

#define REEL_CUBLAS_CHECK(call)                                                                          \
  do {                                                                                                   \
    const cublasStatus_t reel_cublas_status = (call);                                                    \
    if (reel_cublas_status != CUBLAS_STATUS_SUCCESS) [[unlikely]]                                        \
      ::reel::cuda::throw_cublas_error(reel_cublas_status, #call, __FILE__, __LINE__);                   \
  } while (0)
