// reel/nn/attention.cpp — MultiheadAttention (scaled dot-product attention over num_heads heads, composed of
// reel ops so autograd differentiates it; separate k/v feature sizes, bias_k/bias_v and zero attention as
// options) and TransformerEncoderLayer (self-attention plus a feed-forward block, post- or pre-norm), following
// torch.nn.MultiheadAttention / torch.nn.TransformerEncoderLayer.
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
    : MultiheadAttentionImpl(
          MultiheadAttentionOptions(embed_dim_, num_heads_).dropout(dropout_).bias(bias).batch_first(batch_first_)) {}

MultiheadAttentionImpl::MultiheadAttentionImpl(const MultiheadAttentionOptions& options_)
    : Cloneable("MultiheadAttention"),
      options(options_),
      embed_dim(options_.embed_dim()),
      num_heads(options_.num_heads()),
      head_dim(0),
      dropout(options_.dropout()),
      batch_first(options_.batch_first()) {
  build();
}

void MultiheadAttentionImpl::build() {
  REEL_CHECK(embed_dim > 0 && num_heads > 0,
             "MultiheadAttention: embed_dim and num_heads must be positive, got {} and {}", embed_dim, num_heads);
  REEL_CHECK(embed_dim % num_heads == 0, "MultiheadAttention: embed_dim ({}) must be divisible by num_heads ({})",
             embed_dim, num_heads);
  REEL_CHECK(dropout >= 0.0 && dropout <= 1.0, "MultiheadAttention: dropout has to be between 0 and 1, but got {}",
             dropout);
  REEL_CHECK(options.kdim() > 0 && options.vdim() > 0, "MultiheadAttention: kdim and vdim must be positive, got {} and {}",
             options.kdim(), options.vdim());
  head_dim = embed_dim / num_heads;
  // PyTorch's registration order: the projection weights, in_proj_bias, out_proj, bias_k, bias_v
  if (options.kdim() == embed_dim && options.vdim() == embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({embed_dim, embed_dim}));
    k_proj_weight = register_parameter("k_proj_weight", empty({embed_dim, options.kdim()}));
    v_proj_weight = register_parameter("v_proj_weight", empty({embed_dim, options.vdim()}));
  }
  if (options.bias()) in_proj_bias = register_parameter("in_proj_bias", empty({3 * embed_dim}));
  out_proj = register_module("out_proj", Linear(embed_dim, embed_dim, options.bias()));
  if (options.add_bias_kv()) {
    bias_k = register_parameter("bias_k", empty({1, 1, embed_dim}));
    bias_v = register_parameter("bias_v", empty({1, 1, embed_dim}));
  }
  reset_parameters();
}

