// reel/test/test_autobatch.cpp — automatic batching (autobatch::Scope): per-example code run inside a scope gives the
// values and every gradient that running the examples one by one gives (float64, so only summation order differs),
// on a mix of op families, a binary Tree-LSTM over random trees, a bidirectional LSTM tagger over sentences of
// different lengths and a modular network that branches on values; batching really happens (the scope's counters);
// random draws (dropout) equal the eager ones; reading a value or writing in place runs what was recorded first;
// misuse throws what the eager call throws; gradcheck through the batched path.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

// Runs `examples` (each returns a scalar loss) eagerly or inside one scope; returns the summed loss and the gradient
// of every parameter (zeros when none reached it).
struct Run {
  double loss = 0;
  std::vector<Tensor> grads;
  reel::autobatch::Stats stats;
};

Run run(nn::Module& model, int count, const std::function<Tensor(int)>& example, bool batched) {
  model.zero_grad();
  Run result;
  Tensor total;
  if (batched) {
    reel::autobatch::Scope scope;
    std::vector<Tensor> losses;
    for (int i = 0; i < count; ++i) losses.push_back(example(i));
    total = reel::stack(losses).sum();
    total.backward();
    result.stats = scope.stats();
  } else {
    std::vector<Tensor> losses;
    for (int i = 0; i < count; ++i) losses.push_back(example(i));
    total = reel::stack(losses).sum();
    total.backward();
  }
  result.loss = total.item<double>();
  for (const Tensor& p : model.parameters()) {
    const Tensor& g = p.grad();
    result.grads.push_back(!g.defined() ? reel::zeros_like(p) : g.is_sparse() ? g.to_dense() : g.clone());
  }
  return result;
}

void check_same(const Run& eager, const Run& batched, double tol = 1e-10) {
  CHECK(std::fabs(eager.loss - batched.loss) <= tol * (1 + std::fabs(eager.loss)));
  REQUIRE(eager.grads.size() == batched.grads.size());
  for (size_t p = 0; p < eager.grads.size(); ++p) {
    INFO("parameter " << p);
    const double scale = 1 + eager.grads[p].abs().max().item<double>();
    const double diff = (eager.grads[p] - batched.grads[p]).abs().max().item<double>();
    CHECK(diff <= tol * scale);
  }
}

// ---- a mix of families ---------------------------------------------------------------------------------------------

struct MixImpl : nn::Module {
  MixImpl() {
    embed = register_module("embed", nn::Embedding(20, 6));
    proj = register_module("proj", nn::Linear(6, 8));
    out = register_module("out", nn::Linear(4, 3));
    scale = register_parameter("scale", reel::randn({4}, reel::kFloat64));
  }
  // words: a sentence of word ids; label: its class
  Tensor loss(const std::vector<int64_t>& words, int64_t label) {
    Tensor x = embed(reel::tensor(words, reel::kInt64));         // (T, 6)
    std::vector<Tensor> halves = proj(x).chunk(2, -1);            // 2 x (T, 4)
    Tensor h = reel::sigmoid(halves[0]) * reel::tanh(halves[1]) + scale;
    Tensor pooled = reel::cat({h.sum({0}, true), h.amax({0}, true)}, 0).mean({0});  // (4)
    Tensor probs = reel::softmax(pooled, 0);
    Tensor logits = out(pooled.unsqueeze(0) * probs.unsqueeze(0) - 0.5).clamp(-3.0, 3.0);  // (1, 3)
    return F::cross_entropy(logits, reel::tensor({label}, reel::kInt64)) + logits.pow(2).mean() * 0.1;
  }
  nn::Embedding embed{nullptr};
  nn::Linear proj{nullptr}, out{nullptr};
  Tensor scale;
};
REEL_MODULE(Mix);

}  // namespace

