// reel/test/test_nn_layer_options.cpp — LibTorch's option builders for the basic, normalization and cell layers
// (LinearOptions, BilinearOptions, FlattenOptions, UnflattenOptions, BatchNorm*Options, InstanceNorm*Options,
// LayerNormOptions, GroupNormOptions, LocalResponseNormOptions, RNNCellOptions, LSTMCellOptions, GRUCellOptions)
// beside today's constructors, and the new layers and functions against float64 references written here as
// loops: BatchNorm3d, InstanceNorm1d/2d/3d (batched, unbatched, running statistics), GroupNorm, LocalResponseNorm,
// with gradcheck of the differentiable ones and PyTorch's printing.
#include <catch2/catch.hpp>

#include <cmath>
#include <variant>
#include <string>
#include <vector>

#include "autograd_test_utils.h"

namespace {

using namespace reel;
using autograd_test::error_of;
using autograd_test::require_close;
using autograd_test::values;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

// Normalises x viewed as [outer, groups, inner] over inner for each (outer, group), biased variance, then scales by
// w[channel] + b[channel] with channel = (flat index / spatial) % channels; returns x's shape.
Tensor reference_normalize(const Tensor& x, int64_t outer, int64_t groups, double eps, const std::vector<double>& w,
                           const std::vector<double>& b, int64_t channels, int64_t spatial) {
  const std::vector<double> v = values(x);
  const int64_t inner = static_cast<int64_t>(v.size()) / (outer * groups);
  std::vector<double> out(v.size());
  for (int64_t g = 0; g < outer * groups; ++g) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i) mean += v[static_cast<size_t>(g * inner + i)];
    mean /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) var += std::pow(v[static_cast<size_t>(g * inner + i)] - mean, 2);
    var /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t flat = g * inner + i;
      const int64_t c = (flat / spatial) % channels;
      const double scale = w.empty() ? 1.0 : w[static_cast<size_t>(c)], shift = b.empty() ? 0.0 : b[static_cast<size_t>(c)];
      out[static_cast<size_t>(flat)] = (v[static_cast<size_t>(flat)] - mean) / std::sqrt(var + eps) * scale + shift;
    }
  }
  return tensor(out, kFloat64).view(x.sizes());
}

}  // namespace

TEST_CASE("Linear, Bilinear, Flatten and Unflatten options", "[nn][options]") {
  nn::Linear no_bias(nn::LinearOptions(5, 2).bias(false));
  CHECK(!no_bias->bias.defined());
  CHECK(no_bias->str() == "Linear(in_features=5, out_features=2, bias=False)");
  CHECK(nn::Linear(nn::LinearOptions(5, 2))->bias.defined());
  CHECK(no_bias->options.in_features() == 5);
  CHECK(!no_bias->options.bias());
  CHECK(nn::Linear(7, 3)->options.out_features() == 3);
  CHECK(nn::LayerNorm(std::vector<int64_t>{3, 4})->options.normalized_shape() == std::vector<int64_t>{3, 4});
  nn::Bilinear bilinear(nn::BilinearOptions(3, 2, 4).bias(false));
  CHECK(bilinear->str() == "Bilinear(in1_features=3, in2_features=2, out_features=4, bias=False)");
  CHECK(nn::Flatten(nn::FlattenOptions().start_dim(2).end_dim(3))->str() == "Flatten(start_dim=2, end_dim=3)");
  CHECK(nn::Flatten(nn::FlattenOptions())(zeros({2, 3, 4})).sizes() == IntList{2, 12});
  nn::Unflatten unflatten(nn::UnflattenOptions(1, {2, 5}));
  CHECK(unflatten->str() == "Unflatten(dim=1, unflattened_size=(2, 5))");
  const Tensor x = randn({3, 10, 2});
  const Tensor y = unflatten(x);
  CHECK(y.sizes() == IntList{3, 2, 5, 2});
  require_close(nn::Flatten(nn::FlattenOptions().start_dim(1).end_dim(2))(y), x, 0.0);
  CHECK(nn::Unflatten(0, std::vector<int64_t>{-1, 2})(zeros({6})).sizes() == IntList{3, 2});
  CHECK_THAT(error_of([&] { unflatten(zeros({3, 7})); }), Catch::Contains("unflatten"));
}

