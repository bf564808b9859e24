// reel/autobatch/execute.cpp — running what a Scope recorded: DyNet's agenda scheduler, one-by-one execution, and
// giving the held pending tensors their values.
//
// flush(): recorded ops are grouped by signature (their class, found as they were recorded: autobatch/record.cpp).
// An op is *ready* when every recorded op it reads from has run. Each step takes the signature of lowest average
// depth (over all its ops) among those with ready ops and runs all its ready ops as one batch (autobatch/rules.cpp),
// or one by one when the family has no batching rule; ops that become ready join their signature's list. Average depth rather than depth
// lets the ops of one kind at different depths of different examples (the leaves of trees of different heights)
// wait for each other. Every op runs with the grad mode it was recorded under, and with the scope suspended, so
// the batched calls and their autograd records are ordinary eager calls. Afterwards each pending output that is
// still held outside the scope takes the storage, layout and history of its row of the batch (a select view), and
// the records are dropped.
#include <algorithm>
#include <chrono>
#include <queue>
#include <unordered_map>

#include <fmt/format.h>

#include "autobatch/graph.h"
#include "tensor/batching_hook.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel {

namespace detail {

namespace {

thread_local std::string t_last_failure;

// Gives `dst` (a pending impl) the value and history of `src`.
void take_value(TensorImpl& dst, const Tensor& src) {
  const TensorImpl& s = *src.impl();
  dst.storage = s.storage;
  dst.offset = s.offset;
  dst.sizes = s.sizes;
  dst.strides = s.strides;
  dst.numel = s.numel;
  dst.is_contiguous = s.is_contiguous;
  dst.is_view = s.is_view;
  dst.view_base = s.view_base;
  dst.view_base_history = s.view_base_history;
  dst.requires_grad = s.requires_grad;
  if (s.grad_fn != nullptr) autograd::retain_node(s.grad_fn);
  if (dst.grad_fn != nullptr) autograd::release_node(dst.grad_fn);
  dst.grad_fn = s.grad_fn;
  dst.output_nr = s.output_nr;
  dst.pending_node = 0;
}

// A signature class's state while the flush runs (its counts are BatchingScope::classes').
struct SignatureClass {
  std::vector<int32_t> ready;
  bool queued = false;
};

}  // namespace

// The per-example value of output `o`, under the grad mode of the op that made it.
static const Tensor& per_example(BatchingScope& scope, size_t o) {
  RecordedResult& r = scope.results[o];
  if (r.row < 0) return r.single;
  if (!r.single.defined()) {
    AutoGradMode mode(scope.ops[static_cast<size_t>(scope.output_op[o])].grad_enabled);
    r.single = scope.batch_outputs[static_cast<size_t>(r.batch)].select(0, r.row);
  }
  return r.single;
}

const Tensor& resolved_at(BatchingScope& scope, size_t position) {
  const int32_t source = scope.tensor_source[position];
  return source < 0 ? scope.tensors[position] : per_example(scope, static_cast<size_t>(source));
}

void BatchingScope::flush() {
  if (ops.empty()) return;
  REEL_CHECK(running_ == false,
             "autobatch: internal: a recorded op needed the value of a pending tensor while the batches ran");
  running_ = true;
  SuspendBatching suspended;
  ++stats.flushes;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point flush_start = Clock::now();
  struct AddTime {  // adds the flush's wall time to the stats however it ends
    autobatch::Stats& stats;
    Clock::time_point start;
    ~AddTime() { stats.seconds_flushing += std::chrono::duration<double>(Clock::now() - start).count(); }
  } add_time{stats, flush_start};
  const size_t n = ops.size();
  try {
    results.assign(outputs.size(), RecordedResult{});

    // The signature classes, as recording made them.
    std::vector<SignatureClass> classes(this->classes.size());
    auto average_depth = [&](int32_t c) {
      const SignatureClassInfo& info = this->classes[static_cast<size_t>(c)];
      return info.depth_sum / static_cast<double>(info.count);
    };

    // Dependencies: waiting[i] = pending inputs of op i not yet run; consumers of each op (CSR).
    std::vector<int32_t>& waiting = scratch_.waiting;
    std::vector<int32_t>& consumer_start = scratch_.consumer_start;
    std::vector<int32_t>& consumers = scratch_.consumers;
    waiting.assign(n, 0);
    consumer_start.assign(n + 1, 0);
    auto for_each_pending_input = [&](size_t i, auto&& visit) {
      const RecordedOp& op = ops[i];
      for (int32_t k = 0; k < op.num_inputs; ++k) {
        const int32_t source = tensor_source[static_cast<size_t>(op.inputs_begin + k)];
        if (source >= 0) visit(output_op[static_cast<size_t>(source)]);
      }
      for (int32_t k = 0; k < op.num_recorded; ++k) {
        const int32_t source = tensor_source[static_cast<size_t>(op.recorded_begin + k)];
        if (source >= 0) visit(output_op[static_cast<size_t>(source)]);
      }
    };
    for (size_t i = 0; i < n; ++i) {
      for_each_pending_input(i, [&](int32_t p) {
        ++waiting[i];
        ++consumer_start[static_cast<size_t>(p) + 1];
      });
    }
    for (size_t i = 0; i < n; ++i) consumer_start[i + 1] += consumer_start[i];
    consumers.resize(static_cast<size_t>(consumer_start[n]));
    {
      std::vector<int32_t> fill(consumer_start.begin(), consumer_start.end() - 1);
      for (size_t i = 0; i < n; ++i) {
        for_each_pending_input(i, [&](int32_t p) {
          consumers[static_cast<size_t>(fill[static_cast<size_t>(p)]++)] = static_cast<int32_t>(i);
        });
      }
    }

    // The agenda: classes with ready ops, lowest average depth first (ties: the earlier recorded class).
    using Entry = std::pair<double, int32_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> agenda;
    auto make_ready = [&](int32_t i) {
      const int32_t class_index = ops[static_cast<size_t>(i)].signature_class;
      SignatureClass& c = classes[static_cast<size_t>(class_index)];
      c.ready.push_back(i);
      if (!c.queued) {
        c.queued = true;
        agenda.emplace(average_depth(class_index), class_index);
      }
    };
    for (size_t i = 0; i < n; ++i)
      if (waiting[i] == 0) make_ready(static_cast<int32_t>(i));

    size_t done = 0;
    std::vector<int32_t> batch;
    const Clock::time_point run_start = Clock::now();
    while (!agenda.empty()) {
      const int32_t c = agenda.top().second;
      agenda.pop();
      SignatureClass& cls = classes[static_cast<size_t>(c)];
      cls.queued = false;
      batch.swap(cls.ready);
      cls.ready.clear();
      try {
        if (batch.size() >= 2 && run_batched(*this, batch)) {
          ++stats.batches;
          stats.ops_batched += static_cast<int64_t>(batch.size());
        } else {
          for (int32_t i : batch) run_alone(*this, i);
          stats.ops_alone += static_cast<int64_t>(batch.size());
        }
      } catch (const Error& e) {  // an error only the kernel finds: named as the eager call names it
        const RecordedOp& op = ops[static_cast<size_t>(batch[0])];
        std::string message = e.what();
        if (op.op == OpId::index_select && op.has_attrs && attrs_of(op).holds<EmbeddingAttrs>() &&
            message.rfind("index_select", 0) == 0) {
          message.replace(0, 12, "embedding");  // embedding's front door reports its own name
        }
        throw Error(message);
      }
      done += batch.size();
      for (int32_t i : batch) {
        for (int32_t k = consumer_start[static_cast<size_t>(i)]; k < consumer_start[static_cast<size_t>(i) + 1]; ++k) {
          const int32_t consumer = consumers[static_cast<size_t>(k)];
          if (--waiting[static_cast<size_t>(consumer)] == 0) make_ready(consumer);
        }
      }
      batch.clear();
    }
    stats.seconds_running += std::chrono::duration<double>(Clock::now() - run_start).count();
    REEL_CHECK(done == n, "autobatch: internal: {} of {} recorded ops ran (a dependency cycle?)", done, n);

    // The pending outputs still held outside the records take their values.
    for (size_t o = 0; o < outputs.size(); ++o) {
      TensorImpl& impl = *outputs[o];
      const int32_t held = impl.refcount.load_relaxed() - 1 - uses[o];
      if (held <= 0) continue;
      take_value(impl, per_example(*this, o));
    }
  } catch (const std::exception& e) {
    failure = e.what();
    t_last_failure = failure;
    release_records(true);
    running_ = false;
    throw;
  }
  release_records(false);
  running_ = false;
}

void BatchingScope::release_records(bool failed) {
  for (IntrusivePtr<TensorImpl>& impl : outputs) {
    if (impl->pending_node != 0) impl->pending_node = failed ? kPoisonedPending : 0;
  }
  results.clear();
  batch_outputs.clear();
  attrs_store.clear();
  classes.clear();
  class_words.clear();
  class_by_hash_.clear();
  tensors.clear();
  tensor_source.clear();
  output_op.clear();
  ops.clear();
  metas.clear();
  uses.clear();
  outputs.clear();
  ++generation;
}

void materialize_pending(const TensorImpl& impl) {
  BatchingScope* scope = open_scope();
  if (impl.pending_node != kPoisonedPending && scope != nullptr) {
    scope->flush();
    if (impl.pending_node == 0) return;
  }
  throw Error(fmt::format("autobatch: a tensor of shape {} has no value: the autobatch::Scope that recorded the op "
                          "making it failed while running its batches ({})",
                          shape_str(impl.sizes), t_last_failure.empty() ? "no error recorded" : t_last_failure));
}

// ---- one recorded op, alone ---------------------------------------------------------------------------------------

namespace {

// The resolved tensors of `count` entries of scope.tensors from `begin`: inline for the usual few, on the heap beyond.
class ResolvedList {
 public:
  ResolvedList(BatchingScope& scope, int32_t begin, int32_t count) : size_(count < 0 ? 0 : static_cast<size_t>(count)) {
    if (size_ > kInline) {
      heap_.resize(size_);
      data_ = heap_.data();
    }
    for (size_t k = 0; k < size_; ++k) data_[k] = &resolved_at(scope, static_cast<size_t>(begin) + k);
  }
  ResolvedList(const ResolvedList&) = delete;
  ResolvedList& operator=(const ResolvedList&) = delete;
  const Tensor* const* data() const { return data_; }
  size_t size() const { return size_; }
  const Tensor& operator[](size_t k) const { return *data_[k]; }

