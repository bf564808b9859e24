// reel/tensor/ops_linalg_norms.cpp — torch::linalg's norms: vector_norm, matrix_norm and norm (which picks one
// of the two from ord and dim, as torch.linalg.norm does).
//
// Composites: vector_norm is the norm reduction (tensor/ops_reduce.cpp, with its own backward) after an optional cast
// to `dtype`; matrix_norm's "fro" is vector_norm over the two dims, its 1 / -1 / inf / -inf are a sum of |x| over one
// dim and an amax / amin over the other; "nuc", 2 and -2 are the sum, largest and smallest of linalg::svdvals over
// the two dims (tensor/ops_svd.cpp), which differentiates as U diag(g) Vh. Like PyTorch, the inputs must be floating (integer tensors are refused rather than converted), and an order
// without identity (negative or infinite) refuses an empty reduction.
#include <cmath>
#include <string>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::linalg {

namespace {

// The input cast to `dtype` when one is given; both must be floating.
Tensor norm_input(const char* op, const Tensor& self, std::optional<ScalarType> dtype) {
  self.check_defined(op);
  REEL_CHECK(is_floating_point(self.dtype()), "{}: Expected a floating point tensor as input. Got {} (shape {})", op,
             dtype_name(self.dtype()), shape_str(self.sizes()));
  if (!dtype) return self;
  REEL_CHECK(is_floating_point(*dtype), "{}: dtype must be a floating point dtype, got {}", op, dtype_name(*dtype));
  return self.dtype() == *dtype ? self : self.to(*dtype);
}

// The two matrix dims, wrapped and distinct.
std::pair<int64_t, int64_t> matrix_dims(const char* op, const Tensor& x, IntList dim) {
  REEL_CHECK(x.dim() >= 2, "{}: The input tensor A must have at least 2 dimensions, got shape {}", op,
             shape_str(x.sizes()));
  REEL_CHECK(dim.size() == 2, "{}: dim must be a 2-tuple. Got {}", op, shape_str(dim));
  const int64_t d0 = wrap_dim(dim[0], x.sizes(), op), d1 = wrap_dim(dim[1], x.sizes(), op);
  REEL_CHECK(d0 != d1, "{}: dims must be different. Got ({}, {})", op, dim[0], dim[1]);
  return {d0, d1};
}

// "nuc" / 2 / -2: the sum / largest / smallest singular value of each matrix over dims (d0, d1)
Tensor singular_value_norm(const Tensor& x, int64_t d0, int64_t d1, int kind, bool keepdim) {
  const Tensor s = svdvals(movedim(x, IntList{d0, d1}, IntList{-2, -1}));  // (rest..., k)
  REEL_CHECK(kind == 0 || s.size(-1) > 0, "linalg.matrix_norm: the {} norm of an empty matrix has no value (input "
             "shape {})", kind > 0 ? 2 : -2, shape_str(x.sizes()));
  Tensor y = kind == 0 ? s.sum({-1}) : kind > 0 ? s.amax({-1}) : s.amin({-1});
  if (keepdim) y = y.unsqueeze(std::min(d0, d1)).unsqueeze(std::max(d0, d1));
  return y;
}

// Drops the two (size-1) reduced dims of a keepdim result unless keepdim.
Tensor drop_matrix_dims(Tensor y, int64_t d0, int64_t d1, bool keepdim) {
  if (keepdim) return y;
  return y.squeeze(std::max(d0, d1)).squeeze(std::min(d0, d1));
}

}  // namespace

// y = (sum_i |x_i|^ord)^(1/ord) over dim (all dims when absent or empty); ord 0: count of nonzeros; +-inf: max/min |x_i|
Tensor vector_norm(const Tensor& self, Scalar ord, std::optional<IntList> dim, bool keepdim,
                   std::optional<ScalarType> dtype) {
  const Tensor x = norm_input("linalg.vector_norm", self, dtype);
  const IntList dims = dim.value_or(IntList());
  const double order = ord.to_double();
  if (order < 0 || std::isinf(order)) {
    int64_t reduced = 1;
    if (dims.empty()) reduced = x.numel();
    else
      for (int64_t d : dims) reduced *= x.size(wrap_dim(d, x.sizes(), "linalg.vector_norm"));
    REEL_CHECK(reduced != 0, "linalg.vector_norm: cannot compute the {} norm on an empty tensor because the operation "
               "does not have an identity (input shape {}, dim {})", order, shape_str(x.sizes()), shape_str(dims));
  }
  return reel::norm(x, ord, dims, keepdim);
}

