// bench/w6_tree_lstm.cpp — W6 of ../shared/bench-workloads.md (and W8's long run): a binary Tree-LSTM trained on
// SST one tree at a time by plain recursion.
//
// Tai et al. (2015), N-ary Tree-LSTM with N = 2 (nn::BinaryTreeLSTMCell): a leaf's state comes from its word's
// embedding (dim 300, random init, vocabulary = the training trees' words), an inner node combines its two
// children; hidden 150; a 5-class linear classifier on every node's h; the loss is the cross-entropy summed over
// the tree's nodes; Adagrad lr 0.05, one step every 25 trees. No dropout, no weight decay. The trees are taken in
// file order (cycling when --trees exceeds the 8544 training trees), each with a fresh graph. The embedding's
// gradient is sparse (nn::EmbeddingOptions::sparse, Note [Row-sparse gradients]): Adagrad updates only the rows
// of the words seen since the last step; --dense-embedding gives the table a dense gradient (all rows every step).
//
// Two forms of the same computation (--form), the same loss for the same tree and parameters:
//   per-node (the default, W6's figure): at every node, visited by plain recursion, the embedding lookup of its
//     word (leaves), the cell, the classifier on its h and its own cross-entropy term; the tree's loss is the sum
//     of these terms. This is the form DyNet's twin (../shared/bench-anchors/dynet/w6_treelstm.cc) and the
//     LibTorch twin use.
//   batched (a separate line, not W6): one embedding lookup for all of the tree's leaves, the cells by recursion,
//     then one classifier and one cross-entropy over all nodes' h stacked: manual batching within a tree.
//   levels (W6b's ceiling, a separate line): hand batching across the 25 trees of a step, level by level — one
//     embedding lookup and one cell call for all leaves, then one cell call per height for all nodes of that height
//     (children's states picked with index_select), one classifier and one cross-entropy: what automatic batching
//     of the per-node code could reach at best. Figure: bench=W6 figure=trees_per_second_levels.
// --check runs neither: for the first 10 trees it computes both forms' loss and gradients with the same
// parameters and fails (exit 1) unless they agree (loss to 1e-5 relative, every gradient to 1e-4 of its largest
// element).
// Figures:
//   bench=W6 figure=trees_per_second ...          per-node form: over --trees trees (default 1000) after --warmup
//                                                 trees (default 50)
//   bench=W6 figure=trees_per_second_batched ...  the same with --form batched
//   bench=W6 figure=optimizer_seconds_per_1000_trees ...   the time in optimizer.step() and zero_grad() among them
//   bench=W8 figure=rss_mib ... trees=K           with --rss-every K: resident memory (VmRSS) after every K timed
//                                                 trees, with reel's own allocator counters beside it (reel_*)
//   bench=W8 figure=rss_growth_mib ...            with --rss-every: the last report minus the first (flat = about 0)
//   bench=W6 figure=vmhwm_mib ...                 the program's own reading of its peak resident memory (VmHWM);
//                                                 scripts/bench.sh measures the peak from outside (/usr/bin/time -v)
// The same program serves the 100,000-tree long run: w6_tree_lstm --trees 100000 --rss-every 10000.
//
// W6b (--autobatch N): the per-node form, unchanged, run N trees at a time inside a reel::autobatch::Scope (automatic
// batching, docs/autobatch.md): the N trees' losses are summed and backward runs once per group; the optimizer still
// steps every 25 trees (N must divide 25 or be a multiple of it). Figure: bench=W6b figure=trees_per_second.
// --check with --autobatch N compares the autobatched loss and gradients of the first trees with the eager ones.
//
//   w6_tree_lstm [--form per-node|batched] [--autobatch N] [--check] [--trees N] [--warmup N] [--rss-every K]
//                [--dense-embedding] [--data DIR] [--threads N] [--quick]
//
// --data DIR: the folder holding sst/train.txt (default: $REEL_DATA, else ../shared/data next to the repository).
// --quick: 20 trees after 5 warm-up trees: a smoke run for CTest, not a measurement.
// The LibTorch twin is bench/libtorch/w6_tree_lstm.cpp (the same cell written with LibTorch ops, the same forms).
#include <reel/reel.h>
#include <reel/data/trees.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_common.h"

