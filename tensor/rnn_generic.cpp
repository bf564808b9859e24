// reel/tensor/rnn_generic.cpp — the fused multi-step RNN (LSTM, GRU, Elman tanh / relu) written with reel ops, forward
// and backpropagation through time; see tensor/rnn_generic.h for where it runs and tensor/rnn_params.h for the layouts.
//
// Cells (PyTorch's definitions; gates = x W_ih^T + b_ih + h W_hh^T + b_hh split in G blocks of H):
//   rnn    h' = act(gates)
//   lstm   i, f, o = σ(gates_i, gates_f, gates_o), g = tanh(gates_g), c' = f c + i g, h' = o tanh(c')
//   gru    r, z = σ(...), n = tanh(xn + r (W_hn h + b_hn)), h' = (1 - z) n + z h
// Backward, per step in reverse, with dh the gradient arriving at h' (from above and from the next step):
//   rnn    dgates = dh act'(h'), dh_prev = dgates W_hh
//   lstm   dc += dh o (1 - tanh²c'), dgates = (dc g σ'(i), dc c σ'(f), dc i (1 - g²), dh tanh(c') σ'(o)),
//          dc_prev = dc f, dh_prev = dgates W_hh
//   gru    dn~ = dh (1 - z)(1 - n²), dz~ = dh (h - n) σ'(z), dr~ = dn~ (W_hn h + b_hn) σ'(r);
//          d(x part) = (dr~, dz~, dn~), d(h part) = (dr~, dz~, dn~ r), dh_prev = dh z + d(h part) W_hh
// with σ'(s) = s (1 - s) written from the activation's value. Weight gradients: dW_ih = sum_t d(x part)_t^T x_t and
// dW_hh = sum_t d(h part)_t^T h_{t-1}, each one GEMM over all T*N rows.
#include "tensor/rnn_generic.h"

#include "tensor/ops.h"

namespace reel::detail {

namespace {

// A contiguous region of `sizes` in `dtype` at element `offset` of the uint8 reserve.
Tensor reserve_region(const Tensor& reserve, ScalarType dtype, int64_t offset, IntList sizes) {
  DimVector strides(sizes.size(), 1);
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 2; d >= 0; --d) strides[d] = strides[d + 1] * sizes[d + 1];
  Tensor region = Tensor::make_view(reserve, sizes, strides, 0);
  region.impl()->dtype = dtype;
  region.impl()->offset = offset;
  return region;
}

// One pseudo-layer's weights as views of the flat weight tensor (biases undefined when absent).
struct LayerWeights {
  Tensor w_ih, w_hh, b_ih, b_hh;
  LayerWeights(const Tensor& flat, const RnnWeightLayout& layout, int64_t p) {
    const RnnWeightSlices s = layout.slices(p);
    w_ih = flat.narrow(0, s.w_ih, s.rows * s.input_size).view({s.rows, s.input_size});
    w_hh = flat.narrow(0, s.w_hh, s.rows * layout.hidden_size).view({s.rows, layout.hidden_size});
    if (s.b_ih >= 0) {
      b_ih = flat.narrow(0, s.b_ih, s.rows);
      b_hh = flat.narrow(0, s.b_hh, s.rows);
    }
  }
};

struct Problem {
  RnnParams params;
  int64_t steps, batch, hidden, directions;
  RnnWeightLayout weights;
  RnnReserveLayout reserve;
  Problem(const RnnParams& p, const Tensor& input, const Tensor& hx)
      : params(p), steps(input.size(0)), batch(input.size(1)), hidden(hx.size(2)), directions(p.directions()) {
    weights = {p, input.size(2), hidden};
    reserve = {p, steps, batch, hidden};
  }
  // The time index of the s-th step a direction takes.
  int64_t time_of(int64_t direction, int64_t s) const { return direction == 0 ? s : steps - 1 - s; }
};

}  // namespace

