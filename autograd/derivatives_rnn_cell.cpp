// reel/autograd/derivatives_rnn_cell.cpp — the backward formulas of the fused recurrent cells (tensor/ops_rnn_cell.cpp):
// _thnn_fused_lstm_cell, _thnn_fused_gru_cell and _fused_tree_lstm_cell. Each formula is followed by its facts
// (autograd/derivatives_common.h).
//
// Two paths, as PyTorch's derivatives.yaml has for its fused cells:
//   plain backward (grad mode off, the usual case)  the fused backward primitive: one kernel from the saved states
//       and the workspace (the activated gates), no exponential recomputed;
//   create_graph (grad mode on)  the same gradients written with differentiable reel ops, the gates recomputed from
//       the saved inputs, so that gradients of gradients work (the primitives have no formula themselves).
// The composite path also serves a gradient that arrives for the workspace output (the workspace holds activated gates,
// so it is differentiable like any output; the fused primitives do not take its gradient).
// In both, with a = the activated gate, the pre-activation gradient is d_a σ'(.) = d_a a (1 - a) for sigmoid gates and
// d_a (1 - a²) for tanh gates; a bias shared by the rows gets the column sum of its gates' gradients.
#include <vector>

#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

// The gradient that arrived for output j, undefined when none did (the fused primitives take undefined as zeros).
Tensor arrived(Ctx& c, size_t j) { return c.grad_arrived(j) ? c.grad_outputs[j] : Tensor(); }

// a + b where either may be undefined (an absent term)
Tensor add_opt(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a + b;
}

Tensor sigmoid_grad(const Tensor& d_a, const Tensor& a) { return d_a * a * (1.0 - a); }
Tensor tanh_grad(const Tensor& d_a, const Tensor& a) { return d_a * (1.0 - a * a); }

// The gradient of a 1-D bias of `size` shared by every row of the (..., size) gate gradient.
Tensor bias_grad(const Tensor& gate_grad, int64_t size) { return gate_grad.reshape({-1, size}).sum({0}); }

// ---- LSTM ----------------------------------------------------------------------------------------------------------
// (hy, cy, ws) = _thnn_fused_lstm_cell(ig, hg, cx, b_ih, b_hh), gates [i f g o] activated:
//   dcy' = dhy o (1 - tanh²(cy)) + dcy; d[i f g o] = [dcy' g + dws_i, dcy' cx + dws_f, dcy' i + dws_g,
//   dhy tanh(cy) + dws_o] through the activations; dig = dhg = d gates, db_ih = db_hh = Σ_rows d gates, dcx = dcy' f
void lstm_cell_backward(Ctx& c) {
  const bool bias_needed = c.needs_input_grad(3) || c.needs_input_grad(4);
  Tensor grad_gates, grad_cx, grad_bias;
  if (!reel::is_grad_enabled() && !c.grad_arrived(2)) {
    std::tie(grad_gates, grad_cx, grad_bias) = _thnn_fused_lstm_cell_backward_impl(
        arrived(c, 0), arrived(c, 1), c.input_value(2), c.output_value(1), c.output_value(2), bias_needed);
  } else {
    const Tensor& cx = c.input_value(2);
    const Tensor gates = add_opt(add_opt(c.input_value(0) + c.input_value(1), c.input_value(3)), c.input_value(4));
    const std::vector<Tensor> pre = gates.chunk(4, -1);
    const Tensor i = sigmoid(pre[0]), f = sigmoid(pre[1]), g = tanh(pre[2]), o = sigmoid(pre[3]);
    const Tensor tanh_cy = tanh(f * cx + i * g);
    const Tensor& dh = c.grad_outputs[0];  // zeros where no gradient arrived
    const std::vector<Tensor> dws = c.grad_outputs[2].chunk(4, -1);
    const Tensor dc = dh * o * (1.0 - tanh_cy * tanh_cy) + c.grad_outputs[1];
    grad_gates = cat({sigmoid_grad(dc * g + dws[0], i), sigmoid_grad(dc * cx + dws[1], f),
                      tanh_grad(dc * i + dws[2], g), sigmoid_grad(dh * tanh_cy + dws[3], o)},
                     -1);
    grad_cx = dc * f;
    if (bias_needed) grad_bias = bias_grad(grad_gates, gates.size(-1));
  }
  if (!grad_gates.defined()) return;  // no gradient arrived for hy or cy
  if (c.needs_input_grad(0)) c.grad_inputs[0] = grad_gates;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_gates;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_cx;
  if (c.needs_input_grad(3)) c.grad_inputs[3] = grad_bias;
  if (c.needs_input_grad(4)) c.grad_inputs[4] = grad_bias;
}
// Every gradient may read every input (the create_graph path recomputes the gates) and the outputs (cy, workspace).
constexpr uint8_t kLstmReads = kIn0 | kIn1 | kIn2 | kIn3 | uint8_t{16};
constexpr OpDerivative lstm_cell_derivative{OpId::_thnn_fused_lstm_cell, lstm_cell_backward, "ThnnFusedLstmCellBackward",
                                            {kLstmReads, kLstmReads, kLstmReads, kLstmReads, kLstmReads}, kLstmReads};

