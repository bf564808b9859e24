// reel/tensor/rnn_params.h — the settings of the fused multi-step RNN ops (fused_rnn, fused_rnn_backward), where
// each layer's weights sit in the flat weight tensor, and how the generic implementation lays out its reserve
// (internal; shared by tensor/ops_rnn.cpp, the kernels in cpu/rnn.cpp and cuda/rnn.cpp, and the backward formula in
// autograd/derivatives_nn.cpp). RnnParams is an alternative of OpAttrs' FamilyAttrs (tensor/op_attrs.h, which
// includes this header, so it includes no other reel header): `attrs.set(params)`, `attrs.get<RnnParams>()`.
//
// Problem: T steps, batch N, input size I, hidden size H, L layers, D = 2 directions when bidirectional else 1,
// G gates per cell (LSTM 4: i, f, g, o; GRU 3: r, z, n; RNN 1), P = L * D "pseudo-layers" p = layer * D + direction,
// and the recurrent state's size S: the projection size proj_size (LSTM only, PyTorch's proj_size) when it is set,
// else H. With a projection, an LSTM's h' = W_hr (o tanh(c')) has S features while c' keeps H.
// Tensors (time-major, contiguous): input (T, N, I); hx (P, N, S), cx (P, N, H); output (T, N, D * S).
// Packed input (PyTorch's PackedSequence): with batch_sizes b_0 >= b_1 >= ... >= b_{T-1} >= 1 (int64, CPU) the
// input is (R, I) with R = sum_t b_t rows, step t's rows at offset sum_{s<t} b_s, and the output (R, D * S); at step t
// only the first b_t batch rows run, the others keep their state, so each sequence runs exactly its own length in
// both directions and h_n holds its state at its last valid step. A dense (T, N, I) input is the packed one with
// every b_t = N (the same memory), which is how the implementations see it.
//
// The flat weight tensor (1-D, the input's dtype) concatenates, for p = 0 .. P-1:
//   W_ih (G*H, I_layer)   W_hh (G*H, S)   when has_biases: b_ih (G*H)   b_hh (G*H)   with a projection: W_hr (S, H)
// with I_layer = I for layer 0 and D * S above: PyTorch's parameter order (weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0, weight_hr_l0, weight_ih_l0_reverse, ...) with each tensor flattened, so dW comes back in the same layout.
//
// The reserve (uint8, opaque to callers) is what a training forward leaves for the backward:
//   1-D (bytes)      the generic implementation's (tensor/rnn_generic.cpp), regions in the compute dtype, per p:
//                    gates (R, G*H) after their activations, then extra (R, H) (LSTM: c_t, GRU: W_hn h + b_hn,
//                    RNN: none); then the outputs (R, D*S) of layers 0 .. L-2 (the inputs of the layers above);
//                    R = T * N rows for a dense input.
//   2-D (1, bytes)   cuDNN's reserve space followed by its weight space (cuda/rnn.cpp); the backward reads the
//                    layout it was made with from the rank, so a backend switch between the two passes cannot mix them.
#pragma once

#include <cstdint>

namespace reel {

enum class RnnMode : int64_t { rnn_tanh = 0, rnn_relu = 1, lstm = 2, gru = 3 };

inline const char* rnn_mode_name(RnnMode mode) {
  switch (mode) {
    case RnnMode::rnn_tanh: return "rnn_tanh";
    case RnnMode::rnn_relu: return "rnn_relu";
    case RnnMode::lstm: return "lstm";
    case RnnMode::gru: return "gru";
  }
  return "rnn";
}

struct RnnParams {
  RnnMode mode = RnnMode::lstm;
  int64_t num_layers = 1;
  bool bidirectional = false;
  bool has_biases = true;
  bool train = true;      // leave a reserve for the backward
  int64_t proj_size = 0;  // LSTM's projection size S (0: none, S = H)

  int64_t directions() const { return bidirectional ? 2 : 1; }
  int64_t pseudo_layers() const { return num_layers * directions(); }
  int64_t gates() const { return mode == RnnMode::lstm ? 4 : mode == RnnMode::gru ? 3 : 1; }
  bool has_cell() const { return mode == RnnMode::lstm; }
  bool has_projection() const { return proj_size > 0; }
  // The per-step values the generic reserve keeps beside the gates: LSTM c_t, GRU W_hn h + b_hn.
  bool has_extra() const { return mode == RnnMode::lstm || mode == RnnMode::gru; }
};

// Where pseudo-layer p's weights start in the flat weight tensor (element offsets) and their sizes.
struct RnnWeightSlices {
  int64_t w_ih = 0, w_hh = 0, b_ih = -1, b_hh = -1, w_hr = -1;  // offsets; -1: no bias / no projection
  int64_t rows = 0;                                                // G * H
  int64_t input_size = 0;                                          // I_layer
};

struct RnnWeightLayout {
  RnnParams params;
  int64_t input_size = 0, hidden_size = 0;

  // S: the recurrent state's (and each direction's output) size
  int64_t state_size() const { return params.has_projection() ? params.proj_size : hidden_size; }
  int64_t layer_input_size(int64_t layer) const {
    return layer == 0 ? input_size : state_size() * params.directions();
  }
  int64_t pseudo_layer_numel(int64_t layer) const {
    const int64_t rows = params.gates() * hidden_size;
    return rows * (layer_input_size(layer) + state_size()) + (params.has_biases ? 2 * rows : 0) +
           (params.has_projection() ? params.proj_size * hidden_size : 0);
  }
  RnnWeightSlices slices(int64_t p) const {
    int64_t offset = 0;
    for (int64_t q = 0; q < p; ++q) offset += pseudo_layer_numel(q / params.directions());
    RnnWeightSlices s;
    s.rows = params.gates() * hidden_size;
    s.input_size = layer_input_size(p / params.directions());
    s.w_ih = offset;
    s.w_hh = s.w_ih + s.rows * s.input_size;
    int64_t next = s.w_hh + s.rows * state_size();
    if (params.has_biases) {
      s.b_ih = next;
      s.b_hh = s.b_ih + s.rows;
      next = s.b_hh + s.rows;
    }
    if (params.has_projection()) s.w_hr = next;
    return s;
  }
  int64_t numel() const {
    int64_t total = 0;
    for (int64_t p = 0; p < params.pseudo_layers(); ++p) total += pseudo_layer_numel(p / params.directions());
    return total;
  }
};

// The generic reserve's regions, in elements of the compute dtype.
struct RnnReserveLayout {
  RnnParams params;
  int64_t rows = 0, hidden_size = 0, state_size = 0;  // R (T * N when dense), H, S

  int64_t gates_numel() const { return rows * params.gates() * hidden_size; }
  int64_t extra_numel() const { return params.has_extra() ? rows * hidden_size : 0; }
  int64_t per_pseudo_layer() const { return gates_numel() + extra_numel(); }
  int64_t gates_offset(int64_t p) const { return p * per_pseudo_layer(); }
  int64_t extra_offset(int64_t p) const { return gates_offset(p) + gates_numel(); }
  int64_t layer_output_numel() const { return rows * params.directions() * state_size; }
  // The output of layer l < L - 1.
  int64_t layer_output_offset(int64_t layer) const {
    return params.pseudo_layers() * per_pseudo_layer() + layer * layer_output_numel();
  }
  int64_t numel() const { return layer_output_offset(params.num_layers - 1); }
};

}  // namespace reel
