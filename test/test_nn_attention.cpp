// reel/test/test_nn_attention.cpp — MultiheadAttention against a naive float64 reference written here with explicit
// per-head loops over the module's own weights (no mask, bool / float / 3-D attn_mask, bool / float key padding,
// batch_first, unbatched input, averaged and per-head weights, dropout in training); gradcheck wrt the query and
// in_proj_weight; TransformerEncoderLayer in eval mode against the composition of its submodules (post- and
// pre-norm, relu and gelu, with masks); PyTorch's parameter names, initialisation and printing; errors.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

using Values = std::vector<double>;
// Additive mask term for (batch n, head h, query l, key s); -inf masks the position.
using MaskFn = std::function<double(size_t, size_t, size_t, size_t)>;

constexpr double kInf = std::numeric_limits<double>::infinity();

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

void check_same(const Tensor& actual, const Tensor& expected) {
  check_close(actual, expected.sizes(), values(expected));
}

void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                       const std::vector<Tensor>& inputs) {
  const auto result = reel::autograd::gradcheck(fn, inputs);
  INFO(result.message);
  REQUIRE(result.ok);
}

// A float64 MultiheadAttention with random (non-zero) biases, so the reference exercises every parameter.
nn::MultiheadAttention make_mha(int64_t e, int64_t h, bool batch_first = false, double dropout = 0.0) {
  nn::MultiheadAttention mha(e, h, dropout, true, batch_first);
  mha->to(reel::kFloat64);
  nn::init::normal_(mha->in_proj_bias);
  nn::init::normal_(mha->out_proj->bias);
  return mha;
}

struct Reference {
  Values out;      // [N, L, E] (batch-major)
  Values weights;  // [N, H, L, S]
};

// out[n, l] = W_o concat_h(sum_s softmax_s(Q_h[l] . K_h[s] / sqrt(D) + mask) V_h[s]) + b_o; q [N, L, E], k/v [N, S, E]
Reference reference(const nn::MultiheadAttention& mha, const Tensor& q, const Tensor& k, const Tensor& v,
                    const MaskFn& mask = {}) {
  const size_t e = static_cast<size_t>(mha->embed_dim), nh = static_cast<size_t>(mha->num_heads), d = e / nh;
  const size_t n_batch = static_cast<size_t>(q.size(0)), l_len = static_cast<size_t>(q.size(1)),
               s_len = static_cast<size_t>(k.size(1));
  const Values w = values(mha->in_proj_weight), b = values(mha->in_proj_bias);
  const Values wo = values(mha->out_proj->weight), bo = values(mha->out_proj->bias);
  const Values qv = values(q), kv = values(k), vv = values(v);
  // row `block` of the in-projection applied to token t of x: P[t][j] = sum_c W[block E + j, c] x[t, c] + b
  auto project = [&](const Values& x, size_t n, size_t len, size_t block) {
    std::vector<Values> p(len, Values(e, 0.0));
    for (size_t t = 0; t < len; ++t)
      for (size_t j = 0; j < e; ++j) {
        double acc = b[block * e + j];
        for (size_t c = 0; c < e; ++c) acc += w[(block * e + j) * e + c] * x[(n * len + t) * e + c];
        p[t][j] = acc;
      }
    return p;
  };
  Reference ref;
  ref.out.assign(n_batch * l_len * e, 0.0);
  ref.weights.assign(n_batch * nh * l_len * s_len, 0.0);
  for (size_t n = 0; n < n_batch; ++n) {
    const auto qp = project(qv, n, l_len, 0), kp = project(kv, n, s_len, 1), vp = project(vv, n, s_len, 2);
    std::vector<Values> ctx(l_len, Values(e, 0.0));
    for (size_t h = 0; h < nh; ++h)
      for (size_t l = 0; l < l_len; ++l) {
        Values score(s_len);
        double top = -kInf;
        for (size_t s = 0; s < s_len; ++s) {
          double dot = 0;
          for (size_t j = 0; j < d; ++j) dot += qp[l][h * d + j] * kp[s][h * d + j];
          score[s] = dot / std::sqrt(static_cast<double>(d)) + (mask ? mask(n, h, l, s) : 0.0);
          top = std::max(top, score[s]);
        }
        double total = 0;
        for (double& x : score) total += (x = std::exp(x - top));
        for (size_t s = 0; s < s_len; ++s) {
          const double a = score[s] / total;
          ref.weights[((n * nh + h) * l_len + l) * s_len + s] = a;
          for (size_t j = 0; j < d; ++j) ctx[l][h * d + j] += a * vp[s][h * d + j];
        }
      }
    for (size_t l = 0; l < l_len; ++l)
      for (size_t o = 0; o < e; ++o) {
        double acc = bo[o];
        for (size_t j = 0; j < e; ++j) acc += wo[o * e + j] * ctx[l][j];
        ref.out[(n * l_len + l) * e + o] = acc;
      }
  }
  return ref;
}

