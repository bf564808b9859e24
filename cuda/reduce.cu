// reel/cuda/reduce.cu — every reduction on CUDA (sum, prod, amax, amin, max, min, argmax, argmin, var, norm,
// all, any) through one scheme; the semantics (dtypes, accumulators, NaN propagation, first index on ties)
// are those of cpu/reduce.cpp.
//
// The front door (tensor/ops_reduce.cpp) has checked the call, allocated contiguous outputs (one element per
// index of the kept dims, in their original order) and put the reduced dims in attrs.dims (ascending; empty =
// all). The input keeps its own strides. Here the input's dims are split into two axis groups, kept and
// reduced, with size-1 dims dropped and chained neighbours merged (order preserved, so an output's linear
// index is its offset in the output and a reduced element's linear index is its row-major index over the
// reduced dims, which argmax reports). Each op is an object with identity(), combine(acc, x, index),
// merge(earlier, later) and store(acc, output), and one of two launches runs it:
//   thread per output  few reduced elements, or a column reduction (neighbouring outputs closer in memory
//                      than neighbouring reduced elements) with at least a warp of outputs: each thread folds
//                      its output's elements in order, so a warp reads coalesced; long columns are cut into
//                      chunks so enough threads run;
//   block per output   each thread folds every blockDim-th element, then a fixed shared-memory tree merges;
//                      long reductions into few outputs are cut into fixed chunks of kChunk elements, a block
//                      per (output, chunk).
// Chunked launches write partial accumulators into a workspace tensor, and a second kernel merges each
// output's partials left to right.
// No atomics, and chunk sizes depend only on the shape, so every result is reproducible run to run.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/scalar_math.h"

namespace reel::cuda {

namespace {

constexpr int kMaxAxes = 16;              // axes of one group after merging; more is refused
constexpr int kMaxThreads = 256;          // threads of one reduction block (a power of two)
constexpr int64_t kChunk = 32768;         // reduced elements one block folds in the chunked launch
constexpr int64_t kFewOutputs = 512;      // below this many outputs a long reduction is chunked
constexpr int64_t kThreadPerOutputMax = 16;  // reduced sets this small always fold one per thread
constexpr int64_t kColumnOutputs = 32;       // column reductions with a warp's worth of outputs fold per thread
constexpr int64_t kColumnChunk = 256;        // shortest chunk of the column launch
constexpr int64_t kColumnThreads = 65536;    // threads the column launch aims for by chunking long columns

// ---- layout -------------------------------------------------------------------------------------------------

// Axes of one group, outer to inner: sizes and input strides (elements). Linear index -> input offset.
struct Axes {
  int ndim = 0;
  int64_t sizes[kMaxAxes] = {};
  int64_t strides[kMaxAxes] = {};

  __device__ __forceinline__ int64_t offset(int64_t linear) const {
    if (ndim == 0) return 0;
    if (ndim == 1) return linear * strides[0];
    int64_t result = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = linear / sizes[d];
      result += (linear - q * sizes[d]) * strides[d];
      linear = q;
    }
    return result;
  }
};

struct ReduceGeometry {
  Axes kept;
  Axes reduced;
  int64_t num_outputs = 1;
  int64_t num_reduced = 1;
};

// Host-side builder: collects axes in order, then merges neighbours whose strides chain.
struct AxesBuilder {
  std::vector<int64_t> sizes, strides;
  void push(int64_t size, int64_t stride) {
    if (!sizes.empty() && strides.back() == stride * size) {
      sizes.back() *= size;
      strides.back() = stride;
    } else {
      sizes.push_back(size);
      strides.push_back(stride);
    }
  }
  Axes build(const char* op, const char* group, const Tensor& x) const {
    REEL_CHECK(sizes.size() <= static_cast<size_t>(kMaxAxes),
               "{}: the CUDA reduction supports at most {} {} axes after merging, got {} (input shape {}, strides {})",
               op, kMaxAxes, group, sizes.size(), shape_str(x.sizes()), shape_str(x.strides()));
    Axes axes;
    axes.ndim = static_cast<int>(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) {
      axes.sizes[i] = sizes[i];
      axes.strides[i] = strides[i];
    }
    return axes;
  }
};

ReduceGeometry make_geometry(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const char* op = op_name(args.op).data();
  const IntList dims = args.attrs->dims;
  std::vector<bool> reduced(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) reduced[static_cast<size_t>(d)] = true;
  ReduceGeometry geo;
  AxesBuilder kept_axes, reduced_axes;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const int64_t size = x.size(d);
    if (reduced[d]) geo.num_reduced *= size;
    else geo.num_outputs *= size;
    if (size == 1) continue;
    (reduced[d] ? reduced_axes : kept_axes).push(size, x.stride(d));
  }
  geo.kept = kept_axes.build(op, "kept", x);
  geo.reduced = reduced_axes.build(op, "reduced", x);
  return geo;
}

