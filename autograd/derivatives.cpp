// reel/autograd/derivatives.cpp — one backward formula per differentiable op, in ops.def order.
//
// Each formula reads the output gradient(s) `ctx.grad_outputs`, the tensors its table entry saved and the
// op's attributes, and fills `ctx.grad_inputs` for the inputs that need a gradient. Formulas are written with
// reel's own ops, so with create_graph they are recorded too and gradients of gradients work. The engine
// then reduces each input gradient to its input's shape and dtype (Note [Broadcast gradients]), so a
// formula may return a broadcast-shaped gradient.
#include "autograd/derivatives.h"

#include <algorithm>
#include <cmath>

#include "tensor/conv_params.h"
#include "tensor/rnn_params.h"
#include "tensor/scalar_math.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::autograd {

namespace {

using Ctx = BackwardContext;

// Output j as a formula reads it: the saved value and, under create_graph (grad mode on while formulas run),
// also its history — an alias whose grad_fn is this node — so that what the formula computes from y is
// differentiated through y too (d/dx of g * e^x needs y's own dependence on x). Saved outputs are kept without
// grad_fn so that a node never owns itself; the alias lives only as long as the gradient graph that reads it.
Tensor result(Ctx& c, size_t j = 0) {
  const Tensor& y = c.output_value(j);
  if (!reel::is_grad_enabled() || !y.defined() || !y.is_floating_point()) return y;
  Tensor alias = shallow_copy(y);
  retain_node(&c.node);
  alias.impl()->grad_fn = &c.node;
  alias.impl()->output_nr = static_cast<uint32_t>(j);
  alias.impl()->requires_grad = true;
  return alias;
}

// ---- unary elementwise ---------------------------------------------------------------------------------------
// y = -x: dx = -g
void neg_backward(Ctx& c) { c.grad_inputs[0] = -c.grad(); }
// y = |x|: dx = g * sign(x)
void abs_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * sign(c.input_value(0)); }
// y = sign(x): dx = 0
void zero_backward(Ctx& c) { c.grad_inputs[0] = zeros_like(c.grad()); }
// y = e^x: dx = g * y
void exp_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * result(c); }
// y = ln x: dx = g / x
void log_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / c.input_value(0); }
// y = ln(1 + x): dx = g / (1 + x)
void log1p_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (c.input_value(0) + 1); }
// y = e^x - 1: dx = g * (y + 1)
void expm1_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * (result(c) + 1); }
// y = sqrt(x): dx = g / (2y)
void sqrt_backward(Ctx& c) { c.grad_inputs[0] = c.grad() / (result(c) * 2); }
// y = x^-1/2: dx = -g * y^3 / 2
void rsqrt_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() * (y * y * y) * -0.5;
}
// y = x^2: dx = 2 g x
void square_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * c.input_value(0) * 2; }
// y = 1/x: dx = -g y^2
void reciprocal_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = -c.grad() * y * y;
}
// y = sin x: dx = g cos x
void sin_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * cos(c.input_value(0)); }
// y = cos x: dx = -g sin x
void cos_backward(Ctx& c) { c.grad_inputs[0] = -c.grad() * sin(c.input_value(0)); }
// y = tanh x: dx = tanh_backward(g, y)
void tanh_backward_formula(Ctx& c) { c.grad_inputs[0] = tanh_backward(c.grad(), result(c)); }
// y = sigmoid x: dx = sigmoid_backward(g, y)
void sigmoid_backward_formula(Ctx& c) { c.grad_inputs[0] = sigmoid_backward(c.grad(), result(c)); }
// y = erf x: dx = g * 2 / sqrt(pi) * e^(-x^2)
void erf_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = c.grad() * exp(-(x * x)) * 1.1283791670955126;
}
// y = max(x, 0): dx = threshold_backward(g, y)  (y > 0 exactly where x > 0)
void relu_backward(Ctx& c) { c.grad_inputs[0] = threshold_backward(c.grad(), c.output_value()); }

// ---- parameterised unary elementwise (ops.def REEL_UNARY_PARAM_OP rows) ------------------------------------------
// Each formula is followed by its facts, `name_formula`: the node name and what recording saves. The table below
// registers one for every such row of ops.def (a row without one does not compile). The formulas read the call's
// parameters from attrs().params in the row's order, and follow PyTorch's choices at the kinks.
enum class Saves { Input, Output };  // what recording keeps for the formula: x or y
struct UnaryFormula {
  BackwardFn fn;
  const char* node_name;
  Saves saves;
};

// y = min(max(x, min_val), max_val): dx = g where min_val < x < max_val, 0 at and beyond the bounds
void hardtanh_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const ElementwiseParams& p = c.attrs().params;
  c.grad_inputs[0] = where(logical_or(le(x, p[0]), ge(x, p[1])), Scalar(0.0), c.grad());
}
constexpr UnaryFormula hardtanh_formula{hardtanh_backward, "HardtanhBackward", Saves::Input};

// y = x > 0 ? x : s x: dx = x > 0 ? g : s g (s = negative_slope; x = 0 takes s)
void leaky_relu_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(gt(x, 0.0), c.grad(), c.grad() * c.attrs().params[0]);
}
constexpr UnaryFormula leaky_relu_formula{leaky_relu_backward, "LeakyReluBackward", Saves::Input};

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
  const ElementwiseParams& p = c.attrs().params;
  c.grad_inputs[0] = elu_gradient(c, p[0] * p[1], p[1], p[2]);
}
constexpr UnaryFormula elu_formula{elu_backward, "EluBackward", Saves::Input};
// celu(x; alpha) = elu(x; alpha, 1, 1 / alpha) (PyTorch's node is EluBackward too)
void celu_backward(Ctx& c) {
  const double alpha = c.attrs().params[0];
  c.grad_inputs[0] = elu_gradient(c, alpha, 1.0, 1.0 / alpha);
}
constexpr UnaryFormula celu_formula{celu_backward, "EluBackward", Saves::Input};
// selu(x) = elu(x; alpha = 1.6732..., scale = 1.0507..., 1)
void selu_backward(Ctx& c) {
  c.grad_inputs[0] = elu_gradient(c, math::kSeluAlpha * math::kSeluScale, math::kSeluScale, 1.0);
}
constexpr UnaryFormula selu_formula{selu_backward, "EluBackward", Saves::Input};

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta: dx = beta x > threshold ? g : g sigmoid(beta x)
void softplus_backward(Ctx& c) {
  const ElementwiseParams& p = c.attrs().params;
  const Tensor scaled = c.input_value(0) * p[0];
  c.grad_inputs[0] = where(gt(scaled, p[1]), c.grad(), c.grad() * sigmoid(scaled));
}
constexpr UnaryFormula softplus_formula{softplus_backward, "SoftplusBackward", Saves::Input};

