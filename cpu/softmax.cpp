// reel/cpu/softmax.cpp — fused, numerically stable softmax and log_softmax on the CPU.
//
// Every slice along attrs.dim is one "row": three passes over it (max, sum of e^(x - max), write), so no
// intermediate tensor exists and large inputs cannot overflow e^x. The other dims are simplified like a
// reduction's kept axes (cpu/reduce_layout.h): size-1 dims dropped, ordered by input stride, merged. Then
//   row loop     rows in parallel, each walked with its own stride (stride 1 for the usual last dim);
//   column loop  when a neighbouring row is closer in memory than the next element of a row (softmax over
//                dim 0 of a row-major matrix), a block of rows advances together, the inner loop running
//                across rows over contiguous memory.
// Arithmetic is in float for the 16-bit types (which recompute e^x in the last pass instead of rounding it
// twice) and in the element type otherwise. A NaN in a row makes the whole row NaN; a row of -inf gives NaN,
// as in PyTorch. The front door (tensor/ops_softmax.cpp) allocates the contiguous output.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/kernels.h"
#include "cpu/reduce_layout.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/scalar_math.h"

namespace reel::cpu {

namespace {

constexpr int64_t kColumns = 256;  // rows the column loop advances together
constexpr int64_t kGrain = 32768;  // elements below which work stays on one thread

template <typename C>
inline C max_with_nan(C current, C x) {
  return (x > current || math::is_nan(x)) ? x : current;
}

// Where one row (or one block of rows) lives: elements `stride` apart, rows `column_stride` apart.
template <typename T>
struct Rows {
  const T* in;
  T* out;
  int64_t length;      // elements per row (the softmax dim)
  int64_t in_stride;   // between elements of a row
  int64_t out_stride;
};

// y_i = e^(x_i - m) / sum_j e^(x_j - m)  or  y_i = x_i - m - ln sum_j e^(x_j - m), for one row.
template <typename T, bool kLog>
void softmax_row(const Rows<T>& row) {
  using C = compute_t<T>;
  const T* in = row.in;
  T* out = row.out;
  const int64_t n = row.length, is = row.in_stride, os = row.out_stride;
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) m = max_with_nan(m, static_cast<C>(in[i * is]));
  C sum = 0;
  if constexpr (!kLog && std::is_same_v<T, C>) {
    for (int64_t i = 0; i < n; ++i) {
      const C e = std::exp(in[i * is] - m);
      out[i * os] = e;
      sum += e;
    }
    const C scale = C(1) / sum;
    for (int64_t i = 0; i < n; ++i) out[i * os] *= scale;
  } else {
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<C>(in[i * is]) - m);
    if constexpr (kLog) {
      const C log_sum = std::log(sum);
      for (int64_t i = 0; i < n; ++i) out[i * os] = static_cast<T>((static_cast<C>(in[i * is]) - m) - log_sum);
    } else {
      const C scale = C(1) / sum;
      for (int64_t i = 0; i < n; ++i) out[i * os] = static_cast<T>(std::exp(static_cast<C>(in[i * is]) - m) * scale);
    }
  }
}

