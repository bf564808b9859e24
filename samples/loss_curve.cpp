// reel/samples/loss_curve.cpp — trains a small MLP from a given safetensors initialisation and data set and
// writes the loss of every step, so the same run in PyTorch can be compared step by step
// (scripts/compare_with_pytorch.py does both and compares; docs/nn.md records the result).
//
//   ./loss_curve --init init.safetensors --data data.safetensors --out curve.csv [--steps 200] [--lr 0.1]
// init: fc1.weight fc1.bias fc2.weight fc2.bias (PyTorch's Linear layout); data: x (float32 [N, in]), y (int64 [N]).
// Batches of 64 are taken in order, wrapping around; SGD with momentum 0.9; cross-entropy loss.
#include <reel/reel.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace nn = reel::nn;

namespace {

struct MlpImpl : nn::Module {
  MlpImpl(int64_t in, int64_t hidden, int64_t classes) {
    fc1 = register_module("fc1", nn::Linear(in, hidden));
    fc2 = register_module("fc2", nn::Linear(hidden, classes));
  }
  reel::Tensor forward(const reel::Tensor& x) { return fc2(reel::relu(fc1(x))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(Mlp);

reel::Tensor find(const nn::NamedTensors& tensors, const std::string& name, const std::string& file) {
  for (const auto& [key, value] : tensors)
    if (key == name) return value;
  throw reel::Error("loss_curve: tensor '" + name + "' not found in " + file);
}

}  // namespace

int main(int argc, char** argv) {
  std::string init_path, data_path, out_path;
  int steps = 200;
  double lr = 0.1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw reel::Error("loss_curve: " + arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--init") init_path = next();
    else if (arg == "--data") data_path = next();
    else if (arg == "--out") out_path = next();
    else if (arg == "--steps") steps = std::stoi(next());
    else if (arg == "--lr") lr = std::stod(next());
    else if (arg == "--help" || arg == "-h") {
      std::puts("loss_curve --init init.safetensors --data data.safetensors --out curve.csv [--steps 200] [--lr 0.1]");
      return 0;
    } else {
      std::fprintf(stderr, "loss_curve: unknown argument %s (try --help)\n", arg.c_str());
      return 2;
    }
  }
  if (init_path.empty() || data_path.empty() || out_path.empty()) {
    std::fprintf(stderr, "loss_curve: --init, --data and --out are required (try --help)\n");
    return 2;
  }
  reel::set_num_threads(1);
  const nn::NamedTensors data = reel::serialize::load_safetensors(data_path);
  const reel::Tensor x = find(data, "x", data_path);
  const reel::Tensor y = find(data, "y", data_path);
  const nn::NamedTensors init = reel::serialize::load_safetensors(init_path);
  const reel::Tensor w1 = find(init, "fc1.weight", init_path);
  const reel::Tensor w2 = find(init, "fc2.weight", init_path);
  Mlp model(w1.size(1), w1.size(0), w2.size(0));
  model->load_state_dict(init);

  reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(lr).momentum(0.9));
  std::ofstream out(out_path);
  out << "step,loss\n";
  const int64_t n = x.size(0), batch = 64;
  for (int step = 0; step < steps; ++step) {
    const int64_t start = (step * batch) % n;
    reel::Tensor xb = x.narrow(0, start, std::min(batch, n - start));
    reel::Tensor yb = y.narrow(0, start, std::min(batch, n - start));
    optimizer.zero_grad();
    reel::Tensor loss = nn::functional::cross_entropy(model(xb), yb);
    loss.backward();
    optimizer.step();
    char line[64];
    std::snprintf(line, sizeof line, "%d,%.9g\n", step, loss.item<double>());
    out << line;
  }
  std::printf("loss_curve: wrote %d losses to %s\n", steps, out_path.c_str());
  return 0;
}
