// reel/tensor/observer.h — watching the ops a thread runs: OpObserver, the OpEvent it is shown, set_op_observer.
//
// Every kernel call passes one dispatch point (tensor/dispatch.cpp), and view ops report themselves there too;
// an observer installed for a thread sees each of them, before and after it runs. The profiler
// (tensor/profiler.h) is such an observer. An event shows the op, the device whose kernel runs, and the inputs
// and outputs (allocated, with their metadata; values only after the call); a view op is an event without a
// kernel. The event reads the dispatcher's own record of the call, which stays internal to the library.
#pragma once

#include "device.h"
#include "op_id.h"

namespace reel {

class Tensor;

namespace detail {
struct OpEventAccess;  // how the dispatcher (tensor/dispatch.cpp) makes events
}  // namespace detail

class OpEvent {
 public:
  OpId op() const;
  Device device() const { return device_; }
  bool is_view() const { return is_view_; }
  int num_inputs() const;
  const Tensor& input(int i) const;
  int num_outputs() const;
  const Tensor& output(int j) const;

 private:
  friend struct detail::OpEventAccess;
  OpEvent(const void* call, Device device, bool is_view) : call_(call), device_(device), is_view_(is_view) {}
  const void* call_;  // the dispatcher's record of the call
  Device device_;
  bool is_view_;
};

// Sees every op this thread dispatches: before(e) just before the kernel runs, after(e) once it returned (also
// when it threw). Observers may run ops themselves; those are not observed (no recursion).
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void before(const OpEvent& event) = 0;
  virtual void after(const OpEvent& event) = 0;
};

// Installs `observer` for this thread (nullptr: none) and returns the one it replaces, so that scopes can nest
// and restore it. With none installed, dispatch costs one predictable branch more than calling the kernel.
OpObserver* set_op_observer(OpObserver* observer);
OpObserver* current_op_observer();

}  // namespace reel
