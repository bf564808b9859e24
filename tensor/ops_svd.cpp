// reel/tensor/ops_svd.cpp — front doors of the singular value decomposition: linalg::svd, linalg::svdvals and the
// older torch::svd spelling (U, S, V).
//
// A = U diag(S) Vh for every matrix of a floating (*, m, n) A, k = min(m, n), S descending. The kernel
// (cpu/svd.cpp: one-sided Jacobi in double; CUDA runs it through host copies, cuda/svd.cpp) gets A contiguous and
// writes U (*, m, m or k), S (*, k) and Vh (*, n or k, n). Like PyTorch, only float32 and float64 are accepted (its
// half types have no SVD either). The sign of each pair of singular vectors is one valid choice, as in PyTorch.
// Gradients: autograd/derivatives_reduce_linalg.cpp (PyTorch's svd_backward for distinct singular values); svdvals
// computes U and Vh only when a gradient will need them.
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

std::tuple<Tensor, Tensor, Tensor> svd_op(const Tensor& A, bool full_matrices, bool compute_uv, const char* name) {
  A.check_defined(name);
  REEL_CHECK(A.dim() >= 2, "{}: The input tensor A must have at least 2 dimensions, got shape {}", name,
             shape_str(A.sizes()));
  REEL_CHECK(A.dtype() == kFloat32 || A.dtype() == kFloat64,
             "{}: expected a float32 or float64 input, got {} (shape {})", name, dtype_name(A.dtype()),
             shape_str(A.sizes()));
  const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
  DimVector batch(IntList(A.sizes().begin(), static_cast<size_t>(A.dim() - 2)));
  auto with = [&](std::initializer_list<int64_t> tail) {
    DimVector sizes = batch;
    for (int64_t t : tail) sizes.push_back(t);
    return sizes;
  };
  const DimVector u_sizes = with({m, full_matrices ? m : k}), s_sizes = with({k}),
                  vh_sizes = with({full_matrices ? n : k, n});
  const TensorOptions options = TensorOptions(A.dtype()).device(A.device());
  if (A.numel() == 0) {
    // no singular values; a full U or Vh of a matrix with m or n > 0 is the identity (any orthonormal basis)
    Tensor s = zeros(s_sizes, options);
    if (!compute_uv) return {Tensor(), s, Tensor()};
    Tensor u = zeros(u_sizes, options), vh = zeros(vh_sizes, options);
    if (full_matrices) {
      u = eye(m, options).expand(u_sizes).contiguous();
      vh = eye(n, options).expand(vh_sizes).contiguous();
    }
    return {u, s, vh};
  }
  OpAttrs attrs;
  attrs.set(SvdAttrs{full_matrices, compute_uv});
  Tensor out[3];
  run_op(OpId::linalg_svd, &attrs, A,
         {out,
          {compute_uv ? OutputMeta(u_sizes, A.dtype(), A.device()) : OutputMeta::absent(),
           OutputMeta(s_sizes, A.dtype(), A.device()),
           compute_uv ? OutputMeta(vh_sizes, A.dtype(), A.device()) : OutputMeta::absent()}},
         {.contiguous_inputs = 1, .device = A.device()});
  return {out[0], out[1], out[2]};
}

}  // namespace

namespace linalg {

// (U, S, Vh): A = U diag(S) Vh
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices, std::optional<std::string_view>) {
  return svd_op(A, full_matrices, true, "linalg.svd");
}

// S of svd(A); U and Vh only when the gradient needs them (gA = U diag(gS) Vh)
Tensor svdvals(const Tensor& A, std::optional<std::string_view>) {
  A.check_defined("linalg.svdvals");
  const bool needs_vectors = is_grad_enabled() && A.requires_grad();
  return std::get<1>(svd_op(A, false, needs_vectors, "linalg.svdvals"));
}

}  // namespace linalg

// (U, S, V) with V = Vh^T; without compute_uv, U and V are zeros of the full shapes (PyTorch's torch.svd)
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& self, bool some, bool compute_uv) {
  if (!compute_uv) {
    const Tensor s = linalg::svdvals(self);
    DimVector u_sizes(self.sizes()), v_sizes(self.sizes());
    const int64_t m = self.size(-2), n = self.size(-1);
    u_sizes.back() = m;
    v_sizes[v_sizes.size() - 2] = n;
    const TensorOptions options = TensorOptions(self.dtype()).device(self.device());
    return {zeros(u_sizes, options), s, zeros(v_sizes, options)};
  }
  auto [u, s, vh] = svd_op(self, !some, true, "svd");
  return {u, s, vh.transpose(-2, -1)};
}

}  // namespace reel