// ---- GRU -----------------------------------------------------------------------------------------------------------
// (hy, ws) = _thnn_fused_gru_cell(ig, hg, hx, b_ih, b_hh), x = ig + b_ih, h = hg + b_hh as [r z n]:
//   dn = (dhy (1 - z) + dws_n) (1 - n²); dz = (dhy (hx - n) + dws_z) z(1-z); dr = (dn h_n + dws_r) r(1-r);
//   dig = [dr dz dn], dhg = [dr dz dn r + dws_hn], dhx = dhy z + dws_hx; bias gradients their column sums
void gru_cell_backward(Ctx& c) {
  const bool bias_needed = c.needs_input_grad(3) || c.needs_input_grad(4);
  Tensor grad_ig, grad_hg, grad_hx, grad_bi, grad_bh;
  if (!reel::is_grad_enabled() && !c.grad_arrived(1)) {
    std::tie(grad_ig, grad_hg, grad_hx, grad_bi, grad_bh) =
        _thnn_fused_gru_cell_backward(c.grad_outputs[0], c.output_value(1), bias_needed);
  } else {
    const Tensor& hx = c.input_value(2);
    const std::vector<Tensor> x = add_opt(c.input_value(0), c.input_value(3)).chunk(3, -1);
    const std::vector<Tensor> h = add_opt(c.input_value(1), c.input_value(4)).chunk(3, -1);
    const Tensor r = sigmoid(x[0] + h[0]), z = sigmoid(x[1] + h[1]), n = tanh(x[2] + r * h[2]);
    const Tensor& dh = c.grad_outputs[0];
    const std::vector<Tensor> dws = c.grad_outputs[1].chunk(5, -1);  // [r z n hx hn]
    const Tensor dn = tanh_grad(dh * (1.0 - z) + dws[2], n);
    const Tensor dz = sigmoid_grad(dh * (hx - n) + dws[1], z);
    const Tensor dr = sigmoid_grad(dn * h[2] + dws[0], r);
    grad_ig = cat({dr, dz, dn}, -1);
    grad_hg = cat({dr, dz, dn * r + dws[4]}, -1);
    grad_hx = dh * z + dws[3];
    if (bias_needed) {
      grad_bi = bias_grad(grad_ig, grad_ig.size(-1));
      grad_bh = bias_grad(grad_hg, grad_hg.size(-1));
    }
  }
  if (c.needs_input_grad(0)) c.grad_inputs[0] = grad_ig;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_hg;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_hx;
  if (c.needs_input_grad(3)) c.grad_inputs[3] = grad_bi;
  if (c.needs_input_grad(4)) c.grad_inputs[4] = grad_bh;
}
constexpr uint8_t kGruReads = kIn0 | kIn1 | kIn2 | kIn3 | uint8_t{16};
constexpr OpDerivative gru_cell_derivative{OpId::_thnn_fused_gru_cell, gru_cell_backward, "ThnnFusedGruCellBackward",
                                           {kGruReads, kGruReads, kGruReads, kGruReads, kGruReads}, kGruReads};

