// reel/test/test_nn_conv_options.cpp — the convolution layers and functions with LibTorch's options
// (nn/conv_options.h): the builders and their defaults, printing as PyTorch prints, refused settings, and values and
// gradients against PyTorch itself: test/fixtures/torch/conv.npz was written by PyTorch 2.15
// (test/fixtures/torch/make_torch_conv.py, float64 on the CPU) and holds, per case, the module's parameters, an
// input, output weights wy, PyTorch's output and the gradients of loss = sum(y wy) for the parameters and the input.
// The cases cover padding "same" (asymmetric with even kernels), "valid", the reflect / replicate / circular padding
// modes, Conv3d with groups, stride, padding and dilation, and the transposed convolutions (output_padding, also at
// or above the stride, output_size, groups, dilation, the DCGAN generator's first layers).
#include <reel/reel.h>

#include <catch2/catch.hpp>

#include "torch_fixture.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

const reel_test::TorchFixture& fixture() {
  static const reel_test::TorchFixture arrays("conv.npz");
  return arrays;
}

const Tensor& array(const std::string& name) { return fixture().array(name); }

using reel_test::check_close;

// Loads the case's parameters into the module, runs forward (through `run`), and checks the output and the
// gradients of sum(y wy) against PyTorch's.
template <typename Holder, typename Run>
void check_case(const std::string& name, Holder& module, Run&& run) {
  INFO("case " << name);
  module->to(reel::kFloat64);
  {
    reel::NoGradGuard no_grad;
    for (auto& [key, parameter] : module->named_parameters()) parameter.copy_(array(name + "." + key));
  }
  const Tensor x = array(name + ".x").clone().requires_grad_();
  const Tensor y = run(x);
  check_close(y, array(name + ".y"), "output");
  (y * array(name + ".wy")).sum().backward();
  for (const auto& [key, parameter] : module->named_parameters())
    check_close(parameter.grad(), array(name + ".grad." + key), "gradient of " + key);
  check_close(x.grad(), array(name + ".grad.x"), "gradient of the input");
}

template <typename Holder>
void check_case(const std::string& name, Holder& module) {
  check_case(name, module, [&](const Tensor& x) { return module(x); });
}

}  // namespace

TEST_CASE("ConvOptions: LibTorch's builders and defaults", "[nn][conv_options]") {
  const nn::Conv2dOptions o(1, 64, 4);
  CHECK(o.in_channels() == 1);
  CHECK(o.out_channels() == 64);
  CHECK(o.kernel_size().vec() == std::vector<int64_t>{4, 4});
  CHECK(o.stride().vec() == std::vector<int64_t>{1, 1});
  CHECK(o.padding().is_numbers());
  CHECK(o.padding().values().vec() == std::vector<int64_t>{0, 0});
  CHECK(o.dilation().vec() == std::vector<int64_t>{1, 1});
  CHECK(o.groups() == 1);
  CHECK(o.bias());
  CHECK(o.padding_mode() == "zeros");

  const auto built = nn::Conv2dOptions(3, 8, {3, 5})
                         .stride(2)
                         .padding({1, 2})
                         .dilation({1, 2})
                         .groups(1)
                         .bias(false)
                         .padding_mode(reel::kReflect);
  CHECK(built.kernel_size().vec() == std::vector<int64_t>{3, 5});
  CHECK(built.stride().vec() == std::vector<int64_t>{2, 2});
  CHECK(built.padding().values().vec() == std::vector<int64_t>{1, 2});
  CHECK(built.dilation().vec() == std::vector<int64_t>{1, 2});
  CHECK_FALSE(built.bias());
  CHECK(built.padding_mode() == "reflect");
  CHECK(nn::Conv1dOptions(2, 2, 3).padding(reel::kSame).padding().is_same());
  CHECK(nn::Conv3dOptions(2, 2, 3).padding(reel::kValid).padding().is_valid());
  CHECK(nn::Conv3dOptions(2, 2, {1, 2, 3}).kernel_size().vec() == std::vector<int64_t>{1, 2, 3});
  CHECK_THROWS_WITH(nn::Conv2dOptions(2, 2, {1, 2, 3}), Catch::Contains("expected 2 values"));

  const nn::ConvTranspose2dOptions t(100, 256, 4);
  CHECK(t.output_padding().vec() == std::vector<int64_t>{0, 0});
  CHECK(t.dilation().vec() == std::vector<int64_t>{1, 1});
  CHECK(t.groups() == 1);
  CHECK(t.bias());
  const F::Conv2dFuncOptions f;
  CHECK_FALSE(f.bias().defined());
  CHECK(f.stride().vec() == std::vector<int64_t>{1, 1});
  CHECK(F::ConvTranspose1dFuncOptions().output_padding().vec() == std::vector<int64_t>{0});
}

