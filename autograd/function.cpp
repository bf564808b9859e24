// reel/autograd/function.cpp — the context and node plumbing behind custom functions (function.h).
#include "autograd/function.h"

#include <cxxabi.h>

#include <cstdlib>

#include "autograd/node.h"
#include "tensor/error_format.h"

namespace reel {

namespace {
const char* tag_name(IValue::Tag tag) {
  static constexpr const char* kKinds[] = {"None",   "Tensor",  "Double",     "Int",       "Bool",
                                           "String", "IntList", "DoubleList", "TensorList"};
  return kKinds[static_cast<int>(tag)];
}
}  // namespace

std::string IValue::tagKind() const { return tag_name(tag_); }

void IValue::throw_wrong_kind(Tag wanted) const {
  throw_error(fmt::format("IValue: expected {} but got {}", tag_name(wanted), tagKind()));
}

}  // namespace reel

namespace reel::autograd {

struct AutogradContext::Frozen {
  std::vector<SavedTensor> saved;
  std::vector<int> saved_output_index;  // per saved tensor: which output it is, or -1
  Node* node = nullptr;                 // the node that owns this context (set once recorded)
};

AutogradContext::AutogradContext() : frozen_(std::make_unique<Frozen>()) {}
AutogradContext::~AutogradContext() = default;

void AutogradContext::set_node(Node* node) { frozen_->node = node; }

tensor_list AutogradContext::get_saved_variables() const {
  const std::vector<SavedTensor>& saved = frozen_->saved;
  const std::vector<int>& saved_output_index = frozen_->saved_output_index;
  Node* const owner = frozen_->node;
  tensor_list out;
  out.reserve(saved.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    const SavedTensor& s = saved[i];
    if (s.tensor.defined()) {
      REEL_CHECK(s.tensor.version() == s.version,
                 "{}: saved tensor {} (shape {}) was modified by an in-place operation after save_for_backward "
                 "(version {}, expected {})",
                 name_, i, shape_str(s.tensor.sizes()), s.tensor.version(), s.version);
    }
    // A saved output handed to a backward that is being recorded (create_graph) gets this node as its history,
    // so second derivatives flow through it (it is kept without history to avoid a node owning itself).
    const int output = saved_output_index[i];
    if (output >= 0 && owner != nullptr && is_grad_enabled() && s.tensor.is_floating_point()) {
      Tensor alias = shallow_copy(s.tensor);
      retain_node(owner);
      alias.impl()->grad_fn = owner;
      alias.impl()->output_nr = static_cast<uint32_t>(output);
      alias.impl()->requires_grad = true;
      out.push_back(alias);
      continue;
    }
    out.push_back(s.tensor);
  }
  return out;
}

void AutogradContext::mark_non_differentiable(const tensor_list& outputs) {
  for (const Tensor& t : outputs)
    if (t.defined()) non_differentiable_.push_back(t.impl());
}

bool AutogradContext::is_non_differentiable(const Tensor& t) const {
  for (TensorImpl* impl : non_differentiable_)
    if (impl == t.impl()) return true;
  return false;
}

void AutogradContext::release_saved() {
  frozen_->saved.clear();
  frozen_->saved_output_index.clear();
  saved_data.clear();
}

void AutogradContext::freeze_saved(const tensor_list& outputs, const char* type_name) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type_name, nullptr, nullptr, &status);
  name_ = std::string(status == 0 && demangled ? demangled : type_name) + "Backward";
  std::free(demangled);
  std::vector<SavedTensor>& saved = frozen_->saved;
  std::vector<int>& saved_output_index = frozen_->saved_output_index;
  saved.clear();
  saved_output_index.clear();
  for (const Tensor& t : to_save_) {
    bool is_output = false;
    int output_index = -1;
    for (size_t j = 0; j < outputs.size(); ++j) {
      if (t.defined() && outputs[j].defined() && outputs[j].impl() == t.impl()) {
        is_output = true;
        output_index = static_cast<int>(j);
      }
    }
    saved_output_index.push_back(output_index);
    // An output is kept without its history, or the node would own itself.
    Tensor kept = is_output ? shallow_copy(t) : t;
    saved.push_back({kept, t.defined() ? t.version() : 0u, is_output});
  }
  to_save_.clear();
}

namespace detail {
namespace {

// The node's share of a custom function: its context and its T::backward.
struct CustomFunctionState : NodeExtra {
  std::unique_ptr<AutogradContext> ctx;
  CustomBackward backward = nullptr;
  // What LibTorch's node of a custom function reports: its own type, torch::autograd::CppNode<T>, demangled
  // (LibTorch 1.13 and 2.15 print "torch::autograd::CppNode<LinearFunction>"); reel::autograd:: after the rename.
  std::string class_name;
  void release_saved() override { ctx->release_saved(); }
  const char* display_name() const override { return class_name.c_str(); }
};

// The BackwardFn of every custom function's node: T::backward through the node's state, one gradient per forward
// argument.
void run_custom_backward(BackwardContext& c) {
  auto* state = static_cast<CustomFunctionState*>(c.node.extra.get());
  tensor_list grads = state->backward(state->ctx.get(), tensor_list(c.grad_outputs.begin(), c.grad_outputs.end()));
  REEL_CHECK(grads.size() >= c.grad_inputs.size(),
             "{}: backward returned {} gradients but forward took {} arguments", c.node.op_name, grads.size(),
             c.grad_inputs.size());
  for (size_t i = 0; i < c.grad_inputs.size(); ++i)
    if (c.needs_input_grad(i)) c.grad_inputs[i] = grads[i];
}

}  // namespace

void attach_custom_node(const char* name, CustomBackward backward, const std::vector<const Tensor*>& inputs,
                        tensor_list& outputs, std::unique_ptr<AutogradContext> ctx) {
  bool any_requires = false;
  for (const Tensor* t : inputs) any_requires |= t != nullptr && t->defined() && t->requires_grad();
  std::vector<Tensor> absent_inputs(inputs.size());
  std::vector<const Tensor*> input_ptrs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) input_ptrs[i] = inputs[i] != nullptr ? inputs[i] : &absent_inputs[i];
  // Outputs that alias an input get fresh handles, so recording does not rewrite the input's history.
  std::vector<Tensor*> output_ptrs;
  for (Tensor& out : outputs) {
    REEL_CHECK(out.defined(), "{}: forward returned an undefined tensor", name);
    for (const Tensor* in : inputs)
      if (in != nullptr && in->defined() && in->impl() == out.impl()) out = shallow_copy(out);
    output_ptrs.push_back(&out);
  }
  ctx->freeze_saved(outputs, name);
  if (!is_grad_enabled() || !any_requires) return;
  auto* context = ctx.get();
  Node* node = create_node(name, &run_custom_backward, input_ptrs.data(), static_cast<int>(input_ptrs.size()),
                           output_ptrs.data(), static_cast<int>(output_ptrs.size()));
  if (node == nullptr) return;
  auto state = std::make_unique<CustomFunctionState>();
  state->ctx = std::move(ctx);
  state->backward = backward;
  state->class_name =
      "reel::autograd::CppNode<" + context->name().substr(0, context->name().size() - (sizeof("Backward") - 1)) + ">";
  node->extra = std::move(state);
  context->set_node(node);
  node->op_name = context->name().c_str();
  node->had_saved = true;  // the context holds saved state for the lifetime of the graph
  for (Tensor& out : outputs)
    if (context->is_non_differentiable(out)) out.detach_();
}

}  // namespace detail
}  // namespace reel::autograd
