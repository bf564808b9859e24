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
#include <algorithm>
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

// The signature key: 64-bit words that say everything two ops must share to run as one batch, written so that the
// words alone give back where each field starts (counts before lists), so equal keys mean equal signatures.
class KeyWriter {
 public:
  explicit KeyWriter(std::vector<uint64_t>& words) : words_(words) { words_.clear(); }
  void add(uint64_t word) { words_.push_back(word); }
  void add_bytes(const void* data, size_t n) {  // n is fixed by what precedes (a type), so no count is written
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; i += 8) {
      uint64_t word = 0;
      std::memcpy(&word, bytes + i, std::min<size_t>(8, n - i));
      add(word);
    }
  }
  void add_sizes(IntList sizes) {
    add(sizes.size());
    for (int64_t v : sizes) add(static_cast<uint64_t>(v));
  }
  // Attributes compare by value: the shared fields, and the family struct's bytes (every alternative is trivially
  // copyable; padding bytes can only make two equal attributes look different, which costs a batch, never a value).
  void add_attrs(const OpAttrs& attrs) {
    add_sizes(attrs.dims);
    add(static_cast<uint64_t>(attrs.dim));
    add(static_cast<uint64_t>(attrs.keepdim) << 32 | attrs.family.index());
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (!std::is_empty_v<T>) add_bytes(&x, sizeof(T));
        },
        attrs.family);
  }
  static uint64_t device_word(Device device) {
    return static_cast<uint64_t>(device.type) << 8 | static_cast<uint8_t>(device.index);
  }
  // dtype, device, sizes, and the identity of a parameter (0 for anything else; an impl's address is never 0).
  void add_tensor(const Tensor& t) {
    if (!t.defined()) {
      add(0);
      return;
    }
    const TensorImpl& m = *t.impl();
    add(uint64_t{1} << 63 | static_cast<uint64_t>(m.dtype) << 16 | device_word(m.device));
    add_sizes(m.sizes);
    add(is_parameter(t) ? reinterpret_cast<uintptr_t>(t.impl()) : 0);
  }
  // A quick mix (one multiply per word): equal keys are still compared word by word, so a collision costs a compare.
  uint64_t hash() const {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ words_.size();
    for (uint64_t w : words_) {
      h = (h ^ w) * 0x9e3779b97f4a7c15ull;
      h ^= h >> 32;
    }
    return h;
  }

 private:
  std::vector<uint64_t>& words_;
};

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
  int32_t source = -1;
  if (t.defined()) {
    const TensorImpl& m = *t.impl();
    if (m.pending_node != 0) {
      source = output_index(m);  // check_input made sure it is one
      ++uses[static_cast<size_t>(source)];
    } else if (m.storage) {
      m.storage->pending_read_mark = generation;
    }
  }
  tensor_source.push_back(source);
}

int32_t BatchingScope::output_index(const TensorImpl& m) const {
  const size_t op = static_cast<size_t>(m.pending_node) - 1;
  if (op >= ops.size()) return -1;
  const size_t o = static_cast<size_t>(ops[op].outputs_begin) + m.output_nr;
  return o < outputs.size() && outputs[o].get() == &m ? static_cast<int32_t>(o) : -1;
}

void BatchingScope::check_input(const Tensor& t, OpId op) const {
  if (!t.defined() || t.impl()->pending_node == 0 || output_index(*t.impl()) >= 0) return;
  const TensorImpl& m = *t.impl();
  if (m.pending_node == kPoisonedPending) materialize_pending(m);  // throws the failed flush's error
  throw Error(fmt::format("{}: an input of shape {} is a pending output of another thread's autobatch::Scope; a "
                          "pending tensor has a value only once that scope runs its records (flush() there first)",
                          op_name(op), shape_str(m.sizes)));
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
  output_op.push_back(index);
  uses.push_back(0);
  metas.push_back(meta);
  return Tensor(std::move(handle));
}

