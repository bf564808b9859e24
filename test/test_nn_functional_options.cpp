// reel/test/test_nn_functional_options.cpp — LibTorch's option spellings of the activation modules
// (nn::LeakyReLUOptions ...), of F::'s activations, softmax family, normalize, cosine_similarity, pad, interpolate,
// grid_sample, and of the losses (F::MSELossFuncOptions(kSum), F::NLLLossFuncOptions().ignore_index(...)): each
// computes what reel's positional spelling computes (tested against references elsewhere), defaults are
// LibTorch's, inplace(true) really overwrites the input, and modules print as PyTorch does.
#include <cmath>
#include <vector>

#include "autograd_test_utils.h"

using autograd_test::error_of;
using autograd_test::require_close;
using autograd_test::values;
using reel::Tensor;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

namespace {

Tensor sample(uint64_t seed, reel::IntList shape = {3, 4}) {
  reel::manual_seed(seed);
  return reel::randn(shape, reel::kFloat64) * 2.0;
}

// Runs an in-place spelling on a copy of x: the result must be the copy itself, hold `expected`, and x is untouched.
template <typename Fn>
void check_in_place(const Tensor& x, const Tensor& expected, Fn&& fn) {
  Tensor copy = x.clone();
  const void* storage = copy.data_ptr();
  const Tensor y = fn(copy);
  CHECK(y.data_ptr() == storage);
  require_close(copy, expected, 0);
  require_close(y, expected, 0);
}

}  // namespace

TEST_CASE("activation options: LibTorch's defaults", "[nn][options]") {
  CHECK(nn::LeakyReLUOptions().negative_slope() == 0.01);
  CHECK(!nn::LeakyReLUOptions().inplace());
  CHECK(nn::ELUOptions().alpha() == 1.0);
  CHECK(nn::CELUOptions().alpha() == 1.0);
  CHECK(!nn::SELUOptions().inplace());
  CHECK(nn::SELUOptions(true).inplace());
  CHECK(nn::ReLUOptions(true).inplace());
  CHECK(nn::ReLU6Options(true).inplace());
  CHECK(nn::HardtanhOptions().min_val() == -1.0);
  CHECK(nn::HardtanhOptions().max_val() == 1.0);
  CHECK(nn::SoftplusOptions().beta() == 1.0);
  CHECK(nn::SoftplusOptions().threshold() == 20.0);
  CHECK(nn::ThresholdOptions(0.5, 2.0).threshold() == 0.5);
  CHECK(nn::ThresholdOptions(0.5, 2.0).value() == 2.0);
  CHECK(!nn::ThresholdOptions(0.5, 2.0).inplace());
  CHECK(nn::GELUOptions().approximate() == "none");
  CHECK(nn::SoftmaxOptions(1).dim() == 1);
  CHECK(nn::SoftminOptions(-1).dim() == -1);
  CHECK(nn::LogSoftmaxOptions(0).dim() == 0);
  CHECK(nn::SoftshrinkOptions().lambda() == 0.5);
  CHECK(nn::HardshrinkOptions().lambda() == 0.5);
  CHECK(nn::GLUOptions().dim() == -1);
  CHECK(nn::PReLUOptions().num_parameters() == 1);
  CHECK(nn::PReLUOptions().init() == 0.25);
  CHECK(nn::RReLUOptions().lower() == 1.0 / 8.0);
  CHECK(nn::RReLUOptions().upper() == 1.0 / 3.0);
  CHECK(F::SoftmaxFuncOptions(1).dtype() == std::nullopt);
  CHECK(F::RReLUFuncOptions().training() == false);
  CHECK(F::NormalizeFuncOptions().p() == 2.0);
  CHECK(F::NormalizeFuncOptions().dim() == 1);
  CHECK(F::NormalizeFuncOptions().eps() == 1e-12);
  CHECK(F::CosineSimilarityFuncOptions().dim() == 1);
  CHECK(F::CosineSimilarityFuncOptions().eps() == 1e-8);
  CHECK(F::PadFuncOptions({1, 2}).mode() == "constant");
  CHECK(F::PadFuncOptions({1, 2}).value() == 0.0);
  CHECK(F::InterpolateFuncOptions().mode() == "nearest");
  CHECK(!F::InterpolateFuncOptions().antialias());
  CHECK(F::GridSampleFuncOptions().mode() == "bilinear");
  CHECK(F::GridSampleFuncOptions().padding_mode() == "zeros");
}

