// reel/tensor/ops_rnn.cpp — front doors of the recurrent ops: the fused multi-step op fused_rnn (one tape node for T
// steps and L layers), its backward primitive fused_rnn_backward, and PyTorch's torch::lstm / gru / rnn_tanh /
// rnn_relu written with them, dense (T, N, I) or packed (PackedSequence's data and batch_sizes).
//
// Checks follow PyTorch's messages where it has them and name the op, shapes, dtypes and devices. The kernels get
// contiguous tensors: time-major input (T, N, I) or packed (R, I), hx (P, N, S), cx (P, N, H), the flat weight and
// the int64 CPU batch_sizes of a packed input (layouts: tensor/rnn_params.h); the CPU kernel runs the generic
// implementation (tensor/rnn_generic.cpp), the CUDA kernel cuDNN (cuda/rnn.cpp).
// Recorded for autograd:
//   fused_rnn            inputs (input, hx, cx, weight, batch_sizes); outputs (output, hy[, cy], reserve);
//                        attrs: RnnParams (mode, layers, directions, biases, proj_size)
//   fused_rnn_backward   not recorded: no formula (double backward through a fused RNN is refused, as PyTorch's
//                        cuDNN RNN refuses it)
// The public lstm(...) flattens its params with cat (recorded, so each parameter gets its slice of dweight) and,
// for dropout between layers in training, runs one fused_rnn per layer with reel's dropout between them. An LSTM
// has a projection when h_0's last size differs from c_0's (PyTorch's rule); its params then hold W_hr per layer.
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

// A packed input's batch sizes: 1-D int64 on the CPU, each in [1, N], non-increasing, summing to the data's rows.
void check_batch_sizes(const char* op, const Tensor& batch_sizes, int64_t rows, int64_t batch) {
  REEL_CHECK(batch_sizes.dim() == 1 && batch_sizes.dtype() == kInt64 && batch_sizes.device().is_cpu(),
             "{}: batch_sizes should be a 1D CPU int64 tensor, but got {}D {} {} tensor", op, batch_sizes.dim(),
             batch_sizes.device().str(), dtype_name(batch_sizes.dtype()));
  const std::vector<int64_t> sizes = batch_sizes.contiguous().to_vector<int64_t>();
  int64_t total = 0;
  for (size_t t = 0; t < sizes.size(); ++t) {
    REEL_CHECK(sizes[t] >= 1 && sizes[t] <= batch && (t == 0 || sizes[t] <= sizes[t - 1]),
               "{}: batch_sizes must be non-increasing, each in [1, {}] (the batch size of hx), got {} at step {}", op,
               batch, sizes[t], t);
    total += sizes[t];
  }
  REEL_CHECK(sizes.empty() || sizes[0] == batch,
             "{}: the first batch size ({}) must equal hx's batch size ({}): it is the number of sequences", op,
             sizes.empty() ? 0 : sizes[0], batch);
  REEL_CHECK(total == rows, "{}: batch_sizes sum to {} rows, but the packed input has {} (shape [{}, ...])", op, total,
             rows, rows);
}

// The shared checks of fused_rnn and its backward; returns the weight layout.
RnnWeightLayout check_fused(const char* op, const RnnParams& params, const Tensor& input, const Tensor& hx,
                            const Tensor& cx, const Tensor& weight, const Tensor& batch_sizes) {
  input.check_defined(op);
  hx.check_defined(op);
  const bool packed = batch_sizes.defined();
  REEL_CHECK(is_floating_point(input.dtype()), "{}: expected a floating-point input, got {} of shape {}", op,
             dtype_name(input.dtype()), shape_str(input.sizes()));
  REEL_CHECK(input.dim() == (packed ? 2 : 3), "{}: expected {}, got shape {}", op,
             packed ? "packed data (sum of batch_sizes, input_size) with batch_sizes"
                    : "a time-major input (T, N, input_size)",
             shape_str(input.sizes()));
  REEL_CHECK(params.num_layers >= 1, "{}: num_layers must be at least 1, got {}", op, params.num_layers);
  REEL_CHECK(hx.dim() == 3, "{}: expected hx of shape (num_layers * directions, N, hidden_size), got shape {}", op,
             shape_str(hx.sizes()));
  REEL_CHECK(params.proj_size >= 0, "{}: proj_size should be a positive integer or zero to disable projections, got {}",
             op, params.proj_size);
  REEL_CHECK(params.proj_size == 0 || params.has_cell(),
             "{}: proj_size argument is only supported for LSTM, not RNN or GRU (mode {}, proj_size {})", op,
             rnn_mode_name(params.mode), params.proj_size);
  if (params.has_cell()) cx.check_defined(op);
  const int64_t hidden = params.has_cell() ? cx.size(-1) : hx.size(2);
  REEL_CHECK(hidden > 0, "{}: hidden_size must be positive, got {} of shape {}", op, params.has_cell() ? "cx" : "hx",
             shape_str(params.has_cell() ? cx.sizes() : hx.sizes()));
  REEL_CHECK(params.proj_size < hidden, "{}: proj_size has to be smaller than hidden_size, got {} and {}", op,
             params.proj_size, hidden);
  const int64_t state = params.has_projection() ? params.proj_size : hidden;
  const int64_t batch = packed ? hx.size(1) : input.size(1);
  if (packed) check_batch_sizes(op, batch_sizes, input.size(0), batch);
  check_like(op, input, hx, "hx", {params.pseudo_layers(), batch, state});
  if (params.has_cell()) {
    check_like(op, input, cx, "cx", {params.pseudo_layers(), batch, hidden});
  } else {
    REEL_CHECK(!cx.defined(), "{}: mode {} has no cell state, yet cx was given (shape {})", op,
               rnn_mode_name(params.mode), shape_str(cx.sizes()));
  }
  const RnnWeightLayout layout{params, input.size(-1), hidden};
  weight.check_defined(op);
  check_like(op, input, weight, "weight (the flat parameters)", {layout.numel()});
  return layout;
}

