// test/onnx/export_models.cpp — writes the models of the ONNX cross-check: each covered model with random weights
// exported to <dir>/good/<case>.onnx beside its inputs (<case>.in<k>.npz) and reel's outputs (<case>.out<k>.npz,
// keyed by the graph's input and output names), k = 0 for the example inputs and k = 1, ... for other batch sizes
// where the case has a dynamic batch axis. <dir>/bad/ holds recurrent models exported with PyTorch's gate order
// (onnx::detail::WrongGateOrderForTesting), which the check must reject. check_onnx.py reads both
// (run_check.sh drives the two).
//
//   reel_onnx_export /tmp/onnx_check
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "onnx/lowering.h"
#include "reel.h"

namespace nn = reel::nn;
using reel::Tensor;

namespace {

using Run = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct Case {
  std::string name;
  std::shared_ptr<nn::Module> module;
  Run run;                                   // the module's forward on a set of inputs, every output
  std::vector<std::vector<Tensor>> inputs;   // [0]: the example inputs; more sets: other batch sizes
  reel::onnx::ExportOptions options;
};

std::vector<std::string> names_or_default(const std::vector<std::string>& given, size_t count, const char* base) {
  std::vector<std::string> names;
  for (size_t k = 0; k < count; ++k)
    names.push_back(k < given.size() ? given[k] : count == 1 ? base : std::string(base) + "_" + std::to_string(k));
  return names;
}

void write_case(const std::filesystem::path& dir, const Case& c) {
  reel::onnx::export_module(*c.module, c.inputs[0], (dir / (c.name + ".onnx")).string(), c.options);
  c.module->eval();
  reel::NoGradGuard no_grad;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    std::vector<Tensor> copies;
    for (const Tensor& x : c.inputs[k]) copies.push_back(x.clone());
    const std::vector<Tensor> outputs = c.run(copies);
    const auto in_names = names_or_default(c.options.input_names(), c.inputs[k].size(), "input");
    const auto out_names = names_or_default(c.options.output_names(), outputs.size(), "output");
    nn::NamedTensors ins, outs;
    for (size_t i = 0; i < in_names.size(); ++i) ins.emplace_back(in_names[i], c.inputs[k][i]);
    for (size_t i = 0; i < out_names.size(); ++i) outs.emplace_back(out_names[i], outputs[i]);
    const std::string stem = (dir / c.name).string();
    reel::serialize::save_npz(stem + ".in" + std::to_string(k) + ".npz", ins);
    reel::serialize::save_npz(stem + ".out" + std::to_string(k) + ".npz", outs);
  }
  std::printf("exported %s\n", c.name.c_str());
}

// A Tensor -> Tensor module as a case.
template <typename Holder>
Case unary_case(std::string name, Holder module, std::vector<Tensor> inputs, reel::onnx::ExportOptions options = {}) {
  auto impl = module.ptr();
  Run run = [impl](const std::vector<Tensor>& x) { return std::vector<Tensor>{impl->forward(x[0])}; };
  std::vector<std::vector<Tensor>> sets;
  for (Tensor& x : inputs) sets.push_back({x});
  return Case{std::move(name), impl, run, std::move(sets), std::move(options)};
}

reel::onnx::ExportOptions dynamic_batch(const std::vector<std::string>& inputs, const std::vector<int64_t>& in_axes,
                                        const std::vector<std::string>& outputs,
                                        const std::vector<int64_t>& out_axes) {
  reel::onnx::DynamicAxes axes;
  for (size_t k = 0; k < inputs.size(); ++k) axes.push_back({inputs[k], {{in_axes[k], "batch"}}});
  for (size_t k = 0; k < outputs.size(); ++k) axes.push_back({outputs[k], {{out_axes[k], "batch"}}});
  return reel::onnx::ExportOptions().input_names(inputs).output_names(outputs).dynamic_axes(axes);
}