TEST_CASE("BatchNorm options and BatchNorm3d against float64 loops", "[nn][options][norm]") {
  nn::BatchNorm1d cumulative(nn::BatchNorm1dOptions(4).momentum(std::nullopt).affine(false).eps(1e-3));
  CHECK(cumulative->str() == "BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=True)");
  CHECK(cumulative->options.num_features() == 4);
  CHECK(nn::BatchNorm2d(128)->num_features == 128);  // today's constructor keeps working
  nn::BatchNorm3d bn(nn::BatchNorm3dOptions(3).momentum(0.2));
  bn->to(kFloat64);
  CHECK(bn->str() == "BatchNorm3d(3, eps=1e-05, momentum=0.2, affine=True, track_running_stats=True)");
  {
    NoGradGuard no_grad;
    bn->weight.copy_(tensor({0.5, 2.0, -1.0}, kFloat64));
    bn->bias.copy_(tensor({0.1, 0.0, 0.3}, kFloat64));
  }
  const Tensor x = randn({2, 3, 2, 3, 2}, kFloat64);
  const Tensor y = bn(x);
  // channel c's statistics over N, D, H, W: move C to the front
  const Tensor by_channel = x.transpose(0, 1).contiguous();
  const Tensor expected = reference_normalize(by_channel, 1, 3, 1e-5, {0.5, 2.0, -1.0}, {0.1, 0.0, 0.3}, 3, 24);
  require_close(y, expected.transpose(0, 1), 1e-10);
  const std::vector<double> bv = values(by_channel);
  for (int64_t c = 0; c < 3; ++c) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < 24; ++i) mean += bv[static_cast<size_t>(c * 24 + i)] / 24.0;
    for (int64_t i = 0; i < 24; ++i) var += std::pow(bv[static_cast<size_t>(c * 24 + i)] - mean, 2) / 23.0;
    CHECK(std::abs(bn->running_mean[c].item<double>() - 0.2 * mean) < 1e-12);
    CHECK(std::abs(bn->running_var[c].item<double>() - (0.8 + 0.2 * var)) < 1e-12);
  }
  CHECK_THAT(error_of([&] { bn(zeros({2, 3, 4, 4}, kFloat64)); }), Catch::Contains("BatchNorm3d: expected 5D input"));
  // F::batch_norm with BatchNormFuncOptions is the positional form
  const Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
  require_close(F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().training(true).eps(1e-5)),
                F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5), 1e-12);
  CHECK_THAT(error_of([&] { F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().momentum(std::nullopt)); }),
             Catch::Contains("momentum() must be set"));
}

TEST_CASE("LayerNorm options and F::layer_norm with LayerNormFuncOptions", "[nn][options][norm]") {
  nn::LayerNorm ln(nn::LayerNormOptions({4, 5}).elementwise_affine(false).eps(1e-6));
  CHECK(ln->str() == "LayerNorm((4, 5), eps=1e-06, elementwise_affine=False)");
  CHECK(!ln->weight.defined());
  const Tensor x = randn({3, 4, 5}, kFloat64);
  require_close(ln(x), reference_normalize(x, 3, 1, 1e-6, {}, {}, 1, 1), 1e-10);
  const Tensor w = randn({5}, kFloat64), b = randn({5}, kFloat64);
  require_close(F::layer_norm(x, F::LayerNormFuncOptions({5}).weight(w).bias(b).eps(1e-4)),
                F::layer_norm(x, {5}, w, b, 1e-4), 0.0);
}

