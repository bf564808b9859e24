// reel/test/op_table_rnn.cpp — op-table rows of the recurrent ops: fused_rnn, fused_rnn_backward, and the public
// lstm, gru, rnn_tanh and rnn_relu (torch::lstm and friends), dense and packed (variable lengths), with an LSTM's
// projection (proj_size).
//
// The reference is a plain float64 loop written out here from PyTorch's definitions of the cells (nothing of
// tensor/rnn_params.h or tensor/rnn_generic.cpp is used): per layer, direction, step and batch row,
//   gates = W_ih x + b_ih + W_hh h + b_hh (G blocks of H rows: LSTM i f g o, GRU r z n)
//   LSTM  c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c') (then h' = W_hr h' with a projection)
//   GRU   n = tanh(W_in x + b_in + σ(r) (W_hn h + b_hn)), h' = (1 - σ(z)) n + σ(z) h
//   RNN   h' = tanh or relu(gates)
// reading the flat weight as PyTorch's parameters in order (w_ih, w_hh[, b_ih, b_hh] per layer and direction), each
// row-major. The reverse direction runs t = T-1 .. 0; layer l > 0 reads both directions' outputs concatenated.
// With lengths (a packed input, PyTorch's PackedSequence layout: step t's rows for the sequences longer than t), each
// sequence runs its own length L_n: forwards t = 0 .. L_n-1, backwards t = L_n-1 .. 0, h_n its state after that.
// fused_rnn_backward's reference is central finite differences (step 1e-6) of that float64 loop for the scalar
// L = <g_y, y> + <g_h, h_n> + <g_c, c_n>: an independent check of backpropagation through time.
// Sample fields: index = mode (0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru), length = num_layers, flag = bidirectional,
// keepdim = has_biases, step = batch_first (public rows), dim = proj_size, ints = the sequences' lengths (packed
// input (R, I); empty: dense). Inputs: fused_rnn {x (T, N, I) or packed (R, I), hx, [cx,] weight};
// fused_rnn_backward {x, hx, [cx,] weight, g_y, g_h[, g_c]}; public rows {x, hx, [cx,] params...}.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/op_table.h"

namespace reel::test {

namespace {

const char* kModeNames[] = {"rnn_tanh", "rnn_relu", "lstm", "gru"};

struct RnnCase {
  std::string description;
  int mode;  // index into kModeNames
  int64_t steps, batch, input_size, hidden, layers;
  bool bidirectional, bias;
  bool strided_input = false;
  bool batch_first = false;
  int64_t proj = 0;              // LSTM's proj_size
  std::vector<int64_t> lengths;  // non-increasing, lengths[0] = steps: a packed input; empty: dense

