// reel/tensor/ops_linalg.cpp — front doors of the linear-algebra ops: mm, bmm, addmm (kernels) and the
// composites matmul and outer, plus their Tensor methods.
//
// Recorded for autograd: mm and bmm with inputs (a, b); addmm and linear as documented at their front doors.
// linear runs under its own OpId: its kernel (linear_kernel, registered by each backend) is one addmm.
// mm, bmm and addmm check ranks, inner sizes, dtypes and devices with PyTorch's rules and messages, allocate a
// contiguous output and call the (op, device) GEMM kernel (cpu/matmul.cpp). matmul follows torch.matmul: it
// picks dot, mv, mm or a broadcast bmm from the inputs' ranks and is written with views and those ops, so it
// differentiates through them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// "2x3" for a matrix, "2x3x4" for a batch of matrices (PyTorch's style in shape-mismatch messages).
std::string matrix_str(IntList sizes) { return fmt::format("{}", fmt::join(sizes.begin(), sizes.end(), "x")); }

void check_defined_pair(const char* op, const Tensor& a, const Tensor& b) {
  a.check_defined(op);
  b.check_defined(op);
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(),
             "{}: expected all tensors on one device, got {} (shape {}) and {} (shape {})", op, a.device().str(),
             shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

void check_rank(const char* op, const char* name, const Tensor& t, int64_t rank) {
  REEL_CHECK(t.dim() == rank, "{}: {} must be a {}-D tensor, got {}-D of shape {}", op, name, rank, t.dim(),
             shape_str(t.sizes()));
}

// PyTorch's mm rule: both matrices of one dtype (no promotion), and bool is not a GEMM type.
void check_gemm_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.dtype() == b.dtype(),
             "{}: expected m1 and m2 to have the same dtype, but got {} != {} (shapes {} and {})", op,
             dtype_name(a.dtype()), dtype_name(b.dtype()), shape_str(a.sizes()), shape_str(b.sizes()));
  REEL_CHECK(a.dtype() != kBool, "{}: dtype bool is not supported (shapes {} and {})", op, shape_str(a.sizes()),
             shape_str(b.sizes()));
}

// alpha and beta must not be floating for integer tensors (PyTorch's rule: the result would be truncated).
void check_scale_factor(const char* op, const char* name, ScalarType dtype, Scalar value) {
  REEL_CHECK(is_floating_point(dtype) || !value.is_floating_point(),
             "{}: for integral input tensors, argument {} must not be a floating point number (got {})", op, name,
             value.to_double());
}

}  // namespace

// linear's kernel, the same on every device: one addmm over the input's rows into a [rows, out_features] view of
// the output, which holds the broadcast bias first when there is one (beta = 1). The weight is transposed as a
// view (no copy); the input is reshaped to rows (a copy only when its strides do not allow a view).
void linear_kernel(const KernelArgs& args) {
  const Tensor& input = args.inputs[0];
  const Tensor& weight = args.inputs[1];
  const Tensor& bias = args.inputs[2];
  Tensor& out = args.outputs[0];
  const int64_t in_features = weight.size(1), out_features = weight.size(0);
  const int64_t rows = out.numel() / out_features;  // out is not empty: linear skips the kernel then
  const Tensor inputs[] = {input.dim() == 2 ? input : input.reshape({rows, in_features}), weight.t()};
  Tensor out_rows = Tensor::make_view(out, {rows, out_features}, {out_features, 1}, 0);
  const OpAttrs attrs = family_attrs(ScaleAttrs{.alpha = 1, .beta = bias.defined() ? 1 : 0});
  if (bias.defined()) out_rows.copy_(bias);
  run_op(OpId::addmm, &attrs, inputs, out_rows, {.record = Record::no});
}