TEST_CASE("GroupNorm against a float64 loop, gradcheck and printing", "[nn][options][norm]") {
  nn::GroupNorm gn(nn::GroupNormOptions(2, 6).eps(1e-4));
  CHECK(gn->str() == "GroupNorm(2, 6, eps=0.0001, affine=True)");
  CHECK(nn::GroupNorm(3, 6)->str() == "GroupNorm(3, 6, eps=1e-05, affine=True)");
  CHECK(!nn::GroupNorm(nn::GroupNormOptions(3, 6).affine(false))->weight.defined());
  gn->to(kFloat64);
  const std::vector<double> w{0.5, 1.5, -1, 2, 1, 0.25}, b{0, 0.1, 0.2, 0.3, -0.4, 0.5};
  {
    NoGradGuard no_grad;
    gn->weight.copy_(tensor(w, kFloat64));
    gn->bias.copy_(tensor(b, kFloat64));
  }
  const Tensor x = randn({3, 6, 2, 2}, kFloat64);
  require_close(gn(x), reference_normalize(x, 3, 2, 1e-4, w, b, 6, 4), 1e-10);
  require_close(F::group_norm(x, F::GroupNormFuncOptions(3)), reference_normalize(x, 3, 3, 1e-5, {}, {}, 6, 4), 1e-10);
  const Tensor xl = autograd_test::random_leaf({2, 4, 3});
  const Tensor wl = autograd_test::random_leaf({4}), bl = autograd_test::random_leaf({4});
  REQUIRE_GRADCHECK(([](const std::vector<Tensor>& in) -> Tensor { return F::group_norm(in[0], 2, in[1], in[2]); }),
                    (std::vector<Tensor>{xl, wl, bl}));
  CHECK_THAT(error_of([] { nn::GroupNorm(4, 6); }), Catch::Contains("num_channels must be divisible by num_groups"));
  CHECK_THAT(error_of([&] { F::group_norm(x, 4); }),
             Catch::Contains("divisible by num_groups, but got input of shape [3, 6, 2, 2] and num_groups=4"));
}

TEST_CASE("InstanceNorm1d/2d/3d against float64 loops, running stats and unbatched input", "[nn][options][norm]") {
  SECTION("no affine, no running stats: the statistics of each (sample, channel)") {
    nn::InstanceNorm2d in(nn::InstanceNorm2dOptions(3));
    CHECK(in->str() == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
    const Tensor x = randn({2, 3, 4, 5}, kFloat64);
    require_close(in(x), reference_normalize(x, 6, 1, 1e-5, {}, {}, 3, 20), 1e-10);
    in->eval();  // without running stats, eval uses the input's statistics too
    require_close(in(x), reference_normalize(x, 6, 1, 1e-5, {}, {}, 3, 20), 1e-10);
    const Tensor unbatched = randn({3, 4, 5}, kFloat64);
    require_close(in(unbatched), reference_normalize(unbatched, 3, 1, 1e-5, {}, {}, 3, 20), 1e-10);
    nn::InstanceNorm3d in3(3);
    const Tensor x3 = randn({2, 3, 2, 2, 3}, kFloat64);
    require_close(in3(x3), reference_normalize(x3, 6, 1, 1e-5, {}, {}, 3, 12), 1e-10);
  }
  SECTION("affine and track_running_stats: running stats average the per-sample statistics") {
    nn::InstanceNorm1d in(nn::InstanceNorm1dOptions(2).affine(true).track_running_stats(true).momentum(0.5));
    in->to(kFloat64);
    CHECK(in->str() == "InstanceNorm1d(2, eps=1e-05, momentum=0.5, affine=True, track_running_stats=True)");
    {
      NoGradGuard no_grad;
      in->weight.copy_(tensor({2.0, -0.5}, kFloat64));
      in->bias.copy_(tensor({0.5, 1.0}, kFloat64));
    }
    const Tensor x = randn({3, 2, 6}, kFloat64);
    require_close(in(x), reference_normalize(x, 6, 1, 1e-5, {2.0, -0.5}, {0.5, 1.0}, 2, 6), 1e-10);
    const std::vector<double> v = values(x);
    for (int64_t c = 0; c < 2; ++c) {
      double mean_of_means = 0, mean_of_vars = 0;
      for (int64_t n = 0; n < 3; ++n) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < 6; ++i) mean += v[static_cast<size_t>((n * 2 + c) * 6 + i)] / 6.0;
        for (int64_t i = 0; i < 6; ++i) var += std::pow(v[static_cast<size_t>((n * 2 + c) * 6 + i)] - mean, 2) / 5.0;
        mean_of_means += mean / 3.0;
        mean_of_vars += var / 3.0;
      }
      CHECK(std::abs(in->running_mean[c].item<double>() - 0.5 * mean_of_means) < 1e-12);
      CHECK(std::abs(in->running_var[c].item<double>() - (0.5 + 0.5 * mean_of_vars)) < 1e-12);
    }
    // eval: the running statistics
    in->eval();
    const Tensor rm = in->running_mean.detach().view({1, 2, 1}), rv = in->running_var.detach().view({1, 2, 1});
    const Tensor expected = (x - rm) / (rv + 1e-5).sqrt() * tensor({2.0, -0.5}, kFloat64).view({1, 2, 1}) +
                            tensor({0.5, 1.0}, kFloat64).view({1, 2, 1});
    require_close(in(x), expected, 1e-12);
    CHECK_THAT(error_of([&] { in(zeros({2, 3, 4}, kFloat64)); }),
               Catch::Contains("expected input's size at dim=1 to match num_features (2), but got: 3"));
    CHECK_THAT(error_of([&] { in(zeros({1, 2, 3, 4}, kFloat64)); }), Catch::Contains("expected 2D or 3D input"));
  }
  SECTION("F::instance_norm: options form and gradcheck") {
    const Tensor x = autograd_test::random_leaf({2, 3, 4});
    const Tensor w = autograd_test::random_leaf({3}), b = autograd_test::random_leaf({3});
    require_close(F::instance_norm(x, F::InstanceNormFuncOptions().weight(w).bias(b).eps(1e-3)),
                  F::instance_norm(x, {}, {}, w, b, true, 0.1, 1e-3), 0.0);
    REQUIRE_GRADCHECK(([](const std::vector<Tensor>& in) -> Tensor {
                        return F::instance_norm(in[0], {}, {}, in[1], in[2]);
                      }),
                      (std::vector<Tensor>{x, w, b}));
  }
}

