// reel/nn/container.h — module containers: Sequential, ModuleList and ModuleDict, and nn::Functional, as in
// LibTorch.
//
//   reel::nn::Sequential net(reel::nn::Linear(784, 128), reel::nn::ReLU(), reel::nn::Linear(128, 10));
//   reel::Tensor logits = net(x);              // each child's forward in turn; children named "0", "1", "2"
//   reel::nn::Sequential named({{"fc", reel::nn::Linear(4, 4)}, {"act", reel::nn::GELU()}});
//   net->push_back(reel::nn::Functional(reel::leaky_relu, 0.2));     // a function as a module, extra arguments bound
//   auto [out, state] = lstm_net->forward<std::tuple<Tensor, LSTMState>>(x);   // other return types
//
//   reel::nn::ModuleList blocks;               // children "0", "1", ...; no forward of its own
//   blocks->push_back(reel::nn::Linear(8, 8));
//   for (const auto& block : *blocks) ...      // std::shared_ptr<reel::nn::Module>
//
//   reel::nn::ModuleDict heads({{"cls", reel::nn::Linear(8, 3)}, {"box", reel::nn::Linear(8, 4)}});
//   heads["cls"], heads->at<reel::nn::LinearImpl>("box")    // insertion order is kept
//
// The holders are written out rather than declared with REEL_MODULE: they add `holder[i]` (ModuleHolder has no
// operator[]) and, for Sequential and ModuleDict, construction from a braced list of {name, module} pairs.
// Modules are passed as holders (`Linear(...)`), as std::shared_ptr to an Impl, or as AnyModule. Sequential keeps
// each child as an AnyModule (nn/any_module.h): a chain of Tensor -> Tensor modules runs without type erasure of
// the values; other chains pass AnyValues from one module to the next, as LibTorch's Sequential.
// All three clone() by cloning each child.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "any_module.h"
#include "module.h"

