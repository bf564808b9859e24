// reel/test/op_table_rnn_cell.cpp — op-table rows of the fused recurrent cells: _thnn_fused_lstm_cell,
// _thnn_fused_gru_cell, _fused_tree_lstm_cell and their backward primitives.
//
// The references are test/rnn_cell_reference.h's float64 loops over rows; the backward primitives' references are
// central finite differences of those loops for L = <g_h, h> (+ <g_c, c>), an independent check of the closed-form
// gradients the kernels use. Samples cover rows with and without leading dims (N), (N, 1) as automatic batching
// stacks them, one unbatched row, non-contiguous gates and states, no rows at all, absent biases and, for the tree
// node, 0, 2, 3 and 5 children with either side of the gates absent, plus one tiny sample per row small enough for the
// harness's gradgradcheck. Inputs: lstm / gru {input_gates, hidden_gates, cx or hx, input_bias, hidden_bias} (then
// {grad_hy[, grad_cy]} for the backward rows); tree {input_gates, hidden_gates, bias, c_1..c_k} (then {grad_h,
// grad_c}), an absent tensor undefined; Sample::index = k (the tree's children).
#include <catch2/catch.hpp>

#include "test/op_table.h"
#include "test/rnn_cell_reference.h"

namespace reel::test {

namespace {

using rnn_cell_ref::Values;

Values values_of(const Tensor& t) { return t.defined() ? t.to_vector<double>() : Values{}; }
Shape shape_of(const Tensor& t) { return Shape(t.sizes().begin(), t.sizes().end()); }
Shape concat(Shape lead, int64_t last) {
  lead.push_back(last);
  return lead;
}

Tolerance forward_tolerance(ScalarType dtype) {
  if (dtype == kFloat16) return {5e-3, 5e-3};
  if (dtype == kBFloat16) return {3e-2, 3e-2};
  return default_tolerance(dtype);
}
// finite differences carry about 1e-9 of absolute error; 16-bit floats round the workspace they read
Tolerance backward_tolerance(ScalarType dtype) {
  if (dtype == kFloat64) return {1e-6, 1e-7};
  if (dtype == kFloat32) return {1e-4, 1e-4};
  if (dtype == kFloat16) return {2e-2, 2e-2};
  return {8e-2, 8e-2};
}

// ---- LSTM and GRU ------------------------------------------------------------------------------------------------
struct GatedCase {
  std::string description;
  Shape lead;  // the leading dims (rows)
  int64_t hidden;
  bool bias, strided;
};

std::vector<GatedCase> gated_cases() {
  return {{"rows (2), biases", {2}, 2, true, false},
          {"stacked rows (3, 1), no biases", {3, 1}, 2, false, false},
          {"one unbatched row, biases", {}, 3, true, false},
          {"non-contiguous gates and state, biases", {2}, 2, true, true},
          {"no rows (0, G H)", {0}, 2, true, false},
          {"tiny (1, G) for second derivatives", {1}, 1, true, false}};
}

// {input_gates, hidden_gates, state, input_bias, hidden_bias} of a cell with `gates` gates
std::vector<Tensor> gated_inputs(InputMaker& m, const GatedCase& k, int64_t gates) {
  const Layout gate_layout = k.strided ? Layout::Transposed : Layout::Contiguous;
  const Layout state_layout = k.strided ? Layout::Strided : Layout::Contiguous;
  const Shape gate_shape = concat(k.lead, gates * k.hidden);
  std::vector<Tensor> in = {m.make(gate_shape, {}, gate_layout), m.make(gate_shape, {}, gate_layout),
                            m.make(concat(k.lead, k.hidden), {}, state_layout)};
  in.push_back(k.bias ? m.make({gates * k.hidden}) : Tensor());
  in.push_back(k.bias ? m.make({gates * k.hidden}) : Tensor());
  return in;
}

int64_t rows_of(const Tensor& state) { return state.size(-1) == 0 ? 0 : state.numel() / state.size(-1); }

OpTestRow lstm_row() {
  OpTestRow row;
  row.op = "_thnn_fused_lstm_cell";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GatedCase& k : gated_cases()) out.push_back(make_sample(k.description, gated_inputs(m, k, 4), dtype, device));
    return out;
  };
  row.run = [](const Sample& s) {
    auto [hy, cy, workspace] =
        _thnn_fused_lstm_cell(s.inputs[0], s.inputs[1], s.inputs[2], s.inputs[3], s.inputs[4]);
    return std::vector<Tensor>{hy, cy};
  };
  row.reference = [](const Sample& s) {
    const Tensor& cx = s.inputs[2];
    const auto r = rnn_cell_ref::lstm(rows_of(cx), cx.size(-1), values_of(s.inputs[0]), values_of(s.inputs[1]),
                                      values_of(cx), values_of(s.inputs[3]), values_of(s.inputs[4]));
    return std::vector<RefTensor>{{shape_of(cx), r[0], s.dtype}, {shape_of(cx), r[1], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4};
  return row;
}

// inputs {ig, hg, cx, b_ih, b_hh, grad_hy, grad_cy}: one sample without grad_cy, one without grad_hy
OpTestRow lstm_backward_row() {
  OpTestRow row;
  row.op = "_thnn_fused_lstm_cell_backward_impl";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    int index = 0;
    for (const GatedCase& k : gated_cases()) {
      std::vector<Tensor> in = gated_inputs(m, k, 4);
      const Shape state = concat(k.lead, k.hidden);
      in.push_back(index == 1 ? m.make(state) : index == 2 ? Tensor() : m.make(state));
      in.push_back(index == 1 ? Tensor() : m.make(state));
      std::string description = k.description + (index == 1 ? ", no grad_cy" : index == 2 ? ", no grad_hy" : "");
      out.push_back(make_sample(description, std::move(in), dtype, device));
      ++index;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    NoGradGuard no_grad;
    auto [hy, cy, workspace] =
        _thnn_fused_lstm_cell(s.inputs[0], s.inputs[1], s.inputs[2], s.inputs[3], s.inputs[4]);
    const bool has_bias = s.inputs[3].defined();
    auto [grad_gates, grad_cx, grad_bias] =
        _thnn_fused_lstm_cell_backward_impl(s.inputs[5], s.inputs[6], s.inputs[2], cy, workspace, has_bias);
    std::vector<Tensor> out = {grad_gates, grad_cx};
    if (has_bias) out.push_back(grad_bias);
    return out;
  };
  row.reference = [](const Sample& s) {
    const Tensor& cx = s.inputs[2];
    const int64_t rows = rows_of(cx), H = cx.size(-1);
    std::vector<Values> a;
    for (int i = 0; i < 5; ++i) a.push_back(values_of(s.inputs[i]));
    const Values gh = values_of(s.inputs[5]), gc = values_of(s.inputs[6]);
    auto loss = [&] {
      const auto r = rnn_cell_ref::lstm(rows, H, a[0], a[1], a[2], a[3], a[4]);
      return rnn_cell_ref::dot(gh, r[0]) + rnn_cell_ref::dot(gc, r[1]);
    };
    std::vector<RefTensor> out = {{shape_of(s.inputs[0]), rnn_cell_ref::finite_difference(a, 0, loss), s.dtype},
                                  {shape_of(cx), rnn_cell_ref::finite_difference(a, 2, loss), s.dtype}};
    if (!a[3].empty()) out.push_back({shape_of(s.inputs[3]), rnn_cell_ref::finite_difference(a, 3, loss), s.dtype});
    return out;
  };
  row.tolerance = backward_tolerance;
  return row;
}

OpTestRow gru_row() {
  OpTestRow row;
  row.op = "_thnn_fused_gru_cell";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GatedCase& k : gated_cases()) out.push_back(make_sample(k.description, gated_inputs(m, k, 3), dtype, device));
    return out;
  };
  row.run = [](const Sample& s) {
    auto [hy, workspace] = _thnn_fused_gru_cell(s.inputs[0], s.inputs[1], s.inputs[2], s.inputs[3], s.inputs[4]);
    return std::vector<Tensor>{hy};
  };
  row.reference = [](const Sample& s) {
    const Tensor& hx = s.inputs[2];
    const auto r = rnn_cell_ref::gru(rows_of(hx), hx.size(-1), values_of(s.inputs[0]), values_of(s.inputs[1]),
                                     values_of(hx), values_of(s.inputs[3]), values_of(s.inputs[4]));
    return std::vector<RefTensor>{{shape_of(hx), r[0], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4};
  return row;
}

// inputs {ig, hg, hx, b_ih, b_hh, grad_hy}
OpTestRow gru_backward_row() {
  OpTestRow row;
  row.op = "_thnn_fused_gru_cell_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GatedCase& k : gated_cases()) {
      std::vector<Tensor> in = gated_inputs(m, k, 3);
      in.push_back(m.make(concat(k.lead, k.hidden)));
      out.push_back(make_sample(k.description, std::move(in), dtype, device));
    }
    return out;
  };
  row.run = [](const Sample& s) {
    NoGradGuard no_grad;
    auto [hy, workspace] = _thnn_fused_gru_cell(s.inputs[0], s.inputs[1], s.inputs[2], s.inputs[3], s.inputs[4]);
    const bool has_bias = s.inputs[3].defined();
    auto [d_ig, d_hg, d_hx, d_bi, d_bh] = _thnn_fused_gru_cell_backward(s.inputs[5], workspace, has_bias);
    std::vector<Tensor> out = {d_ig, d_hg, d_hx};
    if (has_bias) out.insert(out.end(), {d_bi, d_bh});
    return out;
  };
  row.reference = [](const Sample& s) {
    const Tensor& hx = s.inputs[2];
    const int64_t rows = rows_of(hx), H = hx.size(-1);
    std::vector<Values> a;
    for (int i = 0; i < 5; ++i) a.push_back(values_of(s.inputs[i]));
    const Values gh = values_of(s.inputs[5]);
    auto loss = [&] { return rnn_cell_ref::dot(gh, rnn_cell_ref::gru(rows, H, a[0], a[1], a[2], a[3], a[4])[0]); };
    std::vector<RefTensor> out;
    for (size_t i = 0; i < 5; ++i)
      if (!a[i].empty()) out.push_back({shape_of(s.inputs[i]), rnn_cell_ref::finite_difference(a, i, loss), s.dtype});
    return out;
  };
  row.tolerance = backward_tolerance;
  return row;
}

