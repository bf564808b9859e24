// reel/autograd/record.cpp — building a tape node for one op call (called from the front doors through
// tensor/autograd_hook.h when grad mode is on and an input requires grad).
#include "autograd/derivatives.h"
#include "tensor/autograd_hook.h"

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
  node->name = name;
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
  const Derivative& derivative = derivative_for(op);
  if (derivative.fn == nullptr) return;
  Node* node = create_node(derivative.name, derivative.fn, inputs, num_inputs, outputs, num_outputs);
  if (node == nullptr) return;
  node->op = op;
  if (attrs != nullptr) {
    node->attrs = *attrs;
    node->has_attrs = true;
  }
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

}  // namespace reel::detail
