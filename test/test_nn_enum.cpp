// reel/test/test_nn_enum.cpp — LibTorch's enum values (nn/enum.h): each tag's PyTorch name, its conversions to
// reel's option types (std::string, nn::Reduction), and that option structs and losses accept the tags.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include "reel.h"

using namespace reel;

TEST_CASE("enum tags carry PyTorch's names", "[nn][enum]") {
  CHECK(enum_name(kSum) == "sum");
  CHECK(enum_name(kMean) == "mean");
  CHECK(enum_name(kNone) == "none");
  CHECK(enum_name(kBatchMean) == "batchmean");
  CHECK(enum_name(kReflect) == "reflect");
  CHECK(enum_name(kReplicate) == "replicate");
  CHECK(enum_name(kCircular) == "circular");
  CHECK(enum_name(kZeros) == "zeros");
  CHECK(enum_name(kNearestExact) == "nearest-exact");
  CHECK(enum_name(kLeakyReLU) == "leaky_relu");
  CHECK(enum_name(kFanIn) == "fan_in");
  CHECK(enum_name(kSame) == "same");
  CHECK(enum_name(kValid) == "valid");
  CHECK(enum_name(kGRU) == "GRU");
  CHECK(std::string(kBilinear) == "bilinear");
  // each tag is its own type, as in LibTorch's torch::enumtype
  STATIC_REQUIRE(!std::is_same_v<decltype(kSum), decltype(kMean)>);
  STATIC_REQUIRE(std::is_same_v<std::decay_t<decltype(kSum)>, enumtype::kSum>);
}

TEST_CASE("reduction tags convert to nn::Reduction and drive the losses", "[nn][enum]") {
  CHECK(static_cast<nn::Reduction>(kSum) == nn::Reduction::Sum);
  CHECK(static_cast<nn::Reduction>(kMean) == nn::Reduction::Mean);
  CHECK(static_cast<nn::Reduction>(kNone) == nn::Reduction::None);
  CHECK(static_cast<nn::Reduction>(kBatchMean) == nn::Reduction::BatchMean);
  CHECK(nn::MSELossOptions().reduction(kSum).reduction() == nn::Reduction::Sum);

  // the integer codes of at::Reduction
  CHECK(static_cast<int64_t>(Reduction::None) == 0);
  CHECK(static_cast<int64_t>(Reduction::Mean) == 1);
  CHECK(static_cast<int64_t>(Reduction::Sum) == 2);

  Tensor x = tensor({1.0, 2.0, 4.0});
  Tensor y = tensor({0.0, 0.0, 1.0});
  // squared errors 1, 4, 9
  nn::MSELoss sum_loss(nn::MSELossOptions().reduction(kSum));
  CHECK(sum_loss(x, y).item<double>() == 14.0);
  CHECK(nn::functional::mse_loss(x, y, kMean).item<double>() == Approx(14.0 / 3.0));
}