void rnn_forward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                         const Tensor& weight, Tensor& output, Tensor& hy, Tensor& cy, Tensor* reserve) {
  const Problem pr(params, input, hx);
  const int64_t H = pr.hidden, T = pr.steps, N = pr.batch, G = params.gates();
  const ScalarType dtype = input.dtype();
  Tensor saved;
  if (params.train) {
    saved = Tensor::make({pr.reserve.numel() * static_cast<int64_t>(element_size(dtype))}, kUInt8, input.device(),
                         "fused_rnn reserve");
    *reserve = saved;
  }
  Tensor layer_input = input;
  for (int64_t layer = 0; layer < params.num_layers; ++layer) {
    const bool top = layer + 1 == params.num_layers;
    const DimVector out_sizes{T, N, pr.directions * H};
    Tensor layer_output = top              ? output
                          : params.train   ? reserve_region(saved, dtype, pr.reserve.layer_output_offset(layer), out_sizes)
                                           : Tensor::make(out_sizes, dtype, input.device(), "fused_rnn");
    for (int64_t direction = 0; direction < pr.directions; ++direction) {
      const int64_t p = layer * pr.directions + direction;
      const LayerWeights w(weight, pr.weights, p);
      const int64_t in = layer_input.size(2);
      // x_t W_ih^T + b_ih for every step
      const Tensor projected = linear(layer_input.reshape({T * N, in}), w.w_ih, w.b_ih).view({T, N, G * H});
      Tensor gates_region, extra_region;
      if (params.train) {
        gates_region = reserve_region(saved, dtype, pr.reserve.gates_offset(p), {T, N, G * H});
        if (params.has_extra()) extra_region = reserve_region(saved, dtype, pr.reserve.extra_offset(p), {T, N, H});
      }
      Tensor h = hx.select(0, p);
      Tensor c = params.has_cell() ? cx.select(0, p) : Tensor();
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = pr.time_of(direction, s);
        const Tensor hidden_part = linear(h, w.w_hh, w.b_hh);  // h W_hh^T + b_hh
        Tensor gates = params.train ? gates_region.select(0, t) : Tensor::make({N, G * H}, dtype, input.device());
        switch (params.mode) {
          case RnnMode::rnn_tanh:
          case RnnMode::rnn_relu: {
            gates.copy_(projected.select(0, t)).add_(hidden_part);
            params.mode == RnnMode::rnn_tanh ? gates.tanh_() : gates.relu_();
            h = gates;
            break;
          }
          case RnnMode::lstm: {
            gates.copy_(projected.select(0, t)).add_(hidden_part);
            const Tensor i = gates.narrow(1, 0, H).sigmoid_(), f = gates.narrow(1, H, H).sigmoid_();
            const Tensor g = gates.narrow(1, 2 * H, H).tanh_(), o = gates.narrow(1, 3 * H, H).sigmoid_();
            c = f * c + i * g;  // c' = f c + i g
            h = o * tanh(c);    // h' = o tanh(c')
            if (params.train) extra_region.select(0, t).copy_(c);
            break;
          }
          case RnnMode::gru: {
            const Tensor x_part = projected.select(0, t);
            gates.narrow(1, 0, 2 * H).copy_(x_part.narrow(1, 0, 2 * H)).add_(hidden_part.narrow(1, 0, 2 * H));
            const Tensor r = gates.narrow(1, 0, H).sigmoid_(), z = gates.narrow(1, H, H).sigmoid_();
            const Tensor hn = hidden_part.narrow(1, 2 * H, H);  // W_hn h + b_hn
            const Tensor n = gates.narrow(1, 2 * H, H).copy_(x_part.narrow(1, 2 * H, H)).add_(r * hn).tanh_();
            h = n + z * (h - n);  // (1 - z) n + z h
            if (params.train) extra_region.select(0, t).copy_(hn);
            break;
          }
        }
        layer_output.select(0, t).narrow(1, direction * H, H).copy_(h);
      }
      hy.select(0, p).copy_(h);
      if (params.has_cell()) cy.select(0, p).copy_(c);
    }
    layer_input = layer_output;
  }
}

