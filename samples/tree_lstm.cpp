// reel/samples/tree_lstm.cpp — a Tree-LSTM sentiment classifier on the Stanford Sentiment Treebank.
//
// Tai, Socher and Manning (2015): each sentence comes with its binarised constituency tree, and the network is
// that tree. A leaf's state comes from its word's embedding; an inner node combines its two children's states
// (nn::BinaryTreeLSTMCell, the N-ary Tree-LSTM with N = 2, or with --cell child-sum nn::ChildSumTreeLSTMCell);
// a softmax classifier reads every node's h and predicts the node's 5-way sentiment label (0 very negative ...
// 4 very positive). The tree is evaluated by plain recursion, one sentence at a time, with a fresh graph each
// time. Setup as workload W6: embeddings of size 300 with random initialisation (no pretrained vectors; the
// vocabulary is the training set's words), hidden size 150, summed cross-entropy over all nodes, Adagrad
// lr 0.05 with a step every 25 trees; plus dropout on h before the classifier and weight decay 1e-4 as in the
// paper. The embedding's gradient is sparse (nn::EmbeddingOptions::sparse): Adagrad updates only the rows of the
// words seen since the last step, and the table has no weight decay (PyTorch's Adagrad refuses weight decay with a
// sparse gradient; Tai et al.'s code did not decay the word vectors either); --dense-embedding restores the dense
// gradient with weight decay on every parameter. The reported figure is the fine-grained accuracy at the root on the test set, at the epoch with the
// best dev root accuracy (binary accuracy, neutral sentences left out, is printed beside it).
//
//   ./tree_lstm                                 data from ../shared/data/sst (or --data DIR)
//   ./tree_lstm --cell child-sum
//   ./tree_lstm --steps 8 --no-plot             smoke test
//   ./tree_lstm --dense-embedding               the table with a dense gradient (and weight decay)
//   ./tree_lstm --autobatch 25                  25 trees per step, each step's inside one reel::autobatch::Scope
//                                               (docs/autobatch.md): the recursion is unchanged, the ops of the
//                                               step's trees run batched; same results up to float rounding
//
// Outputs in --out: tree_lstm_metrics.csv (epoch, train_loss, dev_acc, test_acc), tree_lstm.safetensors (the
// best-dev model), tree_lstm.png.
#include <reel/reel.h>
#include <reel/data/trees.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/cli.h"
#include "common/metrics.h"
#include "common/progress.h"

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::data::Tree;
using reel_samples::CommonOptions;

namespace {

constexpr int64_t kClasses = 5;

// Words of the training trees -> ids; id 0 is the unknown word (dev/test words never seen in training).
class WordIndex {
 public:
  explicit WordIndex(const std::vector<Tree>& trees) {
    ids_.emplace("<unk>", 0);
    for (const Tree& tree : trees)
      for (const std::string& word : tree.leaves()) ids_.emplace(word, static_cast<int64_t>(ids_.size()));
  }
  int64_t id(const std::string& word) const {
    const auto found = ids_.find(word);
    return found == ids_.end() ? 0 : found->second;
  }
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }

 private:
  std::unordered_map<std::string, int64_t> ids_;
};

// A tree with word ids resolved once, nodes in post-order (children before parents, root last).
struct IndexedTree {
  struct Node {
    int64_t word = -1;  // leaves: the word id; inner nodes: -1
    int left = -1, right = -1;
  };
  std::vector<Node> nodes;
  std::vector<int64_t> labels;  // per node
  int64_t root_label() const { return labels.back(); }
};

int add_nodes(const Tree& tree, const WordIndex& words, IndexedTree& out) {
  IndexedTree::Node node;
  if (tree.is_leaf()) {
    node.word = words.id(tree.word);
  } else {
    if (tree.children.size() != 2)
      throw reel::Error("tree_lstm: expected binary trees, found a node with " +
                        std::to_string(tree.children.size()) + " children");
    node.left = add_nodes(tree.children[0], words, out);
    node.right = add_nodes(tree.children[1], words, out);
  }
  out.nodes.push_back(node);
  out.labels.push_back(tree.label);
  return static_cast<int>(out.nodes.size()) - 1;
}

std::vector<IndexedTree> index_trees(const std::vector<Tree>& trees, const WordIndex& words) {
  std::vector<IndexedTree> indexed(trees.size());
  for (size_t i = 0; i < trees.size(); ++i) add_nodes(trees[i], words, indexed[i]);
  return indexed;
}

// ---- the model ----------------------------------------------------------------------------------------------

