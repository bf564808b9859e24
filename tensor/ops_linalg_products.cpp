// reel/tensor/ops_linalg_products.cpp — the products and diagonal ops LibTorch has beside mm/bmm/matmul: dot, vdot,
// mv, addmv, baddbmm, addbmm, tensordot, kron, trace, diagonal, diag, diag_embed, cross, linalg::cross and cdist,
// plus their Tensor methods.
//
// All are composites (Composite rows in tensor/ops.def) written with the GEMM ops (mm, bmm, addmm), views and
// elementwise ops, so they run on every device the ops they use run on and differentiate through them, gradients
// of gradients included. The GEMM-based ones keep mm's dtype rule (one dtype for the matrices, no bool) and do the
// work in one GEMM: addbmm folds the batch into the inner dim ([n, b*k] @ [b*k, m]), tensordot permutes and
// reshapes both operands into one mm. diag_embed writes its input into the diagonal view of a zero tensor, the
// write recorded like any in-place op on a view. cdist with p = 2 uses |x|^2 + |y|^2 - 2 x.y (one batched GEMM)
// when PyTorch would; otherwise the norm of the broadcast differences.
#include <algorithm>
#include <cmath>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel {

namespace {

void check_defined_all(const char* op, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) t->check_defined(op);
}

void check_one_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(),
             "{}: expected all tensors on one device, got {} (shape {}) and {} (shape {})", op, a.device().str(),
             shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

// mm's rule: the operands of the product share one dtype, and bool is not a GEMM type.
void check_product_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.dtype() == b.dtype(), "{}: expected both operands to have the same dtype, but got {} and {} (shapes {} "
             "and {})", op, dtype_name(a.dtype()), dtype_name(b.dtype()), shape_str(a.sizes()), shape_str(b.sizes()));
  REEL_CHECK(a.dtype() != kBool, "{}: dtype bool is not supported (shapes {} and {})", op, shape_str(a.sizes()),
             shape_str(b.sizes()));
}

void check_rank(const char* op, const char* name, const Tensor& t, int64_t rank) {
  REEL_CHECK(t.dim() == rank, "{}: {} must be a {}-D tensor, got {}-D of shape {}", op, name, rank, t.dim(),
             shape_str(t.sizes()));
}

// alpha and beta must not be floating for integer tensors (PyTorch's rule: the result would be truncated).
void check_scale_factor(const char* op, const char* name, ScalarType dtype, Scalar value) {
  REEL_CHECK(is_floating_point(dtype) || !value.is_floating_point(),
             "{}: for integral input tensors, argument {} must not be a floating point number (got {})", op, name,
             value.to_double());
}

// `self` of an add*-op must be of the product's dtype and broadcast to the product's shape.
void check_self_operand(const char* op, const Tensor& self, const Tensor& operand, IntList out_shape) {
  check_one_device(op, self, operand);
  REEL_CHECK(self.dtype() == operand.dtype(), "{}: self and the product operands must have the same dtype, but got "
             "{} and {} (shapes {} and {})", op, dtype_name(self.dtype()), dtype_name(operand.dtype()),
             shape_str(self.sizes()), shape_str(operand.sizes()));
  const auto rank = static_cast<int64_t>(out_shape.size());
  bool fits = self.dim() <= rank;
  for (int64_t i = 1; fits && i <= self.dim(); ++i)
    fits = self.size(-i) == 1 || self.size(-i) == out_shape[static_cast<size_t>(rank - i)];
  REEL_CHECK(fits, "{}: self of shape {} does not broadcast to the product's shape {}", op, shape_str(self.sizes()),
             shape_str(out_shape));
}

bool uses_self(Scalar beta) { return beta.is_bool() || beta.to_double() != 0.0; }

}  // namespace

// y = sum_i a_i b_i (0-dim)
Tensor dot(const Tensor& self, const Tensor& tensor) {
  check_defined_all("dot", {&self, &tensor});
  REEL_CHECK(self.dim() == 1 && tensor.dim() == 1, "dot: 1D tensors expected, but got {}D and {}D tensors (shapes {} "
             "and {})", self.dim(), tensor.dim(), shape_str(self.sizes()), shape_str(tensor.sizes()));
  REEL_CHECK(self.size(0) == tensor.size(0), "dot: inconsistent tensor size, expected tensor {} and src {} to have the "
             "same number of elements, but got {} and {} elements respectively", shape_str(self.sizes()),
             shape_str(tensor.sizes()), self.size(0), tensor.size(0));
  check_one_device("dot", self, tensor);
  check_product_dtypes("dot", self, tensor);
  return mm(self.unsqueeze(0), tensor.unsqueeze(1)).reshape({});
}

