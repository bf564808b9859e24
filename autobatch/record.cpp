// reel/autobatch/record.cpp — recording inside an autobatch::Scope: the hooks of tensor/batching_hook.h, the pending
// outputs, the signatures that decide which recorded ops batch together, and the Scope object itself.
//
// What is recorded and what runs at once (docs/autobatch.md):
//   recorded   every run_op call that makes its outputs from metadata (dense memory on the op's device), every
//              elementwise call, and every view op of a pending tensor;
//   runs now   writes into existing memory (in-place ops, copy_, fill_, the random fills) and random draws that
//              read a pending input — after the recorded ops they touch have run, so values and the order of random
//              draws equal the eager run's; ops whose outputs the kernel makes or that go to pinned memory or
//              another device; creation ops and random draws of fresh tensors (no pending input: nothing to wait
//              for, and the draws stay in program order).
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "autobatch/graph.h"
#include "tensor/batching_hook.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel {

namespace detail {

thread_local BatchingScope* t_batching_scope = nullptr;

namespace {

thread_local BatchingScope* t_open_scope = nullptr;

bool is_pending(const Tensor& t) { return t.defined() && t.impl()->pending_node != 0; }

// FNV-1a style mixing of 64-bit words.
struct Hasher {
  uint64_t value = 1469598103934665603ull;
  void add(uint64_t word) {
    value ^= word + 0x9e3779b97f4a7c15ull + (value << 6) + (value >> 2);
  }
  void add_bytes(const void* data, size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    uint64_t word = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&word, bytes + i, 8);
      add(word);
    }
    word = 0;
    if (i < n) {
      std::memcpy(&word, bytes + i, n - i);
      add(word);
    }
  }
};

// Attributes compare by value: the shared fields, and the family struct's bytes (every alternative is trivially
// copyable; padding bytes can only make two equal attributes look different, which costs a batch, never a value).
bool same_attrs(const OpAttrs& a, const OpAttrs& b) {
  if (!(a.dims == b.dims) || a.dim != b.dim || a.keepdim != b.keepdim || a.family.index() != b.family.index()) {
    return false;
  }
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_empty_v<T>) {
          return true;
        } else {
          return std::memcmp(&x, &std::get<T>(b.family), sizeof(T)) == 0;
        }
      },
      a.family);
}

void hash_attrs(Hasher& h, const OpAttrs& attrs) {
  for (int64_t d : attrs.dims) h.add(static_cast<uint64_t>(d));
  h.add(static_cast<uint64_t>(attrs.dim));
  h.add(attrs.keepdim);
  h.add(attrs.family.index());
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (!std::is_empty_v<T>) h.add_bytes(&x, sizeof(T));
      },
      attrs.family);
}

void hash_tensor(Hasher& h, const Tensor& t) {
  if (!t.defined()) {
    h.add(0xfff);
    return;
  }
  const TensorImpl& m = *t.impl();
  h.add(static_cast<uint64_t>(m.dtype) << 8 | static_cast<uint64_t>(m.device.type) << 4 |
        static_cast<uint64_t>(m.device.index));
  for (int64_t s : m.sizes) h.add(static_cast<uint64_t>(s));
  h.add(m.sizes.size());
  if (is_parameter(t)) h.add(reinterpret_cast<uintptr_t>(t.impl()));
}

bool same_tensor_signature(const Tensor& a, const Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  const TensorImpl& x = *a.impl();
  const TensorImpl& y = *b.impl();
  if (x.dtype != y.dtype || !(x.device == y.device) || !(x.sizes == y.sizes)) return false;
  const bool xp = is_parameter(a), yp = is_parameter(b);
  return xp == yp && (!xp || a.impl() == b.impl());
}

bool any_sparse(OpInputs inputs) {
  for (int i = 0; i < inputs.size; ++i)
    if (inputs.data[i].defined() && inputs.data[i].is_sparse()) return true;
  return false;
}

}  // namespace