TEST_CASE("autobatch: a mix of op families gives the eager values and gradients", "[autobatch]") {
  reel::manual_seed(1);
  Mix model;
  model->to(reel::kFloat64);
  std::vector<std::vector<int64_t>> sentences;
  std::vector<int64_t> labels;
  for (int i = 0; i < 9; ++i) {
    std::vector<int64_t> words;
    for (int t = 0; t < 2 + i % 3; ++t) words.push_back((i * 7 + t * 3) % 20);
    sentences.push_back(words);
    labels.push_back(i % 3);
  }
  auto example = [&](int i) { return model->loss(sentences[static_cast<size_t>(i)], labels[static_cast<size_t>(i)]); };
  const Run eager = run(*model, 9, example, false);
  const Run batched = run(*model, 9, example, true);
  check_same(eager, batched);
  CHECK(batched.stats.ops_batched > batched.stats.ops_alone);
  CHECK(batched.stats.batches > 0);
  CHECK(batched.stats.batches * 2 < batched.stats.ops_batched);
  CHECK(batched.stats.flushes == 1);
}

// ---- a binary Tree-LSTM over random trees --------------------------------------------------------------------------

namespace {

struct RandomTree {
  struct Node {
    int64_t word = -1;
    int left = -1, right = -1;
    int64_t label = 0;
  };
  std::vector<Node> nodes;  // post-order, root last
};

int grow(RandomTree& tree, int leaves, uint64_t& state) {
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int64_t>(state >> 33);
  };
  RandomTree::Node node;
  node.label = next() % 5;
  if (leaves == 1) {
    node.word = next() % 30;
  } else {
    const int left_leaves = 1 + static_cast<int>(next() % (leaves - 1));
    node.left = grow(tree, left_leaves, state);
    node.right = grow(tree, leaves - left_leaves, state);
  }
  tree.nodes.push_back(node);
  return static_cast<int>(tree.nodes.size()) - 1;
}

struct TreeModelImpl : nn::Module {
  TreeModelImpl() {
    embedding = register_module("embedding", nn::Embedding(30, 10));
    cell = register_module("cell", nn::BinaryTreeLSTMCell(10, 7));
    classifier = register_module("classifier", nn::Linear(7, 5));
  }
  nn::LSTMState visit(const RandomTree& tree, int index, std::vector<Tensor>& losses) {
    const RandomTree::Node& node = tree.nodes[static_cast<size_t>(index)];
    nn::LSTMState state;
    if (node.word >= 0) {
      state = cell(embedding(reel::tensor({node.word}, reel::kInt64).to(device)));
    } else {
      const nn::LSTMState left = visit(tree, node.left, losses);
      const nn::LSTMState right = visit(tree, node.right, losses);
      state = cell(Tensor(), left, right);
    }
    const Tensor label = reel::tensor({node.label}, reel::kInt64).to(device);
    losses.push_back(F::cross_entropy(classifier(std::get<0>(state)), label, {}, -100, nn::Reduction::Sum));
    return state;
  }
  Tensor loss(const RandomTree& tree) {
    std::vector<Tensor> losses;
    visit(tree, static_cast<int>(tree.nodes.size()) - 1, losses);
    return reel::stack(losses).sum();
  }
  nn::Embedding embedding{nullptr};
  nn::BinaryTreeLSTMCell cell{nullptr};
  nn::Linear classifier{nullptr};
  reel::Device device{reel::kCPU};
};
REEL_MODULE(TreeModel);

}  // namespace

