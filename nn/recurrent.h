// reel/nn/recurrent.h — recurrent layers as PyTorch defines them: the single-step cells RNNCell, LSTMCell and
// GRUCell, and the multi-step RNN, LSTM and GRU (stacked layers, batch_first, bidirectional, dropout between layers).
//
//   reel::nn::LSTM lstm(reel::nn::LSTMOptions(10, 20).num_layers(2).batch_first(true));
//   auto [output, state] = lstm(x);          // x (N, T, 10) -> output (N, T, 20)
//   auto [h_n, c_n] = state;                  // each (2, N, 20)
//   std::cout << lstm;                        // LSTM(10, 20, num_layers=2, batch_first=True)
//
// Parameters carry PyTorch's names and layouts (weight_ih [gates * hidden, input], weight_hh [gates * hidden,
// hidden], bias_ih, bias_hh; multi-step: weight_ih_l0, weight_hh_l1_reverse, ...), gate order i, f, g, o for LSTM
// and r, z, n for GRU, so state dicts interchange with PyTorch. Every parameter starts as U(-1/sqrt(hidden),
// 1/sqrt(hidden)), PyTorch's reset_parameters(). Forwards are written with reel ops, so autograd differentiates them.
// LSTM takes PyTorch's proj_size (h = W_hr (o tanh(c)), weight_hr_l{k}); all three take packed variable-length
// batches (nn/packed_sequence.h) through forward_with_packed_input, LibTorch's spelling.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "arg.h"
#include "enum.h"
#include "module.h"
#include "packed_sequence.h"

namespace reel::nn {

// A cell's or layer's LSTM state: (h, c).
using LSTMState = std::tuple<Tensor, Tensor>;

// ---- cells ------------------------------------------------------------------------------------------------------

// Options of RNNCell (LibTorch's RNNCellOptions): RNNCell(RNNCellOptions(10, 20).nonlinearity(reel::kReLU)).
struct RNNCellOptions {
  using nonlinearity_t = std::variant<enumtype::kTanh, enumtype::kReLU>;
  RNNCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  REEL_ARG(int64_t, input_size);
  REEL_ARG(int64_t, hidden_size);
  REEL_ARG(bool, bias) = true;
  REEL_ARG(nonlinearity_t, nonlinearity) = enumtype::kTanh();
};

// Options of LSTMCell and GRUCell (LibTorch's LSTMCellOptions, GRUCellOptions).
struct LSTMCellOptions {
  LSTMCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  REEL_ARG(int64_t, input_size);
  REEL_ARG(int64_t, hidden_size);
  REEL_ARG(bool, bias) = true;
};
struct GRUCellOptions {
  GRUCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  REEL_ARG(int64_t, input_size);
  REEL_ARG(int64_t, hidden_size);
  REEL_ARG(bool, bias) = true;
};

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu. x (N, input_size) or (input_size).
class RNNCellImpl : public Cloneable<RNNCellImpl> {
 public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true, std::string nonlinearity = "tanh");
  explicit RNNCellImpl(const RNNCellOptions& options);
  // every parameter ~ U(+-1/sqrt(hidden_size))
  void reset_parameters();
  // hx defaults to zeros; returns h' with hx's batch shape.
  Tensor forward(const Tensor& input, const Tensor& hx = {});
  std::string extra_repr() const override;

  RNNCellOptions options;  // LibTorch's `cell->options`
  int64_t input_size, hidden_size;
  std::string nonlinearity;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // biases undefined when bias=false
};
REEL_MODULE(RNNCell);

// gates = x W_ih^T + b_ih + h W_hh^T + b_hh split as i, f, g, o;
// c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c').
class LSTMCellImpl : public Cloneable<LSTMCellImpl> {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true);
  explicit LSTMCellImpl(const LSTMCellOptions& options)
      : LSTMCellImpl(options.input_size(), options.hidden_size(), options.bias()) {}
  void reset_parameters();
  // hx = (h, c), zeros when absent; returns (h', c').
  LSTMState forward(const Tensor& input, const std::optional<LSTMState>& hx = std::nullopt);
  std::string extra_repr() const override;

  LSTMCellOptions options;
  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};
REEL_MODULE(LSTMCell);

// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 - z) ⊙ n + z ⊙ h.
class GRUCellImpl : public Cloneable<GRUCellImpl> {
 public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true);
  explicit GRUCellImpl(const GRUCellOptions& options)
      : GRUCellImpl(options.input_size(), options.hidden_size(), options.bias()) {}
  void reset_parameters();
  Tensor forward(const Tensor& input, const Tensor& hx = {});
  std::string extra_repr() const override;

  GRUCellOptions options;
  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};
REEL_MODULE(GRUCell);

// ---- multi-step layers ---------------------------------------------------------------------------------------------

