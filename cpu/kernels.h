// reel/cpu/kernels.h — registration entry points of the CPU kernel files (internal to cpu/).
// cpu/backend.cpp calls each once when the kernel table is first used.
#pragma once

namespace reel {
class Allocator;
}

namespace reel::cpu {

Allocator* caching_allocator();       // allocator.cpp
void register_elementwise_kernels();  // elementwise.cpp
void register_copy_kernels();         // copy.cpp
void register_reduce_kernels();       // reduce.cpp
void register_matmul_kernels();       // matmul.cpp
void register_shape_kernels();        // shape.cpp
void register_index_kernels();        // index.cpp
void register_softmax_kernels();      // softmax.cpp
void register_conv_kernels();         // conv.cpp
void register_pool_kernels();         // pool.cpp
void register_norm_kernels();         // norm.cpp
void register_rnn_kernels();          // rnn.cpp
void register_rnn_cell_kernels();     // rnn_cell.cpp (the fused LSTM / GRU / Tree-LSTM cells)
void register_random_kernels();       // random.cpp
void register_random_sampling_kernels();  // random_sampling.cpp
void register_creation_kernels();     // creation.cpp
void register_sort_kernels();         // sort.cpp
void register_scan_kernels();         // scan.cpp
void register_unique_search_kernels();  // unique_search.cpp
void register_resample_kernels();     // resample.cpp (interpolate, grid_sample)
void register_ctc_kernels();          // ctc.cpp
void register_svd_kernels();          // svd.cpp (one-sided Jacobi)
void register_advanced_index_kernels();  // advanced_index.cpp

}  // namespace reel::cpu