// y = x > threshold ? x : value: dx = x <= threshold ? 0 : g
void threshold_op_backward(Ctx& c) {
  c.grad_inputs[0] = where(le(c.input_value(0), c.attrs().params[0]), Scalar(0.0), c.grad());
}
constexpr UnaryFormula threshold_formula{threshold_op_backward, "ThresholdBackward", Saves::Input};

// y = min(x, 0) - ln(1 + e^-|x|) = ln sigmoid(x): dx = g sigmoid(-x)
void log_sigmoid_backward(Ctx& c) { c.grad_inputs[0] = c.grad() * sigmoid(-c.input_value(0)); }
constexpr UnaryFormula log_sigmoid_formula{log_sigmoid_backward, "LogSigmoidBackward", Saves::Input};

// y = min(max(x + 3, 0), 6) / 6: dx = g / 6 where -3 < x < 3, else 0
void hardsigmoid_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(logical_and(gt(x, -3.0), lt(x, 3.0)), c.grad() / 6.0, Scalar(0.0));
}
constexpr UnaryFormula hardsigmoid_formula{hardsigmoid_backward, "HardsigmoidBackward", Saves::Input};

// y = x min(max(x + 3, 0), 6) / 6: dx = x < -3 ? 0 : x <= 3 ? g (x / 3 + 1/2) : g
void hardswish_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  c.grad_inputs[0] = where(lt(x, -3.0), Scalar(0.0), where(le(x, 3.0), c.grad() * (x / 3.0 + 0.5), c.grad()));
}
constexpr UnaryFormula hardswish_formula{hardswish_backward, "HardswishBackward", Saves::Input};

// y = x t, t = tanh(softplus(x)): dx = g (t + x sigmoid(x) (1 - t^2))
void mish_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor t = tanh(softplus(x));
  c.grad_inputs[0] = c.grad() * (t + x * sigmoid(x) * (1.0 - t * t));
}
constexpr UnaryFormula mish_formula{mish_backward, "MishBackward", Saves::Input};

// y = x s, s = sigmoid(x): dx = g s (1 + x (1 - s))
void silu_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor s = sigmoid(x);
  c.grad_inputs[0] = c.grad() * s * (1.0 + x * (1.0 - s));
}
constexpr UnaryFormula silu_formula{silu_backward, "SiluBackward", Saves::Input};

// ---- binary elementwise --------------------------------------------------------------------------------------
// y = a + b: da = g, db = g
void add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad();
}
// y = a - b: da = g, db = -g
void sub_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad();
}
// y = a * b: da = g b, db = g a
// (summed straight into the gradient gathered so far when the engine can: accumulate_product)
void mul_backward(Ctx& c) {
  const Tensor& g = c.grad();
  if (c.needs_input_grad(0) && !c.accumulate_product(0, g, c.input_value(1))) c.grad_inputs[0] = g * c.input_value(1);
  if (c.needs_input_grad(1) && !c.accumulate_product(1, g, c.input_value(0))) c.grad_inputs[1] = g * c.input_value(0);
}
// y = a / b: da = g / b, db = -g a / b^2
void div_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() / b;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = -c.grad() * a / (b * b);
}
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
// y = max(a, b): the gradient goes to the larger input, split evenly on ties
void maximum_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  Tensor half = c.grad() * 0.5;
  Tensor zero = zeros_like(c.grad());
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(gt(a, b), c.grad(), where(eq(a, b), half, zero));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(lt(a, b), c.grad(), where(eq(a, b), half, zero));
}
// y = min(a, b): the gradient goes to the smaller input, split evenly on ties
void minimum_backward(Ctx& c) {
  const Tensor& a = c.input_value(0);
  const Tensor& b = c.input_value(1);
  Tensor half = c.grad() * 0.5;
  Tensor zero = zeros_like(c.grad());
  if (c.needs_input_grad(0)) c.grad_inputs[0] = where(lt(a, b), c.grad(), where(eq(a, b), half, zero));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(gt(a, b), c.grad(), where(eq(a, b), half, zero));
}

// ---- fused backward primitives -----------------------------------------------------------------------------------
// z = g (1 - y^2): dg = tanh_backward(G, y), dy = -2 G g y
void tanh_backward_backward(Ctx& c) {
  const Tensor& g = c.input_value(0);
  const Tensor& y = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = tanh_backward(c.grad(), y);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * g * y * -2;
}
// z = g y (1 - y): dg = sigmoid_backward(G, y), dy = G g (1 - 2y)
void sigmoid_backward_backward(Ctx& c) {
  const Tensor& g = c.input_value(0);
  const Tensor& y = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = sigmoid_backward(c.grad(), y);
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * g * (1 - y * 2);
}
// z = x > 0 ? g : 0: dg = threshold_backward(G, x), dx = 0
void threshold_backward_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = threshold_backward(c.grad(), c.input_value(1));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = zeros_like(c.grad());
}