// ---- tree LSTM -----------------------------------------------------------------------------------------------------
struct TreeCase {
  std::string description;
  Shape lead;
  int64_t hidden;
  int children;
  bool x_side, hidden_side, bias, strided;
};

std::vector<TreeCase> tree_cases() {
  return {{"leaf: x side and bias, rows (2)", {2}, 2, 0, true, false, true, false},
          {"binary: x side, hidden side and bias", {2}, 2, 2, true, true, true, false},
          {"binary without input: hidden side and bias", {2}, 2, 2, false, true, true, false},
          {"binary, hidden side only, stacked rows (2, 1)", {2, 1}, 2, 2, false, true, false, false},
          {"three children, non-contiguous", {2}, 2, 3, true, true, true, true},
          {"binary, one unbatched row", {}, 3, 2, true, true, true, false},
          {"binary, no rows (0, H)", {0}, 2, 2, true, true, true, false},
          {"binary, tiny (1, 1) for second derivatives", {1}, 1, 2, true, true, true, false},
          {"five children, one row", {1}, 1, 5, true, true, true, false}};
}

// {input_gates, hidden_gates, bias, c_1..c_k}
std::vector<Tensor> tree_inputs(InputMaker& m, const TreeCase& k) {
  const Layout gate_layout = k.strided ? Layout::Transposed : Layout::Contiguous;
  const Layout state_layout = k.strided ? Layout::Strided : Layout::Contiguous;
  std::vector<Tensor> in = {k.x_side ? m.make(concat(k.lead, 4 * k.hidden), {}, gate_layout) : Tensor(),
                            k.hidden_side ? m.make(concat(k.lead, (3 + k.children) * k.hidden), {}, gate_layout)
                                          : Tensor(),
                            k.bias ? m.make({4 * k.hidden}) : Tensor()};
  for (int q = 0; q < k.children; ++q) in.push_back(m.make(concat(k.lead, k.hidden), {}, state_layout));
  return in;
}

