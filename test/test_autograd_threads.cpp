// reel/test/test_autograd_threads.cpp — autograd from several threads at once: two threads that each train
// their own small MLP end with bit-identical parameters and gradients to the same trainings run one after
// the other on the main thread; graphs built concurrently with grad mode on in one thread and off in another
// each behave as their own thread's grad mode says (grad mode is thread-local); and passes that run at once
// through a shared leaf (slots are per pass, .grad updates are locked) — and, hidden behind the tag
// [autograd-races], passes through one shared non-leaf, which the engine does not support (docs/autograd.md).
// Assertions run on the main thread after join (Catch2 is not thread-safe); workers only record what they saw.
#include <atomic>
#include <cmath>
#include <exception>
#include <latch>
#include <string>
#include <thread>

#include "autograd_test_utils.h"

using reel::Tensor;
namespace ag = reel::autograd;
using autograd_test::bit_identical;

namespace {

struct Mlp {
  Tensor W1, b1, W2, b2;
  std::vector<Tensor> params() const { return {W1, b1, W2, b2}; }
  // A copy with fresh leaves holding the same values.
  Mlp clone() const {
    auto copy = [](const Tensor& t) { return t.detach().clone().requires_grad_(); };
    return {copy(W1), copy(b1), copy(W2), copy(b2)};
  }
};

struct Dataset {
  Tensor inputs, targets;
};

struct TrainingResult {
  std::vector<Tensor> params;
  std::vector<Tensor> last_grads;
  std::vector<double> losses;
};

constexpr int kTrainingSteps = 50;

// Full-batch SGD on mean squared error: the gradient-producing part runs with grad mode on, the update under
// NoGradGuard, as a user's training loop would.
TrainingResult train(Mlp model, const Dataset& data) {
  TrainingResult result;
  for (int step = 0; step < kTrainingSteps; ++step) {
    for (Tensor& p : model.params()) p.mutable_grad() = Tensor();
    Tensor hidden = reel::tanh(reel::matmul(data.inputs, model.W1.t()) + model.b1);
    Tensor prediction = reel::matmul(hidden, model.W2.t()) + model.b2;
    Tensor loss = ((prediction - data.targets) * (prediction - data.targets)).mean();
    loss.backward();
    result.losses.push_back(loss.item<double>());
    reel::NoGradGuard no_grad;
    for (Tensor& p : model.params()) p.sub_(p.grad() * 0.05);
  }
  result.params = model.params();
  for (const Tensor& p : model.params()) result.last_grads.push_back(p.grad().clone());
  return result;
}

Mlp random_mlp() {
  return {reel::randn({8, 4}).requires_grad_(), reel::randn({8}).requires_grad_(), reel::randn({1, 8}).requires_grad_(),
          reel::randn({1}).requires_grad_()};
}

Dataset random_dataset() { return {reel::randn({16, 4}), reel::randn({16, 1})}; }

void require_bit_identical(const TrainingResult& concurrent, const TrainingResult& sequential) {
  REQUIRE(concurrent.losses == sequential.losses);
  for (size_t i = 0; i < sequential.params.size(); ++i) {
    INFO("parameter " << i);
    REQUIRE(bit_identical(concurrent.params[i], sequential.params[i]));
    REQUIRE(bit_identical(concurrent.last_grads[i], sequential.last_grads[i]));
  }
}

}  // namespace

TEST_CASE("two threads training their own MLP match the same trainings run one after the other",
          "[autograd][threads]") {
  reel::manual_seed(21);  // all random values are drawn here, on the main thread
  const Mlp init_a = random_mlp(), init_b = random_mlp();
  const Dataset data_a = random_dataset(), data_b = random_dataset();

  const TrainingResult sequential_a = train(init_a.clone(), data_a);
  const TrainingResult sequential_b = train(init_b.clone(), data_b);
  REQUIRE(sequential_a.losses.back() < sequential_a.losses.front());  // the trainings do train
  REQUIRE(sequential_b.losses.back() < sequential_b.losses.front());

  const int64_t nodes_before = ag::live_node_count();
  for (int round = 0; round < 4; ++round) {  // several rounds, so the two threads surely overlap at some point
    TrainingResult concurrent_a, concurrent_b;
    std::exception_ptr error_a, error_b;
    std::latch start(2);
    auto run = [&start](const Mlp& init, const Dataset& data, TrainingResult& out, std::exception_ptr& error) {
      start.arrive_and_wait();
      try {
        out = train(init.clone(), data);
      } catch (...) {
        error = std::current_exception();
      }
    };
    const Mlp clone_a = init_a.clone(), clone_b = init_b.clone();
    std::thread thread_a(run, std::cref(clone_a), std::cref(data_a), std::ref(concurrent_a), std::ref(error_a));
    std::thread thread_b(run, std::cref(clone_b), std::cref(data_b), std::ref(concurrent_b), std::ref(error_b));
    thread_a.join();
    thread_b.join();
    if (error_a) std::rethrow_exception(error_a);
    if (error_b) std::rethrow_exception(error_b);
    INFO("round " << round);
    require_bit_identical(concurrent_a, sequential_a);
    require_bit_identical(concurrent_b, sequential_b);
  }
  REQUIRE(ag::live_node_count() == nodes_before);  // nodes freed on the worker threads are gone too
}

