// reel/autograd/engine.cpp — backward(): replaying the tape in reverse.
//
// 1. Seed the roots' gradients. 2. Collect every node reachable from the roots. 3. Run them by decreasing
// sequence number (recording order reversed: every consumer of a tensor runs before its producer, so a
// node's summed gradient is complete when it runs). Each node's formula turns its output gradients into
// input gradients, which are reduced to the input's shape (broadcasting, see Note [Broadcast gradients])
// and summed into the producer's buffer, or into a per-pass slot for leaves. 4. Leaves' hooks run on
// their summed gradient, which is then accumulated into .grad. Saved tensors are freed as each node
// finishes unless retain_graph. With create_graph the formulas run with grad mode on, so they record.
// A sparse embedding's rows reach a leaf as a sparse gradient (Note [Row-sparse gradients]): kept as pieces like
// the deferred ones, joined into one sparse tensor at the end, appended to a sparse .grad.
#include <algorithm>
#include <numeric>
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "autograd/autograd.h"
#include "autograd/derivatives.h"
#include "autograd/meta.h"
#include "tensor/batching_hook.h"
#include "tensor/ops.h"
#include "tensor/sparse.h"

namespace reel::autograd {

namespace {

std::atomic<uint32_t> g_epoch{0};

// Sums `grad` down to `sizes` (undoing broadcasting): leading dims, then dims that were 1.
Tensor sum_to(const Tensor& grad, IntList sizes) {
  if (grad.sizes() == sizes) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(sizes.size());
  DimVector dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead || (sizes[d - lead] == 1 && grad.size(d) != 1)) dims.push_back(d);
  }
  Tensor reduced = dims.empty() ? grad : reel::sum(grad, dims, /*keepdim=*/true);
  return reduced.reshape(sizes);
}

// Makes an input gradient match its input: shape (sum_to), dtype and device.
Tensor fit_to_input(Tensor g, const InputMeta& meta, const Node& node, size_t input) {
  if (!(g.sizes() == IntList(meta.sizes))) {
    // Only broadcasting may make them differ; anything else is a bug in a formula.
    DimVector check = broadcast_shapes(g.sizes(), meta.sizes, node.op_name);
    REEL_CHECK(check == DimVector(g.sizes()), "{}: gradient of shape {} for input {} of shape {} cannot be reduced",
               node.op_name, shape_str(g.sizes()), input, shape_str(meta.sizes));
    g = sum_to(g, meta.sizes);
  }
  if (g.dtype() != meta.dtype) g = g.to(meta.dtype);
  if (g.device() != meta.device) g = g.to(meta.device);  // a cross-device copy's gradient goes back (ToCopyBackward)
  return g;
}

// True when the caller's handle is the only one on `t` and on its storage, and t is no view of other memory.
bool sole_holder(const Tensor& t) {
  return t.use_count() == 1 && t.storage().use_count() == 1 && !t.impl()->is_view;
}

// True when t's elements start at its storage's beginning and the storage holds nothing else.
bool fills_its_storage(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  return impl.offset == 0 && static_cast<int64_t>(t.storage()->nbytes) == impl.numel * element_size(impl.dtype);
}

// ---- the layout of .grad (Note [The layout of .grad]) --------------------------------------------------------
// True when the elements of (sizes, strides) cover a block of memory exactly once (PyTorch's
// is_non_overlapping_and_dense): sorted by stride, each dim of size > 1 steps over the dims inside it.
bool non_overlapping_and_dense(IntList sizes, IntList strides) {
  DimVector order;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return true;
    if (sizes[d] != 1) order.push_back(static_cast<int64_t>(d));
  }
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return strides[a] < strides[b]; });
  int64_t expected = 1;
  for (int64_t d : order) {
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

// The strides .grad must have for `leaf`: the leaf's own when it is non-overlapping and dense, else row-major.
DimVector grad_strides_for(const TensorImpl& leaf) {
  if (non_overlapping_and_dense(leaf.sizes, leaf.strides)) return leaf.strides;
  return contiguous_strides(leaf.sizes);
}

bool same_strides_where_it_matters(IntList sizes, IntList a, IntList b) {
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] > 1 && a[d] != b[d]) return false;
  return true;
}

