// reel/nn/module.h — reel::nn::Module, the base of every layer, and ModuleHolder, LibTorch's handle style.
//
// A module owns named parameters (tensors that require grad), named buffers (state such as running means)
// and named child modules, registered in the order the constructor makes them; `named_parameters()` walks them
// depth-first with dotted names ("encoder.0.weight"), which are also the state_dict keys. As in LibTorch, a
// layer is written as an Impl class and used through a holder:
//
//   struct NetImpl : reel::nn::Module {
//     NetImpl() { fc1 = register_module("fc1", reel::nn::Linear(784, 128));
//                 fc2 = register_module("fc2", reel::nn::Linear(128, 10)); }
//     reel::Tensor forward(reel::Tensor x) { return fc2(reel::relu(fc1(x))); }
//     reel::nn::Linear fc1{nullptr}, fc2{nullptr};
//   };
//   REEL_MODULE(Net);   // declares `Net`, a holder: Net net; net->forward(x); net(x); net->parameters()
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/callback.h"
#include "../tensor/tensor.h"

namespace reel::nn {

// Name -> tensor, in registration order (parameters, buffers, state dicts).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  // type_name is what printing shows ("Linear"); empty means the C++ class name without a trailing "Impl".
  explicit Module(std::string type_name = "") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- registration --------------------------------------------------------------------------------------
  // Stores `tensor` as a parameter (requires_grad set unless false) and returns a handle to it; keep the
  // handle in a member. Throws on duplicate or dotted names.
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  Tensor& register_buffer(std::string name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  template <typename Holder, typename = decltype(std::declval<Holder>().ptr())>
  Holder register_module(std::string name, Holder holder) {
    add_child(std::move(name), holder.ptr());
    return holder;
  }
  // Replaces a registered child (same name) with another module.
  void replace_module(const std::string& name, std::shared_ptr<Module> module);

  // ---- traversal -----------------------------------------------------------------------------------------
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // Every module in the tree, this one first (depth-first).
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true);
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(bool include_self = true);
  // Calls fn on this module and every descendant.
  void apply(const Callback<void(Module&)>& fn);

  // ---- state -----------------------------------------------------------------------------------------------
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves/converts every parameter and buffer in place (handles held elsewhere see the change).
  virtual void to(Device device, bool non_blocking = false);
  virtual void to(ScalarType dtype);
  // Clears the gradients of every parameter: undefined when set_to_none (PyTorch's default), else zeros.
  void zero_grad(bool set_to_none = true);

  // Parameters then buffers, with dotted names — the keys PyTorch's state_dict() uses.
  NamedTensors state_dict() const;
  // Copies values into the registered tensors. strict: every key must match both ways; shapes must match.
  // Throws reel::Error listing missing keys, unexpected keys and shape mismatches.
  void load_state_dict(const NamedTensors& state, bool strict = true);

  // ---- printing --------------------------------------------------------------------------------------------
  std::string type_name() const;
  // One line describing this module's options, e.g. "in_features=784, out_features=10, bias=True".
  virtual std::string extra_repr() const { return ""; }
  // The module tree as PyTorch prints it.
  std::string str() const;

 protected:
  void add_child(std::string name, std::shared_ptr<Module> module);

 private:
  void check_new_name(const std::string& name, const char* what) const;
  void collect(NamedTensors& out, const std::string& prefix, bool parameters, bool recurse) const;
  void collect_state(NamedTensors& out, const std::string& prefix) const;
  void print(std::ostream& os, int indent) const;

  std::string type_name_;
  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

namespace detail {
// The error of using an empty holder of `impl_type_name` (a typeid name).
[[noreturn]] void throw_empty_holder(const char* impl_type_name);
}  // namespace detail

// ---- holders: LibTorch's `Linear fc(3, 4); fc->forward(x); fc(x);` -------------------------------------------
template <typename Impl>
class ModuleHolder {
  // True for a single argument that is itself a holder (copying a handle must not wrap it in a new module).
  template <typename... Args> struct is_self : std::false_type {};
  template <typename Arg>
  struct is_self<Arg> : std::is_base_of<ModuleHolder, std::decay_t<Arg>> {};

 public:
  using ImplType = Impl;
  // An empty holder, to be assigned later (`Linear fc{nullptr};`).
  ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit like LibTorch
  // Constructs the module from the Impl's constructor arguments.
  template <typename... Args,
            typename = std::enable_if_t<std::is_constructible_v<Impl, Args...> && !is_self<Args...>::value>>
  explicit ModuleHolder(Args&&... args) : impl_(std::make_shared<Impl>(std::forward<Args>(args)...)) {}
  ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}  // NOLINT: implicit

  Impl* operator->() const { return get(); }
  Impl& operator*() const { return *get(); }
  Impl* get() const {
    if (impl_ == nullptr) [[unlikely]]
      detail::throw_empty_holder(typeid(Impl).name());
    return impl_.get();
  }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  bool is_empty() const { return impl_ == nullptr; }
  explicit operator bool() const { return impl_ != nullptr; }
  // Calls forward.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) const {
    return get()->forward(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<Impl> impl_;
};

template <typename Impl>
std::ostream& operator<<(std::ostream& os, const ModuleHolder<Impl>& holder) {
  return os << *holder;
}

}  // namespace reel::nn

// Declares `Name` as the holder of `NameImpl` (LibTorch's TORCH_MODULE).
#define REEL_MODULE(Name)                                   \
  class Name : public ::reel::nn::ModuleHolder<Name##Impl> { \
   public:                                                  \
    using ::reel::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
  }