  int64_t state() const { return proj > 0 ? proj : hidden; }
  bool packed() const { return !lengths.empty(); }
  int64_t length(int64_t n) const { return packed() ? lengths[static_cast<size_t>(n)] : steps; }
  int64_t rows() const {
    int64_t r = 0;
    for (int64_t n = 0; n < batch; ++n) r += length(n);
    return r;
  }
};

// The packed input's batch sizes (int64, CPU): b_t = #{n : L_n > t}; undefined for a dense case.
Tensor batch_sizes_of(const RnnCase& k) {
  if (!k.packed()) return Tensor();
  std::vector<int64_t> sizes;
  for (int64_t t = 0; t < k.steps; ++t) {
    int64_t b = 0;
    for (int64_t n = 0; n < k.batch; ++n) b += k.length(n) > t ? 1 : 0;
    sizes.push_back(b);
  }
  return reel::tensor(sizes, TensorOptions(kInt64));
}

// Values of `features`-wide rows: packed (R, F) -> time-major padded (T, N, F) with zeros past each length, and back.
std::vector<double> unpack(const RnnCase& k, const std::vector<double>& packed, int64_t features) {
  std::vector<double> padded(static_cast<size_t>(k.steps * k.batch * features), 0.0);
  size_t at = 0;
  for (int64_t t = 0; t < k.steps; ++t)
    for (int64_t n = 0; n < k.batch; ++n)
      if (k.length(n) > t)
        for (int64_t f = 0; f < features; ++f) padded[static_cast<size_t>((t * k.batch + n) * features + f)] = packed[at++];
  return padded;
}
std::vector<double> pack(const RnnCase& k, const std::vector<double>& padded, int64_t features) {
  std::vector<double> packed;
  for (int64_t t = 0; t < k.steps; ++t)
    for (int64_t n = 0; n < k.batch; ++n)
      if (k.length(n) > t)
        for (int64_t f = 0; f < features; ++f) packed.push_back(padded[static_cast<size_t>((t * k.batch + n) * features + f)]);
  return packed;
}

int64_t gates_of(int mode) { return mode == 2 ? 4 : mode == 3 ? 3 : 1; }
bool is_lstm(int mode) { return mode == 2; }

// The params of one case, in PyTorch's order, as shapes.
std::vector<Shape> param_shapes(const RnnCase& k) {
  std::vector<Shape> shapes;
  const int64_t d = k.bidirectional ? 2 : 1, rows = gates_of(k.mode) * k.hidden;
  for (int64_t layer = 0; layer < k.layers; ++layer) {
    const int64_t in = layer == 0 ? k.input_size : d * k.state();
    for (int64_t dir = 0; dir < d; ++dir) {
      shapes.push_back({rows, in});
      shapes.push_back({rows, k.state()});
      if (k.bias) {
        shapes.push_back({rows});
        shapes.push_back({rows});
      }
      if (k.proj > 0) shapes.push_back({k.proj, k.hidden});
    }
  }
  return shapes;
}

std::vector<RnnCase> cases_for(int mode) {
  const std::string m = kModeNames[mode];
  std::vector<RnnCase> out = {
      {m + " one layer T 3 N 2 I 3 H 2", mode, 3, 2, 3, 2, 1, false, true},
      {m + " two layers bidirectional", mode, 3, 2, 2, 2, 2, true, true},
      {m + " no biases", mode, 2, 2, 3, 3, 1, false, false},
      {m + " transposed (non-contiguous) input", mode, 3, 2, 3, 2, 1, false, true, true},
      {m + " batch 0", mode, 2, 0, 3, 2, 1, false, true},
      {m + " zero steps", mode, 0, 2, 3, 2, 2, false, true},
      {m + " tiny (for the gradient check)", mode, 2, 2, 1, 1, 1, false, true},
      {m + " tiny two layers bidirectional, no biases", mode, 2, 1, 1, 1, 2, true, false},
      {m + " larger T 6 N 5 I 8 H 16 two layers", mode, 6, 5, 8, 16, 2, false, true},
  };
  RnnCase packed{m + " packed lengths 3 2 2 1, two layers bidirectional", mode, 3, 4, 2, 2, 2, true, true};
  packed.lengths = {3, 2, 2, 1};
  out.push_back(packed);
  RnnCase packed_tiny{m + " packed lengths 2 1 (for the gradient check)", mode, 2, 2, 1, 1, 1, true, true};
  packed_tiny.lengths = {2, 1};
  out.push_back(packed_tiny);
  if (is_lstm(mode)) {
    RnnCase proj{m + " projection H 3 -> 2, two layers bidirectional", mode, 3, 2, 3, 3, 2, true, true};
    proj.proj = 2;
    out.push_back(proj);
    RnnCase proj_packed{m + " projection H 3 -> 1, packed lengths 3 3 1, no biases", mode, 3, 3, 2, 3, 1, true, false};
    proj_packed.proj = 1;
    proj_packed.lengths = {3, 3, 1};
    out.push_back(proj_packed);
  }
  return out;
}

std::vector<RnnCase> all_cases() {
  std::vector<RnnCase> out;
  for (int mode = 0; mode < 4; ++mode)
    for (const RnnCase& k : cases_for(mode)) out.push_back(k);
  return out;
}

// ---- the float64 reference ---------------------------------------------------------------------------------------
struct RefRnn {
  std::vector<double> y, h, c;  // (T, N, D*S) (zero past each length), (P, N, S), (P, N, H) (LSTM)
};

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

RefRnn ref_rnn(const RnnCase& k, const std::vector<double>& x, const std::vector<double>& h0,
               const std::vector<double>& c0, const std::vector<double>& w) {
  const int64_t T = k.steps, N = k.batch, H = k.hidden, D = k.bidirectional ? 2 : 1, G = gates_of(k.mode);
  const int64_t S = k.state();
  RefRnn r;
  r.h.assign(static_cast<size_t>(k.layers * D * N * S), 0.0);
  if (is_lstm(k.mode)) r.c.assign(static_cast<size_t>(k.layers * D * N * H), 0.0);
  std::vector<double> layer_in = x;
  int64_t in = k.input_size;
  size_t w_at = 0;
  for (int64_t layer = 0; layer < k.layers; ++layer) {
    std::vector<double> layer_out(static_cast<size_t>(T * N * D * S), 0.0);
    for (int64_t dir = 0; dir < D; ++dir) {
      const int64_t p = layer * D + dir, rows = G * H;
      const double* w_ih = &w[w_at];
      const double* w_hh = w_ih + rows * in;
      const double* b_ih = k.bias ? w_hh + rows * S : nullptr;
      const double* b_hh = k.bias ? b_ih + rows : nullptr;
      const double* w_hr = w_hh + rows * S + (k.bias ? 2 * rows : 0);  // (S, H), with a projection
      w_at += static_cast<size_t>(rows * (in + S) + (k.bias ? 2 * rows : 0) + (k.proj > 0 ? S * H : 0));
      for (int64_t n = 0; n < N; ++n) {
        std::vector<double> h(static_cast<size_t>(S)), c(static_cast<size_t>(H), 0.0);
        for (int64_t j = 0; j < S; ++j) h[j] = h0[static_cast<size_t>((p * N + n) * S + j)];
        for (int64_t j = 0; j < H; ++j)
          if (is_lstm(k.mode)) c[j] = c0[static_cast<size_t>((p * N + n) * H + j)];
        const int64_t L = k.length(n);
        for (int64_t s = 0; s < L; ++s) {
          const int64_t t = dir == 0 ? s : L - 1 - s;
          std::vector<double> xi(static_cast<size_t>(rows)), hi(static_cast<size_t>(rows));
          for (int64_t row = 0; row < rows; ++row) {
            double a = b_ih ? b_ih[row] : 0.0, b = b_hh ? b_hh[row] : 0.0;
            for (int64_t q = 0; q < in; ++q) a += w_ih[row * in + q] * layer_in[static_cast<size_t>((t * N + n) * in + q)];
            for (int64_t q = 0; q < S; ++q) b += w_hh[row * S + q] * h[static_cast<size_t>(q)];
            xi[row] = a;
            hi[row] = b;
          }
          std::vector<double> next(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) {
            switch (k.mode) {
              case 0: next[j] = std::tanh(xi[j] + hi[j]); break;
              case 1: next[j] = std::max(0.0, xi[j] + hi[j]); break;
              case 2: {
                const double ig = sigmoid(xi[j] + hi[j]), fg = sigmoid(xi[H + j] + hi[H + j]);
                const double gg = std::tanh(xi[2 * H + j] + hi[2 * H + j]), og = sigmoid(xi[3 * H + j] + hi[3 * H + j]);
                c[j] = fg * c[j] + ig * gg;
                next[j] = og * std::tanh(c[j]);
                break;
              }
              default: {
                const double rg = sigmoid(xi[j] + hi[j]), zg = sigmoid(xi[H + j] + hi[H + j]);
                const double ng = std::tanh(xi[2 * H + j] + rg * hi[2 * H + j]);
                next[j] = (1.0 - zg) * ng + zg * h[j];
              }
            }
          }
          if (k.proj > 0) {  // h' = W_hr m
            std::vector<double> projected(static_cast<size_t>(S), 0.0);
            for (int64_t j = 0; j < S; ++j)
              for (int64_t q = 0; q < H; ++q) projected[j] += w_hr[j * H + q] * next[q];
            next = projected;
          }
          h = next;
          for (int64_t j = 0; j < S; ++j) layer_out[static_cast<size_t>((t * N + n) * D * S + dir * S + j)] = h[j];
        }
        for (int64_t j = 0; j < S; ++j) r.h[static_cast<size_t>((p * N + n) * S + j)] = h[j];
        for (int64_t j = 0; j < H; ++j)
          if (is_lstm(k.mode)) r.c[static_cast<size_t>((p * N + n) * H + j)] = c[j];
      }
    }
    layer_in = layer_out;
    in = D * S;
  }
  r.y = layer_in;
  return r;
}

// ref_rnn on x as the op takes it (time-major, or packed): y comes back in the same layout.
RefRnn ref_run(const RnnCase& k, const std::vector<double>& x, const std::vector<double>& h0,
               const std::vector<double>& c0, const std::vector<double>& w) {
  if (!k.packed()) return ref_rnn(k, x, h0, c0, w);
  RefRnn r = ref_rnn(k, unpack(k, x, k.input_size), h0, c0, w);
  r.y = pack(k, r.y, (k.bidirectional ? 2 : 1) * k.state());
  return r;
}

// The case a sample was made from, read back from its fields and input shapes.
RnnCase case_of(const Sample& s) {
  RnnCase k;
  k.mode = static_cast<int>(s.index);
  k.layers = s.length;
  k.bidirectional = s.flag;
  k.bias = s.keepdim;
  k.batch_first = s.step == 1;
  k.proj = s.dim;
  k.lengths = s.ints;
  const Tensor& x = s.inputs[0];
  if (k.packed()) {
    k.steps = k.lengths[0];
    k.batch = static_cast<int64_t>(k.lengths.size());
  } else {
    k.steps = k.batch_first ? x.size(1) : x.size(0);
    k.batch = k.batch_first ? x.size(0) : x.size(1);
  }
  k.input_size = x.size(-1);
  k.hidden = is_lstm(k.mode) ? s.inputs[2].size(2) : s.inputs[1].size(2);
  return k;
}

std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }
Shape shape_of(const Tensor& t) { return Shape(t.sizes().begin(), t.sizes().end()); }

// x's values time-major (packed: as they are; ref_run unpacks them).
std::vector<double> time_major(const RnnCase& k, const Tensor& x) {
  return values_of(k.batch_first && !k.packed() ? x.transpose(0, 1).contiguous() : x);
}

// Concatenated values of inputs [first, end).
std::vector<double> flat_values(const Sample& s, size_t first) {
  std::vector<double> w;
  for (size_t i = first; i < s.inputs.size(); ++i) {
    const std::vector<double> v = values_of(s.inputs[i]);
    w.insert(w.end(), v.begin(), v.end());
  }
  return w;
}

std::vector<RefTensor> ref_outputs(const RnnCase& k, const RefRnn& r, ScalarType dtype) {
  const int64_t D = k.bidirectional ? 2 : 1, P = k.layers * D, S = k.state();
  RefTensor y = k.packed() ? RefTensor({k.rows(), D * S}, r.y, dtype) : RefTensor({k.steps, k.batch, D * S}, r.y, dtype);
  if (k.batch_first) {  // (T, N, F) -> (N, T, F)
    RefTensor yb = RefTensor::filled({k.batch, k.steps, D * S}, 0.0, dtype);
    for (const Shape& i : all_indices(y.shape)) yb.at({i[1], i[0], i[2]}) = y.at(i);
    y = yb;
  }
  std::vector<RefTensor> out = {y, RefTensor({P, k.batch, S}, r.h, dtype)};
  if (is_lstm(k.mode)) out.push_back(RefTensor({P, k.batch, k.hidden}, r.c, dtype));
  return out;
}

// Inputs {x, hx, [cx]} of a case, made with m.
std::vector<Tensor> state_inputs(InputMaker& m, const RnnCase& k) {
  const int64_t P = k.layers * (k.bidirectional ? 2 : 1);
  Shape x_shape = k.packed()       ? Shape{k.rows(), k.input_size}
                  : k.batch_first ? Shape{k.batch, k.steps, k.input_size}
                                  : Shape{k.steps, k.batch, k.input_size};
  std::vector<Tensor> inputs = {m.make(x_shape, {}, k.strided_input ? Layout::Transposed : Layout::Contiguous),
                                m.make({P, k.batch, k.state()}, Domain{-1.0, 1.0})};
  if (is_lstm(k.mode)) inputs.push_back(m.make({P, k.batch, k.hidden}, Domain{-1.0, 1.0}));
  return inputs;
}

Sample make_rnn_sample(const RnnCase& k, std::vector<Tensor> inputs, ScalarType dtype, Device device) {
  Sample s = make_sample(k.description, std::move(inputs), dtype, device);
  s.index = k.mode;
  s.length = k.layers;
  s.flag = k.bidirectional;
  s.keepdim = k.bias;
  s.step = k.batch_first ? 1 : 0;
  s.dim = k.proj;
  s.ints = k.lengths;
  // relu's kink: a finite difference straddles it only when a pre-activation lies within the step (1e-6) of 0,
  // which none of these fixed inputs does
  return s;
}

// The flat weight of a case: every param's values, uniform in +-1/sqrt(H) as PyTorch initialises them (times 2).
Tensor flat_weight(InputMaker& m, const RnnCase& k) {
  int64_t total = 0;
  for (const Shape& shape : param_shapes(k)) total += numel_of(shape);
  const double bound = 2.0 / std::sqrt(static_cast<double>(k.hidden));
  return m.make({total}, Domain{-bound, bound});
}

Tolerance rnn_tolerance(ScalarType dtype) {
  // T steps of GEMMs through saturating gates: 16-bit floats round at every step
  if (dtype == kFloat16) return {1e-2, 1e-2};
  if (dtype == kBFloat16) return {6e-2, 6e-2};
  return accumulation_tolerance(dtype);
}

// ---- fused_rnn ---------------------------------------------------------------------------------------------------
OpTestRow fused_rnn_row() {
  OpTestRow row;
  row.op = "fused_rnn";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const RnnCase& k : all_cases()) {
      std::vector<Tensor> inputs = state_inputs(m, k);
      inputs.push_back(flat_weight(m, k));
      out.push_back(make_rnn_sample(k, std::move(inputs), dtype, device));
    }
    return out;
  };
  row.run = [](const Sample& s) {
    const RnnCase k = case_of(s);
    const bool lstm = is_lstm(k.mode);
    auto [y, h, c, reserve] = reel::fused_rnn(s.inputs[0], s.inputs[1], lstm ? s.inputs[2] : Tensor(),
                                              s.inputs[lstm ? 3 : 2], kModeNames[k.mode], k.layers, k.bias,
                                              k.bidirectional, k.proj, batch_sizes_of(k));
    std::vector<Tensor> out = {y, h};
    if (lstm) out.push_back(c);
    return out;
  };
  row.reference = [](const Sample& s) {
    const RnnCase k = case_of(s);
    const bool lstm = is_lstm(k.mode);
    const RefRnn r = ref_run(k, time_major(k, s.inputs[0]), values_of(s.inputs[1]),
                             lstm ? values_of(s.inputs[2]) : std::vector<double>{}, values_of(s.inputs[lstm ? 3 : 2]));
    return ref_outputs(k, r, s.dtype);
  };
  row.tolerance = rnn_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3};  // x, hx, cx (LSTM) or weight, weight (LSTM)
  row.twice_differentiable = false;
  return row;
}

