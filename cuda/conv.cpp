// reel/cuda/conv.cpp — CUDA kernels of conv2d and its two backward primitives: cuDNN, or reel's own direct kernels.
//
// Which implementation runs is a run-time switch (reel::cuda::set_conv_backend, tensor/cuda.h): cuDNN when this
// build links it (CMake defines REEL_WITH_CUDNN), else reel's plain kernels (cuda/conv_naive.cu). The front doors
// (tensor/ops_conv.cpp) have checked the shapes and allocated the contiguous output; non-contiguous inputs are
// copied contiguous here. The cuDNN path (legacy API, NCHW):
//   forward          y = bias (preloaded by fill_channel_bias) + conv(x, w): cudnnConvolutionForward with beta = 1
//                    (one rounding, as on the CPU); beta = 0 without bias
//   backward input   dx = cudnnConvolutionBackwardData(w, dy)
//   backward weight  dw = cudnnConvolutionBackwardFilter(x, dy)
// float32 and float64 compute in their own type; float16 and bfloat16 in float32. float32 runs with
// CUDNN_FMA_MATH (no TF32) unless reel::cuda::allow_tf32() is on; 16-bit floats may use tensor cores.
// The algorithm of each problem is picked once and cached (AlgorithmCache) under a key of everything it depends on:
// op, dtype, device, input and weight sizes, stride, padding, dilation, groups, the TF32 and benchmark switches.
// Picking uses cuDNN's heuristics (cudnnGet*Algorithm_v7) or, with reel::cuda::set_cudnn_benchmark(true), times
// the algorithms on the real buffers (cudnnFind*AlgorithmEx). The first candidate whose status is success and whose
// workspace is at most kMaxWorkspaceBytes wins; the workspace is a reel tensor from the caching device allocator.
// Problems cuDNN cannot take run on the naive kernels: empty tensors, sizes beyond int, and a problem cuDNN reports
// as not supported or for which no algorithm qualifies (remembered in the cache too).
#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>

#include "cuda/conv_naive.h"
#include "cuda/cudnn_utils.h"
#include "cuda/kernels.h"
#include "tensor/cuda.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

#ifdef REEL_WITH_CUDNN
constexpr ConvBackend kDefaultBackend = ConvBackend::cudnn;
#else
constexpr ConvBackend kDefaultBackend = ConvBackend::naive;
#endif

std::atomic<ConvBackend> selected_backend{kDefaultBackend};
std::atomic<bool> benchmark_mode{false};

// ---- the algorithm cache ------------------------------------------------------------------------------------------
// op, dtype, device, x (4), w (4), stride (2), padding (2), dilation (2), groups, tf32, benchmark
using ProblemKey = std::array<int64_t, 20>;

// What was picked for one problem. use_naive: no cuDNN algorithm qualified.
struct AlgorithmChoice {
  bool use_naive = false;
  int algo = 0;
  int math_type = 0;   // cudnnMathType_t
  size_t workspace = 0;  // bytes
};

class AlgorithmCache {
 public:
  bool find(const ProblemKey& key, AlgorithmChoice& choice) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
      ++misses_;
      return false;
    }
    ++hits_;
    choice = it->second;
    return true;
  }
  void insert(const ProblemKey& key, const AlgorithmChoice& choice) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[key] = choice;
  }
  ConvAlgorithmCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {static_cast<int64_t>(entries_.size()), hits_, misses_};
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    hits_ = misses_ = 0;
  }

 private:
  std::mutex mutex_;
  std::map<ProblemKey, AlgorithmChoice> entries_;
  int64_t hits_ = 0, misses_ = 0;
};

AlgorithmCache& algorithm_cache() {
  static AlgorithmCache cache;
  return cache;
}

#ifdef REEL_WITH_CUDNN
// ---- cuDNN ----------------------------------------------------------------------------------------------------
constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

enum class ConvKind : int64_t { forward = 0, backward_input = 1, backward_weight = 2 };

ProblemKey problem_key(ConvKind kind, ScalarType dtype, int device, IntList x, IntList w, const ConvParams& p) {
  return {static_cast<int64_t>(kind), static_cast<int64_t>(dtype), device, x[0], x[1], x[2], x[3], w[0], w[1],
          w[2], w[3], p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], p.groups,
          allow_tf32() ? 1 : 0, benchmark_mode.load() ? 1 : 0};
}

// The descriptors of one problem: x (N, C, H, W), w (O, C/G, kH, kW), y (N, O, oH, oW), the convolution.
struct Descriptors {
  TensorDescriptor x;
  FilterDescriptor w;
  TensorDescriptor y;
  ConvolutionDescriptor conv;
  Descriptors(ScalarType dtype, IntList x_sizes, IntList w_sizes, IntList y_sizes, const ConvParams& p)
      : x(dtype, x_sizes), w(dtype, w_sizes), y(dtype, y_sizes), conv(dtype, p) {}
};

