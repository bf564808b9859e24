// reel/tensor/dispatch.h — the kernel table [op][device type], what a kernel receives, and the one dispatch point.
//
// The front door (tensor/ops_*.cpp) checks arguments and computes the outputs' metadata, then hands the call to
// run_op (tensor/op_call.h), which allocates the outputs and calls `dispatch`: it runs the kernel registered for
// (op, device) with grad mode off (the elementwise front doors still call `dispatch` directly).
// Backends fill the table once, at first use: cpu/backend.cpp registers the CPU kernels and, in a CUDA build,
// cuda/backend.cpp the CUDA ones. Kernels assume valid inputs; all checking happened before.
// `dispatch` is also where an op observer (tensor/observer.h) sees every kernel call, and the view ops report
// themselves there too (observe_view): the profiler (tensor/profiler.h) is such an observer.
#pragma once

#include <initializer_list>

#include "error_format.h"
#include "grad_mode.h"
#include "iter.h"
#include "observer.h"
#include "op_attrs.h"
#include "op_id.h"
#include "tensor.h"

namespace reel {

struct KernelArgs {
  OpId op;
  const Tensor* inputs = nullptr;
  int num_inputs = 0;
  Tensor* outputs = nullptr;
  int num_outputs = 0;
  const OpAttrs* attrs = nullptr;
  TensorIter* iter = nullptr;  // set for elementwise families
  // Elementwise families: the iterator's operands (operands[0] the output, then the inputs), for observers.
  const Tensor* const* operands = nullptr;
  int num_operands = 0;
};

using Kernel = void (*)(const KernelArgs&);

void register_kernel(OpId op, DeviceType device, Kernel kernel);
// The kernel for (op, device) or nullptr.
Kernel find_kernel(OpId op, DeviceType device);
// The kernel for (op, device); throws reel::Error naming op and device when there is none.
Kernel get_kernel(OpId op, Device device);
// ---- the dispatch point ------------------------------------------------------------------------------------------
namespace detail {
extern thread_local OpObserver* t_op_observer;
void dispatch_observed(const KernelArgs& args, Device device, Kernel kernel);
void observe_view_op(OpId op, const Tensor& input, const Tensor& output);
}  // namespace detail

// The attributes an observed kernel call receives (KernelArgs::attrs): nullptr when the op passes none, and for
// view events. For internal observers and tests; the public OpEvent does not show them.
const OpAttrs* event_attrs(const OpEvent& event);

// THE dispatch point: runs the kernel of (args.op, device) with grad mode off (a kernel's helper tensors are
// not autograd's business; the front door records the op), seen by the thread's observer if there is one.
inline void dispatch(const KernelArgs& args, Device device) {
  const Kernel kernel = get_kernel(args.op, device);
  if (detail::t_op_observer != nullptr) [[unlikely]] {
    detail::dispatch_observed(args, device, kernel);
    return;
  }
  NoGradGuard no_grad;
  kernel(args);
}

// A view op (no kernel, no data moved) reports itself to the observer, if any.
inline void observe_view(OpId op, const Tensor& input, const Tensor& output) {
  if (detail::t_op_observer != nullptr) [[unlikely]] detail::observe_view_op(op, input, output);
}

// Backend entry points, called once when the table is first used.
void register_cpu_backend();
#ifdef REEL_WITH_CUDA
void register_cuda_backend();
#endif

}  // namespace reel