// True when neighbouring outputs sit closer in memory than neighbouring reduced elements (sum over dim 0 of
// a row-major matrix): one thread per output then reads coalesced.
bool is_column_reduction(const ReduceGeometry& geo) {
  if (geo.kept.ndim == 0 || geo.reduced.ndim == 0) return false;
  const int64_t kept_stride = geo.kept.strides[geo.kept.ndim - 1];
  const int64_t reduced_stride = geo.reduced.strides[geo.reduced.ndim - 1];
  return kept_stride < reduced_stride;
}

// ---- the kernels --------------------------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ compute_t<T> load_value(const T* p) {
  return static_cast<compute_t<T>>(*p);
}

// Thread per (chunk, output): folds reduced elements [c * chunk_size, (c + 1) * chunk_size) of output o in
// order; neighbouring threads take neighbouring outputs. With `partials` null (one chunk) the result is stored,
// otherwise it goes to partials[c * num_outputs + o] for reduce_merge_partials_kernel.
template <typename Op>
__global__ void reduce_thread_per_output_kernel(Op op, const typename Op::Input* input, ReduceGeometry geo,
                                                int64_t chunk_size, int64_t chunks, typename Op::Acc* partials) {
  using Acc = typename Op::Acc;
  const int64_t tasks = geo.num_outputs * chunks;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t task = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; task < tasks; task += step) {
    const int64_t c = task / geo.num_outputs;
    const int64_t o = task - c * geo.num_outputs;
    const int64_t begin = c * chunk_size;
    const int64_t end = begin + chunk_size < geo.num_reduced ? begin + chunk_size : geo.num_reduced;
    const typename Op::Input* base = input + geo.kept.offset(o);
    Acc acc = op.identity();
    for (int64_t r = begin; r < end; ++r) acc = op.combine(acc, load_value(base + geo.reduced.offset(r)), r);
    if (partials == nullptr) op.store(acc, o);
    else partials[task] = acc;
  }
}

// Block per (output, chunk): thread t folds elements begin + t, begin + t + blockDim, ... in order, then a
// fixed tree merges the threads' accumulators. With `partials` null the result is stored (one chunk per
// output); otherwise it goes to partials[o * chunks + c] for reduce_merge_partials_kernel.
template <typename Op>
__global__ void reduce_block_kernel(Op op, const typename Op::Input* input, ReduceGeometry geo, int64_t chunk_size,
                                    int64_t chunks, typename Op::Acc* partials) {
  using Acc = typename Op::Acc;
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  Acc* shared = reinterpret_cast<Acc*>(shared_bytes);
  const int64_t tasks = geo.num_outputs * chunks;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {
    const int64_t o = task / chunks;
    const int64_t begin = (task - o * chunks) * chunk_size;
    const int64_t end = begin + chunk_size < geo.num_reduced ? begin + chunk_size : geo.num_reduced;
    const typename Op::Input* base = input + geo.kept.offset(o);
    Acc acc = op.identity();
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc = op.combine(acc, load_value(base + geo.reduced.offset(r)), r);
    shared[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned int width = blockDim.x / 2; width > 0; width /= 2) {
      if (threadIdx.x < width) shared[threadIdx.x] = op.merge(shared[threadIdx.x], shared[threadIdx.x + width]);
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      if (partials == nullptr) op.store(shared[0], o);
      else partials[task] = shared[0];
    }
    __syncthreads();  // shared[] is reused by the next task
  }
}