// A gradient of `leaf`'s shape that .grad may keep: `g` itself when only the engine holds it, it owns its whole
// storage and has the required strides; otherwise a copy with those strides. Never a view of other memory, never
// broadcast (stride 0): later accumulation adds into .grad in place.
Tensor grad_with_leaf_layout(Tensor g, const TensorImpl& leaf, bool create_graph) {
  const DimVector strides = grad_strides_for(leaf);
  const TensorImpl& gi = *g.impl();
  if (!create_graph && sole_holder(g) && fills_its_storage(g) &&
      same_strides_where_it_matters(gi.sizes, gi.strides, strides))
    return g;
  // A fresh block with the required strides: row-major over the dims ordered by those strides, permuted back.
  DimVector order(strides.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return strides[a] > strides[b]; });
  DimVector permuted_sizes;
  for (int64_t d : order) permuted_sizes.push_back(gi.sizes[d]);
  DimVector inverse(order.size());
  for (size_t i = 0; i < order.size(); ++i) inverse[order[i]] = static_cast<int64_t>(i);
  Tensor block = Tensor::make(permuted_sizes, gi.dtype, gi.device, "backward");
  Tensor dense;
  {
    NoGradGuard no_grad;
    dense = shallow_copy(block.permute(inverse));  // no history, and not a view of another tensor
  }
  dense.impl()->is_view = false;
  dense.copy_(g);  // recorded under create_graph (g's history carries over), a plain copy otherwise
  return dense;
}

// True when nothing else can see `t`'s memory: the engine may update it in place.
bool exclusively_owned(const Tensor& t) { return sole_holder(t) && t.is_contiguous(); }

// Sums a gradient contribution into a buffer slot: in place when the slot is a tensor only the engine holds
// (never under create_graph, where the sum must be differentiable).
void accumulate_into(Tensor& slot, Tensor g, bool create_graph) {
  if (!slot.defined()) {
    slot = std::move(g);
  } else if (!create_graph && slot.dtype() == g.dtype() && slot.sizes() == g.sizes() && exclusively_owned(slot)) {
    NoGradGuard no_grad;
    slot.add_(g);
  } else {
    slot = slot + g;
  }
}

// Contributions to one leaf that a formula handed over (Note [Deferred leaf gradients]): outer products
// left_i^T right_i, summed as one GEMM cat(left)^T cat(right), rows index_add'ed along one dim, and rows of a
// sparse gradient (Note [Row-sparse gradients]), which stay sparse when nothing dense joins them.
struct DeferredPieces {
  InputMeta meta;  // the leaf's shape, dtype and device
  std::vector<Tensor> left, right;
  std::vector<Tensor> index, source;
  int64_t index_dim = 0;
  std::vector<Tensor> sparse_index, sparse_rows;  // 1-D indices and their rows (along dim 0)
  int64_t elements = 0;  // held by the pieces; past a bound they are summed early
  int64_t sparse_bound = 0;  // after sparse pieces were coalesced early: the next bound (0: the usual one)
  bool empty() const { return left.empty() && index.empty() && sparse_index.empty(); }
  bool only_sparse() const { return left.empty() && index.empty() && !sparse_index.empty(); }
};

struct LeafSlot {
  TensorImpl* leaf;
  Tensor grad;
  bool owned = false;  // grad is a tensor this pass created (safe to update in place)
  std::unique_ptr<DeferredPieces> deferred;
};

