// reel/test/test_nn_pooling.cpp — the pooling layers and F:: functions with LibTorch's options (nn/pooling.h): the
// builders and their defaults, printing as PyTorch 2.15 prints the same layers, refused settings, the layers and
// F:: forms against the tensor-level ops (whose values the op table checks against float64 references), and a few
// values PyTorch 2.15 computed (written out below: avg_pool2d with divisor_override, AvgPool1d with ceil_mode and
// padding, MaxPool2d indices through MaxUnpool2d, adaptive_max_pool2d with overlapping windows).
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

void check_values(const Tensor& got, const std::vector<double>& expected) {
  const std::vector<double> values = got.to(reel::kFloat64).contiguous().to_vector<double>();
  REQUIRE(values.size() == expected.size());
  for (size_t i = 0; i < values.size(); ++i) CHECK(values[i] == Approx(expected[i]).epsilon(1e-12));
}

void check_same(const Tensor& a, const Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  CHECK(a.to_vector<double>() == b.to_vector<double>());
}

}  // namespace

TEST_CASE("pooling options: LibTorch's builders and defaults", "[nn][pooling]") {
  const nn::MaxPool2dOptions m(3);
  CHECK(m.kernel_size().vec() == std::vector<int64_t>{3, 3});
  CHECK(m.stride().vec() == std::vector<int64_t>{3, 3});  // stride defaults to kernel_size
  CHECK(m.padding().vec() == std::vector<int64_t>{0, 0});
  CHECK(m.dilation().vec() == std::vector<int64_t>{1, 1});
  CHECK_FALSE(m.ceil_mode());
  const nn::AvgPool3dOptions a({2, 3, 4});
  CHECK(a.stride().vec() == std::vector<int64_t>{2, 3, 4});
  CHECK(a.count_include_pad());
  CHECK_FALSE(a.divisor_override().has_value());
  CHECK(nn::AvgPool2dOptions(2).divisor_override(3).divisor_override() == 3);
  CHECK(nn::AdaptiveMaxPool2dOptions({2, 3}).output_size().vec() == std::vector<int64_t>{2, 3});
  const F::MaxUnpool2dFuncOptions u(2);
  CHECK(u.stride().vec() == std::vector<int64_t>{2, 2});
  CHECK_FALSE(u.output_size().has_value());
}

TEST_CASE("pooling layers print as PyTorch", "[nn][pooling]") {
  // the strings PyTorch 2.15 prints for the same layers
  CHECK(nn::MaxPool1d(nn::MaxPool1dOptions(3))->str() ==
        "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2))->str() ==
        "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool3d(nn::MaxPool3dOptions({2, 2, 2}))->str() ==
        "MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::AvgPool1d(nn::AvgPool1dOptions(3))->str() == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))");
  CHECK(nn::AvgPool2d(nn::AvgPool2dOptions(3))->str() == "AvgPool2d(kernel_size=3, stride=3, padding=0)");
  CHECK(nn::AvgPool3d(nn::AvgPool3dOptions(2).divisor_override(3))->str() ==
        "AvgPool3d(kernel_size=2, stride=2, padding=0)");
  CHECK(nn::AdaptiveAvgPool1d(nn::AdaptiveAvgPool1dOptions(3))->str() == "AdaptiveAvgPool1d(output_size=3)");
  CHECK(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({2, 3}))->str() == "AdaptiveAvgPool2d(output_size=(2, 3))");
  CHECK(nn::AdaptiveAvgPool3d(nn::AdaptiveAvgPool3dOptions(2))->str() == "AdaptiveAvgPool3d(output_size=2)");
  CHECK(nn::AdaptiveMaxPool1d(nn::AdaptiveMaxPool1dOptions(4))->str() == "AdaptiveMaxPool1d(output_size=4)");
  CHECK(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions(2))->str() == "AdaptiveMaxPool2d(output_size=2)");
  CHECK(nn::MaxUnpool2d(nn::MaxUnpool2dOptions(2))->str() ==
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  CHECK(nn::MaxUnpool2d(nn::MaxUnpool2dOptions(3).stride(2).padding(1))->str() ==
        "MaxUnpool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
  // reel's positional constructors print as before
  CHECK(nn::MaxPool2d({3, 3}, {2, 1}, 1, 1, true)->str() ==
        "MaxPool2d(kernel_size=(3, 3), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)");
  CHECK(nn::AdaptiveAvgPool2d(1)->str() == "AdaptiveAvgPool2d(output_size=1)");
}

TEST_CASE("pooling layers and F:: forms equal the tensor-level ops", "[nn][pooling]") {
  reel::manual_seed(11);
  const Tensor x1 = reel::randn({2, 3, 9}, reel::kFloat64);
  const Tensor x2 = reel::randn({2, 3, 7, 8}, reel::kFloat64);
  const Tensor x3 = reel::randn({2, 3, 5, 6, 7}, reel::kFloat64);
  check_same(nn::MaxPool1d(nn::MaxPool1dOptions(3).stride(2).padding(1).dilation(2))(x1),
             reel::max_pool1d(x1, 3, 2, 1, 2));
  check_same(nn::MaxPool2d(nn::MaxPool2dOptions({3, 2}).stride({2, 1}).ceil_mode(true))(x2),
             reel::max_pool2d(x2, {3, 2}, {2, 1}, 0, 1, true));
  auto [values, indices] = nn::MaxPool3d(nn::MaxPool3dOptions(2).padding(1))->forward_with_indices(x3);
  auto [values_op, indices_op] = reel::max_pool3d_with_indices(x3, 2, {}, 1);
  check_same(values, values_op);
  check_same(indices, indices_op);
  check_same(nn::AvgPool1d(nn::AvgPool1dOptions(4).count_include_pad(false).padding(2))(x1),
             reel::avg_pool1d(x1, 4, {}, 2, false, false));
  check_same(nn::AvgPool3d(nn::AvgPool3dOptions({2, 3, 2}).stride(1).divisor_override(5))(x3),
             reel::avg_pool3d(x3, {2, 3, 2}, 1, 0, false, true, 5));
  check_same(nn::AdaptiveAvgPool1d(nn::AdaptiveAvgPool1dOptions(4))(x1), reel::adaptive_avg_pool1d(x1, 4));
  check_same(nn::AdaptiveAvgPool3d(nn::AdaptiveAvgPool3dOptions({2, 3, 4}))(x3),
             reel::adaptive_avg_pool3d(x3, {2, 3, 4}));
  check_same(nn::AdaptiveMaxPool1d(nn::AdaptiveMaxPool1dOptions(4))(x1), std::get<0>(reel::adaptive_max_pool1d(x1, 4)));
  check_same(std::get<1>(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({3, 5}))->forward_with_indices(x2)),
             std::get<1>(reel::adaptive_max_pool2d(x2, {3, 5})));
  check_same(F::max_pool2d(x2, F::MaxPool2dFuncOptions(2)), reel::max_pool2d(x2, 2));
  check_same(F::avg_pool2d(x2, F::AvgPool2dFuncOptions(3).stride(2).padding(1)), reel::avg_pool2d(x2, 3, 2, 1));
  check_same(F::adaptive_avg_pool2d(x2, F::AdaptiveAvgPool2dFuncOptions(3)), reel::adaptive_avg_pool2d(x2, 3));
  check_same(F::adaptive_max_pool2d(x2, F::AdaptiveMaxPool2dFuncOptions(3)),
             std::get<0>(reel::adaptive_max_pool2d(x2, 3)));
}

