// reel/cuda/copy.cu — copies that touch a CUDA tensor (host<->device, device<->device) and fill.
// TEMPORARY seam (being replaced in this session): dense same-dtype copies only.
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {
void copy_kernel(const KernelArgs& args) {
  const Tensor& src = *args.inputs;
  Tensor& dst = *args.outputs;
  const Device device = dst.is_cuda() ? dst.device() : src.device();
  set_current_device(device);
  REEL_CHECK(src.dtype() == dst.dtype() && src.sizes() == dst.sizes() && src.is_contiguous() && dst.is_contiguous(),
             "copy_: the CUDA backend copies only dense same-dtype tensors so far ({} {} {} -> {} {} {})",
             src.device().str(), dtype_name(src.dtype()), shape_str(src.sizes()), dst.device().str(),
             dtype_name(dst.dtype()), shape_str(dst.sizes()));
  REEL_CUDA_CHECK(cudaMemcpy(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(src.nbytes()), cudaMemcpyDefault));
}
}  // namespace

void register_copy_kernels() { register_kernel(OpId::copy, kCUDA, &copy_kernel); }

}  // namespace reel::cuda