TEST_CASE("autobatch: a per-example Tree-LSTM gives the eager loss and gradients", "[autobatch]") {
  reel::manual_seed(2);
  TreeModel model;
  model->to(reel::kFloat64);
  std::vector<RandomTree> trees(12);
  uint64_t state = 7;
  for (size_t i = 0; i < trees.size(); ++i) grow(trees[i], 1 + static_cast<int>(i % 6) * 2, state);
  auto example = [&](int i) { return model->loss(trees[static_cast<size_t>(i)]); };
  const Run eager = run(*model, 12, example, false);
  const Run batched = run(*model, 12, example, true);
  check_same(eager, batched);
  // the leaves' lookups and cells batch across trees: far fewer calls than ops
  // Batching happens: the steps of the sentences (lengths 3 to 9) run together. A sentence's input projection and
  // its per-step slices of it have their own shapes and run alone.
  CHECK(batched.stats.ops_batched > 3 * batched.stats.batches);
  CHECK(batched.stats.ops_batched > batched.stats.ops_alone);
}

TEST_CASE("autobatch: a per-example Tree-LSTM on CUDA gives the eager loss and gradients", "[autobatch][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: skipped");
    return;
  }
  reel::manual_seed(2);
  TreeModel model;
  model->to(reel::kFloat64);
  model->to(reel::Device(reel::kCUDA));
  model->device = reel::Device(reel::kCUDA);
  std::vector<RandomTree> trees(12);
  uint64_t state = 7;
  for (size_t i = 0; i < trees.size(); ++i) grow(trees[i], 1 + static_cast<int>(i % 6) * 2, state);
  auto example = [&](int i) { return model->loss(trees[static_cast<size_t>(i)]); };
  const Run eager = run(*model, 12, example, false);
  const Run batched = run(*model, 12, example, true);
  check_same(eager, batched, 1e-9);
  // Batching happens: the steps of the sentences (lengths 3 to 9) run together. A sentence's input projection and
  // its per-step slices of it have their own shapes and run alone.
  CHECK(batched.stats.ops_batched > 3 * batched.stats.batches);
  CHECK(batched.stats.ops_batched > batched.stats.ops_alone);
}

TEST_CASE("autobatch: a bidirectional LSTM tagger over sentences of different lengths", "[autobatch]") {
  reel::manual_seed(3);
  struct TaggerImpl : nn::Module {
    TaggerImpl() {
      embedding = register_module("embedding", nn::Embedding(25, 8));
      lstm = register_module("lstm", nn::LSTM(nn::LSTMOptions(8, 6).bidirectional(true)));
      hidden = register_module("hidden", nn::Linear(12, 5));
      output = register_module("output", nn::Linear(5, 4));
    }
    Tensor loss(const std::vector<int64_t>& words, const std::vector<int64_t>& tags) {
      Tensor x = embedding(reel::tensor(words, reel::kInt64)).unsqueeze(1);  // (T, 1, 8)
      Tensor h = std::get<0>(lstm(x)).squeeze(1);                             // (T, 12)
      Tensor scores = output(reel::tanh(hidden(h)));                          // (T, 4)
      return F::cross_entropy(scores, reel::tensor(tags, reel::kInt64), {}, -100, nn::Reduction::Sum);
    }
    nn::Embedding embedding{nullptr};
    nn::LSTM lstm{nullptr};
    nn::Linear hidden{nullptr}, output{nullptr};
  };
  nn::ModuleHolder<TaggerImpl> model(std::make_shared<TaggerImpl>());
  model->to(reel::kFloat64);
  std::vector<std::vector<int64_t>> sentences, tags;
  for (int i = 0; i < 10; ++i) {
    std::vector<int64_t> words, t;
    for (int k = 0; k < 3 + (i * 5) % 7; ++k) {
      words.push_back((i * 11 + k * 7) % 25);
      t.push_back((i + k) % 4);
    }
    sentences.push_back(words);
    tags.push_back(t);
  }
  auto example = [&](int i) { return model->loss(sentences[static_cast<size_t>(i)], tags[static_cast<size_t>(i)]); };
  const Run eager = run(*model, 10, example, false);
  const Run batched = run(*model, 10, example, true);
  check_same(eager, batched);
  // Batching happens: the steps of the sentences (lengths 3 to 9) run together. A sentence's input projection and
  // its per-step slices of it have their own shapes and run alone.
  CHECK(batched.stats.ops_batched > 3 * batched.stats.batches);
  CHECK(batched.stats.ops_batched > batched.stats.ops_alone);
}

