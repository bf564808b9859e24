// reel/tensor/ops_rnn_cell.cpp — front doors of the fused recurrent cells: PyTorch's _thnn_fused_lstm_cell and
// _thnn_fused_gru_cell with their backward primitives, and reel's _fused_tree_lstm_cell (the N-ary Tree-LSTM node of
// nn::BinaryTreeLSTMCell) with its backward.
//
// Each op is the pointwise tail of one cell step: the caller computes the gate pre-activations (one GEMM per side) and
// the op does the rest in one kernel, one autograd node and one record. Tensors are rows: gates (..., G * H) with any
// leading dims, states (..., H) with the same leading dims, biases 1-D (G * H) shared by every row — so a batch of N
// calls stacked on a new leading dim is one call. The checks name the op, the tensor and the shapes; the kernels
// (cpu/rnn_cell.cpp, cuda/rnn_cell.cu, math in tensor/rnn_cell_math.h) get contiguous tensors.
// Recorded for autograd (autograd/derivatives_rnn_cell.cpp):
//   _thnn_fused_lstm_cell   inputs (input_gates, hidden_gates, cx, input_bias, hidden_bias); outputs (hy, cy, workspace)
//   _thnn_fused_gru_cell    inputs (input_gates, hidden_gates, hx, input_bias, hidden_bias); outputs (hy, workspace)
//   _fused_tree_lstm_cell   inputs (input_gates, hidden_gates, bias, c_1..c_k); outputs (h, c, workspace)
// The backward primitives are not recorded (their formulas' create_graph path uses differentiable ops instead).
#include <fmt/format.h>

#include "tensor/op_call.h"
#include "tensor/ops.h"
#include "tensor/rnn_cell_math.h"