struct TreeLSTMClassifierImpl : nn::Module {
  TreeLSTMClassifierImpl(int64_t vocab, int64_t embedding_dim, int64_t hidden, bool child_sum, double dropout_p,
                         bool sparse_embedding)
      : child_sum(child_sum) {
    embedding = register_module(
        "embedding", nn::Embedding(nn::EmbeddingOptions(vocab, embedding_dim).sparse(sparse_embedding)));
    if (child_sum) child_sum_cell = register_module("cell", nn::ChildSumTreeLSTMCell(embedding_dim, hidden));
    else binary_cell = register_module("cell", nn::BinaryTreeLSTMCell(embedding_dim, hidden));
    dropout = register_module("dropout", nn::Dropout(dropout_p));
    classifier = register_module("classifier", nn::Linear(hidden, kClasses));
  }

  // Class scores for every node of the tree, [nodes, 5], node order as in IndexedTree.
  reel::Tensor forward(const IndexedTree& tree, reel::Device device) {
    std::vector<nn::LSTMState> states(tree.nodes.size());
    std::vector<int64_t> leaf_words;
    for (const auto& node : tree.nodes)
      if (node.word >= 0) leaf_words.push_back(node.word);
    // All leaves' embeddings in one lookup, [leaves, dim]; row r belongs to the r-th leaf from the left.
    const reel::Tensor leaf_vectors = embedding(reel::tensor(leaf_words, reel::kInt64).to(device));
    int64_t next_leaf = 0;
    evaluate(tree, static_cast<int>(tree.nodes.size()) - 1, leaf_vectors, next_leaf, states);
    std::vector<reel::Tensor> hidden;
    hidden.reserve(states.size());
    for (const auto& state : states) hidden.push_back(std::get<0>(state));
    return classifier(dropout(reel::cat(hidden, 0)));
  }

  bool child_sum;
  nn::Embedding embedding{nullptr};
  nn::BinaryTreeLSTMCell binary_cell{nullptr};
  nn::ChildSumTreeLSTMCell child_sum_cell{nullptr};
  nn::Dropout dropout{nullptr};
  nn::Linear classifier{nullptr};

 private:
  // Plain recursion: children first, then the node. Leaves are met left to right, matching leaf_vectors.
  void evaluate(const IndexedTree& tree, int index, const reel::Tensor& leaf_vectors, int64_t& next_leaf,
                std::vector<nn::LSTMState>& states) {
    const auto& node = tree.nodes[static_cast<size_t>(index)];
    if (node.word >= 0) {
      const reel::Tensor x = leaf_vectors.narrow(0, next_leaf++, 1);  // [1, dim]
      states[static_cast<size_t>(index)] = child_sum ? child_sum_cell(x) : binary_cell(x);
      return;
    }
    evaluate(tree, node.left, leaf_vectors, next_leaf, states);
    evaluate(tree, node.right, leaf_vectors, next_leaf, states);
    const nn::LSTMState& left = states[static_cast<size_t>(node.left)];
    const nn::LSTMState& right = states[static_cast<size_t>(node.right)];
    states[static_cast<size_t>(index)] = child_sum ? child_sum_cell(reel::Tensor(), std::vector<nn::LSTMState>{left, right})
                                                   : binary_cell(reel::Tensor(), left, right);
  }
};
REEL_MODULE(TreeLSTMClassifier);

struct Accuracy {
  double fine = 0;    // 5-way root accuracy
  double binary = 0;  // positive vs negative roots (labels 0-1 vs 3-4), neutral roots left out
};

Accuracy evaluate(TreeLSTMClassifier& model, const std::vector<IndexedTree>& trees, reel::Device device) {
  reel::NoGradGuard no_grad;
  model->eval();
  int64_t fine_correct = 0, binary_correct = 0, binary_total = 0;
  for (const IndexedTree& tree : trees) {
    const int64_t root = static_cast<int64_t>(tree.nodes.size()) - 1;
    const reel::Tensor root_scores = model->forward(tree, device).select(0, root).to(reel::kCPU);  // [5]
    const int64_t label = tree.root_label();
    fine_correct += root_scores.argmax().item<int64_t>() == label;
    if (label != 2) {
      const reel::Tensor p = reel::softmax(root_scores, 0).contiguous();
      const float* probability = p.data_ptr<float>();
      const double negative = probability[0] + probability[1];
      const double positive = probability[3] + probability[4];
      binary_correct += (positive > negative) == (label > 2);
      ++binary_total;
    }
  }
  model->train();
  return {static_cast<double>(fine_correct) / static_cast<double>(trees.size()),
          static_cast<double>(binary_correct) / static_cast<double>(std::max<int64_t>(binary_total, 1))};
}