// Mean over heads of [N, H, L, S] reference weights.
Values head_mean(const Values& w, size_t n_batch, size_t nh, size_t per_head) {
  Values mean(n_batch * per_head, 0.0);
  for (size_t n = 0; n < n_batch; ++n)
    for (size_t h = 0; h < nh; ++h)
      for (size_t i = 0; i < per_head; ++i) mean[n * per_head + i] += w[(n * nh + h) * per_head + i] / nh;
  return mean;
}

// Checks module output (sequence- or batch-first) and both weight layouts against the reference.
void check_against_reference(const nn::MultiheadAttention& mha, const Tensor& q, const Tensor& k, const Tensor& v,
                             const Tensor& key_padding_mask, const Tensor& attn_mask, const MaskFn& mask) {
  const bool bf = mha->batch_first;
  const int64_t n = q.size(0), l = q.size(1), s = k.size(1), e = mha->embed_dim, h = mha->num_heads;
  const Reference ref = reference(mha, q, k, v, mask);
  auto layout = [&](const Tensor& t) { return bf ? t : t.transpose(0, 1).contiguous(); };
  auto [out, avg] = mha(layout(q), layout(k), layout(v), key_padding_mask, true, attn_mask);
  check_close(bf ? out : out.transpose(0, 1), {n, l, e}, ref.out);
  check_close(avg, {n, l, s},
              head_mean(ref.weights, static_cast<size_t>(n), static_cast<size_t>(h), static_cast<size_t>(l * s)));
  auto [out2, per_head] = mha(layout(q), layout(k), layout(v), key_padding_mask, true, attn_mask, false);
  check_same(out2, out);
  check_close(per_head, {n, h, l, s}, ref.weights);
}

}  // namespace

TEST_CASE("MultiheadAttention matches a naive reference without masks", "[attention]") {
  reel::manual_seed(11);
  for (bool bf : {false, true}) {
    INFO("batch_first " << bf);
    const auto mha = make_mha(6, 3, bf);
    const Tensor q = randn64({2, 3, 6}), k = randn64({2, 4, 6}), v = randn64({2, 4, 6});
    check_against_reference(mha, q, k, v, {}, {}, {});
    // self-attention with one tensor for query, key and value
    check_against_reference(mha, q, q, q, {}, {}, {});
  }
}

TEST_CASE("MultiheadAttention matches a naive reference with attention masks", "[attention]") {
  reel::manual_seed(12);
  const int64_t n = 2, l = 3, s = 4, h = 2;
  // bool [L, S]: true masks; every row keeps at least one key
  const std::vector<std::vector<bool>> masked = {{false, true, false, true}, {true, false, false, false},
                                                 {false, false, true, false}};
  Tensor bool_mask = reel::zeros({l, s}, reel::kBool);
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j < s; ++j)
      if (masked[i][j]) bool_mask.select(0, i).select(0, j).fill_(true);
  const Tensor float_mask = randn64({l, s});
  const Tensor mask3d = randn64({n * h, l, s});
  const Values fm = values(float_mask), m3 = values(mask3d);
  for (bool bf : {false, true}) {
    INFO("batch_first " << bf);
    const auto mha = make_mha(4, h, bf);
    const Tensor q = randn64({n, l, 4}), k = randn64({n, s, 4}), v = randn64({n, s, 4});
    SECTION("bool attn_mask" + std::string(bf ? " batch_first" : "")) {
      check_against_reference(mha, q, k, v, {}, bool_mask,
                              [&](size_t, size_t, size_t i, size_t j) { return masked[i][j] ? -kInf : 0.0; });
    }
    SECTION("float attn_mask" + std::string(bf ? " batch_first" : "")) {
      check_against_reference(mha, q, k, v, {}, float_mask,
                              [&](size_t, size_t, size_t i, size_t j) { return fm[i * s + j]; });
    }
    SECTION("3-D float attn_mask per batch and head" + std::string(bf ? " batch_first" : "")) {
      check_against_reference(mha, q, k, v, {}, mask3d, [&](size_t b, size_t hh, size_t i, size_t j) {
        return m3[((b * h + hh) * l + i) * s + j];
      });
    }
  }
}