TEST_CASE("pooling values PyTorch 2.15 computed", "[nn][pooling]") {
  const Tensor x = reel::arange(30, reel::kFloat64).reshape({1, 1, 5, 6});
  // F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, divisor_override=4)
  check_values(F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true).divisor_override(4)),
               {3.5, 7.5, 10.5, 4.0, 18.75, 31.5, 36.0, 12.75, 21.5, 34.5, 37.5, 13.0});
  // nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)(arange(7))
  check_values(nn::AvgPool1d(nn::AvgPool1dOptions(3).stride(2).padding(1).ceil_mode(true))(
                   reel::arange(7, reel::kFloat64).reshape({1, 1, 7})),
               {1.0 / 3.0, 2.0, 4.0, 11.0 / 3.0});
  const Tensor planes =
      reel::tensor(std::vector<double>{1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 7, 9, 6, 1, 3, 2}).reshape({1, 1, 4, 4});
  auto [pooled, indices] = nn::MaxPool2d(nn::MaxPool2dOptions(2))->forward_with_indices(planes);
  check_values(pooled, {5, 8, 6, 9});
  check_values(indices, {1, 6, 12, 11});
  nn::MaxUnpool2d unpool(nn::MaxUnpool2dOptions(2));
  check_values(unpool(pooled, indices), {0, 5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 9, 6, 0, 0, 0});
  CHECK(unpool(pooled, indices, std::vector<int64_t>{5, 5}).sizes() == reel::IntList{1, 1, 5, 5});
  CHECK(unpool(pooled, indices, std::vector<int64_t>{1, 1, 5, 5}).sizes() == reel::IntList{1, 1, 5, 5});
  // F.adaptive_max_pool2d(planes, (3, 2), return_indices=True): overlapping row bands
  auto [adaptive, adaptive_index] =
      F::adaptive_max_pool2d_with_indices(planes, F::AdaptiveMaxPool2dFuncOptions({3, 2}));
  check_values(adaptive, {5, 8, 4, 9, 6, 9});
  check_values(adaptive_index, {1, 6, 5, 11, 12, 11});
}

TEST_CASE("pooling options: refused settings throw reel::Error", "[nn][pooling]") {
  CHECK_THROWS_WITH(nn::MaxPool3d(nn::MaxPool3dOptions(0)),
                    Catch::StartsWith("MaxPool3d: kernel_size must be positive"));
  CHECK_THROWS_WITH(nn::AvgPool2d(nn::AvgPool2dOptions(2).divisor_override(0)),
                    Catch::Contains("divisor must be not zero"));
  CHECK_THROWS_WITH(nn::MaxPool2dOptions({1, 2, 3}), Catch::Contains("expected 2 values"));
  const Tensor y = reel::randn({1, 1, 2, 2});
  const Tensor k = reel::zeros({1, 1, 2, 2}, reel::kInt64);
  nn::MaxUnpool2d unpool(nn::MaxUnpool2dOptions(2));
  CHECK_THROWS_WITH(unpool(y, k, std::vector<int64_t>{6, 4}), Catch::Contains("dim 0 must be between 2 and 6"));
  CHECK_THROWS_WITH(reel::max_unpool2d(y, k + 9, {3, 3}), Catch::Contains("Found an invalid max index: 9"));
  CHECK_THROWS_WITH(reel::max_pool3d(reel::randn({2, 3, 4}), 2), Catch::Contains("max_pool3d: expected a 4-D"));
  CHECK_THROWS_WITH(reel::adaptive_max_pool2d(reel::randn({1, 0, 3, 3}), 2),
                    Catch::Contains("adaptive_max_pool2d: expected input to have non-zero size"));
}
