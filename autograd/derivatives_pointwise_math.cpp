// reel/autograd/derivatives_pointwise_math.cpp — the backward formulas of the pointwise ops beyond the basics
// (ops.def's "pointwise math" blocks: trigonometric and hyperbolic inverses, logs and exponentials in other bases,
// special functions, rounding divisions, atan2 ... fmin, the tensor-bound clamps and lerp). The parameterised rows
// (logit, nan_to_num, polygamma) have theirs in derivatives_elementwise.cpp, beside the other parameterised rows.
//
// Each formula follows PyTorch's derivatives.yaml, including its choices at kinks and ties, and is written with
// reel's own ops so that gradients of gradients work; its facts follow it (autograd/derivatives_common.h). The
// bitwise ops, shifts, logical_xor and the predicates have no formula: their results are integer or bool.
#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

constexpr double kLn2 = 0.693147180559945309417;
constexpr double kLn10 = 2.302585092994045684018;
constexpr double kTwoOverSqrtPi = 1.128379167095512573896;
constexpr double kSqrtPiOverTwo = 0.886226925452758013649;
constexpr double kPi = 3.141592653589793238463;

// ---- unary ---------------------------------------------------------------------------------------------------
// y = tan x: dx = g (1 + y^2)
void tan_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() * (y * y + 1);
}
constexpr OpDerivative tan_derivative{OpId::tan, tan_backward, "TanBackward", {}, kIn0};
// y = arcsin x: dx = g / sqrt(1 - x^2)
void asin_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * rsqrt(1 - x * x);
}
constexpr OpDerivative asin_derivative{OpId::asin, asin_backward, "AsinBackward", {kIn0}};
// y = arccos x: dx = -g / sqrt(1 - x^2)
void acos_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = -c.grad() * rsqrt(1 - x * x);
}
constexpr OpDerivative acos_derivative{OpId::acos, acos_backward, "AcosBackward", {kIn0}};
// y = arctan x: dx = g / (1 + x^2)
void atan_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() / (x * x + 1);
}
constexpr OpDerivative atan_derivative{OpId::atan, atan_backward, "AtanBackward", {kIn0}};
// y = sinh x: dx = g cosh x
void sinh_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * cosh(c.input_value(0)); }
constexpr OpDerivative sinh_derivative{OpId::sinh, sinh_backward, "SinhBackward", {kIn0}};
// y = cosh x: dx = g sinh x
void cosh_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * sinh(c.input_value(0)); }
constexpr OpDerivative cosh_derivative{OpId::cosh, cosh_backward, "CoshBackward", {kIn0}};
// y = asinh x: dx = g / sqrt(x^2 + 1)
void asinh_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * rsqrt(x * x + 1);
}
constexpr OpDerivative asinh_derivative{OpId::asinh, asinh_backward, "AsinhBackward", {kIn0}};
// y = acosh x: dx = g / sqrt(x^2 - 1)
void acosh_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * rsqrt(x * x - 1);
}
constexpr OpDerivative acosh_derivative{OpId::acosh, acosh_backward, "AcoshBackward", {kIn0}};
// y = atanh x: dx = g / (1 - x^2)
void atanh_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() / (1 - x * x);
}
constexpr OpDerivative atanh_derivative{OpId::atanh, atanh_backward, "AtanhBackward", {kIn0}};
// y = trunc x: dx = 0 (piecewise constant)
void trunc_backward(Ctx& c) { c.grad_inputs[0] = zeros_like(c.grad()); }
constexpr OpDerivative trunc_derivative{OpId::trunc, trunc_backward, "TruncBackward"};
// y = x - trunc x: dx = g
void frac_backward(Ctx& c) { c.grad_inputs[0] = c.grad(); }
constexpr OpDerivative frac_derivative{OpId::frac, frac_backward, "FracBackward"};
// y = log_2 x: dx = g / (x ln 2)
void log2_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (c.input_value(0) * kLn2); }
constexpr OpDerivative log2_derivative{OpId::log2, log2_backward, "Log2Backward", {kIn0}};
// y = log_10 x: dx = g / (x ln 10)
void log10_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (c.input_value(0) * kLn10); }
constexpr OpDerivative log10_derivative{OpId::log10, log10_backward, "Log10Backward", {kIn0}};
// y = 2^x: dx = g y ln 2
void exp2_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * result(c) * kLn2; }
constexpr OpDerivative exp2_derivative{OpId::exp2, exp2_backward, "Exp2Backward", {}, kIn0};
// y = erfc x: dx = -g 2 / sqrt(pi) e^(-x^2)
void erfc_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * exp(-(x * x)) * -kTwoOverSqrtPi;
}
constexpr OpDerivative erfc_derivative{OpId::erfc, erfc_backward, "ErfcBackward", {kIn0}};
// y = erfinv x: dx = g sqrt(pi) / 2 e^(y^2)
void erfinv_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() * exp(y * y) * kSqrtPiOverTwo;
}
constexpr OpDerivative erfinv_derivative{OpId::erfinv, erfinv_backward, "ErfinvBackward", {}, kIn0};
// y = ln |Gamma(x)|: dx = g digamma(x)
void lgamma_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * digamma(c.input_value(0)); }
constexpr OpDerivative lgamma_derivative{OpId::lgamma, lgamma_backward, "LgammaBackward", {kIn0}};
// y = digamma(x): dx = g polygamma(1, x)
void digamma_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * polygamma(1, c.input_value(0)); }
constexpr OpDerivative digamma_derivative{OpId::digamma, digamma_backward, "DigammaBackward", {kIn0}};
// y = sin(pi x) / (pi x): dx = g (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0 (PyTorch's choice)
void sinc_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor pi_x = x * kPi;
  const Tensor slope = (pi_x * cos(pi_x) - sin(pi_x)) / (pi_x * x);
  c.grad_inputs[0] = c.grad() * where(eq(x, 0), Scalar(0.0), slope);
}
constexpr OpDerivative sinc_derivative{OpId::sinc, sinc_backward, "SincBackward", {kIn0}};

