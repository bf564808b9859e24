// reel/test/test_threads_shared.cpp — tensors and modules shared read-only across threads (issue 8).
//
// Several threads at once each build their own graph over the same tensors: weights without grad read by
// every forward; leaves that require grad, differentiated by every thread with autograd::grad; one module
// in eval mode whose forward every thread calls; and checkpoints saved and loaded by every thread to its own
// files while all of them also read one shared file. Every thread's results must be bit-identical to the same
// work done first on the main thread, and the shared tensors must come out untouched (values, version
// counters, no .grad). The tensors are big enough (over TensorIter's 32768-element grain) that each op also
// splits over OpenMP threads inside each worker thread.
//
// scripts/tsan.sh runs these under ThreadSanitizer ("[threads]" tag). Assertions run on the main thread
// after join (Catch2 is not thread-safe); workers only store what they computed.
#include <reel/reel.h>

#include <exception>
#include <functional>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "autograd_test_utils.h"
#include "nn/serialize.h"
#include "serialize_test_utils.h"

using reel::Tensor;
namespace ag = reel::autograd;
namespace nn = reel::nn;
using autograd_test::bit_identical;

namespace {

constexpr int kThreads = 4;

// Runs body(0) ... body(threads - 1) on their own threads, released together, and rethrows the first
// exception any of them threw.
void run_concurrently(int threads, const std::function<void(int)>& body) {
  std::latch start(threads);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        body(i);
      } catch (...) {
        errors[static_cast<size_t>(i)] = std::current_exception();
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
}

// A deep copy, to check later that a shared tensor was left as it was.
Tensor snapshot(const Tensor& t) { return t.detach().clone(); }

// --- shared weights without grad, a per-thread leaf -------------------------------------------------------

struct SharedWeights {
  Tensor w1, b1, w2;  // float32, requires_grad false
};

struct ForwardResult {
  Tensor logits;     // [128, 10]
  Tensor head_grad;  // d loss / d head, [10]
};

// hidden = tanh(x w1 + b1) is [128, 512] (65536 elements, split over OpenMP threads); the loss reaches the
// thread's own leaf `head` only, so backward() writes nothing shared.
ForwardResult forward_with_own_head(const SharedWeights& shared, const Tensor& x, const Tensor& head_init) {
  Tensor head = head_init.detach().clone().requires_grad_();
  Tensor hidden = reel::tanh(reel::matmul(x, shared.w1) + shared.b1);
  Tensor logits = reel::matmul(hidden, shared.w2) * head;
  Tensor loss = reel::log_softmax(logits, 1).mean() + (hidden * hidden).sum() * 1e-4;
  loss.backward();
  return {logits.detach(), head.grad()};
}

// --- shared leaves differentiated with autograd::grad -----------------------------------------------------

struct LeafGrads {
  Tensor value, grad_a, grad_b;
};

// y = sum((tanh(a * scale) @ b)^2): a is [256, 256] float64, b [256]; grad w.r.t. both shared leaves.
LeafGrads grads_through_shared_leaves(const Tensor& a, const Tensor& b, double scale) {
  Tensor projected = reel::matmul(reel::tanh(a * scale), b);
  Tensor y = (projected * projected).sum();
  std::vector<Tensor> grads = ag::grad({y}, {a, b});
  return {y.detach(), grads[0], grads[1]};
}

// --- a shared module in eval mode -------------------------------------------------------------------------

nn::Sequential make_network() {
  return nn::Sequential(nn::Linear(64, 256), nn::BatchNorm1d(256), nn::ReLU(), nn::Dropout(0.5),
                        nn::Linear(256, 10));
}

}  // namespace

TEST_CASE("threads building graphs over shared weights without grad match a single-threaded run",
          "[threads][threads-shared]") {
  reel::manual_seed(81);
  const SharedWeights shared{reel::randn({64, 512}) * 0.2, reel::randn({512}) * 0.1, reel::randn({512, 10}) * 0.1};
  std::vector<Tensor> inputs, heads;
  for (int i = 0; i < kThreads; ++i) {
    inputs.push_back(reel::randn({128, 64}));
    heads.push_back(reel::randn({10}));
  }
  const std::vector<Tensor> before = {snapshot(shared.w1), snapshot(shared.b1), snapshot(shared.w2)};
  const uint32_t version_before = shared.w1.version();

  std::vector<ForwardResult> expected;
  for (int i = 0; i < kThreads; ++i) expected.push_back(forward_with_own_head(shared, inputs[i], heads[i]));

  for (int round = 0; round < 2; ++round) {
    std::vector<ForwardResult> got(kThreads);
    run_concurrently(kThreads, [&](int i) { got[i] = forward_with_own_head(shared, inputs[i], heads[i]); });
    for (int i = 0; i < kThreads; ++i) {
      INFO("round " << round << ", thread " << i);
      REQUIRE(bit_identical(got[i].logits, expected[i].logits));
      REQUIRE(bit_identical(got[i].head_grad, expected[i].head_grad));
    }
  }
  CHECK(bit_identical(shared.w1, before[0]));
  CHECK(bit_identical(shared.b1, before[1]));
  CHECK(bit_identical(shared.w2, before[2]));
  CHECK(shared.w1.version() == version_before);
  CHECK_FALSE(shared.w1.requires_grad());
}