TEST_CASE("Conv layers from options: parameters and PyTorch's printing", "[nn][conv_options]") {
  nn::Conv2d conv(nn::Conv2dOptions(1, 64, 4).stride(2).padding(1).bias(false));
  CHECK(conv->weight.sizes() == reel::IntList{64, 1, 4, 4});
  CHECK_FALSE(conv->bias.defined());
  CHECK(conv->named_parameters().size() == 1);
  CHECK(conv->extra_repr() == "1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False");

  // the strings PyTorch 2.15 prints for the fixture's modules (make_torch_conv.py)
  CHECK(nn::Conv1d(nn::Conv1dOptions(2, 3, 4).padding(reel::kSame))->extra_repr() ==
        "2, 3, kernel_size=(4,), stride=(1,), padding=same");
  CHECK(nn::Conv2d(nn::Conv2dOptions(1, 2, {2, 3}).padding(reel::kSame).padding_mode(reel::kReplicate).bias(false))
            ->extra_repr() ==
        "1, 2, kernel_size=(2, 3), stride=(1, 1), padding=same, bias=False, padding_mode=replicate");
  CHECK(nn::Conv2d(nn::Conv2dOptions(3, 2, 2).padding(reel::kValid))->extra_repr() ==
        "3, 2, kernel_size=(2, 2), stride=(1, 1), padding=valid");
  CHECK(
      nn::Conv3d(nn::Conv3dOptions(4, 6, {2, 3, 2}).stride({2, 1, 1}).padding({1, 0, 1}).dilation({1, 2, 1}).groups(2))
          ->extra_repr() ==
      "4, 6, kernel_size=(2, 3, 2), stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2");
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(4, 6, {3, 2})
                             .stride({2, 3})
                             .padding({1, 0})
                             .output_padding({1, 2})
                             .groups(2)
                             .dilation({1, 2}));
  CHECK(up->extra_repr() ==
        "4, 6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), dilation=(1, 2), output_padding=(1, 2), groups=2");
  CHECK(up->weight.sizes() == reel::IntList{4, 3, 3, 2});
  CHECK(up->bias.sizes() == reel::IntList{6});
  CHECK(nn::ConvTranspose1d(nn::ConvTranspose1dOptions(3, 2, 4).stride(2).padding(1).bias(false))->extra_repr() ==
        "3, 2, kernel_size=(4,), stride=(2,), padding=(1,), bias=False");

  // the positional constructors stay
  nn::Conv2d positional(3, 16, 3, 1, 1);
  CHECK(positional->extra_repr() == "3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)");
  nn::Conv1d positional1(2, 4, 3);
  CHECK(positional1->weight.sizes() == reel::IntList{4, 2, 3});
  nn::Conv3d positional3(2, 4, {3, 1, 1});
  CHECK(positional3->weight.sizes() == reel::IntList{4, 2, 3, 1, 1});
}

TEST_CASE("Conv layers initialise as PyTorch: U(+-1/sqrt(fan_in)), fan_in from weight.size(1)", "[nn][conv_options]") {
  reel::manual_seed(3);
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(16, 6, 4).groups(2));  // fan_in = 6 / 2 * 16 = 48
  const double bound = 1.0 / std::sqrt(48.0);
  CHECK(up->weight.abs().max().item<double>() <= bound);
  CHECK(up->weight.abs().max().item<double>() > 0.8 * bound);
  CHECK(up->bias.abs().max().item<double>() <= bound);
}

TEST_CASE("Conv options: refused settings throw reel::Error", "[nn][conv_options]") {
  CHECK_THROWS_WITH(nn::Conv2d(nn::Conv2dOptions(2, 2, 3).stride(2).padding(reel::kSame)),
                    Catch::Contains("padding='same' is not supported for strided convolutions"));
  CHECK_THROWS_WITH(nn::Conv2d(nn::Conv2dOptions(2, 2, 3).padding_mode("mirror")),
                    Catch::Contains("padding_mode must be one of"));
  CHECK_THROWS_WITH(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2, 2, 3).padding_mode(reel::kReflect)),
                    Catch::Contains("Only \"zeros\" padding mode is supported for ConvTranspose2d"));
  CHECK_THROWS_WITH(nn::Conv2d(nn::Conv2dOptions(3, 2, 3).groups(2)), Catch::Contains("divisible by groups"));
  CHECK_THROWS_WITH(
      F::conv1d(reel::randn({1, 2, 5}), reel::randn({2, 2, 3}), F::Conv1dFuncOptions().stride(2).padding(reel::kSame)),
      Catch::Contains("conv1d: padding='same' is not supported for strided convolutions"));
  nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(2, 2, 3).stride(2));
  CHECK_THROWS_WITH(up->forward(reel::randn({1, 2, 4, 4}), reel::IntList{11, 9}),
                    Catch::Contains("requested an output size of [11, 9], but valid sizes range from 9 to 10"));
  CHECK_THROWS_WITH(up->forward(reel::randn({1, 2, 4, 4}), reel::IntList{1, 10, 10}),
                    Catch::Contains("output_size must have 2 or 4 elements"));
}

