// reel/test/test_dynamic_graphs.cpp — backward through graphs that ordinary C++ control flow builds anew on
// every forward pass: a loop whose trip count depends on the data, a branch chosen per input, recursion over
// random binary trees (a tiny tree-RNN), a module picked per example from a set, and one weight shared by
// every step of an unrolled RNN. Each is checked with autograd::gradcheck (float64, finite differences) and,
// where the math is short, against a gradient derived by hand. The data-dependent decisions are recorded on
// every forward pass gradcheck makes, so a test also proves its perturbations never changed the graph's shape.
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "autograd_test_utils.h"

using reel::Tensor;
namespace ag = reel::autograd;
using autograd_test::leaf;
using autograd_test::random_leaf;
using autograd_test::values;

namespace {

// ---- a loop with a data-derived trip count ------------------------------------------------------------------

// h = x; repeat n times: h = h * a, where n is the number of positive elements of x. y = sum(h) = a^n sum(x).
Tensor scale_once_per_positive_element(const Tensor& x, const Tensor& a, int* trip_count) {
  const int n = static_cast<int>((x > 0).sum().item<int64_t>());
  Tensor h = x;
  for (int i = 0; i < n; ++i) h = h * a;
  *trip_count = n;
  return h.sum();
}

// h = x; while ||h|| >= 0.25 ||x||: h = 0.8 tanh(W h + b). The threshold comes from the input.
Tensor iterate_until_norm_is_small(const Tensor& x, const Tensor& W, const Tensor& b, int* trip_count) {
  const double threshold = 0.25 * x.norm().item<double>();
  Tensor h = x;
  int steps = 0;
  while (h.norm().item<double>() >= threshold) {
    if (steps == 100) throw std::runtime_error("iterate_until_norm_is_small: no convergence");
    h = reel::tanh(reel::matmul(W, h) + b) * 0.8;
    ++steps;
  }
  *trip_count = steps;
  return h;
}

}  // namespace

TEST_CASE("loop repeated once per positive element: gradcheck and hand-derived gradient", "[autograd][dynamic]") {
  Tensor a = leaf({1.3});
  // Every |x_i| >= 0.3, far from the sign change that would alter the trip count under gradcheck's eps.
  Tensor x_two_positive = leaf({0.5, -0.7, 1.1, -0.3});
  Tensor x_four_positive = leaf({0.5, 0.7, 1.1, 0.3, -0.9});
  std::set<int> trips_seen_overall;
  for (const Tensor& x : {x_two_positive, x_four_positive}) {
    std::set<int> trips_seen;
    auto fn = [&](const std::vector<Tensor>& in) {
      int trips = 0;
      Tensor y = scale_once_per_positive_element(in[0], in[1], &trips);
      trips_seen.insert(trips);
      return y;
    };
    REQUIRE_GRADCHECK(fn, (std::vector<Tensor>{x, a}));
    REQUIRE(trips_seen.size() == 1);  // gradcheck's perturbations kept the same graph
    const int n = *trips_seen.begin();
    trips_seen_overall.insert(n);

    // d/da a^n sum(x) = n a^(n-1) sum(x); d/dx_i = a^n.
    int trips = 0;
    auto grads = ag::grad({scale_once_per_positive_element(x, a, &trips)}, {x, a});
    const double av = 1.3;
    double sum_x = 0;
    for (double v : values(x)) sum_x += v;
    CHECK(values(grads[1])[0] == Approx(n * std::pow(av, n - 1) * sum_x).epsilon(1e-12));
    for (double g : values(grads[0])) CHECK(g == Approx(std::pow(av, n)).epsilon(1e-12));
  }
  REQUIRE(trips_seen_overall == std::set<int>{2, 4});
}

