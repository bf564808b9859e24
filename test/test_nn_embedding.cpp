// reel/test/test_nn_embedding.cpp — Embedding's complete options and EmbeddingBag (nn/embedding.h) against float64
// references written here as loops: max_norm renormalising the looked-up rows of weight in place (p = 1 and 2),
// scale_grad_by_freq dividing each row's gradient by its count (dense and sparse), _weight and from_pretrained
// sharing the given tensor (freeze), EmbeddingBag's sum / mean / max over offsets, include_last_offset, 2-D input,
// per_sample_weights and padding_idx (empty bags give zeros), gradcheck of the bags, printing and errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "autograd_test_utils.h"

namespace {

using namespace reel;
using autograd_test::error_of;
using autograd_test::require_close;
using autograd_test::values;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

Tensor index_tensor(const std::vector<int64_t>& v) { return tensor(v, kInt64); }

// ||row||_p of a [rows, dim] float64 tensor
double row_norm(const std::vector<double>& w, int64_t row, int64_t dim, double p) {
  double s = 0;
  for (int64_t j = 0; j < dim; ++j) s += std::pow(std::abs(w[static_cast<size_t>(row * dim + j)]), p);
  return std::pow(s, 1.0 / p);
}

// The reference bags: reduce ("sum", "mean", "max") over entries [starts[b], ends[b]) except padding
Tensor reference_bags(const std::vector<int64_t>& index, const std::vector<int64_t>& starts,
                      const std::vector<int64_t>& ends, const std::vector<double>& w, int64_t dim,
                      const std::string& mode, const std::vector<double>& psw, int64_t padding) {
  std::vector<double> out;
  for (size_t b = 0; b < starts.size(); ++b) {
    std::vector<double> acc(static_cast<size_t>(dim), mode == "max" ? -std::numeric_limits<double>::infinity() : 0.0);
    int64_t count = 0;
    for (int64_t i = starts[b]; i < ends[b]; ++i) {
      const int64_t row = index[static_cast<size_t>(i)];
      if (row == padding) continue;
      ++count;
      const double scale = psw.empty() ? 1.0 : psw[static_cast<size_t>(i)];
      for (int64_t j = 0; j < dim; ++j) {
        const double v = w[static_cast<size_t>(row * dim + j)] * scale;
        acc[static_cast<size_t>(j)] = mode == "max" ? std::max(acc[static_cast<size_t>(j)], v) : acc[static_cast<size_t>(j)] + v;
      }
    }
    for (double& a : acc) {
      if (count == 0) a = 0.0;
      else if (mode == "mean") a /= static_cast<double>(count);
    }
    out.insert(out.end(), acc.begin(), acc.end());
  }
  return tensor(out, kFloat64).view({static_cast<int64_t>(starts.size()), dim});
}

}  // namespace

TEST_CASE("Embedding options: LibTorch's spellings, padding_idx and printing", "[nn][embedding]") {
  nn::Embedding e(nn::EmbeddingOptions(10, 3).padding_idx(-1));
  CHECK(e->padding_idx == 9);
  CHECK(e->options.padding_idx() == 9);
  CHECK(e->weight[9].abs().sum().item<double>() == 0.0);
  CHECK(e->str() == "Embedding(10, 3, padding_idx=9)");
  nn::Embedding all(nn::EmbeddingOptions(10, 3).padding_idx(-1).max_norm(1.0).norm_type(1.0).scale_grad_by_freq(true)
                        .sparse(true));
  CHECK(all->str() == "Embedding(10, 3, padding_idx=9, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, "
                      "sparse=True)");
  nn::Embedding positional(5, 2);  // today's constructor keeps working
  CHECK(positional->str() == "Embedding(5, 2)");
  CHECK_THAT(error_of([] { nn::Embedding(nn::EmbeddingOptions(4, 2)._weight(zeros({3, 2}))); }),
             Catch::Contains("shape of _weight ([3, 2]) does not match"));
  CHECK_THAT(error_of([] { nn::Embedding::from_pretrained(zeros({3})); }), Catch::Contains("2-dimensional"));
}