// The same for `count` rows at once, rows `column_in` / `column_out` apart (count <= kColumns).
template <typename T, bool kLog>
void softmax_columns(const Rows<T>& rows, int64_t count, int64_t column_in, int64_t column_out) {
  using C = compute_t<T>;
  std::array<C, kColumns> maxes, sums;
  const int64_t n = rows.length, is = rows.in_stride, os = rows.out_stride;
  for (int64_t j = 0; j < count; ++j) maxes[j] = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const T* in = rows.in + i * is;
    for (int64_t j = 0; j < count; ++j) maxes[j] = max_with_nan(maxes[j], static_cast<C>(in[j * column_in]));
  }
  for (int64_t j = 0; j < count; ++j) sums[j] = 0;
  constexpr bool kKeepExp = !kLog && std::is_same_v<T, C>;
  for (int64_t i = 0; i < n; ++i) {
    const T* in = rows.in + i * is;
    T* out = rows.out + i * os;
    for (int64_t j = 0; j < count; ++j) {
      const C e = std::exp(static_cast<C>(in[j * column_in]) - maxes[j]);
      if constexpr (kKeepExp) out[j * column_out] = e;
      sums[j] += e;
    }
  }
  if constexpr (kLog) {
    for (int64_t j = 0; j < count; ++j) sums[j] = std::log(sums[j]);
  } else {
    for (int64_t j = 0; j < count; ++j) sums[j] = C(1) / sums[j];
  }
  for (int64_t i = 0; i < n; ++i) {
    const T* in = rows.in + i * is;
    T* out = rows.out + i * os;
    for (int64_t j = 0; j < count; ++j) {
      const C x = static_cast<C>(in[j * column_in]) - maxes[j];
      if constexpr (kLog) out[j * column_out] = static_cast<T>(x - sums[j]);
      else if constexpr (kKeepExp) out[j * column_out] *= sums[j];
      else out[j * column_out] = static_cast<T>(std::exp(x) * sums[j]);
    }
  }
}

template <typename T, bool kLog>
void run_softmax(const Tensor& x, const Tensor& y, int64_t dim) {
  // The softmax dim (a 0-dim input is one row of one element) and every other dim, as axes.
  int64_t length = 1, in_stride = 1, out_stride = 1;
  AxisGroup others;
  const DimVector out_strides = contiguous_strides(x.sizes());
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d == dim) {
      length = x.size(d);
      in_stride = x.stride(d);
      out_stride = out_strides[d];
    } else if (x.size(d) != 1) {
      others.push(x.size(d), x.stride(d), out_strides[d]);
    }
  }
  others.sort_by_input_stride();
  others.merge_chained();
  const T* input = static_cast<const T*>(x.data_ptr());
  T* output = static_cast<T*>(y.data_ptr());
  const int64_t rows = others.numel();

  const bool use_columns =
      length > 1 && others.ndim() > 0 && others.inner_size() > 1 && others.inner_in_stride() < in_stride;
  if (!use_columns) {
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / length), [&](int64_t begin, int64_t end) {
      AxisCounter row(others, others.ndim());
      row.seek(begin);
      for (int64_t r = begin; r < end; ++r, row.next())
        softmax_row<T, kLog>({input + row.in_offset(), output + row.out_offset(), length, in_stride, out_stride});
    });
    return;
  }
  const int64_t columns = others.inner_size();
  const int64_t column_in = others.inner_in_stride();
  const int64_t column_out = others.inner_out_stride();
  const int64_t blocks_per_row = (columns + kColumns - 1) / kColumns;
  const int64_t tasks = rows / columns * blocks_per_row;
  const int64_t grain = std::max<int64_t>(1, kGrain / (length * std::min(columns, kColumns)));
  parallel_for(0, tasks, grain, [&](int64_t begin, int64_t end) {
    AxisCounter outer(others, others.ndim() - 1);
    for (int64_t task = begin; task < end; ++task) {
      outer.seek(task / blocks_per_row);
      const int64_t first = task % blocks_per_row * kColumns;
      const Rows<T> block{input + outer.in_offset() + first * column_in, output + outer.out_offset() + first * column_out,
                          length, in_stride, out_stride};
      softmax_columns<T, kLog>(block, std::min(kColumns, columns - first), column_in, column_out);
    }
  });
}

// attrs.dim = the (wrapped) softmax dim.
template <bool kLog>
void softmax_kernel(const KernelArgs& args) {
  dispatch_floating(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    run_softmax<T, kLog>(args.inputs[0], args.outputs[0], args.attrs->dim);
  });
}

}  // namespace

void register_softmax_kernels() {
  register_kernel(OpId::softmax, kCPU, &softmax_kernel<false>);
  register_kernel(OpId::log_softmax, kCPU, &softmax_kernel<true>);
}

}  // namespace reel::cpu
