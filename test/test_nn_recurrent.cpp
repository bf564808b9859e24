// reel/test/test_nn_recurrent.cpp — the recurrent layers: RNNCell, LSTMCell, GRUCell, BinaryTreeLSTMCell and
// ChildSumTreeLSTMCell against naive float64 references written here with loops over explicit weights; multi-step
// RNN / LSTM / GRU against stepping the matching cell by hand (layers, bidirectional, batch_first, dropout in eval);
// shapes, PyTorch's parameter names, initial ranges and printing; gradcheck (float64) and errors that name the module.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace nn = reel::nn;
using reel::Tensor;

namespace {

using Values = std::vector<double>;

Values values(const Tensor& t) { return t.contiguous().to_vector<double>(); }
Tensor randn64(reel::IntList shape) { return reel::randn(shape, reel::kFloat64); }

void check_close(const Tensor& actual, reel::IntList shape, const Values& expected, double tol = 1e-10) {
  REQUIRE(actual.sizes() == shape);
  const Values got = values(actual);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    CHECK(std::fabs(got[i] - expected[i]) <= tol * (1 + std::fabs(expected[i])));
  }
}

void check_same(const Tensor& actual, const Tensor& expected) { check_close(actual, expected.sizes(), values(expected)); }

void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs) {
  const auto result = reel::autograd::gradcheck(fn, inputs);
  INFO(result.message);
  REQUIRE(result.ok);
}

double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// y[r] = Σ_c W[r, c] x[c] (+ b[r]); W row-major rows x x.size()
Values affine(const Values& w, const Values& x, const Values& b) {
  const size_t rows = w.size() / (x.empty() ? 1 : x.size());
  Values y(x.empty() ? b.size() : rows, 0.0);
  for (size_t r = 0; r < y.size(); ++r) {
    for (size_t c = 0; c < x.size(); ++c) y[r] += w[r * x.size() + c] * x[c];
    if (!b.empty()) y[r] += b[r];
  }
  return y;
}

// Row n of a (N, F) tensor's values.
Values row(const Values& v, size_t n, size_t features) {
  return Values(v.begin() + static_cast<long>(n * features), v.begin() + static_cast<long>((n + 1) * features));
}

}  // namespace

TEST_CASE("RNNCell matches a naive reference with tanh and relu", "[rnn]") {
  reel::manual_seed(1);
  for (const std::string act : {"tanh", "relu"}) {
    for (bool bias : {true, false}) {
      nn::RNNCell cell(3, 4, bias, act);
      cell->to(reel::kFloat64);
      const Tensor x = randn64({2, 3}), h = randn64({2, 4});
      const Values wih = values(cell->weight_ih), whh = values(cell->weight_hh);
      const Values bih = bias ? values(cell->bias_ih) : Values{}, bhh = bias ? values(cell->bias_hh) : Values{};
      Values expected;
      for (size_t n = 0; n < 2; ++n) {
        const Values a = affine(wih, row(values(x), n, 3), bih), b = affine(whh, row(values(h), n, 4), bhh);
        for (size_t j = 0; j < 4; ++j) {
          const double pre = a[j] + b[j];
          expected.push_back(act == "tanh" ? std::tanh(pre) : std::max(pre, 0.0));
        }
      }
      check_close(cell(x, h), {2, 4}, expected);
      // unbatched input gives row 0; no state means zeros
      check_close(cell(x[0], h[0]), {4}, row(expected, 0, 4));
      check_same(cell(x), cell(x, reel::zeros({2, 4}, reel::kFloat64)));
    }
  }
}

TEST_CASE("LSTMCell matches a naive reference with gate order i f g o", "[rnn]") {
  reel::manual_seed(2);
  nn::LSTMCell cell(3, 2);
  cell->to(reel::kFloat64);
  const Tensor x = randn64({2, 3}), h = randn64({2, 2}), c = randn64({2, 2});
  const Values wih = values(cell->weight_ih), whh = values(cell->weight_hh), bih = values(cell->bias_ih),
               bhh = values(cell->bias_hh);
  Values eh, ec;
  for (size_t n = 0; n < 2; ++n) {
    const Values a = affine(wih, row(values(x), n, 3), bih), b = affine(whh, row(values(h), n, 2), bhh);
    for (size_t j = 0; j < 2; ++j) {
      const double i = sigm(a[j] + b[j]), f = sigm(a[2 + j] + b[2 + j]), g = std::tanh(a[4 + j] + b[4 + j]),
                   o = sigm(a[6 + j] + b[6 + j]);
      const double cn = f * values(c)[n * 2 + j] + i * g;
      ec.push_back(cn);
      eh.push_back(o * std::tanh(cn));
    }
  }
  auto [h1, c1] = cell(x, nn::LSTMState{h, c});
  check_close(h1, {2, 2}, eh);
  check_close(c1, {2, 2}, ec);
  auto [hu, cu] = cell(x[1], nn::LSTMState{h[1], c[1]});
  check_close(hu, {2}, row(eh, 1, 2));
  check_close(cu, {2}, row(ec, 1, 2));
}