namespace {

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::data::Tree;

constexpr const char* kUsage =
    "[--form per-node|batched|levels] [--autobatch N] [--check] [--trees N] [--warmup N] [--rss-every K] "
    "[--dense-embedding] [--data DIR] "
    "[--threads N] [--quick]";
constexpr int64_t kEmbedding = 300, kHidden = 150, kClasses = 5, kTreesPerStep = 25;
constexpr int64_t kCheckedTrees = 10;

enum class Form { kPerNode, kBatched, kLevels };

struct W6Options {
  Form form = Form::kPerNode;
  bool check = false;  // compare the two forms instead of timing
  int64_t trees = 1000;
  int64_t warmup = 50;
  int64_t rss_every = 0;  // 0: no resident-memory reports
  int64_t autobatch = 0;  // W6b: trees per autobatch::Scope (0: eager)
  bool sparse_embedding = true;
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
      } else if (std::strcmp(form, "levels") == 0) {
        options.form = Form::kLevels;
      } else {
        std::fprintf(stderr, "%s: --form must be per-node, batched or levels, not '%s'\n", argv[0], form);
        std::exit(2);
      }
    } else if (std::strcmp(argv[i], "--check") == 0) {
      options.check = true;
    } else if (const char* trees = bench::take_value(i, argc, argv, "--trees")) {
      options.trees = std::atoll(trees);
    } else if (const char* warmup = bench::take_value(i, argc, argv, "--warmup")) {
      options.warmup = std::atoll(warmup);
    } else if (const char* every = bench::take_value(i, argc, argv, "--rss-every")) {
      options.rss_every = std::atoll(every);
    } else if (const char* group = bench::take_value(i, argc, argv, "--autobatch")) {
      options.autobatch = std::atoll(group);
    } else if (std::strcmp(argv[i], "--dense-embedding") == 0) {
      options.sparse_embedding = false;
    } else if (const char* root = bench::take_value(i, argc, argv, "--data")) {
      options.data_root = root;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (options.autobatch < 0 ||
      (options.autobatch > 0 && kTreesPerStep % options.autobatch != 0 && options.autobatch % kTreesPerStep != 0)) {
    std::fprintf(stderr, "%s: --autobatch N needs N to divide %lld or be a multiple of it\n", argv[0],
                 static_cast<long long>(kTreesPerStep));
    std::exit(2);
  }
  if (options.autobatch > 0) {  // whole groups: the warm-up ends on a group edge
    options.warmup = (options.warmup + options.autobatch - 1) / options.autobatch * options.autobatch;
  }
  if (options.trees < 1 || options.warmup < 0 || options.rss_every < 0) {
    std::fprintf(stderr, "usage: %s %s (trees >= 1, warmup >= 0, rss-every >= 0)\n", argv[0], kUsage);
    std::exit(2);
  }
  return options;
}

// A tree with word ids resolved once; nodes in post-order (children before parents, root last).
struct IndexedTree {
  struct Node {
    int64_t word = -1;  // leaves: the word id; inner nodes: -1
    int left = -1, right = -1;
  };
  std::vector<Node> nodes;
  std::vector<int64_t> labels;  // per node
  std::vector<int64_t> leaf_words;  // left to right
};

int add_nodes(const Tree& tree, std::unordered_map<std::string, int64_t>& words, IndexedTree& out) {
  IndexedTree::Node node;
  if (tree.is_leaf()) {
    node.word = words.emplace(tree.word, static_cast<int64_t>(words.size())).first->second;
    out.leaf_words.push_back(node.word);
  } else {
    if (tree.children.size() != 2) throw reel::Error("w6: SST trees are binary; found a node with other children");
    node.left = add_nodes(tree.children[0], words, out);
    node.right = add_nodes(tree.children[1], words, out);
  }
  out.nodes.push_back(node);
  out.labels.push_back(tree.label);
  return static_cast<int>(out.nodes.size()) - 1;
}

