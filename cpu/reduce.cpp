// reel/cpu/reduce.cpp — every reduction on the CPU (sum, prod, amax, amin, max, min, argmax, argmin, var,
// norm, all, any) through one scheme.
//
// The front door (tensor/ops_reduce.cpp) has checked the call, allocated contiguous outputs and put the
// reduced dims (ascending; empty = all) in attrs.dims. Each kernel builds a ReduceLayout (cpu/reduce_layout.h)
// straight from the input's sizes and strides, so non-contiguous inputs need no copy, then runs one of two
// loops over an op object:
//   rows     each output folds its reduced elements, walked as runs along the innermost reduced axis
//            (stride 1 for the common last-dim case: multi-lane folds the compiler vectorises);
//   columns  a block of up to kColumns neighbouring outputs advances through the reduced set together, four
//            reduced elements per sweep, the inner loop stepping across outputs (sum over dim 0 of a
//            row-major matrix, for example).
// Determinism: an output's reduced index range is cut into fixed chunks of kChunk elements, each folded on
// its own and the chunk results merged left to right. Chunks never depend on the thread count, so results
// are bit-identical for any number of threads; threads only decide which chunks run concurrently (across
// outputs when there are many, across the chunks of few outputs otherwise).
//
// An op object supplies: Input, Acc, identity(), merge(earlier, later), reduce_range(...) for the row loop,
// reduce_columns(...) for the column loop and store(acc, output_offset). Most ops derive both loops from a
// per-element fold through FoldReduce; argmax-like ops find the extreme value first and then its index; var
// takes two passes (mean, then squared deviations) in the row loop and one shifted pass in the column loop.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/reduce_layout.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/scalar_math.h"

namespace reel::cpu {

namespace {

constexpr int64_t kChunk = 16384;   // reduced elements folded into one partial result
constexpr int64_t kColumns = 2048;  // outputs the column loop advances together (a row of a matrix, usually)
constexpr int64_t kGrain = 32768;   // input elements below which work stays on one thread

// ---- the two loops -------------------------------------------------------------------------------------------

// True when there are too few independent outputs to keep every thread busy, so chunks of one output should
// run concurrently instead.
bool split_chunks(int64_t independent_tasks, int64_t chunks) {
  return chunks > 1 && independent_tasks < 4 * static_cast<int64_t>(get_num_threads());
}

template <typename Op>
void reduce_rows(const ReduceLayout& layout, const Op& op, const typename Op::Input* input) {
  using Acc = typename Op::Acc;
  const ReducedWalker walker(layout.reduced);
  const int64_t reduced = layout.num_reduced;
  const int64_t chunks = (reduced + kChunk - 1) / kChunk;
  auto fold_chunk = [&](int64_t in_offset, int64_t chunk) {
    return op.reduce_range(input + in_offset, walker, chunk * kChunk, std::min(reduced, (chunk + 1) * kChunk));
  };
  const int kept_ndim = layout.kept.ndim();
  const int64_t grain = std::max<int64_t>(1, kGrain / reduced);
  if (kept_ndim <= 1 && chunks == 1) {  // the common case, without counters: output o starts at o * in_step
    const int64_t in_step = kept_ndim == 1 ? layout.kept.inner_in_stride() : 0;
    const int64_t out_step = kept_ndim == 1 ? layout.kept.inner_out_stride() : 0;
    parallel_for(0, layout.num_outputs, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) op.store(fold_chunk(o * in_step, 0), o * out_step);
    });
    return;
  }
  if (!split_chunks(layout.num_outputs, chunks)) {
    parallel_for(0, layout.num_outputs, grain, [&](int64_t begin, int64_t end) {
      AxisCounter kept(layout.kept, kept_ndim);
      kept.seek(begin);
      for (int64_t o = begin; o < end; ++o, kept.next()) {
        Acc acc = fold_chunk(kept.in_offset(), 0);
        for (int64_t c = 1; c < chunks; ++c) acc = op.merge(acc, fold_chunk(kept.in_offset(), c));
        op.store(acc, kept.out_offset());
      }
    });
    return;
  }
  std::unique_ptr<Acc[]> partials(new Acc[static_cast<size_t>(layout.num_outputs * chunks)]);
  parallel_for(0, layout.num_outputs * chunks, 1, [&](int64_t begin, int64_t end) {
    AxisCounter kept(layout.kept, kept_ndim);
    for (int64_t task = begin; task < end; ++task) {
      kept.seek(task / chunks);
      partials[task] = fold_chunk(kept.in_offset(), task % chunks);
    }
  });
  AxisCounter kept(layout.kept, kept_ndim);
  kept.seek(0);
  for (int64_t o = 0; o < layout.num_outputs; ++o, kept.next()) {
    Acc acc = partials[o * chunks];
    for (int64_t c = 1; c < chunks; ++c) acc = op.merge(acc, partials[o * chunks + c]);
    op.store(acc, kept.out_offset());
  }
}

