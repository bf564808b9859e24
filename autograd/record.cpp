// reel/autograd/record.cpp — building a tape node for one op call (called from the front doors through
// tensor/autograd_hook.h when grad mode is on and an input requires grad), and the history of in-place writes:
// the checks every write makes, the commit that gives the written tensor (or a view's base) its new history,
// and the rebuilt history of views whose base changed (Note [In-place ops and autograd] in docs/NOTES.md).
#include "autograd/derivatives.h"
#include "tensor/autograd_hook.h"
#include "tensor/batching_hook.h"
#include "tensor/ops.h"

namespace reel::autograd {

namespace {
thread_local uint64_t t_sequence = 0;
}

// A handle to the same data with no autograd history: how a node keeps its own outputs without owning itself.
Tensor shallow_copy(const Tensor& t) {
  Tensor copy = Tensor::make_view(t, t.sizes(), t.strides(), t.storage_offset());
  copy.impl()->is_view = t.impl()->is_view;
  return copy;
}

Node* create_node(const char* name, BackwardFn backward, const Tensor* const* inputs, int num_inputs,
                  Tensor* const* outputs, int num_outputs) {
  bool any_floating_output = false;
  for (int j = 0; j < num_outputs; ++j) any_floating_output |= outputs[j]->is_floating_point();
  if (!any_floating_output) return nullptr;
  Node* node = Node::acquire();
  node->op_name = name;
  node->backward = backward;
  node->num_outputs = static_cast<uint32_t>(num_outputs);
  node->next_edges.resize(static_cast<size_t>(num_inputs));
  node->input_meta.resize(static_cast<size_t>(num_inputs));
  uint64_t sequence = ++t_sequence;
  for (int i = 0; i < num_inputs; ++i) {
    const Tensor& input = *inputs[i];
    if (!input.defined()) continue;
    InputMeta& meta = node->input_meta[i];
    meta.sizes.assign(input.sizes().begin(), input.sizes().end());
    meta.dtype = input.dtype();
    meta.device = input.device();
    if (!input.requires_grad()) continue;
    Edge& edge = node->next_edges[i];
    if (Node* producer = input.grad_fn()) {
      retain_node(producer);
      edge.node = producer;
      edge.input_nr = input.output_nr();
      if (producer->sequence_nr >= sequence) sequence = producer->sequence_nr + 1;  // keep a topological order
    } else {
      edge.leaf = IntrusivePtr<TensorImpl>(input.impl()).release_ownership();
    }
  }
  t_sequence = sequence;
  node->sequence_nr = sequence;
  if (num_outputs > 1) {  // multi-output nodes need output shapes to fill in missing gradients with zeros
    for (int j = 0; j < num_outputs; ++j)
      node->output_meta.push_back({DimVector(outputs[j]->sizes()), outputs[j]->dtype(), outputs[j]->device()});
  }
  // The node is new and not yet visible to any other thread: its count (one per output that will hold it) is
  // set with a plain store instead of an atomic increment per output.
  int32_t holders = 0;
  for (int j = 0; j < num_outputs; ++j) holders += reel::is_floating_point(outputs[j]->impl()->dtype) ? 1 : 0;
  node->refcount.store(holders, std::memory_order_relaxed);
  for (int j = 0; j < num_outputs; ++j) {
    TensorImpl* out = outputs[j]->impl();
    if (!reel::is_floating_point(out->dtype)) continue;
    if (out->grad_fn != nullptr) release_node(out->grad_fn);
    out->grad_fn = node;
    out->output_nr = static_cast<uint32_t>(j);
    out->requires_grad = true;
  }
  return node;
}

}  // namespace reel::autograd

