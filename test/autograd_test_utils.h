// reel/test/autograd_test_utils.h — small helpers shared by the autograd tests of dynamic graphs, memory
// and threads and of in-place ops: float64 leaves, value extraction, error messages, and a gradcheck assertion that prints the failure message.
#pragma once

#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace autograd_test {

using reel::Tensor;

// The message of the reel::Error that fn throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const reel::Error& e) {
    return e.what();
  }
  return "";
}

// Requires equal shapes and max |actual - expected| <= tolerance.
inline void require_close(const Tensor& actual, const Tensor& expected, double tolerance = 1e-10) {
  REQUIRE(actual.defined());
  REQUIRE(actual.sizes() == expected.sizes());
  const double error = (actual - expected).abs().max().item<double>();
  INFO("max |actual - expected| = " << error);
  REQUIRE(error <= tolerance);
}

// All values of t as doubles, row-major.
inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// A float64 leaf with N(0, scale^2) values that requires grad (drawn from the default generator).
inline Tensor random_leaf(reel::IntList sizes, double scale = 1.0) {
  Tensor t = reel::randn(sizes, reel::kFloat64) * scale;
  return t.detach().requires_grad_();
}

// A float64 leaf holding `v` that requires grad.
inline Tensor leaf(std::initializer_list<double> v) { return reel::tensor(v, reel::kFloat64).requires_grad_(); }

// True when both tensors have the same dtype, shape and bytes (no tolerance at all).
inline bool bit_identical(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) return a.defined() == b.defined();
  if (a.dtype() != b.dtype() || !(a.sizes() == b.sizes())) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), static_cast<size_t>(ca.nbytes())) == 0;
}

}  // namespace autograd_test

// Runs reel::autograd::gradcheck and fails with its message (worst element, analytic vs numeric).
#define REQUIRE_GRADCHECK(fn, inputs)                               \
  do {                                                              \
    auto gradcheck_result_ = reel::autograd::gradcheck(fn, inputs); \
    INFO(gradcheck_result_.message);                                \
    REQUIRE(gradcheck_result_.ok);                                  \
  } while (false)
