// reel/nn/recurrent.cpp — RNNCell, LSTMCell, GRUCell and the multi-step RNN, LSTM and GRU: argument and shape
// checks with PyTorch's messages, PyTorch's initialisation, the per-step gate arithmetic shared by the cells and the
// layers (the fused cell ops _thnn_fused_lstm_cell / _thnn_fused_gru_cell; LSTM with PyTorch's proj_size), and the time loop (one input-projection matmul per layer and direction, then
// one hidden matmul per step). Dense and packed inputs share the loop: it walks packed rows, updating at step t the
// first batch_sizes[t] rows of the state (a dense batch has every size N), so each sequence runs its own length.
#include "nn/recurrent.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::nn {

namespace F = functional;

namespace {

// U(+-1/sqrt(hidden)) on every parameter of `module` (0 when hidden = 0).
void init_recurrent(Module& module, int64_t hidden_size) {
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  for (Tensor& p : module.parameters(false)) init::uniform_(p, -bound, bound);
}

std::string shape_str(const Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

// ---- one time step, given the input projection xg = x W_ih^T + b_ih (N, gates * hidden) --------------------------

// h' = act(xg + h W_hh^T + b_hh)
Tensor rnn_step(const Tensor& xg, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh, bool relu_act) {
  Tensor pre = xg + F::linear(h, w_hh, b_hh);
  return relu_act ? relu(pre) : tanh(pre);
}

// gates = xg (+ b_ih) + h W_hh^T + b_hh = [i f g o]; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c') (times W_hr^T
// when w_hr, the projection, is given). The pointwise tail is one fused op (_thnn_fused_lstm_cell); b_ih is given
// when xg does not hold it yet (the cell), undefined when it does (the layer's projection of all steps at once).
LSTMState lstm_step(const Tensor& xg, const Tensor& h, const Tensor& c, const Tensor& w_hh, const Tensor& b_hh,
                    const Tensor& w_hr = {}, const Tensor& b_ih = {}) {
  auto [h_next, c_next, workspace] = _thnn_fused_lstm_cell(xg, F::linear(h, w_hh), c, b_ih, b_hh);
  if (w_hr.defined()) h_next = F::linear(h_next, w_hr);
  return {h_next, c_next};
}

// r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r hn), h' = (1 - z) n + z h = n + z (h - n), with x = xg (+ b_ih)
// and h-side gates h W_hh^T + b_hh; one fused op (_thnn_fused_gru_cell). b_ih as in lstm_step.
Tensor gru_step(const Tensor& xg, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh, const Tensor& b_ih = {}) {
  return std::get<0>(_thnn_fused_gru_cell(xg, F::linear(h, w_hh), h, b_ih, b_hh));
}

// Registers weight_ih [gates * hidden, input], weight_hh [gates * hidden, state] and, with bias, bias_ih and bias_hh
// [gates * hidden] under the given suffix ("" for cells, "_l0", "_l1_reverse", ... for layers), then with a
// projection (proj_size > 0, LSTM) weight_hr [proj_size, hidden]: PyTorch's order. state = proj_size or hidden.
std::vector<Tensor> register_gate_weights(Module& m, const std::string& suffix, int64_t gates, int64_t input_size,
                                          int64_t hidden_size, bool bias, int64_t proj_size = 0) {
  std::vector<Tensor> w(4);
  const int64_t state = proj_size > 0 ? proj_size : hidden_size;
  w[0] = m.register_parameter("weight_ih" + suffix, empty({gates * hidden_size, input_size}));
  w[1] = m.register_parameter("weight_hh" + suffix, empty({gates * hidden_size, state}));
  if (bias) {
    w[2] = m.register_parameter("bias_ih" + suffix, empty({gates * hidden_size}));
    w[3] = m.register_parameter("bias_hh" + suffix, empty({gates * hidden_size}));
  }
  if (proj_size > 0) w.push_back(m.register_parameter("weight_hr" + suffix, empty({proj_size, hidden_size})));
  return w;
}

void check_sizes(const char* name, int64_t input_size, int64_t hidden_size) {
  REEL_CHECK(input_size >= 0, "{}: input_size must be non-negative, got {}", name, input_size);
  REEL_CHECK(hidden_size > 0, "{}: hidden_size must be greater than zero, got {}", name, hidden_size);
}

// Checks a cell's input (N, input_size) or (input_size) and state hx (same batching, hidden_size); returns whether
// the input is batched.
bool check_cell(const char* name, const Tensor& input, int64_t input_size, const Tensor& hx, int64_t hidden_size,
                const char* hx_name) {
  input.check_defined(name);
  REEL_CHECK(input.dim() == 1 || input.dim() == 2, "{}: Expected input to be 1D or 2D, got {}D instead", name,
             input.dim());
  REEL_CHECK(input.size(-1) == input_size, "{}: input has inconsistent input_size: got {} expected {}", name,
             input.size(-1), input_size);
  const bool batched = input.dim() == 2;
  if (hx.defined()) {
    REEL_CHECK(hx.dim() == input.dim(), "{}: Expected {} to be {}D (as the input is), got {}D instead", name, hx_name,
               input.dim(), hx.dim());
    REEL_CHECK(!batched || hx.size(0) == input.size(0), "{}: Input batch size {} doesn't match {} batch size {}",
               name, input.size(0), hx_name, hx.size(0));
    REEL_CHECK(hx.size(-1) == hidden_size, "{}: {} has inconsistent hidden_size: got {}, expected {}", name, hx_name,
               hx.size(-1), hidden_size);
  }
  return batched;
}

// The zero state for a (possibly unbatched) cell input.
Tensor zero_state(const Tensor& input, int64_t hidden_size) {
  if (input.dim() == 2) return zeros({input.size(0), hidden_size}, input.options());
  return zeros({hidden_size}, input.options());
}

std::string cell_repr(int64_t input_size, int64_t hidden_size, bool bias) {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (!bias) s += ", bias=False";
  return s;
}

}  // namespace

// ---- RNNCell ------------------------------------------------------------------------------------------------------

RNNCellImpl::RNNCellImpl(int64_t input_size_, int64_t hidden_size_, bool bias, std::string nonlinearity_)
    : options(input_size_, hidden_size_),
      input_size(input_size_),
      hidden_size(hidden_size_),
      nonlinearity(std::move(nonlinearity_)) {
  check_sizes("RNNCell", input_size, hidden_size);
  REEL_CHECK(nonlinearity == "tanh" || nonlinearity == "relu", "RNNCell: Unknown nonlinearity: {}", nonlinearity);
  options.bias(bias);
  if (nonlinearity == "relu") options.nonlinearity(enumtype::kReLU());
  auto w = register_gate_weights(*this, "", 1, input_size, hidden_size, bias);
  weight_ih = w[0], weight_hh = w[1], bias_ih = w[2], bias_hh = w[3];
  reset_parameters();
}

RNNCellImpl::RNNCellImpl(const RNNCellOptions& options)
    : RNNCellImpl(options.input_size(), options.hidden_size(), options.bias(),
                  std::visit([](const auto& tag) { return std::string(tag.name); }, options.nonlinearity())) {}

void RNNCellImpl::reset_parameters() { init_recurrent(*this, hidden_size); }

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)
Tensor RNNCellImpl::forward(const Tensor& input, const Tensor& hx) {
  check_cell("RNNCell", input, input_size, hx, hidden_size, "hidden");
  const Tensor h = hx.defined() ? hx : zero_state(input, hidden_size);
  return rnn_step(F::linear(input, weight_ih, bias_ih), h, weight_hh, bias_hh, nonlinearity == "relu");
}

