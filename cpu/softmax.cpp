// reel/cpu/softmax.cpp — fused, numerically stable softmax and log_softmax on the CPU.
//
// Every slice along attrs.dim is one "row", done in three passes: m = max, s = sum e^(x - m), then the
// output (e^(x - m) / s, or x - m - ln s). Nothing is materialised between passes and e^x never sees a
// positive argument, so large inputs cannot overflow. The other dims are simplified like a reduction's kept
// axes (cpu/reduce_layout.h): size-1 dims dropped, ordered by input stride, merged. Then
//   row loop     rows in parallel, each walked with its own stride (stride 1 for the usual last dim);
//   column loop  when a neighbouring row is closer in memory than the next element of a row (softmax over
//                dim 0 of a row-major matrix), a block of rows advances together, the inner loop running
//                across rows over contiguous memory.
// Either way, elements go through a small buffer in blocks: converted (and shifted by the max), then reduced
// or exponentiated by vectorised loops (cpu/vec_math.h for e^x) and summed in lanes. Arithmetic is in float for the
// 16-bit types (which recompute e^x in the last pass rather than round it twice) and in the element type
// otherwise. A NaN in a row makes the whole row NaN; a row of -inf, or one holding +inf, gives NaN, as in
// PyTorch. The front door (tensor/ops_softmax.cpp) allocates the contiguous output.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "cpu/kernels.h"
#include "cpu/reduce_layout.h"
#include "cpu/vec_math.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/scalar_math.h"

namespace reel::cpu {

namespace {

constexpr int64_t kBlock = 256;          // elements of a row per trip through the buffer
constexpr int64_t kColumnBlock = 2048;   // rows the column loop advances together (a row of a matrix, usually)
constexpr int64_t kGrain = 32768;  // elements below which work stays on one thread

// ---- vector helpers over the float buffer ---------------------------------------------------------------------

// values[i] = e^values[i] (cpu/vec_math.h: vectorised for float; libm for double).
inline void exp_in_place(float* values, int64_t n) { vec::exp_f32(values, values, n); }
inline void exp_in_place(double* values, int64_t n) {
  for (int64_t i = 0; i < n; ++i) values[i] = std::exp(values[i]);
}

template <typename C>
inline C max_with_nan(C current, C x) {
  const bool take = (x > current) | (x != x);
  return take ? x : current;
}

// max(current, max_i values[i]), NaN if any is NaN. Floats go four at a time through GCC vector extensions,
// which vectorise whatever the floating-point flags.
using Float4 = float __attribute__((vector_size(16)));
using Int4 = int32_t __attribute__((vector_size(16)));
inline float max_of(const float* values, int64_t n, float current) {
  Float4 best = Float4{} + current;
  Int4 any_nan = Int4{} + (current != current ? -1 : 0);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    Float4 x;
    std::memcpy(&x, values + i, sizeof x);
    any_nan |= x != x;
    best = x > best ? x : best;
  }
  float result = std::max(std::max(best[0], best[1]), std::max(best[2], best[3]));
  for (; i < n; ++i) result = max_with_nan(result, values[i]);
  const bool nan_seen = (any_nan[0] | any_nan[1] | any_nan[2] | any_nan[3]) != 0;
  return nan_seen ? std::numeric_limits<float>::quiet_NaN() : result;
}
inline double max_of(const double* values, int64_t n, double current) {
  for (int64_t i = 0; i < n; ++i) current = max_with_nan(current, values[i]);
  return current;
}

// maxes[j] = max(maxes[j], values[j]) for j < n, NaN sticking.
inline void max_into(float* maxes, const float* values, int64_t n) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    Float4 best, x;
    std::memcpy(&best, maxes + j, sizeof best);
    std::memcpy(&x, values + j, sizeof x);
    best = ((x > best) | (x != x)) ? x : best;
    std::memcpy(maxes + j, &best, sizeof best);
  }
  for (; j < n; ++j) maxes[j] = max_with_nan(maxes[j], values[j]);
}
inline void max_into(double* maxes, const double* values, int64_t n) {
  for (int64_t j = 0; j < n; ++j) maxes[j] = max_with_nan(maxes[j], values[j]);
}

// sum_i values[i], in four lanes.
template <typename C>
C sum_of(const C* values, int64_t n) {
  C lanes[4] = {};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j) lanes[j] += values[i + j];
  for (int j = 0; i < n; ++i, ++j) lanes[j] += values[i];
  return (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
}

// ---- one row ----------------------------------------------------------------------------------------------------

// Where a row (or a block of rows) lives.
template <typename T>
struct Rows {
  const T* in;
  T* out;
  int64_t length;      // elements per row: the size of the softmax dim
  int64_t in_stride;   // between elements of a row
  int64_t out_stride;
};

// buffer[k] = x[first + k] - shift, for k < count
template <typename T, typename C>
void load_shifted(C* buffer, const T* in, int64_t stride, int64_t first, int64_t count, C shift) {
  if (stride == 1) {
    for (int64_t k = 0; k < count; ++k) buffer[k] = static_cast<C>(in[first + k]) - shift;
  } else {
    for (int64_t k = 0; k < count; ++k) buffer[k] = static_cast<C>(in[(first + k) * stride]) - shift;
  }
}