namespace reel::detail {

Tensor alias_with_history(const Tensor& t) {
  Tensor alias = autograd::shallow_copy(t);
  TensorImpl* impl = alias.impl();
  impl->requires_grad = t.requires_grad();
  if (autograd::Node* node = t.grad_fn()) {
    autograd::retain_node(node);
    impl->grad_fn = node;
    impl->output_nr = t.output_nr();
  }
  return alias;
}

void take_history(Tensor& self, const Tensor& from) {
  autograd::Node* node = from.grad_fn();
  if (node == nullptr) return;
  TensorImpl* impl = self.impl();
  autograd::retain_node(node);
  if (impl->grad_fn != nullptr) autograd::release_node(impl->grad_fn);
  impl->grad_fn = node;
  impl->output_nr = from.output_nr();
  impl->requires_grad = true;
}

void record_op(OpId op, const Tensor* const* inputs, int num_inputs, Tensor* const* outputs, int num_outputs,
               const OpAttrs* attrs) {
  using namespace autograd;
  // A front door that records by itself (after a kernel call an autobatch::Scope recorded, e.g. an empty
  // reduction's fill) needs the real tensors: run what the scope recorded first. (Only while a scope records:
  // elsewhere no pending tensor reaches here, a failed flush's leftovers having thrown at their kernel.)
  if (batching()) [[unlikely]] {
    for (int i = 0; i < num_outputs; ++i)
      if (outputs[i]->defined() && outputs[i]->impl()->pending_node != 0) materialize_pending(*outputs[i]->impl());
    for (int i = 0; i < num_inputs; ++i)
      if (inputs[i]->defined() && inputs[i]->impl()->pending_node != 0) materialize_pending(*inputs[i]->impl());
  }
  const Derivative& derivative = derivative_for(op);
  if (derivative.fn == nullptr) return;
  Node* node = create_node(derivative.name, derivative.fn, inputs, num_inputs, outputs, num_outputs);
  if (node == nullptr) return;
  node->op = op;
  if (attrs != nullptr) node->set_attrs() = *attrs;
  // Save what the formula will read for the inputs that need gradients.
  uint32_t inputs_to_save = 0;
  bool save_outputs = false;
  // The masks describe the first kMaxSavedInputs inputs (cat and stack may have many more; those save nothing).
  for (int i = 0; i < num_inputs && i < kMaxSavedInputs; ++i) {
    if (!node->next_edges[i].is_valid()) continue;
    inputs_to_save |= derivative.inputs_needed[i];
    save_outputs |= ((derivative.output_needed_by >> i) & 1) != 0;
  }
  if (inputs_to_save != 0 || save_outputs) {
    node->saved.resize(static_cast<size_t>(num_inputs + num_outputs));
    for (int i = 0; i < num_inputs && i < kMaxSavedInputs; ++i) {
      if (!((inputs_to_save >> i) & 1) || !inputs[i]->defined()) continue;
      node->saved[i] = {*inputs[i], inputs[i]->version(), false};
      node->had_saved = true;
    }
    for (int j = 0; j < num_outputs && save_outputs; ++j) {
      node->saved[num_inputs + j] = {shallow_copy(*outputs[j]), outputs[j]->version(), true};
      node->had_saved = true;
    }
  }
}


namespace {

Tensor handle_of(TensorImpl* impl) { return Tensor(IntrusivePtr<TensorImpl>(impl)); }

// An in-place write through a view made with grad mode off, while grad mode is on and the base requires grad,
// would change values the base's history does not know about.
// `op` and `suffix` name the write ("mul" + "_").
void check_view_made_with_grad(std::string_view op, std::string_view suffix, const Tensor& self) {
  const TensorImpl* impl = self.impl();
  REEL_CHECK(!impl->view_base || !impl->view_base->requires_grad || self.requires_grad(),
             "{}{}: a view (shape {}) of a tensor that requires grad was created with grad mode off and is being "
             "modified in place with grad mode on: its base's history cannot follow. Create the view with grad mode "
             "on, or clone() it first", op, suffix, shape_str(self.sizes()));
}

// After the op that computed an in-place result from `before` (an alias of self's old values) recorded, some
// node may have saved `before` (mul_'s gradient for its other operand reads self's old value). Those values are
// about to be overwritten, so the alias is moved onto a copy of them (PyTorch's original_self clone), keeping
// the version the node recorded. Costs a copy only when a node did save the old value.
void preserve_original(Tensor& before, const Tensor& result) {
  if (before.use_count() <= 1 || before.is_same(result)) return;
  TensorImpl* alias = before.impl();
  const uint32_t version = alias->storage->version;
  Tensor copy;
  {
    NoGradGuard no_grad;
    copy = before.clone();
  }
  alias->storage = copy.storage();
  alias->storage->version = version;
  alias->sizes = copy.impl()->sizes;
  alias->strides = copy.impl()->strides;
  alias->offset = copy.impl()->offset;
  alias->is_view = false;
  alias->view_base.reset();
  alias->refresh_contiguity();
}

// self (not a view) now holds `result`'s values: it takes result's history, or none when result has none.
void replace_history(Tensor& self, const Tensor& result) {
  TensorImpl* impl = self.impl();
  if (result.requires_grad() && result.grad_fn() != nullptr) {
    take_history(self, result);
  } else if (impl->grad_fn != nullptr || impl->requires_grad) {
    if (impl->grad_fn != nullptr) autograd::release_node(impl->grad_fn);
    impl->grad_fn = nullptr;
    impl->output_nr = 0;
    impl->requires_grad = false;
  }
  ++impl->history_version;
}

// self is a view that now holds `result`'s values: its base's history becomes CopySlices(base_old, result),
// and self's own history is rebuilt from the base's.
void rebase_through_view(const char* op, Tensor& self, const Tensor& result) {
  TensorImpl* base_impl = self.impl()->view_base.get();
  Tensor base = handle_of(base_impl);
  Tensor base_old = alias_with_history(base);
  if (base_old.requires_grad() || result.requires_grad()) {
    REEL_CHECK(base.is_contiguous(),
               "{}: an in-place write through a view (shape {}) of a non-contiguous tensor (shape {}, strides {}) is "
               "not differentiable in reel; make the base contiguous() before viewing it",
               op, shape_str(self.sizes()), shape_str(base.sizes()), shape_str(base.strides()));
    const Tensor* inputs[] = {&base_old, &result};
    Tensor* outputs[] = {&base};
    autograd::Node* node =
        autograd::create_node("CopySlices", autograd::copy_slices_backward, inputs, 2, outputs, 1);
    if (node != nullptr) {
      OpAttrs& attrs = node->set_attrs();
      attrs.dims.assign(self.sizes().begin(), self.sizes().end());
      for (int64_t stride : self.strides()) attrs.dims.push_back(stride);
      attrs.dim = self.dim();
      attrs.set(AsStridedAttrs{.storage_offset = self.storage_offset(), .base_offset = base.storage_offset()});
    }
  }
  ++base_impl->history_version;
  refresh_view_history(*self.impl());
}

}  // namespace

void begin_write(const Tensor& target, std::string_view op, bool in_place_suffix) {
  if (batching()) [[unlikely]]
    before_eager(&target, 1, &target);  // recorded ops that read target run before it changes
  const TensorImpl* impl = target.impl();
  check_no_internal_overlap(impl->sizes, impl->strides, op, in_place_suffix);
  if (impl->view_base && is_grad_enabled()) check_view_made_with_grad(op, in_place_suffix ? "_" : "", target);
  ++impl->storage->version;
}

void check_in_place(const char* op, const Tensor& self, bool recording) {
  check_no_internal_overlap(self.sizes(), self.strides(), op);
  if (!is_grad_enabled()) return;
  if (self.requires_grad() && self.is_leaf()) {
    std::string_view out_of_place(op);
    if (out_of_place.ends_with('_')) out_of_place.remove_suffix(1);
    REEL_CHECK(false,
               "{}: a leaf tensor that requires grad (shape {}) is being used in an in-place operation; wrap it in "
               "NoGradGuard or use the out-of-place {}", op, shape_str(self.sizes()), out_of_place);
  }
  const TensorImpl* base = self.impl()->view_base.get();
  if (base == nullptr) return;
  REEL_CHECK(!(base->requires_grad && base->grad_fn == nullptr),
             "{}: a view of a leaf Variable that requires grad is being used in an in-place operation (view shape "
             "{}, leaf shape {}); wrap it in NoGradGuard or write into a clone()", op, shape_str(self.sizes()),
             shape_str(base->sizes));
  if (recording) check_view_made_with_grad(op, "", self);
}

void commit_in_place(const char* op, Tensor& self, Tensor& before, const Tensor& result, bool recording) {
  REEL_CHECK(result.sizes() == self.sizes(), "{}: result of shape {} cannot be written into a tensor of shape {}", op,
             shape_str(result.sizes()), shape_str(self.sizes()));
  auto category = [](ScalarType t) { return t == kBool ? 0 : is_floating_point(t) ? 2 : 1; };
  REEL_CHECK(category(result.dtype()) <= category(self.dtype()),
             "{}: result dtype {} cannot be cast to the in-place tensor's dtype {}", op, dtype_name(result.dtype()),
             dtype_name(self.dtype()));
  recording = recording || (is_grad_enabled() && result.requires_grad());
  if (recording) preserve_original(before, result);
  {
    NoGradGuard no_grad;
    self.copy_(result);
  }
  if (!recording) {
    take_history(self, result);  // grad mode off: self keeps its history (saved-tensor versions guard it)
    return;
  }
  if (self.impl()->view_base) {
    rebase_through_view(op, self, result);
  } else {
    replace_history(self, result);
  }
}

void refresh_view_history(const TensorImpl& view_const) {
  auto& view = const_cast<TensorImpl&>(view_const);
  TensorImpl* base = view.view_base.get();
  view.view_base_history = base->history_version;
  if (view.grad_fn != nullptr) autograd::release_node(view.grad_fn);
  view.grad_fn = nullptr;
  view.output_nr = 0;
  view.requires_grad = false;
  if (!base->requires_grad || !is_floating_point(view.dtype)) return;
  // The view's values are base_new.as_strided(view geometry): record exactly that (AsStridedBackward).
  Tensor base_handle = handle_of(base);
  Tensor view_handle = handle_of(&view);
  OpAttrs attrs;
  attrs.dims.assign(view.sizes.begin(), view.sizes.end());
  for (int64_t stride : view.strides) attrs.dims.push_back(stride);
  for (int64_t stride : base->strides) attrs.dims.push_back(stride);
  attrs.dim = static_cast<int64_t>(view.sizes.size());
  attrs.set(AsStridedAttrs{.storage_offset = view.offset, .base_offset = base->offset});
  const Tensor* inputs[] = {&base_handle};
  Tensor* outputs[] = {&view_handle};
  record_op(OpId::as_strided, inputs, 1, outputs, 1, &attrs);
}

}  // namespace reel::detail
