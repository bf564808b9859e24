// reel/test/port/port_classifier.cpp — a small image classifier written against LibTorch's C++ API, as a LibTorch
// user writes one; the port check (test/port/CMakeLists.txt) renames `torch::` -> `reel::` mechanically, builds it
// against reel and compares what it prints with what the same source printed when built against LibTorch
// (port_classifier.expected, written by scripts/port_expected.sh).
//
// It touches the everyday surface: Options builders (Conv2d, BatchNorm2d, MaxPool2d, LeakyReLU, Linear, Dropout2d),
// a holder module, named_parameters() with key()/value(), a CRTP dataset with .map(Stack<>()), a data loader with
// a SequentialSampler, SGD with momentum, a learning-rate decay through param_groups(), the top-level losses with at::Reduction codes, torch::save and
// torch::load. Every value is deterministic: the parameters are set from a formula, the data are formulas, and
// dropout runs only in evaluation mode (the identity), so both libraries must print the same numbers.
#include <torch/torch.h>

#include <cstdio>
#include <string>

struct NetImpl : torch::nn::Module {
  NetImpl()
      : conv(torch::nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)),
        norm(torch::nn::BatchNorm2dOptions(4).momentum(0.2)),
        pool(torch::nn::MaxPool2dOptions(2)),
        act(torch::nn::LeakyReLUOptions().negative_slope(0.1)),
        fc(torch::nn::LinearOptions(4 * 4 * 4, 3).bias(true)) {
    register_module("conv", conv);
    register_module("norm", norm);
    register_module("pool", pool);
    register_module("act", act);
    register_module("drop", drop);
    register_module("fc", fc);
  }

  torch::Tensor forward(torch::Tensor x) {
    x = pool(act(norm(conv(x))));
    if (!is_training()) x = drop(x);  // the identity in evaluation mode
    x = x.flatten(1);
    return torch::log_softmax(fc(x), /*dim=*/1);
  }

  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d norm;
  torch::nn::MaxPool2d pool;
  torch::nn::LeakyReLU act;
  torch::nn::Dropout2d drop;
  torch::nn::Linear fc;
};
TORCH_MODULE(Net);

// p_k = 0.3 sin(0.37 i + k) for the k-th parameter, element i.
void set_parameters(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  int64_t k = 0;
  for (auto& item : module.named_parameters()) {
    torch::Tensor& p = item.value();
    const int64_t n = p.numel();
    p.copy_((torch::sin(torch::arange(n, torch::kFloat) * 0.37 + static_cast<double>(k)) * 0.3).reshape(p.sizes()));
    ++k;
  }
}

struct PairDataset : torch::data::datasets::Dataset<PairDataset> {
  PairDataset(torch::Tensor images, torch::Tensor labels) : images(std::move(images)), labels(std::move(labels)) {}
  torch::data::Example<> get(size_t index) override { return {images[index], labels[index]}; }
  torch::optional<size_t> size() const override { return images.size(0); }
  torch::Tensor images, labels;
};

int main() {
  // 64 images 1x8x8 and 3 classes, all from formulas.
  torch::Tensor images = torch::sin(torch::arange(64 * 64, torch::kFloat).reshape({64, 1, 8, 8}) * 0.05);
  torch::Tensor labels = torch::remainder(torch::arange(64, torch::kLong) * 7, 3);
  images = images + labels.to(torch::kFloat).reshape({64, 1, 1, 1}) * 0.5;

  Net net;
  set_parameters(*net);
  for (const auto& item : net->named_parameters())
    std::printf("param %s numel %ld\n", item.key().c_str(), static_cast<long>(item.value().numel()));

  auto dataset = PairDataset(images, labels).map(torch::data::transforms::Stack<>());
  std::printf("dataset size %ld\n", static_cast<long>(dataset.size().value()));
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      std::move(dataset), torch::data::DataLoaderOptions().batch_size(16));

  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  for (int epoch = 1; epoch <= 4; ++epoch) {
    net->train();
    double total = 0;
    int64_t batches = 0;
    for (auto& batch : *loader) {
      optimizer.zero_grad();
      torch::Tensor loss = torch::nll_loss(net->forward(batch.data), batch.target);
      loss.backward();
      optimizer.step();
      total += loss.item<double>();
      ++batches;
    }
    // Halve the learning rate every second epoch (LibTorch's StepLR counts its steps one later than Python's,
    // which reel follows; docs/porting.md).
    auto& options = static_cast<torch::optim::SGDOptions&>(optimizer.param_groups()[0].options());
    if (epoch % 2 == 0) options.lr(options.lr() * 0.5);
    const double lr = options.lr();
    std::printf("epoch %d batches %ld mean loss %.6g next lr %.6g\n", epoch, static_cast<long>(batches),
                total / static_cast<double>(batches), lr);
  }

  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor output = net->forward(images);
  const double summed = torch::nll_loss(output, labels, /*weight=*/{}, torch::Reduction::Sum).item<double>();
  const int64_t correct = output.argmax(1).eq(labels).sum().item<int64_t>();
  std::printf("eval nll sum %.6g correct %ld of 64\n", summed, static_cast<long>(correct));
  std::printf("running mean %.6g running var %.6g\n", net->norm->running_mean.sum().item<double>(),
              net->norm->running_var.sum().item<double>());

  // The other top-level losses, LibTorch's argument order.
  torch::Tensor probs = torch::sigmoid(output.narrow(1, 0, 2));
  torch::Tensor targets = torch::remainder(torch::arange(128, torch::kFloat).reshape({64, 2}), 2);
  std::printf("bce %.6g\n", torch::binary_cross_entropy(probs, targets).item<double>());
  std::printf("mse sum %.6g\n", torch::mse_loss(probs, targets, torch::Reduction::Sum).item<double>());
  std::printf("smooth l1 %.6g\n",
              torch::smooth_l1_loss(output.exp(), targets.narrow(1, 0, 1).expand({64, 3}), torch::Reduction::Mean, 0.5)
                  .item<double>());

  // A checkpoint round trip: a fresh network loaded from the file computes the same outputs.
  const std::string path = "port_classifier_checkpoint.pt";
  torch::save(net, path);
  Net restored;
  torch::load(restored, path);
  restored->eval();
  const double difference = (restored->forward(images) - output).abs().max().item<double>();
  std::printf("restored max difference %.6g\n", difference);
  std::remove(path.c_str());
  return 0;
}