BatchingScope* open_scope() { return t_open_scope; }

BatchingScope::BatchingScope() = default;
BatchingScope::~BatchingScope() = default;

void BatchingScope::keep_input(const Tensor& t) {
  tensors.push_back(t);
  if (!t.defined()) return;
  const TensorImpl& m = *t.impl();
  if (m.pending_node != 0) {
    const RecordedOp& made_by = ops[static_cast<size_t>(producer(m))];
    ++uses[static_cast<size_t>(made_by.outputs_begin + static_cast<int32_t>(m.output_nr))];
  } else if (m.storage) {
    m.storage->pending_read_mark = generation;
  }
}

int32_t BatchingScope::depth_of(const Tensor& t) const {
  if (!is_pending(t)) return 0;
  return ops[static_cast<size_t>(producer(*t.impl()))].depth + 1;
}

Tensor BatchingScope::make_pending(int32_t index, const OutputMeta& meta, bool requires_grad) {
  auto* impl = new TensorImpl();
  impl->refcount.store_relaxed(1);
  IntrusivePtr<TensorImpl> handle = IntrusivePtr<TensorImpl>::adopt(impl);
  impl->dtype = meta.dtype;
  impl->device = meta.device;
  impl->sizes = meta.sizes;
  impl->strides = contiguous_strides(meta.sizes);
  impl->numel = checked_numel(meta.sizes, "autobatch");
  impl->is_contiguous = true;
  impl->requires_grad = requires_grad;
  impl->pending_node = static_cast<uint32_t>(index) + 1;
  impl->output_nr = static_cast<uint32_t>(outputs.size()) - static_cast<uint32_t>(ops[index].outputs_begin);
  outputs.push_back(handle);
  uses.push_back(0);
  metas.push_back(meta);
  return Tensor(std::move(handle));
}

uint64_t BatchingScope::hash_signature(const RecordedOp& r) const {
  Hasher h;
  h.add(static_cast<uint64_t>(r.kind) << 32 | static_cast<uint64_t>(r.op));
  h.add(static_cast<uint64_t>(r.grad_enabled) | static_cast<uint64_t>(r.record) << 1 |
        static_cast<uint64_t>(r.iterate) << 2 | static_cast<uint64_t>(r.skip_kernel_when_empty) << 3 |
        static_cast<uint64_t>(r.has_attrs) << 4);
  h.add(r.contiguous_inputs);
  if (r.has_attrs) hash_attrs(h, attrs_of(r));
  h.add(static_cast<uint64_t>(r.num_inputs) << 32 | static_cast<uint32_t>(r.num_recorded));
  for (int32_t i = 0; i < r.num_inputs; ++i) hash_tensor(h, tensors[static_cast<size_t>(r.inputs_begin + i)]);
  for (int32_t i = 0; i < r.num_recorded; ++i) hash_tensor(h, tensors[static_cast<size_t>(r.recorded_begin + i)]);
  h.add(static_cast<uint64_t>(r.num_outputs));
  for (int32_t j = 0; j < r.num_outputs; ++j) {
    const OutputMeta& meta = metas[static_cast<size_t>(r.outputs_begin + j)];
    h.add(static_cast<uint64_t>(meta.dtype));
    for (int64_t s : meta.sizes) h.add(static_cast<uint64_t>(s));
  }
  return h.value;
}