TEST_CASE("activation modules from options compute what the positional spellings compute", "[nn][options]") {
  const Tensor x = sample(11);
  require_close(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))(x), reel::leaky_relu(x, 0.2), 0);
  require_close(nn::ELU(nn::ELUOptions().alpha(0.7))(x), reel::elu(x, 0.7), 0);
  require_close(nn::CELU(nn::CELUOptions().alpha(0.5))(x), reel::celu(x, 0.5), 0);
  require_close(nn::SELU(nn::SELUOptions())(x), reel::selu(x), 0);
  require_close(nn::ReLU(nn::ReLUOptions())(x), reel::relu(x), 0);
  require_close(nn::ReLU6(nn::ReLU6Options())(x), reel::relu6(x), 0);
  require_close(nn::Hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(1.5))(x), reel::hardtanh(x, -0.5, 1.5), 0);
  require_close(nn::Softplus(nn::SoftplusOptions().beta(2).threshold(5))(x), reel::softplus(x, 2, 5), 0);
  require_close(nn::Threshold(nn::ThresholdOptions(0.25, -3.0))(x), reel::threshold(x, 0.25, -3.0), 0);
  require_close(nn::GELU(nn::GELUOptions().approximate("tanh"))(x), nn::GELU("tanh")(x), 0);
  require_close(nn::Softmax(nn::SoftmaxOptions(1))(x), reel::softmax(x, 1), 0);
  require_close(nn::LogSoftmax(nn::LogSoftmaxOptions(0))(x), reel::log_softmax(x, 0), 0);
  require_close(nn::Softshrink(nn::SoftshrinkOptions(0.3))(x), reel::softshrink(x, 0.3), 0);
  require_close(nn::Hardshrink(nn::HardshrinkOptions(0.3))(x), reel::hardshrink(x, 0.3), 0);
  require_close(nn::GLU(nn::GLUOptions(1))(x), reel::glu(x, 1), 0);
  // Softmin: softmax of -x, against a float64 loop
  const Tensor softmin = nn::Softmin(nn::SoftminOptions(1))(x);
  const std::vector<double> xv = values(x), sv = values(softmin);
  for (int r = 0; r < 3; ++r) {
    double total = 0;
    for (int c = 0; c < 4; ++c) total += std::exp(-xv[size_t(r * 4 + c)]);
    for (int c = 0; c < 4; ++c) CHECK(sv[size_t(r * 4 + c)] == Approx(std::exp(-xv[size_t(r * 4 + c)]) / total));
  }
  require_close(nn::Softmin(1)(x), softmin, 0);
  // Softmax2d: over the channels of (N, C, H, W) and (C, H, W)
  const Tensor image = sample(12, {2, 3, 2, 2});
  require_close(nn::Softmax2d()(image), reel::softmax(image, 1), 0);
  require_close(nn::Softmax2d()(image[0]), reel::softmax(image[0], 0), 0);
  CHECK_THAT(error_of([&] { nn::Softmax2d()(x); }), Catch::StartsWith("Softmax2d: expected input to be 3D or 4D"));
  // PReLU and RReLU (eval: the mean slope)
  nn::PReLU prelu(nn::PReLUOptions().num_parameters(4).init(0.1));
  CHECK(prelu->weight.numel() == 4);
  CHECK(values(prelu->weight) == std::vector<double>(4, double(0.1f)));  // float32, as PyTorch's parameters
  require_close(prelu(x), reel::prelu(x, prelu->weight), 0);
  nn::RReLU rrelu(nn::RReLUOptions().lower(0.1).upper(0.3));
  rrelu->eval();
  require_close(rrelu(x), reel::leaky_relu(x, 0.2), 1e-15);
  // reel's positional constructors still work beside the options
  CHECK(nn::LeakyReLU(0.2)->options.negative_slope() == 0.2);
  CHECK(nn::Hardtanh(-2.0, 2.0)->options.max_val() == 2.0);
  CHECK(nn::PReLU(3, 0.5)->options.init() == 0.5);
}

