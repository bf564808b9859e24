// reel/test/test_rnn_cell.cpp — the fused recurrent cells (_thnn_fused_lstm_cell, _thnn_fused_gru_cell,
// _fused_tree_lstm_cell) beyond their op-table rows (test/op_table_rnn_cell.cpp):
//   - every output, the workspace included, equals the composite formula written with reel ops (the arithmetic nn
//     used before the fused ops) to 1e-12 in float64, for (N, G H), (N, 1, G H) and unbatched gates;
//   - gradcheck and gradgradcheck of each op, once with the state outputs only (the fused backward) and once with the
//     workspace too (its gradient takes the composite path); create_graph gradients equal the fused backward's;
//   - the backward primitives with undefined incoming gradients (PyTorch's rules), and a cell whose cy is unused;
//   - nn::LSTMCell, GRUCell and BinaryTreeLSTMCell (leaf, inner node with and without input) give the old composite
//     formulas' values and gradients (every parameter, input and state) to 1e-12 in float64, with one fused node;
//   - misuse throws reel::Error naming the op and the shapes;
//   - [cuda] CUDA equals the CPU for the ops and the modules, forward and backward, float32 / float64 / float16.
#include <reel/reel.h>

#include <catch2/catch.hpp>

#include "test/autograd_test_utils.h"

using namespace reel;
using autograd_test::error_of;
using autograd_test::random_leaf;
using autograd_test::require_close;

namespace {

namespace F = nn::functional;

Tensor randn64(IntList sizes) { return randn(sizes, kFloat64); }

Tensor add_opt(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a + b;
}

// ---- the composite formulas -----------------------------------------------------------------------------------
// (hy, cy, workspace [σ(i) σ(f) tanh(g) σ(o)])
std::vector<Tensor> lstm_composite(const Tensor& ig, const Tensor& hg, const Tensor& cx, const Tensor& bi,
                                   const Tensor& bh) {
  const std::vector<Tensor> g = add_opt(add_opt(ig + hg, bi), bh).chunk(4, -1);
  const Tensor i = sigmoid(g[0]), f = sigmoid(g[1]), u = tanh(g[2]), o = sigmoid(g[3]);
  const Tensor cy = f * cx + i * u;
  return {o * tanh(cy), cy, cat({i, f, u, o}, -1)};
}

// (hy, workspace [r z n hx (h_n + b_hn)])
std::vector<Tensor> gru_composite(const Tensor& ig, const Tensor& hg, const Tensor& hx, const Tensor& bi,
                                  const Tensor& bh) {
  const std::vector<Tensor> x = add_opt(ig, bi).chunk(3, -1), h = add_opt(hg, bh).chunk(3, -1);
  const Tensor r = sigmoid(x[0] + h[0]), z = sigmoid(x[1] + h[1]), n = tanh(x[2] + r * h[2]);
  return {n + z * (hx - n), cat({r, z, n, hx, h[2]}, -1)};
}

// (h, c, workspace [σ(i) σ(f_1..f_k) σ(o) tanh(u)])
std::vector<Tensor> tree_composite(const Tensor& ig, const Tensor& hg, const Tensor& b,
                                   const std::vector<Tensor>& children) {
  const size_t k = children.size();
  std::vector<Tensor> xs(4), hs(3 + k);
  if (ig.defined()) xs = ig.chunk(4, -1);
  if (b.defined()) {
    const std::vector<Tensor> bs = b.chunk(4, -1);
    for (size_t q = 0; q < 4; ++q) xs[q] = add_opt(xs[q], bs[q]);
  }
  if (hg.defined()) hs = hg.chunk(static_cast<int64_t>(3 + k), -1);
  const Tensor i = sigmoid(add_opt(xs[0], hs[0])), o = sigmoid(add_opt(xs[2], hs[1 + k]));
  const Tensor u = tanh(add_opt(xs[3], hs[2 + k]));
  Tensor c = i * u;
  std::vector<Tensor> ws = {i};
  for (size_t q = 0; q < k; ++q) {
    const Tensor f = sigmoid(add_opt(xs[1], hs[1 + q]));
    c = c + f * children[q];
    ws.push_back(f);
  }
  ws.push_back(o);
  ws.push_back(u);
  return {o * tanh(c), c, cat(ws, -1)};
}

std::vector<Tensor> as_vector(const std::tuple<Tensor, Tensor, Tensor>& t) {
  return {std::get<0>(t), std::get<1>(t), std::get<2>(t)};
}
std::vector<Tensor> as_vector(const std::tuple<Tensor, Tensor>& t) { return {std::get<0>(t), std::get<1>(t)}; }

void require_all_close(const std::vector<Tensor>& got, const std::vector<Tensor>& expected, double tol = 1e-12) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i);
    require_close(got[i], expected[i], tol);
  }
}

