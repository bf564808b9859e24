// reel/tensor/dispatch.cpp — the kernel table. Backends register into it the first time it is used.
#include "tensor/dispatch.h"

#include <utility>

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

// ---- observers ---------------------------------------------------------------------------------------------------
// An event's call_ is the KernelArgs of the call; elementwise families describe their operands through `operands`
// (operands[0] the output, then the inputs), the others through inputs and outputs.
namespace {
const KernelArgs& call_of(const void* call) { return *static_cast<const KernelArgs*>(call); }
}  // namespace

OpId OpEvent::op() const { return call_of(call_).op; }
int OpEvent::num_inputs() const {
  const KernelArgs& args = call_of(call_);
  return args.operands ? args.num_operands - 1 : args.num_inputs;
}
const Tensor& OpEvent::input(int i) const {
  const KernelArgs& args = call_of(call_);
  return args.operands ? *args.operands[i + 1] : args.inputs[i];
}
int OpEvent::num_outputs() const {
  const KernelArgs& args = call_of(call_);
  return args.operands ? 1 : args.num_outputs;
}
const Tensor& OpEvent::output(int j) const {
  const KernelArgs& args = call_of(call_);
  return args.operands ? *args.operands[0] : args.outputs[j];
}

namespace detail {

struct OpEventAccess {
  static OpEvent event(const KernelArgs& args, Device device, bool is_view) { return OpEvent(&args, device, is_view); }
  static const KernelArgs& args(const OpEvent& event) { return call_of(event.call_); }
};

thread_local OpObserver* t_op_observer = nullptr;

namespace {
// While an observer handles an event (or the observed kernel runs ops of its own, as the generic fused RNN does),
// those nested ops are dispatched unobserved by the observer's own calls: the observer is taken off the thread
// while its callbacks run.
class ObserverPaused {
 public:
  ObserverPaused() : saved_(std::exchange(t_op_observer, nullptr)) {}
  ~ObserverPaused() { t_op_observer = saved_; }

 private:
  OpObserver* saved_;
};
}  // namespace

void dispatch_observed(const KernelArgs& args, Device device, Kernel kernel) {
  OpObserver* observer = t_op_observer;
  const OpEvent event = OpEventAccess::event(args, device, /*is_view=*/false);
  {
    ObserverPaused paused;
    observer->before(event);
  }
  struct After {
    OpObserver* observer;
    const OpEvent& event;
    ~After() {
      ObserverPaused paused;
      observer->after(event);
    }
  } after{observer, event};
  NoGradGuard no_grad;
  kernel(args);  // ops the kernel runs itself are observed too (nested inside this one)
}

void observe_view_op(OpId op, const Tensor& input, const Tensor& output) {
  OpObserver* observer = t_op_observer;
  KernelArgs args;
  args.op = op;
  args.inputs = &input;
  args.num_inputs = 1;
  args.outputs = const_cast<Tensor*>(&output);
  args.num_outputs = 1;
  const OpEvent event = OpEventAccess::event(args, output.device(), /*is_view=*/true);
  ObserverPaused paused;
  observer->before(event);
  observer->after(event);
}

}  // namespace detail

const OpAttrs* event_attrs(const OpEvent& event) { return detail::OpEventAccess::args(event).attrs; }

OpObserver* set_op_observer(OpObserver* observer) { return std::exchange(detail::t_op_observer, observer); }
OpObserver* current_op_observer() { return detail::t_op_observer; }

}  // namespace reel