std::vector<Tensor> children_of(const Sample& s) {
  return std::vector<Tensor>(s.inputs.begin() + 3, s.inputs.begin() + 3 + s.index);
}

// the state shape of a tree sample: the first child's, else the gates' leading dims with H
Shape tree_state_shape(const Sample& s, int64_t hidden) {
  const Tensor& ref = s.inputs[0].defined() ? s.inputs[0] : s.inputs[1];
  Shape shape = shape_of(ref);
  shape.back() = hidden;
  return shape;
}

int64_t tree_hidden(const Sample& s) {
  return s.inputs[0].defined() ? s.inputs[0].size(-1) / 4 : s.inputs[1].size(-1) / (3 + s.index);
}

std::vector<Values> tree_args(const Sample& s) {
  std::vector<Values> a;
  for (int64_t i = 0; i < 3 + s.index; ++i) a.push_back(values_of(s.inputs[static_cast<size_t>(i)]));
  return a;
}

std::vector<Values> tree_ref(const Shape& state, int64_t hidden, const std::vector<Values>& a) {
  const int64_t rows = hidden == 0 ? 0 : numel_of(state) / hidden;
  return rnn_cell_ref::tree(rows, hidden, a[0], a[1], a[2], std::vector<Values>(a.begin() + 3, a.end()));
}

