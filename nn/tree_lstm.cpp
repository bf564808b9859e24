// reel/nn/tree_lstm.cpp — ChildSumTreeLSTMCell and BinaryTreeLSTMCell (Tai et al. 2015): shape checks that name the
// module, the U(+-1/sqrt(hidden)) initialisation, and the gate arithmetic of one tree node: ChildSumTreeLSTMCell with
// reel ops, BinaryTreeLSTMCell with one GEMM per side and the fused node op _fused_tree_lstm_cell for the rest.
#include "nn/tree_lstm.h"

#include <cmath>

#include <fmt/format.h>

#include "nn/functional.h"
#include "nn/init.h"
#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::nn {

namespace F = functional;

namespace {

// U(+-1/sqrt(hidden)) on every parameter of `module`.
void init_tree(Module& module, int64_t hidden_size) {
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  for (Tensor& p : module.parameters(false)) init::uniform_(p, -bound, bound);
}

void check_sizes(const char* name, int64_t input_size, int64_t hidden_size) {
  REEL_CHECK(input_size >= 0, "{}: input_size must be non-negative, got {}", name, input_size);
  REEL_CHECK(hidden_size > 0, "{}: hidden_size must be greater than zero, got {}", name, hidden_size);
}

// Checks x (N, input_size) or (input_size) when defined.
void check_input(const char* name, const Tensor& x, int64_t input_size) {
  if (!x.defined()) return;
  REEL_CHECK(x.dim() == 1 || x.dim() == 2, "{}: Expected input to be 1D or 2D, got {}D instead", name, x.dim());
  REEL_CHECK(x.size(-1) == input_size, "{}: input has inconsistent input_size: got {} expected {}", name, x.size(-1),
             input_size);
}

// Checks a child's (h, c) against the node's batching: (N, hidden) or (hidden); `reference` is x or another child's h
// (undefined when there is none yet).
void check_state(const char* name, const LSTMState& state, const Tensor& reference, int64_t hidden_size,
                 const std::string& which) {
  const auto& [h, c] = state;
  REEL_CHECK(h.defined() && c.defined(), "{}: {} state (h, c) must hold two defined tensors", name, which);
  for (const Tensor* t : {&h, &c}) {
    REEL_CHECK(t->dim() == 1 || t->dim() == 2, "{}: {} state must be 1D or 2D, got {}D", name, which, t->dim());
    REEL_CHECK(t->size(-1) == hidden_size, "{}: {} state has inconsistent hidden_size: got {}, expected {}", name,
               which, t->size(-1), hidden_size);
  }
  REEL_CHECK(h.sizes() == c.sizes(), "{}: {} h and c differ in shape", name, which);
  if (reference.defined()) {
    REEL_CHECK(h.dim() == reference.dim() && (h.dim() == 1 || h.size(0) == reference.size(0)),
               "{}: {} state of batch shape {} does not match the input's batch shape (dim {}, size {})", name, which,
               h.dim() == 2 ? h.size(0) : 0, reference.dim(), reference.dim() == 2 ? reference.size(0) : 0);
  }
}

// a + b where either may be undefined (an absent term)
Tensor add_opt(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a + b;
}

}  // namespace

// ---- ChildSumTreeLSTMCell ---------------------------------------------------------------------------------------------

ChildSumTreeLSTMCellImpl::ChildSumTreeLSTMCellImpl(int64_t input_size_, int64_t hidden_size_, bool with_bias)
    : input_size(input_size_), hidden_size(hidden_size_) {
  check_sizes("ChildSumTreeLSTMCell", input_size, hidden_size);
  weight_ih = register_parameter("weight_ih", empty({4 * hidden_size, input_size}));
  weight_hh = register_parameter("weight_hh", empty({3 * hidden_size, hidden_size}));
  weight_fh = register_parameter("weight_fh", empty({hidden_size, hidden_size}));
  if (with_bias) bias = register_parameter("bias", empty({4 * hidden_size}));
  reset_parameters();
}

void ChildSumTreeLSTMCellImpl::reset_parameters() { init_tree(*this, hidden_size); }

