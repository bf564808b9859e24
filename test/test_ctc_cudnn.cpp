// reel/test/test_ctc_cudnn.cpp — cuDNN's CTC beyond its op-table row (test/op_table_ctc.cpp):
//   * the rule by which ctc_loss picks it (detail::use_cudnn_ctc_loss, tensor/ops_ctc.h) on PyTorch's conditions,
//     one fact at a time, and _use_cudnn_ctc_loss on CPU tensors — no GPU needed;
//   * _cudnn_ctc_loss's refusals on the CPU and for arguments cuDNN would misread;
//   * unbatched ctc_loss with 1-D targets (read as one concatenated sample, as PyTorch does);
//   * with a CUDA device and cuDNN: _cudnn_ctc_loss against the CPU recursion in float64 for random problems (loss
//     and gradient, both algorithms, long targets and a large alphabet), and ctc_loss end to end — that it takes
//     the cuDNN path exactly when the rule holds (seen by an op observer) and that the loss and the logits' gradient
//     match the recursion's path (the naive backend), with every reduction and zero_infinity on an impossible sample.
// Without a CUDA device (or cuDNN) the CUDA tests warn and return.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "reel.h"
#include "tensor/ops_ctc.h"

namespace {

using namespace reel;

const Device kGpu(kCUDA, 0);

// A problem cuDNN's rule accepts: float32 (T = 6, N = 2, C = 5) CUDA log_probs, int32 CPU targets.
struct Facts {
  std::vector<int64_t> sizes = {6, 2, 5};
  std::vector<int64_t> input_lengths = {6, 6}, target_lengths = {3, 2};
  detail::CudnnCtcFacts facts() const {
    detail::CudnnCtcFacts f;
    f.cudnn_enabled = true;
    f.log_probs_device = kGpu;
    f.log_probs_dtype = kFloat32;
    f.log_probs_sizes = sizes;
    f.targets_device = Device(kCPU);
    f.targets_dtype = kInt32;
    f.targets_dim = 1;
    f.targets_contiguous = true;
    f.input_lengths = input_lengths;
    f.target_lengths = target_lengths;
    f.blank = 0;
    return f;
  }
};

bool cudnn_present(const char* what) {
  if (!cuda::is_available()) {
    WARN("no CUDA device: " << what << " not checked");
    return false;
  }
  if (!cuda::cudnn_is_available()) {
    WARN("this build does not link cuDNN: " << what << " not checked");
    return false;
  }
  return true;
}

// Restores the backend switch at the end of a test.
struct BackendGuard {
  cuda::ConvBackend saved = cuda::conv_backend();
  ~BackendGuard() { cuda::set_conv_backend(saved); }
};

// Counts the kernel events of _cudnn_ctc_loss and _ctc_loss while installed.
struct CtcEvents final : OpObserver {
  int cudnn = 0, recursion = 0;
  OpObserver* replaced = set_op_observer(this);
  ~CtcEvents() override { set_op_observer(replaced); }
  void before(const OpEvent& e) override {
    cudnn += e.op() == OpId::_cudnn_ctc_loss ? 1 : 0;
    recursion += e.op() == OpId::_ctc_loss ? 1 : 0;
  }
  void after(const OpEvent&) override {}
};

// max |a - b| / (1 + |b|) over the elements (b the reference); NaN matches NaN and an infinity itself, anything
// else with a non-finite value counts as infinitely far.
double max_rel_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to(kCPU).to(kFloat64).contiguous().to_vector<double>();
  const std::vector<double> y = b.to(kCPU).to(kFloat64).contiguous().to_vector<double>();
  REQUIRE(x.size() == y.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) continue;
    if (std::isinf(x[i]) && x[i] == y[i]) continue;
    const double d = std::fabs(x[i] - y[i]) / (1.0 + std::fabs(y[i]));
    worst = std::max(worst, std::isfinite(d) ? d : INFINITY);
  }
  return worst;
}

// A random problem: targets of 1..max_target labels in [1, C), every input length T.
struct Problem {
  Tensor logits;  // (T, N, C) float32 on the GPU
  Tensor targets;  // concatenated int32 on the CPU
  std::vector<int64_t> input_lengths, target_lengths;
};
Problem random_problem(int64_t T, int64_t N, int64_t C, int64_t max_target, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Problem p;
  std::vector<int64_t> labels;
  for (int64_t b = 0; b < N; ++b) {
    const int64_t length = std::uniform_int_distribution<int64_t>(1, max_target)(rng);
    for (int64_t k = 0; k < length; ++k) labels.push_back(std::uniform_int_distribution<int64_t>(1, C - 1)(rng));
    p.target_lengths.push_back(length);
    p.input_lengths.push_back(T);
  }
  manual_seed(seed);
  p.logits = randn({T, N, C}, TensorOptions(kFloat32).device(kGpu));
  p.targets = tensor(labels, TensorOptions(kInt64)).to(kInt32);
  return p;
}

}  // namespace

