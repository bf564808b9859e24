// reel/autograd/derivatives_elementwise.cpp — the backward formulas of the elementwise ops
// (tensor/ops_elementwise.cpp): unary, parameterised unary (the activations), binary, the fused backward
// primitives, where / clamp / addcmul / addcdiv, and copy / clone (tensor/ops_copy.cpp).
//
// Each formula reads the output gradient(s) `ctx.grad_outputs`, the tensors its facts saved and the op's
// attributes, and fills `ctx.grad_inputs` for the inputs that need a gradient; its facts follow it
// (autograd/derivatives_common.h). Formulas are written with reel's own ops, so with create_graph they are recorded
// too and gradients of gradients work. The engine reduces each input gradient to its input's shape and dtype
// (Note [Broadcast gradients]), so a formula may return a broadcast-shaped gradient.
#include "autograd/derivatives_common.h"
#include "tensor/scalar_math.h"

namespace reel::autograd {

namespace {

// ---- unary elementwise ---------------------------------------------------------------------------------------
// y = -x: dx = -g
void neg_backward(Ctx& c) { c.grad_inputs[0] = -c.grad(); }
constexpr OpDerivative neg_derivative{OpId::neg, neg_backward, "NegBackward"};
// y = |x|: dx = g * sign(x)
void abs_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * sign(c.input_value(0)); }
constexpr OpDerivative abs_derivative{OpId::abs, abs_backward, "AbsBackward", {kIn0}};
// y = sign(x), floor(x), ceil(x), round(x): dx = 0 (piecewise constant)
void zero_backward(Ctx& c) { c.grad_inputs[0] = zeros_like(c.grad()); }
constexpr OpDerivative sign_derivative{OpId::sign, zero_backward, "SignBackward"};
constexpr OpDerivative floor_derivative{OpId::floor, zero_backward, "FloorBackward"};
constexpr OpDerivative ceil_derivative{OpId::ceil, zero_backward, "CeilBackward"};
constexpr OpDerivative round_derivative{OpId::round, zero_backward, "RoundBackward"};
// y = e^x: dx = g * y
void exp_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * result(c); }
constexpr OpDerivative exp_derivative{OpId::exp, exp_backward, "ExpBackward", {}, kIn0};
// y = ln x: dx = g / x
void log_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / c.input_value(0); }
constexpr OpDerivative log_derivative{OpId::log, log_backward, "LogBackward", {kIn0}};
// y = ln(1 + x): dx = g / (1 + x)
void log1p_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (c.input_value(0) + 1); }
constexpr OpDerivative log1p_derivative{OpId::log1p, log1p_backward, "Log1pBackward", {kIn0}};
// y = e^x - 1: dx = g * (y + 1)
void expm1_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * (result(c) + 1); }
constexpr OpDerivative expm1_derivative{OpId::expm1, expm1_backward, "Expm1Backward", {}, kIn0};
// y = sqrt(x): dx = g / (2y)
void sqrt_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (result(c) * 2); }
constexpr OpDerivative sqrt_derivative{OpId::sqrt, sqrt_backward, "SqrtBackward", {}, kIn0};
// y = x^-1/2: dx = -g * y^3 / 2
void rsqrt_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() * (y * y * y) * -0.5;
}
constexpr OpDerivative rsqrt_derivative{OpId::rsqrt, rsqrt_backward, "RsqrtBackward", {}, kIn0};
// y = x^2: dx = 2 g x
void square_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * c.input_value(0) * 2; }
// PyTorch records square as pow(x, 2): its node is PowBackward0
constexpr OpDerivative square_derivative{OpId::square, square_backward, "PowBackward", {kIn0}};
// y = 1/x: dx = -g y^2
void reciprocal_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = -c.grad() * y * y;
}
constexpr OpDerivative reciprocal_derivative{OpId::reciprocal, reciprocal_backward, "ReciprocalBackward", {}, kIn0};
// y = sin x: dx = g cos x
void sin_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * cos(c.input_value(0)); }
constexpr OpDerivative sin_derivative{OpId::sin, sin_backward, "SinBackward", {kIn0}};
// y = cos x: dx = -g sin x
void cos_backward(Ctx& c) { c.grad_inputs[0] = -c.grad() * sin(c.input_value(0)); }
constexpr OpDerivative cos_derivative{OpId::cos, cos_backward, "CosBackward", {kIn0}};
// y = tanh x: dx = tanh_backward(g, y)
void tanh_backward_formula(Ctx& c) { c.grad_inputs[0] = tanh_backward(c.grad(), result(c)); }
constexpr OpDerivative tanh_derivative{OpId::tanh, tanh_backward_formula, "TanhBackward", {}, kIn0};
// y = sigmoid x: dx = sigmoid_backward(g, y)
void sigmoid_backward_formula(Ctx& c) { c.grad_inputs[0] = sigmoid_backward(c.grad(), result(c)); }
constexpr OpDerivative sigmoid_derivative{OpId::sigmoid, sigmoid_backward_formula, "SigmoidBackward", {}, kIn0};
// y = erf x: dx = g * 2 / sqrt(pi) * e^(-x^2)
void erf_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * exp(-(x * x)) * 1.1283791670955126;
}
constexpr OpDerivative erf_derivative{OpId::erf, erf_backward, "ErfBackward", {kIn0}};
// y = max(x, 0): dx = threshold_backward(g, y)  (y > 0 exactly where x > 0)
void relu_backward(Ctx& c) { c.grad_inputs[0] = threshold_backward(c.grad(), c.output_value()); }
constexpr OpDerivative relu_derivative{OpId::relu, relu_backward, "ReluBackward", {}, kIn0};