struct TreeLSTMImpl : nn::Module {
  TreeLSTMImpl(int64_t vocab, bool sparse_embedding) {
    embedding =
        register_module("embedding", nn::Embedding(nn::EmbeddingOptions(vocab, kEmbedding).sparse(sparse_embedding)));
    cell = register_module("cell", nn::BinaryTreeLSTMCell(kEmbedding, kHidden));
    classifier = register_module("classifier", nn::Linear(kHidden, kClasses));
  }

  // The tree's loss, summed over its nodes, in the given form.
  reel::Tensor loss(const IndexedTree& tree, Form form) {
    return form == Form::kPerNode ? per_node_loss(tree) : batched_loss(tree);
  }

  // W6: every node computes its own lookup, cell, classifier and loss term; the terms are summed once at the end.
  reel::Tensor per_node_loss(const IndexedTree& tree) {
    std::vector<reel::Tensor> node_losses;
    node_losses.reserve(tree.nodes.size());
    evaluate_per_node(tree, static_cast<int>(tree.nodes.size()) - 1, node_losses);
    return reel::stack(node_losses).sum();
  }

  // Batched within the tree: one lookup for all leaves, one classifier and one cross-entropy for all nodes.
  reel::Tensor batched_loss(const IndexedTree& tree) {
    const reel::Tensor leaf_vectors = embedding(reel::tensor(tree.leaf_words, reel::kInt64));  // [leaves, 300]
    std::vector<nn::LSTMState> states(tree.nodes.size());
    int64_t next_leaf = 0;
    evaluate_batched(tree, static_cast<int>(tree.nodes.size()) - 1, leaf_vectors, next_leaf, states);
    std::vector<reel::Tensor> hidden;
    hidden.reserve(states.size());
    for (const nn::LSTMState& state : states) hidden.push_back(std::get<0>(state));
    const reel::Tensor scores = classifier(reel::cat(hidden, 0));  // [nodes, 5], IndexedTree's node order
    return F::cross_entropy(scores, reel::tensor(tree.labels, reel::kInt64), {}, -100, nn::Reduction::Sum);
  }

  // Hand-batched across the group's trees, level by level (height 0: the leaves); the summed loss of all their nodes.
  reel::Tensor levels_loss(const std::vector<const IndexedTree*>& group) {
    struct NodeRef {
      size_t tree;
      int node;
    };
    std::vector<std::vector<NodeRef>> levels;
    std::vector<std::vector<int64_t>> position(group.size());
    for (size_t t = 0; t < group.size(); ++t) {
      const std::vector<IndexedTree::Node>& nodes = group[t]->nodes;
      std::vector<size_t> height(nodes.size());
      for (size_t i = 0; i < nodes.size(); ++i) {  // post-order: children come first
        const IndexedTree::Node& node = nodes[i];
        height[i] = node.word >= 0 ? 0
                                   : 1 + std::max(height[static_cast<size_t>(node.left)],
                                                  height[static_cast<size_t>(node.right)]);
        if (levels.size() <= height[i]) levels.resize(height[i] + 1);
        levels[height[i]].push_back({t, static_cast<int>(i)});
      }
      position[t].resize(nodes.size());
    }
    int64_t next = 0;  // each node's row in the levels' states laid end to end
    for (const std::vector<NodeRef>& level : levels)
      for (const NodeRef& ref : level) position[ref.tree][static_cast<size_t>(ref.node)] = next++;
    std::vector<reel::Tensor> hs, cs;
    std::vector<int64_t> labels;
    for (size_t k = 0; k < levels.size(); ++k) {
      std::vector<int64_t> words, left, right;
      for (const NodeRef& ref : levels[k]) {
        const IndexedTree::Node& node = group[ref.tree]->nodes[static_cast<size_t>(ref.node)];
        labels.push_back(group[ref.tree]->labels[static_cast<size_t>(ref.node)]);
        if (k == 0) {
          words.push_back(node.word);
        } else {
          left.push_back(position[ref.tree][static_cast<size_t>(node.left)]);
          right.push_back(position[ref.tree][static_cast<size_t>(node.right)]);
        }
      }
      nn::LSTMState state;
      if (k == 0) {
        state = cell(embedding(reel::tensor(words, reel::kInt64)));
      } else {
        const reel::Tensor h = reel::cat(hs, 0), c = reel::cat(cs, 0);
        const reel::Tensor l = reel::tensor(left, reel::kInt64), r = reel::tensor(right, reel::kInt64);
        state = cell(reel::Tensor(), nn::LSTMState{h.index_select(0, l), c.index_select(0, l)},
                     nn::LSTMState{h.index_select(0, r), c.index_select(0, r)});
      }
      hs.push_back(std::get<0>(state));
      cs.push_back(std::get<1>(state));
    }
    const reel::Tensor scores = classifier(reel::cat(hs, 0));
    return F::cross_entropy(scores, reel::tensor(labels, reel::kInt64), {}, -100, nn::Reduction::Sum);
  }

