// reel/tensor/callback.h — reel::Callback<R(Args...)>, the callable that reel's public API stores and takes
// (hooks, Module::apply, optimizer closures, data transforms and collate functions, gradcheck's function).
//
// It holds any copyable callable — a lambda, a function pointer, a functor, a std::function — behind one
// virtual call, like std::function, but is declared with <memory> alone, so that reel.h stays free of
// <functional>. Copies copy the callable; a Callback built from nullptr (or from a null function pointer or an
// empty std::function) is empty: it converts to false, and calling it throws reel::Error.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "error.h"

namespace reel {

template <typename Signature>
class Callback;

template <typename R, typename... Args>
class Callback<R(Args...)> {
 public:
  Callback() = default;
  Callback(std::nullptr_t) {}  // NOLINT: implicit, as std::function's
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, Callback> && !std::is_member_pointer_v<std::decay_t<F>> &&
             std::is_copy_constructible_v<std::decay_t<F>> && std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
  Callback(F&& callable) {  // NOLINT: implicit, as std::function's
    using Stored = std::decay_t<F>;
    if constexpr (!std::is_function_v<std::remove_reference_t<F>> && requires(const Stored& f) { f == nullptr; }) {
      if (callable == nullptr) return;  // a null function pointer or an empty std::function
    }
    target_ = std::make_unique<Holder<Stored>>(std::forward<F>(callable));
  }
  Callback(const Callback& other) : target_(other.target_ ? other.target_->clone() : nullptr) {}
  Callback(Callback&&) noexcept = default;
  Callback& operator=(const Callback& other) {
    if (this != &other) target_ = other.target_ ? other.target_->clone() : nullptr;
    return *this;
  }
  Callback& operator=(Callback&&) noexcept = default;
  Callback& operator=(std::nullptr_t) {
    target_.reset();
    return *this;
  }
  ~Callback() = default;

  explicit operator bool() const { return target_ != nullptr; }
  R operator()(Args... args) const {
    if (!target_) [[unlikely]]
      throw_error("reel::Callback: called while empty (made from nullptr or an empty function)");
    return target_->call(std::forward<Args>(args)...);
  }

 private:
  struct Target {
    virtual ~Target() = default;
    virtual R call(Args&&... args) = 0;
    virtual std::unique_ptr<Target> clone() const = 0;
  };
  template <typename F>
  struct Holder final : Target {
    template <typename G>
    explicit Holder(G&& callable) : function(std::forward<G>(callable)) {}
    R call(Args&&... args) override {
      if constexpr (std::is_void_v<R>) function(std::forward<Args>(args)...);
      else return function(std::forward<Args>(args)...);
    }
    std::unique_ptr<Target> clone() const override { return std::make_unique<Holder>(function); }
    F function;
  };
  std::unique_ptr<Target> target_;
};

}  // namespace reel