// Gradients of <w_j, outputs_j> summed over j with respect to `inputs` (create_graph as given).
std::vector<Tensor> weighted_grads(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                                   bool create_graph = false) {
  std::vector<Tensor> weights;
  manual_seed(99);
  for (const Tensor& y : outputs) weights.push_back(randn(y.sizes(), y.options()));
  return autograd::grad(outputs, inputs, weights, /*retain_graph=*/true, create_graph, true);
}

std::vector<Tensor> leaves(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<Tensor> out;
  for (const auto& s : shapes) out.push_back(random_leaf(IntList(s.data(), s.size())));
  return out;
}

}  // namespace

TEST_CASE("fused cells equal the composite formulas in float64, workspace included", "[rnn_cell]") {
  manual_seed(1);
  const int64_t H = 3;
  for (const std::vector<int64_t>& lead : std::vector<std::vector<int64_t>>{{4}, {3, 1}, {}}) {
    auto shape = [&](int64_t last) {
      std::vector<int64_t> s = lead;
      s.push_back(last);
      return randn64(IntList(s.data(), s.size()));
    };
    INFO("leading dims " << lead.size());
    for (bool bias : {true, false}) {
      const Tensor bi = bias ? randn64({4 * H}) : Tensor(), bh = bias ? randn64({4 * H}) : Tensor();
      const Tensor ig = shape(4 * H), hg = shape(4 * H), cx = shape(H);
      require_all_close(as_vector(_thnn_fused_lstm_cell(ig, hg, cx, bi, bh)), lstm_composite(ig, hg, cx, bi, bh));
      const Tensor gi = shape(3 * H), gh = shape(3 * H), hx = shape(H);
      const Tensor gbi = bias ? randn64({3 * H}) : Tensor(), gbh = bias ? randn64({3 * H}) : Tensor();
      require_all_close(as_vector(_thnn_fused_gru_cell(gi, gh, hx, gbi, gbh)), gru_composite(gi, gh, hx, gbi, gbh));
      const Tensor tb = bias ? randn64({4 * H}) : Tensor();
      for (int k : {0, 2, 3}) {
        std::vector<Tensor> children;
        for (int q = 0; q < k; ++q) children.push_back(shape(H));
        const Tensor tx = shape(4 * H), th = shape((3 + k) * H);
        require_all_close(as_vector(_fused_tree_lstm_cell(tx, th, tb, children)), tree_composite(tx, th, tb, children));
        require_all_close(as_vector(_fused_tree_lstm_cell(Tensor(), th, tb, children)),
                          tree_composite(Tensor(), th, tb, children));
        require_all_close(as_vector(_fused_tree_lstm_cell(tx, Tensor(), tb, children)),
                          tree_composite(tx, Tensor(), tb, children));
      }
    }
  }
}