// ---- parameterised unary elementwise (ops.def REEL_UNARY_PARAM_OP rows) ------------------------------------------
// The formulas read the call's parameters from attrs().get<ElementwiseParams>() in the row's order, and follow
// PyTorch's choices at the kinks. Every such row of ops.def must have its `name_derivative` here: the list at the
// end of this file names them through ops.def, so a row without one does not compile.

// y = min(max(x, min_val), max_val): dx = g where min_val < x < max_val, 0 at and beyond the bounds
void hardtanh_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const ElementwiseParams& p = c.attrs().get<ElementwiseParams>();
  c.grad_inputs[0] = where(logical_or(le(x, p[0]), ge(x, p[1])), Scalar(0.0), c.grad());
}
constexpr OpDerivative hardtanh_derivative{OpId::hardtanh, hardtanh_backward, "HardtanhBackward", {kIn0}};

// y = x > 0 ? x : s x: dx = x > 0 ? g : s g (s = negative_slope; x = 0 takes s)
void leaky_relu_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(gt(x, 0.0), c.grad(), c.grad() * c.attrs().get<ElementwiseParams>()[0]);
}
constexpr OpDerivative leaky_relu_derivative{OpId::leaky_relu, leaky_relu_backward, "LeakyReluBackward", {kIn0}};

