// reel/test/op_table_rnn_cell.cpp — op-table rows of the fused recurrent cells: _thnn_fused_lstm_cell,
// _thnn_fused_gru_cell, _fused_tree_lstm_cell and their backward primitives.
//
// The references are test/rnn_cell_reference.h's float64 loops over rows; the backward primitives' references are
// central finite differences of those loops for L = <g_h, h> (+ <g_c, c>), an independent check of the closed-form
// gradients the kernels use. Samples cover rows with and without leading dims (N), (N, 1) as automatic batching
// stacks them, one unbatched row, non-contiguous gates and states, no rows at all, absent biases and, for the tree
// node, 0, 2, 3 and 5 children with either side of the gates absent, plus one tiny sample per row small enough for the
// harness's gradgradcheck. The samples hold only defined tensors: an absent optional one is left out and
// Sample::ints records which are present (GatedView / TreeView below map the inputs back to their roles).
// Inputs: lstm / gru {input_gates, hidden_gates, cx or hx[, input_bias, hidden_bias]} (then [grad_hy][, grad_cy]
// for the backward rows); tree {[input_gates][, hidden_gates][, bias], c_1..c_k} (then [grad_h][, grad_c]),
// Sample::index = k (the tree's children).
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
// The harness's samples hold defined tensors only: an absent bias or incoming gradient is left out of the inputs and
// Sample::ints says which are there ({bias, grad_h, grad_c}).
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

// A gated sample's tensors by role, undefined where absent.
struct GatedView {
  Tensor ig, hg, state, bi, bh, grad_h, grad_c;
};

GatedView gated_view(const Sample& s) {
  GatedView v;
  size_t next = 0;
  auto take = [&](bool present) { return present ? s.inputs[next++] : Tensor(); };
  v.ig = take(true), v.hg = take(true), v.state = take(true);
  v.bi = take(s.ints[0] != 0), v.bh = take(s.ints[0] != 0);
  v.grad_h = take(s.ints[1] != 0), v.grad_c = take(s.ints[2] != 0);
  return v;
}

// {input_gates, hidden_gates, state[, input_bias, hidden_bias][, grad_h][, grad_c]} of a cell with `gates` gates
Sample gated_sample(InputMaker& m, const GatedCase& k, int64_t gates, ScalarType dtype, Device device, bool grad_h,
                    bool grad_c, const std::string& note = "") {
  const Layout gate_layout = k.strided ? Layout::Transposed : Layout::Contiguous;
  const Layout state_layout = k.strided ? Layout::Strided : Layout::Contiguous;
  const Shape gate_shape = concat(k.lead, gates * k.hidden), state = concat(k.lead, k.hidden);
  std::vector<Tensor> in = {m.make(gate_shape, {}, gate_layout), m.make(gate_shape, {}, gate_layout),
                            m.make(state, {}, state_layout)};
  if (k.bias) in.insert(in.end(), {m.make({gates * k.hidden}), m.make({gates * k.hidden})});
  if (grad_h) in.push_back(m.make(state));
  if (grad_c) in.push_back(m.make(state));
  Sample s = make_sample(k.description + note, std::move(in), dtype, device);
  s.ints = {k.bias ? 1 : 0, grad_h ? 1 : 0, grad_c ? 1 : 0};
  return s;
}

int64_t rows_of(const Tensor& state) { return state.size(-1) == 0 ? 0 : state.numel() / state.size(-1); }