// Trains the running statistics of every norm layer of `module` on a few random batches of `shape`.
void warm_up_statistics(nn::Module& module, const std::function<Tensor(const Tensor&)>& forward,
                        std::vector<int64_t> shape) {
  module.train();
  reel::NoGradGuard no_grad;
  for (int i = 0; i < 4; ++i) forward(reel::randn(shape) * 2.0 + 0.5);
}

std::vector<Case> activation_cases() {
  std::vector<Case> cases;
  auto x = [] { return std::vector<Tensor>{reel::randn({4, 6}) * 3.0}; };
  cases.push_back(unary_case("act_relu", nn::ReLU(), x()));
  cases.push_back(unary_case("act_tanh", nn::Tanh(), x()));
  cases.push_back(unary_case("act_sigmoid", nn::Sigmoid(), x()));
  cases.push_back(unary_case("act_gelu", nn::GELU(), x()));
  cases.push_back(unary_case("act_gelu_tanh", nn::GELU("tanh"), x()));
  cases.push_back(unary_case("act_leaky_relu", nn::LeakyReLU(0.2), x()));
  cases.push_back(unary_case("act_elu", nn::ELU(0.7), x()));
  cases.push_back(unary_case("act_celu", nn::CELU(1.5), x()));
  cases.push_back(unary_case("act_selu", nn::SELU(), x()));
  cases.push_back(unary_case("act_hardtanh", nn::Hardtanh(-0.5, 2.0), x()));
  cases.push_back(unary_case("act_relu6", nn::ReLU6(), x()));
  cases.push_back(unary_case("act_silu", nn::SiLU(), x()));
  cases.push_back(unary_case("act_mish", nn::Mish(), x()));
  cases.push_back(unary_case("act_softplus", nn::Softplus(2.0, 3.0), x()));
  cases.push_back(unary_case("act_logsigmoid", nn::LogSigmoid(), x()));
  cases.push_back(unary_case("act_hardsigmoid", nn::Hardsigmoid(), x()));
  cases.push_back(unary_case("act_hardswish", nn::Hardswish(), x()));
  cases.push_back(unary_case("act_softsign", nn::Softsign(), x()));
  cases.push_back(unary_case("act_tanhshrink", nn::Tanhshrink(), x()));
  cases.push_back(unary_case("act_softshrink", nn::Softshrink(nn::SoftshrinkOptions(0.8)), x()));
  cases.push_back(unary_case("act_hardshrink", nn::Hardshrink(nn::HardshrinkOptions(0.8)), x()));
  cases.push_back(unary_case("act_threshold", nn::Threshold(0.3, -2.0), x()));
  cases.push_back(unary_case("act_softmax", nn::Softmax(1), x()));
  cases.push_back(unary_case("act_softmin", nn::Softmin(0), x()));
  cases.push_back(unary_case("act_log_softmax", nn::LogSoftmax(1), x()));
  cases.push_back(unary_case("act_glu", nn::GLU(1), x()));
  cases.push_back(unary_case("act_rrelu_eval", nn::RReLU(0.1, 0.3), x()));
  cases.push_back(unary_case("act_prelu", nn::PReLU(nn::PReLUOptions().num_parameters(3).init(0.1)),
                             {reel::randn({2, 3, 4, 4}) * 3.0}));
  return cases;
}