TEST_CASE("activation modules with inplace(true) overwrite their input", "[nn][options]") {
  const Tensor x = sample(13);
  check_in_place(x, reel::relu(x), [](Tensor& t) { return nn::ReLU(nn::ReLUOptions(true))(t); });
  check_in_place(x, reel::relu(x), [](Tensor& t) { return nn::ReLU(true)(t); });
  check_in_place(x, reel::relu6(x), [](Tensor& t) { return nn::ReLU6(true)(t); });
  check_in_place(x, reel::leaky_relu(x, 0.3),
                 [](Tensor& t) { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.3).inplace(true))(t); });
  check_in_place(x, reel::elu(x, 0.5), [](Tensor& t) { return nn::ELU(nn::ELUOptions().alpha(0.5).inplace(true))(t); });
  check_in_place(x, reel::celu(x, 0.5),
                 [](Tensor& t) { return nn::CELU(nn::CELUOptions().alpha(0.5).inplace(true))(t); });
  check_in_place(x, reel::selu(x), [](Tensor& t) { return nn::SELU(nn::SELUOptions(true))(t); });
  check_in_place(x, reel::hardtanh(x, -0.5, 0.5), [](Tensor& t) {
    return nn::Hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(0.5).inplace(true))(t);
  });
  check_in_place(x, reel::threshold(x, 0.1, 7.0),
                 [](Tensor& t) { return nn::Threshold(nn::ThresholdOptions(0.1, 7.0).inplace(true))(t); });
  nn::RReLU rrelu(nn::RReLUOptions().inplace(true));
  rrelu->eval();
  check_in_place(x, reel::leaky_relu(x, (1.0 / 8 + 1.0 / 3) / 2), [&](Tensor& t) { return rrelu(t); });
  // inplace(false) leaves the input alone
  Tensor kept = x.clone();
  nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.3))(kept);
  require_close(kept, x, 0);
  // in place on a leaf that requires grad is refused, as in PyTorch
  Tensor leaf = x.clone().requires_grad_();
  CHECK_THROWS_AS(nn::ReLU(true)(leaf), reel::Error);
  // in place on a non-leaf keeps the gradient right: d/dx sum(relu(2x)) = 2 [x > 0]
  Tensor base = x.clone().requires_grad_();
  Tensor doubled = base * 2.0;
  nn::ReLU(true)(doubled).sum().backward();
  require_close(base.grad(), reel::gt(x, 0.0).to(reel::kFloat64) * 2.0, 0);
}

