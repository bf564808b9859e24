// reel/test/test_nn_transformer.cpp — reel's MultiheadAttention (kdim/vdim, add_bias_kv, add_zero_attn),
// TransformerDecoderLayer, TransformerEncoder and Transformer against PyTorch itself:
// test/fixtures/torch/transformer.npz was written by PyTorch 2.15 (test/fixtures/torch/make_torch_transformer.py,
// float64 on the CPU, eval mode, dropout 0) and holds, per case, the module's state dict, the inputs and masks,
// PyTorch's output, and the gradients of every parameter and of the first input for loss = sum(y * w). Each case
// builds reel's module from LibTorch's options, loads the state dict by PyTorch's names (so the names must match),
// and compares output and gradients to 1e-9. Also: the options' defaults and errors, and the causal mask.
#include <reel/reel.h>

#include <catch2/catch.hpp>

#include "torch_fixture.h"
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace nn = reel::nn;
using reel::Tensor;

namespace {

const reel_test::TorchFixture& fixture() {
  static const reel_test::TorchFixture arrays("transformer.npz");
  return arrays;
}

const Tensor& array(const std::string& name) { return fixture().array(name); }

// A bool mask stored as 0/1.
Tensor bool_array(const std::string& name) { return array(name + "_bool").to(reel::kBool); }

void check_close(const Tensor& got, const Tensor& expected, const std::string& what) {
  reel_test::check_close(got, expected, what, 1e-9);
}

// float64, eval mode, PyTorch's state dict loaded by reel's own names (strict: every name must exist in the file).
void load_torch_state(nn::Module& module, const std::string& prefix) {
  module.to(reel::kDouble);
  module.eval();
  nn::NamedTensors state;
  for (const auto& [name, tensor] : module.state_dict()) state.emplace_back(name, array(prefix + "." + name));
  module.load_state_dict(state);
}

// backward of sum(y * w), then every parameter's gradient and the input's against PyTorch's.
void check_gradients(const nn::Module& module, const Tensor& y, const Tensor& x, const std::string& prefix) {
  (y * array(prefix + ".w")).sum().backward();
  for (const auto& item : module.named_parameters())
    check_close(item.value().grad(), array(prefix + ".grad." + item.key()), prefix + " gradient of " + item.key());
  check_close(x.grad(), array(prefix + ".grad.x"), prefix + " gradient of the input");
}

Tensor input(const std::string& name) { return array(name).clone().requires_grad_(true); }

}  // namespace

TEST_CASE("MultiheadAttention with kdim, vdim, add_bias_kv and add_zero_attn matches PyTorch", "[nn][transformer]") {
  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(8, 2).kdim(6).vdim(4).add_bias_kv(true).add_zero_attn(true));
  std::vector<std::string> names;
  for (const auto& item : mha->named_parameters()) names.push_back(item.key());
  CHECK(names == std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                                          "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"});
  CHECK_FALSE(mha->in_proj_weight.defined());
  load_torch_state(*mha, "mha");
  const Tensor q = input("mha.q");
  auto [y, attn] = mha(q, array("mha.k"), array("mha.v"), bool_array("mha.key_padding_mask"), true,
                       array("mha.attn_mask"));
  check_close(y, array("mha.y"), "output");
  check_close(attn, array("mha.attn"), "attention weights");
  check_gradients(*mha, y, q, "mha");

  // key and value must have kdim and vdim features
  CHECK_THROWS_WITH(mha(q, array("mha.v"), array("mha.v")), Catch::Contains("kdim 6"));
}

TEST_CASE("TransformerDecoderLayer matches PyTorch, post-norm and pre-norm", "[nn][transformer]") {
  struct Case {
    std::string name;
    nn::TransformerDecoderLayerOptions options;
  };
  for (const Case& c : {Case{"dec", nn::TransformerDecoderLayerOptions(8, 2).dim_feedforward(16).dropout(0.0)},
                        Case{"dec_pre_gelu", nn::TransformerDecoderLayerOptions(8, 2)
                                                 .dim_feedforward(16)
                                                 .dropout(0.0)
                                                 .norm_first(true)
                                                 .activation(reel::kGELU)
                                                 .batch_first(true)}}) {
    SECTION(c.name) {
      nn::TransformerDecoderLayer layer(c.options);
      load_torch_state(*layer, c.name);
      const Tensor tgt = input(c.name + ".tgt");
      const Tensor mask = array(c.name + ".tgt_mask");
      const Tensor y = layer(tgt, array(c.name + ".memory"), mask, Tensor(), Tensor(),
                             bool_array(c.name + ".memory_key_padding_mask"));
      check_close(y, array(c.name + ".y"), "output");
      check_gradients(*layer, y, tgt, c.name);
    }
  }
}

