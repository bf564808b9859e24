// reel/test/test_conv.cpp — convolution and pooling beyond the op table: values worked out by hand, gradient
// checks of conv2d (input, weight and bias, with stride, padding, dilation and groups; second order too), conv1d and
// the three poolings on small float64 inputs, the float32 kernels on the CNN workload's shapes against float64,
// the recorded node names, and every class of misuse (rank, channels, groups, window size, settings, dtypes,
// devices), each of which must throw reel::Error naming the op and the shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "test/autograd_test_utils.h"

namespace {

using reel::Tensor;
using namespace reel;

// Runs `call` and checks that it throws reel::Error whose message contains each of `parts`.
template <typename Call>
void check_error(Call&& call, const std::vector<std::string>& parts) {
  try {
    call();
  } catch (const reel::Error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    for (const std::string& part : parts) CHECK_THAT(message, Catch::Contains(part));
    return;
  } catch (const std::exception& e) {
    FAIL_CHECK("threw an exception that is not a reel::Error: " << e.what());
    return;
  }
  FAIL_CHECK("no exception was thrown");
}

Tensor arange_as(IntList sizes, ScalarType dtype = kFloat64) {
  return arange(checked_numel(sizes, "test"), TensorOptions(dtype)).reshape(sizes);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

}  // namespace

TEST_CASE("conv: values worked out by hand", "[conv]") {
  // 2x2 box filter over 0..15 laid out 4x4: each output is the sum of a 2x2 block.
  const Tensor x = arange_as({1, 1, 4, 4});
  const Tensor box = ones({1, 1, 2, 2}, kFloat64);
  CHECK(conv2d(x, box).to_vector<double>() == std::vector<double>{10, 14, 18, 26, 30, 34, 42, 46, 50});
  CHECK(conv2d(x, box, {}, 2).to_vector<double>() == std::vector<double>{10, 18, 42, 50});
  // Padding 1: the corner window sees only x[0, 0]; bias 1 is added everywhere.
  const Tensor padded = conv2d(x, box, full({1}, 1.0, kFloat64), 1, 1);
  CHECK(padded.sizes() == IntList({1, 1, 5, 5}));
  CHECK(padded.to_vector<double>()[0] == 1.0);
  CHECK(padded.to_vector<double>()[24] == 16.0);
  // Dilation 2 with a 2x2 kernel reads the corners of each 3x3 block: 0 + 2 + 8 + 10 = 20.
  CHECK(conv2d(x, box, {}, 1, 0, 2).to_vector<double>() == std::vector<double>{20, 24, 36, 40});
  // Groups 2: each output channel sees only its own input channel.
  const Tensor two = cat({ones({1, 1, 2, 2}, kFloat64), full({1, 1, 2, 2}, 2.0, kFloat64)}, 1);
  const Tensor grouped = conv2d(two, ones({2, 1, 2, 2}, kFloat64), {}, 1, 0, 1, 2);
  CHECK(grouped.to_vector<double>() == std::vector<double>{4, 8});
  // conv1d: a [1, -1] difference filter.
  const Tensor signal = tensor<double>({1, 4, 9, 16}).reshape({1, 1, 4});
  const Tensor diff = conv1d(signal, tensor<double>({1, -1}).reshape({1, 1, 2}));
  CHECK(diff.to_vector<double>() == std::vector<double>{-3, -5, -7});

  // Pooling over 0..15: max is the bottom-right of each block, avg its mean.
  auto [values, indices] = max_pool2d_with_indices(x, 2);
  CHECK(values.to_vector<double>() == std::vector<double>{5, 7, 13, 15});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{5, 7, 13, 15});
  CHECK(avg_pool2d(x, 2).to_vector<double>() == std::vector<double>{2.5, 4.5, 10.5, 12.5});
  // Padding 1, stride 2, 2x2 windows: the corner window holds x[0, 0] and three padded zeros.
  CHECK(avg_pool2d(x, 2, 2, 1, false, false).to_vector<double>()[1] == (1.0 + 2.0) / 2);
  CHECK(avg_pool2d(x, 2, 2, 1).to_vector<double>()[1] == (1.0 + 2.0) / 4);
  // Adaptive to 1x1 is the mean; to 3x3 from 4x4 the windows overlap ([0, 2), [1, 3), [2, 4)).
  CHECK(adaptive_avg_pool2d(x, 1).to_vector<double>() == std::vector<double>{7.5});
  CHECK(adaptive_avg_pool2d(x, {3, 3}).to_vector<double>()[0] == (0.0 + 1 + 4 + 5) / 4);
  // Unbatched inputs keep their rank.
  CHECK(max_pool2d(x.reshape({1, 4, 4}), 2).sizes() == IntList({1, 2, 2}));
  CHECK(conv2d(x.reshape({1, 4, 4}), box).sizes() == IntList({1, 3, 3}));
}