RnnParams make_params(const char* op, const std::string& mode, int64_t num_layers, bool has_biases,
                      bool bidirectional, int64_t proj_size) {
  RnnParams params;
  params.mode = parse_mode(mode, op);
  params.num_layers = num_layers;
  params.has_biases = has_biases;
  params.bidirectional = bidirectional;
  params.proj_size = proj_size;
  return params;
}

// The output's shape: (T, N, D*S), or packed (R, D*S).
DimVector output_sizes(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& batch_sizes) {
  const int64_t features = params.directions() * hx.size(2);
  if (batch_sizes.defined()) return {input.size(0), features};
  return {input.size(0), input.size(1), features};
}

}  // namespace

// L layers of cells over T steps (cells: tensor/rnn_generic.cpp), directions concatenated on the feature dim
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                                     const Tensor& weight, const std::string& mode,
                                                     int64_t num_layers, bool has_biases, bool bidirectional,
                                                     int64_t proj_size, const Tensor& batch_sizes) {
  const char* op = "fused_rnn";
  RnnParams params = make_params(op, mode, num_layers, has_biases, bidirectional, proj_size);
  check_fused(op, params, input, hx, cx, weight, batch_sizes);
  params.train = detail::needs_recording({&input, &hx, &cx, &weight});
  // output, hy, cy (absent without a cell state), reserve (the kernel makes it when training). Recorded when
  // params.train, with the defined outputs: (output, hy, cy, reserve), or (output, hy, reserve) without a cell.
  const OpAttrs attrs = family_attrs(params);
  const Tensor inputs[] = {input, hx, cx, weight, batch_sizes};
  Tensor outputs[4];
  run_op(OpId::fused_rnn, &attrs, inputs,
         {outputs,
          {{output_sizes(params, input, hx, batch_sizes), input.dtype(), input.device()},
           {hx.sizes(), input.dtype(), input.device()},
           params.has_cell() ? OutputMeta(cx.sizes(), input.dtype(), input.device()) : OutputMeta::absent(),
           OutputMeta::absent()}},
         {.contiguous_inputs = 0b11111, .allocating = op});
  return {outputs[0], outputs[1], outputs[2], outputs[3]};
}