// Adds the deferred pieces into `target` (contiguous, of the leaf's shape) in place, and clears them.
void add_deferred_into(Tensor& target, DeferredPieces& pieces) {
  NoGradGuard no_grad;
  if (!pieces.left.empty()) {
    const Tensor left = pieces.left.size() == 1 ? pieces.left[0] : cat(pieces.left, 0);
    const Tensor right = pieces.right.size() == 1 ? pieces.right[0] : cat(pieces.right, 0);
    target.addmm_(left.t(), right);
  }
  if (!pieces.index.empty()) {
    const Tensor index = pieces.index.size() == 1 ? pieces.index[0] : cat(pieces.index, 0);
    const Tensor source = pieces.source.size() == 1 ? pieces.source[0] : cat(pieces.source, pieces.index_dim);
    target.index_add_(pieces.index_dim, index, source);
  }
  if (!pieces.sparse_index.empty()) {
    const Tensor index = pieces.sparse_index.size() == 1 ? pieces.sparse_index[0] : cat(pieces.sparse_index, 0);
    const Tensor rows = pieces.sparse_rows.size() == 1 ? pieces.sparse_rows[0] : cat(pieces.sparse_rows, 0);
    target.index_add_(0, index, rows);
  }
  pieces.left.clear();
  pieces.right.clear();
  pieces.index.clear();
  pieces.source.clear();
  pieces.sparse_index.clear();
  pieces.sparse_rows.clear();
  pieces.elements = 0;
}

// `t` itself when only the caller holds it and it owns its memory as one contiguous block, else a copy: a tensor
// that may become part of .grad without aliasing anything else.
Tensor owned(Tensor t) { return exclusively_owned(t) && fills_its_storage(t) ? t : t.clone(); }

// Joins the sparse pieces into one sparse tensor of the leaf's shape (not coalesced: the rows in the order the
// formulas gave them, as PyTorch's sum of embedding gradients), and clears them.
Tensor take_sparse_gradient(DeferredPieces& pieces) {
  NoGradGuard no_grad;
  Tensor index = pieces.sparse_index.size() == 1 ? std::move(pieces.sparse_index[0]) : cat(pieces.sparse_index, 0);
  Tensor rows = pieces.sparse_rows.size() == 1 ? std::move(pieces.sparse_rows[0]) : cat(pieces.sparse_rows, 0);
  pieces.sparse_index.clear();
  pieces.sparse_rows.clear();
  pieces.elements = 0;
  if (index.dtype() != kInt64) index = index.to(kInt64);
  const int64_t nnz = index.numel();
  index = owned(std::move(index)).view({1, nnz});
  return detail::make_sparse(pieces.meta.sizes, std::move(index), owned(std::move(rows)), nnz <= 1);
}

// Appends the rows of `g` to the sparse .grad in place (PyTorch's sparse += sparse); once it holds more rows than
// the leaf has, they are coalesced (the same value, memory bounded by the dense size).
void append_sparse_gradient(Tensor& grad, const Tensor& g) {
  NoGradGuard no_grad;
  grad.add_(g);
  if (grad._nnz() > grad.size(0)) {
    const Tensor coalesced = grad.coalesce();
    detail::set_sparse_parts(grad, coalesced._indices(), coalesced._values(), true);
  }
}

struct Capture {
  Node* node = nullptr;  // capture the gradient arriving at (node, output_nr) ...
  uint32_t output_nr = 0;
  TensorImpl* leaf = nullptr;  // ... or the summed gradient of this leaf
  Tensor grad;
};

class GraphTask final : public DeferredGradients {
 public:
  GraphTask(bool retain_graph, bool create_graph, std::vector<Capture>* captures)
      : retain_graph_(retain_graph), create_graph_(create_graph), captures_(captures) {
    epoch_ = g_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  void seed(const Tensor& root, const Tensor& grad) {
    if (Node* node = root.grad_fn()) {
      if (node->grad_buffer.size() < node->num_outputs) node->grad_buffer.resize(node->num_outputs);
      accumulate_into(node->grad_buffer[root.output_nr()], grad, create_graph_);
      roots_.push_back(node);
    } else {
      add_leaf_grad(root.impl(), grad);
    }
  }

  void run() {
    collect_reachable();
    // A chain (an RNN step after step, W1) is collected already in order: checking costs one pass, sorting it
    // again cost 4% of W1's forward + backward.
    const auto later_first = [](const Node* a, const Node* b) { return a->sequence_nr > b->sequence_nr; };
    if (!std::is_sorted(order_.begin(), order_.end(), later_first))
      std::sort(order_.begin(), order_.end(), later_first);
    AutoGradMode mode(create_graph_);
    for (Node* node : order_) run_node(*node);
    finish_leaves();
  }

 private:
  void collect_reachable() {
    std::vector<Node*> stack(roots_.begin(), roots_.end());
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      if (node->visit_epoch == epoch_) continue;
      node->visit_epoch = epoch_;
      order_.push_back(node);
      for (const Edge& edge : node->next_edges)
        if (edge.node != nullptr && edge.node->visit_epoch != epoch_) stack.push_back(edge.node);
    }
  }