std::string RNNCellImpl::extra_repr() const {
  std::string s = cell_repr(input_size, hidden_size, bias_ih.defined());
  if (nonlinearity != "tanh") s += ", nonlinearity=" + nonlinearity;
  return s;
}

// ---- LSTMCell -----------------------------------------------------------------------------------------------------

LSTMCellImpl::LSTMCellImpl(int64_t input_size_, int64_t hidden_size_, bool bias)
    : options(LSTMCellOptions(input_size_, hidden_size_).bias(bias)), input_size(input_size_), hidden_size(hidden_size_) {
  check_sizes("LSTMCell", input_size, hidden_size);
  auto w = register_gate_weights(*this, "", 4, input_size, hidden_size, bias);
  weight_ih = w[0], weight_hh = w[1], bias_ih = w[2], bias_hh = w[3];
  reset_parameters();
}

void LSTMCellImpl::reset_parameters() { init_recurrent(*this, hidden_size); }

// (h', c') from gates = x W_ih^T + b_ih + h W_hh^T + b_hh
LSTMState LSTMCellImpl::forward(const Tensor& input, const std::optional<LSTMState>& hx) {
  Tensor h, c;
  if (hx) std::tie(h, c) = *hx;
  check_cell("LSTMCell", input, input_size, h, hidden_size, "hx[0]");
  check_cell("LSTMCell", input, input_size, c, hidden_size, "hx[1]");
  if (!h.defined()) h = zero_state(input, hidden_size);
  if (!c.defined()) c = zero_state(input, hidden_size);
  return lstm_step(F::linear(input, weight_ih), h, c, weight_hh, bias_hh, {}, bias_ih);
}