TEST_CASE("autobatch: code that branches on a value reads it and still batches the rest", "[autobatch]") {
  reel::manual_seed(4);
  struct ModularImpl : nn::Module {
    ModularImpl() {
      a = register_module("a", nn::Linear(5, 5));
      b = register_module("b", nn::Linear(5, 5));
      head = register_module("head", nn::Linear(5, 1));
    }
    Tensor loss(const Tensor& x) {
      Tensor h = reel::tanh(a(x));
      // data-dependent choice of module: reading the value runs what was recorded so far
      for (int step = 0; step < 3; ++step) h = h.sum().item<double>() > 0 ? reel::tanh(b(h)) : reel::tanh(a(h));
      return head(h).pow(2).sum();
    }
    nn::Linear a{nullptr}, b{nullptr}, head{nullptr};
  };
  nn::ModuleHolder<ModularImpl> model(std::make_shared<ModularImpl>());
  model->to(reel::kFloat64);
  std::vector<Tensor> inputs;
  for (int i = 0; i < 6; ++i) inputs.push_back(reel::randn({2, 5}, reel::kFloat64));
  auto example = [&](int i) { return model->loss(inputs[static_cast<size_t>(i)]); };
  const Run eager = run(*model, 6, example, false);
  const Run batched = run(*model, 6, example, true);
  check_same(eager, batched);
  CHECK(batched.stats.flushes >= 6 * 3);
}

TEST_CASE("autobatch: dropout draws the eager masks", "[autobatch]") {
  const Tensor x = reel::randn({3, 16}, reel::kFloat64);
  reel::manual_seed(11);
  std::vector<Tensor> eager;
  for (int i = 0; i < 4; ++i) eager.push_back(F::dropout(x.select(0, i % 3) * 2.0, 0.5, true));
  reel::manual_seed(11);
  std::vector<Tensor> batched;
  {
    reel::autobatch::Scope scope;
    for (int i = 0; i < 4; ++i) batched.push_back(F::dropout(x.select(0, i % 3) * 2.0, 0.5, true));
  }
  for (int i = 0; i < 4; ++i) CHECK(reel::equal(eager[static_cast<size_t>(i)], batched[static_cast<size_t>(i)]));
}

TEST_CASE("autobatch: pending tensors know their metadata and give values when read", "[autobatch]") {
  const Tensor w = reel::randn({3, 4}, reel::kFloat64).requires_grad_();
  reel::autobatch::Scope scope;
  const Tensor x = reel::ones({4}, reel::kFloat64);
  const Tensor y = reel::matmul(w, x) + 1.0;
  CHECK(y.sizes() == reel::IntList({3}));
  CHECK(y.dtype() == reel::kFloat64);
  CHECK(y.requires_grad());
  const Tensor expected = [&] {
    reel::NoGradGuard no_grad;
    return w.sum({1}) + 1.0;
  }();
  CHECK(reel::allclose(y, expected));  // reading runs the recorded ops
  CHECK(y.grad_fn() != nullptr);
}

TEST_CASE("autobatch: an in-place write runs the recorded ops that read the old value first", "[autobatch]") {
  Tensor a = reel::full({4}, 2.0, reel::kFloat64);
  Tensor product;
  {
    reel::autobatch::Scope scope;
    product = a * 3.0;
    a.add_(1.0);  // product must see a == 2
  }
  CHECK(reel::allclose(product, reel::full({4}, 6.0, reel::kFloat64)));
  CHECK(reel::allclose(a, reel::full({4}, 3.0, reel::kFloat64)));
}

