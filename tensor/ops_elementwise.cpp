// reel/tensor/ops_elementwise.cpp — front doors of the elementwise ops: type promotion, broadcasting,
// output allocation, then the (op, device) kernel over a TensorIter. The parameterised rows (the activations) go
// through detail::unary_param_op, which hands their parameters to the kernel and the node as
// OpAttrs' ElementwiseParams.
// Also where / clamp / masked_fill / addcmul / addcdiv.
//
// Inputs whose dtype differs from the op's compute dtype are cast first (a copy), so every kernel sees
// operands of one element type and writes either that type or bool. See Note [Elementwise data path].
// A sparse operand (tensor/sparse.h) is handed to the sparse cases before anything else.
#include <fmt/format.h>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/scalar_math.h"
#include "tensor/ops.h"
#include "tensor/sparse.h"

namespace reel {

namespace {

bool is_sparse_operand(const Tensor& t) { return t.impl() != nullptr && t.impl()->sparse != nullptr; }
bool any_sparse(const Tensor& a, const Tensor& b) { return is_sparse_operand(a) || is_sparse_operand(b); }
// Defined and strided: what the dense paths take without further checks.
bool is_dense_operand(const Tensor& t) { return t.impl() != nullptr && t.impl()->sparse == nullptr; }

// ---- type promotion (PyTorch's result_type) ----------------------------------------------------------------

// c10's combine_categories: the higher-priority group wins unless the lower one is of a higher category.
std::optional<ScalarType> combine(std::optional<ScalarType> higher, std::optional<ScalarType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating_point(*higher)) return higher;
  if (*higher == kBool || is_floating_point(*lower)) return promote_types(*higher, *lower);
  return higher;
}

struct Promotion {
  std::optional<ScalarType> dimensioned, zero_dim, wrapped;
  void add(const Tensor& t) {
    auto& slot = t.dim() > 0 ? dimensioned : zero_dim;
    slot = slot ? promote_types(*slot, t.dtype()) : t.dtype();
  }
  void add(Scalar s) { wrapped = wrapped ? promote_types(*wrapped, s.default_dtype()) : s.default_dtype(); }
  ScalarType result() const { return combine(dimensioned, combine(zero_dim, wrapped)).value_or(kFloat32); }
};

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(), "{}: expected all tensors on one device, got {} (shape {}) and {} (shape {})",
             op, a.device().str(), shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

ScalarType compute_dtype(ResultRule rule, ScalarType promoted) {
  if ((rule == ResultRule::Float || rule == ResultRule::Div) && !is_floating_point(promoted)) return kFloat32;
  return promoted;
}

// Ops whose math is undefined for bool inputs (PyTorch refuses them too): the Numeric and Integer rows of ops.def.
bool rejects_bool(OpId op) {
  const ResultRule rule = op_info(op).result;
  return rule == ResultRule::Numeric || rule == ResultRule::Integer;
}

// The dtypes a rule takes beyond the bool check: FloatOnly floating ones, Bitwise integers and bool, Integer integers.
bool rule_accepts(ResultRule rule, ScalarType dtype) {
  if (rule == ResultRule::FloatOnly) return is_floating_point(dtype);
  if (rule == ResultRule::Bitwise) return is_integral(dtype, /*include_bool=*/true);
  if (rule == ResultRule::Integer) return is_integral(dtype);
  return true;
}
const char* rule_expects(ResultRule rule) {
  return rule == ResultRule::FloatOnly ? "a floating-point dtype"
         : rule == ResultRule::Bitwise ? "an integer or bool dtype"
                                       : "an integer dtype";
}

// Integer remainder / fmod / floor_divide (and div with a rounding mode, which calls them) by zero is an error, as
// in PyTorch (ZeroDivisionError), not a trap: the divisor is checked before the kernel runs.
void check_integer_divisor(OpId op, const Tensor& divisor, ScalarType compute) {
  if (op != OpId::remainder && op != OpId::fmod && op != OpId::floor_divide) return;
  if (is_floating_point(compute) || divisor.numel() == 0) return;
  REEL_CHECK(!any(eq(divisor, 0)).item<bool>(), "{}: ZeroDivisionError: integer division by zero (divisor of dtype {} "
             "and shape {} holds a 0)", op_name(op), dtype_name(divisor.dtype()), shape_str(divisor.sizes()));
}

// `t` itself when it already has `dtype` (no handle copy: two atomic refcount updates saved per operand on the
// hot path), else a cast copy kept in `storage`.
const Tensor& cast_operand(const Tensor& t, ScalarType dtype, Tensor& storage) {
  if (t.dtype() == dtype) return t;
  storage = t.to(dtype);
  return storage;
}

}  // namespace