std::string LSTMCellImpl::extra_repr() const { return cell_repr(input_size, hidden_size, bias_ih.defined()); }

// ---- GRUCell ------------------------------------------------------------------------------------------------------

GRUCellImpl::GRUCellImpl(int64_t input_size_, int64_t hidden_size_, bool bias)
    : options(GRUCellOptions(input_size_, hidden_size_).bias(bias)), input_size(input_size_), hidden_size(hidden_size_) {
  check_sizes("GRUCell", input_size, hidden_size);
  auto w = register_gate_weights(*this, "", 3, input_size, hidden_size, bias);
  weight_ih = w[0], weight_hh = w[1], bias_ih = w[2], bias_hh = w[3];
  reset_parameters();
}

void GRUCellImpl::reset_parameters() { init_recurrent(*this, hidden_size); }

// h' = (1 - z) n + z h with r, z, n as in the header
Tensor GRUCellImpl::forward(const Tensor& input, const Tensor& hx) {
  check_cell("GRUCell", input, input_size, hx, hidden_size, "hidden");
  const Tensor h = hx.defined() ? hx : zero_state(input, hidden_size);
  return gru_step(F::linear(input, weight_ih), h, weight_hh, bias_hh, bias_ih);
}

std::string GRUCellImpl::extra_repr() const { return cell_repr(input_size, hidden_size, bias_ih.defined()); }

// ---- RNN / LSTM / GRU -----------------------------------------------------------------------------------------------

namespace {
int64_t gate_count(RNNBaseImpl::Mode mode) {
  switch (mode) {
    case RNNBaseImpl::Mode::LSTM: return 4;
    case RNNBaseImpl::Mode::GRU: return 3;
    default: return 1;
  }
}

// The recurrent state's size: proj_size when the LSTM projects, else hidden_size (PyTorch's real_hidden_size).
int64_t state_size(const RNNOptions& options) {
  return options.proj_size() > 0 ? options.proj_size() : options.hidden_size();
}

// An initial state as given ((layers * D, N, size), or unbatched (layers * D, size)), checked and made batched;
// zeros when undefined.
Tensor initial_state(const std::string& name, const Tensor& given, const char* which, int64_t input_dim,
                     IntList expected, const TensorOptions& options) {
  if (!given.defined()) return zeros(expected, options);
  const bool batched = input_dim != 2;
  REEL_CHECK(given.dim() == (batched ? 3 : 2), "{}: For {} input, {} should be {}D but got {}D tensor", name,
             batched ? "batched 3-D" : "unbatched 2-D", which, batched ? 3 : 2, given.dim());
  const Tensor state = batched ? given : given.unsqueeze(1);
  REEL_CHECK(state.sizes() == expected, "{}: Expected {} size ({}, {}, {}), got {}", name, which, expected[0],
             expected[1], expected[2], shape_str(state));
  return state;
}

// A packed input's batch sizes, checked: non-increasing, each at least 1, summing to data's rows.
std::vector<int64_t> checked_batch_sizes(const std::string& name, const utils::rnn::PackedSequence& input) {
  REEL_CHECK(input.batch_sizes().defined() && input.batch_sizes().dim() == 1,
             "{}: the PackedSequence's batch_sizes must be a 1-D tensor", name);
  const std::vector<int64_t> sizes = input.batch_sizes().to(kInt64).contiguous().to_vector<int64_t>();
  int64_t rows = 0;
  for (size_t t = 0; t < sizes.size(); ++t) {
    REEL_CHECK(sizes[t] >= 1 && (t == 0 || sizes[t] <= sizes[t - 1]),
               "{}: the PackedSequence's batch_sizes must be non-increasing and positive, got {} at step {}", name,
               sizes[t], t);
    rows += sizes[t];
  }
  REEL_CHECK(!sizes.empty(), "{}: Expected sequence length to be larger than 0 in RNN", name);
  REEL_CHECK(rows == input.data().size(0), "{}: the PackedSequence's batch_sizes sum to {} rows, its data has {}", name,
             rows, input.data().size(0));
  return sizes;
}
}  // namespace

