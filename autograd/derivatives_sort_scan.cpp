// reel/autograd/derivatives_sort_scan.cpp — the backward formulas of sorting and selection (tensor/ops_sort.cpp:
// sort, topk, kthvalue, median, nanmedian, mode) and of the scans (tensor/ops_scan.cpp: cumsum, cumprod,
// logcumsumexp, cummax, cummin). Each formula is followed by its facts (autograd/derivatives_common.h).
//
// The selections route the gradient through the indices they returned: it is scattered into zeros of the
// input's shape, so ties get it at the one index that was picked (PyTorch's rule). The formulas are written with
// reel ops, so their own derivatives (create_graph) come for free.
#include <vector>

#include "autograd/derivatives_common.h"

namespace reel::autograd {

namespace {

// ---- sorting and selection ---------------------------------------------------------------------------------------
// y = x[k] along dim (sort, topk: y has k's shape): dx = zeros with g at k
void scatter_through_indices(Ctx& c, bool reduced) {
  const OpAttrs& attrs = c.attrs();
  const InputMeta& in = c.input(0);
  if (in.sizes.empty()) {  // 0-dim input: the one value was picked
    c.grad_inputs[0] = c.grad();
    return;
  }
  Tensor indices = c.output_value(1);
  Tensor g = c.grad();
  if (reduced && !attrs.keepdim) {
    indices = indices.unsqueeze(attrs.dim);
    g = g.unsqueeze(attrs.dim);
  }
  c.grad_inputs[0] = zeros_for(in, g).scatter(attrs.dim, indices, g);
}
void sort_backward(Ctx& c) { scatter_through_indices(c, false); }
constexpr OpDerivative sort_derivative{OpId::sort, sort_backward, "SortBackward", {}, kIn0};
constexpr OpDerivative topk_derivative{OpId::topk, sort_backward, "TopkBackward", {}, kIn0};
// y = x[k] along dim, dim dropped unless keepdim (kthvalue, median, nanmedian, mode): dx = zeros with g at k
void select_backward(Ctx& c) { scatter_through_indices(c, true); }
constexpr OpDerivative kthvalue_derivative{OpId::kthvalue, select_backward, "KthvalueBackward", {}, kIn0};
constexpr OpDerivative median_derivative{OpId::median, select_backward, "MedianBackward", {}, kIn0};
constexpr OpDerivative nanmedian_derivative{OpId::nanmedian, select_backward, "NanmedianBackward", {}, kIn0};
constexpr OpDerivative mode_derivative{OpId::mode, select_backward, "ModeBackward", {}, kIn0};

// ---- scans ---------------------------------------------------------------------------------------------------------
// sum_{j >= i} t_j along dim (a cumsum from the end)
Tensor reverse_cumsum(const Tensor& t, int64_t dim) { return flip(cumsum(flip(t, dim), dim), dim); }

// y_i = sum_{j <= i} x_j: dx_i = sum_{j >= i} g_j
void cumsum_backward(Ctx& c) {
  if (c.input(0).sizes.empty()) {
    c.grad_inputs[0] = c.grad();
    return;
  }
  c.grad_inputs[0] = reverse_cumsum(c.grad(), c.attrs().dim);
}
constexpr OpDerivative cumsum_derivative{OpId::cumsum, cumsum_backward, "CumsumBackward"};

// y_i = prod_{j <= i} x_j: dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i. Without zeros in x that is
// sum_{j >= k} g_j y_j / x_k. With zeros the products are formed directly: along the last dim, row k of
// M[k, i] = (i == k ? 1 : x_i) has the running products P[k, j] = prod_{i <= j, i != k} x_i, and
// dx_k = sum_{j >= k} g_j P[k, j] (n^2 values per row, only when x holds a zero).
void cumprod_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor g = c.grad();
  if (x.dim() == 0) {
    c.grad_inputs[0] = g;
    return;
  }
  const int64_t dim = c.attrs().dim;
  bool has_zero;
  {
    NoGradGuard no_grad;
    has_zero = x.numel() > 0 && eq(x, 0).any().item<bool>();
  }
  if (!has_zero) {
    c.grad_inputs[0] = reverse_cumsum(g * result(c), dim) / x;
    return;
  }
  const int64_t n = x.size(dim);
  const TensorOptions bool_options = TensorOptions(kBool).device(x.device());
  const Tensor last = x.transpose(dim, -1);                             // [..., n]
  std::vector<int64_t> square(last.sizes().begin(), last.sizes().end());
  square.insert(square.end() - 1, n);
  const Tensor rows = last.unsqueeze(-2).expand(square);                // [..., n(k), n(i)]
  const Tensor m = where(eye(n, bool_options), 1.0, rows);
  const Tensor p = cumprod(m, -1);                                      // P[k, j]
  const Tensor later = triu(ones({n, n}, bool_options));               // j >= k
  const Tensor terms = where(later, g.transpose(dim, -1).unsqueeze(-2) * p, 0.0);
  c.grad_inputs[0] = sum(terms, {-1}).transpose(dim, -1);
}
constexpr OpDerivative cumprod_derivative{OpId::cumprod, cumprod_backward, "CumprodBackward", {kIn0}, kIn0};

// y_i = ln sum_{j <= i} e^(x_j): dx_k = sum_{j >= k} g_j e^(x_k - y_j) = e^(x_k - c) sum_{j >= k} g_j e^(c - y_j)
// for any constant c; c = the row's last y (its largest, y never decreases) keeps e^(x_k - c) <= 1. Exact for any
// c, so c is taken without history, and the formula is plain exp / cumsum for the second derivative.
void logcumsumexp_backward(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor g = c.grad();
  if (x.dim() == 0) {
    c.grad_inputs[0] = g;
    return;
  }
  const int64_t dim = c.attrs().dim;
  const int64_t n = x.size(dim);
  if (x.numel() == 0) {
    c.grad_inputs[0] = zeros_for(c.input(0), g);
    return;
  }
  const Tensor y = result(c);
  const Tensor shift = y.detach().narrow(dim, n - 1, 1);
  c.grad_inputs[0] = exp(x - shift) * reverse_cumsum(g * exp(shift - y), dim);
}
constexpr OpDerivative logcumsumexp_derivative{OpId::logcumsumexp, logcumsumexp_backward, "LogcumsumexpBackward",
                                               {kIn0}, kIn0};

// (y, k): y_i = x_(k_i): dx = g summed into the positions k (one position may feed many outputs)
void cumulative_extreme_backward(Ctx& c) {
  const InputMeta& in = c.input(0);
  if (in.sizes.empty()) {
    c.grad_inputs[0] = c.grad();
    return;
  }
  const Tensor g = c.grad();
  c.grad_inputs[0] = zeros_for(in, g).scatter_add(c.attrs().dim, c.output_value(1), g);
}
constexpr OpDerivative cummax_derivative{OpId::cummax, cumulative_extreme_backward, "CummaxBackward", {}, kIn0};
constexpr OpDerivative cummin_derivative{OpId::cummin, cumulative_extreme_backward, "CumminBackward", {}, kIn0};

constexpr OpDerivative kSortScanDerivatives[] = {
    sort_derivative,   topk_derivative,         kthvalue_derivative,     nanmedian_derivative,
    median_derivative, mode_derivative,         cumsum_derivative,       cumprod_derivative,
    logcumsumexp_derivative, cummax_derivative, cummin_derivative,
};

}  // namespace

std::span<const OpDerivative> sort_scan_derivatives() { return kSortScanDerivatives; }

}  // namespace reel::autograd
