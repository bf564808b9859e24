// reel/cpu/scan.cpp — the cumulative ops along a dim on the CPU: cumsum, cumprod, logcumsumexp, cummax, cummin.
//
// The front door (tensor/ops_scan.cpp) has checked the call, cast the input to the result dtype, wrapped
// attrs.dim and handed a row-major input and row-major outputs. Each row (tensor/sort_math.h: the elements along
// dim) is one sequential pass y_j = step(y_(j-1), x_j) with the step functors of sort_math.h, which the CUDA
// kernels (cuda/scan.cu) use too. Sums and products accumulate in a wider type than the element — int64 for bool
// and the integers, float for the 16-bit floats, double for float32 and float64 — and round once per output, as
// PyTorch's CPU kernels do. Rows are independent: threads split the rows, and when the rows are interleaved
// (inner > 1) a thread walks `inner` neighbouring rows together so that its loads stay contiguous.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/sort_math.h"

namespace reel::cpu {

namespace {

using sorting::RowGeometry;

constexpr int64_t kGrainElements = 32768;

// The accumulator of sums and products.
template <typename T>
using scan_acc_t = std::conditional_t<std::is_floating_point_v<compute_t<T>>,
                                      std::conditional_t<std::is_same_v<compute_t<T>, T>, double, float>, int64_t>;

// Runs body(o, i_begin, i_end) over blocks of neighbouring rows (same o, consecutive i), threads over blocks.
template <typename Body>
void for_each_row_block(const RowGeometry& g, Body&& body) {
  const int64_t blocks = g.outer;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / std::max<int64_t>(1, g.n * g.inner));
  parallel_for(0, blocks * g.inner, std::max<int64_t>(grain, 1), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end;) {
      const int64_t o = r / g.inner;
      const int64_t i = r - o * g.inner;
      const int64_t stop = std::min(end, (o + 1) * g.inner);
      body(o, i, i + (stop - r));
      r = stop;
    }
  });
}

// y_j = step(y_(j-1), x_j) in the accumulator type.
template <typename T, typename Acc, typename Step>
void arithmetic_scan(const KernelArgs& args, Step step) {
  const Tensor& x = args.inputs[0];
  const RowGeometry g = sorting::row_geometry(x.sizes(), args.attrs->dim);
  const T* in = static_cast<const T*>(x.data_ptr());
  T* out = static_cast<T*>(args.outputs[0].data_ptr());
  for_each_row_block(g, [&](int64_t o, int64_t i_begin, int64_t i_end) {
    std::vector<Acc> acc(static_cast<size_t>(i_end - i_begin));
    for (int64_t j = 0; j < g.n; ++j) {
      const int64_t base = (o * g.n + j) * g.inner;
      for (int64_t i = i_begin; i < i_end; ++i) {
        Acc& a = acc[static_cast<size_t>(i - i_begin)];
        const Acc v = static_cast<Acc>(static_cast<compute_t<T>>(in[base + i]));
        a = j == 0 ? v : step(a, v);
        out[base + i] = static_cast<T>(static_cast<compute_t<T>>(a));
      }
    }
  });
}

void cumsum_kernel(const KernelArgs& args) {
  dispatch_dtype(args.outputs[0].dtype(), "cumsum", [&]<typename T>() {
    arithmetic_scan<T, scan_acc_t<T>>(args, sorting::CumsumStep{});
  });
}

void cumprod_kernel(const KernelArgs& args) {
  dispatch_dtype(args.outputs[0].dtype(), "cumprod", [&]<typename T>() {
    arithmetic_scan<T, scan_acc_t<T>>(args, sorting::CumprodStep{});
  });
}

void logcumsumexp_kernel(const KernelArgs& args) {
  dispatch_floating(args.outputs[0].dtype(), "logcumsumexp", [&]<typename T>() {
    arithmetic_scan<T, compute_t<T>>(args, sorting::LogAddExpStep{});
  });
}

// (y, k): the running extreme and the position it was last taken from.
template <bool kMax>
void extreme_scan_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const RowGeometry g = sorting::row_geometry(x.sizes(), args.attrs->dim);
  dispatch_dtype(x.dtype(), op_name(args.op), [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = static_cast<const T*>(x.data_ptr());
    T* values = static_cast<T*>(args.outputs[0].data_ptr());
    int64_t* indices = static_cast<int64_t*>(args.outputs[1].data_ptr());
    const sorting::CumExtremeStep<kMax> replaces;
    for_each_row_block(g, [&](int64_t o, int64_t i_begin, int64_t i_end) {
      const size_t width = static_cast<size_t>(i_end - i_begin);
      std::vector<C> best(width);
      std::vector<int64_t> where(width, 0);
      for (int64_t j = 0; j < g.n; ++j) {
        const int64_t base = (o * g.n + j) * g.inner;
        for (int64_t i = i_begin; i < i_end; ++i) {
          const size_t lane = static_cast<size_t>(i - i_begin);
          const C v = static_cast<C>(in[base + i]);
          if (j == 0 || replaces(static_cast<C>(best[lane]), v)) {
            best[lane] = v;
            where[lane] = j;
          }
          values[base + i] = in[(o * g.n + where[lane]) * g.inner + i];
          indices[base + i] = where[lane];
        }
      }
    });
  });
}

}  // namespace

void register_scan_kernels() {
  register_kernel(OpId::cumsum, kCPU, &cumsum_kernel);
  register_kernel(OpId::cumprod, kCPU, &cumprod_kernel);
  register_kernel(OpId::logcumsumexp, kCPU, &logcumsumexp_kernel);
  register_kernel(OpId::cummax, kCPU, &extreme_scan_kernel<true>);
  register_kernel(OpId::cummin, kCPU, &extreme_scan_kernel<false>);
}

}  // namespace reel::cpu