// ---- other elementwise ----------------------------------------------------------------------------------------
// y = c ? a : b: da = c ? g : 0, db = c ? 0 : g  (inputs: condition, a, b)
void where_backward(Ctx& c) {
  const Tensor& condition = c.input_value(0);
  Tensor zero = zeros_like(c.grad());
  if (c.needs_input_grad(1)) c.grad_inputs[1] = where(condition, c.grad(), zero);
  if (c.needs_input_grad(2)) c.grad_inputs[2] = where(condition, zero, c.grad());
}
// y = clamp(x, lo, hi): dx = g where lo <= x <= hi, else 0
void clamp_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  Tensor inside = ones_like(x, kBool);
  if (attrs.flag) inside = logical_and(inside, ge(x, attrs.a));
  if (attrs.flag2) inside = logical_and(inside, le(x, attrs.b));
  c.grad_inputs[0] = where(inside, c.grad(), zeros_like(c.grad()));
}
// y = x + v t1 t2: dx = g, dt1 = v g t2, dt2 = v g t1 (the engine sums broadcast dims back)
void addcmul_backward(Ctx& c) {
  const Scalar value = c.attrs().a;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * c.input_value(2) * value;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad() * c.input_value(1) * value;
}
// y = x + v t1 / t2: dx = g, dt1 = v g / t2, dt2 = -v g t1 / t2^2
void addcdiv_backward(Ctx& c) {
  const Scalar value = c.attrs().a;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = c.grad() * value / c.input_value(2);
  if (c.needs_input_grad(2)) {
    const Tensor& t2 = c.input_value(2);
    c.grad_inputs[2] = c.grad() * c.input_value(1) * (-value.to_double()) / (t2 * t2);
  }
}
// y = cast(x): dx = cast back (the engine casts to the input's dtype)
void copy_backward(Ctx& c) { c.grad_inputs[0] = c.grad(); }

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
// y = sum (x - mean)^2 / (n - correction): dx = g * 2 (x - mean) / (n - correction)
void var_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  const int64_t nd = x.dim();
  Tensor g = unsqueeze_reduced(c.grad(), attrs, nd);
  Tensor mean = attrs.dims.empty() ? x.mean() : x.mean(attrs.dims, true);
  const double denominator = static_cast<double>(reduced_count(c.input(0), attrs) - attrs.correction);
  c.grad_inputs[0] = g * (x - mean) * (2.0 / denominator);
}
// y = ||x||_p: dx = g * x |x|^(p-2) / y^(p-1); p = inf: like amax of |x|; p = 0: 0
void norm_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const OpAttrs& attrs = c.attrs();
  const int64_t nd = x.dim();
  const double p = attrs.a.to_double();
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

// ---- linear algebra ----------------------------------------------------------------------------------------------
// C = A B: dA = g B^T, dB = A^T g
// (dB, a sum over A's rows of outer products, may go to the engine: Note [Deferred leaf gradients])
void mm_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = mm(c.grad(), c.input_value(1).t());
  if (c.needs_input_grad(1) && !c.defer_outer_product(1, c.input_value(0), c.grad()))
    c.grad_inputs[1] = mm(c.input_value(0).t(), c.grad());
}
// C[b] = A[b] B[b]: dA = g B^T, dB = A^T g (per batch)
void bmm_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = bmm(c.grad(), c.input_value(1).transpose(1, 2));
  if (c.needs_input_grad(1)) c.grad_inputs[1] = bmm(c.input_value(0).transpose(1, 2), c.grad());
}
// C = beta M + alpha A B: dM = beta g, dA = alpha g B^T, dB = alpha A^T g  (inputs: M, A, B)
void addmm_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  const Scalar beta = attrs.b, alpha = attrs.a;
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad() * beta;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = mm(c.grad(), c.input_value(2).t()) * alpha;
  if (c.needs_input_grad(2)) {
    const bool unit_alpha = alpha.to_double() == 1.0;
    if (!(unit_alpha && c.defer_outer_product(2, c.input_value(1), c.grad())))
      c.grad_inputs[2] = unit_alpha ? mm(c.input_value(1).t(), c.grad()) : mm(c.input_value(1).t(), c.grad()) * alpha;
  }
}
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

// ---- shape ops ---------------------------------------------------------------------------------------------------
// y = cat(x_0, x_1, ...; dim): dx_i = the slice of g that came from x_i
void cat_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  int64_t start = 0;
  for (size_t i = 0; i < c.node.input_meta.size(); ++i) {
    const InputMeta& in = c.input(i);
    const bool skipped = in.sizes.size() == 1 && in.sizes[0] == 0 && c.grad().dim() != 1;  // legacy empty input
    if (skipped) continue;
    const int64_t length = in.sizes[static_cast<size_t>(dim)];
    if (c.needs_input_grad(i)) c.grad_inputs[i] = c.grad().narrow(dim, start, length);
    start += length;
  }
}
// y = flip(x, dims): dx = flip(g, dims)
void flip_backward(Ctx& c) { c.grad_inputs[0] = flip(c.grad(), c.attrs().dims); }
// y = tril(x, k): dx = tril(g, k)
void tril_backward(Ctx& c) { c.grad_inputs[0] = tril(c.grad(), c.attrs().k); }
// y = triu(x, k): dx = triu(g, k)
void triu_backward(Ctx& c) { c.grad_inputs[0] = triu(c.grad(), c.attrs().k); }