// ---- fused_rnn_backward ------------------------------------------------------------------------------------------
OpTestRow fused_rnn_backward_row() {
  OpTestRow row;
  row.op = "fused_rnn_backward";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const RnnCase& k : all_cases()) {
      if (k.steps * k.batch * k.hidden > 200) continue;  // finite differences of the whole loop per weight
      std::vector<Tensor> inputs = state_inputs(m, k);
      inputs.push_back(flat_weight(m, k));
      const int64_t D = k.bidirectional ? 2 : 1, P = k.layers * D;
      inputs.push_back(k.packed() ? m.make({k.rows(), D * k.state()}) : m.make({k.steps, k.batch, D * k.state()}));
      inputs.push_back(m.make({P, k.batch, k.state()}));
      if (is_lstm(k.mode)) inputs.push_back(m.make({P, k.batch, k.hidden}));
      out.push_back(make_rnn_sample(k, std::move(inputs), dtype, device));
    }
    return out;
  };
  row.run = [](const Sample& s) {
    const RnnCase k = case_of(s);
    const bool lstm = is_lstm(k.mode);
    const size_t w = lstm ? 3 : 2;
    // a training forward leaves the reserve
    Tensor x = s.inputs[0].detach().requires_grad_();
    const Tensor cx = lstm ? s.inputs[2] : Tensor();
    const Tensor batch_sizes = batch_sizes_of(k);
    auto [y, h, c, reserve] = reel::fused_rnn(x, s.inputs[1], cx, s.inputs[w], kModeNames[k.mode], k.layers, k.bias,
                                              k.bidirectional, k.proj, batch_sizes);
    NoGradGuard no_grad;
    auto [dx, dh, dc, dw] = reel::fused_rnn_backward(
        s.inputs[0], s.inputs[1], cx, s.inputs[w], y.detach(), reserve, s.inputs[w + 1], s.inputs[w + 2],
        lstm ? s.inputs[w + 3] : Tensor(), kModeNames[k.mode], k.layers, k.bias, k.bidirectional, k.proj,
        batch_sizes);
    std::vector<Tensor> out = {dx, dh};
    if (lstm) out.push_back(dc);
    out.push_back(dw);
    return out;
  };
  row.reference = [](const Sample& s) {
    const RnnCase k = case_of(s);
    const bool lstm = is_lstm(k.mode);
    const size_t w_index = lstm ? 3 : 2;
    std::vector<std::vector<double>> args = {values_of(s.inputs[0]), values_of(s.inputs[1]),
                                             lstm ? values_of(s.inputs[2]) : std::vector<double>{},
                                             values_of(s.inputs[w_index])};
    const std::vector<double> gy = values_of(s.inputs[w_index + 1]), gh = values_of(s.inputs[w_index + 2]);
    const std::vector<double> gc = lstm ? values_of(s.inputs[w_index + 3]) : std::vector<double>{};
    auto loss = [&]() {
      const RefRnn r = ref_run(k, args[0], args[1], args[2], args[3]);
      double l = 0;
      for (size_t i = 0; i < r.y.size(); ++i) l += gy[i] * r.y[i];
      for (size_t i = 0; i < r.h.size(); ++i) l += gh[i] * r.h[i];
      for (size_t i = 0; i < r.c.size(); ++i) l += gc[i] * r.c[i];
      return l;
    };
    const double eps = 1e-6;
    auto derivative = [&](size_t a) {
      std::vector<double> d(args[a].size());
      for (size_t i = 0; i < d.size(); ++i) {
        const double keep = args[a][i];
        args[a][i] = keep + eps;
        const double up = loss();
        args[a][i] = keep - eps;
        const double down = loss();
        args[a][i] = keep;
        d[i] = (up - down) / (2 * eps);
      }
      return d;
    };
    std::vector<RefTensor> out = {RefTensor(shape_of(s.inputs[0]), derivative(0), s.dtype),
                                  RefTensor(shape_of(s.inputs[1]), derivative(1), s.dtype)};
    if (lstm) out.push_back(RefTensor(shape_of(s.inputs[2]), derivative(2), s.dtype));
    out.push_back(RefTensor(shape_of(s.inputs[w_index]), derivative(3), s.dtype));
    return out;
  };
  // finite differences carry about 1e-9 of absolute error
  row.tolerance = [](ScalarType dtype) {
    return dtype == kFloat64 ? Tolerance{1e-6, 1e-7} : Tolerance{1e-4, 1e-4};
  };
  return row;
}