 private:
  static constexpr size_t kInline = 8;
  const Tensor* inline_[kInline] = {};
  std::vector<const Tensor*> heap_;
  const Tensor** data_ = inline_;
  size_t size_;
};

}  // namespace

void run_alone(BatchingScope& scope, int32_t index) {
  const RecordedOp& r = scope.ops[static_cast<size_t>(index)];
  AutoGradMode mode(r.grad_enabled);
  if (r.op == OpId::cat && r.kind == RecordedKind::op && run_cat_of_rows(scope, index)) return;
  const OpAttrs* attrs = scope.attrs_or_null(r);
  const ResolvedList inputs(scope, r.inputs_begin, r.num_inputs);
  const ResolvedList recorded(scope, r.recorded_begin, r.num_recorded);
  const size_t first_output = static_cast<size_t>(r.outputs_begin);
  switch (r.kind) {
    case RecordedKind::elementwise: {
      const OutputMeta& meta = scope.metas[first_output];
      const ResolvedList& autograd_inputs = r.num_recorded >= 0 ? recorded : inputs;
      scope.results[first_output].single =
          run_elementwise_op_now(r.op, attrs, meta.sizes, meta.dtype, meta.device,
                                 TensorPtrList(inputs.data(), inputs.size()),
                                 TensorPtrList(autograd_inputs.data(), autograd_inputs.size()));
      break;
    }
    case RecordedKind::view:
      scope.results[first_output].single = apply_view(r, *attrs, inputs[0], 0);
      break;
    case RecordedKind::op: {
      std::vector<Tensor> kernel_inputs(inputs.size());
      for (size_t k = 0; k < inputs.size(); ++k) kernel_inputs[k] = inputs[k];
      std::vector<Tensor> outs(static_cast<size_t>(r.num_outputs));
      OpOptions options = options_of(r);
      if (r.num_recorded >= 0) options.recorded_inputs = TensorPtrList(recorded.data(), recorded.size());
      run_op(r.op, attrs, OpInputs(kernel_inputs.data(), static_cast<int>(kernel_inputs.size())),
             OpOutputs(outs.data(), &scope.metas[first_output], r.num_outputs), options);
      for (int32_t j = 0; j < r.num_outputs; ++j) scope.results[first_output + static_cast<size_t>(j)].single = outs[j];
      break;
    }
  }
}

}  // namespace detail
}  // namespace reel
