// reel/test/test_cuda_training.cpp — whole models on CUDA against the same models on the CPU: the op-table
// harness checks each op's values on its own; these check that the tape, the modules, the losses and the
// optimizers compose on the GPU exactly as on the CPU. Each test builds two copies of a model from one seed
// (one moved to cuda:0), feeds both the same data, and requires the losses, the gradients and the updated
// parameters to agree within float32 rounding (the GPU sums in other orders). Without a CUDA device every
// test warns and skips.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

bool skip_without_gpu() {
  if (reel::cuda::is_available()) return false;
  WARN("no CUDA device: CUDA training test skipped");
  return true;
}

// max |a - b| / (1 + max |b|), a on any device, b on the CPU.
double relative_difference(const Tensor& a, const Tensor& b) {
  const Tensor a_cpu = a.to(reel::kCPU).to(reel::kFloat64);
  const Tensor b_cpu = b.to(reel::kCPU).to(reel::kFloat64);
  REQUIRE(a_cpu.sizes() == b_cpu.sizes());
  if (a_cpu.numel() == 0) return 0;
  const double diff = (a_cpu - b_cpu).abs().max().item<double>();
  return diff / (1.0 + b_cpu.abs().max().item<double>());
}

void require_close(const std::string& what, const Tensor& gpu, const Tensor& cpu, double tol = 2e-4) {
  REQUIRE(gpu.defined() == cpu.defined());
  if (!gpu.defined()) return;
  REQUIRE(gpu.is_cuda());
  const double diff = relative_difference(gpu, cpu);
  INFO(what << ": relative difference " << diff << " (tolerance " << tol << ")");
  CHECK(diff <= tol);
}

// Same parameter values on both sides: the GPU copy is made from the CPU model's state.
template <typename ModuleHolderT>
void require_same_parameters(const std::string& when, const ModuleHolderT& gpu, const ModuleHolderT& cpu,
                             double tol = 2e-4) {
  const auto gpu_params = gpu->named_parameters();
  const auto cpu_params = cpu->named_parameters();
  REQUIRE(gpu_params.size() == cpu_params.size());
  for (size_t i = 0; i < gpu_params.size(); ++i) {
    require_close(when + " parameter " + gpu_params[i].first, gpu_params[i].second, cpu_params[i].second, tol);
    require_close(when + " gradient of " + gpu_params[i].first, gpu_params[i].second.grad(),
                  cpu_params[i].second.grad(), tol);
  }
}