// C[m,n] = sum_k A[m,k] B[k,n]
Tensor mm(const Tensor& a, const Tensor& b) {
  check_defined_pair("mm", a, b);
  check_rank("mm", "mat1", a, 2);
  check_rank("mm", "mat2", b, 2);
  check_same_device("mm", a, b);
  check_gemm_dtypes("mm", a, b);
  REEL_CHECK(a.size(1) == b.size(0), "mm: mat1 and mat2 shapes cannot be multiplied ({} and {})",
             matrix_str(a.sizes()), matrix_str(b.sizes()));
  const Tensor inputs[] = {a, b};
  Tensor out;
  run_op(OpId::mm, nullptr, inputs, {&out, {{{a.size(0), b.size(1)}, a.dtype(), a.device()}}});
  return out;
}

// C[b,m,n] = sum_k A[b,m,k] B[b,k,n]
Tensor bmm(const Tensor& a, const Tensor& b) {
  check_defined_pair("bmm", a, b);
  check_rank("bmm", "batch1", a, 3);
  check_rank("bmm", "batch2", b, 3);
  check_same_device("bmm", a, b);
  check_gemm_dtypes("bmm", a, b);
  REEL_CHECK(a.size(0) == b.size(0), "bmm: batch1 and batch2 must have the same batch size, got shapes {} and {}",
             shape_str(a.sizes()), shape_str(b.sizes()));
  REEL_CHECK(a.size(2) == b.size(1), "bmm: batch1 and batch2 shapes cannot be multiplied ({} and {})",
             matrix_str(a.sizes()), matrix_str(b.sizes()));
  const Tensor inputs[] = {a, b};
  Tensor out;
  run_op(OpId::bmm, nullptr, inputs, {&out, {{{a.size(0), a.size(1), b.size(2)}, a.dtype(), a.device()}}});
  return out;
}

// C = beta * M + alpha * A @ B, M broadcast to [m, n]. beta == 0 ignores M (NaN in M does not propagate).
// Recorded inputs: self, mat1, mat2; attrs: a = alpha, b = beta (0 when M was ignored).
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha) {
  self.check_defined("addmm");
  check_defined_pair("addmm", mat1, mat2);
  check_rank("addmm", "mat1", mat1, 2);
  check_rank("addmm", "mat2", mat2, 2);
  check_same_device("addmm", mat1, mat2);
  check_same_device("addmm", self, mat1);
  check_gemm_dtypes("addmm", mat1, mat2);
  REEL_CHECK(self.dtype() == mat1.dtype(),
             "addmm: self and mat2 must have the same dtype, but got {} and {} (shapes {} and {})",
             dtype_name(self.dtype()), dtype_name(mat2.dtype()), shape_str(self.sizes()), shape_str(mat2.sizes()));
  REEL_CHECK(mat1.size(1) == mat2.size(0), "addmm: mat1 and mat2 shapes cannot be multiplied ({} and {})",
             matrix_str(mat1.sizes()), matrix_str(mat2.sizes()));
  check_scale_factor("addmm", "alpha", mat1.dtype(), alpha);
  check_scale_factor("addmm", "beta", mat1.dtype(), beta);
  const DimVector out_shape{mat1.size(0), mat2.size(1)};
  REEL_CHECK(self.dim() <= 2 && broadcast_shapes(self.sizes(), out_shape, "addmm") == out_shape,
             "addmm: self of shape {} does not broadcast to the product's shape {}", shape_str(self.sizes()),
             shape_str(out_shape));
  const bool use_self = beta.to_double() != 0.0 || beta.is_bool();
  const OpAttrs attrs = family_attrs(ScaleAttrs{.alpha = alpha, .beta = use_self ? beta : Scalar(0)});
  const Tensor inputs[] = {mat1, mat2};
  Tensor out;
  run_op(OpId::addmm, &attrs, inputs,
         {&out, {{out_shape, mat1.dtype(), mat1.device(), Alloc::dense, use_self ? &self : nullptr}}},
         {.recorded_inputs = {&self, &mat1, &mat2}});
  return out;
}