TEST_CASE("loop until the norm falls below a threshold computed from the input", "[autograd][dynamic]") {
  reel::manual_seed(11);
  // A slow contraction (W near the identity, b small), so that small inputs take several steps.
  Tensor W = (reel::eye(4, reel::kFloat64) + reel::randn({4, 4}, reel::kFloat64) * 0.1).detach().requires_grad_();
  Tensor b = random_leaf({4}, 0.02);
  // Same direction, different scale: the large input saturates tanh and is done after one step; the small
  // one stays in tanh's linear range and shrinks by about 0.8 per step.
  Tensor direction = reel::randn({4}, reel::kFloat64);
  Tensor x_large = (direction * 3.0).detach().requires_grad_();
  Tensor x_small = (direction * 0.4).detach().requires_grad_();
  std::set<int> trips_seen_overall;
  for (const Tensor& x : {x_large, x_small}) {
    std::set<int> trips_seen;
    auto fn = [&](const std::vector<Tensor>& in) {
      int trips = 0;
      Tensor h = iterate_until_norm_is_small(in[0], in[1], in[2], &trips);
      trips_seen.insert(trips);
      return h;
    };
    REQUIRE_GRADCHECK(fn, (std::vector<Tensor>{x, W, b}));
    REQUIRE(trips_seen.size() == 1);
    trips_seen_overall.insert(*trips_seen.begin());
  }
  INFO("trip counts: " << *trips_seen_overall.begin() << ", " << *trips_seen_overall.rbegin());
  REQUIRE(trips_seen_overall.size() == 2);  // the two inputs really ran the loop a different number of times
  REQUIRE(*trips_seen_overall.rbegin() >= 4);
}

// ---- a branch chosen per input ----------------------------------------------------------------------------

namespace {

struct BranchParams {
  Tensor W1, b1;  // branch taken when sum(x) > 0: sum(tanh(W1 x + b1) * x)
  Tensor W2, v2;  // otherwise: sum(sigmoid(W2 x) * v2) + sum(x * x)
};

Tensor branch_by_sign_of_sum(const Tensor& x, const BranchParams& p, int* branch) {
  if (x.sum().item<double>() > 0) {
    *branch = 0;
    return (reel::tanh(reel::matmul(p.W1, x) + p.b1) * x).sum();
  }
  *branch = 1;
  return (reel::sigmoid(reel::matmul(p.W2, x)) * p.v2).sum() + (x * x).sum();
}

}  // namespace

TEST_CASE("branch chosen per input: both sub-networks gradchecked, the other gets no gradient", "[autograd][dynamic]") {
  reel::manual_seed(12);
  BranchParams p{random_leaf({3, 3}), random_leaf({3}), random_leaf({3, 3}), random_leaf({3})};
  Tensor x_positive = leaf({0.8, -0.2, 0.6});   // sum 1.2
  Tensor x_negative = leaf({-0.9, 0.3, -0.5});  // sum -1.1
  std::set<int> branches_seen_overall;
  for (const Tensor& x : {x_positive, x_negative}) {
    std::set<int> branches_seen;
    auto fn = [&](const std::vector<Tensor>& in) {
      int branch = -1;
      Tensor y = branch_by_sign_of_sum(in[0], BranchParams{in[1], in[2], in[3], in[4]}, &branch);
      branches_seen.insert(branch);
      return y;
    };
    REQUIRE_GRADCHECK(fn, (std::vector<Tensor>{x, p.W1, p.b1, p.W2, p.v2}));
    REQUIRE(branches_seen.size() == 1);
    branches_seen_overall.insert(*branches_seen.begin());
  }
  REQUIRE(branches_seen_overall == std::set<int>{0, 1});

  // backward() through the second branch reaches only its own parameters.
  int branch = -1;
  branch_by_sign_of_sum(x_negative, p, &branch).backward();
  REQUIRE(branch == 1);
  REQUIRE_FALSE(p.W1.grad().defined());
  REQUIRE_FALSE(p.b1.grad().defined());
  REQUIRE(p.W2.grad().defined());
  // Hand-derived: d/dv2 = sigmoid(W2 x); d/dx = W2^T (sigmoid'(W2 x) * v2) + 2x.
  const std::vector<double> W2 = values(p.W2), v2 = values(p.v2), xv = values(x_negative);
  std::vector<double> s(3), dx(3);
  for (int i = 0; i < 3; ++i) {
    double z = 0;
    for (int j = 0; j < 3; ++j) z += W2[i * 3 + j] * xv[j];
    s[i] = 1.0 / (1.0 + std::exp(-z));
  }
  for (int j = 0; j < 3; ++j) {
    dx[j] = 2 * xv[j];
    for (int i = 0; i < 3; ++i) dx[j] += W2[i * 3 + j] * s[i] * (1 - s[i]) * v2[i];
  }
  for (int i = 0; i < 3; ++i) {
    CHECK(values(p.v2.grad())[i] == Approx(s[i]).epsilon(1e-12));
    CHECK(values(x_negative.grad())[i] == Approx(dx[i]).epsilon(1e-12));
  }

  // And through the first branch only the first branch's parameters.
  p.W2.mutable_grad() = Tensor();
  branch_by_sign_of_sum(x_positive, p, &branch).backward();
  REQUIRE(branch == 0);
  REQUIRE(p.W1.grad().defined());
  REQUIRE(p.b1.grad().defined());
  REQUIRE_FALSE(p.W2.grad().defined());
}