RNNBaseImpl::RNNBaseImpl(Mode mode_, RNNOptions options_, std::string type_name)
    : Cloneable(std::move(type_name)), options(std::move(options_)), mode(mode_) {
  const std::string name = this->type_name();
  check_sizes(name.c_str(), options.input_size(), options.hidden_size());
  REEL_CHECK(options.num_layers() > 0, "{}: num_layers must be greater than zero, got {}", name,
             options.num_layers());
  REEL_CHECK(options.dropout() >= 0.0 && options.dropout() <= 1.0,
             "{}: dropout should be a number in range [0, 1] representing the probability of an element being "
             "zeroed, got {}",
             name, options.dropout());
  REEL_CHECK(mode == Mode::LSTM || options.proj_size() == 0,
             "{}: proj_size argument is only supported for LSTM, not RNN or GRU (got proj_size={})", name,
             options.proj_size());
  REEL_CHECK(options.proj_size() >= 0,
             "{}: proj_size should be a positive integer or zero to disable projections (got proj_size={})", name,
             options.proj_size());
  REEL_CHECK(options.proj_size() < options.hidden_size(),
             "{}: proj_size has to be smaller than hidden_size (got proj_size={}, hidden_size={})", name,
             options.proj_size(), options.hidden_size());
  const int64_t directions = options.bidirectional() ? 2 : 1;
  const int64_t gates = gate_count(mode);
  for (int64_t layer = 0; layer < options.num_layers(); ++layer) {
    const int64_t layer_input = layer == 0 ? options.input_size() : state_size(options) * directions;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = fmt::format("_l{}{}", layer, direction == 1 ? "_reverse" : "");
      all_weights.push_back(register_gate_weights(*this, suffix, gates, layer_input, options.hidden_size(),
                                                  options.bias(), options.proj_size()));
    }
  }
  reset_parameters();
}

void RNNBaseImpl::reset_parameters() { init_recurrent(*this, options.hidden_size()); }

std::string RNNBaseImpl::extra_repr() const {
  std::string s = fmt::format("{}, {}", options.input_size(), options.hidden_size());
  if (options.proj_size() != 0) s += fmt::format(", proj_size={}", options.proj_size());
  if (options.num_layers() != 1) s += fmt::format(", num_layers={}", options.num_layers());
  if (!options.bias()) s += ", bias=False";
  if (options.batch_first()) s += ", batch_first=True";
  if (options.dropout() != 0.0) s += ", dropout=" + repr::py_float(options.dropout());
  if (options.bidirectional()) s += ", bidirectional=True";
  return s;
}

