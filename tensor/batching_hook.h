// reel/tensor/batching_hook.h — where the tensor layer hands op calls to automatic batching (autobatch/, internal).
//
// While the thread has an open reel::autobatch::Scope, run_op, run_elementwise_op and the view ops do not run: they
// hand the call to the scope, which records it (docs/autobatch.md) and returns outputs that
// are *pending*: TensorImpl::pending_node names the recorded op, the storage is null, sizes / dtype / device /
// requires_grad are known. Anything that needs a pending tensor's memory or its history (data_ptr, storage,
// grad_fn, backward) first runs the recorded ops (detail::materialize_pending, tensor/tensor.h). The scope runs them
// grouped into batches (autobatch/execute.cpp) with this hook suspended, so those calls take the eager path.
// Outside a scope each hook point costs one thread-local load and a branch.
#pragma once

#include "op_call.h"

namespace reel::detail {

class BatchingScope;  // autobatch/graph.h

// The calling thread's open scope that is recording, or null (no scope, or its batches are running).
extern thread_local BatchingScope* t_batching_scope;
inline bool batching() { return t_batching_scope != nullptr; }

// run_op inside a scope (autobatch/record.cpp): records the call and makes its outputs pending, or returns false when
// the call must run now (an in-place write, a random draw that reads a pending input, a kernel-made output); then
// whatever it reads or writes has been run first.
bool defer_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs, const OpOptions& options);
// run_elementwise_op inside a scope: records the call, returns its pending output.
Tensor defer_elementwise(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                         std::initializer_list<const Tensor*> inputs, std::initializer_list<const Tensor*> recorded);
// A view op of a pending tensor (tensor/views.cpp): `out` (made by Tensor::make_view over the null storage) becomes a
// pending output of a recorded view.
void defer_view(OpId op, const Tensor& self, Tensor& out, const OpAttrs& attrs);
// Before a kernel runs now inside a scope on `tensors` (read or written): runs the recorded ops first when any of them
// is pending or, for `written`, when a recorded op reads its memory.
void before_eager(const Tensor* tensors, int count, const Tensor* written);

// Tensor::make_view without running a pending base: the view ops of tensor/views.cpp make their pending views with it
// (sizes, strides and offset over the base's row-major layout); Tensor::make_view runs a pending base first.
Tensor make_view_keep_pending(const Tensor& base, IntList sizes, IntList strides, int64_t offset);

// Suspends the thread's scope for its lifetime (backward and the batches themselves run eagerly).
class SuspendBatching {
 public:
  SuspendBatching() : saved_(t_batching_scope) { t_batching_scope = nullptr; }
  ~SuspendBatching() { t_batching_scope = saved_; }
  SuspendBatching(const SuspendBatching&) = delete;
  SuspendBatching& operator=(const SuspendBatching&) = delete;

 private:
  BatchingScope* saved_;
};

}  // namespace reel::detail