// y = x <= 0 ? negcoef (e^(negiptcoef x) - 1) : poscoef x:
// dx = x <= 0 ? g negiptcoef negcoef e^(negiptcoef x) : g poscoef. The exponent reads min(x, 0), so that where x is
// large the unused branch stays finite and a second derivative does not meet 0 * inf.
Tensor elu_gradient(Ctx& c, double negcoef, double poscoef, double negiptcoef) {
  const Tensor& x = c.input_value(0);
  const Tensor non_positive_x = clamp(x, std::nullopt, Scalar(0.0));
  return where(le(x, 0.0), c.grad() * exp(non_positive_x * negiptcoef) * (negiptcoef * negcoef), c.grad() * poscoef);
}
// elu(x; alpha, scale, input_scale): negcoef = alpha scale, poscoef = scale, negiptcoef = input_scale
void elu_backward(Ctx& c) {
  const ElementwiseParams& p = c.attrs().get<ElementwiseParams>();
  c.grad_inputs[0] = elu_gradient(c, p[0] * p[1], p[1], p[2]);
}
constexpr OpDerivative elu_derivative{OpId::elu, elu_backward, "EluBackward", {kIn0}};
// celu(x; alpha) = elu(x; alpha, 1, 1 / alpha) (PyTorch's node is EluBackward too)
void celu_backward(Ctx& c) {
  const double alpha = c.attrs().get<ElementwiseParams>()[0];
  c.grad_inputs[0] = elu_gradient(c, alpha, 1.0, 1.0 / alpha);
}
constexpr OpDerivative celu_derivative{OpId::celu, celu_backward, "EluBackward", {kIn0}};
// selu(x) = elu(x; alpha = 1.6732..., scale = 1.0507..., 1)
void selu_backward(Ctx& c) {
  c.grad_inputs[0] = elu_gradient(c, math::kSeluAlpha * math::kSeluScale, math::kSeluScale, 1.0);
}
constexpr OpDerivative selu_derivative{OpId::selu, selu_backward, "EluBackward", {kIn0}};

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta: dx = beta x > threshold ? g : g sigmoid(beta x)
void softplus_backward(Ctx& c) {
  const ElementwiseParams& p = c.attrs().get<ElementwiseParams>();
  const Tensor scaled = c.input_value(0) * p[0];
  c.grad_inputs[0] = where(gt(scaled, p[1]), c.grad(), c.grad() * sigmoid(scaled));
}
constexpr OpDerivative softplus_derivative{OpId::softplus, softplus_backward, "SoftplusBackward", {kIn0}};

// y = x > threshold ? x : value: dx = x <= threshold ? 0 : g
void threshold_op_backward(Ctx& c) {
  c.grad_inputs[0] = where(le(c.input_value(0), c.attrs().get<ElementwiseParams>()[0]), Scalar(0.0), c.grad());
}
constexpr OpDerivative threshold_derivative{OpId::threshold, threshold_op_backward, "ThresholdBackward", {kIn0}};

// y = min(x, 0) - ln(1 + e^-|x|) = ln sigmoid(x): dx = g sigmoid(-x)
void log_sigmoid_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * sigmoid(-c.input_value(0)); }
constexpr OpDerivative log_sigmoid_derivative{OpId::log_sigmoid, log_sigmoid_backward, "LogSigmoidBackward", {kIn0}};

// y = min(max(x + 3, 0), 6) / 6: dx = g / 6 where -3 < x < 3, else 0
void hardsigmoid_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(logical_and(gt(x, -3.0), lt(x, 3.0)), c.grad() / 6.0, Scalar(0.0));
}
constexpr OpDerivative hardsigmoid_derivative{OpId::hardsigmoid, hardsigmoid_backward, "HardsigmoidBackward", {kIn0}};

// y = x min(max(x + 3, 0), 6) / 6: dx = x < -3 ? 0 : x <= 3 ? g (x / 3 + 1/2) : g
void hardswish_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(lt(x, -3.0), Scalar(0.0), where(le(x, 3.0), c.grad() * (x / 3.0 + 0.5), c.grad()));
}
constexpr OpDerivative hardswish_derivative{OpId::hardswish, hardswish_backward, "HardswishBackward", {kIn0}};

// y = x t, t = tanh(softplus(x)): dx = g (t + x sigmoid(x) (1 - t^2))
void mish_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor t = tanh(softplus(x));
  c.grad_inputs[0] = c.grad() * (t + x * sigmoid(x) * (1.0 - t * t));
}
constexpr OpDerivative mish_derivative{OpId::mish, mish_backward, "MishBackward", {kIn0}};

// y = x s, s = sigmoid(x): dx = g s (1 + x (1 - s))
void silu_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor s = sigmoid(x);
  c.grad_inputs[0] = c.grad() * s * (1.0 + x * (1.0 - s));
}
constexpr OpDerivative silu_derivative{OpId::silu, silu_backward, "SiluBackward", {kIn0}};