bool same_signature(const BatchingScope& scope, const RecordedOp& a, const RecordedOp& b) {
  if (a.signature != b.signature || a.kind != b.kind || a.op != b.op || a.grad_enabled != b.grad_enabled ||
      a.record != b.record || a.iterate != b.iterate || a.skip_kernel_when_empty != b.skip_kernel_when_empty ||
      a.contiguous_inputs != b.contiguous_inputs || a.has_attrs != b.has_attrs || a.has_device != b.has_device ||
      a.num_inputs != b.num_inputs || a.num_recorded != b.num_recorded || a.num_outputs != b.num_outputs) {
    return false;
  }
  if (a.has_device && !(a.device == b.device)) return false;
  if (a.has_attrs && !same_attrs(scope.attrs_of(a), scope.attrs_of(b))) return false;
  for (int32_t i = 0; i < a.num_inputs; ++i) {
    if (!same_tensor_signature(scope.tensors[static_cast<size_t>(a.inputs_begin + i)],
                               scope.tensors[static_cast<size_t>(b.inputs_begin + i)])) {
      return false;
    }
  }
  for (int32_t i = 0; i < a.num_recorded; ++i) {
    if (!same_tensor_signature(scope.tensors[static_cast<size_t>(a.recorded_begin + i)],
                               scope.tensors[static_cast<size_t>(b.recorded_begin + i)])) {
      return false;
    }
  }
  for (int32_t j = 0; j < a.num_outputs; ++j) {
    const OutputMeta& x = scope.metas[static_cast<size_t>(a.outputs_begin + j)];
    const OutputMeta& y = scope.metas[static_cast<size_t>(b.outputs_begin + j)];
    if (x.dtype != y.dtype || !(x.sizes == y.sizes) || !(x.device == y.device) || x.alloc != y.alloc) return false;
  }
  return true;
}

// ---- the hooks ------------------------------------------------------------------------------------------------------

bool BatchingScope::defer_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs_,
                             const OpOptions& options) {
  bool reads_pending = false;
  for (int i = 0; i < inputs.size; ++i) reads_pending |= is_pending(inputs.data[i]);
  for (const Tensor* t : options.recorded_inputs) reads_pending |= t != nullptr && is_pending(*t);
  bool must_run_now = outputs_.metas == nullptr || options.device.has_value() || any_sparse(inputs);
  const OpFamily family = op_info(op).family;
  if (family == OpFamily::Random || family == OpFamily::Creation) must_run_now = true;
  if (outputs_.metas != nullptr) {
    for (int j = 0; j < outputs_.size; ++j) {
      const OutputMeta& meta = outputs_.metas[j];
      must_run_now |= meta.alloc != Alloc::dense || meta.initial != nullptr;
    }
  }
  if (must_run_now) {
    if (outputs_.metas == nullptr) {
      for (int j = 0; j < outputs_.size; ++j) before_eager(&outputs_.tensors[j], 1, &outputs_.tensors[j]);
    }
    if (reads_pending) flush();
    return false;
  }

  const int32_t index = static_cast<int32_t>(ops.size());
  ops.emplace_back();
  RecordedOp& r = ops.back();
  r.kind = RecordedKind::op;
  r.op = op;
  r.has_attrs = attrs != nullptr;
  if (attrs != nullptr) {
    r.attrs_index = static_cast<int32_t>(attrs_store.size());
    attrs_store.push_back(*attrs);
  }
  r.grad_enabled = is_grad_enabled();
  r.record = options.record;
  r.skip_kernel_when_empty = options.skip_kernel_when_empty;
  r.iterate = options.iterate;
  r.contiguous_inputs = options.contiguous_inputs;
  r.allocating = options.allocating;
  r.inputs_begin = static_cast<int32_t>(tensors.size());
  r.num_inputs = inputs.size;
  int32_t depth = 0;
  bool input_requires_grad = false;
  for (int i = 0; i < inputs.size; ++i) {
    keep_input(inputs.data[i]);
    depth = std::max(depth, depth_of(inputs.data[i]));
  }
  if (options.recorded_inputs.size() != 0 && options.record == Record::yes) {
    ops[static_cast<size_t>(index)].recorded_begin = static_cast<int32_t>(tensors.size());
    ops[static_cast<size_t>(index)].num_recorded = static_cast<int32_t>(options.recorded_inputs.size());
    for (const Tensor* t : options.recorded_inputs) {
      keep_input(*t);
      depth = std::max(depth, depth_of(*t));
      input_requires_grad |= t->defined() && t->requires_grad();
    }
  } else {
    for (int i = 0; i < inputs.size; ++i)
      input_requires_grad |= inputs.data[i].defined() && inputs.data[i].requires_grad();
  }
  RecordedOp& rec = ops[static_cast<size_t>(index)];
  rec.depth = depth;
  rec.outputs_begin = static_cast<int32_t>(outputs.size());
  rec.num_outputs = outputs_.size;
  const bool records = rec.grad_enabled && rec.record == Record::yes && input_requires_grad;
  for (int j = 0; j < outputs_.size; ++j) {
    const OutputMeta& meta = outputs_.metas[j];
    outputs_.tensors[j] = make_pending(index, meta, records && is_floating_point(meta.dtype));
  }
  ops[static_cast<size_t>(index)].signature = hash_signature(ops[static_cast<size_t>(index)]);
  ++stats.ops_recorded;
  return true;
}