// Device pointers of x, w, y; the op's output is one of them.
struct Buffers {
  void* x;
  void* w;
  void* y;
};

// The per-op cuDNN entry points, in one shape so that picking and running are written once.
struct ForwardOp {
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  using Algo = cudnnConvolutionFwdAlgo_t;
  static constexpr int kAlgoCount = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  static cudnnStatus_t heuristics(cudnnHandle_t h, const Descriptors& d, int* count, Perf* perf) {
    return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), kAlgoCount,
                                                  count, perf);
  }
  static cudnnStatus_t find(cudnnHandle_t h, const Descriptors& d, const Buffers& b, int* count, Perf* perf,
                            void* ws, size_t ws_bytes) {
    return cudnnFindConvolutionForwardAlgorithmEx(h, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(), d.y.get(), b.y,
                                                  kAlgoCount, count, perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const Descriptors& d, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), algo, bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Descriptors& d, const Buffers& b, Algo algo, void* ws,
                           size_t ws_bytes, const void* alpha, const void* beta) {
    return cudnnConvolutionForward(h, alpha, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(), algo, ws, ws_bytes, beta,
                                   d.y.get(), b.y);
  }
};

struct BackwardDataOp {
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  static constexpr int kAlgoCount = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  static cudnnStatus_t heuristics(cudnnHandle_t h, const Descriptors& d, int* count, Perf* perf) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), kAlgoCount,
                                                       count, perf);
  }
  static cudnnStatus_t find(cudnnHandle_t h, const Descriptors& d, const Buffers& b, int* count, Perf* perf,
                            void* ws, size_t ws_bytes) {
    return cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.get(), b.w, d.y.get(), b.y, d.conv.get(), d.x.get(),
                                                       b.x, kAlgoCount, count, perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const Descriptors& d, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), algo,
                                                        bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Descriptors& d, const Buffers& b, Algo algo, void* ws,
                           size_t ws_bytes, const void* alpha, const void* beta) {
    return cudnnConvolutionBackwardData(h, alpha, d.w.get(), b.w, d.y.get(), b.y, d.conv.get(), algo, ws, ws_bytes,
                                        beta, d.x.get(), b.x);
  }
};

struct BackwardFilterOp {
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  static constexpr int kAlgoCount = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  static cudnnStatus_t heuristics(cudnnHandle_t h, const Descriptors& d, int* count, Perf* perf) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
                                                         kAlgoCount, count, perf);
  }
  static cudnnStatus_t find(cudnnHandle_t h, const Descriptors& d, const Buffers& b, int* count, Perf* perf,
                            void* ws, size_t ws_bytes) {
    return cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.get(), b.x, d.y.get(), b.y, d.conv.get(), d.w.get(),
                                                         b.w, kAlgoCount, count, perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const Descriptors& d, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), algo,
                                                          bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Descriptors& d, const Buffers& b, Algo algo, void* ws,
                           size_t ws_bytes, const void* alpha, const void* beta) {
    return cudnnConvolutionBackwardFilter(h, alpha, d.x.get(), b.x, d.y.get(), b.y, d.conv.get(), algo, ws, ws_bytes,
                                          beta, d.w.get(), b.w);
  }
};

// The math type the convolution descriptor starts with: no TF32 for float32 unless allowed; tensor cores for 16-bit.
cudnnMathType_t preferred_math_type(ScalarType dtype) {
  if (dtype == kFloat32) return allow_tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  if (dtype == kFloat16 || dtype == kBFloat16) return CUDNN_TENSOR_OP_MATH;
  return CUDNN_DEFAULT_MATH;
}

// The math type to run a candidate with: the candidate's own, except that float32 without TF32 stays on FMA math.
cudnnMathType_t run_math_type(ScalarType dtype, cudnnMathType_t candidate) {
  return dtype == kFloat32 && !allow_tf32() ? CUDNN_FMA_MATH : candidate;
}

// cuDNN 9 numbers its "not supported" statuses 3000-3999 (shape, data type, layout, architecture...).
bool not_supported(cudnnStatus_t status) { return status >= CUDNN_STATUS_NOT_SUPPORTED && status < 4000; }

// A workspace of `bytes` from the caching allocator (undefined for 0 bytes).
Tensor make_workspace(size_t bytes, Device device) {
  if (bytes == 0) return Tensor();
  return Tensor::make({static_cast<int64_t>(bytes)}, kUInt8, device, "cuDNN workspace");
}