TEST_CASE("Embedding max_norm renormalises the looked-up rows in place", "[nn][embedding]") {
  for (double p : {1.0, 2.0}) {
    const Tensor w0 = randn({6, 4}, kFloat64) * 2.0;
    nn::Embedding e(nn::EmbeddingOptions(6, 4)._weight(w0.clone()).max_norm(1.5).norm_type(p));
    const std::vector<double> before = values(w0);
    const Tensor y = e(index_tensor({1, 3, 1, 5}));
    const std::vector<double> after = values(e->weight.detach());
    for (int64_t row = 0; row < 6; ++row) {
      const bool looked_up = row == 1 || row == 3 || row == 5;
      const double norm = row_norm(before, row, 4, p);
      const double scale = looked_up && norm > 1.5 ? 1.5 / (norm + 1e-7) : 1.0;
      for (int64_t j = 0; j < 4; ++j)
        REQUIRE(std::abs(after[static_cast<size_t>(row * 4 + j)] - before[static_cast<size_t>(row * 4 + j)] * scale) <
                1e-12);
    }
    require_close(y, e->weight.detach().index_select(0, index_tensor({1, 3, 1, 5})), 0.0);
  }
  CHECK_THAT(error_of([] { F::embedding(index_tensor({7}), ones({3, 2}), F::EmbeddingFuncOptions().max_norm(1.0)); }),
             Catch::Contains("index out of range"));
}

TEST_CASE("Embedding scale_grad_by_freq divides each row's gradient by its count", "[nn][embedding][autograd]") {
  const std::vector<int64_t> index{0, 2, 0, 0, 1, 2, 4};
  std::map<int64_t, int> counts;
  for (int64_t i : index) ++counts[i];
  for (bool sparse : {false, true}) {
    nn::Embedding e(nn::EmbeddingOptions(5, 3).scale_grad_by_freq(true).sparse(sparse));
    e->to(kFloat64);
    const Tensor c = randn({7, 3}, kFloat64);
    (e(index_tensor(index)) * c).sum().backward();
    const Tensor grad = sparse ? e->weight.grad().to_dense() : e->weight.grad();
    CHECK(e->weight.grad().is_sparse() == sparse);
    std::vector<double> expected(15, 0.0);
    const std::vector<double> cv = values(c);
    for (size_t i = 0; i < index.size(); ++i)
      for (int64_t j = 0; j < 3; ++j)
        expected[static_cast<size_t>(index[i] * 3 + j)] += cv[i * 3 + static_cast<size_t>(j)] / counts[index[i]];
    require_close(grad, tensor(expected, kFloat64).view({5, 3}), 1e-12);
  }
}

TEST_CASE("Embedding from_pretrained and _weight share the given tensor", "[nn][embedding]") {
  const Tensor vectors = randn({4, 3}, kFloat64);
  nn::Embedding frozen = nn::Embedding::from_pretrained(vectors);
  CHECK(!frozen->weight.requires_grad());
  CHECK(frozen->weight.data_ptr() == vectors.data_ptr());
  require_close(frozen(index_tensor({2, 0})), vectors.index_select(0, index_tensor({2, 0})), 0.0);
  nn::Embedding trained =
      nn::Embedding::from_pretrained(vectors, nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(1));
  CHECK(trained->weight.requires_grad());
  CHECK(trained->padding_idx == 1);
  trained(index_tensor({1, 2})).sum().backward();
  require_close(trained->weight.grad()[1], zeros({3}, kFloat64), 0.0);  // padding row: no gradient
  require_close(trained->weight.grad()[2], ones({3}, kFloat64), 0.0);
  nn::EmbeddingBag bag = nn::EmbeddingBag::from_pretrained(vectors, nn::EmbeddingBagFromPretrainedOptions().mode(kSum));
  CHECK(!bag->weight.requires_grad());
  require_close(bag(index_tensor({0, 1, 3}), index_tensor({0, 2})),
                reference_bags({0, 1, 3}, {0, 2}, {2, 3}, values(vectors), 3, "sum", {}, -1), 1e-12);
}