// ---- indexing ----------------------------------------------------------------------------------------------------
Tensor zeros_for(const InputMeta& in, const Tensor& like) {
  return zeros(in.sizes, TensorOptions(like.dtype()).device(in.device));
}
// The positions of `index` (1-D) other than `padding`, or nullopt when every position is kept.
std::optional<Tensor> positions_without(const Tensor& index, int64_t padding) {
  const std::vector<int64_t> rows = index.to_vector<int64_t>();
  std::vector<int64_t> kept;
  kept.reserve(rows.size());
  for (size_t p = 0; p < rows.size(); ++p)
    if (rows[p] != padding) kept.push_back(static_cast<int64_t>(p));
  if (kept.size() == rows.size()) return std::nullopt;
  return tensor(kept, TensorOptions(kInt64).device(index.device()));
}
// y = x.index_select(dim, i): dx = zeros.index_add(dim, i, g)  (inputs: x, index). From embedding (dim 0): the
// positions whose index is the padding row (attrs.flag2, row attrs.k) give nothing, and with attrs.flag (sparse)
// a leaf x receives the rows as a sparse gradient (Note [Row-sparse gradients]).
void index_select_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  Tensor index = c.input_value(1), grad = c.grad();
  if (attrs.flag2) {
    if (std::optional<Tensor> kept = positions_without(index, attrs.k)) {
      index = index.index_select(0, *kept);
      grad = grad.index_select(0, *kept);
    }
  }
  if (attrs.flag && c.defer_sparse_rows(0, index, grad)) return;  // a sparse gradient for the leaf
  if (c.defer_index_add(0, attrs.dim, index, grad)) return;     // rows added straight into the leaf
  c.grad_inputs[0] = zeros_for(c.input(0), grad).index_add(attrs.dim, index, grad);
}
// y = x.gather(dim, i): dx = zeros.scatter_add(dim, i, g)
void gather_backward(Ctx& c) {
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).scatter_add(c.attrs().dim, c.input_value(1), c.grad());
}
// Pads t with zeros at the end of each dim up to `sizes` (src may be larger than index: its extra part is unread).
Tensor zero_padded(Tensor t, const DimVector& sizes) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    const int64_t missing = sizes[static_cast<size_t>(d)] - t.size(d);
    if (missing <= 0) continue;
    DimVector pad_sizes(t.sizes());
    pad_sizes[static_cast<size_t>(d)] = missing;
    t = cat({t, zeros(pad_sizes, TensorOptions(t.dtype()).device(t.device()))}, d);
  }
  return t;
}
// y = x.scatter(dim, i, src): dx = g with the overwritten places zeroed, dsrc = g.gather(dim, i) (0 where unread)
void scatter_backward(Ctx& c) {
  const int64_t dim = c.attrs().dim;
  const Tensor& index = c.input_value(1);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad().scatter(dim, index, Scalar(0.0));
  if (c.node.next_edges.size() > 2 && c.needs_input_grad(2))
    c.grad_inputs[2] = zero_padded(c.grad().gather(dim, index), c.input(2).sizes);
}
// y = x.scatter_add(dim, i, src): dx = g, dsrc = g.gather(dim, i) (0 where unread)
void scatter_add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(2))
    c.grad_inputs[2] = zero_padded(c.grad().gather(c.attrs().dim, c.input_value(1)), c.input(2).sizes);
}
// y = x.index_add(dim, i, src, alpha): dx = g, dsrc = alpha g.index_select(dim, i)
void index_add_backward(Ctx& c) {
  if (c.needs_input_grad(0)) c.grad_inputs[0] = c.grad();
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad().index_select(c.attrs().dim, c.input_value(1)) * c.attrs().a;
}

// ---- softmax -----------------------------------------------------------------------------------------------------
// y = softmax(x): dx = y (g - sum(g y))
void softmax_backward(Ctx& c) {
  const Tensor y = result(c);
  const int64_t dim = c.attrs().dim;
  Tensor gy = c.grad() * y;
  c.grad_inputs[0] = gy - y * gy.sum({dim}, true);
}
// y = log_softmax(x): dx = g - e^y sum(g)
void log_softmax_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() - exp(y) * c.grad().sum({c.attrs().dim}, true);
}

// ---- views -------------------------------------------------------------------------------------------------------
// y = x viewed with other sizes (view, reshape, flatten, squeeze, unsqueeze): dx = g reshaped back
void reshape_backward(Ctx& c) { c.grad_inputs[0] = c.grad().reshape(c.input(0).sizes); }
// y = x.t(): dx = g.t()
void t_backward(Ctx& c) { c.grad_inputs[0] = c.grad().t(); }
// y = x.transpose(d0, d1): dx = g.transpose(d0, d1)
void transpose_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  c.grad_inputs[0] = c.grad().transpose(attrs.dims[0], attrs.dims[1]);
}
// y = x.permute(p): dx = g.permute(p^-1)
void permute_backward(Ctx& c) {
  const DimVector& p = c.attrs().dims;
  DimVector inverse(p.size());
  for (size_t i = 0; i < p.size(); ++i) inverse[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
  c.grad_inputs[0] = c.grad().permute(inverse);
}
// y = x.expand(sizes): dx = g summed over the expanded dims (the engine's sum_to does it)
void expand_backward(Ctx& c) { c.grad_inputs[0] = c.grad(); }
// y = x[..., start:end:step, ...] (slice, narrow; attrs: dim, a = start, b = end, c = step):
// dx = zeros with g added at the sliced positions
void slice_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  auto sliced = [&](const Tensor& full) { return full.slice(attrs.dim, attrs.a.to_int64(), attrs.b.to_int64(),
                                                              attrs.c.to_int64()); };
  if (c.add_into_input_view(0, sliced, c.grad())) return;  // added into the input's summed gradient in place
  Tensor positions = arange(attrs.a, attrs.b, attrs.c, TensorOptions(kInt64).device(c.grad().device()));
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).index_add(attrs.dim, positions, c.grad());
}
// y = x.select(dim, i): dx = zeros with g placed at index i of dim
void select_backward(Ctx& c) {
  const OpAttrs& attrs = c.attrs();
  auto selected = [&](const Tensor& full) { return full.select(attrs.dim, attrs.a.to_int64()); };
  if (c.add_into_input_view(0, selected, c.grad())) return;  // added into the input's summed gradient in place
  Tensor position = full({1}, attrs.a, TensorOptions(kInt64).device(c.grad().device()));
  c.grad_inputs[0] = zeros_for(c.input(0), c.grad()).index_add(attrs.dim, position, c.grad().unsqueeze(attrs.dim));
}
// y = x.as_strided(sizes, strides, offset): both read the same storage, so dx[i] = sum of g[j] over the outputs j
// that read the storage position input element i sits at (overlapping outputs accumulate).
// attrs: dims = out sizes, out strides, input strides; dim = out rank; k = out offset; c = input offset.
void as_strided_backward(Ctx& c) {
  const InputMeta& in = c.input(0);
  const OpAttrs& attrs = c.attrs();
  const size_t out_rank = static_cast<size_t>(attrs.dim);
  const size_t in_rank = in.sizes.size();
  DimVector out_sizes, out_strides, in_strides;
  for (size_t i = 0; i < out_rank; ++i) out_sizes.push_back(attrs.dims[i]);
  for (size_t i = 0; i < out_rank; ++i) out_strides.push_back(attrs.dims[out_rank + i]);
  for (size_t i = 0; i < in_rank; ++i) in_strides.push_back(attrs.dims[2 * out_rank + i]);
  // One past the highest storage position either view touches.
  auto extent = [](IntList sizes, IntList strides, int64_t offset) {
    int64_t last = offset;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == 0) return offset;
      last += (sizes[i] - 1) * strides[i];
    }
    return last + 1;
  };
  const int64_t storage = std::max(extent(out_sizes, out_strides, attrs.k),
                                   extent(in.sizes, in_strides, attrs.c.to_int64()));
  const TensorOptions positions_options = TensorOptions(kInt64).device(in.device);
  Tensor positions = arange(storage, positions_options);
  Tensor read = positions.as_strided(out_sizes, out_strides, attrs.k).reshape({-1});
  Tensor owned = positions.as_strided(in.sizes, in_strides, attrs.c.to_int64()).reshape({-1});
  Tensor per_position = zeros({storage}, TensorOptions(c.grad().dtype()).device(in.device))
                            .index_add(0, read, c.grad().reshape({-1}));
  c.grad_inputs[0] = per_position.index_select(0, owned).reshape(in.sizes);
}