// y = sum_i conj(a_i) b_i: dot, as reel has no complex dtypes
Tensor vdot(const Tensor& self, const Tensor& other) {
  check_defined_all("vdot", {&self, &other});
  REEL_CHECK(self.dim() == 1 && other.dim() == 1, "vdot: 1D tensors expected, but got {}D and {}D tensors (shapes {} "
             "and {})", self.dim(), other.dim(), shape_str(self.sizes()), shape_str(other.sizes()));
  return dot(self, other);
}

// y_i = sum_j A[i,j] v_j
Tensor mv(const Tensor& self, const Tensor& vec) {
  check_defined_all("mv", {&self, &vec});
  check_rank("mv", "mat", self, 2);
  check_rank("mv", "vec", vec, 1);
  check_one_device("mv", self, vec);
  check_product_dtypes("mv", self, vec);
  REEL_CHECK(self.size(1) == vec.size(0), "mv: size mismatch, got mat ({}x{}) and vec ({})", self.size(0),
             self.size(1), vec.size(0));
  return mm(self, vec.unsqueeze(1)).squeeze(1);
}

// y = beta * self + alpha * A v, self broadcast to [n]; beta == 0 ignores self (NaN in it does not propagate)
Tensor addmv(const Tensor& self, const Tensor& mat, const Tensor& vec, Scalar beta, Scalar alpha) {
  check_defined_all("addmv", {&self, &mat, &vec});
  check_rank("addmv", "mat", mat, 2);
  check_rank("addmv", "vec", vec, 1);
  check_one_device("addmv", mat, vec);
  check_product_dtypes("addmv", mat, vec);
  REEL_CHECK(mat.size(1) == vec.size(0), "addmv: size mismatch, got input {}, mat ({}x{}), vec ({})",
             shape_str(self.sizes()), mat.size(0), mat.size(1), vec.size(0));
  check_self_operand("addmv", self, mat, {mat.size(0)});
  check_scale_factor("addmv", "alpha", mat.dtype(), alpha);
  check_scale_factor("addmv", "beta", mat.dtype(), beta);
  const Tensor self_column = self.dim() == 1 ? self.unsqueeze(1) : self;  // [n] or [1] -> a column; 0-dim as is
  return addmm(self_column, mat, vec.unsqueeze(1), beta, alpha).squeeze(1);
}

// y[b] = beta * self[b] + alpha * A[b] @ B[b], self broadcast to [batch, n, m]; beta == 0 ignores self
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_defined_all("baddbmm", {&self, &batch1, &batch2});
  check_rank("baddbmm", "batch1", batch1, 3);
  check_rank("baddbmm", "batch2", batch2, 3);
  check_one_device("baddbmm", batch1, batch2);
  check_product_dtypes("baddbmm", batch1, batch2);
  REEL_CHECK(batch1.size(0) == batch2.size(0) && batch1.size(2) == batch2.size(1),
             "baddbmm: batch1 and batch2 shapes cannot be multiplied ({} and {})", shape_str(batch1.sizes()),
             shape_str(batch2.sizes()));
  check_self_operand("baddbmm", self, batch1, {batch1.size(0), batch1.size(1), batch2.size(2)});
  check_scale_factor("baddbmm", "alpha", batch1.dtype(), alpha);
  check_scale_factor("baddbmm", "beta", batch1.dtype(), beta);
  Tensor product = bmm(batch1, batch2);
  if (alpha.is_bool() ? !alpha.to_bool() : alpha.to_double() != 1.0) product = mul(product, alpha);
  if (!uses_self(beta)) return product;
  const bool unit_beta = !beta.is_bool() && beta.to_double() == 1.0;
  return add(product, unit_beta ? self : mul(self, beta));
}