TEST_CASE("MultiheadAttention matches a naive reference with key padding masks", "[attention]") {
  reel::manual_seed(13);
  const int64_t n = 2, l = 3, s = 4;
  // batch 0 ignores key 3, batch 1 ignores keys 0 and 2
  const std::vector<std::vector<bool>> pad = {{false, false, false, true}, {true, false, true, false}};
  Tensor bool_pad = reel::zeros({n, s}, reel::kBool);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < s; ++j)
      if (pad[b][j]) bool_pad.select(0, b).select(0, j).fill_(true);
  const Tensor float_pad = randn64({n, s});
  const Tensor attn_mask = randn64({l, s});
  const Values fp = values(float_pad), am = values(attn_mask);
  for (bool bf : {false, true}) {
    INFO("batch_first " << bf);
    const auto mha = make_mha(6, 2, bf);
    const Tensor q = randn64({n, l, 6}), k = randn64({n, s, 6}), v = randn64({n, s, 6});
    check_against_reference(mha, q, k, v, bool_pad, {},
                            [&](size_t b, size_t, size_t, size_t j) { return pad[b][j] ? -kInf : 0.0; });
    check_against_reference(mha, q, k, v, float_pad, {},
                            [&](size_t b, size_t, size_t, size_t j) { return fp[b * s + j]; });
    // both masks together add up
    check_against_reference(mha, q, k, v, bool_pad, attn_mask, [&](size_t b, size_t, size_t i, size_t j) {
      return (pad[b][j] ? -kInf : 0.0) + am[i * s + j];
    });
  }
}

TEST_CASE("MultiheadAttention unbatched input and need_weights false", "[attention]") {
  reel::manual_seed(14);
  const auto mha = make_mha(4, 2);
  const Tensor q = randn64({3, 1, 4}), k = randn64({5, 1, 4}), v = randn64({5, 1, 4});
  auto [out, w] = mha(q, k, v);
  auto [out_u, w_u] = mha(q.select(1, 0), k.select(1, 0), v.select(1, 0));
  check_same(out_u, out.select(1, 0));
  check_same(w_u, w.select(0, 0));
  auto [out_h, w_h] = mha(q.select(1, 0), k.select(1, 0), v.select(1, 0), Tensor(), true, Tensor(), false);
  CHECK(w_h.sizes() == reel::IntList{2, 3, 5});
  auto [out_nw, w_nw] = mha(q, k, v, Tensor(), false);
  check_same(out_nw, out);
  CHECK_FALSE(w_nw.defined());
}

TEST_CASE("MultiheadAttention dropout applies to the weights in training only", "[attention]") {
  reel::manual_seed(15);
  const auto mha = make_mha(4, 2, false, 0.5);
  const Tensor q = randn64({3, 2, 4});
  mha->eval();
  auto [out_eval, w_eval] = mha(q, q, q, Tensor(), true, Tensor(), false);
  auto [out_eval2, w_eval2] = mha(q, q, q, Tensor(), true, Tensor(), false);
  check_same(out_eval, out_eval2);
  mha->train();
  auto [out_train, w_train] = mha(q, q, q, Tensor(), true, Tensor(), false);
  const Values we = values(w_eval), wt = values(w_train);
  size_t dropped = 0;
  for (size_t i = 0; i < we.size(); ++i) {
    // kept weights are scaled by 1 / (1 - p) = 2
    const bool ok = wt[i] == 0.0 || std::fabs(wt[i] - 2 * we[i]) <= 1e-12;
    CHECK(ok);
    dropped += wt[i] == 0.0;
  }
  CHECK(dropped > 0);
  CHECK(dropped < we.size());
}