namespace reel::nn {

namespace detail {
// What a container accepts as a module: a std::shared_ptr to a Module type, or a ModuleHolder (or a class derived
// from one, as REEL_MODULE declares). `Impl` is the module type and `pointer(m)` the shared pointer to it.
template <typename M>
struct ModuleArgument {
  static constexpr bool value = false;
};
template <typename Impl>
  requires std::is_base_of_v<Module, Impl>
struct ModuleArgument<std::shared_ptr<Impl>> {
  static constexpr bool value = true;
  using type = Impl;
  static std::shared_ptr<Impl> pointer(const std::shared_ptr<Impl>& module) { return module; }
};
template <typename Holder>
  requires std::is_base_of_v<ModuleHolder<typename Holder::ImplType>, Holder>
struct ModuleArgument<Holder> {
  static constexpr bool value = true;
  using type = typename Holder::ImplType;
  static std::shared_ptr<type> pointer(const Holder& holder) { return holder.ptr(); }
};
template <typename M>
using ModuleArgumentOf = ModuleArgument<std::remove_cvref_t<M>>;
}  // namespace detail

// A module given as a holder or a shared_ptr.
template <typename M>
concept AnyModuleArgument = detail::ModuleArgumentOf<M>::value;
// ... that AnyModule can call: a unique (non-template) forward, or one taking a single Tensor.
template <typename M>
concept ForwardModuleArgument =
    AnyModuleArgument<M> && (detail::HasUniqueForward<typename detail::ModuleArgumentOf<M>::type> ||
                             detail::HasTensorForward<typename detail::ModuleArgumentOf<M>::type>);
// ... whose forward takes one tensor and returns a tensor.
template <typename M>
concept UnaryModuleArgument =
    AnyModuleArgument<M> && requires(typename detail::ModuleArgumentOf<M>::type& module, const Tensor& x) {
      { module.forward(x) } -> std::convertible_to<Tensor>;
    };

// A child of a container with its name (ModuleDict's entries, named Sequential entries), built from any module.
struct NamedModule {
  template <AnyModuleArgument M>
  NamedModule(std::string name_, M&& module_)  // NOLINT: implicit, for braced lists of {name, module}
      : name(std::move(name_)), module(detail::ModuleArgumentOf<M>::pointer(module_)) {}
  std::string name;
  std::shared_ptr<Module> module;
};

// A named child of a Sequential (LibTorch's NamedAnyModule): the name and the module as an AnyModule.
struct NamedAnyModule {
  template <ForwardModuleArgument M>
  NamedAnyModule(std::string name_, M&& module_)  // NOLINT: implicit, for braced lists of {name, module}
      : name(std::move(name_)), module(detail::ModuleArgumentOf<M>::pointer(module_)) {}
  NamedAnyModule(std::string name_, AnyModule module_) : name(std::move(name_)), module(std::move(module_)) {}
  std::string name;
  AnyModule module;
};
using NamedUnaryModule = NamedAnyModule;  // reel's former name

class SequentialImpl;
class ModuleListImpl;
class ModuleDictImpl;

namespace detail {
// True unless the arguments are a single module of type `Self`: `Sequential copy(other)` must copy the handle, not
// nest `other` in a new container.
template <typename Self, typename M>
constexpr bool is_module_of_type() {
  if constexpr (ModuleArgumentOf<M>::value) {
    return std::is_same_v<typename ModuleArgumentOf<M>::type, Self>;
  } else {
    return false;
  }
}
template <typename Self, typename... Ms>
inline constexpr bool not_a_copy = sizeof...(Ms) != 1 || !(is_module_of_type<Self, Ms>() && ...);

// Finds the child at `index` (negative counts from the end) and casts it to T, naming `container` on errors.
std::shared_ptr<Module> child_at(const std::vector<std::shared_ptr<Module>>& children, int64_t index,
                                 const char* container);
[[noreturn]] void throw_wrong_module_type(const char* container, const std::string& key, const Module& module,
                                          const char* wanted);
// The child at `index` as its concrete type T; throws reel::Error naming the container when it is another type.
template <typename T>
std::shared_ptr<T> typed_child_at(const std::vector<std::shared_ptr<Module>>& children, int64_t index,
                                  const char* container) {
  std::shared_ptr<Module> child = child_at(children, index, container);
  auto typed = std::dynamic_pointer_cast<T>(child);
  if (!typed) throw_wrong_module_type(container, std::to_string(index), *child, typeid(T).name());
  return typed;
}
}  // namespace detail

// Runs its children one after the other: forward(x) = m_n(...m_1(m_0(x))).
class SequentialImpl : public Cloneable<SequentialImpl> {
 public:
  SequentialImpl() = default;
  template <typename... Ms>
    requires(sizeof...(Ms) > 0 && detail::not_a_copy<SequentialImpl, Ms...> &&
             ((ForwardModuleArgument<Ms> || std::is_same_v<std::remove_cvref_t<Ms>, AnyModule>) && ...))
  explicit SequentialImpl(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  // Named children, in order: Sequential({{"fc", Linear(4, 4)}, {"act", ReLU()}}).
  explicit SequentialImpl(std::vector<NamedAnyModule> modules);

  // Appends a module named by its position ("0", "1", ...) or by `name`.
  template <ForwardModuleArgument M>
  void push_back(M&& module) {
    push_back(std::to_string(modules_.size()), AnyModule(detail::ModuleArgumentOf<M>::pointer(module)));
  }
  template <ForwardModuleArgument M>
  void push_back(std::string name, M&& module) {
    push_back(std::move(name), AnyModule(detail::ModuleArgumentOf<M>::pointer(module)));
  }
  void push_back(AnyModule module) { push_back(std::to_string(modules_.size()), std::move(module)); }
  void push_back(std::string name, AnyModule module);
  void push_back(NamedAnyModule entry) { push_back(std::move(entry.name), std::move(entry.module)); }
  // Appends every module of `other` (shared, not copied), named by position.
  void extend(const SequentialImpl& other);

  // x through every child in order (the input itself when empty, as PyTorch).
  Tensor forward(const Tensor& input) { return forward_tensor(input); }
  // Any inputs to the first module, each result to the next; the last result as a ReturnType (reel::Error
  // naming both types when it is another). forward<AnyValue>(...) returns the AnyValue itself.
  template <typename ReturnType = Tensor, typename... InputTypes>
    requires(sizeof...(InputTypes) > 0)
  ReturnType forward(InputTypes&&... inputs) {
    if constexpr (std::is_same_v<ReturnType, Tensor> && sizeof...(InputTypes) == 1 &&
                  (std::is_same_v<std::remove_cvref_t<InputTypes>, Tensor> && ...)) {
      return forward_tensor(inputs...);
    } else {
      AnyValue result = first_module("forward").any_forward(std::forward<InputTypes>(inputs)...);
      for (size_t i = 1; i < modules_.size(); ++i) result = modules_[i].any_forward(std::move(result));
      if constexpr (std::is_same_v<ReturnType, AnyValue>) {
        return result;
      } else {
        return result.template get<ReturnType>();
      }
    }
  }

  // A new Sequential of clones of the children (same names), onto `device` when given.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;

  size_t size() const { return modules_.size(); }
  bool is_empty() const { return modules_.empty(); }
  // The child at `index` (negative counts from the end).
  std::shared_ptr<Module> operator[](int64_t index) const { return detail::child_at(entries_, index, "Sequential"); }
  // The child at `index` as its concrete type; throws reel::Error when it is another type.
  template <typename T>
  std::shared_ptr<T> ptr(int64_t index) const {
    return detail::typed_child_at<T>(entries_, index, "Sequential");
  }
  std::shared_ptr<Module> ptr(int64_t index) const { return (*this)[index]; }
  template <typename T>
  T& at(int64_t index) const {
    return *ptr<T>(index);
  }
  // The children as AnyModules, in order.
  const std::vector<AnyModule>& modules_as_any() const { return modules_; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  Tensor forward_tensor(const Tensor& input);
  const AnyModule& first_module(const char* what) const;

  std::vector<std::shared_ptr<Module>> entries_;
  std::vector<AnyModule> modules_;
  bool all_unary_ = true;  // every child maps a Tensor to a Tensor: forward(Tensor) skips the AnyValues
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  // Named children from a braced list, which the forwarding constructor cannot deduce.
  Sequential(std::vector<NamedAnyModule> modules)  // NOLINT: implicit like LibTorch's
      : ModuleHolder(std::make_shared<SequentialImpl>(std::move(modules))) {}
  std::shared_ptr<Module> operator[](int64_t index) const { return (*get())[index]; }
};

// A function as a module (LibTorch's nn::Functional): Functional(reel::relu), Functional(reel::leaky_relu, 0.2)
// (arguments after the first are bound, as std::bind(f, _1, 0.2)), or any Tensor -> Tensor callable.
class FunctionalImpl : public Cloneable<FunctionalImpl> {
 public:
  using Function = Callback<Tensor(Tensor)>;
  // (A template rather than LibTorch's Function parameter, so that copying the Impl never asks whether the Impl
  // itself converts to a Function.)
  template <typename F>
    requires(!std::is_base_of_v<Module, std::decay_t<F>> && std::is_invocable_r_v<Tensor, std::decay_t<F>&, Tensor>)
  explicit FunctionalImpl(F function) : FunctionalImpl(Function(std::move(function)), 0) {}
  template <typename SomeFunction, typename... Args>
    requires(sizeof...(Args) > 0 && std::is_invocable_r_v<Tensor, const std::decay_t<SomeFunction>&, Tensor,
                                                             const std::decay_t<Args>&...>)
  explicit FunctionalImpl(SomeFunction original_function, Args&&... args)
      : FunctionalImpl(Function([function = std::decay_t<SomeFunction>(original_function),
                                 bound = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)](Tensor input) {
          return std::apply([&](const auto&... values) -> Tensor { return function(std::move(input), values...); },
                            bound);
        }), 0) {}
  void reset() override {}
  // y = f(x)
  Tensor forward(Tensor input);
  Tensor operator()(Tensor input) { return forward(std::move(input)); }

 private:
  FunctionalImpl(Function function, int /*tag*/);
  Function function_;
};
REEL_MODULE(Functional);

// Holds modules in a list, registered as children "0", "1", ... (no forward: the owner decides how to call them).
class ModuleListImpl : public Cloneable<ModuleListImpl> {
 public:
  ModuleListImpl() = default;
  template <AnyModuleArgument... Ms>
    requires(sizeof...(Ms) > 0 && detail::not_a_copy<ModuleListImpl, Ms...>)
  explicit ModuleListImpl(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  template <AnyModuleArgument M>
  void push_back(M&& module) {
    push_back(std::shared_ptr<Module>(detail::ModuleArgumentOf<M>::pointer(module)));
  }
  void push_back(std::shared_ptr<Module> module);
  // Appends every module of `other` (shared, not copied).
  void extend(const ModuleListImpl& other);
  // A new ModuleList of clones of the children, onto `device` when given.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;

  size_t size() const { return entries_.size(); }
  bool is_empty() const { return entries_.empty(); }
  std::shared_ptr<Module> operator[](int64_t index) const { return detail::child_at(entries_, index, "ModuleList"); }
  template <typename T>
  std::shared_ptr<T> ptr(int64_t index) const {
    return detail::typed_child_at<T>(entries_, index, "ModuleList");
  }
  template <typename T>
  T& at(int64_t index) const {
    return *ptr<T>(index);
  }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> entries_;
};
class ModuleList : public ModuleHolder<ModuleListImpl> {
 public:
  using ModuleHolder<ModuleListImpl>::ModuleHolder;
  std::shared_ptr<Module> operator[](int64_t index) const { return (*get())[index]; }
};

// Holds modules under string keys, in insertion order; each is registered as a child under its key.
class ModuleDictImpl : public Cloneable<ModuleDictImpl> {
 public:
  ModuleDictImpl() = default;
  explicit ModuleDictImpl(std::vector<NamedModule> modules);