namespace reel {

namespace {

// Sizes of `like` with the last dim replaced by `last`.
DimVector with_last(IntList sizes, int64_t last) {
  DimVector out(sizes);
  out.back() = last;
  return out;
}

std::string describe(const Tensor& t) {
  return fmt::format("{} {} on {}", dtype_name(t.dtype()), shape_str(t.sizes()), t.device().str());
}

// The reference tensor of a call: defined, floating, at least 1-D, and (when gates > 0) a last dim of `gates` blocks
// of H values. Returns H (the last size over `gates`, or the last size when gates is 0).
int64_t check_reference(const char* op, const char* name, const Tensor& t, int64_t gates) {
  REEL_CHECK(t.defined(), "{}: expected {} to be a defined tensor", op, name);
  t.check_defined(op);
  REEL_CHECK(is_floating_point(t.dtype()), "{}: expected a floating-point {}, got {}", op, name, describe(t));
  REEL_CHECK(t.dim() >= 1, "{}: expected {} with at least one dim (..., {}), got a 0-dim tensor", op, name,
             gates > 0 ? fmt::format("{} * hidden_size", gates) : std::string("hidden_size"));
  if (gates == 0) return t.size(-1);
  REEL_CHECK(t.size(-1) % gates == 0, "{}: expected {} of shape (..., {} * hidden_size), got {} (last size not a "
             "multiple of {})", op, name, gates, shape_str(t.sizes()), gates);
  return t.size(-1) / gates;
}

// `t` has the reference's dtype and device and the given sizes.
void check_like(const char* op, const char* name, const Tensor& t, const Tensor& ref, const char* ref_name,
                IntList sizes) {
  REEL_CHECK(t.defined(), "{}: expected {} to be a defined tensor of shape {}", op, name, shape_str(sizes));
  t.check_defined(op);
  REEL_CHECK(t.dtype() == ref.dtype() && t.device() == ref.device(),
             "{}: expected {} in {}'s dtype and device ({} on {}), got {}", op, name, ref_name, dtype_name(ref.dtype()),
             ref.device().str(), describe(t));
  REEL_CHECK(t.sizes() == sizes, "{}: expected {} of shape {} (from {} of shape {}), got {}", op, name,
             shape_str(sizes), ref_name, shape_str(ref.sizes()), shape_str(t.sizes()));
}

// An optional bias: undefined, or 1-D (size) like the reference.
void check_bias(const char* op, const char* name, const Tensor& bias, const Tensor& ref, const char* ref_name,
                int64_t size) {
  if (bias.defined()) check_like(op, name, bias, ref, ref_name, {size});
}

OutputMeta dense(IntList sizes, const Tensor& like) { return OutputMeta(sizes, like.dtype(), like.device()); }
OutputMeta dense_if(bool wanted, IntList sizes, const Tensor& like) {
  return wanted ? dense(sizes, like) : OutputMeta::absent();
}

constexpr uint32_t kAllContiguous = ~uint32_t{0};

// The checks the LSTM and GRU cells share: input and hidden gates of one shape (..., G H), the state (..., H) with
// the same leading dims, each bias (G H) or undefined; returns H.
int64_t check_cell(const char* op, int64_t gate_count, const Tensor& input_gates, const Tensor& hidden_gates,
                   const char* state_name, const Tensor& state, const Tensor& input_bias, const Tensor& hidden_bias) {
  const int64_t hidden = check_reference(op, "input_gates", input_gates, gate_count);
  check_like(op, "hidden_gates", hidden_gates, input_gates, "input_gates", input_gates.sizes());
  check_like(op, state_name, state, input_gates, "input_gates", with_last(input_gates.sizes(), hidden));
  check_bias(op, "input_bias", input_bias, input_gates, "input_gates", gate_count * hidden);
  check_bias(op, "hidden_bias", hidden_bias, input_gates, "input_gates", gate_count * hidden);
  return hidden;
}

}  // namespace

// [i f g o] = ig + hg (+ b_ih + b_hh); cy = σ(f) cx + σ(i) tanh(g), hy = σ(o) tanh(cy); workspace = activated gates
std::tuple<Tensor, Tensor, Tensor> _thnn_fused_lstm_cell(const Tensor& input_gates, const Tensor& hidden_gates,
                                                         const Tensor& cx, const Tensor& input_bias,
                                                         const Tensor& hidden_bias) {
  const char* op = "_thnn_fused_lstm_cell";
  const int64_t hidden = check_cell(op, 4, input_gates, hidden_gates, "cx", cx, input_bias, hidden_bias);
  const DimVector state = with_last(input_gates.sizes(), hidden);
  const Tensor inputs[] = {input_gates, hidden_gates, cx, input_bias, hidden_bias};
  Tensor outputs[3];
  run_op(OpId::_thnn_fused_lstm_cell, nullptr, inputs,
         {outputs, {dense(state, cx), dense(state, cx), dense(input_gates.sizes(), cx)}},
         {.contiguous_inputs = kAllContiguous, .allocating = op});
  return {outputs[0], outputs[1], outputs[2]};
}

// d[i f g o] from dhy, dcy, cx, cy and the activated gates; dcx = dcy_total σ(f); d bias = Σ_rows d gates
std::tuple<Tensor, Tensor, Tensor> _thnn_fused_lstm_cell_backward_impl(const Tensor& grad_hy, const Tensor& grad_cy,
                                                                       const Tensor& cx, const Tensor& cy,
                                                                       const Tensor& workspace, bool has_bias) {
  const char* op = "_thnn_fused_lstm_cell_backward_impl";
  if (!grad_hy.defined() && !grad_cy.defined()) return {};  // no gradient arrived: none leaves (PyTorch's rule)
  const int64_t hidden = check_reference(op, "cx", cx, 0);
  check_like(op, "cy", cy, cx, "cx", cx.sizes());
  const DimVector gates = with_last(cx.sizes(), 4 * hidden);
  check_like(op, "workspace", workspace, cx, "cx", gates);
  if (grad_hy.defined()) check_like(op, "grad_hy", grad_hy, cx, "cx", cx.sizes());
  if (grad_cy.defined()) check_like(op, "grad_cy", grad_cy, cx, "cx", cx.sizes());
  const Tensor inputs[] = {grad_hy, grad_cy, cx, cy, workspace};
  Tensor outputs[3];
  run_op(OpId::_thnn_fused_lstm_cell_backward_impl, nullptr, inputs,
         {outputs, {dense(gates, cx), dense(cx.sizes(), cx), dense_if(has_bias, {4 * hidden}, cx)}},
         {.record = Record::no, .contiguous_inputs = kAllContiguous, .allocating = op});
  return {outputs[0], outputs[1], outputs[2]};
}

// r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r h_n), hy = n + z (hx - n); workspace [r z n hx h_n]
std::tuple<Tensor, Tensor> _thnn_fused_gru_cell(const Tensor& input_gates, const Tensor& hidden_gates, const Tensor& hx,
                                                const Tensor& input_bias, const Tensor& hidden_bias) {
  const char* op = "_thnn_fused_gru_cell";
  const int64_t hidden = check_cell(op, 3, input_gates, hidden_gates, "hx", hx, input_bias, hidden_bias);
  const DimVector state = with_last(input_gates.sizes(), hidden);
  const Tensor inputs[] = {input_gates, hidden_gates, hx, input_bias, hidden_bias};
  Tensor outputs[2];
  run_op(OpId::_thnn_fused_gru_cell, nullptr, inputs,
         {outputs, {dense(state, hx), dense(with_last(input_gates.sizes(), 5 * hidden), hx)}},
         {.contiguous_inputs = kAllContiguous, .allocating = op});
  return {outputs[0], outputs[1]};
}

// d input gates [dr dz dn], d hidden gates [dr dz r dn], dhx = dhy z; bias gradients are their column sums
std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor> _thnn_fused_gru_cell_backward(const Tensor& grad_hy,
                                                                                 const Tensor& workspace,
                                                                                 bool has_bias) {
  const char* op = "_thnn_fused_gru_cell_backward";
  const int64_t hidden = check_reference(op, "workspace", workspace, 5);
  check_like(op, "grad_hy", grad_hy, workspace, "workspace", with_last(workspace.sizes(), hidden));
  const DimVector gates = with_last(workspace.sizes(), 3 * hidden);
  const Tensor inputs[] = {grad_hy, workspace};
  Tensor outputs[5];
  run_op(OpId::_thnn_fused_gru_cell_backward, nullptr, inputs,
         {outputs,
          {dense(gates, grad_hy), dense(gates, grad_hy), dense(grad_hy.sizes(), grad_hy),
           dense_if(has_bias, {3 * hidden}, grad_hy), dense_if(has_bias, {3 * hidden}, grad_hy)}},
         {.record = Record::no, .contiguous_inputs = kAllContiguous, .allocating = op});
  return {outputs[0], outputs[1], outputs[2], outputs[3], outputs[4]};
}

// c = σ(i) tanh(u) + Σ_k σ(f_k) c_k, h = σ(o) tanh(c); gates = x side [i f o u] + hidden side [i f_1..f_k o u] + bias
std::tuple<Tensor, Tensor, Tensor> _fused_tree_lstm_cell(const Tensor& input_gates, const Tensor& hidden_gates,
                                                         const Tensor& bias, const std::vector<Tensor>& children_c) {
  const char* op = "_fused_tree_lstm_cell";
  const int64_t k = static_cast<int64_t>(children_c.size());
  REEL_CHECK(k <= rnn_cell::kMaxTreeChildren, "{}: at most {} children per node, got {}", op,
             rnn_cell::kMaxTreeChildren, k);
  REEL_CHECK(input_gates.defined() || hidden_gates.defined(),
             "{}: expected input_gates (..., 4 * hidden_size) or hidden_gates (..., {} * hidden_size), got neither",
             op, 3 + k);
  const bool x_side = input_gates.defined();
  const Tensor& ref = x_side ? input_gates : hidden_gates;
  const char* ref_name = x_side ? "input_gates" : "hidden_gates";
  const int64_t hidden = check_reference(op, ref_name, ref, x_side ? 4 : 3 + k);
  if (x_side && hidden_gates.defined())
    check_like(op, "hidden_gates", hidden_gates, ref, ref_name, with_last(ref.sizes(), (3 + k) * hidden));
  const DimVector state = with_last(ref.sizes(), hidden);
  check_bias(op, "bias", bias, ref, ref_name, 4 * hidden);
  std::vector<Tensor> inputs = {input_gates, hidden_gates, bias};
  for (int64_t q = 0; q < k; ++q) {
    check_like(op, fmt::format("children_c[{}]", q).c_str(), children_c[static_cast<size_t>(q)], ref, ref_name, state);
    inputs.push_back(children_c[static_cast<size_t>(q)]);
  }
  Tensor outputs[3];
  run_op(OpId::_fused_tree_lstm_cell, nullptr, OpInputs(inputs.data(), static_cast<int>(inputs.size())),
         {outputs, {dense(state, ref), dense(state, ref), dense(with_last(ref.sizes(), (3 + k) * hidden), ref)}},
         {.contiguous_inputs = kAllContiguous, .allocating = op});
  return {outputs[0], outputs[1], outputs[2]};
}

// d gates of the hidden side [i f_1..f_k o u] and the x side [i Σf o u], d bias = Σ_rows d x side, dc_k = dc σ(f_k)
std::tuple<Tensor, Tensor, Tensor, std::vector<Tensor>> _fused_tree_lstm_cell_backward(
    const Tensor& grad_h, const Tensor& grad_c, const Tensor& c, const Tensor& workspace,
    const std::vector<Tensor>& children_c, bool input_gates_grad, bool hidden_gates_grad, bool has_bias) {
  const char* op = "_fused_tree_lstm_cell_backward";
  const int64_t k = static_cast<int64_t>(children_c.size());
  REEL_CHECK(k <= rnn_cell::kMaxTreeChildren, "{}: at most {} children per node, got {}", op,
             rnn_cell::kMaxTreeChildren, k);
  if (!grad_h.defined() && !grad_c.defined()) return {Tensor(), Tensor(), Tensor(), std::vector<Tensor>(children_c.size())};
  const int64_t hidden = check_reference(op, "c", c, 0);
  check_like(op, "workspace", workspace, c, "c", with_last(c.sizes(), (3 + k) * hidden));
  if (grad_h.defined()) check_like(op, "grad_h", grad_h, c, "c", c.sizes());
  if (grad_c.defined()) check_like(op, "grad_c", grad_c, c, "c", c.sizes());
  std::vector<Tensor> inputs = {grad_h, grad_c, c, workspace};
  for (int64_t q = 0; q < k; ++q) {
    check_like(op, fmt::format("children_c[{}]", q).c_str(), children_c[static_cast<size_t>(q)], c, "c", c.sizes());
    inputs.push_back(children_c[static_cast<size_t>(q)]);
  }
  // outputs: d x side (also when only the bias needs it: the bias gradient sums it), d hidden side, d bias, dc_k
  std::vector<OutputMeta> metas = {dense_if(input_gates_grad || has_bias, with_last(c.sizes(), 4 * hidden), c),
                                   dense_if(hidden_gates_grad, with_last(c.sizes(), (3 + k) * hidden), c),
                                   dense_if(has_bias, {4 * hidden}, c)};
  for (int64_t q = 0; q < k; ++q) metas.push_back(dense(c.sizes(), c));
  std::vector<Tensor> outputs(metas.size());
  run_op(OpId::_fused_tree_lstm_cell_backward, nullptr, OpInputs(inputs.data(), static_cast<int>(inputs.size())),
         OpOutputs(outputs.data(), metas.data(), static_cast<int>(metas.size())),
         {.record = Record::no, .contiguous_inputs = kAllContiguous, .device = c.device(), .allocating = op});
  std::vector<Tensor> grad_children(outputs.begin() + 3, outputs.end());
  return {input_gates_grad ? outputs[0] : Tensor(), outputs[1], outputs[2], std::move(grad_children)};
}

}  // namespace reel
