// reel/nn/attention.cpp — MultiheadAttention (scaled dot-product attention over num_heads heads, composed of
// reel ops so autograd differentiates it) and TransformerEncoderLayer (self-attention plus a feed-forward block,
// post- or pre-norm), following torch.nn.MultiheadAttention / torch.nn.TransformerEncoderLayer.
#include "nn/attention.h"

#include <cmath>
#include <limits>

#include "nn/functional.h"
#include "nn/init.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace F = functional;

namespace {

// scores + mask: bool masks set true positions to -inf, float masks are added.
Tensor apply_mask(const Tensor& scores, const Tensor& mask) {
  if (mask.dtype() == kBool) return scores.masked_fill(mask, -std::numeric_limits<double>::infinity());
  return scores + mask;
}

}  // namespace

// ---- MultiheadAttention -----------------------------------------------------------------------------------------

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t embed_dim_, int64_t num_heads_, double dropout_, bool bias,
                                               bool batch_first_)
    : embed_dim(embed_dim_), num_heads(num_heads_), head_dim(0), dropout(dropout_), batch_first(batch_first_) {
  REEL_CHECK(embed_dim > 0 && num_heads > 0,
             "MultiheadAttention: embed_dim and num_heads must be positive, got {} and {}", embed_dim, num_heads);
  REEL_CHECK(embed_dim % num_heads == 0, "MultiheadAttention: embed_dim ({}) must be divisible by num_heads ({})",
             embed_dim, num_heads);
  REEL_CHECK(dropout >= 0.0 && dropout <= 1.0, "MultiheadAttention: dropout has to be between 0 and 1, but got {}",
             dropout);
  head_dim = embed_dim / num_heads;
  in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}));
  if (bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * embed_dim}));
  out_proj = register_module("out_proj", Linear(embed_dim, embed_dim, bias));
  reset_parameters();
}

// W_in ~ U(+-sqrt(6 / (3E + E))), b_in = 0, b_out = 0
void MultiheadAttentionImpl::reset_parameters() {
  init::xavier_uniform_(in_proj_weight);
  if (in_proj_bias.defined()) init::zeros_(in_proj_bias);
  if (out_proj->bias.defined()) init::zeros_(out_proj->bias);
}

// out = concat_h(softmax(Q_h K_h^T / sqrt(d) + mask) V_h) W_o^T + b_o
std::tuple<Tensor, Tensor> MultiheadAttentionImpl::forward(const Tensor& query, const Tensor& key,
                                                           const Tensor& value, const Tensor& key_padding_mask,
                                                           bool need_weights, const Tensor& attn_mask,
                                                           bool average_attn_weights) {
  query.check_defined("MultiheadAttention");
  key.check_defined("MultiheadAttention");
  value.check_defined("MultiheadAttention");
  const int64_t rank = query.dim();
  REEL_CHECK(rank == 2 || rank == 3,
             "MultiheadAttention: query must be 2-D (unbatched) or 3-D (batched), got shape {}",
             shape_str(query.sizes()));
  REEL_CHECK(key.dim() == rank && value.dim() == rank,
             "MultiheadAttention: query, key and value must have the same rank, got shapes {}, {} and {}",
             shape_str(query.sizes()), shape_str(key.sizes()), shape_str(value.sizes()));
  REEL_CHECK(query.size(-1) == embed_dim && key.size(-1) == embed_dim && value.size(-1) == embed_dim,
             "MultiheadAttention: expected embed_dim {} as the last dim of query, key and value, got shapes {}, {} "
             "and {}",
             embed_dim, shape_str(query.sizes()), shape_str(key.sizes()), shape_str(value.sizes()));
  REEL_CHECK(key.sizes() == value.sizes(), "MultiheadAttention: key shape {} does not match value shape {}",
             shape_str(key.sizes()), shape_str(value.sizes()));
  const bool batched = rank == 3;
  // Work batch-first: q [N, L, E], k and v [N, S, E].
  auto to_nle = [&](const Tensor& t) { return !batched ? t.unsqueeze(0) : (batch_first ? t : t.transpose(0, 1)); };
  const Tensor q_in = to_nle(query), k_in = to_nle(key), v_in = to_nle(value);
  const int64_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1);
  REEL_CHECK(k_in.size(0) == n, "MultiheadAttention: query batch size {} does not match key batch size {}", n,
             k_in.size(0));

  // Q = q W_q^T + b_q (K, V alike), split into heads: [N, H, L or S, D]
  const std::vector<Tensor> w = in_proj_weight.chunk(3, 0);
  std::vector<Tensor> b(3);
  if (in_proj_bias.defined()) b = in_proj_bias.chunk(3, 0);
  auto heads = [&](const Tensor& t, int64_t len) { return t.reshape({n, len, num_heads, head_dim}).transpose(1, 2); };
  const Tensor q = heads(F::linear(q_in, w[0], b[0]), l);
  const Tensor k = heads(F::linear(k_in, w[1], b[1]), s);
  const Tensor v = heads(F::linear(v_in, w[2], b[2]), s);

  // scores = Q K^T / sqrt(D): [N, H, L, S]
  Tensor scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  if (attn_mask.defined()) {
    REEL_CHECK(attn_mask.dtype() == kBool || attn_mask.is_floating_point(),
               "MultiheadAttention: attn_mask must be bool or floating point, got {}", dtype_name(attn_mask.dtype()));
    if (attn_mask.dim() == 2) {
      REEL_CHECK(attn_mask.size(0) == l && attn_mask.size(1) == s,
                 "MultiheadAttention: the 2-D attn_mask should have shape [{}, {}], got {}", l, s,
                 shape_str(attn_mask.sizes()));
      scores = apply_mask(scores, attn_mask);
    } else {
      REEL_CHECK(attn_mask.dim() == 3 && attn_mask.size(0) == n * num_heads && attn_mask.size(1) == l &&
                     attn_mask.size(2) == s,
                 "MultiheadAttention: attn_mask should have shape [{}, {}] or [{}, {}, {}], got {}", l, s,
                 n * num_heads, l, s, shape_str(attn_mask.sizes()));
      scores = apply_mask(scores, attn_mask.reshape({n, num_heads, l, s}));
    }
  }
  if (key_padding_mask.defined()) {
    REEL_CHECK(key_padding_mask.dtype() == kBool || key_padding_mask.is_floating_point(),
               "MultiheadAttention: key_padding_mask must be bool or floating point, got {}",
               dtype_name(key_padding_mask.dtype()));
    const bool shape_ok = batched ? (key_padding_mask.dim() == 2 && key_padding_mask.size(0) == n &&
                                     key_padding_mask.size(1) == s)
                                  : (key_padding_mask.dim() == 1 && key_padding_mask.size(0) == s);
    REEL_CHECK(shape_ok, "MultiheadAttention: key_padding_mask should have shape {}, got {}",
               batched ? fmt::format("[{}, {}]", n, s) : fmt::format("[{}]", s), shape_str(key_padding_mask.sizes()));
    scores = apply_mask(scores, key_padding_mask.reshape({n, 1, 1, s}));
  }

  // A = dropout(softmax(scores)); out = A V merged over heads: [N, L, E]
  Tensor weights = softmax(scores, -1);
  if (dropout > 0.0 && is_training()) weights = F::dropout(weights, dropout, true);
  Tensor out = matmul(weights, v).transpose(1, 2).reshape({n, l, embed_dim});
  out = out_proj(out);
  out = !batched ? out.squeeze(0) : (batch_first ? out : out.transpose(0, 1));

  if (!need_weights) return {out, Tensor()};
  if (average_attn_weights) weights = weights.mean({1});  // [N, L, S]
  if (!batched) weights = weights.squeeze(0);
  return {out, weights};
}

