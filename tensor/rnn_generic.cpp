// reel/tensor/rnn_generic.cpp — the fused multi-step RNN (LSTM with or without a projection, GRU, Elman tanh / relu)
// written with reel ops, forward and backpropagation through time, dense or packed (variable lengths); see
// tensor/rnn_generic.h for where it runs and tensor/rnn_params.h for the layouts.
//
// Cells (PyTorch's definitions; gates = x W_ih^T + b_ih + h W_hh^T + b_hh split in G blocks of H):
//   rnn    h' = act(gates)
//   lstm   i, f, o = σ(gates_i, gates_f, gates_o), g = tanh(gates_g), c' = f c + i g, m = o tanh(c'),
//          h' = m, or h' = m W_hr^T with a projection
//   gru    r, z = σ(...), n = tanh(xn + r (W_hn h + b_hn)), h' = (1 - z) n + z h
// Backward, per step in reverse, with dh the gradient arriving at h' (from above and from the next step):
//   rnn    dgates = dh act'(h'), dh_prev = dgates W_hh
//   lstm   dm = dh (or dh W_hr), dc += dm o (1 - tanh²c'), dgates = (dc g σ'(i), dc c σ'(f), dc i (1 - g²),
//          dm tanh(c') σ'(o)), dc_prev = dc f, dh_prev = dgates W_hh
//   gru    dn~ = dh (1 - z)(1 - n²), dz~ = dh (h - n) σ'(z), dr~ = dn~ (W_hn h + b_hn) σ'(r);
//          d(x part) = (dr~, dz~, dn~), d(h part) = (dr~, dz~, dn~ r), dh_prev = dh z + d(h part) W_hh
// with σ'(s) = s (1 - s) written from the activation's value. Weight gradients: dW_ih = sum_t d(x part)_t^T x_t,
// dW_hh = sum_t d(h part)_t^T h_{t-1} and dW_hr = sum_t dh_t^T m_t, each one GEMM over all R rows.
// Variable lengths: the data is packed (step t's b_t rows, b_t non-increasing); step t updates only the first b_t rows
// of the (N, S) state, the rest keep theirs. The forward direction thus leaves each row's state at its last step, and
// the reverse one (t = T-1 .. 0) starts each row from h_0 at its own last step. A dense input is b_t = N throughout.
#include "tensor/rnn_generic.h"

#include <vector>

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

// One pseudo-layer's weights as views of the flat weight tensor (biases, projection undefined when absent).
struct LayerWeights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
  LayerWeights(const Tensor& flat, const RnnWeightLayout& layout, int64_t p) {
    const RnnWeightSlices s = layout.slices(p);
    const int64_t S = layout.state_size();
    w_ih = flat.narrow(0, s.w_ih, s.rows * s.input_size).view({s.rows, s.input_size});
    w_hh = flat.narrow(0, s.w_hh, s.rows * S).view({s.rows, S});
    if (s.b_ih >= 0) {
      b_ih = flat.narrow(0, s.b_ih, s.rows);
      b_hh = flat.narrow(0, s.b_hh, s.rows);
    }
    if (s.w_hr >= 0) w_hr = flat.narrow(0, s.w_hr, S * layout.hidden_size).view({S, layout.hidden_size});
  }
};

struct Problem {
  RnnParams params;
  int64_t steps = 0, batch, hidden, state, directions, rows = 0;
  std::vector<int64_t> sizes, offsets;  // b_t and the first row of step t
  RnnWeightLayout weights;
  RnnReserveLayout reserve;
  Problem(const RnnParams& p, const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& batch_sizes)
      : params(p), batch(hx.size(1)), hidden(p.has_cell() ? cx.size(2) : hx.size(2)), state(hx.size(2)),
        directions(p.directions()) {
    if (batch_sizes.defined()) {
      sizes = batch_sizes.to_vector<int64_t>();
    } else {
      sizes.assign(static_cast<size_t>(input.size(0)), batch);
    }
    steps = static_cast<int64_t>(sizes.size());
    for (int64_t b : sizes) {
      offsets.push_back(rows);
      rows += b;
    }
    weights = {p, input.size(-1), hidden};
    reserve = {p, rows, hidden, state};
  }
  // The time index of the s-th step a direction takes.
  int64_t time_of(int64_t direction, int64_t s) const { return direction == 0 ? s : steps - 1 - s; }
  int64_t size(int64_t t) const { return sizes[static_cast<size_t>(t)]; }
  int64_t offset(int64_t t) const { return offsets[static_cast<size_t>(t)]; }
};

}  // namespace

