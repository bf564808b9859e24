// reel/test/test_autograd_deferred.cpp — deferred leaf gradients (Note [Deferred leaf gradients]): the weight
// gradients of linear / mm / addmm and the table gradient of index_select (embedding) that the engine sums once per
// pass, straight into .grad. Every path the engine can take is checked against an independent value:
//   * finite differences (gradcheck, float64) of graphs that use one weight many times;
//   * the one-by-one path: create_graph=true makes the engine decline every deferral, so the same graph's gradient
//     computed that way must agree;
//   * a hand-written float64 sum of outer products / rows;
// and the paths themselves: .grad undefined (pieces summed into the pass's slot), .grad defined (pieces added into
// it in place, the storage kept), a leaf hook (sees the pass's summed gradient), a non-contiguous .grad, the early
// flush when pieces outgrow the leaf, autograd::grad, and threads sharing one weight.
#include <thread>

#include "autograd_test_utils.h"

using reel::Tensor;
using autograd_test::require_close;
namespace ag = reel::autograd;

namespace {

Tensor f64(std::initializer_list<int64_t> shape, uint64_t seed) {
  reel::manual_seed(seed);
  return reel::randn(shape, reel::TensorOptions(reel::kFloat64));
}

// A recurrence that uses w (through linear), u (through mm as mat2) and emb (through embedding) at every step,
// with 1-D, 2-D and 3-D linear inputs.
Tensor shared_weight_graph(const Tensor& w, const Tensor& b, const Tensor& u, const Tensor& emb, int steps) {
  Tensor h = reel::zeros({2, 3}, reel::TensorOptions(reel::kFloat64));
  const Tensor ids = reel::tensor(std::vector<int64_t>{1, 3}, reel::kInt64);
  Tensor total = reel::zeros({}, reel::TensorOptions(reel::kFloat64));
  for (int s = 0; s < steps; ++s) {
    const Tensor x = reel::embedding(emb, ids);          // [2, 3], rows 1 and 3 of the table
    h = reel::tanh(reel::linear(x + h, w, b));            // 2-D input
    h = reel::tanh(reel::mm(h, u));                       // u as mat2
    total = total + reel::linear(h[0], w).sum();          // 1-D input, no bias
    total = total + reel::linear(h.unsqueeze(0), w, b).pow(2).sum() * 0.1;  // 3-D input
  }
  return total + h.sum();
}

std::vector<Tensor> leaves() {
  return {f64({3, 3}, 1).requires_grad_(), f64({3}, 2).requires_grad_(), f64({3, 3}, 3).requires_grad_(),
          f64({5, 3}, 4).requires_grad_()};
}


}  // namespace

TEST_CASE("deferred gradients: a weight used at every step agrees with finite differences", "[autograd][deferred]") {
  const std::vector<Tensor> inputs = leaves();
  auto fn = [](const std::vector<Tensor>& in) { return shared_weight_graph(in[0], in[1], in[2], in[3], 4); };
  const ag::GradcheckResult result = ag::gradcheck(fn, inputs);
  INFO(result.message);
  REQUIRE(result.ok);
}

TEST_CASE("deferred gradients: backward into undefined and into existing .grad agrees with the one-by-one path",
          "[autograd][deferred]") {
  const std::vector<Tensor> p = leaves();
  // The one-by-one path: create_graph makes every formula compute its own contribution.
  const std::vector<Tensor> reference = ag::grad({shared_weight_graph(p[0], p[1], p[2], p[3], 5)}, p, {},
                                                 std::nullopt, /*create_graph=*/true);

  shared_weight_graph(p[0], p[1], p[2], p[3], 5).backward();  // .grad undefined: pieces summed into the slot
  for (size_t i = 0; i < p.size(); ++i) require_close(p[i].grad(), reference[i].detach());

  const void* storage_before = p[0].grad().data_ptr();
  shared_weight_graph(p[0], p[1], p[2], p[3], 5).backward();  // .grad defined: pieces added into it in place
  for (size_t i = 0; i < p.size(); ++i) require_close(p[i].grad(), reference[i].detach() * 2);
  REQUIRE(p[0].grad().data_ptr() == storage_before);  // accumulated in place, as PyTorch does
}