OpTestRow tree_row() {
  OpTestRow row;
  row.op = "_fused_tree_lstm_cell";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const TreeCase& k : tree_cases()) {
      Sample s = make_sample(k.description, tree_inputs(m, k), dtype, device);
      s.index = k.children;
      out.push_back(std::move(s));
    }
    return out;
  };
  row.run = [](const Sample& s) {
    auto [h, c, workspace] = _fused_tree_lstm_cell(s.inputs[0], s.inputs[1], s.inputs[2], children_of(s));
    return std::vector<Tensor>{h, c};
  };
  row.reference = [](const Sample& s) {
    const int64_t hidden = tree_hidden(s);
    const Shape state = tree_state_shape(s, hidden);
    const auto r = tree_ref(state, hidden, tree_args(s));
    return std::vector<RefTensor>{{state, r[0], s.dtype}, {state, r[1], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4, 5, 6, 7};
  return row;
}

// inputs {ig, hg, bias, c_1..c_k, grad_h, grad_c}; one sample without grad_c, one without grad_h
OpTestRow tree_backward_row() {
  OpTestRow row;
  row.op = "_fused_tree_lstm_cell_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    int index = 0;
    for (const TreeCase& k : tree_cases()) {
      std::vector<Tensor> in = tree_inputs(m, k);
      const Shape state = concat(k.lead, k.hidden);
      in.push_back(index == 2 ? Tensor() : m.make(state));
      in.push_back(index == 1 ? Tensor() : m.make(state));
      std::string description = k.description + (index == 1 ? ", no grad_c" : index == 2 ? ", no grad_h" : "");
      Sample s = make_sample(description, std::move(in), dtype, device);
      s.index = k.children;
      out.push_back(std::move(s));
      ++index;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    NoGradGuard no_grad;
    const std::vector<Tensor> children = children_of(s);
    auto [h, c, workspace] = _fused_tree_lstm_cell(s.inputs[0], s.inputs[1], s.inputs[2], children);
    const size_t g = static_cast<size_t>(3 + s.index);
    auto [d_ig, d_hg, d_b, d_children] =
        _fused_tree_lstm_cell_backward(s.inputs[g], s.inputs[g + 1], c, workspace, children, s.inputs[0].defined(),
                                       s.inputs[1].defined(), s.inputs[2].defined());
    std::vector<Tensor> out;
    for (const Tensor& t : {d_ig, d_hg, d_b})
      if (t.defined()) out.push_back(t);
    for (const Tensor& t : d_children) out.push_back(t);
    return out;
  };
  row.reference = [](const Sample& s) {
    const int64_t hidden = tree_hidden(s);
    const Shape state = tree_state_shape(s, hidden);
    std::vector<Values> a = tree_args(s);
    const size_t g = static_cast<size_t>(3 + s.index);
    const Values gh = values_of(s.inputs[g]), gc = values_of(s.inputs[g + 1]);
    auto loss = [&] {
      const auto r = tree_ref(state, hidden, a);
      return rnn_cell_ref::dot(gh, r[0]) + rnn_cell_ref::dot(gc, r[1]);
    };
    std::vector<RefTensor> out;
    for (size_t i = 0; i < a.size(); ++i)
      if (!a[i].empty()) out.push_back({shape_of(s.inputs[i]), rnn_cell_ref::finite_difference(a, i, loss), s.dtype});
    return out;
  };
  row.tolerance = backward_tolerance;
  return row;
}

void add_rnn_cell_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(lstm_row());
  rows.push_back(lstm_backward_row());
  rows.push_back(gru_row());
  rows.push_back(gru_backward_row());
  rows.push_back(tree_row());
  rows.push_back(tree_backward_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_rnn_cell_rows);

}  // namespace reel::test