TEST_CASE("activation modules print their options as PyTorch does", "[nn][options]") {
  CHECK(nn::ReLU(true)->str() == "ReLU(inplace=True)");
  CHECK(nn::ReLU()->str() == "ReLU()");
  CHECK(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true))->str() ==
        "LeakyReLU(negative_slope=0.2, inplace=True)");
  CHECK(nn::ELU(nn::ELUOptions().inplace(true))->str() == "ELU(alpha=1.0, inplace=True)");
  CHECK(nn::Hardtanh(nn::HardtanhOptions().inplace(true))->str() ==
        "Hardtanh(min_val=-1.0, max_val=1.0, inplace=True)");
  CHECK(nn::CELU(nn::CELUOptions().inplace(true))->str() == "CELU(alpha=1.0, inplace=True)");
  CHECK(nn::SELU(true)->str() == "SELU(inplace=True)");
  CHECK(nn::ReLU6(true)->str() == "ReLU6(inplace=True)");
  CHECK(nn::RReLU(nn::RReLUOptions().inplace(true))->str() ==
        "RReLU(lower=0.125, upper=0.3333333333333333, inplace=True)");
  CHECK(nn::Softmin(1)->str() == "Softmin(dim=1)");
  CHECK(nn::Softmax2d()->str() == "Softmax2d()");
  CHECK(nn::PReLU(nn::PReLUOptions().num_parameters(3))->str() == "PReLU(num_parameters=3)");
  CHECK(nn::GLU()->str() == "GLU(dim=-1)");
  CHECK(nn::Softshrink()->str() == "Softshrink(0.5)");
  CHECK_THAT(error_of([] { nn::Hardtanh(nn::HardtanhOptions().min_val(1).max_val(0)); }),
             Catch::StartsWith("Hardtanh: max_val must be greater"));
  CHECK_THAT(error_of([] { nn::GELU(nn::GELUOptions().approximate("fast")); }), Catch::StartsWith("GELU:"));
}

TEST_CASE("F:: activation options compute what the positional calls compute", "[nn][options]") {
  const Tensor x = sample(21);
  require_close(F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)), reel::leaky_relu(x, 0.2), 0);
  require_close(F::elu(x, F::ELUFuncOptions().alpha(0.3)), reel::elu(x, 0.3), 0);
  require_close(F::celu(x, F::CELUFuncOptions().alpha(0.3)), reel::celu(x, 0.3), 0);
  require_close(F::selu(x, F::SELUFuncOptions()), reel::selu(x), 0);
  require_close(F::relu(x, F::ReLUFuncOptions()), reel::relu(x), 0);
  require_close(F::relu6(x, F::ReLU6FuncOptions()), reel::relu6(x), 0);
  require_close(F::hardtanh(x, F::HardtanhFuncOptions().min_val(-2).max_val(0.5)), reel::hardtanh(x, -2, 0.5), 0);
  require_close(F::softplus(x, F::SoftplusFuncOptions().beta(3).threshold(4)), reel::softplus(x, 3, 4), 0);
  require_close(F::threshold(x, F::ThresholdFuncOptions(0.5, -1)), reel::threshold(x, 0.5, -1), 0);
  require_close(F::gelu(x, F::GELUFuncOptions().approximate("tanh")), reel::gelu(x, "tanh"), 0);
  require_close(F::softshrink(x, F::SoftshrinkFuncOptions(0.2)), reel::softshrink(x, 0.2), 0);
  require_close(F::hardshrink(x, 0.2), reel::hardshrink(x, 0.2), 0);
  require_close(F::softmax(x, F::SoftmaxFuncOptions(1)), reel::softmax(x, 1), 0);
  require_close(F::log_softmax(x, F::LogSoftmaxFuncOptions(0)), reel::log_softmax(x, 0), 0);
  require_close(F::softmin(x, F::SoftminFuncOptions(1)), reel::softmax(-x, 1), 0);
  require_close(F::softmin(x, 1), reel::softmax(-x, 1), 0);
  // dtype: computed in the requested type
  const Tensor x32 = x.to(reel::kFloat32);
  const Tensor soft64 = F::softmax(x32, F::SoftmaxFuncOptions(1).dtype(reel::kFloat64));
  CHECK(soft64.dtype() == reel::kFloat64);
  require_close(soft64, reel::softmax(x32.to(reel::kFloat64), 1), 0);
  CHECK(F::log_softmax(x32, F::LogSoftmaxFuncOptions(1).dtype(reel::kFloat64)).dtype() == reel::kFloat64);
  CHECK(F::softmin(x32, F::SoftminFuncOptions(1).dtype(reel::kFloat64)).dtype() == reel::kFloat64);
  // F::relu(x) and F::softmax(x, 1) stay the positional calls; F::relu(x, true) is LibTorch's in-place spelling
  require_close(F::relu(x), reel::relu(x), 0);
  check_in_place(x, reel::relu(x), [](Tensor& t) { return F::relu(t, true); });
  check_in_place(x, reel::selu(x), [](Tensor& t) { return F::selu(t, true); });
  check_in_place(x, reel::elu(x, 2.0), [](Tensor& t) { return F::elu(t, F::ELUFuncOptions().alpha(2).inplace(true)); });
  check_in_place(x, reel::leaky_relu(x, 0.5), [](Tensor& t) {
    return F::leaky_relu(t, F::LeakyReLUFuncOptions().negative_slope(0.5).inplace(true));
  });
  check_in_place(x, reel::threshold(x, 0.0, 3.0),
                 [](Tensor& t) { return F::threshold(t, F::ThresholdFuncOptions(0.0, 3.0).inplace(true)); });
}