ScalarType result_type(const Tensor& a, const Tensor& b) {
  Promotion p;
  p.add(a);
  p.add(b);
  return p.result();
}

ScalarType result_type(const Tensor& a, Scalar b) {
  Promotion p;
  p.add(a);
  p.add(b);
  return p.result();
}

namespace {

// ---- unary ---------------------------------------------------------------------------------------------------
Tensor unary_op(OpId op, const Tensor& x) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  const ResultRule rule = op_info(op).result;
  REEL_CHECK(!(x.dtype() == kBool && rejects_bool(op)), "{}: dtype bool is not supported (shape {})", name,
             shape_str(x.sizes()));
  REEL_CHECK(rule_accepts(rule, x.dtype()), "{}: expected {}, got {} (shape {})", name, rule_expects(rule),
             dtype_name(x.dtype()), shape_str(x.sizes()));
  const ScalarType compute = compute_dtype(rule, x.dtype());
  Tensor cast;
  const Tensor& input = cast_operand(x, compute, cast);
  return run_elementwise_op(op, nullptr, x.sizes(), rule == ResultRule::Bool ? kBool : compute, x.device(), {&input},
                            {&x});
}

// ---- parameterised unary (REEL_UNARY_PARAM_OP rows) -------------------------------------------------------------
// Whether the row's functor refuses these parameter values (its optional static `refuses`, tensor/scalar_math.h).
template <typename Functor>
bool functor_refuses(const ElementwiseParams& params, bool unsigned_input, char* why, int size) {
  if constexpr (requires { Functor::refuses(params.p, unsigned_input, why, size); })
    return Functor::refuses(params.p, unsigned_input, why, size);
  else
    return false;
}

bool parameters_refused(OpId op, const ElementwiseParams& params, bool unsigned_input, char* why, int size) {
  switch (op) {
#define REEL_UNARY_PARAM_OP(name, functor, result, params_declared, args, in_place, math) \
  case OpId::name:                                                                         \
    return functor_refuses<functor>(params, unsigned_input, why, size);
#include "tensor/ops.def"
    default: return false;
  }
}

// The input dtype and parameter checks PyTorch makes: FloatOnly rows take floating inputs only, the others (hardtanh,
// threshold) refuse bool; the parameter values a row's functor refuses (celu's alpha = 0, hardtanh's negative
// limits on uint8, polygamma's negative n, softshrink's negative lambd) are declared next to its math.
void check_param_op(OpId op, const Tensor& x, const ElementwiseParams& params) {
  const char* name = op_name(op).data();
  x.check_defined(name);
  if (op_info(op).result == ResultRule::FloatOnly) {
    REEL_CHECK(is_floating_point(x.dtype()),
               "{}: expected a floating-point input, got {} (shape {}); it has no integer or bool version (as in "
               "PyTorch): convert first, e.g. x.to(reel::kFloat32)",
               name, dtype_name(x.dtype()), shape_str(x.sizes()));
  }
  REEL_CHECK(!(x.dtype() == kBool && rejects_bool(op)), "{}: dtype bool is not supported (shape {})", name,
             shape_str(x.sizes()));
  char why[256];
  REEL_CHECK(!parameters_refused(op, params, x.dtype() == kUInt8, why, sizeof why), "{}: {} (input {} of shape {})",
             name, why, dtype_name(x.dtype()), shape_str(x.sizes()));
}

}  // namespace