template <typename Op>
void reduce_columns(const ReduceLayout& layout, const Op& op, const typename Op::Input* input) {
  using Acc = typename Op::Acc;
  const ReducedWalker walker(layout.reduced);
  const int64_t reduced = layout.num_reduced;
  const int64_t chunks = (reduced + kChunk - 1) / kChunk;
  const int64_t columns = layout.kept.inner_size();
  const int64_t column_in = layout.kept.inner_in_stride();
  const int64_t column_out = layout.kept.inner_out_stride();
  const int64_t block_width = std::min(columns, kColumns);
  const int64_t blocks_per_row = (columns + kColumns - 1) / kColumns;
  const int64_t tasks = layout.num_outputs / columns * blocks_per_row;
  const int outer_ndim = layout.kept.ndim() - 1;

  struct Block {
    int64_t in_offset, out_offset, count;
  };
  auto locate = [&](AxisCounter& row, int64_t task) {
    row.seek(task / blocks_per_row);
    const int64_t first = task % blocks_per_row * kColumns;
    return Block{row.in_offset() + first * column_in, row.out_offset() + first * column_out,
                 std::min(kColumns, columns - first)};
  };
  auto fold_chunk = [&](const Block& block, int64_t chunk, Acc* acc) {
    op.reduce_columns(acc, block.count, column_in, input + block.in_offset, walker, chunk * kChunk,
                      std::min(reduced, (chunk + 1) * kChunk));
  };
  auto store = [&](const Block& block, const Acc* acc) {
    for (int64_t j = 0; j < block.count; ++j) op.store(acc[j], block.out_offset + j * column_out);
  };

  if (!split_chunks(tasks, chunks)) {
    const int64_t grain = std::max<int64_t>(1, kGrain / (reduced * block_width));
    parallel_for(0, tasks, grain, [&](int64_t begin, int64_t end) {
      std::unique_ptr<Acc[]> acc(new Acc[block_width]), part(new Acc[block_width]);
      AxisCounter row(layout.kept, outer_ndim);
      for (int64_t task = begin; task < end; ++task) {
        const Block block = locate(row, task);
        fold_chunk(block, 0, acc.get());
        for (int64_t c = 1; c < chunks; ++c) {
          fold_chunk(block, c, part.get());
          for (int64_t j = 0; j < block.count; ++j) acc[j] = op.merge(acc[j], part[j]);
        }
        store(block, acc.get());
      }
    });
    return;
  }
  std::unique_ptr<Acc[]> partials(new Acc[static_cast<size_t>(tasks * chunks * block_width)]);
  parallel_for(0, tasks * chunks, 1, [&](int64_t begin, int64_t end) {
    AxisCounter row(layout.kept, outer_ndim);
    for (int64_t t = begin; t < end; ++t) fold_chunk(locate(row, t / chunks), t % chunks, &partials[t * block_width]);
  });
  AxisCounter row(layout.kept, outer_ndim);
  for (int64_t task = 0; task < tasks; ++task) {
    const Block block = locate(row, task);
    Acc* acc = &partials[task * chunks * block_width];
    for (int64_t c = 1; c < chunks; ++c)
      for (int64_t j = 0; j < block.count; ++j) acc[j] = op.merge(acc[j], acc[c * block_width + j]);
    store(block, acc);
  }
}

