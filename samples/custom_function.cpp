// reel/samples/custom_function.cpp — embedding reel in existing code: a user-written op with its own backward.
//
// Suppose your code base already has a fast routine (here: a numerically careful softplus, y = ln(1 + e^x))
// and you want it inside reel graphs with the gradient you know in closed form. Wrap it in a
// reel::autograd::Function, check the gradient with gradcheck, and use it like any op.
//
//   ./custom_function            runs the checks and a tiny fit, prints what it does
//   ./custom_function --help     the options (--seed, --threads, --steps)
#include <reel/reel.h>

#include <cmath>
#include <cstdio>

#include "common/cli.h"

namespace {

// The "existing code": softplus on a float64 array, stable for large |x|.
void legacy_softplus(const double* in, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] > 0 ? in[i] + std::log1p(std::exp(-in[i])) : std::log1p(std::exp(in[i]));
}

// y = softplus(x); dy/dx = sigmoid(x)
struct Softplus : reel::autograd::Function<Softplus> {
  static reel::Tensor forward(reel::autograd::AutogradContext* ctx, reel::Tensor x) {
    reel::Tensor input = x.to(reel::kFloat64).contiguous();
    reel::Tensor out = reel::empty(input.sizes(), reel::kFloat64);
    legacy_softplus(input.data_ptr<double>(), out.data_ptr<double>(), input.numel());
    ctx->save_for_backward({x});
    return out.to(x.dtype());
  }
  static reel::autograd::tensor_list backward(reel::autograd::AutogradContext* ctx,
                                              reel::autograd::tensor_list grads) {
    reel::Tensor x = ctx->get_saved_variables()[0];
    return {grads[0] * reel::sigmoid(x)};  // written with reel ops: differentiable again
  }
};

}  // namespace

int run(int argc, char** argv) {
  int64_t seed = 7, threads = 0, steps = 300;
  reel_samples::ArgParser args("custom_function",
                               "wraps a legacy C routine as a reel op with its own backward, checks it with "
                               "gradcheck and gradgradcheck, then fits a tiny model with it.");
  args.option("--seed", seed, "random seed of the gradcheck inputs");
  args.option("--threads", threads, "CPU threads; 0 = all cores");
  args.option("--steps", steps, "gradient-descent steps of the fit (it must converge: exit status 1 otherwise)");
  args.epilogue("Runs on the CPU in float64 (the legacy routine reads host memory); no data needed.");
  if (!args.parse(argc, argv)) return 0;
  if (threads < 0 || steps < 1) throw reel::Error("--threads must be >= 0 and --steps >= 1");
  if (threads > 0) reel::set_num_threads(static_cast<int>(threads));
  reel::manual_seed(static_cast<uint64_t>(seed));

  // 1. gradcheck: analytic (our backward) vs central finite differences, in float64.
  reel::Tensor x = reel::randn({6}, reel::dtype(reel::kFloat64).requires_grad(true)) * 3;
  x = x.detach().requires_grad_();
  auto first = reel::autograd::gradcheck([](const std::vector<reel::Tensor>& in) { return Softplus::apply(in[0]); }, {x});
  auto second =
      reel::autograd::gradgradcheck([](const std::vector<reel::Tensor>& in) { return Softplus::apply(in[0]); }, {x});
  std::printf("gradcheck:     %s %s\n", first ? "passed" : "FAILED", first.message.c_str());
  std::printf("gradgradcheck: %s %s\n", second ? "passed" : "FAILED", second.message.c_str());
  if (!first || !second) return 1;

  // 2. Use it in a graph like any op: fit y = softplus(a * t + c) to data made with a = 1.5, c = -0.5.
  reel::Tensor t = reel::linspace(-2, 2, 64, reel::kFloat64);
  reel::Tensor target = Softplus::apply(t * 1.5 - 0.5).detach();
  reel::Tensor a = reel::zeros({1}, reel::kFloat64).requires_grad_();
  reel::Tensor c = reel::zeros({1}, reel::kFloat64).requires_grad_();
  double loss_value = 0;
  for (int64_t step = 0; step < steps; ++step) {
    reel::Tensor loss = (Softplus::apply(t * a + c) - target).square().mean();
    loss.backward();
    {
      reel::NoGradGuard no_grad;
      a.sub_(a.grad() * 0.5);
      c.sub_(c.grad() * 0.5);
    }
    a.mutable_grad().zero_();
    c.mutable_grad().zero_();
    loss_value = loss.item<double>();
  }
  std::printf("fit after %lld steps: a = %.4f (true 1.5), c = %.4f (true -0.5), loss %.2e\n",
              static_cast<long long>(steps), a.item<double>(), c.item<double>(), loss_value);
  std::printf("node name: %s\n", reel::autograd::grad_fn_name(Softplus::apply(a)).c_str());
  const bool converged = std::fabs(a.item<double>() - 1.5) < 1e-2 && std::fabs(c.item<double>() + 0.5) < 1e-2;
  return converged ? 0 : 1;
}

int main(int argc, char** argv) {
  return reel_samples::run_main("custom_function", [&] { return run(argc, argv); });
}