  // The slot of `leaf` in this pass. Kept in the task (not on the leaf), so concurrent passes that share a
  // leaf do not see each other's slots: a linear scan for the usual handful of leaves, a hash map beyond.
  LeafSlot& leaf_slot(TensorImpl* leaf) {
    if (leaf_index_.empty()) {
      for (LeafSlot& slot : leaves_)
        if (slot.leaf == leaf) return slot;
      leaves_.push_back(LeafSlot{leaf, Tensor(), false, nullptr});
      if (leaves_.size() > 16)
        for (size_t i = 0; i < leaves_.size(); ++i) leaf_index_.emplace(leaves_[i].leaf, i);
      return leaves_.back();
    }
    auto [it, inserted] = leaf_index_.emplace(leaf, leaves_.size());
    if (inserted) leaves_.push_back(LeafSlot{leaf, Tensor(), false, nullptr});
    return leaves_[it->second];
  }

  // ---- deferred leaf gradients (DeferredGradients) --------------------------------------------------------
  bool outer_product(const Edge& edge, const InputMeta& input, const Tensor& left, const Tensor& right) override {
    if (create_graph_ || edge.leaf == nullptr || !left.defined() || !right.defined()) return false;
    if (left.dim() != 2 || right.dim() != 2 || left.size(0) != right.size(0) || input.sizes.size() != 2) return false;
    if (left.size(1) != input.sizes[0] || right.size(1) != input.sizes[1]) return false;
    if (left.dtype() != input.dtype || right.dtype() != input.dtype || left.device() != input.device ||
        right.device() != input.device)
      return false;
    DeferredPieces& pieces = deferred_pieces(edge.leaf, input);
    pieces.left.push_back(left);
    pieces.right.push_back(right);
    note_deferred(edge.leaf, pieces, left.numel() + right.numel());
    return true;
  }

  bool index_add(const Edge& edge, const InputMeta& input, int64_t dim, const Tensor& index,
                 const Tensor& source) override {
    if (create_graph_ || !edge.is_valid() || !index.defined() || !source.defined()) return false;
    const int64_t rank = static_cast<int64_t>(input.sizes.size());
    if (dim < 0 || dim >= rank || source.dim() != rank || index.dim() > 1) return false;
    if (source.dtype() != input.dtype || source.device() != input.device || index.device() != input.device)
      return false;
    for (int64_t d = 0; d < rank; ++d)
      if (source.size(d) != (d == dim ? index.numel() : input.sizes[static_cast<size_t>(d)])) return false;
    if (edge.node != nullptr) {  // a node's gradient buffer: the rows go in at once
      NoGradGuard no_grad;
      owned_buffer(edge, input).index_add_(dim, index.dim() == 1 ? index : index.reshape({1}), source);
      return true;
    }
    DeferredPieces& pieces = deferred_pieces(edge.leaf, input);
    if (!pieces.index.empty() && pieces.index_dim != dim) materialize(leaf_slot(edge.leaf));
    pieces.index_dim = dim;
    pieces.index.push_back(index.dim() == 1 ? index : index.reshape({1}));
    pieces.source.push_back(source);
    note_deferred(edge.leaf, pieces, source.numel());
    return true;
  }

  bool sparse_rows(const Edge& edge, const InputMeta& input, const Tensor& index, const Tensor& rows) override {
    if (create_graph_ || edge.leaf == nullptr || !index.defined() || !rows.defined() || index.dim() > 1) return false;
    const int64_t rank = static_cast<int64_t>(input.sizes.size());
    if (rank < 1 || rows.dim() != rank || rows.size(0) != index.numel()) return false;
    for (int64_t d = 1; d < rank; ++d)
      if (rows.size(d) != input.sizes[static_cast<size_t>(d)]) return false;
    if (rows.dtype() != input.dtype || rows.device() != input.device || index.device() != input.device) return false;
    DeferredPieces& pieces = deferred_pieces(edge.leaf, input);
    pieces.sparse_index.push_back(index.dim() == 1 ? index : index.reshape({1}));
    pieces.sparse_rows.push_back(rows);
    note_deferred(edge.leaf, pieces, rows.numel());
    return true;
  }

