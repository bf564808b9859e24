// reel/test/op_table_pointwise_math.cpp — op-table rows of the pointwise ops whose references need more than a
// function of one double: the parameterised rows logit, nan_to_num and polygamma (their references depend on the
// parameters and, for nan_to_num, on the dtype's limits), bitwise_not (dtype-dependent), and the ternary rows
// clamp_tensor (clamp with tensor bounds) and lerp. The plain unary and binary rows of the same block live in
// test/op_table_elementwise.cpp.
//
// Samples cover contiguous, transposed and step-2 strided inputs, broadcasting, size-0 and 0-dim tensors, a large
// tensor (several threads) and, for floating dtypes, the special values (not smooth).
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- unary rows with a dtype-aware reference ---------------------------------------------------------------
struct UnaryRowSpec {
  std::string name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double, ScalarType)> reference;  // (x in the compute dtype, result dtype) -> y
  std::vector<ScalarType> dtypes;
  bool to_float = false;  // integer and bool inputs compute in float32
  Domain domain;
  bool differentiable = true;
  bool specials = true;  // also run special_values() on floating dtypes
};

std::vector<Sample> unary_samples(ScalarType dtype, Device device, Domain domain, bool specials) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  auto add = [&](std::string description, Tensor x, bool smooth = true) {
    out.push_back(make_sample(std::move(description), {std::move(x)}, dtype, device));
    out.back().smooth = smooth;
  };
  add("contiguous [2, 3]", m.make({2, 3}, domain));
  add("transposed [3, 4]", m.make({3, 4}, domain, Layout::Transposed));
  add("step-2 slice [2, 5]", m.make({2, 5}, domain, Layout::Strided));
  add("size-0 [0, 3]", m.make({0, 3}, domain));
  add("0-dim", m.make({}, domain));
  add("large [40000] (several threads)", m.make({40000}, domain));
  if (specials && is_float(dtype)) add("special values", m.values({10}, special_values()), false);
  return out;
}

OpTestRow unary_row(const UnaryRowSpec& spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = spec.dtypes;
  row.samples = [domain = spec.domain, specials = spec.specials](ScalarType dtype, Device device) {
    return unary_samples(dtype, device, domain, specials);
  };
  row.run = [op = spec.op](const Sample& s) { return std::vector<Tensor>{op(s.inputs[0])}; };
  row.reference = [spec](const Sample& s) {
    const ScalarType out = spec.to_float && !is_float(s.dtype) ? kFloat32 : s.dtype;
    const RefTensor x = cast(RefTensor::of(s.inputs[0]), out);
    return std::vector<RefTensor>{map_unary(x, [&](double v) { return spec.reference(v, out); }, out)};
  };
  row.differentiable = spec.differentiable;
  if (spec.differentiable) row.grad_inputs = {0};
  return row;
}

double largest_of(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return 65504.0;
    case kBFloat16: return 3.3895313892515355e38;
    case kFloat32: return 3.4028234663852886e38;
    default: return std::numeric_limits<double>::max();
  }
}

// logit(x) = ln(x / (1 - x)) on x clamped to [eps, 1 - eps] when eps is given
double logit_of(double x, std::optional<double> eps) {
  long double z = x;
  if (eps) z = std::isnan(x) ? z : std::min<long double>(std::max<long double>(z, *eps), 1 - *eps);
  return static_cast<double>(std::log(z / (1 - z)));
}

// polygamma(n, x) for n >= 1 and x > 0, written apart from the kernel: (-1)^(n+1) n! sum_k (x + k)^-(n+1), the
// sum taken to k = 2000 and its tail by the integral and the first Euler-Maclaurin terms, in long double.
double polygamma_of(int n, double x) {
  if (std::isnan(x)) return x;
  if (x == kInf) return 0.0;
  if (x == 0) return n % 2 == 1 ? kInf : -kInf;                   // a pole (bool inputs reach it)
  if (!(x > 0)) return std::numeric_limits<double>::quiet_NaN();  // outside the rows' sampled domain
  const long double s = n + 1;
  long double sum = 0;
  long double q = x;
  for (int k = 0; k < 2000; ++k, q += 1) sum += std::pow(q, -s);
  sum += std::pow(q, 1 - s) / (s - 1) + std::pow(q, -s) / 2 + s * std::pow(q, -s - 1) / 12 -
         s * (s + 1) * (s + 2) * std::pow(q, -s - 3) / 720;
  long double factorial = 1;
  for (int i = 2; i <= n; ++i) factorial *= i;
  return static_cast<double>((n % 2 == 1 ? 1 : -1) * factorial * sum);
}

