// reel/autograd/function.h — user-written differentiable functions, modelled on LibTorch's
// torch::autograd::Function<T>:
//
//   struct Cube : reel::autograd::Function<Cube> {
//     static reel::Tensor forward(reel::autograd::AutogradContext* ctx, reel::Tensor x) {
//       ctx->save_for_backward({x});
//       return x * x * x;
//     }
//     static reel::autograd::tensor_list backward(reel::autograd::AutogradContext* ctx,
//                                                 reel::autograd::tensor_list grads) {
//       reel::Tensor x = ctx->get_saved_variables()[0];
//       return {grads[0] * 3 * x * x};
//     }
//   };
//   reel::Tensor y = Cube::apply(x);
//
// ctx->saved_data holds anything else backward needs as IValues (LibTorch's c10::IValue accessors):
//   ctx->saved_data["constant"] = constant;   ...   double c = ctx->saved_data["constant"].toDouble();
// The recorded node reports the bare class name from grad_fn()->name() ("Cube"), as LibTorch's CppNode does.
// forward runs with grad mode off; apply() then records one node whose backward calls T::backward.
// backward returns one gradient per forward argument (an undefined Tensor for non-tensor arguments or
// inputs without a gradient). Written with reel ops, backward is itself differentiable (create_graph).
// The recorded node (autograd/node.h) stays internal: the context keeps its frozen state behind a pointer, and
// apply() hands T::backward to the library as a plain function pointer (autograd/function.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <variant>
#include <vector>

#include "../tensor/grad_mode.h"
#include "../tensor/sorted_map.h"
#include "../tensor/tensor.h"

namespace reel {

// A value of one of a few kinds, with LibTorch's c10::IValue accessors: None, Tensor, double (from any floating
// number), int (int64_t, from any integer), bool, string, and lists of ints, doubles and tensors. A toX() of
// another kind throws reel::Error naming both kinds (LibTorch does not convert either: toDouble() of an int throws).
class IValue {
 public:
  IValue() = default;
  IValue(Tensor value) : value_(std::move(value)) {}  // NOLINT: implicit, as c10::IValue
  IValue(bool value) : value_(value) {}               // NOLINT
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  IValue(T value) : value_(static_cast<int64_t>(value)) {}  // NOLINT
  template <typename T>
    requires std::is_floating_point_v<T>
  IValue(T value) : value_(static_cast<double>(value)) {}  // NOLINT
  IValue(std::string value) : value_(std::move(value)) {}  // NOLINT
  IValue(const char* value) : value_(std::string(value)) {}  // NOLINT
  IValue(std::vector<int64_t> value) : value_(std::move(value)) {}  // NOLINT
  IValue(IntList value) : value_(std::vector<int64_t>(value.begin(), value.end())) {}  // NOLINT
  IValue(std::vector<double> value) : value_(std::move(value)) {}  // NOLINT
  IValue(std::vector<Tensor> value) : value_(std::move(value)) {}  // NOLINT

  bool isNone() const { return value_.index() == 0; }
  bool isTensor() const { return std::holds_alternative<Tensor>(value_); }
  bool isDouble() const { return std::holds_alternative<double>(value_); }
  bool isInt() const { return std::holds_alternative<int64_t>(value_); }
  bool isBool() const { return std::holds_alternative<bool>(value_); }
  bool isString() const { return std::holds_alternative<std::string>(value_); }
  bool isIntList() const { return std::holds_alternative<std::vector<int64_t>>(value_); }
  bool isDoubleList() const { return std::holds_alternative<std::vector<double>>(value_); }
  bool isTensorList() const { return std::holds_alternative<std::vector<Tensor>>(value_); }

  const Tensor& toTensor() const { return get<Tensor>("Tensor"); }
  double toDouble() const { return get<double>("Double"); }
  int64_t toInt() const { return get<int64_t>("Int"); }
  bool toBool() const { return get<bool>("Bool"); }
  const std::string& toStringRef() const { return get<std::string>("String"); }
  std::string toString() const { return get<std::string>("String"); }
  const std::vector<int64_t>& toIntVector() const { return get<std::vector<int64_t>>("IntList"); }
  const std::vector<double>& toDoubleVector() const { return get<std::vector<double>>("DoubleList"); }
  const std::vector<Tensor>& toTensorVector() const { return get<std::vector<Tensor>>("TensorList"); }
  // "None", "Tensor", "Double", "Int", "Bool", "String", "IntList", "DoubleList", "TensorList" (c10's tagKind).
  std::string tagKind() const;