// y = ln(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps >= 0 (PyTorch's logit_backward): dx = g / (x (1 - x))
// inside, 0 outside [eps, 1 - eps] when eps is given, NaN outside [0, 1] when it is not
void logit_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const double eps = c.attrs().get<ElementwiseParams>()[0];
  const Tensor inside = c.grad() / (x * (1.0 - x));
  if (eps < 0) {
    c.grad_inputs[0] = where(logical_or(lt(x, 0.0), gt(x, 1.0)), Scalar(std::nan("")), inside);
  } else {
    c.grad_inputs[0] = where(logical_or(lt(x, eps), gt(x, 1.0 - eps)), Scalar(0.0), inside);
  }
}
constexpr OpDerivative logit_derivative{OpId::logit, logit_backward, "LogitBackward", {kIn0}};

// y = x finite ? x : nan / posinf / neginf: dx = g where x is finite, else 0
void nan_to_num_backward(Ctx& c) { c.grad_inputs[0] = where(isfinite(c.input_value(0)), c.grad(), Scalar(0.0)); }
constexpr OpDerivative nan_to_num_derivative{OpId::nan_to_num, nan_to_num_backward, "NanToNumBackward", {kIn0}};

// y = polygamma(n, x): dx = g polygamma(n + 1, x)
void polygamma_backward(Ctx& c) {
  const auto n = static_cast<int64_t>(c.attrs().get<ElementwiseParams>()[0]);
  c.grad_inputs[0] = c.grad() * polygamma(n + 1, c.input_value(0));
}
constexpr OpDerivative polygamma_derivative{OpId::polygamma, polygamma_backward, "PolygammaBackward", {kIn0}};
// y = min(max(x, 0), 6): dx = 0 < x < 6 ? g : 0 (PyTorch's relu6 is hardtanh(x, 0, 6), so its node is too)
void relu6_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(logical_or(le(x, 0.0), ge(x, 6.0)), Scalar(0.0), c.grad());
}
constexpr OpDerivative relu6_derivative{OpId::relu6, relu6_backward, "HardtanhBackward", {kIn0}};
// y = x / (1 + |x|): dx = g / (1 + |x|)^2
void softsign_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / square(abs(c.input_value(0)) + 1.0); }
constexpr OpDerivative softsign_derivative{OpId::softsign, softsign_backward, "SoftsignBackward", {kIn0}};
// y = x - tanh x: dx = g tanh(x)^2
void tanhshrink_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * square(tanh(c.input_value(0))); }
constexpr OpDerivative tanhshrink_derivative{OpId::tanhshrink, tanhshrink_backward, "TanhshrinkBackward", {kIn0}};
// softshrink and hardshrink: dx = |x| > lambd ? g : 0 (x = +-lambd takes 0, as PyTorch)
Tensor shrink_gradient(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const double lambd = c.attrs().get<ElementwiseParams>()[0];
  return where(logical_and(ge(x, -lambd), le(x, lambd)), Scalar(0.0), c.grad());
}
void softshrink_backward(Ctx& c) { c.grad_inputs[0] = shrink_gradient(c); }
constexpr OpDerivative softshrink_derivative{OpId::softshrink, softshrink_backward, "SoftshrinkBackward", {kIn0}};
void hardshrink_backward(Ctx& c) { c.grad_inputs[0] = shrink_gradient(c); }
constexpr OpDerivative hardshrink_derivative{OpId::hardshrink, hardshrink_backward, "HardshrinkBackward", {kIn0}};