// CopySlices (Note [In-place ops and autograd]): dbase_old = g with the view's region zeroed (those values were
// overwritten), dsrc = g's view region. Written with differentiable ops under create_graph.
void copy_slices_region(const OpAttrs& attrs, DimVector& sizes, DimVector& strides) {
  const size_t rank = static_cast<size_t>(attrs.dim);
  sizes.assign(attrs.dims.begin(), attrs.dims.begin() + static_cast<int64_t>(rank));
  strides.assign(attrs.dims.begin() + static_cast<int64_t>(rank), attrs.dims.begin() + static_cast<int64_t>(2 * rank));
}

}  // namespace

void copy_slices_backward(Ctx& c) {
  DimVector sizes, strides;
  copy_slices_region(c.attrs(), sizes, strides);
  const int64_t region_offset = c.attrs().k;
  const Tensor& g = c.grad();
  if (!reel::is_grad_enabled() && g.use_count() == 1 && g.storage().use_count() == 1 && g.is_contiguous() &&
      !g.impl()->is_view) {
    // Only the engine holds g: take the region's values out and zero them in g itself, so a buffer written step
    // by step (h.select(0, t).copy_(x_t)) costs O(region) per step in backward, not a copy of the whole buffer.
    Tensor region = g.as_strided(sizes, strides, g.storage_offset() + region_offset);
    if (c.needs_input_grad(1)) c.grad_inputs[1] = region.clone();
    if (c.needs_input_grad(0)) {
      region.zero_();
      c.grad_inputs[0] = g;
    }
    return;
  }
  const Tensor dense = g.contiguous();
  if (c.needs_input_grad(1)) c.grad_inputs[1] = dense.as_strided(sizes, strides, dense.storage_offset() + region_offset);
  if (!c.needs_input_grad(0)) return;
  if (reel::is_grad_enabled()) {  // create_graph: a product with a constant mask, so it is recorded
    Tensor mask = ones(c.input(0).sizes, TensorOptions(dense.dtype()).device(dense.device()));
    {
      NoGradGuard no_grad;
      mask.as_strided(sizes, strides, region_offset).zero_();
    }
    c.grad_inputs[0] = c.grad() * mask;
  } else {
    Tensor cleared = dense.clone();
    cleared.as_strided(sizes, strides, region_offset).zero_();
    c.grad_inputs[0] = cleared;
  }
}