// y = beta * self + alpha * sum_b A[b] @ B[b], self broadcast to [n, m]: one addmm of A as [n, b*k] (the batch folded
// into the inner dim) and B as [b*k, m]
Tensor addbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) {
  check_defined_all("addbmm", {&self, &batch1, &batch2});
  check_rank("addbmm", "batch1", batch1, 3);
  check_rank("addbmm", "batch2", batch2, 3);
  check_one_device("addbmm", batch1, batch2);
  check_product_dtypes("addbmm", batch1, batch2);
  REEL_CHECK(batch1.size(0) == batch2.size(0) && batch1.size(2) == batch2.size(1),
             "addbmm: batch1 and batch2 shapes cannot be multiplied ({} and {})", shape_str(batch1.sizes()),
             shape_str(batch2.sizes()));
  const int64_t batch = batch1.size(0), n = batch1.size(1), k = batch1.size(2), m = batch2.size(2);
  check_self_operand("addbmm", self, batch1, {n, m});
  check_scale_factor("addbmm", "alpha", batch1.dtype(), alpha);
  check_scale_factor("addbmm", "beta", batch1.dtype(), beta);
  const Tensor rows = batch1.transpose(0, 1).reshape({n, batch * k});
  const Tensor columns = batch2.reshape({batch * k, m});
  return addmm(self, rows, columns, beta, alpha);
}

// y[free_a..., free_b...] = sum over the paired dims of a[...] b[...]: both permuted and reshaped into one mm. A paired
// dim of size 1 on one side is summed away on the other first (PyTorch's broadcast rule).
Tensor tensordot(const Tensor& self, const Tensor& other, IntList dims_self, IntList dims_other) {
  check_defined_all("tensordot", {&self, &other});
  check_one_device("tensordot", self, other);
  check_product_dtypes("tensordot", self, other);
  REEL_CHECK(dims_self.size() == dims_other.size(), "tensordot: both dimension lists should have same length, got {} "
             "and {} (shapes {} and {})", shape_str(dims_self), shape_str(dims_other), shape_str(self.sizes()),
             shape_str(other.sizes()));
  Tensor a = self, b = other;
  std::vector<bool> paired_a(static_cast<size_t>(a.dim()), false), paired_b(static_cast<size_t>(b.dim()), false);
  DimVector contracted_a, contracted_b;
  int64_t inner = 1;
  for (size_t i = 0; i < dims_self.size(); ++i) {
    const int64_t da = wrap_dim(dims_self[i], a.sizes(), "tensordot");
    const int64_t db = wrap_dim(dims_other[i], b.sizes(), "tensordot");
    REEL_CHECK(!paired_a[static_cast<size_t>(da)] && !paired_b[static_cast<size_t>(db)],
               "tensordot: a dim appears twice in the lists of dims {} and {}", shape_str(dims_self),
               shape_str(dims_other));
    paired_a[static_cast<size_t>(da)] = paired_b[static_cast<size_t>(db)] = true;
    const int64_t sa = a.size(da), sb = b.size(db);
    if (sa != sb && sb == 1) {
      a = a.sum({da}, true).to(self.dtype());
    } else if (sa != sb && sa == 1) {
      b = b.sum({db}, true).to(other.dtype());
    } else {
      REEL_CHECK(sa == sb, "tensordot: contracted dimensions need to match, but first has size {} in dim {} and "
                 "second has size {} in dim {} (shapes {} and {})", sa, da, sb, db, shape_str(self.sizes()),
                 shape_str(other.sizes()));
    }
    contracted_a.push_back(da);
    contracted_b.push_back(db);
    inner *= a.size(da);
  }
  DimVector order_a, order_b, out_shape;
  int64_t rows = 1, columns = 1;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (paired_a[static_cast<size_t>(d)]) continue;
    order_a.push_back(d);
    out_shape.push_back(a.size(d));
    rows *= a.size(d);
  }
  for (int64_t d : contracted_a) order_a.push_back(d);
  for (int64_t d : contracted_b) order_b.push_back(d);
  for (int64_t d = 0; d < b.dim(); ++d) {
    if (paired_b[static_cast<size_t>(d)]) continue;
    order_b.push_back(d);
    out_shape.push_back(b.size(d));
    columns *= b.size(d);
  }
  return mm(a.permute(order_a).reshape({rows, inner}), b.permute(order_b).reshape({inner, columns})).reshape(out_shape);
}

