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
// forward runs with grad mode off; apply() then records one node whose backward calls T::backward.
// backward returns one gradient per forward argument (an undefined Tensor for non-tensor arguments or
// inputs without a gradient). Written with reel ops, backward is itself differentiable (create_graph).
#pragma once

#include <any>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "../tensor/grad_mode.h"
#include "node.h"

namespace reel::autograd {

using tensor_list = std::vector<Tensor>;

class AutogradContext : public NodeExtra {
 public:
  void save_for_backward(tensor_list tensors) { to_save_ = std::move(tensors); }
  // The tensors passed to save_for_backward; throws if they were modified in place since.
  tensor_list get_saved_variables() const;
  // Outputs listed here never require grad.
  void mark_non_differentiable(const tensor_list& outputs);
  // Whether input `index` (counting every forward argument after ctx) needs a gradient.
  bool needs_input_grad(size_t index) const { return index < needs_input_grad_.size() && needs_input_grad_[index]; }
  // Anything else backward needs (sizes, flags, numbers).
  std::unordered_map<std::string, std::any> saved_data;

  // ---- used by Function<T>::apply ----
  void set_needs_input_grad(std::vector<bool> needs) { needs_input_grad_ = std::move(needs); }
  void freeze_saved(const tensor_list& outputs, const char* type_name);
  bool is_non_differentiable(const Tensor& t) const;
  const std::string& name() const { return name_; }
  void release_saved() override;
  void set_node(Node* node) { node_ = node; }

 private:
  tensor_list to_save_;
  std::vector<SavedTensor> saved_;
  std::vector<int> saved_output_index_;  // per saved tensor: which output it is, or -1
  Node* node_ = nullptr;                 // the node that owns this context (set once recorded)
  std::vector<TensorImpl*> non_differentiable_;
  std::vector<bool> needs_input_grad_;
  std::string name_;
};

namespace detail {
template <typename A>
void collect_tensor(std::vector<const Tensor*>& inputs, const A& arg) {
  if constexpr (std::is_same_v<std::decay_t<A>, Tensor>) inputs.push_back(&arg);
  else inputs.push_back(nullptr);  // a non-tensor argument keeps its position
}
inline tensor_list as_list(Tensor t) { return {std::move(t)}; }
inline tensor_list as_list(tensor_list t) { return t; }

// Records the node of a custom function call: edges to the tensor arguments, outputs' grad_fn.
void attach_custom_node(const char* name, BackwardFn backward, const std::vector<const Tensor*>& inputs,
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
  static void backward_adapter(BackwardContext& c) {
    auto* ctx = static_cast<AutogradContext*>(c.node.extra.get());
    tensor_list grads = T::backward(ctx, tensor_list(c.grad_outputs.begin(), c.grad_outputs.end()));
    REEL_CHECK(grads.size() >= c.grad_inputs.size(),
               "{}: backward returned {} gradients but forward took {} arguments", c.node.name, grads.size(),
               c.grad_inputs.size());
    for (size_t i = 0; i < c.grad_inputs.size(); ++i)
      if (c.needs_input_grad(i)) c.grad_inputs[i] = grads[i];
  }
};

}  // namespace reel::autograd
