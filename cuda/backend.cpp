// reel/cuda/backend.cpp — the CUDA backend's registration: device discovery, the device allocator and
// host<->device copies. This is the seam issue 6 grows into the full backend (caching allocator, streams,
// kernels for every op); today it makes tensors movable to and from a GPU and says clearly when none exists.
#include <cuda_runtime.h>

#include "cuda/check.h"
#include "tensor/dispatch.h"

namespace reel {

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

void check_device(Device device) {
  const int count = query_device_count();
  REEL_CHECK(count > 0, "CUDA device {} requested but no CUDA device is available on this machine", device.str());
  REEL_CHECK(device.index >= 0 && device.index < count, "CUDA device {} requested but only {} device(s) exist",
             device.str(), count);
}

class CudaAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    int device = 0;
    REEL_CUDA_CHECK(cudaGetDevice(&device));
    check_device(Device(kCUDA, device));
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

// Copies between host and device, or within a device, for same-dtype dense tensors.
void copy_kernel(const KernelArgs& args) {
  const Tensor& src = *args.inputs;
  Tensor& dst = *args.outputs;
  const Device device = dst.is_cuda() ? dst.device() : src.device();
  check_device(device);
  REEL_CHECK(src.dtype() == dst.dtype() && src.sizes() == dst.sizes() && src.is_contiguous() && dst.is_contiguous(),
             "copy_: the CUDA backend copies only dense same-dtype tensors so far ({} {} {} -> {} {} {})",
             src.device().str(), dtype_name(src.dtype()), shape_str(src.sizes()), dst.device().str(),
             dtype_name(dst.dtype()), shape_str(dst.sizes()));
  REEL_CUDA_CHECK(cudaSetDevice(device.index));
  REEL_CUDA_CHECK(cudaMemcpy(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(src.nbytes()), cudaMemcpyDefault));
}

}  // namespace

void register_cuda_backend() {
  static CudaAllocator allocator;
  register_allocator(kCUDA, &allocator);
  cuda::set_device_count_hook(&query_device_count);
  register_kernel(OpId::copy, kCUDA, &copy_kernel);
}

}  // namespace reel