TEST_CASE("autobatch: misuse throws what the eager call throws", "[autobatch]") {
  auto message_of = [](const std::function<void()>& call) {
    try {
      call();
    } catch (const reel::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  auto misuse = [] {
    const Tensor a = reel::ones({2, 3}) * 2.0;
    (void)reel::mm(a, reel::ones({2, 3}) + 1.0);
  };
  const std::string eager = message_of(misuse);
  std::string batched;
  {
    reel::autobatch::Scope scope;
    batched = message_of(misuse);
    CHECK_THROWS_AS(reel::autobatch::Scope(), reel::Error);  // scopes do not nest
  }
  CHECK(eager != "(no error)");
  CHECK(batched == eager);
}

TEST_CASE("autobatch: gradcheck through the batched path", "[autobatch]") {
  reel::manual_seed(5);
  const Tensor w = reel::randn({4, 3}, reel::kFloat64);
  const Tensor x = reel::randn({3, 3}, reel::kFloat64);
  auto fn = [](const std::vector<Tensor>& in) {
    reel::autobatch::Scope scope;
    std::vector<Tensor> outs;
    for (int i = 0; i < 3; ++i) {
      Tensor h = reel::tanh(F::linear(in[1].select(0, i), in[0]));
      outs.push_back(reel::softmax(h * h.sum(), 0));
    }
    return reel::stack(outs);
  };
  CHECK(reel::autograd::gradcheck(fn, {w.clone().requires_grad_(), x.clone().requires_grad_()}));
}

TEST_CASE("autobatch: an error only a kernel finds is reported by the tensors the failed flush left", "[autobatch]") {
  const Tensor table = reel::randn({5, 3});
  Tensor good, bad;
  std::string flush_error;
  {
    reel::autobatch::Scope scope;
    good = reel::embedding(table, reel::tensor({1}, reel::kInt64)) * 2.0;
    bad = reel::embedding(table, reel::tensor({7}, reel::kInt64)) * 2.0;  // row 7 of 5: the kernel refuses it
    try {
      scope.flush();
    } catch (const reel::Error& e) {
      flush_error = e.what();
    }
  }
  std::string eager_error;
  try {
    (void)reel::embedding(table, reel::tensor({7}, reel::kInt64));
  } catch (const reel::Error& e) {
    eager_error = e.what();
  }
  CHECK(!eager_error.empty());
  CHECK(flush_error == eager_error);  // the same message, at the flush instead of the call
  CHECK_THROWS_WITH(bad.to_vector<float>(), Catch::Contains("autobatch") && Catch::Contains(eager_error));
  CHECK_THROWS_WITH(good.to_vector<float>(), Catch::Contains("autobatch"));  // the flush left it without a value
  // used in ops after the scope: a reel::Error, never a read of missing memory
  CHECK_THROWS_WITH(bad + 1.0f, Catch::Contains("autobatch"));
  CHECK_THROWS_WITH(bad.sum(), Catch::Contains("autobatch"));
  CHECK_THROWS_WITH(bad.view({3}), Catch::Contains("autobatch") || Catch::Contains("recorded"));
  // the next scope works, and refuses the failed tensors as inputs (elementwise, run_op and view calls)
  reel::autobatch::Scope scope;
  CHECK_THROWS_WITH(bad * 3.0f, Catch::Contains("autobatch") && Catch::Contains(eager_error));
  CHECK_THROWS_WITH(bad.sum(), Catch::Contains("autobatch"));
  CHECK_THROWS_WITH(good.unsqueeze(0), Catch::Contains("autobatch"));
  const Tensor again = reel::embedding(table, reel::tensor({2}, reel::kInt64)).sum();
  CHECK(again.item<float>() == Approx(table.select(0, 2).sum().item<float>()));
}

TEST_CASE("autobatch: grad mode, in-place writes to pending tensors and requires_grad", "[autobatch]") {
  const Tensor w = reel::randn({4}, reel::kFloat64).requires_grad_();
  reel::autobatch::Scope scope;
  Tensor y;
  {
    reel::NoGradGuard no_grad;
    y = w * 3.0;
  }
  const Tensor z = w * 2.0;
  CHECK_FALSE(y.requires_grad());
  CHECK(z.requires_grad());
  Tensor sum = y + 1.0;
  sum.add_(y);  // an in-place write to a pending tensor runs what was recorded, then writes
  CHECK(reel::allclose(sum, w.detach() * 6.0 + 1.0));
  CHECK(y.grad_fn() == nullptr);
  CHECK(z.grad_fn() != nullptr);
  z.sum().backward();
  CHECK(reel::allclose(w.grad(), reel::full({4}, 2.0, reel::kFloat64)));
}

TEST_CASE("autobatch: a lone cat of rows from several batches is their gather, in new memory", "[autobatch]") {
  reel::manual_seed(3);
  Tensor a = reel::randn({5, 3}, reel::kFloat64).requires_grad_();
  Tensor b = reel::randn({4, 3}, reel::kFloat64).requires_grad_();
  Tensor loose = reel::randn({1, 3}, reel::kFloat64).requires_grad_();
  const Tensor weights = reel::randn({10, 3}, reel::kFloat64);
  // rows of two batches (tanh of a's rows, sigmoid of b's rows), taken out of order, with a tensor of no batch
  auto pieces = [&] {
    std::vector<Tensor> t, s;
    for (int64_t i = 0; i < 5; ++i) t.push_back(reel::tanh(a.narrow(0, i, 1)));
    for (int64_t i = 0; i < 4; ++i) s.push_back(reel::sigmoid(b.narrow(0, i, 1)));
    return std::vector<Tensor>{t[3], s[0], t[0], t[1], loose, s[3], t[4], s[1], t[2], s[2]};
  };
  const Tensor eager = reel::cat(pieces(), 0);
  (eager * weights).sum().backward();
  const Tensor grad_a = a.grad().clone(), grad_b = b.grad().clone(), grad_loose = loose.grad().clone();
  a.mutable_grad().zero_(), b.mutable_grad().zero_(), loose.mutable_grad().zero_();

  Tensor batched;
  std::vector<Tensor> rows;
  reel::autobatch::Stats stats;
  {
    reel::autobatch::Scope scope;
    rows = pieces();
    batched = reel::cat(rows, 0);
    (batched * weights).sum().backward();
    stats = scope.stats();
  }
  CHECK(stats.batches >= 2);
  CHECK((batched - eager).abs().max().item<double>() == 0);
  CHECK((a.grad() - grad_a).abs().max().item<double>() <= 1e-15);
  CHECK((b.grad() - grad_b).abs().max().item<double>() <= 1e-15);
  CHECK((loose.grad() - grad_loose).abs().max().item<double>() <= 1e-15);
  // the cat's output is its own memory: writing into it leaves the rows alone
  const double before = rows[0].sum().item<double>();
  reel::NoGradGuard no_grad;
  batched.fill_(7.0);
  CHECK(rows[0].sum().item<double>() == before);
}

TEST_CASE("autobatch: another thread's pending tensor is refused inside a scope, never misread", "[autobatch][threads]") {
  const Tensor x = reel::randn({3, 4}, reel::kFloat64);
  reel::autobatch::Scope scope;
  const Tensor mine = reel::tanh(x) * 2.0;  // pending in this thread's scope
  std::string error;
  std::thread other([&] {
    reel::autobatch::Scope theirs;
    (void)reel::sigmoid(x);  // an op of their own first, so an index into their records could exist
    try {
      (void)(mine + 1.0);
    } catch (const reel::Error& e) {
      error = e.what();
    }
  });
  other.join();
  CHECK_THAT(error, Catch::Contains("another thread's autobatch::Scope") && Catch::Contains("[3, 4]"));
  CHECK((mine - reel::tanh(x) * 2.0).abs().max().item<double>() == 0);
}