namespace detail {

// y = op(x; params): the result has x's dtype (FloatOnly and Same rows); params reach the kernel and the node.
// Float rows (logit, polygamma) compute integer and bool inputs in float32, as PyTorch's unary float ops.
Tensor unary_param_op(OpId op, const Tensor& x, const ElementwiseParams& params) {
  check_param_op(op, x, params);
  const OpAttrs attrs = family_attrs(params);
  const ScalarType compute = compute_dtype(op_info(op).result, x.dtype());
  Tensor cast;
  const Tensor& input = cast_operand(x, compute, cast);
  return run_elementwise_op(op, &attrs, x.sizes(), compute, x.device(), {&input}, {&x});
}

// self = op(self; params): straight into self when nothing is recorded, else the out-of-place op written back
// (Note [In-place ops and autograd]).
Tensor& unary_param_op_(OpId op, Tensor& self, const ElementwiseParams& params) {
  if (self.defined() && !is_sparse_operand(self) && !(is_grad_enabled() && self.requires_grad()) &&
      compute_dtype(op_info(op).result, self.dtype()) == self.dtype()) {
    check_param_op(op, self, params);
    detail::begin_write(self, op_name(op), /*in_place_suffix=*/true);
    const OpAttrs attrs = family_attrs(params);
    run_elementwise_into(op, &attrs, self, {&self});
    return self;
  }
  const std::string in_place_name = std::string(op_name(op)) + "_";
  return detail::in_place_recorded(in_place_name.c_str(), self, {},
                                   [&](const Tensor& before) { return unary_param_op(op, before, params); });
}

}  // namespace detail

namespace {

// ---- binary --------------------------------------------------------------------------------------------------
Tensor binary_op(OpId op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op).data();
  if (!is_dense_operand(a) || !is_dense_operand(b)) [[unlikely]] {
    a.check_defined_any_layout(name);  // undefined: throws naming the op
    b.check_defined_any_layout(name);
    return detail::sparse_binary_op(op, a, b);
  }
  check_same_device(name, a, b);
  const ResultRule rule = op_info(op).result;
  const ScalarType promoted = result_type(a, b);
  REEL_CHECK(!(promoted == kBool && rejects_bool(op)), "{}: dtype bool is not supported (shapes {} and {})", name,
             shape_str(a.sizes()), shape_str(b.sizes()));
  REEL_CHECK(rule_accepts(rule, promoted), "{}: expected {}, got {} and {} (promoted to {}; shapes {} and {})", name,
             rule_expects(rule), dtype_name(a.dtype()), dtype_name(b.dtype()), dtype_name(promoted),
             shape_str(a.sizes()), shape_str(b.sizes()));
  const ScalarType compute = compute_dtype(rule, promoted);
  check_integer_divisor(op, b, compute);
  const bool same_shape = a.sizes() == b.sizes();
  const DimVector broadcast = same_shape ? DimVector() : broadcast_shapes(a.sizes(), b.sizes(), name);
  Tensor lhs_cast, rhs_cast;
  const Tensor& lhs = cast_operand(a, compute, lhs_cast);
  const Tensor& rhs = cast_operand(b, compute, rhs_cast);
  return run_elementwise_op(op, nullptr, same_shape ? a.sizes() : IntList(broadcast),
                            rule == ResultRule::Bool ? kBool : compute, a.device(), {&lhs, &rhs}, {&a, &b});
}

// pow(Tensor, Scalar) refuses an integral (or bool) base with a negative integral exponent, as PyTorch's does (NumPy
// compatibility). A tensor exponent is not checked: the integer kernel gives 1^-n = 1, (-1)^-n = +-1, else 0 (PowFn).
void check_scalar_exponent(OpId op, const Tensor& base, Scalar exponent) {
  if (op != OpId::pow || is_floating_point(base.dtype()) || exponent.is_floating_point()) return;
  REEL_CHECK(exponent.to_int64() >= 0,
             "pow: Integers to negative integer powers are not allowed. (base of dtype {} and shape {}, exponent {}; "
             "use a floating-point base or exponent, e.g. x.pow({}.0))",
             dtype_name(base.dtype()), shape_str(base.sizes()), exponent.to_int64(), exponent.to_int64());
}