TEST_CASE("TransformerEncoder of pre-norm layers with a final norm matches PyTorch", "[nn][transformer]") {
  nn::TransformerEncoderLayer layer(
      nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16).dropout(0.0).norm_first(true));
  nn::TransformerEncoder encoder(nn::TransformerEncoderOptions(layer, 2).norm(nn::AnyModule(nn::LayerNorm(8))));
  // the stack holds clones of `layer`, not `layer` itself
  REQUIRE(encoder->layers->size() == 2);
  CHECK((*encoder->layers)[0].get() != layer.get());
  CHECK_FALSE(encoder->layers->at<nn::TransformerEncoderLayerImpl>(0).self_attn->in_proj_weight.is_same(
      layer->self_attn->in_proj_weight));
  load_torch_state(*encoder, "enc");
  const Tensor src = input("enc.src");
  const Tensor y = encoder(src, Tensor(), bool_array("enc.src_key_padding_mask"));
  check_close(y, array("enc.y"), "output");
  check_gradients(*encoder, y, src, "enc");
}

TEST_CASE("Transformer matches PyTorch, state dict names included", "[nn][transformer]") {
  nn::Transformer model(nn::TransformerOptions(8, 2, 2, 2).dim_feedforward(16).dropout(0.0));
  // every PyTorch name is one of reel's and the other way round
  size_t torch_names = 0;
  for (const auto& [key, value] : fixture().arrays())
    if (key.rfind("transformer.", 0) == 0 && key.find(".grad.") == std::string::npos &&
        key.find('.', 12) != std::string::npos)
      ++torch_names;
  CHECK(model->state_dict().size() == torch_names);
  load_torch_state(*model, "transformer");

  const Tensor mask = nn::TransformerImpl::generate_square_subsequent_mask(5);
  CHECK(mask.dtype() == reel::kFloat);
  const Tensor expected_mask = array("transformer.tgt_mask");
  CHECK(reel::isinf(mask.to(reel::kDouble)).equal(reel::isinf(expected_mask)));
  CHECK(reel::logical_not(reel::isinf(mask)).equal(expected_mask == 0.0));

  const Tensor src = input("transformer.src");
  const Tensor y = model(src, array("transformer.tgt"), Tensor(), mask.to(reel::kDouble));
  check_close(y, array("transformer.y"), "output");
  check_gradients(*model, y, src, "transformer");
}

TEST_CASE("Transformer options: LibTorch's defaults, errors and custom activations", "[nn][transformer]") {
  const nn::TransformerOptions defaults;
  CHECK(defaults.d_model() == 512);
  CHECK(defaults.nhead() == 8);
  CHECK(defaults.num_encoder_layers() == 6);
  CHECK(defaults.num_decoder_layers() == 6);
  CHECK(defaults.dim_feedforward() == 2048);
  CHECK(defaults.dropout() == 0.1);
  CHECK(defaults.activation().name() == "relu");
  const nn::MultiheadAttentionOptions mha(16, 4);
  CHECK(mha.kdim() == 16);
  CHECK(mha.vdim() == 16);
  CHECK(mha.bias());
  CHECK_FALSE(mha.add_bias_kv());
  CHECK_FALSE(mha.add_zero_attn());
  CHECK(mha.dropout() == 0.0);

  CHECK_THROWS_WITH(nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 2).activation("tanh")),
                    Catch::Contains("relu/gelu"));
  CHECK_THROWS_WITH(nn::MultiheadAttention(nn::MultiheadAttentionOptions(8, 3)), Catch::Contains("divisible"));
  CHECK_THROWS_WITH(nn::TransformerImpl::generate_square_subsequent_mask(-1), Catch::Contains("-1"));

  // a function as the activation: the layer computes with it (a layer with act = identity differs from relu's)
  reel::manual_seed(3);
  nn::TransformerEncoderLayer relu_layer(nn::TransformerEncoderLayerOptions(4, 2).dim_feedforward(8).dropout(0.0));
  auto identity = nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(4, 2)
                                                  .dim_feedforward(8)
                                                  .dropout(0.0)
                                                  .activation([](const Tensor& x) { return x; }));
  CHECK(identity->activation == "custom");
  identity->load_state_dict(relu_layer->state_dict());
  const Tensor x = reel::randn({3, 2, 4});
  CHECK_FALSE(identity(x).allclose(relu_layer(x)));
  // ... and equals relu's where relu is the identity: linear1's output all positive
  {
    reel::NoGradGuard no_grad;
    relu_layer->linear1->weight.zero_();
    relu_layer->linear1->bias.fill_(1.0);
    identity->linear1->weight.zero_();
    identity->linear1->bias.fill_(1.0);
  }
  CHECK(identity(x).allclose(relu_layer(x), 1e-6, 1e-6));

  // Transformer checks batch and feature sizes
  nn::Transformer small(nn::TransformerOptions(4, 2, 1, 1).dim_feedforward(8));
  CHECK_THROWS_WITH(small(reel::randn({3, 2, 4}), reel::randn({3, 3, 4})), Catch::Contains("batch number"));
  CHECK_THROWS_WITH(small(reel::randn({3, 2, 5}), reel::randn({3, 2, 5})), Catch::Contains("d_model 4"));
  CHECK(small(reel::randn({3, 2, 4}), reel::randn({5, 2, 4})).sizes() == reel::IntList{5, 2, 4});
}
