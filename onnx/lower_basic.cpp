// reel/onnx/lower_basic.cpp — ONNX lowerings of the basic layers: Identity, Linear, Flatten, Unflatten, the dropout
// layers (the identity in eval mode), the activations, Embedding and LayerNorm.
//
// Each layer runs its own forward on the example input (for the example output and its shape) and emits the ONNX
// operators that compute the same function, as torch.onnx's opset-17 symbolics do: an activation without an ONNX
// operator of its own (GELU, SiLU, Mish, Softmin, ...) is written out of elementary ones, with its constants as
// 0-d initializers of the input's dtype.
#include <cmath>

#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/normalization.h"
#include "onnx/lowering.h"
#include "tensor/ops.h"

namespace reel::onnx::detail {

namespace {

using A = Attribute;

// A Tensor -> Tensor layer: y = module.forward(x) on the example, the graph value from build(x, y).
template <typename Impl, typename Build>
bool unary(Impl* module, const std::vector<Value>& inputs, std::vector<Value>& out, Build&& build) {
  const Value& x = single_input(*module, inputs);
  const ScalarType dtype = x.example.dtype();
  Tensor y = module->forward(x.example);
  out = {{build(x.name, dtype, y), y}};
  return true;
}

// A layer that is one ONNX operator of its input: Relu, Tanh, ...
template <typename Impl>
bool simple(Impl* module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out,
            const std::string& op_type, std::vector<Attribute> attributes = {}) {
  return unary(module, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
    return L.node(op_type, {x}, std::move(attributes));
  });
}

// softplus(x) = ln(1 + e^x); with beta and threshold as PyTorch: beta x > threshold ? x : softplus(beta x) / beta
std::string softplus(Lowering& L, const std::string& x, ScalarType dtype, double beta, double threshold) {
  const std::string beta_c = beta == 1.0 ? std::string() : L.scalar("beta", beta, dtype);
  const std::string bx = beta == 1.0 ? x : L.node("Mul", {x, beta_c});
  std::string soft = L.node("Softplus", {bx});
  if (beta != 1.0) soft = L.node("Div", {soft, beta_c});
  const std::string above = L.node("Greater", {bx, L.scalar("threshold", threshold, dtype)});
  return L.node("Where", {above, x, soft});
}

// gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); tanh form: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
std::string gelu(Lowering& L, const std::string& x, ScalarType dtype, const std::string& approximate) {
  std::string inner;
  if (approximate == "tanh") {
    const std::string cube = L.node("Mul", {x, L.node("Mul", {x, x})});
    const std::string sum = L.node("Add", {x, L.node("Mul", {cube, L.scalar("coeff", 0.044715, dtype)})});
    inner = L.node("Tanh", {L.node("Mul", {sum, L.scalar("sqrt_2_over_pi", std::sqrt(2.0 / M_PI), dtype)})});
  } else {
    inner = L.node("Erf", {L.node("Div", {x, L.scalar("sqrt_2", std::sqrt(2.0), dtype)})});
  }
  const std::string one_plus = L.node("Add", {inner, L.scalar("one", 1.0, dtype)});
  return L.node("Mul", {L.node("Mul", {x, one_plus}), L.scalar("half", 0.5, dtype)});
}

bool lower_activation(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  if (auto* m = module.as<nn::ReLUImpl>()) return simple(m, inputs, L, out, "Relu");
  if (auto* m = module.as<nn::TanhImpl>()) return simple(m, inputs, L, out, "Tanh");
  if (auto* m = module.as<nn::SigmoidImpl>()) return simple(m, inputs, L, out, "Sigmoid");
  if (auto* m = module.as<nn::SoftsignImpl>()) return simple(m, inputs, L, out, "Softsign");
  if (auto* m = module.as<nn::HardswishImpl>()) return simple(m, inputs, L, out, "HardSwish");
  // y = max(0, min(1, x / 6 + 1 / 2))
  if (auto* m = module.as<nn::HardsigmoidImpl>())
    return simple(m, inputs, L, out, "HardSigmoid", {A::Float("alpha", 1.0 / 6.0), A::Float("beta", 0.5)});
  if (auto* m = module.as<nn::LeakyReLUImpl>())
    return simple(m, inputs, L, out, "LeakyRelu", {A::Float("alpha", m->options.negative_slope())});
  // RReLU in eval mode: the mean slope (lower + upper) / 2
  if (auto* m = module.as<nn::RReLUImpl>())
    return simple(m, inputs, L, out, "LeakyRelu",
                  {A::Float("alpha", (m->options.lower() + m->options.upper()) / 2.0)});
  if (auto* m = module.as<nn::ELUImpl>()) return simple(m, inputs, L, out, "Elu", {A::Float("alpha", m->options.alpha())});
  if (auto* m = module.as<nn::CELUImpl>())
    return simple(m, inputs, L, out, "Celu", {A::Float("alpha", m->options.alpha())});
  // SELU's constants as PyTorch writes them (float attributes round them as PyTorch's float kernels do)
  if (auto* m = module.as<nn::SELUImpl>())
    return simple(m, inputs, L, out, "Selu",
                  {A::Float("alpha", 1.6732632423543772848170429916717), A::Float("gamma", 1.0507009873554804934193349852946)});
  if (auto* m = module.as<nn::SoftmaxImpl>())
    return simple(m, inputs, L, out, "Softmax", {A::Int("axis", m->options.dim())});
  if (auto* m = module.as<nn::LogSoftmaxImpl>())
    return simple(m, inputs, L, out, "LogSoftmax", {A::Int("axis", m->options.dim())});
  if (auto* m = module.as<nn::Softmax2dImpl>()) return simple(m, inputs, L, out, "Softmax", {A::Int("axis", -3)});
  // softmin(x) = softmax(-x)
  if (auto* m = module.as<nn::SoftminImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
      return L.node("Softmax", {L.node("Neg", {x})}, {A::Int("axis", m->options.dim())});
    });
  // hardtanh(x) = clip(x, min_val, max_val); relu6 = clip(x, 0, 6)
  if (auto* m = module.as<nn::HardtanhImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      return L.node("Clip", {x, L.scalar("min", m->options.min_val(), dtype), L.scalar("max", m->options.max_val(), dtype)});
    });
  if (auto* m = module.as<nn::ReLU6Impl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      return L.node("Clip", {x, L.scalar("min", 0.0, dtype), L.scalar("max", 6.0, dtype)});
    });
  if (auto* m = module.as<nn::GELUImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      return gelu(L, x, dtype, m->options.approximate());
    });
  // silu(x) = x sigmoid(x)
  if (auto* m = module.as<nn::SiLUImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
      return L.node("Mul", {x, L.node("Sigmoid", {x})});
    });
  // mish(x) = x tanh(softplus(x))
  if (auto* m = module.as<nn::MishImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      return L.node("Mul", {x, L.node("Tanh", {softplus(L, x, dtype, 1.0, 20.0)})});
    });
  if (auto* m = module.as<nn::SoftplusImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      return softplus(L, x, dtype, m->options.beta(), m->options.threshold());
    });
  // log sigmoid(x) = -softplus(-x), which stays finite where sigmoid underflows
  if (auto* m = module.as<nn::LogSigmoidImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
      return L.node("Neg", {L.node("Softplus", {L.node("Neg", {x})})});
    });
  // tanhshrink(x) = x - tanh(x)
  if (auto* m = module.as<nn::TanhshrinkImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
      return L.node("Sub", {x, L.node("Tanh", {x})});
    });
  // Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0
  if (auto* m = module.as<nn::SoftshrinkImpl>())
    return simple(m, inputs, L, out, "Shrink",
                  {A::Float("lambd", m->options.lambda()), A::Float("bias", m->options.lambda())});
  if (auto* m = module.as<nn::HardshrinkImpl>())
    return simple(m, inputs, L, out, "Shrink", {A::Float("lambd", m->options.lambda()), A::Float("bias", 0.0)});
  // threshold(x) = x > threshold ? x : value
  if (auto* m = module.as<nn::ThresholdImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      const std::string above = L.node("Greater", {x, L.scalar("threshold", m->options.threshold(), dtype)});
      return L.node("Where", {above, x, L.scalar("value", m->options.value(), dtype)});
    });
  // glu(x) = a sigmoid(b) with (a, b) the halves of x along dim
  if (auto* m = module.as<nn::GLUImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor& y) {
      const int64_t dim = m->options.dim();
      const int64_t half = y.size(dim);
      const auto halves = L.nodes("Split", {x, L.int64s("split", {half, half})}, {A::Int("axis", dim)}, 2);
      return L.node("Mul", {halves[0], L.node("Sigmoid", {halves[1]})});
    });
  // prelu(x) = x > 0 ? x : w x, w broadcast along the channel dim (1) of x
  if (auto* m = module.as<nn::PReLUImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor& y) {
      Tensor slope = m->weight.detach();
      if (slope.numel() > 1 && y.dim() > 2) {
        std::vector<int64_t> shape(static_cast<size_t>(y.dim() - 1), 1);
        shape[0] = slope.numel();
        slope = slope.reshape(shape);
      }
      return L.node("PRelu", {x, L.param("weight", slope)});
    });
  return false;
}

