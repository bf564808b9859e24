// reel/nn/transformer.h — TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer, with
// LibTorch's options and module structure and PyTorch's parameter names (state_dict keys match
// torch.nn.Transformer's), math (post-norm by default, norm_first for pre-norm) and masks.
//
//   reel::nn::TransformerEncoderLayer layer(reel::nn::TransformerEncoderLayerOptions(512, 8).dropout(0.1));
//   reel::nn::TransformerEncoder encoder(reel::nn::TransformerEncoderOptions(layer, 6));   // 6 clones of `layer`
//   reel::nn::Transformer model(reel::nn::TransformerOptions(512, 8).num_encoder_layers(3));
//   reel::Tensor mask = reel::nn::TransformerImpl::generate_square_subsequent_mask(tgt.size(0));
//   reel::Tensor out = model(src, tgt, /*src_mask=*/{}, /*tgt_mask=*/mask);   // [T, N, E] (batch_first: [N, T, E])
//
// The encoder and decoder stacks hold clones of the given layer under "layers.0", "layers.1", ... and an optional
// final norm under "norm" (nn::AnyModule, LibTorch's type for it). Transformer's encoder and decoder are
// AnyModules too, so a custom_encoder / custom_decoder of another type fits.
#pragma once

#include <cstdint>

#include "any_module.h"
#include "arg.h"
#include "attention.h"
#include "container.h"
#include "module.h"

namespace reel::nn {

// LibTorch's TransformerDecoderLayerOptions(d_model, nhead), with Python's layer_norm_eps, batch_first and
// norm_first besides.
struct TransformerDecoderLayerOptions {
  TransformerDecoderLayerOptions(int64_t d_model, int64_t nhead) : d_model_(d_model), nhead_(nhead) {}
  REEL_ARG(int64_t, d_model);
  REEL_ARG(int64_t, nhead);
  REEL_ARG(int64_t, dim_feedforward) = 2048;
  REEL_ARG(double, dropout) = 0.1;
  REEL_ARG(TransformerActivation, activation) = enumtype::kReLU{};
  REEL_ARG(double, layer_norm_eps) = 1e-5;
  REEL_ARG(bool, batch_first) = false;
  REEL_ARG(bool, norm_first) = false;
};

// Post-norm (default): x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x)). Pre-norm
// (norm_first): x = x + sa(norm1(x)); x = x + mha(norm2(x), memory); x = x + ff(norm3(x)). sa(x) =
// dropout1(self_attn(x, x, x)), mha(x, m) = dropout2(multihead_attn(x, m, m)), ff(x) =
// dropout3(linear2(dropout(activation(linear1(x))))).
class TransformerDecoderLayerImpl : public Cloneable<TransformerDecoderLayerImpl> {
 public:
  TransformerDecoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerDecoderLayerImpl(TransformerDecoderLayerOptions(d_model, nhead)) {}
  explicit TransformerDecoderLayerImpl(const TransformerDecoderLayerOptions& options);
  // tgt [T, N, E] (batch_first [N, T, E], or unbatched [T, E]), memory [S, N, E] likewise.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});

  TransformerDecoderLayerOptions options;
  MultiheadAttention self_attn{nullptr}, multihead_attn{nullptr};
  Linear linear1{nullptr}, linear2{nullptr};
  Dropout dropout{nullptr}, dropout1{nullptr}, dropout2{nullptr}, dropout3{nullptr};
  LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
};
REEL_MODULE(TransformerDecoderLayer);

// LibTorch's TransformerEncoderOptions: the layer to clone num_layers times (a layer, or its options), and an
// optional final norm.
struct TransformerEncoderOptions {
  TransformerEncoderOptions(TransformerEncoderLayer encoder_layer, int64_t num_layers)
      : encoder_layer_(std::move(encoder_layer)), num_layers_(num_layers) {}
  TransformerEncoderOptions(const TransformerEncoderLayerOptions& encoder_layer_options, int64_t num_layers)
      : encoder_layer_(encoder_layer_options), num_layers_(num_layers) {}
  REEL_ARG(TransformerEncoderLayer, encoder_layer) = nullptr;
  REEL_ARG(int64_t, num_layers);
  REEL_ARG(AnyModule, norm);
};

// LibTorch's TransformerDecoderOptions, alike.
struct TransformerDecoderOptions {
  TransformerDecoderOptions(TransformerDecoderLayer decoder_layer, int64_t num_layers)
      : decoder_layer_(std::move(decoder_layer)), num_layers_(num_layers) {}
  TransformerDecoderOptions(const TransformerDecoderLayerOptions& decoder_layer_options, int64_t num_layers)
      : decoder_layer_(decoder_layer_options), num_layers_(num_layers) {}
  REEL_ARG(TransformerDecoderLayer, decoder_layer) = nullptr;
  REEL_ARG(int64_t, num_layers);
  REEL_ARG(AnyModule, norm);
};

// x = layer_{n-1}(...layer_0(src)), then norm(x) when a norm is given.
class TransformerEncoderImpl : public Cloneable<TransformerEncoderImpl> {
 public:
  explicit TransformerEncoderImpl(TransformerEncoderOptions options);
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {});