Tensor binary_op(OpId op, const Tensor& a, Scalar b) {
  if (is_sparse_operand(a)) [[unlikely]]
    return detail::sparse_binary_op(op, a, b);
  a.check_defined(op_name(op).data());
  check_scalar_exponent(op, a, b);
  const ScalarType promoted = result_type(a, b);
  return binary_op(op, a, scalar_tensor(b, TensorOptions(promoted).device(a.device())));
}

Tensor binary_op(OpId op, Scalar a, const Tensor& b) {
  if (op == OpId::mul && is_sparse_operand(b)) [[unlikely]]
    return detail::sparse_binary_op(op, b, a);
  b.check_defined(op_name(op).data());
  const ScalarType promoted = result_type(b, a);
  return binary_op(op, scalar_tensor(a, TensorOptions(promoted).device(b.device())), b);
}

// True when `from` broadcasts to exactly `to` (so an in-place result keeps self's shape).
bool broadcasts_to(IntList from, IntList to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

// The common in-place case — nothing to record, result dtype equal to self's — runs the kernel straight into
// self. Returns false when the general path (out of place, then copy and take over history) is needed.
bool try_unary_in_place(OpId op, Tensor& self) {
  if (!self.defined() || is_sparse_operand(self) || (is_grad_enabled() && self.requires_grad())) return false;
  const ResultRule rule = op_info(op).result;
  if (rule == ResultRule::Bool || (self.dtype() == kBool && rejects_bool(op))) return false;
  if (!rule_accepts(rule, self.dtype()) || compute_dtype(rule, self.dtype()) != self.dtype()) return false;
  detail::begin_write(self, op_name(op), /*in_place_suffix=*/true);
  run_elementwise_into(op, nullptr, self, {&self});
  return true;
}

bool try_binary_in_place(OpId op, Tensor& self, const Tensor& other) {
  if (!self.defined() || !other.defined() || any_sparse(self, other) || self.device() != other.device()) return false;
  if (is_grad_enabled() && (self.requires_grad() || other.requires_grad())) return false;
  const ResultRule rule = op_info(op).result;
  if (rule == ResultRule::Bool) return false;
  const ScalarType promoted = result_type(self, other);
  if ((promoted == kBool && rejects_bool(op)) || compute_dtype(rule, promoted) != self.dtype()) return false;
  if (!rule_accepts(rule, promoted) || !broadcasts_to(other.sizes(), self.sizes())) return false;
  Tensor rhs_cast;
  const Tensor& rhs = cast_operand(other, self.dtype(), rhs_cast);
  check_integer_divisor(op, rhs, self.dtype());
  detail::begin_write(self, op_name(op), /*in_place_suffix=*/true);
  run_elementwise_into(op, nullptr, self, {&self, &rhs});
  return true;
}

bool try_binary_in_place(OpId op, Tensor& self, Scalar other) {
  if (!self.defined() || (is_grad_enabled() && self.requires_grad())) return false;
  const ResultRule rule = op_info(op).result;
  if (rule == ResultRule::Bool) return false;
  const ScalarType promoted = result_type(self, other);
  if ((promoted == kBool && rejects_bool(op)) || compute_dtype(rule, promoted) != self.dtype()) return false;
  if (!rule_accepts(rule, promoted)) return false;
  return try_binary_in_place(op, self, scalar_tensor(other, TensorOptions(self.dtype()).device(self.device())));
}

}  // namespace

#define REEL_UNARY_OP(name, functor, result, math)                                     \
  Tensor name(const Tensor& x) { return unary_op(OpId::name, x); }                     \
  Tensor Tensor::name() const { return unary_op(OpId::name, *this); }                  \
  Tensor& Tensor::name##_() {                                                          \
    if (try_unary_in_place(OpId::name, *this)) return *this;                           \
    return detail::in_place_recorded(#name "_", *this, {},                             \
                                     [](const Tensor& self) { return unary_op(OpId::name, self); }); \
  }