// Builds the layout from the input and attrs.dims and runs whichever loop suits it.
// `order_free`: the op may visit reduced elements in any order (not the index-returning ops).
template <typename Op>
void run_reduction(const KernelArgs& args, const Op& op, bool order_free) {
  const Tensor& x = args.inputs[0];
  const IntList dims = args.attrs->dims;
  std::vector<bool> reduced(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) reduced[static_cast<size_t>(d)] = true;
  const ReduceLayout layout = make_reduce_layout(x.sizes(), x.strides(), reduced, order_free);
  if (layout.num_outputs == 0 || layout.num_reduced == 0) return;  // the front door fills empty reductions
  const auto* input = static_cast<const typename Op::Input*>(x.data_ptr());
  if (layout.use_columns()) reduce_columns(layout, op, input);
  else reduce_rows(layout, op, input);
}

// ---- ops defined by a per-element fold ------------------------------------------------------------------------

// Derived supplies identity(), combine(acc, x, index) and merge(earlier, later). kLaneable: combine ignores the
// index and may be applied in any order, so contiguous runs fold in independent lanes.
template <typename Derived, typename T, typename AccT, bool kLaneable>
struct FoldReduce {
  using Input = T;
  using Acc = AccT;
  using Value = compute_t<T>;

  Acc reduce_range(const T* base, const ReducedWalker& walker, int64_t begin, int64_t end) const {
    const Derived& self = static_cast<const Derived&>(*this);
    Acc acc = self.identity();
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t first) {
      const T* p = base + offset;
      if constexpr (kLaneable) {
        if (stride == 1) {
          acc = self.merge(acc, fold_contiguous(p, length));
          return;
        }
      }
      for (int64_t i = 0; i < length; ++i) acc = self.combine(acc, static_cast<Value>(p[i * stride]), first + i);
    });
    return acc;
  }

  void reduce_columns(Acc* acc, int64_t count, int64_t column_stride, const T* base, const ReducedWalker& walker,
                      int64_t begin, int64_t end) const {
    const Derived& self = static_cast<const Derived&>(*this);
    for (int64_t j = 0; j < count; ++j) acc[j] = self.identity();
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t first) {
      int64_t i = 0;
      if (column_stride == 1) {
        // Four rows per sweep: each accumulator is loaded and stored once per four elements, and four
        // streams of memory are in flight. The fold order per output is unchanged.
        for (; i + 4 <= length; i += 4) {
          const T* row = base + offset + i * stride;
          const int64_t index = first + i;
          for (int64_t j = 0; j < count; ++j) {
            Acc a = self.combine(acc[j], static_cast<Value>(row[j]), index);
            a = self.combine(a, static_cast<Value>(row[stride + j]), index + 1);
            a = self.combine(a, static_cast<Value>(row[2 * stride + j]), index + 2);
            acc[j] = self.combine(a, static_cast<Value>(row[3 * stride + j]), index + 3);
          }
        }
      }
      for (; i < length; ++i) {
        const T* row = base + offset + i * stride;
        const int64_t index = first + i;
        for (int64_t j = 0; j < count; ++j)
          acc[j] = self.combine(acc[j], static_cast<Value>(row[j * column_stride]), index);
      }
    });
  }

 private:
  // Enough independent lanes to hide the latency of combine (8 SSE registers' worth), merged pairwise at
  // the end. Short runs use four lanes, tiny ones fold sequentially.
  static constexpr int kLanes = sizeof(Acc) >= 8 ? 16 : 32;

  Acc fold_contiguous(const T* p, int64_t n) const {
    if (n >= 2 * kLanes) return fold_lanes<kLanes>(p, n);
    if (n >= 8) return fold_lanes<4>(p, n);
    const Derived& self = static_cast<const Derived&>(*this);
    Acc acc = self.identity();
    for (int64_t i = 0; i < n; ++i) acc = self.combine(acc, static_cast<Value>(p[i]), 0);
    return acc;
  }

  template <int kCount>
  Acc fold_lanes(const T* p, int64_t n) const {
    const Derived& self = static_cast<const Derived&>(*this);
    Acc lanes[kCount];
    for (int j = 0; j < kCount; ++j) lanes[j] = self.identity();
    int64_t i = 0;
    for (; i + kCount <= n; i += kCount)
      for (int j = 0; j < kCount; ++j) lanes[j] = self.combine(lanes[j], static_cast<Value>(p[i + j]), 0);
    for (int j = 0; i < n; ++i, ++j) lanes[j] = self.combine(lanes[j], static_cast<Value>(p[i]), 0);
    for (int width = kCount / 2; width > 0; width /= 2)
      for (int j = 0; j < width; ++j) lanes[j] = self.merge(lanes[j], lanes[j + width]);
    return lanes[0];
  }
};

