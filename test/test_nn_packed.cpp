// reel/test/test_nn_packed.cpp — variable-length batches (nn/packed_sequence.h) and LSTM's proj_size:
//   * pack_padded_sequence / pad_packed_sequence / pack_sequence / pad_sequence against values worked out by hand from
//     PyTorch's documented layout (data "axbc", batch_sizes [2, 1, 1] for "abc" and "x"), their permutations, and
//     gradcheck through packing and padding;
//   * the property that defines a packed forward: LSTM / GRU / RNN (two layers, bidirectional, LSTM with and without
//     a projection) on a packed batch with unsorted lengths and a given hx equal running each sequence alone
//     (unbatched, its own length) — outputs, h_n, c_n and the gradients of every parameter, the input and hx;
//   * gradcheck and gradgradcheck through a packed LSTM (the CPU step loop differentiates twice);
//   * the fused op with batch sizes and with a projection (the CPU kernel, reel::lstm / gru / rnn_*) equals the
//     modules' step loop, values and gradients;
//   * PyTorch's errors for the misuse cases.
// PyTorch's own numbers for the same layers: test/test_nn_torch_packed.cpp.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "test/autograd_test_utils.h"

namespace nn = reel::nn;
namespace rnn_utils = reel::nn::utils::rnn;
using reel::Tensor;
using Catch::Matchers::Contains;

namespace {

std::vector<double> values_of(const Tensor& t) { return t.cpu().to(reel::kFloat64).contiguous().to_vector<double>(); }
std::vector<int64_t> ints_of(const Tensor& t) { return t.cpu().to(reel::kInt64).contiguous().to_vector<int64_t>(); }

void check_close(const Tensor& got, const Tensor& expected, double tol, const std::string& what) {
  INFO(what);
  REQUIRE(got.defined());
  REQUIRE(got.sizes() == expected.sizes());
  const std::vector<double> a = values_of(got), b = values_of(expected);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1 + std::fabs(b[i])));
  INFO("largest relative difference " << worst);
  CHECK(worst <= tol);
}

Tensor arange_f64(int64_t n) { return reel::arange(n, reel::kFloat64); }

// Every parameter's gradient, cloned (zeros where none arrived), and the gradients reset.
std::vector<Tensor> take_grads(nn::Module& m) {
  std::vector<Tensor> grads;
  for (Tensor& p : m.parameters()) {
    grads.push_back(p.grad().defined() ? p.grad().clone() : reel::zeros_like(p));
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
  return grads;
}

}  // namespace

