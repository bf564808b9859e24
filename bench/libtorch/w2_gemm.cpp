// bench/libtorch/w2_gemm.cpp — W2 of ../shared/bench-workloads.md in LibTorch, the twin of bench/w2_gemm.cpp:
// C = A B, float32, square n in {64, 256, 1024, 2048}, at 1 and 2 threads (or only --threads N).
//
// Three LibTorch forms of the same product, alternating within each repeat so all see the same machine noise:
//   bench=W2 figure=torch_matmul_gflops ... n=1024 threads=1   c = a.matmul(b)      (reel's reel_matmul_gflops)
//   bench=W2 figure=torch_mm_gflops     ... n=1024 threads=1   c = torch::mm(a, b)
//   bench=W2 figure=torch_mm_out_gflops ... n=1024 threads=1   torch::mm_out(c, a, b) into a reused c
// GFLOP/s = 2 n^3 / t; each repeat runs enough calls to last about 0.1 s; 10 repeats.
// LibTorch's GEMM is whatever sgemm_ the process resolves: Debian's reference BLAS, or oneDNN when
// bench/libtorch/dnnl_blas.cpp is preloaded (scripts/bench.sh does that by default). The result is checked
// against a float64 product once per n.
//
//   libtorch_w2_gemm [--quick] [--threads N]
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

int calls_per_repeat(int64_t n, double expected_gflops, double target_seconds) {
  const double seconds_per_call = 2.0 * n * n * n / (expected_gflops * 1e9);
  return std::max(1, static_cast<int>(target_seconds / seconds_per_call));
}

void run_size(int64_t n, int threads, int repeats, double target_seconds, bool quick) {
  torch::set_num_threads(threads);
  torch::manual_seed(static_cast<uint64_t>(n));
  const torch::Tensor a = torch::randn({n, n});
  const torch::Tensor b = torch::randn({n, n});
  torch::Tensor c = torch::empty({n, n});
  torch::NoGradGuard no_grad;

  // Warm-up and correctness check; then a first timing sizes the calls per repeat (the speed depends on the BLAS).
  torch::Tensor result = a.matmul(b);
  const double worst = (result.to(torch::kFloat64) - a.to(torch::kFloat64).mm(b.to(torch::kFloat64)))
                           .abs().max().item<double>();
  if (worst > 1e-3 * std::sqrt(double(n))) {
    std::fprintf(stderr, "w2: torch matmul is wrong at n=%lld (max |diff| %g)\n", static_cast<long long>(n), worst);
    std::exit(1);
  }
  double start = bench::now_seconds();
  result = a.matmul(b);
  const double probe_gflops = 2.0 * n * n * n / std::max(bench::now_seconds() - start, 1e-9) / 1e9;
  const int calls = calls_per_repeat(n, std::max(probe_gflops, 0.1), target_seconds);

  std::vector<double> matmul_gflops, mm_gflops, mm_out_gflops;
  const double flops = 2.0 * n * n * n * calls;
  for (int r = 0; r < repeats; ++r) {
    start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) result = a.matmul(b);
    matmul_gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
    bench::keep(result.data_ptr());

    start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) result = torch::mm(a, b);
    mm_gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
    bench::keep(result.data_ptr());

    start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) torch::mm_out(c, a, b);
    mm_out_gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
    bench::keep(c.data_ptr());
  }
  const std::string extra = "n=" + std::to_string(n) + " threads=" + std::to_string(threads) +
                            " calls_per_repeat=" + std::to_string(calls) + (quick ? " quick=1" : "");
  bench::print_figure("W2", "torch_matmul_gflops", "GFLOP/s", bench::summarize(matmul_gflops), extra);
  bench::print_figure("W2", "torch_mm_gflops", "GFLOP/s", bench::summarize(mm_gflops), extra);
  bench::print_figure("W2", "torch_mm_out_gflops", "GFLOP/s", bench::summarize(mm_out_gflops), extra);
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Options options = bench::parse_options(argc, argv, "[--quick] [--threads N]");
  const std::vector<int64_t> sizes = options.quick ? std::vector<int64_t>{16, 64}
                                                   : std::vector<int64_t>{64, 256, 1024, 2048};
  const int repeats = options.quick ? 2 : 10;
  const double target_seconds = options.quick ? 0.001 : 0.1;
  try {
    const std::vector<int> thread_counts =
        options.threads_given ? std::vector<int>{options.threads} : std::vector<int>{1, 2};
    for (int threads : thread_counts)
      for (int64_t n : sizes) run_size(n, threads, repeats, target_seconds, options.quick);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "w2: c10::Error: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}
