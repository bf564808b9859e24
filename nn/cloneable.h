// reel/nn/cloneable.h — nn::Cloneable<Derived>, LibTorch's base for modules that clone() into a deep copy
// (target networks, EMA weights): every parameter and buffer copied into fresh storage (requires_grad kept),
// every child cloned, the training flag kept, nothing shared with the original.
//
//   struct NetImpl : reel::nn::Cloneable<NetImpl> {
//     explicit NetImpl(int64_t n) : n(n) { reset(); }
//     void reset() override { fc = register_module("fc", reel::nn::Linear(n, n)); }   // LibTorch's protocol
//     reel::Tensor forward(const reel::Tensor& x) { return fc(x); }
//     int64_t n;
//     reel::nn::Linear fc{nullptr};
//   };
//   REEL_MODULE(Net);
//   Net net(4);
//   auto target = std::dynamic_pointer_cast<NetImpl>(net->clone());      // or net->clone(reel::Device(reel::kCUDA))
//
// How the copy gets its own tensors while its member handles (`fc`, `LinearImpl::weight`) point at them:
//   * a Derived that overrides reset() is cloned as LibTorch does: copy-constructed (options and plain members
//     kept), its registrations emptied, reset() run to register fresh parameters and children into the members,
//     then the original's data copied in by name, children recursively;
//   * otherwise (the built-in layers, and user modules written without reset()) the copy is built again from
//     the constructor arguments its holder recorded (`Linear(3, 4)` keeps 3 and 4; tensor and module arguments
//     are deep-copied first), then the original's data copied in. Members set outside the constructor after
//     construction are not replayed; registrations added or removed after construction make clone() throw.
// Either way clone() verifies that the copy shares no tensor and no module with the original.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "../tensor/grad_mode.h"
#include "module.h"

namespace reel::nn {

template <typename Derived>
class Cloneable : public Module, public detail::CloneableTag {
 public:
  using Module::Module;

  // LibTorch's hook: (re)creates and registers every parameter, buffer and submodule. The default does nothing;
  // override it (and call it from the constructor) to have clone() follow LibTorch's copy-then-reset path.
  virtual void reset() {}

  std::shared_ptr<Module> clone(const std::optional<Device>& device = std::nullopt) const override {
    if constexpr (!std::is_same_v<decltype(&Derived::reset), void (Cloneable::*)()>) {
      if (typeid(*this) == typeid(Derived)) {
        NoGradGuard no_grad;
        auto copy = std::make_shared<Derived>(static_cast<const Derived&>(*this));
        detail::ModuleCloning::clear_registrations(*copy);
        copy->reset();
        detail::ModuleCloning::copy_state(*copy, *this);
        detail::ModuleCloning::finish(*copy, *this, device);
        return copy;
      }
    }
    return detail::ModuleCloning::clone_by_rebuild(*this, device);
  }

 protected:
  Cloneable(const Cloneable&) = default;
};

}  // namespace reel::nn
