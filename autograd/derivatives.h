// reel/autograd/derivatives.h — the backward formula of each op, looked up by OpId.
#pragma once

#include <cstdint>

#include "node.h"

namespace reel::autograd {

inline constexpr int kMaxSavedInputs = 8;

// What a formula needs, per input that requires a gradient: recording saves only what the inputs that
// actually need gradients use (so `h.mul_(0.5)` saves nothing, and later in-place changes to h are fine).
struct Derivative {
  BackwardFn fn = nullptr;                 // null: not differentiable (its outputs never require grad)
  const char* name = "";                   // node name shown by grad_fn(), e.g. "MulBackward"
  uint8_t inputs_needed[kMaxSavedInputs];  // [i]: bitmask of inputs the gradient of input i reads
  uint8_t output_needed_by = 0;            // bitmask of inputs whose gradient reads the outputs
};

const Derivative& derivative_for(OpId op);

// The node an in-place write through a view leaves on its base (PyTorch's CopySlices): base_new is base_old with
// the view's region replaced by the written values. Inputs: (base_old, written values); attrs: dims = the view's
// sizes then strides, dim = its rank, k = its storage offset minus the base's (the base is contiguous).
void copy_slices_backward(BackwardContext& c);

}  // namespace reel::autograd