// ---- recursion over random binary trees (a tiny tree-RNN) -------------------------------------------------

namespace {

constexpr int kTreeDim = 3;
constexpr int kVocab = 9;

struct Tree {
  int word = -1;  // >= 0 for a leaf
  std::unique_ptr<Tree> left, right;
};

// A random binary tree: the root is always inner; below it a node becomes a leaf with probability 0.4, and
// always at depth 4.
std::unique_ptr<Tree> random_tree(std::mt19937& rng, int depth = 0) {
  auto node = std::make_unique<Tree>();
  std::bernoulli_distribution make_leaf(0.4);
  if (depth == 4 || (depth > 0 && make_leaf(rng))) {
    node->word = std::uniform_int_distribution<int>(0, kVocab - 1)(rng);
    return node;
  }
  node->left = random_tree(rng, depth + 1);
  node->right = random_tree(rng, depth + 1);
  return node;
}

// The tree's shape and words, e.g. "((3 1) 7)".
std::string describe(const Tree& t) {
  if (t.word >= 0) return std::to_string(t.word);
  return "(" + describe(*t.left) + " " + describe(*t.right) + ")";
}

void collect_words(const Tree& t, std::set<int>& words) {
  if (t.word >= 0) {
    words.insert(t.word);
    return;
  }
  collect_words(*t.left, words);
  collect_words(*t.right, words);
}

struct TreeRnn {
  Tensor embedding, W_left, W_right, b;
};

// A leaf is its word's embedding row; an inner node is tanh(W_l h_left + W_r h_right + b).
Tensor encode(const Tree& t, const TreeRnn& p) {
  if (t.word >= 0)
    return reel::embedding(p.embedding, reel::tensor(std::vector<int64_t>{static_cast<int64_t>(t.word)}))
        .reshape({kTreeDim});
  return reel::tanh(reel::matmul(p.W_left, encode(*t.left, p)) + reel::matmul(p.W_right, encode(*t.right, p)) + p.b);
}

}  // namespace

