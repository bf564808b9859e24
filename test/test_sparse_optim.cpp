// reel/test/test_sparse_optim.cpp — optimizers given a sparse embedding's gradient (Note [Row-sparse gradients]),
// checked the way PyTorch defines them: SGD (plain, momentum, nesterov) and Adagrad update only the rows present and
// end where the dense computation ends (float64, each step two backward passes with repeated indices); SparseAdam
// against a hand-written float64 transcription of its lazy update; Adagrad's first step by hand; clip_grad_norm_
// against the dense gradient; and the errors PyTorch raises (weight_decay with a sparse gradient, Adam / AdamW /
// RMSprop given one, SparseAdam given a dense one or bad options).
#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "autograd_test_utils.h"

using autograd_test::error_of;
using autograd_test::require_close;
using Catch::Matchers::Contains;
using reel::Tensor;
namespace optim = reel::optim;
namespace F = reel::nn::functional;

namespace {

const reel::TensorOptions kF64 = reel::TensorOptions(reel::kFloat64);

// Two micro-batches per step; rows repeat within and across them, and some rows are absent from a step.
const std::vector<std::vector<std::vector<int64_t>>> kBatches = {
    {{1, 4, 1}, {4, 6}}, {{0, 1}, {1, 1, 7}}, {{6}, {2, 6, 2}}, {{3, 1}, {1}}};

Tensor ids(const std::vector<int64_t>& rows) { return reel::tensor(rows, reel::kInt64); }

// A loss whose gradient depends on the rows' values (so every optimizer's trajectory matters).
Tensor loss_of(const Tensor& looked_up) {
  const int64_t n = looked_up.size(0);
  const Tensor coefficients = reel::arange(1.0, static_cast<double>(3 * n + 1), 1.0, kF64).reshape({n, 3}) * 0.3;
  return (looked_up.tanh() * coefficients).sum() + looked_up.pow(2).sum() * 0.05;
}

Tensor initial_table() {
  reel::manual_seed(5);
  return reel::randn({8, 3}, kF64);
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// Trains a copy of the initial table for `steps` steps; returns the table (and the optimizer, for its state).
Tensor train(bool sparse, const MakeOptimizer& make, size_t steps = kBatches.size(),
             std::unique_ptr<optim::Optimizer>* kept = nullptr) {
  Tensor table = initial_table().requires_grad_();
  std::unique_ptr<optim::Optimizer> optimizer = make({table});
  for (size_t step = 0; step < steps; ++step) {
    optimizer->zero_grad();
    for (const std::vector<int64_t>& micro_batch : kBatches[step % kBatches.size()])
      loss_of(F::embedding(ids(micro_batch), table, std::nullopt, sparse)).backward();
    REQUIRE(table.grad().is_sparse() == sparse);
    optimizer->step();
  }
  if (kept != nullptr) *kept = std::move(optimizer);
  return table.detach();
}


}  // namespace

TEST_CASE("sparse SGD ends where dense SGD ends", "[sparse][optim]") {
  const std::vector<std::pair<const char*, optim::SGDOptions>> variants = {
      {"plain", optim::SGDOptions(0.3)},
      {"momentum with dampening", optim::SGDOptions(0.3).momentum(0.9).dampening(0.2)},
      {"nesterov", optim::SGDOptions(0.3).momentum(0.8).nesterov(true)}};
  for (const auto& [name, options] : variants) {
    INFO(name);
    const MakeOptimizer make = [options = options](std::vector<Tensor> params) {
      return std::make_unique<optim::SGD>(std::move(params), options);
    };
    std::unique_ptr<optim::Optimizer> sparse_optimizer;
    const Tensor sparse = train(true, make, kBatches.size(), &sparse_optimizer);
    const Tensor dense = train(false, make);
    REQUIRE((sparse - initial_table()).abs().max().item<double>() > 0.1);  // the steps did move the table
    require_close(sparse, dense, 1e-12);
    // rows never looked up (5) keep their values exactly
    REQUIRE(sparse[5].to_vector<double>() == initial_table()[5].to_vector<double>());
    if (options.momentum() != 0) {
      const optim::ParamState* state = sparse_optimizer->state(sparse_optimizer->parameters()[0]);
      REQUIRE(state != nullptr);
      const Tensor& buffer = state->at("momentum_buffer");
      REQUIRE(buffer.is_sparse());  // PyTorch: clone of a sparse gradient
      REQUIRE(buffer.is_coalesced());
      REQUIRE(buffer.indices().to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4, 6, 7});
    }
  }
}

