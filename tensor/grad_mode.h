// reel/tensor/grad_mode.h — whether ops record onto the autograd tape (thread-local, on by default).
//
// Lives in tensor/ because every front door checks it inline before recording. `NoGradGuard` and
// `EnableGradGuard` are scoped switches, as in LibTorch; `AutoGradMode(bool)` sets either way.
#pragma once

namespace reel {

namespace detail {
inline thread_local bool t_grad_enabled = true;
}

inline bool is_grad_enabled() { return detail::t_grad_enabled; }
inline void set_grad_enabled(bool enabled) { detail::t_grad_enabled = enabled; }

struct GradMode {
  static bool is_enabled() { return detail::t_grad_enabled; }
  static void set_enabled(bool enabled) { detail::t_grad_enabled = enabled; }
};

// Sets grad mode for a scope and restores the previous mode on exit.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(detail::t_grad_enabled) { detail::t_grad_enabled = enabled; }
  ~AutoGradMode() { detail::t_grad_enabled = previous_; }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

struct NoGradGuard : AutoGradMode {
  NoGradGuard() : AutoGradMode(false) {}
};
struct EnableGradGuard : AutoGradMode {
  EnableGradGuard() : AutoGradMode(true) {}
};

}  // namespace reel
