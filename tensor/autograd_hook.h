// reel/tensor/autograd_hook.h — the one place where the tensor layer talks to autograd.
//
// Every differentiable front door ends with `detail::record(OpId::x, {inputs...}, {outputs...}, &attrs)`.
// It costs one thread-local load and a requires_grad check per input when nothing needs recording;
// otherwise autograd/record.cpp builds the tape node.
#pragma once

#include <initializer_list>

#include "dispatch.h"
#include "grad_mode.h"

namespace reel::detail {

// Builds the tape node for one op call (autograd/record.cpp).
void record_op(OpId op, const Tensor* const* inputs, int num_inputs, Tensor* const* outputs, int num_outputs,
               const OpAttrs* attrs);

// A new handle on t's data that shares t's autograd history (the "before" value of an in-place op).
Tensor alias_with_history(const Tensor& t);
// Makes `self` the output of `from`'s node (after an in-place op wrote `from`'s values into self).
void take_history(Tensor& self, const Tensor& from);

// An in-place op that autograd must see: computes the out-of-place result from an alias of self's old value,
// writes it into self and makes self the output of the recorded node (Note [In-place ops and autograd]).
template <typename Compute>
Tensor& in_place_recorded(const char* op, Tensor& self, Compute&& compute) {
  REEL_CHECK(!(is_grad_enabled() && self.requires_grad() && self.is_leaf()),
             "{}_: a leaf tensor that requires grad (shape {}) is being used in an in-place operation; wrap it in "
             "NoGradGuard or use the out-of-place {}",
             op, shape_str(self.sizes()), op);
  Tensor before = is_grad_enabled() ? alias_with_history(self) : self;
  Tensor result = compute(before);
  {
    NoGradGuard no_grad;
    self.copy_(result);
  }
  take_history(self, result);
  return self;
}

inline bool needs_recording(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

inline void record(OpId op, std::initializer_list<const Tensor*> inputs, std::initializer_list<Tensor*> outputs,
                   const OpAttrs* attrs = nullptr) {
  if (needs_recording(inputs))
    record_op(op, inputs.begin(), static_cast<int>(inputs.size()), outputs.begin(), static_cast<int>(outputs.size()),
              attrs);
}

}  // namespace reel::detail