// y[o] = merge of partial(o, 0), ..., partial(o, chunks - 1), left to right, where partial(o, c) is
// partials[o * output_stride + c * chunk_stride].
template <typename Op>
__global__ void reduce_merge_partials_kernel(Op op, const typename Op::Acc* partials, int64_t num_outputs,
                                             int64_t chunks, int64_t output_stride, int64_t chunk_stride) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < num_outputs; o += step) {
    const typename Op::Acc* first = partials + o * output_stride;
    typename Op::Acc acc = first[0];
    for (int64_t c = 1; c < chunks; ++c) acc = op.merge(acc, first[c * chunk_stride]);
    op.store(acc, o);
  }
}

unsigned int grid_for(int64_t work, int64_t per_block) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < 65536 ? blocks : 65536);
}

// Smallest power of two >= n, within [32, kMaxThreads].
int block_threads_for(int64_t n) {
  int threads = 32;
  while (threads < kMaxThreads && threads < n) threads *= 2;
  return threads;
}

// Workspace for partial accumulators, from the caching allocator; freed (stream-ordered) by the caller's
// scope, after the kernels that use it have been queued.
template <typename Acc>
Tensor partials_workspace(const KernelArgs& args, int64_t count) {
  const int64_t bytes = count * static_cast<int64_t>(sizeof(Acc));
  return Tensor::make(IntList(bytes), kUInt8, args.inputs[0].device(), op_name(args.op).data());
}

// Thread per output, long columns cut into chunks so that enough threads run; chunk sizes depend on the shape
// only.
template <typename Op>
void launch_thread_per_output(const KernelArgs& args, const Op& op, const ReduceGeometry& geo,
                              const typename Op::Input* input, cudaStream_t stream) {
  using Acc = typename Op::Acc;
  int64_t chunks = 1;
  if (geo.num_reduced > kThreadPerOutputMax) {
    const int64_t wanted = (kColumnThreads + geo.num_outputs - 1) / geo.num_outputs;
    const int64_t most = (geo.num_reduced + kColumnChunk - 1) / kColumnChunk;
    chunks = wanted < most ? wanted : most;
  }
  const int64_t chunk_size = (geo.num_reduced + chunks - 1) / chunks;
  chunks = (geo.num_reduced + chunk_size - 1) / chunk_size;
  const unsigned int blocks = grid_for(geo.num_outputs * chunks, 256);
  if (chunks == 1) {
    reduce_thread_per_output_kernel<<<blocks, 256, 0, stream>>>(op, input, geo, chunk_size, chunks, nullptr);
    REEL_CUDA_CHECK(cudaGetLastError());
    return;
  }
  Tensor workspace = partials_workspace<Acc>(args, geo.num_outputs * chunks);
  auto* partials = static_cast<Acc*>(workspace.data_ptr());
  reduce_thread_per_output_kernel<<<blocks, 256, 0, stream>>>(op, input, geo, chunk_size, chunks, partials);
  REEL_CUDA_CHECK(cudaGetLastError());
  reduce_merge_partials_kernel<<<grid_for(geo.num_outputs, 128), 128, 0, stream>>>(op, partials, geo.num_outputs,
                                                                                     chunks, 1, geo.num_outputs);
  REEL_CUDA_CHECK(cudaGetLastError());
}

// Block per output, long reductions into few outputs cut into fixed chunks.
template <typename Op>
void launch_block_per_output(const KernelArgs& args, const Op& op, const ReduceGeometry& geo,
                             const typename Op::Input* input, cudaStream_t stream) {
  using Acc = typename Op::Acc;
  const bool chunked = geo.num_outputs < kFewOutputs && geo.num_reduced > kChunk;
  const int64_t chunk_size = chunked ? kChunk : geo.num_reduced;
  const int64_t chunks = (geo.num_reduced + chunk_size - 1) / chunk_size;
  const int threads = block_threads_for(chunk_size);
  const size_t shared = static_cast<size_t>(threads) * sizeof(Acc);
  const unsigned int blocks = grid_for(geo.num_outputs * chunks, 1);
  if (!chunked) {
    reduce_block_kernel<<<blocks, threads, shared, stream>>>(op, input, geo, chunk_size, chunks, nullptr);
    REEL_CUDA_CHECK(cudaGetLastError());
    return;
  }
  Tensor workspace = partials_workspace<Acc>(args, geo.num_outputs * chunks);
  auto* partials = static_cast<Acc*>(workspace.data_ptr());
  reduce_block_kernel<<<blocks, threads, shared, stream>>>(op, input, geo, chunk_size, chunks, partials);
  REEL_CUDA_CHECK(cudaGetLastError());
  reduce_merge_partials_kernel<<<grid_for(geo.num_outputs, 128), 128, 0, stream>>>(op, partials, geo.num_outputs,
                                                                                     chunks, chunks, 1);
  REEL_CUDA_CHECK(cudaGetLastError());
}