TEST_CASE("Conv layers with options match PyTorch: padding same/valid, padding modes, Conv3d", "[nn][conv_options]") {
  {
    nn::Conv1d m(nn::Conv1dOptions(2, 3, 4).padding(reel::kSame));
    check_case("conv1d_same_even", m);
  }
  {
    nn::Conv2d m(nn::Conv2dOptions(2, 2, {3, 4}).padding(reel::kSame).dilation({2, 1}));
    check_case("conv2d_same_dilated", m);
  }
  {
    nn::Conv2d m(nn::Conv2dOptions(2, 3, 3).padding({1, 2}).padding_mode(reel::kReflect));
    check_case("conv2d_reflect", m);
  }
  {
    nn::Conv2d m(nn::Conv2dOptions(1, 2, {2, 3}).padding(reel::kSame).padding_mode(reel::kReplicate).bias(false));
    check_case("conv2d_replicate_same", m);
  }
  {
    nn::Conv1d m(nn::Conv1dOptions(2, 2, 3).stride(2).padding(2).padding_mode(reel::kCircular));
    check_case("conv1d_circular", m);
  }
  {
    nn::Conv2d m(nn::Conv2dOptions(3, 2, 2).padding(reel::kValid));
    check_case("conv2d_valid_unbatched", m);
  }
  {
    nn::Conv3d m(nn::Conv3dOptions(4, 6, {2, 3, 2}).stride({2, 1, 1}).padding({1, 0, 1}).dilation({1, 2, 1}).groups(2));
    check_case("conv3d", m);
  }
  {
    nn::Conv3d m(nn::Conv3dOptions(2, 3, 2).padding(reel::kSame));
    check_case("conv3d_same_unbatched", m);
  }
}

TEST_CASE("ConvTranspose layers match PyTorch (output_padding, output_size, groups, DCGAN)", "[nn][conv_options]") {
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(4, 6, {3, 2})
                              .stride({2, 3})
                              .padding({1, 0})
                              .output_padding({1, 2})
                              .groups(2)
                              .dilation({1, 2}));
    check_case("conv_transpose2d", m);
  }
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(2, 3, 3).output_padding(1).dilation(2));
    check_case("conv_transpose2d_big_output_padding", m);
  }
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(3, 2, 3).stride(2).padding(1));
    check_case("conv_transpose2d_output_size", m, [&](const Tensor& x) { return m(x, reel::IntList{8, 6}); });
  }
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(3, 2, 3).stride(2).padding(1));
    // the full size (N, C, H, W) is accepted too
    check_case("conv_transpose2d_output_size", m, [&](const Tensor& x) {
      return m->forward(x, reel::IntList{2, 2, 8, 6});
    });
  }
  {
    nn::ConvTranspose1d m(nn::ConvTranspose1dOptions(3, 2, 4).stride(2).padding(1).bias(false));
    check_case("conv_transpose1d", m);
  }
  {
    nn::ConvTranspose1d m(nn::ConvTranspose1dOptions(2, 4, 3).stride(3).output_padding(2).groups(2));
    check_case("conv_transpose1d_unbatched", m);
  }
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(10, 8, 4).bias(false));
    check_case("dcgan1", m);
  }
  {
    nn::ConvTranspose2d m(nn::ConvTranspose2dOptions(8, 4, 4).stride(2).padding(1).bias(false));
    check_case("dcgan2", m);
  }
}

TEST_CASE("F::conv*d and F::conv_transpose*d with FuncOptions equal the layers and the positional calls",
          "[nn][conv_options]") {
  reel::manual_seed(5);
  const Tensor x = reel::randn({2, 4, 6, 5}, reel::kFloat64), w = reel::randn({2, 2, 3, 2}, reel::kFloat64),
               b = reel::randn({2}, reel::kFloat64);
  const Tensor expected = reel::conv2d(x, w, b, {2, 1}, {1, 0}, {1, 2}, 2);
  const Tensor got =
      F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).stride({2, 1}).padding({1, 0}).dilation({1, 2}).groups(2));
  CHECK(reel::allclose(got, expected, 0, 0));
  // "same" with an odd total: the extra zero column goes on the right, as an explicitly padded "valid" convolution
  const Tensor w_even = reel::randn({3, 4, 3, 2}, reel::kFloat64);
  const Tensor same = F::conv2d(x, w_even, F::Conv2dFuncOptions().padding(reel::kSame));
  CHECK(same.sizes() == reel::IntList{2, 3, 6, 5});
  const Tensor manual = reel::conv2d(F::pad(x, {0, 1, 1, 1}), w_even);
  CHECK(reel::allclose(same, manual, 1e-12, 1e-12));

  const Tensor wt = reel::randn({4, 3, 3, 3}, reel::kFloat64);
  CHECK(
      reel::allclose(F::conv_transpose2d(x, wt, F::ConvTranspose2dFuncOptions().stride(2).padding(1).output_padding(1)),
                     reel::conv_transpose2d(x, wt, {}, 2, 1, 1), 0, 0));
  const Tensor x3 = reel::randn({1, 2, 3, 4, 4}, reel::kFloat64), w3 = reel::randn({3, 2, 2, 2, 2}, reel::kFloat64);
  CHECK(reel::allclose(F::conv3d(x3, w3, F::Conv3dFuncOptions().stride(2)), reel::conv3d(x3, w3, {}, 2), 0, 0));
}