 private:
  template <typename T>
  const T& get(const char* wanted) const {
    if (const T* value = std::get_if<T>(&value_)) return *value;
    throw_wrong_kind(wanted);
  }
  [[noreturn]] void throw_wrong_kind(const char* wanted) const;

  std::variant<std::monostate, Tensor, double, int64_t, bool, std::string, std::vector<int64_t>, std::vector<double>,
               std::vector<Tensor>>
      value_;
};

}  // namespace reel

namespace reel::autograd {

using tensor_list = std::vector<Tensor>;
using variable_list = std::vector<Tensor>;  // LibTorch's autograd::variable_list
using reel::IValue;

class AutogradContext {
 public:
  AutogradContext();
  ~AutogradContext();
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  void save_for_backward(tensor_list tensors) { to_save_ = std::move(tensors); }
  // The tensors passed to save_for_backward; throws if they were modified in place since.
  tensor_list get_saved_variables() const;
  // Outputs listed here never require grad.
  void mark_non_differentiable(const tensor_list& outputs);
  // Whether input `index` (counting every forward argument after ctx) needs a gradient.
  bool needs_input_grad(size_t index) const { return index < needs_input_grad_.size() && needs_input_grad_[index]; }
  // Anything else backward needs (sizes, flags, numbers).
  SortedMap<std::string, IValue> saved_data;

  // ---- used by Function<T>::apply and the recorded node (autograd/function.cpp) ----
  void set_needs_input_grad(std::vector<bool> needs) { needs_input_grad_ = std::move(needs); }
  void freeze_saved(const tensor_list& outputs, const char* type_name);
  bool is_non_differentiable(const Tensor& t) const;
  const std::string& name() const { return name_; }
  void release_saved();
  void set_node(Node* node);

 private:
  struct Frozen;  // the saved tensors as frozen when recorded, and the node that owns this context
  tensor_list to_save_;
  std::unique_ptr<Frozen> frozen_;
  std::vector<TensorImpl*> non_differentiable_;
  std::vector<bool> needs_input_grad_;
  std::string name_;
};

// A custom function's backward, as apply() hands it to the recorded node: T::backward.
using CustomBackward = tensor_list (*)(AutogradContext* ctx, tensor_list grads);

namespace detail {
template <typename A>
void collect_tensor(std::vector<const Tensor*>& inputs, const A& arg) {
  if constexpr (std::is_same_v<std::decay_t<A>, Tensor>) inputs.push_back(&arg);
  else inputs.push_back(nullptr);  // a non-tensor argument keeps its position
}
inline tensor_list as_list(Tensor t) { return {std::move(t)}; }
inline tensor_list as_list(tensor_list t) { return t; }

// Records the node of a custom function call: edges to the tensor arguments, outputs' grad_fn. The node's
// backward calls `backward` with the context and checks it returned a gradient per forward argument.
void attach_custom_node(const char* name, CustomBackward backward, const std::vector<const Tensor*>& inputs,
                        tensor_list& outputs, std::unique_ptr<AutogradContext> ctx);
}  // namespace detail

template <typename T>
struct Function {
  template <typename... Args>
  static auto apply(Args&&... args) {
    std::vector<const Tensor*> inputs;
    (detail::collect_tensor(inputs, args), ...);
    auto ctx = std::make_unique<AutogradContext>();
    std::vector<bool> needs;
    for (const Tensor* t : inputs) needs.push_back(t != nullptr && t->defined() && t->requires_grad());
    ctx->set_needs_input_grad(needs);
    // The arguments are passed as lvalues: forward gets copies (tensor handles), and the originals stay valid
    // for recording the edges afterwards.
    using Result = decltype(T::forward(ctx.get(), args...));
    Result result;
    {
      NoGradGuard no_grad;
      result = T::forward(ctx.get(), args...);
    }
    tensor_list outputs = detail::as_list(result);
    detail::attach_custom_node(typeid(T).name(), &backward_adapter, inputs, outputs, std::move(ctx));
    if constexpr (std::is_same_v<Result, Tensor>) return outputs[0];
    else return outputs;
  }

 private:
  static tensor_list backward_adapter(AutogradContext* ctx, tensor_list grads) {
    return T::backward(ctx, std::move(grads));
  }
};

}  // namespace reel::autograd
