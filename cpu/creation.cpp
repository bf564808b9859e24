// reel/cpu/creation.cpp — CPU kernels of the computed creation functions: arange, linspace and eye.
// Each writes a dense, freshly allocated output (the front door in tensor/creation_ranges.cpp made it), in
// parallel chunks; every element is a function of its index alone, so the thread count never changes a value.
#include <type_traits>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"

namespace reel::cpu {

namespace {

constexpr int64_t kGrain = 32768;

template <typename T>
inline T from_double(double value) {
  return static_cast<T>(static_cast<compute_t<T>>(value));
}

// y_i = start + i * step; integral dtypes step in int64, floating ones in double.
void arange_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const ArangeAttrs& range = args.attrs->get<ArangeAttrs>();
  dispatch_dtype(out.dtype(), "arange", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_integral_v<T>) {
      const int64_t start = range.start.to_int64();
      const int64_t step = range.step.to_int64();
      parallel_for(0, out.numel(), kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) y[i] = static_cast<T>(start + i * step);
      });
    } else {
      const double start = range.start.to_double();
      const double step = range.step.to_double();
      parallel_for(0, out.numel(), kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) y[i] = from_double<T>(start + static_cast<double>(i) * step);
      });
    }
  });
}

// y_i = start + i * step for i < steps / 2, else end - (steps - 1 - i) * step, step = (end - start) / (steps - 1).
// Floating dtypes compute in their own precision (float for the 16-bit ones), integral ones in double and
// truncate, as PyTorch's CPU kernel does.
void linspace_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const LinspaceAttrs& range = args.attrs->get<LinspaceAttrs>();
  const int64_t steps = out.numel();
  dispatch_dtype(out.dtype(), "linspace", [&]<typename T>() {
    using Acc = std::conditional_t<std::is_integral_v<T>, double, compute_t<T>>;
    // The bounds as the output type holds them (integral outputs truncate them first, like PyTorch).
    const Acc start = static_cast<Acc>(static_cast<compute_t<T>>(from_double<T>(range.start)));
    const Acc end = static_cast<Acc>(static_cast<compute_t<T>>(from_double<T>(range.end)));
    T* y = static_cast<T*>(out.data_ptr());
    if (steps == 1) {
      y[0] = from_double<T>(static_cast<double>(start));
      return;
    }
    const Acc step = (end - start) / static_cast<Acc>(steps - 1);
    const int64_t halfway = steps / 2;
    parallel_for(0, steps, kGrain, [&](int64_t begin, int64_t stop) {
      for (int64_t i = begin; i < stop; ++i) {
        const Acc value = i < halfway ? start + step * static_cast<Acc>(i)
                                      : end - step * static_cast<Acc>(steps - 1 - i);
        y[i] = static_cast<T>(value);
      }
    });
  });
}

// y[i, j] = (i == j) on an n x m output.
void eye_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const int64_t rows = out.size(0);
  const int64_t cols = out.size(1);
  dispatch_dtype(out.dtype(), "eye", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    const T zero = from_double<T>(0.0);
    const T one = from_double<T>(1.0);
    const int64_t row_grain = cols > 0 ? kGrain / cols + 1 : kGrain;
    parallel_for(0, rows, row_grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        T* row = y + i * cols;
        for (int64_t j = 0; j < cols; ++j) row[j] = zero;
        if (i < cols) row[i] = one;
      }
    });
  });
}

}  // namespace

void register_creation_kernels() {
  register_kernel(OpId::arange, kCPU, &arange_kernel);
  register_kernel(OpId::linspace, kCPU, &linspace_kernel);
  register_kernel(OpId::eye, kCPU, &eye_kernel);
}

}  // namespace reel::cpu