TEST_CASE("pack_padded_sequence packs step by step as PyTorch documents", "[rnn][packed]") {
  // "abc" and "x" as values 1 2 3 and 9: data a x b c, batch_sizes [2, 1, 1]
  const Tensor padded = reel::tensor({1.0, 9.0, 2.0, 0.0, 3.0, 0.0}, reel::kFloat64).view({3, 2});  // (T, B)
  auto packed = rnn_utils::pack_padded_sequence(padded, reel::tensor({3, 1}));
  CHECK(values_of(packed.data()) == std::vector<double>{1, 9, 2, 3});
  CHECK(ints_of(packed.batch_sizes()) == std::vector<int64_t>{2, 1, 1});
  CHECK(packed.batch_sizes().dtype() == reel::kInt64);
  CHECK(packed.batch_sizes().is_cpu());
  CHECK_FALSE(packed.sorted_indices().defined());
  CHECK_FALSE(packed.unsorted_indices().defined());
  CHECK_FALSE(packed.is_cuda());

  // unsorted lengths [1, 3, 2] (batch_first, trailing feature dim 2): sorted order 1, 2, 0
  const Tensor x = arange_f64(3 * 3 * 2).view({3, 3, 2});  // (B, T, F)
  auto unsorted = rnn_utils::pack_padded_sequence(x, reel::tensor({1, 3, 2}), /*batch_first=*/true,
                                                  /*enforce_sorted=*/false);
  CHECK(ints_of(unsorted.sorted_indices()) == std::vector<int64_t>{1, 2, 0});
  CHECK(ints_of(unsorted.unsorted_indices()) == std::vector<int64_t>{2, 0, 1});
  CHECK(ints_of(unsorted.batch_sizes()) == std::vector<int64_t>{3, 2, 1});
  // step 0: sequences 1, 2, 0; step 1: 1, 2; step 2: 1 — x[b, t] = (b * 3 + t) * 2 + f
  CHECK(values_of(unsorted.data()) ==
        std::vector<double>{6, 7, 12, 13, 0, 1, 8, 9, 14, 15, 10, 11});

  // and back: the caller's order, padding past each end, lengths in the caller's order
  auto [back, lengths] = rnn_utils::pad_packed_sequence(unsorted, /*batch_first=*/true, /*padding_value=*/-1.0);
  CHECK(ints_of(lengths) == std::vector<int64_t>{1, 3, 2});
  CHECK(lengths.is_cpu());
  const std::vector<double> expected = {0, 1, -1, -1, -1, -1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -1, -1};
  CHECK(values_of(back) == expected);
  auto [longer, unused] = rnn_utils::pad_packed_sequence(unsorted, false, 0.0, 5);
  CHECK(longer.sizes() == reel::IntList({5, 3, 2}));
  CHECK(values_of(longer.select(0, 4)) == std::vector<double>(6, 0.0));
  CHECK(values_of(longer.select(0, 1).select(0, 1)) == std::vector<double>{8, 9});

  // PackedSequence::to converts data and keeps batch_sizes on the CPU; no conversion returns the same data
  auto as_float = unsorted.to(reel::kFloat32);
  CHECK(as_float.data().dtype() == reel::kFloat32);
  CHECK(as_float.batch_sizes().is_same(unsorted.batch_sizes()));
  CHECK(unsorted.to(reel::kFloat64).data().is_same(unsorted.data()));
  CHECK(ints_of(rnn_utils::invert_permutation(reel::tensor({2, 0, 1}))) == std::vector<int64_t>{1, 2, 0});
}

TEST_CASE("pad_sequence and pack_sequence follow PyTorch", "[rnn][packed]") {
  const Tensor a = reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64), b = reel::tensor({4.0}, reel::kFloat64),
               c = reel::tensor({5.0, 6.0}, reel::kFloat64);
  const Tensor right = rnn_utils::pad_sequence({a, b, c});  // (T, B)
  CHECK(right.sizes() == reel::IntList({3, 3}));
  CHECK(values_of(right) == std::vector<double>{1, 4, 5, 2, 0, 6, 3, 0, 0});
  const Tensor left = rnn_utils::pad_sequence({a, b, c}, /*batch_first=*/true, /*padding_value=*/7.0, "left");
  CHECK(values_of(left) == std::vector<double>{1, 2, 3, 7, 7, 4, 7, 5, 6});
  const Tensor two_d = rnn_utils::pad_sequence({arange_f64(4).view({2, 2}), arange_f64(2).view({1, 2})}, true);
  CHECK(two_d.sizes() == reel::IntList({2, 2, 2}));
  CHECK(values_of(two_d) == std::vector<double>{0, 1, 2, 3, 0, 1, 0, 0});

  auto packed = rnn_utils::pack_sequence({a, c, b});
  CHECK(values_of(packed.data()) == std::vector<double>{1, 5, 4, 2, 6, 3});
  CHECK(ints_of(packed.batch_sizes()) == std::vector<int64_t>{3, 2, 1});
  auto unsorted = rnn_utils::pack_sequence({b, a, c}, /*enforce_sorted=*/false);
  CHECK(values_of(unsorted.data()) == std::vector<double>{1, 5, 4, 2, 6, 3});
  CHECK(ints_of(unsorted.sorted_indices()) == std::vector<int64_t>{1, 2, 0});
}

TEST_CASE("packing and padding pass gradcheck", "[rnn][packed]") {
  reel::manual_seed(3);
  const Tensor lengths = reel::tensor({2, 4, 1});
  REQUIRE_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        auto packed = rnn_utils::pack_padded_sequence(in[0], lengths, false, false);
        return std::get<0>(rnn_utils::pad_packed_sequence(packed, true, 0.5)) * 1.5;
      },
      std::vector<Tensor>{autograd_test::random_leaf({4, 3, 2})});
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return rnn_utils::pad_sequence({in[0], in[1]}, false, -2.0, "left") +
               rnn_utils::pack_sequence({in[1], in[0]}, false).data().sum();
      },
      (std::vector<Tensor>{autograd_test::random_leaf({2, 3}), autograd_test::random_leaf({3, 3})}));
}

