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
  enum class Tag { None, Tensor, Double, Int, Bool, String, IntList, DoubleList, TensorList };

  IValue() = default;
  IValue(Tensor value) : tag_(Tag::Tensor), tensor_(std::move(value)) {}  // NOLINT: implicit, as c10::IValue
  IValue(bool value) : tag_(Tag::Bool), int_(value) {}                     // NOLINT
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  IValue(T value) : tag_(Tag::Int), int_(static_cast<int64_t>(value)) {}  // NOLINT
  template <typename T>
    requires std::is_floating_point_v<T>
  IValue(T value) : tag_(Tag::Double), double_(static_cast<double>(value)) {}  // NOLINT
  IValue(std::string value) : tag_(Tag::String), string_(std::move(value)) {}  // NOLINT
  IValue(const char* value) : tag_(Tag::String), string_(value) {}             // NOLINT
  IValue(std::vector<int64_t> value) : tag_(Tag::IntList), ints_(std::move(value)) {}  // NOLINT
  IValue(IntList value) : tag_(Tag::IntList), ints_(value.begin(), value.end()) {}     // NOLINT
  IValue(std::vector<double> value) : tag_(Tag::DoubleList), doubles_(std::move(value)) {}  // NOLINT
  IValue(std::vector<Tensor> value) : tag_(Tag::TensorList), tensors_(std::move(value)) {}  // NOLINT

  bool isNone() const { return tag_ == Tag::None; }
  bool isTensor() const { return tag_ == Tag::Tensor; }
  bool isDouble() const { return tag_ == Tag::Double; }
  bool isInt() const { return tag_ == Tag::Int; }
  bool isBool() const { return tag_ == Tag::Bool; }
  bool isString() const { return tag_ == Tag::String; }
  bool isIntList() const { return tag_ == Tag::IntList; }
  bool isDoubleList() const { return tag_ == Tag::DoubleList; }
  bool isTensorList() const { return tag_ == Tag::TensorList; }

  const Tensor& toTensor() const { return expect(Tag::Tensor), tensor_; }
  double toDouble() const { return expect(Tag::Double), double_; }
  int64_t toInt() const { return expect(Tag::Int), int_; }
  bool toBool() const { return expect(Tag::Bool), int_ != 0; }
  const std::string& toStringRef() const { return expect(Tag::String), string_; }
  std::string toString() const { return toStringRef(); }
  const std::vector<int64_t>& toIntVector() const { return expect(Tag::IntList), ints_; }
  const std::vector<double>& toDoubleVector() const { return expect(Tag::DoubleList), doubles_; }
  const std::vector<Tensor>& toTensorVector() const { return expect(Tag::TensorList), tensors_; }
  // "None", "Tensor", "Double", "Int", "Bool", "String", "IntList", "DoubleList", "TensorList" (c10's tagKind).
  std::string tagKind() const;

 private:
  // Throws reel::Error naming both kinds unless this value is a `wanted`.
  void expect(Tag wanted) const {
    if (tag_ != wanted) throw_wrong_kind(wanted);
  }
  [[noreturn]] void throw_wrong_kind(Tag wanted) const;

  Tag tag_ = Tag::None;
  int64_t int_ = 0;  // Int, and Bool as 0 / 1
  double double_ = 0.0;
  Tensor tensor_;
  std::string string_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<Tensor> tensors_;
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
