// reel/tensor/op_call.h — the one path from a front door to a kernel: run_op.
//
// A front door (tensor/ops_*.cpp, random.cpp, creation_ranges.cpp) checks its arguments and computes each
// output's metadata (OutputMeta: shape, dtype, device), throwing reel::Error for misuse before anything is
// allocated or run. It then hands (OpId, attributes, inputs, output metadata) to run_op, which
//   1. prepares the kernel's inputs (contiguous copies where the options ask, made with grad mode off),
//   2. makes the outputs from their metadata, or takes outputs the caller already has (an in-place write),
//   3. calls `dispatch` (tensor/dispatch.h): the kernel runs with grad mode off, seen by the thread's observer,
//      unless every output is empty and the op skips the kernel then,
//   4. records the call on the tape (detail::record_op) when grad mode is on and an input requires grad.
// Views make no call here: they report themselves with observe_view (tensor/views.cpp).
// The elementwise families (tensor/ops_elementwise.cpp) take the same steps through run_elementwise_op /
// run_elementwise_into below: their inputs are already cast by the front door, and the kernel walks a TensorIter.
#pragma once

#include <initializer_list>
#include <optional>

#include "dispatch.h"

namespace reel {

// How run_op makes an output from its metadata.
enum class Alloc : uint8_t {
  dense,   // Tensor::make: row-major on meta.device
  pinned,  // Tensor::make_pinned: row-major in page-locked host memory
  none,    // left undefined: an output the op does not produce here, or one the kernel makes (fused_rnn's reserve)
};

// One output as the front door computes it before anything runs: row-major sizes, dtype and device.
struct OutputMeta {
  DimVector sizes;
  ScalarType dtype = kFloat32;
  Device device;
  Alloc alloc = Alloc::dense;
  // When set, the output starts as a copy of this tensor, broadcast to `sizes` (addmm's beta operand, which the
  // kernel scales in place); no copy is made into an empty output.
  const Tensor* initial = nullptr;

  OutputMeta(IntList sizes_, ScalarType dtype_, Device device_, Alloc alloc_ = Alloc::dense,
             const Tensor* initial_ = nullptr)
      : sizes(sizes_), dtype(dtype_), device(device_), alloc(alloc_), initial(initial_) {}
  // An output left undefined (Alloc::none).
  static OutputMeta absent() { return OutputMeta({}, kFloat32, Device(), Alloc::none); }
};

// The kernel's inputs: one tensor or an array of them (KernelArgs::inputs is a plain array).
struct OpInputs {
  const Tensor* data = nullptr;
  int size = 0;

  OpInputs() = default;
  OpInputs(const Tensor& one) : data(&one), size(1) {}  // NOLINT: implicit, a single input reads naturally
  template <size_t N>
  OpInputs(const Tensor (&array)[N]) : data(array), size(static_cast<int>(N)) {}  // NOLINT
  OpInputs(const Tensor* array, int count) : data(array), size(count) {}
};

// Where the outputs come from: made from metadata by run_op, or already there (the caller's).
struct OpOutputs {
  Tensor* tensors = nullptr;
  int size = 0;
  const OutputMeta* metas = nullptr;  // null: `tensors` exist already and the kernel writes into them

  // Outputs the caller already holds (copy_, fill_, in-place scatter, index_add, the random fills).
  OpOutputs(Tensor& existing) : tensors(&existing), size(1) {}  // NOLINT: implicit, reads naturally
  // run_op makes tensors[i] from metas[i]; `metas` must outlive the call (a braced list at the call does).
  OpOutputs(Tensor* made, std::initializer_list<OutputMeta> metas_)
      : tensors(made), size(static_cast<int>(metas_.size())), metas(metas_.begin()) {}
  // The same from an array of `count` metas (automatic batching replays recorded calls with these).
  OpOutputs(Tensor* made, const OutputMeta* metas_, int count) : tensors(made), size(count), metas(metas_) {}
};

// A list of tensor pointers: a braced list at the call, or an array (automatic batching's replays).
class TensorPtrList {
 public:
  TensorPtrList() = default;
  // Borrows the braced list's array, which lives until the end of the call's full-expression (as long as the call).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  TensorPtrList(std::initializer_list<const Tensor*> list)  // NOLINT: implicit, a braced list reads naturally
      : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  TensorPtrList(const Tensor* const* data, size_t size) : data_(data), size_(size) {}
  const Tensor* const* begin() const { return data_; }
  const Tensor* const* end() const { return data_ + size_; }
  size_t size() const { return size_; }

 private:
  const Tensor* const* data_ = nullptr;
  size_t size_ = 0;
};

// Whether run_op records the call on the tape.
enum class Record : uint8_t {
  yes,  // when grad mode is on and a recorded input requires grad (the usual differentiable op)
  no,   // not differentiable (index or bool results, a backward op), or the caller records it itself (said there)
};

struct OpOptions {
  Record record = Record::yes;
  // No kernel runs when every output has no element (the front doors whose kernels do not handle empty outputs).
  bool skip_kernel_when_empty = false;
  // The copy family: the kernel walks a TensorIter over (output 0, inputs...), broadcasting the inputs.
  bool iterate = false;
  // Bit i set: the kernel gets inputs[i].contiguous() (an undefined input stays undefined), made with grad mode
  // off; autograd still sees the caller's tensor.
  uint32_t contiguous_inputs = 0;
  // Autograd's inputs when they differ from the kernel's (an optional input the kernel is not given, the
  // original of an output cloned for an in-place kernel). Empty: the kernel's inputs.
  TensorPtrList recorded_inputs = {};
  // The device whose kernel runs; default the first output's (a cross-device copy runs on the non-CPU side).
  std::optional<Device> device = std::nullopt;
  // The op name that allocation errors (Tensor::make: negative sizes, overflow, no CUDA) show.
  const char* allocating = "empty";
};

// THE dispatch point of every non-view op: see the file comment. Undefined outputs (Alloc::none that the kernel
// did not make) are left out of the recorded node, as fused_rnn's missing cell state is.
void run_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs, const OpOptions& options = {});

// ---- the elementwise families ---------------------------------------------------------------------------------
// Runs the kernel of `op` over a TensorIter of (out, inputs...): `out` is the output the caller made or already
// has (an in-place write, after detail::begin_write), `inputs` are in the kernel's compute dtype. Records nothing.
void run_elementwise_into(OpId op, const OpAttrs* attrs, const Tensor& out, std::initializer_list<const Tensor*> inputs);
// Makes the output (row-major `sizes`, `dtype`, `device`), runs the kernel as above, and records the call with
// `recorded` as autograd's inputs (the caller's tensors, before the casts). Takes the shape as a view, not an
// OutputMeta: this is the per-op fixed cost W1 measures, and the shape is not copied.
Tensor run_elementwise_op(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                          std::initializer_list<const Tensor*> inputs, std::initializer_list<const Tensor*> recorded);
// The same with the lists as arrays (automatic batching's replays, autobatch/); never deferred.
Tensor run_elementwise_op_now(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                              TensorPtrList inputs, TensorPtrList recorded);

// ---- kernels written with other ops, the same on every device (each backend registers them) -------------------
// linear: inputs (input, weight, bias or undefined); the output made from linear's metadata. One addmm over the
// input's rows (tensor/ops_linalg.cpp).
void linear_kernel(const KernelArgs& args);

}  // namespace reel
