// reel/test/test_nn_fused_rnn.cpp — the fused multi-step RNN (reel::lstm / gru / rnn_tanh / rnn_relu, one fused_rnn
// node) against the nn modules' step-by-step loop of reel ops: the same values and parameter gradients (float64,
// CPU), the same dropout masks between layers for one seed, PyTorch-style errors, and the refusal of double
// backward. With a GPU: nn::LSTM / GRU / RNN on CUDA (the fused op on cuDNN) against the CPU loop, cuDNN against the
// naive backend's generic path, bfloat16 (generic path), and a backend switch between forward and backward.
// The op-table rows (test/op_table_rnn.cpp) check the op itself against a float64 loop and finite differences.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace nn = reel::nn;
using reel::Tensor;

namespace {

std::vector<double> values(const Tensor& t) { return t.cpu().contiguous().to_vector<double>(); }

void check_close(const Tensor& got, const Tensor& expected, double tol) {
  REQUIRE(got.sizes() == expected.sizes());
  const std::vector<double> a = values(got), b = values(expected);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1 + std::fabs(b[i])));
  INFO("largest relative difference " << worst << " (tolerance " << tol << ")");
  CHECK(worst <= tol);
}

// The module's parameters in PyTorch's flat order, as reel::lstm takes them.
std::vector<Tensor> flat_params(const nn::RNNBaseImpl& module) {
  std::vector<Tensor> params;
  for (const std::vector<Tensor>& w : module.all_weights)
    for (const Tensor& t : w)
      if (t.defined()) params.push_back(t);
  return params;
}

std::vector<Tensor> grads_of(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const Tensor& p : params) grads.push_back(p.grad().clone());
  return grads;
}

void zero_grads(const std::vector<Tensor>& params) {
  for (const Tensor& p : params) {
    Tensor grad = p.grad();
    if (grad.defined()) grad.zero_();
  }
}

struct Config {
  std::string mode;  // LSTM, GRU, RNN_TANH, RNN_RELU
  int64_t layers;
  bool bidirectional, batch_first, bias;
};

// Runs the module (loop) and the fused function on the same input and state; compares outputs, states and every
// parameter's gradient for the loss sum(output * wy) + sum(h_n * wh) (+ sum(c_n * wc)).
template <typename Module>
void compare_with_module(Module& module, const Config& k, const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const std::vector<Tensor> params = flat_params(*module);
  Tensor out_loop, h_loop, c_loop, out_fused, h_fused, c_fused;
  if constexpr (std::is_same_v<Module, nn::LSTM>) {
    auto [y, state] = module(x, nn::LSTMState{h0, c0});
    out_loop = y;
    std::tie(h_loop, c_loop) = state;
    std::tie(out_fused, h_fused, c_fused) =
        reel::lstm(x, {h0, c0}, params, k.bias, k.layers, 0.0, true, k.bidirectional, k.batch_first);
  } else {
    std::tie(out_loop, h_loop) = module(x, h0);
    // the dense overloads (reel::gru and friends also have packed ones, as LibTorch's)
    using Dense = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const std::vector<Tensor>&, bool, int64_t,
                                                  double, bool, bool, bool);
    const Dense run = k.mode == "GRU" ? Dense(&reel::gru) : k.mode == "RNN_TANH" ? Dense(&reel::rnn_tanh) : Dense(&reel::rnn_relu);
    std::tie(out_fused, h_fused) = run(x, h0, params, k.bias, k.layers, 0.0, true, k.bidirectional, k.batch_first);
  }
  check_close(out_fused, out_loop, 1e-12);
  check_close(h_fused, h_loop, 1e-12);
  if (c_loop.defined()) check_close(c_fused, c_loop, 1e-12);
  const Tensor wy = reel::randn(out_loop.sizes(), reel::kFloat64), wh = reel::randn(h_loop.sizes(), reel::kFloat64);
  const Tensor wc = reel::randn(h_loop.sizes(), reel::kFloat64);
  auto loss = [&](const Tensor& y, const Tensor& h, const Tensor& c) {
    Tensor l = (y * wy).sum() + (h * wh).sum();
    return c.defined() ? l + (c * wc).sum() : l;
  };
  zero_grads(params);
  loss(out_loop, h_loop, c_loop).backward();
  const std::vector<Tensor> loop_grads = grads_of(params);
  zero_grads(params);
  loss(out_fused, h_fused, c_fused).backward();
  for (size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << i);
    check_close(params[i].grad(), loop_grads[i], 1e-10);
  }
}

}  // namespace