TEST_CASE("conv: gradcheck of conv2d over input weight and bias", "[conv]") {
  manual_seed(11);
  struct Case {
    const char* name;
    std::vector<int64_t> x, w;
    int64_t stride[2], padding[2], dilation[2], groups;
  };
  const std::vector<Case> cases = {
      {"plain", {2, 2, 5, 5}, {3, 2, 3, 3}, {1, 1}, {0, 0}, {1, 1}, 1},
      {"stride 2 padding 1", {1, 2, 6, 5}, {2, 2, 3, 3}, {2, 2}, {1, 1}, {1, 1}, 1},
      {"dilation 2 rectangular", {1, 1, 6, 7}, {2, 1, 2, 3}, {1, 2}, {1, 0}, {2, 1}, 1},
      {"groups 2", {2, 4, 4, 4}, {4, 2, 2, 2}, {1, 1}, {1, 1}, {1, 1}, 2},
      {"1x1 kernel", {2, 3, 3, 3}, {4, 3, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 1},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Tensor x = autograd_test::random_leaf(c.x), w = autograd_test::random_leaf(c.w);
    const Tensor b = autograd_test::random_leaf({c.w[0]});
    auto fn = [&](const std::vector<Tensor>& in) {
      return conv2d(in[0], in[1], in[2], IntList(c.stride, 2), IntList(c.padding, 2), IntList(c.dilation, 2),
                    c.groups);
    };
    REQUIRE_GRADCHECK(fn, (std::vector<Tensor>{x, w, b}));
  }
}

TEST_CASE("conv: second derivatives of conv2d through its backward primitives", "[conv]") {
  manual_seed(12);
  const Tensor x = autograd_test::random_leaf({1, 2, 4, 4}), w = autograd_test::random_leaf({2, 1, 2, 2});
  auto fn = [](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], {}, 2, 1, 1, 2); };
  auto result = autograd::gradgradcheck(fn, std::vector<Tensor>{x, w});
  INFO(result.message);
  CHECK(result.ok);
}

TEST_CASE("conv: gradcheck of conv1d and of the poolings", "[conv]") {
  manual_seed(13);
  const Tensor x1 = autograd_test::random_leaf({2, 2, 7}), w1 = autograd_test::random_leaf({3, 2, 3});
  const Tensor b1 = autograd_test::random_leaf({3});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return conv1d(in[0], in[1], in[2], 2, 1, 1); },
                    (std::vector<Tensor>{x1, w1, b1}));

  const Tensor x = autograd_test::random_leaf({2, 2, 5, 5});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return max_pool2d(in[0], 2); }, std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return max_pool2d(in[0], 3, 2, 1, 1, true); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return max_pool2d(in[0], {2, 3}, {1, 2}, 0, 2); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 3, 2, 1); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 2, 2, 1, true, false); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], {3, 2}); },
                    std::vector<Tensor>{x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], 7); },
                    std::vector<Tensor>{x});
  // Second order: the pooling backward primitives are differentiable too.
  const Tensor small = autograd_test::random_leaf({1, 2, 4, 4});
  for (auto* pool : {+[](const Tensor& t) { return max_pool2d(t, 2, 1); },
                     +[](const Tensor& t) { return avg_pool2d(t, 3, 2, 1, true); },
                     +[](const Tensor& t) { return adaptive_avg_pool2d(t, 3); }}) {
    auto result = autograd::gradgradcheck([pool](const std::vector<Tensor>& in) { return pool(in[0]); },
                                          std::vector<Tensor>{small});
    INFO(result.message);
    CHECK(result.ok);
  }
}

