// reel/cpu/unique_search.cpp — counting and searching on the CPU: unique, unique_consecutive, bincount, histc,
// searchsorted.
//
// The front door (tensor/ops_unique_search.cpp) has checked the call and handed row-major inputs.
//   unique / unique_consecutive  order the flattened input's positions (a stable sort under the NaN-last order
//              of tensor/sort_math.h; unique_consecutive keeps input order), then cut them into groups where a
//              key differs from the one before (x != y, so every NaN starts a group of its own). The kernel makes
//              its three outputs (their sizes depend on the data): values [groups], inverse (the input's shape)
//              and counts [groups], the last two [0] unless asked for.
//   bincount   zero the output, then add 1 (or the weight) at each value; one thread, in input order.
//   histc      count each value's bin (sort_math.h's histogram_bin, in double) into int64 counts, then store
//              them in the output's floating dtype.
//   searchsorted  a binary search per value (sort_math.h's search_sorted, shared with CUDA), threads over values.
#include <algorithm>
#include <numeric>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/sort_math.h"

namespace reel::cpu {

namespace {

template <bool kConsecutive>
void unique_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const UniqueAttrs& attrs = args.attrs->get<UniqueAttrs>();
  const int64_t n = x.numel();
  dispatch_dtype(x.dtype(), op_name(args.op), [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = static_cast<const T*>(x.data_ptr());
    std::vector<C> keys(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) keys[static_cast<size_t>(i)] = static_cast<C>(in[i]);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    if constexpr (!kConsecutive) {
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return sorting::nan_last_less(keys[static_cast<size_t>(a)], keys[static_cast<size_t>(b)]);
      });
    }
    // group_of[p]: the group of the p-th position in `order`; starts[g]: where group g begins in `order`.
    std::vector<int64_t> starts;
    std::vector<int64_t> group_of(static_cast<size_t>(n));
    for (int64_t p = 0; p < n; ++p) {
      const C key = keys[static_cast<size_t>(order[static_cast<size_t>(p)])];
      if (p == 0 || key != keys[static_cast<size_t>(order[static_cast<size_t>(p - 1)])])
        starts.push_back(p);
      group_of[static_cast<size_t>(p)] = static_cast<int64_t>(starts.size()) - 1;
    }
    const int64_t groups = static_cast<int64_t>(starts.size());
    const DimVector none{0};
    Tensor values = Tensor::make(IntList(groups), x.dtype(), x.device(), op_name(args.op).data());
    Tensor inverse = Tensor::make(attrs.return_inverse ? x.sizes() : IntList(none), kInt64, x.device());
    Tensor counts = Tensor::make(attrs.return_counts ? IntList(groups) : IntList(none), kInt64, x.device());
    T* value_data = static_cast<T*>(values.data_ptr());
    for (int64_t g = 0; g < groups; ++g) value_data[g] = in[order[static_cast<size_t>(starts[static_cast<size_t>(g)])]];
    if (attrs.return_inverse) {
      auto* inverse_data = static_cast<int64_t*>(inverse.data_ptr());
      for (int64_t p = 0; p < n; ++p) inverse_data[order[static_cast<size_t>(p)]] = group_of[static_cast<size_t>(p)];
    }
    if (attrs.return_counts) {
      auto* count_data = static_cast<int64_t*>(counts.data_ptr());
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t end = g + 1 < groups ? starts[static_cast<size_t>(g + 1)] : n;
        count_data[g] = end - starts[static_cast<size_t>(g)];
      }
    }
    args.outputs[0] = values;
    args.outputs[1] = inverse;
    args.outputs[2] = counts;
  });
}

// y_v = sum_{i: x_i = v} w_i
void bincount_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& out = args.outputs[0];
  const int64_t n = x.numel();
  const int64_t bins = out.numel();
  dispatch_dtype(x.dtype(), "bincount", [&]<typename I>() {
    const I* in = static_cast<const I*>(x.data_ptr());
    if (args.num_inputs < 2) {
      auto* counts = static_cast<int64_t*>(out.data_ptr());
      std::fill(counts, counts + bins, int64_t{0});
      for (int64_t i = 0; i < n; ++i) ++counts[static_cast<int64_t>(in[i])];
      return;
    }
    auto add_weights = [&]<typename W>() {  // the front door made the weights float32 or float64
      const W* weights = static_cast<const W*>(args.inputs[1].data_ptr());
      W* sums = static_cast<W*>(out.data_ptr());
      std::fill(sums, sums + bins, W(0));
      for (int64_t i = 0; i < n; ++i) sums[static_cast<int64_t>(in[i])] += weights[i];
    };
    if (out.dtype() == kFloat32) add_weights.template operator()<float>();
    else add_weights.template operator()<double>();
  });
}

// y_b = #{i: x_i in bin b}
void histc_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const HistogramAttrs& attrs = args.attrs->get<HistogramAttrs>();
  std::vector<int64_t> counts(static_cast<size_t>(attrs.bins), 0);
  dispatch_floating(x.dtype(), "histc", [&]<typename T>() {
    const T* in = static_cast<const T*>(x.data_ptr());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double v = static_cast<double>(static_cast<compute_t<T>>(in[i]));
      const int64_t b = sorting::histogram_bin(v, attrs.min, attrs.max, attrs.bins);
      if (b >= 0) ++counts[static_cast<size_t>(b)];
    }
    T* out = static_cast<T*>(args.outputs[0].data_ptr());
    for (int64_t b = 0; b < attrs.bins; ++b) out[b] = static_cast<T>(static_cast<compute_t<T>>(counts[static_cast<size_t>(b)]));
  });
}

// k = the insertion point of each value in its sorted row
void searchsorted_kernel(const KernelArgs& args) {
  const Tensor& seq = args.inputs[0];
  const Tensor& vals = args.inputs[1];
  const SearchsortedAttrs& attrs = args.attrs->get<SearchsortedAttrs>();
  const int64_t n = seq.size(-1);
  const bool shared_row = seq.dim() == 1;
  const int64_t per_row = shared_row || vals.dim() == 0 ? 1 : vals.size(-1);
  const int64_t count = vals.numel();
  dispatch_dtype(seq.dtype(), "searchsorted", [&]<typename T>() {
    using C = compute_t<T>;
    const T* s = static_cast<const T*>(seq.data_ptr());
    const T* v = static_cast<const T*>(vals.data_ptr());
    auto run = [&]<typename K>() {
      K* out = static_cast<K*>(args.outputs[0].data_ptr());
      parallel_for(0, count, 4096, [&](int64_t begin, int64_t end) {
        for (int64_t e = begin; e < end; ++e) {
          const T* row = shared_row ? s : s + (e / per_row) * n;
          out[e] = static_cast<K>(sorting::search_sorted<C>(row, n, static_cast<C>(v[e]), attrs.right));
        }
      });
    };
    if (attrs.out_int32) run.template operator()<int32_t>();
    else run.template operator()<int64_t>();
  });
}

}  // namespace

void register_unique_search_kernels() {
  register_kernel(OpId::unique, kCPU, &unique_kernel<false>);
  register_kernel(OpId::unique_consecutive, kCPU, &unique_kernel<true>);
  register_kernel(OpId::bincount, kCPU, &bincount_kernel);
  register_kernel(OpId::histc, kCPU, &histc_kernel);
  register_kernel(OpId::searchsorted, kCPU, &searchsorted_kernel);
}

}  // namespace reel::cpu
