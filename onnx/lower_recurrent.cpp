// reel/onnx/lower_recurrent.cpp — ONNX lowerings of the multi-step recurrent layers RNN, LSTM and GRU: one ONNX
// RNN / LSTM / GRU node per layer (each direction inside it), as torch.onnx exports them.
//
// Layouts. ONNX takes X (T, N, in), W [D, G H, in], R [D, G H, H], B [D, 2 G H] (input biases, then recurrent
// ones), initial_h / initial_c [D, N, H], and returns Y (T, D, N, H), Y_h and Y_c [D, N, H]. The gate blocks are
// ordered differently: PyTorch's LSTM stacks i, f, g, o and ONNX's i, o, f, c (c is PyTorch's g); PyTorch's GRU
// stacks r, z, n and ONNX's z, r, h, whose linear_before_reset=1 is PyTorch's n = tanh(W_in x + b_in + r (W_hn h +
// b_hn)). The weights are permuted here, once, into initializers. Between layers Y becomes the next X: Squeeze of
// the direction axis (one direction), or Transpose to (T, N, D, H) and Reshape to (T, N, D H) (two directions).
// batch_first inputs are transposed to time-major before the first layer and back after the last; h_n / c_n are
// the layers' Y_h / Y_c concatenated along axis 0.
#include "nn/recurrent.h"
#include "onnx/lowering.h"
#include "tensor/ops.h"

namespace reel::onnx::detail {

namespace {

using A = Attribute;
using Mode = nn::RNNBaseImpl::Mode;

// The gate blocks of `w` (rows, or entries of a bias) taken in `order`: block k of the result is block order[k].
Tensor permute_gates(const Tensor& w, const std::vector<int64_t>& order) {
  const std::vector<Tensor> blocks = w.detach().chunk(static_cast<int64_t>(order.size()), 0);
  std::vector<Tensor> permuted;
  for (int64_t k : order) permuted.push_back(blocks[static_cast<size_t>(k)]);
  return reel::cat(permuted, 0);
}

// Runs the layer's own forward: (output, h_n, c_n), c_n undefined but for LSTM.
std::vector<Tensor> run_layer(nn::RNNBaseImpl& base, const std::vector<Value>& inputs) {
  const Tensor h0 = inputs.size() > 1 ? inputs[1].example : Tensor();
  if (auto* lstm = base.as<nn::LSTMImpl>()) {
    std::optional<nn::LSTMState> state;
    if (inputs.size() == 3) state = nn::LSTMState{inputs[1].example, inputs[2].example};
    auto [y, hc] = lstm->forward(inputs[0].example, state);
    return {y, std::get<0>(hc), std::get<1>(hc)};
  }
  if (auto* gru = base.as<nn::GRUImpl>()) {
    auto [y, h] = gru->forward(inputs[0].example, h0);
    return {y, h};
  }
  auto* rnn = base.as<nn::RNNImpl>();
  if (rnn == nullptr) throw_unsupported(base, "it is a recurrent layer the exporter does not know");
  auto [y, h] = rnn->forward(inputs[0].example, h0);
  return {y, h};
}

}  // namespace

bool lower_recurrent(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  auto* base = module.as<nn::RNNBaseImpl>();
  if (base == nullptr) return false;
  const nn::RNNOptions& o = base->options;
  const bool lstm = base->mode == Mode::LSTM;
  if (o.proj_size() > 0)
    throw_unsupported(module, "proj_size: ONNX's LSTM has no projection of the hidden state");
  const size_t max_inputs = lstm ? 3 : 2;
  if (inputs.size() != 1 && inputs.size() != max_inputs)
    throw_unsupported(module, std::string("it takes ") + (lstm ? "(x) or (x, h_0, c_0)" : "(x) or (x, h_0)") +
                                  ", got " + std::to_string(inputs.size()) + " inputs");
  if (inputs[0].example.dim() != 3)
    throw_unsupported(module, "an unbatched input (shape " + shape_str(inputs[0].example.sizes()) +
                                  ") is not exported: give it a batch dim");
  const std::vector<Tensor> examples = run_layer(*base, inputs);

  const int64_t layers = o.num_layers(), directions = o.bidirectional() ? 2 : 1, hidden = o.hidden_size();
  std::string op_type = "RNN";
  std::vector<int64_t> order{0};
  if (lstm) {
    op_type = "LSTM";
    order = {0, 3, 1, 2};  // (i, f, g, o) -> (i, o, f, c)
  } else if (base->mode == Mode::GRU) {
    op_type = "GRU";
    order = {1, 0, 2};  // (r, z, n) -> (z, r, h)
  }
  if (wrong_gate_order_for_testing())
    for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);