// Options of RNN, LSTM and GRU, with PyTorch's defaults; setters chain as LibTorch's options do.
struct RNNOptions {
  RNNOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
#define REEL_RNN_ARG(T, name)                            \
  RNNOptions& name(T value) {                            \
    name##_ = std::move(value);                          \
    return *this;                                        \
  }                                                      \
  const T& name() const { return name##_; }
  REEL_RNN_ARG(int64_t, input_size)
  REEL_RNN_ARG(int64_t, hidden_size)
  REEL_RNN_ARG(int64_t, num_layers)
  REEL_RNN_ARG(bool, bias)
  REEL_RNN_ARG(bool, batch_first)
  REEL_RNN_ARG(double, dropout)
  REEL_RNN_ARG(bool, bidirectional)
  REEL_RNN_ARG(std::string, nonlinearity)
  REEL_RNN_ARG(int64_t, proj_size)
#undef REEL_RNN_ARG

 private:
  int64_t input_size_, hidden_size_;
  int64_t num_layers_ = 1;
  bool bias_ = true;
  bool batch_first_ = false;           // input and output (N, T, features) instead of (T, N, features)
  double dropout_ = 0.0;               // dropout on each layer's output except the last, in training mode
  bool bidirectional_ = false;         // a second, time-reversed pass per layer; outputs concatenated
  std::string nonlinearity_ = "tanh";  // RNN only: "tanh" or "relu"
  int64_t proj_size_ = 0;              // LSTM only (LibTorch's LSTMOptions::proj_size): h_t = W_hr (o_t tanh(c_t))
};
using LSTMOptions = RNNOptions;
using GRUOptions = RNNOptions;

// The shared machinery of RNN, LSTM and GRU: parameters per layer and direction, the time loop.
class RNNBaseImpl : public Cloneable<RNNBaseImpl> {
 public:
  enum class Mode { RNN_TANH, RNN_RELU, LSTM, GRU };
  RNNBaseImpl(Mode mode, RNNOptions options, std::string type_name);
  // every parameter ~ U(+-1/sqrt(hidden_size))
  void reset_parameters();
  // "10, 20, num_layers=2, batch_first=True": non-default options only, as PyTorch prints them.
  std::string extra_repr() const override;

  RNNOptions options;
  Mode mode;
  // all_weights[layer * num_directions + direction] = {weight_ih, weight_hh, bias_ih, bias_hh[, weight_hr]}
  // (biases may be undefined; weight_hr with proj_size), the handles of the registered parameters.
  std::vector<std::vector<Tensor>> all_weights;

 protected:
  // input (T, N, in), (N, T, in) with batch_first, or unbatched (T, in); h0 (layers * directions, N, S) and c0
  // (layers * directions, N, hidden) or unbatched without N, zeros when undefined (c0 only for LSTM); S = proj_size
  // when set, else hidden_size. Returns (output, h_n, c_n); c_n undefined unless LSTM.
  // On the CPU the cells run step by step as reel ops (so gradients of gradients work); on CUDA the whole stack is one
  // fused_rnn node (cuDNN), as PyTorch does on the GPU.
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& h0, const Tensor& c0);
  // The same over a packed batch: h0 / c0 in the caller's batch order (permuted by sorted_indices here, h_n / c_n
  // back by unsorted_indices); returns (output data (R, D * S), h_n, c_n). Each sequence runs exactly its length.
  std::tuple<Tensor, Tensor, Tensor> run_packed(const utils::rnn::PackedSequence& input, const Tensor& h0,
                                                const Tensor& c0);

 private:
  // The CPU path: data (R, in) holding step t's batch_sizes[t] rows at a time (a dense input: every size N), h0 / c0
  // batched in the packed order. Returns (output rows (R, D * S), h_n, c_n).
  std::tuple<Tensor, Tensor, Tensor> run_loop(const Tensor& data, const std::vector<int64_t>& batch_sizes,
                                              const Tensor& h0, const Tensor& c0);
  // The CUDA path: x time-major (T, N, in), or packed data (R, in) with batch_sizes; same returns.
  std::tuple<Tensor, Tensor, Tensor> run_fused(const Tensor& x, const Tensor& batch_sizes, const Tensor& h0,
                                               const Tensor& c0);
};

// Multi-step Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) per layer and direction.
class RNNImpl : public RNNBaseImpl {
 public:
  RNNImpl(int64_t input_size, int64_t hidden_size) : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions& options);
  // Returns (output (T, N, D * hidden) or batch_first (N, T, D * hidden), h_n (layers * D, N, hidden)).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx = {});
  // A packed batch (nn/packed_sequence.h): (output packed like the input, h_n at each sequence's last step).
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});
};
REEL_MODULE(RNN);

// Multi-step LSTM: LSTMCell's update per time step, per layer and direction.
class LSTMImpl : public RNNBaseImpl {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size) : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions& options);
  // Returns (output, (h_n, c_n)), shapes as RNN's; hx = (h_0, c_0), zeros when absent. With proj_size, output and
  // h have proj_size features, c hidden_size.
  std::tuple<Tensor, LSTMState> forward(const Tensor& input, const std::optional<LSTMState>& hx = std::nullopt);
  std::tuple<utils::rnn::PackedSequence, LSTMState> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, std::optional<LSTMState> hx_opt = {});
};
REEL_MODULE(LSTM);

// Multi-step GRU: GRUCell's update per time step, per layer and direction.
class GRUImpl : public RNNBaseImpl {
 public:
  GRUImpl(int64_t input_size, int64_t hidden_size) : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions& options);
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx = {});
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});
};
REEL_MODULE(GRU);

}  // namespace reel::nn