// y[i*m + k, j*n + l] = a[i,j] b[k,l], for any ranks (the shorter shape padded with leading 1s): a viewed as
// [a0, 1, a1, 1, ...] times b as [1, b0, 1, b1, ...], then merged pairwise
Tensor kron(const Tensor& self, const Tensor& other) {
  check_defined_all("kron", {&self, &other});
  check_one_device("kron", self, other);
  const int64_t rank = std::max(self.dim(), other.dim());
  DimVector spread_a, spread_b, out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t sa = d < rank - self.dim() ? 1 : self.size(d - (rank - self.dim()));
    const int64_t sb = d < rank - other.dim() ? 1 : other.size(d - (rank - other.dim()));
    spread_a.push_back(sa);
    spread_a.push_back(1);
    spread_b.push_back(1);
    spread_b.push_back(sb);
    out_shape.push_back(sa * sb);
  }
  return mul(self.reshape(spread_a), other.reshape(spread_b)).reshape(out_shape);
}

// y = sum_i x[i,i] (integers and bool sum to int64, as sum does)
Tensor trace(const Tensor& self) {
  self.check_defined("trace");
  REEL_CHECK(self.dim() == 2, "trace: expected a matrix, but got tensor with dim {} (shape {})", self.dim(),
             shape_str(self.sizes()));
  return self.diagonal().sum();
}

// y = x.diagonal(offset, dim1, dim2) (the view)
Tensor diagonal(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  return self.diagonal(offset, dim1, dim2);
}

// 1-D x: the square matrix with x on diagonal k; 2-D x: a copy of its diagonal k
Tensor diag(const Tensor& self, int64_t diagonal) {
  self.check_defined("diag");
  REEL_CHECK(self.dim() == 1 || self.dim() == 2, "diag: supports 1D or 2D tensors, got {}D (shape {})", self.dim(),
             shape_str(self.sizes()));
  if (self.dim() == 1) return diag_embed(self, diagonal, 0, 1);
  return self.diagonal(diagonal).clone();
}

// y[..., i, i + offset] = x[..., i] over output dims dim1, dim2 (of size n + |offset|), zeros elsewhere
Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  self.check_defined("diag_embed");
  REEL_CHECK(self.dim() >= 1, "diag_embed: expected a tensor of at least 1 dim, got shape {}", shape_str(self.sizes()));
  const int64_t out_rank = self.dim() + 1;
  const int64_t d1 = wrap_dim(dim1, out_rank, "diag_embed");
  const int64_t d2 = wrap_dim(dim2, out_rank, "diag_embed");
  REEL_CHECK(d1 != d2, "diag_embed: diagonal dimensions cannot be identical {}, {} (input shape {})", dim1, dim2,
             shape_str(self.sizes()));
  const int64_t side = self.size(-1) + (offset < 0 ? -offset : offset);
  DimVector out_shape(self.sizes());
  out_shape.resize(out_shape.size() - 1);
  out_shape.insert(static_cast<size_t>(std::min(d1, d2)), side);
  out_shape.insert(static_cast<size_t>(std::max(d1, d2)), side);
  Tensor out = zeros(out_shape, self.options());
  out.diagonal(offset, d1, d2).copy_(self);
  return out;
}

// y = a x b along dim: (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0), a and b broadcast (linalg.cross)
Tensor linalg::cross(const Tensor& self, const Tensor& other, int64_t dim) {
  check_defined_all("linalg.cross", {&self, &other});
  check_one_device("linalg.cross", self, other);
  REEL_CHECK(self.dim() == other.dim(), "linalg.cross: inputs must have the same number of dimensions, got shapes {} "
             "and {}", shape_str(self.sizes()), shape_str(other.sizes()));
  REEL_CHECK(self.dim() >= 1, "linalg.cross: inputs must have at least 1 dim, got 0-dim tensors");
  const int64_t d = wrap_dim(dim, self.sizes(), "linalg.cross");
  REEL_CHECK(self.size(d) == 3 && other.size(d) == 3, "linalg.cross: inputs dimension {} must have length 3. Got {} "
             "and {} (shapes {} and {})", dim, self.size(d), other.size(d), shape_str(self.sizes()),
             shape_str(other.sizes()));
  broadcast_shapes(self.sizes(), other.sizes(), "linalg.cross");  // throws naming both shapes when they do not
  auto a = [&](int64_t i) { return self.narrow(d, i, 1); };
  auto b = [&](int64_t i) { return other.narrow(d, i, 1); };
  return cat({sub(mul(a(1), b(2)), mul(a(2), b(1))), sub(mul(a(2), b(0)), mul(a(0), b(2))),
              sub(mul(a(0), b(1)), mul(a(1), b(0)))},
             d);
}