  std::string x = inputs[0].name;
  if (o.batch_first()) x = L.node("Transpose", {x}, {A::Ints("perm", {1, 0, 2})});
  std::vector<std::string> h_n, c_n;
  for (int64_t layer = 0; layer < layers; ++layer) {
    std::vector<Tensor> w, r, b;
    for (int64_t d = 0; d < directions; ++d) {
      const std::vector<Tensor>& p = base->all_weights[static_cast<size_t>(layer * directions + d)];
      w.push_back(permute_gates(p[0], order));
      r.push_back(permute_gates(p[1], order));
      if (o.bias()) b.push_back(reel::cat({permute_gates(p[2], order), permute_gates(p[3], order)}, 0));
    }
    const std::string suffix = "_l" + std::to_string(layer);
    std::vector<std::string> node_inputs{x, L.param("W" + suffix, reel::stack(w, 0)),
                                         L.param("R" + suffix, reel::stack(r, 0)),
                                         o.bias() ? L.param("B" + suffix, reel::stack(b, 0)) : std::string(), ""};
    // this layer's slice of h_0 (and c_0): rows layer D .. (layer + 1) D
    for (size_t k = 1; k < inputs.size(); ++k)
      node_inputs.push_back(L.node("Slice", {inputs[k].name, L.int64s("starts", {layer * directions}),
                                             L.int64s("ends", {(layer + 1) * directions}), L.int64s("axes", {0})}));
    while (node_inputs.back().empty()) node_inputs.pop_back();
    std::vector<Attribute> attrs{A::Int("hidden_size", hidden),
                                 A::String("direction", directions == 2 ? "bidirectional" : "forward")};
    if (base->mode == Mode::GRU) attrs.push_back(A::Int("linear_before_reset", 1));
    if (base->mode == Mode::RNN_TANH || base->mode == Mode::RNN_RELU)
      attrs.push_back(A::Strings(
          "activations", std::vector<std::string>(static_cast<size_t>(directions),
                                                  base->mode == Mode::RNN_RELU ? "Relu" : "Tanh")));
    const auto outs = L.nodes(op_type, std::move(node_inputs), std::move(attrs), lstm ? 3 : 2);
    // Y (T, D, N, H) -> (T, N, D H)
    if (directions == 1) {
      x = L.node("Squeeze", {outs[0], L.int64s("axes", {1})});
    } else {
      const std::string t = L.node("Transpose", {outs[0]}, {A::Ints("perm", {0, 2, 1, 3})});
      x = L.node("Reshape", {t, L.int64s("shape", {0, 0, -1})});
    }
    h_n.push_back(outs[1]);
    if (lstm) c_n.push_back(outs[2]);
  }
  if (o.batch_first()) x = L.node("Transpose", {x}, {A::Ints("perm", {1, 0, 2})});
  auto concat = [&](const std::vector<std::string>& states) {
    return states.size() == 1 ? states[0] : L.node("Concat", states, {A::Int("axis", 0)});
  };
  out = {{x, examples[0]}, {concat(h_n), examples[1]}};
  if (lstm) out.push_back({concat(c_n), examples[2]});
  return true;
}

}  // namespace reel::onnx::detail