// Accumulator of sum and prod: int64 for bool and the integers (also the result dtype, as in PyTorch),
// float for the 16-bit floats, double for float32 and float64 (long float32 sums stay accurate).
template <typename T> struct SumAccumulator { using type = int64_t; };
template <> struct SumAccumulator<Half> { using type = float; };
template <> struct SumAccumulator<BFloat16> { using type = float; };
template <> struct SumAccumulator<float> { using type = double; };
template <> struct SumAccumulator<double> { using type = double; };
template <typename T> using sum_acc_t = typename SumAccumulator<T>::type;
template <typename T> using sum_out_t = std::conditional_t<std::is_integral_v<sum_acc_t<T>>, int64_t, T>;

// Integer arithmetic wraps around on overflow (as PyTorch's does) instead of being undefined.
inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

template <typename Out, typename Acc>
Out narrow_to(Acc value) {
  return static_cast<Out>(static_cast<compute_t<Out>>(value));
}

// y = sum_i x_i
template <typename T>
struct SumReduce : FoldReduce<SumReduce<T>, T, sum_acc_t<T>, true> {
  using Acc = sum_acc_t<T>;
  using Out = sum_out_t<T>;
  Out* out = nullptr;
  Acc identity() const { return Acc(0); }
  Acc combine(Acc a, compute_t<T> x, int64_t) const { return merge(a, static_cast<Acc>(x)); }
  Acc merge(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) return wrapping_add(a, b);
    else return a + b;
  }
  void store(Acc a, int64_t at) const { out[at] = narrow_to<Out>(a); }
};

// y = prod_i x_i
template <typename T>
struct ProdReduce : FoldReduce<ProdReduce<T>, T, sum_acc_t<T>, true> {
  using Acc = sum_acc_t<T>;
  using Out = sum_out_t<T>;
  Out* out = nullptr;
  Acc identity() const { return Acc(1); }
  Acc combine(Acc a, compute_t<T> x, int64_t) const { return merge(a, static_cast<Acc>(x)); }
  Acc merge(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) return wrapping_mul(a, b);
    else return a * b;
  }
  void store(Acc a, int64_t at) const { out[at] = narrow_to<Out>(a); }
};

// y = max_i x_i (kMax) or min_i x_i; a NaN anywhere gives NaN.
template <typename T, bool kMax>
struct ExtremeReduce : FoldReduce<ExtremeReduce<T, kMax>, T, compute_t<T>, true> {
  using Acc = compute_t<T>;
  T* out = nullptr;
  Acc identity() const {
    if constexpr (std::is_floating_point_v<Acc>)
      return kMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  Acc combine(Acc a, Acc x, int64_t) const { return merge(a, x); }
  Acc merge(Acc a, Acc b) const {
    const bool take = (kMax ? b > a : b < a) | math::is_nan(b);  // no short circuit: vectorises
    return take ? b : a;
  }
  void store(Acc a, int64_t at) const { out[at] = static_cast<T>(a); }
};

template <typename V>
struct ValueIndex {
  V value{};
  int64_t index = -1;  // -1: nothing folded yet
};

// (y, k) = (max_i x_i, first i reaching it) for kMax, else the min; the first NaN wins over any number.
// `values` is null for argmax / argmin.
template <typename T, bool kMax>
struct ArgReduce : FoldReduce<ArgReduce<T, kMax>, T, ValueIndex<compute_t<T>>, false> {
  using Value = compute_t<T>;
  using Acc = ValueIndex<Value>;
  T* values = nullptr;
  int64_t* indices = nullptr;
  static bool better(Value x, Value current) {
    if constexpr (kMax) return x > current || (math::is_nan(x) && !math::is_nan(current));
    else return x < current || (math::is_nan(x) && !math::is_nan(current));
  }
  Acc identity() const { return Acc{}; }
  Acc combine(Acc a, Value x, int64_t index) const { return (a.index < 0 || better(x, a.value)) ? Acc{x, index} : a; }

