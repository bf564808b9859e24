// reel/tensor/ops_compare.cpp — comparisons LibTorch spells as their own functions, written with the elementwise
// ops: max(a, b) / min(a, b) (maximum / minimum), isclose, allclose and equal, plus their Tensor methods.
//
// isclose follows PyTorch's definition: a == b, or |a - b| <= atol + rtol * |b| with |a - b| finite; NaNs are close
// to each other only with equal_nan; bool operands compare in float32. Both operands must have one dtype.
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel {

// y = max(a, b) elementwise (LibTorch's max(self, other) overload)
Tensor max(const Tensor& self, const Tensor& other) { return maximum(self, other); }
// y = min(a, b) elementwise
Tensor min(const Tensor& self, const Tensor& other) { return minimum(self, other); }

// y = a == b || (|a - b| finite && |a - b| <= atol + rtol |b|) (|| both NaN, with equal_nan)
Tensor isclose(const Tensor& self, const Tensor& other, double rtol, double atol, bool equal_nan) {
  self.check_defined("isclose");
  other.check_defined("isclose");
  REEL_CHECK(self.dtype() == other.dtype(), "isclose: expected self and other to have the same dtype, but got {} and {}",
             dtype_name(self.dtype()), dtype_name(other.dtype()));
  REEL_CHECK(rtol >= 0, "isclose: rtol must be greater than or equal to zero, but got {}", rtol);
  REEL_CHECK(atol >= 0, "isclose: atol must be greater than or equal to zero, but got {}", atol);
  NoGradGuard no_grad;
  Tensor close = eq(self, other);
  if (equal_nan && is_floating_point(self.dtype())) close = logical_or(close, logical_and(isnan(self), isnan(other)));
  const Tensor a = self.dtype() == kBool ? self.to(kFloat32) : self;
  const Tensor b = other.dtype() == kBool ? other.to(kFloat32) : other;
  const Tensor allowed = abs(b * rtol) + atol;
  const Tensor actual = abs(a - b);
  return logical_or(close, logical_and(isfinite(actual), le(actual, allowed)));
}

// all(isclose(a, b)), as a bool
bool allclose(const Tensor& self, const Tensor& other, double rtol, double atol, bool equal_nan) {
  return isclose(self, other, rtol, atol, equal_nan).all().item<bool>();
}

// true when a and b have the same sizes and equal values everywhere (NaN is never equal)
bool equal(const Tensor& self, const Tensor& other) {
  self.check_defined("equal");
  other.check_defined("equal");
  REEL_CHECK(self.device() == other.device(), "equal: expected both tensors on one device, got {} and {}",
             self.device().str(), other.device().str());
  if (self.sizes() != other.sizes()) return false;
  NoGradGuard no_grad;
  return eq(self, other).all().item<bool>();
}

Tensor Tensor::max(const Tensor& other) const { return reel::max(*this, other); }
Tensor Tensor::min(const Tensor& other) const { return reel::min(*this, other); }
Tensor Tensor::isclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return reel::isclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return reel::allclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::equal(const Tensor& other) const { return reel::equal(*this, other); }

}  // namespace reel