void rnn_forward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                         const Tensor& weight, const Tensor& batch_sizes, Tensor& output, Tensor& hy, Tensor& cy,
                         Tensor* reserve) {
  const Problem pr(params, input, hx, cx, batch_sizes);
  const int64_t H = pr.hidden, S = pr.state, R = pr.rows, G = params.gates(), D = pr.directions;
  const ScalarType dtype = input.dtype();
  Tensor saved;
  if (params.train) {
    saved = Tensor::make({pr.reserve.numel() * static_cast<int64_t>(element_size(dtype))}, kUInt8, input.device(),
                         "fused_rnn reserve");
    *reserve = saved;
  }
  Tensor layer_input = input.view({R, input.size(-1)});
  const Tensor top_output = output.view({R, D * S});
  for (int64_t layer = 0; layer < params.num_layers; ++layer) {
    const bool top = layer + 1 == params.num_layers;
    Tensor layer_output = top            ? top_output
                          : params.train ? reserve_region(saved, dtype, pr.reserve.layer_output_offset(layer), {R, D * S})
                                         : Tensor::make({R, D * S}, dtype, input.device(), "fused_rnn");
    for (int64_t direction = 0; direction < D; ++direction) {
      const int64_t p = layer * D + direction;
      const LayerWeights w(weight, pr.weights, p);
      // x_t W_ih^T + b_ih for every row of every step
      const Tensor projected = linear(layer_input, w.w_ih, w.b_ih);
      Tensor gates_region, extra_region;
      if (params.train) {
        gates_region = reserve_region(saved, dtype, pr.reserve.gates_offset(p), {R, G * H});
        if (params.has_extra()) extra_region = reserve_region(saved, dtype, pr.reserve.extra_offset(p), {R, H});
      }
      // hy / cy hold the running state: rows past b_t keep theirs
      Tensor h_state = hy.select(0, p), c_state;
      h_state.copy_(hx.select(0, p));
      if (params.has_cell()) {
        c_state = cy.select(0, p);
        c_state.copy_(cx.select(0, p));
      }
      for (int64_t s = 0; s < pr.steps; ++s) {
        const int64_t t = pr.time_of(direction, s), b = pr.size(t), at = pr.offset(t);
        if (b == 0) continue;
        Tensor h = h_state.narrow(0, 0, b);
        const Tensor hidden_part = linear(h, w.w_hh, w.b_hh);  // h W_hh^T + b_hh
        Tensor gates = params.train ? gates_region.narrow(0, at, b) : Tensor::make({b, G * H}, dtype, input.device());
        Tensor h_next;
        switch (params.mode) {
          case RnnMode::rnn_tanh:
          case RnnMode::rnn_relu: {
            gates.copy_(projected.narrow(0, at, b)).add_(hidden_part);
            params.mode == RnnMode::rnn_tanh ? gates.tanh_() : gates.relu_();
            h_next = gates;
            break;
          }
          case RnnMode::lstm: {
            gates.copy_(projected.narrow(0, at, b)).add_(hidden_part);
            const Tensor i = gates.narrow(1, 0, H).sigmoid_(), f = gates.narrow(1, H, H).sigmoid_();
            const Tensor g = gates.narrow(1, 2 * H, H).tanh_(), o = gates.narrow(1, 3 * H, H).sigmoid_();
            Tensor c = c_state.narrow(0, 0, b);
            const Tensor c_next = f * c + i * g;  // c' = f c + i g
            c.copy_(c_next);
            const Tensor m = o * tanh(c_next);    // m = o tanh(c')
            h_next = w.w_hr.defined() ? linear(m, w.w_hr) : m;  // h' = m W_hr^T or m
            if (params.train) extra_region.narrow(0, at, b).copy_(c_next);
            break;
          }
          case RnnMode::gru: {
            const Tensor x_part = projected.narrow(0, at, b);
            gates.narrow(1, 0, 2 * H).copy_(x_part.narrow(1, 0, 2 * H)).add_(hidden_part.narrow(1, 0, 2 * H));
            const Tensor r = gates.narrow(1, 0, H).sigmoid_(), z = gates.narrow(1, H, H).sigmoid_();
            const Tensor hn = hidden_part.narrow(1, 2 * H, H);  // W_hn h + b_hn
            const Tensor n = gates.narrow(1, 2 * H, H).copy_(x_part.narrow(1, 2 * H, H)).add_(r * hn).tanh_();
            h_next = n + z * (h - n);  // (1 - z) n + z h
            if (params.train) extra_region.narrow(0, at, b).copy_(hn);
            break;
          }
        }
        layer_output.narrow(0, at, b).narrow(1, direction * S, S).copy_(h_next);
        h.copy_(h_next);
      }
    }
    layer_input = layer_output;
  }
}

