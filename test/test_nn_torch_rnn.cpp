// reel/test/test_nn_torch_rnn.cpp — reel's recurrent layers against PyTorch itself: test/fixtures/torch/rnn.npz was
// written by PyTorch 2.11 (test/fixtures/torch/make_torch_rnn.py, float64 on the CPU: PyTorch's native RNN) and
// holds, per case, the module's state dict, an input, initial states, output weights, PyTorch's output and final
// states, and the gradients of every parameter and of the input for loss = sum(y wy) + sum(h_n wh) [+ sum(c_n wc)].
// Each case loads the state dict by PyTorch's names into reel's module and checks, on the CPU, the module (its step
// loop) and the functional reel::lstm / gru / rnn_* (one fused_rnn node) and, with a GPU, the module on CUDA
// (cuDNN): values and gradients to 1e-10.
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
  static const reel_test::TorchFixture arrays("rnn.npz");
  return arrays;
}

const Tensor& array(const std::string& name) { return fixture().array(name); }

using reel_test::check_close;

struct TorchCase {
  std::string name;  // key prefix in rnn.npz
  nn::RNNOptions options;
  bool lstm;
};

std::vector<TorchCase> cases() {
  return {
      {"lstm", nn::RNNOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true), true},
      {"gru", nn::RNNOptions(3, 4).num_layers(2), false},
      {"rnn_relu", nn::RNNOptions(3, 4).nonlinearity("relu").bias(false), false},
      {"rnn_tanh", nn::RNNOptions(2, 3).num_layers(3).bidirectional(true), false},
  };
}

// The module's state dict, read from the fixture by the module's own parameter names.
nn::NamedTensors torch_state(const nn::Module& module, const std::string& prefix) {
  nn::NamedTensors state;
  for (const auto& [name, parameter] : module.named_parameters()) state.emplace_back(name, array(prefix + "." + name).clone());
  return state;
}

struct Outputs {
  Tensor y, h_n, c_n;
};

// Checks outputs and, after backward of the fixture's loss, every parameter's and the input's gradient.
void check_against_torch(const TorchCase& k, const nn::Module& module, const Tensor& x, const Outputs& out) {
  check_close(out.y, array(k.name + ".y"), "output");
  check_close(out.h_n, array(k.name + ".h_n"), "h_n");
  const reel::Device device = out.y.device();
  Tensor loss = (out.y * array(k.name + ".wy").to(device)).sum() + (out.h_n * array(k.name + ".wh").to(device)).sum();
  if (k.lstm) {
    check_close(out.c_n, array(k.name + ".c_n"), "c_n");
    loss = loss + (out.c_n * array(k.name + ".wc").to(device)).sum();
  }
  loss.backward();
  for (const auto& [name, parameter] : module.named_parameters())
    check_close(parameter.grad(), array(k.name + ".grad." + name), "gradient of " + name);
  check_close(x.grad(), array(k.name + ".grad.x"), "gradient of the input");
}

template <typename Module>
Outputs run_module(Module& module, const TorchCase& k, const Tensor& x, const reel::Device& device) {
  const Tensor h0 = array(k.name + ".h0").to(device);
  Outputs out;
  if constexpr (std::is_same_v<Module, nn::LSTM>) {
    auto [y, state] = module(x, nn::LSTMState{h0, array(k.name + ".c0").to(device)});
    out = {y, std::get<0>(state), std::get<1>(state)};
  } else {
    auto [y, h] = module(x, h0);
    out = {y, h, Tensor()};
  }
  return out;
}

template <typename Module>
void check_module(const TorchCase& k, const reel::Device& device) {
  Module module(k.options);
  module->to(reel::kFloat64);
  module->load_state_dict(torch_state(*module, k.name));
  module->to(device);
  const Tensor x = array(k.name + ".x").clone().to(device).requires_grad_();  // the fixture's own arrays stay as read
  check_against_torch(k, *module, x, run_module(module, k, x, device));
}

// reel::lstm / gru / rnn_relu / rnn_tanh with the module's parameters in PyTorch's order.
template <typename Module>
void check_functional(const TorchCase& k) {
  Module module(k.options);
  module->to(reel::kFloat64);
  module->load_state_dict(torch_state(*module, k.name));
  std::vector<Tensor> params;
  for (const auto& [name, parameter] : module->named_parameters()) params.push_back(parameter);
  const nn::RNNOptions& o = k.options;
  const Tensor x = array(k.name + ".x").clone().requires_grad_(), h0 = array(k.name + ".h0");
  Outputs out;
  if (k.lstm) {
    auto [y, h, c] = reel::lstm(x, {h0, array(k.name + ".c0")}, params, o.bias(), o.num_layers(), 0.0, true,
                                o.bidirectional(), o.batch_first());
    out = {y, h, c};
  } else {
    // the dense overloads (reel::gru and friends also have packed ones, as LibTorch's)
    using Dense = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const std::vector<Tensor>&, bool, int64_t,
                                                  double, bool, bool, bool);
    const Dense run = k.name == "gru" ? Dense(&reel::gru) : k.name == "rnn_relu" ? Dense(&reel::rnn_relu) : Dense(&reel::rnn_tanh);
    auto [y, h] = run(x, h0, params, o.bias(), o.num_layers(), 0.0, true, o.bidirectional(), o.batch_first());
    out = {y, h, Tensor()};
  }
  check_against_torch(k, *module, x, out);
}

void for_each_case(const std::function<void(const TorchCase&)>& check) {
  for (const TorchCase& k : cases()) {
    INFO("case " << k.name);
    check(k);
  }
}

}  // namespace

TEST_CASE("torch: nn LSTM GRU and RNN modules load PyTorch's state dicts and give PyTorch's values and gradients",
          "[rnn][torch]") {
  for_each_case([](const TorchCase& k) {
    if (k.lstm) check_module<nn::LSTM>(k, reel::Device(reel::kCPU));
    else if (k.name == "gru") check_module<nn::GRU>(k, reel::Device(reel::kCPU));
    else check_module<nn::RNN>(k, reel::Device(reel::kCPU));
  });
}

TEST_CASE("torch: the fused reel::lstm gru and rnn give PyTorch's values and gradients", "[rnn][torch][fused]") {
  for_each_case([](const TorchCase& k) {
    if (k.lstm) check_functional<nn::LSTM>(k);
    else if (k.name == "gru") check_functional<nn::GRU>(k);
    else check_functional<nn::RNN>(k);
  });
}

TEST_CASE("cuda torch: the modules on CUDA (cuDNN) give PyTorch's values and gradients", "[rnn][torch][fused][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: the cuDNN RNN is not checked against PyTorch");
    return;
  }
  for_each_case([](const TorchCase& k) {
    const reel::Device gpu(reel::kCUDA);
    if (k.lstm) check_module<nn::LSTM>(k, gpu);
    else if (k.name == "gru") check_module<nn::GRU>(k, gpu);
    else check_module<nn::RNN>(k, gpu);
  });
}