TEST_CASE("graphs built concurrently follow the grad mode of their own thread", "[autograd][threads]") {
  constexpr int kIterations = 20000;
  reel::manual_seed(22);
  Tensor w_on = autograd_test::random_leaf({4});
  Tensor x_on = reel::randn({4}, reel::kFloat64);
  Tensor w_off = autograd_test::random_leaf({4});
  Tensor x_off = reel::randn({4}, reel::kFloat64);
  // d/dw sum(tanh(w * x)) = (1 - tanh(w x)^2) x
  std::vector<double> expected_grad;
  {
    reel::NoGradGuard no_grad;
    Tensor t = reel::tanh(w_on * x_on);
    expected_grad = autograd_test::values((1 - t * t) * x_on);
  }

  std::latch start(3);
  std::atomic<int> wrong_gradients{0}, recorded_without_grad_mode{0}, unrecorded_with_grad_mode{0},
      toggling_mismatches{0};
  std::exception_ptr errors[3];
  std::thread grad_on([&] {
    start.arrive_and_wait();
    try {
      for (int i = 0; i < kIterations; ++i) {
        Tensor y = reel::tanh(w_on * x_on).sum();
        if (!y.requires_grad() || !reel::is_grad_enabled()) ++unrecorded_with_grad_mode;
        std::vector<double> g = autograd_test::values(ag::grad({y}, {w_on})[0]);
        for (size_t e = 0; e < g.size(); ++e)
          if (std::abs(g[e] - expected_grad[e]) > 1e-12) ++wrong_gradients;
      }
    } catch (...) {
      errors[0] = std::current_exception();
    }
  });
  std::thread grad_off([&] {
    reel::NoGradGuard no_grad;
    start.arrive_and_wait();
    try {
      for (int i = 0; i < kIterations; ++i) {
        Tensor y = (w_off * x_off).exp().sum();
        if (y.requires_grad() || y.grad_fn() != nullptr || reel::is_grad_enabled()) ++recorded_without_grad_mode;
      }
    } catch (...) {
      errors[1] = std::current_exception();
    }
  });
  std::thread toggling([&] {
    Tensor w = autograd_test::leaf({0.5, -1.5});
    start.arrive_and_wait();
    try {
      for (int i = 0; i < kIterations; ++i) {
        const bool on = i % 2 == 0;
        reel::AutoGradMode mode(on);
        Tensor y = (w * w).sum();
        if (y.requires_grad() != on) ++toggling_mismatches;
      }
    } catch (...) {
      errors[2] = std::current_exception();
    }
  });
  grad_on.join();
  grad_off.join();
  toggling.join();
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  REQUIRE(reel::is_grad_enabled());  // the main thread's mode was never touched
  CHECK(unrecorded_with_grad_mode == 0);
  CHECK(wrong_gradients == 0);
  CHECK(recorded_without_grad_mode == 0);
  CHECK(toggling_mismatches == 0);
  REQUIRE_FALSE(w_on.grad().defined());  // autograd::grad leaves .grad alone
  REQUIRE_FALSE(w_off.grad().defined());
}