// Picks the launch for the shape and runs it (every launch folds each thread's elements in index order).
template <typename Op>
void run_reduction(const KernelArgs& args, const Op& op) {
  const Tensor& x = args.inputs[0];
  set_current_device(x.device());
  const ReduceGeometry geo = make_geometry(args);
  if (geo.num_outputs == 0 || geo.num_reduced == 0) return;  // the front door fills empty reductions
  const auto* input = static_cast<const typename Op::Input*>(x.data_ptr());
  cudaStream_t stream = current_raw_stream();
  if (geo.num_reduced <= kThreadPerOutputMax || (is_column_reduction(geo) && geo.num_outputs >= kColumnOutputs))
    launch_thread_per_output(args, op, geo, input, stream);
  else
    launch_block_per_output(args, op, geo, input, stream);
}

// ---- the ops ------------------------------------------------------------------------------------------------

// Accumulator of sum and prod: int64 for bool and the integers (also the result dtype, as in PyTorch),
// float for the 16-bit floats, double for float32 and float64 (as cpu/reduce.cpp).
template <typename T> struct SumAccumulator { using type = int64_t; };
template <> struct SumAccumulator<Half> { using type = float; };
template <> struct SumAccumulator<BFloat16> { using type = float; };
template <> struct SumAccumulator<float> { using type = double; };
template <> struct SumAccumulator<double> { using type = double; };
template <typename T> using sum_acc_t = typename SumAccumulator<T>::type;
template <typename T> using sum_out_t = std::conditional_t<std::is_integral_v<sum_acc_t<T>>, int64_t, T>;

template <typename Out, typename Acc>
__device__ __forceinline__ Out narrow_to(Acc value) {
  return static_cast<Out>(static_cast<compute_t<Out>>(value));
}

// Integer arithmetic wraps around on overflow (as PyTorch's does) instead of being undefined.
__device__ __forceinline__ int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
__device__ __forceinline__ int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// y = sum_i x_i
template <typename T>
struct SumOp {
  using Input = T;
  using Acc = sum_acc_t<T>;
  using Out = sum_out_t<T>;
  Out* out = nullptr;
  __device__ Acc identity() const { return Acc(0); }
  __device__ Acc combine(Acc a, compute_t<T> x, int64_t) const { return merge(a, static_cast<Acc>(x)); }
  __device__ Acc merge(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) return wrapping_add(a, b);
    else return a + b;
  }
  __device__ void store(Acc a, int64_t at) const { out[at] = narrow_to<Out>(a); }
};

// y = prod_i x_i
template <typename T>
struct ProdOp {
  using Input = T;
  using Acc = sum_acc_t<T>;
  using Out = sum_out_t<T>;
  Out* out = nullptr;
  __device__ Acc identity() const { return Acc(1); }
  __device__ Acc combine(Acc a, compute_t<T> x, int64_t) const { return merge(a, static_cast<Acc>(x)); }
  __device__ Acc merge(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) return wrapping_mul(a, b);
    else return a * b;
  }
  __device__ void store(Acc a, int64_t at) const { out[at] = narrow_to<Out>(a); }
};

