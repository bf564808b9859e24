// reel/cuda/creation.cu — CUDA kernels of the computed creation functions: arange, linspace and eye, mirroring
// cpu/creation.cpp value for value. Each writes a dense, freshly allocated output (the front door in
// tensor/creation_ranges.cpp made it on the requested device), one thread per element; every element is a
// function of its index alone.
//
// Same values as the CPU: the bounds and the linspace step are computed on the host by the CPU's own formulas,
// and each product-then-sum the CPU rounds twice is written with the explicit round-to-nearest intrinsics
// (__dmul_rn, __dadd_rn, __fmul_rn, ...) so nvcc cannot contract it into one fused multiply-add.
#include <type_traits>

#include "cuda/kernels.h"
#include "cuda/shape_layout.cuh"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

// Two-rounding arithmetic in float or double (never fused).
__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ inline float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ inline double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ inline float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ inline double sub_rn(double a, double b) { return __dsub_rn(a, b); }

// value converted to T through T's compute type (the CPU's from_double).
template <typename T>
REEL_HOST_DEVICE inline T from_double(double value) {
  return static_cast<T>(static_cast<compute_t<T>>(value));
}

// ---- kernels -------------------------------------------------------------------------------------------------------

// y_i = start + i * step in int64 arithmetic (wrapping, done unsigned), then cast to the integral T.
template <typename T>
__global__ void arange_integral(T* y, int64_t numel, int64_t start, int64_t step) {
  for (int64_t i = first_element(); i < numel; i += element_step()) {
    const uint64_t value = static_cast<uint64_t>(start) + static_cast<uint64_t>(i) * static_cast<uint64_t>(step);
    y[i] = static_cast<T>(static_cast<int64_t>(value));
  }
}

// y_i = start + i * step in double, then converted to the floating T.
template <typename T>
__global__ void arange_floating(T* y, int64_t numel, double start, double step) {
  for (int64_t i = first_element(); i < numel; i += element_step())
    y[i] = from_double<T>(__dadd_rn(start, __dmul_rn(static_cast<double>(i), step)));
}

// y_i = start + i * step for i < steps / 2, else end - (steps - 1 - i) * step, in Acc; integral T truncates.
template <typename T, typename Acc>
__global__ void linspace_elements(T* y, int64_t steps, Acc start, Acc end, Acc step) {
  const int64_t halfway = steps / 2;
  for (int64_t i = first_element(); i < steps; i += element_step()) {
    const Acc value = i < halfway ? add_rn(start, mul_rn(step, static_cast<Acc>(i)))
                                  : sub_rn(end, mul_rn(step, static_cast<Acc>(steps - 1 - i)));
    // Narrow integral outputs: double -> int64 -> T, as x86 converts a double to a narrow integer on the host
    // (the device's direct conversion would saturate instead).
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, int64_t>)
      y[i] = static_cast<T>(static_cast<int64_t>(value));
    else y[i] = static_cast<T>(value);
  }
}

// y[i, j] = (i == j) on a rows x cols output.
template <typename T>
__global__ void eye_elements(T* y, int64_t numel, int64_t cols, T zero, T one) {
  for (int64_t e = first_element(); e < numel; e += element_step()) y[e] = e / cols == e % cols ? one : zero;
}

// ---- arange: y_i = start + i * step; integral dtypes step in int64, floating ones in double -------------------------
// outputs: y (dense, 1-D); attrs: ArangeAttrs.
void arange_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const ArangeAttrs& range = args.attrs->get<ArangeAttrs>();
  const int64_t numel = out.numel();
  dispatch_dtype(out.dtype(), "arange", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_integral_v<T>) {
      arange_integral<T><<<blocks_for(numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
          y, numel, range.start.to_int64(), range.step.to_int64());
      check_launch("arange_integral");
    } else {
      arange_floating<T><<<blocks_for(numel), kThreadsPerBlock, 0, current_raw_stream()>>>(
          y, numel, range.start.to_double(), range.step.to_double());
      check_launch("arange_floating");
    }
  });
}

// ---- linspace: y_i = start + i * (end - start) / (steps - 1), the second half counted back from end -----------------
// Floating dtypes compute in their own precision (float for the 16-bit ones), integral ones in double and
// truncate, as cpu/creation.cpp. outputs: y (dense, 1-D, steps elements); attrs: LinspaceAttrs.
void linspace_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const int64_t steps = out.numel();
  if (steps == 0) return;
  set_current_device(out.device());
  const LinspaceAttrs& range = args.attrs->get<LinspaceAttrs>();
  dispatch_dtype(out.dtype(), "linspace", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_integral_v<T>, double, compute_t<T>>;
    // The bounds as the output type holds them (integral outputs truncate them first), and the step: all on the
    // host, by the CPU's expressions.
    const Acc start = static_cast<Acc>(static_cast<compute_t<T>>(from_double<T>(range.start)));
    const Acc end = static_cast<Acc>(static_cast<compute_t<T>>(from_double<T>(range.end)));
    // One step: y_0 = start. The kernel's only element counts back from its `end`, so it gets start there.
    const Acc last = steps == 1 ? start : end;
    const Acc step = steps == 1 ? Acc(0) : (end - start) / static_cast<Acc>(steps - 1);
    linspace_elements<T, Acc><<<blocks_for(steps), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<T*>(out.data_ptr()), steps, start, last, step);
    check_launch("linspace_elements");
  });
}

// ---- eye: y[i, j] = (i == j) on an n x m output ------------------------------------------------------------------
void eye_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const int64_t cols = out.size(1);
  dispatch_dtype(out.dtype(), "eye", [&]<typename T>() {
    eye_elements<T><<<blocks_for(out.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<T*>(out.data_ptr()), out.numel(), cols, from_double<T>(0.0), from_double<T>(1.0));
    check_launch("eye_elements");
  });
}

}  // namespace

void register_creation_kernels() {
  register_kernel(OpId::arange, kCUDA, &arange_kernel);
  register_kernel(OpId::linspace, kCUDA, &linspace_kernel);
  register_kernel(OpId::eye, kCUDA, &eye_kernel);
}

}  // namespace reel::cuda
