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
//
// named_parameters(), named_buffers(), named_children() and named_modules() return LibTorch's
// reel::OrderedDict (item.key() / item.value(), dict["fc1.weight"], or `auto& [name, tensor]`).
// clone() deep-copies a module tree (nn/cloneable.h: derive from reel::nn::Cloneable<NetImpl>); as<T>() is a
// checked downcast to an Impl or holder type, nullptr when the module is something else.
#pragma once

#include <concepts>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "../tensor/callback.h"
#include "../tensor/tensor.h"
#include "ordered_dict.h"

namespace reel::nn {

// Name -> tensor, in registration order (state dicts; what the OrderedDicts below convert to).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module;
namespace detail {
struct ModuleCloning;  // clone()'s access to the registrations (module.cpp)
}  // namespace detail

class Module : public std::enable_shared_from_this<Module> {
 public:
  // type_name is what printing shows ("Linear"); empty means the C++ class name without a trailing "Impl".
  explicit Module(std::string type_name = "") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
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
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;
  // Every module in the tree, this one first (depth-first); names are dotted paths, prefixed by name_prefix.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true);
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(const std::string& name_prefix = std::string(),
                                                                  bool include_self = true);

  // This module as a `T` (an Impl type, or a holder type meaning its Impl), or nullptr when it is not one:
  // `if (auto* linear = module->as<nn::Linear>()) linear->weight ...`.
  template <typename T>
  auto* as() noexcept {
    if constexpr (requires { typename T::ContainedType; }) {
      return dynamic_cast<typename T::ContainedType*>(this);
    } else {
      return dynamic_cast<T*>(this);
    }
  }
  template <typename T>
  const auto* as() const noexcept {
    if constexpr (requires { typename T::ContainedType; }) {
      return dynamic_cast<const typename T::ContainedType*>(this);
    } else {
      return dynamic_cast<const T*>(this);
    }
  }

  // A deep copy: parameters and buffers copied (requires_grad kept), children cloned, nothing shared with this
  // module; onto `device` when given. Implemented by nn::Cloneable<Derived> (nn/cloneable.h) and the containers;
  // here it throws reel::Error, as LibTorch's Module::clone does.
  virtual std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const;
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
  // Copies the registrations (handles, not data): only for Cloneable's copy-then-reset() clone.
  Module(const Module&) = default;
  void add_child(std::string name, std::shared_ptr<Module> module);

 private:
  friend struct detail::ModuleCloning;
  void check_new_name(const std::string& name, const char* what) const;
  void collect(NamedTensors& out, const std::string& prefix, bool parameters, bool recurse) const;
  void collect_state(NamedTensors& out, const std::string& prefix) const;
  void print(std::ostream& os, int indent) const;

  std::string type_name_;
  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  // Builds a fresh module of this one's type from the constructor arguments its holder was given (set by
  // ModuleHolder for Cloneable modules; empty otherwise). Cloneable::clone() starts from it.
  Callback<std::shared_ptr<Module>()> rebuild_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

namespace detail {
// The error of using an empty holder of `impl_type_name` (a typeid name).
[[noreturn]] void throw_empty_holder(const char* impl_type_name);

// Marks nn::Cloneable<Derived> (nn/cloneable.h), so that holders record how to rebuild the module.
struct CloneableTag {};

struct ModuleCloning {
  static void set_rebuild(Module& module, Callback<std::shared_ptr<Module>()> rebuild) {
    module.rebuild_ = std::move(rebuild);
  }
  // Empties the registrations of a copy-constructed module, before its reset() registers its own.
  static void clear_registrations(Module& module);
  // Sets the training flag of `module` alone (not its children), as the original's.
  static void set_training(Module& module, bool on) { module.training_ = on; }
  // A fresh module from `source`'s recorded constructor arguments, with `source`'s state (throws reel::Error
  // naming the module when it was not built through its holder).
  static std::shared_ptr<Module> clone_by_rebuild(const Module& source, const std::optional<Device>& device);
  // Copies every registered tensor's data (fresh storage, requires_grad kept) and the training flag from
  // `source` into `target`, recursively; the two trees must have the same registrations.
  static void copy_state(Module& target, const Module& source);
  // Throws reel::Error when `copy` shares a tensor or a module with `source`; moves `copy` to `device`.
  static void finish(Module& copy, const Module& source, const std::optional<Device>& device);
};

template <typename T>
concept HolderType = requires(const T& holder) {
  typename T::ContainedType;
  { holder.ptr() } -> std::convertible_to<std::shared_ptr<typename T::ContainedType>>;
};

template <typename T>
concept ModulePointer = requires { typename T::element_type; } &&
                        std::is_base_of_v<Module, typename T::element_type> &&
                        std::is_same_v<T, std::shared_ptr<typename T::element_type>>;

// A constructor argument as a rebuilt module gets it: tensors and modules as deep copies (so that the clone
// shares nothing with the original), everything else as it was given.
template <typename T>
T fresh_argument(const T& argument) {
  if constexpr (std::is_same_v<T, Tensor>) {
    if (!argument.defined()) return argument;
    Tensor copy = argument.detach().clone();
    if (argument.requires_grad()) copy.requires_grad_(true);
    return copy;
  } else if constexpr (HolderType<T>) {
    if (argument.ptr() == nullptr) return argument;
    return T(std::dynamic_pointer_cast<typename T::ContainedType>(argument.ptr()->clone()));
  } else if constexpr (ModulePointer<T>) {
    if (argument == nullptr) return argument;
    return std::dynamic_pointer_cast<typename T::element_type>(argument->clone());
  } else {
    return argument;
  }
}
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
  using ContainedType = Impl;  // LibTorch's name
  // An empty holder, to be assigned later (`Linear fc{nullptr};`).
  ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit like LibTorch
  // Constructs the module from the Impl's constructor arguments. A Cloneable Impl also keeps copies of the
  // arguments, from which clone() builds the copy's own parameters and children.
  template <typename... Args,
            typename = std::enable_if_t<std::is_constructible_v<Impl, Args...> && !is_self<Args...>::value>>
  explicit ModuleHolder(Args&&... args) {
    if constexpr (std::is_base_of_v<detail::CloneableTag, Impl> &&
                  (std::is_copy_constructible_v<std::decay_t<Args>> && ...)) {
      Callback<std::shared_ptr<Module>()> rebuild =
          [saved = std::tuple<std::decay_t<Args>...>(args...)]() -> std::shared_ptr<Module> {
        return std::apply(
            [](const auto&... arguments) {
              return std::shared_ptr<Module>(std::make_shared<Impl>(detail::fresh_argument(arguments)...));
            },
            saved);
      };
      impl_ = std::make_shared<Impl>(std::forward<Args>(args)...);
      detail::ModuleCloning::set_rebuild(*impl_, std::move(rebuild));
    } else {
      impl_ = std::make_shared<Impl>(std::forward<Args>(args)...);
    }
  }
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

// nn::Cloneable<Derived>, the base of every built-in layer (after ModuleHolder, which it needs complete).
#include "cloneable.h"