// Known library bug (see the report of issue 3's dynamic-graph tests): the engine keeps its per-pass scratch
// for summing a leaf's gradient in the leaf itself (AutogradMeta::engine_epoch / engine_slot), so two
// Backward passes running at once through graphs that share a leaf, each reaching it twice: every pass must
// get its own exact gradient (the engine keeps leaf slots per pass).
TEST_CASE("concurrent autograd::grad calls through graphs that share one leaf parameter",
          "[autograd][threads]") {
  constexpr int kIterations = 20000;
  reel::manual_seed(23);
  Tensor shared_weight = autograd_test::random_leaf({4});
  shared_weight.mutable_grad() = Tensor();  // creates the leaf's autograd state now, not racily in the passes
  const Tensor inputs[2] = {reel::randn({4}, reel::kFloat64), reel::randn({4}, reel::kFloat64)};
  std::vector<double> expected[2];
  for (int i = 0; i < 2; ++i) {
    reel::NoGradGuard no_grad;
    Tensor t = reel::tanh(shared_weight * inputs[i]);
    expected[i] = autograd_test::values((1 - t * t) * inputs[i] + 2 * shared_weight);
  }
  std::latch start(2);
  int wrong_gradients[2] = {0, 0};
  std::vector<double> first_wrong[2];
  std::exception_ptr errors[2];
  auto run = [&](int i) {
    start.arrive_and_wait();
    try {
      for (int k = 0; k < kIterations; ++k) {
        // The leaf is reached twice per pass, so each backward sums two contributions for it.
        Tensor y = reel::tanh(shared_weight * inputs[i]).sum() + (shared_weight * shared_weight).sum();
        std::vector<double> g = autograd_test::values(ag::grad({y}, {shared_weight})[0]);
        for (size_t e = 0; e < g.size(); ++e) {
          if (std::abs(g[e] - expected[i][e]) > 1e-12) {
            if (wrong_gradients[i]++ == 0) first_wrong[i] = g;
            break;
          }
        }
      }
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::thread first(run, 0), second(run, 1);
  first.join();
  second.join();
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  for (int i = 0; i < 2; ++i) {
    INFO("thread " << i << ": expected " << Catch::Detail::stringify(expected[i]) << ", first wrong gradient "
                   << Catch::Detail::stringify(first_wrong[i]));
    CHECK(wrong_gradients[i] == 0);
  }
  REQUIRE_FALSE(shared_weight.grad().defined());
}

// Documented limitation (docs/autograd.md, "Threads"): a node's engine scratch (Node::visit_epoch,
// Node::grad_buffer) is shared by concurrent passes through that node, so two autograd::grad calls through one
// shared non-leaf tensor at the same time can miss the node, mix their gradients or crash. Hidden ([.]) because
// it can crash the process; it documents what "not supported" means: `reel_tests "[autograd-races]"`.
TEST_CASE("concurrent autograd::grad calls through one shared non-leaf tensor", "[.][autograd-races][!mayfail]") {
  constexpr int kIterations = 20000;
  Tensor weight = autograd_test::leaf({0.5, -1.0, 2.0});
  const Tensor shared = weight * 2;  // recorded once, backpropagated through by both threads
  const double factors[2] = {1.0, 3.0};
  std::latch start(2);
  int wrong_gradients[2] = {0, 0};
  int errors[2] = {0, 0};
  std::string first_error[2];
  auto run = [&](int i) {
    start.arrive_and_wait();
    for (int k = 0; k < kIterations; ++k) {
      try {
        Tensor y = (shared * factors[i]).sum();
        std::vector<double> g = autograd_test::values(ag::grad({y}, {weight}, {}, /*retain_graph=*/true)[0]);
        for (double v : g) {
          if (v != 2 * factors[i]) {
            ++wrong_gradients[i];
            break;
          }
        }
      } catch (const std::exception& e) {
        if (errors[i]++ == 0) first_error[i] = e.what();
      }
    }
  };
  std::thread first(run, 0), second(run, 1);
  first.join();
  second.join();
  for (int i = 0; i < 2; ++i) {
    INFO("thread " << i << ": first error: " << first_error[i]);
    CHECK(errors[i] == 0);
    CHECK(wrong_gradients[i] == 0);
  }
}

// Concurrent backward() calls on graphs sharing a leaf: every contribution must land in .grad. The values are
// integers, so the expected sum is exact whatever the order of accumulation.
TEST_CASE("concurrent backward() calls accumulate every contribution into the .grad of a shared leaf",
          "[autograd][threads]") {
  constexpr int kIterations = 5000;
  Tensor shared_weight = autograd_test::leaf({1.0, 2.0, 3.0});
  // Start from a defined zero gradient, so the passes only ever add in place (the first assignment of .grad
  // would be a second, memory-unsafe race).
  shared_weight.mutable_grad() = reel::zeros({3}, reel::kFloat64);
  const Tensor factors[2] = {reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64),
                             reel::tensor({4.0, 5.0, 6.0}, reel::kFloat64)};
  std::latch start(2);
  std::exception_ptr errors[2];
  auto run = [&](int i) {
    start.arrive_and_wait();
    try {
      for (int k = 0; k < kIterations; ++k) (shared_weight * factors[i]).sum().backward();
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::thread first(run, 0), second(run, 1);
  first.join();
  second.join();
  for (auto& error : errors)
    if (error) std::rethrow_exception(error);
  REQUIRE(shared_weight.grad().defined());
  const std::vector<double> expected = {5.0 * kIterations, 7.0 * kIterations, 9.0 * kIterations};
  REQUIRE(autograd_test::values(shared_weight.grad()) == expected);
}