// ---- TransformerEncoderLayer ------------------------------------------------------------------------------------

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                         double dropout_p, std::string activation_,
                                                         double layer_norm_eps, bool batch_first, bool norm_first_)
    : activation(std::move(activation_)), norm_first(norm_first_) {
  REEL_CHECK(activation == "relu" || activation == "gelu",
             "TransformerEncoderLayer: activation should be relu/gelu, not {}", activation);
  REEL_CHECK(dim_feedforward > 0, "TransformerEncoderLayer: dim_feedforward must be positive, got {}",
             dim_feedforward);
  self_attn = register_module("self_attn", MultiheadAttention(d_model, nhead, dropout_p, true, batch_first));
  linear1 = register_module("linear1", Linear(d_model, dim_feedforward));
  dropout = register_module("dropout", Dropout(dropout_p));
  linear2 = register_module("linear2", Linear(dim_feedforward, d_model));
  norm1 = register_module("norm1", LayerNorm(d_model, layer_norm_eps));
  norm2 = register_module("norm2", LayerNorm(d_model, layer_norm_eps));
  dropout1 = register_module("dropout1", Dropout(dropout_p));
  dropout2 = register_module("dropout2", Dropout(dropout_p));
}

// sa(x) = dropout1(self_attn(x, x, x))
Tensor TransformerEncoderLayerImpl::sa_block(const Tensor& x, const Tensor& attn_mask,
                                             const Tensor& key_padding_mask) {
  return dropout1(std::get<0>(self_attn(x, x, x, key_padding_mask, false, attn_mask)));
}

// ff(x) = dropout2(linear2(dropout(act(linear1(x)))))
Tensor TransformerEncoderLayerImpl::ff_block(const Tensor& x) {
  const Tensor h = linear1(x);
  return dropout2(linear2(dropout(activation == "relu" ? relu(h) : F::gelu(h))));
}

// post-norm: x = norm1(x + sa(x)), x = norm2(x + ff(x)); pre-norm: x = x + sa(norm1(x)), x = x + ff(norm2(x))
Tensor TransformerEncoderLayerImpl::forward(const Tensor& src, const Tensor& src_mask,
                                            const Tensor& src_key_padding_mask) {
  src.check_defined("TransformerEncoderLayer");
  Tensor x = src;
  if (norm_first) {
    x = x + sa_block(norm1(x), src_mask, src_key_padding_mask);
    x = x + ff_block(norm2(x));
  } else {
    x = norm1(x + sa_block(x, src_mask, src_key_padding_mask));
    x = norm2(x + ff_block(x));
  }
  return x;
}

}  // namespace reel::nn
