// reel/test/op_table_elementwise.cpp — op-table rows of the unary, parameterised unary (the activations) and binary
// elementwise ops and of the fused backward primitives (tanh_backward, sigmoid_backward, threshold_backward) that
// autograd's formulas call.
//
// Each row is built from a small spec: the reel op, its double reference, the result-dtype rule (restated
// from ops.def as the specification), the domain where the op is smooth, and the dtypes it supports.
// Samples cover contiguous, transposed and step-2 strided inputs, broadcasting, size-0 and 0-dim tensors,
// tensor-scalar forms, mixed-dtype promotion, a tensor large enough to run on several threads, and for
// floating dtypes the special values (NaN, +-inf, +-0).
#include <algorithm>
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

// The result-dtype rules of ops.def's elementwise rows.
enum class Result {
  Float,  // floating inputs keep their dtype; integer and bool inputs compute and return float32
  Same,   // the promoted input dtype
  Bool,   // bool
  Div,    // like Float (true division)
};

ScalarType compute_dtype(Result rule, ScalarType promoted) {
  if ((rule == Result::Float || rule == Result::Div) && !is_float(promoted)) return kFloat32;
  return promoted;
}
ScalarType result_dtype(Result rule, ScalarType promoted) {
  return rule == Result::Bool ? kBool : compute_dtype(rule, promoted);
}

// A Scalar of the kind a value of `dtype` is written as in C++ (bool, integer or floating).
Scalar scalar_of(double value, ScalarType dtype) {
  if (dtype == kBool) return Scalar(value != 0.0);
  if (!is_float(dtype)) return Scalar(static_cast<int64_t>(value));
  return Scalar(value);
}

double integral_or(double value, ScalarType dtype) { return is_float(dtype) ? value : std::round(value); }

// ---- unary ------------------------------------------------------------------------------------------------
struct UnarySpec {
  std::string name;
  Tensor (*op)(const Tensor&);
  double (*reference)(double);
  Result result;
  std::vector<ScalarType> dtypes;
  Domain domain;               // where the op is smooth
  bool differentiable = true;
  bool specials = true;        // also run special_values() on floating dtypes
};

std::vector<Sample> unary_samples(const UnarySpec& spec, ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> samples;
  auto add = [&](std::string description, Tensor x, bool smooth = true) {
    Sample s;
    s.description = std::move(description);
    s.inputs = {std::move(x)};
    s.dtype = dtype;
    s.promoted = dtype;
    s.device = device;
    s.smooth = smooth;
    samples.push_back(std::move(s));
  };
  add("contiguous [2, 3]", m.make({2, 3}, spec.domain));
  add("transposed [3, 4]", m.make({3, 4}, spec.domain, Layout::Transposed));
  add("step-2 slice [2, 5]", m.make({2, 5}, spec.domain, Layout::Strided));
  add("3-d [2, 3, 4]", m.make({2, 3, 4}, spec.domain));
  add("size-0 [0, 3]", m.make({0, 3}, spec.domain));
  add("0-dim", m.make({}, spec.domain));
  add("large [40000] (several threads)", m.make({40000}, spec.domain));
  if (spec.specials && is_float(dtype)) add("special values", m.values({10}, special_values()), false);
  return samples;
}

OpTestRow unary_row(const UnarySpec& spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = spec.dtypes;
  row.samples = [spec](ScalarType dtype, Device device) { return unary_samples(spec, dtype, device); };
  row.run = [op = spec.op](const Sample& s) { return std::vector<Tensor>{op(s.inputs[0])}; };
  row.reference = [spec](const Sample& s) {
    const ScalarType compute = compute_dtype(spec.result, s.promoted);
    const RefTensor x = cast(RefTensor::of(s.inputs[0]), compute);
    return std::vector<RefTensor>{map_unary(x, spec.reference, result_dtype(spec.result, s.promoted))};
  };
  row.differentiable = spec.differentiable;
  if (spec.differentiable) row.grad_inputs = {0};
  return row;
}

double sign_of(double x) { return static_cast<double>((x > 0) - (x < 0)); }
double relu_of(double x) { return x < 0 ? 0.0 : x; }  // NaN stays NaN
double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// ---- pointwise math beyond the basics (ops.def's "pointwise math" block) -------------------------------------------
// References in long double from <cmath>, or written out here (digamma's series, erfinv by bisection on erf), apart
// from the kernels' own code in tensor/scalar_math_pointwise.h.
long double ld(double x) { return static_cast<long double>(x); }