TEST_CASE("GRUCell matches a naive reference with PyTorch's n gate", "[rnn]") {
  reel::manual_seed(3);
  nn::GRUCell cell(3, 2);
  cell->to(reel::kFloat64);
  const Tensor x = randn64({2, 3}), h = randn64({2, 2});
  const Values wih = values(cell->weight_ih), whh = values(cell->weight_hh), bih = values(cell->bias_ih),
               bhh = values(cell->bias_hh);
  Values expected;
  for (size_t n = 0; n < 2; ++n) {
    const Values a = affine(wih, row(values(x), n, 3), bih), b = affine(whh, row(values(h), n, 2), bhh);
    for (size_t j = 0; j < 2; ++j) {
      const double r = sigm(a[j] + b[j]), z = sigm(a[2 + j] + b[2 + j]);
      const double nn_ = std::tanh(a[4 + j] + r * b[4 + j]);  // r multiplies W_hn h + b_hn
      expected.push_back((1 - z) * nn_ + z * values(h)[n * 2 + j]);
    }
  }
  check_close(cell(x, h), {2, 2}, expected);
  check_close(cell(x[0], h[0]), {2}, row(expected, 0, 2));
}

namespace {

// Steps an LSTMCell (GRUCell when gru) over x (T, N, in) time-major with the weights of `layer`'s parameters:
// returns (output (T, N, D * hidden), h_n, c_n) as the multi-step layer should.
struct Reference {
  Tensor output, h_n, c_n;
};

Reference step_by_hand(nn::RNNBaseImpl& layer, const Tensor& x, bool gru) {
  const auto& o = layer.options;
  const int64_t directions = o.bidirectional() ? 2 : 1, steps = x.size(0), batch = x.size(1), hidden = o.hidden_size();
  Tensor input = x;
  std::vector<Tensor> hs, cs;
  for (int64_t l = 0; l < o.num_layers(); ++l) {
    std::vector<Tensor> outs;
    for (int64_t d = 0; d < directions; ++d) {
      const auto& w = layer.all_weights[static_cast<size_t>(l * directions + d)];
      const nn::NamedTensors state = {{"weight_ih", w[0]}, {"weight_hh", w[1]}, {"bias_ih", w[2]}, {"bias_hh", w[3]}};
      nn::LSTMCell lstm_cell(input.size(2), hidden);
      nn::GRUCell gru_cell(input.size(2), hidden);
      lstm_cell->to(reel::kFloat64);
      gru_cell->to(reel::kFloat64);
      if (gru) gru_cell->load_state_dict(state); else lstm_cell->load_state_dict(state);
      Tensor h = reel::zeros({batch, hidden}, reel::kFloat64), c = reel::zeros({batch, hidden}, reel::kFloat64);
      std::vector<Tensor> out(static_cast<size_t>(steps));
      for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = d == 0 ? s : steps - 1 - s;
        if (gru) h = gru_cell(input[t], h);
        else std::tie(h, c) = lstm_cell(input[t], nn::LSTMState{h, c});
        out[static_cast<size_t>(t)] = h;
      }
      outs.push_back(reel::stack(out, 0));
      hs.push_back(h);
      cs.push_back(c);
    }
    input = reel::cat(outs, 2);
  }
  return {input, reel::stack(hs, 0), reel::stack(cs, 0)};
}

}  // namespace

TEST_CASE("LSTM equals stepping LSTMCell by hand", "[rnn]") {
  reel::manual_seed(4);
  struct Case {
    int64_t layers;
    bool bidirectional, batch_first;
  };
  for (const Case k : {Case{1, false, false}, Case{2, false, false}, Case{1, true, false}, Case{2, true, true}}) {
    INFO("layers " << k.layers << " bidirectional " << k.bidirectional << " batch_first " << k.batch_first);
    nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(k.layers).bidirectional(k.bidirectional).batch_first(k.batch_first));
    lstm->to(reel::kFloat64);
    const Tensor x = randn64({5, 2, 3});  // (T, N, in)
    const Reference ref = step_by_hand(*lstm, x, false);
    auto [output, state] = lstm(k.batch_first ? x.transpose(0, 1).contiguous() : x);
    check_same(k.batch_first ? output.transpose(0, 1) : output, ref.output);
    check_same(std::get<0>(state), ref.h_n);
    check_same(std::get<1>(state), ref.c_n);
  }
}