TEST_CASE("LocalResponseNorm against a float64 loop, gradcheck and printing", "[nn][options][norm]") {
  nn::LocalResponseNorm lrn(nn::LocalResponseNormOptions(3).alpha(0.5).beta(0.6).k(2.0));
  CHECK(lrn->str() == "LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0)");
  CHECK(nn::LocalResponseNorm(2)->str() == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)");
  for (int64_t size : {2, 3, 4}) {
    for (const DimVector& shape : {DimVector{2, 5, 3}, DimVector{2, 5, 2, 3}}) {
      const Tensor x = randn(shape, kFloat64);
      const int64_t channels = 5, spatial = x.numel() / (2 * channels);
      const std::vector<double> v = values(x);
      std::vector<double> out(v.size());
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t s = 0; s < spatial; ++s) {
            double sum = 0;
            for (int64_t j = c - size / 2; j <= c + (size - 1) / 2; ++j)
              if (j >= 0 && j < channels) sum += std::pow(v[static_cast<size_t>((n * channels + j) * spatial + s)], 2);
            const size_t at = static_cast<size_t>((n * channels + c) * spatial + s);
            out[at] = v[at] / std::pow(2.0 + 0.5 / static_cast<double>(size) * sum, 0.6);
          }
      INFO("size " << size << ", rank " << shape.size());
      require_close(F::local_response_norm(x, F::LocalResponseNormFuncOptions(size).alpha(0.5).beta(0.6).k(2.0)),
                    tensor(out, kFloat64).view(shape), 1e-12);
    }
  }
  const Tensor xl = autograd_test::random_leaf({2, 4, 3});
  REQUIRE_GRADCHECK(([](const std::vector<Tensor>& in) -> Tensor { return F::local_response_norm(in[0], 3, 0.3); }),
                    (std::vector<Tensor>{xl}));
  CHECK_THAT(error_of([] { F::local_response_norm(zeros({2, 3}), 2); }),
             Catch::Contains("Expected 3D or higher dimensionality input (got 2 dimensions"));
}

