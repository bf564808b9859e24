// reel/tensor/ops_rnn.cpp — front doors of the recurrent ops: the fused multi-step op fused_rnn (one tape node for T
// steps and L layers), its backward primitive fused_rnn_backward, and PyTorch's torch::lstm / gru / rnn_tanh /
// rnn_relu written with them.
//
// Checks follow PyTorch's messages where it has them and name the op, shapes, dtypes and devices. The kernels get
// contiguous tensors: time-major input (T, N, I), hx / cx (P, N, H), the flat weight (layout: tensor/rnn_params.h);
// the CPU kernel runs the generic implementation (tensor/rnn_generic.cpp), the CUDA kernel cuDNN (cuda/rnn.cpp).
// Recorded for autograd:
//   fused_rnn            inputs (input, hx, cx, weight); outputs (output, hy[, cy], reserve); attrs: RnnParams
//   fused_rnn_backward   not recorded: no formula (double backward through a fused RNN is refused, as PyTorch's
//                        cuDNN RNN refuses it)
// The public lstm(...) flattens its params with cat (recorded, so each parameter gets its slice of dweight) and,
// for dropout between layers in training, runs one fused_rnn per layer with reel's dropout between them.
#include <fmt/format.h>

#include "nn/functional.h"
#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"
#include "tensor/rnn_params.h"

namespace reel {

namespace {

RnnMode parse_mode(const std::string& mode, const char* op) {
  if (mode == "lstm") return RnnMode::lstm;
  if (mode == "gru") return RnnMode::gru;
  if (mode == "rnn_tanh") return RnnMode::rnn_tanh;
  if (mode == "rnn_relu") return RnnMode::rnn_relu;
  throw Error(fmt::format("{}: unknown mode '{}' (expected lstm, gru, rnn_tanh or rnn_relu)", op, mode));
}

void check_like(const char* op, const Tensor& input, const Tensor& t, const char* name, IntList sizes) {
  t.check_defined(op);
  REEL_CHECK(t.device() == input.device(), "{}: expected {} on the input's device {}, got {} (shape {})", op, name,
             input.device().str(), t.device().str(), shape_str(t.sizes()));
  REEL_CHECK(t.dtype() == input.dtype(), "{}: expected {} in the input's dtype {}, got {} (shape {})", op, name,
             dtype_name(input.dtype()), dtype_name(t.dtype()), shape_str(t.sizes()));
  REEL_CHECK(t.sizes() == sizes, "{}: expected {} of shape {}, got {}", op, name, shape_str(sizes),
             shape_str(t.sizes()));
}

// The shared checks of fused_rnn and its backward; returns the weight layout.
RnnWeightLayout check_fused(const char* op, const RnnParams& params, const Tensor& input, const Tensor& hx,
                            const Tensor& cx, const Tensor& weight) {
  input.check_defined(op);
  hx.check_defined(op);
  REEL_CHECK(is_floating_point(input.dtype()), "{}: expected a floating-point input, got {} of shape {}", op,
             dtype_name(input.dtype()), shape_str(input.sizes()));
  REEL_CHECK(input.dim() == 3, "{}: expected a time-major input (T, N, input_size), got shape {}", op,
             shape_str(input.sizes()));
  REEL_CHECK(params.num_layers >= 1, "{}: num_layers must be at least 1, got {}", op, params.num_layers);
  REEL_CHECK(hx.dim() == 3, "{}: expected hx of shape (num_layers * directions, N, hidden_size), got shape {}", op,
             shape_str(hx.sizes()));
  const int64_t hidden = hx.size(2);
  REEL_CHECK(hidden > 0, "{}: hidden_size must be positive, got hx of shape {}", op, shape_str(hx.sizes()));
  check_like(op, input, hx, "hx", {params.pseudo_layers(), input.size(1), hidden});
  if (params.has_cell()) {
    check_like(op, input, cx, "cx", hx.sizes());
  } else {
    REEL_CHECK(!cx.defined(), "{}: mode {} has no cell state, yet cx was given (shape {})", op,
               rnn_mode_name(params.mode), shape_str(cx.sizes()));
  }
  const RnnWeightLayout layout{params, input.size(2), hidden};
  weight.check_defined(op);
  check_like(op, input, weight, "weight (the flat parameters)", {layout.numel()});
  return layout;
}

}  // namespace

// L layers of cells over T steps (cells: tensor/rnn_generic.cpp), directions concatenated on the feature dim
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                                     const Tensor& weight, const std::string& mode,
                                                     int64_t num_layers, bool has_biases, bool bidirectional) {
  const char* op = "fused_rnn";
  RnnParams params;
  params.mode = parse_mode(mode, op);
  params.num_layers = num_layers;
  params.has_biases = has_biases;
  params.bidirectional = bidirectional;
  check_fused(op, params, input, hx, cx, weight);
  params.train = detail::needs_recording({&input, &hx, &cx, &weight});
  const int64_t steps = input.size(0), batch = input.size(1), hidden = hx.size(2);
  // output, hy, cy (absent without a cell state), reserve (the kernel makes it when training). Recorded when
  // params.train, with the defined outputs: (output, hy, cy, reserve), or (output, hy, reserve) without a cell.
  const OpAttrs attrs = family_attrs(params);
  const Tensor inputs[] = {input, hx, cx, weight};
  Tensor outputs[4];
  run_op(OpId::fused_rnn, &attrs, inputs,
         {outputs,
          {{{steps, batch, params.directions() * hidden}, input.dtype(), input.device()},
           {hx.sizes(), input.dtype(), input.device()},
           params.has_cell() ? OutputMeta(hx.sizes(), input.dtype(), input.device()) : OutputMeta::absent(),
           OutputMeta::absent()}},
         {.contiguous_inputs = 0b1111, .allocating = op});
  return {outputs[0], outputs[1], outputs[2], outputs[3]};
}