// y_i = e^(x_i - m) / sum_j e^(x_j - m)  or  y_i = x_i - m - ln sum_j e^(x_j - m)
template <typename T, bool kLog>
void softmax_row(const Rows<T>& row) {
  using C = compute_t<T>;
  constexpr bool kKeepExp = !kLog && std::is_same_v<T, C>;  // write e^(x - m) in pass 2, scale it in pass 3
  const T* in = row.in;
  T* out = row.out;
  const int64_t n = row.length, is = row.in_stride, os = row.out_stride;

  C buffer[kBlock];
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t first = 0; first < n; first += kBlock) {
    const int64_t count = std::min(kBlock, n - first);
    load_shifted(buffer, in, is, first, count, C(0));
    m = max_of(buffer, count, m);
  }

  C sum = 0;
  for (int64_t first = 0; first < n; first += kBlock) {
    const int64_t count = std::min(kBlock, n - first);
    load_shifted(buffer, in, is, first, count, m);
    exp_in_place(buffer, count);
    sum += sum_of(buffer, count);
    if constexpr (kKeepExp)
      for (int64_t k = 0; k < count; ++k) out[(first + k) * os] = buffer[k];
  }

  if constexpr (kLog) {
    const C log_sum = std::log(sum);
    for (int64_t k = 0; k < n; ++k) out[k * os] = static_cast<T>((static_cast<C>(in[k * is]) - m) - log_sum);
  } else if constexpr (kKeepExp) {
    const C scale = C(1) / sum;
    for (int64_t k = 0; k < n; ++k) out[k * os] *= scale;
  } else {
    const C scale = C(1) / sum;
    for (int64_t first = 0; first < n; first += kBlock) {
      const int64_t count = std::min(kBlock, n - first);
      load_shifted(buffer, in, is, first, count, m);
      exp_in_place(buffer, count);
      for (int64_t k = 0; k < count; ++k) out[(first + k) * os] = static_cast<T>(buffer[k] * scale);
    }
  }
}

// Per-row state of the column loop: running max, sum, and one element of every row.
template <typename C>
struct ColumnState {
  std::unique_ptr<C[]> maxes, sums, buffer;
  explicit ColumnState(int64_t width) : maxes(new C[width]), sums(new C[width]), buffer(new C[width]) {}
};

// The same for `count` rows at once (count <= kColumnBlock), rows `column_in` / `column_out` apart.
template <typename T, bool kLog>
void softmax_columns(const Rows<T>& rows, int64_t count, int64_t column_in, int64_t column_out,
                     ColumnState<compute_t<T>>& state) {
  using C = compute_t<T>;
  constexpr bool kKeepExp = !kLog && std::is_same_v<T, C>;
  const int64_t n = rows.length, is = rows.in_stride, os = rows.out_stride;
  C* maxes = state.maxes.get();
  C* sums = state.sums.get();
  C* buffer = state.buffer.get();
  for (int64_t j = 0; j < count; ++j) maxes[j] = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    load_shifted(buffer, rows.in + i * is, column_in, 0, count, C(0));
    max_into(maxes, buffer, count);
  }

  // buffer[j] = e^(x[i, j] - m_j) for element i of every row in the block
  auto exp_of_element = [&](int64_t i) {
    load_shifted(buffer, rows.in + i * is, column_in, 0, count, C(0));
    for (int64_t j = 0; j < count; ++j) buffer[j] -= maxes[j];
    exp_in_place(buffer, count);
  };
  for (int64_t j = 0; j < count; ++j) sums[j] = 0;
  for (int64_t i = 0; i < n; ++i) {
    exp_of_element(i);
    for (int64_t j = 0; j < count; ++j) sums[j] += buffer[j];
    if constexpr (kKeepExp) {
      T* out = rows.out + i * os;
      for (int64_t j = 0; j < count; ++j) out[j * column_out] = buffer[j];
    }
  }

  for (int64_t j = 0; j < count; ++j) sums[j] = kLog ? std::log(sums[j]) : C(1) / sums[j];
  for (int64_t i = 0; i < n; ++i) {
    T* out = rows.out + i * os;
    if constexpr (kLog) {
      const T* in = rows.in + i * is;
      for (int64_t j = 0; j < count; ++j)
        out[j * column_out] = static_cast<T>((static_cast<C>(in[j * column_in]) - maxes[j]) - sums[j]);
    } else if constexpr (kKeepExp) {
      for (int64_t j = 0; j < count; ++j) out[j * column_out] *= sums[j];
    } else {
      exp_of_element(i);
      for (int64_t j = 0; j < count; ++j) out[j * column_out] = static_cast<T>(buffer[j] * sums[j]);
    }
  }
}

// ---- the kernel -------------------------------------------------------------------------------------------------

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
  const int64_t block_width = std::min(columns, kColumnBlock);
  const int64_t blocks_per_row = (columns + kColumnBlock - 1) / kColumnBlock;
  const int64_t tasks = rows / columns * blocks_per_row;
  const int64_t grain = std::max<int64_t>(1, kGrain / (length * block_width));
  parallel_for(0, tasks, grain, [&](int64_t begin, int64_t end) {
    ColumnState<compute_t<T>> state(block_width);
    AxisCounter outer(others, others.ndim() - 1);
    for (int64_t task = begin; task < end; ++task) {
      outer.seek(task / blocks_per_row);
      const int64_t first = task % blocks_per_row * kColumnBlock;
      const Rows<T> block{input + outer.in_offset() + first * column_in, output + outer.out_offset() + first * column_out,
                          length, in_stride, out_stride};
      softmax_columns<T, kLog>(block, std::min(kColumnBlock, columns - first), column_in, column_out, state);
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
