// bench/libtorch/w6_tree_lstm.cpp — W6 of ../shared/bench-workloads.md in LibTorch, the twin of
// bench/w6_tree_lstm.cpp: a binary Tree-LSTM trained on SST one tree at a time by plain recursion.
//
// LibTorch has no Tree-LSTM, so BinaryTreeLSTMCell below is written with LibTorch ops exactly as reel's
// nn::BinaryTreeLSTMCell computes it (the same parameters, the same op sequence), per Tai et al. (2015), N = 2:
//   leaf:  [i f o u] = W x + b;                 c = σ(i) tanh(u),                         h = σ(o) tanh(c)
//   inner: [i f_l f_r o u] = U^l h_l + U^r h_r; gates add b (b_f to both forget gates);
//          c = σ(i) tanh(u) + σ(f_l) c_l + σ(f_r) c_r,  h = σ(o) tanh(c)
// Embedding 300 (random init, vocabulary = the training trees' words), hidden 150, a 5-class linear classifier on
// every node's h, cross-entropy summed over the nodes, Adagrad lr 0.05 with a step every 25 trees, no dropout,
// no weight decay; trees in file order. The same two forms as reel's program (--form):
//   per-node (default, W6): per node by plain recursion, the embedding lookup (leaves), the cell, the classifier
//     and the node's cross-entropy term; the tree's loss is the sum of the terms.
//   batched (a separate line): one lookup for all leaves, the cells by recursion, one classifier and one
//     cross-entropy over all nodes.
// --check compares the two forms' loss and gradients on the first 10 trees (exit 1 unless they agree).
// The embedding's gradient is sparse (EmbeddingOptions::sparse, which torch::optim::Adagrad takes; without weight
// decay and lr decay the update is the dense one's): a lookup's backward then carries only its rows, as reel's
// embedding (rows added into .grad) and DyNet's lookup parameters do. --dense-embedding keeps LibTorch's default,
// a dense [vocab, 300] gradient per lookup call: once per tree in the batched form, once per leaf in the
// per-node form, where it dominates the time.
// Figures and options as reel's program:
//   bench=W6 figure=trees_per_second ...   over --trees trees (default 1000) after --warmup trees (default 50);
//                                          trees_per_second_batched with --form batched
//   bench=W6 figure=optimizer_seconds_per_1000_trees ...   the time in optimizer.step() and zero_grad() among them
//   bench=W8 figure=rss_mib ... trees=K    with --rss-every K; bench=W8 figure=rss_growth_mib; W6 vmhwm_mib
//
//   libtorch_w6_tree_lstm [--form per-node|batched] [--check] [--dense-embedding] [--trees N] [--warmup N]
//                         [--rss-every K] [--data DIR] [--threads N] [--quick]
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_common.h"

