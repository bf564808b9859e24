// reel/samples/nn_quickstart.cpp — a complete training loop with reel::nn, and a checkpoint round trip.
//
// An MLP learns which of three centres noisy 2-D points were drawn around (synthetic data, no download), with
// SGD + momentum and cross-entropy; then the model is saved as safetensors (PyTorch reads it with
// safetensors.torch.load_file), loaded into a fresh model, and compared. docs/nn.md walks through it.
//
//   ./nn_quickstart [checkpoint path]      default: nn_quickstart.safetensors in the temp directory
#include <reel/reel.h>

#include <filesystem>

#include <cstdio>
#include <iostream>

namespace nn = reel::nn;
namespace F = reel::nn::functional;

struct MlpImpl : nn::Module {
  MlpImpl(int64_t in, int64_t hidden, int64_t classes) {
    fc1 = register_module("fc1", nn::Linear(in, hidden));
    fc2 = register_module("fc2", nn::Linear(hidden, classes));
  }
  reel::Tensor forward(const reel::Tensor& x) { return fc2(reel::relu(fc1(x))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(Mlp);

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1]
                                     : (std::filesystem::temp_directory_path() / "nn_quickstart.safetensors").string();
  reel::manual_seed(0);
  // Synthetic data: the class is which of 3 centres a point was drawn around.
  reel::Tensor centres = reel::tensor({{2.0, 0.0}, {-1.0, 1.7}, {-1.0, -1.7}});
  reel::Tensor labels = reel::randint(3, {600});
  reel::Tensor points = centres.index_select(0, labels) + reel::randn({600, 2}) * 0.9;

  Mlp model(2, 32, 3);
  reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(0.1).momentum(0.9));
  for (int epoch = 0; epoch < 20; ++epoch) {
    reel::Tensor order = reel::randint(600, {600});  // a bootstrap sample each epoch
    double total = 0;
    for (int64_t start = 0; start < 600; start += 50) {
      reel::Tensor batch = order.narrow(0, start, 50);
      optimizer.zero_grad();
      reel::Tensor loss = F::cross_entropy(model(points.index_select(0, batch)), labels.index_select(0, batch));
      loss.backward();
      optimizer.step();
      total += loss.item<double>();
    }
    if (epoch % 5 == 4) std::printf("epoch %d  loss %.4f\n", epoch + 1, total / 12);
  }
  reel::NoGradGuard no_grad;
  double accuracy = (model(points).argmax(1) == labels).to(reel::kFloat32).mean().item<double>();
  std::printf("train accuracy %.3f\n", accuracy);

  // Checkpoint: safetensors, readable by PyTorch (safetensors.torch.load_file) and back.
  reel::serialize::save_safetensors(path, model->state_dict());
  Mlp restored(2, 32, 3);
  restored->load_state_dict(reel::serialize::load_safetensors(path));
  const bool agrees = reel::all(restored(points) == model(points)).item<bool>();
  std::printf("checkpoint %s: restored model agrees: %s\n", path.c_str(), agrees ? "yes" : "no");
  std::cout << *model << "\n";
  return agrees && accuracy > 0.8 ? 0 : 1;
}