TEST_CASE("sparse SGD's momentum buffer saves as its dense value and training continues identically",
          "[sparse][optim]") {
  const MakeOptimizer make = [](std::vector<Tensor> params) {
    return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions(0.2).momentum(0.9));
  };
  std::unique_ptr<optim::Optimizer> original;
  Tensor table = train(true, make, 2, &original);
  const reel::nn::NamedTensors saved = original->state_dict();
  bool found = false;
  for (const auto& [key, value] : saved) {
    if (key != "state.0.momentum_buffer") continue;
    found = true;
    REQUIRE_FALSE(value.is_sparse());
    REQUIRE(value.sizes() == reel::IntList({8, 3}));
  }
  REQUIRE(found);
  const Tensor restored_table = table.clone().requires_grad_();
  optim::SGD restored({restored_table}, optim::SGDOptions(0.2).momentum(0.9));
  restored.load_state_dict(saved);
  const Tensor continued_table = original->parameters()[0];
  for (auto [param, optimizer] : {std::pair<Tensor, optim::Optimizer*>{continued_table, original.get()},
                                  std::pair<Tensor, optim::Optimizer*>{restored_table, &restored}}) {
    optimizer->zero_grad();
    loss_of(F::embedding(ids({2, 5, 2}), param, std::nullopt, true)).backward();
    optimizer->step();
  }
  require_close(restored_table.detach(), continued_table.detach(), 1e-12);
}

TEST_CASE("sparse Adagrad ends where dense Adagrad ends", "[sparse][optim]") {
  const MakeOptimizer make = [](std::vector<Tensor> params) {
    return std::make_unique<optim::Adagrad>(
        std::move(params), optim::AdagradOptions(0.2).lr_decay(0.05).initial_accumulator_value(0.1).eps(1e-6));
  };
  std::unique_ptr<optim::Optimizer> sparse_optimizer, dense_optimizer;
  const Tensor sparse = train(true, make, kBatches.size(), &sparse_optimizer);
  const Tensor dense = train(false, make, kBatches.size(), &dense_optimizer);
  require_close(sparse, dense, 1e-12);
  const Tensor sparse_sum = sparse_optimizer->state(sparse_optimizer->parameters()[0])->at("sum");
  const Tensor dense_sum = dense_optimizer->state(dense_optimizer->parameters()[0])->at("sum");
  REQUIRE_FALSE(sparse_sum.is_sparse());
  require_close(sparse_sum, dense_sum, 1e-12);
  REQUIRE(sparse_sum[5].to_vector<double>() == std::vector<double>{0.1, 0.1, 0.1});  // row 5 never present
}

TEST_CASE("sparse Adagrad's first step worked by hand", "[sparse][optim]") {
  // w = [[1], [2], [3]]; loss = 3 * (sum of the looked-up rows) with rows {1, 1}: g = 6 at row 1 only.
  // sum[1] = 0 + 36, p[1] = 2 - 0.5 * 6 / (6 + 1e-10); rows 0 and 2 and their sums stay.
  const Tensor w = reel::tensor({{1.0}, {2.0}, {3.0}}, reel::kFloat64).requires_grad_();
  optim::Adagrad adagrad({w}, optim::AdagradOptions(0.5));
  (F::embedding(ids({1, 1}), w, std::nullopt, true).sum() * 3.0).backward();
  REQUIRE(w.grad()._nnz() == 2);
  adagrad.step();
  const std::vector<double> p = w.detach().to_vector<double>();
  REQUIRE(p[0] == 1.0);
  REQUIRE(p[2] == 3.0);
  REQUIRE(p[1] == Approx(2.0 - 0.5 * 6.0 / (6.0 + 1e-10)).epsilon(1e-15));
  REQUIRE(adagrad.state(w)->at("sum").to_vector<double>() == std::vector<double>{0.0, 36.0, 0.0});
}

TEST_CASE("SparseAdam follows its lazy update, transcribed by hand in float64", "[sparse][optim]") {
  const double lr = 0.05, beta1 = 0.8, beta2 = 0.95, eps = 1e-6;
  // The reference: per row present in a step (looked up at least once), with its summed gradient g,
  // m += (1 - b1)(g - m), v += (1 - b2)(g^2 - v), p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps);
  // rows absent keep p, m and v. t counts every step.
  Tensor reference = initial_table();
  std::vector<double> m(24, 0.0), v(24, 0.0);
  Tensor table = initial_table().requires_grad_();
  optim::SparseAdam adam({table}, optim::SparseAdamOptions(lr).betas(std::make_tuple(beta1, beta2)).eps(eps));
  for (size_t step = 0; step < 2 * kBatches.size(); ++step) {
    const auto& batch = kBatches[step % kBatches.size()];
    adam.zero_grad();
    for (const auto& micro_batch : batch) loss_of(F::embedding(ids(micro_batch), table, std::nullopt, true)).backward();
    adam.step();
    // the reference's gradient: the dense embedding's, at the reference's values
    const Tensor leaf = reference.clone().requires_grad_();
    for (const auto& micro_batch : batch) loss_of(reel::embedding(leaf, ids(micro_batch))).backward();
    const std::vector<double> g = leaf.grad().to_vector<double>();
    std::vector<double> p = reference.to_vector<double>();
    std::vector<bool> present(8, false);
    for (const auto& micro_batch : batch)
      for (int64_t row : micro_batch) present[static_cast<size_t>(row)] = true;
    const double t = static_cast<double>(step + 1);
    const double step_size = lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t));
    for (size_t row = 0; row < 8; ++row) {
      if (!present[row]) continue;
      for (size_t k = row * 3; k < row * 3 + 3; ++k) {
        m[k] += (1 - beta1) * (g[k] - m[k]);
        v[k] += (1 - beta2) * (g[k] * g[k] - v[k]);
        p[k] -= step_size * m[k] / (std::sqrt(v[k]) + eps);
      }
    }
    reference = reel::tensor(p, kF64).reshape({8, 3});
  }
  require_close(table.detach(), reference, 1e-12);
  const optim::ParamState& state = *adam.state(table);
  require_close(state.at("exp_avg"), reel::tensor(m, kF64).reshape({8, 3}), 1e-12);
  require_close(state.at("exp_avg_sq"), reel::tensor(v, kF64).reshape({8, 3}), 1e-12);
  REQUIRE(state.at("step").item<double>() == 8.0);
  REQUIRE(state.at("exp_avg")[5].to_vector<double>() == std::vector<double>{0.0, 0.0, 0.0});  // never present
}

