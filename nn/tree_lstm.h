// reel/nn/tree_lstm.h — the Tree-LSTM cells of Tai, Socher and Manning (2015), "Improved Semantic Representations
// From Tree-Structured Long Short-Term Memory Networks": ChildSumTreeLSTMCell (any number of unordered children,
// dependency trees) and BinaryTreeLSTMCell (the N-ary Tree-LSTM with N = 2, ordered left/right children,
// constituency trees). A tree is evaluated bottom-up by calling the cell once per node with its children's states:
//
//   reel::nn::BinaryTreeLSTMCell cell(300, 150);
//   auto left = cell(x_a), right = cell(x_b);                // leaves: (h, c) from the word vectors
//   auto [h, c] = cell(reel::Tensor(), left, right);         // inner node, no input of its own
//
// States are (h, c), each (N, hidden) or unbatched (hidden); x is (N, input_size) or (input_size). PyTorch has no
// such modules; the parameters start as its recurrent cells' do, U(-1/sqrt(hidden), 1/sqrt(hidden)).
#pragma once

#include <tuple>
#include <vector>

#include "module.h"
#include "recurrent.h"

namespace reel::nn {

// Child-Sum Tree-LSTM, for node j with input x and children k = 1..K (K = 0 for a leaf):
//   h̃ = Σ_k h_k
//   i = σ(W_i x + U_i h̃ + b_i),  o = σ(W_o x + U_o h̃ + b_o),  u = tanh(W_u x + U_u h̃ + b_u)
//   f_k = σ(W_f x + U_f h_k + b_f)                        (one forget gate per child)
//   c = i ⊙ u + Σ_k f_k ⊙ c_k,  h = o ⊙ tanh(c)
// weight_ih [4 hidden, input] stacks W_i, W_o, W_u, W_f; weight_hh [3 hidden, hidden] stacks U_i, U_o, U_u;
// weight_fh [hidden, hidden] is U_f; bias [4 hidden] stacks b_i, b_o, b_u, b_f.
class ChildSumTreeLSTMCellImpl : public Cloneable<ChildSumTreeLSTMCellImpl> {
 public:
  ChildSumTreeLSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true);
  // every parameter ~ U(+-1/sqrt(hidden_size))
  void reset_parameters();
  // x may be undefined (a node without input) when there is at least one child.
  LSTMState forward(const Tensor& input, const std::vector<LSTMState>& children = {});
  std::string extra_repr() const override;

  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, weight_fh, bias;  // bias undefined when bias=false
};
REEL_MODULE(ChildSumTreeLSTMCell);

// Binary (N-ary, N = 2) Tree-LSTM, for node j with input x and children (h_l, c_l), (h_r, c_r):
//   i   = σ(W_i x + U_i^l h_l + U_i^r h_r + b_i)
//   f_l = σ(W_f x + U_{f,l}^l h_l + U_{f,l}^r h_r + b_f),  f_r = σ(W_f x + U_{f,r}^l h_l + U_{f,r}^r h_r + b_f)
//   o   = σ(W_o x + U_o^l h_l + U_o^r h_r + b_o),  u = tanh(W_u x + U_u^l h_l + U_u^r h_r + b_u)
//   c = i ⊙ u + f_l ⊙ c_l + f_r ⊙ c_r,  h = o ⊙ tanh(c)
// A leaf has no children (their states are zero): c = i ⊙ u, h = o ⊙ tanh(c) from x alone. Inner nodes of a
// constituency tree have no x: pass an undefined tensor and the W x terms drop out.
// weight_ih [4 hidden, input] stacks W_i, W_f, W_o, W_u; bias [4 hidden] stacks b_i, b_f, b_o, b_u;
// weight_hh_l and weight_hh_r [5 hidden, hidden] stack U_i, U_{f,l}, U_{f,r}, U_o, U_u for the left / right child.
class BinaryTreeLSTMCellImpl : public Cloneable<BinaryTreeLSTMCellImpl> {
 public:
  BinaryTreeLSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true);
  void reset_parameters();
  // A leaf, from x.
  LSTMState forward(const Tensor& input);
  // An inner node from its children; x may be undefined.
  LSTMState forward(const Tensor& input, const LSTMState& left, const LSTMState& right);
  std::string extra_repr() const override;

  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh_l, weight_hh_r, bias;
};
REEL_MODULE(BinaryTreeLSTMCell);

}  // namespace reel::nn
