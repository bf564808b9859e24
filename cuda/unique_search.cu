// reel/cuda/unique_search.cu — counting and searching on CUDA: unique, unique_consecutive, bincount, histc,
// searchsorted; same semantics as cpu/unique_search.cpp.
//
//   unique       thrust's stable sort of the flattened input's positions under the NaN-last order of
//                tensor/sort_math.h (unique_consecutive keeps input order); a kernel flags each position whose
//                key differs from the one before (x != y: every NaN starts a group), an inclusive scan numbers the
//                groups, and the group count is read back to size the outputs, which the kernel makes itself;
//                a last kernel writes the values, the inverse and, from the group starts, the counts.
//   bincount     one thread per input element, atomicAdd into the zeroed output (the weights' float sums may
//                round in another order than the CPU's).
//   histc        atomicAdd of each element's bin (sort_math.h's histogram_bin, in double) into int64 counts,
//                then one pass storing them in the output's dtype.
//   searchsorted one thread per value, sort_math.h's binary search (shared with the CPU).
#include <cstdint>

#include <thrust/execution_policy.h>
#include <thrust/scan.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/sort_math.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 256;

unsigned int grid_for(int64_t work) {
  const int64_t blocks = (work + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

#define REEL_GRID_STRIDE(i, n)                                                                     \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n);         \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// ---- unique ------------------------------------------------------------------------------------------------------
template <typename T>
struct PositionLess {
  const T* in;
  __device__ bool operator()(int64_t a, int64_t b) const {
    return sorting::nan_last_less(static_cast<compute_t<T>>(in[a]), static_cast<compute_t<T>>(in[b]));
  }
};

// starts[p] = 1 where position p of the order begins a group (its key differs from the previous one's).
template <typename T>
__global__ void group_start_kernel(const T* in, const int64_t* order, int64_t* starts, int64_t n) {
  REEL_GRID_STRIDE(p, n) {
    starts[p] = p == 0 || static_cast<compute_t<T>>(in[order[p]]) != static_cast<compute_t<T>>(in[order[p - 1]]);
  }
}

// group[p] = 1-based group of position p (the inclusive scan of starts).
template <typename T>
__global__ void unique_write_kernel(const T* in, const int64_t* order, const int64_t* group, int64_t n, T* values,
                                    int64_t* inverse, int64_t* counts, int64_t groups) {
  REEL_GRID_STRIDE(p, n) {
    const int64_t g = group[p] - 1;
    const bool first = p == 0 || group[p - 1] != group[p];
    if (first) values[g] = in[order[p]];
    if (inverse != nullptr) inverse[order[p]] = g;
    if (counts != nullptr && first) {  // the group runs to the next group's first position
      int64_t end = p + 1;
      while (end < n && group[end] == group[p]) ++end;
      counts[g] = end - p;
    }
  }
}

template <bool kConsecutive>
void unique_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const UniqueAttrs& attrs = args.attrs->get<UniqueAttrs>();
  const int64_t n = x.numel();
  const cudaStream_t stream = current_raw_stream();
  Tensor order = Tensor::make({n}, kInt64, x.device(), op_name(args.op).data());
  Tensor group = Tensor::make({n}, kInt64, x.device(), op_name(args.op).data());
  auto* order_data = static_cast<int64_t*>(order.data_ptr());
  auto* group_data = static_cast<int64_t*>(group.data_ptr());
  int64_t groups = 0;
  dispatch_dtype(x.dtype(), op_name(args.op), [&]<typename T>() {
    const T* in = static_cast<const T*>(x.data_ptr());
    if (n > 0) {
      thrust::sequence(thrust::cuda::par.on(stream), order_data, order_data + n, int64_t{0});
      if constexpr (!kConsecutive)
        thrust::stable_sort(thrust::cuda::par.on(stream), order_data, order_data + n, PositionLess<T>{in});
      group_start_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(in, order_data, group_data, n);
      REEL_CUDA_CHECK(cudaGetLastError());
      thrust::inclusive_scan(thrust::cuda::par.on(stream), group_data, group_data + n, group_data);
      REEL_CUDA_CHECK(cudaMemcpyAsync(&groups, group_data + n - 1, sizeof(int64_t), cudaMemcpyDeviceToHost, stream));
      REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    const int64_t none = 0;
    Tensor values = Tensor::make({groups}, x.dtype(), x.device(), op_name(args.op).data());
    Tensor inverse = Tensor::make(attrs.return_inverse ? x.sizes() : IntList(none), kInt64, x.device());
    Tensor counts = Tensor::make({attrs.return_counts ? groups : 0}, kInt64, x.device());
    if (n > 0) {
      unique_write_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(
          in, order_data, group_data, n, static_cast<T*>(values.data_ptr()),
          attrs.return_inverse ? static_cast<int64_t*>(inverse.data_ptr()) : nullptr,
          attrs.return_counts ? static_cast<int64_t*>(counts.data_ptr()) : nullptr, groups);
      REEL_CUDA_CHECK(cudaGetLastError());
    }
    args.outputs[0] = values;
    args.outputs[1] = inverse;
    args.outputs[2] = counts;
  });
}

// ---- bincount / histc ---------------------------------------------------------------------------------------------
template <typename I>
__global__ void bincount_kernel(const I* in, int64_t n, unsigned long long* counts) {
  REEL_GRID_STRIDE(i, n) { atomicAdd(counts + static_cast<int64_t>(in[i]), 1ULL); }
}

template <typename I, typename W>
__global__ void bincount_weights_kernel(const I* in, const W* weights, int64_t n, W* sums) {
  REEL_GRID_STRIDE(i, n) { atomicAdd(sums + static_cast<int64_t>(in[i]), weights[i]); }
}

void bincount_cuda_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& out = args.outputs[0];
  const int64_t n = x.numel();
  const cudaStream_t stream = current_raw_stream();
  REEL_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, static_cast<size_t>(out.numel()) * out.element_size(), stream));
  if (n == 0) return;
  dispatch_dtype(x.dtype(), "bincount", [&]<typename I>() {
    const I* in = static_cast<const I*>(x.data_ptr());
    if (args.num_inputs < 2) {
      bincount_kernel<I><<<grid_for(n), kThreads, 0, stream>>>(in, n, static_cast<unsigned long long*>(out.data_ptr()));
    } else if (out.dtype() == kFloat32) {
      bincount_weights_kernel<I, float><<<grid_for(n), kThreads, 0, stream>>>(
          in, static_cast<const float*>(args.inputs[1].data_ptr()), n, static_cast<float*>(out.data_ptr()));
    } else {
      bincount_weights_kernel<I, double><<<grid_for(n), kThreads, 0, stream>>>(
          in, static_cast<const double*>(args.inputs[1].data_ptr()), n, static_cast<double*>(out.data_ptr()));
    }
  });
  REEL_CUDA_CHECK(cudaGetLastError());
}