  bool add_into_view(const Edge& edge, const InputMeta& input, FunctionRef<Tensor(const Tensor&)> view_of,
                     const Tensor& grad) override {
    if (create_graph_ || !edge.is_valid() || !grad.defined() || grad.dtype() != input.dtype ||
        grad.device() != input.device)
      return false;
    NoGradGuard no_grad;
    Tensor& target = edge.node != nullptr ? owned_buffer(edge, input) : owned_slot_grad(leaf_slot(edge.leaf), input);
    Tensor view = view_of(target);
    if (!(view.sizes() == grad.sizes())) return false;  // not the shape the formula promised: take the usual path
    view.add_(grad);
    return true;
  }

  bool add_product(const Edge& edge, const InputMeta& input, const Tensor& a, const Tensor& b) override {
    if (create_graph_ || !edge.is_valid() || !a.defined() || !b.defined()) return false;
    if (a.dtype() != input.dtype || b.dtype() != input.dtype || a.device() != input.device ||
        b.device() != input.device || !(a.sizes() == IntList(input.sizes)) || !(b.sizes() == IntList(input.sizes)))
      return false;
    Tensor* target = nullptr;
    if (edge.node != nullptr) {
      Node& next = *edge.node;
      if (edge.input_nr >= next.grad_buffer.size()) return false;
      Tensor& slot = next.grad_buffer[edge.input_nr];
      if (!slot.defined() || slot.dtype() != input.dtype || !exclusively_owned(slot)) return false;
      target = &slot;
    } else {
      LeafSlot& slot = leaf_slot(edge.leaf);
      if (!slot.grad.defined() || !slot.owned || slot.grad.dtype() != input.dtype) return false;
      target = &slot.grad;
    }
    if (!(target->sizes() == IntList(input.sizes))) return false;
    NoGradGuard no_grad;
    target->addcmul_(a, b);
    return true;
  }

  // The gradient buffer an edge into a node feeds, as a tensor of the input's shape that only the engine holds
  // (zeros when nothing arrived yet, a copy when what arrived may be held elsewhere), to be updated in place.
  Tensor& owned_buffer(const Edge& edge, const InputMeta& input) {
    Node& next = *edge.node;
    if (next.grad_buffer.size() < next.num_outputs) next.grad_buffer.resize(next.num_outputs);
    Tensor& slot = next.grad_buffer[edge.input_nr];
    if (!slot.defined()) {
      slot = zeros(input.sizes, TensorOptions(input.dtype).device(input.device));
    } else if (!exclusively_owned(slot)) {
      slot = slot.clone();
    }
    return slot;
  }

  // The same for a leaf's slot in this pass.
  Tensor& owned_slot_grad(LeafSlot& slot, const InputMeta& input) {
    if (!slot.grad.defined()) {
      slot.grad = zeros(input.sizes, TensorOptions(input.dtype).device(input.device));
    } else if (!slot.owned) {
      slot.grad = slot.grad.clone();
    }
    slot.owned = true;
    return slot.grad;
  }

  DeferredPieces& deferred_pieces(TensorImpl* leaf, const InputMeta& input) {
    LeafSlot& slot = leaf_slot(leaf);
    if (!slot.deferred) {
      slot.deferred = std::make_unique<DeferredPieces>();
      slot.deferred->meta = input;
    }
    return *slot.deferred;
  }

