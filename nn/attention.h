// reel/nn/attention.h — MultiheadAttention and TransformerEncoderLayer with their LibTorch options, PyTorch's
// parameters, names, initialisation, forward semantics and printing (the stacks are in nn/transformer.h).
//
//   reel::nn::MultiheadAttention mha(/*embed_dim=*/8, /*num_heads=*/2);
//   reel::nn::MultiheadAttention mha2(reel::nn::MultiheadAttentionOptions(8, 2).kdim(6).vdim(4).add_bias_kv(true));
//   auto [out, weights] = mha(q, k, v);              // out [L, N, E], weights [N, L, S] (mean over heads)
//   reel::nn::TransformerEncoderLayer layer(reel::nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(32));
//   reel::Tensor y = layer(src);                     // src [S, N, E] (or [N, S, E] with batch_first)
//
// Masks follow PyTorch: a bool mask marks positions to ignore with true; a float mask is added to the scores.
// attn_mask is [L, S] or [N * num_heads, L, S]; key_padding_mask is [N, S]. Unbatched inputs ([L, E]) are
// accepted and give unbatched outputs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include "../tensor/callback.h"
#include "arg.h"
#include "enum.h"
#include "linear.h"
#include "module.h"
#include "normalization.h"

namespace reel::nn {

// LibTorch's MultiheadAttentionOptions(embed_dim, num_heads), with Python's batch_first besides.
struct MultiheadAttentionOptions {
  MultiheadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads), kdim_(embed_dim), vdim_(embed_dim) {}
  REEL_ARG(int64_t, embed_dim);
  REEL_ARG(int64_t, num_heads);
  REEL_ARG(double, dropout) = 0.0;
  REEL_ARG(bool, bias) = true;
  // learnt bias_k, bias_v [1, 1, E] appended to the projected keys and values as one more position
  REEL_ARG(bool, add_bias_kv) = false;
  // a zero key and value appended (after the projections) as one more position
  REEL_ARG(bool, add_zero_attn) = false;
  REEL_ARG(int64_t, kdim);  // features of key (default embed_dim)
  REEL_ARG(int64_t, vdim);  // features of value (default embed_dim)
  REEL_ARG(bool, batch_first) = false;
};

// y = concat_h(softmax(Q_h K_h^T / sqrt(head_dim) + mask) V_h) W_o^T + b_o, with Q = q W_q^T + b_q (K, V alike)
// and W_q, W_k, W_v the three row blocks of in_proj_weight [3E, E] (or q/k/v_proj_weight when kdim or vdim differ
// from embed_dim).
class MultiheadAttentionImpl : public Cloneable<MultiheadAttentionImpl> {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                         bool batch_first = false);
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions& options);
  // in_proj_weight (or q/k/v_proj_weight) ~ xavier_uniform_, in_proj_bias = 0, out_proj.bias = 0 (out_proj.weight
  // keeps Linear's init), bias_k, bias_v ~ xavier_normal_
  void reset_parameters();
  // Returns (attn_output [L, N, E] or [N, L, E] with batch_first, attn_weights [N, L, S] averaged over heads or
  // [N, H, L, S]; undefined when !need_weights). Weights are those applied to V, i.e. after dropout in training.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = {}, bool need_weights = true,
                                     const Tensor& attn_mask = {}, bool average_attn_weights = true);

  MultiheadAttentionOptions options;
  int64_t embed_dim, num_heads, head_dim;
  double dropout;
  bool batch_first;
  // in_proj_weight [3E, E] when kdim == vdim == embed_dim, else q_proj_weight [E, E], k_proj_weight [E, kdim],
  // v_proj_weight [E, vdim]; the others undefined. in_proj_bias [3E] undefined with bias=false.
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  Tensor bias_k, bias_v;  // [1, 1, E] with add_bias_kv, else undefined
  Linear out_proj{nullptr};

 private:
  void build();
};
REEL_MODULE(MultiheadAttention);

// The activation of a Transformer layer's feed-forward block: reel::kReLU (the default), reel::kGELU, "relu",
// "gelu", or any Tensor -> Tensor function (LibTorch's activation_t).
class TransformerActivation {
 public:
  TransformerActivation(enumtype::kReLU) : name_("relu") {}  // NOLINT: implicit, as LibTorch's variant
  TransformerActivation(enumtype::kGELU) : name_("gelu") {}  // NOLINT
  TransformerActivation(std::string name);                   // NOLINT: "relu" or "gelu", else reel::Error
  TransformerActivation(const char* name) : TransformerActivation(std::string(name)) {}  // NOLINT
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, TransformerActivation> && !std::is_convertible_v<F, std::string> &&
             std::is_invocable_r_v<Tensor, const std::decay_t<F>&, const Tensor&>)
  TransformerActivation(F&& function)  // NOLINT: implicit, as LibTorch's variant
      : name_("custom"), function_(std::forward<F>(function)) {}
  // "relu", "gelu" or "custom"
  const std::string& name() const { return name_; }
  Tensor operator()(const Tensor& x) const;

 private:
  std::string name_;
  Callback<Tensor(const Tensor&)> function_;
};

// LibTorch's TransformerEncoderLayerOptions(d_model, nhead), with Python's layer_norm_eps, batch_first and
// norm_first besides.
struct TransformerEncoderLayerOptions {
  TransformerEncoderLayerOptions(int64_t d_model, int64_t nhead) : d_model_(d_model), nhead_(nhead) {}
  REEL_ARG(int64_t, d_model);
  REEL_ARG(int64_t, nhead);
  REEL_ARG(int64_t, dim_feedforward) = 2048;
  REEL_ARG(double, dropout) = 0.1;
  REEL_ARG(TransformerActivation, activation) = enumtype::kReLU{};
  REEL_ARG(double, layer_norm_eps) = 1e-5;
  REEL_ARG(bool, batch_first) = false;
  REEL_ARG(bool, norm_first) = false;
};

// Post-norm (default): x = norm1(x + sa(x)); x = norm2(x + ff(x)). Pre-norm (norm_first):
// x = x + sa(norm1(x)); x = x + ff(norm2(x)). sa(x) = dropout1(self_attn(x, x, x)), ff(x) =
// dropout2(linear2(dropout(activation(linear1(x))))).
class TransformerEncoderLayerImpl : public Cloneable<TransformerEncoderLayerImpl> {
 public:
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                              std::string activation = "relu", double layer_norm_eps = 1e-5,
                              bool batch_first = false, bool norm_first = false);
  explicit TransformerEncoderLayerImpl(const TransformerEncoderLayerOptions& options);
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {});

  TransformerEncoderLayerOptions options;
  std::string activation;  // "relu", "gelu" or "custom"
  bool norm_first;
  MultiheadAttention self_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr};

 private:
  Tensor sa_block(const Tensor& x, const Tensor& attn_mask, const Tensor& key_padding_mask);
  Tensor ff_block(const Tensor& x);
};
REEL_MODULE(TransformerEncoderLayer);

}  // namespace reel::nn