  // The row loop in two passes: the extreme value (vectorised, NaN-propagating), then the first position
  // holding it (or holding a NaN). Same result as folding with combine, several times faster.
  Acc reduce_range(const T* base, const ReducedWalker& walker, int64_t begin, int64_t end) const {
    const Value target = ExtremeReduce<T, kMax>{}.reduce_range(base, walker, begin, end);
    const bool find_nan = math::is_nan(target);
    Acc found;
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t first) {
      if (found.index >= 0) return;
      const T* p = base + offset;
      for (int64_t i = 0; i < length; ++i) {
        const Value x = static_cast<Value>(p[i * stride]);
        if (find_nan ? math::is_nan(x) : x == target) {
          found = Acc{x, first + i};
          return;
        }
      }
    });
    return found;
  }
  Acc merge(Acc a, Acc b) const {
    if (a.index < 0 || better(b.value, a.value)) return b.index < 0 ? a : b;
    if (b.index < 0 || better(a.value, b.value)) return a;
    return b.index < a.index ? b : a;  // equal (or both NaN): the first occurrence
  }
  void store(Acc a, int64_t at) const {
    if (values != nullptr) values[at] = static_cast<T>(a.value);
    indices[at] = a.index;
  }
};

// y = AND_i (x_i != 0) (kAll) or OR_i (x_i != 0); NaN counts as nonzero.
template <typename T, bool kAll>
struct LogicalReduce : FoldReduce<LogicalReduce<T, kAll>, T, bool, true> {
  bool* out = nullptr;
  bool identity() const { return kAll; }
  bool combine(bool a, compute_t<T> x, int64_t) const { return merge(a, x != compute_t<T>(0)); }
  bool merge(bool a, bool b) const { return kAll ? (a && b) : (a || b); }
  void store(bool a, int64_t at) const { out[at] = a; }
};

enum class NormKind { Zero, One, Two, Inf, NegInf, General };

// Accumulator of norm: float for the 16-bit floats, double otherwise.
template <typename T> using norm_acc_t = std::conditional_t<std::is_same_v<compute_t<T>, float> && !std::is_same_v<T, float>, float, double>;

// y = (sum_i |x_i|^p)^(1/p); p = 0 counts nonzeros, p = inf is max |x_i|, p = -inf min |x_i|.
template <typename T, NormKind kKind>
struct NormReduce : FoldReduce<NormReduce<T, kKind>, T, norm_acc_t<T>, true> {
  using Acc = norm_acc_t<T>;
  T* out = nullptr;
  Acc p = 2;
  Acc identity() const { return kKind == NormKind::NegInf ? std::numeric_limits<Acc>::infinity() : Acc(0); }
  Acc combine(Acc a, compute_t<T> x, int64_t) const {
    const Acc magnitude = std::fabs(static_cast<Acc>(x));
    if constexpr (kKind == NormKind::Zero) return a + static_cast<Acc>(x != compute_t<T>(0));
    else if constexpr (kKind == NormKind::One) return a + magnitude;
    else if constexpr (kKind == NormKind::Two) return a + magnitude * magnitude;
    else if constexpr (kKind == NormKind::General) return a + std::pow(magnitude, p);
    else return merge(a, magnitude);
  }
  Acc merge(Acc a, Acc b) const {
    if constexpr (kKind == NormKind::Inf || kKind == NormKind::NegInf) {
      const bool take = (kKind == NormKind::Inf ? b > a : b < a) | math::is_nan(b);
      return take ? b : a;
    } else {
      return a + b;
    }
  }
  void store(Acc a, int64_t at) const {
    if constexpr (kKind == NormKind::Two) a = std::sqrt(a);
    else if constexpr (kKind == NormKind::General) a = std::pow(a, Acc(1) / p);
    out[at] = narrow_to<T>(a);
  }
};

// ---- var: two passes per chunk, chunks merged with Chan's formula ---------------------------------------------

struct Moments {
  double count = 0;
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean
};