#define REEL_BINARY_OP(name, functor, result, math)                                                       \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(OpId::name, a, b); }                    \
  Tensor name(const Tensor& a, Scalar b) { return binary_op(OpId::name, a, b); }                           \
  Tensor name(Scalar a, const Tensor& b) { return binary_op(OpId::name, a, b); }                           \
  Tensor Tensor::name(const Tensor& other) const { return binary_op(OpId::name, *this, other); }           \
  Tensor Tensor::name(Scalar other) const { return binary_op(OpId::name, *this, other); }                  \
  Tensor& Tensor::name##_(const Tensor& other) {                                                           \
    if (any_sparse(*this, other)) [[unlikely]]                                                             \
      return detail::sparse_in_place(OpId::name, *this, other);                                            \
    if (try_binary_in_place(OpId::name, *this, other)) return *this;                                      \
    return detail::in_place_recorded(#name "_", *this, {&other},                                          \
                                     [&](const Tensor& self) { return binary_op(OpId::name, self, other); }); \
  }                                                                                                        \
  Tensor& Tensor::name##_(Scalar other) {                                                                  \
    if (is_sparse_operand(*this)) [[unlikely]]                                                             \
      return detail::sparse_in_place(OpId::name, *this, other);                                            \
    if (defined()) check_scalar_exponent(OpId::name, *this, other);                                       \
    if (try_binary_in_place(OpId::name, *this, other)) return *this;                                      \
    return detail::in_place_recorded(#name "_", *this, {},                                                \
                                     [&](const Tensor& self) { return binary_op(OpId::name, self, other); }); \
  }
#include "tensor/ops.def"

#define REEL_FUSED_BACKWARD_OP(name, functor, math) \
  Tensor name(const Tensor& grad, const Tensor& saved) { return binary_op(OpId::name, grad, saved); }
#include "tensor/ops.def"

// a + alpha * b, a - alpha * b
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (any_sparse(a, b)) [[unlikely]]
    return detail::sparse_binary_op(OpId::add, a, b, alpha);
  return alpha.to_double() == 1.0 && !alpha.is_bool() ? add(a, b) : add(a, mul(b, alpha));
}
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (any_sparse(a, b)) [[unlikely]]
    return detail::sparse_binary_op(OpId::sub, a, b, alpha);
  return alpha.to_double() == 1.0 && !alpha.is_bool() ? sub(a, b) : sub(a, mul(b, alpha));
}
Tensor Tensor::add(const Tensor& other, Scalar alpha) const { return reel::add(*this, other, alpha); }
Tensor Tensor::sub(const Tensor& other, Scalar alpha) const { return reel::sub(*this, other, alpha); }
// self += alpha * other: the same two kernels as add(self, other, alpha), the second straight into self when
// nothing is recorded (an optimizer step: no temporary the size of the parameter, no copy back).
Tensor& Tensor::add_(const Tensor& other, Scalar alpha) {
  if (any_sparse(*this, other)) [[unlikely]]
    return detail::sparse_in_place(OpId::add, *this, other, alpha);
  if (alpha.to_double() == 1.0 && !alpha.is_bool()) {
    if (try_binary_in_place(OpId::add, *this, other)) return *this;
  } else if (!detail::needs_recording({this, &other}) && defined() && other.defined()) {
    if (try_binary_in_place(OpId::add, *this, reel::mul(other, alpha))) return *this;
  }
  return detail::in_place_recorded("add_", *this, {&other},
                                   [&](const Tensor& self) { return reel::add(self, other, alpha); });
}
Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) {
  if (any_sparse(*this, other)) [[unlikely]]
    return detail::sparse_in_place(OpId::sub, *this, other, alpha);
  if (alpha.to_double() == 1.0 && !alpha.is_bool()) {
    if (try_binary_in_place(OpId::sub, *this, other)) return *this;
  } else if (!detail::needs_recording({this, &other}) && defined() && other.defined()) {
    if (try_binary_in_place(OpId::sub, *this, reel::mul(other, alpha))) return *this;
  }
  return detail::in_place_recorded("sub_", *this, {&other},
                                   [&](const Tensor& self) { return reel::sub(self, other, alpha); });
}

