// bench/w2_gemm.cpp — W2 of ../shared/bench-workloads.md: C = A.matmul(B), float32, square n.
//
// For n in {64, 256, 1024, 2048} and 1 and 2 threads it times reel::matmul and, alternating with it in the
// same run, oneDNN's own dnnl_sgemm on the same buffers, and prints GFLOP/s = 2 n^3 / t for each:
//   bench=W2 figure=reel_matmul_gflops ... n=1024 threads=1
//   bench=W2 figure=dnnl_sgemm_gflops  ... n=1024 threads=1
// Each repeat runs enough calls to last about 0.1 s; reel's result is checked against oneDNN's once per n.
//
// With --device cuda it times reel::matmul on the GPU instead (n in {256, 1024, 2048, 4096}, float32, TF32 off as
// by default), waiting for the GPU at the end of each repeat:
//   bench=W2 figure=reel_matmul_gflops ... n=1024 device=cuda
//
//   w2_gemm [--quick] [--device cpu|cuda]   (--quick: tiny sizes, 2 repeats: a smoke run, not a measurement)
#include <dnnl.h>
#include <reel/reel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

// Calls per repeat so that one repeat lasts about `target_seconds` at `expected_gflops`.
int calls_per_repeat(int64_t n, double expected_gflops, double target_seconds) {
  const double seconds_per_call = 2.0 * n * n * n / (expected_gflops * 1e9);
  return std::max(1, static_cast<int>(target_seconds / seconds_per_call));
}

void dnnl_gemm(const float* a, const float* b, float* c, int64_t n) {
  const dnnl_status_t status = dnnl_sgemm('N', 'N', n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  if (status != dnnl_success) {
    std::fprintf(stderr, "w2: dnnl_sgemm failed with status %d\n", static_cast<int>(status));
    std::exit(1);
  }
}

// Both results must agree; the entries are sums of n products of N(0,1) values, of size about sqrt(n).
void check_same(const reel::Tensor& reel_result, const std::vector<float>& dnnl_result, int64_t n) {
  const std::vector<float> values = reel_result.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < values.size(); ++i) worst = std::max(worst, std::fabs(double(values[i]) - dnnl_result[i]));
  if (values.size() != dnnl_result.size() || worst > 1e-3 * std::sqrt(double(n))) {
    std::fprintf(stderr, "w2: reel::matmul and dnnl_sgemm differ at n=%lld (max |diff| %g)\n",
                 static_cast<long long>(n), worst);
    std::exit(1);
  }
}

void run_size(int64_t n, int threads, int repeats, double target_seconds, bool quick) {
  reel::set_num_threads(threads);
  reel::manual_seed(static_cast<uint64_t>(n));
  const reel::Tensor a = reel::randn({n, n});
  const reel::Tensor b = reel::randn({n, n});
  std::vector<float> c(static_cast<size_t>(n * n));
  const float* a_data = a.data_ptr<float>();
  const float* b_data = b.data_ptr<float>();

  // One warm-up call each (also the correctness check), then calls sized from a rough expected speed.
  reel::Tensor result = reel::matmul(a, b);
  dnnl_gemm(a_data, b_data, c.data(), n);
  check_same(result, c, n);
  const int calls = calls_per_repeat(n, 50.0 * threads, target_seconds);

  std::vector<double> reel_gflops, dnnl_gflops;
  const double flops = 2.0 * n * n * n * calls;
  for (int r = 0; r < repeats; ++r) {  // alternate the two sides so both see the same machine noise
    double start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) result = reel::matmul(a, b);
    reel_gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
    bench::keep(result.data_ptr());

    start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) dnnl_gemm(a_data, b_data, c.data(), n);
    dnnl_gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
    bench::keep(c.data());
  }
  const std::string extra = "n=" + std::to_string(n) + " threads=" + std::to_string(threads) +
                            " calls_per_repeat=" + std::to_string(calls) + (quick ? " quick=1" : "");
  bench::print_figure("W2", "reel_matmul_gflops", "GFLOP/s", bench::summarize(reel_gflops), extra);
  bench::print_figure("W2", "dnnl_sgemm_gflops", "GFLOP/s", bench::summarize(dnnl_gflops), extra);
}

#ifdef REEL_WITH_CUDA
// C = A B on the GPU; the result is checked once against the CPU product of the same matrices.
void run_size_cuda(int64_t n, int repeats, double target_seconds, bool quick) {
  reel::manual_seed(static_cast<uint64_t>(n));
  const reel::Tensor a_host = reel::randn({n, n});
  const reel::Tensor b_host = reel::randn({n, n});
  const reel::Tensor a = a_host.to(reel::kCUDA);
  const reel::Tensor b = b_host.to(reel::kCUDA);
  reel::Tensor result = reel::matmul(a, b);
  const reel::Tensor expected = reel::matmul(a_host, b_host);
  const double worst = (result.to(reel::kCPU) - expected).abs().max().item<double>();
  if (worst > 1e-3 * std::sqrt(double(n))) {
    std::fprintf(stderr, "w2: CUDA and CPU matmul differ at n=%lld (max |diff| %g)\n", static_cast<long long>(n), worst);
    std::exit(1);
  }
  const int calls = calls_per_repeat(n, 20000.0, target_seconds);
  std::vector<double> gflops;
  const double flops = 2.0 * n * n * n * calls;
  for (int r = 0; r < repeats; ++r) {
    reel::cuda::synchronize();
    const double start = bench::now_seconds();
    for (int i = 0; i < calls; ++i) result = reel::matmul(a, b);
    reel::cuda::synchronize();
    gflops.push_back(flops / (bench::now_seconds() - start) / 1e9);
  }
  const std::string extra = "n=" + std::to_string(n) + " device=cuda calls_per_repeat=" + std::to_string(calls) +
                            (quick ? " quick=1" : "");
  bench::print_figure("W2", "reel_matmul_gflops", "GFLOP/s", bench::summarize(gflops), extra);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const bench::Options options = bench::parse_options(argc, argv, "[--quick] [--threads N] [--device cpu|cuda]");
  if (options.device == "cuda") {
#ifdef REEL_WITH_CUDA
    try {
      const std::vector<int64_t> cuda_sizes = options.quick ? std::vector<int64_t>{16, 64}
                                                            : std::vector<int64_t>{256, 1024, 2048, 4096};
      for (int64_t n : cuda_sizes) run_size_cuda(n, options.quick ? 2 : 10, options.quick ? 0.001 : 0.1, options.quick);
    } catch (const reel::Error& e) {
      std::fprintf(stderr, "w2: reel::Error: %s\n", e.what());
      return 1;
    }
    return 0;
#else
    std::fprintf(stderr, "w2: this build of reel has no CUDA backend\n");
    return 2;
#endif
  }
  const std::vector<int64_t> sizes = options.quick ? std::vector<int64_t>{16, 64}
                                                   : std::vector<int64_t>{64, 256, 1024, 2048};
  const int repeats = options.quick ? 2 : 10;
  const double target_seconds = options.quick ? 0.001 : 0.1;
  try {
    const std::vector<int> thread_counts = options.threads_given ? std::vector<int>{options.threads} : std::vector<int>{1, 2};
    for (int threads : thread_counts)
      for (int64_t n : sizes) run_size(n, threads, repeats, target_seconds, options.quick);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w2: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
