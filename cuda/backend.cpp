// reel/cuda/backend.cpp — the CUDA backend's registration: device discovery, and the entry point that
// registers the device allocator and every CUDA kernel file (cuda/kernels.h), mirroring cpu/backend.cpp.
// A CUDA build runs on machines without a GPU: device_count() is then 0 and every attempt to make a CUDA
// tensor throws a reel::Error saying so.
#include <cuda_runtime.h>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"

namespace reel {

namespace cuda {

namespace {
int query_device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky error: no driver or no device simply means zero devices
      return 0;
    }
    return n;
  }();
  return count;
}
}  // namespace

void check_device_index(int index) {
  const int count = query_device_count();
  REEL_CHECK(count > 0, "CUDA device cuda:{} requested but no CUDA device is available on this machine", index);
  REEL_CHECK(index >= 0 && index < count, "CUDA device cuda:{} requested but only {} device(s) exist", index, count);
}

void set_current_device(const Device& device) {
  check_device_index(device.index);
  int current = -1;
  REEL_CUDA_CHECK(cudaGetDevice(&current));
  if (current != device.index) REEL_CUDA_CHECK(cudaSetDevice(device.index));
}

}  // namespace cuda

void register_cuda_backend() {
  cuda::set_device_count_hook(&cuda::query_device_count);
  register_allocator(kCUDA, cuda::caching_allocator());
  cuda::register_elementwise_kernels();
  cuda::register_copy_kernels();
  cuda::register_reduce_kernels();
  cuda::register_matmul_kernels();
  cuda::register_shape_kernels();
  cuda::register_index_kernels();
  cuda::register_softmax_kernels();
  cuda::register_conv_kernels();
  cuda::register_pool_kernels();
  cuda::register_norm_kernels();
  cuda::register_rnn_kernels();
  cuda::register_rnn_cell_kernels();
  cuda::register_random_kernels();
  cuda::register_random_sampling_kernels();
  cuda::register_creation_kernels();
  cuda::register_sort_kernels();
  cuda::register_scan_kernels();
  cuda::register_unique_search_kernels();
  cuda::register_resample_kernels();
  cuda::register_ctc_kernels();
  cuda::register_svd_kernels();
  cuda::register_advanced_index_kernels();
}

}  // namespace reel