namespace {

struct PackedConfig {
  std::string mode;  // LSTM, GRU, RNN
  int64_t proj = 0;
  bool batch_first = false;
};

// Runs the module on the packed batch and on each sequence alone; compares values and every gradient.
void check_packed_equals_alone(const PackedConfig& k) {
  INFO(k.mode << " proj " << k.proj << " batch_first " << k.batch_first);
  reel::manual_seed(7);
  const int64_t I = 3, H = 4, L = 2, D = 2, T = 5, B = 4;
  const std::vector<int64_t> lengths = {3, 5, 1, 4};  // unsorted
  auto options = nn::RNNOptions(I, H).num_layers(L).bidirectional(true).batch_first(k.batch_first).proj_size(k.proj);
  std::shared_ptr<nn::RNNBaseImpl> module;
  if (k.mode == "LSTM") module = nn::LSTM(options).ptr();
  if (k.mode == "GRU") module = nn::GRU(options).ptr();
  if (k.mode == "RNN") module = nn::RNN(options).ptr();
  module->to(reel::kFloat64);
  const bool lstm = k.mode == "LSTM";
  const int64_t S = k.proj > 0 ? k.proj : H;
  Tensor x = reel::randn(k.batch_first ? reel::IntList({B, T, I}) : reel::IntList({T, B, I}), reel::kFloat64);
  x.requires_grad_();
  Tensor h0 = reel::randn({L * D, B, S}, reel::kFloat64).requires_grad_();
  Tensor c0 = reel::randn({L * D, B, H}, reel::kFloat64).requires_grad_();
  const Tensor wy = reel::randn({T, B, D * S}, reel::kFloat64), wh = reel::randn({L * D, B, S}, reel::kFloat64),
               wc = reel::randn({L * D, B, H}, reel::kFloat64);

  // packed
  auto packed = rnn_utils::pack_padded_sequence(x, reel::tensor(lengths), k.batch_first, false);
  Tensor out_data, h_n, c_n;
  if (lstm) {
    auto [out, state] = static_cast<nn::LSTMImpl&>(*module).forward_with_packed_input(packed, nn::LSTMState{h0, c0});
    out_data = out.data();
    std::tie(h_n, c_n) = state;
    CHECK(out.batch_sizes().is_same(packed.batch_sizes()));
  } else if (k.mode == "GRU") {
    auto [out, h] = static_cast<nn::GRUImpl&>(*module).forward_with_packed_input(packed, h0);
    out_data = out.data();
    h_n = h;
  } else {
    auto [out, h] = static_cast<nn::RNNImpl&>(*module).forward_with_packed_input(packed, h0);
    out_data = out.data();
    h_n = h;
  }
  CHECK(out_data.sizes() == reel::IntList({3 + 5 + 1 + 4, D * S}));
  auto [padded, out_lengths] = rnn_utils::pad_packed_sequence(
      rnn_utils::PackedSequence(out_data, packed.batch_sizes(), packed.sorted_indices(), packed.unsorted_indices()));
  CHECK(ints_of(out_lengths) == lengths);
  Tensor loss = (padded * wy).sum() + (h_n * wh).sum();
  if (lstm) loss = loss + (c_n * wc).sum();
  loss.backward();
  const std::vector<Tensor> param_grads = take_grads(*module);
  const Tensor gx = x.grad().clone(), gh = h0.grad().clone(), gc = lstm ? c0.grad().clone() : Tensor();

  // each sequence alone, unbatched, its own length
  Tensor x2 = x.detach().clone().requires_grad_(), h02 = h0.detach().clone().requires_grad_(),
         c02 = c0.detach().clone().requires_grad_();
  Tensor loss_alone = reel::zeros({}, reel::kFloat64);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths[static_cast<size_t>(b)];
    const Tensor xb = (k.batch_first ? x2.select(0, b) : x2.select(1, b)).narrow(0, 0, len);  // (len, I)
    Tensor y, h, c;
    if (lstm) {
      auto [yy, state] = static_cast<nn::LSTMImpl&>(*module).forward(xb, nn::LSTMState{h02.select(1, b), c02.select(1, b)});
      y = yy;
      std::tie(h, c) = state;
    } else if (k.mode == "GRU") {
      std::tie(y, h) = static_cast<nn::GRUImpl&>(*module).forward(xb, h02.select(1, b));
    } else {
      std::tie(y, h) = static_cast<nn::RNNImpl&>(*module).forward(xb, h02.select(1, b));
    }
    check_close(y, padded.select(1, b).narrow(0, 0, len), 1e-12, "output of sequence " + std::to_string(b));
    check_close(padded.select(1, b).narrow(0, len, T - len), reel::zeros({T - len, D * S}, reel::kFloat64), 0,
                "padding of sequence " + std::to_string(b));
    check_close(h, h_n.select(1, b), 1e-12, "h_n of sequence " + std::to_string(b));
    loss_alone = loss_alone + (y * wy.select(1, b).narrow(0, 0, len)).sum() + (h * wh.select(1, b)).sum();
    if (lstm) {
      check_close(c, c_n.select(1, b), 1e-12, "c_n of sequence " + std::to_string(b));
      loss_alone = loss_alone + (c * wc.select(1, b)).sum();
    }
  }
  loss_alone.backward();
  const std::vector<Tensor> alone_grads = take_grads(*module);
  const auto names = module->named_parameters();
  for (size_t i = 0; i < alone_grads.size(); ++i)
    check_close(param_grads[i], alone_grads[i], 1e-11, "gradient of " + names[i].key());
  check_close(gx, x2.grad(), 1e-11, "gradient of x");
  check_close(gh, h02.grad(), 1e-11, "gradient of h0");
  if (lstm) check_close(gc, c02.grad(), 1e-11, "gradient of c0");
}

}  // namespace