  // The pieces hold tensors alive until the end of the pass; once they hold more elements than the leaf itself
  // (and at least 256 Ki), they are summed into the pass's slot early. Pieces of a sparse gradient are coalesced
  // into one piece instead (so the gradient stays sparse), and the next bound is twice what that piece holds.
  void note_deferred(TensorImpl* leaf, DeferredPieces& pieces, int64_t elements) {
    pieces.elements += elements;
    int64_t leaf_elements = 1;
    for (int64_t s : pieces.meta.sizes) leaf_elements *= s;
    const int64_t bound = std::max({leaf_elements, int64_t{1} << 18, pieces.sparse_bound});
    if (pieces.elements <= bound) return;
    LeafSlot& slot = leaf_slot(leaf);
    if (pieces.only_sparse() && !slot.grad.defined()) {
      const Tensor coalesced = take_sparse_gradient(pieces).coalesce();
      pieces.sparse_index.push_back(coalesced._indices().view({coalesced._nnz()}));
      pieces.sparse_rows.push_back(coalesced._values());
      pieces.elements = coalesced._values().numel();
      pieces.sparse_bound = 2 * pieces.elements;
      return;
    }
    materialize(slot);
  }

  // Sums a slot's deferred pieces into the slot's own gradient tensor.
  void materialize(LeafSlot& slot) {
    if (!slot.deferred || slot.deferred->empty()) return;
    NoGradGuard no_grad;
    add_deferred_into(owned_slot_grad(slot, slot.deferred->meta), *slot.deferred);
  }

  void add_leaf_grad(TensorImpl* leaf, Tensor g) {
    LeafSlot& slot = leaf_slot(leaf);
    if (!slot.grad.defined() && !create_graph_) {
      slot.owned = exclusively_owned(g);  // a fresh result of a formula: later contributions go in place
      slot.grad = std::move(g);
      return;
    }
    if (slot.grad.defined() && !create_graph_) {
      // Without create_graph the sum need not be differentiable: after the first sum the slot owns its
      // tensor, and later contributions are added in place.
      if (!slot.owned) {
        slot.grad = slot.grad + g;
        slot.owned = true;
      } else {
        slot.grad.add_(g);
      }
      return;
    }
    accumulate_into(slot.grad, std::move(g), create_graph_);
  }

  void run_node(Node& node) {
    // Scratch vectors are reused across nodes (and the node keeps its buffer's capacity): no allocation here.
    std::vector<Tensor>& grads = grads_scratch_;
    grads.clear();
    grads.swap(node.grad_buffer);
    bool any = false;
    for (const Tensor& g : grads) any |= g.defined();
    if (!any) {
      release_saved(node);
      return;
    }
    grads.resize(node.num_outputs);
    REEL_CHECK(!(node.saved_released && node.had_saved),
               "{}: trying to backward through the graph a second time (or to use saved tensors after they were "
               "freed). Pass retain_graph=true to the first backward() if you need to backward twice.",
               node.op_name);
    run_output_hooks(node, grads);
    capture_node_grads(node, grads);
    uint64_t zero_filled = 0;
    for (size_t j = 0; j < grads.size(); ++j) {
      // Outputs that are not floating (indices, fused_rnn's reserve) never receive a gradient: none is made up.
      if (!grads[j].defined() && j < node.output_meta.size() && is_floating_point(node.output_meta[j].dtype)) {
        const InputMeta& out = node.output_meta[j];
        grads[j] = zeros(out.sizes, TensorOptions(out.dtype).device(out.device));
        if (j < 64) zero_filled |= uint64_t{1} << j;
      }
    }
    check_saved_versions(node);
    std::vector<Tensor>& input_grads = input_grads_scratch_;
    input_grads.clear();
    input_grads.resize(node.next_edges.size());
    BackwardContext ctx{node, grads, input_grads, zero_filled, create_graph_ ? nullptr : this};
    node.backward(ctx);
    for (size_t i = 0; i < node.next_edges.size(); ++i) {
      const Edge& edge = node.next_edges[i];
      if (!edge.is_valid() || !input_grads[i].defined()) continue;
      Tensor g = fit_to_input(std::move(input_grads[i]), node.input_meta[i], node, i);
      if (edge.node != nullptr) {
        Node& next = *edge.node;
        if (next.grad_buffer.size() < next.num_outputs) next.grad_buffer.resize(next.num_outputs);
        accumulate_into(next.grad_buffer[edge.input_nr], std::move(g), create_graph_);
      } else {
        add_leaf_grad(edge.leaf, std::move(g));
      }
    }
    grads.clear();
    input_grads.clear();
    release_saved(node);
  }

  void release_saved(Node& node) {
    if (retain_graph_) return;
    node.saved.clear();
    if (node.extra) node.extra->release_saved();
    node.saved_released = true;
  }

