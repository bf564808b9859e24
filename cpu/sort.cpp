// reel/cpu/sort.cpp — sorting and selection along a dim on the CPU: sort, topk, kthvalue, median, nanmedian,
// mode.
//
// The front door (tensor/ops_sort.cpp) has checked the call, wrapped attrs.dim and handed a row-major input and
// row-major outputs. Every kernel runs over the rows of tensor/sort_math.h (row r = the elements along dim at
// (o * n + j) * inner + i), rows split across threads; each thread keeps one scratch row of compute-type keys
// (float for the 16-bit floats) and one of positions 0..n-1, and orders the positions with the standard
// algorithms under the NaN-last order of sort_math.h:
//   sort       std::stable_sort when stable (ties in input order), std::sort otherwise;
//   topk       std::partial_sort of the first k when sorted, std::nth_element otherwise;
//   kthvalue   std::nth_element at k - 1 (median: (n - 1) / 2, or the first NaN; nanmedian: over the non-NaN);
//   mode       a stable sort, then the longest run of equal keys (the first, i.e. smallest, on a tie; its
//              index is the run's last position, as PyTorch's CPU kernel gives).
// Values are copied from the input element itself, so they are exact in every dtype.
#include <algorithm>
#include <numeric>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/sort_math.h"

namespace reel::cpu {

namespace {

using sorting::nan_last_less;
using sorting::RowGeometry;

constexpr int64_t kGrainElements = 32768;  // elements below which the rows stay on one thread

// One thread's scratch: the row's keys and a permutation of its positions.
template <typename T>
struct RowScratch {
  using C = compute_t<T>;
  std::vector<C> keys;
  std::vector<int64_t> order;