  nn::Embedding embedding{nullptr};
  nn::BinaryTreeLSTMCell cell{nullptr};
  nn::Linear classifier{nullptr};

 private:
  // Plain recursion, children first; appends this subtree's loss terms (post-order) and returns the node's state.
  nn::LSTMState evaluate_per_node(const IndexedTree& tree, int index, std::vector<reel::Tensor>& node_losses) {
    const IndexedTree::Node& node = tree.nodes[static_cast<size_t>(index)];
    nn::LSTMState state;
    if (node.word >= 0) {
      state = cell(embedding(reel::tensor({node.word}, reel::kInt64)));  // x [1, 300]
    } else {
      const nn::LSTMState left = evaluate_per_node(tree, node.left, node_losses);
      const nn::LSTMState right = evaluate_per_node(tree, node.right, node_losses);
      state = cell(reel::Tensor(), left, right);
    }
    const reel::Tensor label = reel::tensor({tree.labels[static_cast<size_t>(index)]}, reel::kInt64);
    node_losses.push_back(
        F::cross_entropy(classifier(std::get<0>(state)), label, {}, -100, nn::Reduction::Sum));  // [1, 5] -> []
    return state;
  }

  // Plain recursion, children first; leaves are met left to right, matching leaf_vectors' rows.
  void evaluate_batched(const IndexedTree& tree, int index, const reel::Tensor& leaf_vectors, int64_t& next_leaf,
                        std::vector<nn::LSTMState>& states) {
    const IndexedTree::Node& node = tree.nodes[static_cast<size_t>(index)];
    if (node.word >= 0) {
      states[static_cast<size_t>(index)] = cell(leaf_vectors.narrow(0, next_leaf++, 1));  // x [1, 300]
      return;
    }
    evaluate_batched(tree, node.left, leaf_vectors, next_leaf, states);
    evaluate_batched(tree, node.right, leaf_vectors, next_leaf, states);
    states[static_cast<size_t>(index)] = cell(reel::Tensor(), states[static_cast<size_t>(node.left)],
                                              states[static_cast<size_t>(node.right)]);
  }
};
REEL_MODULE(TreeLSTM);

// The largest |a - b| over the largest |b| (0 when both are all zeros).
double relative_difference(const reel::Tensor& a, const reel::Tensor& b) {
  const auto largest_magnitude = [](const reel::Tensor& x) {
    return std::max(x.max().item<double>(), -x.min().item<double>());
  };
  const double scale = largest_magnitude(b);
  const double difference = largest_magnitude(a - b);
  return difference == 0 ? 0 : difference / scale;
}

