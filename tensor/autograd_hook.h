// reel/tensor/autograd_hook.h — the one place where the tensor layer talks to autograd.
//
// Every differentiable front door ends with `detail::record(OpId::x, {inputs...}, {outputs...}, &attrs)`.
// It costs one thread-local load and a requires_grad check per input when nothing needs recording;
// otherwise autograd/record.cpp builds the tape node.
#pragma once

#include <initializer_list>
#include <string_view>

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
// Names the node that made `out` (a composite's last op) as PyTorch names the composite's single node, e.g.
// "MeanBackward0" (autograd/tensor_autograd.cpp); nothing when out has no node.
void name_composite_node(const Tensor& out, const char* name);

// Every in-place write calls this before it touches `target`'s memory: refuses a target in which several
// elements share one memory location (PyTorch's internal-overlap check), then bumps the storage's version.
// `op` names the write as errors show it; in_place_suffix adds the "_" of an in-place method ("add" -> "add_").
void begin_write(const Tensor& target, std::string_view op, bool in_place_suffix = false);

// The checks an in-place op makes before it runs while `recording` (grad mode on and something requires
// grad): a leaf that requires grad, a view of one, a view made with grad mode off of a base that requires grad.
void check_in_place(const char* op, const Tensor& self, bool recording);
// Writes `result` (computed out of place from `before`, an alias of self's old value) into self and gives
// self — and, when self is a view, its base — the history of the write (Note [In-place ops and autograd]).
void commit_in_place(const char* op, Tensor& self, Tensor& before, const Tensor& result, bool recording);

// An in-place op that autograd must see: computes the out-of-place result from an alias of self's old value,
// writes it into self and makes self the output of the recorded node (Note [In-place ops and autograd]).
// `others` are the op's other tensor operands (whether any requires grad decides whether the op records).
// `op` names the in-place op, e.g. "mul_".
template <typename Compute>
Tensor& in_place_recorded(const char* op, Tensor& self, std::initializer_list<const Tensor*> others,
                          Compute&& compute) {
  self.check_defined(op);
  bool recording = false;
  if (is_grad_enabled()) {
    recording = self.requires_grad();
    for (const Tensor* other : others) recording |= other->defined() && other->requires_grad();
  }
  check_in_place(op, self, recording);
  Tensor before = recording ? alias_with_history(self) : self;
  Tensor result = compute(before);
  commit_in_place(op, self, before, result, recording);
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