// Checks the input and the initial state, runs the stack on the time-major input (T, N, in) (CPU: the step loop of
// reel ops, every batch size N; CUDA: one fused_rnn), and gives the output back in the input's layout.
std::tuple<Tensor, Tensor, Tensor> RNNBaseImpl::run(const Tensor& input, const Tensor& h0_in, const Tensor& c0_in) {
  const std::string name = type_name();
  input.check_defined(name.c_str());
  REEL_CHECK(input.dim() == 2 || input.dim() == 3, "{}: Expected input to be 2D or 3D, got {}D instead", name,
             input.dim());
  REEL_CHECK(input.size(-1) == options.input_size(),
             "{}: input.size(-1) must be equal to input_size. Expected {}, got {}", name, options.input_size(),
             input.size(-1));
  const bool batched = input.dim() == 3;
  // time-major (T, N, in)
  const Tensor x = !batched ? input.unsqueeze(1) : options.batch_first() ? input.transpose(0, 1) : input;
  const int64_t steps = x.size(0), batch = x.size(1);
  REEL_CHECK(steps > 0, "{}: Expected sequence length to be larger than 0 in RNN", name);
  const int64_t states = options.num_layers() * (options.bidirectional() ? 2 : 1);
  const bool lstm = mode == Mode::LSTM;
  const Tensor h0 = initial_state(name, h0_in, lstm ? "hidden[0]" : "hidden", input.dim(),
                                  {states, batch, state_size(options)}, x.options());
  const Tensor c0 = lstm ? initial_state(name, c0_in, "hidden[1]", input.dim(), {states, batch, options.hidden_size()},
                                         x.options())
                         : Tensor();

  Tensor output, h_last, c_last;
  if (x.is_cuda()) {
    std::tie(output, h_last, c_last) = run_fused(x, Tensor(), h0, c0);
  } else {
    const std::vector<int64_t> batch_sizes(static_cast<size_t>(steps), batch);
    auto [rows, h, c] = run_loop(x.reshape({steps * batch, x.size(2)}), batch_sizes, h0, c0);
    output = rows.reshape({steps, batch, rows.size(1)});
    h_last = h;
    c_last = c;
  }
  if (!batched) {
    output = output.squeeze(1);
    h_last = h_last.squeeze(1);
    if (lstm) c_last = c_last.squeeze(1);
  } else if (options.batch_first()) {
    output = output.transpose(0, 1);
  }
  return {output, h_last, c_last};
}

// As run, on a packed batch: the initial state is permuted into the packed (sorted) order and the final one back.
std::tuple<Tensor, Tensor, Tensor> RNNBaseImpl::run_packed(const utils::rnn::PackedSequence& input, const Tensor& h0_in,
                                                           const Tensor& c0_in) {
  const std::string name = type_name();
  const Tensor& data = input.data();
  data.check_defined(name.c_str());
  REEL_CHECK(data.dim() == 2, "{}: Expected the PackedSequence's data to be 2D (sum of lengths, input_size), got {}",
             name, shape_str(data));
  REEL_CHECK(data.size(-1) == options.input_size(),
             "{}: input.size(-1) must be equal to input_size. Expected {}, got {}", name, options.input_size(),
             data.size(-1));
  const std::vector<int64_t> batch_sizes = checked_batch_sizes(name, input);
  const int64_t batch = batch_sizes[0];
  const int64_t states = options.num_layers() * (options.bidirectional() ? 2 : 1);
  const bool lstm = mode == Mode::LSTM;
  const Tensor& sorted = input.sorted_indices();
  const Tensor& unsorted = input.unsorted_indices();
  auto permute = [](const Tensor& state, const Tensor& order) {
    return state.defined() && order.defined() ? state.index_select(1, order) : state;
  };
  // checked in the caller's order, then permuted (zeros need no permutation)
  const Tensor h0 = permute(initial_state(name, h0_in, lstm ? "hidden[0]" : "hidden", 3,
                                          {states, batch, state_size(options)}, data.options()),
                            h0_in.defined() ? sorted : Tensor());
  const Tensor c0 = lstm ? permute(initial_state(name, c0_in, "hidden[1]", 3, {states, batch, options.hidden_size()},
                                                 data.options()),
                                   c0_in.defined() ? sorted : Tensor())
                         : Tensor();
  auto [output, h, c] = data.is_cuda() ? run_fused(data, input.batch_sizes(), h0, c0) : run_loop(data, batch_sizes, h0, c0);
  return {output, permute(h, unsorted), permute(c, unsorted)};
}