TEST_CASE("ctc cudnn: the rule follows PyTorch's _use_cudnn_ctc_loss one fact at a time", "[ctc][cudnn]") {
  const Facts base;
  CHECK(detail::use_cudnn_ctc_loss(base.facts()));
  auto with = [&](auto change) {
    Facts f = base;
    detail::CudnnCtcFacts facts = f.facts();
    change(f, facts);
    facts.log_probs_sizes = f.sizes;
    facts.input_lengths = f.input_lengths;
    facts.target_lengths = f.target_lengths;
    return detail::use_cudnn_ctc_loss(facts);
  };
  using F = detail::CudnnCtcFacts;
  CHECK_FALSE(with([](Facts&, F& f) { f.cudnn_enabled = false; }));            // switch off / no cuDNN
  CHECK_FALSE(with([](Facts&, F& f) { f.log_probs_device = Device(kCPU); }));  // log_probs on the CPU
  CHECK_FALSE(with([](Facts&, F& f) { f.blank = 1; }));
  CHECK_FALSE(with([](Facts&, F& f) { f.log_probs_dtype = kFloat64; }));
  CHECK_FALSE(with([](Facts&, F& f) { f.log_probs_dtype = kFloat16; }));
  CHECK_FALSE(with([](Facts& s, F&) { s.sizes = {6, 5}; }));  // not 3-D
  CHECK_FALSE(with([](Facts&, F& f) { f.targets_dtype = kInt64; }));
  CHECK_FALSE(with([](Facts&, F& f) { f.targets_dim = 2; }));  // padded targets
  CHECK_FALSE(with([](Facts&, F& f) { f.targets_device = kGpu; }));
  CHECK_FALSE(with([](Facts&, F& f) { f.targets_contiguous = false; }));
  CHECK_FALSE(with([](Facts& s, F&) { s.input_lengths = {6, 5}; }));  // an input length below T
  CHECK_FALSE(with([](Facts& s, F&) { s.target_lengths = {7, 2}; }));  // a target longer than its input
  CHECK(with([](Facts& s, F&) { s.target_lengths = {6, 0}; }));       // as long as the input; an empty target
  // target lengths: 255 is the longest cuDNN takes
  CHECK(with([](Facts& s, F&) {
    s.sizes = {300, 2, 5};
    s.input_lengths = {300, 300};
    s.target_lengths = {255, 1};
  }));
  CHECK_FALSE(with([](Facts& s, F&) {
    s.sizes = {300, 2, 5};
    s.input_lengths = {300, 300};
    s.target_lengths = {256, 1};
  }));
  // reel's additions: lengths for every sample, a non-empty problem, int sizes
  CHECK_FALSE(with([](Facts& s, F&) { s.input_lengths = {6}; }));
  CHECK_FALSE(with([](Facts& s, F&) { s.target_lengths = {3, 2, 1}; }));
  CHECK_FALSE(with([](Facts& s, F&) {
    s.sizes = {6, 0, 5};
    s.input_lengths = {};
    s.target_lengths = {};
  }));
  CHECK_FALSE(with([](Facts& s, F&) { s.sizes = {6, 2, 0}; }));
  CHECK_FALSE(with([](Facts& s, F&) {
    s.sizes = {0, 2, 5};
    s.input_lengths = {0, 0};
    s.target_lengths = {0, 0};
  }));
  CHECK_FALSE(with([](Facts& s, F&) { s.sizes = {6, 2, int64_t{1} << 31}; }));
}

TEST_CASE("ctc cudnn: _use_cudnn_ctc_loss is false for CPU tensors", "[ctc][cudnn]") {
  const Tensor lp = log_softmax(randn({6, 2, 5}), 2);
  const Tensor targets = tensor(std::vector<int64_t>{1, 2, 3, 1, 2}, TensorOptions(kInt64)).to(kInt32);
  CHECK_FALSE(_use_cudnn_ctc_loss(lp, targets, {6, 6}, {3, 2}, 0));
}

TEST_CASE("ctc cudnn: _cudnn_ctc_loss refuses CPU log_probs with a reel::Error", "[ctc][cudnn]") {
  const Tensor lp = log_softmax(randn({6, 2, 5}), 2);
  const Tensor targets = tensor(std::vector<int64_t>{1, 2, 3, 1, 2}, TensorOptions(kInt64)).to(kInt32);
  CHECK_THROWS_WITH(_cudnn_ctc_loss(lp, targets, {6, 6}, {3, 2}, 0, true, false),
                    Catch::Contains("_cudnn_ctc_loss: log_probs must be a CUDA tensor") &&
                        Catch::Contains("[6, 2, 5]"));
}