TEST_CASE("GRU equals stepping GRUCell by hand and eval turns dropout off", "[rnn]") {
  reel::manual_seed(5);
  nn::GRU gru(nn::GRUOptions(3, 4).num_layers(2).bidirectional(true).dropout(0.5));
  gru->to(reel::kFloat64);
  const Tensor x = randn64({4, 2, 3});
  gru->eval();
  const Reference ref = step_by_hand(*gru, x, true);
  auto [output, h_n] = gru(x);
  check_same(output, ref.output);
  check_same(h_n, ref.h_n);
  gru->train();
  auto [dropped, h_dropped] = gru(x);
  CHECK(values(dropped) != values(ref.output));
}

TEST_CASE("RNN relu equals stepping RNNCell by hand", "[rnn]") {
  reel::manual_seed(6);
  nn::RNN rnn(nn::RNNOptions(3, 4).nonlinearity("relu").bias(false));
  rnn->to(reel::kFloat64);
  nn::RNNCell cell(3, 4, false, "relu");
  cell->to(reel::kFloat64);
  cell->load_state_dict({{"weight_ih", rnn->all_weights[0][0]}, {"weight_hh", rnn->all_weights[0][1]}});
  const Tensor x = randn64({3, 2, 3}), h0 = randn64({1, 2, 4});
  Tensor h = h0[0];
  std::vector<Tensor> out;
  for (int64_t t = 0; t < 3; ++t) out.push_back(h = cell(x[t], h));
  auto [output, h_n] = rnn(x, h0);
  check_same(output, reel::stack(out, 0));
  check_same(h_n, h.unsqueeze(0));
}