// For each layer and direction: xg = X W_ih^T + b_ih for all rows in one matmul, then the cell update per step
// (forwards in time, or backwards for the reverse direction) on the first b_t rows of the state, the rows past b_t
// keeping theirs; directions concatenate on the feature dim, and dropout (training only) applies to every layer's
// output but the last.
std::tuple<Tensor, Tensor, Tensor> RNNBaseImpl::run_loop(const Tensor& data, const std::vector<int64_t>& batch_sizes,
                                                         const Tensor& h0, const Tensor& c0) {
  const int64_t directions = options.bidirectional() ? 2 : 1;
  const int64_t layers = options.num_layers();
  const int64_t steps = static_cast<int64_t>(batch_sizes.size()), batch = h0.size(1);
  const bool lstm = mode == Mode::LSTM;
  std::vector<int64_t> offsets(batch_sizes.size(), 0);
  for (size_t t = 1; t < batch_sizes.size(); ++t) offsets[t] = offsets[t - 1] + batch_sizes[t - 1];

  Tensor layer_input = data;
  std::vector<Tensor> h_n, c_n;
  for (int64_t layer = 0; layer < layers; ++layer) {
    std::vector<Tensor> direction_outputs;
    for (int64_t direction = 0; direction < directions; ++direction) {
      const int64_t index = layer * directions + direction;
      const std::vector<Tensor>& w = all_weights[static_cast<size_t>(index)];
      const Tensor w_hr = w.size() > 4 ? w[4] : Tensor();
      const Tensor xg = F::linear(layer_input, w[0], w[2]);  // x_t W_ih^T + b_ih, every row at once
      Tensor h = h0.select(0, index);
      Tensor c = lstm ? c0.select(0, index) : Tensor();
      std::vector<Tensor> outputs(static_cast<size_t>(steps));
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = direction == 0 ? s : steps - 1 - s;
        const int64_t b = batch_sizes[static_cast<size_t>(t)];
        const bool all = b == batch;
        const Tensor g = xg.narrow(0, offsets[static_cast<size_t>(t)], b);
        const Tensor h_run = all ? h : h.narrow(0, 0, b);
        Tensor h_next, c_next;
        switch (mode) {
          case Mode::RNN_TANH: h_next = rnn_step(g, h_run, w[1], w[3], false); break;
          case Mode::RNN_RELU: h_next = rnn_step(g, h_run, w[1], w[3], true); break;
          case Mode::LSTM:
            std::tie(h_next, c_next) = lstm_step(g, h_run, all ? c : c.narrow(0, 0, b), w[1], w[3], w_hr);
            break;
          case Mode::GRU: h_next = gru_step(g, h_run, w[1], w[3]); break;
        }
        outputs[static_cast<size_t>(t)] = h_next;
        // the rows past b_t (finished, or not yet started in the reverse direction) keep their state
        h = all ? h_next : cat({h_next, h.narrow(0, b, batch - b)}, 0);
        if (lstm) c = all ? c_next : cat({c_next, c.narrow(0, b, batch - b)}, 0);
      }
      direction_outputs.push_back(cat(outputs, 0));
      h_n.push_back(h);
      if (lstm) c_n.push_back(c);
    }
    layer_input = directions == 1 ? direction_outputs[0] : cat(direction_outputs, 1);
    if (options.dropout() > 0.0 && is_training() && layer + 1 < layers) {
      layer_input = F::dropout(layer_input, options.dropout(), true);
    }
  }
  return {layer_input, stack(h_n, 0), lstm ? stack(c_n, 0) : Tensor()};
}

// On CUDA: the whole stack in one fused_rnn (cuDNN) through reel::lstm / gru / rnn_tanh / rnn_relu, PyTorch's path
// on the GPU, dense (x time-major) or packed (x the packed data, with batch_sizes). Dropout between layers is the
// same F::dropout on each layer's output, drawn in the same order.
std::tuple<Tensor, Tensor, Tensor> RNNBaseImpl::run_fused(const Tensor& x, const Tensor& batch_sizes,
                                                          const Tensor& h0, const Tensor& c0) {
  std::vector<Tensor> params;
  for (const std::vector<Tensor>& w : all_weights) {
    params.push_back(w[0]);
    params.push_back(w[1]);
    if (options.bias()) {
      params.push_back(w[2]);
      params.push_back(w[3]);
    }
    if (w.size() > 4) params.push_back(w[4]);
  }
  const int64_t layers = options.num_layers();
  const double dropout = options.dropout();
  const bool train = is_training(), bidirectional = options.bidirectional(), bias = options.bias();
  const bool packed = batch_sizes.defined();
  Tensor output, h_last, c_last;
  switch (mode) {
    case Mode::LSTM:
      std::tie(output, h_last, c_last) =
          packed ? reel::lstm(x, batch_sizes, {h0, c0}, params, bias, layers, dropout, train, bidirectional)
                 : reel::lstm(x, {h0, c0}, params, bias, layers, dropout, train, bidirectional, false);
      break;
    case Mode::GRU:
      std::tie(output, h_last) = packed
                                     ? reel::gru(x, batch_sizes, h0, params, bias, layers, dropout, train, bidirectional)
                                     : reel::gru(x, h0, params, bias, layers, dropout, train, bidirectional, false);
      break;
    case Mode::RNN_TANH:
    case Mode::RNN_RELU: {
      using Packed = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const Tensor&,
                                                    const std::vector<Tensor>&, bool, int64_t, double, bool, bool);
      using Dense = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const std::vector<Tensor>&, bool,
                                                   int64_t, double, bool, bool, bool);
      const bool tanh_mode = mode == Mode::RNN_TANH;
      if (packed) {
        const Packed run = tanh_mode ? Packed(&reel::rnn_tanh) : Packed(&reel::rnn_relu);
        std::tie(output, h_last) = run(x, batch_sizes, h0, params, bias, layers, dropout, train, bidirectional);
      } else {
        const Dense run = tanh_mode ? Dense(&reel::rnn_tanh) : Dense(&reel::rnn_relu);
        std::tie(output, h_last) = run(x, h0, params, bias, layers, dropout, train, bidirectional, false);
      }
      break;
    }
  }
  return {output, h_last, c_last};
}

