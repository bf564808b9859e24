// reel/test/test_activations.cpp — the parameterised activation ops (tensor/ops.def REEL_UNARY_PARAM_OP rows) by
// hand, beside their op-table rows (test/op_table_elementwise.cpp): values and gradients PyTorch documents or
// defines at the kinks, the dtypes PyTorch refuses, parameter checks, the in-place forms, node names, and the
// nn::functional forms and modules that call them.
#include <cmath>
#include <string>
#include <vector>

#include "test/autograd_test_utils.h"

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using autograd_test::error_of;
using reel::Tensor;

namespace {

using Values = std::vector<double>;

Tensor leaf(const Values& v) { return reel::tensor(v, reel::kFloat64).requires_grad_(); }

// The values of f(x) and of d sum f(x) / dx at the points `at` (float64).
std::pair<Values, Values> value_and_gradient(const std::function<Tensor(const Tensor&)>& f, const Values& at) {
  Tensor x = leaf(at);
  Tensor y = f(x);
  y.sum().backward();
  return {y.detach().to_vector<double>(), x.grad().to_vector<double>()};
}

void check_values(const Values& got, const Values& expected, double tolerance = 1e-12) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    CHECK(std::fabs(got[i] - expected[i]) <= tolerance * (1 + std::fabs(expected[i])));
  }
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

TEST_CASE("activations: gradients at the kinks follow PyTorch", "[activations]") {
  // leaky_relu_backward: x > 0 ? g : g * slope, so x = 0 takes the slope
  auto [leaky, dleaky] = value_and_gradient([](const Tensor& x) { return reel::leaky_relu(x, 0.2); }, {-1, 0, 1});
  check_values(leaky, {-0.2, 0, 1});
  check_values(dleaky, {0.2, 0.2, 1});
  // hardtanh_backward: 0 where x <= min_val or x >= max_val
  auto [ht, dht] = value_and_gradient([](const Tensor& x) { return reel::hardtanh(x); }, {-2, -1, 0.5, 1, 2});
  check_values(ht, {-1, -1, 0.5, 1, 1});
  check_values(dht, {0, 0, 1, 0, 0});
  // hardswish: x < -3 -> 0, x <= 3 -> x / 3 + 1/2 (so -1/2 at -3 and 3/2 at 3), else 1
  auto [hs, dhs] = value_and_gradient([](const Tensor& x) { return reel::hardswish(x); }, {-4, -3, 0, 1, 3, 4});
  check_values(hs, {0, 0, 0, 2.0 / 3, 3, 4});
  check_values(dhs, {0, -0.5, 0.5, 5.0 / 6, 1.5, 1});
  // hardsigmoid: 1/6 strictly between -3 and 3, else 0
  auto [hsig, dhsig] = value_and_gradient([](const Tensor& x) { return reel::hardsigmoid(x); }, {-4, -3, 0, 3, 4});
  check_values(hsig, {0, 0, 0.5, 1, 1});
  check_values(dhsig, {0, 0, 1.0 / 6, 0, 0});
  // threshold: y = x > threshold ? x : value; the gradient is g only where x > threshold
  auto [th, dth] = value_and_gradient([](const Tensor& x) { return reel::threshold(x, 1.0, 5.0); }, {0.5, 1, 1.5});
  check_values(th, {5, 5, 1.5});
  check_values(dth, {0, 0, 1});
  // softplus reverts to x where beta x > threshold (gradient 1); at beta x == threshold it is still the log
  auto [sp, dsp] = value_and_gradient([](const Tensor& x) { return reel::softplus(x, 2.0, 4.0); }, {0, 2, 2.5});
  check_values(sp, {std::log(2.0) / 2, std::log1p(std::exp(4.0)) / 2, 2.5});
  check_values(dsp, {0.5, 1 / (1 + std::exp(-4.0)), 1});
  // elu at 0 takes the negative side: input_scale * alpha * scale
  auto [elu, delu] = value_and_gradient([](const Tensor& x) { return reel::elu(x, 0.5, 2.0, 1.5); }, {-1, 0, 1});
  check_values(elu, {2 * 0.5 * std::expm1(-1.5), 0, 2});
  check_values(delu, {1.5 * 0.5 * 2 * std::exp(-1.5), 1.5, 2});
  auto [celu, dcelu] = value_and_gradient([](const Tensor& x) { return reel::celu(x, 2.0); }, {-1, 0, 1});
  check_values(celu, {2 * std::expm1(-0.5), 0, 1});
  check_values(dcelu, {std::exp(-0.5), 1, 1});
  auto [selu, dselu] = value_and_gradient([](const Tensor& x) { return reel::selu(x); }, {-1, 0, 1});
  check_values(selu, {kSeluScale * kSeluAlpha * std::expm1(-1.0), 0, kSeluScale});
  check_values(dselu, {kSeluScale * kSeluAlpha * std::exp(-1.0), kSeluScale * kSeluAlpha, kSeluScale});
  // the smooth ones at 0: log_sigmoid(0) = -ln 2, slope 1/2; mish'(0) = tanh(ln 2) = 3/5; silu'(0) = 1/2
  auto [ls, dls] = value_and_gradient([](const Tensor& x) { return reel::log_sigmoid(x); }, {0});
  check_values(ls, {-std::log(2.0)});
  check_values(dls, {0.5});
  auto [mish, dmish] = value_and_gradient([](const Tensor& x) { return reel::mish(x); }, {0, 1});
  check_values(mish, {0, std::tanh(std::log1p(std::exp(1.0)))});
  check_values(dmish, {0.6, 1.0490362200997922});
  auto [silu, dsilu] = value_and_gradient([](const Tensor& x) { return reel::silu(x); }, {0, 1});
  check_values(silu, {0, 1 / (1 + std::exp(-1.0))});
  check_values(dsilu, {0.5, 0.9276705118714869});
}