// ---- binary elementwise --------------------------------------------------------------------------------------
// y = a + b: da = g, db = g
void add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad();
}
constexpr OpDerivative add_derivative{OpId::add, add_backward, "AddBackward"};
// y = a - b: da = g, db = -g
void sub_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad();
}
constexpr OpDerivative sub_derivative{OpId::sub, sub_backward, "SubBackward"};
// y = a * b: da = g b, db = g a
// (summed straight into the gradient gathered so far when the engine can: accumulate_product)
void mul_backward(Ctx& c) {
  const Tensor& g = c.grad();
  if (c.needs_input_grad(0) && !c.accumulate_product(0, g, c.input_value(1))) c.grad_inputs[0] = g * c.input_value(1);
  if (c.needs_input_grad(1) && !c.accumulate_product(1, g, c.input_value(0))) c.grad_inputs[1] = g * c.input_value(0);
}
constexpr OpDerivative mul_derivative{OpId::mul, mul_backward, "MulBackward", {kIn1, kIn0}};
// y = a / b: da = g / b, db = -g a / b^2
void div_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() / b;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad() * a / (b * b);
}
constexpr OpDerivative div_derivative{OpId::div, div_backward, "DivBackward", {kIn1, kIn0 | kIn1}};
// y = a^b: da = g b a^(b-1), 0 where b == 0 (so d(0^0)/da is 0, not 0 * 0^-1 = NaN); db = g y ln a, 0 where a == 0
// and b >= 0. PyTorch's pow_backward_self / pow_backward_exponent; its Scalar-exponent and Scalar-base forms give the
// same values, and reel runs them through this formula with the number as a 0-dim tensor.
void pow_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] = where(eq(b, 0), zeros({}, c.grad().options()), c.grad() * b * pow(a, b - 1));
  if (c.needs_input_grad(1)) {
    const Tensor y = result(c);
    Tensor dy_db = where(logical_and(eq(a, 0), ge(b, 0)), zeros_like(y), y * log(a));
    c.grad_inputs[1] = c.grad() * dy_db;
  }
}
constexpr OpDerivative pow_derivative{OpId::pow, pow_backward, "PowBackward", {kIn0 | kIn1, kIn0 | kIn1}, kIn1};
// y = max(a, b) or min(a, b): the gradient goes to the input that was chosen, split evenly on ties. `a_wins` and
// `b_wins` are the comparisons that choose a and b (gt / lt for maximum, lt / gt for minimum).
void extremum_backward(Ctx& c, Tensor (*a_wins)(const Tensor&, const Tensor&),
                       Tensor (*b_wins)(const Tensor&, const Tensor&)) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  Tensor half = c.grad() * 0.5;
  Tensor zero = zeros_like(c.grad());
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(a_wins(a, b), c.grad(), where(eq(a, b), half, zero));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(b_wins(a, b), c.grad(), where(eq(a, b), half, zero));
}
// y = max(a, b)
void maximum_backward(Ctx& c) { extremum_backward(c, &gt, &lt); }
constexpr OpDerivative maximum_derivative{
    OpId::maximum, maximum_backward, "MaximumBackward", {kIn0 | kIn1, kIn0 | kIn1}};
// y = min(a, b)
void minimum_backward(Ctx& c) { extremum_backward(c, &lt, &gt); }
constexpr OpDerivative minimum_derivative{
    OpId::minimum, minimum_backward, "MinimumBackward", {kIn0 | kIn1, kIn0 | kIn1}};

// ---- fused backward primitives -----------------------------------------------------------------------------------
// z = g (1 - y^2): dg = tanh_backward(G, y), dy = -2 G g y
void tanh_backward_backward(Ctx& c) {
  const Tensor& g = c.input_value(0);
  const Tensor& y = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = tanh_backward(c.grad(), y);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * g * y * -2;
}
constexpr OpDerivative tanh_backward_derivative{
    OpId::tanh_backward, tanh_backward_backward, "TanhBackwardBackward", {kIn1, kIn0 | kIn1}};
// z = g y (1 - y): dg = sigmoid_backward(G, y), dy = G g (1 - 2y)
void sigmoid_backward_backward(Ctx& c) {
  const Tensor& g = c.input_value(0);
  const Tensor& y = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = sigmoid_backward(c.grad(), y);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * g * (1 - y * 2);
}
constexpr OpDerivative sigmoid_backward_derivative{
    OpId::sigmoid_backward, sigmoid_backward_backward, "SigmoidBackwardBackward", {kIn1, kIn0 | kIn1}};
// z = x > 0 ? g : 0: dg = threshold_backward(G, x), dx = 0
void threshold_backward_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = threshold_backward(c.grad(), c.input_value(1));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = zeros_like(c.grad());
}
constexpr OpDerivative threshold_backward_derivative{
    OpId::threshold_backward, threshold_backward_backward, "ThresholdBackwardBackward", {kIn1, kNone}};