// y = x W^T + b over the last dim of x (torch::linear). One GEMM: x viewed as [rows, in] times the weight
// transposed as a view (no copy), written into the output, which holds the broadcast bias first when there is one.
// Recorded as one node with inputs (input, weight, bias): its backward (autograd/derivatives.cpp) hands the
// weight's gradient, sum over rows of g^T x, to the engine to accumulate straight into the leaf's gradient.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_defined_pair("linear", input, weight);
  REEL_CHECK(weight.dim() == 2, "linear: weight must be 2-D (out_features, in_features), got shape {}",
             shape_str(weight.sizes()));
  REEL_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1),
             "linear: input of shape {} does not end in in_features = {} (weight shape {})", shape_str(input.sizes()),
             weight.size(1), shape_str(weight.sizes()));
  check_same_device("linear", input, weight);
  check_gemm_dtypes("linear", input, weight);
  if (bias.defined()) {
    REEL_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "linear: bias must have shape [{}] (out_features), got {}", weight.size(0), shape_str(bias.sizes()));
    check_same_device("linear", input, bias);
    REEL_CHECK(bias.dtype() == input.dtype(), "linear: bias of dtype {} does not match the input's dtype {}",
               dtype_name(bias.dtype()), dtype_name(input.dtype()));
  }
  DimVector out_shape(input.sizes());
  out_shape.back() = weight.size(0);
  const Tensor inputs[] = {input, weight, bias};
  Tensor out;
  run_op(OpId::linear, nullptr, inputs, {&out, {{out_shape, input.dtype(), input.device()}}},
         {.skip_kernel_when_empty = true, .allocating = "linear"});
  return out;
}

// self = beta * self + alpha * mat1 @ mat2. When nothing is recorded and self is a contiguous matrix of the
// product's shape, the GEMM writes into self directly (beta scales what is there); otherwise addmm's result is
// copied in and, when recorded, self takes over its history as every in-place op does.
Tensor& Tensor::addmm_(const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha) {
  check_defined("addmm_");
  check_defined_pair("addmm_", mat1, mat2);
  const bool recorded = detail::needs_recording({this, &mat1, &mat2});
  const bool direct = !recorded && dim() == 2 && is_contiguous() && mat1.dim() == 2 && mat2.dim() == 2 &&
                      size(0) == mat1.size(0) && size(1) == mat2.size(1) && dtype() == mat1.dtype() &&
                      device() == mat1.device();
  if (!direct) {
    return detail::in_place_recorded("addmm_", *this, {&mat1, &mat2}, [&](const Tensor& before) {
      return reel::addmm(before, mat1, mat2, beta, alpha);
    });
  }
  // Same checks as addmm, on the operands.
  check_same_device("addmm_", mat1, mat2);
  check_gemm_dtypes("addmm_", mat1, mat2);
  REEL_CHECK(mat1.size(1) == mat2.size(0), "addmm_: mat1 and mat2 shapes cannot be multiplied ({} and {})",
             matrix_str(mat1.sizes()), matrix_str(mat2.sizes()));
  check_scale_factor("addmm_", "alpha", mat1.dtype(), alpha);
  check_scale_factor("addmm_", "beta", mat1.dtype(), beta);
  detail::begin_write(*this, "addmm_");
  const OpAttrs attrs = family_attrs(ScaleAttrs{.alpha = alpha, .beta = beta});
  const Tensor inputs[] = {mat1, mat2};
  run_op(OpId::addmm, &attrs, inputs, *this, {.record = Record::no, .skip_kernel_when_empty = true});
  return *this;
}