TEST_CASE("RNNCell, LSTMCell and GRUCell options", "[nn][options][rnn]") {
  nn::RNNCell relu(nn::RNNCellOptions(3, 4).nonlinearity(kReLU).bias(false));
  CHECK(relu->str() == "RNNCell(3, 4, bias=False, nonlinearity=relu)");
  CHECK(relu->nonlinearity == "relu");
  nn::RNNCell tanh_cell(nn::RNNCellOptions(3, 4));
  CHECK(tanh_cell->str() == "RNNCell(3, 4)");
  nn::LSTMCell lstm(nn::LSTMCellOptions(3, 5).bias(false));
  CHECK(lstm->str() == "LSTMCell(3, 5, bias=False)");
  CHECK(!lstm->bias_ih.defined());
  nn::GRUCell gru(nn::GRUCellOptions(2, 6));
  CHECK(gru->str() == "GRUCell(2, 6)");
  CHECK(gru->weight_ih.sizes() == IntList{18, 2});
  CHECK(gru->options.hidden_size() == 6);
  CHECK(lstm->options.input_size() == 3);
  CHECK(std::holds_alternative<enumtype::kReLU>(relu->options.nonlinearity()));
  CHECK(std::holds_alternative<enumtype::kReLU>(nn::RNNCell(3, 4, true, "relu")->options.nonlinearity()));
  CHECK(std::holds_alternative<enumtype::kTanh>(tanh_cell->options.nonlinearity()));
  // the options constructor builds the same cell as the positional one: same parameters give the same step
  nn::RNNCell positional(3, 4, false, "relu");
  {
    NoGradGuard no_grad;
    positional->weight_ih.copy_(relu->weight_ih);
    positional->weight_hh.copy_(relu->weight_hh);
  }
  const Tensor x = randn({2, 3}), h = randn({2, 4});
  require_close(relu(x, h), positional(x, h), 0.0);
  // kReLU really applies relu: no negative outputs
  CHECK(relu(x * 10, h).min().item<double>() >= 0.0);
}

// A model written as a LibTorch program writes it, after the rename torch:: -> reel::, TORCH_MODULE -> REEL_MODULE.
struct PortedNetImpl : reel::nn::Module {
  PortedNetImpl()
      : embed(reel::nn::EmbeddingOptions(20, 8).padding_idx(0).max_norm(2.0)),
        fc1(reel::nn::LinearOptions(8, 16).bias(false)),
        bn(reel::nn::BatchNorm1dOptions(16).momentum(0.01)),
        fc2(16, 4) {
    register_module("embed", embed);
    register_module("fc1", fc1);
    register_module("bn", bn);
    register_module("drop", drop);
    register_module("fc2", fc2);
  }
  reel::Tensor forward(reel::Tensor ids) {
    reel::Tensor x = embed->forward(ids).mean(1);
    x = reel::relu(bn->forward(fc1->forward(x)));
    x = drop->forward(x);
    return reel::nn::functional::log_softmax(fc2->forward(x), 1);
  }
  reel::nn::Embedding embed;
  reel::nn::Linear fc1;
  reel::nn::BatchNorm1d bn;
  reel::nn::Dropout drop;  // default-constructed: p = 0.5
  reel::nn::Linear fc2;
};
REEL_MODULE(PortedNet);

TEST_CASE("a LibTorch-style model built from option builders trains and prints", "[nn][options]") {
  manual_seed(3);
  PortedNet net;
  CHECK(net->str() == "PortedNet(\n"
                      "  (embed): Embedding(20, 8, padding_idx=0, max_norm=2.0)\n"
                      "  (fc1): Linear(in_features=8, out_features=16, bias=False)\n"
                      "  (bn): BatchNorm1d(16, eps=1e-05, momentum=0.01, affine=True, track_running_stats=True)\n"
                      "  (drop): Dropout(p=0.5, inplace=False)\n"
                      "  (fc2): Linear(in_features=16, out_features=4, bias=True)\n"
                      ")");
  const Tensor ids = randint(0, 20, {6, 5});
  const Tensor target = randint(0, 4, {6});
  const Tensor loss = nn::functional::nll_loss(net->forward(ids), target);
  loss.backward();
  CHECK(net->fc1->weight.grad().defined());
  CHECK(net->embed->weight.grad()[0].abs().sum().item<double>() == 0.0);  // padding row
  // max_norm renormalised the looked-up rows
  const Tensor looked_up = net->embed->weight.detach().index_select(0, std::get<0>(unique(ids.flatten())));
  CHECK(looked_up.norm(2, {1}).max().item<double>() <= 2.0 + 1e-5);
  net->eval();
  const Tensor a = net->forward(ids), b = net->forward(ids);
  require_close(a, b, 0.0);  // eval: dropout off, running statistics
}