// backpropagation through time from the reserve (tensor/rnn_generic.cpp has the formulas)
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn_backward(const Tensor& input, const Tensor& hx,
                                                              const Tensor& cx, const Tensor& weight,
                                                              const Tensor& output, const Tensor& reserve,
                                                              const Tensor& grad_output, const Tensor& grad_hy,
                                                              const Tensor& grad_cy, const std::string& mode,
                                                              int64_t num_layers, bool has_biases,
                                                              bool bidirectional, int64_t proj_size,
                                                              const Tensor& batch_sizes) {
  const char* op = "fused_rnn_backward";
  RnnParams params = make_params(op, mode, num_layers, has_biases, bidirectional, proj_size);
  params.train = true;
  check_fused(op, params, input, hx, cx, weight, batch_sizes);
  const DimVector out_sizes = output_sizes(params, input, hx, batch_sizes);
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
    check_like(op, input, grad_cy, "grad_cy", cx.sizes());
  }
  const OpAttrs attrs = family_attrs(params);
  const Tensor inputs[] = {input, hx, cx, weight, output, reserve, grad_output, grad_hy, grad_cy, batch_sizes};
  Tensor outputs[4];
  run_op(OpId::fused_rnn_backward, &attrs, inputs,
         {outputs,
          {{input.sizes(), input.dtype(), input.device()},
           {hx.sizes(), input.dtype(), input.device()},
           params.has_cell() ? OutputMeta(cx.sizes(), input.dtype(), input.device()) : OutputMeta::absent(),
           {weight.sizes(), input.dtype(), input.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b1111011111, .allocating = op});  // the reserve goes as it is
  return {outputs[0], outputs[1], outputs[2], outputs[3]};
}

namespace {

// torch::lstm and friends: checks the params against PyTorch's layout, flattens them, and runs fused_rnn once (or
// once per layer with dropout between layers when training). Dense input (T, N, I) (or batch_first) when batch_sizes
// is undefined, else packed data (R, I). Returns (output, h_n, c_n).
std::tuple<Tensor, Tensor, Tensor> multi_layer_rnn(RnnMode mode, const Tensor& input, const Tensor& batch_sizes,
                                                   const Tensor& h0, const Tensor& c0,
                                                   const std::vector<Tensor>& params, bool has_biases,
                                                   int64_t num_layers, double dropout, bool train,
                                                   bool bidirectional, bool batch_first) {
  const char* op = rnn_mode_name(mode);
  const bool packed = batch_sizes.defined();
  input.check_defined(op);
  h0.check_defined(op);
  REEL_CHECK(input.dim() == (packed ? 2 : 3), "{}: expected input of {} dims ({}), got shape {}", op, packed ? 2 : 3,
             packed ? "packed data: sum of batch_sizes, input_size"
                    : batch_first ? "N, T, input_size" : "T, N, input_size",
             shape_str(input.sizes()));
  REEL_CHECK(num_layers >= 1, "{}: num_layers must be at least 1, got {}", op, num_layers);
  REEL_CHECK(dropout >= 0.0 && dropout <= 1.0, "{}: dropout should be a number in range [0, 1], got {}", op,
             dropout);
  REEL_CHECK(h0.dim() == 3, "{}: expected hx of shape (num_layers * directions, N, hidden_size), got shape {}", op,
             shape_str(h0.sizes()));
  if (mode == RnnMode::lstm) {
    c0.check_defined(op);
    REEL_CHECK(c0.dim() == 3, "{}: expected hx[1] of shape (num_layers * directions, N, hidden_size), got shape {}",
               op, shape_str(c0.sizes()));
  }
  RnnParams p;
  p.mode = mode;
  p.num_layers = num_layers;
  p.bidirectional = bidirectional;
  p.has_biases = has_biases;
  // PyTorch's rule: an LSTM projects when h_0's size differs from c_0's
  const int64_t hidden = mode == RnnMode::lstm ? c0.size(2) : h0.size(2);
  if (mode == RnnMode::lstm && h0.size(2) != c0.size(2)) p.proj_size = h0.size(2);
  const int64_t per_layer = (has_biases ? 4 : 2) + (p.has_projection() ? 1 : 0);
  REEL_CHECK(static_cast<int64_t>(params.size()) == p.pseudo_layers() * per_layer,
             "{}: expected {} params ({} layers x {} directions x {}), got {}", op, p.pseudo_layers() * per_layer,
             num_layers, p.directions(), per_layer, params.size());
  const RnnWeightLayout layout{p, input.size(-1), hidden};
  for (int64_t q = 0; q < p.pseudo_layers(); ++q) {
    const RnnWeightSlices s = layout.slices(q);
    std::vector<DimVector> expected = {{s.rows, s.input_size}, {s.rows, layout.state_size()}};
    std::vector<const char*> names = {"w_ih", "w_hh"};
    if (has_biases) {
      expected.insert(expected.end(), {{s.rows}, {s.rows}});
      names.insert(names.end(), {"b_ih", "b_hh"});
    }
    if (p.has_projection()) {
      expected.push_back({p.proj_size, hidden});
      names.push_back("w_hr");
    }
    for (int64_t k = 0; k < per_layer; ++k) {
      const Tensor& t = params[static_cast<size_t>(q * per_layer + k)];
      t.check_defined(op);
      REEL_CHECK(t.sizes() == IntList(expected[static_cast<size_t>(k)]),
                 "{}: expected {} of layer {}{} of shape {} (input_size {}, hidden_size {}{}), got {}", op,
                 names[static_cast<size_t>(k)], q / p.directions(), q % p.directions() == 1 ? " (reverse)" : "",
                 shape_str(expected[static_cast<size_t>(k)]), input.size(-1), hidden,
                 p.has_projection() ? fmt::format(", proj_size {}", p.proj_size) : std::string(),
                 shape_str(t.sizes()));
    }
  }
  const std::string mode_name = rnn_mode_name(mode);
  const Tensor x = batch_first && !packed ? input.transpose(0, 1) : input;
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
                                          bidirectional, p.proj_size, batch_sizes);
      hs.push_back(h);
      if (c.defined()) cs.push_back(c);
      layer_input = layer + 1 < num_layers ? nn::functional::dropout(y, dropout, true) : y;
    }
    output = layer_input;
    h_n = cat(hs, 0);
    if (!cs.empty()) c_n = cat(cs, 0);
  } else {
    auto [y, h, c, reserve] = fused_rnn(x, h0, c0, flatten(0, static_cast<int64_t>(params.size())), mode_name,
                                        num_layers, has_biases, bidirectional, p.proj_size, batch_sizes);
    output = y;
    h_n = h;
    c_n = c;
  }
  if (batch_first && !packed) output = output.transpose(0, 1);
  return {output, h_n, c_n};
}

