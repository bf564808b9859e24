// reel/test/test_nn_torch_packed.cpp — LSTM's proj_size and the packed-sequence forwards against PyTorch itself:
// test/fixtures/torch/packed.npz was written by PyTorch 2.15 (test/fixtures/torch/make_torch_packed.py, float64 on
// the CPU) and holds, per case, the module's state dict, the input, initial states, output weights, PyTorch's output
// (for packed cases: pad_packed_sequence of the packed output, zero padding) and final states, and the gradients of
// every parameter and of the (padded) input for loss = sum(y wy) + sum(h_n wh) [+ sum(c_n wc)].
// The packed cases pack with unsorted lengths (enforce_sorted=false) and pass hx in the caller's order. Each case
// loads the state dict by PyTorch's names and checks, on the CPU, the module (its step loop) and the functional
// reel::lstm / gru / rnn_tanh (one fused_rnn node: dense, or packed data with batch_sizes) and, with a GPU, the module
// on CUDA (cuDNN, variable lengths): values and gradients to 1e-10.
#include <reel/reel.h>

#include <catch2/catch.hpp>

#include "torch_fixture.h"
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace rnn_utils = reel::nn::utils::rnn;
using reel::Tensor;

namespace {

const reel_test::TorchFixture& fixture() {
  static const reel_test::TorchFixture arrays("packed.npz");
  return arrays;
}

const Tensor& array(const std::string& name) { return fixture().array(name); }

using reel_test::check_close;

enum class Kind { LSTM, GRU, RNN };

struct TorchCase {
  std::string name;  // key prefix in packed.npz
  nn::RNNOptions options;
  Kind kind;
  bool packed;
};

std::vector<TorchCase> cases() {
  return {
      {"lstm_proj_uni", nn::LSTMOptions(3, 5).proj_size(2).num_layers(2), Kind::LSTM, false},
      {"lstm_proj_bi", nn::LSTMOptions(3, 5).proj_size(3).num_layers(2).bidirectional(true).batch_first(true),
       Kind::LSTM, false},
      {"packed_lstm", nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true), Kind::LSTM, true},
      {"packed_gru", nn::GRUOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true), Kind::GRU, true},
      {"packed_rnn", nn::RNNOptions(2, 3).num_layers(2).bidirectional(true), Kind::RNN, true},
      {"packed_lstm_proj", nn::LSTMOptions(3, 4).proj_size(2).num_layers(2).bidirectional(true).batch_first(true),
       Kind::LSTM, true},
  };
}

std::shared_ptr<nn::RNNBaseImpl> make_module(const TorchCase& k) {
  std::shared_ptr<nn::RNNBaseImpl> module;
  switch (k.kind) {
    case Kind::LSTM: module = nn::LSTM(k.options).ptr(); break;
    case Kind::GRU: module = nn::GRU(k.options).ptr(); break;
    case Kind::RNN: module = nn::RNN(k.options).ptr(); break;
  }
  module->to(reel::kFloat64);
  nn::NamedTensors state;
  for (const auto& [name, parameter] : module->named_parameters())
    state.emplace_back(name, array(k.name + "." + name).clone());
  module->load_state_dict(state);
  return module;
}

struct Outputs {
  Tensor y, h_n, c_n;
};

// The fixture's lengths as an int64 tensor.
Tensor lengths_of(const TorchCase& k) { return array(k.name + ".lengths").to(reel::kInt64); }

void check_against_torch(const TorchCase& k, nn::Module& module, const Tensor& x, const Outputs& out) {
  check_close(out.y, array(k.name + ".y"), "output");
  check_close(out.h_n, array(k.name + ".h_n"), "h_n");
  const reel::Device device = out.y.device();
  Tensor loss = (out.y * array(k.name + ".wy").to(device)).sum() + (out.h_n * array(k.name + ".wh").to(device)).sum();
  if (k.kind == Kind::LSTM) {
    check_close(out.c_n, array(k.name + ".c_n"), "c_n");
    loss = loss + (out.c_n * array(k.name + ".wc").to(device)).sum();
  }
  loss.backward();
  for (const auto& [name, parameter] : module.named_parameters())
    check_close(parameter.grad(), array(k.name + ".grad." + name), "gradient of " + name);
  check_close(x.grad(), array(k.name + ".grad.x"), "gradient of the input");
}

