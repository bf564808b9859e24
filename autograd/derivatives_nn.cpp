// reel/autograd/derivatives_nn.cpp — the backward formulas of the neural-network ops: softmax and log_softmax
// (tensor/ops_softmax.cpp), convolution and pooling with their backward primitives (tensor/ops_conv.cpp), batch
// normalization (tensor/ops_norm.cpp) and the fused multi-step RNN (tensor/ops_rnn.cpp). Each formula is followed
// by its facts (autograd/derivatives_common.h).
#include <vector>

#include "autograd/derivatives_common.h"
#include "tensor/conv_params.h"
#include "tensor/rnn_params.h"

namespace reel::autograd {

namespace {

// ---- softmax -----------------------------------------------------------------------------------------------------
// y = softmax(x): dx = y (g - sum(g y))
void softmax_backward(Ctx& c) {
  const Tensor y = result(c);
  const int64_t dim = c.attrs().dim;
  Tensor gy = c.grad() * y;
  c.grad_inputs[0] = gy - y * gy.sum({dim}, true);
}
constexpr OpDerivative softmax_derivative{OpId::softmax, softmax_backward, "SoftmaxBackward", {}, kIn0};
// y = log_softmax(x): dx = g - e^y sum(g)
void log_softmax_backward(Ctx& c) {
  const Tensor y = result(c);
  c.grad_inputs[0] = c.grad() - exp(y) * c.grad().sum({c.attrs().dim}, true);
}
constexpr OpDerivative log_softmax_derivative{OpId::log_softmax, log_softmax_backward, "LogSoftmaxBackward", {}, kIn0};

// ---- convolution and pooling ---------------------------------------------------------------------------------
// Settings come from the node's attrs (tensor/conv_params.h), sizes from the inputs' metadata. Every backward
// primitive is linear in its gradient argument and is the adjoint of its forward op, so the formulas of the
// primitives are the forward ops again and gradients of any order work.
IntList pair_list(const SpatialPair& p) { return IntList(p.data(), 2); }

// y = conv2d(x, w, b): dx = conv2d_backward_input(g, w), dw = conv2d_backward_weight(g, x), db = sum_{n,i,j} g
void conv2d_backward_formula(Ctx& c) {
  const ConvParams p = c.attrs().get<ConvParams>();
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] =
        conv2d_backward_input(c.grad(), c.input_value(1), c.input(0).sizes, stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_weight(c.grad(), c.input_value(0), c.input(1).sizes, stride, padding, dilation, p.groups);
  if (c.needs_input_grad(2)) c.grad_inputs[2] = c.grad().sum({0, 2, 3});
}
constexpr OpDerivative conv2d_derivative{
    OpId::conv2d, conv2d_backward_formula, "ConvolutionBackward", {kIn1, kIn0, kNone}};
// z = conv2d_backward_input(g, w): dg = conv2d(G, w), dw = conv2d_backward_weight(g, G)
void conv2d_backward_input_backward(Ctx& c) {
  const ConvParams p = c.attrs().get<ConvParams>();
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] = conv2d(c.grad(), c.input_value(1), Tensor(), stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_weight(c.input_value(0), c.grad(), c.input(1).sizes, stride, padding, dilation, p.groups);
}
constexpr OpDerivative conv2d_backward_input_derivative{
    OpId::conv2d_backward_input, conv2d_backward_input_backward, "ConvolutionBackwardInputBackward", {kIn1, kIn0}};
// z = conv2d_backward_weight(g, x): dg = conv2d(x, G), dx = conv2d_backward_input(g, G)
void conv2d_backward_weight_backward(Ctx& c) {
  const ConvParams p = c.attrs().get<ConvParams>();
  const IntList stride = pair_list(p.stride), padding = pair_list(p.padding), dilation = pair_list(p.dilation);
  if (c.needs_input_grad(0))
    c.grad_inputs[0] = conv2d(c.input_value(1), c.grad(), Tensor(), stride, padding, dilation, p.groups);
  if (c.needs_input_grad(1))
    c.grad_inputs[1] =
        conv2d_backward_input(c.input_value(0), c.grad(), c.input(1).sizes, stride, padding, dilation, p.groups);
}
constexpr OpDerivative conv2d_backward_weight_derivative{
    OpId::conv2d_backward_weight, conv2d_backward_weight_backward, "ConvolutionBackwardWeightBackward", {kIn1, kIn0}};
// (y, k) = max_pool2d(x): dx = max_pool2d_backward(g, k)
void max_pool2d_backward_formula(Ctx& c) {
  c.grad_inputs[0] = max_pool2d_backward(c.grad(), c.output_value(1), c.input(0).sizes);
}
constexpr OpDerivative max_pool2d_derivative{
    OpId::max_pool2d, max_pool2d_backward_formula, "MaxPool2DWithIndicesBackward", {}, kIn0};
// (y, k) = adaptive_max_pool2d(x): dx = max_pool2d_backward(g, k), the same scatter as max_pool2d's
void adaptive_max_pool2d_backward_formula(Ctx& c) {
  c.grad_inputs[0] = max_pool2d_backward(c.grad(), c.output_value(1), c.input(0).sizes);
}
constexpr OpDerivative adaptive_max_pool2d_derivative{
    OpId::adaptive_max_pool2d, adaptive_max_pool2d_backward_formula, "AdaptiveMaxPool2DBackward", {}, kIn0};
// z = max_pool2d_backward(g, k): dg = G at k within each plane (0 where a window was empty, k = -1)
void max_pool2d_backward_backward(Ctx& c) {
  const Tensor& k = c.input_value(1);
  const Tensor& grad = c.grad();
  Tensor flat_k = clamp(k, Scalar(0)).reshape({k.size(0), k.size(1), -1});
  Tensor picked = grad.reshape({grad.size(0), grad.size(1), -1}).gather(2, flat_k).reshape(k.sizes());
  c.grad_inputs[0] = where(ge(k, 0), picked, zeros_like(picked));
}
constexpr OpDerivative max_pool2d_backward_derivative{
    OpId::max_pool2d_backward, max_pool2d_backward_backward, "MaxPool2DWithIndicesBackwardBackward", {kIn1, kNone}};
// y = avg_pool2d(x): dx = avg_pool2d_backward(g)
void avg_pool2d_backward_formula(Ctx& c) {
  const PoolParams p = c.attrs().get<PoolParams>();
  c.grad_inputs[0] = avg_pool2d_backward(c.grad(), c.input(0).sizes, pair_list(p.kernel), pair_list(p.stride),
                                         pair_list(p.padding), p.ceil_mode, p.count_include_pad);
}
constexpr OpDerivative avg_pool2d_derivative{OpId::avg_pool2d, avg_pool2d_backward_formula, "AvgPool2DBackward"};
// z = avg_pool2d_backward(g): dg = avg_pool2d(G)
void avg_pool2d_backward_backward(Ctx& c) {
  const PoolParams p = c.attrs().get<PoolParams>();
  c.grad_inputs[0] = avg_pool2d(c.grad(), pair_list(p.kernel), pair_list(p.stride), pair_list(p.padding),
                                p.ceil_mode, p.count_include_pad);
}
constexpr OpDerivative avg_pool2d_backward_derivative{
    OpId::avg_pool2d_backward, avg_pool2d_backward_backward, "AvgPool2DBackwardBackward"};
// y = adaptive_avg_pool2d(x): dx = adaptive_avg_pool2d_backward(g)
void adaptive_avg_pool2d_backward_formula(Ctx& c) {
  c.grad_inputs[0] = adaptive_avg_pool2d_backward(c.grad(), c.input(0).sizes);
}
constexpr OpDerivative adaptive_avg_pool2d_derivative{
    OpId::adaptive_avg_pool2d, adaptive_avg_pool2d_backward_formula, "AdaptiveAvgPool2DBackward"};
// z = adaptive_avg_pool2d_backward(g): dg = adaptive_avg_pool2d(G) to g's size
void adaptive_avg_pool2d_backward_backward(Ctx& c) {
  const DimVector& g_sizes = c.input(0).sizes;
  c.grad_inputs[0] = adaptive_avg_pool2d(c.grad(), {g_sizes[2], g_sizes[3]});
}
constexpr OpDerivative adaptive_avg_pool2d_backward_derivative{
    OpId::adaptive_avg_pool2d_backward, adaptive_avg_pool2d_backward_backward, "AdaptiveAvgPool2DBackwardBackward"};

// ---- normalization ---------------------------------------------------------------------------------------------
// native_batch_norm: statistics per channel over dim 0 and dims 2.., M values each; per-channel tensors broadcast
// as (1, C, 1, ...).
struct BatchNormShape {
  std::vector<int64_t> dims;  // the reduced dims: 0, 2, 3, ...
  DimVector channel_view;     // (1, C, 1, ...)
  int64_t channels = 0;
  double m = 0;               // values per channel
  explicit BatchNormShape(const DimVector& sizes) : channel_view(sizes.size(), 1) {
    channels = sizes[1];
    channel_view[1] = channels;
    m = static_cast<double>(sizes[0]);
    dims.push_back(0);
    for (size_t d = 2; d < sizes.size(); ++d) {
      dims.push_back(static_cast<int64_t>(d));
      m *= static_cast<double>(sizes[d]);
    }
  }
};

// sum + term, where term may broadcast to `sizes` (materialised then: a gradient should not be an expanded view)
Tensor add_term(const Tensor& sum, const Tensor& term, const DimVector& sizes) {
  if (sum.defined()) return sum + term;
  return term.sizes() == IntList(sizes) ? term : term.expand(sizes).contiguous();
}

// (y, mean, invstd) = native_batch_norm(x, w, b), x^ = (x - mean) invstd, M values per channel:
//   db = sum g_y, dw = sum g_y x^, dx = w invstd (g_y - db / M - x^ dw / M) + g_mean / M
//                                      - g_invstd invstd^3 (x - mean) / M
// Plain backward (grad mode off) runs the fused native_batch_norm_backward with the saved mean and invstd; under
// create_graph the same gradients come from differentiable ops, the statistics recomputed from x, so that
// gradients of gradients work (native_batch_norm_backward has no formula). Terms of outputs that received no
// gradient are skipped.
void native_batch_norm_backward_formula(Ctx& c) {
  const Tensor& x = c.input_value(0);
  const Tensor& w = c.input_value(1);  // undefined: weight 1
  const double eps = c.attrs().get<EpsAttrs>().eps;
  const BatchNormShape bn(c.input(0).sizes);
  const DimVector& x_sizes = c.input(0).sizes;
  const bool y_grad = c.grad_arrived(0), mean_grad = c.grad_arrived(1), invstd_grad = c.grad_arrived(2);
  Tensor dx;
  Tensor batch_mean, batch_invstd;  // (1, C, 1, ...)
  if (!reel::is_grad_enabled()) {
    batch_mean = c.output_value(1).view(bn.channel_view);
    batch_invstd = c.output_value(2).view(bn.channel_view);
    if (y_grad) {
      auto [grad_x, grad_w, grad_b] =
          native_batch_norm_backward(c.grad(), x, w, c.output_value(1), c.output_value(2), eps);
      dx = grad_x;
      if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_w;
      if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_b;
    }
  } else {
    batch_mean = x.mean(bn.dims, true);
    const Tensor centered = x - batch_mean;
    batch_invstd = rsqrt((centered * centered).mean(bn.dims, true) + eps);
    if (y_grad) {
      const Tensor& g = c.grad();
      const Tensor normalized = centered * batch_invstd;
      const Tensor grad_b = g.sum(bn.dims, true), grad_w = (g * normalized).sum(bn.dims, true);
      if (c.needs_input_grad(1)) c.grad_inputs[1] = grad_w.reshape({bn.channels});
      if (c.needs_input_grad(2)) c.grad_inputs[2] = grad_b.reshape({bn.channels});
      if (c.needs_input_grad(0)) {
        const Tensor scale = w.defined() ? batch_invstd * w.view(bn.channel_view) : batch_invstd;
        dx = scale * (g - grad_b * (1.0 / bn.m) - normalized * (grad_w * (1.0 / bn.m)));
      }
    }
  }
  if (!c.needs_input_grad(0)) return;
  if (mean_grad) dx = add_term(dx, c.grad_outputs[1].reshape(bn.channel_view) * (1.0 / bn.m), x_sizes);
  if (invstd_grad) {
    const Tensor cubed = batch_invstd * batch_invstd * batch_invstd;
    const Tensor coef = c.grad_outputs[2].reshape(bn.channel_view) * cubed * (-1.0 / bn.m);
    dx = add_term(dx, (x - batch_mean) * coef, x_sizes);
  }
  c.grad_inputs[0] = dx;
}
// Every input's gradient reads x, the weight and (plain backward) the saved statistics.
constexpr uint8_t kBatchNormReads = kIn0 | kIn1;
constexpr OpDerivative native_batch_norm_derivative{OpId::native_batch_norm, native_batch_norm_backward_formula,
                                                    "NativeBatchNormBackward",
                                                    {kBatchNormReads, kBatchNormReads, kBatchNormReads},
                                                    kIn0 | kIn1 | kIn2};

// ---- recurrent networks -----------------------------------------------------------------------------------------
// (y, h_n[, c_n], reserve) = fused_rnn(x, h_0, c_0, W): (dx, dh_0, dc_0, dW) = fused_rnn_backward(...) from the
// reserve, with the gradients that arrived for y, h_n and c_n (the others count as zeros). Under create_graph it
// refuses, as PyTorch's cuDNN RNN does: the BPTT primitive is not itself recorded.
void fused_rnn_backward_formula(Ctx& c) {
  const RnnParams params = c.attrs().get<RnnParams>();
  const char* mode = rnn_mode_name(params.mode);
  REEL_CHECK(!reel::is_grad_enabled(),
             "fused_rnn ({}): double backward (create_graph=true) through the fused multi-step RNN is not supported; "
             "the cell modules (LSTMCell, GRUCell, RNNCell) in a loop, or nn::LSTM / GRU / RNN on the CPU, "
             "differentiate twice",
             mode);
  const int reserve_index = params.has_cell() ? 3 : 2;
  auto arrived = [&](int j) { return c.grad_arrived(j) ? c.grad_outputs[j] : Tensor(); };
  auto [dx, dh, dc, dw] = fused_rnn_backward(c.input_value(0), c.input_value(1), c.input_value(2), c.input_value(3),
                                             c.output_value(0), c.output_value(reserve_index), arrived(0), arrived(1),
                                             params.has_cell() ? arrived(2) : Tensor(), mode, params.num_layers,
                                             params.has_biases, params.bidirectional, params.proj_size,
                                             c.input_value(4));
  if (c.needs_input_grad(0)) c.grad_inputs[0] = dx;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = dh;
  if (c.needs_input_grad(2)) c.grad_inputs[2] = dc;
  if (c.needs_input_grad(3)) c.grad_inputs[3] = dw;
}
// The backward reads every input (input 4: a packed input's batch_sizes), the output and the reserve.
constexpr uint8_t kRnnReads = kIn0 | kIn1 | kIn2 | kIn3 | uint8_t{16};
constexpr OpDerivative fused_rnn_derivative{OpId::fused_rnn, fused_rnn_backward_formula, "FusedRnnBackward",
                                            {kRnnReads, kRnnReads, kRnnReads, kRnnReads}, kRnnReads};

constexpr OpDerivative kNnDerivatives[] = {
    softmax_derivative, log_softmax_derivative, conv2d_derivative, conv2d_backward_input_derivative,
    conv2d_backward_weight_derivative, max_pool2d_derivative, max_pool2d_backward_derivative, avg_pool2d_derivative,
    avg_pool2d_backward_derivative, adaptive_avg_pool2d_derivative, adaptive_avg_pool2d_backward_derivative,
    adaptive_max_pool2d_derivative, native_batch_norm_derivative, fused_rnn_derivative,
};

}  // namespace

std::span<const OpDerivative> nn_derivatives() { return kNnDerivatives; }

}  // namespace reel::autograd