Tensor BatchingScope::defer_elementwise(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                                        std::initializer_list<const Tensor*> inputs,
                                        std::initializer_list<const Tensor*> recorded) {
  const int32_t index = static_cast<int32_t>(ops.size());
  ops.emplace_back();
  {
    RecordedOp& r = ops.back();
    r.kind = RecordedKind::elementwise;
    r.op = op;
    r.has_attrs = attrs != nullptr;
    if (attrs != nullptr) {
      r.attrs_index = static_cast<int32_t>(attrs_store.size());
      attrs_store.push_back(*attrs);
    }
    r.grad_enabled = is_grad_enabled();
    r.inputs_begin = static_cast<int32_t>(tensors.size());
    r.num_inputs = static_cast<int32_t>(inputs.size());
  }
  int32_t depth = 0;
  for (const Tensor* t : inputs) {
    keep_input(*t);
    depth = std::max(depth, depth_of(*t));
  }
  bool same_lists = inputs.size() == recorded.size();
  if (same_lists) {
    for (size_t i = 0; i < inputs.size(); ++i) same_lists &= inputs.begin()[i] == recorded.begin()[i];
  }
  bool input_requires_grad = false;
  if (!same_lists) {
    ops.back().recorded_begin = static_cast<int32_t>(tensors.size());
    ops.back().num_recorded = static_cast<int32_t>(recorded.size());
    for (const Tensor* t : recorded) {
      keep_input(*t);
      depth = std::max(depth, depth_of(*t));
    }
  }
  for (const Tensor* t : recorded) input_requires_grad |= t->defined() && t->requires_grad();
  RecordedOp& r = ops.back();
  r.depth = depth;
  r.outputs_begin = static_cast<int32_t>(outputs.size());
  r.num_outputs = 1;
  Tensor out = make_pending(index, OutputMeta(sizes, dtype, device), r.grad_enabled && input_requires_grad);
  ops.back().signature = hash_signature(ops.back());
  ++stats.ops_recorded;
  return out;
}

void BatchingScope::defer_view(OpId op, const Tensor& self, Tensor& out, const OpAttrs& attrs) {
  const int32_t index = static_cast<int32_t>(ops.size());
  ops.emplace_back();
  RecordedOp& r = ops.back();
  r.kind = RecordedKind::view;
  r.op = op;
  r.has_attrs = true;
  r.attrs_index = static_cast<int32_t>(attrs_store.size());
  attrs_store.push_back(attrs);
  r.grad_enabled = is_grad_enabled();
  r.inputs_begin = static_cast<int32_t>(tensors.size());
  r.num_inputs = 1;
  keep_input(self);
  RecordedOp& rec = ops.back();
  rec.depth = depth_of(self);
  rec.outputs_begin = static_cast<int32_t>(outputs.size());
  rec.num_outputs = 1;
  // `out` keeps the sizes and strides the view op computed over the pending (row-major) input.
  TensorImpl* impl = out.impl();
  impl->requires_grad = rec.grad_enabled && self.requires_grad();
  impl->pending_node = static_cast<uint32_t>(index) + 1;
  impl->output_nr = 0;
  outputs.push_back(IntrusivePtr<TensorImpl>(impl));
  uses.push_back(0);
  metas.push_back(OutputMeta(impl->sizes, impl->dtype, impl->device));
  ops.back().signature = hash_signature(ops.back());
  ++stats.ops_recorded;
}

