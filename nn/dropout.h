// reel/nn/dropout.h — the dropout layers Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout and
// FeatureAlphaDropout with LibTorch's options, and their functional forms (F::dropout2d, F::alpha_dropout, ...).
//
//   reel::nn::Dropout drop(reel::nn::DropoutOptions(0.2).inplace(true));   // or Dropout(0.2), or Dropout()
//   reel::nn::Dropout2d conv2_drop;                                         // p = 0.5, as LibTorch's default
//   std::cout << conv2_drop;                                                // Dropout2d(p=0.5, inplace=False)
//
// Training mode draws from the default generator (reproducible under manual_seed); evaluation mode is the
// identity. The "feature" forms (Dropout1d/2d/3d, FeatureAlphaDropout) draw one mask value per (sample, channel)
// and so zero whole channels. As in LibTorch's C++ API (not Python's), Dropout2d treats any input that is not 4-D
// as one unbatched sample (C, H, W), Dropout3d any input that is not 5-D as (C, D, H, W), and Dropout1d any input
// that is not 3-D as (C, L). inplace(true) writes the result into the input (mul_ / add_) and returns it.
#pragma once

#include "arg.h"
#include "module.h"

namespace reel::nn {

// Options of every dropout layer (LibTorch's DropoutOptions; implicit from p as in LibTorch).
struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(double, p);                       // the probability of zeroing an element (a channel)
  REEL_ARG(bool, inplace) = false;           // write the result into the input
};
using Dropout1dOptions = DropoutOptions;
using Dropout2dOptions = DropoutOptions;
using Dropout3dOptions = DropoutOptions;
using AlphaDropoutOptions = DropoutOptions;
using FeatureAlphaDropoutOptions = DropoutOptions;

namespace functional {

// Options of F::dropout, F::dropout1d/2d/3d (training defaults to true).
struct DropoutFuncOptions {
  REEL_ARG(double, p) = 0.5;
  REEL_ARG(bool, training) = true;
  REEL_ARG(bool, inplace) = false;
};
using Dropout1dFuncOptions = DropoutFuncOptions;
using Dropout2dFuncOptions = DropoutFuncOptions;
using Dropout3dFuncOptions = DropoutFuncOptions;
// Options of F::alpha_dropout and F::feature_alpha_dropout (training defaults to false, as in LibTorch).
struct AlphaDropoutFuncOptions {
  REEL_ARG(double, p) = 0.5;
  REEL_ARG(bool, training) = false;
  REEL_ARG(bool, inplace) = false;
};
struct FeatureAlphaDropoutFuncOptions {
  REEL_ARG(double, p) = 0.5;
  REEL_ARG(bool, training) = false;
  REEL_ARG(bool, inplace) = false;
};

// F::dropout with LibTorch's options (the positional form is in nn/functional.h).
Tensor dropout(Tensor input, const DropoutFuncOptions& options);
// Channel dropout of (N, C, *): y = x * m[n, c] / (1 - p), m[n, c] ~ Bernoulli(1 - p), one value per channel.
Tensor feature_dropout(Tensor input, double p, bool training, bool inplace = false);
// feature_dropout of (N, C, L), or of one unbatched (C, L) sample (any input that is not 3-D).
Tensor dropout1d(Tensor input, double p = 0.5, bool training = true, bool inplace = false);
Tensor dropout1d(Tensor input, const Dropout1dFuncOptions& options);
// feature_dropout of (N, C, H, W), or of one unbatched (C, H, W) sample (any input that is not 4-D).
Tensor dropout2d(Tensor input, double p = 0.5, bool training = true, bool inplace = false);
Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options);
// feature_dropout of (N, C, D, H, W), or of one unbatched (C, D, H, W) sample (any input that is not 5-D).
Tensor dropout3d(Tensor input, double p = 0.5, bool training = true, bool inplace = false);
Tensor dropout3d(Tensor input, const Dropout3dFuncOptions& options);
// SELU-preserving dropout: y = a (x m + alpha' (1 - m)) + b with alpha' = -1.7581 (SELU's negative saturation),
// m ~ Bernoulli(1 - p), a = 1 / sqrt((alpha'^2 p + 1)(1 - p)), b = -a alpha' p, so a standard normal input keeps
// mean 0 and variance 1.
Tensor alpha_dropout(Tensor input, double p = 0.5, bool training = false, bool inplace = false);
Tensor alpha_dropout(Tensor input, const AlphaDropoutFuncOptions& options);
// alpha_dropout with one mask value per (sample, channel) of (N, C, *).
Tensor feature_alpha_dropout(Tensor input, double p = 0.5, bool training = false, bool inplace = false);
Tensor feature_alpha_dropout(Tensor input, const FeatureAlphaDropoutFuncOptions& options);

}  // namespace functional

