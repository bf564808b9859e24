// reel/autograd/gradcheck.cpp — finite-difference checks of first and second derivatives.
//
// For every output element j, the analytic row d out_j / d inputs comes from one autograd::grad call with a
// one-hot output weight; every numeric column comes from perturbing one input element by +-eps in place
// (under NoGradGuard) and re-running fn. Sizes are small in tests, so the O(n*m) cost is fine.
#include "autograd/gradcheck.h"

#include <cmath>

#include <fmt/format.h>

#include "autograd/autograd.h"
#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::autograd {

namespace {

// Byte offset of flat (row-major) element `index` in a strided tensor.
int64_t element_offset(const Tensor& t, int64_t index) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (index % t.size(d)) * t.stride(d);
    index /= t.size(d);
  }
  return offset * t.element_size();
}

double read_element(const Tensor& t, int64_t index) {
  const char* p = static_cast<const char*>(t.data_ptr()) + element_offset(t, index);
  return dispatch_dtype(t.dtype(), "gradcheck", [&]<typename T>() {
    return static_cast<double>(static_cast<compute_t<T>>(*reinterpret_cast<const T*>(p)));
  });
}

void write_element(const Tensor& t, int64_t index, double value) {
  char* p = static_cast<char*>(t.data_ptr()) + element_offset(t, index);
  dispatch_dtype(t.dtype(), "gradcheck", [&]<typename T>() {
    *reinterpret_cast<T*>(p) = static_cast<T>(static_cast<compute_t<T>>(value));
  });
}

std::vector<Tensor> flat_outputs(const GradcheckFn& fn, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs = fn(inputs);
  for (const Tensor& out : outputs) out.check_defined("gradcheck");
  return outputs;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  GradcheckResult result;
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    REEL_CHECK(inputs[i].is_cpu(), "gradcheck: input {} is on {}; gradcheck runs on CPU tensors", i,
               inputs[i].device().str());
    checked.push_back(i);
  }
  REEL_CHECK(!checked.empty(), "gradcheck: no input requires grad");
  std::vector<Tensor> checked_inputs;
  for (size_t i : checked) checked_inputs.push_back(inputs[i]);

  std::vector<Tensor> outputs = flat_outputs(fn, inputs);
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Tensor& out = outputs[o];
    if (!out.is_floating_point()) continue;
    const int64_t out_numel = out.numel();
    // analytic[k][e][j] = d out_j / d input_k[e]
    std::vector<std::vector<std::vector<double>>> analytic(checked.size());
    for (size_t k = 0; k < checked.size(); ++k)
      analytic[k].assign(static_cast<size_t>(inputs[checked[k]].numel()),
                         std::vector<double>(static_cast<size_t>(out_numel), 0.0));
    if (out.requires_grad()) {
      for (int64_t j = 0; j < out_numel; ++j) {
        Tensor weight = zeros_like(out);
        write_element(weight, j, 1.0);
        std::vector<Tensor> grads = grad({out}, checked_inputs, {weight}, /*retain_graph=*/true,
                                         /*create_graph=*/false, /*allow_unused=*/true);
        for (size_t k = 0; k < checked.size(); ++k) {
          if (!grads[k].defined()) continue;
          Tensor g = grads[k].to_dense().to(kFloat64).contiguous();  // a sparse embedding's gradient: its value
          for (int64_t e = 0; e < g.numel(); ++e) analytic[k][static_cast<size_t>(e)][static_cast<size_t>(j)] = read_element(g, e);
        }
      }
    }
    for (size_t k = 0; k < checked.size(); ++k) {
      const Tensor& input = inputs[checked[k]];
      for (int64_t e = 0; e < input.numel(); ++e) {
        // fn runs with grad mode as the caller has it: gradgradcheck's fn itself calls autograd::grad.
        const double original = read_element(input, e);
        write_element(input, e, original + options.eps);
        Tensor out_plus = flat_outputs(fn, inputs)[o].detach().to(kFloat64).clone();  // may alias the input
        write_element(input, e, original - options.eps);
        Tensor out_minus = flat_outputs(fn, inputs)[o].detach().to(kFloat64).clone();
        write_element(input, e, original);
        std::vector<double> plus, minus;
        for (int64_t j = 0; j < out_numel; ++j) {
          plus.push_back(read_element(out_plus, j));
          minus.push_back(read_element(out_minus, j));
        }
        for (int64_t j = 0; j < out_numel; ++j) {
          const double numeric = (plus[j] - minus[j]) / (2 * options.eps);
          const double exact = analytic[k][static_cast<size_t>(e)][static_cast<size_t>(j)];
          const double error = std::fabs(exact - numeric);
          if (!(error <= result.max_error)) result.max_error = error;
          const bool close = error <= options.atol + options.rtol * std::fabs(numeric) ||
                             (std::isnan(exact) && std::isnan(numeric));
          if (!close && result.ok) {
            result.ok = false;
            result.message = fmt::format(
                "gradcheck: Jacobian mismatch for output {} (shape {}) with respect to input {} (shape {}) at "
                "output element {}, input element {}: analytic {:.10g}, numeric {:.10g} (|diff| {:.3g} > atol {} + "
                "rtol {} * |numeric|)",
                o, shape_str(out.sizes()), checked[k], shape_str(input.sizes()), j, e, exact, numeric, error,
                options.atol, options.rtol);
          }
        }
      }
    }
  }
  return result;
}

GradcheckResult gradcheck(const Callback<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, GradcheckOptions options) {
  return gradcheck(GradcheckFn([&](const std::vector<Tensor>& xs) { return std::vector<Tensor>{fn(xs)}; }), inputs,
                   options);
}

GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  std::vector<Tensor> outputs = flat_outputs(fn, inputs);
  std::vector<Tensor> weights;
  for (const Tensor& out : outputs)
    weights.push_back(randn(out.sizes(), TensorOptions(kFloat64).device(out.device())).requires_grad_(true));
  std::vector<size_t> differentiable;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) differentiable.push_back(i);
  const size_t n_inputs = inputs.size();
  GradcheckFn first_derivative = [&](const std::vector<Tensor>& all) {
    std::vector<Tensor> xs(all.begin(), all.begin() + static_cast<int64_t>(n_inputs));
    std::vector<Tensor> vs(all.begin() + static_cast<int64_t>(n_inputs), all.end());
    std::vector<Tensor> outs = fn(xs);
    std::vector<Tensor> wrt;
    for (size_t i : differentiable) wrt.push_back(xs[i]);
    std::vector<Tensor> grads = grad(outs, wrt, vs, /*retain_graph=*/true, /*create_graph=*/true,
                                     /*allow_unused=*/true);
    std::vector<Tensor> defined;
    for (Tensor& g : grads)
      if (g.defined()) defined.push_back(g);
    return defined;
  };
  std::vector<Tensor> all(inputs.begin(), inputs.end());
  all.insert(all.end(), weights.begin(), weights.end());
  return gradcheck(first_derivative, all, options);
}

GradcheckResult gradgradcheck(const Callback<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, GradcheckOptions options) {
  return gradgradcheck(GradcheckFn([&](const std::vector<Tensor>& xs) { return std::vector<Tensor>{fn(xs)}; }),
                       inputs, options);
}

}  // namespace reel::autograd