TEST_CASE("EmbeddingBag sum / mean / max against float64 loops", "[nn][embedding]") {
  const Tensor w = randn({7, 3}, kFloat64);
  const std::vector<double> wv = values(w);
  const std::vector<int64_t> index{1, 2, 4, 5, 4, 3, 2, 6, 0};
  const std::vector<int64_t> offsets{0, 2, 2, 5};  // bag 1 empty
  for (const std::string mode : {"sum", "mean", "max"}) {
    F::EmbeddingBagFuncOptions options;
    options.offsets(index_tensor(offsets));
    if (mode == "sum") options.mode(kSum);
    if (mode == "max") options.mode(kMax);
    INFO(mode);
    require_close(F::embedding_bag(index_tensor(index), w, options),
                  reference_bags(index, offsets, {2, 2, 5, 9}, wv, 3, mode, {}, -1), 1e-12);
    // include_last_offset: the last entry ends the last bag; entries after it are left out
    options.offsets(index_tensor({0, 2, 2, 5, 8})).include_last_offset(true);
    require_close(F::embedding_bag(index_tensor(index), w, options),
                  reference_bags(index, offsets, {2, 2, 5, 8}, wv, 3, mode, {}, -1), 1e-12);
    // padding_idx 4 (given as -3): its entries are left out; bag {4} alone would be empty
    options.offsets(index_tensor({0, 2, 4, 5})).include_last_offset(false).padding_idx(-3);
    require_close(F::embedding_bag(index_tensor(index), w, options),
                  reference_bags(index, {0, 2, 4, 5}, {2, 4, 5, 9}, wv, 3, mode, {}, 4), 1e-12);
  }
  // 2-D input: fixed-length bags; per_sample_weights with sum
  const Tensor psw = randn({3, 3}, kFloat64);
  const std::vector<int64_t> square{1, 2, 4, 5, 4, 3, 2, 6, 0};
  require_close(F::embedding_bag(index_tensor(square).view({3, 3}), w,
                                 F::EmbeddingBagFuncOptions().mode(kSum).per_sample_weights(psw)),
                reference_bags(square, {0, 3, 6}, {3, 6, 9}, wv, 3, "sum", values(psw), -1), 1e-12);
  nn::EmbeddingBag module(nn::EmbeddingBagOptions(7, 3)._weight(w).mode(kMax));
  require_close(module(index_tensor(square).view({3, 3})),
                reference_bags(square, {0, 3, 6}, {3, 6, 9}, wv, 3, "max", {}, -1), 1e-12);
}

TEST_CASE("EmbeddingBag gradients (gradcheck) and printing", "[nn][embedding][autograd]") {
  const Tensor w = autograd_test::random_leaf({6, 3});
  const Tensor psw = autograd_test::random_leaf({7});
  const Tensor index = index_tensor({0, 2, 2, 5, 1, 3, 4});
  const Tensor offsets = index_tensor({0, 3, 3, 6});
  REQUIRE_GRADCHECK(([&](const std::vector<Tensor>& in) -> Tensor {
                      return F::embedding_bag(index, in[0], F::EmbeddingBagFuncOptions().offsets(offsets).mode(kSum)
                                                                .per_sample_weights(in[1]));
                    }),
                    (std::vector<Tensor>{w, psw}));
  for (const auto mode : {nn::EmbeddingBagMode(kMean), nn::EmbeddingBagMode(kMax)}) {
    REQUIRE_GRADCHECK(([&](const std::vector<Tensor>& in) -> Tensor {
                        return F::embedding_bag(index, in[0],
                                                F::EmbeddingBagFuncOptions().offsets(offsets).mode(mode).padding_idx(2));
                      }),
                      (std::vector<Tensor>{w}));
  }
  CHECK(nn::EmbeddingBag(10, 3)->str() == "EmbeddingBag(10, 3, mode='mean')");
  CHECK(nn::EmbeddingBag(nn::EmbeddingBagOptions(10, 3).max_norm(2.0).norm_type(3.0).scale_grad_by_freq(true)
                             .mode(kSum).padding_idx(2))
            ->str() == "EmbeddingBag(10, 3, max_norm=2.0, norm_type=3.0, scale_grad_by_freq=True, mode='sum', "
                       "padding_idx=2)");
}

TEST_CASE("EmbeddingBag errors name the offending values", "[nn][embedding]") {
  const Tensor w = ones({5, 2});
  const Tensor index = index_tensor({0, 1, 2});
  CHECK_THAT(error_of([&] { F::embedding_bag(index, w, F::EmbeddingBagFuncOptions().offsets(index_tensor({1}))); }),
             Catch::Contains("offsets[0] has to be 0"));
  CHECK_THAT(error_of([&] { F::embedding_bag(index, w, F::EmbeddingBagFuncOptions().offsets(index_tensor({0, 4}))); }),
             Catch::Contains("can not be greater than input's length (3)"));
  CHECK_THAT(error_of([&] { F::embedding_bag(index, w); }), Catch::Contains("offsets has to be a 1D Tensor but got None"));
  CHECK_THAT(error_of([&] {
               F::embedding_bag(index.view({1, 3}), w, F::EmbeddingBagFuncOptions().offsets(index_tensor({0})));
             }),
             Catch::Contains("if input is 2D, then offsets has to be None"));
  CHECK_THAT(error_of([&] {
               F::embedding_bag(index, w, F::EmbeddingBagFuncOptions().offsets(index_tensor({0})).per_sample_weights(
                                              ones({3})));
             }),
             Catch::Contains("only supported for mode='sum' (got mode='mean')"));
  CHECK_THAT(error_of([&] {
               F::embedding_bag(index, w, F::EmbeddingBagFuncOptions().offsets(index_tensor({0})).mode(kMax).sparse(true));
             }),
             Catch::Contains("max mode does not support sparse weights"));
}