TEST_CASE("tree-RNN over random binary trees: gradcheck of W_l, W_r, b and the embedding table",
          "[autograd][dynamic]") {
  reel::manual_seed(13);
  TreeRnn p{random_leaf({kVocab, kTreeDim}), random_leaf({kTreeDim, kTreeDim}, 0.7),
            random_leaf({kTreeDim, kTreeDim}, 0.7), random_leaf({kTreeDim}, 0.3)};
  std::set<std::string> shapes;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    std::unique_ptr<Tree> tree = random_tree(rng);
    const std::string shape = describe(*tree);
    shapes.insert(shape);
    INFO("tree " << shape);
    auto fn = [&](const std::vector<Tensor>& in) { return encode(*tree, TreeRnn{in[0], in[1], in[2], in[3]}); };
    REQUIRE_GRADCHECK(fn, (std::vector<Tensor>{p.embedding, p.W_left, p.W_right, p.b}));

    // The embedding gradient has nonzero rows exactly for the tree's words.
    std::set<int> words;
    collect_words(*tree, words);
    Tensor grad_table = ag::grad({encode(*tree, p).sum()}, {p.embedding})[0];
    REQUIRE(grad_table.sizes() == reel::IntList({kVocab, kTreeDim}));
    for (int w = 0; w < kVocab; ++w) {
      const double row_norm = grad_table.select(0, w).norm().item<double>();
      INFO("word " << w);
      if (words.count(w) != 0)
        CHECK(row_norm > 0);
      else
        CHECK(row_norm == 0);
    }
  }
  REQUIRE(shapes.size() == 4);  // four different trees, so four different graphs
}

// ---- a module picked per example ----------------------------------------------------------------------------

namespace {

struct TinyModule {
  std::vector<Tensor> params;
  std::function<Tensor(const Tensor& x, const std::vector<Tensor>& params)> forward;
};

std::vector<TinyModule> make_modules() {
  return {
      // 0: linear, w . x + c
      {{random_leaf({3}), random_leaf({1})},
       [](const Tensor& x, const std::vector<Tensor>& q) { return (q[0] * x).sum() + q[1].sum(); }},
      // 1: one hidden layer, v . tanh(A x)
      {{random_leaf({2, 3}), random_leaf({2})},
       [](const Tensor& x, const std::vector<Tensor>& q) { return (q[1] * reel::tanh(reel::matmul(q[0], x))).sum(); }},
      // 2: gated, sum(x * sigmoid(g)) * exp(s)
      {{random_leaf({3}), random_leaf({1}, 0.3)},
       [](const Tensor& x, const std::vector<Tensor>& q) {
         return (x * reel::sigmoid(q[0])).sum() * q[1].exp().sum();
       }},
      // 3: never picked by the examples below
      {{random_leaf({3})}, [](const Tensor& x, const std::vector<Tensor>& q) { return (q[0] * x * x).sum(); }},
  };
}

}  // namespace

TEST_CASE("module picked per example by its label: gradcheck, hand-derived linear gradient, unused module",
          "[autograd][dynamic]") {
  reel::manual_seed(14);
  std::vector<TinyModule> modules = make_modules();
  const std::vector<int> labels = {0, 1, 2, 1, 0, 2, 1};
  std::vector<Tensor> examples;
  for (size_t i = 0; i < labels.size(); ++i) examples.push_back(reel::randn({3}, reel::kFloat64));

  // All parameters of all modules, flattened, so gradcheck perturbs every one of them.
  std::vector<Tensor> all_params;
  std::vector<size_t> first_param;
  for (const TinyModule& m : modules) {
    first_param.push_back(all_params.size());
    all_params.insert(all_params.end(), m.params.begin(), m.params.end());
  }
  auto loss_of = [&](const std::vector<Tensor>& flat) {
    Tensor loss = reel::zeros({}, reel::kFloat64);
    for (size_t i = 0; i < labels.size(); ++i) {
      const TinyModule& m = modules[static_cast<size_t>(labels[i])];
      const size_t first = first_param[static_cast<size_t>(labels[i])];
      std::vector<Tensor> q(flat.begin() + static_cast<long>(first),
                            flat.begin() + static_cast<long>(first + m.params.size()));
      loss = loss + m.forward(examples[i], q);
    }
    return loss;
  };
  REQUIRE_GRADCHECK(loss_of, all_params);

  loss_of(all_params).backward();
  // Linear module: d/dw = sum of the examples labelled 0, d/dc = their count.
  std::vector<double> expected_w(3, 0.0);
  int count = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0) continue;
    ++count;
    for (int j = 0; j < 3; ++j) expected_w[static_cast<size_t>(j)] += values(examples[i])[static_cast<size_t>(j)];
  }
  for (int j = 0; j < 3; ++j) CHECK(values(modules[0].params[0].grad())[j] == Approx(expected_w[j]).epsilon(1e-12));
  CHECK(values(modules[0].params[1].grad())[0] == count);
  for (int m = 1; m < 3; ++m)
    for (const Tensor& q : modules[static_cast<size_t>(m)].params) CHECK(q.grad().defined());
  REQUIRE_FALSE(modules[3].params[0].grad().defined());  // no example picked module 3
}