TEST_CASE("deferred gradients: the weight gradient equals a float64 sum of outer products", "[autograd][deferred]") {
  const Tensor w = f64({4, 3}, 5).requires_grad_();
  std::vector<Tensor> xs, gs;
  Tensor loss = reel::zeros({}, reel::TensorOptions(reel::kFloat64));
  for (int k = 0; k < 7; ++k) {
    xs.push_back(f64({k % 3 + 1, 3}, 10 + k));  // 1 to 3 rows per use
    gs.push_back(f64({k % 3 + 1, 4}, 20 + k));
    loss = loss + (reel::linear(xs.back(), w) * gs.back()).sum();  // d loss / d y = g
  }
  loss.backward();
  std::vector<double> expected(12, 0.0);
  for (size_t k = 0; k < xs.size(); ++k) {
    for (int64_t r = 0; r < xs[k].size(0); ++r)
      for (int64_t o = 0; o < 4; ++o)
        for (int64_t i = 0; i < 3; ++i)
          expected[static_cast<size_t>(o * 3 + i)] += gs[k][r][o].item<double>() * xs[k][r][i].item<double>();
  }
  const Tensor grad = w.grad().contiguous();
  for (size_t e = 0; e < expected.size(); ++e) REQUIRE(grad.data_ptr<double>()[e] == Approx(expected[e]).epsilon(1e-12));
}

TEST_CASE("deferred gradients: embedding rows add up, repeated ids included", "[autograd][deferred]") {
  const Tensor table = f64({6, 2}, 7).requires_grad_();
  const std::vector<std::vector<int64_t>> lookups{{0, 2, 2}, {5}, {2, 0}};
  std::vector<double> expected(12, 0.0);
  Tensor loss = reel::zeros({}, reel::TensorOptions(reel::kFloat64));
  for (size_t k = 0; k < lookups.size(); ++k) {
    const Tensor ids = reel::tensor(lookups[k], reel::kInt64);
    const Tensor weights = f64({static_cast<int64_t>(lookups[k].size()), 2}, 30 + k);
    loss = loss + (reel::embedding(table, ids) * weights).sum();
    for (size_t r = 0; r < lookups[k].size(); ++r)
      for (int64_t c = 0; c < 2; ++c)
        expected[static_cast<size_t>(lookups[k][r] * 2 + c)] += weights[static_cast<int64_t>(r)][c].item<double>();
  }
  loss.backward();
  for (size_t e = 0; e < expected.size(); ++e)
    REQUIRE(table.grad().data_ptr<double>()[e] == Approx(expected[e]).epsilon(1e-12));
}

TEST_CASE("deferred gradients: a leaf hook sees the pass's summed gradient once", "[autograd][deferred]") {
  const std::vector<Tensor> p = leaves();
  const std::vector<Tensor> reference =
      ag::grad({shared_weight_graph(p[0], p[1], p[2], p[3], 3)}, {p[0]}, {}, std::nullopt, true);
  int calls = 0;
  Tensor seen;
  p[0].register_hook([&](const Tensor& g) {
    ++calls;
    seen = g.clone();
    return g * 2;  // the hook's result is what .grad receives
  });
  shared_weight_graph(p[0], p[1], p[2], p[3], 3).backward();
  REQUIRE(calls == 1);
  require_close(seen, reference[0].detach());
  require_close(p[0].grad(), reference[0].detach() * 2);
}

