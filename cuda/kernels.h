// reel/cuda/kernels.h — registration entry points of the CUDA kernel files (internal to cuda/), mirroring
// cpu/kernels.h file for file, plus the few runtime services every CUDA file shares.
// cuda/backend.cpp calls each register_* once when the kernel table is first used.
#pragma once

#include <cuda_runtime.h>

namespace reel {
class Allocator;
struct Device;
}

namespace reel::cuda {

// ---- runtime services (allocator.cpp, stream.cpp) ----------------------------------------------------------
Allocator* caching_allocator();  // allocator.cpp: the caching device allocator
Allocator* pinned_allocator();   // allocator.cpp: page-locked host memory for pin_memory()
// The stream every kernel of the calling thread launches on, for the current device (stream.cpp).
cudaStream_t current_raw_stream();
// Makes `device` current for this thread, after checking it exists (reel::Error otherwise).
void set_current_device(const Device& device);
// Throws reel::Error when no CUDA device `index` exists (names the device and how many there are).
void check_device_index(int index);

// ---- kernel files ---------------------------------------------------------------------------------------------
void register_elementwise_kernels();  // elementwise.cu
void register_copy_kernels();         // copy.cu
void register_reduce_kernels();       // reduce.cu
void register_matmul_kernels();       // matmul.cpp (cuBLAS / cuBLASLt)
void register_shape_kernels();        // shape.cu
void register_index_kernels();        // index.cu
void register_softmax_kernels();      // softmax.cu
void register_conv_kernels();         // conv.cpp (cuDNN) + conv_naive.cu (reel's own kernels)
void register_pool_kernels();         // pool.cu
void register_norm_kernels();         // norm.cu (reel's own kernels) + norm_cudnn.cpp (cuDNN)
void register_rnn_kernels();          // rnn.cpp (cuDNN; the generic implementation where cuDNN is not used)
void register_rnn_cell_kernels();     // rnn_cell.cu (the fused LSTM / GRU / Tree-LSTM cells)
void register_random_kernels();       // random.cu
void register_random_sampling_kernels();  // random_sampling.cu
void register_creation_kernels();     // creation.cu
void register_sort_kernels();         // sort.cu
void register_scan_kernels();         // scan.cu
void register_unique_search_kernels();  // unique_search.cu
void register_resample_kernels();     // resample.cu (interpolate, grid_sample)
void register_ctc_kernels();          // ctc.cpp (the CPU recursion through host copies; cuDNN's CTC)
void register_svd_kernels();          // svd.cpp (the CPU Jacobi through host copies)
void register_advanced_index_kernels();  // advanced_index.cu

}  // namespace reel::cuda
