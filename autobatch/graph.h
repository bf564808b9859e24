// reel/autobatch/graph.h — what an open reel::autobatch::Scope holds: the recorded op calls (internal).
//
// Each op call made inside the scope becomes a RecordedOp: the op, a copy of its attributes, its inputs (handles, so
// the values they name stay alive), its output metadata and the pending TensorImpls that stand for its outputs
// (TensorImpl::pending_node = 1 + the op's index). Inputs, recorded inputs, output metadata and outputs of all ops
// sit in four flat arrays of the scope; an op keeps where its share starts. The *signature* of an op (op, attributes,
// run options, grad mode, and per input: dtype, device, sizes, and the identity of parameters) decides which ops may
// run as one batch: it is written as a key of 64-bit words, and each op joins the class of ops with an equal key as it
// is recorded (while its inputs are still in the cache); `depth` (1 + the deepest pending input's) orders the
// scheduler's agenda (autobatch/execute.cpp).
// After a flush (every recorded op has run) the pending outputs that anything outside the scope still holds take
// their values (materialize), the others are dropped with the records.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "autobatch/autobatch.h"
#include "tensor/op_attrs.h"
#include "tensor/op_call.h"

namespace reel::detail {

// TensorImpl::pending_node of a tensor that a failed flush left without a value.
constexpr uint32_t kPoisonedPending = 0xffffffffu;

enum class RecordedKind : uint8_t {
  op,           // run_op
  elementwise,  // run_elementwise_op (inputs: the kernel's, already cast; recorded: autograd's)
  view,         // a view op of a pending tensor (tensor/views.cpp): op and attrs say which view
};

struct RecordedOp {
  RecordedKind kind = RecordedKind::op;
  OpId op = OpId::copy;
  bool has_attrs = false;
  bool grad_enabled = true;  // grad mode when the call was made
  // run_op's options (kind op)
  Record record = Record::yes;
  bool skip_kernel_when_empty = false;
  bool iterate = false;
  bool has_device = false;
  Device device;
  uint32_t contiguous_inputs = 0;
  const char* allocating = "empty";
  int32_t attrs_index = -1;  // BatchingScope::attrs_store, when has_attrs (kept apart: most ops have none)
  int32_t inputs_begin = 0, num_inputs = 0;      // BatchingScope::tensors
  int32_t recorded_begin = 0, num_recorded = -1;  // BatchingScope::tensors; -1: autograd sees `inputs`
  int32_t outputs_begin = 0, num_outputs = 0;    // BatchingScope::metas and ::outputs (and ::results)
  int32_t depth = 0;
  int32_t signature_class = 0;  // BatchingScope::classes: the ops it may run in one batch with
};

// The ops recorded since the last flush that share one signature: its key (BatchingScope::class_words), how many
// ops and the sum of their depths (the agenda orders classes by average depth).
struct SignatureClassInfo {
  int32_t words_begin = 0, words_count = 0;
  int64_t count = 0;
  double depth_sum = 0;
};

// Where a recorded op's output lives once it ran: row `row` of BatchingScope::batch_outputs[batch] (a batched
// call's output), or `single` itself (row -1: the op ran alone). For a row, `single` caches the per-example view.
struct RecordedResult {
  int32_t batch = -1;
  int64_t row = -1;
  Tensor single;
};

class BatchingScope {
 public:
  BatchingScope();
  ~BatchingScope();

  // Recording (autobatch/record.cpp)
  bool defer_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs, const OpOptions& options);
  Tensor defer_elementwise(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                           std::initializer_list<const Tensor*> inputs, std::initializer_list<const Tensor*> recorded);
  void defer_view(OpId op, const Tensor& self, Tensor& out, const OpAttrs& attrs);
  void before_eager(const Tensor* tensors, int count, const Tensor* written);

  // Running (autobatch/execute.cpp): every recorded op, in batches; then the held outputs take their values.
  void flush();
  // Drops the records; a pending output left without a value (failed: the flush threw) reports the error.
  void release_records(bool failed);
  bool empty() const { return ops.empty(); }

