// reel/autograd/tensor_autograd.cpp — Tensor's autograd methods: grad, backward, detach, retain_grad, hooks.
#include <atomic>

#include "autograd/autograd.h"
#include "autograd/meta.h"
#include "autograd/node.h"
#include "tensor/sparse.h"

namespace reel {

namespace autograd {

AutogradMeta& meta_of(TensorImpl* impl) {
  if (!impl->autograd) impl->autograd = std::make_unique<AutogradMeta>();
  return *static_cast<AutogradMeta*>(impl->autograd.get());
}

unsigned next_hook_handle() {
  static std::atomic<unsigned> counter{0};
  return ++counter;
}

std::string grad_fn_name(const Tensor& t) { return t.defined() && t.grad_fn() ? t.grad_fn().get()->op_name : ""; }

}  // namespace autograd

namespace detail {
void name_composite_node(const Tensor& out, const char* name) {
  // An output an autobatch::Scope has not run yet keeps the name of its own node (its history is a row of a batch).
  if (out.defined() && out.impl()->pending_node != 0) return;
  if (out.defined() && out.grad_fn() != nullptr) out.grad_fn().get()->op_name = name;
}
}  // namespace detail

namespace {
const Tensor& undefined_tensor() {
  static const Tensor none;
  return none;
}

autograd::OutputHook* find_retained(const Tensor& t) {
  autograd::Node* node = t.grad_fn();
  if (node == nullptr || !node->hooks) return nullptr;
  for (autograd::OutputHook& hook : *node->hooks)
    if (!hook.fn && hook.output_nr == t.output_nr()) return &hook;
  return nullptr;
}
}  // namespace

const Tensor& Tensor::grad() const {
  check_defined_any_layout("grad");
  if (!is_leaf()) {
    autograd::OutputHook* retained = find_retained(*this);
    return retained ? retained->retained : undefined_tensor();
  }
  autograd::AutogradMeta* meta = autograd::find_meta(impl());
  return meta ? meta->grad : undefined_tensor();
}

Tensor& Tensor::mutable_grad() {
  check_defined_any_layout("mutable_grad");
  if (!is_leaf()) {
    autograd::OutputHook* retained = find_retained(*this);
    REEL_CHECK(retained != nullptr, "mutable_grad: non-leaf tensor of shape {} does not retain its gradient; call "
               "retain_grad() first", shape_str(sizes()));
    return retained->retained;
  }
  return autograd::meta_of(impl()).grad;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     retain_graph, create_graph);
}

Tensor Tensor::detach() const {
  check_defined_any_layout("detach");
  if (is_sparse()) return detail::sparse_detach(*this);  // never has a history: a new handle on the same rows
  return autograd::shallow_copy(*this);
}

Tensor& Tensor::detach_() {
  check_defined_any_layout("detach_");
  if (is_sparse()) return *this;  // never has a history
  REEL_CHECK(!(impl()->view_base && impl()->view_base->requires_grad),
             "detach_: can't detach views in-place (shape {}): the view's history follows its base's; use detach() "
             "instead", shape_str(sizes()));
  if (impl()->grad_fn != nullptr) {
    autograd::release_node(impl()->grad_fn);
    impl()->grad_fn = nullptr;
    impl()->output_nr = 0;
  }
  impl()->requires_grad = false;
  ++impl()->history_version;  // views of it follow (Note [In-place ops and autograd])
  return *this;
}

void Tensor::retain_grad() const {
  check_defined("retain_grad");
  REEL_CHECK(requires_grad(), "retain_grad: cannot retain the gradient of a tensor that does not require grad "
             "(shape {})", shape_str(sizes()));
  if (is_leaf() || find_retained(*this) != nullptr) return;  // leaves keep theirs anyway
  autograd::Node* node = grad_fn();
  if (!node->hooks) node->hooks = std::make_unique<std::vector<autograd::OutputHook>>();
  node->hooks->push_back({output_nr(), 0, nullptr, Tensor()});
}

bool Tensor::retains_grad() const { return defined() && !is_leaf() && find_retained(*this) != nullptr; }

unsigned Tensor::add_hook(Callback<Tensor(const Tensor&)> hook) const {
  check_defined("register_hook");
  REEL_CHECK(requires_grad(), "register_hook: cannot register a hook on a tensor that does not require grad "
             "(shape {})", shape_str(sizes()));
  const unsigned handle = autograd::next_hook_handle();
  if (is_leaf()) {
    autograd::meta_of(impl()).hooks.emplace_back(handle, std::move(hook));
  } else {
    autograd::Node* node = grad_fn();
    if (!node->hooks) node->hooks = std::make_unique<std::vector<autograd::OutputHook>>();
    node->hooks->push_back({output_nr(), handle, std::move(hook), Tensor()});
  }
  return handle;
}

void Tensor::remove_hook(unsigned handle) const {
  check_defined("remove_hook");
  if (is_leaf()) {
    if (autograd::AutogradMeta* meta = autograd::find_meta(impl())) {
      std::erase_if(meta->hooks, [&](const auto& entry) { return entry.first == handle; });
    }
    return;
  }
  if (grad_fn().get()->hooks) {
    std::erase_if(*grad_fn().get()->hooks, [&](const autograd::OutputHook& h) { return h.fn && h.handle == handle; });
  }
}

}  // namespace reel
