// reel/autograd/gradcheck.h — checking analytic gradients against finite differences, as
// torch.autograd.gradcheck / gradgradcheck do. Inputs should be float64; only inputs with requires_grad are
// checked. The result converts to bool and, on failure, names the worst element with both values.
#pragma once

#include <string>
#include <vector>

#include "../tensor/callback.h"
#include "../tensor/tensor.h"

namespace reel::autograd {

using GradcheckFn = Callback<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;     // on failure: which output/input/element, analytic vs numeric
  double max_error = 0.0;  // largest |analytic - numeric| seen
  // Usable where a bool is expected (`bool ok = gradcheck(...)`), as Python's gradcheck returns a bool.
  operator bool() const { return ok; }  // NOLINT: implicit on purpose
};

// Compares the Jacobian of fn at `inputs` computed by backward() with central finite differences.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});
GradcheckResult gradcheck(const Callback<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, GradcheckOptions options = {});

// Checks second derivatives: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v, create_graph=true)
// for random output weights v.
GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              GradcheckOptions options = {});
GradcheckResult gradgradcheck(const Callback<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace reel::autograd
