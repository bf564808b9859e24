// reel/onnx/lower_attention.cpp — ONNX lowerings of MultiheadAttention and TransformerEncoderLayer, written out of
// MatMul, Reshape, Transpose, Softmax and ReduceMean (opset 17 has no attention operator), as torch.onnx exports
// the math path of scaled dot-product attention.
//
// With E = embed_dim, H heads of D = E / H features, queries [L, N, E] and keys / values [S, N, E] (or [N, L, E]
// with batch_first; an unbatched [L, E] is a batch of one):
//   Q = q W_q^T + b_q, K, V alike;  Q_h = Q as [N, H, L, D] (Reshape [0, 0, H, D] then Transpose: the batch and
//   sequence dims are copied, so they may be dynamic), K_h^T [N, H, D, S], V_h [N, H, S, D]
//   A = softmax(Q_h K_h^T * (1 / sqrt D)) [N, H, L, S];  O = A V_h back to [L, N, E];  y = O W_o^T + b_o
//   weights = mean over the heads of A: [N, L, S]
// Masks, add_bias_kv and add_zero_attn are not exported (they throw).
#include <cmath>

#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/functional.h"
#include "onnx/lowering.h"
#include "tensor/ops.h"

namespace reel::onnx::detail {

namespace {

using A = Attribute;

// x W^T + b with W^T as an initializer
std::string project(Lowering& L, const std::string& x, const Tensor& weight, const Tensor& bias,
                    const std::string& name) {
  std::string y = L.node("MatMul", {x, L.param(name + "_weight_t", weight.detach().t().contiguous())});
  if (bias.defined()) y = L.node("Add", {y, L.param(name + "_bias", bias.detach())});
  return y;
}

struct AttentionValues {
  std::string output, weights;
};

// The attention of `m` on graph values q, k, v (batched, or unbatched when `unbatched`), as described at the top.
AttentionValues attention(nn::MultiheadAttentionImpl& m, Lowering& L, std::string q, std::string k, std::string v,
                          bool unbatched) {
  if (m.bias_k.defined())
    throw_unsupported(m, "add_bias_kv (a learnt key and value appended to every sequence) is not exported");
  if (m.options.add_zero_attn()) throw_unsupported(m, "add_zero_attn is not exported");
  const int64_t heads = m.num_heads, head_dim = m.head_dim, embed = m.embed_dim;
  const bool batch_first = m.batch_first || unbatched;
  if (unbatched) {
    const std::string axes = L.int64s("axes", {0});
    const std::string q1 = L.node("Unsqueeze", {q, axes});
    const std::string k1 = k == q ? q1 : L.node("Unsqueeze", {k, axes});
    v = v == q ? q1 : v == k ? k1 : L.node("Unsqueeze", {v, axes});
    q = q1;
    k = k1;
  }
  std::vector<Tensor> w{m.q_proj_weight, m.k_proj_weight, m.v_proj_weight};
  if (m.in_proj_weight.defined()) w = m.in_proj_weight.detach().chunk(3, 0);
  std::vector<Tensor> b(3);
  if (m.in_proj_bias.defined()) b = m.in_proj_bias.detach().chunk(3, 0);
  const std::string split = L.int64s("heads_shape", {0, 0, heads, head_dim});
  // [seq, N, H, D] or [N, seq, H, D] -> [N, H, seq, D] (or [N, H, D, seq] for the keys)
  auto to_heads = [&](const std::string& x, bool keys) {
    const std::string h = L.node("Reshape", {x, split});
    std::vector<int64_t> perm = batch_first ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{1, 2, 0, 3};
    if (keys) std::swap(perm[2], perm[3]);
    return L.node("Transpose", {h}, {A::Ints("perm", perm)});
  };
  const std::string qh = to_heads(project(L, q, w[0], b[0], "q_proj"), false);
  const std::string kh = to_heads(project(L, k, w[1], b[1], "k_proj"), true);
  const std::string vh = to_heads(project(L, v, w[2], b[2], "v_proj"), false);
  const ScalarType dtype = m.out_proj->weight.dtype();
  const std::string scores = L.node(
      "Mul", {L.node("MatMul", {qh, kh}), L.scalar("scale", 1.0 / std::sqrt(static_cast<double>(head_dim)), dtype)});
  const std::string probs = L.node("Softmax", {scores}, {A::Int("axis", -1)});
  const std::string context = L.node("MatMul", {probs, vh});
  // [N, H, L, D] -> [L, N, H, D] (or [N, L, H, D]) -> [L, N, E]
  const std::vector<int64_t> back = batch_first ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{2, 0, 1, 3};
  const std::string merged = L.node(
      "Reshape", {L.node("Transpose", {context}, {A::Ints("perm", back)}), L.int64s("merged_shape", {0, 0, embed})});
  const std::string outer = L.scope;
  L.scope = outer.empty() ? "out_proj" : outer + ".out_proj";
  std::string output = L.node("MatMul", {merged, L.param("weight_t", m.out_proj->weight.detach().t().contiguous())});
  if (m.out_proj->bias.defined()) output = L.node("Add", {output, L.param("bias", m.out_proj->bias)});
  L.scope = outer;
  std::string weights = L.node("ReduceMean", {probs}, {A::Ints("axes", {1}), A::Int("keepdims", 0)});
  if (unbatched) {
    const std::string axes = L.int64s("axes", {0});
    output = L.node("Squeeze", {output, axes});
    weights = L.node("Squeeze", {weights, axes});
  }
  return {output, weights};
}

// Runs `module` (a child of an encoder layer) on a graph value under the child's scope.
std::vector<Value> child(Lowering& L, nn::Module& module, const std::string& name, const Value& x) {
  const std::string outer = L.scope;
  L.scope = outer.empty() ? name : outer + "." + name;
  std::vector<Value> y = lower_module(module, {x}, L);
  L.scope = outer;
  return y;
}

// x + y (same shapes)
Value add(Lowering& L, const Value& x, const Value& y) { return {L.node("Add", {x.name, y.name}), x.example + y.example}; }

}  // namespace

bool lower_attention(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  if (auto* m = module.as<nn::MultiheadAttentionImpl>()) {
    if (inputs.size() != 1 && inputs.size() != 3)
      throw_unsupported(module, "it takes (x) for self-attention or (query, key, value), got " +
                                    std::to_string(inputs.size()) + " inputs");
    const Value& q = inputs[0];
    const Value& k = inputs.size() == 3 ? inputs[1] : inputs[0];
    const Value& v = inputs.size() == 3 ? inputs[2] : inputs[0];
    auto [y, weights] = m->forward(q.example, k.example, v.example);
    const AttentionValues a = attention(*m, L, q.name, k.name, v.name, q.example.dim() == 2);
    out = {{a.output, y}, {a.weights, weights}};
    return true;
  }
  // post-norm: x = norm1(x + sa(x)); x = norm2(x + ff(x)); pre-norm: x = x + sa(norm1(x)); x = x + ff(norm2(x))
  // (sa = self-attention, ff = linear2(activation(linear1(x))); dropout is the identity in eval mode)
  if (auto* m = module.as<nn::TransformerEncoderLayerImpl>()) {
    if (m->activation == "custom")
      throw_unsupported(module, "a custom activation function is C++ code the exporter cannot see into");
    const Value& src = single_input(module, inputs);
    const Tensor expected = m->forward(src.example);
    auto sa = [&](const Value& x) {
      const std::string outer = L.scope;
      L.scope = outer.empty() ? "self_attn" : outer + ".self_attn";
      auto [y, weights] = m->self_attn->forward(x.example, x.example, x.example, {}, false);
      const AttentionValues a = attention(*m->self_attn, L, x.name, x.name, x.name, x.example.dim() == 2);
      L.scope = outer;
      return Value{a.output, y};
    };
    auto ff = [&](const Value& x) {
      Value h = child(L, *m->linear1.ptr(), "linear1", x)[0];
      const Tensor activated = m->activation == "relu" ? reel::relu(h.example) : nn::functional::gelu(h.example);
      if (m->activation == "relu") {
        h = {L.node("Relu", {h.name}), activated};
      } else {
        nn::GELU gelu;
        h = lower_module(*gelu.ptr(), {h}, L)[0];
      }
      return child(L, *m->linear2.ptr(), "linear2", h)[0];
    };
    Value x = src;
    if (m->norm_first) {
      x = add(L, x, sa(child(L, *m->norm1.ptr(), "norm1", x)[0]));
      x = add(L, x, ff(child(L, *m->norm2.ptr(), "norm2", x)[0]));
    } else {
      x = child(L, *m->norm1.ptr(), "norm1", add(L, x, sa(x)))[0];
      x = child(L, *m->norm2.ptr(), "norm2", add(L, x, ff(x)))[0];
    }
    out = {{x.name, expected}};
    return true;
  }
  return false;
}

}  // namespace reel::onnx::detail