// y = sum_i (x_i - mean)^2 / max(n - correction, 0)
template <typename T>
struct VarReduce {
  using Input = T;
  using Acc = Moments;
  T* out = nullptr;
  double correction = 1;

  static double load(const T* p) { return static_cast<double>(static_cast<compute_t<T>>(*p)); }

  Acc identity() const { return Moments{}; }
  Acc merge(Acc a, Acc b) const {
    if (a.count == 0) return b;
    if (b.count == 0) return a;
    const double count = a.count + b.count;
    const double delta = b.mean - a.mean;
    return Moments{count, a.mean + delta * (b.count / count), a.m2 + b.m2 + delta * delta * (a.count * b.count / count)};
  }

  // Mean first, then the squared deviations; the sum of deviations corrects the rounding of the mean.
  Acc reduce_range(const T* base, const ReducedWalker& walker, int64_t begin, int64_t end) const {
    const double count = static_cast<double>(end - begin);
    double sum = 0;
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t) {
      sum += sum_run(base + offset, length, stride);
    });
    const double mean = sum / count;
    double deviation = 0, squares = 0;
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t) {
      add_deviations(base + offset, length, stride, mean, deviation, squares);
    });
    return Moments{count, mean + deviation / count, squares - deviation * deviation / count};
  }

  // One pass over the (usually out-of-cache) block: sums of x - k and (x - k)^2 with k = the chunk's first
  // value in each column, a shift close enough to the mean that the final subtraction loses little.
  void reduce_columns(Acc* acc, int64_t columns, int64_t column_stride, const T* base, const ReducedWalker& walker,
                      int64_t begin, int64_t end) const {
    const double count = static_cast<double>(end - begin);
    std::unique_ptr<double[]> storage(new double[static_cast<size_t>(3 * columns)]());
    double* __restrict shift = storage.get();
    double* __restrict deviation = shift + columns;
    double* __restrict squares = deviation + columns;
    bool first_row = true;
    walker.for_each_run(begin, end, [&](int64_t offset, int64_t length, int64_t stride, int64_t) {
      for (int64_t i = 0; i < length; ++i) {
        const T* row = base + offset + i * stride;
        if (first_row) {
          for (int64_t j = 0; j < columns; ++j) shift[j] = load(row + j * column_stride);
          first_row = false;
        }
        if (column_stride == 1) {
          for (int64_t j = 0; j < columns; ++j) {
            const double d = load(row + j) - shift[j];
            deviation[j] += d;
            squares[j] += d * d;
          }
        } else {
          for (int64_t j = 0; j < columns; ++j) {
            const double d = load(row + j * column_stride) - shift[j];
            deviation[j] += d;
            squares[j] += d * d;
          }
        }
      }
    });
    for (int64_t j = 0; j < columns; ++j)
      acc[j] = Moments{count, shift[j] + deviation[j] / count, squares[j] - deviation[j] * deviation[j] / count};
  }

  void store(Acc a, int64_t at) const {
    const double m2 = a.m2 < 0 ? 0 : a.m2;  // rounding can leave -0.0...; NaN passes through
    const double divisor = a.count - correction > 0 ? a.count - correction : 0;
    out[at] = narrow_to<T>(m2 / divisor);
  }

 private:
  static constexpr int kLanes = 8;
  static double sum_lanes(const double* lanes) {
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  }

  // sum_i x_i over one run, in eight lanes when contiguous.
  static double sum_run(const T* p, int64_t n, int64_t stride) {
    double lanes[kLanes] = {};
    if (stride == 1) {
      int64_t i = 0;
      for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) lanes[j] += load(p + i + j);
      for (int j = 0; i < n; ++i, ++j) lanes[j] += load(p + i);
    } else {
      for (int64_t i = 0; i < n; ++i) lanes[0] += load(p + i * stride);
    }
    return sum_lanes(lanes);
  }

  // deviation += sum_i (x_i - mean), squares += sum_i (x_i - mean)^2 over one run.
  static void add_deviations(const T* p, int64_t n, int64_t stride, double mean, double& deviation,
                             double& squares) {
    double dev[kLanes] = {}, sq[kLanes] = {};
    if (stride == 1) {
      int64_t i = 0;
      for (; i + kLanes <= n; i += kLanes) {
        for (int j = 0; j < kLanes; ++j) {
          const double d = load(p + i + j) - mean;
          dev[j] += d;
          sq[j] += d * d;
        }
      }
      for (int j = 0; i < n; ++i, ++j) {
        const double d = load(p + i) - mean;
        dev[j] += d;
        sq[j] += d * d;
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const double d = load(p + i * stride) - mean;
        dev[0] += d;
        sq[0] += d * d;
      }
    }
    deviation += sum_lanes(dev);
    squares += sum_lanes(sq);
  }
};