// ---- weight sharing across time steps --------------------------------------------------------------------

namespace {

constexpr int kSteps = 5;

// h_t = tanh(W_t h_{t-1} + U x_t + b) for t = 1..T; returns the loss sum_t sum(h_t * t). `step_weights`
// holds W for every step (the same tensor when shared).
Tensor unrolled_rnn_loss(const std::vector<Tensor>& step_weights, const Tensor& U, const Tensor& b, const Tensor& h0,
                         const std::vector<Tensor>& xs) {
  Tensor h = h0;
  Tensor loss = reel::zeros({}, reel::kFloat64);
  for (int t = 0; t < kSteps; ++t) {
    h = reel::tanh(reel::matmul(step_weights[static_cast<size_t>(t)], h) + reel::matmul(U, xs[static_cast<size_t>(t)]) +
                   b);
    loss = loss + (h * static_cast<double>(t + 1)).sum();
  }
  return loss;
}

}  // namespace

TEST_CASE("RNN with one W shared by all time steps: gradcheck, and dW is the sum of the per-step gradients",
          "[autograd][dynamic]") {
  reel::manual_seed(15);
  Tensor W = random_leaf({3, 3}, 0.6);
  Tensor U = random_leaf({3, 2}, 0.6);
  Tensor b = random_leaf({3}, 0.2);
  Tensor h0 = random_leaf({3}, 0.5);
  std::vector<Tensor> xs;
  for (int t = 0; t < kSteps; ++t) xs.push_back(reel::randn({2}, reel::kFloat64));

  auto shared = [&](const std::vector<Tensor>& in) {
    return unrolled_rnn_loss(std::vector<Tensor>(kSteps, in[0]), in[1], in[2], in[3], xs);
  };
  REQUIRE_GRADCHECK(shared, (std::vector<Tensor>{W, U, b, h0}));

  Tensor dW = ag::grad({shared({W, U, b, h0})}, {W})[0];

  // The same network with a separate copy of W per step; each step's gradient from its own autograd::grad call.
  std::vector<Tensor> copies;
  for (int t = 0; t < kSteps; ++t) copies.push_back(W.detach().clone().requires_grad_());
  Tensor unshared_loss = unrolled_rnn_loss(copies, U, b, h0, xs);
  std::vector<double> summed(9, 0.0);
  std::vector<std::vector<double>> per_step;
  for (int t = 0; t < kSteps; ++t) {
    per_step.push_back(
        values(ag::grad({unshared_loss}, {copies[static_cast<size_t>(t)]}, {}, /*retain_graph=*/true)[0]));
    for (size_t e = 0; e < 9; ++e) summed[e] += per_step.back()[e];
  }
  REQUIRE(per_step.front() != per_step.back());  // the steps really contribute differently
  const std::vector<double> shared_grad = values(dW);
  for (size_t e = 0; e < 9; ++e) CHECK(shared_grad[e] == Approx(summed[e]).epsilon(1e-12).margin(1e-14));
}