// --check: both forms on the first kCheckedTrees trees with the same parameters (no optimizer step); prints the
// largest relative differences of the loss and of any gradient, and returns the process's exit status.
// The parameters' gradients as dense copies (the embedding's is sparse: compared by its dense value).
std::vector<reel::Tensor> gradient_copies(const std::vector<reel::Tensor>& parameters) {
  std::vector<reel::Tensor> copies;
  for (const reel::Tensor& parameter : parameters) {
    const reel::Tensor& grad = parameter.grad();
    copies.push_back(!grad.defined() ? reel::Tensor() : grad.is_sparse() ? grad.to_dense() : grad.clone());
  }
  return copies;
}

// The worst differences between a reference computation (a) and another (b) over any number of pairs.
struct FormComparison {
  double worst_loss = 0, worst_gradient = 0;
  bool gradients_match = true;

  void add(double loss_a, double loss_b, const std::vector<reel::Tensor>& a, const std::vector<reel::Tensor>& b) {
    worst_loss = std::max(worst_loss, std::fabs(loss_a - loss_b) / std::fabs(loss_a));
    for (size_t p = 0; p < a.size(); ++p) {
      if (a[p].defined() != b[p].defined()) {
        gradients_match = false;
      } else if (a[p].defined()) {
        worst_gradient = std::max(worst_gradient, relative_difference(b[p], a[p]));
      }
    }
  }
  // Prints the verdict; the process's exit status.
  int report(const std::string& what, int64_t trees) const {
    const bool ok = gradients_match && worst_loss <= 1e-5 && worst_gradient <= 1e-4;
    std::printf("w6 check: %s over %lld trees: loss max relative difference %.3g (limit 1e-5), gradients %.3g "
                "(limit 1e-4)%s: %s\n",
                what.c_str(), static_cast<long long>(trees), worst_loss, worst_gradient,
                gradients_match ? "" : ", a gradient defined in one form only", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
  }
};

int check_forms(TreeLSTM& model, const std::vector<IndexedTree>& train) {
  const std::vector<reel::Tensor> parameters = model->parameters();
  FormComparison comparison;
  for (size_t t = 0; t < static_cast<size_t>(kCheckedTrees) && t < train.size(); ++t) {
    double losses[2];
    std::vector<reel::Tensor> gradients[2];
    const Form forms[2] = {Form::kBatched, Form::kPerNode};  // reference: the batched form
    for (int f = 0; f < 2; ++f) {
      model->zero_grad();
      reel::Tensor loss = model->loss(train[t], forms[f]);
      loss.backward();
      losses[f] = loss.item<double>();
      gradients[f] = gradient_copies(parameters);
    }
    comparison.add(losses[0], losses[1], gradients[0], gradients[1]);
  }
  model->zero_grad();
  return comparison.report("per-node vs batched form", std::min<int64_t>(kCheckedTrees, train.size()));
}

// --check --autobatch N: the first N trees' summed loss and gradients, eagerly and inside one autobatch::Scope
// (--form levels: eagerly and hand-batched by levels).
int check_autobatch(TreeLSTM& model, const std::vector<IndexedTree>& train, int64_t group, bool levels) {
  const std::vector<reel::Tensor> parameters = model->parameters();
  double losses[2];
  std::vector<reel::Tensor> gradients[2];
  for (int batched = 0; batched < 2; ++batched) {
    model->zero_grad();
    std::optional<reel::autobatch::Scope> scope;
    if (batched && !levels) scope.emplace();
    std::vector<reel::Tensor> tree_losses;
    std::vector<const IndexedTree*> trees;
    for (int64_t t = 0; t < group && t < static_cast<int64_t>(train.size()); ++t) {
      if (!batched || !levels) tree_losses.push_back(model->per_node_loss(train[static_cast<size_t>(t)]));
      trees.push_back(&train[static_cast<size_t>(t)]);
    }
    reel::Tensor loss = batched && levels ? model->levels_loss(trees) : reel::stack(tree_losses).sum();
    loss.backward();
    losses[batched] = loss.item<double>();
    gradients[batched] = gradient_copies(parameters);
  }
  model->zero_grad();
  FormComparison comparison;
  comparison.add(losses[0], losses[1], gradients[0], gradients[1]);
  return comparison.report(std::string("eager per-node vs ") + (levels ? "hand batching by levels" : "autobatch"),
                           group);
}

}  // namespace

