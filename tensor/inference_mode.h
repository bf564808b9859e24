// reel/tensor/inference_mode.h — InferenceMode, LibTorch's RAII guard for inference: `reel::InferenceMode guard;`.
//
// While one is alive (and enabled) grad mode is off, exactly as under NoGradGuard, and InferenceMode::is_enabled()
// is true (InferenceMode(false) turns grad mode on and inference mode off, as LibTorch's); both are restored when it ends (guards nest; thread-local, as grad mode is). reel does not add LibTorch's
// inference-tensor rules on top: tensors made inside are ordinary tensors (no "inference tensor" flag), may be used
// by autograd afterwards and may be modified in place outside the guard, where LibTorch would refuse both. Code that
// works under LibTorch's InferenceMode therefore works here unchanged; the reverse need not hold.
#pragma once

#include "grad_mode.h"

namespace reel {

namespace detail {
inline thread_local bool t_inference_mode = false;
}

class InferenceMode {
 public:
  explicit InferenceMode(bool enabled = true)
      : previous_grad_(detail::t_grad_enabled), previous_inference_(detail::t_inference_mode) {
    detail::t_inference_mode = enabled;
    detail::t_grad_enabled = !enabled;  // as LibTorch's: InferenceMode(false) turns grad mode on
  }
  ~InferenceMode() {
    detail::t_grad_enabled = previous_grad_;
    detail::t_inference_mode = previous_inference_;
  }
  InferenceMode(const InferenceMode&) = delete;
  InferenceMode& operator=(const InferenceMode&) = delete;

  // Whether an enabled InferenceMode guard is alive on this thread.
  static bool is_enabled() { return detail::t_inference_mode; }

 private:
  bool previous_grad_;
  bool previous_inference_;
};

}  // namespace reel