  void check_saved_versions(const Node& node) const {
    for (size_t i = 0; i < node.saved.size(); ++i) {
      const SavedTensor& s = node.saved[i];
      if (!s.tensor.defined()) continue;
      REEL_CHECK(s.tensor.version() == s.version,
                 "{}: one of the tensors needed for gradient computation has been modified by an in-place "
                 "operation: saved {} {} of shape {} is at version {}; expected version {}",
                 node.op_name, s.is_output ? "output" : "input", i, shape_str(s.tensor.sizes()), s.tensor.version(),
                 s.version);
    }
  }

  void run_output_hooks(Node& node, std::vector<Tensor>& grads) {
    if (!node.hooks) return;
    for (OutputHook& hook : *node.hooks) {
      Tensor& g = grads[hook.output_nr];
      if (!g.defined()) continue;
      if (hook.fn) {
        Tensor replaced = hook.fn(g);
        if (replaced.defined()) g = replaced;
      } else {  // retain_grad
        // A dense copy of its own, as PyTorch's retain_grad keeps: never a broadcast view, and editing it in
        // place cannot reach the gradient that flows on.
        Tensor kept = create_graph_ ? g : g.detach();
        hook.retained = hook.retained.defined() ? hook.retained + kept : kept.clone();
      }
    }
  }

  void capture_node_grads(const Node& node, const std::vector<Tensor>& grads) {
    if (captures_ == nullptr) return;
    for (Capture& c : *captures_)
      if (c.node == &node && grads[c.output_nr].defined()) c.grad = grads[c.output_nr];
  }

  void finish_leaves() {
    // .grad of a leaf shared by concurrent passes is updated under one lock (once per leaf per pass).
    static std::mutex grad_mutex;
    for (LeafSlot& slot : leaves_) {
      if (slot.deferred && !slot.deferred->empty() && add_deferred_to_grad(slot, grad_mutex)) continue;
      // Only rows of sparse gradients reached this leaf: its gradient of this pass is a sparse tensor.
      if (slot.deferred && slot.deferred->only_sparse() && !slot.grad.defined()) {
        slot.grad = take_sparse_gradient(*slot.deferred);
      } else {
        materialize(slot);
      }
      if (captures_ != nullptr) {
        for (Capture& c : *captures_)
          if (c.leaf == slot.leaf) c.grad = slot.grad;
        continue;
      }
      std::lock_guard<std::mutex> lock(grad_mutex);
      AutogradMeta& meta = meta_of(slot.leaf);
      Tensor g = std::move(slot.grad);  // the slot's reference must not count against taking g over below
      bool from_hook = false;
      for (auto& [handle, hook] : meta.hooks) {
        Tensor replaced = hook(g);
        if (replaced.defined()) g = replaced, from_hook = true;
      }
      if (!create_graph_) g = g.detach();
      if (meta.grad.defined() && meta.grad.is_sparse()) {
        // sparse += sparse appends rows in place; sparse + dense is dense (PyTorch's AccumulateGrad)
        if (g.is_sparse()) append_sparse_gradient(meta.grad, g);
        else meta.grad = grad_with_leaf_layout(g + meta.grad, *slot.leaf, create_graph_);
      } else if (!meta.grad.defined() && g.is_sparse()) {
        meta.grad = from_hook ? g.clone() : g;  // this pass made it (take_sparse_gradient): taken over
      } else if (!meta.grad.defined()) {
        // Take the gradient over when only the engine holds it and it has the leaf's layout; otherwise copy it
        // into that layout, so later in-place updates of .grad cannot alias another tensor or a broadcast.
        meta.grad = grad_with_leaf_layout(std::move(g), *slot.leaf, create_graph_);
      } else if (create_graph_) {
        meta.grad = meta.grad + g;
      } else {
        NoGradGuard no_grad;
        meta.grad.add_(g);
      }
    }
  }