OpTestRow lstm_row() {
  OpTestRow row;
  row.op = "_thnn_fused_lstm_cell";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GatedCase& k : gated_cases()) out.push_back(gated_sample(m, k, 4, dtype, device, false, false));
    return out;
  };
  row.run = [](const Sample& s) {
    const GatedView v = gated_view(s);
    auto [hy, cy, workspace] = _thnn_fused_lstm_cell(v.ig, v.hg, v.state, v.bi, v.bh);
    return std::vector<Tensor>{hy, cy};
  };
  row.reference = [](const Sample& s) {
    const GatedView v = gated_view(s);
    const auto r = rnn_cell_ref::lstm(rows_of(v.state), v.state.size(-1), values_of(v.ig), values_of(v.hg),
                                      values_of(v.state), values_of(v.bi), values_of(v.bh));
    return std::vector<RefTensor>{{shape_of(v.state), r[0], s.dtype}, {shape_of(v.state), r[1], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4};
  return row;
}

// one sample without grad_cy, one without grad_hy
OpTestRow lstm_backward_row() {
  OpTestRow row;
  row.op = "_thnn_fused_lstm_cell_backward_impl";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    int index = 0;
    for (const GatedCase& k : gated_cases()) {
      const bool grad_h = index != 2, grad_c = index != 1;
      out.push_back(gated_sample(m, k, 4, dtype, device, grad_h, grad_c,
                                 !grad_c ? ", no grad_cy" : !grad_h ? ", no grad_hy" : ""));
      ++index;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    const GatedView v = gated_view(s);
    NoGradGuard no_grad;
    auto [hy, cy, workspace] = _thnn_fused_lstm_cell(v.ig, v.hg, v.state, v.bi, v.bh);
    const bool has_bias = v.bi.defined();
    auto [grad_gates, grad_cx, grad_bias] =
        _thnn_fused_lstm_cell_backward_impl(v.grad_h, v.grad_c, v.state, cy, workspace, has_bias);
    std::vector<Tensor> out = {grad_gates, grad_cx};
    if (has_bias) out.push_back(grad_bias);
    return out;
  };
  row.reference = [](const Sample& s) {
    const GatedView v = gated_view(s);
    const int64_t rows = rows_of(v.state), H = v.state.size(-1);
    std::vector<Values> a = {values_of(v.ig), values_of(v.hg), values_of(v.state), values_of(v.bi), values_of(v.bh)};
    const Values gh = values_of(v.grad_h), gc = values_of(v.grad_c);
    auto loss = [&] {
      const auto r = rnn_cell_ref::lstm(rows, H, a[0], a[1], a[2], a[3], a[4]);
      return rnn_cell_ref::dot(gh, r[0]) + rnn_cell_ref::dot(gc, r[1]);
    };
    std::vector<RefTensor> out = {{shape_of(v.ig), rnn_cell_ref::finite_difference(a, 0, loss), s.dtype},
                                  {shape_of(v.state), rnn_cell_ref::finite_difference(a, 2, loss), s.dtype}};
    if (v.bi.defined()) out.push_back({shape_of(v.bi), rnn_cell_ref::finite_difference(a, 3, loss), s.dtype});
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
    for (const GatedCase& k : gated_cases()) out.push_back(gated_sample(m, k, 3, dtype, device, false, false));
    return out;
  };
  row.run = [](const Sample& s) {
    const GatedView v = gated_view(s);
    auto [hy, workspace] = _thnn_fused_gru_cell(v.ig, v.hg, v.state, v.bi, v.bh);
    return std::vector<Tensor>{hy};
  };
  row.reference = [](const Sample& s) {
    const GatedView v = gated_view(s);
    const auto r = rnn_cell_ref::gru(rows_of(v.state), v.state.size(-1), values_of(v.ig), values_of(v.hg),
                                     values_of(v.state), values_of(v.bi), values_of(v.bh));
    return std::vector<RefTensor>{{shape_of(v.state), r[0], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4};
  return row;
}

OpTestRow gru_backward_row() {
  OpTestRow row;
  row.op = "_thnn_fused_gru_cell_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GatedCase& k : gated_cases()) out.push_back(gated_sample(m, k, 3, dtype, device, true, false));
    return out;
  };
  row.run = [](const Sample& s) {
    const GatedView v = gated_view(s);
    NoGradGuard no_grad;
    auto [hy, workspace] = _thnn_fused_gru_cell(v.ig, v.hg, v.state, v.bi, v.bh);
    const bool has_bias = v.bi.defined();
    auto [d_ig, d_hg, d_hx, d_bi, d_bh] = _thnn_fused_gru_cell_backward(v.grad_h, workspace, has_bias);
    std::vector<Tensor> out = {d_ig, d_hg, d_hx};
    if (has_bias) out.insert(out.end(), {d_bi, d_bh});
    return out;
  };
  row.reference = [](const Sample& s) {
    const GatedView v = gated_view(s);
    const int64_t rows = rows_of(v.state), H = v.state.size(-1);
    std::vector<Values> a = {values_of(v.ig), values_of(v.hg), values_of(v.state), values_of(v.bi), values_of(v.bh)};
    const Values gh = values_of(v.grad_h);
    auto loss = [&] { return rnn_cell_ref::dot(gh, rnn_cell_ref::gru(rows, H, a[0], a[1], a[2], a[3], a[4])[0]); };
    const Tensor* role[] = {&v.ig, &v.hg, &v.state, &v.bi, &v.bh};
    std::vector<RefTensor> out;
    for (size_t i = 0; i < 5; ++i)
      if (role[i]->defined()) out.push_back({shape_of(*role[i]), rnn_cell_ref::finite_difference(a, i, loss), s.dtype});
    return out;
  };
  row.tolerance = backward_tolerance;
  return row;
}

// ---- tree LSTM -----------------------------------------------------------------------------------------------------
// Sample::ints = {x side, hidden side, bias, grad_h, grad_c} present; Sample::index = k; inputs the present ones of
// {input_gates, hidden_gates, bias}, then c_1..c_k, then the present incoming gradients.
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

struct TreeView {
  Tensor ig, hg, bias, grad_h, grad_c;
  std::vector<Tensor> children;
  Shape state;
  int64_t hidden = 0;
};

TreeView tree_view(const Sample& s) {
  TreeView v;
  size_t next = 0;
  auto take = [&](bool present) { return present ? s.inputs[next++] : Tensor(); };
  v.ig = take(s.ints[0] != 0), v.hg = take(s.ints[1] != 0), v.bias = take(s.ints[2] != 0);
  for (int64_t q = 0; q < s.index; ++q) v.children.push_back(take(true));
  v.grad_h = take(s.ints[3] != 0), v.grad_c = take(s.ints[4] != 0);
  const Tensor& ref = v.ig.defined() ? v.ig : v.hg;
  v.hidden = v.ig.defined() ? v.ig.size(-1) / 4 : v.hg.size(-1) / (3 + s.index);
  v.state = shape_of(ref);
  v.state.back() = v.hidden;
  return v;
}

Sample tree_sample(InputMaker& m, const TreeCase& k, ScalarType dtype, Device device, bool grad_h, bool grad_c,
                   const std::string& note = "") {
  const Layout gate_layout = k.strided ? Layout::Transposed : Layout::Contiguous;
  const Layout state_layout = k.strided ? Layout::Strided : Layout::Contiguous;
  std::vector<Tensor> in;
  if (k.x_side) in.push_back(m.make(concat(k.lead, 4 * k.hidden), {}, gate_layout));
  if (k.hidden_side) in.push_back(m.make(concat(k.lead, (3 + k.children) * k.hidden), {}, gate_layout));
  if (k.bias) in.push_back(m.make({4 * k.hidden}));
  for (int q = 0; q < k.children; ++q) in.push_back(m.make(concat(k.lead, k.hidden), {}, state_layout));
  if (grad_h) in.push_back(m.make(concat(k.lead, k.hidden)));
  if (grad_c) in.push_back(m.make(concat(k.lead, k.hidden)));
  Sample s = make_sample(k.description + note, std::move(in), dtype, device);
  s.index = k.children;
  s.ints = {k.x_side ? 1 : 0, k.hidden_side ? 1 : 0, k.bias ? 1 : 0, grad_h ? 1 : 0, grad_c ? 1 : 0};
  return s;
}

// {ig, hg, bias, c_1..c_k} as flat vectors (empty: absent)
std::vector<Values> tree_args(const TreeView& v) {
  std::vector<Values> a = {values_of(v.ig), values_of(v.hg), values_of(v.bias)};
  for (const Tensor& c : v.children) a.push_back(values_of(c));
  return a;
}

std::vector<Values> tree_ref(const TreeView& v, const std::vector<Values>& a) {
  const int64_t rows = v.hidden == 0 ? 0 : numel_of(v.state) / v.hidden;
  return rnn_cell_ref::tree(rows, v.hidden, a[0], a[1], a[2], std::vector<Values>(a.begin() + 3, a.end()));
}

OpTestRow tree_row() {
  OpTestRow row;
  row.op = "_fused_tree_lstm_cell";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const TreeCase& k : tree_cases()) out.push_back(tree_sample(m, k, dtype, device, false, false));
    return out;
  };
  row.run = [](const Sample& s) {
    const TreeView v = tree_view(s);
    auto [h, c, workspace] = _fused_tree_lstm_cell(v.ig, v.hg, v.bias, v.children);
    return std::vector<Tensor>{h, c};
  };
  row.reference = [](const Sample& s) {
    const TreeView v = tree_view(s);
    const auto r = tree_ref(v, tree_args(v));
    return std::vector<RefTensor>{{v.state, r[0], s.dtype}, {v.state, r[1], s.dtype}};
  };
  row.tolerance = forward_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2, 3, 4, 5, 6, 7};
  return row;
}

