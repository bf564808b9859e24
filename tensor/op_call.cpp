// reel/tensor/op_call.cpp — run_op: prepares inputs, makes outputs, dispatches and records one op call.
//
// Kept lean: fixed arrays for up to kInline inputs and outputs (every op but the recurrent backward and cat), no
// std::function, and the common case (inputs as given, outputs made from metadata) does no work beyond
// allocating the outputs, one dispatch and the recording check.
#include "tensor/op_call.h"

#include <memory>
#include <optional>

#include "tensor/autograd_hook.h"
#include "tensor/batching_hook.h"

namespace reel {

namespace {

constexpr int kInline = 4;

// A scratch array of n elements: inline up to kInline, on the heap beyond (cat's many inputs, fused_rnn_backward).
template <typename T>
class Scratch {
 public:
  explicit Scratch(int n) {
    if (n > kInline) {
      heap_ = std::make_unique<T[]>(static_cast<size_t>(n));
      data_ = heap_.get();
    }
  }
  Scratch(const Scratch&) = delete;  // data_ may point into inline_
  Scratch& operator=(const Scratch&) = delete;
  T* data() { return data_; }
  T& operator[](int i) { return data_[i]; }

 private:
  T inline_[kInline] = {};
  std::unique_ptr<T[]> heap_;
  T* data_ = inline_;
};

Tensor make_output(const OutputMeta& meta, const char* allocating) {
  switch (meta.alloc) {
    case Alloc::dense: return Tensor::make(meta.sizes, meta.dtype, meta.device, allocating);
    case Alloc::pinned: return Tensor::make_pinned(meta.sizes, meta.dtype, allocating);
    case Alloc::none: break;
  }
  return Tensor();
}

bool all_empty(const Tensor* outputs, int count) {
  for (int i = 0; i < count; ++i)
    if (outputs[i].defined() && outputs[i].numel() > 0) return false;
  return true;
}

// Records the call when grad mode is on and a recorded input requires grad; undefined outputs are left out.
void record_call(OpId op, const OpAttrs* attrs, const Tensor* const* inputs, int num_inputs, Tensor* outputs,
                 int num_outputs) {
  if (!is_grad_enabled()) return;
  bool any_requires_grad = false;
  for (int i = 0; i < num_inputs; ++i) any_requires_grad |= inputs[i]->defined() && inputs[i]->requires_grad();
  if (!any_requires_grad) return;
  Scratch<Tensor*> recorded(num_outputs);
  int count = 0;
  for (int j = 0; j < num_outputs; ++j)
    if (outputs[j].defined()) recorded[count++] = &outputs[j];
  detail::record_op(op, inputs, num_inputs, recorded.data(), count, attrs);
}

}  // namespace

void run_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs, const OpOptions& options) {
  // 0. Inside an autobatch::Scope the call is recorded and runs later, batched with its kind (tensor/batching_hook.h).
  if (detail::batching()) [[unlikely]] {
    if (detail::defer_op(op, attrs, inputs, outputs, options)) return;
  }
  // 1. The kernel's inputs: as given, or with the asked-for ones made contiguous (grad mode off: these copies are
  // plumbing, autograd sees the caller's tensors).
  const Tensor* kernel_inputs = inputs.data;
  std::optional<Scratch<Tensor>> prepared;  // built only when asked for: most calls pass their inputs as they are
  if (options.contiguous_inputs != 0) {
    NoGradGuard no_grad;
    prepared.emplace(inputs.size);
    for (int i = 0; i < inputs.size; ++i) {
      const Tensor& t = inputs.data[i];
      (*prepared)[i] = (options.contiguous_inputs >> i & 1u) && t.defined() ? t.contiguous() : t;
    }
    kernel_inputs = prepared->data();
  }

  // 2. The outputs.
  if (outputs.metas != nullptr) {
    for (int j = 0; j < outputs.size; ++j) {
      const OutputMeta& meta = outputs.metas[j];
      Tensor& out = outputs.tensors[j];
      out = make_output(meta, options.allocating);
      if (meta.initial != nullptr && out.numel() > 0) {
        NoGradGuard no_grad;
        out.copy_(*meta.initial);
      }
    }
  }

  // 3. The kernel.
  if (!(options.skip_kernel_when_empty && all_empty(outputs.tensors, outputs.size))) {
    KernelArgs args;
    args.op = op;
    args.inputs = kernel_inputs;
    args.num_inputs = inputs.size;
    args.outputs = outputs.tensors;
    args.num_outputs = outputs.size;
    args.attrs = attrs;
    const Device device = options.device ? *options.device : outputs.tensors[0].device();
    if (options.iterate) {
      REEL_CHECK(inputs.size <= kInline, "{}: run_op iterates over at most {} inputs, got {}", op_name(op), kInline,
                 inputs.size);
      const Tensor* operands[1 + kInline];
      operands[0] = &outputs.tensors[0];
      for (int i = 0; i < inputs.size; ++i) operands[1 + i] = &kernel_inputs[i];
      TensorIter iter(operands, 1 + inputs.size);
      args.iter = &iter;
      dispatch(args, device);
    } else {
      dispatch(args, device);
    }
  }

  // 4. The tape.
  if (options.record == Record::no) return;
  if (options.recorded_inputs.size() != 0) {
    record_call(op, attrs, options.recorded_inputs.begin(), static_cast<int>(options.recorded_inputs.size()),
                outputs.tensors, outputs.size);
    return;
  }
  if (!is_grad_enabled()) return;
  Scratch<const Tensor*> recorded(inputs.size);
  for (int i = 0; i < inputs.size; ++i) recorded[i] = &inputs.data[i];
  record_call(op, attrs, recorded.data(), inputs.size, outputs.tensors, outputs.size);
}