TEST_CASE("MultiheadAttention gradcheck wrt query and in_proj_weight", "[attention]") {
  reel::manual_seed(16);
  const auto mha = make_mha(4, 2);
  const Tensor query = randn64({3, 1, 4}).requires_grad_();
  const Tensor key = randn64({3, 1, 4}), value = randn64({3, 1, 4});
  Tensor mask = reel::zeros({3, 3}, reel::kBool);
  mask.select(0, 0).select(0, 2).fill_(true);
  // gradcheck perturbs its inputs in place, so the module sees the perturbed in_proj_weight
  require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        auto [out, w] = mha(in[0], key, value, Tensor(), true, mask);
        return reel::cat({out.reshape({-1}), w.reshape({-1})});
      },
      {query, mha->in_proj_weight});
  // self-attention: the query also flows through key and value
  require_gradcheck([&](const std::vector<Tensor>& in) { return std::get<0>(mha(in[0], in[0], in[0])); },
                    {query, mha->in_proj_weight});
}

TEST_CASE("TransformerEncoderLayer in eval mode equals its submodules composed by hand", "[attention]") {
  reel::manual_seed(17);
  for (bool norm_first : {false, true}) {
    for (const std::string act : {"relu", "gelu"}) {
      for (bool bf : {false, true}) {
        INFO("norm_first " << norm_first << " activation " << act << " batch_first " << bf);
        nn::TransformerEncoderLayer layer(8, 2, 16, 0.1, act, 1e-5, bf, norm_first);
        layer->to(reel::kFloat64);
        for (auto& norm : {layer->norm1, layer->norm2}) {
          nn::init::normal_(norm->weight);
          nn::init::normal_(norm->bias);
        }
        nn::init::normal_(layer->self_attn->in_proj_bias);
        layer->eval();
        const Tensor src = randn64({3, 2, 8});  // [S, N, E] or [N, S, E]
        const int64_t s = bf ? src.size(1) : src.size(0), n = bf ? src.size(0) : src.size(1);
        const Tensor src_mask = randn64({s, s});
        Tensor padding = reel::zeros({n, s}, reel::kBool);
        padding.select(0, 1).select(0, 0).fill_(true);
        auto sa = [&](const Tensor& x) { return std::get<0>(layer->self_attn(x, x, x, padding, false, src_mask)); };
        auto ff = [&](const Tensor& x) {
          const Tensor h = layer->linear1(x);
          return layer->linear2(act == "relu" ? reel::relu(h) : F::gelu(h));
        };
        Tensor expected = src;
        if (norm_first) {
          expected = expected + sa(layer->norm1(expected));
          expected = expected + ff(layer->norm2(expected));
        } else {
          expected = layer->norm1(expected + sa(expected));
          expected = layer->norm2(expected + ff(expected));
        }
        check_same(layer(src, src_mask, padding), expected);
        // no masks: the self-attention sees every position
        Tensor plain = src;
        auto sa_plain = [&](const Tensor& x) { return std::get<0>(layer->self_attn(x, x, x)); };
        if (norm_first) {
          plain = plain + sa_plain(layer->norm1(plain));
          plain = plain + ff(layer->norm2(plain));
        } else {
          plain = layer->norm1(plain + sa_plain(plain));
          plain = layer->norm2(plain + ff(plain));
        }
        check_same(layer(src), plain);
      }
    }
  }
}

TEST_CASE("MultiheadAttention and TransformerEncoderLayer use PyTorch parameter names and initialisation",
          "[attention]") {
  reel::manual_seed(18);
  nn::MultiheadAttention mha(8, 2);
  std::vector<std::string> names;
  for (const auto& [name, t] : mha->named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
  CHECK(mha->in_proj_weight.sizes() == reel::IntList{24, 8});
  CHECK(mha->in_proj_bias.sizes() == reel::IntList{24});
  CHECK(mha->out_proj->weight.sizes() == reel::IntList{8, 8});
  CHECK(mha->head_dim == 4);
  // xavier_uniform_: U(+-sqrt(6 / (fan_in + fan_out))) = U(+-sqrt(6 / 32)); biases zero
  const double bound = std::sqrt(6.0 / 32.0);
  const Values w = values(mha->in_proj_weight.to(reel::kFloat64));
  double widest = 0;
  for (double x : w) widest = std::max(widest, std::fabs(x));
  CHECK(widest <= bound);
  CHECK(widest > 0.5 * bound);
  for (double x : values(mha->in_proj_bias.to(reel::kFloat64))) CHECK(x == 0.0);
  for (double x : values(mha->out_proj->bias.to(reel::kFloat64))) CHECK(x == 0.0);

  nn::MultiheadAttention no_bias(8, 2, 0.0, false);
  names.clear();
  for (const auto& [name, t] : no_bias->named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"in_proj_weight", "out_proj.weight"});

  nn::TransformerEncoderLayer layer(8, 2, 32);
  names.clear();
  for (const auto& [name, t] : layer->state_dict()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                          "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                                          "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
                                          "norm1.bias", "norm2.weight", "norm2.bias"});
  CHECK(layer->linear1->weight.sizes() == reel::IntList{32, 8});
  CHECK(layer->linear2->weight.sizes() == reel::IntList{8, 32});
}