// one sample without grad_c, one without grad_h
OpTestRow tree_backward_row() {
  OpTestRow row;
  row.op = "_fused_tree_lstm_cell_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    int index = 0;
    for (const TreeCase& k : tree_cases()) {
      const bool grad_h = index != 2, grad_c = index != 1;
      out.push_back(tree_sample(m, k, dtype, device, grad_h, grad_c,
                                !grad_c ? ", no grad_c" : !grad_h ? ", no grad_h" : ""));
      ++index;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    const TreeView v = tree_view(s);
    NoGradGuard no_grad;
    auto [h, c, workspace] = _fused_tree_lstm_cell(v.ig, v.hg, v.bias, v.children);
    auto [d_ig, d_hg, d_b, d_children] = _fused_tree_lstm_cell_backward(
        v.grad_h, v.grad_c, c, workspace, v.children, v.ig.defined(), v.hg.defined(), v.bias.defined());
    std::vector<Tensor> out;
    for (const Tensor& t : {d_ig, d_hg, d_b})
      if (t.defined()) out.push_back(t);
    for (const Tensor& t : d_children) out.push_back(t);
    return out;
  };
  row.reference = [](const Sample& s) {
    const TreeView v = tree_view(s);
    std::vector<Values> a = tree_args(v);
    const Values gh = values_of(v.grad_h), gc = values_of(v.grad_c);
    auto loss = [&] {
      const auto r = tree_ref(v, a);
      return rnn_cell_ref::dot(gh, r[0]) + rnn_cell_ref::dot(gc, r[1]);
    };
    std::vector<const Tensor*> role = {&v.ig, &v.hg, &v.bias};
    for (const Tensor& c : v.children) role.push_back(&c);
    std::vector<RefTensor> out;
    for (size_t i = 0; i < role.size(); ++i)
      if (role[i]->defined()) out.push_back({shape_of(*role[i]), rnn_cell_ref::finite_difference(a, i, loss), s.dtype});
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