// ---- the elementwise families -----------------------------------------------------------------------------------
namespace {

void run_elementwise_kernel(OpId op, const OpAttrs* attrs, const Tensor& out, TensorPtrList inputs) {
  const Tensor* operands[TensorIter::kMaxOperands];
  const int count = static_cast<int>(inputs.size()) + 1;
  REEL_CHECK(count <= TensorIter::kMaxOperands, "{}: {} inputs for an elementwise kernel (at most {})", op_name(op),
             inputs.size(), TensorIter::kMaxOperands - 1);
  operands[0] = &out;
  int i = 1;
  for (const Tensor* input : inputs) operands[i++] = input;
  TensorIter iter(operands, count);
  KernelArgs args;
  args.op = op;
  args.iter = &iter;
  args.attrs = attrs;
  args.outputs = const_cast<Tensor*>(&out);  // read only for its device (a CUDA kernel's launch device)
  args.num_outputs = 1;
  args.operands = operands;
  args.num_operands = count;
  dispatch(args, out.device());
}

}  // namespace

void run_elementwise_into(OpId op, const OpAttrs* attrs, const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  if (detail::batching()) [[unlikely]] {  // an in-place write inside an autobatch::Scope runs now
    const Tensor* operands[TensorIter::kMaxOperands];
    int count = 0;
    for (const Tensor* input : inputs)
      if (count < TensorIter::kMaxOperands) operands[count++] = input;
    for (int i = 0; i < count; ++i) detail::before_eager(operands[i], 1, nullptr);
    detail::before_eager(&out, 1, &out);
  }
  run_elementwise_kernel(op, attrs, out, inputs);
}

Tensor run_elementwise_op(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                          std::initializer_list<const Tensor*> inputs, std::initializer_list<const Tensor*> recorded) {
  if (detail::batching()) [[unlikely]]
    return detail::defer_elementwise(op, attrs, sizes, dtype, device, inputs, recorded);
  return run_elementwise_op_now(op, attrs, sizes, dtype, device, inputs, recorded);
}

Tensor run_elementwise_op_now(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                              TensorPtrList inputs, TensorPtrList recorded) {
  Tensor out = Tensor::make(sizes, dtype, device);
  run_elementwise_kernel(op, attrs, out, inputs);
  if (is_grad_enabled()) {
    bool any = false;
    for (const Tensor* t : recorded) any |= t->defined() && t->requires_grad();
    if (any) {
      Tensor* outputs[] = {&out};
      detail::record_op(op, recorded.begin(), static_cast<int>(recorded.size()), outputs, 1, attrs);
    }
  }
  return out;
}

}  // namespace reel