std::tuple<Tensor, Tensor> without_cell(const std::tuple<Tensor, Tensor, Tensor>& result) {
  return {std::get<0>(result), std::get<1>(result)};
}

}  // namespace

// c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c') (times W_hr with a projection) per step, layer and direction
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, const std::vector<Tensor>& hx,
                                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool train, bool bidirectional, bool batch_first) {
  REEL_CHECK(hx.size() == 2, "lstm: expected hx to hold (h_0, c_0), got {} tensors", hx.size());
  return multi_layer_rnn(RnnMode::lstm, input, Tensor(), hx[0], hx[1], params, has_biases, num_layers, dropout, train,
                         bidirectional, batch_first);
}

// the same over a packed batch: each sequence runs its own length
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& data, const Tensor& batch_sizes, const std::vector<Tensor>& hx,
                                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool train, bool bidirectional) {
  REEL_CHECK(hx.size() == 2, "lstm: expected hx to hold (h_0, c_0), got {} tensors", hx.size());
  batch_sizes.check_defined("lstm");
  return multi_layer_rnn(RnnMode::lstm, data, batch_sizes, hx[0], hx[1], params, has_biases, num_layers, dropout,
                         train, bidirectional, false);
}

// h' = (1 - z) n + z h, n = tanh(x_n + r (W_hn h + b_hn)) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                               bool has_biases, int64_t num_layers, double dropout, bool train, bool bidirectional,
                               bool batch_first) {
  return without_cell(multi_layer_rnn(RnnMode::gru, input, Tensor(), hx, Tensor(), params, has_biases, num_layers,
                                      dropout, train, bidirectional, batch_first));
}

// the same over a packed batch
std::tuple<Tensor, Tensor> gru(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                               const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout,
                               bool train, bool bidirectional) {
  batch_sizes.check_defined("gru");
  return without_cell(multi_layer_rnn(RnnMode::gru, data, batch_sizes, hx, Tensor(), params, has_biases, num_layers,
                                      dropout, train, bidirectional, false));
}

// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first) {
  return without_cell(multi_layer_rnn(RnnMode::rnn_tanh, input, Tensor(), hx, Tensor(), params, has_biases,
                                      num_layers, dropout, train, bidirectional, batch_first));
}

// the same over a packed batch
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                                    const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                    double dropout, bool train, bool bidirectional) {
  batch_sizes.check_defined("rnn_tanh");
  return without_cell(multi_layer_rnn(RnnMode::rnn_tanh, data, batch_sizes, hx, Tensor(), params, has_biases,
                                      num_layers, dropout, train, bidirectional, false));
}

// h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh) per step, layer and direction (one fused_rnn node)
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first) {
  return without_cell(multi_layer_rnn(RnnMode::rnn_relu, input, Tensor(), hx, Tensor(), params, has_biases,
                                      num_layers, dropout, train, bidirectional, batch_first));
}

// the same over a packed batch
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                                    const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                    double dropout, bool train, bool bidirectional) {
  batch_sizes.check_defined("rnn_relu");
  return without_cell(multi_layer_rnn(RnnMode::rnn_relu, data, batch_sizes, hx, Tensor(), params, has_biases,
                                      num_layers, dropout, train, bidirectional, false));
}

}  // namespace reel