// ---- where / clamp / masked_fill ---------------------------------------------------------------------------------
// y = c ? a : b
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  condition.check_defined("where");
  a.check_defined("where");
  b.check_defined("where");
  check_same_device("where", condition, a);
  check_same_device("where", a, b);
  REEL_CHECK(condition.dtype() == kBool, "where: condition must be bool, got {} (shape {})",
             dtype_name(condition.dtype()), shape_str(condition.sizes()));
  const ScalarType dtype = result_type(a, b);
  DimVector shape = broadcast_shapes(broadcast_shapes(condition.sizes(), a.sizes(), "where"), b.sizes(), "where");
  Tensor lhs_cast, rhs_cast;
  const Tensor& lhs = cast_operand(a, dtype, lhs_cast);
  const Tensor& rhs = cast_operand(b, dtype, rhs_cast);
  return run_elementwise_op(OpId::where, nullptr, shape, dtype, a.device(), {&condition, &lhs, &rhs},
                            {&condition, &a, &b});
}
Tensor where(const Tensor& condition, const Tensor& a, Scalar b) {
  a.check_defined("where");
  return where(condition, a, scalar_tensor(b, TensorOptions(result_type(a, b)).device(a.device())));
}
Tensor where(const Tensor& condition, Scalar a, const Tensor& b) {
  b.check_defined("where");
  return where(condition, scalar_tensor(a, TensorOptions(result_type(b, a)).device(b.device())), b);
}
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const { return reel::where(condition, *this, other); }

// y = min(max(x, lo), hi); NaN stays NaN. attrs: ClampAttrs (the bounds given).
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  x.check_defined("clamp");
  REEL_CHECK(min || max, "clamp: at least one of min and max must be given (shape {})", shape_str(x.sizes()));
  REEL_CHECK(x.dtype() != kBool, "clamp: dtype bool is not supported (shape {})", shape_str(x.sizes()));
  Promotion promotion;
  promotion.add(x);
  if (min) promotion.add(*min);
  if (max) promotion.add(*max);
  const ScalarType dtype = promotion.result();
  Tensor cast;
  const Tensor& input = cast_operand(x, dtype, cast);
  const OpAttrs attrs = family_attrs(ClampAttrs{min, max});
  return run_elementwise_op(OpId::clamp, &attrs, x.sizes(), dtype, x.device(), {&input}, {&x});
}
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const { return reel::clamp(*this, min, max); }

// ---- addcmul / addcdiv ------------------------------------------------------------------------------------------
namespace {

// The dtype of addcmul / addcdiv: the three tensors' promotion (value does not take part, as in PyTorch); checks
// the arguments and names the op.
ScalarType pointwise_dtype(OpId op, const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  const char* name = op_name(op).data();
  self.check_defined(name);
  t1.check_defined(name);
  t2.check_defined(name);
  check_same_device(name, self, t1);
  check_same_device(name, self, t2);
  Promotion promotion;
  promotion.add(self);
  promotion.add(t1);
  promotion.add(t2);
  const ScalarType dtype = promotion.result();
  REEL_CHECK(dtype != kBool, "{}: dtype bool is not supported (shapes {}, {} and {})", name, shape_str(self.sizes()),
             shape_str(t1.sizes()), shape_str(t2.sizes()));
  REEL_CHECK(op != OpId::addcdiv || is_floating_point(dtype),
             "addcdiv: integer division is not supported: tensor1 ({} {}) and tensor2 ({} {}) promote to {}; use "
             "floating-point tensors",
             dtype_name(t1.dtype()), shape_str(t1.sizes()), dtype_name(t2.dtype()), shape_str(t2.sizes()),
             dtype_name(dtype));
  REEL_CHECK(is_floating_point(dtype) || !value.is_floating_point(),
             "{}: for integral input tensors (here {}), value must not be a floating point number, got {}", name,
             dtype_name(dtype), value.to_double());
  return dtype;
}

Tensor pointwise_op(OpId op, const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  const ScalarType dtype = pointwise_dtype(op, self, t1, t2, value);
  const char* name = op_name(op).data();
  const DimVector shape = broadcast_shapes(broadcast_shapes(self.sizes(), t1.sizes(), name), t2.sizes(), name);
  Tensor self_cast, t1_cast, t2_cast;
  const Tensor& a = cast_operand(self, dtype, self_cast);
  const Tensor& b = cast_operand(t1, dtype, t1_cast);
  const Tensor& c = cast_operand(t2, dtype, t2_cast);
  const OpAttrs attrs = family_attrs(AddcAttrs{value});
  return run_elementwise_op(op, &attrs, shape, dtype, self.device(), {&a, &b, &c}, {&self, &t1, &t2});
}

// self = self + value * t1 (op) t2 straight into self when nothing is recorded and the result keeps self's shape
// and dtype; otherwise the out-of-place op, copied in (Note [In-place ops and autograd]).
Tensor& pointwise_op_(OpId op, Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  const ScalarType dtype = pointwise_dtype(op, self, t1, t2, value);
  if (!detail::needs_recording({&self, &t1, &t2}) && dtype == self.dtype() && broadcasts_to(t1.sizes(), self.sizes()) &&
      broadcasts_to(t2.sizes(), self.sizes())) {
    Tensor t1_cast, t2_cast;
    const Tensor& b = cast_operand(t1, dtype, t1_cast);
    const Tensor& c = cast_operand(t2, dtype, t2_cast);
    detail::begin_write(self, op_name(op), /*in_place_suffix=*/true);
    const OpAttrs attrs = family_attrs(AddcAttrs{value});
    run_elementwise_into(op, &attrs, self, {&self, &b, &c});
    return self;
  }
  return detail::in_place_recorded(op == OpId::addcmul ? "addcmul_" : "addcdiv_", self, {&t1, &t2},
                                   [&](const Tensor& before) { return pointwise_op(op, before, t1, t2, value); });
}

}  // namespace