void rnn_backward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                          const Tensor& weight, const Tensor& batch_sizes, const Tensor& output, const Tensor& reserve,
                          const Tensor& grad_output, const Tensor& grad_hy, const Tensor& grad_cy, Tensor& dinput,
                          Tensor& dhx, Tensor& dcx, Tensor& dweight) {
  const Problem pr(params, input, hx, cx, batch_sizes);
  const int64_t H = pr.hidden, S = pr.state, R = pr.rows, G = params.gates(), D = pr.directions;
  const ScalarType dtype = input.dtype();
  const TensorOptions options = TensorOptions(dtype).device(input.device());
  auto make = [&](IntList sizes) { return Tensor::make(sizes, dtype, input.device(), "fused_rnn_backward"); };
  const Tensor x = input.view({R, input.size(-1)});
  const Tensor top_output = output.view({R, D * S});
  Tensor d_layer_output = grad_output.defined() ? grad_output.view({R, D * S}) : zeros({R, D * S}, options);
  for (int64_t layer = params.num_layers - 1; layer >= 0; --layer) {
    const Tensor layer_input =
        layer == 0 ? x : reserve_region(reserve, dtype, pr.reserve.layer_output_offset(layer - 1), {R, D * S});
    const Tensor layer_output = layer + 1 == params.num_layers
                                    ? top_output
                                    : reserve_region(reserve, dtype, pr.reserve.layer_output_offset(layer), {R, D * S});
    const int64_t in = layer_input.size(1);
    Tensor d_layer_input = layer == 0 ? dinput.view({R, in}) : make({R, in});
    for (int64_t direction = 0; direction < D; ++direction) {
      const int64_t p = layer * D + direction;
      const LayerWeights w(weight, pr.weights, p);
      const Tensor gates = reserve_region(reserve, dtype, pr.reserve.gates_offset(p), {R, G * H});
      const Tensor extra =
          params.has_extra() ? reserve_region(reserve, dtype, pr.reserve.extra_offset(p), {R, H}) : Tensor();
      const Tensor own_outputs = layer_output.narrow(1, direction * S, S);
      // h_{t-1} (and c_{t-1}) of every row: the state the row held before its step — the previous step's output for
      // the rows that ran then, h_0 / c_0 for the rows that start here (the reverse direction's shorter sequences)
      const Tensor h_previous = make({R, S});
      const Tensor c_previous = params.has_cell() ? make({R, H}) : Tensor();
      for (int64_t t = 0; t < pr.steps; ++t) {
        const int64_t b = pr.size(t), at = pr.offset(t), before = direction == 0 ? t - 1 : t + 1;
        const int64_t kept = before >= 0 && before < pr.steps ? std::min(b, pr.size(before)) : 0;
        if (kept > 0) {
          h_previous.narrow(0, at, kept).copy_(own_outputs.narrow(0, pr.offset(before), kept));
          if (params.has_cell()) c_previous.narrow(0, at, kept).copy_(extra.narrow(0, pr.offset(before), kept));
        }
        if (b > kept) {
          h_previous.narrow(0, at + kept, b - kept).copy_(hx.select(0, p).narrow(0, kept, b - kept));
          if (params.has_cell()) c_previous.narrow(0, at + kept, b - kept).copy_(cx.select(0, p).narrow(0, kept, b - kept));
        }
      }
      // d(x part) of every row, and d(h part) (the same but for GRU's n block)
      const Tensor d_x_part = make({R, G * H});
      const Tensor d_h_part = params.mode == RnnMode::gru ? make({R, G * H}) : d_x_part;
      // with a projection: dh at every row's h', for dW_hr
      const Tensor d_states = w.w_hr.defined() ? make({R, S}) : Tensor();
      // dhx / dcx hold the running gradient of the state: rows past b_t pass theirs through
      Tensor dh_state = dhx.select(0, p), dc_state;
      grad_hy.defined() ? dh_state.copy_(grad_hy.select(0, p)) : dh_state.zero_();
      if (params.has_cell()) {
        dc_state = dcx.select(0, p);
        grad_cy.defined() ? dc_state.copy_(grad_cy.select(0, p)) : dc_state.zero_();
      }
      for (int64_t s = pr.steps - 1; s >= 0; --s) {
        const int64_t t = pr.time_of(direction, s), b = pr.size(t), at = pr.offset(t);
        if (b == 0) continue;
        const Tensor dh = dh_state.narrow(0, 0, b) + d_layer_output.narrow(0, at, b).narrow(1, direction * S, S);
        const Tensor g_t = gates.narrow(0, at, b);
        Tensor dx_t = d_x_part.narrow(0, at, b);
        switch (params.mode) {
          case RnnMode::rnn_tanh: dx_t.copy_(tanh_backward(dh, g_t)); break;       // dh (1 - h'²)
          case RnnMode::rnn_relu: dx_t.copy_(threshold_backward(dh, g_t)); break;  // dh [h' > 0]
          case RnnMode::lstm: {
            const Tensor i = g_t.narrow(1, 0, H), f = g_t.narrow(1, H, H);
            const Tensor g = g_t.narrow(1, 2 * H, H), o = g_t.narrow(1, 3 * H, H);
            Tensor dm = dh;
            if (w.w_hr.defined()) {
              d_states.narrow(0, at, b).copy_(dh);
              dm = mm(dh, w.w_hr);  // dm = dh W_hr
            }
            const Tensor c_t = extra.narrow(0, at, b), c_prev = c_previous.narrow(0, at, b);
            const Tensor tanh_c = tanh(c_t);
            Tensor dc_rows = dc_state.narrow(0, 0, b);
            const Tensor dc = dc_rows + tanh_backward(dm * o, tanh_c);          // dc += dm o (1 - tanh²c')
            dx_t.narrow(1, 0, H).copy_(sigmoid_backward(dc * g, i));           // di~
            dx_t.narrow(1, H, H).copy_(sigmoid_backward(dc * c_prev, f));      // df~
            dx_t.narrow(1, 2 * H, H).copy_(tanh_backward(dc * i, g));          // dg~
            dx_t.narrow(1, 3 * H, H).copy_(sigmoid_backward(dm * tanh_c, o));  // do~
            dc_rows.copy_(dc * f);
            break;
          }
          case RnnMode::gru: {
            const Tensor r = g_t.narrow(1, 0, H), z = g_t.narrow(1, H, H), n = g_t.narrow(1, 2 * H, H);
            const Tensor hn = extra.narrow(0, at, b);
            const Tensor dn = tanh_backward(dh * (1.0 - z), n);  // dn~
            dx_t.narrow(1, 0, H).copy_(sigmoid_backward(dn * hn, r));
            dx_t.narrow(1, H, H).copy_(sigmoid_backward(dh * (h_previous.narrow(0, at, b) - n), z));
            dx_t.narrow(1, 2 * H, H).copy_(dn);
            Tensor dh_t = d_h_part.narrow(0, at, b);
            dh_t.narrow(1, 0, 2 * H).copy_(dx_t.narrow(1, 0, 2 * H));
            dh_t.narrow(1, 2 * H, H).copy_(dn * r);
            break;
          }
        }
        // dh_prev = d(h part) W_hh (+ dh z for GRU)
        const Tensor recurrent = mm(d_h_part.narrow(0, at, b), w.w_hh);
        dh_state.narrow(0, 0, b).copy_(params.mode == RnnMode::gru ? recurrent + dh * g_t.narrow(1, H, H) : recurrent);
      }

      // Weight gradients, every row at once.
      const RnnWeightSlices slices = pr.weights.slices(p);
      dweight.narrow(0, slices.w_ih, G * H * in).view({G * H, in}).copy_(mm(d_x_part.t(), layer_input));
      dweight.narrow(0, slices.w_hh, G * H * S).view({G * H, S}).copy_(mm(d_h_part.t(), h_previous));
      if (slices.b_ih >= 0) {
        dweight.narrow(0, slices.b_ih, G * H).copy_(d_x_part.sum(0));
        dweight.narrow(0, slices.b_hh, G * H).copy_(d_h_part.sum(0));
      }
      if (slices.w_hr >= 0) {
        const Tensor m = gates.narrow(1, 3 * H, H) * tanh(extra);  // m_t = o_t tanh(c_t)
        dweight.narrow(0, slices.w_hr, S * H).view({S, H}).copy_(mm(d_states.t(), m));
      }
      const Tensor d_in = mm(d_x_part, w.w_ih);
      direction == 0 ? d_layer_input.copy_(d_in) : d_layer_input.add_(d_in);
    }
    d_layer_output = d_layer_input;
  }
}

}  // namespace reel::detail
