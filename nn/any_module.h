// reel/nn/any_module.h — nn::AnyValue and nn::AnyModule, LibTorch's type-erased value and module holder (what
// Sequential stores, so that it can chain modules whose forward takes or returns other types than a Tensor).
//
//   reel::nn::AnyModule any(reel::nn::Linear(3, 4));
//   reel::Tensor y = any.forward(x);                          // forward<ReturnType = Tensor>(arguments...)
//   reel::nn::AnyValue v = any.any_forward(x);                // v.get<reel::Tensor>(), v.try_get<T>(), v.type_info()
//   reel::nn::LinearImpl& linear = any.get<reel::nn::LinearImpl>();   reel::nn::Linear h = any.get<reel::nn::Linear>();
//   reel::nn::AnyModule copy = any.clone();                   // a deep copy of the module (Module::clone)
//
// Arguments are matched to the module's forward by exact type after decay (a double does not become an
// int64_t), as in LibTorch; trailing parameters with default values may be left out. A module whose forward is
// overloaded or a template is callable with a single Tensor, when forward(Tensor) compiles.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "module.h"

namespace reel::nn {

namespace detail {
// typeid(...).name() demangled: "reel::Tensor".
std::string demangle_type_name(const std::type_info& type);
[[noreturn]] void throw_any_value_type(const std::type_info& held, const std::type_info& wanted);
[[noreturn]] void throw_any_forward(const std::string& module, const std::string& problem);
}  // namespace detail

// A value of any copyable type, with its type checked on the way out.
class AnyValue {
 public:
  AnyValue() = default;
  template <typename T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, AnyValue>)
  explicit AnyValue(T&& value)
      : value_(std::make_shared<std::decay_t<T>>(std::forward<T>(value))), type_(&typeid(std::decay_t<T>)) {}

  bool has_value() const { return value_ != nullptr; }
  // The type held (typeid(void) when empty).
  const std::type_info& type_info() const { return type_ != nullptr ? *type_ : typeid(void); }
  // A pointer to the value when it is a T, else nullptr.
  template <typename T>
  T* try_get() noexcept {
    return type_ != nullptr && *type_ == typeid(T) ? static_cast<T*>(value_.get()) : nullptr;
  }
  template <typename T>
  const T* try_get() const noexcept {
    return const_cast<AnyValue*>(this)->try_get<T>();
  }
  // The value as a T; throws reel::Error naming both types when it is another type.
  template <typename T>
  T get() const {
    if (const T* value = try_get<T>()) return *value;
    detail::throw_any_value_type(type_info(), typeid(T));
  }

 private:
  std::shared_ptr<void> value_;
  const std::type_info* type_ = nullptr;
};

namespace detail {

// The return and parameter types of a member function pointer (the module's forward).
template <typename F>
struct ForwardSignature;
template <typename R, typename C, typename... P>
struct ForwardSignature<R (C::*)(P...)> {
  using Return = R;
  using Parameters = std::tuple<P...>;
};
template <typename R, typename C, typename... P>
struct ForwardSignature<R (C::*)(P...) const> : ForwardSignature<R (C::*)(P...)> {};
template <typename R, typename C, typename... P>
struct ForwardSignature<R (C::*)(P...) noexcept> : ForwardSignature<R (C::*)(P...)> {};
template <typename R, typename C, typename... P>
struct ForwardSignature<R (C::*)(P...) const noexcept> : ForwardSignature<R (C::*)(P...)> {};

template <typename M>
concept HasUniqueForward = requires { &M::forward; };
template <typename M>
concept HasTensorForward = requires(M& module, const Tensor& x) { module.forward(x); };
template <typename M>
concept HasUnaryTensorForward = requires(M& module, const Tensor& x) {
  { module.forward(x) } -> std::convertible_to<Tensor>;
};

// The argument for a parameter of type P, taken out of `value` (moved unless P is an lvalue reference).
template <typename P>
decltype(auto) any_argument(AnyValue& value, size_t index, const Module& module) {
  using D = std::remove_cvref_t<P>;
  D* held = value.try_get<D>();
  if (held == nullptr)
    throw_any_forward(module.type_name(), "argument " + std::to_string(index) + " of forward is a " +
                                  demangle_type_name(value.type_info()) + ", expected " +
                                  demangle_type_name(typeid(D)));
  if constexpr (std::is_lvalue_reference_v<P>) {
    return static_cast<D&>(*held);
  } else {
    return static_cast<D&&>(*held);
  }
}

}  // namespace detail