TEST_CASE("a packed forward equals running each sequence alone, values and gradients", "[rnn][packed]") {
  for (const PackedConfig& k : std::vector<PackedConfig>{
           {"LSTM", 0, false}, {"LSTM", 2, true}, {"GRU", 0, true}, {"RNN", 0, false}}) {
    check_packed_equals_alone(k);
  }
}

TEST_CASE("a packed LSTM passes gradcheck and gradgradcheck on the CPU", "[rnn][packed]") {
  reel::manual_seed(11);
  nn::LSTM lstm(nn::LSTMOptions(2, 3).bidirectional(true).proj_size(2));
  lstm->to(reel::kFloat64);
  const Tensor lengths = reel::tensor({1, 3});
  auto fn = [&](const std::vector<Tensor>& in) {
    auto packed = rnn_utils::pack_padded_sequence(in[0], lengths, false, false);
    auto [out, state] = lstm->forward_with_packed_input(packed, nn::LSTMState{in[1], in[2]});
    return out.data().sum() * 0.5 + (std::get<0>(state) * std::get<1>(state).narrow(2, 0, 2)).sum();
  };
  const std::vector<Tensor> inputs = {autograd_test::random_leaf({3, 2, 2}), autograd_test::random_leaf({2, 2, 2}),
                                      autograd_test::random_leaf({2, 2, 3}), lstm->all_weights[0][1],
                                      lstm->all_weights[1][4]};
  REQUIRE_GRADCHECK(fn, inputs);
  const auto second = reel::autograd::gradgradcheck(fn, inputs);
  INFO(second.message);
  CHECK(second.ok);
}

