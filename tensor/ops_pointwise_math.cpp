// reel/tensor/ops_pointwise_math.cpp — the front doors of the pointwise ops that are not plain op-table rows:
// div with a rounding mode, lerp, clamp with tensor bounds, masked_fill with a tensor value, LibTorch's
// polygamma(n, x), the Tensor methods of the parameterised rows (logit, nan_to_num, polygamma) and the dtype limits
// nan_to_num defaults to. The op-table rows themselves (tan ... signbit, atan2 ... clamp_max) get their front doors
// from ops.def in tensor/ops_elementwise.cpp.
//
// Each mirrors LibTorch's signature and PyTorch's dtype rules; composites (div with a mode, the one-bound clamps,
// masked_fill) are written with other ops and differentiate through them.
#include <limits>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace detail {

// The largest finite value of t's dtype (0 for an undefined t: the front door then reports the undefined input).
double largest_finite(const Tensor& t) {
  if (!t.defined()) return 0.0;
  switch (t.dtype()) {
    case kFloat16: return 65504.0;
    case kBFloat16: return 3.3895313892515355e38;
    case kFloat32: return static_cast<double>(std::numeric_limits<float>::max());
    case kFloat64: return std::numeric_limits<double>::max();
    default: return 0.0;  // integer and bool inputs pass through nan_to_num unchanged
  }
}
double lowest_finite(const Tensor& t) { return -largest_finite(t); }

}  // namespace detail

namespace {

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(), "{}: expected all tensors on one device, got {} (shape {}) and {} (shape {})",
             op, a.device().str(), shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

const Tensor& cast_operand(const Tensor& t, ScalarType dtype, Tensor& storage) {
  if (t.dtype() == dtype) return t;
  storage = t.to(dtype);
  return storage;
}

// PyTorch's result_type of several tensors: dimensioned ones outrank 0-dim ones unless those are of a higher
// category (bool < integer < floating).
ScalarType result_type_of(std::initializer_list<const Tensor*> tensors) {
  std::optional<ScalarType> dimensioned, zero_dim;
  for (const Tensor* t : tensors) {
    std::optional<ScalarType>& slot = t->dim() > 0 ? dimensioned : zero_dim;
    slot = slot ? promote_types(*slot, t->dtype()) : t->dtype();
  }
  if (!dimensioned || !zero_dim) return dimensioned ? *dimensioned : *zero_dim;
  if (is_floating_point(*dimensioned)) return *dimensioned;
  if (*dimensioned == kBool || is_floating_point(*zero_dim)) return promote_types(*dimensioned, *zero_dim);
  return *dimensioned;
}

// The given bound of clamp: a defined tensor in the optional.
bool given(const std::optional<Tensor>& bound) { return bound.has_value() && bound->defined(); }

}  // namespace

// ---- polygamma in LibTorch's argument order ------------------------------------------------------------------
// y = d^n/dx^n digamma(x)
Tensor polygamma(int64_t n, const Tensor& self) { return polygamma(self, n); }
Tensor Tensor::polygamma(int64_t n) const { return reel::polygamma(n, *this); }
Tensor& Tensor::polygamma_(int64_t n) {
  return detail::in_place_recorded("polygamma_", *this, {},
                                   [n](const Tensor& before) { return reel::polygamma(n, before); });
}

// ---- Tensor methods of the parameterised rows ----------------------------------------------------------------
Tensor Tensor::logit(std::optional<double> eps) const { return reel::logit(*this, eps); }
Tensor& Tensor::logit_(std::optional<double> eps) { return reel::logit_(*this, eps); }
Tensor Tensor::nan_to_num(std::optional<double> nan, std::optional<double> posinf,
                          std::optional<double> neginf) const {
  return reel::nan_to_num(*this, nan, posinf, neginf);
}
Tensor& Tensor::nan_to_num_(std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) {
  return reel::nan_to_num_(*this, nan, posinf, neginf);
}

