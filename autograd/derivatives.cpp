// reel/autograd/derivatives.cpp — the lookup table of backward formulas, indexed by OpId.
//
// The formulas live by family, each followed by its facts (node name, what recording saves; see
// autograd/derivatives_common.h):
//   derivatives_elementwise.cpp    unary, activations, binary, fused backward primitives, where / clamp / addc*, copy
//   derivatives_reduce_linalg.cpp  reductions, mm / bmm / addmm / linear
//   derivatives_shape_index.cpp    cat / flip / tril / triu, indexing, views, CopySlices
//   derivatives_nn.cpp             softmax, convolution, pooling, batch norm, fused RNN
//   derivatives_sort_scan.cpp      sort / topk / kthvalue / median / mode, cumsum / cumprod / logcumsumexp, cummax / cummin
//   derivatives_advanced_index.cpp index / index_put (advanced indexing), scatter_reduce
//   derivatives_rnn_cell.cpp       the fused LSTM / GRU / Tree-LSTM cells (_thnn_fused_lstm_cell, ...)
// Here the families' lists are gathered once into an array, so derivative_for is one index. An op without a formula
// keeps the empty Derivative (fn null: its outputs never require grad); test/test_coverage.cpp checks that the ops
// with a formula are exactly those whose op-table rows say differentiable.
#include "autograd/derivatives_common.h"
#include "tensor/error.h"

namespace reel::autograd {

namespace {

struct DerivativeTable {
  Derivative entries[kNumOps] = {};

  DerivativeTable() {
    for (std::span<const OpDerivative> family :
         {elementwise_derivatives(), reduce_linalg_derivatives(), shape_index_derivatives(), nn_derivatives(),
          sort_scan_derivatives(), pointwise_math_derivatives(), resample_derivatives(),
          advanced_index_derivatives(), rnn_cell_derivatives()}) {
      for (const OpDerivative& formula : family) {
        Derivative& entry = entries[static_cast<int>(formula.op)];
        REEL_CHECK(entry.fn == nullptr, "internal error: two backward formulas registered for op {}",
                   op_name(formula.op));
        entry = formula.derivative;
      }
    }
  }
};

}  // namespace

const Derivative& derivative_for(OpId op) {
  static const DerivativeTable table;  // built on first use; thread-safe (a function-local static)
  return table.entries[static_cast<int>(op)];
}

}  // namespace reel::autograd