// y = x + value * t1 * t2
Tensor addcmul(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, Scalar value) {
  return pointwise_op(OpId::addcmul, self, tensor1, tensor2, value);
}
// y = x + value * t1 / t2
Tensor addcdiv(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, Scalar value) {
  return pointwise_op(OpId::addcdiv, self, tensor1, tensor2, value);
}
Tensor Tensor::addcmul(const Tensor& tensor1, const Tensor& tensor2, Scalar value) const {
  return reel::addcmul(*this, tensor1, tensor2, value);
}
Tensor Tensor::addcdiv(const Tensor& tensor1, const Tensor& tensor2, Scalar value) const {
  return reel::addcdiv(*this, tensor1, tensor2, value);
}
Tensor& Tensor::addcmul_(const Tensor& tensor1, const Tensor& tensor2, Scalar value) {
  return pointwise_op_(OpId::addcmul, *this, tensor1, tensor2, value);
}
Tensor& Tensor::addcdiv_(const Tensor& tensor1, const Tensor& tensor2, Scalar value) {
  return pointwise_op_(OpId::addcdiv, *this, tensor1, tensor2, value);
}
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  return detail::in_place_recorded("clamp_", *this, {}, [&](const Tensor& self) { return reel::clamp(self, min, max); });
}

// y = mask ? value : x
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  x.check_defined("masked_fill");
  mask.check_defined("masked_fill");
  REEL_CHECK(mask.dtype() == kBool, "masked_fill: mask must be bool, got {} (shape {})", dtype_name(mask.dtype()),
             shape_str(mask.sizes()));
  REEL_CHECK(!(value.is_floating_point() && !x.is_floating_point()),
             "masked_fill: cannot fill a {} tensor with the floating value {}", dtype_name(x.dtype()),
             value.to_double());
  DimVector shape = broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill");
  REEL_CHECK(shape == DimVector(x.sizes()), "masked_fill: mask of shape {} does not broadcast to the input's shape {}",
             shape_str(mask.sizes()), shape_str(x.sizes()));
  return where(mask, scalar_tensor(value, TensorOptions(x.dtype()).device(x.device())), x);
}
Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const { return reel::masked_fill(*this, mask, value); }
Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar value) {
  return detail::in_place_recorded("masked_fill_", *this, {},
                                   [&](const Tensor& self) { return reel::masked_fill(self, mask, value); });
}

}  // namespace reel