// ---- N-ary tree LSTM -----------------------------------------------------------------------------------------------
// (h, c, ws) = _fused_tree_lstm_cell(ig, hg, b, c_1..c_k), activated gates i, f_1..f_k, o, u:
//   dc' = dh o (1 - tanh²(c)) + dc; d_i = dc' u, d_u = dc' i, d_o = dh tanh(c), d_f_k = dc' c_k (each + its dws)
//   through the activations; dhg = [di df_1..df_k do du], dig = [di Σ_k df_k do du], db = Σ_rows dig, dc_k = dc' f_k
void tree_lstm_cell_backward(Ctx& c) {
  const size_t k = c.node.next_edges.size() - 3;
  const bool input_needed = c.needs_input_grad(0), hidden_needed = c.needs_input_grad(1);
  const bool bias_needed = c.needs_input_grad(2);
  Tensor grad_ig, grad_hg, grad_b;
  std::vector<Tensor> grad_children;
  if (!reel::is_grad_enabled() && !c.grad_arrived(2)) {
    std::vector<Tensor> children;
    for (size_t q = 0; q < k; ++q) children.push_back(c.input_value(3 + q));
    std::tie(grad_ig, grad_hg, grad_b, grad_children) =
        _fused_tree_lstm_cell_backward(arrived(c, 0), arrived(c, 1), c.output_value(1), c.output_value(2), children,
                                       input_needed, hidden_needed, bias_needed);
  } else {
    const Tensor& ig = c.input_value(0);
    const Tensor& hg = c.input_value(1);
    const Tensor& b = c.input_value(2);
    std::vector<Tensor> xs(4), hs(3 + k);  // x side + bias per gate of [i f o u]; hidden side per gate
    if (ig.defined()) xs = ig.chunk(4, -1);
    if (b.defined()) {
      const std::vector<Tensor> bs = b.chunk(4, -1);
      for (size_t q = 0; q < 4; ++q) xs[q] = add_opt(xs[q], bs[q]);
    }
    if (hg.defined()) hs = hg.chunk(static_cast<int64_t>(3 + k), -1);
    const Tensor i = sigmoid(add_opt(xs[0], hs[0])), o = sigmoid(add_opt(xs[2], hs[1 + k]));
    const Tensor u = tanh(add_opt(xs[3], hs[2 + k]));
    std::vector<Tensor> f(k);
    Tensor cell = i * u;
    for (size_t q = 0; q < k; ++q) {
      f[q] = sigmoid(add_opt(xs[1], hs[1 + q]));
      cell = cell + f[q] * c.input_value(3 + q);
    }
    const Tensor tanh_c = tanh(cell);
    const Tensor& dh = c.grad_outputs[0];
    const std::vector<Tensor> dws = c.grad_outputs[2].chunk(static_cast<int64_t>(3 + k), -1);  // [i f_1..f_k o u]
    const Tensor dc = dh * o * (1.0 - tanh_c * tanh_c) + c.grad_outputs[1];
    const Tensor di = sigmoid_grad(dc * u + dws[0], i), d_o = sigmoid_grad(dh * tanh_c + dws[1 + k], o);
    const Tensor du = tanh_grad(dc * i + dws[2 + k], u);
    std::vector<Tensor> hidden_parts = {di};
    Tensor df_sum = zeros_like(di);
    for (size_t q = 0; q < k; ++q) {
      const Tensor df = sigmoid_grad(dc * c.input_value(3 + q) + dws[1 + q], f[q]);
      hidden_parts.push_back(df);
      df_sum = df_sum + df;
      grad_children.push_back(dc * f[q]);
    }
    hidden_parts.push_back(d_o);
    hidden_parts.push_back(du);
    grad_hg = cat(hidden_parts, -1);
    grad_ig = cat({di, df_sum, d_o, du}, -1);
    if (bias_needed) grad_b = bias_grad(grad_ig, grad_ig.size(-1));
  }
  if (input_needed) c.grad_inputs[0] = grad_ig;
  if (hidden_needed) c.grad_inputs[1] = grad_hg;
  if (bias_needed) c.grad_inputs[2] = grad_b;
  for (size_t q = 0; q < k; ++q)
    if (c.needs_input_grad(3 + q)) c.grad_inputs[3 + q] = grad_children[q];
}
// Up to 8 inputs (3 + at most 5 children), each gradient reading every input and the outputs.
constexpr uint8_t kTreeReads = 0xFF;
constexpr OpDerivative tree_lstm_cell_derivative{
    OpId::_fused_tree_lstm_cell, tree_lstm_cell_backward, "FusedTreeLstmCellBackward",
    {kTreeReads, kTreeReads, kTreeReads, kTreeReads, kTreeReads, kTreeReads, kTreeReads, kTreeReads}, kTreeReads};

constexpr OpDerivative kRnnCellDerivatives[] = {lstm_cell_derivative, gru_cell_derivative, tree_lstm_cell_derivative};

}  // namespace

std::span<const OpDerivative> rnn_cell_derivatives() { return kRnnCellDerivatives; }

}  // namespace reel::autograd