void BatchingScope::before_eager(const Tensor* list, int count, const Tensor* written) {
  if (ops.empty()) return;
  bool needed = false;
  for (int i = 0; i < count; ++i) needed |= is_pending(list[i]);
  if (written != nullptr && written->defined()) {
    const TensorImpl& m = *written->impl();
    needed |= m.pending_node != 0 || (m.storage && m.storage->pending_read_mark == generation);
  }
  if (needed) flush();
}

bool defer_op(OpId op, const OpAttrs* attrs, OpInputs inputs, OpOutputs outputs, const OpOptions& options) {
  return t_batching_scope->defer_op(op, attrs, inputs, outputs, options);
}

Tensor defer_elementwise(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                         std::initializer_list<const Tensor*> inputs, std::initializer_list<const Tensor*> recorded) {
  return t_batching_scope->defer_elementwise(op, attrs, sizes, dtype, device, inputs, recorded);
}

void defer_view(OpId op, const Tensor& self, Tensor& out, const OpAttrs& attrs) {
  BatchingScope* scope = open_scope();
  REEL_CHECK(scope != nullptr && t_batching_scope == scope,
             "{}: the input (shape {}) is the output of an op an autobatch::Scope recorded, and that scope is not "
             "recording now", op_name(op), shape_str(self.sizes()));
  scope->defer_view(op, self, out, attrs);
}

void before_eager(const Tensor* tensors, int count, const Tensor* written) {
  if (BatchingScope* scope = open_scope()) scope->before_eager(tensors, count, written);
}

}  // namespace detail

// ---- the public API -------------------------------------------------------------------------------------------------

namespace autobatch {

namespace {
// The thread's last scope, kept with its arrays' capacity: the next scope reuses it instead of growing (and
// page-faulting) megabytes of fresh arrays again.
thread_local std::unique_ptr<detail::BatchingScope> t_spare_scope;
}  // namespace

Scope::Scope() {
  REEL_CHECK(detail::t_open_scope == nullptr,
             "autobatch::Scope: a scope is already open on this thread (scopes do not nest)");
  scope_ = t_spare_scope ? t_spare_scope.release() : new detail::BatchingScope();
  scope_->stats = Stats{};
  scope_->failure.clear();
  detail::t_open_scope = scope_;
  detail::t_batching_scope = scope_;
}

Scope::~Scope() {
  try {
    scope_->flush();
  } catch (...) {  // the tensors left without a value report the error (BatchingScope::failure)
  }
  detail::t_open_scope = nullptr;
  detail::t_batching_scope = nullptr;
  if (scope_->empty() && !scope_->running_) {
    t_spare_scope.reset(scope_);
  } else {
    delete scope_;
  }
}

void Scope::flush() { scope_->flush(); }

Stats Scope::stats() const { return scope_->stats; }

Stats& Stats::operator+=(const Stats& other) {
  ops_recorded += other.ops_recorded;
  ops_batched += other.ops_batched;
  ops_alone += other.ops_alone;
  batches += other.batches;
  flushes += other.flushes;
  gathers_copied += other.gathers_copied;
  gathers_viewed += other.gathers_viewed;
  seconds_flushing += other.seconds_flushing;
  seconds_running += other.seconds_running;
  return *this;
}

void flush() {
  if (detail::BatchingScope* scope = detail::open_scope()) scope->flush();
}

bool is_enabled() { return detail::open_scope() != nullptr; }

}  // namespace autobatch

}  // namespace reel