void BatchingScope::classify(RecordedOp& r) {
  KeyWriter key(key_scratch_);
  key.add(static_cast<uint64_t>(r.kind) << 32 | static_cast<uint64_t>(r.op));
  key.add(static_cast<uint64_t>(r.grad_enabled) | static_cast<uint64_t>(r.record) << 1 |
          static_cast<uint64_t>(r.iterate) << 2 | static_cast<uint64_t>(r.skip_kernel_when_empty) << 3 |
          static_cast<uint64_t>(r.has_attrs) << 4 | static_cast<uint64_t>(r.has_device) << 5);
  key.add(r.contiguous_inputs);
  key.add(r.has_device ? KeyWriter::device_word(r.device) : 0);
  if (r.has_attrs) key.add_attrs(attrs_of(r));
  key.add(static_cast<uint64_t>(static_cast<uint32_t>(r.num_inputs)) << 32 | static_cast<uint32_t>(r.num_recorded));
  for (int32_t i = 0; i < r.num_inputs; ++i) key.add_tensor(tensors[static_cast<size_t>(r.inputs_begin + i)]);
  for (int32_t i = 0; i < r.num_recorded; ++i) key.add_tensor(tensors[static_cast<size_t>(r.recorded_begin + i)]);
  key.add(static_cast<uint64_t>(r.num_outputs));
  for (int32_t j = 0; j < r.num_outputs; ++j) {
    const OutputMeta& meta = metas[static_cast<size_t>(r.outputs_begin + j)];
    key.add(static_cast<uint64_t>(meta.dtype) << 32 | static_cast<uint64_t>(meta.alloc) << 24 |
            KeyWriter::device_word(meta.device));
    key.add_sizes(meta.sizes);
  }
  const uint64_t hash = key.hash();
  const size_t size = key_scratch_.size();
  auto [first, last] = class_by_hash_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    SignatureClassInfo& c = classes[static_cast<size_t>(it->second)];
    if (static_cast<size_t>(c.words_count) == size &&
        std::memcmp(&class_words[static_cast<size_t>(c.words_begin)], key_scratch_.data(), size * 8) == 0) {
      r.signature_class = it->second;
      c.count += 1;
      c.depth_sum += r.depth;
      return;
    }
  }
  r.signature_class = static_cast<int32_t>(classes.size());
  SignatureClassInfo& c = classes.emplace_back();
  c.words_begin = static_cast<int32_t>(class_words.size());
  c.words_count = static_cast<int32_t>(size);
  c.count = 1;
  c.depth_sum = r.depth;
  class_words.insert(class_words.end(), key_scratch_.begin(), key_scratch_.end());
  class_by_hash_.emplace(hash, r.signature_class);
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
  if (reads_pending && !must_run_now) {
    for (int i = 0; i < inputs.size; ++i) check_input(inputs.data[i], op);
    for (const Tensor* t : options.recorded_inputs)
      if (t != nullptr) check_input(*t, op);
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
  classify(ops[static_cast<size_t>(index)]);
  ++stats.ops_recorded;
  return true;
}

Tensor BatchingScope::defer_elementwise(OpId op, const OpAttrs* attrs, IntList sizes, ScalarType dtype, Device device,
                                        std::initializer_list<const Tensor*> inputs,
                                        std::initializer_list<const Tensor*> recorded) {
  for (const Tensor* t : inputs) check_input(*t, op);
  for (const Tensor* t : recorded) check_input(*t, op);
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
  classify(ops.back());
  ++stats.ops_recorded;
  return out;
}

void BatchingScope::defer_view(OpId op, const Tensor& self, Tensor& out, const OpAttrs& attrs) {
  check_input(self, op);
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
  output_op.push_back(index);
  uses.push_back(0);
  metas.push_back(OutputMeta(impl->sizes, impl->dtype, impl->device));
  classify(ops.back());
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
