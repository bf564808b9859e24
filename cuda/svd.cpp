// reel/cuda/svd.cpp — the CUDA kernel of linalg_svd: the matrices are copied to the host, decomposed there by the CPU
// kernel's one-sided Jacobi (cpu/svd.cpp, through the CPU front door of tensor/ops_svd.cpp), and U, S and Vh are
// copied into the device outputs. A device SVD (cuSOLVER's gesvdjBatched) is left for later: the round trip
// synchronises the stream and costs two copies, which is small next to the O(m n min(m, n)) sweeps for the small
// matrices SVD-based norms and gradients usually see. docs/porting.md lists it.
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::cuda {

namespace {

// inputs: A (device, contiguous); outputs U, S, Vh (device; U and Vh undefined without compute_uv).
void svd_kernel(const KernelArgs& args) {
  const SvdAttrs& a = args.attrs->get<SvdAttrs>();
  NoGradGuard no_grad;
  const Tensor host = args.inputs[0].to(kCPU);
  if (!a.compute_uv) {
    args.outputs[1].copy_(linalg::svdvals(host));
    return;
  }
  auto [u, s, vh] = linalg::svd(host, a.full_matrices);
  args.outputs[0].copy_(u);
  args.outputs[1].copy_(s);
  args.outputs[2].copy_(vh);
}

}  // namespace

void register_svd_kernels() { register_kernel(OpId::linalg_svd, kCUDA, &svd_kernel); }

}  // namespace reel::cuda