// A module of any type behind one interface: forward with type-checked arguments, the module, a deep copy.
class AnyModule {
  struct Placeholder {
    virtual ~Placeholder() = default;
    virtual AnyValue forward(std::vector<AnyValue>& arguments) const = 0;
    // The same typed wrapper around another module of the same type (for clone).
    virtual std::shared_ptr<Placeholder> rewrap(std::shared_ptr<Module> module) const = 0;
    virtual bool unary_tensor() const = 0;
    virtual Tensor forward_tensor(const Tensor& input) const = 0;
    std::shared_ptr<Module> module;
    const std::type_info* type = nullptr;
  };

  template <typename M>
  struct Typed final : Placeholder {
    explicit Typed(std::shared_ptr<M> typed_) : typed(std::move(typed_)) {
      module = typed;
      type = &typeid(M);
    }
    std::shared_ptr<M> typed;

    template <size_t... I, typename Parameters>
    AnyValue call(std::vector<AnyValue>& arguments, std::index_sequence<I...>, const Parameters*) const {
      const Module& name = *module;
      using R = decltype(typed->forward(
          detail::any_argument<std::tuple_element_t<I, Parameters>>(arguments[I], I, name)...));
      if constexpr (std::is_void_v<R>) {
        typed->forward(detail::any_argument<std::tuple_element_t<I, Parameters>>(arguments[I], I, name)...);
        return AnyValue();
      } else {
        return AnyValue(
            typed->forward(detail::any_argument<std::tuple_element_t<I, Parameters>>(arguments[I], I, name)...));
      }
    }
    // Calls forward with the first K parameters when forward accepts that many (the rest defaulted).
    template <size_t K, typename Parameters>
    bool try_call(std::vector<AnyValue>& arguments, AnyValue& result) const {
      if (arguments.size() != K) return false;
      constexpr bool callable = []<size_t... I>(std::index_sequence<I...>) {
        return requires(M& m) { m.forward(std::declval<std::tuple_element_t<I, Parameters>>()...); };
      }(std::make_index_sequence<K>());
      if constexpr (callable) {
        result = call(arguments, std::make_index_sequence<K>(), static_cast<const Parameters*>(nullptr));
        return true;
      } else {
        return false;
      }
    }

    AnyValue forward(std::vector<AnyValue>& arguments) const override {
      if constexpr (detail::HasUniqueForward<M>) {
        using Parameters = typename detail::ForwardSignature<decltype(&M::forward)>::Parameters;
        constexpr size_t N = std::tuple_size_v<Parameters>;
        AnyValue result;
        const bool done = [&]<size_t... K>(std::index_sequence<K...>) {
          return (try_call<K, Parameters>(arguments, result) || ...);
        }(std::make_index_sequence<N + 1>());
        if (!done)
          detail::throw_any_forward(module->type_name(), "forward takes " + std::to_string(N) +
                                                             " arguments (fewer only where they have defaults), got " +
                                                             std::to_string(arguments.size()));
        return result;
      } else if constexpr (detail::HasTensorForward<M>) {
        const Tensor* input = arguments.size() == 1 ? arguments[0].try_get<Tensor>() : nullptr;
        if (input == nullptr)
          detail::throw_any_forward(module->type_name(),
                                    "its forward is overloaded or a template: only forward(Tensor) can be called "
                                    "through AnyModule");
        using R = decltype(typed->forward(*input));
        if constexpr (std::is_void_v<R>) {
          typed->forward(*input);
          return AnyValue();
        } else {
          return AnyValue(typed->forward(*input));
        }
      } else {
        detail::throw_any_forward(module->type_name(), "it has no forward that AnyModule can call");
      }
    }
    std::shared_ptr<Placeholder> rewrap(std::shared_ptr<Module> other) const override {
      auto cast = std::dynamic_pointer_cast<M>(other);
      if (cast == nullptr) detail::throw_any_forward(module->type_name(), "its clone has another type");
      return std::make_shared<Typed>(std::move(cast));
    }
    bool unary_tensor() const override { return detail::HasUnaryTensorForward<M>; }
    Tensor forward_tensor(const Tensor& input) const override {
      if constexpr (detail::HasUnaryTensorForward<M>) {
        return typed->forward(input);
      } else {
        detail::throw_any_forward(module->type_name(), "its forward does not map a Tensor to a Tensor");
      }
    }
  };