namespace {

// The fused op (CPU kernel) through reel::lstm / gru / rnn_tanh on the module's parameters equals the module's step
// loop: packed with sorted lengths (no permutation), or dense with a projection.
void check_fused_equals_loop(const std::string& mode, int64_t proj, bool packed_input) {
  INFO(mode << " proj " << proj << (packed_input ? " packed" : " dense"));
  reel::manual_seed(5);
  const int64_t I = 3, H = 4, L = 2, D = 2, B = 3, T = 4;
  auto options = nn::RNNOptions(I, H).num_layers(L).bidirectional(true).proj_size(proj);
  std::shared_ptr<nn::RNNBaseImpl> module;
  if (mode == "LSTM") module = nn::LSTM(options).ptr();
  if (mode == "GRU") module = nn::GRU(options).ptr();
  if (mode == "RNN") module = nn::RNN(options).ptr();
  module->to(reel::kFloat64);
  const bool lstm = mode == "LSTM";
  const int64_t S = proj > 0 ? proj : H;
  std::vector<Tensor> params;
  for (const auto& w : module->all_weights)
    for (const Tensor& t : w)
      if (t.defined()) params.push_back(t);
  const Tensor x = reel::randn({T, B, I}, reel::kFloat64).requires_grad_();
  const Tensor h0 = reel::randn({L * D, B, S}, reel::kFloat64), c0 = reel::randn({L * D, B, H}, reel::kFloat64);
  auto packed = rnn_utils::pack_padded_sequence(x, reel::tensor({4, 2, 2}));
  const Tensor data = packed.data();

  auto run = [&](bool fused) {
    Tensor y, h, c;
    if (fused) {
      if (lstm) {
        std::tie(y, h, c) = packed_input
                                ? reel::lstm(data, packed.batch_sizes(), {h0, c0}, params, true, L, 0.0, true, true)
                                : reel::lstm(x, {h0, c0}, params, true, L, 0.0, true, true, false);
      } else {
        using Packed = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const Tensor&,
                                                      const std::vector<Tensor>&, bool, int64_t, double, bool, bool);
        const Packed f = mode == "GRU" ? Packed(&reel::gru) : Packed(&reel::rnn_tanh);
        std::tie(y, h) = f(data, packed.batch_sizes(), h0, params, true, L, 0.0, true, true);
      }
    } else if (packed_input) {
      auto& base = *module;
      if (lstm) {
        auto [out, state] = static_cast<nn::LSTMImpl&>(base).forward_with_packed_input(packed, nn::LSTMState{h0, c0});
        y = out.data();
        std::tie(h, c) = state;
      } else if (mode == "GRU") {
        auto [out, hh] = static_cast<nn::GRUImpl&>(base).forward_with_packed_input(packed, h0);
        y = out.data();
        h = hh;
      } else {
        auto [out, hh] = static_cast<nn::RNNImpl&>(base).forward_with_packed_input(packed, h0);
        y = out.data();
        h = hh;
      }
    } else {
      auto [out, state] = static_cast<nn::LSTMImpl&>(*module).forward(x, nn::LSTMState{h0, c0});
      y = out;
      std::tie(h, c) = state;
    }
    reel::manual_seed(99);
    Tensor loss = (y * reel::randn(y.sizes(), reel::kFloat64)).sum() + (h * reel::randn(h.sizes(), reel::kFloat64)).sum();
    if (lstm) loss = loss + (c * reel::randn(c.sizes(), reel::kFloat64)).sum();
    loss.backward();
    std::vector<Tensor> results = {y.detach(), h.detach(), x.grad().clone()};
    if (lstm) results.push_back(c.detach());
    for (Tensor& g : take_grads(*module)) results.push_back(g);
    Tensor(x).mutable_grad().zero_();
    return results;
  };
  const std::vector<Tensor> fused = run(true), loop = run(false);
  REQUIRE(fused.size() == loop.size());
  for (size_t i = 0; i < fused.size(); ++i) check_close(fused[i], loop[i], 1e-12, "result " + std::to_string(i));
}

}  // namespace

TEST_CASE("fused_rnn with batch sizes and with a projection equals the modules' step loop", "[rnn][packed][fused]") {
  check_fused_equals_loop("LSTM", 0, true);
  check_fused_equals_loop("LSTM", 2, true);
  check_fused_equals_loop("LSTM", 3, false);
  check_fused_equals_loop("GRU", 0, true);
  check_fused_equals_loop("RNN", 0, true);
}