  explicit RowScratch(int64_t n) : keys(static_cast<size_t>(n)), order(static_cast<size_t>(n)) {}
  void load(const T* in, const RowGeometry& g, int64_t row) {
    for (int64_t j = 0; j < g.n; ++j) keys[static_cast<size_t>(j)] = static_cast<C>(in[g.offset(row, j)]);
    std::iota(order.begin(), order.end(), int64_t{0});
  }
  // Position a before position b: ascending, or descending when `reversed` (NaN last ascending, first descending).
  auto comparator(bool reversed) const {
    return [this, reversed](int64_t a, int64_t b) {
      return reversed ? nan_last_less(keys[static_cast<size_t>(b)], keys[static_cast<size_t>(a)])
                      : nan_last_less(keys[static_cast<size_t>(a)], keys[static_cast<size_t>(b)]);
    };
  }
};

// Runs body(scratch, row) for every row, threads over rows.
template <typename T, typename Body>
void for_each_row(const RowGeometry& g, Body&& body) {
  const int64_t grain = std::max<int64_t>(1, kGrainElements / std::max<int64_t>(1, g.n));
  parallel_for(0, g.rows(), grain, [&](int64_t begin, int64_t end) {
    RowScratch<T> scratch(g.n);
    for (int64_t row = begin; row < end; ++row) body(scratch, row);
  });
}

struct Io {
  RowGeometry g;
  const void* in;
  void* values;
  int64_t* indices;
};

Io io_of(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  return {sorting::row_geometry(x.sizes(), args.attrs->dim), x.data_ptr(), args.outputs[0].data_ptr(),
          static_cast<int64_t*>(args.outputs[1].data_ptr())};
}

// (y, k) = x along dim in order
void sort_kernel(const KernelArgs& args) {
  const Io io = io_of(args);
  const SortAttrs& attrs = args.attrs->get<SortAttrs>();
  dispatch_dtype(args.inputs[0].dtype(), "sort", [&]<typename T>() {
    const T* in = static_cast<const T*>(io.in);
    T* values = static_cast<T*>(io.values);
    for_each_row<T>(io.g, [&](RowScratch<T>& s, int64_t row) {
      s.load(in, io.g, row);
      if (attrs.stable) std::stable_sort(s.order.begin(), s.order.end(), s.comparator(attrs.descending));
      else std::sort(s.order.begin(), s.order.end(), s.comparator(attrs.descending));
      for (int64_t j = 0; j < io.g.n; ++j) {
        const int64_t from = s.order[static_cast<size_t>(j)];
        values[io.g.offset(row, j)] = in[io.g.offset(row, from)];
        io.indices[io.g.offset(row, j)] = from;
      }
    });
  });
}

// (y, k) = the k largest (smallest) along dim
void topk_kernel(const KernelArgs& args) {
  const Io io = io_of(args);
  const TopkAttrs& attrs = args.attrs->get<TopkAttrs>();
  const int64_t k = attrs.k;
  if (k == 0) return;
  dispatch_dtype(args.inputs[0].dtype(), "topk", [&]<typename T>() {
    const T* in = static_cast<const T*>(io.in);
    T* values = static_cast<T*>(io.values);
    for_each_row<T>(io.g, [&](RowScratch<T>& s, int64_t row) {
      s.load(in, io.g, row);
      const auto comp = s.comparator(attrs.largest);
      if (attrs.sorted) std::partial_sort(s.order.begin(), s.order.begin() + k, s.order.end(), comp);
      else std::nth_element(s.order.begin(), s.order.begin() + (k - 1), s.order.end(), comp);
      for (int64_t j = 0; j < k; ++j) {
        const int64_t from = s.order[static_cast<size_t>(j)];
        values[io.g.offset(row, j, k)] = in[io.g.offset(row, from)];
        io.indices[io.g.offset(row, j, k)] = from;
      }
    });
  });
}

enum class Selection { Kth, Median, NanMedian };

// One value per row (the reduced output's element `row`): the k-th smallest, the lower median, or the lower
// median of the non-NaN values.
template <Selection kWhich>
void select_kernel(const KernelArgs& args) {
  const Io io = io_of(args);
  const int64_t kth = kWhich == Selection::Kth ? args.attrs->get<KthvalueAttrs>().k : 0;
  dispatch_dtype(args.inputs[0].dtype(), op_name(args.op), [&]<typename T>() {
    const T* in = static_cast<const T*>(io.in);
    T* values = static_cast<T*>(io.values);
    for_each_row<T>(io.g, [&](RowScratch<T>& s, int64_t row) {
      s.load(in, io.g, row);
      auto first = s.order.begin();
      auto last = s.order.end();
      int64_t rank = kth - 1;
      if constexpr (kWhich != Selection::Kth) {
        const auto is_nan = [&](int64_t j) { return sorting::is_nan(s.keys[static_cast<size_t>(j)]); };
        if constexpr (kWhich == Selection::Median) {
          const auto nan = std::find_if(first, last, is_nan);  // positions are still 0..n-1: the first NaN
          if (nan != last) {
            values[row] = in[io.g.offset(row, *nan)];
            io.indices[row] = *nan;
            return;
          }
          rank = (io.g.n - 1) / 2;
        } else {
          last = std::stable_partition(first, last, [&](int64_t j) { return !is_nan(j); });
          if (last == first) {  // every value is NaN
            values[row] = in[io.g.offset(row, 0)];
            io.indices[row] = 0;
            return;
          }
          rank = (static_cast<int64_t>(last - first) - 1) / 2;
        }
      }
      std::nth_element(first, first + rank, last, s.comparator(false));
      const int64_t from = *(first + rank);
      values[row] = in[io.g.offset(row, from)];
      io.indices[row] = from;
    });
  });
}

// The most frequent value of each row.
void mode_kernel(const KernelArgs& args) {
  const Io io = io_of(args);
  dispatch_dtype(args.inputs[0].dtype(), "mode", [&]<typename T>() {
    const T* in = static_cast<const T*>(io.in);
    T* values = static_cast<T*>(io.values);
    for_each_row<T>(io.g, [&](RowScratch<T>& s, int64_t row) {
      s.load(in, io.g, row);
      std::stable_sort(s.order.begin(), s.order.end(), s.comparator(false));
      int64_t best = 0, best_index = 0;
      for (int64_t start = 0; start < io.g.n;) {
        int64_t end = start + 1;
        const auto key = s.keys[static_cast<size_t>(s.order[static_cast<size_t>(start)])];
        while (end < io.g.n && s.keys[static_cast<size_t>(s.order[static_cast<size_t>(end)])] == key) ++end;
        if (end - start > best) {
          best = end - start;
          best_index = s.order[static_cast<size_t>(end - 1)];
        }
        start = end;
      }
      values[row] = in[io.g.offset(row, best_index)];
      io.indices[row] = best_index;
    });
  });
}

}  // namespace

void register_sort_kernels() {
  register_kernel(OpId::sort, kCPU, &sort_kernel);
  register_kernel(OpId::topk, kCPU, &topk_kernel);
  register_kernel(OpId::kthvalue, kCPU, &select_kernel<Selection::Kth>);
  register_kernel(OpId::median, kCPU, &select_kernel<Selection::Median>);
  register_kernel(OpId::nanmedian, kCPU, &select_kernel<Selection::NanMedian>);
  register_kernel(OpId::mode, kCPU, &mode_kernel);
}

}  // namespace reel::cpu