struct MlpImpl : nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", nn::Linear(20, 64));
    fc2 = register_module("fc2", nn::Linear(64, 5));
  }
  Tensor forward(const Tensor& x) { return fc2(reel::tanh(fc1(x))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(Mlp);

struct SmallCnnImpl : nn::Module {
  SmallCnnImpl() {
    conv1 = register_module("conv1", nn::Conv2d(3, 8, 3, /*stride=*/1, /*padding=*/1));
    bn = register_module("bn", nn::BatchNorm2d(8));
    conv2 = register_module("conv2", nn::Conv2d(8, 8, 3, /*stride=*/2, /*padding=*/0, /*dilation=*/1, /*groups=*/2));
    fc = register_module("fc", nn::Linear(8 * 3 * 3, 4));
  }
  Tensor forward(const Tensor& x) {
    Tensor h = reel::relu(bn(conv1(x)));
    h = F::max_pool2d(h, 2);
    h = reel::relu(conv2(h));
    h = F::adaptive_avg_pool2d(h, {3, 3});
    return fc(h.flatten(1));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nn::Linear fc{nullptr};
};
REEL_MODULE(SmallCnn);

}  // namespace

TEST_CASE("cuda training: MLP with Adam follows the CPU run step for step", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(11);
  Mlp cpu;
  reel::manual_seed(11);
  Mlp gpu;
  gpu->to(reel::kCUDA);
  reel::optim::Adam cpu_opt(cpu->parameters(), reel::optim::AdamOptions(1e-2));
  reel::optim::Adam gpu_opt(gpu->parameters(), reel::optim::AdamOptions(1e-2));
  const Tensor x = reel::randn({32, 20});
  const Tensor y = reel::randint(5, {32});
  const Tensor x_gpu = x.to(reel::kCUDA), y_gpu = y.to(reel::kCUDA);
  double first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    cpu_opt.zero_grad();
    gpu_opt.zero_grad();
    Tensor cpu_loss = F::cross_entropy(cpu(x), y);
    Tensor gpu_loss = F::cross_entropy(gpu(x_gpu), y_gpu);
    REQUIRE(gpu_loss.is_cuda());
    require_close("loss at step " + std::to_string(step), gpu_loss, cpu_loss);
    cpu_loss.backward();
    gpu_loss.backward();
    require_same_parameters("step " + std::to_string(step), gpu, cpu);
    cpu_opt.step();
    gpu_opt.step();
    if (step == 0) first = gpu_loss.item<double>();
    last = gpu_loss.item<double>();
  }
  CHECK(last < first * 0.5);  // it learns on the GPU
}

TEST_CASE("cuda training: CNN with batch norm pooling and SGD momentum matches the CPU", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(12);
  SmallCnn cpu;
  reel::manual_seed(12);
  SmallCnn gpu;
  gpu->to(reel::kCUDA);
  reel::optim::SGD cpu_opt(cpu->parameters(), reel::optim::SGDOptions(0.05).momentum(0.9));
  reel::optim::SGD gpu_opt(gpu->parameters(), reel::optim::SGDOptions(0.05).momentum(0.9));
  const Tensor x = reel::randn({6, 3, 12, 12});
  const Tensor y = reel::randint(4, {6});
  for (int step = 0; step < 4; ++step) {
    cpu_opt.zero_grad();
    gpu_opt.zero_grad();
    Tensor cpu_loss = F::cross_entropy(cpu(x), y);
    Tensor gpu_loss = F::cross_entropy(gpu(x.to(reel::kCUDA)), y.to(reel::kCUDA));
    require_close("loss at step " + std::to_string(step), gpu_loss, cpu_loss, 1e-3);
    cpu_loss.backward();
    gpu_loss.backward();
    require_same_parameters("step " + std::to_string(step), gpu, cpu, 1e-3);
    cpu_opt.step();
    gpu_opt.step();
  }
  // The running statistics of batch norm moved the same way.
  require_close("running_mean", gpu->bn->running_mean, cpu->bn->running_mean, 1e-3);
  require_close("running_var", gpu->bn->running_var, cpu->bn->running_var, 1e-3);
  gpu->eval();
  cpu->eval();
  require_close("eval output", gpu(x.to(reel::kCUDA)), cpu(x), 1e-3);
}

TEST_CASE("cuda training: LSTM module and an explicit LSTMCell loop give the CPU gradients", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(13);
  nn::LSTM cpu(nn::LSTMOptions(6, 10).num_layers(2));
  reel::manual_seed(13);
  nn::LSTM gpu(nn::LSTMOptions(6, 10).num_layers(2));
  gpu->to(reel::kCUDA);
  const Tensor x = reel::randn({7, 3, 6});
  auto [cpu_out, cpu_state] = cpu(x);
  auto [gpu_out, gpu_state] = gpu(x.to(reel::kCUDA));
  require_close("LSTM output", gpu_out, cpu_out);
  require_close("LSTM h_n", std::get<0>(gpu_state), std::get<0>(cpu_state));
  (cpu_out.square().sum() + std::get<1>(cpu_state).sum()).backward();
  (gpu_out.square().sum() + std::get<1>(gpu_state).sum()).backward();
  require_same_parameters("LSTM backward", gpu, cpu);

  reel::manual_seed(14);
  nn::LSTMCell cell_cpu(6, 10);
  reel::manual_seed(14);
  nn::LSTMCell cell_gpu(6, 10);
  cell_gpu->to(reel::kCUDA);
  Tensor h_cpu = reel::zeros({3, 10}), c_cpu = reel::zeros({3, 10});
  Tensor h_gpu = h_cpu.to(reel::kCUDA), c_gpu = c_cpu.to(reel::kCUDA);
  Tensor loss_cpu = reel::zeros({}), loss_gpu = reel::zeros({}, reel::kCUDA);
  for (int64_t t = 0; t < 7; ++t) {
    std::tie(h_cpu, c_cpu) = cell_cpu(x.select(0, t), std::make_tuple(h_cpu, c_cpu));
    std::tie(h_gpu, c_gpu) = cell_gpu(x.select(0, t).to(reel::kCUDA), std::make_tuple(h_gpu, c_gpu));
    loss_cpu = loss_cpu + F::log_softmax(h_cpu, 1).select(1, t % 10).sum();
    loss_gpu = loss_gpu + F::log_softmax(h_gpu, 1).select(1, t % 10).sum();
  }
  require_close("LSTMCell loop loss", loss_gpu, loss_cpu);
  loss_cpu.backward();
  loss_gpu.backward();
  require_same_parameters("LSTMCell loop backward", cell_gpu, cell_cpu);
}

TEST_CASE("cuda training: a tree-LSTM built by recursion gives the CPU gradients", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(15);
  nn::BinaryTreeLSTMCell cpu(8, 12);
  nn::Embedding embed_cpu(20, 8);
  reel::manual_seed(15);
  nn::BinaryTreeLSTMCell gpu(8, 12);
  nn::Embedding embed_gpu(20, 8);
  gpu->to(reel::kCUDA);
  embed_gpu->to(reel::kCUDA);
  // A fixed, unbalanced tree over 6 leaves: ((0 (1 2)) ((3 4) 5)), words by leaf number.
  struct Node {
    int left = -1, right = -1, word = -1;
  };
  const std::vector<Node> nodes = {{-1, -1, 3}, {-1, -1, 7}, {-1, -1, 1}, {1, 2, -1}, {0, 3, -1},
                                   {-1, -1, 9}, {-1, -1, 4}, {5, 6, -1}, {-1, -1, 19}, {7, 8, -1},
                                   {4, 9, -1}};
  const auto run = [&](nn::BinaryTreeLSTMCell& cell, nn::Embedding& embed, reel::Device device) {
    std::function<nn::LSTMState(int)> visit = [&](int index) -> nn::LSTMState {
      const Node& node = nodes[static_cast<size_t>(index)];
      if (node.word >= 0) return cell(embed(reel::tensor({node.word}, reel::kInt64).to(device)));
      return cell(reel::zeros({1, 8}, reel::TensorOptions(reel::kFloat32).device(device)), visit(node.left), visit(node.right));
    };
    const nn::LSTMState root = visit(static_cast<int>(nodes.size()) - 1);
    return std::get<0>(root).tanh().sum() + std::get<1>(root).square().mean();
  };
  Tensor loss_cpu = run(cpu, embed_cpu, reel::kCPU);
  Tensor loss_gpu = run(gpu, embed_gpu, reel::kCUDA);
  require_close("tree loss", loss_gpu, loss_cpu);
  loss_cpu.backward();
  loss_gpu.backward();
  require_same_parameters("tree cell", gpu, cpu);
  require_same_parameters("embedding", embed_gpu, embed_cpu);
}

TEST_CASE("cuda training: transformer encoder layer and the losses match the CPU", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(16);
  nn::TransformerEncoderLayer cpu(16, 4, /*dim_feedforward=*/32, /*dropout=*/0.0);
  reel::manual_seed(16);
  nn::TransformerEncoderLayer gpu(16, 4, /*dim_feedforward=*/32, /*dropout=*/0.0);
  gpu->to(reel::kCUDA);
  const Tensor x = reel::randn({5, 2, 16});
  const Tensor target = reel::randn({5, 2, 16});
  Tensor y_cpu = cpu(x), y_gpu = gpu(x.to(reel::kCUDA));
  require_close("encoder output", y_gpu, y_cpu);
  const Tensor t_gpu = target.to(reel::kCUDA);
  Tensor loss_cpu = F::mse_loss(y_cpu, target) + F::smooth_l1_loss(y_cpu, target) +
                    F::binary_cross_entropy_with_logits(y_cpu, reel::sigmoid(target)) +
                    F::kl_div(F::log_softmax(y_cpu, -1), F::softmax(target, -1), nn::Reduction::BatchMean);
  Tensor loss_gpu = F::mse_loss(y_gpu, t_gpu) + F::smooth_l1_loss(y_gpu, t_gpu) +
                    F::binary_cross_entropy_with_logits(y_gpu, reel::sigmoid(t_gpu)) +
                    F::kl_div(F::log_softmax(y_gpu, -1), F::softmax(t_gpu, -1), nn::Reduction::BatchMean);
  require_close("losses", loss_gpu, loss_cpu);
  loss_cpu.backward();
  loss_gpu.backward();
  require_same_parameters("encoder", gpu, cpu, 5e-4);
}

TEST_CASE("cuda training: a checkpoint saved from the GPU loads on the CPU", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  reel::manual_seed(17);
  Mlp gpu;
  gpu->to(reel::kCUDA);
  const std::string path = (std::filesystem::temp_directory_path() / "reel_cuda_checkpoint.safetensors").string();
  reel::serialize::save_safetensors(path, gpu->state_dict());
  Mlp cpu;
  cpu->load_state_dict(reel::serialize::load_safetensors(path));
  const Tensor x = reel::randn({4, 20});
  require_close("restored model output", gpu(x.to(reel::kCUDA)), cpu(x), 1e-5);
  std::filesystem::remove(path);
}

TEST_CASE("cuda training: the like functions keep the device when given only a dtype", "[cuda][cuda-training]") {
  if (skip_without_gpu()) return;
  const Tensor x = reel::randn({2, 3}).to(reel::kCUDA);
  CHECK(reel::ones_like(x, reel::kBool).is_cuda());
  CHECK(reel::zeros_like(x, reel::kInt64).is_cuda());
  CHECK(reel::full_like(x, 2, reel::kFloat64).is_cuda());
  CHECK(reel::ones_like(x, reel::TensorOptions(reel::kBool).device(reel::kCPU)).is_cpu());
  // clamp's backward builds its mask with ones_like(x, kBool): found on an H200, fixed, pinned here.
  Tensor leaf = x.detach().requires_grad_(true);
  reel::clamp(leaf, -0.5, 0.5).sum().backward();
  CHECK(leaf.grad().is_cuda());
}