// ---- div with a rounding mode --------------------------------------------------------------------------------
// y = trunc(a / b) or floor(a / b). Floating: trunc of the true quotient, floor_divide's floor; integer: the
// quotient stays integer, trunc being floor moved up by one where the division is inexact and the signs differ.
Tensor div(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(self, other);
  const std::string_view mode = *rounding_mode;
  REEL_CHECK(mode == "trunc" || mode == "floor",
             "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{}'", mode);
  self.check_defined("div");
  other.check_defined("div");
  const ScalarType dtype = result_type(self, other);
  REEL_CHECK(dtype != kBool, "div: rounding_mode '{}' is not supported for bool inputs (shapes {} and {})", mode,
             shape_str(self.sizes()), shape_str(other.sizes()));
  if (mode == "floor") return floor_divide(self, other);
  if (is_floating_point(dtype)) return trunc(div(self, other));
  const Tensor floor_quotient = floor_divide(self, other);
  const Tensor inexact = ne(remainder(self, other), 0);
  const Tensor signs_differ = ne(lt(self, 0), lt(other, 0));
  return add(floor_quotient, logical_and(inexact, signs_differ).to(dtype));
}
Tensor div(const Tensor& self, Scalar other, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(self, other);
  self.check_defined("div");
  return div(self, scalar_tensor(other, TensorOptions(result_type(self, other)).device(self.device())),
             rounding_mode);
}
Tensor Tensor::div(const Tensor& other, std::optional<std::string_view> rounding_mode) const {
  return reel::div(*this, other, rounding_mode);
}
Tensor Tensor::div(Scalar other, std::optional<std::string_view> rounding_mode) const {
  return reel::div(*this, other, rounding_mode);
}
Tensor& Tensor::div_(const Tensor& other, std::optional<std::string_view> rounding_mode) {
  return detail::in_place_recorded("div_", *this, {&other}, [&](const Tensor& before) {
    return reel::div(before, other, rounding_mode);
  });
}
Tensor& Tensor::div_(Scalar other, std::optional<std::string_view> rounding_mode) {
  return detail::in_place_recorded("div_", *this, {}, [&](const Tensor& before) {
    return reel::div(before, other, rounding_mode);
  });
}