// The module (step loop on the CPU, cuDNN on CUDA), dense or on pack_padded_sequence(x, lengths, ..., false).
void check_module(const TorchCase& k, const reel::Device& device) {
  auto module = make_module(k);
  module->to(device);
  const Tensor x = array(k.name + ".x").clone().to(device).requires_grad_();
  const bool lstm = k.kind == Kind::LSTM;
  const Tensor h0 = array(k.name + ".h0").to(device), c0 = lstm ? array(k.name + ".c0").to(device) : Tensor();
  const bool batch_first = k.options.batch_first();
  Outputs out;
  if (!k.packed) {
    auto [y, state] = static_cast<nn::LSTMImpl&>(*module).forward(x, nn::LSTMState{h0, c0});
    out = {y, std::get<0>(state), std::get<1>(state)};
  } else {
    auto packed = rnn_utils::pack_padded_sequence(x, lengths_of(k), batch_first, false);
    rnn_utils::PackedSequence result = packed;
    switch (k.kind) {
      case Kind::LSTM: {
        auto [p, state] = static_cast<nn::LSTMImpl&>(*module).forward_with_packed_input(packed, nn::LSTMState{h0, c0});
        result = p;
        out.h_n = std::get<0>(state);
        out.c_n = std::get<1>(state);
        break;
      }
      case Kind::GRU: std::tie(result, out.h_n) = static_cast<nn::GRUImpl&>(*module).forward_with_packed_input(packed, h0); break;
      case Kind::RNN: std::tie(result, out.h_n) = static_cast<nn::RNNImpl&>(*module).forward_with_packed_input(packed, h0); break;
    }
    auto [y, lengths] = rnn_utils::pad_packed_sequence(result, batch_first);
    check_close(lengths.to(reel::kFloat64), array(k.name + ".out_lengths"), "lengths");
    out.y = y;
  }
  check_against_torch(k, *module, x, out);
}

// reel::lstm / gru / rnn_tanh (the fused op's CPU kernel) on the module's parameters: dense, or on the packed data
// with batch_sizes and hx permuted into the sorted order by hand (h_n permuted back).
void check_functional(const TorchCase& k) {
  auto module = make_module(k);
  std::vector<Tensor> params;
  for (const auto& [name, parameter] : module->named_parameters()) params.push_back(parameter);
  const nn::RNNOptions& o = k.options;
  const Tensor x = array(k.name + ".x").clone().requires_grad_();
  Tensor h0 = array(k.name + ".h0"), c0 = k.kind == Kind::LSTM ? array(k.name + ".c0") : Tensor();
  Outputs out;
  if (!k.packed) {
    auto [y, h, c] = reel::lstm(x, {h0, c0}, params, o.bias(), o.num_layers(), 0.0, true, o.bidirectional(),
                                o.batch_first());
    out = {y, h, c};
  } else {
    auto packed = rnn_utils::pack_padded_sequence(x, lengths_of(k), o.batch_first(), false);
    h0 = h0.index_select(1, packed.sorted_indices());
    if (c0.defined()) c0 = c0.index_select(1, packed.sorted_indices());
    Tensor data;
    switch (k.kind) {
      case Kind::LSTM:
        std::tie(data, out.h_n, out.c_n) = reel::lstm(packed.data(), packed.batch_sizes(), {h0, c0}, params, o.bias(),
                                                      o.num_layers(), 0.0, true, o.bidirectional());
        break;
      case Kind::GRU:
        std::tie(data, out.h_n) = reel::gru(packed.data(), packed.batch_sizes(), h0, params, o.bias(), o.num_layers(),
                                            0.0, true, o.bidirectional());
        break;
      case Kind::RNN:
        std::tie(data, out.h_n) = reel::rnn_tanh(packed.data(), packed.batch_sizes(), h0, params, o.bias(),
                                                 o.num_layers(), 0.0, true, o.bidirectional());
        break;
    }
    out.h_n = out.h_n.index_select(1, packed.unsorted_indices());
    if (out.c_n.defined()) out.c_n = out.c_n.index_select(1, packed.unsorted_indices());
    out.y = std::get<0>(rnn_utils::pad_packed_sequence(
        rnn_utils::PackedSequence(data, packed.batch_sizes(), packed.sorted_indices(), packed.unsorted_indices()),
        o.batch_first()));
  }
  check_against_torch(k, *module, x, out);
}

}  // namespace

TEST_CASE("torch: LSTM proj_size and packed LSTM GRU RNN modules give PyTorch's values and gradients",
          "[rnn][torch][packed]") {
  for (const TorchCase& k : cases()) {
    INFO("case " << k.name);
    check_module(k, reel::Device(reel::kCPU));
  }
}

TEST_CASE("torch: the fused reel::lstm gru rnn_tanh with proj_size and batch_sizes give PyTorch's values",
          "[rnn][torch][packed][fused]") {
  for (const TorchCase& k : cases()) {
    INFO("case " << k.name);
    check_functional(k);
  }
}

TEST_CASE("cuda torch: proj_size and packed modules on CUDA (cuDNN) give PyTorch's values and gradients",
          "[rnn][torch][packed][fused][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: cuDNN's projection and variable lengths are not checked against PyTorch");
    return;
  }
  for (const TorchCase& k : cases()) {
    INFO("case " << k.name);
    check_module(k, reel::Device(reel::kCUDA));
  }
}
