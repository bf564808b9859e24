// reel/nn/transformer.cpp — TransformerDecoderLayer, the encoder and decoder stacks and Transformer, composed of
// MultiheadAttention, Linear, Dropout and LayerNorm (so autograd differentiates them), following
// torch.nn.TransformerDecoderLayer / TransformerEncoder / TransformerDecoder / Transformer.
#include "nn/transformer.h"

#include <limits>

#include "nn/init.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::nn {

// ---- TransformerDecoderLayer ------------------------------------------------------------------------------------

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(const TransformerDecoderLayerOptions& options_)
    : Cloneable("TransformerDecoderLayer"), options(options_) {
  const int64_t d_model = options.d_model();
  REEL_CHECK(options.dim_feedforward() > 0, "TransformerDecoderLayer: dim_feedforward must be positive, got {}",
             options.dim_feedforward());
  auto attention = [&] {
    return MultiheadAttention(
        MultiheadAttentionOptions(d_model, options.nhead()).dropout(options.dropout()).batch_first(options.batch_first()));
  };
  // PyTorch's registration order
  self_attn = register_module("self_attn", attention());
  multihead_attn = register_module("multihead_attn", attention());
  linear1 = register_module("linear1", Linear(d_model, options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), d_model));
  norm1 = register_module("norm1", LayerNorm(d_model, options.layer_norm_eps()));
  norm2 = register_module("norm2", LayerNorm(d_model, options.layer_norm_eps()));
  norm3 = register_module("norm3", LayerNorm(d_model, options.layer_norm_eps()));
  dropout1 = register_module("dropout1", Dropout(options.dropout()));
  dropout2 = register_module("dropout2", Dropout(options.dropout()));
  dropout3 = register_module("dropout3", Dropout(options.dropout()));
}

// post-norm: x = norm1(x + sa(x)), x = norm2(x + mha(x, m)), x = norm3(x + ff(x)); pre-norm: the norms inside
Tensor TransformerDecoderLayerImpl::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                            const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                            const Tensor& memory_key_padding_mask) {
  tgt.check_defined("TransformerDecoderLayer");
  memory.check_defined("TransformerDecoderLayer");
  // sa(x) = dropout1(self_attn(x, x, x)); mha(x) = dropout2(multihead_attn(x, m, m));
  // ff(x) = dropout3(linear2(dropout(act(linear1(x)))))
  auto sa = [&](const Tensor& x) {
    return dropout1(std::get<0>(self_attn(x, x, x, tgt_key_padding_mask, false, tgt_mask)));
  };
  auto mha = [&](const Tensor& x) {
    return dropout2(std::get<0>(multihead_attn(x, memory, memory, memory_key_padding_mask, false, memory_mask)));
  };
  auto ff = [&](const Tensor& x) { return dropout3(linear2(dropout(options.activation()(linear1(x))))); };
  Tensor x = tgt;
  if (options.norm_first()) {
    x = x + sa(norm1(x));
    x = x + mha(norm2(x));
    x = x + ff(norm3(x));
  } else {
    x = norm1(x + sa(x));
    x = norm2(x + mha(x));
    x = norm3(x + ff(x));
  }
  return x;
}

// ---- TransformerEncoder / TransformerDecoder ----------------------------------------------------------------------

namespace {

// layers = ModuleList(clone(layer) for i in range(num_layers)); norm = clone(norm) registered as "norm"
template <typename Layer>
void build_stack(Module& owner, const char* name, const Layer& layer, int64_t num_layers, const AnyModule& norm_in,
                 ModuleList& layers, AnyModule& norm) {
  REEL_CHECK(!layer.is_empty(), "{}: the layer to repeat is empty", name);
  REEL_CHECK(num_layers >= 0, "{}: num_layers must be non-negative, got {}", name, num_layers);
  layers = ModuleList();
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(layer->clone());
  owner.register_module("layers", layers);
  if (!norm_in.is_empty()) {
    norm = norm_in.clone();
    owner.register_module("norm", norm.ptr());
  }
}

}  // namespace

TransformerEncoderImpl::TransformerEncoderImpl(TransformerEncoderOptions options_)
    : Cloneable("TransformerEncoder"), options(std::move(options_)) {
  build_stack(*this, "TransformerEncoder", options.encoder_layer(), options.num_layers(), options.norm(), layers, norm);
}

// x = norm(layer_{n-1}(...layer_0(src)))
Tensor TransformerEncoderImpl::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask) {
  src.check_defined("TransformerEncoder");
  Tensor x = src;
  for (const auto& layer : *layers)
    x = static_cast<TransformerEncoderLayerImpl&>(*layer).forward(x, src_mask, src_key_padding_mask);
  if (!norm.is_empty()) x = norm.forward(x);
  return x;
}