// ---- binary --------------------------------------------------------------------------------------------------
// y = atan2(a, b): da = g b / (a^2 + b^2), db = -g a / (a^2 + b^2)
void atan2_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  const Tensor scale = c.grad() / (a * a + b * b);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = scale * b;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -scale * a;
}
constexpr OpDerivative atan2_derivative{OpId::atan2, atan2_backward, "Atan2Backward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = sqrt(a^2 + b^2): da = g a / y, db = g b / y
void hypot_backward(Ctx& c) {
  const Tensor y = result(c);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() * c.input_value(0) / y;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * c.input_value(1) / y;
}
constexpr OpDerivative hypot_derivative{OpId::hypot, hypot_backward, "HypotBackward", {kIn0, kIn1}, kIn0 | kIn1};
// y = a - b floor(a / b): da = g, db = -g floor(a / b)
void remainder_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad() * floor_divide(c.input_value(0), c.input_value(1));
}
constexpr OpDerivative remainder_derivative{
    OpId::remainder, remainder_backward, "RemainderBackward", {kNone, kIn0 | kIn1}};
// y = a - b trunc(a / b): da = g, db = -g trunc(a / b)
void fmod_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad() * div(c.input_value(0), c.input_value(1), "trunc");
}
constexpr OpDerivative fmod_derivative{OpId::fmod, fmod_backward, "FmodBackward", {kNone, kIn0 | kIn1}};
// y = floor(a / b): da = db = 0 (piecewise constant; PyTorch's div with rounding_mode gives zeros too)
void floor_divide_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = zeros_like(c.grad());
  if (c.needs_input_grad(1)) c.grad_inputs[1] = zeros_like(c.grad());
}
constexpr OpDerivative floor_divide_derivative{OpId::floor_divide, floor_divide_backward, "FloorDivideBackward"};
// y = |a| sign(b): da = g y / a (0 where a == 0), db = 0
void copysign_backward(Ctx& c) {
  if (c.needs_input_grad(0)) {
    const Tensor& a = c.input_value(0);
    c.grad_inputs[0] = c.grad() * where(eq(a, 0), Scalar(0.0), result(c) / a);
  }
  if (c.needs_input_grad(1)) c.grad_inputs[1] = zeros_like(c.grad());
}
constexpr OpDerivative copysign_derivative{OpId::copysign, copysign_backward, "CopysignBackward", {kIn0}, kIn0};
// y = ln(e^a + e^b): da = g / (1 + e^(b - a)), db = g / (1 + e^(a - b))
void logaddexp_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() / (exp(b - a) + 1);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() / (exp(a - b) + 1);
}
constexpr OpDerivative logaddexp_derivative{
    OpId::logaddexp, logaddexp_backward, "LogaddexpBackward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = log_2(2^a + 2^b): da = g / (1 + 2^(b - a)), db = g / (1 + 2^(a - b))
void logaddexp2_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() / (exp2(b - a) + 1);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() / (exp2(a - b) + 1);
}
constexpr OpDerivative logaddexp2_derivative{
    OpId::logaddexp2, logaddexp2_backward, "Logaddexp2Backward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = a ln b: da = g xlogy(a != 0, b), db = g a / b
void xlogy_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() * xlogy(ne(a, 0), b);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * a / b;
}
constexpr OpDerivative xlogy_derivative{OpId::xlogy, xlogy_backward, "XlogyBackward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = fmax(a, b) or fmin(a, b): the whole gradient goes to a where a wins or ties (or b is NaN), else to b.
// `a_wins` is ge for fmax and le for fmin (PyTorch's FmaxBackward / FminBackward).
void nan_ignoring_extremum_backward(Ctx& c, Tensor (*a_wins)(const Tensor&, const Tensor&)) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  const Tensor to_a = logical_or(a_wins(a, b), isnan(b));
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(to_a, c.grad(), Scalar(0.0));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(to_a, Scalar(0.0), c.grad());
}
void fmax_backward(Ctx& c) { nan_ignoring_extremum_backward(c, &ge); }
constexpr OpDerivative fmax_derivative{OpId::fmax, fmax_backward, "FmaxBackward", {kIn0 | kIn1, kIn0 | kIn1}};
void fmin_backward(Ctx& c) { nan_ignoring_extremum_backward(c, &le); }
constexpr OpDerivative fmin_derivative{OpId::fmin, fmin_backward, "FminBackward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = max(x, min): dx = g where x >= min, dmin = g where x < min
void clamp_min_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor& lo = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(ge(x, lo), c.grad(), Scalar(0.0));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(lt(x, lo), c.grad(), Scalar(0.0));
}
constexpr OpDerivative clamp_min_derivative{
    OpId::clamp_min, clamp_min_backward, "ClampMinBackward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = min(x, max): dx = g where x <= max, dmax = g where x > max
void clamp_max_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor& hi = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(le(x, hi), c.grad(), Scalar(0.0));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(gt(x, hi), c.grad(), Scalar(0.0));
}
constexpr OpDerivative clamp_max_derivative{
    OpId::clamp_max, clamp_max_backward, "ClampMaxBackward", {kIn0 | kIn1, kIn0 | kIn1}};

