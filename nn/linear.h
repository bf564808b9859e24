// reel/nn/linear.h — the basic layers: Identity, Linear, Bilinear, Flatten and Unflatten, with LibTorch's options
// (Embedding and Dropout, once here, are in nn/embedding.h and nn/dropout.h, which this header includes).
//
// Each is an Impl class (a reel::nn::Module) with a holder of the same name without "Impl", as in LibTorch:
//
//   reel::nn::Linear fc(784, 10);          // weight [10, 784] ~ kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt 784)
//   reel::nn::Linear head(reel::nn::LinearOptions(784, 10).bias(false));   // LibTorch's spelling
//   reel::Tensor logits = fc(x);           // or fc->forward(x)
//   std::cout << fc;                       // Linear(in_features=784, out_features=10, bias=True)
//
// Constructors take PyTorch's arguments in PyTorch's order with its defaults, and initialise the parameters as
// PyTorch's reset_parameters() does (call reset_parameters() to draw them again).
#pragma once

#include <optional>
#include <vector>

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

// Options of Linear (LibTorch's LinearOptions): Linear(LinearOptions(5, 2).bias(false)).
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  REEL_ARG(int64_t, in_features);
  REEL_ARG(int64_t, out_features);
  REEL_ARG(bool, bias) = true;
};

// y = x W^T + b; weight [out_features, in_features], bias [out_features]
class LinearImpl : public Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  explicit LinearImpl(const LinearOptions& options)
      : LinearImpl(options.in_features(), options.out_features(), options.bias()) {}
  // weight ~ kaiming_uniform_(a = sqrt 5), i.e. U(+-1/sqrt(in_features)); bias ~ U(+-1/sqrt(in_features))
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LinearOptions options;  // LibTorch's `linear->options`
  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when bias=false
};
REEL_MODULE(Linear);

// Options of Bilinear (LibTorch's BilinearOptions): Bilinear(BilinearOptions(3, 2, 4).bias(false)).
struct BilinearOptions {
  BilinearOptions(int64_t in1_features, int64_t in2_features, int64_t out_features)
      : in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {}
  REEL_ARG(int64_t, in1_features);
  REEL_ARG(int64_t, in2_features);
  REEL_ARG(int64_t, out_features);
  REEL_ARG(bool, bias) = true;
};

// y = x1^T A x2 + b; weight [out_features, in1_features, in2_features], bias [out_features]
class BilinearImpl : public Cloneable<BilinearImpl> {
 public:
  BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true);
  explicit BilinearImpl(const BilinearOptions& options)
      : BilinearImpl(options.in1_features(), options.in2_features(), options.out_features(), options.bias()) {}
  // weight and bias ~ U(+-1/sqrt(in1_features))
  void reset_parameters();
  Tensor forward(const Tensor& input1, const Tensor& input2);
  std::string extra_repr() const override;

  BilinearOptions options;
  int64_t in1_features, in2_features, out_features;
  Tensor weight, bias;
};
REEL_MODULE(Bilinear);

// Options of Flatten (LibTorch's FlattenOptions): Flatten(FlattenOptions().start_dim(2).end_dim(4)).
struct FlattenOptions {
  REEL_ARG(int64_t, start_dim) = 1;
  REEL_ARG(int64_t, end_dim) = -1;
};

// y = x with dims start_dim..end_dim merged into one
class FlattenImpl : public Cloneable<FlattenImpl> {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1);
  explicit FlattenImpl(const FlattenOptions& options) : FlattenImpl(options.start_dim(), options.end_dim()) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  FlattenOptions options;
  int64_t start_dim, end_dim;
};
REEL_MODULE(Flatten);

// Options of Unflatten (LibTorch's UnflattenOptions without the named-tensor forms): UnflattenOptions(1, {2, 5}).
struct UnflattenOptions {
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  REEL_ARG(int64_t, dim);
  REEL_ARG(std::vector<int64_t>, sizes);
};

// y = x with dim split into sizes (one entry may be -1: inferred); the inverse of Flatten
class UnflattenImpl : public Cloneable<UnflattenImpl> {
 public:
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes);
  explicit UnflattenImpl(const UnflattenOptions& options) : UnflattenImpl(options.dim(), options.sizes()) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  UnflattenOptions options;
  int64_t dim;
  std::vector<int64_t> sizes;
};
REEL_MODULE(Unflatten);

}  // namespace reel::nn

// The layers that lived here before and keep their include path.
#include "dropout.h"
#include "embedding.h"