void add_unary_rows(std::vector<OpTestRow>& rows) {
  const std::vector<UnaryRowSpec> specs = {
      // ~x: two's complement for signed types, 255 - x for uint8, logical not for bool
      {"bitwise_not", [](const Tensor& x) { return reel::bitwise_not(x); },
       [](double x, ScalarType t) { return t == kBool ? (x == 0 ? 1.0 : 0.0) : t == kUInt8 ? 255 - x : -x - 1; },
       {kBool, kUInt8, kInt32, kInt64}, false, {-100, 100}, false},
      // bool inputs compute in float32 (0 and 1 give -inf and inf); integer ones in test_pointwise_math.cpp
      {"logit", [](const Tensor& x) { return reel::logit(x); },
       [](double x, ScalarType) { return logit_of(x, std::nullopt); }, {kBool, kFloat16, kBFloat16, kFloat32, kFloat64},
       true, {0.05, 0.95}},
      // eps clamps: the samples straddle [0.2, 0.8] (the gradient is 0 outside)
      {"logit", [](const Tensor& x) { return reel::logit(x, 0.2); },
       [](double x, ScalarType) { return logit_of(x, 0.2); }, kFloatDtypes, false, {0.05, 0.95}},
      {"nan_to_num", [](const Tensor& x) { return reel::nan_to_num(x); },
       [](double x, ScalarType t) {
         if (!is_float(t)) return x;
         return std::isnan(x) ? 0.0 : x == kInf ? largest_of(t) : x == -kInf ? -largest_of(t) : x;
       },
       kAllDtypes, false, {-3, 3}},
      {"nan_to_num", [](const Tensor& x) { return reel::nan_to_num(x, 1.5, 100.0, -200.0); },
       [](double x, ScalarType t) {
         if (!is_float(t)) return x;
         return std::isnan(x) ? 1.5 : x == kInf ? 100.0 : x == -kInf ? -200.0 : x;
       },
       kNumericDtypes, false, {-3, 3}},
      {"polygamma", [](const Tensor& x) { return reel::polygamma(1, x); },
       [](double x, ScalarType) { return polygamma_of(1, x); }, kAllDtypes, true, {0.5, 4}, true, false},
      {"polygamma", [](const Tensor& x) { return reel::polygamma(x, 2); },
       [](double x, ScalarType) { return polygamma_of(2, x); }, kFloatDtypes, false, {0.5, 4}, true, false},
  };
  for (const UnaryRowSpec& spec : specs) rows.push_back(unary_row(spec));
}

// ---- clamp_tensor and lerp: three tensors broadcast together -----------------------------------------------------
// `with_infinities`: the special-values sample holds infinities too (lerp's two-sided formula and the textbook
// start + weight (end - start) part ways on them, as PyTorch's do).
std::vector<Sample> ternary_samples(ScalarType dtype, Device device, Domain d0, Domain d1, Domain d2,
                                    bool with_infinities) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  auto add = [&](std::string description, std::vector<Tensor> inputs, bool smooth = true) {
    out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
    out.back().smooth = smooth;
  };
  add("same shape [2, 3]", {m.make({2, 3}, d0), m.make({2, 3}, d1), m.make({2, 3}, d2)});
  add("broadcast [3, 1, 4], [2, 4], [3, 2, 1]", {m.make({3, 1, 4}, d0), m.make({2, 4}, d1), m.make({3, 2, 1}, d2)});
  add("non-contiguous", {m.make({3, 4}, d0, Layout::Transposed), m.make({3, 4}, d1, Layout::Strided),
                         m.make({4}, d2, Layout::Strided)});
  add("size-0 [0, 3]", {m.make({0, 3}, d0), m.make({3}, d1), m.make({1}, d2)});
  add("0-dim bounds / weight with [2, 3]", {m.make({2, 3}, d0), m.make({}, d1), m.make({}, d2)});
  add("all 0-dim", {m.make({}, d0), m.make({}, d1), m.make({}, d2)});
  add("large [40000]", {m.make({40000}, d0), m.make({40000}, d1), m.make({40000}, d2)});
  if (is_float(dtype)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double big = with_infinities ? kInf : 3.0;
    add("NaN and infinities", {m.values({6}, {nan, 1, 1, big, -big, 0.5}), m.values({6}, {0, nan, 0, 0, 0, 1}),
                               m.values({6}, {2, 2, nan, 2, 2, 0})},
        false);
  }
  return out;
}

OpTestRow clamp_tensor_row() {
  OpTestRow row;
  row.op = "clamp_tensor";
  row.dtypes = kNumericDtypes;
  // lo below hi mostly, so every branch (inside, below, above, crossed bounds) shows up
  row.samples = [](ScalarType dtype, Device device) {
    return ternary_samples(dtype, device, {-3, 3}, {-2, 0.5}, {-0.5, 2}, true);
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::clamp(s.inputs[0], std::optional<Tensor>(s.inputs[1]),
                                           std::optional<Tensor>(s.inputs[2]))};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{map_ternary(
        RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]), RefTensor::of(s.inputs[2]),
        [](double x, double lo, double hi) {
          if (std::isnan(x) || std::isnan(lo) || std::isnan(hi)) return std::numeric_limits<double>::quiet_NaN();
          return std::min(std::max(x, lo), hi);
        },
        s.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

OpTestRow lerp_row(bool scalar_weight) {
  OpTestRow row;
  row.op = "lerp";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    return ternary_samples(dtype, device, {-2, 2}, {-2, 2}, {-0.5, 1.5}, false);
  };
  row.run = [scalar_weight](const Sample& s) {
    if (scalar_weight) return std::vector<Tensor>{reel::lerp(s.inputs[0], s.inputs[1], Scalar(0.75))};
    return std::vector<Tensor>{reel::lerp(s.inputs[0], s.inputs[1], s.inputs[2])};
  };
  row.reference = [scalar_weight](const Sample& s) {
    const RefTensor w = scalar_weight ? RefTensor({}, {0.75}, s.dtype) : RefTensor::of(s.inputs[2]);
    return std::vector<RefTensor>{map_ternary(
        RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]), w,
        [](double a, double b, double t) {
          return static_cast<double>(static_cast<long double>(a) + t * (static_cast<long double>(b) - a));
        },
        s.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = scalar_weight ? std::vector<int>{0, 1} : std::vector<int>{0, 1, 2};
  return row;
}

void add_pointwise_math_rows(std::vector<OpTestRow>& rows) {
  add_unary_rows(rows);
  rows.push_back(clamp_tensor_row());
  rows.push_back(lerp_row(false));
  rows.push_back(lerp_row(true));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_pointwise_math_rows);

}  // namespace reel::test