TEST_CASE("ctc cudnn: _cudnn_ctc_loss refuses what cuDNN would misread", "[ctc][cudnn]") {
  if (!cudnn_present("_cudnn_ctc_loss argument checks")) return;
  const Tensor lp = log_softmax(randn({6, 2, 5}, TensorOptions(kFloat32).device(kGpu)), 2);
  const Tensor targets = tensor(std::vector<int64_t>{1, 2, 3, 1, 2}, TensorOptions(kInt64)).to(kInt32);
  auto call = [&](const Tensor& l, const Tensor& t, std::vector<int64_t> il, std::vector<int64_t> tl, int64_t blank) {
    return _cudnn_ctc_loss(l, t, il, tl, blank, true, false);
  };
  CHECK_NOTHROW(call(lp, targets, {6, 6}, {3, 2}, 0));
  CHECK_THROWS_WITH(call(lp.to(kFloat64), targets, {6, 6}, {3, 2}, 0), Catch::Contains("float32"));
  CHECK_THROWS_WITH(call(lp, targets.to(kInt64), {6, 6}, {3, 2}, 0), Catch::Contains("int32 CPU tensor"));
  CHECK_THROWS_WITH(call(lp, targets.to(kGpu), {6, 6}, {3, 2}, 0), Catch::Contains("int32 CPU tensor"));
  CHECK_THROWS_WITH(call(lp, targets, {6, 6}, {3, 2}, 1), Catch::Contains("blank must be label 0"));
  CHECK_THROWS_WITH(call(lp, targets, {6}, {3, 2}, 0), Catch::Contains("expected 2 input_lengths"));
  CHECK_THROWS_WITH(call(lp, targets, {6, 7}, {3, 2}, 0), Catch::Contains("input_lengths[1] = 7"));
  CHECK_THROWS_WITH(call(lp, targets, {6, 0}, {3, 0}, 0), Catch::Contains("input_lengths[1] = 0"));
  CHECK_THROWS_WITH(call(lp, targets, {6, 6}, {3, 7}, 0), Catch::Contains("target_lengths[1] = 7"));
  CHECK_THROWS_WITH(call(lp, targets, {6, 6}, {3, 3}, 0), Catch::Contains("fewer labels"));
  const Tensor with_blank = tensor(std::vector<int64_t>{1, 0, 3, 1, 2}, TensorOptions(kInt64)).to(kInt32);
  CHECK_THROWS_WITH(call(lp, with_blank, {6, 6}, {3, 2}, 0), Catch::Contains("label 1 of the targets is 0"));
  const Tensor too_large = tensor(std::vector<int64_t>{1, 5, 3, 1, 2}, TensorOptions(kInt64)).to(kInt32);
  CHECK_THROWS_WITH(call(lp, too_large, {6, 6}, {3, 2}, 0), Catch::Contains("label 1 of the targets is 5"));
}

TEST_CASE("ctc cudnn: unbatched ctc_loss reads 1-D targets as its one sample's", "[ctc]") {
  manual_seed(3);
  const Tensor lp = log_softmax(randn({7, 4}, TensorOptions(kFloat64)), 1);
  const Tensor targets = tensor(std::vector<int64_t>{1, 3, 3, 2}, TensorOptions(kInt64));
  for (int64_t reduction : {0, 1, 2}) {
    const Tensor unbatched = ctc_loss(lp, targets, {7}, {4}, 0, reduction);
    const Tensor batched = ctc_loss(lp.unsqueeze(1), targets.unsqueeze(0), {7}, {4}, 0, reduction);
    CHECK(unbatched.dim() == (reduction == 0 ? 0 : batched.dim()));
    CHECK(std::fabs(unbatched.item<double>() - batched.reshape({-1})[0].item<double>()) < 1e-12);
  }
}

