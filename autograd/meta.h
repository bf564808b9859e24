// reel/autograd/meta.h — the rarer per-tensor autograd state: a leaf's .grad and its hooks.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::autograd {

struct AutogradMeta : AutogradMetaBase {
  Tensor grad;
  std::vector<std::pair<unsigned, std::function<Tensor(const Tensor&)>>> hooks;  // leaf hooks
};

// The tensor's AutogradMeta, created on first use.
AutogradMeta& meta_of(TensorImpl* impl);
// The tensor's AutogradMeta or null.
inline AutogradMeta* find_meta(TensorImpl* impl) { return static_cast<AutogradMeta*>(impl->autograd.get()); }

unsigned next_hook_handle();

}  // namespace reel::autograd