double digamma_reference(double x) {
  if (std::isnan(x) || x == -std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  if (x == 0) return std::signbit(x) ? inf : -inf;
  if (x < 0 && x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  long double v = x, acc = 0;
  if (v < 0) {  // psi(x) = psi(1 - x) - pi cot(pi x)
    acc = -3.14159265358979323846264338327950288L / std::tan(3.14159265358979323846264338327950288L * v);
    v = 1 - v;
  }
  for (; v < 40; v += 1) acc -= 1 / v;
  const long double z = 1 / (v * v);
  return static_cast<double>(acc + std::log(v) - 1 / (2 * v) - z / 12 + z * z / 120 - z * z * z / 252);
}

double erfinv_reference(double y) {
  if (!(y >= -1 && y <= 1)) return std::numeric_limits<double>::quiet_NaN();
  if (y == 1 || y == -1) return std::copysign(std::numeric_limits<double>::infinity(), y);
  long double lo = -7, hi = 7;
  for (int i = 0; i < 120; ++i) {
    const long double mid = (lo + hi) / 2;
    (std::erf(mid) < y ? lo : hi) = mid;
  }
  return static_cast<double>((lo + hi) / 2);
}

void add_pointwise_math_unary_rows(std::vector<OpTestRow>& rows) {
  const Domain symmetric{-0.9, 0.9};
  const Domain positive{0.5, 4};
  const std::vector<UnarySpec> specs = {
      {"tan", &reel::tan, [](double x) { return double(std::tan(ld(x))); }, Result::Float, kAllDtypes, {-1.2, 1.2}},
      {"asin", &reel::asin, [](double x) { return double(std::asin(ld(x))); }, Result::Float, kAllDtypes, symmetric},
      {"acos", &reel::acos, [](double x) { return double(std::acos(ld(x))); }, Result::Float, kAllDtypes, symmetric},
      {"atan", &reel::atan, [](double x) { return double(std::atan(ld(x))); }, Result::Float, kAllDtypes, {-3, 3}},
      {"sinh", &reel::sinh, [](double x) { return double(std::sinh(ld(x))); }, Result::Float, kAllDtypes, {-3, 3}},
      {"cosh", &reel::cosh, [](double x) { return double(std::cosh(ld(x))); }, Result::Float, kAllDtypes, {-3, 3}},
      {"asinh", &reel::asinh, [](double x) { return double(std::asinh(ld(x))); }, Result::Float, kAllDtypes, {-3, 3}},
      {"acosh", &reel::acosh, [](double x) { return double(std::acosh(ld(x))); }, Result::Float, kAllDtypes,
       {1.2, 4}},
      {"atanh", &reel::atanh, [](double x) { return double(std::atanh(ld(x))); }, Result::Float, kAllDtypes,
       symmetric},
      // trunc is differentiable with a zero gradient (as floor); frac's gradient is 1 (away from the integers)
      {"trunc", &reel::trunc, [](double x) { return double(std::trunc(ld(x))); }, Result::Same, kNumericDtypes,
       {-3, 3}},
      {"frac", &reel::frac, [](double x) { return double(ld(x) - std::trunc(ld(x))); }, Result::Same, kFloatDtypes,
       {-3, 3}},
      {"log2", &reel::log2, [](double x) { return double(std::log2(ld(x))); }, Result::Float, kAllDtypes, positive},
      {"log10", &reel::log10, [](double x) { return double(std::log10(ld(x))); }, Result::Float, kAllDtypes,
       positive},
      {"exp2", &reel::exp2, [](double x) { return double(std::exp2(ld(x))); }, Result::Float, kAllDtypes, {-3, 3}},
      {"erfc", &reel::erfc, [](double x) { return double(std::erfc(ld(x))); }, Result::Float, kAllDtypes,
       {-2.5, 2.5}},
      {"erfinv", &reel::erfinv, erfinv_reference, Result::Float, kAllDtypes, symmetric},
      {"lgamma", &reel::lgamma, [](double x) { return double(std::lgamma(ld(x))); }, Result::Float, kAllDtypes,
       positive},
      {"digamma", &reel::digamma, digamma_reference, Result::Float, kAllDtypes, positive},
      {"sinc", &reel::sinc,
       [](double x) {
         if (x == 0) return 1.0;
         const long double product = 3.14159265358979323846264338327950288L * ld(x);
         return double(std::sin(product) / product);
       },
       Result::Float, kAllDtypes, {-2, 2}},
      {"isinf", &reel::isinf, [](double x) { return std::isinf(x) ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, {-2, 2},
       false},
      {"isposinf", &reel::isposinf, [](double x) { return x == HUGE_VAL ? 1.0 : 0.0; }, Result::Bool, kAllDtypes,
       {-2, 2}, false},
      {"isneginf", &reel::isneginf, [](double x) { return x == -HUGE_VAL ? 1.0 : 0.0; }, Result::Bool, kAllDtypes,
       {-2, 2}, false},
      // the sign bit: -0.0 has it (special values), so does every negative number
      {"signbit", &reel::signbit, [](double x) { return std::signbit(x) ? 1.0 : 0.0; }, Result::Bool, kAllDtypes,
       {-2, 2}, false},
  };
  for (const UnarySpec& spec : specs) rows.push_back(unary_row(spec));
}

void add_unary_rows(std::vector<OpTestRow>& rows) {
  const Domain any{-2, 2};
  const Domain away_from_zero{-2, 2, 0.25};  // kinks at 0 (abs, relu), or a pole (reciprocal)
  const Domain positive{0.5, 4};
  const std::vector<UnarySpec> specs = {
      {"neg", &reel::neg, [](double x) { return -x; }, Result::Same, kNumericDtypes, any},
      {"abs", &reel::abs, [](double x) { return std::fabs(x); }, Result::Same, kNumericDtypes, away_from_zero},
      // sign(NaN) is left out: PyTorch's answer is not settled across versions. sign, floor, ceil and round are
      // differentiable with a zero gradient (as in PyTorch); their smooth samples stay away from the steps.
      {"sign", &reel::sign, sign_of, Result::Same, kNumericDtypes, away_from_zero, true, false},
      {"exp", &reel::exp, [](double x) { return std::exp(x); }, Result::Float, kAllDtypes, {-3, 3}},
      {"log", &reel::log, [](double x) { return std::log(x); }, Result::Float, kAllDtypes, positive},
      {"log1p", &reel::log1p, [](double x) { return std::log1p(x); }, Result::Float, kAllDtypes, {-0.5, 3}},
      {"expm1", &reel::expm1, [](double x) { return std::expm1(x); }, Result::Float, kAllDtypes, any},
      {"sqrt", &reel::sqrt, [](double x) { return std::sqrt(x); }, Result::Float, kAllDtypes, positive},
      {"rsqrt", &reel::rsqrt, [](double x) { return 1.0 / std::sqrt(x); }, Result::Float, kAllDtypes, positive},
      {"square", &reel::square, [](double x) { return x * x; }, Result::Same, kNumericDtypes, any},
      {"reciprocal", &reel::reciprocal, [](double x) { return 1.0 / x; }, Result::Float, kAllDtypes,
       {-2, 2, 0.5}},
      {"sin", &reel::sin, [](double x) { return std::sin(x); }, Result::Float, kAllDtypes, {-3, 3}},
      {"cos", &reel::cos, [](double x) { return std::cos(x); }, Result::Float, kAllDtypes, {-3, 3}},
      {"tanh", &reel::tanh, [](double x) { return std::tanh(x); }, Result::Float, kAllDtypes, {-3, 3}},
      {"sigmoid", &reel::sigmoid, sigmoid_of, Result::Float, kAllDtypes, {-4, 4}},
      {"erf", &reel::erf, [](double x) { return std::erf(x); }, Result::Float, kAllDtypes, {-2.5, 2.5}},
      {"relu", &reel::relu, relu_of, Result::Same, kNumericDtypes, away_from_zero},
      {"floor", &reel::floor, [](double x) { return std::floor(x); }, Result::Same, kNumericDtypes, {-3, 3}, true},
      {"ceil", &reel::ceil, [](double x) { return std::ceil(x); }, Result::Same, kNumericDtypes, {-3, 3}, true},
      {"round", &reel::round, [](double x) { return std::nearbyint(x); }, Result::Same, kNumericDtypes, {-3, 3},
       true},
      {"logical_not", &reel::logical_not, [](double x) { return x == 0 ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, any,
       false},
      {"isnan", &reel::isnan, [](double x) { return std::isnan(x) ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, any,
       false},
      {"isfinite", &reel::isfinite, [](double x) { return std::isfinite(x) ? 1.0 : 0.0; }, Result::Bool, kAllDtypes,
       any, false},
  };
  for (const UnarySpec& spec : specs) rows.push_back(unary_row(spec));
  add_pointwise_math_unary_rows(rows);

  // round: halves go to the even neighbour, as torch.round.
  OpTestRow& round_row = *std::find_if(rows.begin(), rows.end(), [](const OpTestRow& r) { return r.op == "round"; });
  auto base_samples = round_row.samples;
  round_row.samples = [base_samples](ScalarType dtype, Device device) {
    std::vector<Sample> samples = base_samples(dtype, device);
    if (is_float(dtype)) {
      InputMaker m(dtype, device);
      Sample s = samples.front();
      s.description = "halves round to even";
      s.inputs = {m.values({8}, {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 4.5})};
      s.smooth = false;
      samples.push_back(std::move(s));
    }
    return samples;
  };
}

// ---- parameterised unary: the activations ----------------------------------------------------------------------
// One row with the defaults and, for ops with parameters, one with other values (both sides of every kink inside
// the domain). The references follow PyTorch's definitions, written here in double apart from the kernels.
struct ActivationSpec {
  std::string name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> reference;
  std::vector<ScalarType> dtypes;
  Domain domain;              // spans both sides of each kink
  std::vector<double> kinks;  // values on or at the edge of a kink, run as one smooth = false sample (floats)
};

OpTestRow activation_row(const ActivationSpec& spec) {
  UnarySpec base;
  base.name = spec.name;
  base.result = Result::Same;  // FloatOnly rows list only floating dtypes; Same rows keep the input dtype too
  base.dtypes = spec.dtypes;
  base.domain = spec.domain;
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = spec.dtypes;
  row.samples = [base, kinks = spec.kinks](ScalarType dtype, Device device) {
    std::vector<Sample> samples = unary_samples(base, dtype, device);
    if (is_float(dtype) && !kinks.empty()) {
      InputMaker m(dtype, device);
      Sample s = samples.front();
      s.description = "on the kinks";
      s.inputs = {m.values({static_cast<int64_t>(kinks.size())}, kinks)};
      s.smooth = false;
      samples.push_back(std::move(s));
    }
    return samples;
  };
  row.run = [op = spec.op](const Sample& s) { return std::vector<Tensor>{op(s.inputs[0])}; };
  row.reference = [reference = spec.reference](const Sample& s) {
    return std::vector<RefTensor>{map_unary(RefTensor::of(s.inputs[0]), reference, s.promoted)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

double softplus_of(double x, double beta, double threshold) {
  return beta * x > threshold ? x : std::log1p(std::exp(beta * x)) / beta;
}
double elu_of(double x, double alpha, double scale, double input_scale) {
  return x > 0 ? scale * x : scale * alpha * std::expm1(input_scale * x);
}

void add_activation_rows(std::vector<OpTestRow>& rows) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<ScalarType> signed_and_floats = {kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64};
  const std::vector<ActivationSpec> specs = {
      // hardtanh's default bounds (-1, 1) are refused on uint8 (negative limits), as in PyTorch.
      {"hardtanh", [](const Tensor& x) { return reel::hardtanh(x); },
       [](double x) { return x < -1 ? -1.0 : x > 1 ? 1.0 : x; }, signed_and_floats, {-2, 2}, {-1, 1, -1.25, 1.25}},
      // Integer inputs take the bounds truncated toward zero, (0, 1) here, which equals truncating the float
      // answer; uint8 is allowed because the truncated bounds are not negative.
      {"hardtanh", [](const Tensor& x) { return reel::hardtanh(x, -0.5, 1.5); },
       [](double x) { return x < -0.5 ? -0.5 : x > 1.5 ? 1.5 : x; }, kNumericDtypes, {-2, 2.5}, {-0.5, 1.5}},
      {"leaky_relu", [](const Tensor& x) { return reel::leaky_relu(x); },
       [](double x) { return x > 0 ? x : 0.01 * x; }, kFloatDtypes, {-2, 2}, {0.0, -0.0}},
      {"leaky_relu", [](const Tensor& x) { return reel::leaky_relu(x, 0.25); },
       [](double x) { return x > 0 ? x : 0.25 * x; }, kFloatDtypes, {-2, 2}, {0.0}},
      {"elu", [](const Tensor& x) { return reel::elu(x); }, [](double x) { return elu_of(x, 1, 1, 1); },
       kFloatDtypes, {-3, 3}, {0.0, -0.0, -40.0}},
      {"elu", [](const Tensor& x) { return reel::elu(x, 0.5, 2.0, 1.5); },
       [](double x) { return elu_of(x, 0.5, 2.0, 1.5); }, kFloatDtypes, {-3, 3}, {0.0}},
      // celu(x) = max(0, x) + min(0, alpha (e^(x / alpha) - 1)) (PyTorch's documentation)
      {"celu", [](const Tensor& x) { return reel::celu(x); },
       [](double x) { return std::isnan(x) ? x : std::max(0.0, x) + std::min(0.0, std::expm1(x)); }, kFloatDtypes,
       {-3, 3}, {0.0}},
      {"celu", [](const Tensor& x) { return reel::celu(x, 0.5); },
       [](double x) { return std::isnan(x) ? x : std::max(0.0, x) + std::min(0.0, 0.5 * std::expm1(x / 0.5)); },
       kFloatDtypes, {-3, 3}, {0.0}},
      {"selu", [](const Tensor& x) { return reel::selu(x); },
       [](double x) { return 1.0507009873554804934 * (x > 0 ? x : 1.6732632423543772848 * std::expm1(x)); },
       kFloatDtypes, {-3, 3}, {0.0}},
      {"softplus", [](const Tensor& x) { return reel::softplus(x); },
       [](double x) { return softplus_of(x, 1, 20); }, kFloatDtypes, {-4, 4}, {19.5, 20.0, 20.5}},
      {"softplus", [](const Tensor& x) { return reel::softplus(x, 2.0, 3.0); },
       [](double x) { return softplus_of(x, 2, 3); }, kFloatDtypes, {-3, 3}, {1.5, 1.25, 1.75}},
      // y = x <= threshold ? value : x (NaN is kept). Integer thresholds and values that truncate as the answer
      // does (PyTorch's Scalar::to<int> truncates toward zero).
      {"threshold", [](const Tensor& x) { return reel::threshold(x, 0.5, 2.0); },
       [](double x) { return x <= 0.5 ? 2.0 : x; }, kNumericDtypes, {-2, 2}, {0.5}},
      {"threshold", [](const Tensor& x) { return reel::threshold(x, -1.0, 0.25); },
       [](double x) { return x <= -1.0 ? 0.25 : x; }, signed_and_floats, {-3, 2}, {-1.0}},
      // log sigmoid(x) = -ln(1 + e^-x), written for each sign so that nothing overflows
      {"log_sigmoid", [](const Tensor& x) { return reel::log_sigmoid(x); },
       [](double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }, kFloatDtypes,
       {-6, 6}, {-100.0, 100.0}},
      {"hardsigmoid", [](const Tensor& x) { return reel::hardsigmoid(x); },
       [](double x) { return x <= -3 ? 0.0 : x >= 3 ? 1.0 : x / 6 + 0.5; }, kFloatDtypes, {-5, 5}, {-3.0, 3.0}},
      // x (x + 3) / 6 between -3 and 3 (PyTorch's documentation); at -inf PyTorch's x * relu6(x + 3) / 6 is NaN
      {"hardswish", [](const Tensor& x) { return reel::hardswish(x); },
       [nan](double x) {
         if (std::isinf(x)) return x < 0 ? nan : x;
         return x <= -3 ? 0.0 : x >= 3 ? x : x * (x + 3) / 6;
       },
       kFloatDtypes, {-5, 5}, {-3.0, 3.0}},
      {"mish", [](const Tensor& x) { return reel::mish(x); },
       [](double x) { return x * std::tanh(x > 30 ? x : std::log1p(std::exp(x))); }, kFloatDtypes, {-6, 6},
       {-100.0, 100.0}},
      {"silu", [](const Tensor& x) { return reel::silu(x); }, [](double x) { return x / (1 + std::exp(-x)); },
       kFloatDtypes, {-6, 6}, {-100.0, 100.0}},
      // relu6 = hardtanh(x, 0, 6), integers included (PyTorch's relu6 of an int tensor stays int)
      {"relu6", [](const Tensor& x) { return reel::relu6(x); },
       [](double x) { return x < 0 ? 0.0 : x > 6 ? 6.0 : x; }, kNumericDtypes, {-2, 8}, {0.0, 6.0}},
      {"softsign", [](const Tensor& x) { return reel::softsign(x); },
       [](double x) { return x / (1 + std::fabs(x)); }, kFloatDtypes, {-4, 4}, {0.0}},
      {"tanhshrink", [](const Tensor& x) { return reel::tanhshrink(x); },
       [](double x) { return x - std::tanh(x); }, kFloatDtypes, {-3, 3}, {0.0}},
      // NaN stays NaN in both shrinks (PyTorch's kernels: softshrink's middle branch is x * 0, hardshrink's
      // comparisons are false for NaN)
      {"softshrink", [](const Tensor& x) { return reel::softshrink(x); },
       [](double x) { return std::isnan(x) ? x : x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0.0; }, kFloatDtypes, {-2, 2},
       {-0.5, 0.5}},
      {"softshrink", [](const Tensor& x) { return reel::softshrink(x, 1.25); },
       [](double x) { return std::isnan(x) ? x : x > 1.25 ? x - 1.25 : x < -1.25 ? x + 1.25 : 0.0; }, kFloatDtypes, {-3, 3},
       {-1.25, 1.25}},
      {"hardshrink", [](const Tensor& x) { return reel::hardshrink(x); },
       [](double x) { return std::isnan(x) || std::fabs(x) > 0.5 ? x : 0.0; }, kFloatDtypes, {-2, 2}, {-0.5, 0.5}},
      {"hardshrink", [](const Tensor& x) { return reel::hardshrink(x, 1.5); },
       [](double x) { return std::isnan(x) || std::fabs(x) > 1.5 ? x : 0.0; }, kFloatDtypes, {-3, 3}, {-1.5, 1.5}},
  };
  for (const ActivationSpec& spec : specs) rows.push_back(activation_row(spec));
}

// ---- binary -----------------------------------------------------------------------------------------------
// `op` is a generic callable taking (Tensor, Tensor), (Tensor, Scalar) and (Scalar, Tensor).
struct BinarySpec {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> tensor_tensor;
  std::function<Tensor(const Tensor&, Scalar)> tensor_scalar;
  std::function<Tensor(Scalar, const Tensor&)> scalar_tensor;
  double (*reference)(double, double);
  Result result;
  std::vector<ScalarType> dtypes;
  Domain domain_a, domain_b;            // smooth domains for floating dtypes
  Domain int_domain_a, int_domain_b;    // and for integer dtypes
  bool differentiable = true;
  bool kink_where_equal = false;        // maximum / minimum
  bool has_alpha = false;               // add / sub: a + alpha * b
  bool integral_only = false;           // bitwise ops: no samples that promote to a floating dtype
};

template <typename Op>
void set_binary_forms(BinarySpec& spec, Op op) {
  spec.tensor_tensor = [op](const Tensor& a, const Tensor& b) { return op(a, b); };
  spec.tensor_scalar = [op](const Tensor& a, Scalar b) { return op(a, b); };
  spec.scalar_tensor = [op](Scalar a, const Tensor& b) { return op(a, b); };
}

std::vector<Sample> binary_samples(const BinarySpec& spec, ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  const Domain da = is_float(dtype) ? spec.domain_a : spec.int_domain_a;
  const Domain db = is_float(dtype) ? spec.domain_b : spec.int_domain_b;
  std::vector<Sample> samples;
  auto add = [&](std::string description, std::vector<Tensor> inputs, ScalarType promoted, bool smooth = true) {
    Sample s;
    s.description = std::move(description);
    s.inputs = std::move(inputs);
    s.dtype = dtype;
    s.promoted = promoted;
    s.device = device;
    s.smooth = smooth;
    samples.push_back(std::move(s));
    return &samples.back();
  };
  add("same shape [2, 3]", {m.make({2, 3}, da), m.make({2, 3}, db)}, dtype);
  add("broadcast [3, 1, 4] with [2, 4]", {m.make({3, 1, 4}, da), m.make({2, 4}, db)}, dtype);
  add("broadcast [5] with [4, 1]", {m.make({5}, da), m.make({4, 1}, db)}, dtype);
  add("transposed [3, 4] with step-2 slice [3, 4]",
      {m.make({3, 4}, da, Layout::Transposed), m.make({3, 4}, db, Layout::Strided)}, dtype);
  add("step-2 slice [3] with transposed [4, 3]", {m.make({3}, da, Layout::Strided), m.make({4, 3}, db, Layout::Transposed)},
      dtype);
  add("size-0 [0, 3] with [1, 3]", {m.make({0, 3}, da), m.make({1, 3}, db)}, dtype);
  add("0-dim with [2, 3]", {m.make({}, da), m.make({2, 3}, db)}, dtype);
  add("0-dim with 0-dim", {m.make({}, da), m.make({}, db)}, dtype);
  add("large [40000] with [40000] (several threads)", {m.make({40000}, da), m.make({40000}, db)}, dtype);
  {
    Tensor x = m.make({2, 3}, da);
    add("the same tensor twice", {x, x}, dtype, !spec.kink_where_equal);
  }
  // Tensor op Scalar and Scalar op Tensor: a Scalar of the tensor's kind keeps the tensor's dtype, except
  // that a bool tensor with an integer number goes to int64.
  if (dtype != kBool) {
    Sample* s = add("tensor op scalar", {m.make({2, 3}, da)}, dtype);
    s->scalar = scalar_of(integral_or(m.uniform(db.lo, db.hi), dtype), dtype);
    if (std::fabs(s->scalar->to_double()) < db.min_abs) s->scalar = scalar_of(db.hi, dtype);
    s = add("scalar op tensor", {m.make({2, 3}, db)}, dtype);
    s->scalar = scalar_of(integral_or(m.uniform(std::max(da.lo, da.min_abs), da.hi), dtype), dtype);
    s->scalar_first = true;
  }
  // Mixed dtypes (PyTorch's promotion): dimensioned tensors outrank 0-dim ones, which outrank numbers,
  // unless the lower-ranked operand is of a higher category (bool < integer < floating).
  if (spec.name != "pow" || dtype != kBool) {
    add("with an int64 0-dim tensor", {m.make({2, 3}, da), m.make({}, kInt64, spec.int_domain_b)},
        dtype == kBool ? kInt64 : dtype);
  }
  if (!spec.integral_only) {
    add("with a float64 0-dim tensor", {m.make({2, 3}, da), m.make({}, kFloat64, spec.domain_b)},
        is_float(dtype) ? dtype : kFloat64);
    add("with a float32 [3] tensor", {m.make({2, 3}, da), m.make({3}, kFloat32, spec.domain_b)},
        promote(dtype, kFloat32));
  }
  if (!is_float(dtype) && !spec.integral_only) {
    Sample* s = add("integer tensor op floating scalar (gives float32)", {m.make({2, 3}, da)}, kFloat32);
    s->scalar = Scalar(spec.domain_b.min_abs > 0 ? 1.25 : 0.75);
  }
  if (spec.has_alpha && dtype != kBool) {
    Sample* s = add("a + alpha * b", {m.make({2, 3}, da), m.make({3}, db)}, dtype);
    s->scalar2 = is_float(dtype) ? Scalar(0.5) : Scalar(int64_t{2});
  }
  if (is_float(dtype)) {
    std::vector<double> specials = special_values();
    add("special values, every pair", {m.values({10, 1}, specials), m.values({1, 10}, specials)}, dtype, false);
  }
  return samples;
}

OpTestRow binary_row(const BinarySpec& spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = spec.dtypes;
  row.samples = [spec](ScalarType dtype, Device device) { return binary_samples(spec, dtype, device); };
  row.run = [spec](const Sample& s) {
    if (s.scalar && s.scalar_first) return std::vector<Tensor>{spec.scalar_tensor(*s.scalar, s.inputs[0])};
    if (s.scalar) return std::vector<Tensor>{spec.tensor_scalar(s.inputs[0], *s.scalar)};
    if (s.scalar2) {
      return std::vector<Tensor>{spec.name == "add" ? reel::add(s.inputs[0], s.inputs[1], *s.scalar2)
                                                    : reel::sub(s.inputs[0], s.inputs[1], *s.scalar2)};
    }
    return std::vector<Tensor>{spec.tensor_tensor(s.inputs[0], s.inputs[1])};
  };
  row.reference = [spec](const Sample& s) {
    const ScalarType compute = compute_dtype(spec.result, s.promoted);
    RefTensor a, b;
    if (s.scalar) {
      const RefTensor number({}, {s.scalar->to_double()}, compute);
      a = s.scalar_first ? number : RefTensor::of(s.inputs[0]);
      b = s.scalar_first ? RefTensor::of(s.inputs[0]) : number;
    } else {
      a = RefTensor::of(s.inputs[0]);
      b = RefTensor::of(s.inputs[1]);
    }
    a = cast(a, compute);
    b = cast(b, compute);
    if (s.scalar2) b = cast(map_unary(b, [&](double v) { return v * s.scalar2->to_double(); }, compute), compute);
    return std::vector<RefTensor>{map_binary(a, b, spec.reference, result_dtype(spec.result, s.promoted))};
  };
  row.differentiable = spec.differentiable;
  if (spec.differentiable) row.grad_inputs = {0, 1};
  return row;
}

double pow_of(double a, double b) { return std::pow(a, b); }
double maximum_of(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }
double minimum_of(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }

// Python's remainder (sign of b), C's fmod (sign of a) and floor division, in long double from fmod: a = b q + r.
double remainder_of(double a, double b) {
  long double r = std::fmod(ld(a), ld(b));
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return double(r);
}
double floor_divide_of(double a, double b) {
  if (b == 0) return a / b;
  const long double mod = std::fmod(ld(a), ld(b));
  long double q = (ld(a) - mod) / ld(b);
  if (mod != 0 && ((b < 0) != (mod < 0))) q -= 1;
  if (q == 0) return std::copysign(0.0, a / b);
  long double f = std::floor(q);
  if (q - f > 0.5L) f += 1;
  return double(f);
}
double logaddexp_of(double a, double b) {
  if (std::isinf(a) && a == b) return a;
  const long double m = std::max(ld(a), ld(b));
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(m)) return double(m);  // +inf with anything but NaN (both -inf returned above)
  return double(m + std::log(std::exp(ld(a) - m) + std::exp(ld(b) - m)));
}
double logaddexp2_of(double a, double b) {
  if (std::isinf(a) && a == b) return a;
  const long double m = std::max(ld(a), ld(b));
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(m)) return double(m);  // +inf with anything but NaN (both -inf returned above)
  return double(m + std::log2(std::exp2(ld(a) - m) + std::exp2(ld(b) - m)));
}
double xlogy_of(double x, double y) {
  if (std::isnan(y)) return y;
  return x == 0 ? 0.0 : double(ld(x) * std::log(ld(y)));
}
double fmax_of(double a, double b) { return std::isnan(a) ? b : std::isnan(b) ? a : std::max(a, b); }
double fmin_of(double a, double b) { return std::isnan(a) ? b : std::isnan(b) ? a : std::min(a, b); }
// Shifts on small integers (every dtype holds the answers of the sample domains): PyTorch's rules for negative
// shifts (left: 0; right: the sign fill).
double left_shift_of(double a, double b) { return b < 0 ? 0.0 : a * std::exp2(b); }
double right_shift_of(double a, double b) { return b < 0 ? (a < 0 ? -1.0 : 0.0) : std::floor(a / std::exp2(b)); }
int64_t as_int(double v) { return static_cast<int64_t>(v); }

void add_pointwise_math_binary_specs(std::vector<BinarySpec>& specs) {
  auto spec = [&](std::string name, double (*reference)(double, double), Result result,
                  std::vector<ScalarType> dtypes, bool differentiable = true) -> BinarySpec& {
    BinarySpec s;
    s.name = std::move(name);
    s.reference = reference;
    s.result = result;
    s.dtypes = std::move(dtypes);
    s.domain_a = s.domain_b = {-2, 2};
    s.int_domain_a = s.int_domain_b = {-3, 3};
    s.differentiable = differentiable;
    specs.push_back(std::move(s));
    return specs.back();
  };
  const std::vector<ScalarType> bitwise_dtypes = {kBool, kUInt8, kInt32, kInt64};
  BinarySpec* s = &spec("atan2", [](double a, double b) { return double(std::atan2(ld(a), ld(b))); }, Result::Float,
                        kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::atan2(a, b); });
  s->domain_b = {-2, 2, 0.25};  // away from the origin, where atan2 has no derivative
  s = &spec("hypot", [](double a, double b) { return double(std::hypot(ld(a), ld(b))); }, Result::Same,
            kFloatDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::hypot(a, b); });
  s->domain_a = {-2, 2, 0.25};
  // Integer divisors (and, for "the same tensor twice", dividends) leave 0 out: integer division by zero throws.
  // Both the divisor and a == b sit on remainder's and fmod's jumps in b, so that sample is not smooth.
  for (const char* name : {"remainder", "fmod", "floor_divide"}) {
    const std::string op = name;
    s = &spec(op,
              op == "remainder" ? remainder_of
              : op == "fmod"    ? static_cast<double (*)(double, double)>(
                                   [](double a, double b) { return double(std::fmod(ld(a), ld(b))); })
                                : floor_divide_of,
              Result::Same, kNumericDtypes);
    if (op == "remainder") set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::remainder(a, b); });
    if (op == "fmod") set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::fmod(a, b); });
    if (op == "floor_divide") {
      set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::floor_divide(a, b); });
    }
    s->domain_b = {-2, 2, 0.25};
    s->int_domain_a = s->int_domain_b = {-7, 7, 1};
    s->kink_where_equal = true;
  }
  s = &spec("copysign", [](double a, double b) { return std::copysign(a, b); }, Result::Float, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::copysign(a, b); });
  s->domain_a = s->domain_b = {-2, 2, 0.25};
  s = &spec("logaddexp", logaddexp_of, Result::Same, kFloatDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::logaddexp(a, b); });
  s = &spec("logaddexp2", logaddexp2_of, Result::Same, kFloatDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::logaddexp2(a, b); });
  s = &spec("xlogy", xlogy_of, Result::Float, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::xlogy(a, b); });
  s->domain_b = {0.25, 3};
  s->int_domain_b = {1, 3};
  s = &spec("fmax", fmax_of, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::fmax(a, b); });
  s->kink_where_equal = true;
  s = &spec("fmin", fmin_of, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::fmin(a, b); });
  s->kink_where_equal = true;
  s = &spec("clamp_min", maximum_of, Result::Same, kNumericDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::clamp_min(a, b); });
  s->kink_where_equal = true;
  s = &spec("clamp_max", minimum_of, Result::Same, kNumericDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::clamp_max(a, b); });
  s->kink_where_equal = true;
  s = &spec("bitwise_and", [](double a, double b) { return double(as_int(a) & as_int(b)); }, Result::Same,
            bitwise_dtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::bitwise_and(a, b); });
  s->integral_only = true;
  s = &spec("bitwise_or", [](double a, double b) { return double(as_int(a) | as_int(b)); }, Result::Same,
            bitwise_dtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::bitwise_or(a, b); });
  s->integral_only = true;
  s = &spec("bitwise_xor", [](double a, double b) { return double(as_int(a) ^ as_int(b)); }, Result::Same,
            bitwise_dtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::bitwise_xor(a, b); });
  s->integral_only = true;
  s = &spec("bitwise_left_shift", left_shift_of, Result::Same, kIntegerDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::bitwise_left_shift(a, b); });
  s->integral_only = true;
  s->int_domain_b = {-2, 4};
  s = &spec("bitwise_right_shift", right_shift_of, Result::Same, kIntegerDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::bitwise_right_shift(a, b); });
  s->integral_only = true;
  s->int_domain_b = {-2, 4};
  s = &spec("logical_xor", [](double a, double b) { return (a != 0) != (b != 0) ? 1.0 : 0.0; }, Result::Bool,
            kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::logical_xor(a, b); });
}