TEST_CASE("ctc cudnn: _cudnn_ctc_loss matches the CPU recursion on random problems", "[ctc][cudnn][cuda]") {
  if (!cudnn_present("cuDNN's CTC against the recursion")) return;
  struct Size {
    int64_t T, N, C, max_target;
  };
  // targets up to T / 2 + a few repeats (some samples may need more frames than they have: infinite on both sides)
  const Size shapes[] = {{50, 8, 20, 20}, {30, 5, 6, 15}, {20, 4, 300, 10}, {1, 3, 4, 1}, {120, 2, 30, 100}};
  uint64_t seed = 11;
  for (const Size& s : shapes) {
    for (bool deterministic : {true, false}) {
      const Problem p = random_problem(s.T, s.N, s.C, s.max_target, seed++);
      INFO("T " << s.T << " N " << s.N << " C " << s.C << " deterministic " << deterministic);
      const Tensor lp = log_softmax(p.logits, 2);
      auto [nll, grad] = _cudnn_ctc_loss(lp, p.targets, p.input_lengths, p.target_lengths, 0, deterministic, false);
      REQUIRE(nll.sizes() == IntList({s.N}));
      REQUIRE(grad.sizes() == lp.sizes());
      CHECK(nll.device() == kGpu);
      const Tensor lp64 = lp.to(kCPU).to(kFloat64);
      const Tensor targets64 = p.targets.to(kInt64);
      auto [ref_nll, log_alpha] = _ctc_loss(lp64, targets64, p.input_lengths, p.target_lengths, 0, false);
      const Tensor ref_grad = _ctc_loss_backward(ones({s.N}, TensorOptions(kFloat64)), lp64, targets64,
                                                 p.input_lengths, p.target_lengths, ref_nll, log_alpha, 0, false);
      CHECK(max_rel_diff(nll, ref_nll) <= 1e-4);
      CHECK(max_rel_diff(grad, ref_grad) <= 1e-4);
    }
  }
}

TEST_CASE("ctc cudnn: ctc_loss takes cuDNN exactly when the rule holds and matches the recursion's path",
          "[ctc][cudnn][cuda]") {
  if (!cudnn_present("ctc_loss through cuDNN")) return;
  BackendGuard guard;
  const Problem p = random_problem(24, 4, 7, 8, 99);
  // sample 3 gets an impossible alignment: 13 equal labels need 13 + 12 = 25 frames and have 24 (the rule still
  // holds: 13 <= 24), so both paths give it an infinite loss
  std::vector<int64_t> labels = p.targets.to(kInt64).to_vector<int64_t>();
  std::vector<int64_t> target_lengths = p.target_lengths;
  const int64_t before = target_lengths[0] + target_lengths[1] + target_lengths[2];
  labels.resize(static_cast<size_t>(before));
  labels.insert(labels.end(), 13, 2);
  target_lengths[3] = 13;
  const Tensor targets = tensor(labels, TensorOptions(kInt64)).to(kInt32);
  for (int64_t reduction : {0, 1, 2}) {
    for (bool zero_infinity : {false, true}) {
      INFO("reduction " << reduction << " zero_infinity " << zero_infinity);
      auto run = [&](cuda::ConvBackend backend, int expected_cudnn_events) {
        cuda::set_conv_backend(backend);
        const Tensor logits = p.logits.clone().requires_grad_(true);
        Tensor loss;
        {
          CtcEvents events;
          loss = ctc_loss(log_softmax(logits, 2), targets, p.input_lengths, target_lengths, 0, reduction,
                          zero_infinity);
          CHECK(events.cudnn == expected_cudnn_events);
          CHECK(events.recursion == 1 - expected_cudnn_events);
        }
        (reduction == 0 ? loss.sum() : loss).backward();
        return std::pair<Tensor, Tensor>{loss.detach(), logits.grad()};
      };
      const auto [cudnn_loss, cudnn_grad] = run(cuda::ConvBackend::cudnn, 1);
      const auto [native_loss, native_grad] = run(cuda::ConvBackend::naive, 0);
      CHECK(max_rel_diff(cudnn_loss, native_loss) <= 1e-4);
      // without zero_infinity the impossible sample's gradient is NaN on both paths, which max_rel_diff accepts
      CHECK(max_rel_diff(cudnn_grad, native_grad) <= 1e-4);
      if (zero_infinity && reduction == 0) CHECK(cudnn_loss[3].item<double>() == 0.0);
      if (!zero_infinity && reduction == 0) CHECK(std::isinf(cudnn_loss[3].item<double>()));
    }
  }
  // outside the rule: int64 targets, blank 1, an input length below T, float64 take the recursion
  cuda::set_conv_backend(cuda::ConvBackend::cudnn);
  const Tensor lp = log_softmax(p.logits, 2);
  CtcEvents events;
  ctc_loss(lp, targets.to(kInt64), p.input_lengths, target_lengths, 0, 0);
  std::vector<int64_t> shorter = p.input_lengths;
  shorter[0] = 23;
  ctc_loss(lp, targets, shorter, target_lengths, 0, 0);
  ctc_loss(lp.to(kFloat64), targets, p.input_lengths, target_lengths, 0, 0);
  CHECK(events.cudnn == 0);
  CHECK(events.recursion == 3);
}