TEST_CASE("F::normalize, cosine_similarity, pad, interpolate, grid_sample take LibTorch's options", "[nn][options]") {
  const Tensor x = sample(31), y = sample(32);
  require_close(F::normalize(x, F::NormalizeFuncOptions().p(1).dim(0)), F::normalize(x, 1.0, 0), 0);
  Tensor out = reel::zeros({3, 4}, reel::kFloat64);
  const Tensor normalized = F::normalize(x, F::NormalizeFuncOptions().out(out));
  require_close(out, F::normalize(x), 0);
  CHECK(normalized.data_ptr() == out.data_ptr());
  require_close(F::cosine_similarity(x, y, F::CosineSimilarityFuncOptions().dim(0)), F::cosine_similarity(x, y, 0), 0);

  // pad: the mode tags are the strings
  const Tensor seq = reel::arange(4, reel::kFloat64).reshape({1, 1, 4});
  const Tensor reflect = F::pad(seq, F::PadFuncOptions({2, 1}).mode(reel::kReflect));
  CHECK(values(reflect) == std::vector<double>{2, 1, 0, 1, 2, 3, 2});
  require_close(F::pad(seq, F::PadFuncOptions({1, 1}).mode(reel::kReplicate)), F::pad(seq, {1, 1}, "replicate"), 0);
  require_close(F::pad(seq, F::PadFuncOptions({1, 2}).mode(reel::kCircular)), F::pad(seq, {1, 2}, "circular"), 0);
  CHECK(values(F::pad(seq, F::PadFuncOptions({1, 0}).mode(reel::kConstant).value(9))) ==
        std::vector<double>{9, 0, 1, 2, 3});
  CHECK(values(F::pad(seq, F::PadFuncOptions({1, 0}))) == std::vector<double>{0, 0, 1, 2, 3});
  // a value only fills constant padding (ATen refuses a nonzero one with other modes; reel ignores it)
  require_close(F::pad(seq, F::PadFuncOptions({1, 1}).mode(reel::kReflect).value(1)), F::pad(seq, {1, 1}, "reflect"),
                0);
  require_close(reel::pad(seq, {1, 1}, "reflect", 0.0), F::pad(seq, {1, 1}, "reflect"), 0);

  // interpolate and grid_sample: tags for modes
  const Tensor image = sample(33, {1, 2, 3, 3});
  const auto bilinear = F::interpolate(
      image, F::InterpolateFuncOptions().size(std::vector<int64_t>{5, 4}).mode(reel::kBilinear).align_corners(true));
  require_close(bilinear, reel::upsample_bilinear2d(image, {5, 4}, true), 0);
  const auto nearest = F::interpolate(
      image, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(reel::kNearest));
  require_close(nearest, F::interpolate(image, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2})), 0);
  CHECK_THAT(error_of([&] {
               F::interpolate(image, F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 2}).antialias(true));
             }),
             Catch::StartsWith("interpolate: antialias=true is not implemented"));
  reel::manual_seed(34);
  const Tensor grid = reel::rand({1, 2, 2, 2}, reel::kFloat64) * 2.0 - 1.0;
  require_close(F::grid_sample(image, grid,
                               F::GridSampleFuncOptions().mode(reel::kNearest).padding_mode(reel::kBorder)
                                   .align_corners(false)),
                reel::grid_sampler_2d(image, grid, 1, 1, false), 0);
  require_close(F::grid_sample(image, grid, F::GridSampleFuncOptions().padding_mode(reel::kReflection)),
                reel::grid_sampler_2d(image, grid, 0, 2, false), 0);
}

