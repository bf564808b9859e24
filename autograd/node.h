// reel/autograd/node.h — one record on the tape.
//
// A Node is what one differentiable op call leaves behind: which backward formula to run, an edge per
// input (to the node that produced it, or to the leaf tensor that accumulates its gradient), the tensors
// the formula needs, the op's attributes and a sequence number (recording order, so that replaying nodes
// by decreasing sequence number is a valid reverse topological order). Nodes are owned by the tensors that
// came out of them (TensorImpl::grad_fn) and by the edges of later nodes: when a forward pass's outputs
// die, so does its tape, whether or not backward() ran. See Note [Tape ownership] in docs/NOTES.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../tensor/dispatch.h"
#include "../tensor/parallel.h"
#include "../tensor/tensor.h"

namespace reel::autograd {

struct Node;
struct BackwardContext;
using BackwardFn = void (*)(BackwardContext& ctx);

// Where an input's gradient goes: into `node`'s output slot `input_nr`, or, for a leaf, into `leaf`'s .grad.
// Both pointers are counted references. An edge with neither is an input that needs no gradient.
struct Edge {
  Node* node = nullptr;
  uint32_t input_nr = 0;
  TensorImpl* leaf = nullptr;
  bool is_valid() const { return node != nullptr || leaf != nullptr; }
};

// A tensor kept for the backward formula, with the storage version it had when saved. Outputs of the node
// itself are saved as a shallow copy without grad_fn, so a node never owns itself.
struct SavedTensor {
  Tensor tensor;
  uint32_t version = 0;
  bool is_output = false;
};

// Shape/dtype/device of an input, to reduce broadcast gradients (sum_to) and cast them back.
struct InputMeta {
  DimVector sizes;
  ScalarType dtype = kFloat32;
  Device device;
};

// State of user-written functions (autograd/function.h) and other nodes that need more than OpAttrs.
struct NodeExtra {
  virtual ~NodeExtra() = default;
  virtual void release_saved() {}  // called when the engine frees the node's saved tensors
  // The name Node::name() reports instead of the op's (a custom function's bare class name); null: the op's.
  virtual const char* display_name() const { return nullptr; }
};

// A hook on one output's gradient (register_hook / retain_grad on a non-leaf).
struct OutputHook {
  uint32_t output_nr;
  unsigned handle;
  std::function<Tensor(const Tensor&)> fn;  // may return an undefined tensor: keep the gradient
  Tensor retained;                          // without fn: retain_grad, the gradient is kept here
};

struct Node {
  Node() = default;
  ~Node() { clear(); }
  std::atomic<int32_t> refcount{0};
  uint64_t sequence_nr = 0;
  OpId op = OpId::NumOps;          // built-in op, or NumOps for custom functions
  const char* op_name = "";        // reel's name of the formula, e.g. "MulBackward" (error messages, node_name)
  BackwardFn backward = nullptr;
  uint32_t num_outputs = 1;
  bool saved_released = false;     // saved tensors were freed by a backward without retain_graph
  bool had_saved = false;
  uint32_t visit_epoch = 0;        // engine scratch: last backward that reached this node
  std::vector<Edge> next_edges;    // one per input
  std::vector<InputMeta> input_meta;
  std::vector<InputMeta> output_meta;  // only for nodes with several outputs
  std::vector<SavedTensor> saved;  // one slot per input, then one per output; undefined where not needed
  std::vector<Tensor> grad_buffer;  // engine scratch: summed incoming gradient per output
  std::unique_ptr<NodeExtra> extra;
  std::unique_ptr<std::vector<OutputHook>> hooks;

  // Nodes are recycled through a per-thread cache with their vectors' capacity intact, so recording allocates
  // no memory in steady state. acquire() returns a cleared node with refcount 0; release_node() recycles it.
  static Node* acquire();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Drops edges, saved tensors, buffers, hooks and extra state; keeps the vectors' capacity.
  void clear();

  // The op's attributes (empty ones when it has none). They live in a block of their own, allocated the first
  // time a recycled node needs one and kept with it: most tape records are elementwise and have none, and a
  // small Node (208 bytes instead of 368) keeps a long tape denser in cache.
  const OpAttrs& attrs() const { return has_attrs ? *attrs_block : kNoAttrs; }
  OpAttrs& set_attrs() {
    if (!attrs_block) attrs_block = std::make_unique<OpAttrs>();
    has_attrs = true;
    return *attrs_block;
  }
  bool has_attrs = false;

 private:
  static const OpAttrs kNoAttrs;
  std::unique_ptr<OpAttrs> attrs_block;

 public:

  std::string debug_name() const { return op_name; }
  // PyTorch's name for the node (LibTorch's Node::name()): the formula's name with PyTorch's overload number
  // ("MulBackward0", "SumBackward1" for a sum over given dims, "PowBackward1" for a tensor exponent), a custom
  // function's bare class name ("LinearFunction"), or the name as recorded where PyTorch has no number
  // ("CopySlices").
  std::string name() const;
};

// Gradient contributions a formula may hand to the engine instead of computing them itself, when they go to a
// leaf: the engine keeps the pieces and, at the end of the pass, sums all of a leaf's pieces in one GEMM or one
// index_add straight into the leaf's gradient (Note [Deferred leaf gradients] in docs/NOTES.md). Each call
// returns false when the engine declines (not a leaf, create_graph, shapes that do not fit): the formula then
// computes the gradient as usual.
struct DeferredGradients {
  virtual ~DeferredGradients() = default;
  // The contribution left^T @ right, left of shape [N, P] and right [N, Q], to an input of shape [P, Q].
  virtual bool outer_product(const Edge& edge, const InputMeta& input, const Tensor& left, const Tensor& right) = 0;
  // The contribution zeros(input).index_add(dim, index, source).
  virtual bool index_add(const Edge& edge, const InputMeta& input, int64_t dim, const Tensor& index,
                         const Tensor& source) = 0;
  // The contribution zeros(input).index_add(0, index, rows) as a sparse gradient (Note [Row-sparse gradients]):
  // accepted only for a leaf, which then receives a sparse tensor unless a dense contribution joins it.
  virtual bool sparse_rows(const Edge& edge, const InputMeta& input, const Tensor& index, const Tensor& rows) = 0;
  // The contribution zeros(input) with `grad` added into the view `view_of(zeros)` (the gradient of a view op).
  virtual bool add_into_view(const Edge& edge, const InputMeta& input, FunctionRef<Tensor(const Tensor&)> view_of,
                             const Tensor& grad) = 0;
  // The contribution a * b (both of the input's shape, dtype and device), summed with addcmul_ straight into the
  // gradient already gathered for that input: one op and no temporary instead of a product and a sum. Declined
  // (false) when nothing was gathered yet or what was gathered is not the engine's own.
  virtual bool add_product(const Edge& edge, const InputMeta& input, const Tensor& a, const Tensor& b) = 0;
};

// What a backward formula sees.
struct BackwardContext {
  Node& node;
  const std::vector<Tensor>& grad_outputs;  // one per output (zeros where no gradient arrived)
  std::vector<Tensor>& grad_inputs;         // to fill: one per input (leave undefined if not needed)
  uint64_t zero_filled = 0;                 // bit j: no gradient arrived for output j, grad_outputs[j] is zeros

  const Tensor& grad() const { return grad_outputs[0]; }
  // Input i's value at recording time (undefined unless the table entry asked for it).
  const Tensor& input_value(size_t i) const { return node.saved[i].tensor; }
  // Output j's value (undefined unless the table entry asked for it).
  const Tensor& output_value(size_t j = 0) const { return node.saved[node.next_edges.size() + j].tensor; }
  const OpAttrs& attrs() const { return node.attrs(); }
  const InputMeta& input(size_t i) const { return node.input_meta[i]; }
  bool needs_input_grad(size_t i) const { return i < node.next_edges.size() && node.next_edges[i].is_valid(); }
  // False when output j received no gradient (its grad_outputs entry is the engine's zeros): a formula may skip
  // the terms that output contributes.
  bool grad_arrived(size_t j) const { return j >= 64 || ((zero_filled >> j) & 1) == 0; }

  DeferredGradients* deferred = nullptr;  // the engine, when it accepts deferred leaf gradients
  // Input i's gradient is left^T @ right: true when the engine took it over (leave grad_inputs[i] undefined).
  bool defer_outer_product(size_t i, const Tensor& left, const Tensor& right) const {
    return deferred != nullptr && deferred->outer_product(node.next_edges[i], node.input_meta[i], left, right);
  }
  // Input i's gradient is zeros.index_add(dim, index, source): true when the engine took it over.
  bool defer_index_add(size_t i, int64_t dim, const Tensor& index, const Tensor& source) const {
    return deferred != nullptr && deferred->index_add(node.next_edges[i], node.input_meta[i], dim, index, source);
  }
  // Input i's gradient is the rows `rows` [n, ...] at indices `index` [n], given as a sparse tensor: true when the
  // engine took it over (a leaf input without create_graph).
  bool defer_sparse_rows(size_t i, const Tensor& index, const Tensor& rows) const {
    return deferred != nullptr && deferred->sparse_rows(node.next_edges[i], node.input_meta[i], index, rows);
  }
  // Input i's gradient is a * b (no broadcasting): true when the engine summed it into what it already holds for
  // that input (leave grad_inputs[i] undefined). The product formulas (mul) use it: dEdx += g * w, as DyNet does.
  bool accumulate_product(size_t i, const Tensor& a, const Tensor& b) const {
    return deferred != nullptr && deferred->add_product(node.next_edges[i], node.input_meta[i], a, b);
  }
  // Input i's gradient is zeros with `grad` added into view_of(zeros): true when the engine added it straight
  // into the gradient it is summing for that input (no zero-filled input-sized temporary per call).
  template <typename ViewOf>
  bool add_into_input_view(size_t i, ViewOf&& view_of, const Tensor& grad) const {
    return deferred != nullptr && deferred->add_into_view(node.next_edges[i], node.input_meta[i],
                                                          FunctionRef<Tensor(const Tensor&)>(view_of), grad);
  }
};

// A handle to t's data with no autograd history (how a node keeps its own outputs).
Tensor shallow_copy(const Tensor& t);

// Makes a node with edges to `inputs` and installs it as grad_fn of the floating-point `outputs`; null when no
// output can carry a gradient. The caller fills in saved tensors and attributes.
Node* create_node(const char* name, BackwardFn backward, const Tensor* const* inputs, int num_inputs,
                  Tensor* const* outputs, int num_outputs);

// Number of nodes alive in this process (for memory tests).
int64_t live_node_count();

}  // namespace reel::autograd