// ---- other elementwise ----------------------------------------------------------------------------------------
// y = c ? a : b: da = c ? g : 0, db = c ? 0 : g  (inputs: condition, a, b)
void where_backward(Ctx& c) {
  const Tensor& condition = c.input_value(0);
  Tensor zero = zeros_like(c.grad());
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(condition, c.grad(), zero);
  if (c.needs_input_grad(2)) c.grad_inputs[2] = where(condition, zero, c.grad());
}
constexpr OpDerivative where_derivative{OpId::where, where_backward, "WhereBackward", {kNone, kIn0, kIn0}};
// y = clamp(x, lo, hi): dx = g where lo <= x <= hi, else 0
void clamp_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const ClampAttrs& bounds = c.attrs().get<ClampAttrs>();
  Tensor inside = ones_like(x, kBool);
  if (bounds.min) inside = logical_and(inside, ge(x, *bounds.min));
  if (bounds.max) inside = logical_and(inside, le(x, *bounds.max));
  c.grad_inputs[0] = where(inside, c.grad(), zeros_like(c.grad()));
}
constexpr OpDerivative clamp_derivative{OpId::clamp, clamp_backward, "ClampBackward", {kIn0}};
// y = x + v t1 t2: dx = g, dt1 = v g t2, dt2 = v g t1 (the engine sums broadcast dims back)
void addcmul_backward(Ctx& c) {
  const Scalar value = c.attrs().get<AddcAttrs>().value;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * c.input_value(2) * value;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad() * c.input_value(1) * value;
}
constexpr OpDerivative addcmul_derivative{OpId::addcmul, addcmul_backward, "AddcmulBackward", {kNone, kIn2, kIn1}};
// y = x + v t1 / t2: dx = g, dt1 = v g / t2, dt2 = -v g t1 / t2^2
void addcdiv_backward(Ctx& c) {
  const Scalar value = c.attrs().get<AddcAttrs>().value;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * value / c.input_value(2);
  if (c.needs_input_grad(2)) {
    const Tensor& t2 = c.input_value(2);
    c.grad_inputs[2] = c.grad() * c.input_value(1) * (-value.to_double()) / (t2 * t2);
  }
}
constexpr OpDerivative addcdiv_derivative{
    OpId::addcdiv, addcdiv_backward, "AddcdivBackward", {kNone, kIn2, kIn1 | kIn2}};
// y = cast(x): dx = cast back (the engine casts to the input's dtype)
void copy_backward(Ctx& c) { c.grad_inputs[0] = c.grad(); }
constexpr OpDerivative copy_derivative{OpId::copy, copy_backward, "ToCopyBackward"};
constexpr OpDerivative clone_derivative{OpId::clone, copy_backward, "CloneBackward"};

// Every formula of this file. The parameterised rows and the fused backward primitives are listed through ops.def,
// so such a row without its `name_derivative` above does not compile.
constexpr OpDerivative kElementwiseDerivatives[] = {
    neg_derivative, abs_derivative, sign_derivative, floor_derivative, ceil_derivative, round_derivative,
    exp_derivative, log_derivative, log1p_derivative, expm1_derivative, sqrt_derivative, rsqrt_derivative,
    square_derivative, reciprocal_derivative, sin_derivative, cos_derivative, tanh_derivative, sigmoid_derivative,
    erf_derivative, relu_derivative, add_derivative, sub_derivative, mul_derivative, div_derivative, pow_derivative,
    maximum_derivative, minimum_derivative, where_derivative, clamp_derivative, addcmul_derivative, addcdiv_derivative,
    copy_derivative, clone_derivative,
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) name##_derivative,
#define REEL_FUSED_BACKWARD_OP(name, functor, math) name##_derivative,
#include "tensor/ops.def"
};

}  // namespace

std::span<const OpDerivative> elementwise_derivatives() { return kElementwiseDerivatives; }

}  // namespace reel::autograd