namespace {

using State = std::tuple<torch::Tensor, torch::Tensor>;
constexpr const char* kUsage =
    "[--form per-node|batched] [--check] [--dense-embedding] [--trees N] [--warmup N] [--rss-every K] "
    "[--data DIR] [--threads N] [--quick]";
constexpr int64_t kEmbedding = 300, kHidden = 150, kClasses = 5, kTreesPerStep = 25;
constexpr int64_t kCheckedTrees = 10;

enum class Form { kPerNode, kBatched };

struct W6Options {
  Form form = Form::kPerNode;
  bool check = false;  // compare the two forms instead of timing
  int64_t trees = 1000;
  int64_t warmup = 50;
  int64_t rss_every = 0;
  bool sparse_embedding = true;  // --dense-embedding: false
  std::string data_root = bench::default_data_root();
};

W6Options take_w6_options(int& argc, char** argv) {
  W6Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (const char* form = bench::take_value(i, argc, argv, "--form")) {
      if (std::strcmp(form, "per-node") == 0) {
        options.form = Form::kPerNode;
      } else if (std::strcmp(form, "batched") == 0) {
        options.form = Form::kBatched;
      } else {
        std::fprintf(stderr, "%s: --form must be per-node or batched, not '%s'\n", argv[0], form);
        std::exit(2);
      }
    } else if (std::strcmp(argv[i], "--check") == 0) {
      options.check = true;
    } else if (std::strcmp(argv[i], "--dense-embedding") == 0) {
      options.sparse_embedding = false;
    } else if (const char* trees = bench::take_value(i, argc, argv, "--trees")) {
      options.trees = std::atoll(trees);
    } else if (const char* warmup = bench::take_value(i, argc, argv, "--warmup")) {
      options.warmup = std::atoll(warmup);
    } else if (const char* every = bench::take_value(i, argc, argv, "--rss-every")) {
      options.rss_every = std::atoll(every);
    } else if (const char* root = bench::take_value(i, argc, argv, "--data")) {
      options.data_root = root;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (options.trees < 1 || options.warmup < 0 || options.rss_every < 0) {
    std::fprintf(stderr, "usage: %s %s (trees >= 1, warmup >= 0, rss-every >= 0)\n", argv[0], kUsage);
    std::exit(2);
  }
  return options;
}

// A tree flattened in post-order (children before parents, root last), words as ids.
struct IndexedTree {
  struct Node {
    int64_t word = -1;  // leaves: the word id; inner nodes: -1
    int left = -1, right = -1;
  };
  std::vector<Node> nodes;
  std::vector<int64_t> labels;      // per node
  std::vector<int64_t> leaf_words;  // left to right
};

// Parses one PTB-bracketed SST line: "(label word)" is a leaf, "(label left right)" an inner node. Words are
// kept as written (escapes such as -LRB- are ids like any other word, so the vocabulary's size is reel's).
class TreeParser {
 public:
  TreeParser(const std::string& line, std::unordered_map<std::string, int64_t>& words, IndexedTree& out)
      : line_(line), words_(words), out_(out) {}
  int parse() {
    skip_spaces();
    expect('(');
    const int64_t label = line_.at(position_++) - '0';
    skip_spaces();
    IndexedTree::Node node;
    if (line_.at(position_) == '(') {
      node.left = parse();
      skip_spaces();
      node.right = parse();
    } else {
      const size_t end = line_.find(')', position_);
      const std::string word = line_.substr(position_, end - position_);
      position_ = end;
      node.word = words_.emplace(word, static_cast<int64_t>(words_.size())).first->second;
      out_.leaf_words.push_back(node.word);
    }
    skip_spaces();
    expect(')');
    out_.nodes.push_back(node);
    out_.labels.push_back(label);
    return static_cast<int>(out_.nodes.size()) - 1;
  }

 private:
  void skip_spaces() {
    while (position_ < line_.size() && line_[position_] == ' ') ++position_;
  }
  void expect(char ch) {
    if (position_ >= line_.size() || line_[position_] != ch) {
      std::fprintf(stderr, "w6: malformed tree at column %zu: %s\n", position_ + 1, line_.c_str());
      std::exit(1);
    }
    ++position_;
  }
  const std::string& line_;
  std::unordered_map<std::string, int64_t>& words_;
  IndexedTree& out_;
  size_t position_ = 0;
};

struct BinaryTreeLSTMCellImpl : torch::nn::Module {
  BinaryTreeLSTMCellImpl(int64_t input_size, int64_t hidden_size) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
    auto uniform = [&](std::vector<int64_t> shape) { return torch::empty(shape).uniform_(-bound, bound); };
    weight_ih = register_parameter("weight_ih", uniform({4 * hidden_size, input_size}));
    weight_hh_l = register_parameter("weight_hh_l", uniform({5 * hidden_size, hidden_size}));
    weight_hh_r = register_parameter("weight_hh_r", uniform({5 * hidden_size, hidden_size}));
    bias = register_parameter("bias", uniform({4 * hidden_size}));
  }
  State leaf(const torch::Tensor& x) {
    const std::vector<torch::Tensor> g = torch::nn::functional::linear(x, weight_ih, bias).chunk(4, -1);
    const torch::Tensor c = torch::sigmoid(g[0]) * torch::tanh(g[3]);
    const torch::Tensor h = torch::sigmoid(g[2]) * torch::tanh(c);
    return {h, c};
  }
  State inner(const State& left, const State& right) {
    const auto& [h_l, c_l] = left;
    const auto& [h_r, c_r] = right;
    namespace F = torch::nn::functional;
    const std::vector<torch::Tensor> hg = (F::linear(h_l, weight_hh_l) + F::linear(h_r, weight_hh_r)).chunk(5, -1);
    const std::vector<torch::Tensor> bs = bias.chunk(4, -1);  // b_i, b_f, b_o, b_u
    const torch::Tensor i = torch::sigmoid(bs[0] + hg[0]);
    const torch::Tensor f_l = torch::sigmoid(bs[1] + hg[1]);
    const torch::Tensor f_r = torch::sigmoid(bs[1] + hg[2]);
    const torch::Tensor o = torch::sigmoid(bs[2] + hg[3]);
    const torch::Tensor u = torch::tanh(bs[3] + hg[4]);
    const torch::Tensor c = i * u + f_l * c_l + f_r * c_r;
    const torch::Tensor h = o * torch::tanh(c);
    return {h, c};
  }
  torch::Tensor weight_ih, weight_hh_l, weight_hh_r, bias;
};
TORCH_MODULE(BinaryTreeLSTMCell);

struct TreeLSTMImpl : torch::nn::Module {
  TreeLSTMImpl(int64_t vocab, bool sparse_embedding) {
    embedding = register_module(
        "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab, kEmbedding).sparse(sparse_embedding)));
    cell = register_module("cell", BinaryTreeLSTMCell(kEmbedding, kHidden));
    classifier = register_module("classifier", torch::nn::Linear(kHidden, kClasses));
  }

  // The tree's loss, summed over its nodes, in the given form.
  torch::Tensor loss(const IndexedTree& tree, Form form) {
    return form == Form::kPerNode ? per_node_loss(tree) : batched_loss(tree);
  }

  // W6: every node computes its own lookup, cell, classifier and loss term; the terms are summed once at the end.
  torch::Tensor per_node_loss(const IndexedTree& tree) {
    std::vector<torch::Tensor> node_losses;
    node_losses.reserve(tree.nodes.size());
    evaluate_per_node(tree, static_cast<int>(tree.nodes.size()) - 1, node_losses);
    return torch::stack(node_losses).sum();
  }

  // Batched within the tree: one lookup for all leaves, one classifier and one cross-entropy for all nodes.
  torch::Tensor batched_loss(const IndexedTree& tree) {
    const torch::Tensor leaf_vectors = embedding(torch::tensor(tree.leaf_words, torch::kInt64));  // [leaves, 300]
    std::vector<State> states(tree.nodes.size());
    int64_t next_leaf = 0;
    evaluate_batched(tree, static_cast<int>(tree.nodes.size()) - 1, leaf_vectors, next_leaf, states);
    std::vector<torch::Tensor> hidden;
    hidden.reserve(states.size());
    for (const State& state : states) hidden.push_back(std::get<0>(state));
    const torch::Tensor scores = classifier(torch::cat(hidden, 0));  // [nodes, 5], IndexedTree's node order
    return torch::nn::functional::cross_entropy(scores, torch::tensor(tree.labels, torch::kInt64), summed_);
  }

  torch::nn::Embedding embedding{nullptr};
  BinaryTreeLSTMCell cell{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  // Plain recursion, children first; appends this subtree's loss terms (post-order) and returns the node's state.
  State evaluate_per_node(const IndexedTree& tree, int index, std::vector<torch::Tensor>& node_losses) {
    const IndexedTree::Node& node = tree.nodes[static_cast<size_t>(index)];
    State state;
    if (node.word >= 0) {
      state = cell->leaf(embedding(torch::tensor({node.word}, torch::kInt64)));  // x [1, 300]
    } else {
      const State left = evaluate_per_node(tree, node.left, node_losses);
      const State right = evaluate_per_node(tree, node.right, node_losses);
      state = cell->inner(left, right);
    }
    const torch::Tensor label = torch::tensor({tree.labels[static_cast<size_t>(index)]}, torch::kInt64);
    node_losses.push_back(
        torch::nn::functional::cross_entropy(classifier(std::get<0>(state)), label, summed_));  // [1, 5] -> []
    return state;
  }

  // Plain recursion, children first; leaves are met left to right, matching leaf_vectors' rows.
  void evaluate_batched(const IndexedTree& tree, int index, const torch::Tensor& leaf_vectors, int64_t& next_leaf,
                        std::vector<State>& states) {
    const IndexedTree::Node& node = tree.nodes[static_cast<size_t>(index)];
    if (node.word >= 0) {
      states[static_cast<size_t>(index)] = cell->leaf(leaf_vectors.narrow(0, next_leaf++, 1));  // x [1, 300]
      return;
    }
    evaluate_batched(tree, node.left, leaf_vectors, next_leaf, states);
    evaluate_batched(tree, node.right, leaf_vectors, next_leaf, states);
    states[static_cast<size_t>(index)] =
        cell->inner(states[static_cast<size_t>(node.left)], states[static_cast<size_t>(node.right)]);
  }

  const torch::nn::functional::CrossEntropyFuncOptions summed_ =
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum);
};
TORCH_MODULE(TreeLSTM);

// The largest |a - b| over the largest |b| (0 when both are all zeros).
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  const double difference = (a - b).abs().max().item<double>();
  return difference == 0 ? 0 : difference / b.abs().max().item<double>();
}

// --check: both forms on the first kCheckedTrees trees with the same parameters (no optimizer step); prints the
// largest relative differences of the loss and of any gradient, and returns the process's exit status.
int check_forms(TreeLSTM& model, const std::vector<IndexedTree>& train) {
  const std::vector<torch::Tensor> parameters = model->parameters();
  double worst_loss = 0, worst_gradient = 0;
  bool gradients_match = true;
  for (size_t t = 0; t < static_cast<size_t>(kCheckedTrees) && t < train.size(); ++t) {
    double losses[2];
    std::vector<torch::Tensor> gradients[2];
    const Form forms[2] = {Form::kPerNode, Form::kBatched};
    for (int f = 0; f < 2; ++f) {
      model->zero_grad();
      torch::Tensor loss = model->loss(train[t], forms[f]);
      loss.backward();
      losses[f] = loss.item<double>();
      for (const torch::Tensor& parameter : parameters) {
        const torch::Tensor& grad = parameter.grad();
        gradients[f].push_back(!grad.defined() ? torch::Tensor() : grad.is_sparse() ? grad.to_dense() : grad.clone());
      }
    }
    worst_loss = std::max(worst_loss, std::fabs(losses[0] - losses[1]) / std::fabs(losses[1]));
    for (size_t p = 0; p < parameters.size(); ++p) {
      if (gradients[0][p].defined() != gradients[1][p].defined()) {
        gradients_match = false;
      } else if (gradients[0][p].defined()) {
        worst_gradient = std::max(worst_gradient, relative_difference(gradients[0][p], gradients[1][p]));
      }
    }
  }
  model->zero_grad();
  const bool ok = gradients_match && worst_loss <= 1e-5 && worst_gradient <= 1e-4;
  std::printf("w6 check: per-node vs batched form over %lld trees: loss max relative difference %.3g (limit 1e-5), "
              "gradients %.3g (limit 1e-4)%s: %s\n",
              static_cast<long long>(std::min<size_t>(kCheckedTrees, train.size())), worst_loss, worst_gradient,
              gradients_match ? "" : ", a gradient defined in one form only", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  W6Options w6 = take_w6_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  if (options.quick) w6.trees = 20, w6.warmup = 5;
  try {
    torch::set_num_threads(options.threads);
    const std::string path = w6.data_root + "/sst/train.txt";
    std::ifstream file(path);
    if (!file) {
      std::fprintf(stderr, "w6: cannot open %s\n", path.c_str());
      return 1;
    }
    std::unordered_map<std::string, int64_t> words;
    std::vector<IndexedTree> train;
    for (std::string line; std::getline(file, line);) {
      if (line.find('(') == std::string::npos) continue;
      train.emplace_back();
      TreeParser(line, words, train.back()).parse();
    }

    torch::manual_seed(6);
    TreeLSTM model(static_cast<int64_t>(words.size()), w6.sparse_embedding);
    if (w6.check) return check_forms(model, train);
    torch::optim::Adagrad optimizer(model->parameters(), torch::optim::AdagradOptions(0.05));
    const char* form_name = w6.form == Form::kPerNode ? "per_node" : "batched";
    const std::string extra = "threads=" + std::to_string(options.threads) + " form=" + form_name +
                              (w6.sparse_embedding ? " embedding_grad=sparse" : " embedding_grad=dense") +
                              (options.quick ? " quick=1" : "");

    double loss_sum = 0, start = 0, first_rss = -1, last_rss = -1, optimizer_seconds = 0;
    int64_t trees_since_step = 0;
    optimizer.zero_grad();
    for (int64_t done = 0; done < w6.warmup + w6.trees; ++done) {
      if (done == w6.warmup) start = bench::now_seconds();
      const IndexedTree& tree = train[static_cast<size_t>(done) % train.size()];
      torch::Tensor loss = model->loss(tree, w6.form);
      loss.backward();
      loss_sum += loss.item<double>();
      if (++trees_since_step == kTreesPerStep) {
        const double step_start = bench::now_seconds();
        optimizer.step();
        optimizer.zero_grad();
        if (done >= w6.warmup) optimizer_seconds += bench::now_seconds() - step_start;
        trees_since_step = 0;
      }
      const int64_t timed = done + 1 - w6.warmup;
      if (w6.rss_every > 0 && timed > 0 && timed % w6.rss_every == 0) {
        last_rss = bench::process_status_mib("VmRSS");
        if (first_rss < 0) first_rss = last_rss;
        bench::print_memory_figure("W8", "rss_mib", last_rss, extra + " trees=" + std::to_string(timed));
      }
    }
    const double seconds = bench::now_seconds() - start;
    if (!std::isfinite(loss_sum)) {
      std::fprintf(stderr, "w6: the loss is %g\n", loss_sum);
      return 1;
    }
    const std::string counts = " trees=" + std::to_string(w6.trees) + " warmup=" + std::to_string(w6.warmup) +
                               " vocab=" + std::to_string(words.size());
    bench::print_figure("W6", w6.form == Form::kPerNode ? "trees_per_second" : "trees_per_second_batched", "trees/s",
                        bench::summarize({static_cast<double>(w6.trees) / seconds}),
                        extra + counts + " mean_loss=" + std::to_string(loss_sum / double(w6.warmup + w6.trees)));
    bench::print_figure("W6", "optimizer_seconds_per_1000_trees", "s",
                        bench::summarize({optimizer_seconds * 1000.0 / static_cast<double>(w6.trees)}), extra + counts);
    if (first_rss >= 0) bench::print_memory_figure("W8", "rss_growth_mib", last_rss - first_rss, extra + counts);
    bench::print_peak_memory("W6", extra);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "w6: c10::Error: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}