TEST_CASE("fused cells: gradcheck and gradgradcheck, with and without the workspace output", "[rnn_cell][gradcheck]") {
  manual_seed(2);
  // (2, 4H) gates with H = 2
  const std::vector<Tensor> lstm_in = leaves({{2, 8}, {2, 8}, {2, 2}, {8}, {8}});
  for (bool with_workspace : {false, true}) {
    INFO("workspace among the outputs: " << with_workspace);
    auto lstm = [with_workspace](const std::vector<Tensor>& in) {
      std::vector<Tensor> out = as_vector(_thnn_fused_lstm_cell(in[0], in[1], in[2], in[3], in[4]));
      if (!with_workspace) out.pop_back();
      return out;
    };
    REQUIRE_GRADCHECK(lstm, lstm_in);
    REQUIRE(autograd::gradgradcheck(lstm, lstm_in).ok);
    auto gru = [with_workspace](const std::vector<Tensor>& in) {
      std::vector<Tensor> out = as_vector(_thnn_fused_gru_cell(in[0], in[1], in[2], in[3], in[4]));
      if (!with_workspace) out.pop_back();
      return out;
    };
    const std::vector<Tensor> gru_in = leaves({{2, 6}, {2, 6}, {2, 2}, {6}, {6}});
    REQUIRE_GRADCHECK(gru, gru_in);
    REQUIRE(autograd::gradgradcheck(gru, gru_in).ok);
    for (int k : {0, 2}) {
      for (bool x_side : {true, false}) {
        if (k == 0 && !x_side) continue;
        INFO(k << " children, x side " << x_side);
        auto tree = [with_workspace, k, x_side](const std::vector<Tensor>& in) {
          std::vector<Tensor> children(in.begin() + 3, in.end());
          std::vector<Tensor> out = as_vector(
              _fused_tree_lstm_cell(x_side ? in[0] : Tensor(), k > 0 ? in[1] : Tensor(), in[2], children));
          if (!with_workspace) out.pop_back();
          return out;
        };
        std::vector<std::vector<int64_t>> shapes = {{2, 8}, {2, (3 + k) * 2}, {8}};
        for (int q = 0; q < k; ++q) shapes.push_back({2, 2});
        const std::vector<Tensor> tree_in = leaves(shapes);
        REQUIRE_GRADCHECK(tree, tree_in);
        REQUIRE(autograd::gradgradcheck(tree, tree_in).ok);
      }
    }
  }
}

TEST_CASE("fused cells: create_graph gradients equal the fused backward's", "[rnn_cell]") {
  manual_seed(3);
  const std::vector<Tensor> in = leaves({{3, 8}, {3, 8}, {3, 2}, {8}, {8}});
  auto out = as_vector(_thnn_fused_lstm_cell(in[0], in[1], in[2], in[3], in[4]));
  out.pop_back();
  require_all_close(weighted_grads(out, in, true), weighted_grads(out, in, false));
  const std::vector<Tensor> g = leaves({{3, 6}, {3, 6}, {3, 2}, {6}, {6}});
  const std::vector<Tensor> gru_out = {std::get<0>(_thnn_fused_gru_cell(g[0], g[1], g[2], g[3], g[4]))};
  require_all_close(weighted_grads(gru_out, g, true), weighted_grads(gru_out, g, false));
  const std::vector<Tensor> t = leaves({{3, 8}, {3, 10}, {8}, {3, 2}, {3, 2}});
  auto tree_out = as_vector(_fused_tree_lstm_cell(t[0], t[1], t[2], {t[3], t[4]}));
  tree_out.pop_back();
  require_all_close(weighted_grads(tree_out, t, true), weighted_grads(tree_out, t, false));
}

TEST_CASE("fused backward primitives: undefined incoming gradients", "[rnn_cell]") {
  manual_seed(4);
  const Tensor ig = randn64({2, 8}), hg = randn64({2, 8}), cx = randn64({2, 2}), b = randn64({8});
  auto [hy, cy, ws] = _thnn_fused_lstm_cell(ig, hg, cx, b, b);
  // no gradient at all: every result undefined (PyTorch's rule)
  auto [none_g, none_cx, none_b] = _thnn_fused_lstm_cell_backward_impl(Tensor(), Tensor(), cx, cy, ws, true);
  CHECK(!none_g.defined());
  CHECK(!none_cx.defined());
  CHECK(!none_b.defined());
  // one of the two: equals the full backward with zeros for the other
  const Tensor gh = randn64({2, 2}), gc = randn64({2, 2}), zero = zeros({2, 2}, kFloat64);
  for (bool only_h : {true, false}) {
    auto [g1, cx1, b1] = _thnn_fused_lstm_cell_backward_impl(only_h ? gh : Tensor(), only_h ? Tensor() : gc, cx, cy,
                                                             ws, true);
    auto [g2, cx2, b2] =
        _thnn_fused_lstm_cell_backward_impl(only_h ? gh : zero, only_h ? zero : gc, cx, cy, ws, false);
    require_close(g1, g2, 0.0);
    require_close(cx1, cx2, 0.0);
    CHECK(!b2.defined());
    require_close(b1, g2.sum({0}), 1e-15);
  }
  auto [th, tc, tws] = _fused_tree_lstm_cell(ig, hg, b, {cx});  // one child: hidden gates (2, 4 H)
  auto [d_ig, d_hg, d_b, d_children] = _fused_tree_lstm_cell_backward(Tensor(), Tensor(), tc, tws, {cx}, true, true, true);
  CHECK(!d_ig.defined());
  CHECK(!d_hg.defined());
  CHECK(!d_b.defined());
  REQUIRE(d_children.size() == 1);
  CHECK(!d_children[0].defined());
  // only grad_c given: the same as grad_h = 0
  auto only_c = _fused_tree_lstm_cell_backward(Tensor(), gc, tc, tws, {cx}, true, true, true);
  auto zero_h = _fused_tree_lstm_cell_backward(zero, gc, tc, tws, {cx}, true, true, true);
  require_close(std::get<0>(only_c), std::get<0>(zero_h), 0.0);
  require_close(std::get<1>(only_c), std::get<1>(zero_h), 0.0);
  require_close(std::get<3>(only_c)[0], std::get<3>(zero_h)[0], 0.0);
  // through autograd: a cell whose cy is never used gets gradients from hy alone, equal to the composite's
  const std::vector<Tensor> in = leaves({{2, 8}, {2, 8}, {2, 2}, {8}, {8}});
  const Tensor fused_h = std::get<0>(_thnn_fused_lstm_cell(in[0], in[1], in[2], in[3], in[4]));
  const Tensor composite_h = lstm_composite(in[0], in[1], in[2], in[3], in[4])[0];
  require_all_close(weighted_grads({fused_h}, in), weighted_grads({composite_h}, in));
}