 public:
  AnyModule() = default;
  // From a holder (`Linear(3, 4)`), a std::shared_ptr to an Impl, or an Impl by value (moved into a new
  // shared_ptr).
  template <typename Impl>
    requires std::is_base_of_v<Module, Impl>
  explicit AnyModule(std::shared_ptr<Impl> module) : content_(make_content(std::move(module))) {}
  template <typename Holder>
    requires(detail::HolderType<std::remove_cvref_t<Holder>> && !std::is_same_v<std::remove_cvref_t<Holder>, AnyModule>)
  explicit AnyModule(Holder&& holder) : content_(make_content(holder.ptr())) {}
  template <typename Impl>
    requires(std::is_base_of_v<Module, std::remove_cvref_t<Impl>> && !std::is_lvalue_reference_v<Impl>)
  explicit AnyModule(Impl&& module)
      : content_(make_content(std::make_shared<std::remove_cvref_t<Impl>>(std::move(module)))) {}

  // A deep copy (the module's clone(), onto `device` when given).
  AnyModule clone(const std::optional<Device>& device = std::nullopt) const {
    AnyModule copy;
    if (content_ != nullptr) copy.content_ = content_->rewrap(content_->module->clone(device));
    return copy;
  }

  // forward with any arguments; the result as an AnyValue.
  template <typename... Arguments>
  AnyValue any_forward(Arguments&&... arguments) const {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(Arguments));
    (values.push_back(to_value(std::forward<Arguments>(arguments))), ...);
    return checked()->forward(values);
  }
  // forward with any arguments; the result as a ReturnType (reel::Error if it is another type).
  template <typename ReturnType = Tensor, typename... Arguments>
  ReturnType forward(Arguments&&... arguments) const {
    AnyValue result = any_forward(std::forward<Arguments>(arguments)...);
    if constexpr (std::is_same_v<ReturnType, AnyValue>) {
      return result;
    } else {
      return result.get<ReturnType>();
    }
  }

  // The module as its Impl type T (a reference) or, for a holder type T, as a holder; reel::Error when the
  // module is another type.
  template <typename T>
    requires(!detail::HolderType<T>)
  T& get() const {
    T* typed = dynamic_cast<T*>(checked()->module.get());
    if (typed == nullptr) detail::throw_any_value_type(*content_->type, typeid(T));
    return *typed;
  }
  template <typename T>
    requires detail::HolderType<T>
  T get() const {
    return T(ptr<typename T::ContainedType>());
  }
  std::shared_ptr<Module> ptr() const { return checked()->module; }
  template <typename T>
  std::shared_ptr<T> ptr() const {
    auto typed = std::dynamic_pointer_cast<T>(checked()->module);
    if (typed == nullptr) detail::throw_any_value_type(*content_->type, typeid(T));
    return typed;
  }
  // The module's C++ type (typeid(void) when empty).
  const std::type_info& type_info() const { return content_ != nullptr ? *content_->type : typeid(void); }
  bool is_empty() const noexcept { return content_ == nullptr; }

  // Sequential's fast path: whether forward maps a Tensor to a Tensor, and that call without AnyValues.
  bool is_unary_tensor() const { return content_ != nullptr && content_->unary_tensor(); }
  Tensor forward_tensor(const Tensor& input) const { return checked()->forward_tensor(input); }

 private:
  template <typename M>
  static std::shared_ptr<Placeholder> make_content(std::shared_ptr<M> module) {
    if (module == nullptr) detail::throw_any_forward(detail::demangle_type_name(typeid(M)), "the module is empty");
    return std::make_shared<Typed<M>>(std::move(module));
  }
  // An argument as an AnyValue (one that already is an AnyValue, from Sequential's chain, passes as it is).
  template <typename T>
  static AnyValue to_value(T&& argument) {
    return AnyValue(std::forward<T>(argument));
  }
  const Placeholder* checked() const {
    if (content_ == nullptr) detail::throw_any_forward("AnyModule", "it is empty");
    return content_.get();
  }

  std::shared_ptr<Placeholder> content_;
};

}  // namespace reel::nn