TEST_CASE("packed dropout between layers: the fused op draws the step loop's masks for one seed", "[rnn][packed][fused]") {
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(3).dropout(0.5).bidirectional(true).proj_size(2));
  lstm->to(reel::kFloat64);
  lstm->train();
  std::vector<Tensor> params;
  for (const auto& item : lstm->named_parameters()) params.push_back(item.value());
  auto packed = rnn_utils::pack_sequence({reel::randn({4, 3}, reel::kFloat64), reel::randn({2, 3}, reel::kFloat64),
                                          reel::randn({1, 3}, reel::kFloat64)});
  const Tensor h0 = reel::randn({6, 3, 2}, reel::kFloat64), c0 = reel::randn({6, 3, 4}, reel::kFloat64);
  reel::manual_seed(21);
  auto [out, state] = lstm->forward_with_packed_input(packed, nn::LSTMState{h0, c0});
  reel::manual_seed(21);
  auto [y, h, c] = reel::lstm(packed.data(), packed.batch_sizes(), {h0, c0}, params, true, 3, 0.5, true, true);
  check_close(y, out.data(), 1e-12, "output");
  check_close(h, std::get<0>(state), 1e-12, "h_n");
  check_close(c, std::get<1>(state), 1e-12, "c_n");
  // dropout did act: without it the output differs
  lstm->eval();
  auto [plain, unused] = lstm->forward_with_packed_input(packed, nn::LSTMState{h0, c0});
  CHECK((plain.data() - out.data()).abs().max().item<double>() > 1e-3);
}

TEST_CASE("proj_size gives PyTorch's parameters, shapes and printout", "[rnn][packed]") {
  nn::LSTM lstm(nn::LSTMOptions(4, 3).proj_size(2).num_layers(2).bidirectional(true));
  std::vector<std::string> names;
  for (const auto& item : lstm->named_parameters()) names.push_back(item.key());
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 6) ==
        std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                                 "weight_ih_l0_reverse"});
  CHECK(names.size() == 20);
  CHECK(lstm->named_parameters()["weight_hh_l0"].sizes() == reel::IntList({12, 2}));
  CHECK(lstm->named_parameters()["weight_hr_l1_reverse"].sizes() == reel::IntList({2, 3}));
  CHECK(lstm->named_parameters()["weight_ih_l1"].sizes() == reel::IntList({12, 4}));  // D * proj_size inputs
  // every parameter, weight_hr included, starts in U(+-1/sqrt(hidden))
  const double bound = 1.0 / std::sqrt(3.0);
  for (const auto& item : lstm->named_parameters()) CHECK(item.value().abs().max().item<double>() <= bound);
  CHECK(lstm->named_parameters()["weight_hr_l0"].abs().max().item<double>() > 0.0);
  std::ostringstream printed;
  printed << *lstm;
  CHECK(printed.str() == "LSTM(4, 3, proj_size=2, num_layers=2, bidirectional=True)");
  auto [y, state] = lstm(reel::randn({5, 6, 4}));
  CHECK(y.sizes() == reel::IntList({5, 6, 4}));
  CHECK(std::get<0>(state).sizes() == reel::IntList({4, 6, 2}));
  CHECK(std::get<1>(state).sizes() == reel::IntList({4, 6, 3}));
  nn::LSTM no_bias(nn::LSTMOptions(2, 3).proj_size(1).bias(false));
  CHECK(no_bias->parameters().size() == 3);  // weight_ih, weight_hh, weight_hr
}

