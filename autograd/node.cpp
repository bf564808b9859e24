// reel/autograd/node.cpp — node lifetime: pooled allocation, reference counting, and iterative release.
//
// Releasing the last output of a long forward pass frees a chain of nodes; deleting them recursively would
// overflow the stack after some 10^5 nodes, so deletion goes through a per-thread work list.
#include "autograd/node.h"

#include <cstring>
#include <string>
#include <vector>

namespace reel::autograd {

namespace {

std::atomic<int64_t> g_live_nodes{0};

constexpr size_t kMaxCachedNodes = size_t{1} << 16;

// Cleared nodes kept for reuse by this thread.
struct NodeCache {
  std::vector<Node*> nodes;
  bool shut_down = false;
  ~NodeCache() {
    shut_down = true;
    for (Node* node : nodes) delete node;
    nodes.clear();
  }
};
thread_local NodeCache t_cache;

// A pooled node keeps its vectors' capacity, so that recording allocates nothing in steady state; but a node
// that once served an op with many inputs (a `cat` of a whole tree's states) would keep that capacity for good,
// and as the pool's nodes took such turns one after another, resident memory crept up (8 MiB over 10,000
// Tree-LSTM trees). Capacity beyond kKeptCapacity is given back.
constexpr size_t kKeptCapacity = 8;

template <typename T>
void trim(std::vector<T>& v) {
  if (v.capacity() > kKeptCapacity) std::vector<T>().swap(v);
}

void recycle(Node* node) {
  node->clear();
  trim(node->next_edges);
  trim(node->input_meta);
  trim(node->output_meta);
  trim(node->saved);
  trim(node->grad_buffer);
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
  NodeCache& cache = t_cache;
  if (!cache.shut_down && cache.nodes.size() < kMaxCachedNodes) {
    cache.nodes.push_back(node);
  } else {
    delete node;
  }
}

struct ReleaseQueue {
  std::vector<Node*> pending;
  bool draining = false;
};
thread_local ReleaseQueue t_release;

}  // namespace

const OpAttrs Node::kNoAttrs{};

Node* Node::acquire() {
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
  NodeCache& cache = t_cache;
  if (!cache.nodes.empty()) {
    Node* node = cache.nodes.back();
    cache.nodes.pop_back();
    return node;
  }
  return new Node();
}

void Node::clear() {
  for (Edge& edge : next_edges) {
    if (edge.node != nullptr) release_node(edge.node);
    if (edge.leaf != nullptr) IntrusivePtr<TensorImpl>::adopt(edge.leaf).reset();
  }
  next_edges.clear();
  input_meta.clear();
  output_meta.clear();
  saved.clear();
  grad_buffer.clear();
  extra.reset();
  hooks.reset();
  if (has_attrs) {
    *attrs_block = OpAttrs();
    has_attrs = false;
  }
  refcount.store(0, std::memory_order_relaxed);
  sequence_nr = 0;
  op = OpId::NumOps;
  op_name = "";
  backward = nullptr;
  num_outputs = 1;
  saved_released = false;
  had_saved = false;
  visit_epoch = 0;
}

void retain_node(Node* node) { node->refcount.fetch_add(1, std::memory_order_relaxed); }

void release_node(Node* node) {
  // A count of 1 means the caller holds the only reference (see IntrusivePtr::release): no atomic RMW needed.
  if (node->refcount.load(std::memory_order_acquire) != 1 &&
      node->refcount.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  ReleaseQueue& queue = t_release;
  queue.pending.push_back(node);
  if (queue.draining) return;  // an outer call is already deleting: it will pick this one up
  queue.draining = true;
  while (!queue.pending.empty()) {
    Node* next = queue.pending.back();
    queue.pending.pop_back();
    recycle(next);  // releasing its edges may push more nodes onto the queue
  }
  queue.draining = false;
}

const char* node_name(const Node* node) { return node->op_name; }

namespace {
// PyTorch numbers the overloads of one derivatives.yaml name in file order, and a C++ call picks its overload by
// its argument types (LibTorch 2.15, probed): sum() is SumBackward0, sum(dims) SumBackward1; norm(p) NormBackward0,
// norm(p, dims) NormBackward1; pow(Tensor, Scalar) PowBackward0, (Tensor, Tensor) 1, (Scalar, Tensor) 2; clamp with
// tensor bounds ClampBackward0, with scalars ClampBackward1; add and mul with a Scalar on either side (x + 1, 2 * x)
// AddBackward1 / MulBackward1, sub and div with a Scalar second (x - 1, x / 2) SubBackward1 / DivBackward1 (1 - x
// and 2 / x are tensor-tensor calls in LibTorch: overload 0). reel records a Scalar as a 0-dim constant, so a real
// 0-dim tensor without grad in that place is named as a Scalar too. Everything else reel records is overload 0.
int pytorch_overload(const Node& node) {
  const bool scalar_input[2] = {
      node.input_meta.size() > 0 && node.input_meta[0].sizes.empty() && !node.next_edges[0].is_valid(),
      node.input_meta.size() > 1 && node.input_meta[1].sizes.empty() && !node.next_edges[1].is_valid()};
  switch (node.op) {
    case OpId::sum: {
      // a full reduction without keepdim (sum()) is overload 0; over chosen dims, 1
      const size_t rank = node.input_meta.empty() ? 0 : node.input_meta[0].sizes.size();
      const OpAttrs& attrs = node.attrs();
      const bool full = attrs.dims.size() == rank && !attrs.keepdim;
      return full ? 0 : 1;
    }
    case OpId::norm: {
      const size_t rank = node.input_meta.empty() ? 0 : node.input_meta[0].sizes.size();
      const OpAttrs& attrs = node.attrs();
      return attrs.dims.size() == rank && !attrs.keepdim ? 0 : 1;
    }
    case OpId::add:
    case OpId::mul: return scalar_input[0] || scalar_input[1] ? 1 : 0;
    case OpId::sub:
    case OpId::div: return scalar_input[1] ? 1 : 0;
    case OpId::pow:
      if (node.input_meta.size() == 2 && scalar_input[1]) return 0;
      if (node.input_meta.size() == 2 && scalar_input[0]) return 2;
      return node.input_meta.size() == 2 ? 1 : 0;
    case OpId::clamp: return 1;
    default: return 0;
  }
}
}  // namespace

std::string GradFn::name() const {
  REEL_CHECK(node_ != nullptr, "grad_fn()->name(): the tensor has no grad_fn (a leaf, or made without grad)");
  return node_->name();
}

const OpAttrs& GradFn::attrs() const {
  REEL_CHECK(node_ != nullptr, "grad_fn()->attrs(): the tensor has no grad_fn (a leaf, or made without grad)");
  return node_->attrs();
}

std::string Node::name() const {
  if (extra != nullptr) {
    if (const char* custom = extra->display_name()) return custom;
  }
  const size_t length = std::strlen(op_name);
  constexpr size_t kSuffix = sizeof("Backward") - 1;
  const bool numbered = length > kSuffix && std::strcmp(op_name + length - kSuffix, "Backward") == 0;
  if (!numbered) return op_name;  // CopySlices, names recorded with their number already ("MeanBackward1")
  return std::string(op_name) + std::to_string(pytorch_overload(*this));
}

int64_t live_node_count() { return g_live_nodes.load(std::memory_order_relaxed); }

}  // namespace reel::autograd