namespace {

// ---- convolution and pooling ---------------------------------------------------------------------------------
// Settings come from the node's attrs (tensor/conv_params.h), sizes from the inputs' metadata. Every backward
// primitive is linear in its gradient argument and is the adjoint of its forward op, so the formulas of the
// primitives are the forward ops again and gradients of any order work.
IntList pair_list(const SpatialPair& p) { return IntList(p.data(), 2); }

// y = conv2d(x, w, b): dx = conv2d_backward_input(g, w), dw = conv2d_backward_weight(g, x), db = sum_{n,i,j} g
void conv2d_backward_formula(Ctx& c) {
  const ConvParams p = ConvParams::from(c.attrs());
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] =
        conv2d_backward_input(c.grad(), c.input_value(1), c.input(0).sizes, stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_weight(c.grad(), c.input_value(0), c.input(1).sizes, stride, padding, dilation, p.groups);
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad().sum({0, 2, 3});
}
// z = conv2d_backward_input(g, w): dg = conv2d(G, w), dw = conv2d_backward_weight(g, G)
void conv2d_backward_input_backward(Ctx& c) {
  const ConvParams p = ConvParams::from(c.attrs());
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] = conv2d(c.grad(), c.input_value(1), Tensor(), stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_weight(c.input_value(0), c.grad(), c.input(1).sizes, stride, padding, dilation, p.groups);
}
// z = conv2d_backward_weight(g, x): dg = conv2d(x, G), dx = conv2d_backward_input(g, G)
void conv2d_backward_weight_backward(Ctx& c) {
  const ConvParams p = ConvParams::from(c.attrs());
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] = conv2d(c.input_value(1), c.grad(), Tensor(), stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_input(c.input_value(0), c.grad(), c.input(1).sizes, stride, padding, dilation, p.groups);
}
// (y, k) = max_pool2d(x): dx = max_pool2d_backward(g, k)
void max_pool2d_backward_formula(Ctx& c) {
  c.grad_inputs[0] = max_pool2d_backward(c.grad(), c.output_value(1), c.input(0).sizes);
}
// z = max_pool2d_backward(g, k): dg = G at k within each plane (0 where a window was empty, k = -1)
void max_pool2d_backward_backward(Ctx& c) {
  const Tensor& k = c.input_value(1);
  const Tensor& grad = c.grad();
  Tensor flat_k = clamp(k, Scalar(0)).reshape({k.size(0), k.size(1), -1});
  Tensor picked = grad.reshape({grad.size(0), grad.size(1), -1}).gather(2, flat_k).reshape(k.sizes());
  c.grad_inputs[0] = where(ge(k, 0), picked, zeros_like(picked));
}
// y = avg_pool2d(x): dx = avg_pool2d_backward(g)
void avg_pool2d_backward_formula(Ctx& c) {
  const PoolParams p = PoolParams::from(c.attrs());
  c.grad_inputs[0] = avg_pool2d_backward(c.grad(), c.input(0).sizes, pair_list(p.kernel), pair_list(p.stride),
                                         pair_list(p.padding), p.ceil_mode, p.count_include_pad);
}
// z = avg_pool2d_backward(g): dg = avg_pool2d(G)
void avg_pool2d_backward_backward(Ctx& c) {
  const PoolParams p = PoolParams::from(c.attrs());
  c.grad_inputs[0] = avg_pool2d(c.grad(), pair_list(p.kernel), pair_list(p.stride), pair_list(p.padding),
                                p.ceil_mode, p.count_include_pad);
}
// y = adaptive_avg_pool2d(x): dx = adaptive_avg_pool2d_backward(g)
void adaptive_avg_pool2d_backward_formula(Ctx& c) {
  c.grad_inputs[0] = adaptive_avg_pool2d_backward(c.grad(), c.input(0).sizes);
}
// z = adaptive_avg_pool2d_backward(g): dg = adaptive_avg_pool2d(G) to g's size
void adaptive_avg_pool2d_backward_backward(Ctx& c) {
  const DimVector& g_sizes = c.input(0).sizes;
  c.grad_inputs[0] = adaptive_avg_pool2d(c.grad(), {g_sizes[2], g_sizes[3]});
}

// ---- normalization ---------------------------------------------------------------------------------------------
// native_batch_norm: statistics per channel over dim 0 and dims 2.., M values each; per-channel tensors broadcast
// as (1, C, 1, ...).
struct BatchNormShape {
  std::vector<int64_t> dims;  // the reduced dims: 0, 2, 3, ...
  DimVector channel_view;     // (1, C, 1, ...)
  int64_t channels = 0;
  double m = 0;               // values per channel
  explicit BatchNormShape(const DimVector& sizes) : channel_view(sizes.size(), 1) {
    channels = sizes[1];
    channel_view[1] = channels;
    m = static_cast<double>(sizes[0]);
    dims.push_back(0);
    for (size_t d = 2; d < sizes.size(); ++d) {
      dims.push_back(static_cast<int64_t>(d));
      m *= static_cast<double>(sizes[d]);
    }
  }
};

// sum + term, where term may broadcast to `sizes` (materialised then: a gradient should not be an expanded view)
Tensor add_term(const Tensor& sum, const Tensor& term, const DimVector& sizes) {
  if (sum.defined()) return sum + term;
  return term.sizes() == IntList(sizes) ? term : term.expand(sizes).contiguous();
}

// (y, mean, invstd) = native_batch_norm(x, w, b), x^ = (x - mean) invstd, M values per channel:
//   db = sum g_y, dw = sum g_y x^, dx = w invstd (g_y - db / M - x^ dw / M) + g_mean / M
//                                      - g_invstd invstd^3 (x - mean) / M
// Plain backward (grad mode off) runs the fused native_batch_norm_backward with the saved mean and invstd; under
// create_graph the same gradients come from differentiable ops, the statistics recomputed from x, so that
// gradients of gradients work (native_batch_norm_backward has no formula). Terms of outputs that received no
// gradient are skipped.
void native_batch_norm_backward_formula(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor& w = c.input_value(1);  // undefined: weight 1
  const double eps = c.attrs().a.to_double();
  const BatchNormShape bn(c.input(0).sizes);
  const DimVector& x_sizes = c.input(0).sizes;
  const bool y_grad = c.grad_arrived(0), mean_grad = c.grad_arrived(1), invstd_grad = c.grad_arrived(2);
  Tensor dx;
  Tensor batch_mean, batch_invstd;  // (1, C, 1, ...)
  if (!reel::is_grad_enabled()) {
    batch_mean = c.output_value(1).view(bn.channel_view);
    batch_invstd = c.output_value(2).view(bn.channel_view);
    if (y_grad) {
      auto [grad_x, grad_w, grad_b] =
          native_batch_norm_backward(c.grad(), x, w, c.output_value(1), c.output_value(2), eps);
      dx = grad_x;
      if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_w;
      if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_b;
    }
  } else {
    batch_mean = x.mean(bn.dims, true);
    const Tensor centered = x - batch_mean;
    batch_invstd = rsqrt((centered * centered).mean(bn.dims, true) + eps);
    if (y_grad) {
      const Tensor& g = c.grad();
      const Tensor normalized = centered * batch_invstd;
      const Tensor grad_b = g.sum(bn.dims, true), grad_w = (g * normalized).sum(bn.dims, true);
      if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_w.reshape({bn.channels});
      if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_b.reshape({bn.channels});
      if (c.needs_input_grad(0)) {
        const Tensor scale = w.defined() ? batch_invstd * w.view(bn.channel_view) : batch_invstd;
        dx = scale * (g - grad_b * (1.0 / bn.m) - normalized * (grad_w * (1.0 / bn.m)));
      }
    }
  }
  if (!c.needs_input_grad(0)) return;
  if (mean_grad) dx = add_term(dx, c.grad_outputs[1].reshape(bn.channel_view) * (1.0 / bn.m), x_sizes);
  if (invstd_grad) {
    const Tensor cubed = batch_invstd * batch_invstd * batch_invstd;
    const Tensor coef = c.grad_outputs[2].reshape(bn.channel_view) * cubed * (-1.0 / bn.m);
    dx = add_term(dx, (x - batch_mean) * coef, x_sizes);
  }
  c.grad_inputs[0] = dx;
}

// ---- recurrent networks -----------------------------------------------------------------------------------------
// (y, h_n[, c_n], reserve) = fused_rnn(x, h_0, c_0, W): (dx, dh_0, dc_0, dW) = fused_rnn_backward(...) from the
// reserve, with the gradients that arrived for y, h_n and c_n (the others count as zeros). Under create_graph it
// refuses, as PyTorch's cuDNN RNN does: the BPTT primitive is not itself recorded.
void fused_rnn_backward_formula(Ctx& c) {
  const RnnParams params = RnnParams::from(c.attrs());
  const char* mode = rnn_mode_name(params.mode);
  REEL_CHECK(!reel::is_grad_enabled(),
             "fused_rnn ({}): double backward (create_graph=true) through the fused multi-step RNN is not supported; "
             "the cell modules (LSTMCell, GRUCell, RNNCell) in a loop, or nn::LSTM / GRU / RNN on the CPU, "
             "differentiate twice",
             mode);
  const int reserve_index = params.has_cell() ? 3 : 2;
  auto arrived = [&](int j) { return c.grad_arrived(j) ? c.grad_outputs[j] : Tensor(); };
  auto [dx, dh, dc, dw] = fused_rnn_backward(c.input_value(0), c.input_value(1), c.input_value(2), c.input_value(3),
                                             c.output_value(0), c.output_value(reserve_index), arrived(0), arrived(1),
                                             params.has_cell() ? arrived(2) : Tensor(), mode, params.num_layers,
                                             params.has_biases, params.bidirectional);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = dx;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = dh;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = dc;
  if (c.needs_input_grad(3)) c.grad_inputs[3] = dw;
}

// ---- the table -------------------------------------------------------------------------------------------------
// needs(a, b, ...): bitmasks, per input, of the inputs its gradient reads. kOut: inputs whose gradient reads y.
constexpr uint8_t kNone = 0, kIn0 = 1, kIn1 = 2, kIn2 = 4;

struct Table {
  Derivative entries[kNumOps] = {};
  void set(OpId op, BackwardFn fn, const char* name, std::initializer_list<uint8_t> inputs_needed = {},
           uint8_t output_needed_by = 0) {
    Derivative& d = entries[static_cast<int>(op)];
    d.fn = fn;
    d.name = name;
    int i = 0;
    for (uint8_t mask : inputs_needed) d.inputs_needed[i++] = mask;
    d.output_needed_by = output_needed_by;
  }
  void set(OpId op, const UnaryFormula& formula) {
    const bool input = formula.saves == Saves::Input;
    set(op, formula.fn, formula.node_name, {input ? kIn0 : kNone}, input ? 0 : 1);
  }
  Table() {
    const uint8_t kOut0 = 1;  // the gradient of input 0 reads the output
    set(OpId::neg, neg_backward, "NegBackward");
    set(OpId::abs, abs_backward, "AbsBackward", {kIn0});
    set(OpId::sign, zero_backward, "SignBackward");
    set(OpId::exp, exp_backward, "ExpBackward", {}, kOut0);
    set(OpId::log, log_backward, "LogBackward", {kIn0});
    set(OpId::log1p, log1p_backward, "Log1pBackward", {kIn0});
    set(OpId::expm1, expm1_backward, "Expm1Backward", {}, kOut0);
    set(OpId::sqrt, sqrt_backward, "SqrtBackward", {}, kOut0);
    set(OpId::rsqrt, rsqrt_backward, "RsqrtBackward", {}, kOut0);
    set(OpId::square, square_backward, "SquareBackward", {kIn0});
    set(OpId::reciprocal, reciprocal_backward, "ReciprocalBackward", {}, kOut0);
    set(OpId::sin, sin_backward, "SinBackward", {kIn0});
    set(OpId::cos, cos_backward, "CosBackward", {kIn0});
    set(OpId::tanh, tanh_backward_formula, "TanhBackward", {}, kOut0);
    set(OpId::sigmoid, sigmoid_backward_formula, "SigmoidBackward", {}, kOut0);
    set(OpId::erf, erf_backward, "ErfBackward", {kIn0});
    set(OpId::relu, relu_backward, "ReluBackward", {}, kOut0);
    set(OpId::floor, zero_backward, "FloorBackward");
    set(OpId::ceil, zero_backward, "CeilBackward");
    set(OpId::round, zero_backward, "RoundBackward");
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) set(OpId::name, name##_formula);
#include "tensor/ops.def"
    set(OpId::add, add_backward, "AddBackward");
    set(OpId::sub, sub_backward, "SubBackward");
    set(OpId::mul, mul_backward, "MulBackward", {kIn1, kIn0});
    set(OpId::div, div_backward, "DivBackward", {kIn1, kIn0 | kIn1});
    set(OpId::pow, pow_backward, "PowBackward", {kIn0 | kIn1, kIn0 | kIn1}, 0b10);
    set(OpId::maximum, maximum_backward, "MaximumBackward", {kIn0 | kIn1, kIn0 | kIn1});
    set(OpId::minimum, minimum_backward, "MinimumBackward", {kIn0 | kIn1, kIn0 | kIn1});
    set(OpId::tanh_backward, tanh_backward_backward, "TanhBackwardBackward", {kIn1, kIn0 | kIn1});
    set(OpId::sigmoid_backward, sigmoid_backward_backward, "SigmoidBackwardBackward", {kIn1, kIn0 | kIn1});
    set(OpId::threshold_backward, threshold_backward_backward, "ThresholdBackwardBackward", {kIn1, kNone});
    set(OpId::where, where_backward, "WhereBackward", {kNone, kIn0, kIn0});
    set(OpId::clamp, clamp_backward, "ClampBackward", {kIn0});
    set(OpId::addcmul, addcmul_backward, "AddcmulBackward", {kNone, kIn2, kIn1});
    set(OpId::addcdiv, addcdiv_backward, "AddcdivBackward", {kNone, kIn2, kIn1 | kIn2});
    set(OpId::copy, copy_backward, "ToCopyBackward");
    set(OpId::clone, copy_backward, "CloneBackward");
    set(OpId::sum, sum_backward, "SumBackward");
    set(OpId::prod, prod_backward, "ProdBackward", {kIn0});
    set(OpId::amax, extreme_backward, "AmaxBackward", {kIn0}, kOut0);
    set(OpId::amin, extreme_backward, "AminBackward", {kIn0}, kOut0);
    set(OpId::max, extreme_dim_backward, "MaxBackward", {}, kOut0);
    set(OpId::min, extreme_dim_backward, "MinBackward", {}, kOut0);
    set(OpId::var, var_backward, "VarBackward", {kIn0});
    set(OpId::norm, norm_backward, "NormBackward", {kIn0}, kOut0);
    set(OpId::mm, mm_backward, "MmBackward", {kIn1, kIn0});
    set(OpId::bmm, bmm_backward, "BmmBackward", {kIn1, kIn0});
    set(OpId::addmm, addmm_backward, "AddmmBackward", {kNone, kIn2, kIn1});
    set(OpId::linear, linear_backward, "LinearBackward", {kIn1, kIn0, kNone});
    set(OpId::cat, cat_backward, "CatBackward");
    set(OpId::flip, flip_backward, "FlipBackward");
    set(OpId::tril, tril_backward, "TrilBackward");
    set(OpId::triu, triu_backward, "TriuBackward");
    set(OpId::index_select, index_select_backward, "IndexSelectBackward", {kIn1});
    set(OpId::gather, gather_backward, "GatherBackward", {kIn1});
    set(OpId::scatter, scatter_backward, "ScatterBackward", {kIn1, kNone, kIn1});
    set(OpId::scatter_add, scatter_add_backward, "ScatterAddBackward", {kNone, kNone, kIn1});
    set(OpId::index_add, index_add_backward, "IndexAddBackward", {kNone, kNone, kIn1});
    set(OpId::softmax, softmax_backward, "SoftmaxBackward", {}, kOut0);
    set(OpId::log_softmax, log_softmax_backward, "LogSoftmaxBackward", {}, kOut0);
    set(OpId::view, reshape_backward, "ViewBackward");
    set(OpId::reshape, reshape_backward, "ReshapeBackward");
    set(OpId::flatten, reshape_backward, "FlattenBackward");
    set(OpId::transpose, transpose_backward, "TransposeBackward");
    set(OpId::t, t_backward, "TBackward");
    set(OpId::permute, permute_backward, "PermuteBackward");
    set(OpId::squeeze, reshape_backward, "SqueezeBackward");
    set(OpId::unsqueeze, reshape_backward, "UnsqueezeBackward");
    set(OpId::expand, expand_backward, "ExpandBackward");
    set(OpId::slice, slice_backward, "SliceBackward");
    set(OpId::select, select_backward, "SelectBackward");
    set(OpId::as_strided, as_strided_backward, "AsStridedBackward");
    set(OpId::conv2d, conv2d_backward_formula, "ConvolutionBackward", {kIn1, kIn0, kNone});
    set(OpId::conv2d_backward_input, conv2d_backward_input_backward, "ConvolutionBackwardInputBackward",
        {kIn1, kIn0});
    set(OpId::conv2d_backward_weight, conv2d_backward_weight_backward, "ConvolutionBackwardWeightBackward",
        {kIn1, kIn0});
    set(OpId::max_pool2d, max_pool2d_backward_formula, "MaxPool2DWithIndicesBackward", {}, kOut0);
    set(OpId::max_pool2d_backward, max_pool2d_backward_backward, "MaxPool2DWithIndicesBackwardBackward",
        {kIn1, kNone});
    set(OpId::avg_pool2d, avg_pool2d_backward_formula, "AvgPool2DBackward");
    set(OpId::avg_pool2d_backward, avg_pool2d_backward_backward, "AvgPool2DBackwardBackward");
    set(OpId::adaptive_avg_pool2d, adaptive_avg_pool2d_backward_formula, "AdaptiveAvgPool2DBackward");
    set(OpId::adaptive_avg_pool2d_backward, adaptive_avg_pool2d_backward_backward,
        "AdaptiveAvgPool2DBackwardBackward");
    // native_batch_norm: every input's gradient reads x, the weight and (plain backward) the saved statistics.
    set(OpId::native_batch_norm, native_batch_norm_backward_formula, "NativeBatchNormBackward",
        {kIn0 | kIn1, kIn0 | kIn1, kIn0 | kIn1}, 0b111);
    // fused_rnn: the backward reads every input, the output and the reserve.
    constexpr uint8_t kRnnInputs = kIn0 | kIn1 | kIn2 | 8;
    set(OpId::fused_rnn, fused_rnn_backward_formula, "FusedRnnBackward", {kRnnInputs, kRnnInputs, kRnnInputs, kRnnInputs},
        0b1111);
  }
};

}  // namespace

const Derivative& derivative_for(OpId op) {
  static const Table table;
  return table.entries[static_cast<int>(op)];
}

}  // namespace reel::autograd