TEST_CASE("clip_grad_norm_ counts a sparse gradient by its value", "[sparse][optim]") {
  for (double norm_type : {2.0, 1.0, std::numeric_limits<double>::infinity()}) {
    INFO("norm_type " << norm_type);
    const Tensor table = initial_table().requires_grad_();
    const Tensor dense_table = initial_table().requires_grad_();
    const Tensor u = reel::randn({4}, kF64).requires_grad_();
    const Tensor dense_u = u.detach().clone().requires_grad_();
    // rows 1 and 4 twice: their duplicates must be summed before the norm
    (loss_of(F::embedding(ids({1, 4, 1, 4, 6}), table, std::nullopt, true)) * 3.0 + u.pow(2).sum()).backward();
    (loss_of(reel::embedding(dense_table, ids({1, 4, 1, 4, 6}))) * 3.0 + dense_u.pow(2).sum()).backward();
    REQUIRE(table.grad().is_sparse());
    const double total = optim::clip_grad_norm_({table, u}, 0.5, norm_type);
    const double expected = optim::clip_grad_norm_({dense_table, dense_u}, 0.5, norm_type);
    REQUIRE(total == Approx(expected).epsilon(1e-13));
    REQUIRE(total > 0.5);  // so the gradients were scaled
    REQUIRE(table.grad().is_sparse());
    require_close(table.grad().to_dense(), dense_table.grad(), 1e-12);
    require_close(u.grad(), dense_u.grad(), 1e-12);
  }
}

TEST_CASE("optimizers refuse sparse gradients as PyTorch does", "[sparse][optim][errors]") {
  Tensor table = initial_table().requires_grad_();
  loss_of(F::embedding(ids({1, 2}), table, std::nullopt, true)).backward();
  const std::vector<Tensor> params{table};
  REQUIRE_THAT(error_of([&] { optim::Adam(params).step(); }),
               Contains("Adam does not support sparse gradients, please consider SparseAdam instead"));
  REQUIRE_THAT(error_of([&] { optim::AdamW(params).step(); }),
               Contains("AdamW does not support sparse gradients, please consider SparseAdam instead"));
  REQUIRE_THAT(error_of([&] { optim::RMSprop(params).step(); }), Contains("RMSprop does not support sparse gradients"));
  REQUIRE_THAT(error_of([&] { optim::SGD(params, optim::SGDOptions(0.1).weight_decay(0.01)).step(); }),
               Contains("SGD: weight_decay is not supported with a sparse gradient"));
  optim::Adagrad decaying(params, optim::AdagradOptions(0.1).weight_decay(0.01));
  REQUIRE_THAT(error_of([&] { decaying.step(); }),
               Contains("weight_decay option is not compatible with sparse gradients"));
  REQUIRE(decaying.state(table) == nullptr);  // refused before any state was made
  REQUIRE_THAT(error_of([&] { optim::clip_grad_value_(params, 1.0); }),
               Contains("clip_grad_value_: not supported for a sparse gradient"));
  // SparseAdam: a dense gradient, options out of range, a sparse parameter
  Tensor dense = initial_table().requires_grad_();
  loss_of(reel::embedding(dense, ids({1}))).backward();
  REQUIRE_THAT(error_of([&] { optim::SparseAdam({dense}).step(); }),
               Contains("SparseAdam does not support dense gradients, please consider Adam instead"));
  REQUIRE_THAT(error_of([&] { optim::SparseAdam({dense}, optim::SparseAdamOptions(0.0)); }),
               Contains("SparseAdam: Invalid learning rate: 0"));
  REQUIRE_THAT(error_of([&] { optim::SparseAdam({dense}, optim::SparseAdamOptions().eps(0.0)); }),
               Contains("SparseAdam: Invalid epsilon value: 0"));
  REQUIRE_THAT(error_of([&] { optim::SparseAdam({dense}, optim::SparseAdamOptions().betas(std::make_tuple(1.0, 0.9))); }),
               Contains("invalid beta 1"));
  const Tensor sparse_param = reel::sparse_coo_tensor(reel::zeros({1, 1}, reel::kInt64), reel::ones({1, 3}, kF64), {2, 3});
  REQUIRE_THAT(error_of([&] { optim::SparseAdam({sparse_param}); }),
               Contains("Sparse params at indices [0]: SparseAdam requires dense parameter tensors"));
}