// ---- kernels ----------------------------------------------------------------------------------------------

template <typename Out>
Out* output(const KernelArgs& args, int i) {
  return static_cast<Out*>(args.outputs[i].data_ptr());
}

void sum_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), "sum", [&]<typename T>() {
    SumReduce<T> op;
    op.out = output<typename SumReduce<T>::Out>(args, 0);
    run_reduction(args, op, true);
  });
}

void prod_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), "prod", [&]<typename T>() {
    ProdReduce<T> op;
    op.out = output<typename ProdReduce<T>::Out>(args, 0);
    run_reduction(args, op, true);
  });
}

template <bool kMax>
void extreme_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    ExtremeReduce<T, kMax> op;
    op.out = output<T>(args, 0);
    run_reduction(args, op, true);
  });
}

// max / min (values and indices) and argmax / argmin (indices only).
template <bool kMax, bool kWithValues>
void arg_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    ArgReduce<T, kMax> op;
    if constexpr (kWithValues) {
      op.values = output<T>(args, 0);
      op.indices = output<int64_t>(args, 1);
    } else {
      op.indices = output<int64_t>(args, 0);
    }
    run_reduction(args, op, false);
  });
}

template <bool kAll>
void logical_kernel(const KernelArgs& args) {
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    LogicalReduce<T, kAll> op;
    op.out = output<bool>(args, 0);
    run_reduction(args, op, true);
  });
}

void var_kernel(const KernelArgs& args) {
  dispatch_floating(args.inputs[0].dtype(), "var", [&]<typename T>() {
    VarReduce<T> op;
    op.out = output<T>(args, 0);
    op.correction = args.attrs->get<VarianceAttrs>().correction;
    run_reduction(args, op, true);
  });
}

// attrs: NormAttrs.
void norm_kernel(const KernelArgs& args) {
  const double p = args.attrs->get<NormAttrs>().p;
  dispatch_floating(args.inputs[0].dtype(), "norm", [&]<typename T>() {
    auto run = [&]<NormKind kKind>() {
      NormReduce<T, kKind> op;
      op.out = output<T>(args, 0);
      op.p = static_cast<norm_acc_t<T>>(p);
      run_reduction(args, op, true);
    };
    if (std::isinf(p)) p > 0 ? run.template operator()<NormKind::Inf>() : run.template operator()<NormKind::NegInf>();
    else if (p == 0) run.template operator()<NormKind::Zero>();
    else if (p == 1) run.template operator()<NormKind::One>();
    else if (p == 2) run.template operator()<NormKind::Two>();
    else run.template operator()<NormKind::General>();
  });
}

}  // namespace

void register_reduce_kernels() {
  register_kernel(OpId::sum, kCPU, &sum_kernel);
  register_kernel(OpId::prod, kCPU, &prod_kernel);
  register_kernel(OpId::amax, kCPU, &extreme_kernel<true>);
  register_kernel(OpId::amin, kCPU, &extreme_kernel<false>);
  register_kernel(OpId::max, kCPU, &arg_kernel<true, true>);
  register_kernel(OpId::min, kCPU, &arg_kernel<false, true>);
  register_kernel(OpId::argmax, kCPU, &arg_kernel<true, false>);
  register_kernel(OpId::argmin, kCPU, &arg_kernel<false, false>);
  register_kernel(OpId::var, kCPU, &var_kernel);
  register_kernel(OpId::norm, kCPU, &norm_kernel);
  register_kernel(OpId::all, kCPU, &logical_kernel<true>);
  register_kernel(OpId::any, kCPU, &logical_kernel<false>);
}

}  // namespace reel::cpu
