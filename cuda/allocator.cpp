// reel/cuda/allocator.cpp — device memory for CUDA tensors.
// TEMPORARY seam (being replaced in this session by the caching allocator): plain cudaMalloc / cudaFree.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {
class PlainDeviceAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    int device = 0;
    REEL_CUDA_CHECK(cudaGetDevice(&device));
    check_device_index(device);
    if (nbytes == 0) return nullptr;
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, nbytes);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw OutOfMemoryError(fmt::format("CUDA out of memory allocating {} bytes on cuda:{}", nbytes, device));
    }
    REEL_CUDA_CHECK(status);
    return p;
  }
  void deallocate(void* p, size_t) override {
    if (p != nullptr) cudaFree(p);
  }
};
}  // namespace

Allocator* caching_allocator() {
  static PlainDeviceAllocator allocator;
  return &allocator;
}

}  // namespace reel::cuda