TEST_CASE("loss FuncOptions are the loss options under LibTorch's functional names", "[nn][options][loss]") {
  const Tensor x = sample(41), y = sample(42);
  using R = nn::Reduction;
  require_close(F::mse_loss(x, y, F::MSELossFuncOptions(reel::kSum)), F::mse_loss(x, y, R::Sum), 0);
  require_close(F::mse_loss(x, y, F::MSELossFuncOptions()), F::mse_loss(x, y), 0);
  require_close(F::mse_loss(x, y, reel::kNone), F::mse_loss(x, y, R::None), 0);
  require_close(F::l1_loss(x, y, F::L1LossFuncOptions(reel::kNone)), F::l1_loss(x, y, R::None), 0);
  require_close(F::smooth_l1_loss(x, y, F::SmoothL1LossFuncOptions().beta(0.5).reduction(reel::kSum)),
                F::smooth_l1_loss(x, y, R::Sum, 0.5), 0);
  require_close(F::huber_loss(x, y, F::HuberLossFuncOptions(reel::kSum).delta(0.5)), F::huber_loss(x, y, R::Sum, 0.5),
                0);
  require_close(F::soft_margin_loss(x, reel::sign(y), F::SoftMarginLossFuncOptions(reel::kSum)),
                F::soft_margin_loss(x, reel::sign(y), R::Sum), 0);

  const Tensor log_probs = reel::log_softmax(x, 1);
  const Tensor labels = reel::tensor({0, 3, -100}, reel::kInt64);
  require_close(F::nll_loss(log_probs, labels, F::NLLLossFuncOptions().ignore_index(-100).reduction(reel::kMean)),
                F::nll_loss(log_probs, labels), 0);
  const Tensor weight = reel::tensor({1.0, 2.0, 0.5, 3.0}, reel::kFloat64);
  require_close(F::nll_loss(log_probs, labels, F::NLLLossFuncOptions().weight(weight).reduction(reel::kSum)),
                F::nll_loss(log_probs, labels, weight, -100, R::Sum), 0);
  require_close(F::cross_entropy(x, labels, F::CrossEntropyFuncOptions().label_smoothing(0.1).weight(weight)),
                F::cross_entropy(x, labels, weight, -100, R::Mean, 0.1), 0);
  const Tensor probs = reel::sigmoid(x), targets = reel::gt(y, 0.0).to(reel::kFloat64);
  require_close(F::binary_cross_entropy(probs, targets, F::BinaryCrossEntropyFuncOptions().reduction(reel::kSum)),
                F::binary_cross_entropy(probs, targets, {}, R::Sum), 0);
  const Tensor pos_weight = reel::tensor({1.0, 2.0, 3.0, 4.0}, reel::kFloat64);
  const auto logits_options = F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(pos_weight).reduction(reel::kSum);
  require_close(F::binary_cross_entropy_with_logits(x, targets, logits_options),
                F::binary_cross_entropy_with_logits(x, targets, {}, R::Sum, pos_weight), 0);
  const Tensor target_probs = reel::softmax(y, 1);
  require_close(F::kl_div(log_probs, target_probs, F::KLDivFuncOptions(reel::kBatchMean)),
                F::kl_div(log_probs, target_probs, R::BatchMean), 0);
  require_close(F::kl_div(log_probs, target_probs, F::KLDivFuncOptions().reduction(reel::kBatchMean)),
                F::kl_div(log_probs, target_probs, R::Sum) / 3.0, 1e-14);
  require_close(F::kl_div(log_probs, target_probs, reel::kBatchMean), F::kl_div(log_probs, target_probs, R::BatchMean),
                0);
  require_close(F::margin_ranking_loss(x, y, reel::sign(x - y),
                                       F::MarginRankingLossFuncOptions().margin(0.5).reduction(reel::kSum)),
                F::margin_ranking_loss(x, y, reel::sign(x - y), 0.5, R::Sum), 0);
  // modules built from a reduction tag, as LibTorch's MSELoss(torch::kSum)
  require_close(nn::MSELoss(reel::kSum)(x, y), F::mse_loss(x, y, R::Sum), 0);
  require_close(nn::L1Loss(reel::kNone)(x, y), F::l1_loss(x, y, R::None), 0);
  require_close(nn::KLDivLoss(reel::kBatchMean)(log_probs, target_probs),
                F::kl_div(log_probs, target_probs, R::BatchMean), 0);
  CHECK_THROWS_AS(F::mse_loss(x, y, F::MSELossFuncOptions(reel::kBatchMean)), reel::Error);
}