// ---- lerp ----------------------------------------------------------------------------------------------------
// y = start + weight (end - start). As PyTorch: floating dtypes, and start, end and a tensor weight of one dtype
// (no promotion); the three broadcast together.
Tensor lerp(const Tensor& self, const Tensor& end, const Tensor& weight) {
  self.check_defined("lerp");
  end.check_defined("lerp");
  weight.check_defined("lerp");
  check_same_device("lerp", self, end);
  check_same_device("lerp", self, weight);
  REEL_CHECK(is_floating_point(self.dtype()), "lerp: expected a floating-point dtype, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  REEL_CHECK(end.dtype() == self.dtype(), "lerp: expected dtype {} for `end` but got dtype {} (shapes {} and {})",
             dtype_name(self.dtype()), dtype_name(end.dtype()), shape_str(self.sizes()), shape_str(end.sizes()));
  REEL_CHECK(weight.dtype() == self.dtype(), "lerp: expected dtype {} for `weight` but got dtype {} (shape {})",
             dtype_name(self.dtype()), dtype_name(weight.dtype()), shape_str(weight.sizes()));
  const DimVector shape = broadcast_shapes(broadcast_shapes(self.sizes(), end.sizes(), "lerp"), weight.sizes(), "lerp");
  return run_elementwise_op(OpId::lerp, nullptr, shape, self.dtype(), self.device(), {&self, &end, &weight},
                            {&self, &end, &weight});
}
Tensor lerp(const Tensor& self, const Tensor& end, Scalar weight) {
  self.check_defined("lerp");
  REEL_CHECK(is_floating_point(self.dtype()), "lerp: expected a floating-point dtype, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  return lerp(self, end, scalar_tensor(weight, self.options()));
}
Tensor Tensor::lerp(const Tensor& end, Scalar weight) const { return reel::lerp(*this, end, weight); }
Tensor Tensor::lerp(const Tensor& end, const Tensor& weight) const { return reel::lerp(*this, end, weight); }
Tensor& Tensor::lerp_(const Tensor& end, Scalar weight) {
  return detail::in_place_recorded("lerp_", *this, {&end},
                                   [&](const Tensor& before) { return reel::lerp(before, end, weight); });
}
Tensor& Tensor::lerp_(const Tensor& end, const Tensor& weight) {
  return detail::in_place_recorded("lerp_", *this, {&end, &weight},
                                   [&](const Tensor& before) { return reel::lerp(before, end, weight); });
}

// ---- clamp with tensor bounds --------------------------------------------------------------------------------
// y = min(max(x, min), max). One bound is clamp_min / clamp_max (op-table rows); both run clamp_tensor. The three
// promote together (PyTorch's result_type); bool is refused as for the scalar clamp.
Tensor clamp(const Tensor& self, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  self.check_defined("clamp");
  REEL_CHECK(given(min) || given(max), "clamp: at least one of 'min' or 'max' must not be None (input shape {})",
             shape_str(self.sizes()));
  if (!given(max)) return clamp_min(self, *min);
  if (!given(min)) return clamp_max(self, *max);
  const Tensor& lo = *min;
  const Tensor& hi = *max;
  check_same_device("clamp", self, lo);
  check_same_device("clamp", self, hi);
  const ScalarType dtype = result_type_of({&self, &lo, &hi});
  REEL_CHECK(dtype != kBool, "clamp: dtype bool is not supported (shapes {}, {} and {})", shape_str(self.sizes()),
             shape_str(lo.sizes()), shape_str(hi.sizes()));
  const DimVector shape =
      broadcast_shapes(broadcast_shapes(self.sizes(), lo.sizes(), "clamp"), hi.sizes(), "clamp");
  Tensor x_cast, lo_cast, hi_cast;
  const Tensor& x = cast_operand(self, dtype, x_cast);
  const Tensor& a = cast_operand(lo, dtype, lo_cast);
  const Tensor& b = cast_operand(hi, dtype, hi_cast);
  return run_elementwise_op(OpId::clamp_tensor, nullptr, shape, dtype, self.device(), {&x, &a, &b},
                            {&self, &lo, &hi});
}
Tensor Tensor::clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max) const {
  return reel::clamp(*this, min, max);
}
Tensor& Tensor::clamp_(const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  const Tensor none;
  return detail::in_place_recorded("clamp_", *this, {given(min) ? &*min : &none, given(max) ? &*max : &none},
                                   [&](const Tensor& before) { return reel::clamp(before, min, max); });
}

// ---- masked_fill with a tensor value -------------------------------------------------------------------------
// y = mask ? value : x, value a 0-dim tensor cast to x's dtype: a where, so value's gradient is the sum of the
// output gradient over the masked positions.
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  self.check_defined("masked_fill");
  mask.check_defined("masked_fill");
  value.check_defined("masked_fill");
  REEL_CHECK(value.dim() == 0,
             "masked_fill only supports a 0-dimensional value tensor, but got tensor with {} dimension(s) (shape {})",
             value.dim(), shape_str(value.sizes()));
  REEL_CHECK(mask.dtype() == kBool, "masked_fill: mask must be bool, got {} (shape {})", dtype_name(mask.dtype()),
             shape_str(mask.sizes()));
  REEL_CHECK(!(is_floating_point(value.dtype()) && !self.is_floating_point()),
             "masked_fill: cannot fill a {} tensor with a {} value", dtype_name(self.dtype()),
             dtype_name(value.dtype()));
  const DimVector shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_fill");
  REEL_CHECK(shape == DimVector(self.sizes()),
             "masked_fill: mask of shape {} does not broadcast to the input's shape {}",
             shape_str(mask.sizes()), shape_str(self.sizes()));
  return where(mask, value.to(self.device(), self.dtype()), self);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return reel::masked_fill(*this, mask, value);
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) {
  return detail::in_place_recorded("masked_fill_", *this, {&value},
                                   [&](const Tensor& before) { return reel::masked_fill(before, mask, value); });
}

}  // namespace reel
