// reel/tensor/dispatch.cpp — the kernel table. Backends register into it the first time it is used.
#include "tensor/dispatch.h"

#include "tensor/grad_mode.h"

namespace reel {

namespace {
struct KernelTable {
  Kernel kernels[kNumOps][kNumDeviceTypes] = {};
};

KernelTable& raw_table() {
  static KernelTable table;
  return table;
}

KernelTable& table() {
  // Function-local static: backends register exactly once, thread-safely, before the first lookup.
  static KernelTable& ready = [] () -> KernelTable& {
    register_cpu_backend();
#ifdef REEL_WITH_CUDA
    register_cuda_backend();
#endif
    return raw_table();
  }();
  return ready;
}
}  // namespace

void register_kernel(OpId op, DeviceType device, Kernel kernel) {
  raw_table().kernels[static_cast<int>(op)][static_cast<int>(device)] = kernel;
}

Kernel find_kernel(OpId op, DeviceType device) {
  return table().kernels[static_cast<int>(op)][static_cast<int>(device)];
}

Kernel get_kernel(OpId op, Device device) {
  Kernel k = find_kernel(op, device.type);
  REEL_CHECK(k != nullptr, "{}: no kernel for device {}{}", op_name(op), device.str(),
             device.is_cuda() ? " (this build of reel has no CUDA backend for it)" : "");
  return k;
}

void run_kernel(OpId op, std::initializer_list<Tensor> inputs, Tensor* outputs, int num_outputs,
                const OpAttrs* attrs) {
  NoGradGuard no_grad;
  KernelArgs args;
  args.op = op;
  args.inputs = inputs.begin();
  args.num_inputs = static_cast<int>(inputs.size());
  args.outputs = outputs;
  args.num_outputs = num_outputs;
  args.attrs = attrs;
  get_kernel(op, inputs.begin()->device())(args);
}

}  // namespace reel
