// reel/samples/modular.cpp — a modular network: one learned module per operator, wired anew for every example.
//
// The program generates arithmetic expression trees over the digits 0-9 with four operators, all mod 10:
//   a + b,  a - b,  max(a, b),  min(a, b)          e.g.  max(3 - 7, 2 + 9) = max(6, 1) = 6
// Each digit is a learned embedding, each operator its own small network (a module) that maps its two operands'
// vectors to the result's vector, and one classifier reads a vector back as a digit. The network for an example
// is the tree itself, built by plain recursion at run time — the kind of dynamic graph a tape-based autograd
// makes easy. Training uses trees of depth <= 3 (depth = operators on the longest root-to-leaf path) with the
// loss on the root's digit only (--node-loss puts it on every node instead, which makes the task easy); the
// report is the accuracy at the root on held-out trees of depth <= 3 (none of them in the training set) and on
// deeper, never-seen depth-4 trees.
//
//   ./modular                          train 12 epochs (about a minute on 2 cores), report accuracy per depth
//   ./modular --steps 30 --no-plot     smoke test: 30 training steps, exit 1 unless the loss fell
//   ./modular --autobatch 32           the same training (32 expressions per step) with each step's run inside one
//                                      reel::autobatch::Scope (docs/autobatch.md): the per-expression code is unchanged,
//                                      the ops of the batch's trees run batched; same results up to float rounding
//
// Outputs in --out: modular_metrics.csv (epoch, train_loss, heldout_acc, depth4_acc), modular.safetensors,
// modular.png.
#include <reel/reel.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/cli.h"
#include "common/metrics.h"
#include "common/progress.h"

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel_samples::CommonOptions;

namespace {

// ---- expressions --------------------------------------------------------------------------------------------

enum Operator { kAdd = 0, kSub, kMax, kMin, kNumOperators };
const char* const kOperatorNames[kNumOperators] = {"add", "sub", "max", "min"};

int apply_operator(int op, int a, int b) {
  switch (op) {
    case kAdd: return (a + b) % 10;
    case kSub: return (a - b + 10) % 10;
    case kMax: return std::max(a, b);
    default: return std::min(a, b);
  }
}

// A tree stored as nodes in creation order: children come before their parent, the root is last.
struct Node {
  int op = -1;  // -1: a digit leaf
  int digit = 0;
  int left = -1, right = -1;
  int value = 0;  // the true value of the subtree, 0-9
};
struct Expression {
  std::vector<Node> nodes;
  int depth = 0;
  int root() const { return static_cast<int>(nodes.size()) - 1; }
  int value() const { return nodes.back().value; }
};

class ExpressionGenerator {
 public:
  explicit ExpressionGenerator(uint64_t seed) : rng_(seed) {}

  // A random tree of exactly this depth: one child has depth - 1, the other any depth below.
  Expression make(int depth) {
    Expression expression;
    expression.depth = depth;
    grow(expression, depth);
    return expression;
  }

 private:
  int grow(Expression& expression, int depth) {
    Node node;
    if (depth == 0) {
      node.digit = uniform(0, 9);
      node.value = node.digit;
    } else {
      const int other_depth = uniform(0, depth - 1);
      const bool deep_left = uniform(0, 1) == 0;
      node.op = uniform(0, kNumOperators - 1);
      node.left = grow(expression, deep_left ? depth - 1 : other_depth);
      node.right = grow(expression, deep_left ? other_depth : depth - 1);
      node.value = apply_operator(node.op, expression.nodes[node.left].value, expression.nodes[node.right].value);
    }
    expression.nodes.push_back(node);
    return static_cast<int>(expression.nodes.size()) - 1;
  }
  int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  std::mt19937_64 rng_;
};

std::string to_text(const Expression& expression, int index) {
  const Node& node = expression.nodes[index];
  if (node.op < 0) return std::to_string(node.digit);
  const std::string a = to_text(expression, node.left), b = to_text(expression, node.right);
  if (node.op == kAdd) return "(" + a + "+" + b + ")";
  if (node.op == kSub) return "(" + a + "-" + b + ")";
  return std::string(kOperatorNames[node.op]) + "(" + a + "," + b + ")";
}

// ---- the model ----------------------------------------------------------------------------------------------

// One operator's module: [a; b] -> Linear -> ReLU -> Linear -> tanh.
struct OperatorNetImpl : nn::Module {
  OperatorNetImpl(int64_t dim, int64_t hidden) {
    combine = register_module("combine", nn::Linear(2 * dim, hidden));
    project = register_module("project", nn::Linear(hidden, dim));
  }
  reel::Tensor forward(const reel::Tensor& a, const reel::Tensor& b) {
    return reel::tanh(project(reel::relu(combine(reel::cat({a, b}, 1)))));
  }
  nn::Linear combine{nullptr}, project{nullptr};
};
REEL_MODULE(OperatorNet);

struct ModularNetImpl : nn::Module {
  ModularNetImpl(int64_t dim, int64_t hidden) {
    digits = register_module("digits", nn::Embedding(10, dim));
    for (int op = 0; op < kNumOperators; ++op)
      operators.push_back(register_module(std::string("op_") + kOperatorNames[op], OperatorNet(dim, hidden)));
    classifier = register_module("classifier", nn::Linear(dim, 10));
  }