void rnn_backward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                          const Tensor& weight, const Tensor& output, const Tensor& reserve, const Tensor& grad_output,
                          const Tensor& grad_hy, const Tensor& grad_cy, Tensor& dinput, Tensor& dhx, Tensor& dcx,
                          Tensor& dweight) {
  const Problem pr(params, input, hx);
  const int64_t H = pr.hidden, T = pr.steps, N = pr.batch, G = params.gates();
  const ScalarType dtype = input.dtype();
  const TensorOptions options = TensorOptions(dtype).device(input.device());
  Tensor d_layer_output = grad_output.defined() ? grad_output : zeros(output.sizes(), options);
  for (int64_t layer = params.num_layers - 1; layer >= 0; --layer) {
    const DimVector out_sizes{T, N, pr.directions * H};
    const Tensor layer_input =
        layer == 0 ? input : reserve_region(reserve, dtype, pr.reserve.layer_output_offset(layer - 1), out_sizes);
    const Tensor layer_output = layer + 1 == params.num_layers
                                    ? output
                                    : reserve_region(reserve, dtype, pr.reserve.layer_output_offset(layer), out_sizes);
    const int64_t in = layer_input.size(2);
    Tensor d_layer_input = layer == 0 ? dinput : Tensor::make({T, N, in}, dtype, input.device(), "fused_rnn_backward");
    for (int64_t direction = 0; direction < pr.directions; ++direction) {
      const int64_t p = layer * pr.directions + direction;
      const LayerWeights w(weight, pr.weights, p);
      const Tensor gates = reserve_region(reserve, dtype, pr.reserve.gates_offset(p), {T, N, G * H});
      const Tensor extra =
          params.has_extra() ? reserve_region(reserve, dtype, pr.reserve.extra_offset(p), {T, N, H}) : Tensor();
      // d(x part) of every step, and d(h part) (the same but for GRU's n block)
      const Tensor d_x_part = Tensor::make({T, N, G * H}, dtype, input.device(), "fused_rnn_backward");
      const Tensor d_h_part =
          params.mode == RnnMode::gru ? Tensor::make({T, N, G * H}, dtype, input.device(), "fused_rnn_backward")
                                      : d_x_part;
      Tensor dh = grad_hy.defined() ? grad_hy.select(0, p).clone() : zeros({N, H}, options);
      Tensor dc;
      if (params.has_cell()) dc = grad_cy.defined() ? grad_cy.select(0, p).clone() : zeros({N, H}, options);
      const Tensor h_initial = hx.select(0, p);
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = pr.time_of(direction, s);
        const int64_t t_prev = s == 0 ? -1 : pr.time_of(direction, s - 1);
        dh = dh + d_layer_output.select(0, t).narrow(1, direction * H, H);
        const Tensor h_prev = t_prev < 0 ? h_initial : layer_output.select(0, t_prev).narrow(1, direction * H, H);
        const Tensor g_t = gates.select(0, t);
        Tensor dx_t = d_x_part.select(0, t);
        switch (params.mode) {
          case RnnMode::rnn_tanh: dx_t.copy_(tanh_backward(dh, g_t)); break;       // dh (1 - h'²)
          case RnnMode::rnn_relu: dx_t.copy_(threshold_backward(dh, g_t)); break;  // dh [h' > 0]
          case RnnMode::lstm: {
            const Tensor i = g_t.narrow(1, 0, H), f = g_t.narrow(1, H, H);
            const Tensor g = g_t.narrow(1, 2 * H, H), o = g_t.narrow(1, 3 * H, H);
            const Tensor c_t = extra.select(0, t);
            const Tensor c_prev = t_prev < 0 ? cx.select(0, p) : extra.select(0, t_prev);
            const Tensor tanh_c = tanh(c_t);
            dc = dc + tanh_backward(dh * o, tanh_c);                          // dc += dh o (1 - tanh²c')
            dx_t.narrow(1, 0, H).copy_(sigmoid_backward(dc * g, i));          // di~
            dx_t.narrow(1, H, H).copy_(sigmoid_backward(dc * c_prev, f));     // df~
            dx_t.narrow(1, 2 * H, H).copy_(tanh_backward(dc * i, g));         // dg~
            dx_t.narrow(1, 3 * H, H).copy_(sigmoid_backward(dh * tanh_c, o));  // do~
            dc = dc * f;
            break;
          }
          case RnnMode::gru: {
            const Tensor r = g_t.narrow(1, 0, H), z = g_t.narrow(1, H, H), n = g_t.narrow(1, 2 * H, H);
            const Tensor hn = extra.select(0, t);
            const Tensor dn = tanh_backward(dh * (1.0 - z), n);  // dn~
            dx_t.narrow(1, 0, H).copy_(sigmoid_backward(dn * hn, r));
            dx_t.narrow(1, H, H).copy_(sigmoid_backward(dh * (h_prev - n), z));
            dx_t.narrow(1, 2 * H, H).copy_(dn);
            Tensor dh_t = d_h_part.select(0, t);
            dh_t.narrow(1, 0, 2 * H).copy_(dx_t.narrow(1, 0, 2 * H));
            dh_t.narrow(1, 2 * H, H).copy_(dn * r);
            break;
          }
        }
        // dh_prev = d(h part) W_hh (+ dh z for GRU)
        const Tensor recurrent = mm(d_h_part.select(0, t), w.w_hh);
        dh = params.mode == RnnMode::gru ? recurrent + dh * g_t.narrow(1, H, H) : recurrent;
      }
      dhx.select(0, p).copy_(dh);
      if (params.has_cell()) dcx.select(0, p).copy_(dc);

      // Weight gradients, every step at once. h_{t-1} of each step: the initial state, then the outputs shifted by
      // one step in the direction's order.
      const Tensor own_outputs = layer_output.narrow(2, direction * H, H);
      Tensor h_previous = h_initial.unsqueeze(0);
      if (T > 1) {
        h_previous = direction == 0 ? cat({h_previous, own_outputs.narrow(0, 0, T - 1)}, 0)
                                    : cat({own_outputs.narrow(0, 1, T - 1), h_previous}, 0);
      }
      const Tensor dx_rows = d_x_part.view({T * N, G * H}), dh_rows = d_h_part.view({T * N, G * H});
      const RnnWeightSlices slices = pr.weights.slices(p);
      dweight.narrow(0, slices.w_ih, G * H * in).view({G * H, in}).copy_(mm(dx_rows.t(), layer_input.reshape({T * N, in})));
      dweight.narrow(0, slices.w_hh, G * H * H)
          .view({G * H, H})
          .copy_(mm(dh_rows.t(), T > 0 ? h_previous.reshape({T * N, H}) : zeros({0, H}, options)));
      if (slices.b_ih >= 0) {
        dweight.narrow(0, slices.b_ih, G * H).copy_(dx_rows.sum(0));
        dweight.narrow(0, slices.b_hh, G * H).copy_(dh_rows.sum(0));
      }
      const Tensor d_in = mm(dx_rows, w.w_ih).view({T, N, in});
      direction == 0 ? d_layer_input.copy_(d_in) : d_layer_input.add_(d_in);
    }
    d_layer_output = d_layer_input;
  }
}

}  // namespace reel::detail
