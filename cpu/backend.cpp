// reel/cpu/backend.cpp — the CPU backend: registers its allocator and every CPU kernel file.
#include "cpu/kernels.h"
#include "tensor/dispatch.h"

namespace reel {

void register_cpu_backend() {
  register_allocator(kCPU, cpu::caching_allocator());
  cpu::register_elementwise_kernels();
  cpu::register_copy_kernels();
  cpu::register_reduce_kernels();
  cpu::register_matmul_kernels();
  cpu::register_shape_kernels();
  cpu::register_index_kernels();
  cpu::register_softmax_kernels();
  cpu::register_conv_kernels();
  cpu::register_pool_kernels();
  cpu::register_norm_kernels();
  cpu::register_rnn_kernels();
  cpu::register_rnn_cell_kernels();
  cpu::register_random_kernels();
  cpu::register_random_sampling_kernels();
  cpu::register_creation_kernels();
  cpu::register_sort_kernels();
  cpu::register_scan_kernels();
  cpu::register_unique_search_kernels();
  cpu::register_resample_kernels();
  cpu::register_ctc_kernels();
  cpu::register_svd_kernels();
  cpu::register_advanced_index_kernels();
}

}  // namespace reel