std::vector<Case> feedforward_cases() {
  std::vector<Case> cases;
  // MLP with a batch norm over features and a dynamic batch
  nn::Sequential mlp(nn::Linear(8, 16), nn::BatchNorm1d(16), nn::ReLU(), nn::Dropout(0.2), nn::Linear(16, 16),
                     nn::GELU(), nn::Linear(nn::LinearOptions(16, 4).bias(false)), nn::LogSoftmax(1));
  warm_up_statistics(*mlp, [&](const Tensor& x) { return mlp(x); }, {6, 8});
  cases.push_back(unary_case("mlp", mlp, {reel::randn({3, 8}), reel::randn({7, 8})},
                             dynamic_batch({"x"}, {0}, {"log_probs"}, {0})));
  // Linear on a 3-D input (MatMul + Add) and Flatten / Unflatten as Reshapes
  nn::Sequential shapes(nn::Linear(6, 12), nn::Unflatten(nn::UnflattenOptions(2, {3, 4})), nn::Flatten(1, 2), nn::Tanh());
  cases.push_back(unary_case("linear_3d_reshape", shapes, {reel::randn({2, 5, 6}), reel::randn({4, 5, 6})},
                             dynamic_batch({"x"}, {0}, {"y"}, {0})));
  // CNN: conv (padding, groups, stride, dilation), batch norm in eval, pooling, flatten, linear
  nn::Sequential cnn(nn::Conv2d(nn::Conv2dOptions(3, 8, 3).padding(1)), nn::BatchNorm2d(8), nn::ReLU(),
                     nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                     nn::Conv2d(nn::Conv2dOptions(8, 8, 3).padding(1).groups(2)), nn::ReLU(),
                     nn::Conv2d(nn::Conv2dOptions(8, 12, 3).stride(2).padding(2).dilation(2)),
                     nn::AvgPool2d(nn::AvgPool2dOptions(2)), nn::Flatten(), nn::Linear(12 * 2 * 2, 10));
  warm_up_statistics(*cnn, [&](const Tensor& x) { return cnn(x); }, {4, 3, 16, 16});
  cases.push_back(unary_case("cnn", cnn, {reel::randn({2, 3, 16, 16}), reel::randn({5, 3, 16, 16})},
                             dynamic_batch({"image"}, {0}, {"logits"}, {0})));
  // 1-D convolutions: reflect padding, "same" padding, max pool with ceil_mode, adaptive average pool
  nn::Sequential cnn1d(nn::Conv1d(nn::Conv1dOptions(4, 6, 3).stride(2).padding(1).padding_mode(reel::kReflect)),
                       nn::BatchNorm1d(6), nn::Sigmoid(),
                       nn::Conv1d(nn::Conv1dOptions(6, 6, 4).padding(reel::kSame)),
                       nn::MaxPool1d(nn::MaxPool1dOptions(3).stride(2).ceil_mode(true)),
                       nn::AdaptiveAvgPool1d(nn::AdaptiveAvgPool1dOptions(1)), nn::Flatten());
  warm_up_statistics(*cnn1d, [&](const Tensor& x) { return cnn1d(x); }, {3, 4, 23});
  cases.push_back(unary_case("cnn1d", cnn1d, {reel::randn({2, 4, 23})}));
  // the rest of the image layers: replicate padding, transposed conv, instance and group norm, average pooling
  // with padding and ceil_mode, adaptive pooling by whole windows
  nn::Sequential image(nn::Conv2d(nn::Conv2dOptions(3, 6, {3, 2}).padding({1, 2}).padding_mode(reel::kReplicate)),
                       nn::InstanceNorm2d(nn::InstanceNormOptions(6).affine(true)),
                       nn::ConvTranspose2d(nn::ConvTranspose2dOptions(6, 4, 3).stride(2).padding(1).output_padding(1)),
                       nn::GroupNorm(2, 4), nn::ELU(),
                       nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(2).padding(1).ceil_mode(true).count_include_pad(false)),
                       nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({5, 7})));
  cases.push_back(unary_case("image_layers", image, {reel::randn({2, 3, 9, 10})}));
  // unbatched inputs, dilated max pooling, instance norm with running statistics, float64
  cases.push_back(unary_case("conv_unbatched", nn::Conv2d(nn::Conv2dOptions(3, 4, 3).stride(2)),
                             {reel::randn({3, 9, 9})}));
  nn::Sequential pools(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1).dilation(2)),
                       nn::InstanceNorm2d(nn::InstanceNormOptions(2).track_running_stats(true)),
                       nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
  warm_up_statistics(*pools, [&](const Tensor& x) { return pools(x); }, {3, 2, 11, 11});
  cases.push_back(unary_case("pool_dilated_instance_norm_stats", pools, {reel::randn({1, 2, 11, 11})}));
  nn::Sequential mlp64(nn::Linear(5, 7), nn::Tanh(), nn::Linear(7, 3), nn::Softmax(1));
  mlp64->to(reel::kFloat64);
  cases.push_back(unary_case("mlp_float64", mlp64, {reel::randn({4, 5}, reel::dtype(reel::kFloat64))}));
  // embedding then layer norm, a dynamic batch and sequence length
  nn::Sequential embed(nn::Embedding(50, 16), nn::LayerNorm(nn::LayerNormOptions({16}).eps(1e-4)));
  embed[1]->as<nn::LayerNorm>()->weight.detach().normal_();
  reel::onnx::ExportOptions embed_options = reel::onnx::ExportOptions().input_names({"tokens"}).output_names({"y"});
  embed_options.dynamic_axes({{"tokens", {{0, "batch"}, {1, "time"}}}, {"y", {{0, "batch"}, {1, "time"}}}});
  cases.push_back(unary_case("embedding_layernorm", embed,
                             {reel::randint(50, {3, 7}), reel::randint(50, {2, 11})}, embed_options));
  return cases;
}

