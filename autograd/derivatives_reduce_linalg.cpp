// reel/autograd/derivatives_reduce_linalg.cpp — the backward formulas of the reductions (tensor/ops_reduce.cpp:
// sum, prod, amax / amin, max / min over a dim, var, norm) and of linear algebra (tensor/ops_linalg.cpp: mm, bmm,
// addmm, linear). Each formula is followed by its facts (autograd/derivatives_common.h).
#include <cmath>

#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

// ---- reductions -------------------------------------------------------------------------------------------------
// Re-inserts the reduced dims (size 1) of a keepdim=false result so it broadcasts against the input.
Tensor unsqueeze_reduced(const Tensor& t, const OpAttrs& attrs, int64_t input_dim) {
  if (attrs.keepdim || input_dim == 0) return t;
  if (attrs.dims.empty()) {  // reduced over everything
    DimVector ones(static_cast<size_t>(input_dim), 1);
    return t.reshape(ones);
  }
  Tensor out = t;
  DimVector dims = attrs.dims;
    for (int64_t d : dims) out = out.unsqueeze(d);
  return out;
}
// Number of elements each output of a reduction summed over.
int64_t reduced_count(const InputMeta& input, const OpAttrs& attrs) {
  if (attrs.dims.empty()) return checked_numel(input.sizes, "reduction backward");
  int64_t n = 1;
  for (int64_t d : attrs.dims) n *= input.sizes[static_cast<size_t>(d)];
  return n;
}
// y = sum x: dx = g broadcast back
void sum_backward(Ctx& c) {
  c.grad_inputs[0] = unsqueeze_reduced(c.grad(), c.attrs(), static_cast<int64_t>(c.input(0).sizes.size()))
                         .expand(c.input(0).sizes);
}
constexpr OpDerivative sum_derivative{OpId::sum, sum_backward, "SumBackward"};
// y = prod x: dx_i = prod_{j != i} x_j (exact with zeros: one zero gets the product of the others)
void prod_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  const int64_t nd = x.dim();
  Tensor g = unsqueeze_reduced(c.grad(), attrs, nd);
  Tensor is_zero = eq(x, 0);
  Tensor nonzero_x = where(is_zero, ones_like(x), x);
  const bool reduces_all = attrs.dims.empty() || static_cast<int64_t>(attrs.dims.size()) == nd;
  const DimVector ones(static_cast<size_t>(nd), 1);
  Tensor zero_count = reduces_all ? is_zero.sum().reshape(ones) : is_zero.sum(attrs.dims, true);
  Tensor product_of_nonzeros = reduces_all ? nonzero_x.prod().reshape(ones) : nonzero_x.prod(attrs.dims[0], true);
  Tensor others = where(eq(zero_count, 0), product_of_nonzeros / nonzero_x,
                        where(logical_and(eq(zero_count, 1), is_zero), product_of_nonzeros, zeros_like(x)));
  c.grad_inputs[0] = g * others;
}
constexpr OpDerivative prod_derivative{OpId::prod, prod_backward, "ProdBackward", {kIn0}};
// y = max/min over dims (amax, amin, max(), min()): the gradient is shared evenly by the extreme elements
void extreme_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const int64_t nd = x.dim();
  Tensor y = unsqueeze_reduced(c.output_value(0), c.attrs(), nd);
  Tensor g = unsqueeze_reduced(c.grad(), c.attrs(), nd);
  Tensor mask = eq(x, y).to(x.dtype());
  Tensor count = c.attrs().dims.empty() ? mask.sum() : mask.sum(c.attrs().dims, true);
  c.grad_inputs[0] = g * mask / count;
}
constexpr OpDerivative amax_derivative{OpId::amax, extreme_backward, "AmaxBackward", {kIn0}, kIn0};
constexpr OpDerivative amin_derivative{OpId::amin, extreme_backward, "AminBackward", {kIn0}, kIn0};
// (y, k) = max/min(x, dim): dx = g scattered to the selected index
void extreme_dim_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  const InputMeta& in = c.input(0);
  if (in.sizes.empty()) {  // 0-dim input: the value itself was selected
    c.grad_inputs[0] = c.grad();
    return;
  }
  const int64_t dim = attrs.dims[0];
  Tensor indices = c.output_value(1);
  Tensor g = c.grad();
  if (!attrs.keepdim) {
    indices = indices.unsqueeze(dim);
    g = g.unsqueeze(dim);
  }
  c.grad_inputs[0] = zeros(in.sizes, TensorOptions(g.dtype()).device(g.device())).scatter(dim, indices, g);
}
constexpr OpDerivative max_derivative{OpId::max, extreme_dim_backward, "MaxBackward", {}, kIn0};
constexpr OpDerivative min_derivative{OpId::min, extreme_dim_backward, "MinBackward", {}, kIn0};
// y = sum (x - mean)^2 / (n - correction): dx = g * 2 (x - mean) / (n - correction)
void var_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  const int64_t nd = x.dim();
  Tensor g = unsqueeze_reduced(c.grad(), attrs, nd);
  Tensor mean = attrs.dims.empty() ? x.mean() : x.mean(attrs.dims, true);
  const double correction = attrs.get<VarianceAttrs>().correction;
  const double denominator = static_cast<double>(reduced_count(c.input(0), attrs)) - correction;
  c.grad_inputs[0] = g * (x - mean) * (2.0 / denominator);
}
constexpr OpDerivative var_derivative{OpId::var, var_backward, "VarBackward", {kIn0}};
// y = ||x||_p: dx = g * x |x|^(p-2) / y^(p-1); p = inf: like amax of |x|; p = 0: 0
void norm_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  const int64_t nd = x.dim();
  const double p = attrs.get<NormAttrs>().p;
  Tensor y = unsqueeze_reduced(result(c), attrs, nd);
  Tensor g = unsqueeze_reduced(c.grad(), attrs, nd);
  if (p == 0.0) {
    c.grad_inputs[0] = zeros_like(x);
  } else if (p == 1.0) {
    c.grad_inputs[0] = g * sign(x);
  } else if (p == 2.0) {
    c.grad_inputs[0] = where(eq(y, 0), zeros_like(x), g * x / y);
  } else if (std::isinf(p)) {
    Tensor mask = eq(abs(x), y).to(x.dtype());
    Tensor count = attrs.dims.empty() ? mask.sum() : mask.sum(attrs.dims, true);
    c.grad_inputs[0] = g * sign(x) * mask / count;
  } else {
    Tensor scaled = x * pow(abs(x), p - 2) / pow(y, p - 1);
    c.grad_inputs[0] = where(eq(y, 0), zeros_like(x), g * scaled);
  }
}
constexpr OpDerivative norm_derivative{OpId::norm, norm_backward, "NormBackward", {kIn0}, kIn0};

