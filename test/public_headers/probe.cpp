// reel/test/public_headers/probe.cpp — compiled (never linked) by the CTest test `public_headers`: a program that
// includes only <reel/reel.h> must not see the library's internals. Each declaration below is an error when reel.h
// already defines the name: a second definition of a class, an alias of another type, or a variable named like a
// function. A forward declaration (Tensor::grad_fn returns an autograd::Node*) is completed here without error.
#include <reel/reel.h>

namespace reel {
struct KernelArgs {  // the kernel's argument record (tensor/dispatch.h)
  int probe;
};
class TensorIter {  // the elementwise iterator (tensor/iter.h)
  int probe;
};
struct OpAttrs {  // an op call's attributes (tensor/dispatch.h)
  int probe;
};
using Kernel = int;        // the kernel table's entry type (tensor/dispatch.h)
int register_kernel = 0;   // the kernel table's functions (tensor/dispatch.h)
int find_kernel = 0;
int get_kernel = 0;
namespace autograd {
struct Node {  // the autograd graph's node (autograd/node.h)
  int probe;
};
struct BackwardContext {  // what a backward formula sees (autograd/node.h)
  int probe;
};
}  // namespace autograd
}  // namespace reel

// The public API is still there.
static_assert(sizeof(reel::Tensor) > 0 && sizeof(reel::OpEvent) > 0 && sizeof(reel::autograd::AutogradContext) > 0);