// An LSTM / GRU / RNN case: inputs (x[, h0[, c0]]) with batch sets {2, 5}.
template <typename Holder>
Case recurrent_case(const std::string& name, Holder module, bool lstm, bool with_state) {
  auto impl = module.ptr();
  const nn::RNNOptions& o = impl->options;
  const int64_t seq = 6, directions = o.bidirectional() ? 2 : 1;
  auto make_inputs = [&](int64_t batch) {
    std::vector<Tensor> in{o.batch_first() ? reel::randn({batch, seq, o.input_size()})
                                           : reel::randn({seq, batch, o.input_size()})};
    if (with_state) {
      in.push_back(reel::randn({o.num_layers() * directions, batch, o.hidden_size()}));
      if (lstm) in.push_back(reel::randn({o.num_layers() * directions, batch, o.hidden_size()}));
    }
    return in;
  };
  Run run = [impl](const std::vector<Tensor>& x) -> std::vector<Tensor> {
    if constexpr (std::is_same_v<Holder, nn::LSTM>) {
      std::optional<nn::LSTMState> state;
      if (x.size() == 3) state = nn::LSTMState{x[1], x[2]};
      auto [y, hc] = impl->forward(x[0], state);
      return {y, std::get<0>(hc), std::get<1>(hc)};
    } else {
      auto [y, h] = impl->forward(x[0], x.size() > 1 ? x[1] : Tensor());
      return {y, h};
    }
  };
  std::vector<std::string> in_names{"x"}, out_names{"y", "h_n"};
  std::vector<int64_t> in_axes{o.batch_first() ? 0 : 1}, out_axes{o.batch_first() ? 0 : 1, 1};
  if (with_state) {
    in_names.push_back("h_0");
    in_axes.push_back(1);
    if (lstm) {
      in_names.push_back("c_0");
      in_axes.push_back(1);
    }
  }
  if (lstm) {
    out_names.push_back("c_n");
    out_axes.push_back(1);
  }
  return Case{name, impl, run, {make_inputs(2), make_inputs(5)},
              dynamic_batch(in_names, in_axes, out_names, out_axes)};
}

std::vector<Case> recurrent_cases() {
  std::vector<Case> cases;
  cases.push_back(recurrent_case("lstm_1layer", nn::LSTM(nn::LSTMOptions(5, 7)), true, false));
  cases.push_back(recurrent_case(
      "lstm_2layer_bi_batch_first_state",
      nn::LSTM(nn::LSTMOptions(5, 7).num_layers(2).bidirectional(true).batch_first(true)), true, true));
  cases.push_back(recurrent_case("lstm_3layer_no_bias_state",
                                 nn::LSTM(nn::LSTMOptions(4, 6).num_layers(3).bias(false)), true, true));
  cases.push_back(recurrent_case("lstm_2layer_bi", nn::LSTM(nn::LSTMOptions(5, 8).num_layers(2).bidirectional(true)),
                                 true, false));
  cases.push_back(recurrent_case("gru_1layer", nn::GRU(nn::GRUOptions(5, 7)), false, false));
  cases.push_back(recurrent_case("gru_2layer_bi_state",
                                 nn::GRU(nn::GRUOptions(5, 7).num_layers(2).bidirectional(true)), false, true));
  cases.push_back(recurrent_case("gru_2layer_batch_first_no_bias",
                                 nn::GRU(nn::GRUOptions(3, 6).num_layers(2).batch_first(true).bias(false)), false,
                                 false));
  cases.push_back(recurrent_case("rnn_relu_bi_state",
                                 nn::RNN(nn::RNNOptions(4, 5).nonlinearity("relu").bidirectional(true)), false, true));
  cases.push_back(recurrent_case("rnn_tanh_2layer", nn::RNN(nn::RNNOptions(4, 5).num_layers(2)), false, false));
  return cases;
}