int main(int argc, char** argv) {
  W6Options w6 = take_w6_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  if (options.quick) w6.trees = 20, w6.warmup = 5;
  if (w6.autobatch > 0) w6.warmup = (w6.warmup + w6.autobatch - 1) / w6.autobatch * w6.autobatch;
  if (w6.form == Form::kLevels) w6.warmup = (w6.warmup + kTreesPerStep - 1) / kTreesPerStep * kTreesPerStep;
  try {
    reel::set_num_threads(options.threads);
    const std::vector<Tree> trees = reel::data::read_trees(w6.data_root + "/sst/train.txt");
    std::unordered_map<std::string, int64_t> words;
    std::vector<IndexedTree> train(trees.size());
    for (size_t i = 0; i < trees.size(); ++i) add_nodes(trees[i], words, train[i]);

    reel::manual_seed(6);
    TreeLSTM model(static_cast<int64_t>(words.size()), w6.sparse_embedding);
    if (w6.check && w6.form == Form::kLevels) return check_autobatch(model, train, kTreesPerStep, true);
    if (w6.check) {
      return w6.autobatch > 0 ? check_autobatch(model, train, w6.autobatch, false) : check_forms(model, train);
    }
    reel::optim::Adagrad optimizer(model->parameters(), reel::optim::AdagradOptions(0.05));
    const char* form_name = w6.autobatch > 0              ? "autobatch"
                            : w6.form == Form::kPerNode    ? "per_node"
                            : w6.form == Form::kLevels     ? "levels"
                                                           : "batched";
    const std::string extra = "threads=" + std::to_string(options.threads) + " form=" + form_name +
                              (w6.autobatch > 0 ? " trees_per_scope=" + std::to_string(w6.autobatch) : "") +
                              (w6.sparse_embedding ? " embedding=sparse" : " embedding=dense") +
                              (options.quick ? " quick=1" : "");

    double loss_sum = 0, start = 0, first_rss = -1, last_rss = -1, optimizer_seconds = 0;
    double record_seconds = 0, backward_seconds = 0;  // W6b: recording, and backward with the flush it starts
    int64_t trees_since_step = 0;
    reel::autobatch::Stats batch_stats;  // W6b: summed over every scope
    optimizer.zero_grad();
    for (int64_t done = 0; done < w6.warmup + w6.trees; ++done) {
      if (done == w6.warmup) start = bench::now_seconds();
      if (w6.form == Form::kLevels) {  // the next 25 trees, hand-batched by levels
        const int64_t group = std::min(kTreesPerStep, w6.warmup + w6.trees - done);
        std::vector<const IndexedTree*> trees;
        for (int64_t k = 0; k < group; ++k) trees.push_back(&train[static_cast<size_t>(done + k) % train.size()]);
        reel::Tensor loss = model->levels_loss(trees);
        loss.backward();
        loss_sum += loss.item<double>();
        done += group - 1;
        trees_since_step += group - 1;
      } else if (w6.autobatch > 0) {  // W6b: the next group of trees in one scope (the warm-up ends on a group edge)
        const int64_t group = std::min(w6.autobatch, w6.warmup + w6.trees - done);
        {
          reel::autobatch::Scope scope;
          std::vector<reel::Tensor> losses;
          const double record_start = bench::now_seconds();
          for (int64_t k = 0; k < group; ++k)
            losses.push_back(model->per_node_loss(train[static_cast<size_t>(done + k) % train.size()]));
          reel::Tensor loss = reel::stack(losses).sum();
          const double backward_start = bench::now_seconds();
          loss.backward();
          record_seconds += backward_start - record_start;
          backward_seconds += bench::now_seconds() - backward_start;
          loss_sum += loss.item<double>();
          batch_stats += scope.stats();
        }
        done += group - 1;
        trees_since_step += group - 1;
      } else {
        const IndexedTree& tree = train[static_cast<size_t>(done) % train.size()];
        reel::Tensor loss = model->loss(tree, w6.form);
        loss.backward();
        loss_sum += loss.item<double>();
      }
      if (++trees_since_step >= kTreesPerStep) {
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
        // reel's CPU allocator beside the process figure: live tensor bytes, bytes cached for reuse, and blocks
        // taken from the system, so growth in RSS can be told apart from growth in what reel holds.
        const reel::cpu::MemoryStats pool = reel::cpu::memory_stats();
        bench::print_memory_figure(
            "W8", "rss_mib", last_rss,
            extra + " trees=" + std::to_string(timed) +
                " reel_allocated_mib=" + std::to_string(pool.allocated_bytes / 1048576.0) +
                " reel_cached_mib=" + std::to_string(pool.cached_bytes / 1048576.0) +
                " reel_system_blocks=" + std::to_string(pool.system_allocations));
      }
    }
    const double seconds = bench::now_seconds() - start;
    if (!std::isfinite(loss_sum)) {
      std::fprintf(stderr, "w6: the loss is %g\n", loss_sum);
      return 1;
    }
    const std::string counts = " trees=" + std::to_string(w6.trees) + " warmup=" + std::to_string(w6.warmup) +
                               " vocab=" + std::to_string(words.size());
    bench::print_figure(w6.autobatch > 0 ? "W6b" : "W6",
                        w6.form == Form::kPerNode || w6.autobatch > 0 ? "trees_per_second"
                        : w6.form == Form::kLevels                    ? "trees_per_second_levels"
                                                                      : "trees_per_second_batched",
                        "trees/s",
                        bench::summarize({static_cast<double>(w6.trees) / seconds}),
                        extra + counts + " mean_loss=" + std::to_string(loss_sum / double(w6.warmup + w6.trees)));
    bench::print_figure("W6", "optimizer_seconds_per_1000_trees", "s",
                        bench::summarize({optimizer_seconds * 1000.0 / static_cast<double>(w6.trees)}), extra + counts);
    if (first_rss >= 0) bench::print_memory_figure("W8", "rss_growth_mib", last_rss - first_rss, extra + counts);
    if (w6.autobatch > 0) {  // what the scopes did, per tree (warm-up included)
      const double per_tree = 1.0 / static_cast<double>(w6.warmup + w6.trees);
      std::printf("autobatch per tree: ops recorded %.1f, ran in batches %.1f, ran alone %.1f, batched calls %.2f, "
                  "flushes %.2f, gathers copied %.2f, gathers viewed %.2f\n",
                  batch_stats.ops_recorded * per_tree, batch_stats.ops_batched * per_tree,
                  batch_stats.ops_alone * per_tree, batch_stats.batches * per_tree, batch_stats.flushes * per_tree,
                  batch_stats.gathers_copied * per_tree, batch_stats.gathers_viewed * per_tree);
      std::printf("autobatch ms per tree: recording %.3f, flushing %.3f (running the calls %.3f), backward after the "
                  "flush %.3f\n",
                  record_seconds * per_tree * 1e3, batch_stats.seconds_flushing * per_tree * 1e3,
                  batch_stats.seconds_running * per_tree * 1e3,
                  (backward_seconds - batch_stats.seconds_flushing) * per_tree * 1e3);
    }
    bench::print_peak_memory("W6", extra);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w6: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