TEST_CASE("conv: float32 kernels on the CNN workload shapes match float64", "[conv]") {
  manual_seed(14);
  struct Layer {
    std::vector<int64_t> x, w;
  };
  // Batch 64: conv 5x5 1->32 on 28x28, then 32->64 on 12x12 (after a 2x2 max pool).
  for (const Layer& layer : {Layer{{64, 1, 28, 28}, {32, 1, 5, 5}}, Layer{{64, 32, 12, 12}, {64, 32, 5, 5}}}) {
    const Tensor x = randn(layer.x), w = randn(layer.w) * 0.2, b = randn({layer.w[0]});
    const Tensor x64 = x.to(kFloat64), w64 = w.to(kFloat64), b64 = b.to(kFloat64);
    const Tensor y = conv2d(x, w, b), y64 = conv2d(x64, w64, b64);
    CHECK(max_abs_diff(y, y64) < 1e-3);
    const Tensor g = randn(y.sizes());
    const Tensor g64 = g.to(kFloat64);
    const IntList x_size = x.sizes(), w_size = w.sizes();
    CHECK(max_abs_diff(conv2d_backward_input(g, w, x_size), conv2d_backward_input(g64, w64, x_size)) < 1e-3);
    CHECK(max_abs_diff(conv2d_backward_weight(g, x, w_size), conv2d_backward_weight(g64, x64, w_size)) < 1e-2);
    const Tensor pooled = max_pool2d(y, 2), pooled64 = max_pool2d(y64, 2);
    CHECK(max_abs_diff(pooled, pooled64) < 1e-3);
  }
}

TEST_CASE("conv: recorded nodes and gradients flow through a small CNN", "[conv]") {
  manual_seed(15);
  const Tensor x = randn({2, 1, 8, 8});
  const Tensor w1 = (randn({4, 1, 3, 3}) * 0.3).requires_grad_(), b1 = zeros({4}).requires_grad_();
  const Tensor w2 = (randn({3, 4, 3, 3}) * 0.3).requires_grad_();
  const Tensor h = max_pool2d(relu(conv2d(x, w1, b1, 1, 1)), 2);
  const Tensor y = adaptive_avg_pool2d(conv2d(h, w2), 1);
  CHECK(std::string(reel::autograd::node_name(y.grad_fn())) == "AdaptiveAvgPool2DBackward");
  CHECK(std::string(reel::autograd::node_name(h.grad_fn())) == "MaxPool2DWithIndicesBackward");
  y.sum().backward();
  REQUIRE(w1.grad().defined());
  CHECK(w1.grad().sizes() == w1.sizes());
  CHECK(b1.grad().sizes() == b1.sizes());
  CHECK(w2.grad().sizes() == w2.sizes());
  CHECK(std::string(reel::autograd::node_name(conv2d(x, w1).grad_fn())) == "ConvolutionBackward");
}

