// reel/nn/linear.h — the basic layers: Identity, Linear, Bilinear, Flatten, Embedding and Dropout.
//
// Each is an Impl class (a reel::nn::Module) with a holder of the same name without "Impl", as in LibTorch:
//
//   reel::nn::Linear fc(784, 10);          // weight [10, 784] ~ kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt 784)
//   reel::Tensor logits = fc(x);           // or fc->forward(x)
//   std::cout << fc;                       // Linear(in_features=784, out_features=10, bias=True)
//
// Constructors take PyTorch's arguments in PyTorch's order with its defaults, and initialise the parameters as
// PyTorch's reset_parameters() does (call reset_parameters() to draw them again).
#pragma once

#include <optional>

#include "arg.h"
#include "module.h"

namespace reel::nn {

// y = x
class IdentityImpl : public Cloneable<IdentityImpl> {
 public:
  IdentityImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Identity);

// y = x W^T + b; weight [out_features, in_features], bias [out_features]
class LinearImpl : public Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  // weight ~ kaiming_uniform_(a = sqrt 5), i.e. U(+-1/sqrt(in_features)); bias ~ U(+-1/sqrt(in_features))
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when bias=false
};
REEL_MODULE(Linear);

// y = x1^T A x2 + b; weight [out_features, in1_features, in2_features], bias [out_features]
class BilinearImpl : public Cloneable<BilinearImpl> {
 public:
  BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true);
  // weight and bias ~ U(+-1/sqrt(in1_features))
  void reset_parameters();
  Tensor forward(const Tensor& input1, const Tensor& input2);
  std::string extra_repr() const override;

  int64_t in1_features, in2_features, out_features;
  Tensor weight, bias;
};
REEL_MODULE(Bilinear);

// y = x with dims start_dim..end_dim merged into one
class FlattenImpl : public Cloneable<FlattenImpl> {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t start_dim, end_dim;
};
REEL_MODULE(Flatten);

// Options of Embedding, LibTorch's nn::EmbeddingOptions (max_norm, norm_type, scale_grad_by_freq and _weight are
// not supported):
//   reel::nn::Embedding embedding(reel::nn::EmbeddingOptions(10000, 300).sparse(true));
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  REEL_ARG(int64_t, num_embeddings);
  REEL_ARG(int64_t, embedding_dim);
  REEL_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;  // negative counts from the end
  // The gradient of weight is a sparse tensor of the looked-up rows (Note [Row-sparse gradients] in
  // docs/NOTES.md): SGD, Adagrad and SparseAdam then update only those rows.
  REEL_ARG(bool, sparse) = false;
};

// y[..., :] = weight[index[...], :]; weight [num_embeddings, embedding_dim] ~ N(0, 1). The padding_idx row
// (negative counts from the end) starts at zero and receives no gradient. With sparse, weight's gradient is
// sparse (EmbeddingOptions::sparse).
class EmbeddingImpl : public Cloneable<EmbeddingImpl> {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
                bool sparse = false);
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;  // stored wrapped to [0, num_embeddings)
  bool sparse;
  Tensor weight;
};
REEL_MODULE(Embedding);

// Training: zeroes each element with probability p and scales the rest by 1 / (1 - p); evaluation: y = x.
class DropoutImpl : public Cloneable<DropoutImpl> {
 public:
  explicit DropoutImpl(double p = 0.5);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double p;
};
REEL_MODULE(Dropout);

}  // namespace reel::nn