// ---- lstm / gru / rnn_tanh / rnn_relu ----------------------------------------------------------------------------
OpTestRow public_rnn_row(int mode) {
  OpTestRow row;
  row.op = kModeNames[mode];
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [mode](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    std::vector<RnnCase> cases = cases_for(mode);
    RnnCase batch_first = cases[1];
    batch_first.description += ", batch_first";
    batch_first.batch_first = true;
    batch_first.strided_input = true;
    cases.push_back(batch_first);
    for (const RnnCase& k : cases) {
      std::vector<Tensor> inputs = state_inputs(m, k);
      const double bound = 2.0 / std::sqrt(static_cast<double>(k.hidden));
      for (const Shape& shape : param_shapes(k)) inputs.push_back(m.make(shape, Domain{-bound, bound}));
      out.push_back(make_rnn_sample(k, std::move(inputs), dtype, device));
    }
    return out;
  };
  row.run = [mode](const Sample& s) {
    const RnnCase k = case_of(s);
    const size_t first_param = is_lstm(mode) ? 3 : 2;
    const std::vector<Tensor> params(s.inputs.begin() + static_cast<std::ptrdiff_t>(first_param), s.inputs.end());
    const double dropout = 0.0;  // dropout's values are random: test/test_nn_recurrent.cpp checks it
    switch (mode) {
      case 2: {
        auto [y, h, c] = k.packed() ? reel::lstm(s.inputs[0], batch_sizes_of(k), {s.inputs[1], s.inputs[2]}, params,
                                                 k.bias, k.layers, dropout, true, k.bidirectional)
                                    : reel::lstm(s.inputs[0], {s.inputs[1], s.inputs[2]}, params, k.bias, k.layers,
                                                 dropout, true, k.bidirectional, k.batch_first);
        return std::vector<Tensor>{y, h, c};
      }
      case 3: {
        auto [y, h] = k.packed() ? reel::gru(s.inputs[0], batch_sizes_of(k), s.inputs[1], params, k.bias, k.layers,
                                             dropout, true, k.bidirectional)
                                 : reel::gru(s.inputs[0], s.inputs[1], params, k.bias, k.layers, dropout, true,
                                             k.bidirectional, k.batch_first);
        return std::vector<Tensor>{y, h};
      }
      default: {
        using Dense = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const std::vector<Tensor>&, bool,
                                                      int64_t, double, bool, bool, bool);  // not the packed overload
        if (k.packed()) {
          using Packed = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const Tensor&,
                                                        const std::vector<Tensor>&, bool, int64_t, double, bool, bool);
          const Packed run = mode == 0 ? Packed(&reel::rnn_tanh) : Packed(&reel::rnn_relu);
          auto [y, h] = run(s.inputs[0], batch_sizes_of(k), s.inputs[1], params, k.bias, k.layers, dropout, true,
                            k.bidirectional);
          return std::vector<Tensor>{y, h};
        }
        const Dense run = mode == 0 ? Dense(&reel::rnn_tanh) : Dense(&reel::rnn_relu);
        auto [y, h] = run(s.inputs[0], s.inputs[1], params, k.bias, k.layers, dropout, true, k.bidirectional,
                          k.batch_first);
        return std::vector<Tensor>{y, h};
      }
    }
  };
  row.reference = [mode](const Sample& s) {
    const RnnCase k = case_of(s);
    const bool lstm = is_lstm(mode);
    const RefRnn r = ref_run(k, time_major(k, s.inputs[0]), values_of(s.inputs[1]),
                             lstm ? values_of(s.inputs[2]) : std::vector<double>{}, flat_values(s, lstm ? 3 : 2));
    return ref_outputs(k, r, s.dtype);
  };
  row.tolerance = rnn_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3};  // x, hx and the first params (cx for LSTM)
  row.twice_differentiable = false;
  return row;
}

void add_rnn_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(fused_rnn_row());
  rows.push_back(fused_rnn_backward_row());
  for (int mode = 0; mode < 4; ++mode) rows.push_back(public_rnn_row(mode));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_rnn_rows);

}  // namespace reel::test