TEST_CASE("threads taking autograd::grad through shared leaves match a single-threaded run",
          "[threads][threads-shared]") {
  reel::manual_seed(82);
  // Fresh leaves whose autograd state nothing has touched yet: the passes must not need to create any.
  const Tensor a = (reel::randn({256, 256}, reel::kFloat64) * 0.1).requires_grad_();
  const Tensor b = reel::randn({256}, reel::kFloat64).requires_grad_();
  const Tensor a_before = snapshot(a), b_before = snapshot(b);
  const double scales[kThreads] = {0.5, 1.0, 1.5, 2.0};

  std::vector<LeafGrads> expected;
  for (double scale : scales) expected.push_back(grads_through_shared_leaves(a, b, scale));
  // The four passes differ, so a mixed-up gradient would show.
  REQUIRE_FALSE(bit_identical(expected[0].grad_a, expected[1].grad_a));

  for (int round = 0; round < 2; ++round) {
    std::vector<LeafGrads> got(kThreads);
    run_concurrently(kThreads, [&](int i) { got[i] = grads_through_shared_leaves(a, b, scales[i]); });
    for (int i = 0; i < kThreads; ++i) {
      INFO("round " << round << ", thread " << i);
      REQUIRE(bit_identical(got[i].value, expected[i].value));
      REQUIRE(bit_identical(got[i].grad_a, expected[i].grad_a));
      REQUIRE(bit_identical(got[i].grad_b, expected[i].grad_b));
    }
  }
  // An independent check of one gradient: d/db sum((M b)^2) = 2 M^T M b with M = tanh(a * 0.5).
  {
    reel::NoGradGuard no_grad;
    const Tensor m = reel::tanh(a * 0.5);
    const Tensor reference = reel::matmul(m.t(), reel::matmul(m, b)) * 2;
    const std::vector<double> got = expected[0].grad_b.to_vector<double>(), want = reference.to_vector<double>();
    REQUIRE(got.size() == want.size());
    for (size_t k = 0; k < got.size(); ++k) CHECK(got[k] == Approx(want[k]).epsilon(1e-10).margin(1e-10));
  }
  CHECK(bit_identical(a, a_before));
  CHECK(bit_identical(b, b_before));
  CHECK_FALSE(a.grad().defined());  // autograd::grad leaves .grad alone
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("concurrent forward in eval mode on one shared module matches a single-threaded run",
          "[threads][threads-shared]") {
  reel::manual_seed(83);
  nn::Sequential net = make_network();
  {
    // A few training-mode passes give the batch norm running statistics that are not the defaults.
    reel::NoGradGuard no_grad;
    for (int step = 0; step < 3; ++step) net->forward(reel::randn({32, 64}) * 2 + 1);
  }
  net->eval();
  const nn::NamedTensors state_before = net->state_dict();
  std::vector<Tensor> state_copy;
  for (const auto& [name, tensor] : state_before) state_copy.push_back(snapshot(tensor));

  std::vector<Tensor> inputs;
  for (int i = 0; i < kThreads; ++i) inputs.push_back(reel::randn({256, 64}));
  // Even threads run under NoGradGuard; odd ones record a graph through the shared parameters and take the
  // gradient with respect to their own input only (so no parameter's .grad is written).
  auto run = [&](int i, Tensor* out, Tensor* input_grad) {
    if (i % 2 == 0) {
      reel::NoGradGuard no_grad;
      *out = net->forward(inputs[i]);
      return;
    }
    Tensor x = inputs[i].detach().requires_grad_();
    Tensor y = net->forward(x);
    *input_grad = ag::grad({(y * y).sum()}, {x})[0];
    *out = y.detach();
  };
  std::vector<Tensor> expected(kThreads), expected_grads(kThreads);
  for (int i = 0; i < kThreads; ++i) run(i, &expected[i], &expected_grads[i]);
  // Eval mode: Dropout is the identity, so two passes over one input agree.
  {
    reel::NoGradGuard no_grad;
    REQUIRE(bit_identical(net->forward(inputs[0]), expected[0]));
  }

  for (int round = 0; round < 2; ++round) {
    std::vector<Tensor> got(kThreads), got_grads(kThreads);
    run_concurrently(kThreads, [&](int i) { run(i, &got[i], &got_grads[i]); });
    for (int i = 0; i < kThreads; ++i) {
      INFO("round " << round << ", thread " << i);
      REQUIRE(bit_identical(got[i], expected[i]));
      REQUIRE(bit_identical(got_grads[i], expected_grads[i]));
    }
  }
  const nn::NamedTensors state_after = net->state_dict();
  REQUIRE(state_after.size() == state_copy.size());
  for (size_t k = 0; k < state_copy.size(); ++k) {
    INFO("state " << state_after[k].first);
    CHECK(bit_identical(state_after[k].second, state_copy[k]));
  }
  for (const Tensor& p : net->parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("concurrent saves and loads of different files match a single-threaded round trip",
          "[threads][threads-shared][serialize]") {
  reel::manual_seed(84);
  nn::Sequential net = make_network();
  net->eval();
  const nn::NamedTensors state = net->state_dict();
  serialize_test::TempDir dir;
  const std::string shared_file = dir.file("shared.safetensors");
  reel::serialize::save_safetensors(shared_file, state);

  std::vector<Tensor> own;
  for (int i = 0; i < kThreads; ++i) own.push_back(reel::randn({64, 33}, reel::kFloat64) + i);

  struct Loaded {
    nn::NamedTensors shared, safetensors, npz;
    Tensor npy;
  };
  // Each thread writes the shared module's state plus its own tensor to its own three files, reads them back,
  // and reads the one shared file every other thread reads too.
  auto round_trip = [&](int i) {
    const std::string stem = dir.file("thread" + std::to_string(i));
    nn::NamedTensors mine = state;
    mine.emplace_back("own", own[i]);
    reel::serialize::save_safetensors(stem + ".safetensors", mine, {{"thread", std::to_string(i)}});
    reel::serialize::save_npz(stem + ".npz", mine);
    reel::serialize::save_npy(stem + ".npy", own[i]);
    Loaded loaded;
    loaded.shared = reel::serialize::load_safetensors(shared_file);
    loaded.safetensors = reel::serialize::load_safetensors(stem + ".safetensors");
    loaded.npz = reel::serialize::load_npz(stem + ".npz");
    loaded.npy = reel::serialize::load_npy(stem + ".npy");
    return loaded;
  };
  // The single-threaded run writes the same files first; the concurrent rounds overwrite them (atomically).
  std::vector<Loaded> expected;
  for (int i = 0; i < kThreads; ++i) expected.push_back(round_trip(i));

  auto same = [](const nn::NamedTensors& a, const nn::NamedTensors& b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k)
      if (a[k].first != b[k].first || !bit_identical(a[k].second, b[k].second)) return false;
    return true;
  };
  auto by_name = [](const nn::NamedTensors& tensors, const std::string& name) {
    for (const auto& [key, tensor] : tensors)
      if (key == name) return tensor;
    return Tensor();
  };
  for (int i = 0; i < kThreads; ++i) {
    REQUIRE(bit_identical(expected[i].npy, own[i]));
    REQUIRE(bit_identical(by_name(expected[i].npz, "own"), own[i]));
    REQUIRE(bit_identical(by_name(expected[i].safetensors, "own"), own[i]));
    REQUIRE(bit_identical(by_name(expected[i].shared, "0.weight"), by_name(state, "0.weight")));
  }

  for (int round = 0; round < 2; ++round) {
    std::vector<Loaded> got(kThreads);
    run_concurrently(kThreads, [&](int i) { got[i] = round_trip(i); });
    for (int i = 0; i < kThreads; ++i) {
      INFO("round " << round << ", thread " << i);
      CHECK(same(got[i].shared, expected[i].shared));
      CHECK(same(got[i].safetensors, expected[i].safetensors));
      CHECK(same(got[i].npz, expected[i].npz));
      CHECK(bit_identical(got[i].npy, expected[i].npy));
    }
  }
  // No temporary file is left behind by the atomic saves.
  std::vector<std::string> names = dir.entries();
  CHECK(names.size() == 1 + 3 * kThreads);
}