namespace {
RNNBaseImpl::Mode rnn_mode(const RNNOptions& options) {
  REEL_CHECK(options.nonlinearity() == "tanh" || options.nonlinearity() == "relu",
             "RNN: Unknown nonlinearity '{}'. Select from 'tanh' or 'relu'.", options.nonlinearity());
  return options.nonlinearity() == "relu" ? RNNBaseImpl::Mode::RNN_RELU : RNNBaseImpl::Mode::RNN_TANH;
}

using utils::rnn::PackedSequence;

// The output rows packed like the input.
PackedSequence packed_like(const Tensor& data, const PackedSequence& input) {
  return PackedSequence(data, input.batch_sizes(), input.sorted_indices(), input.unsorted_indices());
}
}  // namespace

RNNImpl::RNNImpl(const RNNOptions& options_) : RNNBaseImpl(rnn_mode(options_), options_, "RNN") {}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor& input, const Tensor& hx) {
  auto [output, h_n, unused] = run(input, hx, Tensor());
  return {output, h_n};
}

std::tuple<PackedSequence, Tensor> RNNImpl::forward_with_packed_input(const PackedSequence& packed_input, Tensor hx) {
  auto [output, h_n, unused] = run_packed(packed_input, hx, Tensor());
  return {packed_like(output, packed_input), h_n};
}

LSTMImpl::LSTMImpl(const LSTMOptions& options_) : RNNBaseImpl(Mode::LSTM, options_, "LSTM") {}

namespace {
std::tuple<Tensor, Tensor> split_state(const std::optional<LSTMState>& hx) {
  Tensor h0, c0;
  if (hx) std::tie(h0, c0) = *hx;
  REEL_CHECK(h0.defined() == c0.defined(), "LSTM: hx must hold both h_0 and c_0, or be absent");
  return {h0, c0};
}
}  // namespace

std::tuple<Tensor, LSTMState> LSTMImpl::forward(const Tensor& input, const std::optional<LSTMState>& hx) {
  auto [h0, c0] = split_state(hx);
  auto [output, h_n, c_n] = run(input, h0, c0);
  return {output, LSTMState{h_n, c_n}};
}

std::tuple<PackedSequence, LSTMState> LSTMImpl::forward_with_packed_input(const PackedSequence& packed_input,
                                                                          std::optional<LSTMState> hx_opt) {
  auto [h0, c0] = split_state(hx_opt);
  auto [output, h_n, c_n] = run_packed(packed_input, h0, c0);
  return {packed_like(output, packed_input), LSTMState{h_n, c_n}};
}

GRUImpl::GRUImpl(const GRUOptions& options_) : RNNBaseImpl(Mode::GRU, options_, "GRU") {}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor& input, const Tensor& hx) {
  auto [output, h_n, unused] = run(input, hx, Tensor());
  return {output, h_n};
}

std::tuple<PackedSequence, Tensor> GRUImpl::forward_with_packed_input(const PackedSequence& packed_input, Tensor hx) {
  auto [output, h_n, unused] = run_packed(packed_input, hx, Tensor());
  return {packed_like(output, packed_input), h_n};
}

}  // namespace reel::nn
