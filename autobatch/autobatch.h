// reel/autobatch/autobatch.h — automatic batching: per-example code, run as batches.
//
// Inside a Scope, op calls do not run: each is recorded, and its outputs are *pending* tensors whose sizes, dtype,
// device and requires_grad are known at once. The recorded ops run when a value is needed — reading data (item(),
// data_ptr(), printing, copying to another device), backward(), an in-place write to something they read, flush(),
// or the end of the scope — and they run in batches: ops with the same signature (op, attributes, input shapes,
// the same parameters) whose inputs are ready run as one call over inputs stacked along a new first dim, chosen by
// DyNet's agenda (the signature of lowest average depth first). So code written one example at a time
//
//   reel::autobatch::Scope batch;
//   std::vector<reel::Tensor> losses;
//   for (const Tree& tree : trees) losses.push_back(model->loss(tree));   // recursion, loops, as usual
//   reel::Tensor loss = reel::stack(losses).sum();
//   loss.backward();                                                      // runs the batches, then backward
//
// runs its 25 trees' W x products as a few GEMMs instead of hundreds of row-vector products, and backward replays
// the same batches (a shared weight gets one GEMM per batch). Values and gradients equal running the examples one
// by one, within float rounding (reductions over a batch may sum in another order). Code that branches on a value
// keeps working: reading it runs what was recorded so far (the batch ends early there). Random draws run in program
// order, so dropout masks are the ones the eager code draws. docs/autobatch.md: what batches, what ends a batch,
// what it costs.
#pragma once

#include <cstdint>

namespace reel {
namespace detail {
class BatchingScope;
}

namespace autobatch {

// Counters of a scope since it opened.
struct Stats {
  int64_t ops_recorded = 0;  // op calls recorded (views of pending tensors included)
  int64_t ops_batched = 0;   // recorded ops that ran as part of a batch of two or more
  int64_t ops_alone = 0;     // recorded ops that ran one by one (no rule for their family, or a batch of one)
  int64_t batches = 0;       // batched calls made
  int64_t flushes = 0;       // times the recorded ops ran
  int64_t gathers_copied = 0;  // batched inputs assembled by a copy (stack / index_select)
  int64_t gathers_viewed = 0;  // batched inputs that already sat in order (a view, no copy)
  double seconds_flushing = 0;  // wall time inside flushes: planning, running the batches, giving values, releasing
  double seconds_running = 0;   // the part of it spent running the batched and lone calls

  Stats& operator+=(const Stats& other);
};

// Opens automatic batching on the calling thread for the scope's lifetime (scopes do not nest: an inner Scope
// throws reel::Error). The destructor runs what is still recorded; an error then is reported by the tensors it
// left without a value.
class Scope {
 public:
  Scope();
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  // Runs every recorded op now.
  void flush();
  Stats stats() const;

 private:
  detail::BatchingScope* scope_;
};

// Runs the calling thread's recorded ops now (nothing without an open Scope).
void flush();
// Whether the calling thread has an open Scope.
bool is_enabled();

}  // namespace autobatch
}  // namespace reel
