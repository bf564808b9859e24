// reel/nn/attention.h — MultiheadAttention and TransformerEncoderLayer, with PyTorch's parameters, names,
// initialisation, forward semantics and printing.
//
//   reel::nn::MultiheadAttention mha(/*embed_dim=*/8, /*num_heads=*/2);
//   auto [out, weights] = mha(q, k, v);              // out [L, N, E], weights [N, L, S] (mean over heads)
//   reel::nn::TransformerEncoderLayer layer(8, 2, /*dim_feedforward=*/32);
//   reel::Tensor y = layer(src);                     // src [S, N, E] (or [N, S, E] with batch_first)
//
// Masks follow PyTorch: a bool mask marks positions to ignore with true; a float mask is added to the scores.
// attn_mask is [L, S] or [N * num_heads, L, S]; key_padding_mask is [N, S]. Unbatched inputs ([L, E]) are
// accepted and give unbatched outputs.
#pragma once

#include <string>
#include <tuple>

#include "linear.h"
#include "module.h"
#include "normalization.h"

namespace reel::nn {

// y = concat_h(softmax(Q_h K_h^T / sqrt(head_dim) + mask) V_h) W_o^T + b_o, with Q = q W_q^T + b_q (K, V alike)
// and W_q, W_k, W_v the three row blocks of in_proj_weight [3E, E].
class MultiheadAttentionImpl : public Cloneable<MultiheadAttentionImpl> {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                         bool batch_first = false);
  // in_proj_weight ~ xavier_uniform_, in_proj_bias = 0, out_proj.bias = 0 (out_proj.weight keeps Linear's init)
  void reset_parameters();
  // Returns (attn_output [L, N, E] or [N, L, E] with batch_first, attn_weights [N, L, S] averaged over heads or
  // [N, H, L, S]; undefined when !need_weights). Weights are those applied to V, i.e. after dropout in training.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = {}, bool need_weights = true,
                                     const Tensor& attn_mask = {}, bool average_attn_weights = true);

  int64_t embed_dim, num_heads, head_dim;
  double dropout;
  bool batch_first;
  Tensor in_proj_weight, in_proj_bias;  // in_proj_bias undefined with bias=false
  Linear out_proj{nullptr};
};
REEL_MODULE(MultiheadAttention);

// Post-norm (default): x = norm1(x + sa(x)); x = norm2(x + ff(x)). Pre-norm (norm_first):
// x = x + sa(norm1(x)); x = x + ff(norm2(x)). sa(x) = dropout1(self_attn(x, x, x)), ff(x) =
// dropout2(linear2(dropout(activation(linear1(x))))).
class TransformerEncoderLayerImpl : public Cloneable<TransformerEncoderLayerImpl> {
 public:
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward = 2048, double dropout = 0.1,
                              std::string activation = "relu", double layer_norm_eps = 1e-5,
                              bool batch_first = false, bool norm_first = false);
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {});

  std::string activation;  // "relu" or "gelu"
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