// backpropagation through time from the reserve (tensor/rnn_generic.cpp has the formulas)
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn_backward(const Tensor& input, const Tensor& hx,
                                                              const Tensor& cx, const Tensor& weight,
                                                              const Tensor& output, const Tensor& reserve,
                                                              const Tensor& grad_output, const Tensor& grad_hy,
                                                              const Tensor& grad_cy, const std::string& mode,
                                                              int64_t num_layers, bool has_biases,
                                                              bool bidirectional) {
  const char* op = "fused_rnn_backward";
  RnnParams params;
  params.mode = parse_mode(mode, op);
  params.num_layers = num_layers;
  params.has_biases = has_biases;
  params.bidirectional = bidirectional;
  params.train = true;
  check_fused(op, params, input, hx, cx, weight);
  const DimVector out_sizes{input.size(0), input.size(1), params.directions() * hx.size(2)};
  check_like(op, input, output, "output", out_sizes);
  REEL_CHECK(reserve.defined() && reserve.dtype() == kUInt8 && reserve.device() == input.device(),
             "{}: expected the uint8 reserve a training fused_rnn left on {} (did the forward run with grad mode "
             "on and an input requiring grad?), got {}",
             op, input.device().str(), reserve.defined() ? fmt::format("{} of shape {} on {}", dtype_name(reserve.dtype()),
                                                                        shape_str(reserve.sizes()), reserve.device().str())
                                                          : std::string("an undefined tensor"));
  if (grad_output.defined()) check_like(op, input, grad_output, "grad_output", out_sizes);
  if (grad_hy.defined()) check_like(op, input, grad_hy, "grad_hy", hx.sizes());
  if (grad_cy.defined()) {
    REEL_CHECK(params.has_cell(), "{}: mode {} has no cell state, yet grad_cy was given", op, rnn_mode_name(params.mode));
    check_like(op, input, grad_cy, "grad_cy", hx.sizes());
  }
  const OpAttrs attrs = family_attrs(params);
  const Tensor inputs[] = {input, hx, cx, weight, output, reserve, grad_output, grad_hy, grad_cy};
  Tensor outputs[4];
  run_op(OpId::fused_rnn_backward, &attrs, inputs,
         {outputs,
          {{input.sizes(), input.dtype(), input.device()},
           {hx.sizes(), input.dtype(), input.device()},
           params.has_cell() ? OutputMeta(hx.sizes(), input.dtype(), input.device()) : OutputMeta::absent(),
           {weight.sizes(), input.dtype(), input.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b111011111, .allocating = op});  // the reserve goes as it is
  return {outputs[0], outputs[1], outputs[2], outputs[3]};
}

namespace {

// torch::lstm and friends: checks the params against PyTorch's layout, flattens them, and runs fused_rnn once (or
// once per layer with dropout between layers when training). Returns (output, h_n, c_n).
std::tuple<Tensor, Tensor, Tensor> multi_layer_rnn(RnnMode mode, const Tensor& input, const Tensor& h0,
                                                   const Tensor& c0, const std::vector<Tensor>& params,
                                                   bool has_biases, int64_t num_layers, double dropout, bool train,
                                                   bool bidirectional, bool batch_first) {
  const char* op = rnn_mode_name(mode);
  input.check_defined(op);
  h0.check_defined(op);
  REEL_CHECK(input.dim() == 3, "{}: expected input of 3 dims ({}), got shape {}", op,
             batch_first ? "N, T, input_size" : "T, N, input_size", shape_str(input.sizes()));
  REEL_CHECK(num_layers >= 1, "{}: num_layers must be at least 1, got {}", op, num_layers);
  REEL_CHECK(dropout >= 0.0 && dropout <= 1.0, "{}: dropout should be a number in range [0, 1], got {}", op,
             dropout);
  RnnParams p;
  p.mode = mode;
  p.num_layers = num_layers;
  p.bidirectional = bidirectional;
  p.has_biases = has_biases;
  const int64_t per_layer = has_biases ? 4 : 2;
  REEL_CHECK(static_cast<int64_t>(params.size()) == p.pseudo_layers() * per_layer,
             "{}: expected {} params ({} layers x {} directions x {}), got {}", op, p.pseudo_layers() * per_layer,
             num_layers, p.directions(), per_layer, params.size());
  REEL_CHECK(h0.dim() == 3, "{}: expected hx of shape (num_layers * directions, N, hidden_size), got shape {}", op,
             shape_str(h0.sizes()));
  const int64_t hidden = h0.size(2);
  const RnnWeightLayout layout{p, input.size(2), hidden};
  for (int64_t q = 0; q < p.pseudo_layers(); ++q) {
    const RnnWeightSlices s = layout.slices(q);
    const std::vector<DimVector> expected = {{s.rows, s.input_size}, {s.rows, hidden}, {s.rows}, {s.rows}};
    const char* names[] = {"w_ih", "w_hh", "b_ih", "b_hh"};
    for (int64_t k = 0; k < per_layer; ++k) {
      const Tensor& t = params[static_cast<size_t>(q * per_layer + k)];
      t.check_defined(op);
      REEL_CHECK(t.sizes() == IntList(expected[static_cast<size_t>(k)]),
                 "{}: expected {} of layer {}{} of shape {} (input_size {}, hidden_size {}), got {}", op, names[k],
                 q / p.directions(), q % p.directions() == 1 ? " (reverse)" : "",
                 shape_str(expected[static_cast<size_t>(k)]), input.size(2), hidden, shape_str(t.sizes()));
    }
  }
  const std::string mode_name = rnn_mode_name(mode);
  const Tensor x = batch_first ? input.transpose(0, 1) : input;
  auto flatten = [&](int64_t first, int64_t count) {
    std::vector<Tensor> pieces;
    for (int64_t k = first; k < first + count; ++k) pieces.push_back(params[static_cast<size_t>(k)].reshape({-1}));
    return cat(pieces, 0);
  };
  Tensor output, h_n, c_n;
  if (dropout > 0.0 && train && num_layers > 1) {
    // one fused_rnn per layer, dropout on each layer's output but the last
    std::vector<Tensor> hs, cs;
    Tensor layer_input = x;
    const int64_t d = p.directions();
    for (int64_t layer = 0; layer < num_layers; ++layer) {
      const Tensor layer_c0 = c0.defined() ? c0.narrow(0, layer * d, d) : Tensor();
      auto [y, h, c, reserve] = fused_rnn(layer_input, h0.narrow(0, layer * d, d), layer_c0,
                                          flatten(layer * d * per_layer, d * per_layer), mode_name, 1, has_biases,
                                          bidirectional);
      hs.push_back(h);
      if (c.defined()) cs.push_back(c);
      layer_input = layer + 1 < num_layers ? nn::functional::dropout(y, dropout, true) : y;
    }
    output = layer_input;
    h_n = cat(hs, 0);
    if (!cs.empty()) c_n = cat(cs, 0);
  } else {
    auto [y, h, c, reserve] = fused_rnn(x, h0, c0, flatten(0, static_cast<int64_t>(params.size())), mode_name,
                                        num_layers, has_biases, bidirectional);
    output = y;
    h_n = h;
    c_n = c;
  }
  if (batch_first) output = output.transpose(0, 1);
  return {output, h_n, c_n};
}

}  // namespace

// c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c') per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, const std::vector<Tensor>& hx,
                                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool train, bool bidirectional, bool batch_first) {
  REEL_CHECK(hx.size() == 2, "lstm: expected hx to hold (h_0, c_0), got {} tensors", hx.size());
  return multi_layer_rnn(RnnMode::lstm, input, hx[0], hx[1], params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first);
}

// h' = (1 - z) n + z h, n = tanh(x_n + r (W_hn h + b_hn)) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                               bool has_biases, int64_t num_layers, double dropout, bool train, bool bidirectional,
                               bool batch_first) {
  auto [y, h, c] = multi_layer_rnn(RnnMode::gru, input, hx, Tensor(), params, has_biases, num_layers, dropout, train,
                                   bidirectional, batch_first);
  return {y, h};
}

// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first) {
  auto [y, h, c] = multi_layer_rnn(RnnMode::rnn_tanh, input, hx, Tensor(), params, has_biases, num_layers, dropout,
                                   train, bidirectional, batch_first);
  return {y, h};
}

// h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first) {
  auto [y, h, c] = multi_layer_rnn(RnnMode::rnn_relu, input, hx, Tensor(), params, has_biases, num_layers, dropout,
                                   train, bidirectional, batch_first);
  return {y, h};
}

}  // namespace reel