// torch.matmul by rank: 1-D.1-D dot (0-dim result), 2-D.1-D mv, 1-D.2-D vector-matrix, 2-D.2-D mm, otherwise a
// batched product whose batch dims (all but the last two) broadcast; a 1-D operand gets a dim of size 1 added
// (before its dim on the left, after it on the right) and removed from the result.
Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined_pair("matmul", a, b);
  check_same_device("matmul", a, b);
  REEL_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both arguments need at least 1 dim, got shapes {} and {}",
             shape_str(a.sizes()), shape_str(b.sizes()));
  const int64_t inner_a = a.size(-1);
  const int64_t inner_b = b.dim() == 1 ? b.size(0) : b.size(-2);
  REEL_CHECK(inner_a == inner_b, "matmul: shapes {} and {} cannot be multiplied (contracted sizes {} and {})",
             shape_str(a.sizes()), shape_str(b.sizes()), inner_a, inner_b);
  check_gemm_dtypes("matmul", a, b);

  const int64_t dim_a = a.dim(), dim_b = b.dim();
  if (dim_a == 1 && dim_b == 1) return mm(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (dim_a == 2 && dim_b == 1) return mm(a, b.unsqueeze(1)).squeeze(1);
  if (dim_a == 1 && dim_b == 2) return mm(a.unsqueeze(0), b).squeeze(0);
  if (dim_a == 2 && dim_b == 2) return mm(a, b);

  if (dim_a >= 3 && dim_b <= 2) {
    // Fold a's batch dims into its rows: one large mm instead of many small ones.
    DimVector rows_shape(a.sizes());
    rows_shape.resize(rows_shape.size() - 1);
    const int64_t rows = checked_numel(rows_shape, "matmul");
    Tensor product = mm(a.reshape({rows, inner_a}), dim_b == 1 ? b.unsqueeze(1) : b);
    DimVector out_shape = rows_shape;
    if (dim_b == 2) out_shape.push_back(b.size(1));
    return product.reshape(out_shape);
  }

  // General case: broadcast the batch dims and run one bmm over their product.
  const Tensor lhs = dim_a == 1 ? a.unsqueeze(0) : a;
  const Tensor rhs = dim_b == 1 ? b.unsqueeze(1) : b;
  const int64_t n = lhs.size(-2), m = rhs.size(-1);
  const DimVector batch_a(IntList(lhs.sizes().data(), lhs.sizes().size() - 2));
  const DimVector batch_b(IntList(rhs.sizes().data(), rhs.sizes().size() - 2));
  const DimVector batch = broadcast_shapes(batch_a, batch_b, "matmul");
  const int64_t batch_count = checked_numel(batch, "matmul");

  auto expanded_shape = [&](int64_t rows, int64_t cols) {
    DimVector shape = batch;
    shape.push_back(rows);
    shape.push_back(cols);
    return shape;
  };
  const Tensor lhs3 = lhs.expand(expanded_shape(n, inner_a)).reshape({batch_count, n, inner_a});
  const Tensor rhs3 = rhs.expand(expanded_shape(inner_a, m)).reshape({batch_count, inner_a, m});
  DimVector out_shape = batch;
  if (dim_a > 1) out_shape.push_back(n);
  if (dim_b > 1) out_shape.push_back(m);
  return bmm(lhs3, rhs3).reshape(out_shape);
}

// C[i,j] = a_i b_j (with type promotion, like torch.outer)
Tensor outer(const Tensor& a, const Tensor& b) {
  check_defined_pair("outer", a, b);
  check_same_device("outer", a, b);
  REEL_CHECK(a.dim() == 1 && b.dim() == 1, "outer: expected 1-D tensors, got shapes {} and {}",
             shape_str(a.sizes()), shape_str(b.sizes()));
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}

Tensor Tensor::mm(const Tensor& other) const { return reel::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return reel::bmm(*this, other); }
Tensor Tensor::matmul(const Tensor& other) const { return reel::matmul(*this, other); }
Tensor Tensor::outer(const Tensor& other) const { return reel::outer(*this, other); }
Tensor Tensor::addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha) const {
  return reel::addmm(*this, mat1, mat2, beta, alpha);
}

}  // namespace reel
