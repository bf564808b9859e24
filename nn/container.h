// reel/nn/container.h — module containers: Sequential, ModuleList and ModuleDict, as in LibTorch.
//
//   reel::nn::Sequential net(reel::nn::Linear(784, 128), reel::nn::ReLU(), reel::nn::Linear(128, 10));
//   reel::Tensor logits = net(x);              // each child's forward in turn; children named "0", "1", "2"
//   reel::nn::Sequential named({{"fc", reel::nn::Linear(4, 4)}, {"act", reel::nn::GELU()}});
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
// Modules are passed as holders (`Linear(...)`) or as std::shared_ptr to an Impl. Sequential keeps, next to
// each child, a type-erased call of its `Tensor forward(Tensor)`, so only modules with a unary forward fit in
// it; ModuleList and ModuleDict take any module.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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

// A named child of a Sequential: the module and a type-erased call of its unary forward.
struct NamedUnaryModule {
  template <UnaryModuleArgument M>
  NamedUnaryModule(std::string name_, M&& module_)  // NOLINT: implicit, for braced lists of {name, module}
      : name(std::move(name_)) {
    auto typed = detail::ModuleArgumentOf<M>::pointer(module_);
    module = typed;
    forward = [typed](const Tensor& x) -> Tensor { return typed->forward(x); };
  }
  std::string name;
  std::shared_ptr<Module> module;
  Callback<Tensor(const Tensor&)> forward;
};

class SequentialImpl;
class ModuleListImpl;
class ModuleDictImpl;

namespace detail {
// True unless the arguments are a single module of type `Self`: `Sequential copy(other)` must copy the handle, not
// nest `other` in a new container.
template <typename Self, typename... Ms>
inline constexpr bool not_a_copy =
    sizeof...(Ms) != 1 || !(std::is_same_v<typename ModuleArgumentOf<Ms>::type, Self> && ...);

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
class SequentialImpl : public Module {
 public:
  SequentialImpl() = default;
  template <UnaryModuleArgument... Ms>
    requires(sizeof...(Ms) > 0 && detail::not_a_copy<SequentialImpl, Ms...>)
  explicit SequentialImpl(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  // Named children, in order: Sequential({{"fc", Linear(4, 4)}, {"act", ReLU()}}).
  explicit SequentialImpl(std::vector<NamedUnaryModule> modules);

  // Appends a module named by its position ("0", "1", ...) or by `name`.
  template <UnaryModuleArgument M>
  void push_back(M&& module) {
    push_back(NamedUnaryModule(std::to_string(entries_.size()), std::forward<M>(module)));
  }
  template <UnaryModuleArgument M>
  void push_back(std::string name, M&& module) {
    push_back(NamedUnaryModule(std::move(name), std::forward<M>(module)));
  }
  void push_back(NamedUnaryModule entry);

  // x through every child in order (the input itself when empty, as PyTorch).
  Tensor forward(const Tensor& input);

  size_t size() const { return entries_.size(); }
  bool is_empty() const { return entries_.empty(); }
  // The child at `index` (negative counts from the end).
  std::shared_ptr<Module> operator[](int64_t index) const { return detail::child_at(entries_, index, "Sequential"); }
  // The child at `index` as its concrete type; throws reel::Error when it is another type.
  template <typename T>
  std::shared_ptr<T> ptr(int64_t index) const {
    return detail::typed_child_at<T>(entries_, index, "Sequential");
  }
  template <typename T>
  T& at(int64_t index) const {
    return *ptr<T>(index);
  }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> entries_;
  std::vector<Callback<Tensor(const Tensor&)>> forwards_;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  // Named children from a braced list, which the forwarding constructor cannot deduce.
  Sequential(std::vector<NamedUnaryModule> modules)  // NOLINT: implicit like LibTorch's
      : ModuleHolder(std::make_shared<SequentialImpl>(std::move(modules))) {}
  std::shared_ptr<Module> operator[](int64_t index) const { return (*get())[index]; }
};

// Holds modules in a list, registered as children "0", "1", ... (no forward: the owner decides how to call them).
class ModuleListImpl : public Module {
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
class ModuleDictImpl : public Module {
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
