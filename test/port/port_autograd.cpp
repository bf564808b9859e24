// reel/test/port/port_autograd.cpp — autograd written against LibTorch's C++ API: grad_fn()->name(), custom
// Function nodes with saved_data, torch::autograd::grad with create_graph (a gradient penalty), backward with a
// vector, retain_grad, NoGradGuard and detach. The port check (test/port/CMakeLists.txt) renames `torch::` ->
// `reel::`, builds it against reel and compares the printed lines with what LibTorch printed
// (port_autograd.expected, written by scripts/port_expected.sh).
#include <torch/torch.h>

#include <cstdio>
#include <string>

using namespace torch::autograd;

void print_values(const char* label, const torch::Tensor& t) {
  torch::Tensor flat = t.detach().to(torch::kDouble).reshape({-1});
  std::printf("%s [", label);
  for (int64_t i = 0; i < flat.numel(); ++i) std::printf(i == 0 ? "%.6g" : " %.6g", flat[i].item<double>());
  std::printf("]\n");
}

// y = x W^T + b with its own backward.
class LinearFunction : public Function<LinearFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor input, torch::Tensor weight,
                               torch::Tensor bias = torch::Tensor()) {
    ctx->save_for_backward({input, weight, bias});
    auto output = input.mm(weight.t());
    if (bias.defined()) output += bias.unsqueeze(0).expand_as(output);
    return output;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    auto grad_output = grad_outputs[0];
    torch::Tensor grad_bias;
    if (saved[2].defined()) grad_bias = grad_output.sum(0);
    return {grad_output.mm(saved[1]), grad_output.t().mm(saved[0]), grad_bias};
  }
};

// y = c x, c kept in saved_data.
class ScaleBy : public Function<ScaleBy> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, double constant) {
    ctx->saved_data["constant"] = constant;
    ctx->saved_data["calls"] = static_cast<int64_t>(1);
    return x * constant;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const double c = ctx->saved_data["constant"].toDouble();
    const int64_t calls = ctx->saved_data["calls"].toInt();
    return {grad_outputs[0] * c * static_cast<double>(calls), torch::Tensor()};
  }
};

int main() {
  auto x = torch::tensor({{1.0, 2.0}, {3.0, 4.0}}, torch::requires_grad());
  auto y = x + 2;
  auto z = y * y * 3;
  auto out = z.mean();
  std::printf("%s %s %s\n", y.grad_fn()->name().c_str(), z.grad_fn()->name().c_str(),
              out.grad_fn()->name().c_str());
  const char* labels[] = {"sub", "div", "pow", "exp", "mm", "sum", "t", "view", "select", "cat", "relu", "sigmoid",
                          "tanh", "sum dim", "unsqueeze", "neg", "log_softmax"};
  torch::Tensor results[] = {x - 1,
                             x / 2,
                             x.pow(2),
                             x.exp(),
                             x.mm(x),
                             x.sum(),
                             x.t(),
                             x.view({4}),
                             x[0],
                             torch::cat({x, x}),
                             torch::relu(x),
                             torch::sigmoid(x),
                             torch::tanh(x),
                             x.sum(1),
                             x.unsqueeze(0),
                             -x,
                             torch::log_softmax(x, 1)};
  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); ++i)
    std::printf("%s: %s\n", labels[i], results[i].grad_fn()->name().c_str());

  out.backward();
  print_values("x.grad", x.grad());
  auto counter = torch::zeros({2});
  const int64_t before = counter._version();
  counter.add_(1);
  counter.mul_(2);
  std::printf("in-place ops bumped the version by %ld\n", static_cast<long>(counter._version() - before));

  // A vector-Jacobian product.
  auto v_in = torch::tensor({0.5f, -1.0f, 2.0f}, torch::requires_grad());
  auto doubled = v_in * 2;
  while (doubled.norm().item<double>() < 100) doubled = doubled * 2;
  doubled.backward(torch::tensor({0.1, 1.0, 0.0001}, torch::kFloat));
  print_values("vjp grad", v_in.grad());

  // A gradient penalty through torch::autograd::grad with create_graph.
  auto model = torch::nn::Linear(4, 3);
  {
    torch::NoGradGuard no_grad;
    model->weight.copy_(torch::sin(torch::arange(12, torch::kFloat)).reshape({3, 4}));
    model->bias.copy_(torch::cos(torch::arange(3, torch::kFloat)));
  }
  auto input = (torch::arange(12, torch::kFloat).reshape({3, 4}) * 0.1).requires_grad_(true);
  auto output = model(input);
  auto target = torch::ones({3, 3});
  auto loss = torch::nn::MSELoss()(output, target);
  auto gradient = torch::autograd::grad({output}, {input}, {torch::ones_like(output)}, /*retain_graph=*/true,
                                        /*create_graph=*/true)[0];
  auto penalty = torch::pow(gradient.norm(2, /*dim=*/1) - 1, 2).mean();
  (loss + penalty).backward();
  print_values("penalty input grad", input.grad());
  print_values("penalty weight grad", model->weight.grad());

  // Custom functions.
  auto a = (torch::arange(6, torch::kFloat).reshape({2, 3}) * 0.25).requires_grad_();
  auto w = (torch::arange(12, torch::kFloat).reshape({4, 3}) * -0.1).requires_grad_();
  auto b = torch::arange(4, torch::kFloat).requires_grad_();
  auto lin = LinearFunction::apply(a, w, b);
  std::printf("custom node %s\n", lin.grad_fn()->name().c_str());
  lin.sum().backward();
  print_values("custom a.grad", a.grad());
  print_values("custom w.grad", w.grad());
  print_values("custom b.grad", b.grad());
  auto s_in = torch::tensor({1.0, -2.0}, torch::requires_grad());
  ScaleBy::apply(s_in, 5.5).sum().backward();
  print_values("scaled grad", s_in.grad());

  // Switching tracking off.
  std::printf("requires_grad %d", static_cast<int>(x.pow(2).requires_grad()));
  {
    torch::NoGradGuard no_grad;
    std::printf(" under NoGradGuard %d", static_cast<int>(x.pow(2).requires_grad()));
  }
  std::printf(" detached %d equal %d\n", static_cast<int>(x.detach().requires_grad()),
              static_cast<int>(x.eq(x.detach()).all().item<bool>()));
  return 0;
}