  // The common case of a leaf with deferred pieces: .grad exists as a contiguous tensor of the leaf's shape and
  // no hook or autograd::grad wants this pass's own sum, so the pieces go straight into .grad (one GEMM or one
  // index_add, no zero-filled temporary). Returns false when the general path is needed.
  bool add_deferred_to_grad(LeafSlot& slot, std::mutex& grad_mutex) {
    if (captures_ != nullptr || create_graph_) return false;
    std::lock_guard<std::mutex> lock(grad_mutex);
    AutogradMeta& meta = meta_of(slot.leaf);
    const InputMeta& leaf = slot.deferred->meta;
    Tensor& grad = meta.grad;
    if (!meta.hooks.empty() || !grad.defined() || !grad.is_contiguous() || grad.requires_grad() ||
        !(grad.sizes() == IntList(leaf.sizes)) || grad.dtype() != leaf.dtype || grad.device() != leaf.device)
      return false;
    NoGradGuard no_grad;
    if (slot.grad.defined()) grad.add_(slot.grad);
    add_deferred_into(grad, *slot.deferred);
    return true;
  }

  bool retain_graph_;
  bool create_graph_;
  uint32_t epoch_;
  std::vector<Capture>* captures_;
  std::vector<Node*> roots_;
  std::vector<Node*> order_;
  std::vector<LeafSlot> leaves_;
  std::unordered_map<TensorImpl*, size_t> leaf_index_;
  std::vector<Tensor> grads_scratch_;
  std::vector<Tensor> input_grads_scratch_;
};

Tensor default_root_grad(const Tensor& root, const char* where) {
  REEL_CHECK(root.numel() == 1,
             "{}: grad can be implicitly created only for one-element outputs, but the output has shape {}; pass a "
             "gradient of that shape",
             where, shape_str(root.sizes()));
  return ones_like(root);
}

void check_root(const Tensor& root, size_t index, const char* where) {
  root.check_defined(where);
  REEL_CHECK(root.requires_grad(),
             "{}: element {} of tensors does not require grad and does not have a grad_fn (shape {})", where, index,
             shape_str(root.sizes()));
}

void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads, bool retain_graph,
                  bool create_graph, std::vector<Capture>* captures, const char* where) {
  // Inside an autobatch::Scope: the recorded ops run first (each root's grad_fn() below asks for its value), then the
  // backward formulas run eagerly.
  for (const Tensor& root : roots)
    if (root.defined() && root.impl()->pending_node != 0) (void)root.grad_fn();
  for (const Tensor& g : root_grads)
    if (g.defined() && g.impl()->pending_node != 0) (void)g.grad_fn();
  detail::SuspendBatching eager;
  REEL_CHECK(root_grads.empty() || root_grads.size() == roots.size(), "{}: got {} tensors but {} gradients", where,
             roots.size(), root_grads.size());
  GraphTask task(retain_graph, create_graph, captures);
  for (size_t i = 0; i < roots.size(); ++i) {
    check_root(roots[i], i, where);
    Tensor g = root_grads.empty() || !root_grads[i].defined() ? default_root_grad(roots[i], where) : root_grads[i];
    REEL_CHECK(g.sizes() == roots[i].sizes(), "{}: gradient of shape {} does not match output {} of shape {}", where,
               shape_str(g.sizes()), i, shape_str(roots[i].sizes()));
    task.seed(roots[i], g);
  }
  task.run();
}

}  // namespace

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph) {
  run_backward(tensors, grad_tensors, retain_graph.value_or(create_graph), create_graph, nullptr, "backward");
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  std::vector<Capture> captures(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].check_defined("autograd::grad");
    REEL_CHECK(inputs[i].requires_grad(), "autograd::grad: input {} (shape {}) does not require grad", i,
               shape_str(inputs[i].sizes()));
    if (Node* node = inputs[i].grad_fn()) {
      captures[i].node = node;
      captures[i].output_nr = inputs[i].output_nr();
    } else {
      captures[i].leaf = inputs[i].impl();
    }
  }
  run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, &captures,
               "autograd::grad");
  std::vector<Tensor> result(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    REEL_CHECK(captures[i].grad.defined() || allow_unused,
               "autograd::grad: input {} (shape {}) was not used in the graph; pass allow_unused=true if that is "
               "intended",
               i, shape_str(inputs[i].sizes()));
    result[i] = captures[i].grad;
  }
  return result;
}

}  // namespace reel::autograd
