// reel/autograd/autograd.h — the public autograd API beyond Tensor's methods: autograd::grad,
// the live-node counter, and (in gradcheck.h / function.h) gradcheck and custom functions.
#pragma once

#include <optional>
#include <vector>

#include "../tensor/grad_mode.h"
#include "../tensor/tensor.h"

namespace reel::autograd {

// Gradients of `outputs` with respect to `inputs` (weighted by grad_outputs; ones for one-element outputs
// when empty), without touching any .grad. retain_graph defaults to create_graph, as in PyTorch.
// Inputs that the outputs do not depend on throw unless allow_unused, which returns undefined tensors.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

// backward() on several roots at once.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

// Number of tape nodes alive in this process: a forward pass whose outputs are gone leaves none behind.
int64_t live_node_count();

// Name of the node that produced `t` ("MulBackward"), or "" for leaves.
std::string grad_fn_name(const Tensor& t);

}  // namespace reel::autograd