// y = max_i x_i (kMax) or min_i x_i; a NaN anywhere gives NaN.
template <typename T, bool kMax>
struct ExtremeOp {
  using Input = T;
  using Acc = compute_t<T>;
  T* out = nullptr;
  __device__ Acc identity() const {
    if constexpr (std::is_floating_point_v<Acc>)
      return kMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  __device__ Acc combine(Acc a, Acc x, int64_t) const { return merge(a, x); }
  __device__ Acc merge(Acc a, Acc b) const {
    const bool take = (kMax ? b > a : b < a) || math::is_nan(b);
    return take ? b : a;
  }
  __device__ void store(Acc a, int64_t at) const { out[at] = static_cast<T>(a); }
};

template <typename V>
struct ValueIndex {
  V value{};
  int64_t index = -1;  // -1: nothing folded yet
};

// (y, k) = (max_i x_i, first i reaching it) for kMax, else the min; the first NaN wins over any number.
// `values` is null for argmax / argmin.
template <typename T, bool kMax>
struct ArgOp {
  using Input = T;
  using Value = compute_t<T>;
  using Acc = ValueIndex<Value>;
  T* values = nullptr;
  int64_t* indices = nullptr;
  __device__ static bool better(Value x, Value current) {
    if constexpr (kMax) return x > current || (math::is_nan(x) && !math::is_nan(current));
    else return x < current || (math::is_nan(x) && !math::is_nan(current));
  }
  __device__ Acc identity() const { return Acc{}; }
  __device__ Acc combine(Acc a, Value x, int64_t index) const {
    return (a.index < 0 || better(x, a.value)) ? Acc{x, index} : a;
  }
  // Order-independent: on equal values (or both NaN) the smaller index wins.
  __device__ Acc merge(Acc a, Acc b) const {
    if (a.index < 0 || better(b.value, a.value)) return b.index < 0 ? a : b;
    if (b.index < 0 || better(a.value, b.value)) return a;
    return b.index < a.index ? b : a;
  }
  __device__ void store(Acc a, int64_t at) const {
    if (values != nullptr) values[at] = static_cast<T>(a.value);
    indices[at] = a.index;
  }
};

// y = AND_i (x_i != 0) (kAll) or OR_i (x_i != 0); NaN counts as nonzero.
template <typename T, bool kAll>
struct LogicalOp {
  using Input = T;
  using Acc = bool;
  bool* out = nullptr;
  __device__ bool identity() const { return kAll; }
  __device__ bool combine(bool a, compute_t<T> x, int64_t) const { return merge(a, x != compute_t<T>(0)); }
  __device__ bool merge(bool a, bool b) const { return kAll ? (a && b) : (a || b); }
  __device__ void store(bool a, int64_t at) const { out[at] = a; }
};

enum class NormKind { Zero, One, Two, Inf, NegInf, General };

// Accumulator of norm: float for the 16-bit floats, double otherwise (as cpu/reduce.cpp).
template <typename T>
using norm_acc_t =
    std::conditional_t<std::is_same_v<compute_t<T>, float> && !std::is_same_v<T, float>, float, double>;

// y = (sum_i |x_i|^p)^(1/p); p = 0 counts nonzeros, p = inf is max |x_i|, p = -inf min |x_i|.
template <typename T, NormKind kKind>
struct NormOp {
  using Input = T;
  using Acc = norm_acc_t<T>;
  T* out = nullptr;
  Acc p = 2;
  __device__ Acc identity() const {
    return kKind == NormKind::NegInf ? std::numeric_limits<Acc>::infinity() : Acc(0);
  }
  __device__ Acc combine(Acc a, compute_t<T> x, int64_t) const {
    const Acc magnitude = std::fabs(static_cast<Acc>(x));
    if constexpr (kKind == NormKind::Zero) return a + static_cast<Acc>(x != compute_t<T>(0));
    else if constexpr (kKind == NormKind::One) return a + magnitude;
    else if constexpr (kKind == NormKind::Two) return a + magnitude * magnitude;
    else if constexpr (kKind == NormKind::General) return a + std::pow(magnitude, p);
    else return merge(a, magnitude);
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if constexpr (kKind == NormKind::Inf || kKind == NormKind::NegInf) {
      const bool take = (kKind == NormKind::Inf ? b > a : b < a) || math::is_nan(b);
      return take ? b : a;
    } else {
      return a + b;
    }
  }
  __device__ void store(Acc a, int64_t at) const {
    if constexpr (kKind == NormKind::Two) a = std::sqrt(a);
    else if constexpr (kKind == NormKind::General) a = std::pow(a, Acc(1) / p);
    out[at] = narrow_to<T>(a);
  }
};

struct Moments {
  double count = 0;
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean
};

// y = sum_i (x_i - mean)^2 / max(n - correction, 0); Welford's update per element, Chan's formula to merge.
template <typename T>
struct VarOp {
  using Input = T;
  using Acc = Moments;
  T* out = nullptr;
  double correction = 1;
  __device__ Acc identity() const { return Moments{}; }
  __device__ Acc combine(Acc a, compute_t<T> value, int64_t) const {
    const double x = static_cast<double>(value);
    a.count += 1;
    const double delta = x - a.mean;
    a.mean += delta / a.count;
    a.m2 += delta * (x - a.mean);
    return a;
  }
  __device__ Acc merge(Acc a, Acc b) const {
    if (a.count == 0) return b;
    if (b.count == 0) return a;
    const double count = a.count + b.count;
    const double delta = b.mean - a.mean;
    return Moments{count, a.mean + delta * (b.count / count),
                   a.m2 + b.m2 + delta * delta * (a.count * b.count / count)};
  }
  __device__ void store(Acc a, int64_t at) const {
    const double m2 = a.m2 < 0 ? 0 : a.m2;  // NaN passes through
    const double divisor = a.count - correction > 0 ? a.count - correction : 0;
    out[at] = narrow_to<T>(m2 / divisor);
  }
};

// ---- kernels ------------------------------------------------------------------------------------------------

template <typename Out>
Out* output(const KernelArgs& args, int i) {
  return static_cast<Out*>(args.outputs[i].data_ptr());
}

void sum_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), "sum", [&]<typename T>() {
    SumOp<T> op;
    op.out = output<typename SumOp<T>::Out>(args, 0);
    run_reduction(args, op);
  });
}

