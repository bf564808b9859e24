// reel/tensor/parallel.cpp — thread count and parallel_for on OpenMP (the runtime oneDNN also uses).
#include "tensor/parallel.h"

#include <omp.h>

#include <atomic>
#include <exception>

#include "tensor/error_format.h"

namespace reel {

namespace {
// Our own record of the requested count: omp_get_max_threads() is per-thread state in OpenMP, and reel's
// setting must hold for every thread that calls into it.
std::atomic<int> g_num_threads{0};
}  // namespace

void set_num_threads(int threads) {
  REEL_CHECK(threads >= 1, "set_num_threads: thread count must be >= 1, got {}", threads);
  g_num_threads.store(threads, std::memory_order_relaxed);
  omp_set_num_threads(threads);
}

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = omp_get_max_threads();
    g_num_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

bool in_parallel_region() { return omp_in_parallel() != 0; }

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, FunctionRef<void(int64_t, int64_t)> body) {
  const int64_t threads = get_num_threads();
  const int64_t total = end - begin;
  const int64_t chunks = total < threads ? total : threads;
  std::exception_ptr error;
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t chunk_begin = begin + total * c / chunks;
    const int64_t chunk_end = begin + total * (c + 1) / chunks;
    try {
      body(chunk_begin, chunk_end);
    } catch (...) {
#pragma omp critical(reel_parallel_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}
}  // namespace detail

}  // namespace reel