  // The vector of every node of the tree, in node order ([1, dim] each), by recursion from the root.
  std::vector<reel::Tensor> evaluate(const Expression& expression, reel::Device device) {
    std::vector<reel::Tensor> vectors(expression.nodes.size());
    evaluate_node(expression, expression.root(), vectors, device);
    return vectors;
  }

  nn::Embedding digits{nullptr};
  std::vector<OperatorNet> operators;
  nn::Linear classifier{nullptr};

 private:
  void evaluate_node(const Expression& expression, int index, std::vector<reel::Tensor>& vectors,
                     reel::Device device) {
    const Node& node = expression.nodes[index];
    if (node.op < 0) {
      vectors[index] = digits(reel::tensor(std::vector<int64_t>{node.digit}, reel::kInt64).to(device));
      return;
    }
    evaluate_node(expression, node.left, vectors, device);
    evaluate_node(expression, node.right, vectors, device);
    vectors[index] = operators[node.op](vectors[node.left], vectors[node.right]);
  }
};
REEL_MODULE(ModularNet);

// ---- data sets ----------------------------------------------------------------------------------------------

struct DataSets {
  std::vector<Expression> train, heldout, depth4;
};

// Training trees of depth 1-3 (equal shares), held-out trees of depth 1-3 whose text never occurs in the
// training set, and depth-4 trees (never seen in training by construction).
DataSets make_data(uint64_t seed, int64_t train_size, int64_t test_size) {
  ExpressionGenerator generator(seed);
  DataSets data;
  std::unordered_set<std::string> seen;
  for (int64_t i = 0; i < train_size; ++i) {
    data.train.push_back(generator.make(1 + static_cast<int>(i % 3)));
    seen.insert(to_text(data.train.back(), data.train.back().root()));
  }
  for (int64_t attempts = 0; static_cast<int64_t>(data.heldout.size()) < test_size; ++attempts) {
    if (attempts > 100 * test_size) throw reel::Error("modular: could not find enough held-out expressions");
    Expression candidate = generator.make(1 + static_cast<int>(attempts % 3));
    if (seen.insert(to_text(candidate, candidate.root())).second) data.heldout.push_back(std::move(candidate));
  }
  for (int64_t i = 0; i < test_size; ++i) data.depth4.push_back(generator.make(4));
  return data;
}

struct Accuracy {
  double overall = 0;
  double by_depth[5] = {0, 0, 0, 0, 0};
  int64_t count_by_depth[5] = {0, 0, 0, 0, 0};
};

Accuracy evaluate(ModularNet& model, const std::vector<Expression>& expressions, reel::Device device) {
  reel::NoGradGuard no_grad;
  model->eval();
  Accuracy accuracy;
  int64_t correct = 0, correct_by_depth[5] = {0, 0, 0, 0, 0};
  for (const Expression& expression : expressions) {
    const reel::Tensor root = model->evaluate(expression, device).back();
    const bool right = model->classifier(root).argmax(1).item<int64_t>() == expression.value();
    correct += right;
    correct_by_depth[expression.depth] += right;
    accuracy.count_by_depth[expression.depth] += 1;
  }
  accuracy.overall = static_cast<double>(correct) / static_cast<double>(expressions.size());
  for (int d = 0; d < 5; ++d)
    if (accuracy.count_by_depth[d] > 0)
      accuracy.by_depth[d] = static_cast<double>(correct_by_depth[d]) / static_cast<double>(accuracy.count_by_depth[d]);
  model->train();
  return accuracy;
}

// "depth 1: 100.00% (n=0 skipped), 2: ..." for the depths that occur.
std::string per_depth_text(const Accuracy& accuracy) {
  std::string text;
  for (int d = 1; d < 5; ++d) {
    if (accuracy.count_by_depth[d] == 0) continue;
    char part[64];
    std::snprintf(part, sizeof part, "%sdepth %d: %.2f%% of %lld", text.empty() ? "" : ", ", d,
                  100 * accuracy.by_depth[d], static_cast<long long>(accuracy.count_by_depth[d]));
    text += part;
  }
  return text;
}

int run(int argc, char** argv) {
  // One thread by default: every op here is small (a [1, 64] vector), and extra threads only add
  // synchronisation (on a busy 2-core machine, --threads 2 made this sample many times slower).
  CommonOptions common;
  common.epochs = 12;
  common.threads = 1;
  int64_t train_size = 12000, test_size = 2000, batch_size = 32, dim = 64, hidden = 128;
  double lr = 3e-3;
  bool node_loss = false;
  int64_t autobatch = 0;
  reel_samples::ArgParser args("modular",
                               "a modular network learns + - max min (mod 10) over expression trees; one module per "
                               "operator, wired by recursion over each tree.");
  args.add_common(common, /*with_data=*/false);
  args.option("--train-size", train_size, "training expressions (depth 1-3, a third each)");
  args.option("--test-size", test_size, "held-out expressions of depth <= 3, and as many of depth 4");
  args.option("--batch", batch_size, "expressions per Adam step");
  args.option("--dim", dim, "size of a digit's / a result's vector");
  args.option("--hidden", hidden, "hidden units inside each operator module");
  args.option("--lr", lr, "Adam's initial learning rate (cosine decay to 0 over the epochs)");
  args.flag("--node-loss", node_loss, "supervise every node's value, not only the root's");
  args.option("--autobatch", autobatch,
              "N > 0: N expressions per step (sets --batch), each step's inside one reel::autobatch::Scope");
  args.epilogue("The data are generated (seeded by --seed); nothing to download.\n"
                "example: modular --epochs 12 --out runs");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  if (autobatch < 0) throw reel::Error("modular: --autobatch must be >= 0 (0: off)");
  if (autobatch > 0) batch_size = autobatch;
  if (train_size < 1 || test_size < 1 || batch_size < 1 || dim < 1 || hidden < 1)
    throw reel::Error("modular: --train-size, --test-size, --batch, --dim and --hidden must be positive");

  const DataSets data = make_data(static_cast<uint64_t>(common.seed), train_size, test_size);
  std::printf("modular: %zu training trees (depth 1-3), %zu held-out (depth 1-3), %zu of depth 4; e.g. %s = %d\n",
              data.train.size(), data.heldout.size(), data.depth4.size(),
              to_text(data.train[2], data.train[2].root()).c_str(), data.train[2].value());

  ModularNet model(dim, hidden);
  model->to(device);
  reel::optim::Adam optimizer(model->parameters(), reel::optim::AdamOptions(lr));
  // The learning rate follows a half cosine down to zero over the epochs: late epochs settle instead of
  // jumping between solutions.
  reel::optim::CosineAnnealingLR schedule(optimizer, common.epochs);
  reel_samples::MetricsWriter metrics(reel_samples::output_path(common, "modular_metrics.csv"),
                                      {"epoch", "train_loss", "heldout_acc", "depth4_acc"});
  reel_samples::LossTrend trend;
  std::mt19937_64 shuffle_rng(static_cast<uint64_t>(common.seed) + 1);
  std::vector<size_t> order(data.train.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;

  const int64_t batches_per_epoch = (train_size + batch_size - 1) / batch_size;
  int64_t step = 0;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= common.epochs && !stop; ++epoch) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    reel_samples::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs),
                               common.smoke() ? std::min(common.steps, batches_per_epoch) : batches_per_epoch, "batch");
    reel_samples::EpochLoss epoch_loss(trend);
    for (int64_t start = 0; start < train_size && !stop; start += batch_size) {
      // The root (or every node) of every tree in the batch, then one classifier call and one loss for all.
      std::vector<reel::Tensor> node_vectors;
      std::vector<int64_t> node_values;
      std::optional<reel::autobatch::Scope> batching;  // --autobatch: the batch's ops run batched at backward
      if (autobatch > 0) batching.emplace();
      for (int64_t i = start; i < std::min(train_size, start + batch_size); ++i) {
        const Expression& expression = data.train[order[static_cast<size_t>(i)]];
        std::vector<reel::Tensor> vectors = model->evaluate(expression, device);
        for (size_t n = node_loss ? 0 : vectors.size() - 1; n < vectors.size(); ++n) {
          node_vectors.push_back(vectors[n]);
          node_values.push_back(expression.nodes[n].value);
        }
      }
      const reel::Tensor targets = reel::tensor(node_values, reel::kInt64).to(device);
      reel::Tensor loss = F::cross_entropy(model->classifier(reel::cat(node_vectors, 0)), targets);
      optimizer.zero_grad();
      loss.backward();
      batching.reset();
      optimizer.step();
      epoch_loss.add(loss.item<double>());
      bar.step(1, epoch_loss.status());
      if (common.smoke() && ++step >= common.steps) stop = true;
    }
    const double train_loss = epoch_loss.mean();
    bar.finish(epoch_loss.status());
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN, NAN});
      break;
    }
    const Accuracy heldout = evaluate(model, data.heldout, device);
    const Accuracy deeper = evaluate(model, data.depth4, device);
    std::printf("  held-out accuracy (depth <= 3) %.2f%%  [%s]   depth 4: %.2f%%\n", 100 * heldout.overall,
                per_depth_text(heldout).c_str(), 100 * deeper.overall);
    metrics.row({static_cast<double>(epoch), train_loss, heldout.overall, deeper.overall});
    schedule.step();
  }

  if (!common.smoke()) {
    const Accuracy heldout = evaluate(model, data.heldout, device);
    const Accuracy deeper = evaluate(model, data.depth4, device);
    std::printf("modular: final held-out accuracy, depth <= 3: %.2f%% (target >= 90%%); depth 4 (never trained on): "
                "%.2f%%\n",
                100 * heldout.overall, 100 * deeper.overall);
  }
  reel_samples::save_outputs(common, "modular", "modular: one module per operator", model->state_dict());
  return reel_samples::smoke_exit_status(common, trend);
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("modular", [&] { return run(argc, argv); });
}