TEST_CASE("packing, proj_size and packed forwards refuse misuse with PyTorch's messages", "[rnn][packed]") {
  const Tensor x = reel::randn({4, 3, 2});
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({4, 0, 2}), false, false),
                      Contains("Length of all samples has to be greater than 0"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({4, -1, 2}), false, false),
                      Contains("greater than 0"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({2, 4, 2})),
                      Contains("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({4, 2})),
                      Contains("Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({5, 2, 1})),
                      Contains("pack_padded_sequence") && Contains("exceeds"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(reel::randn({0, 3, 2}), reel::tensor({1, 1, 1})),
                      Contains("Cannot pack empty tensors."));
  REQUIRE_THROWS_WITH(rnn_utils::pack_padded_sequence(x, reel::tensor({1.0, 1.0, 1.0})),
                      Contains("pack_padded_sequence") && Contains("integer"));
  auto packed = rnn_utils::pack_padded_sequence(x, reel::tensor({4, 1, 2}), false, false);
  REQUIRE_THROWS_WITH(rnn_utils::pad_packed_sequence(packed, false, 0.0, 3),
                      Contains("Expected total_length to be at least the length of the longest sequence in input, but "
                               "got total_length=3 and max sequence length being 4"));
  REQUIRE_THROWS_WITH(rnn_utils::pad_sequence({}), Contains("received an empty list of sequences"));
  REQUIRE_THROWS_WITH(rnn_utils::pad_sequence({reel::randn({2})}, false, 0.0, "middle"),
                      Contains("Expected padding_side to be one of left or right, but got middle."));
  REQUIRE_THROWS_WITH(rnn_utils::pad_sequence({reel::randn({2, 3}), reel::randn({2, 4})}),
                      Contains("pad_sequence") && Contains("sequences[1]"));
  REQUIRE_THROWS_WITH(rnn_utils::pack_sequence({reel::ones({2}), reel::ones({3})}), Contains("enforce_sorted"));
  REQUIRE_THROWS_WITH(rnn_utils::PackedSequence(reel::randn({3, 2}), Tensor()), Contains("batch_sizes should always be on CPU"));

  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 3).proj_size(3)), Contains("proj_size has to be smaller than hidden_size"));
  REQUIRE_THROWS_WITH(nn::LSTM(nn::LSTMOptions(4, 3).proj_size(-1)),
                      Contains("proj_size should be a positive integer or zero to disable projections"));
  REQUIRE_THROWS_WITH(nn::GRU(nn::GRUOptions(4, 3).proj_size(1)),
                      Contains("proj_size argument is only supported for LSTM, not RNN or GRU"));
  REQUIRE_THROWS_WITH(nn::RNN(nn::RNNOptions(4, 3).proj_size(1)), Contains("only supported for LSTM"));
  nn::LSTM projected(nn::LSTMOptions(2, 3).proj_size(2));
  REQUIRE_THROWS_WITH(projected(x, nn::LSTMState{reel::zeros({1, 3, 3}), reel::zeros({1, 3, 3})}),
                      Contains("Expected hidden[0] size (1, 3, 2), got [1, 3, 3]"));
  REQUIRE_THROWS_WITH(projected(x, nn::LSTMState{reel::zeros({1, 3, 2}), reel::zeros({1, 3, 2})}),
                      Contains("Expected hidden[1] size (1, 3, 3), got [1, 3, 2]"));
  REQUIRE_THROWS_WITH(nn::LSTM(3, 4)->forward_with_packed_input(packed),
                      Contains("LSTM") && Contains("input_size. Expected 3, got 2"));
  REQUIRE_THROWS_WITH(nn::GRU(2, 4)->forward_with_packed_input(packed, reel::zeros({1, 2, 4})),
                      Contains("GRU") && Contains("Expected hidden size (1, 3, 4), got [1, 2, 4]"));
  // the fused op's own checks of batch sizes and of a projection
  const Tensor h0 = reel::zeros({1, 3, 4});
  const Tensor w = reel::zeros({4 * 2 + 4 * 4 + 8});
  REQUIRE_THROWS_WITH(reel::fused_rnn(packed.data(), h0, Tensor(), w, "rnn_tanh", 1, true, false, 0, reel::tensor({3, 1, 2, 1})),
                      Contains("fused_rnn") && Contains("non-increasing"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(packed.data(), h0, Tensor(), w, "rnn_tanh", 1, true, false, 0, reel::tensor({3, 2, 1})),
                      Contains("fused_rnn") && Contains("sum to 6 rows"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(packed.data(), h0, Tensor(), w, "rnn_tanh", 1, true, false, 0,
                                      reel::tensor({3.0, 2.0, 1.0, 1.0})),
                      Contains("fused_rnn") && Contains("1D CPU int64"));
  REQUIRE_THROWS_WITH(reel::fused_rnn(x, h0, Tensor(), w, "gru", 1, true, false, 2), Contains("only supported for LSTM"));
  REQUIRE_THROWS_WITH(reel::lstm(x, {reel::zeros({1, 3, 2}), reel::zeros({1, 3, 4})}, {reel::zeros({16, 2})}, true, 1,
                                 0.0, true, false, false),
                      Contains("lstm") && Contains("expected 5 params"));
}