TEST_CASE("nn cells equal the old composite formulas in float64, values and gradients", "[rnn_cell][rnn]") {
  manual_seed(5);
  for (bool batched : {true, false}) {
    INFO("batched input: " << batched);
    auto input = [&](int64_t size) { return batched ? random_leaf({3, size}) : random_leaf({size}); };
    {
      nn::LSTMCell cell(4, 3);
      cell->to(kFloat64);
      const Tensor x = input(4), h = input(3), c = input(3);
      auto [hy, cy] = cell(x, nn::LSTMState{h, c});
      CHECK(autograd::grad_fn_name(hy) == "ThnnFusedLstmCellBackward");
      const std::vector<Tensor> old = lstm_composite(F::linear(x, cell->weight_ih, cell->bias_ih),
                                                     F::linear(h, cell->weight_hh, cell->bias_hh), c, {}, {});
      require_close(hy, old[0], 1e-12);
      require_close(cy, old[1], 1e-12);
      const std::vector<Tensor> wrt = {x, h, c, cell->weight_ih, cell->weight_hh, cell->bias_ih, cell->bias_hh};
      require_all_close(weighted_grads({hy, cy}, wrt), weighted_grads({old[0], old[1]}, wrt));
    }
    {
      nn::GRUCell cell(4, 3);
      cell->to(kFloat64);
      const Tensor x = input(4), h = input(3);
      const Tensor hy = cell(x, h);
      CHECK(autograd::grad_fn_name(hy) == "ThnnFusedGruCellBackward");
      const Tensor old = gru_composite(F::linear(x, cell->weight_ih, cell->bias_ih),
                                       F::linear(h, cell->weight_hh, cell->bias_hh), h, {}, {})[0];
      require_close(hy, old, 1e-12);
      const std::vector<Tensor> wrt = {x, h, cell->weight_ih, cell->weight_hh, cell->bias_ih, cell->bias_hh};
      require_all_close(weighted_grads({hy}, wrt), weighted_grads({old}, wrt));
    }
    {
      nn::BinaryTreeLSTMCell cell(4, 3);
      cell->to(kFloat64);
      const Tensor xa = input(4), xb = input(4), xn = input(4);
      auto [ha, ca] = cell(xa);
      auto [hb, cb] = cell(xb);
      CHECK(autograd::grad_fn_name(ha) == "FusedTreeLstmCellBackward");
      // the old leaf: [i f o u] = W x + b; c = σ(i) tanh(u), h = σ(o) tanh(c)
      auto old_leaf = [&](const Tensor& x) {
        const std::vector<Tensor> g = F::linear(x, cell->weight_ih, cell->bias).chunk(4, -1);
        const Tensor c = sigmoid(g[0]) * tanh(g[3]);
        return std::vector<Tensor>{sigmoid(g[2]) * tanh(c), c};
      };
      const std::vector<Tensor> la = old_leaf(xa), lb = old_leaf(xb);
      require_close(ha, la[0], 1e-12);
      require_close(ca, la[1], 1e-12);
      for (bool with_x : {true, false}) {
        INFO("inner node with its own input: " << with_x);
        auto [h, c] = cell(with_x ? xn : Tensor(), nn::LSTMState{ha, ca}, nn::LSTMState{hb, cb});
        // the old inner node, from the old leaves
        const std::vector<Tensor> hg =
            (F::linear(la[0], cell->weight_hh_l) + F::linear(lb[0], cell->weight_hh_r)).chunk(5, -1);
        const Tensor xg = with_x ? F::linear(xn, cell->weight_ih, cell->bias) : cell->bias;
        const std::vector<Tensor> xs = xg.chunk(4, -1);
        const Tensor i = sigmoid(xs[0] + hg[0]), fl = sigmoid(xs[1] + hg[1]), fr = sigmoid(xs[1] + hg[2]);
        const Tensor o = sigmoid(xs[2] + hg[3]), u = tanh(xs[3] + hg[4]);
        const Tensor old_c = i * u + fl * la[1] + fr * lb[1];
        const Tensor old_h = o * tanh(old_c);
        require_close(h, old_h, 1e-12);
        require_close(c, old_c, 1e-12);
        std::vector<Tensor> wrt = {xa, xb, cell->weight_ih, cell->weight_hh_l, cell->weight_hh_r, cell->bias};
        if (with_x) wrt.push_back(xn);
        require_all_close(weighted_grads({h, c}, wrt), weighted_grads({old_h, old_c}, wrt));
      }
    }
  }
}

