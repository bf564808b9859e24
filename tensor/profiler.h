// reel/tensor/profiler.h — where the time goes, per op: an op observer (tensor/observer.h) that counts calls and
// CPU time per op and, optionally, per op and input shapes, and prints them as a table sorted by time, like
// PyTorch's `torch.autograd.profiler.profile(...).key_averages().table()`.
//
//   {
//     reel::profiler::Profile profile(/*record_shapes=*/true);
//     train_one_step();
//     std::cout << profile.table("self_cpu_time_total", 10);
//   }
//
// A Profile observes the ops its thread dispatches while it is alive (scopes nest: the inner one also passes each
// event on to the outer). "Self" time excludes the ops a kernel runs itself (the generic fused RNN, for example);
// "total" includes them. View ops (no kernel) are counted with their (tiny) time. Times are host wall-clock times
// around the kernel call: on CUDA, kernels run asynchronously, so the CPU time is the launch cost unless the op
// synchronises. Timing costs about two clock reads per op; without a Profile, dispatch costs one branch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "observer.h"

namespace reel::profiler {

// The summed figures of one op (or one op with one set of input shapes).
struct OpStats {
  std::string name;          // e.g. "mul", "conv2d"
  std::string input_shapes;  // e.g. "[[16], [16]]" when grouped by input shape, else empty
  int64_t calls = 0;
  double self_cpu_us = 0;   // time in the op's own kernel
  double cpu_total_us = 0;  // including ops its kernel ran itself
  double cpu_avg_us() const { return calls > 0 ? cpu_total_us / static_cast<double>(calls) : 0.0; }
};

class Profile final : public OpObserver {
 public:
  explicit Profile(bool record_shapes = false);
  ~Profile() override;
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // Stops observing (the destructor does it too); the figures stay readable.
  void stop();
  // One row per op (or per op and input shapes when group_by_input_shape, which needs record_shapes), in
  // decreasing order of `sort_by`: "self_cpu_time_total" (default), "cpu_time_total", "cpu_time_avg" or "count".
  std::vector<OpStats> key_averages(bool group_by_input_shape = false,
                                    const std::string& sort_by = "self_cpu_time_total") const;
  // The rows as a text table (the first row_limit rows; all when row_limit < 0), with totals.
  std::string table(const std::string& sort_by = "self_cpu_time_total", int row_limit = 100,
                    bool group_by_input_shape = false) const;

  void before(const OpEvent& event) override;
  void after(const OpEvent& event) override;

 private:
  struct Figures;  // the ops in flight and the sums so far (tensor/profiler.cpp)
  bool record_shapes_;
  bool active_ = true;
  OpObserver* outer_;
  std::unique_ptr<Figures> figures_;
};

}  // namespace reel::profiler