// W_in ~ U(+-sqrt(6 / (3E + E))) (each of W_q, W_k, W_v by its own fans when separate), b_in = 0, b_out = 0,
// bias_k, bias_v ~ N(0, 2 / (1 + E))
void MultiheadAttentionImpl::reset_parameters() {
  if (in_proj_weight.defined()) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) init::zeros_(in_proj_bias);
  if (out_proj->bias.defined()) init::zeros_(out_proj->bias);
  if (bias_k.defined()) init::xavier_normal_(bias_k);
  if (bias_v.defined()) init::xavier_normal_(bias_v);
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
  REEL_CHECK(query.size(-1) == embed_dim && key.size(-1) == options.kdim() && value.size(-1) == options.vdim(),
             "MultiheadAttention: expected the last dims of query, key and value to be embed_dim {}, kdim {} and "
             "vdim {}, got shapes {}, {} and {}",
             embed_dim, options.kdim(), options.vdim(), shape_str(query.sizes()), shape_str(key.sizes()),
             shape_str(value.sizes()));
  REEL_CHECK(key.sizes().vec() == value.sizes().vec() ||
                 (key.dim() == value.dim() && IntList(key.sizes().data(), key.sizes().size() - 1) ==
                                                  IntList(value.sizes().data(), value.sizes().size() - 1)),
             "MultiheadAttention: key shape {} does not match value shape {} before the feature dim",
             shape_str(key.sizes()), shape_str(value.sizes()));
  const bool batched = rank == 3;
  // Work batch-first: q [N, L, E], k and v [N, S, E].
  auto to_nle = [&](const Tensor& t) { return !batched ? t.unsqueeze(0) : (batch_first ? t : t.transpose(0, 1)); };
  const Tensor q_in = to_nle(query), k_in = to_nle(key), v_in = to_nle(value);
  const int64_t n = q_in.size(0), l = q_in.size(1), s_in = k_in.size(1);
  REEL_CHECK(k_in.size(0) == n, "MultiheadAttention: query batch size {} does not match key batch size {}", n,
             k_in.size(0));

  if (attn_mask.defined()) {
    REEL_CHECK(attn_mask.dtype() == kBool || attn_mask.is_floating_point(),
               "MultiheadAttention: attn_mask must be bool or floating point, got {}", dtype_name(attn_mask.dtype()));
    const bool shape_ok = (attn_mask.dim() == 2 && attn_mask.size(0) == l && attn_mask.size(1) == s_in) ||
                          (attn_mask.dim() == 3 && attn_mask.size(0) == n * num_heads && attn_mask.size(1) == l &&
                           attn_mask.size(2) == s_in);
    REEL_CHECK(shape_ok, "MultiheadAttention: attn_mask should have shape [{}, {}] or [{}, {}, {}], got {}", l, s_in,
               n * num_heads, l, s_in, shape_str(attn_mask.sizes()));
  }
  if (key_padding_mask.defined()) {
    REEL_CHECK(key_padding_mask.dtype() == kBool || key_padding_mask.is_floating_point(),
               "MultiheadAttention: key_padding_mask must be bool or floating point, got {}",
               dtype_name(key_padding_mask.dtype()));
    const bool shape_ok = batched ? (key_padding_mask.dim() == 2 && key_padding_mask.size(0) == n &&
                                     key_padding_mask.size(1) == s_in)
                                  : (key_padding_mask.dim() == 1 && key_padding_mask.size(0) == s_in);
    REEL_CHECK(shape_ok, "MultiheadAttention: key_padding_mask should have shape {}, got {}",
               batched ? fmt::format("[{}, {}]", n, s_in) : fmt::format("[{}]", s_in),
               shape_str(key_padding_mask.sizes()));
  }

  // Q = q W_q^T + b_q (K, V alike): [N, L or S, E]
  const std::vector<Tensor> w = in_proj_weight.defined() ? in_proj_weight.chunk(3, 0)
                                                          : std::vector<Tensor>{q_proj_weight, k_proj_weight, v_proj_weight};
  std::vector<Tensor> b(3);
  if (in_proj_bias.defined()) b = in_proj_bias.chunk(3, 0);
  Tensor q_proj = F::linear(q_in, w[0], b[0]);
  Tensor k_proj = F::linear(k_in, w[1], b[1]);
  Tensor v_proj = F::linear(v_in, w[2], b[2]);
  Tensor mask = attn_mask, padding = key_padding_mask;
  // one more key position per appended bias or zero: masks get a column that masks nothing
  auto pad_masks = [&] {
    if (mask.defined()) mask = cat({mask, zeros_like(mask.narrow(-1, 0, 1))}, -1);
    if (padding.defined()) padding = cat({padding, zeros_like(padding.narrow(-1, 0, 1))}, -1);
  };
  int64_t s = s_in;
  if (bias_k.defined()) {  // K = [K; b_k], V = [V; b_v]
    k_proj = cat({k_proj, bias_k.expand({n, 1, embed_dim})}, 1);
    v_proj = cat({v_proj, bias_v.expand({n, 1, embed_dim})}, 1);
    s += 1;
    pad_masks();
  }
  // split into heads: [N, H, L or S, D]
  auto heads = [&](const Tensor& t, int64_t len) { return t.reshape({n, len, num_heads, head_dim}).transpose(1, 2); };
  const Tensor q = heads(q_proj, l);
  Tensor k = heads(k_proj, s);
  Tensor v = heads(v_proj, s);
  if (options.add_zero_attn()) {  // K = [K; 0], V = [V; 0] per head
    k = cat({k, zeros({n, num_heads, 1, head_dim}, k.options())}, 2);
    v = cat({v, zeros({n, num_heads, 1, head_dim}, v.options())}, 2);
    s += 1;
    pad_masks();
  }

  // scores = Q K^T / sqrt(D) + masks: [N, H, L, S]
  Tensor scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  if (mask.defined()) scores = apply_mask(scores, mask.dim() == 2 ? mask : mask.reshape({n, num_heads, l, s}));
  if (padding.defined()) scores = apply_mask(scores, padding.reshape({n, 1, 1, s}));

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