  TransformerEncoderOptions options;
  ModuleList layers{nullptr};
  AnyModule norm;  // empty without a final norm
};
REEL_MODULE(TransformerEncoder);

// x = layer_{n-1}(...layer_0(tgt, memory)..., memory), then norm(x) when a norm is given.
class TransformerDecoderImpl : public Cloneable<TransformerDecoderImpl> {
 public:
  explicit TransformerDecoderImpl(TransformerDecoderOptions options);
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});

  TransformerDecoderOptions options;
  ModuleList layers{nullptr};
  AnyModule norm;
};
REEL_MODULE(TransformerDecoder);

// LibTorch's TransformerOptions (defaults as torch.nn.Transformer's), with Python's layer_norm_eps, batch_first
// and norm_first besides.
struct TransformerOptions {
  TransformerOptions() = default;
  TransformerOptions(int64_t d_model, int64_t nhead) : d_model_(d_model), nhead_(nhead) {}
  TransformerOptions(int64_t d_model, int64_t nhead, int64_t num_encoder_layers, int64_t num_decoder_layers)
      : d_model_(d_model),
        nhead_(nhead),
        num_encoder_layers_(num_encoder_layers),
        num_decoder_layers_(num_decoder_layers) {}
  REEL_ARG(int64_t, d_model) = 512;
  REEL_ARG(int64_t, nhead) = 8;
  REEL_ARG(int64_t, num_encoder_layers) = 6;
  REEL_ARG(int64_t, num_decoder_layers) = 6;
  REEL_ARG(int64_t, dim_feedforward) = 2048;
  REEL_ARG(double, dropout) = 0.1;
  REEL_ARG(TransformerActivation, activation) = enumtype::kReLU{};
  REEL_ARG(AnyModule, custom_encoder);  // forward(src, src_mask, src_key_padding_mask) -> memory
  REEL_ARG(AnyModule, custom_decoder);  // forward(tgt, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm)
  REEL_ARG(double, layer_norm_eps) = 1e-5;
  REEL_ARG(bool, batch_first) = false;
  REEL_ARG(bool, norm_first) = false;
};

// out = decoder(tgt, encoder(src)): an encoder stack with a final LayerNorm and a decoder stack with a final
// LayerNorm, unless custom ones are given.
class TransformerImpl : public Cloneable<TransformerImpl> {
 public:
  explicit TransformerImpl(TransformerOptions options = {});
  // src [S, N, E], tgt [T, N, E] (batch_first: [N, S, E], [N, T, E]; or unbatched [S, E], [T, E]) -> [T, N, E].
  Tensor forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask = {}, const Tensor& tgt_mask = {},
                 const Tensor& memory_mask = {}, const Tensor& src_key_padding_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});
  // Every parameter with more than one dim ~ xavier_uniform_ (what the constructor does, as PyTorch).
  void reset_parameters();
  // [sz, sz] float32: 0 on and below the diagonal, -inf above it (a causal mask).
  static Tensor generate_square_subsequent_mask(int64_t sz);

  TransformerOptions options;
  AnyModule encoder, decoder;
};
REEL_MODULE(Transformer);

}  // namespace reel::nn