// ord 1 / -1: max / min over dim[1] of sum_{dim[0]} |x|; inf / -inf: max / min over dim[0] of sum_{dim[1]} |x|
Tensor matrix_norm(const Tensor& self, Scalar ord, IntList dim, bool keepdim, std::optional<ScalarType> dtype) {
  const Tensor x = norm_input("linalg.matrix_norm", self, dtype);
  const auto [d0, d1] = matrix_dims("linalg.matrix_norm", x, dim);
  const double order = ord.to_double();
  if (std::fabs(order) == 2) return singular_value_norm(x, d0, d1, order > 0 ? 1 : -1, keepdim);
  REEL_CHECK(std::fabs(order) == 1 || std::isinf(order), "linalg.matrix_norm: Order {} not supported (supported: "
             "'fro', 'nuc', 1, -1, 2, -2, inf, -inf)", order);
  const bool columns = std::fabs(order) == 1;  // sum down each column, then the extreme over the columns
  const int64_t summed = columns ? d0 : d1, extreme = columns ? d1 : d0;
  const Tensor sums = abs(x).sum({summed}, true);
  REEL_CHECK(x.size(extreme) != 0, "linalg.matrix_norm: cannot compute the {} norm of an input with no {} (shape {})",
             order, columns ? "columns" : "rows", shape_str(x.sizes()));
  const Tensor y = order > 0 ? sums.amax({extreme}, true) : sums.amin({extreme}, true);
  return drop_matrix_dims(y, d0, d1, keepdim);
}

// ord "fro": sqrt(sum |x_ij|^2) over the two dims; "nuc": the sum of the singular values
Tensor matrix_norm(const Tensor& self, std::string_view ord, IntList dim, bool keepdim,
                   std::optional<ScalarType> dtype) {
  const Tensor x = norm_input("linalg.matrix_norm", self, dtype);
  const auto [d0, d1] = matrix_dims("linalg.matrix_norm", x, dim);
  if (ord == "nuc") return singular_value_norm(x, d0, d1, 0, keepdim);
  REEL_CHECK(ord == "fro", "linalg.matrix_norm: Order {} not supported (supported: 'fro', 'nuc', 1, -1, 2, -2, inf, "
             "-inf)", ord);
  return vector_norm(x, 2, IntList{d0, d1}, keepdim);
}

// torch.linalg.norm: a matrix norm when ord is given and (dim has two entries, or dim is absent and x is 2-D);
// otherwise a vector norm (ord 2 by default; over every dim when dim is absent)
Tensor norm(const Tensor& self, std::optional<Scalar> ord, std::optional<IntList> dim, bool keepdim,
            std::optional<ScalarType> dtype) {
  self.check_defined("linalg.norm");
  if (dim) {
    REEL_CHECK(dim->size() == 1 || dim->size() == 2, "linalg.norm: If dim is specified, it must be of length 1 or 2. "
               "Got {}", shape_str(*dim));
  } else if (ord) {
    REEL_CHECK(self.dim() == 1 || self.dim() == 2, "linalg.norm: If dim is not specified but ord is, the input must be "
               "1D or 2D. Got {}D (shape {})", self.dim(), shape_str(self.sizes()));
  }
  if (ord && ((dim && dim->size() == 2) || (!dim && self.dim() == 2)))
    return matrix_norm(self, *ord, dim ? *dim : IntList{0, 1}, keepdim, dtype);
  return vector_norm(self, ord.value_or(Scalar(2)), dim, keepdim, dtype);
}

// torch.linalg.norm with a string ord: always a matrix norm, over dim or (for a 2-D input) both dims
Tensor norm(const Tensor& self, std::string_view ord, std::optional<IntList> dim, bool keepdim,
            std::optional<ScalarType> dtype) {
  self.check_defined("linalg.norm");
  if (dim) {
    REEL_CHECK(dim->size() == 1 || dim->size() == 2, "linalg.norm: If dim is specified, it must be of length 1 or 2. "
               "Got {}", shape_str(*dim));
  } else {
    REEL_CHECK(self.dim() == 1 || self.dim() == 2, "linalg.norm: If dim is not specified but ord is, the input must be "
               "1D or 2D. Got {}D (shape {})", self.dim(), shape_str(self.sizes()));
  }
  return matrix_norm(self, ord, dim ? *dim : IntList{0, 1}, keepdim, dtype);
}

}  // namespace reel::linalg