void prod_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), "prod", [&]<typename T>() {
    ProdOp<T> op;
    op.out = output<typename ProdOp<T>::Out>(args, 0);
    run_reduction(args, op);
  });
}

template <bool kMax>
void extreme_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    ExtremeOp<T, kMax> op;
    op.out = output<T>(args, 0);
    run_reduction(args, op);
  });
}

// max / min (values and indices) and argmax / argmin (indices only).
template <bool kMax, bool kWithValues>
void arg_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    ArgOp<T, kMax> op;
    if constexpr (kWithValues) {
      op.values = output<T>(args, 0);
      op.indices = output<int64_t>(args, 1);
    } else {
      op.indices = output<int64_t>(args, 0);
    }
    run_reduction(args, op);
  });
}

template <bool kAll>
void logical_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    LogicalOp<T, kAll> op;
    op.out = output<bool>(args, 0);
    run_reduction(args, op);
  });
}

void var_kernel(const KernelArgs& args) {
  dispatch_floating(args.inputs[0].dtype(), "var", [&]<typename T>() {
    VarOp<T> op;
    op.out = output<T>(args, 0);
    op.correction = args.attrs->get<VarianceAttrs>().correction;
    run_reduction(args, op);
  });
}

template <typename T, NormKind kKind>
void run_norm(const KernelArgs& args, double p) {
  NormOp<T, kKind> op;
  op.out = output<T>(args, 0);
  op.p = static_cast<norm_acc_t<T>>(p);
  run_reduction(args, op);
}

// attrs: NormAttrs.
void norm_kernel(const KernelArgs& args) {
  const double p = args.attrs->get<NormAttrs>().p;
  dispatch_floating(args.inputs[0].dtype(), "norm", [&]<typename T>() {
    if (std::isinf(p)) p > 0 ? run_norm<T, NormKind::Inf>(args, p) : run_norm<T, NormKind::NegInf>(args, p);
    else if (p == 0) run_norm<T, NormKind::Zero>(args, p);
    else if (p == 1) run_norm<T, NormKind::One>(args, p);
    else if (p == 2) run_norm<T, NormKind::Two>(args, p);
    else run_norm<T, NormKind::General>(args, p);
  });
}

}  // namespace

void register_reduce_kernels() {
  register_kernel(OpId::sum, kCUDA, &sum_kernel);
  register_kernel(OpId::prod, kCUDA, &prod_kernel);
  register_kernel(OpId::amax, kCUDA, &extreme_kernel<true>);
  register_kernel(OpId::amin, kCUDA, &extreme_kernel<false>);
  register_kernel(OpId::max, kCUDA, &arg_kernel<true, true>);
  register_kernel(OpId::min, kCUDA, &arg_kernel<false, true>);
  register_kernel(OpId::argmax, kCUDA, &arg_kernel<true, false>);
  register_kernel(OpId::argmin, kCUDA, &arg_kernel<false, false>);
  register_kernel(OpId::var, kCUDA, &var_kernel);
  register_kernel(OpId::norm, kCUDA, &norm_kernel);
  register_kernel(OpId::all, kCUDA, &logical_kernel<true>);
  register_kernel(OpId::any, kCUDA, &logical_kernel<false>);
}

}  // namespace reel::cuda