  std::vector<RecordedOp> ops;
  std::vector<OpAttrs> attrs_store;              // the attributes of the ops that have them
  std::vector<Tensor> tensors;                   // inputs and recorded inputs of every op
  std::vector<int32_t> tensor_source;            // per entry of `tensors`: the output (index) it is, -1 if not pending
  std::vector<OutputMeta> metas;                 // per output
  std::vector<IntrusivePtr<TensorImpl>> outputs;  // per output: the pending impl
  std::vector<int32_t> output_op;                 // per output: the recorded op that makes it
  std::vector<int32_t> uses;                      // per output: how many entries of `tensors` hold it
  std::vector<RecordedResult> results;            // per output, filled while running
  std::vector<Tensor> batch_outputs;              // the outputs of the batched calls, filled while running
  std::vector<SignatureClassInfo> classes;        // the signature classes of `ops`
  std::vector<uint64_t> class_words;              // their keys, end to end
  uint32_t generation = 1;                        // StorageImpl::pending_read_mark of memory read by `ops`
  autobatch::Stats stats;
  std::string failure;  // the error of a flush that failed: what a tensor it left without value reports
  bool running_ = false;  // flush() is running the records
  // flush()'s working arrays, kept for their capacity
  struct FlushScratch {
    std::vector<int32_t> waiting, consumer_start, consumers;
  } scratch_;
  std::vector<uint64_t> key_scratch_;                        // the key of the op being recorded
  std::unordered_multimap<uint64_t, int32_t> class_by_hash_;  // hash of a key -> class

  const OpAttrs& attrs_of(const RecordedOp& r) const { return attrs_store[static_cast<size_t>(r.attrs_index)]; }
  const OpAttrs* attrs_or_null(const RecordedOp& r) const { return r.has_attrs ? &attrs_of(r) : nullptr; }
  // The recorded op whose output `impl` is, and which output.
  int32_t producer(const TensorImpl& impl) const { return static_cast<int32_t>(impl.pending_node) - 1; }

 private:
  // Appends `t` to `tensors`, counting a use of a pending producer and marking the memory of a real one as read.
  void keep_input(const Tensor& t);
  // Throws unless `t`, when pending, is an output of this scope's records (a failed flush's tensors and another
  // thread's pending tensors are refused before anything is recorded).
  void check_input(const Tensor& t, OpId op) const;
  // The output index of pending `impl` when it is one of this scope's outputs, else -1.
  int32_t output_index(const TensorImpl& impl) const;
  // A new pending output of op `index` with the given metadata.
  Tensor make_pending(int32_t index, const OutputMeta& meta, bool requires_grad);
  int32_t depth_of(const Tensor& t) const;
  // Puts ops.back() (inputs and outputs already kept) into its signature class, making the class if it is new.
  void classify(RecordedOp& op);
};

// run_op's options as the recorded call passed them (recorded_inputs left empty: the caller sets them).
inline OpOptions options_of(const RecordedOp& r) {
  OpOptions options;
  options.record = r.record;
  options.skip_kernel_when_empty = r.skip_kernel_when_empty;
  options.iterate = r.iterate;
  options.contiguous_inputs = r.contiguous_inputs;
  options.allocating = r.allocating;
  return options;
}

// Whether a non-pending input takes part in the signature by identity (a parameter: a leaf that requires grad).
inline bool is_parameter(const Tensor& t) {
  return t.defined() && t.impl()->pending_node == 0 && t.impl()->requires_grad && t.impl()->grad_fn == nullptr;
}

// The thread's open scope (recording or running), or null.
BatchingScope* open_scope();

// Runs one batch of recorded ops with the same signature (autobatch/rules.cpp): false when the op's family has no
// batching rule or this batch does not fit it (then each runs alone).
bool run_batched(BatchingScope& scope, std::vector<int32_t>& batch);
// Runs a recorded cat along dim 0 of same-shaped rows of batches as one gather (autobatch/rules.cpp); false when it
// does not fit (then it runs alone).
bool run_cat_of_rows(BatchingScope& scope, int32_t index);
// Runs one recorded op alone, as the eager call would have.
void run_alone(BatchingScope& scope, int32_t index);
// Applies recorded view `r` to `base`; shift 1: base carries a leading batch dim the view leaves alone.
Tensor apply_view(const RecordedOp& r, const OpAttrs& attrs, const Tensor& base, int64_t shift);
// The value of entry `position` of scope.tensors, once its producer ran.
const Tensor& resolved_at(BatchingScope& scope, size_t position);

}  // namespace reel::detail