// The Reshape target of a layer whose output is y and whose first `keep` dims are the input's: 0 (copy the input's
// dim, so a dynamic batch dim stays dynamic) for those, then -1 for dim `keep`, then y's remaining sizes.
std::vector<int64_t> reshape_target(const Tensor& y, int64_t keep, int64_t inferred) {
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < y.dim(); ++d) shape.push_back(d < keep ? 0 : d == inferred ? -1 : y.size(d));
  return shape;
}

}  // namespace

bool lower_basic(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  // Identity and the dropout layers in eval mode: y = x, no node
  if (module.as<nn::IdentityImpl>() != nullptr || module.as<nn::DropoutImplBase>() != nullptr) {
    out = {single_input(module, inputs)};
    return true;
  }
  // y = x W^T + b: Gemm for a matrix input, else MatMul with W^T (and Add b)
  if (auto* m = module.as<nn::LinearImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor&) {
      if (inputs[0].example.dim() == 2) {
        std::vector<std::string> gemm_inputs{x, L.param("weight", m->weight)};
        if (m->bias.defined()) gemm_inputs.push_back(L.param("bias", m->bias));
        return L.node("Gemm", std::move(gemm_inputs), {A::Int("transB", 1)});
      }
      std::string y = L.node("MatMul", {x, L.param("weight_t", m->weight.detach().t().contiguous())});
      if (m->bias.defined()) y = L.node("Add", {y, L.param("bias", m->bias)});
      return y;
    });
  // flatten(x, s, e): ONNX Flatten when it is flatten(x, 1, -1), else a Reshape
  if (auto* m = module.as<nn::FlattenImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor& y) {
      const int64_t rank = inputs[0].example.dim();
      const int64_t start = m->start_dim < 0 ? m->start_dim + rank : m->start_dim;
      const int64_t end = m->end_dim < 0 ? m->end_dim + rank : m->end_dim;
      if (rank >= 2 && start == 1 && end == rank - 1) return L.node("Flatten", {x}, {A::Int("axis", 1)});
      return L.node("Reshape", {x, L.int64s("shape", reshape_target(y, start, start))});
    });
  // unflatten(x, dim, sizes): a Reshape
  if (auto* m = module.as<nn::UnflattenImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType, const Tensor& y) {
      const int64_t rank = inputs[0].example.dim();
      const int64_t dim = m->dim < 0 ? m->dim + rank : m->dim;
      return L.node("Reshape", {x, L.int64s("shape", reshape_target(y, dim, -1))});
    });
  // y[..., :] = weight[index[...], :]: Gather along axis 0
  if (auto* m = module.as<nn::EmbeddingImpl>()) {
    if (m->options.max_norm().has_value())
      throw_unsupported(module, "max_norm renormalises the looked-up rows of weight in place during the lookup, "
                                "which an ONNX graph cannot do to its initializer");
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      if (dtype != kInt64 && dtype != kInt32)
        throw_unsupported(module, "the indices must be int64 or int32 (ONNX Gather), got " +
                                      std::string(dtype_name(dtype)));
      return L.node("Gather", {L.param("weight", m->weight), x}, {A::Int("axis", 0)});
    });
  }
  // y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing normalized_shape dims
  if (auto* m = module.as<nn::LayerNormImpl>())
    return unary(m, inputs, out, [&](const std::string& x, ScalarType dtype, const Tensor&) {
      std::vector<std::string> ln_inputs{x};
      ln_inputs.push_back(m->weight.defined() ? L.param("weight", m->weight)
                                              : L.param("weight", reel::ones(m->normalized_shape, reel::dtype(dtype))));
      if (m->bias.defined()) ln_inputs.push_back(L.param("bias", m->bias));
      const auto axis = -static_cast<int64_t>(m->normalized_shape.size());
      return L.node("LayerNormalization", std::move(ln_inputs),
                    {A::Int("axis", axis), A::Float("epsilon", m->eps)});
    });
  return lower_activation(module, inputs, L, out);
}

}  // namespace reel::onnx::detail