nn::NamedTensors copy_state(const nn::NamedTensors& state) {
  nn::NamedTensors copy;
  for (const auto& [name, tensor] : state) copy.emplace_back(name, tensor.detach().clone());
  return copy;
}

int run(int argc, char** argv) {
  // One thread by default: each op works on one node's [1, 150] state; more threads only add synchronisation.
  CommonOptions common;
  common.epochs = 10;
  common.threads = 1;
  std::string cell = "binary";
  int64_t embedding_dim = 300, hidden = 150, trees_per_step = 25, train_limit = 0;
  double lr = 0.05, weight_decay = 1e-4, dropout = 0.5;
  bool dense_embedding = false;
  int64_t autobatch = 0;
  reel_samples::ArgParser args("tree_lstm",
                               "a Tree-LSTM (Tai et al. 2015) classifies the sentiment of every node of SST's parse "
                               "trees, evaluated by recursion over each tree.");
  args.add_common(common);
  args.option("--cell", cell, "binary (N-ary Tree-LSTM, N = 2) or child-sum");
  args.option("--embedding-dim", embedding_dim, "word vector size (random initialisation)");
  args.option("--hidden", hidden, "Tree-LSTM state size");
  args.option("--lr", lr, "Adagrad learning rate");
  args.option("--weight-decay", weight_decay, "L2 penalty (Adagrad weight_decay)");
  args.option("--dropout", dropout, "dropout on each node's h before the classifier");
  args.option("--trees-per-step", trees_per_step, "trees whose gradients are summed before each Adagrad step");
  args.option("--train-limit", train_limit, "use only the first N training trees (0 = all 8544)");
  args.option("--autobatch", autobatch,
              "N > 0: N trees per step (sets --trees-per-step), each step's trees inside one reel::autobatch::Scope");
  args.flag("--dense-embedding", dense_embedding,
            "give the embedding a dense gradient (every row updated each step, weight decay on it too)");
  args.epilogue("data: --data DIR holds train.txt, dev.txt and test.txt of SST in PTB bracket form (the\n"
                "Stanford Sentiment Treebank's trainDevTestTrees_PTB.zip, folder trees/); default: the\n"
                "repository's ../shared/data/sst.");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  if (cell != "binary" && cell != "child-sum") throw reel::Error("--cell must be binary or child-sum, got " + cell);
  if (autobatch < 0) throw reel::Error("--autobatch must be >= 0 (0: off)");
  if (autobatch > 0) trees_per_step = autobatch;
  if (trees_per_step < 1) throw reel::Error("--trees-per-step must be >= 1");

  const std::string data_dir = common.data.empty() ? reel_samples::shared_data_dir() + "/sst" : common.data;
  const std::string how_to_get =
      "pass --data DIR with SST's train.txt, dev.txt and test.txt (PTB trees, from the Stanford Sentiment "
      "Treebank's trainDevTestTrees_PTB.zip); the repository keeps them in ../shared/data/sst";
  for (const char* split : {"train.txt", "dev.txt", "test.txt"})
    reel_samples::require_path(data_dir + "/" + split, std::string("SST ") + split, how_to_get);
  std::vector<Tree> train_trees = reel::data::read_trees(data_dir + "/train.txt");
  if (train_limit > 0 && train_limit < static_cast<int64_t>(train_trees.size()))
    train_trees.resize(static_cast<size_t>(train_limit));
  const WordIndex words(train_trees);
  const std::vector<IndexedTree> train = index_trees(train_trees, words);
  const std::vector<IndexedTree> dev = index_trees(reel::data::read_trees(data_dir + "/dev.txt"), words);
  const std::vector<IndexedTree> test = index_trees(reel::data::read_trees(data_dir + "/test.txt"), words);
  std::printf("tree_lstm: %zu train, %zu dev, %zu test trees; %lld words; %s cell; %s embedding gradient\n",
              train.size(), dev.size(), test.size(), static_cast<long long>(words.size()), cell.c_str(),
              dense_embedding ? "dense" : "sparse");

  TreeLSTMClassifier model(words.size(), embedding_dim, hidden, cell == "child-sum", dropout, !dense_embedding);
  model->to(device);
  // A sparse table goes in a group of its own without weight decay; every other parameter keeps it.
  std::vector<reel::Tensor> decayed;
  for (const reel::Tensor& p : model->parameters())
    if (dense_embedding || !p.is_same(model->embedding->weight)) decayed.push_back(p);
  std::vector<reel::optim::OptimizerParamGroup> groups{
      reel::optim::OptimizerParamGroup(decayed, reel::optim::AdagradOptions(lr).weight_decay(weight_decay))};
  if (!dense_embedding)
    groups.emplace_back(std::vector<reel::Tensor>{model->embedding->weight}, reel::optim::AdagradOptions(lr));
  reel::optim::Adagrad optimizer(groups, reel::optim::AdagradOptions(lr).weight_decay(weight_decay));
  reel_samples::MetricsWriter metrics(reel_samples::output_path(common, "tree_lstm_metrics.csv"),
                                      {"epoch", "train_loss", "dev_acc", "test_acc"});
  reel_samples::LossTrend trend;
  std::mt19937_64 shuffle_rng(static_cast<uint64_t>(common.seed) + 1);
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);

  double best_dev = -1, test_at_best = 0, binary_test_at_best = 0;
  int64_t best_epoch = 0, step = 0;
  nn::NamedTensors best_state;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= common.epochs && !stop; ++epoch) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    reel_samples::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs),
                               common.smoke() ? std::min<int64_t>(common.steps * trees_per_step,
                                                                  static_cast<int64_t>(train.size()))
                                              : static_cast<int64_t>(train.size()),
                               "tree");
    double epoch_loss = 0;
    int64_t trees_done = 0;
    optimizer.zero_grad();
    for (size_t first = 0; first < order.size() && !stop; first += static_cast<size_t>(trees_per_step)) {
      // One step's trees; with --autobatch their recursions are recorded and run batched at backward.
      const size_t last = std::min(order.size(), first + static_cast<size_t>(trees_per_step));
      std::optional<reel::autobatch::Scope> batching;
      if (autobatch > 0) batching.emplace();
      std::vector<reel::Tensor> losses;
      for (size_t i = first; i < last; ++i) {
        const IndexedTree& tree = train[order[i]];
        const reel::Tensor targets = reel::tensor(tree.labels, reel::kInt64).to(device);
        // Summed over the tree's nodes; the step's trees' gradients add up before the step.
        losses.push_back(F::cross_entropy(model->forward(tree, device), targets, {}, -100, nn::Reduction::Sum));
      }
      reel::Tensor loss = reel::stack(losses).sum();
      loss.backward();
      batching.reset();
      const double value = loss.item<double>();
      const int64_t count = static_cast<int64_t>(last - first);
      epoch_loss += value;
      trees_done += count;
      optimizer.step();
      optimizer.zero_grad();
      trend.add(value / static_cast<double>(count));
      if (common.smoke() && ++step >= common.steps) stop = true;
      char status[48];
      std::snprintf(status, sizeof status, "loss/tree %.3f", epoch_loss / static_cast<double>(trees_done));
      bar.step(count, status);
    }
    const double train_loss = epoch_loss / static_cast<double>(std::max<int64_t>(trees_done, 1));
    char status[48];
    std::snprintf(status, sizeof status, "loss/tree %.3f", train_loss);
    bar.finish(status);
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN, NAN});
      best_state = model->state_dict();
      break;
    }
    const Accuracy dev_accuracy = evaluate(model, dev, device);
    const Accuracy test_accuracy = evaluate(model, test, device);
    std::printf("  root accuracy, fine-grained: dev %.2f%%  test %.2f%%   binary: dev %.2f%%  test %.2f%%\n",
                100 * dev_accuracy.fine, 100 * test_accuracy.fine, 100 * dev_accuracy.binary,
                100 * test_accuracy.binary);
    metrics.row({static_cast<double>(epoch), train_loss, dev_accuracy.fine, test_accuracy.fine});
    if (dev_accuracy.fine > best_dev) {
      best_dev = dev_accuracy.fine;
      test_at_best = test_accuracy.fine;
      binary_test_at_best = test_accuracy.binary;
      best_epoch = epoch;
      best_state = copy_state(model->state_dict());
    }
  }
  if (!common.smoke())
    std::printf("tree_lstm (%s): best dev epoch %lld: dev %.2f%%, test fine-grained root accuracy %.2f%% "
                "(target >= 44%%), binary %.2f%%\n",
                cell.c_str(), static_cast<long long>(best_epoch), 100 * best_dev, 100 * test_at_best,
                100 * binary_test_at_best);
  reel_samples::save_outputs(common, "tree_lstm", "tree_lstm: " + cell + " Tree-LSTM on SST", best_state);
  return reel_samples::smoke_exit_status(common, trend);
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("tree_lstm", [&] { return run(argc, argv); });
}