// The first candidate (in cuDNN's order: fastest first) that succeeded and fits the workspace limit; use_naive when
// none does. Each candidate's workspace is asked for again with the math type it will run with.
template <typename Op>
AlgorithmChoice first_usable(cudnnHandle_t h, Descriptors& d, ScalarType dtype, const typename Op::Perf* perf,
                             int count, size_t workspace_limit) {
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    const cudnnMathType_t math = run_math_type(dtype, perf[i].mathType);
    d.conv.set_math_type(math);
    size_t bytes = 0;
    if (Op::workspace(h, d, perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > workspace_limit) continue;
    AlgorithmChoice choice;
    choice.algo = static_cast<int>(perf[i].algo);
    choice.math_type = static_cast<int>(math);
    choice.workspace = bytes;
    return choice;
  }
  AlgorithmChoice none;
  none.use_naive = true;
  return none;
}

// Picks the algorithm of a problem: cuDNN's heuristics, or (benchmark mode) timing every algorithm on the real
// buffers with a workspace as large as the largest algorithm asks for, up to kMaxWorkspaceBytes.
template <typename Op>
AlgorithmChoice pick_algorithm(cudnnHandle_t h, Descriptors& d, const Buffers& b, ScalarType dtype, Device device) {
  std::array<typename Op::Perf, Op::kAlgoCount> perf{};
  int count = 0;
  d.conv.set_math_type(preferred_math_type(dtype));
  AlgorithmChoice none;
  none.use_naive = true;
  if (!benchmark_mode.load()) {
    const cudnnStatus_t status = Op::heuristics(h, d, &count, perf.data());
    if (not_supported(status)) return none;
    REEL_CUDNN_CHECK(status);
    return first_usable<Op>(h, d, dtype, perf.data(), count, kMaxWorkspaceBytes);
  }
  size_t largest = 0;
  for (int algo = 0; algo < Op::kAlgoCount; ++algo) {
    size_t bytes = 0;
    if (Op::workspace(h, d, static_cast<typename Op::Algo>(algo), &bytes) == CUDNN_STATUS_SUCCESS &&
        bytes <= kMaxWorkspaceBytes)
      largest = std::max(largest, bytes);
  }
  Tensor workspace;
  try {
    workspace = make_workspace(largest, device);
  } catch (const OutOfMemoryError&) {
    largest = 0;  // time the algorithms that need no workspace
  }
  const cudnnStatus_t status =
      Op::find(h, d, b, &count, perf.data(), workspace.defined() ? workspace.data_ptr() : nullptr, largest);
  if (not_supported(status)) return none;
  REEL_CUDNN_CHECK(status);
  return first_usable<Op>(h, d, dtype, perf.data(), count, largest);
}

// True when cuDNN can describe the problem: no empty tensor, every count within int.
bool cudnn_can_take(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors)
    if (t->numel() == 0 || t->numel() > std::numeric_limits<int>::max()) return false;
  return true;
}

// Runs one convolution op with cuDNN: picks (or finds in the cache) the algorithm, then computes out = op(inputs),
// or (forward with bias) y = bias + op(x, w) by preloading y with the bias and running with beta = 1. The bias goes
// in after the algorithm is picked, since timing the algorithms (benchmark mode) overwrites y. Returns false
// (computing nothing) when no cuDNN algorithm qualifies. x, w, y are contiguous; the op's output is one of them.
template <typename Op>
bool run_cudnn(ConvKind kind, const Tensor& x, const Tensor& w, const Tensor& y, const ConvParams& p,
               const Tensor* preload_bias) {
  const ScalarType dtype = y.dtype();
  const Device device = y.device();
  cudnnHandle_t h = cudnn_handle();
  Descriptors d(dtype, x.sizes(), w.sizes(), y.sizes(), p);
  const Buffers b{x.data_ptr(), w.data_ptr(), y.data_ptr()};
  const ProblemKey key = problem_key(kind, dtype, device.index, x.sizes(), w.sizes(), p);
  AlgorithmChoice choice;
  if (!algorithm_cache().find(key, choice)) {
    choice = pick_algorithm<Op>(h, d, b, dtype, device);
    algorithm_cache().insert(key, choice);
  }
  if (choice.use_naive) return false;
  d.conv.set_math_type(static_cast<cudnnMathType_t>(choice.math_type));
  const Tensor workspace = make_workspace(choice.workspace, device);
  if (preload_bias != nullptr) {
    Tensor out = y;
    fill_channel_bias(out, *preload_bias);
  }
  const bool accumulate = preload_bias != nullptr;
  const double alpha_d = 1.0, beta_d = accumulate ? 1.0 : 0.0;
  const float alpha_f = 1.0f, beta_f = accumulate ? 1.0f : 0.0f;
  const bool is_double = dtype == kFloat64;
  void* workspace_ptr = workspace.defined() ? workspace.data_ptr() : nullptr;
  const cudnnStatus_t status =
      Op::run(h, d, b, static_cast<typename Op::Algo>(choice.algo), workspace_ptr, choice.workspace,
              is_double ? static_cast<const void*>(&alpha_d) : static_cast<const void*>(&alpha_f),
              is_double ? static_cast<const void*>(&beta_d) : static_cast<const void*>(&beta_f));
  if (not_supported(status)) {  // the picked algorithm refused to run: the naive kernels take this problem from now
    choice.use_naive = true;
    algorithm_cache().insert(key, choice);
    return false;
  }
  REEL_CUDNN_CHECK(status);
  return true;
}