std::vector<Case> attention_cases() {
  std::vector<Case> cases;
  {  // self-attention, sequence-first, dynamic batch
    nn::MultiheadAttention mha(16, 4);
    mha->in_proj_bias.detach().normal_();
    auto impl = mha.ptr();
    Run run = [impl](const std::vector<Tensor>& x) {
      auto [y, w] = impl->forward(x[0], x[0], x[0]);
      return std::vector<Tensor>{y, w};
    };
    cases.push_back(Case{"attention_self", impl, run, {{reel::randn({5, 2, 16})}, {reel::randn({5, 3, 16})}},
                         dynamic_batch({"x"}, {1}, {"y", "weights"}, {1, 0})});
  }
  {  // query, key and value of their own sizes, batch_first
    nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(12, 3).kdim(8).vdim(6).batch_first(true));
    mha->in_proj_bias.detach().normal_();
    auto impl = mha.ptr();
    Run run = [impl](const std::vector<Tensor>& x) {
      auto [y, w] = impl->forward(x[0], x[1], x[2]);
      return std::vector<Tensor>{y, w};
    };
    cases.push_back(Case{"attention_qkv_batch_first",
                         impl,
                         run,
                         {{reel::randn({2, 4, 12}), reel::randn({2, 7, 8}), reel::randn({2, 7, 6})}},
                         reel::onnx::ExportOptions().input_names({"query", "key", "value"})});
  }
  {  // an unbatched query [L, E] against keys and values [S, E]
    nn::MultiheadAttention mha(8, 2);
    auto impl = mha.ptr();
    Run run = [impl](const std::vector<Tensor>& x) {
      auto [y, w] = impl->forward(x[0], x[1], x[2]);
      return std::vector<Tensor>{y, w};
    };
    cases.push_back(Case{"attention_unbatched",
                         impl,
                         run,
                         {{reel::randn({3, 8}), reel::randn({5, 8}), reel::randn({5, 8})}},
                         reel::onnx::ExportOptions()});
  }
  {  // a post-norm and a pre-norm encoder layer
    nn::Sequential encoder(
        nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(16, 4).dim_feedforward(32)),
        nn::TransformerEncoderLayer(
            nn::TransformerEncoderLayerOptions(16, 2).dim_feedforward(24).activation(reel::kGELU).norm_first(true)));
    cases.push_back(unary_case("transformer_encoder_layers", encoder, {reel::randn({6, 2, 16})}));
  }
  return cases;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  std::filesystem::create_directories(root / "good");
  std::filesystem::create_directories(root / "bad");
  reel::manual_seed(2024);
  try {
    for (auto* family : {&activation_cases, &feedforward_cases, &recurrent_cases, &attention_cases})
      for (const Case& c : (*family)()) write_case(root / "good", c);
    // The same kind of models with PyTorch's gate order left in place: onnxruntime must disagree with reel.
    reel::onnx::detail::WrongGateOrderForTesting wrong;
    write_case(root / "bad", recurrent_case("lstm_wrong_gate_order",
                                            nn::LSTM(nn::LSTMOptions(5, 7).num_layers(2).bidirectional(true)), true,
                                            true));
    write_case(root / "bad", recurrent_case("gru_wrong_gate_order", nn::GRU(nn::GRUOptions(5, 7)), false, false));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reel_onnx_export: %s\n", e.what());
    return 1;
  }
  return 0;
}