TEST_CASE("deferred gradients: a non-contiguous .grad is accumulated correctly", "[autograd][deferred]") {
  std::vector<Tensor> p = leaves();
  const std::vector<Tensor> reference =
      ag::grad({shared_weight_graph(p[0], p[1], p[2], p[3], 3)}, {p[0]}, {}, std::nullopt, true);
  const Tensor start = f64({3, 3}, 40);
  p[0].mutable_grad() = start.clone().t();  // a transposed view as .grad (its own memory: updated in place)
  shared_weight_graph(p[0], p[1], p[2], p[3], 3).backward();
  require_close(p[0].grad(), start.t() + reference[0].detach());
}

TEST_CASE("deferred gradients: pieces larger than the leaf are summed early, with the same result",
          "[autograd][deferred]") {
  // A [2, 2] weight used 80 times with 2000-row inputs: the pieces outgrow 256 Ki elements and are flushed
  // several times during the pass.
  const Tensor w = f64({2, 2}, 8).requires_grad_();
  reel::manual_seed(9);
  const Tensor x = reel::randn({2000, 2}, reel::TensorOptions(reel::kFloat64));
  Tensor h = x;
  for (int k = 0; k < 80; ++k) h = reel::tanh(reel::linear(h, w)) + x;
  const Tensor loss = h.sum();
  const std::vector<Tensor> reference = ag::grad({loss}, {w}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  loss.backward();
  require_close(w.grad(), reference[0].detach(), 1e-9);
}

TEST_CASE("deferred gradients: autograd::grad leaves .grad alone and matches backward", "[autograd][deferred]") {
  const std::vector<Tensor> p = leaves();
  const std::vector<Tensor> grads = ag::grad({shared_weight_graph(p[0], p[1], p[2], p[3], 3)}, p);
  for (const Tensor& leaf : p) REQUIRE_FALSE(leaf.grad().defined());
  shared_weight_graph(p[0], p[1], p[2], p[3], 3).backward();
  for (size_t i = 0; i < p.size(); ++i) require_close(p[i].grad(), grads[i]);
}

TEST_CASE("deferred gradients: threads backpropagating through one shared weight add every contribution",
          "[autograd][deferred][threads]") {
  const std::vector<Tensor> p = leaves();
  const std::vector<Tensor> one =
      ag::grad({shared_weight_graph(p[0], p[1], p[2], p[3], 2)}, p, {}, std::nullopt, true);
  constexpr int kThreads = 4, kPasses = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int pass = 0; pass < kPasses; ++pass) shared_weight_graph(p[0], p[1], p[2], p[3], 2).backward();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < p.size(); ++i) require_close(p[i].grad(), one[i].detach() * (kThreads * kPasses), 1e-9);
}

TEST_CASE("deferred gradients: select and slice add into a node's gradient buffer in place", "[autograd][deferred]") {
  // x is a non-leaf [5, 3, 4]; every step reads one select and one narrow of it, and the whole of x is also
  // used directly (a gradient that arrives as an expanded view, which the buffer must copy before adding into).
  const Tensor w = f64({4, 4}, 11).requires_grad_();
  const Tensor input = f64({5, 3, 4}, 12).requires_grad_();
  auto graph = [&](const Tensor& weight, const Tensor& in) {
    const Tensor x = reel::linear(in, weight);
    Tensor loss = x.sum() * 0.5;
    Tensor h = reel::zeros({3, 4}, reel::TensorOptions(reel::kFloat64));
    for (int64_t t = 0; t < 5; ++t) {
      h = reel::tanh(x[t] + reel::linear(h, weight));
      loss = loss + (h * x.narrow(0, t, 1).squeeze(0)).sum();
      loss = loss + x.narrow(2, 1, 2).select(0, t).pow(2).sum() * 0.25;
    }
    return loss;
  };
  const ag::GradcheckResult result =
      ag::gradcheck([&](const std::vector<Tensor>& in) { return graph(in[0], in[1]); }, {w, input});
  INFO(result.message);
  REQUIRE(result.ok);
  const std::vector<Tensor> reference = ag::grad({graph(w, input)}, {w, input}, {}, std::nullopt, true);
  graph(w, input).backward();
  require_close(w.grad(), reference[0].detach());
  require_close(input.grad(), reference[1].detach());
}