// ---- ternary -------------------------------------------------------------------------------------------------
// y = min(max(x, lo), hi) (PyTorch's clamp_backward_min_max): dx = g where lo <= x <= hi; dlo = g where lo > x and
// lo < hi; dhi = g where hi < x or hi < lo (so hi wins when the bounds cross).
void clamp_tensor_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor& lo = c.input_value(1);
  const Tensor& hi = c.input_value(2);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(logical_and(ge(x, lo), le(x, hi)), c.grad(), Scalar(0.0));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(logical_and(gt(lo, x), lt(lo, hi)), c.grad(), Scalar(0.0));
  if (c.needs_input_grad(2)) c.grad_inputs[2] = where(logical_or(lt(hi, x), lt(hi, lo)), c.grad(), Scalar(0.0));
}
constexpr OpDerivative clamp_tensor_derivative{OpId::clamp_tensor, clamp_tensor_backward, "ClampBackward",
                                               {kIn0 | kIn1 | kIn2, kIn0 | kIn1 | kIn2, kIn0 | kIn1 | kIn2}};
// y = s + w (e - s): ds = g (1 - w), de = g w, dw = g (e - s)
void lerp_backward(Ctx& c) {
  const Tensor& w = c.input_value(2);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() * (1 - w);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * w;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad() * (c.input_value(1) - c.input_value(0));
}
constexpr OpDerivative lerp_derivative{OpId::lerp, lerp_backward, "LerpBackward", {kIn2, kIn2, kIn0 | kIn1}};

constexpr OpDerivative kPointwiseMathDerivatives[] = {
    tan_derivative,       asin_derivative,       acos_derivative,        atan_derivative,
    sinh_derivative,      cosh_derivative,       asinh_derivative,       acosh_derivative,
    atanh_derivative,     trunc_derivative,      frac_derivative,        log2_derivative,
    log10_derivative,     exp2_derivative,       erfc_derivative,        erfinv_derivative,
    lgamma_derivative,    digamma_derivative,    sinc_derivative,        atan2_derivative,
    hypot_derivative,     remainder_derivative,  fmod_derivative,        floor_divide_derivative,
    copysign_derivative,  logaddexp_derivative,  logaddexp2_derivative,  xlogy_derivative,
    fmax_derivative,      fmin_derivative,       clamp_min_derivative,   clamp_max_derivative,
    clamp_tensor_derivative, lerp_derivative,
};

}  // namespace

std::span<const OpDerivative> pointwise_math_derivatives() { return kPointwiseMathDerivatives; }

}  // namespace reel::autograd