// ---- linear algebra ----------------------------------------------------------------------------------------------
// C = A B: dA = g B^T, dB = A^T g
// (dB, a sum over A's rows of outer products, may go to the engine: Note [Deferred leaf gradients])
void mm_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = mm(c.grad(), c.input_value(1).t());
  if (c.needs_input_grad(1) && !c.defer_outer_product(1, c.input_value(0), c.grad()))
    c.grad_inputs[1] = mm(c.input_value(0).t(), c.grad());
}
constexpr OpDerivative mm_derivative{OpId::mm, mm_backward, "MmBackward", {kIn1, kIn0}};
// C[b] = A[b] B[b]: dA = g B^T, dB = A^T g (per batch)
void bmm_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = bmm(c.grad(), c.input_value(1).transpose(1, 2));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = bmm(c.input_value(0).transpose(1, 2), c.grad());
}
constexpr OpDerivative bmm_derivative{OpId::bmm, bmm_backward, "BmmBackward", {kIn1, kIn0}};
// C = beta M + alpha A B: dM = beta g, dA = alpha g B^T, dB = alpha A^T g  (inputs: M, A, B)
void addmm_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  const ScaleAttrs& scale = attrs.get<ScaleAttrs>();
  const Scalar beta = scale.beta, alpha = scale.alpha;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() * beta;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = mm(c.grad(), c.input_value(2).t()) * alpha;
  if (c.needs_input_grad(2)) {
    const bool unit_alpha = alpha.to_double() == 1.0;
    if (!(unit_alpha && c.defer_outer_product(2, c.input_value(1), c.grad())))
      c.grad_inputs[2] = unit_alpha ? mm(c.input_value(1).t(), c.grad()) : mm(c.input_value(1).t(), c.grad()) * alpha;
  }
}
constexpr OpDerivative addmm_derivative{OpId::addmm, addmm_backward, "AddmmBackward", {kNone, kIn2, kIn1}};
// y = x W^T + b over x's last dim (inputs: x, W, b), with rows = x viewed as [N, in] and g as [N, out]:
// dx = g W, dW = g^T x = sum over rows of outer products (handed to the engine when it can sum them in one GEMM
// straight into the leaf's gradient), db = sum over rows of g
void linear_backward(Ctx& c) {
  const Tensor& weight = c.input_value(1);
  const int64_t out_features = c.input(1).sizes[0], in_features = c.input(1).sizes[1];
  int64_t rows = 1;  // product of x's leading dims
  for (size_t d = 0; d + 1 < c.input(0).sizes.size(); ++d) rows *= c.input(0).sizes[d];
  const Tensor g = c.grad().dim() == 2 ? c.grad() : c.grad().reshape({rows, out_features});
  if (c.needs_input_grad(0)) c.grad_inputs[0] = mm(g, weight).reshape(c.input(0).sizes);
  if (c.needs_input_grad(1)) {
    const Tensor& x = c.input_value(0);
    const Tensor x_rows = x.dim() == 2 ? x : x.reshape({rows, in_features});
    if (!c.defer_outer_product(1, g, x_rows)) c.grad_inputs[1] = mm(g.t(), x_rows);
  }
  if (c.needs_input_grad(2)) c.grad_inputs[2] = sum(g, {0});
}
constexpr OpDerivative linear_derivative{OpId::linear, linear_backward, "LinearBackward", {kIn1, kIn0, kNone}};