// The shared body of the dropout layers: the options, their check and their printing ("p=0.5, inplace=False").
class DropoutImplBase : public Cloneable<DropoutImplBase> {
 public:
  explicit DropoutImplBase(const DropoutOptions& options);
  std::string extra_repr() const override;

  DropoutOptions options;
  double p;  // options.p(), kept as a field for existing code (`dropout->p`)
};

// Training: zeroes each element with probability p and scales the rest by 1 / (1 - p); evaluation: y = x.
class DropoutImpl : public DropoutImplBase {
 public:
  explicit DropoutImpl(double p = 0.5) : DropoutImpl(DropoutOptions(p)) {}
  explicit DropoutImpl(const DropoutOptions& options);
  Tensor forward(Tensor input);
};
REEL_MODULE(Dropout);

// Training: zeroes each channel of (N, C, L) (or unbatched (C, L)) with probability p, scales by 1 / (1 - p).
class Dropout1dImpl : public DropoutImplBase {
 public:
  explicit Dropout1dImpl(double p = 0.5) : Dropout1dImpl(DropoutOptions(p)) {}
  explicit Dropout1dImpl(const Dropout1dOptions& options) : DropoutImplBase(options) {}
  Tensor forward(Tensor input);
};
REEL_MODULE(Dropout1d);

// Training: zeroes each channel of (N, C, H, W) (or unbatched (C, H, W)) with probability p, scales by 1 / (1 - p).
class Dropout2dImpl : public DropoutImplBase {
 public:
  explicit Dropout2dImpl(double p = 0.5) : Dropout2dImpl(DropoutOptions(p)) {}
  explicit Dropout2dImpl(const Dropout2dOptions& options) : DropoutImplBase(options) {}
  Tensor forward(Tensor input);
};
REEL_MODULE(Dropout2d);

// Training: zeroes each channel of (N, C, D, H, W) (or unbatched (C, D, H, W)) with probability p.
class Dropout3dImpl : public DropoutImplBase {
 public:
  explicit Dropout3dImpl(double p = 0.5) : Dropout3dImpl(DropoutOptions(p)) {}
  explicit Dropout3dImpl(const Dropout3dOptions& options) : DropoutImplBase(options) {}
  Tensor forward(Tensor input);
};
REEL_MODULE(Dropout3d);

// Training: F::alpha_dropout (keeps a SELU network's mean 0 / variance 1); evaluation: y = x.
class AlphaDropoutImpl : public DropoutImplBase {
 public:
  explicit AlphaDropoutImpl(double p = 0.5) : AlphaDropoutImpl(DropoutOptions(p)) {}
  explicit AlphaDropoutImpl(const AlphaDropoutOptions& options) : DropoutImplBase(options) {}
  Tensor forward(Tensor input);
};
REEL_MODULE(AlphaDropout);

// Training: F::feature_alpha_dropout (alpha dropout of whole channels); evaluation: y = x.
class FeatureAlphaDropoutImpl : public DropoutImplBase {
 public:
  explicit FeatureAlphaDropoutImpl(double p = 0.5) : FeatureAlphaDropoutImpl(DropoutOptions(p)) {}
  explicit FeatureAlphaDropoutImpl(const FeatureAlphaDropoutOptions& options) : DropoutImplBase(options) {}
  Tensor forward(Tensor input);
};
REEL_MODULE(FeatureAlphaDropout);

}  // namespace reel::nn