void add_binary_rows(std::vector<OpTestRow>& rows) {
  const Domain any{-2, 2};
  const Domain ints{-3, 3};
  std::vector<BinarySpec> specs;
  auto spec = [&](std::string name, double (*reference)(double, double), Result result,
                  std::vector<ScalarType> dtypes, bool differentiable = true) -> BinarySpec& {
    BinarySpec s;
    s.name = std::move(name);
    s.reference = reference;
    s.result = result;
    s.dtypes = std::move(dtypes);
    s.domain_a = s.domain_b = any;
    s.int_domain_a = s.int_domain_b = ints;
    s.differentiable = differentiable;
    specs.push_back(std::move(s));
    return specs.back();
  };
  BinarySpec* s = &spec("add", [](double a, double b) { return a + b; }, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::add(a, b); });
  s->has_alpha = true;
  s = &spec("sub", [](double a, double b) { return a - b; }, Result::Same, kNumericDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::sub(a, b); });
  s->has_alpha = true;
  s = &spec("mul", [](double a, double b) { return a * b; }, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::mul(a, b); });
  s = &spec("div", [](double a, double b) { return a / b; }, Result::Div, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::div(a, b); });
  s->domain_b = s->int_domain_b = {-2, 2, 0.5};
  s = &spec("pow", pow_of, Result::Same, kNumericDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::pow(a, b); });
  s->domain_a = {0.5, 2};  // positive base: smooth in both arguments
  s->int_domain_a = {1, 3};
  s->int_domain_b = {0, 3};  // negative integer powers are not supported in PyTorch
  s = &spec("maximum", maximum_of, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::maximum(a, b); });
  s->kink_where_equal = true;
  s = &spec("minimum", minimum_of, Result::Same, kAllDtypes);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::minimum(a, b); });
  s->kink_where_equal = true;
  s = &spec("eq", [](double a, double b) { return a == b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::eq(a, b); });
  s = &spec("ne", [](double a, double b) { return a != b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::ne(a, b); });
  s = &spec("lt", [](double a, double b) { return a < b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::lt(a, b); });
  s = &spec("le", [](double a, double b) { return a <= b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::le(a, b); });
  s = &spec("gt", [](double a, double b) { return a > b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::gt(a, b); });
  s = &spec("ge", [](double a, double b) { return a >= b ? 1.0 : 0.0; }, Result::Bool, kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::ge(a, b); });
  s = &spec("logical_and", [](double a, double b) { return a != 0 && b != 0 ? 1.0 : 0.0; }, Result::Bool,
            kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::logical_and(a, b); });
  s = &spec("logical_or", [](double a, double b) { return a != 0 || b != 0 ? 1.0 : 0.0; }, Result::Bool,
            kAllDtypes, false);
  set_binary_forms(*s, [](const auto& a, const auto& b) { return reel::logical_or(a, b); });
  add_pointwise_math_binary_specs(specs);
  for (const BinarySpec& b : specs) rows.push_back(binary_row(b));
}