TEST_CASE("fused cells refuse misuse with the op's name and the shapes", "[rnn_cell][errors]") {
  const Tensor g = zeros({2, 8}), c = zeros({2, 2});
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(zeros({2, 7}), zeros({2, 7}), c); }),
             Catch::Contains("_thnn_fused_lstm_cell") && Catch::Contains("input_gates") && Catch::Contains("[2, 7]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(g, zeros({2, 4}), c); }),
             Catch::Contains("hidden_gates") && Catch::Contains("[2, 4]") && Catch::Contains("[2, 8]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(g, g, zeros({3, 2})); }),
             Catch::Contains("cx") && Catch::Contains("[3, 2]") && Catch::Contains("[2, 2]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(g, g, c, zeros({6})); }),
             Catch::Contains("input_bias") && Catch::Contains("[6]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(g, g, c.to(kFloat64)); }),
             Catch::Contains("cx") && Catch::Contains("float64"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(g.to(kInt64), g.to(kInt64), c.to(kInt64)); }),
             Catch::Contains("floating-point"));
  CHECK_THAT(error_of([&] { _thnn_fused_gru_cell(zeros({4}), zeros({4}), zeros({1})); }),
             Catch::Contains("_thnn_fused_gru_cell") && Catch::Contains("[4]"));
  CHECK_THAT(error_of([&] { _thnn_fused_gru_cell_backward(zeros({2, 2}), zeros({2, 9}), true); }),
             Catch::Contains("_thnn_fused_gru_cell_backward") && Catch::Contains("[2, 9]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell_backward_impl(zeros({2, 3}), Tensor(), c, c, g, false); }),
             Catch::Contains("grad_hy") && Catch::Contains("[2, 3]"));
  const std::vector<Tensor> six(6, c);
  CHECK_THAT(error_of([&] { _fused_tree_lstm_cell(g, Tensor(), Tensor(), six); }),
             Catch::Contains("_fused_tree_lstm_cell") && Catch::Contains("at most 5 children"));
  CHECK_THAT(error_of([&] { _fused_tree_lstm_cell(Tensor(), Tensor(), zeros({8}), {c, c}); }),
             Catch::Contains("got neither"));
  CHECK_THAT(error_of([&] { _fused_tree_lstm_cell(g, zeros({2, 8}), Tensor(), {c, c}); }),
             Catch::Contains("hidden_gates") && Catch::Contains("[2, 10]") && Catch::Contains("[2, 8]"));
  CHECK_THAT(error_of([&] { _fused_tree_lstm_cell(g, Tensor(), Tensor(), {c, zeros({2, 3})}); }),
             Catch::Contains("children_c[1]") && Catch::Contains("[2, 3]"));
  CHECK_THAT(error_of([&] { _thnn_fused_lstm_cell(zeros({}), zeros({}), zeros({})); }),
             Catch::Contains("0-dim"));
}

TEST_CASE("fused cells on CUDA equal the CPU, forward and backward", "[rnn_cell][cuda]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: fused cell CUDA test skipped");
    return;
  }
  const Device gpu(kCUDA);
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    const double tol = dtype == kFloat16 ? 1e-2 : dtype == kFloat32 ? 1e-5 : 1e-12;
    manual_seed(6);
    // a batch of stacked rows (N, 1, G H), as automatic batching makes them
    auto make = [&](IntList sizes) { return (randn(sizes, kFloat64) * 0.7).to(dtype).detach().requires_grad_(); };
    const std::vector<Tensor> lstm_cpu = {make({5, 1, 16}), make({5, 1, 16}), make({5, 1, 4}), make({16}), make({16})};
    const std::vector<Tensor> gru_cpu = {make({5, 1, 12}), make({5, 1, 12}), make({5, 1, 4}), make({12}), make({12})};
    const std::vector<Tensor> tree_cpu = {make({5, 1, 16}), make({5, 1, 20}), make({16}), make({5, 1, 4}),
                                          make({5, 1, 4})};
    auto to_gpu = [&](const std::vector<Tensor>& in) {
      std::vector<Tensor> out;
      for (const Tensor& t : in) out.push_back(t.detach().to(gpu).requires_grad_());
      return out;
    };
    auto run_lstm = [](const std::vector<Tensor>& in) {
      auto out = as_vector(_thnn_fused_lstm_cell(in[0], in[1], in[2], in[3], in[4]));
      out.pop_back();
      return out;
    };
    auto run_gru = [](const std::vector<Tensor>& in) {
      return std::vector<Tensor>{std::get<0>(_thnn_fused_gru_cell(in[0], in[1], in[2], in[3], in[4]))};
    };
    auto run_tree = [](const std::vector<Tensor>& in) {
      auto out = as_vector(_fused_tree_lstm_cell(in[0], in[1], in[2], {in[3], in[4]}));
      out.pop_back();
      return out;
    };
    auto compare = [&](auto run, const std::vector<Tensor>& cpu_in) {
      const std::vector<Tensor> gpu_in = to_gpu(cpu_in);
      const std::vector<Tensor> cpu_out = run(cpu_in), gpu_out = run(gpu_in);
      for (size_t i = 0; i < cpu_out.size(); ++i) {
        CHECK(gpu_out[i].device() == gpu);
        require_close(gpu_out[i].cpu().to(kFloat64), cpu_out[i].to(kFloat64), tol);
      }
      std::vector<Tensor> cpu_w, gpu_w;
      for (const Tensor& y : cpu_out) {
        cpu_w.push_back(randn(y.sizes(), kFloat64).to(dtype));
        gpu_w.push_back(cpu_w.back().to(gpu));
      }
      const std::vector<Tensor> cpu_g = autograd::grad(cpu_out, cpu_in, cpu_w);
      const std::vector<Tensor> gpu_g = autograd::grad(gpu_out, gpu_in, gpu_w);
      for (size_t i = 0; i < cpu_g.size(); ++i) {
        INFO("gradient of input " << i);
        require_close(gpu_g[i].cpu().to(kFloat64), cpu_g[i].to(kFloat64), tol * 4);
      }
    };
    compare(run_lstm, lstm_cpu);
    compare(run_gru, gru_cpu);
    compare(run_tree, tree_cpu);
  }
  // the modules, float32
  manual_seed(7);
  nn::BinaryTreeLSTMCell cpu_cell(6, 4), gpu_cell(6, 4);
  gpu_cell->load_state_dict(cpu_cell->state_dict());
  gpu_cell->to(gpu);
  const Tensor xa = randn({3, 6}), xb = randn({3, 6});
  auto [ha, ca] = cpu_cell(xa);
  auto [hb, cb] = cpu_cell(xb);
  auto [h, c] = cpu_cell(Tensor(), nn::LSTMState{ha, ca}, nn::LSTMState{hb, cb});
  auto [gha, gca] = gpu_cell(xa.to(gpu));
  auto [ghb, gcb] = gpu_cell(xb.to(gpu));
  auto [gh, gc] = gpu_cell(Tensor(), nn::LSTMState{gha, gca}, nn::LSTMState{ghb, gcb});
  require_close(gh.cpu(), h, 1e-5);
  require_close(gc.cpu(), c, 1e-5);
  (h.sum() + c.sum()).backward();
  (gh.sum() + gc.sum()).backward();
  require_close(gpu_cell->weight_hh_l.grad().cpu(), cpu_cell->weight_hh_l.grad(), 1e-4);
  require_close(gpu_cell->bias.grad().cpu(), cpu_cell->bias.grad(), 1e-4);
}