TEST_CASE("fused lstm gru and rnn equal the modules' step-by-step loop with gradients", "[rnn][fused]") {
  reel::manual_seed(11);
  const std::vector<Config> configs = {
      {"LSTM", 1, false, false, true}, {"LSTM", 2, true, true, true},   {"LSTM", 3, false, false, false},
      {"GRU", 2, true, false, true},   {"GRU", 1, false, true, false},  {"RNN_TANH", 2, false, false, true},
      {"RNN_RELU", 1, true, false, true},
  };
  for (const Config& k : configs) {
    INFO(k.mode << " layers " << k.layers << " bidirectional " << k.bidirectional << " batch_first " << k.batch_first
                << " bias " << k.bias);
    const nn::RNNOptions options = nn::RNNOptions(3, 4)
                                       .num_layers(k.layers)
                                       .bidirectional(k.bidirectional)
                                       .batch_first(k.batch_first)
                                       .bias(k.bias)
                                       .nonlinearity(k.mode == "RNN_RELU" ? "relu" : "tanh");
    const int64_t d = k.bidirectional ? 2 : 1;
    const Tensor x = reel::randn(k.batch_first ? reel::IntList{2, 5, 3} : reel::IntList{5, 2, 3}, reel::kFloat64);
    const Tensor h0 = reel::randn({k.layers * d, 2, 4}, reel::kFloat64);
    const Tensor c0 = reel::randn({k.layers * d, 2, 4}, reel::kFloat64);
    if (k.mode == "LSTM") {
      nn::LSTM module(options);
      module->to(reel::kFloat64);
      compare_with_module(module, k, x, h0, c0);
    } else if (k.mode == "GRU") {
      nn::GRU module(options);
      module->to(reel::kFloat64);
      compare_with_module(module, k, x, h0, Tensor());
    } else {
      nn::RNN module(options);
      module->to(reel::kFloat64);
      compare_with_module(module, k, x, h0, Tensor());
    }
  }
}

TEST_CASE("fused lstm with dropout draws the module's masks for one seed", "[rnn][fused]") {
  reel::manual_seed(12);
  nn::LSTM module(nn::LSTMOptions(3, 4).num_layers(3).dropout(0.4).bidirectional(true));
  module->to(reel::kFloat64);
  const Tensor x = reel::randn({4, 2, 3}, reel::kFloat64), h0 = reel::zeros({6, 2, 4}, reel::kFloat64);
  reel::manual_seed(99);
  auto [y_loop, state] = module(x, nn::LSTMState{h0, h0});
  reel::manual_seed(99);
  auto [y_fused, h_fused, c_fused] = reel::lstm(x, {h0, h0}, flat_params(*module), true, 3, 0.4, true, true, false);
  check_close(y_fused, y_loop, 1e-12);
  check_close(h_fused, std::get<0>(state), 1e-12);
  // eval (train = false): no dropout
  auto [y_eval, h_eval, c_eval] = reel::lstm(x, {h0, h0}, flat_params(*module), true, 3, 0.4, false, true, false);
  module->eval();
  auto [y_module_eval, s_eval] = module(x, nn::LSTMState{h0, h0});
  check_close(y_eval, y_module_eval, 1e-12);
}

