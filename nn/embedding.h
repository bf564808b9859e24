// reel/nn/embedding.h — Embedding and EmbeddingBag with LibTorch's options, Embedding::from_pretrained, and the
// functional forms F::embedding(input, weight, EmbeddingFuncOptions) and F::embedding_bag.
//
//   reel::nn::Embedding words(reel::nn::EmbeddingOptions(10000, 300).padding_idx(0).max_norm(1.0));
//   auto frozen = reel::nn::Embedding::from_pretrained(vectors);            // freeze(true): no gradient
//   reel::nn::EmbeddingBag bags(reel::nn::EmbeddingBagOptions(10000, 64).mode(reel::kSum));
//   reel::Tensor y = bags(index, offsets);                                  // one row per bag
//
// As in PyTorch: max_norm renormalises the looked-up rows of weight in place (under no_grad) before the lookup,
// scale_grad_by_freq divides the gradient of each row by how often its index occurs in the batch, sparse gives
// weight a row-sparse gradient (Note [Row-sparse gradients] in docs/NOTES.md), and the padding_idx row (negative
// counts from the end) starts at zero and receives no gradient.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "arg.h"
#include "enum.h"
#include "module.h"

namespace reel::nn {

// Options of Embedding (LibTorch's EmbeddingOptions).
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  REEL_ARG(int64_t, num_embeddings);
  REEL_ARG(int64_t, embedding_dim);
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;  // negative counts from the end
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;      // rows looked up are renormalised to this norm
  REEL_ARG(double, norm_type) = 2.0;                             // the p of max_norm's p-norm
  REEL_ARG(bool, scale_grad_by_freq) = false;                    // row gradients divided by the row's count
  REEL_ARG(bool, sparse) = false;                                // weight's gradient is row-sparse
  REEL_ARG(Tensor, _weight) = Tensor();                          // the weight to use (shared, not copied)
};

// Options of Embedding::from_pretrained.
struct EmbeddingFromPretrainedOptions {
  REEL_ARG(bool, freeze) = true;  // weight.requires_grad = !freeze
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;
  REEL_ARG(double, norm_type) = 2.0;
  REEL_ARG(bool, scale_grad_by_freq) = false;
  REEL_ARG(bool, sparse) = false;
};

// How EmbeddingBag reduces a bag: reel::kSum, reel::kMean or reel::kMax.
using EmbeddingBagMode = std::variant<enumtype::kSum, enumtype::kMean, enumtype::kMax>;

// Options of EmbeddingBag (LibTorch's EmbeddingBagOptions).
struct EmbeddingBagOptions {
  EmbeddingBagOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  REEL_ARG(int64_t, num_embeddings);
  REEL_ARG(int64_t, embedding_dim);
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;
  REEL_ARG(double, norm_type) = 2.0;
  REEL_ARG(bool, scale_grad_by_freq) = false;  // not with kMax
  REEL_ARG(EmbeddingBagMode, mode) = enumtype::kMean();
  REEL_ARG(bool, sparse) = false;  // not with kMax
  REEL_ARG(Tensor, _weight) = Tensor();
  REEL_ARG(bool, include_last_offset) = false;  // offsets has one more entry: the end of the last bag
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;  // entries of this index are left out of the bags
};