// h̃ = Σ h_k; [i o u] from W x + U h̃ + b; f_k = σ(W_f x + U_f h_k + b_f); c = i u + Σ f_k c_k; h = o tanh(c)
LSTMState ChildSumTreeLSTMCellImpl::forward(const Tensor& input, const std::vector<LSTMState>& children) {
  const char* name = "ChildSumTreeLSTMCell";
  check_input(name, input, input_size);
  REEL_CHECK(input.defined() || !children.empty(), "{}: a node needs an input x or at least one child", name);
  Tensor reference = input.defined() ? input : std::get<0>(children[0]);
  for (size_t k = 0; k < children.size(); ++k) {
    check_state(name, children[k], reference, hidden_size, fmt::format("child {}", k));
  }
  // x-side terms: [W_i x + b_i, W_o x + b_o, W_u x + b_u, W_f x + b_f], any of them possibly absent
  Tensor xg = input.defined() ? F::linear(input, weight_ih, bias) : bias;
  std::vector<Tensor> xs = xg.defined() ? xg.chunk(4, -1) : std::vector<Tensor>(4);
  Tensor pre_i = xs[0], pre_o = xs[1], pre_u = xs[2];
  Tensor c_children;  // Σ f_k ⊙ c_k
  if (!children.empty()) {
    std::vector<Tensor> hs, cs;
    for (const auto& [h, c] : children) hs.push_back(h), cs.push_back(c);
    const Tensor h_stack = stack(hs, 0), c_stack = stack(cs, 0);  // (K, N, hidden) or (K, hidden)
    const std::vector<Tensor> hg = F::linear(sum(h_stack, {0}), weight_hh).chunk(3, -1);  // U h̃
    pre_i = add_opt(pre_i, hg[0]), pre_o = add_opt(pre_o, hg[1]), pre_u = add_opt(pre_u, hg[2]);
    const Tensor f = sigmoid(add_opt(xs[3], F::linear(h_stack, weight_fh)));  // f_k, one per child
    c_children = sum(f * c_stack, {0});
  }
  const Tensor c = add_opt(sigmoid(pre_i) * tanh(pre_u), c_children);
  const Tensor h = sigmoid(pre_o) * tanh(c);
  return {h, c};
}

std::string ChildSumTreeLSTMCellImpl::extra_repr() const {
  return fmt::format("{}, {}", input_size, hidden_size) + (bias.defined() ? "" : ", bias=False");
}

// ---- BinaryTreeLSTMCell ---------------------------------------------------------------------------------------------

BinaryTreeLSTMCellImpl::BinaryTreeLSTMCellImpl(int64_t input_size_, int64_t hidden_size_, bool with_bias)
    : input_size(input_size_), hidden_size(hidden_size_) {
  check_sizes("BinaryTreeLSTMCell", input_size, hidden_size);
  weight_ih = register_parameter("weight_ih", empty({4 * hidden_size, input_size}));
  weight_hh_l = register_parameter("weight_hh_l", empty({5 * hidden_size, hidden_size}));
  weight_hh_r = register_parameter("weight_hh_r", empty({5 * hidden_size, hidden_size}));
  if (with_bias) bias = register_parameter("bias", empty({4 * hidden_size}));
  reset_parameters();
}

void BinaryTreeLSTMCellImpl::reset_parameters() { init_tree(*this, hidden_size); }

// leaf: [i f o u] = W x + b; c = σ(i) tanh(u); h = σ(o) tanh(c) (a fused node with no children)
LSTMState BinaryTreeLSTMCellImpl::forward(const Tensor& input) {
  const char* name = "BinaryTreeLSTMCell";
  REEL_CHECK(input.defined(), "{}: a leaf needs an input x", name);
  check_input(name, input, input_size);
  auto [h, c, workspace] = _fused_tree_lstm_cell(F::linear(input, weight_ih), Tensor(), bias, {});
  return {h, c};
}

// [i f_l f_r o u] = [W_i W_f W_f W_o W_u] x + b + U^l h_l + U^r h_r; c = σ(i) tanh(u) + σ(f_l) c_l + σ(f_r) c_r
// (one fused node with two children: the x side and bias [i f o u] serve both forget gates)
LSTMState BinaryTreeLSTMCellImpl::forward(const Tensor& input, const LSTMState& left, const LSTMState& right) {
  const char* name = "BinaryTreeLSTMCell";
  check_input(name, input, input_size);
  check_state(name, left, input, hidden_size, "left child");
  check_state(name, right, input.defined() ? input : std::get<0>(left), hidden_size, "right child");
  const auto& [h_l, c_l] = left;
  const auto& [h_r, c_r] = right;
  const Tensor hg = F::linear(h_l, weight_hh_l) + F::linear(h_r, weight_hh_r);  // [i f_l f_r o u]
  const Tensor xg = input.defined() ? F::linear(input, weight_ih) : Tensor();       // [i f o u], f shared
  auto [h, c, workspace] = _fused_tree_lstm_cell(xg, hg, bias, {c_l, c_r});
  return {h, c};
}

std::string BinaryTreeLSTMCellImpl::extra_repr() const {
  return fmt::format("{}, {}", input_size, hidden_size) + (bias.defined() ? "" : ", bias=False");
}

}  // namespace reel::nn