TEST_CASE("Multi-step layers give PyTorch's shapes and parameter names", "[rnn]") {
  reel::manual_seed(7);
  nn::LSTM lstm(nn::LSTMOptions(5, 7).num_layers(3).bidirectional(true));
  auto [out, state] = lstm(reel::randn({4, 2, 5}));
  CHECK(out.sizes() == reel::IntList({4, 2, 14}));
  CHECK(std::get<0>(state).sizes() == reel::IntList({6, 2, 7}));
  CHECK(std::get<1>(state).sizes() == reel::IntList({6, 2, 7}));
  auto [out_u, state_u] = lstm(reel::randn({4, 5}));  // unbatched
  CHECK(out_u.sizes() == reel::IntList({4, 14}));
  CHECK(std::get<0>(state_u).sizes() == reel::IntList({6, 7}));

  nn::GRU gru(nn::GRUOptions(5, 7).batch_first(true));
  auto [out_g, h_g] = gru(reel::randn({2, 4, 5}), reel::zeros({1, 2, 7}));
  CHECK(out_g.sizes() == reel::IntList({2, 4, 7}));
  CHECK(h_g.sizes() == reel::IntList({1, 2, 7}));

  nn::LSTM two(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
  std::vector<std::string> names;
  for (const auto& [name, p] : two->named_parameters()) names.push_back(name);
  const std::vector<std::string> expected = {
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  CHECK(names == expected);
  CHECK(two->all_weights[2][0].sizes() == reel::IntList({16, 8}));  // weight_ih_l1: (4 hidden, 2 hidden)
  for (const Tensor& p : two->parameters()) {
    const Values v = values(p);
    for (double e : v) CHECK(std::fabs(e) <= 0.5 + 1e-7);  // U(+-1/sqrt(4))
  }
}

TEST_CASE("Recurrent modules print as PyTorch does", "[rnn]") {
  CHECK(nn::LSTM(nn::LSTMOptions(10, 20).num_layers(2).batch_first(true))->str() ==
        "LSTM(10, 20, num_layers=2, batch_first=True)");
  CHECK(nn::GRU(nn::GRUOptions(3, 4).bias(false).dropout(0.5).bidirectional(true))->str() ==
        "GRU(3, 4, bias=False, dropout=0.5, bidirectional=True)");
  CHECK(nn::RNN(3, 4)->str() == "RNN(3, 4)");
  CHECK(nn::RNNCell(3, 4, false, "relu")->str() == "RNNCell(3, 4, bias=False, nonlinearity=relu)");
  CHECK(nn::LSTMCell(3, 4)->str() == "LSTMCell(3, 4)");
  CHECK(nn::GRUCell(3, 4)->str() == "GRUCell(3, 4)");
  CHECK(nn::BinaryTreeLSTMCell(3, 4)->str() == "BinaryTreeLSTMCell(3, 4)");
  CHECK(nn::ChildSumTreeLSTMCell(3, 4, false)->str() == "ChildSumTreeLSTMCell(3, 4, bias=False)");
}

TEST_CASE("BinaryTreeLSTMCell matches a naive reference", "[rnn]") {
  reel::manual_seed(8);
  const size_t H = 2, I = 3;
  nn::BinaryTreeLSTMCell cell(3, 2);
  cell->to(reel::kFloat64);
  const Values wih = values(cell->weight_ih), ul = values(cell->weight_hh_l), ur = values(cell->weight_hh_r),
               b = values(cell->bias);
  const Tensor xa = randn64({I}), xb = randn64({I}), xn = randn64({I});
  // leaves: [i f o u] = W x + b; c = σ(i) tanh(u); h = σ(o) tanh(c)
  auto leaf = [&](const Tensor& x) {
    const Values g = affine(wih, values(x), b);
    Values h(H), c(H);
    for (size_t j = 0; j < H; ++j) c[j] = sigm(g[j]) * std::tanh(g[3 * H + j]), h[j] = sigm(g[2 * H + j]) * std::tanh(c[j]);
    return std::pair{h, c};
  };
  const auto [ha, ca] = leaf(xa);
  const auto [hb, cb] = leaf(xb);
  auto la = cell(xa), lb = cell(xb);
  check_close(std::get<0>(la), {2}, ha);
  check_close(std::get<1>(la), {2}, ca);
  // inner node with and without its own x
  for (bool with_x : {true, false}) {
    const Values gx = with_x ? affine(wih, values(xn), b) : b;
    const Values gl = affine(ul, ha, {}), gr = affine(ur, hb, {});
    Values eh(H), ec(H);
    for (size_t j = 0; j < H; ++j) {
      auto pre = [&](size_t x_block, size_t h_block) { return gx[x_block * H + j] + gl[h_block * H + j] + gr[h_block * H + j]; };
      const double i = sigm(pre(0, 0)), fl = sigm(pre(1, 1)), fr = sigm(pre(1, 2)), o = sigm(pre(2, 3)),
                   u = std::tanh(pre(3, 4));
      ec[j] = i * u + fl * ca[j] + fr * cb[j];
      eh[j] = o * std::tanh(ec[j]);
    }
    auto [h, c] = cell(with_x ? xn : Tensor(), la, lb);
    check_close(h, {2}, eh);
    check_close(c, {2}, ec);
  }
  // batched rows agree with unbatched
  auto [hb2, cb2] = cell(reel::stack({xa, xb}, 0));
  check_same(hb2[1], std::get<0>(lb));
}

TEST_CASE("ChildSumTreeLSTMCell matches a naive reference with 0 1 and 3 children", "[rnn]") {
  reel::manual_seed(9);
  const size_t H = 2, I = 3;
  nn::ChildSumTreeLSTMCell cell(3, 2);
  cell->to(reel::kFloat64);
  const Values wih = values(cell->weight_ih), whh = values(cell->weight_hh), wfh = values(cell->weight_fh),
               b = values(cell->bias);
  for (int k : {0, 1, 3}) {
    INFO("children " << k);
    const Tensor x = randn64({2, I});
    std::vector<nn::LSTMState> children;
    for (int c = 0; c < k; ++c) children.push_back({randn64({2, H}), randn64({2, H})});
    auto [h, c] = cell(x, children);
    Values eh, ec;
    for (size_t n = 0; n < 2; ++n) {
      const Values gx = affine(wih, row(values(x), n, I), b);
      Values hsum(H, 0.0);
      for (const auto& ch : children)
        for (size_t j = 0; j < H; ++j) hsum[j] += values(std::get<0>(ch))[n * H + j];
      const Values gh = affine(whh, hsum, {});
      for (size_t j = 0; j < H; ++j) {
        const double i = sigm(gx[j] + gh[j]), o = sigm(gx[H + j] + gh[H + j]), u = std::tanh(gx[2 * H + j] + gh[2 * H + j]);
        double cj = i * u;
        for (const auto& ch : children) {
          const Values gf = affine(wfh, row(values(std::get<0>(ch)), n, H), {});
          cj += sigm(gx[3 * H + j] + gf[j]) * values(std::get<1>(ch))[n * H + j];
        }
        ec.push_back(cj);
        eh.push_back(o * std::tanh(cj));
      }
    }
    check_close(h, {2, 2}, eh);
    check_close(c, {2, 2}, ec);
  }
}

TEST_CASE("Recurrent cells and layers pass gradcheck", "[rnn]") {
  reel::manual_seed(10);
  auto leaf = [](reel::IntList s) { return randn64(s).requires_grad_(); };
  nn::LSTMCell lstm_cell(2, 2);
  lstm_cell->to(reel::kFloat64);
  REQUIRE(lstm_cell->weight_ih.requires_grad());  // parameters stay leaves after to(), so gradcheck covers them
  require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        auto [h, c] = lstm_cell(in[0], nn::LSTMState{in[1], in[2]});
        return h + c * 0.5;
      },
      {leaf({2, 2}), leaf({2, 2}), leaf({2, 2}), lstm_cell->weight_ih, lstm_cell->weight_hh, lstm_cell->bias_ih});

  nn::GRUCell gru_cell(2, 2);
  gru_cell->to(reel::kFloat64);
  require_gradcheck([&](const std::vector<Tensor>& in) { return gru_cell(in[0], in[1]); },
                    {leaf({2, 2}), leaf({2, 2}), gru_cell->weight_ih, gru_cell->weight_hh, gru_cell->bias_hh});

  nn::LSTM lstm(nn::LSTMOptions(2, 2).bidirectional(true));
  lstm->to(reel::kFloat64);
  require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        auto [out, state] = lstm(in[0], nn::LSTMState{in[1], in[2]});
        return out.sum() + std::get<1>(state).sum();
      },
      {leaf({2, 1, 2}), leaf({2, 1, 2}), leaf({2, 1, 2}), lstm->all_weights[0][1], lstm->all_weights[1][0]});

  nn::BinaryTreeLSTMCell binary(2, 2);
  binary->to(reel::kFloat64);
  require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        auto [h, c] = binary(Tensor(), binary(in[0]), binary(in[1]));  // root over two leaves
        return h + c;
      },
      {leaf({2}), leaf({2}), binary->weight_ih, binary->weight_hh_l, binary->weight_hh_r, binary->bias});

  nn::ChildSumTreeLSTMCell child_sum(2, 2);
  child_sum->to(reel::kFloat64);
  for (int k : {0, 1, 3}) {
    INFO("children " << k);
    std::vector<Tensor> inputs = {leaf({2}), child_sum->weight_ih, child_sum->weight_hh, child_sum->weight_fh};
    for (int c = 0; c < 2 * k; ++c) inputs.push_back(leaf({2}));
    require_gradcheck(
        [&](const std::vector<Tensor>& in) {
          std::vector<nn::LSTMState> children;
          for (int c = 0; c < k; ++c) children.push_back({in[4 + 2 * c], in[5 + 2 * c]});
          auto [h, c] = child_sum(in[0], children);
          return h + c;
        },
        inputs);
  }
}