TEST_CASE("fused rnn refuses double backward and bad arguments with clear errors", "[rnn][fused]") {
  using Catch::Matchers::Contains;
  reel::manual_seed(13);
  nn::GRU module(nn::GRUOptions(3, 4));
  const std::vector<Tensor> params = flat_params(*module);
  const Tensor x = reel::randn({5, 2, 3}).requires_grad_(), h0 = reel::zeros({1, 2, 4});
  auto [y, h] = reel::gru(x, h0, params, true, 1, 0.0, true, false, false);
  REQUIRE_THROWS_WITH(reel::autograd::grad({y.sum()}, {x}, {}, std::nullopt, true),
                      Contains("double backward") && Contains("fused"));
  REQUIRE_THROWS_WITH(reel::gru(x, h0, {params[0], params[1]}, true, 1, 0.0, true, false, false),
                      Contains("gru") && Contains("expected 4 params"));
  REQUIRE_THROWS_WITH(reel::gru(x, h0, {params[1], params[0], params[2], params[3]}, true, 1, 0.0, true, false, false),
                      Contains("gru") && Contains("w_ih") && Contains("[12, 3]"));
  REQUIRE_THROWS_WITH(reel::gru(reel::randn({5, 3}), h0, params, true, 1, 0.0, true, false, false),
                      Contains("gru") && Contains("3 dims"));
  REQUIRE_THROWS_WITH(reel::gru(x, reel::zeros({2, 2, 4}), params, true, 1, 0.0, true, false, false),
                      Contains("fused_rnn") && Contains("hx"));
  REQUIRE_THROWS_WITH(reel::gru(x.to(reel::kFloat64), h0, params, true, 1, 0.0, true, false, false),
                      Contains("fused_rnn") && Contains("dtype"));
  REQUIRE_THROWS_WITH(reel::lstm(x, {h0}, params, true, 1, 0.0, true, false, false), Contains("lstm") && Contains("hx"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(x, h0, h0, reel::cat({params[0].reshape({-1}), params[1].reshape({-1}),
                                                             params[2], params[3]}),
                                      "gru", 1, true, false),
                      Contains("fused_rnn") && Contains("no cell state"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(x, h0, Tensor(), reel::zeros({7}), "lstm2", 1, true, false),
                      Contains("fused_rnn") && Contains("unknown mode 'lstm2'"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(x, h0, Tensor(), reel::zeros({7}), "gru", 1, true, false),
                      Contains("fused_rnn") && Contains("weight") && Contains("[7]"));
  REQUIRE_THROWS_WITH(reel::fused_rnn_backward(x, h0, Tensor(), reel::zeros({108}), y.detach(), Tensor(), Tensor(), Tensor(),
                                               Tensor(), "gru", 1, true, false),
                      Contains("fused_rnn_backward") && Contains("reserve"));
}

TEST_CASE("cuda: nn LSTM GRU and RNN run fused on the GPU and match the CPU loop", "[rnn][fused][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: the fused RNN on CUDA is not checked");
    return;
  }
  reel::manual_seed(14);
  const reel::Device gpu(reel::kCUDA);
  for (const reel::ScalarType dtype : {reel::kFloat64, reel::kFloat32}) {
    for (const std::string mode : {"LSTM", "GRU", "RNN_TANH"}) {
      for (const bool naive : {false, true}) {
        INFO(mode << " " << reel::dtype_name(dtype) << (naive ? " naive backend" : " cuDNN"));
        const nn::RNNOptions options = nn::RNNOptions(5, 8).num_layers(2).bidirectional(true).batch_first(true);
        nn::LSTM lstm(options);
        nn::GRU gru(options);
        nn::RNN rnn(options);
        nn::RNNBaseImpl& cpu_module = mode == "LSTM" ? static_cast<nn::RNNBaseImpl&>(*lstm)
                                      : mode == "GRU" ? static_cast<nn::RNNBaseImpl&>(*gru)
                                                      : static_cast<nn::RNNBaseImpl&>(*rnn);
        cpu_module.to(dtype);
        const Tensor x = reel::randn({3, 7, 5}, dtype);
        const std::vector<Tensor> params = flat_params(cpu_module);
        std::vector<Tensor> gpu_params;
        for (const Tensor& p : params) gpu_params.push_back(p.detach().to(gpu).requires_grad_());
        const Tensor h0 = reel::randn({4, 3, 8}, dtype), c0 = reel::randn({4, 3, 8}, dtype);
        // CPU: the module's loop
        Tensor y_cpu, h_cpu;
        if (mode == "LSTM") std::tie(y_cpu, std::ignore) = lstm(x, nn::LSTMState{h0, c0});
        else if (mode == "GRU") std::tie(y_cpu, h_cpu) = gru(x, h0);
        else std::tie(y_cpu, h_cpu) = rnn(x, h0);
        const Tensor wy = reel::randn(y_cpu.sizes(), dtype);
        (y_cpu * wy).sum().backward();
        // CUDA: the fused op
        reel::cuda::set_conv_backend(naive ? reel::cuda::ConvBackend::naive : reel::cuda::ConvBackend::cudnn);
        Tensor y_gpu;
        if (mode == "LSTM")
          std::tie(y_gpu, std::ignore, std::ignore) =
              reel::lstm(x.to(gpu), {h0.to(gpu), c0.to(gpu)}, gpu_params, true, 2, 0.0, true, true, true);
        else if (mode == "GRU")
          std::tie(y_gpu, std::ignore) = reel::gru(x.to(gpu), h0.to(gpu), gpu_params, true, 2, 0.0, true, true, true);
        else
          std::tie(y_gpu, std::ignore) =
              reel::rnn_tanh(x.to(gpu), h0.to(gpu), gpu_params, true, 2, 0.0, true, true, true);
        (y_gpu * wy.to(gpu)).sum().backward();
        reel::cuda::set_conv_backend(reel::cuda::ConvBackend::cudnn);
        const double tol = dtype == reel::kFloat64 ? 1e-10 : 2e-4;
        check_close(y_gpu, y_cpu, tol);
        for (size_t i = 0; i < params.size(); ++i) {
          INFO("parameter " << i);
          check_close(gpu_params[i].grad(), params[i].grad(), tol);
        }
      }
    }
  }
}

TEST_CASE("cuda: the nn LSTM module trains on the GPU through cuDNN, bfloat16 and a backend switch", "[rnn][fused][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: the fused RNN on CUDA is not checked");
    return;
  }
  reel::manual_seed(15);
  const reel::Device gpu(reel::kCUDA);
  nn::LSTM module(nn::LSTMOptions(4, 6).num_layers(2));
  const Tensor x = reel::randn({5, 3, 4});
  auto [y_cpu, s_cpu] = module(x);
  module->to(gpu);
  auto [y_gpu, s_gpu] = module(x.to(gpu));
  CHECK(y_gpu.is_cuda());
  REQUIRE(y_gpu.grad_fn() != nullptr);
  check_close(y_gpu, y_cpu, 2e-4);
  // forward with cuDNN, backward with the naive backend selected: the reserve says which implementation made it
  reel::cuda::set_conv_backend(reel::cuda::ConvBackend::naive);
  y_gpu.sum().backward();
  reel::cuda::set_conv_backend(reel::cuda::ConvBackend::cudnn);
  for (const Tensor& p : flat_params(*module)) CHECK(p.grad().defined());
  // bfloat16 runs the generic path on the GPU
  module->to(reel::kBFloat16);
  auto [y_bf16, s_bf16] = module(x.to(gpu).to(reel::kBFloat16));
  check_close(y_bf16.to(reel::kFloat32), y_cpu, 5e-2);
  // float16 runs cuDNN (float math)
  module->to(reel::kFloat16);
  auto [y_half, s_half] = module(x.to(gpu).to(reel::kFloat16));
  check_close(y_half.to(reel::kFloat32), y_cpu, 1e-2);
}