// Options of EmbeddingBag::from_pretrained.
struct EmbeddingBagFromPretrainedOptions {
  REEL_ARG(bool, freeze) = true;
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;
  REEL_ARG(double, norm_type) = 2.0;
  REEL_ARG(bool, scale_grad_by_freq) = false;
  REEL_ARG(EmbeddingBagMode, mode) = enumtype::kMean();
  REEL_ARG(bool, sparse) = false;
  REEL_ARG(bool, include_last_offset) = false;
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

namespace functional {

// Options of F::embedding (LibTorch's EmbeddingFuncOptions).
struct EmbeddingFuncOptions {
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;
  REEL_ARG(double, norm_type) = 2.0;
  REEL_ARG(bool, scale_grad_by_freq) = false;
  REEL_ARG(bool, sparse) = false;
};

// Options of F::embedding_bag (LibTorch's EmbeddingBagFuncOptions).
struct EmbeddingBagFuncOptions {
  REEL_ARG(Tensor, offsets) = Tensor();  // with a 1-D input: where each bag starts
  REEL_ARG(std::optional<double>, max_norm) = std::nullopt;
  REEL_ARG(double, norm_type) = 2.0;
  REEL_ARG(bool, scale_grad_by_freq) = false;
  REEL_ARG(EmbeddingBagMode, mode) = enumtype::kMean();
  REEL_ARG(bool, sparse) = false;
  REEL_ARG(Tensor, per_sample_weights) = Tensor();  // kSum only: each looked-up row is scaled by its weight
  REEL_ARG(bool, include_last_offset) = false;
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

// y[..., :] = weight[input[...], :] with max_norm renormalisation (weight changes in place), scale_grad_by_freq,
// sparse and padding_idx as EmbeddingOptions describes.
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options);

// y[b, :] = reduce over the entries i of bag b of (per_sample_weights[i]) weight[input[i], :]; reduce = sum, mean
// or max; entries equal to padding_idx are left out (an empty bag gives zeros). input (B, L): B bags of L entries
// (no offsets); input (n): bags start at offsets (offsets[0] = 0, non-decreasing, at most n).
Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options = {});

}  // namespace functional

// PyTorch's name of an EmbeddingBag mode: "sum", "mean" or "max".
std::string embedding_bag_mode_name(const EmbeddingBagMode& mode);

// y[..., :] = weight[index[...], :]; weight [num_embeddings, embedding_dim] ~ N(0, 1) (or options._weight).
class EmbeddingImpl : public Cloneable<EmbeddingImpl> {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
                bool sparse = false);
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  // An Embedding holding `embeddings` (2-D, shared, not copied) as its weight; freeze: no gradient.
  static std::shared_ptr<EmbeddingImpl> from_pretrained(const Tensor& embeddings,
                                                        const EmbeddingFromPretrainedOptions& options = {});
  // W ~ N(0, 1), W[padding_idx] = 0
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  EmbeddingOptions options;
  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;  // stored wrapped to [0, num_embeddings)
  bool sparse;
  Tensor weight;
};

// The holder, with LibTorch's static nn::Embedding::from_pretrained(...).
class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  static Embedding from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options = {}) {
    return Embedding(EmbeddingImpl::from_pretrained(embeddings, options));
  }
};

// y[b, :] = the sum, mean or max of the rows of weight looked up by bag b (F::embedding_bag).
class EmbeddingBagImpl : public Cloneable<EmbeddingBagImpl> {
 public:
  EmbeddingBagImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingBagImpl(EmbeddingBagOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingBagImpl(const EmbeddingBagOptions& options);
  static std::shared_ptr<EmbeddingBagImpl> from_pretrained(const Tensor& embeddings,
                                                           const EmbeddingBagFromPretrainedOptions& options = {});
  // W ~ N(0, 1), W[padding_idx] = 0
  void reset_parameters();
  Tensor forward(const Tensor& input, const Tensor& offsets = {}, const Tensor& per_sample_weights = {});
  std::string extra_repr() const override;

  EmbeddingBagOptions options;  // padding_idx stored wrapped to [0, num_embeddings)
  Tensor weight;
};

class EmbeddingBag : public ModuleHolder<EmbeddingBagImpl> {
 public:
  using ModuleHolder<EmbeddingBagImpl>::ModuleHolder;
  static EmbeddingBag from_pretrained(const Tensor& embeddings,
                                      const EmbeddingBagFromPretrainedOptions& options = {}) {
    return EmbeddingBag(EmbeddingBagImpl::from_pretrained(embeddings, options));
  }
};

}  // namespace reel::nn