TransformerDecoderImpl::TransformerDecoderImpl(TransformerDecoderOptions options_)
    : Cloneable("TransformerDecoder"), options(std::move(options_)) {
  build_stack(*this, "TransformerDecoder", options.decoder_layer(), options.num_layers(), options.norm(), layers, norm);
}

// x = norm(layer_{n-1}(...layer_0(tgt, memory)..., memory))
Tensor TransformerDecoderImpl::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                       const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                       const Tensor& memory_key_padding_mask) {
  tgt.check_defined("TransformerDecoder");
  Tensor x = tgt;
  for (const auto& layer : *layers)
    x = static_cast<TransformerDecoderLayerImpl&>(*layer).forward(x, memory, tgt_mask, memory_mask,
                                                                  tgt_key_padding_mask, memory_key_padding_mask);
  if (!norm.is_empty()) x = norm.forward(x);
  return x;
}

// ---- Transformer ------------------------------------------------------------------------------------------------

TransformerImpl::TransformerImpl(TransformerOptions options_)
    : Cloneable("Transformer"), options(std::move(options_)) {
  const int64_t d_model = options.d_model();
  if (options.custom_encoder().is_empty()) {
    TransformerEncoderLayer layer(TransformerEncoderLayerOptions(d_model, options.nhead())
                                      .dim_feedforward(options.dim_feedforward())
                                      .dropout(options.dropout())
                                      .activation(options.activation())
                                      .layer_norm_eps(options.layer_norm_eps())
                                      .batch_first(options.batch_first())
                                      .norm_first(options.norm_first()));
    encoder = AnyModule(TransformerEncoder(TransformerEncoderOptions(layer, options.num_encoder_layers())
                                               .norm(AnyModule(LayerNorm(d_model, options.layer_norm_eps())))));
  } else {
    encoder = options.custom_encoder().clone();
  }
  if (options.custom_decoder().is_empty()) {
    TransformerDecoderLayer layer(TransformerDecoderLayerOptions(d_model, options.nhead())
                                      .dim_feedforward(options.dim_feedforward())
                                      .dropout(options.dropout())
                                      .activation(options.activation())
                                      .layer_norm_eps(options.layer_norm_eps())
                                      .batch_first(options.batch_first())
                                      .norm_first(options.norm_first()));
    decoder = AnyModule(TransformerDecoder(TransformerDecoderOptions(layer, options.num_decoder_layers())
                                               .norm(AnyModule(LayerNorm(d_model, options.layer_norm_eps())))));
  } else {
    decoder = options.custom_decoder().clone();
  }
  register_module("encoder", encoder.ptr());
  register_module("decoder", decoder.ptr());
  reset_parameters();
}

// W ~ U(+-sqrt(6 / (fan_in + fan_out))) for every parameter W with dim > 1
void TransformerImpl::reset_parameters() {
  for (Tensor& p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

// out = decoder(tgt, encoder(src, src_mask, src_kpm), tgt_mask, memory_mask, tgt_kpm, memory_kpm)
Tensor TransformerImpl::forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask, const Tensor& tgt_mask,
                                const Tensor& memory_mask, const Tensor& src_key_padding_mask,
                                const Tensor& tgt_key_padding_mask, const Tensor& memory_key_padding_mask) {
  src.check_defined("Transformer");
  tgt.check_defined("Transformer");
  const bool batched = src.dim() == 3;
  REEL_CHECK(src.dim() == tgt.dim() && (src.dim() == 2 || src.dim() == 3),
             "Transformer: src and tgt must both be 2-D (unbatched) or 3-D (batched), got shapes {} and {}",
             shape_str(src.sizes()), shape_str(tgt.sizes()));
  if (batched) {
    const int64_t batch_dim = options.batch_first() ? 0 : 1;
    REEL_CHECK(src.size(batch_dim) == tgt.size(batch_dim),
               "Transformer: the batch number of src and tgt must be equal, got shapes {} and {}",
               shape_str(src.sizes()), shape_str(tgt.sizes()));
  }
  REEL_CHECK(src.size(-1) == options.d_model() && tgt.size(-1) == options.d_model(),
             "Transformer: the feature number of src and tgt must be equal to d_model {}, got shapes {} and {}",
             options.d_model(), shape_str(src.sizes()), shape_str(tgt.sizes()));
  const Tensor memory = encoder.forward(src, src_mask, src_key_padding_mask);
  return decoder.forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask);
}

// mask[i][j] = -inf for j > i, else 0
Tensor TransformerImpl::generate_square_subsequent_mask(int64_t sz) {
  REEL_CHECK(sz >= 0, "Transformer::generate_square_subsequent_mask: size must be non-negative, got {}", sz);
  return triu(full({sz, sz}, -std::numeric_limits<double>::infinity(), TensorOptions(kFloat)), 1);
}

}  // namespace reel::nn