bool cudnn_selected() { return selected_backend.load() == ConvBackend::cudnn; }
#endif  // REEL_WITH_CUDNN

// ---- kernels ------------------------------------------------------------------------------------------------------
// inputs: x (N, C, H, W), w (O, C/G, kH, kW), optional bias (O); output y (N, O, oH, oW); attrs: ConvParams.
void conv2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  if (y.numel() == 0) return;
  const ConvParams p = args.attrs->get<ConvParams>();
  const Tensor x = args.inputs[0].contiguous();
  const Tensor w = args.inputs[1].contiguous();
  const Tensor bias = args.num_inputs > 2 ? args.inputs[2].contiguous() : Tensor();
#ifdef REEL_WITH_CUDNN
  if (cudnn_selected() && cudnn_can_take({&x, &w, &y}) &&
      run_cudnn<ForwardOp>(ConvKind::forward, x, w, y, p, bias.defined() ? &bias : nullptr))
    return;
#endif
  naive_conv2d(x, w, bias.defined() ? &bias : nullptr, y, p);
}

// inputs: grad_output (N, O, oH, oW), w (O, C/G, kH, kW); output dx (N, C, H, W); attrs: ConvParams.
void conv2d_backward_input_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (dx.numel() == 0) return;
  const ConvParams p = args.attrs->get<ConvParams>();
  const Tensor grad = args.inputs[0].contiguous();
  const Tensor w = args.inputs[1].contiguous();
#ifdef REEL_WITH_CUDNN
  if (cudnn_selected() && cudnn_can_take({&grad, &w, &dx}) &&
      run_cudnn<BackwardDataOp>(ConvKind::backward_input, dx, w, grad, p, nullptr))
    return;
#endif
  naive_conv2d_backward_input(grad, w, dx, p);
}

// inputs: grad_output (N, O, oH, oW), x (N, C, H, W); output dw (O, C/G, kH, kW); attrs: ConvParams.
void conv2d_backward_weight_kernel(const KernelArgs& args) {
  Tensor& dw = args.outputs[0];
  set_current_device(dw.device());
  if (dw.numel() == 0) return;
  const ConvParams p = args.attrs->get<ConvParams>();
  const Tensor grad = args.inputs[0].contiguous();
  const Tensor x = args.inputs[1].contiguous();
#ifdef REEL_WITH_CUDNN
  if (cudnn_selected() && cudnn_can_take({&grad, &x, &dw}) &&
      run_cudnn<BackwardFilterOp>(ConvKind::backward_weight, x, dw, grad, p, nullptr))
    return;
#endif
  naive_conv2d_backward_weight(grad, x, dw, p);
}

}  // namespace

// ---- public switches (tensor/cuda.h) --------------------------------------------------------------------------
bool cudnn_is_available() {
#ifdef REEL_WITH_CUDNN
  return true;
#else
  return false;
#endif
}

void set_conv_backend(ConvBackend backend) {
  REEL_CHECK(backend != ConvBackend::cudnn || cudnn_is_available(),
             "set_conv_backend: the cudnn backend was asked for, but this build of reel does not link cuDNN "
             "(configure with -DCUDNN_ROOT=... to point CMake at it); the naive backend is available");
  selected_backend.store(backend);
}
ConvBackend conv_backend() { return selected_backend.load(); }

void set_cudnn_benchmark(bool benchmark) { benchmark_mode.store(benchmark); }
bool cudnn_benchmark() { return benchmark_mode.load(); }

ConvAlgorithmCacheStats conv_algorithm_cache_stats() { return algorithm_cache().stats(); }
void clear_conv_algorithm_cache() { algorithm_cache().clear(); }

void register_conv_kernels() {
  register_kernel(OpId::conv2d, kCUDA, &conv2d_kernel);
  register_kernel(OpId::conv2d_backward_input, kCUDA, &conv2d_backward_input_kernel);
  register_kernel(OpId::conv2d_backward_weight, kCUDA, &conv2d_backward_weight_kernel);
}

}  // namespace reel::cuda
