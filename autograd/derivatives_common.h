// reel/autograd/derivatives_common.h — what the derivative files (autograd/derivatives_*.cpp) share: how a formula
// declares its facts, the per-family lists autograd/derivatives.cpp gathers into the lookup table, and helpers
// several families' formulas use. Internal to autograd/.
//
// A formula is followed directly by its facts, one OpDerivative per op it differentiates:
//   // y = a * b: da = g b, db = g a
//   void mul_backward(Ctx& c) { ... }
//   constexpr OpDerivative mul_derivative{OpId::mul, mul_backward, "MulBackward", {kIn1, kIn0}};
// that is: the op, the formula, the node name grad_fn() shows, then what recording saves — per input, the inputs
// its gradient reads ({} or omitted: none), and the inputs whose gradient reads the op's outputs (omitted: none).
// Each family file ends with the list of its OpDerivatives, returned by its `*_derivatives()` function below.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "autograd/derivatives.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::autograd {

using Ctx = BackwardContext;

// Input bitmasks for the facts: kIn0 | kIn1 is "inputs 0 and 1".
inline constexpr uint8_t kNone = 0, kIn0 = 1, kIn1 = 2, kIn2 = 4, kIn3 = 8;

// One op's backward formula and facts. A constant expression, so an impossible entry (more inputs than
// kMaxSavedInputs) does not compile.
struct OpDerivative {
  OpId op;
  Derivative derivative;

  constexpr OpDerivative(OpId op, BackwardFn fn, const char* name, std::initializer_list<uint8_t> inputs_needed = {},
                         uint8_t output_needed_by = kNone)
      : op(op), derivative{fn, name, {}, output_needed_by} {
    int i = 0;
    for (uint8_t mask : inputs_needed) derivative.inputs_needed[i++] = mask;
  }
};

// The formulas of each family, in their file's order; autograd/derivatives.cpp registers them all.
std::span<const OpDerivative> elementwise_derivatives();    // derivatives_elementwise.cpp
std::span<const OpDerivative> reduce_linalg_derivatives();  // derivatives_reduce_linalg.cpp
std::span<const OpDerivative> shape_index_derivatives();    // derivatives_shape_index.cpp
std::span<const OpDerivative> nn_derivatives();             // derivatives_nn.cpp
std::span<const OpDerivative> sort_scan_derivatives();      // derivatives_sort_scan.cpp
std::span<const OpDerivative> pointwise_math_derivatives(); // derivatives_pointwise_math.cpp
std::span<const OpDerivative> resample_derivatives();       // derivatives_resample.cpp (interpolate, grid_sample, CTC)
std::span<const OpDerivative> advanced_index_derivatives();  // derivatives_advanced_index.cpp
std::span<const OpDerivative> rnn_cell_derivatives();        // derivatives_rnn_cell.cpp (the fused LSTM / GRU / Tree-LSTM cells)

// Output j as a formula reads it: the saved value and, under create_graph (grad mode on while formulas run),
// also its history — an alias whose grad_fn is this node — so that what the formula computes from y is
// differentiated through y too (d/dx of g * e^x needs y's own dependence on x). Saved outputs are kept without
// grad_fn so that a node never owns itself; the alias lives only as long as the gradient graph that reads it.
inline Tensor result(Ctx& c, size_t j = 0) {
  const Tensor& y = c.output_value(j);
  if (!reel::is_grad_enabled() || !y.defined() || !y.is_floating_point()) return y;
  Tensor alias = shallow_copy(y);
  retain_node(&c.node);
  alias.impl()->grad_fn = &c.node;
  alias.impl()->output_nr = static_cast<uint32_t>(j);
  alias.impl()->requires_grad = true;
  return alias;
}

// Zeros of an input's sizes and device, in the gradient's dtype: what scatter-style gradients add into.
inline Tensor zeros_for(const InputMeta& in, const Tensor& like) {
  return zeros(in.sizes, TensorOptions(like.dtype()).device(in.device));
}

}  // namespace reel::autograd