// ---- fused backward primitives: (grad, saved) -> input gradient ---------------------------------------------
// The saved operand takes values the forward op can produce: tanh outputs in (-1, 1), sigmoid outputs in
// (0, 1), relu inputs away from the threshold at 0.
struct FusedSpec {
  std::string name;
  Tensor (*op)(const Tensor&, const Tensor&);
  double (*reference)(double grad, double saved);
  Domain saved_domain;
};

OpTestRow fused_row(const FusedSpec& spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = kFloatDtypes;
  row.samples = [spec](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain saved = spec.saved_domain;
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor grad, Tensor saved_value) {
      Sample s;
      s.description = std::move(description);
      s.inputs = {std::move(grad), std::move(saved_value)};
      s.dtype = s.promoted = dtype;
      s.device = device;
      out.push_back(std::move(s));
    };
    add("same shape [2, 3]", m.make({2, 3}), m.make({2, 3}, saved));
    add("transposed grad, step-2 slice saved", m.make({3, 4}, Domain{}, Layout::Transposed),
        m.make({3, 4}, saved, Layout::Strided));
    add("size-0 [0, 3]", m.make({0, 3}), m.make({0, 3}, saved));
    add("0-dim", m.make({}), m.make({}, saved));
    add("large [40000]", m.make({40000}), m.make({40000}, saved));
    return out;
  };
  row.run = [op = spec.op](const Sample& s) { return std::vector<Tensor>{op(s.inputs[0], s.inputs[1])}; };
  row.reference = [spec](const Sample& s) {
    return std::vector<RefTensor>{
        map_binary(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]), spec.reference, s.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

void add_fused_rows(std::vector<OpTestRow>& rows) {
  const std::vector<FusedSpec> specs = {
      {"tanh_backward", &reel::tanh_backward, [](double g, double y) { return g * (1 - y * y); }, {-0.95, 0.95}},
      {"sigmoid_backward", &reel::sigmoid_backward, [](double g, double y) { return g * y * (1 - y); }, {0.05, 0.95}},
      {"threshold_backward", &reel::threshold_backward, [](double g, double x) { return x > 0 ? g : 0.0; },
       {-2, 2, 0.25}},
  };
  for (const FusedSpec& spec : specs) rows.push_back(fused_row(spec));
}

void add_elementwise_rows(std::vector<OpTestRow>& rows) {
  add_unary_rows(rows);
  add_activation_rows(rows);
  add_binary_rows(rows);
  add_fused_rows(rows);
}

}  // namespace

REEL_OP_TABLE_ROWS(add_elementwise_rows);

}  // namespace reel::test