TEST_CASE("conv: misuse throws reel::Error naming the op and the shapes", "[conv]") {
  const Tensor x = ones({1, 3, 5, 5}), w = ones({4, 3, 3, 3});
  check_error([&] { conv2d(ones({3, 5}), w); }, {"conv2d", "[3, 5]"});
  check_error([&] { conv2d(x, ones({4, 3, 3})); }, {"conv2d", "weight", "[4, 3, 3]"});
  check_error([&] { conv2d(ones({1, 4, 5, 5}), w); }, {"conv2d", "[1, 4, 5, 5]", "[4, 3, 3, 3]", "3 channels"});
  check_error([&] { conv2d(ones({1, 6, 5, 5}), ones({3, 3, 3, 3}), {}, 1, 0, 1, 2); },
              {"conv2d", "groups=2", "[3, 3, 3, 3]"});
  check_error([&] { conv2d(x, w, {}, 1, 0, 1, 0); }, {"conv2d", "groups"});
  check_error([&] { conv2d(ones({1, 3, 2, 2}), w); }, {"conv2d", "Kernel size", "[1, 3, 2, 2]"});
  check_error([&] { conv2d(x, w, {}, 1, 0, 3); }, {"conv2d", "Kernel size"});
  check_error([&] { conv2d(x, w, {}, 0); }, {"conv2d", "stride"});
  check_error([&] { conv2d(x, w, {}, 1, -1); }, {"conv2d", "padding"});
  check_error([&] { conv2d(x, w, {}, 1, 0, {1, 0}); }, {"conv2d", "dilation"});
  check_error([&] { conv2d(x, w, {}, {1, 1, 1}); }, {"conv2d", "stride", "[1, 1, 1]"});
  check_error([&] { conv2d(x, w, ones({3})); }, {"conv2d", "bias", "[3]"});
  check_error([&] { conv2d(x, w.to(kFloat64)); }, {"conv2d", "float32", "float64"});
  check_error([&] { conv2d(x.to(kInt64), w.to(kInt64)); }, {"conv2d", "floating", "int64"});
  check_error([&] { conv1d(ones({1, 2, 5}), ones({3, 2, 2, 2})); }, {"conv1d", "[3, 2, 2, 2]"});
  check_error([&] { conv2d_backward_input(ones({1, 4, 2, 2}), w, {1, 3, 5, 5}); },
              {"conv2d_backward_input", "[1, 4, 3, 3]", "[1, 4, 2, 2]"});
  check_error([&] { conv2d_backward_weight(ones({1, 4, 3, 3}), x, {4, 3, 3}); },
              {"conv2d_backward_weight", "weight_size"});

  check_error([&] { max_pool2d(ones({5, 5}), 2); }, {"max_pool2d", "[5, 5]"});
  check_error([&] { max_pool2d(x, 3, 1, 2); }, {"max_pool2d", "half of kernel size"});
  check_error([&] { max_pool2d(x, 0); }, {"max_pool2d", "kernel size"});
  check_error([&] { max_pool2d(x, 2, 0); }, {"max_pool2d", "stride"});
  check_error([&] { max_pool2d(x, 2, 1, 0, 0); }, {"max_pool2d", "dilation"});
  check_error([&] { max_pool2d(x, 6); }, {"max_pool2d", "[1, 3, 5, 5]", "too small"});
  check_error([&] { max_pool2d(x.to(kInt32), 2); }, {"max_pool2d", "floating", "int32"});
  check_error([&] { avg_pool2d(x, 2, 1, -1); }, {"avg_pool2d", "non-negative"});
  check_error([&] { avg_pool2d(ones({0, 3, 5}), 2); }, {"avg_pool2d", "[1, 0, 3, 5]"});
  check_error([&] { adaptive_avg_pool2d(x, {2, -1}); }, {"adaptive_avg_pool2d", "output_size"});
  check_error([&] { adaptive_avg_pool2d(x, {1, 2, 3}); }, {"adaptive_avg_pool2d", "output_size"});
  check_error([&] { max_pool2d_backward(ones({1, 1, 1, 1}), full({1, 1, 1, 1}, 9, kInt64), {1, 1, 2, 2}); },
              {"max_pool2d_backward", "index 9"});
  check_error([&] { max_pool2d_backward(ones({1, 1, 1, 1}), ones({1, 1, 1, 1}), {1, 1, 2, 2}); },
              {"max_pool2d_backward", "int64"});
  if (cuda::is_available()) {
    check_error([&] { conv2d(x, w.to(kCUDA)); }, {"conv2d", "device"});
    check_error([&] { conv2d(x, w, ones({4}).to(kCUDA)); }, {"conv2d", "device"});
  }
}