// The CPU's float32 route (vectorised sigmoid / tanh over gate blocks, tanh(c) precomputed for the backward) against
// the float64 route on the same values: every output and gradient to float32 rounding.
TEST_CASE("fused cells: the float32 route equals the float64 one to float32 rounding", "[rnn_cell]") {
  manual_seed(7);
  const int64_t H = 37;  // not a multiple of a vector width
  auto close32 = [](const Tensor& got32, const Tensor& want64) {
    REQUIRE(got32.defined() == want64.defined());
    if (!got32.defined()) return;
    const double scale = 1 + want64.abs().max().item<double>();
    CHECK((got32.to(kFloat64) - want64).abs().max().item<double>() <= 2e-6 * scale);
  };
  for (int64_t rows : {1, 5, 300}) {
    INFO("rows " << rows);
    const Tensor ig = randn({rows, 1, 4 * H}, kFloat64) * 3, hg = randn({rows, 1, 4 * H}, kFloat64) * 3;
    const Tensor cx = randn({rows, 1, H}, kFloat64), bi = randn({4 * H}, kFloat64), bh = randn({4 * H}, kFloat64);
    auto f32 = [](const Tensor& t) { return t.defined() ? t.to(kFloat32) : t; };
    const auto [hy, cy, ws] = _thnn_fused_lstm_cell(ig, hg, cx, bi, bh);
    const auto [hy32, cy32, ws32] = _thnn_fused_lstm_cell(f32(ig), f32(hg), f32(cx), f32(bi), f32(bh));
    close32(hy32, hy), close32(cy32, cy), close32(ws32, ws);
    const Tensor dh = randn({rows, 1, H}, kFloat64), dc = randn({rows, 1, H}, kFloat64);
    const auto [dg, dcx, db] = _thnn_fused_lstm_cell_backward_impl(dh, dc, cx, cy, ws, true);
    const auto [dg32, dcx32, db32] =
        _thnn_fused_lstm_cell_backward_impl(f32(dh), f32(dc), f32(cx), f32(cy), f32(ws), true);
    close32(dg32, dg), close32(dcx32, dcx), close32(db32, db);
    const Tensor gi = randn({rows, 1, 3 * H}, kFloat64) * 3, gh = randn({rows, 1, 3 * H}, kFloat64) * 3;
    const Tensor gb = randn({3 * H}, kFloat64), gbh = randn({3 * H}, kFloat64);
    const auto [ghy, gws] = _thnn_fused_gru_cell(gi, gh, cx, gb, gbh);
    const auto [ghy32, gws32] = _thnn_fused_gru_cell(f32(gi), f32(gh), f32(cx), f32(gb), f32(gbh));
    close32(ghy32, ghy), close32(gws32, gws);
    for (int k : {0, 2}) {
      INFO("children " << k);
      std::vector<Tensor> children, children32;
      for (int q = 0; q < k; ++q) {
        children.push_back(randn({rows, 1, H}, kFloat64));
        children32.push_back(f32(children.back()));
      }
      const Tensor tx = randn({rows, 1, 4 * H}, kFloat64) * 3, th = randn({rows, 1, (3 + k) * H}, kFloat64) * 3;
      const Tensor tb = randn({4 * H}, kFloat64);
      const auto [h, c, w] = _fused_tree_lstm_cell(tx, th, tb, children);
      const auto [h32, c32, w32] = _fused_tree_lstm_cell(f32(tx), f32(th), f32(tb), children32);
      close32(h32, h), close32(c32, c), close32(w32, w);
      const auto [dx, dhid, dbias, dchildren] = _fused_tree_lstm_cell_backward(dh, dc, c, w, children, true, true, true);
      const auto [dx32, dhid32, dbias32, dchildren32] =
          _fused_tree_lstm_cell_backward(f32(dh), f32(dc), f32(c), f32(w), children32, true, true, true);
      close32(dx32, dx), close32(dhid32, dhid), close32(dbias32, dbias);
      for (int q = 0; q < k; ++q) close32(dchildren32[static_cast<size_t>(q)], dchildren[static_cast<size_t>(q)]);
    }
  }
}