TEST_CASE("MultiheadAttention and TransformerEncoderLayer print like PyTorch", "[attention]") {
  CHECK(nn::MultiheadAttention(4, 2)->str() ==
        "MultiheadAttention(\n"
        "  (out_proj): Linear(in_features=4, out_features=4, bias=True)\n"
        ")");
  CHECK(nn::TransformerEncoderLayer(8, 2, 16)->str() ==
        "TransformerEncoderLayer(\n"
        "  (self_attn): MultiheadAttention(\n"
        "    (out_proj): Linear(in_features=8, out_features=8, bias=True)\n"
        "  )\n"
        "  (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "  (dropout): Dropout(p=0.1, inplace=False)\n"
        "  (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        "  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "  (dropout1): Dropout(p=0.1, inplace=False)\n"
        "  (dropout2): Dropout(p=0.1, inplace=False)\n"
        ")");
}

TEST_CASE("MultiheadAttention and TransformerEncoderLayer errors name the module", "[attention]") {
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(nn::MultiheadAttention(6, 4), Contains("MultiheadAttention") && Contains("divisible"));
  REQUIRE_THROWS_WITH(nn::MultiheadAttention(0, 1), Contains("MultiheadAttention"));
  REQUIRE_THROWS_WITH(nn::MultiheadAttention(4, 2, 1.5), Contains("MultiheadAttention") && Contains("dropout"));
  REQUIRE_THROWS_WITH(nn::TransformerEncoderLayer(8, 3), Contains("MultiheadAttention"));
  REQUIRE_THROWS_WITH(nn::TransformerEncoderLayer(8, 2, 16, 0.1, "tanh"),
                      Contains("TransformerEncoderLayer") && Contains("tanh"));
  nn::MultiheadAttention mha(4, 2);
  const Tensor x = reel::randn({3, 2, 4});
  REQUIRE_THROWS_WITH(mha(reel::randn({3, 2, 5}), x, x), Contains("MultiheadAttention") && Contains("embed_dim"));
  REQUIRE_THROWS_WITH(mha(reel::randn({3, 4}), x, x), Contains("MultiheadAttention") && Contains("rank"));
  REQUIRE_THROWS_WITH(mha(reel::randn({2, 3, 2, 4}), x, x), Contains("MultiheadAttention"));
  REQUIRE_THROWS_WITH(mha(x, x, reel::randn({4, 2, 4})), Contains("MultiheadAttention"));
  REQUIRE_THROWS_WITH(mha(x, reel::randn({3, 3, 4}), reel::randn({3, 3, 4})),
                      Contains("MultiheadAttention") && Contains("batch size"));
  REQUIRE_THROWS_WITH(mha(x, x, x, Tensor(), true, reel::zeros({3, 4}, reel::kBool)),
                      Contains("MultiheadAttention") && Contains("attn_mask"));
  REQUIRE_THROWS_WITH(mha(x, x, x, Tensor(), true, reel::zeros({3, 3}, reel::kInt64)),
                      Contains("MultiheadAttention") && Contains("attn_mask"));
  REQUIRE_THROWS_WITH(mha(x, x, x, reel::zeros({3, 3}, reel::kBool)),
                      Contains("MultiheadAttention") && Contains("key_padding_mask"));
  REQUIRE_THROWS_WITH(mha(Tensor(), x, x), Contains("MultiheadAttention"));
}