  // Adds `module` under `key`, or replaces the module already there (keeping its position), as PyTorch's
  // dict[key] = module.
  void insert(const std::string& key, std::shared_ptr<Module> module);
  template <AnyModuleArgument M>
  void insert(const std::string& key, M&& module) {
    insert(key, std::shared_ptr<Module>(detail::ModuleArgumentOf<M>::pointer(module)));
  }
  // insert() for each entry, in order.
  void update(const std::vector<NamedModule>& modules);
  // A new ModuleDict of clones of the modules (same keys), onto `device` when given.
  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override;

  size_t size() const { return items_.size(); }
  bool is_empty() const { return items_.empty(); }
  bool contains(const std::string& key) const;
  // The module under `key`; throws reel::Error listing the keys when there is none.
  std::shared_ptr<Module> operator[](const std::string& key) const;
  template <typename T>
  std::shared_ptr<T> ptr(const std::string& key) const {
    std::shared_ptr<Module> child = (*this)[key];
    auto typed = std::dynamic_pointer_cast<T>(child);
    if (!typed) detail::throw_wrong_module_type("ModuleDict", key, *child, typeid(T).name());
    return typed;
  }
  template <typename T>
  T& at(const std::string& key) const {
    return *ptr<T>(key);
  }
  std::vector<std::string> keys() const;
  std::vector<std::shared_ptr<Module>> values() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items_;
};

class ModuleDict : public ModuleHolder<ModuleDictImpl> {
 public:
  using ModuleHolder<ModuleDictImpl>::ModuleHolder;
  // From a braced list of {key, module}, which the forwarding constructor cannot deduce.
  ModuleDict(std::vector<NamedModule> modules)  // NOLINT: implicit like LibTorch's
      : ModuleHolder(std::make_shared<ModuleDictImpl>(std::move(modules))) {}
  std::shared_ptr<Module> operator[](const std::string& key) const { return (*get())[key]; }
};

}  // namespace reel::nn
