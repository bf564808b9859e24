// reel/tensor/parallel.h — the one threading runtime for all CPU work.
//
// reel runs its own loops on the same OpenMP runtime oneDNN uses, so there is exactly one pool of threads
// and `set_num_threads` sizes both. parallel_for splits [begin, end) into at most num_threads contiguous
// chunks, in a fixed way for a given thread count, so results are identical from run to run.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace reel {

void set_num_threads(int threads);
int get_num_threads();
bool in_parallel_region();

// A non-owning reference to a callable (cheaper than std::function: no allocation, one indirect call).
template <typename Signature> class FunctionRef;
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit on purpose
      : object_(const_cast<void*>(static_cast<const void*>(&f))), call_(&invoke<std::remove_reference_t<F>>) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  template <typename F>
  static R invoke(void* object, Args... args) {
    return (*static_cast<F*>(object))(std::forward<Args>(args)...);
  }
  void* object_;
  R (*call_)(void*, Args...);
};

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, FunctionRef<void(int64_t, int64_t)> body);
}

// Runs body(chunk_begin, chunk_end) over [begin, end). Runs inline when the range is at most `grain`
// elements, when one thread is set, or when already inside a parallel region.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& body) {
  if (end - begin <= grain || get_num_threads() == 1 || in_parallel_region()) {
    if (begin < end) body(begin, end);
    return;
  }
  detail::parallel_for_impl(begin, end, body);
}

}  // namespace reel