TEST_CASE("multilabel_soft_margin_loss: float64 loop, PyTorch's values, options and module", "[nn][options][loss]") {
  const Tensor x = reel::tensor({{0.5, -1.0, 2.0}, {1.5, 0.2, -0.3}}, reel::kFloat64);
  const Tensor y = reel::tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}}, reel::kFloat64);
  const Tensor w = reel::tensor({1.0, 2.0, 0.5}, reel::kFloat64);
  // per sample: mean over classes of -w_c (y ln s(x) + (1 - y) ln(1 - s(x)))
  const std::vector<double> xv = values(x), yv = values(y), wv = values(w);
  std::vector<double> plain, weighted;
  for (int n = 0; n < 2; ++n) {
    double a = 0, b = 0;
    for (int c = 0; c < 3; ++c) {
      const double v = xv[size_t(n * 3 + c)], t = yv[size_t(n * 3 + c)], s = 1 / (1 + std::exp(-v));
      const double term = -(t * std::log(s) + (1 - t) * std::log(1 - s));
      a += term / 3;
      b += wv[size_t(c)] * term / 3;
    }
    plain.push_back(a);
    weighted.push_back(b);
  }
  require_close(F::multilabel_soft_margin_loss(x, y, {}, nn::Reduction::None), reel::tensor(plain, reel::kFloat64),
                1e-14);
  // PyTorch 2.15: F.multilabel_soft_margin_loss(x, y, reduction='none') and with weight=w (mean, sum)
  require_close(F::multilabel_soft_margin_loss(x, y, {}, nn::Reduction::None),
                reel::tensor({0.3047555609137673, 1.1179691306109572}, reel::kFloat64), 1e-14);
  CHECK(F::multilabel_soft_margin_loss(x, y, w).item<double>() == Approx(0.8148221672863731).epsilon(1e-13));
  CHECK(F::multilabel_soft_margin_loss(x, y, F::MultilabelSoftMarginLossFuncOptions().weight(w).reduction(reel::kSum))
            .item<double>() == Approx(weighted[0] + weighted[1]).epsilon(1e-13));
  nn::MultiLabelSoftMarginLoss module(nn::MultiLabelSoftMarginLossOptions().weight(w));
  require_close(module(x, y), F::multilabel_soft_margin_loss(x, y, w), 0);
  CHECK(module->named_buffers().size() == 1);
  const Tensor leaf = x.detach().requires_grad_();
  REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return F::multilabel_soft_margin_loss(in[0], y, w); },
                    (std::vector<Tensor>{leaf}));
  CHECK_THAT(error_of([&] { F::multilabel_soft_margin_loss(x, y.narrow(1, 0, 2)); }),
             Catch::StartsWith("multilabel_soft_margin_loss: target shape"));
}
