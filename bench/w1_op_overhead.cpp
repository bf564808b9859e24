// bench/w1_op_overhead.cpp — W1 of ../shared/bench-workloads.md: the fixed cost of one small op.
//
// x, w, b of shape [16] (w and b leaves with requires_grad); y = x; 1000 times y = tanh(y * w + b), i.e.
// 3000 ops; loss = y.sum(); 20 repeats after 3 warm-ups; ns/op = time / 3000. Figures:
//   forward_nograd_ns_per_op    the forward under NoGradGuard (no tape)
//   forward_tape_ns_per_op      the forward with grad on: every op also records a node
//   forward_backward_ns_per_op  the forward with tape, loss = y.sum(), loss.backward()
//   plain_loop_ns_per_op        the same math as a plain C++ loop over float arrays: the floor
//   autobatch_forward_backward_ns_per_op   forward_backward inside a reel::autobatch::Scope: the 3000 ops are
//                               recorded and run at backward, one batch of one op each (a chain gains nothing):
//                               what the scope costs (issue 18's target: at most 1.2x forward_backward)
// Each timed pass includes freeing what it built (the graph dies at the end of the pass, as in a training
// loop); w's and b's gradients are zeroed between passes, outside the timer.
//
//   w1_op_overhead [--threads N] [--quick]
#include <reel/reel.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

constexpr int64_t kWidth = 16;
constexpr int kOpsPerStep = 3;  // mul, add, tanh

struct Plan {
  int steps, warmups, repeats;
};

enum class Pass { kForwardNoGrad, kForwardTape, kForwardBackward };

std::vector<double> time_reel(const Plan& plan, Pass pass, bool in_scope = false) {
  reel::manual_seed(0);
  const reel::Tensor x = reel::randn({kWidth});
  const reel::Tensor w = reel::randn({kWidth}, reel::requires_grad());
  const reel::Tensor b = reel::randn({kWidth}, reel::requires_grad());
  reel::AutoGradMode grad_mode(pass != Pass::kForwardNoGrad);
  std::vector<double> samples;
  float first = 0;
  for (int r = 0; r < plan.warmups + plan.repeats; ++r) {
    for (const reel::Tensor& leaf : {w, b}) {
      reel::Tensor grad = leaf.grad();  // a handle to the same storage
      if (grad.defined()) grad.zero_();
    }
    const double start = bench::now_seconds();
    {
      std::optional<reel::autobatch::Scope> scope;
      if (in_scope) scope.emplace();
      reel::Tensor y = x;
      for (int s = 0; s < plan.steps; ++s) y = reel::tanh(y * w + b);
      if (pass == Pass::kForwardBackward) y.sum().backward();
      first = y.data_ptr<float>()[0];
    }
    const double elapsed = bench::now_seconds() - start;
    if (r >= plan.warmups) samples.push_back(elapsed * 1e9 / (plan.steps * kOpsPerStep));
  }
  if (!std::isfinite(first) || (pass == Pass::kForwardBackward && !w.grad().defined())) {
    std::fprintf(stderr, "w1: reel pass %d went wrong (y[0] = %g)\n", static_cast<int>(pass), first);
    std::exit(1);
  }
  return samples;
}

std::vector<double> time_plain_loop(const Plan& plan) {
  std::vector<float> x(kWidth), w(kWidth), b(kWidth), y(kWidth);
  for (int64_t i = 0; i < kWidth; ++i) {  // fixed, bounded values; the floor does not depend on them
    x[i] = std::sin(0.3f * static_cast<float>(i));
    w[i] = 0.5f + 0.05f * static_cast<float>(i);
    b[i] = 0.1f * std::cos(0.7f * static_cast<float>(i));
  }
  std::vector<double> samples;
  for (int r = 0; r < plan.warmups + plan.repeats; ++r) {
    const double start = bench::now_seconds();
    y = x;
    for (int s = 0; s < plan.steps; ++s) {
      for (int64_t i = 0; i < kWidth; ++i) y[i] = std::tanh(y[i] * w[i] + b[i]);
      bench::keep(y.data());
    }
    const double elapsed = bench::now_seconds() - start;
    bench::keep(y[0]);
    if (r >= plan.warmups) samples.push_back(elapsed * 1e9 / (plan.steps * kOpsPerStep));
  }
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Options options = bench::parse_options(argc, argv, "[--threads N] [--quick]");
  reel::set_num_threads(options.threads);
  const Plan plan = options.quick ? Plan{10, 1, 2} : Plan{1000, 3, 20};
  const std::string extra = "threads=" + std::to_string(options.threads) + " steps=" + std::to_string(plan.steps) +
                            (options.quick ? " quick=1" : "");
  try {
    bench::print_figure("W1", "forward_nograd_ns_per_op", "ns",
                        bench::summarize(time_reel(plan, Pass::kForwardNoGrad)), extra);
    bench::print_figure("W1", "forward_tape_ns_per_op", "ns", bench::summarize(time_reel(plan, Pass::kForwardTape)),
                        extra);
    bench::print_figure("W1", "forward_backward_ns_per_op", "ns",
                        bench::summarize(time_reel(plan, Pass::kForwardBackward)), extra);
    bench::print_figure("W1", "plain_loop_ns_per_op", "ns", bench::summarize(time_plain_loop(plan)), extra);
    bench::print_figure("W1", "autobatch_forward_backward_ns_per_op", "ns",
                        bench::summarize(time_reel(plan, Pass::kForwardBackward, true)), extra);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w1: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
