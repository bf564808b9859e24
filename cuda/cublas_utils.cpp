// reel/cuda/cublas_utils.cpp — cuBLAS handles (one per thread and device), the cuBLAS status check, and the
// public TF32 switch (tensor/cuda.h).
//
// A cuBLAS handle must not be used by two threads at once, and it carries its stream and math mode; so each
// thread keeps one handle per device, and every use re-binds it to the thread's current stream and to the math
// mode the TF32 switch asks for (both are cheap setters). Handles are destroyed when their thread exits.
#include "cuda/cublas_utils.h"

#include <atomic>
#include <vector>

#include <fmt/format.h>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/cuda.h"

namespace reel::cuda {

namespace {

std::atomic<bool> tf32_allowed{false};

// The calling thread's handles, indexed by device; destroyed with the thread (errors ignored: at process exit the
// driver may already be shutting down).
struct ThreadHandles {
  std::vector<cublasHandle_t> by_device;
  ~ThreadHandles() {
    for (cublasHandle_t handle : by_device)
      if (handle != nullptr) cublasDestroy(handle);
  }
};

}  // namespace

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  throw_error(fmt::format("cuBLAS error at {}:{}: {} failed: {} ({})", file, line, call, cublasGetStatusName(status),
                          static_cast<int>(status)));
}

cublasHandle_t cublas_handle() {
  int device = 0;
  REEL_CUDA_CHECK(cudaGetDevice(&device));
  thread_local ThreadHandles handles;
  if (static_cast<size_t>(device) >= handles.by_device.size())
    handles.by_device.resize(static_cast<size_t>(device) + 1, nullptr);
  cublasHandle_t& handle = handles.by_device[static_cast<size_t>(device)];
  if (handle == nullptr) REEL_CUBLAS_CHECK(cublasCreate(&handle));
  REEL_CUBLAS_CHECK(cublasSetStream(handle, current_raw_stream()));
  REEL_CUBLAS_CHECK(cublasSetMathMode(handle, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  return handle;
}

// ---- public switch (tensor/cuda.h) ----------------------------------------------------------------------------
void set_allow_tf32(bool allow) { tf32_allowed.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return tf32_allowed.load(std::memory_order_relaxed); }

}  // namespace reel::cuda