// ---- TransformerActivation --------------------------------------------------------------------------------------

TransformerActivation::TransformerActivation(std::string name) : name_(std::move(name)) {
  REEL_CHECK(name_ == "relu" || name_ == "gelu",
             "TransformerEncoderLayer / TransformerDecoderLayer: activation should be relu/gelu, not {}", name_);
}

// relu(x), gelu(x) or f(x)
Tensor TransformerActivation::operator()(const Tensor& x) const {
  if (name_ == "relu") return relu(x);
  if (name_ == "gelu") return F::gelu(x);
  return function_(x);
}

// ---- TransformerEncoderLayer ------------------------------------------------------------------------------------

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead, int64_t dim_feedforward,
                                                         double dropout_p, std::string activation_,
                                                         double layer_norm_eps, bool batch_first, bool norm_first_)
    : TransformerEncoderLayerImpl(TransformerEncoderLayerOptions(d_model, nhead)
                                      .dim_feedforward(dim_feedforward)
                                      .dropout(dropout_p)
                                      .activation(TransformerActivation(std::move(activation_)))
                                      .layer_norm_eps(layer_norm_eps)
                                      .batch_first(batch_first)
                                      .norm_first(norm_first_)) {}

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerEncoderLayerOptions& options_)
    : Cloneable("TransformerEncoderLayer"),
      options(options_),
      activation(options_.activation().name()),
      norm_first(options_.norm_first()) {
  const int64_t d_model = options.d_model();
  REEL_CHECK(options.dim_feedforward() > 0, "TransformerEncoderLayer: dim_feedforward must be positive, got {}",
             options.dim_feedforward());
  self_attn = register_module(
      "self_attn", MultiheadAttention(MultiheadAttentionOptions(d_model, options.nhead())
                                          .dropout(options.dropout())
                                          .batch_first(options.batch_first())));
  linear1 = register_module("linear1", Linear(d_model, options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), d_model));
  norm1 = register_module("norm1", LayerNorm(d_model, options.layer_norm_eps()));
  norm2 = register_module("norm2", LayerNorm(d_model, options.layer_norm_eps()));
  dropout1 = register_module("dropout1", Dropout(options.dropout()));
  dropout2 = register_module("dropout2", Dropout(options.dropout()));
}

// sa(x) = dropout1(self_attn(x, x, x))
Tensor TransformerEncoderLayerImpl::sa_block(const Tensor& x, const Tensor& attn_mask,
                                             const Tensor& key_padding_mask) {
  return dropout1(std::get<0>(self_attn(x, x, x, key_padding_mask, false, attn_mask)));
}

// ff(x) = dropout2(linear2(dropout(act(linear1(x)))))
Tensor TransformerEncoderLayerImpl::ff_block(const Tensor& x) {
  return dropout2(linear2(dropout(options.activation()(linear1(x)))));
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