// torch::cross: linalg::cross along dim, or along the first dim of self of size 3 when none is given
Tensor cross(const Tensor& self, const Tensor& other, std::optional<int64_t> dim) {
  check_defined_all("cross", {&self, &other});
  if (dim) return linalg::cross(self, other, *dim);
  for (int64_t d = 0; d < self.dim(); ++d)
    if (self.size(d) == 3) return linalg::cross(self, other, d);
  throw_error(fmt::format("cross: no dimension of size 3 in input of shape {}", shape_str(self.sizes())));
}

// y[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p, batch dims broadcast
Tensor cdist(const Tensor& x1, const Tensor& x2, double p, std::optional<int64_t> compute_mode) {
  check_defined_all("cdist", {&x1, &x2});
  check_one_device("cdist", x1, x2);
  REEL_CHECK(x1.dim() >= 2 && x2.dim() >= 2, "cdist: only supports at least 2D tensors, got shapes {} and {}",
             shape_str(x1.sizes()), shape_str(x2.sizes()));
  REEL_CHECK(x1.size(-1) == x2.size(-1), "cdist: X1 and X2 must have the same number of columns. X1: {} X2: {} "
             "(shapes {} and {})", x1.size(-1), x2.size(-1), shape_str(x1.sizes()), shape_str(x2.sizes()));
  REEL_CHECK(is_floating_point(x1.dtype()) && x1.dtype() == x2.dtype(), "cdist: only supports floating-point dtypes "
             "(one for both), got {} and {}", dtype_name(x1.dtype()), dtype_name(x2.dtype()));
  REEL_CHECK(p >= 0, "cdist: only supports non-negative p values, got {}", p);
  const int64_t mode = compute_mode.value_or(0);
  REEL_CHECK(mode >= 0 && mode <= 2, "cdist: possible modes: None, 0, 1, 2, but was: {}", mode);
  const int64_t rows1 = x1.size(-2), rows2 = x2.size(-2), columns = x1.size(-1);
  const DimVector batch = broadcast_shapes(IntList(x1.sizes().data(), x1.sizes().size() - 2),
                                           IntList(x2.sizes().data(), x2.sizes().size() - 2), "cdist");
  auto with_batch = [&](int64_t rows, int64_t cols) {
    DimVector shape = batch;
    shape.push_back(rows);
    shape.push_back(cols);
    return shape;
  };
  const Tensor a = x1.expand(with_batch(rows1, columns)), b = x2.expand(with_batch(rows2, columns));
  if (columns == 0) return zeros(with_batch(rows1, rows2), x1.options());  // every distance is 0
  const bool use_mm = p == 2 && (mode == 1 || (mode == 0 && (rows1 > 25 || rows2 > 25)));
  if (use_mm) {
    // |a_i - b_j|^2 = |a_i|^2 + |b_j|^2 - 2 a_i.b_j, clamped at 1e-30 (rounding can make it negative) like PyTorch
    const Tensor square_a = square(a).sum({-1}, true), square_b = square(b).sum({-1}, true);
    const Tensor cross_terms = matmul(a, b.transpose(-2, -1));
    return sqrt(clamp(add(sub(square_a, mul(cross_terms, 2)), square_b.transpose(-2, -1)), 1e-30));
  }
  return norm(sub(a.unsqueeze(-2), b.unsqueeze(-3)), p, {-1});
}

Tensor Tensor::dot(const Tensor& tensor) const { return reel::dot(*this, tensor); }
Tensor Tensor::vdot(const Tensor& other) const { return reel::vdot(*this, other); }
Tensor Tensor::mv(const Tensor& vec) const { return reel::mv(*this, vec); }
Tensor Tensor::addmv(const Tensor& mat, const Tensor& vec, Scalar beta, Scalar alpha) const {
  return reel::addmv(*this, mat, vec, beta, alpha);
}
Tensor Tensor::baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) const {
  return reel::baddbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::addbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta, Scalar alpha) const {
  return reel::addbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::kron(const Tensor& other) const { return reel::kron(*this, other); }
Tensor Tensor::trace() const { return reel::trace(*this); }
Tensor Tensor::diag(int64_t diagonal) const { return reel::diag(*this, diagonal); }
Tensor Tensor::diag_embed(int64_t offset, int64_t dim1, int64_t dim2) const {
  return reel::diag_embed(*this, offset, dim1, dim2);
}
Tensor Tensor::cross(const Tensor& other, std::optional<int64_t> dim) const { return reel::cross(*this, other, dim); }

}  // namespace reel