TEST_CASE("Recurrent modules reject wrong sizes naming the module", "[rnn]") {
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(nn::LSTMCell(3, 4)(reel::randn({2, 5})), Contains("LSTMCell") && Contains("input_size"));
  REQUIRE_THROWS_WITH(nn::GRUCell(3, 4)(reel::randn({2, 3}), reel::randn({2, 5})), Contains("GRUCell"));
  REQUIRE_THROWS_WITH(nn::RNNCell(3, 4)(reel::randn({2, 2, 3})), Contains("RNNCell"));
  REQUIRE_THROWS_WITH(nn::LSTM(3, 4)(reel::randn({5, 2, 7})), Contains("LSTM") && Contains("input_size"));
  REQUIRE_THROWS_WITH(nn::GRU(3, 4)(reel::randn({5, 2, 3}), reel::zeros({2, 2, 4})),
                      Contains("GRU") && Contains("Expected hidden size"));
  REQUIRE_THROWS_WITH(nn::RNN(nn::RNNOptions(3, 4).nonlinearity("gelu")), Contains("RNN"));
  REQUIRE_THROWS_AS(nn::LSTM(nn::LSTMOptions(3, 4).dropout(1.5)), reel::Error);
  REQUIRE_THROWS_WITH(nn::BinaryTreeLSTMCell(3, 4)(reel::randn({2})), Contains("BinaryTreeLSTMCell"));
  REQUIRE_THROWS_WITH(nn::ChildSumTreeLSTMCell(3, 4)(Tensor(), std::vector<nn::LSTMState>{}),
                      Contains("ChildSumTreeLSTMCell"));
  REQUIRE_THROWS_WITH(
      nn::ChildSumTreeLSTMCell(3, 4)(reel::randn({3}), std::vector<nn::LSTMState>{{reel::randn({3}), reel::randn({3})}}),
      Contains("ChildSumTreeLSTMCell") && Contains("hidden_size"));
}