template <typename T>
__global__ void histc_count_kernel(const T* in, int64_t n, double lo, double hi, int64_t bins,
                                   unsigned long long* counts) {
  REEL_GRID_STRIDE(i, n) {
    const int64_t b = sorting::histogram_bin(static_cast<double>(static_cast<compute_t<T>>(in[i])), lo, hi, bins);
    if (b >= 0) atomicAdd(counts + b, 1ULL);
  }
}

template <typename T>
__global__ void histc_store_kernel(const unsigned long long* counts, int64_t bins, T* out) {
  REEL_GRID_STRIDE(b, bins) { out[b] = static_cast<T>(static_cast<compute_t<T>>(counts[b])); }
}

void histc_cuda_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const HistogramAttrs& attrs = args.attrs->get<HistogramAttrs>();
  const cudaStream_t stream = current_raw_stream();
  Tensor counts = Tensor::make({attrs.bins}, kInt64, x.device(), "histc");
  auto* count_data = static_cast<unsigned long long*>(counts.data_ptr());
  REEL_CUDA_CHECK(cudaMemsetAsync(count_data, 0, static_cast<size_t>(attrs.bins) * sizeof(int64_t), stream));
  dispatch_floating(x.dtype(), "histc", [&]<typename T>() {
    if (x.numel() > 0) {
      histc_count_kernel<T><<<grid_for(x.numel()), kThreads, 0, stream>>>(
          static_cast<const T*>(x.data_ptr()), x.numel(), attrs.min, attrs.max, attrs.bins, count_data);
    }
    histc_store_kernel<T><<<grid_for(attrs.bins), kThreads, 0, stream>>>(count_data, attrs.bins,
                                                                          static_cast<T*>(args.outputs[0].data_ptr()));
  });
  REEL_CUDA_CHECK(cudaGetLastError());
}

// ---- searchsorted ---------------------------------------------------------------------------------------------------
template <typename T, typename K>
__global__ void searchsorted_kernel(const T* seq, const T* values, K* out, int64_t count, int64_t n, int64_t per_row,
                                    bool shared_row, bool right) {
  REEL_GRID_STRIDE(e, count) {
    const T* row = shared_row ? seq : seq + (e / per_row) * n;
    out[e] = static_cast<K>(
        sorting::search_sorted<compute_t<T>>(row, n, static_cast<compute_t<T>>(values[e]), right));
  }
}

void searchsorted_cuda_kernel(const KernelArgs& args) {
  const Tensor& seq = args.inputs[0];
  const Tensor& vals = args.inputs[1];
  const SearchsortedAttrs& attrs = args.attrs->get<SearchsortedAttrs>();
  const int64_t n = seq.size(-1);
  const bool shared_row = seq.dim() == 1;
  const int64_t per_row = shared_row || vals.dim() == 0 ? 1 : vals.size(-1);
  const int64_t count = vals.numel();
  const cudaStream_t stream = current_raw_stream();
  dispatch_dtype(seq.dtype(), "searchsorted", [&]<typename T>() {
    const T* s = static_cast<const T*>(seq.data_ptr());
    const T* v = static_cast<const T*>(vals.data_ptr());
    if (attrs.out_int32) {
      searchsorted_kernel<T, int32_t><<<grid_for(count), kThreads, 0, stream>>>(
          s, v, static_cast<int32_t*>(args.outputs[0].data_ptr()), count, n, per_row, shared_row, attrs.right);
    } else {
      searchsorted_kernel<T, int64_t><<<grid_for(count), kThreads, 0, stream>>>(
          s, v, static_cast<int64_t*>(args.outputs[0].data_ptr()), count, n, per_row, shared_row, attrs.right);
    }
  });
  REEL_CUDA_CHECK(cudaGetLastError());
}

#undef REEL_GRID_STRIDE

}  // namespace

void register_unique_search_kernels() {
  register_kernel(OpId::unique, kCUDA, &unique_kernel<false>);
  register_kernel(OpId::unique_consecutive, kCUDA, &unique_kernel<true>);
  register_kernel(OpId::bincount, kCUDA, &bincount_cuda_kernel);
  register_kernel(OpId::histc, kCUDA, &histc_cuda_kernel);
  register_kernel(OpId::searchsorted, kCUDA, &searchsorted_cuda_kernel);
}

}  // namespace reel::cuda
