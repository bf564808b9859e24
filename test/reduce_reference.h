// reel/test/reduce_reference.h — naive float64 references for the reduction and softmax tests.
//
// Inputs are built from std::vector<double> (so every dtype sees the same values), references are plain loops
// over that vector, and results are compared element by element with NaN matching NaN.
#pragma once

#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace reduce_test {

using Values = std::vector<double>;
using Shape = std::vector<int64_t>;

inline int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// n values uniform in [low, high), or integers in [low, high] when `integral`.
inline Values random_values(int64_t n, uint32_t seed, double low = -2, double high = 2, bool integral = false) {
  std::mt19937 engine(seed);
  Values values(static_cast<size_t>(n));
  if (integral) {
    std::uniform_int_distribution<int64_t> pick(static_cast<int64_t>(low), static_cast<int64_t>(high));
    for (double& v : values) v = static_cast<double>(pick(engine));
  } else {
    std::uniform_real_distribution<double> pick(low, high);
    for (double& v : values) v = pick(engine);
  }
  return values;
}

inline reel::Tensor make_tensor(const Values& values, const Shape& shape, reel::ScalarType dtype) {
  return reel::from_blob_copy(values.data(), shape, reel::kFloat64).to(dtype);
}

// The values a tensor of `dtype` actually holds (the inputs rounded to it), as float64.
inline Values rounded_to(const Values& values, reel::ScalarType dtype) {
  return make_tensor(values, Shape{static_cast<int64_t>(values.size())}, dtype).to_vector<double>();
}

// Wraps dims (empty = all) against a rank, ascending.
inline std::vector<bool> reduced_mask(const Shape& shape, const Shape& dims) {
  const int64_t ndim = static_cast<int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), dims.empty());
  for (int64_t d : dims) mask[static_cast<size_t>(d < 0 ? d + ndim : d)] = true;
  return mask;
}

inline Shape reduced_shape(const Shape& shape, const Shape& dims, bool keepdim) {
  const std::vector<bool> mask = reduced_mask(shape, dims);
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// For each output element (row-major over the kept dims), its reduced elements in row-major order.
inline std::vector<Values> groups_of(const Values& x, const Shape& shape, const Shape& dims) {
  const std::vector<bool> mask = reduced_mask(shape, dims);
  int64_t outputs = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!mask[d]) outputs *= shape[d];
  std::vector<Values> groups(static_cast<size_t>(outputs));
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    int64_t rest = i, out = 0, scale = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      const int64_t index = rest % shape[d];
      rest /= shape[d];
      if (!mask[d]) {
        out += index * scale;
        scale *= shape[d];
      }
    }
    groups[static_cast<size_t>(out)].push_back(x[static_cast<size_t>(i)]);
  }
  return groups;
}

template <typename Fn>
Values reduce_reference(const Values& x, const Shape& shape, const Shape& dims, Fn fn) {
  Values out;
  for (const Values& group : groups_of(x, shape, dims)) out.push_back(fn(group));
  return out;
}

// ---- scalar references ------------------------------------------------------------------------------------------
inline double ref_sum(const Values& v) {
  long double s = 0;
  for (double x : v) s += x;
  return static_cast<double>(s);
}
inline double ref_prod(const Values& v) {
  double p = 1;
  for (double x : v) p *= x;
  return p;
}
// Index of the first max (kMax) or min; the first NaN wins.
inline int64_t ref_arg(const Values& v, bool is_max) {
  int64_t best = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
    if (std::isnan(v[best])) break;
    if (std::isnan(v[i]) || (is_max ? v[i] > v[best] : v[i] < v[best])) best = i;
  }
  return best;
}
inline double ref_var(const Values& v, double correction) {
  const double n = static_cast<double>(v.size());
  const double mean = ref_sum(v) / n;
  long double m2 = 0;
  for (double x : v) m2 += (x - mean) * (x - mean);
  return static_cast<double>(m2) / std::max(n - correction, 0.0);
}
inline double ref_norm(const Values& v, double p) {
  if (std::isinf(p)) {
    double best = p > 0 ? 0 : INFINITY;
    for (double x : v) best = p > 0 ? std::max(best, std::fabs(x)) : std::min(best, std::fabs(x));
    return best;
  }
  double s = 0;
  for (double x : v) s += p == 0 ? (x != 0) : std::pow(std::fabs(x), p);
  return p == 0 ? s : std::pow(s, 1 / p);
}
inline double ref_logsumexp(const Values& v) {
  double m = -INFINITY;
  for (double x : v) m = std::max(m, x);
  if (std::isinf(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// ---- comparison -------------------------------------------------------------------------------------------------
inline void check_close(const reel::Tensor& actual, const Values& expected, double rtol, double atol) {
  const Values got = actual.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::isinf(expected[i])) {
      CHECK(got[i] == expected[i]);
    } else {
      CHECK(std::fabs(got[i] - expected[i]) <= atol + rtol * std::fabs(expected[i]));
    }
  }
}

inline void check_shape(const reel::Tensor& t, const Shape& shape) {
  INFO("shape " << reel::shape_str(t.sizes()) << " vs expected " << reel::shape_str(shape));
  CHECK(t.sizes() == reel::IntList(shape));
}

// Relative tolerance for results in a floating dtype.
inline double tolerance_of(reel::ScalarType dtype) {
  switch (dtype) {
    case reel::kFloat64: return 1e-12;
    case reel::kFloat32: return 1e-5;
    case reel::kFloat16: return 4e-3;
    default: return 3e-2;  // bfloat16
  }
}

}  // namespace reduce_test