// (U, S, Vh) = linalg_svd(A), k = min(m, n), U and Vh narrowed to their first k columns / rows when full:
// dA = U [(skew(U^T gU) / E) diag(S) + diag(S) (skew(Vh gVh^T) / E) + diag(gS)] Vh
//      + (I - U U^T) gU diag(1 / S) Vh  (m > k)  + U diag(1 / S) gVh (I - Vh^T Vh)  (n > k),
// skew(X) = X - X^T, E_ij = S_j^2 - S_i^2 (i != j), E_ii = 1 (PyTorch's svd_backward: distinct singular values; only
// gS: dA = U diag(gS) Vh, which needs no division). Written with differentiable ops, so it differentiates again.
void svd_backward(Ctx& c) {
  REEL_CHECK(c.output_value(0).defined(), "linalg_svd: the backward needs U and Vh, which were not computed");
  const Tensor s = result(c, 1);  // with their history under create_graph: the formula differentiates again
  const int64_t k = s.size(-1);
  const Tensor u = result(c, 0).narrow(-1, 0, k), vh = result(c, 2).narrow(-2, 0, k);
  const bool g_u = c.grad_arrived(0), g_vh = c.grad_arrived(2);
  const Tensor g_s = c.grad_outputs[1];
  if (!g_u && !g_vh) {
    c.grad_inputs[0] = matmul(u * g_s.unsqueeze(-2), vh);
    return;
  }
  const int64_t m = u.size(-2), n = vh.size(-1);
  const Tensor s2 = s * s;
  const Tensor e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye(k, TensorOptions(s.dtype()).device(s.device()));
  auto skew = [](const Tensor& x) { return x - x.transpose(-2, -1); };
  Tensor inner = diag_embed(g_s);
  Tensor ut_gu, vt_gv;
  if (g_u) {
    const Tensor gu = c.grad_outputs[0].narrow(-1, 0, k);
    ut_gu = matmul(u.transpose(-2, -1), gu);
    inner = inner + skew(ut_gu) / e * s.unsqueeze(-2);
  }
  if (g_vh) {
    const Tensor gvh = c.grad_outputs[2].narrow(-2, 0, k);
    vt_gv = matmul(vh, gvh.transpose(-2, -1));
    inner = inner + s.unsqueeze(-1) * (skew(vt_gv) / e);
  }
  Tensor ga = matmul(matmul(u, inner), vh);
  if (g_u && m > k) {
    const Tensor gu = c.grad_outputs[0].narrow(-1, 0, k);
    ga = ga + matmul((gu - matmul(u, ut_gu)) / s.unsqueeze(-2), vh);
  }
  if (g_vh && n > k) {
    const Tensor gvh = c.grad_outputs[2].narrow(-2, 0, k);
    ga = ga + matmul(u, (gvh - matmul(vt_gv.transpose(-2, -1), vh)) / s.unsqueeze(-1));
  }
  c.grad_inputs[0] = ga;
}
constexpr OpDerivative svd_derivative{OpId::linalg_svd, svd_backward, "LinalgSvdBackward", {kNone}, kIn0};

constexpr OpDerivative kReduceLinalgDerivatives[] = {
    sum_derivative, prod_derivative, amax_derivative, amin_derivative, max_derivative, min_derivative, var_derivative,
    norm_derivative, mm_derivative, bmm_derivative, addmm_derivative, linear_derivative, svd_derivative,
};

}  // namespace

std::span<const OpDerivative> reduce_linalg_derivatives() { return kReduceLinalgDerivatives; }

}  // namespace reel::autograd