TEST_CASE("activations: far from zero nothing overflows", "[activations]") {
  auto [ls, dls] = value_and_gradient([](const Tensor& x) { return reel::log_sigmoid(x); }, {-1000, 1000});
  check_values(ls, {-1000, 0});
  check_values(dls, {1, 0});
  auto [sp, dsp] = value_and_gradient([](const Tensor& x) { return reel::softplus(x); }, {-1000, 1000});
  check_values(sp, {0, 1000});
  check_values(dsp, {0, 1});
  // ELU's gradient and its second derivative stay finite where e^x would overflow
  Tensor x = leaf({1000, -1000});
  Tensor g = reel::autograd::grad({reel::elu(x).sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  check_values(g.detach().to_vector<double>(), {1, 0});
  g.sum().backward();
  check_values(x.grad().to_vector<double>(), {0, 0});
  // float32 stays float32, float16 float16
  CHECK(reel::mish(reel::randn({3})).dtype() == reel::kFloat32);
  CHECK(reel::hardswish(reel::randn({3}).to(reel::kFloat16)).dtype() == reel::kFloat16);
}

TEST_CASE("activations: dtypes and parameters PyTorch refuses", "[activations]") {
  const Tensor ints = reel::tensor({-2, 0, 3});
  // the floating-only activations refuse integer and bool inputs (PyTorch: "not implemented for 'Long'")
  for (auto op : std::vector<std::function<Tensor(const Tensor&)>>{
           [](const Tensor& x) { return reel::leaky_relu(x); }, [](const Tensor& x) { return reel::elu(x); },
           [](const Tensor& x) { return reel::silu(x); }, [](const Tensor& x) { return reel::softplus(x); },
           [](const Tensor& x) { return reel::log_sigmoid(x); }, [](const Tensor& x) { return reel::mish(x); }}) {
    CHECK_THAT(error_of([&] { op(ints); }), Catch::Contains("expected a floating-point input, got int64"));
    CHECK_THAT(error_of([&] { op(ints.to(reel::kBool)); }), Catch::Contains("got bool"));
  }
  CHECK_THAT(error_of([&] { reel::leaky_relu(ints); }), Catch::StartsWith("leaky_relu:"));
  // hardtanh and threshold keep integer dtypes (PyTorch clamps and compares in the integer type) but refuse bool
  const Tensor clamped = reel::hardtanh(ints);
  CHECK(clamped.dtype() == reel::kInt64);
  CHECK(clamped.to_vector<int64_t>() == std::vector<int64_t>{-1, 0, 1});
  CHECK(reel::threshold(ints, 0, 7).to_vector<int64_t>() == std::vector<int64_t>{7, 7, 3});
  CHECK_THAT(error_of([&] { reel::hardtanh(ints.to(reel::kBool)); }), Catch::StartsWith("hardtanh: dtype bool"));
  CHECK_THAT(error_of([&] { reel::threshold(ints.to(reel::kBool), 0, 1); }), Catch::StartsWith("threshold: dtype bool"));
  // uint8 with negative limits is refused; non-negative (truncated) limits are fine
  const Tensor bytes = reel::tensor({0, 1, 5}).to(reel::kUInt8);
  CHECK_THAT(error_of([&] { reel::hardtanh(bytes); }), Catch::Contains("negative limits"));
  CHECK(reel::hardtanh(bytes, -0.5, 2.0).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 2});
  // celu divides by alpha
  CHECK_THAT(error_of([] { reel::celu(reel::ones({2}), 0.0); }), Catch::StartsWith("celu: alpha cannot be 0"));
  CHECK_THAT(error_of([] { nn::Hardtanh(1.0, -1.0); }), Catch::StartsWith("Hardtanh: max_val must be greater"));
}

TEST_CASE("activations: in-place forms", "[activations]") {
  Tensor t = reel::tensor({-2.0, 0.5, 3.0}, reel::kFloat64);
  Tensor& same = reel::leaky_relu_(t, 0.5);
  CHECK(&same == &t);
  check_values(t.to_vector<double>(), {-1, 0.5, 3});
  reel::hardtanh_(t, -0.5, 1.0);
  check_values(t.to_vector<double>(), {-0.5, 0.5, 1});
  Tensor ints = reel::tensor({-2, 0, 3});
  reel::threshold_(ints, 0, 9);
  CHECK(ints.to_vector<int64_t>() == std::vector<int64_t>{9, 9, 3});
  CHECK_THAT(error_of([] {
               Tensor i = reel::tensor({1, 2});
               reel::silu_(i);
             }),
             Catch::StartsWith("silu:"));
  // on a non-leaf that requires grad: the values and gradient of the out-of-place op
  Tensor x = leaf({-1.5, -0.25, 0.75, 2.0});
  Tensor h = x * 2;
  reel::hardswish_(h);
  CHECK(std::string(reel::autograd::node_name(h.grad_fn())) == "HardswishBackward");
  h.sum().backward();
  Tensor x2 = leaf({-1.5, -0.25, 0.75, 2.0});
  reel::hardswish(x2 * 2).sum().backward();
  autograd_test::require_close(x.grad(), x2.grad());
  // a leaf that requires grad is refused, as in PyTorch
  Tensor l = leaf({1.0});
  CHECK_THAT(error_of([&] { reel::elu_(l); }), Catch::Contains("leaf"));
}

TEST_CASE("activations: node names and F:: forms", "[activations]") {
  Tensor x = leaf({-1.0, 0.5});
  CHECK(std::string(reel::autograd::node_name(reel::leaky_relu(x).grad_fn())) == "LeakyReluBackward");
  CHECK(std::string(reel::autograd::node_name(reel::celu(x).grad_fn())) == "EluBackward");
  CHECK(std::string(reel::autograd::node_name(reel::selu(x).grad_fn())) == "EluBackward");
  CHECK(std::string(reel::autograd::node_name(reel::softplus(x).grad_fn())) == "SoftplusBackward");
  CHECK(std::string(reel::autograd::node_name(reel::threshold(x, 0, 0).grad_fn())) == "ThresholdBackward");
  CHECK(std::string(reel::autograd::node_name(reel::log_sigmoid(x).grad_fn())) == "LogSigmoidBackward");
  CHECK(std::string(reel::autograd::node_name(reel::silu(x).grad_fn())) == "SiluBackward");
  CHECK(std::string(reel::autograd::node_name(reel::mish(x).grad_fn())) == "MishBackward");
  // F:: is the kernel op (F::elu with alpha only; F::logsigmoid under torch.nn.functional's name)
  CHECK(std::string(reel::autograd::node_name(F::elu(x, 0.5).grad_fn())) == "EluBackward");
  autograd_test::require_close(F::elu(x, 0.5), reel::elu(x, 0.5, 1.0, 1.0), 0);
  autograd_test::require_close(F::logsigmoid(x), reel::log_sigmoid(x), 0);
  autograd_test::require_close(F::leaky_relu(x, 0.3), reel::leaky_relu(x, 0.3), 0);
  autograd_test::require_close(F::softplus(x, 2.0, 10.0), reel::softplus(x, 2.0, 10.0), 0);
}

TEST_CASE("activations: modules print their options as PyTorch does and call the ops", "[activations][nn]") {
  CHECK(nn::Hardtanh()->str() == "Hardtanh(min_val=-1.0, max_val=1.0)");
  CHECK(nn::CELU(0.5)->str() == "CELU(alpha=0.5)");
  CHECK(nn::SELU()->str() == "SELU()");
  CHECK(nn::Softplus()->str() == "Softplus(beta=1.0, threshold=20.0)");
  CHECK(nn::Threshold(0.1, 20)->str() == "Threshold(threshold=0.1, value=20.0)");
  CHECK(nn::LogSigmoid()->str() == "LogSigmoid()");
  CHECK(nn::Hardsigmoid()->str() == "Hardsigmoid()");
  CHECK(nn::Hardswish()->str() == "Hardswish()");
  CHECK(nn::Mish()->str() == "Mish()");
  const Tensor x = reel::tensor({-4.0, -1.0, 0.0, 0.5, 2.0, 30.0}, reel::kFloat64);
  autograd_test::require_close(nn::Hardtanh(-0.5, 1.5)(x), reel::hardtanh(x, -0.5, 1.5), 0);
  autograd_test::require_close(nn::CELU(0.5)(x), reel::celu(x, 0.5), 0);
  autograd_test::require_close(nn::SELU()(x), reel::selu(x), 0);
  autograd_test::require_close(nn::Softplus(2.0, 5.0)(x), reel::softplus(x, 2.0, 5.0), 0);
  autograd_test::require_close(nn::Threshold(0.25, -3.0)(x), reel::threshold(x, 0.25, -3.0), 0);
  autograd_test::require_close(nn::LogSigmoid()(x), reel::log_sigmoid(x), 0);
  autograd_test::require_close(nn::Hardsigmoid()(x), reel::hardsigmoid(x), 0);
  autograd_test::require_close(nn::Hardswish()(x), reel::hardswish(x), 0);
  autograd_test::require_close(nn::Mish()(x), reel::mish(x), 0);
  autograd_test::require_close(nn::SiLU()(x), reel::silu(x), 0);
  autograd_test::require_close(nn::LeakyReLU(0.1)(x), reel::leaky_relu(x, 0.1), 0);
  autograd_test::require_close(nn::ELU(0.7)(x), reel::elu(x, 0.7), 0);
}
