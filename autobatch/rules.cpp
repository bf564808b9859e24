// reel/autobatch/rules.cpp — the batching rules: how N recorded ops with one signature run as one call.
//
// Each input position is *gathered* over the batch: the same tensor in every op stays shared (a parameter, a
// constant) and is passed once; otherwise the N tensors become one batched tensor with a new leading dim N —
// without a copy when they are rows of one earlier batch in order (a narrow of it), with one index_select when
// they are rows of one earlier batch in another order, else with a stack. The call then runs once, eagerly (so
// autograd records one node for the batch, and backward replays the batches), and op k's outputs are row k of the
// batched outputs. The rules, by family (ops outside them run one by one — ops_alone in autobatch::Stats):
//   elementwise (unary, binary, ternary, parameterised, fused backward)  batched inputs viewed as (N, 1.., s) to
//                 line up with the output's rank; shared inputs broadcast as they are
//   view          the view of the gathered input with every dim moved one place right
//   copy family   to(dtype) / clone / fill of fresh tensors: one copy (fill) of the batched shape
//   reduce        dims + 1 (the reduced dims are listed explicitly; inputs of at least one dim)
//   softmax       dim + 1
//   linear        batched x, shared weight and bias: x W^T + b over the leading dims (one GEMM)
//   cat           every input batched: dim + 1
//   gather        x and index batched: dim + 1 (nll_loss's pick of the target's log-probability)
//   index_select  (embedding's lookup) shared table, batched 1-D index: one lookup of the N indices laid end to
//                 end; or batched table rows with a shared index: dim + 1
//   fused cells   (_thnn_fused_lstm_cell, _thnn_fused_gru_cell, _fused_tree_lstm_cell) gates and states stacked as
//                 rows, the biases shared; a state shared by every example is expanded to the rows
#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "autobatch/graph.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::detail {

namespace {

struct Gathered {
  Tensor value;
  bool shared = false;
  bool copied = false;  // value is new memory (else a view of an earlier batch's output, or the shared tensor)
};

// Where input k of recorded op `op` (of the kernel's list, or of autograd's) sits in scope.tensors.
size_t position_of(const BatchingScope& s, int32_t op, bool recorded_list, int32_t k) {
  const RecordedOp& r = s.ops[static_cast<size_t>(op)];
  return static_cast<size_t>((recorded_list ? r.recorded_begin : r.inputs_begin) + k);
}

const Tensor& input_at(const BatchingScope& s, int32_t op, bool recorded_list, int32_t k) {
  return s.tensors[position_of(s, op, recorded_list, k)];
}

// Where the value of entry `position` of scope.tensors lives (a row of a batch, or alone), or null when it is not a
// pending output of the scope.
const RecordedResult* result_at(const BatchingScope& s, size_t position) {
  const int32_t source = s.tensor_source[position];
  return source < 0 ? nullptr : &s.results[static_cast<size_t>(source)];
}

// The result of position(0) when the n entries position(0) .. position(n - 1) of scope.tensors are consecutive rows
// of one earlier batch, in order; else null.
template <class Position>
const RecordedResult* consecutive_rows(const BatchingScope& s, size_t n, Position position) {
  const RecordedResult* r0 = result_at(s, position(0));
  if (r0 == nullptr || r0->row < 0) return nullptr;
  for (size_t i = 1; i < n; ++i) {
    const RecordedResult* r = result_at(s, position(i));
    if (r == nullptr || r->batch != r0->batch || r->row != r0->row + static_cast<int64_t>(i)) return nullptr;
  }
  return r0;
}

// The n entries position(0) .. position(n - 1) of scope.tensors as one tensor with a new leading dim n (or the one tensor they all are: shared).
// Rows of earlier batches are taken from each source batch at once (a narrow when they sit in order, else one index_select), the pieces joined with one cat and,
// when the joined order is not the batch's, put in order with one more index_select: a few calls (and autograd
// nodes) per gathered input, however large the batch. Tensors that are not rows of a batch are stacked.
template <class Position>
Gathered gather_rows(BatchingScope& s, size_t n, Position position) {
  const Tensor& first = s.tensors[position(0)];
  if (!first.defined()) return {Tensor(), true};
  bool same = true;
  for (size_t i = 1; i < n && same; ++i) same = s.tensors[position(i)].impl() == first.impl();
  if (same) return {resolved_at(s, position(0)), true};
  // The usual case first: consecutive rows of one earlier batch (a narrow of it, or all of it).
  if (const RecordedResult* r0 = consecutive_rows(s, n, position)) {
    const Tensor& b = s.batch_outputs[static_cast<size_t>(r0->batch)];
    ++s.stats.gathers_viewed;
    const int64_t count = static_cast<int64_t>(n);
    return {r0->row == 0 && b.size(0) == count ? b : b.narrow(0, r0->row, count), false};
  }

  struct Source {
    const RecordedResult* result;
    std::vector<int64_t> rows;
    std::vector<int32_t> slots;
  };
  std::vector<Source> sources;
  std::vector<int32_t> loose;  // slots whose tensor is not a row of a batch
  for (size_t i = 0; i < n; ++i) {
    const RecordedResult* r = result_at(s, position(i));
    if (r == nullptr || r->row < 0) {
      loose.push_back(static_cast<int32_t>(i));
      continue;
    }
    Source* source = nullptr;
    for (Source& candidate : sources)
      if (candidate.result->batch == r->batch) source = &candidate;
    if (source == nullptr) source = &sources.emplace_back(Source{r, {}, {}});
    source->rows.push_back(r->row);
    source->slots.push_back(static_cast<int32_t>(i));
  }
  if (loose.size() == n) {
    std::vector<Tensor> parts(n);
    for (size_t i = 0; i < n; ++i) parts[i] = resolved_at(s, position(i));
    ++s.stats.gathers_copied;
    return {stack(parts, 0), false, true};
  }
  std::vector<Tensor> pieces;
  std::vector<int32_t> order;  // slot at each position of the joined tensor
  bool copied = false;
  for (const Source& source : sources) {
    const Tensor& b = s.batch_outputs[static_cast<size_t>(source.result->batch)];
    bool consecutive = true;
    for (size_t j = 1; j < source.rows.size(); ++j)
      consecutive &= source.rows[j] == source.rows[0] + static_cast<int64_t>(j);
    const int64_t count = static_cast<int64_t>(source.rows.size());
    if (consecutive) {
      pieces.push_back(source.rows[0] == 0 && b.size(0) == count ? b : b.narrow(0, source.rows[0], count));
    } else {
      Tensor index = tensor(source.rows, kInt64);
      if (b.device() != index.device()) index = index.to(b.device());
      pieces.push_back(index_select(b, 0, index));
      copied = true;
    }
    order.insert(order.end(), source.slots.begin(), source.slots.end());
  }
  if (!loose.empty()) {
    std::vector<Tensor> parts;
    for (int32_t slot : loose)
      parts.push_back(resolved_at(s, position(static_cast<size_t>(slot))));
    pieces.push_back(stack(parts, 0));
    order.insert(order.end(), loose.begin(), loose.end());
  }
  Tensor joined = pieces.size() == 1 ? pieces[0] : cat(pieces, 0);
  copied |= pieces.size() > 1;
  bool in_order = true;
  for (size_t i = 0; i < n; ++i) in_order &= order[i] == static_cast<int32_t>(i);
  if (!in_order) {
    std::vector<int64_t> position(n);
    for (size_t i = 0; i < n; ++i) position[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
    Tensor index = tensor(position, kInt64);
    if (joined.device() != index.device()) index = index.to(joined.device());
    joined = index_select(joined, 0, index);
    copied = true;
  }
  ++(copied ? s.stats.gathers_copied : s.stats.gathers_viewed);
  return {joined, false, copied};
}

}  // namespace

// A recorded cat along dim 0 of n inputs of one shape (k, rest...), at least one a row of a batch: the gather of its
// inputs, (n, k, rest...), is already the concatenation laid out as (n k, rest...) — one narrow or a few copies in
// place of n per-row views (and their n backward nodes). New memory, as the eager cat's output is.
bool run_cat_of_rows(BatchingScope& s, int32_t index) {
  const RecordedOp& r = s.ops[static_cast<size_t>(index)];
  if (r.op != OpId::cat || !r.has_attrs || r.num_inputs < 2 || r.num_recorded >= 0 || r.num_outputs != 1) return false;
  const Tensor& first = s.tensors[static_cast<size_t>(r.inputs_begin)];
  const OutputMeta& meta = s.metas[static_cast<size_t>(r.outputs_begin)];
  if (!first.defined() || first.dim() < 1 || first.dtype() != meta.dtype || !(first.device() == meta.device)) {
    return false;
  }
  const int64_t dim = s.attrs_of(r).dim;
  if (dim != 0 && dim != -first.dim()) return false;
  bool any_row = false;
  for (int32_t i = 0; i < r.num_inputs; ++i) {
    const Tensor& t = s.tensors[static_cast<size_t>(r.inputs_begin + i)];
    if (!t.defined() || t.dtype() != first.dtype() || !(t.device() == first.device()) || t.sizes() != first.sizes()) {
      return false;
    }
    const RecordedResult* result = result_at(s, static_cast<size_t>(r.inputs_begin + i));
    any_row |= result != nullptr && result->row >= 0;
  }
  if (!any_row) return false;
  Gathered g = gather_rows(s, static_cast<size_t>(r.num_inputs),
                           [&](size_t i) { return static_cast<size_t>(r.inputs_begin) + i; });
  if (g.shared) return false;
  Tensor out = g.value.reshape(meta.sizes);
  if (!g.copied) out = out.clone();
  s.results[static_cast<size_t>(r.outputs_begin)].single = out;
  return true;
}

namespace {

// Input k (of the kernel's list, or of autograd's) over the batch.
Gathered gather(BatchingScope& s, const std::vector<int32_t>& batch, bool recorded_list, int32_t k) {
  return gather_rows(s, batch.size(), [&](size_t i) { return position_of(s, batch[i], recorded_list, k); });
}

// A batched input (N, s...) viewed with ones after the batch dim so that it has `rank` + 1 dims.
Tensor lined_up(const Tensor& batched, size_t rank) {
  const size_t own = static_cast<size_t>(batched.dim()) - 1;
  if (own >= rank) return batched;
  DimVector shape;
  shape.push_back(batched.size(0));
  for (size_t i = own; i < rank; ++i) shape.push_back(1);
  for (size_t i = 1; i <= own; ++i) shape.push_back(batched.size(static_cast<int64_t>(i)));
  return batched.reshape(shape);
}

DimVector with_batch(int64_t n, IntList sizes) {
  DimVector shape;
  shape.push_back(n);
  for (int64_t s : sizes) shape.push_back(s);
  return shape;
}

void take_rows(BatchingScope& s, const std::vector<int32_t>& batch, const Tensor* outs, int32_t num_outputs) {
  const int32_t first = static_cast<int32_t>(s.batch_outputs.size());
  for (int32_t j = 0; j < num_outputs; ++j) s.batch_outputs.push_back(outs[j]);
  for (size_t i = 0; i < batch.size(); ++i) {
    const RecordedOp& r = s.ops[static_cast<size_t>(batch[i])];
    for (int32_t j = 0; j < num_outputs; ++j) {
      RecordedResult& result = s.results[static_cast<size_t>(r.outputs_begin + j)];
      result.batch = first + j;
      result.row = static_cast<int64_t>(i);
    }
  }
}

std::vector<const Tensor*> pointers(const std::vector<Tensor>& tensors) {
  std::vector<const Tensor*> p(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) p[i] = &tensors[i];
  return p;
}

bool batch_elementwise(BatchingScope& s, const std::vector<int32_t>& batch) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  const OutputMeta& meta = s.metas[static_cast<size_t>(r.outputs_begin)];
  const size_t rank = meta.sizes.size();
  const int64_t n = static_cast<int64_t>(batch.size());
  auto prepare = [&](bool recorded_list, int32_t k) {
    Gathered g = gather(s, batch, recorded_list, k);
    return g.shared || !g.value.defined() ? g.value : lined_up(g.value, rank);
  };
  std::vector<Tensor> inputs(static_cast<size_t>(r.num_inputs)), recorded;
  for (int32_t k = 0; k < r.num_inputs; ++k) inputs[static_cast<size_t>(k)] = prepare(false, k);
  for (int32_t k = 0; k < r.num_recorded; ++k) recorded.push_back(prepare(true, k));
  const std::vector<const Tensor*> in = pointers(inputs);
  const std::vector<const Tensor*> rec = r.num_recorded >= 0 ? pointers(recorded) : in;
  const Tensor out = run_elementwise_op_now(r.op, s.attrs_or_null(r), with_batch(n, meta.sizes),
                                            meta.dtype, meta.device, TensorPtrList(in.data(), in.size()),
                                            TensorPtrList(rec.data(), rec.size()));
  take_rows(s, batch, &out, 1);
  return true;
}

// Whether input k gathers without a copy: rows of one earlier batch, in order.
bool gathers_as_view(const BatchingScope& s, const std::vector<int32_t>& batch, int32_t k) {
  return consecutive_rows(s, batch.size(), [&](size_t i) { return position_of(s, batch[i], false, k); }) != nullptr;
}

// A view batches only when its input's rows already sit in order in one batch: a view that copied its whole input
// to select a part of it (a step of a sequence) would cost more than the per-example views it replaces.
bool batch_view(BatchingScope& s, const std::vector<int32_t>& batch) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  if (!gathers_as_view(s, batch, 0)) return false;
  Gathered base = gather(s, batch, false, 0);
  if (base.shared) return false;
  const Tensor out = apply_view(r, s.attrs_of(r), base.value, 1);
  take_rows(s, batch, &out, 1);
  return true;
}

// A run_op call over the batch: `inputs` already gathered, `attrs` adjusted; outputs (N, o...).
void run_op_batched(BatchingScope& s, const std::vector<int32_t>& batch, const OpAttrs* attrs,
                    std::vector<Tensor>& inputs, std::vector<Tensor>* recorded) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  const int64_t n = static_cast<int64_t>(batch.size());
  std::vector<OutputMeta> metas;
  for (int32_t j = 0; j < r.num_outputs; ++j) {
    const OutputMeta& m = s.metas[static_cast<size_t>(r.outputs_begin + j)];
    metas.emplace_back(with_batch(n, m.sizes), m.dtype, m.device);
  }
  std::vector<Tensor> outs(static_cast<size_t>(r.num_outputs));
  OpOptions options = options_of(r);
  std::vector<const Tensor*> rec;
  if (recorded != nullptr) {
    rec = pointers(*recorded);
    options.recorded_inputs = TensorPtrList(rec.data(), rec.size());
  }
  run_op(r.op, attrs, OpInputs(inputs.data(), static_cast<int>(inputs.size())),
         OpOutputs(outs.data(), metas.data(), r.num_outputs), options);
  take_rows(s, batch, outs.data(), r.num_outputs);
}

// Whether input k is the same tensor (or undefined) in every op of the batch: what gather() passes once.
bool same_everywhere(const BatchingScope& s, const std::vector<int32_t>& batch, bool recorded_list, int32_t k) {
  const TensorImpl* first = input_at(s, batch[0], recorded_list, k).impl();
  for (size_t i = 1; i < batch.size(); ++i)
    if (input_at(s, batch[i], recorded_list, k).impl() != first) return false;
  return true;
}

// Which kernel inputs are shared; false when a recorded input is shared where its kernel input is not (or back).
bool shared_inputs(const BatchingScope& s, const std::vector<int32_t>& batch, std::vector<bool>& shared) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  for (int32_t k = 0; k < r.num_inputs; ++k) shared.push_back(same_everywhere(s, batch, false, k));
  for (int32_t k = 0; k < r.num_recorded; ++k)
    if (same_everywhere(s, batch, true, k) != shared[static_cast<size_t>(k)]) return false;
  return true;
}

// Gathers every kernel input (and recorded input), once the rule has accepted the batch.
void gather_all(BatchingScope& s, const std::vector<int32_t>& batch, std::vector<Tensor>& inputs,
                std::vector<Tensor>& recorded) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  for (int32_t k = 0; k < r.num_inputs; ++k) inputs.push_back(gather(s, batch, false, k).value);
  for (int32_t k = 0; k < r.num_recorded; ++k) recorded.push_back(gather(s, batch, true, k).value);
}

bool batch_op(BatchingScope& s, const std::vector<int32_t>& batch) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  const OpFamily family = op_info(r.op).family;
  const bool is_reduce = family == OpFamily::Reduce, is_softmax = family == OpFamily::Softmax;
  const bool is_copy = r.op == OpId::copy || r.op == OpId::clone || r.op == OpId::fill;
  const bool is_fused_cell = r.op == OpId::_thnn_fused_lstm_cell || r.op == OpId::_thnn_fused_gru_cell ||
                             r.op == OpId::_fused_tree_lstm_cell;
  if (!is_reduce && !is_softmax && !is_copy && !is_fused_cell && r.op != OpId::linear && r.op != OpId::cat &&
      r.op != OpId::index_select && r.op != OpId::gather) {
    return false;
  }
  // Inputs of the kernel and of autograd must be the same positions for the rules below (only the copy family and
  // elementwise calls pass others).
  if (r.num_recorded >= 0 && r.num_recorded != r.num_inputs) return false;
  std::vector<bool> shared;
  if (!shared_inputs(s, batch, shared)) return false;
  OpAttrs attrs = r.has_attrs ? s.attrs_of(r) : OpAttrs{};
  const OpAttrs* attrs_ptr = r.has_attrs ? &attrs : nullptr;

  // Each rule's conditions, checked before anything is gathered (a gather may copy).
  bool flat_lookup = false;  // index_select of a shared table: one lookup of all indices end to end
  std::vector<int32_t> expand_shared;  // fused cells: a state shared by every example, given to each row
  if (is_fused_cell) {
    // rows of gates and states stacked (the ops take any leading dims), the biases shared: LSTM / GRU
    // {input_gates, hidden_gates, state, input_bias, hidden_bias}, tree {input_gates, hidden_gates, bias, c_1..c_k}
    const int32_t first_bias = r.op == OpId::_fused_tree_lstm_cell ? 2 : 3;
    const int32_t last_bias = r.op == OpId::_fused_tree_lstm_cell ? 2 : 4;
    for (int32_t k = 0; k < r.num_inputs; ++k) {
      const bool bias = k >= first_bias && k <= last_bias;
      if (bias && !shared[static_cast<size_t>(k)]) return false;
      if (!bias && shared[static_cast<size_t>(k)] && input_at(s, batch[0], false, k).defined()) {
        expand_shared.push_back(k);
      }
    }
  } else if (is_copy) {
    if (r.num_inputs > 1 || (r.num_inputs == 1 && shared[0])) return false;
  } else if (is_reduce || is_softmax) {
    if (r.num_inputs != 1 || shared[0] || input_at(s, batch[0], false, 0).dim() < 1 || !r.has_attrs) return false;
    for (int64_t& d : attrs.dims) d += 1;
    if (is_softmax) attrs.dim += 1;
  } else if (r.op == OpId::linear) {
    if (shared[0] || !shared[1] || (r.num_inputs > 2 && !shared[2])) return false;
  } else if (r.op == OpId::gather) {  // y[b][..] = x[b][.. index[b][..] ..]: both batched, dim + 1
    if (!r.has_attrs || shared[0] || shared[1]) return false;
    attrs.dim += 1;
  } else if (r.op == OpId::cat) {
    if (!r.has_attrs) return false;
    for (bool sh : shared)
      if (sh) return false;
    attrs.dim += 1;
  } else {  // index_select(x, dim, index)
    if (!r.has_attrs || r.num_inputs != 2) return false;
    flat_lookup = shared[0] && !shared[1] && attrs.dim == 0;
    if (flat_lookup && s.metas[static_cast<size_t>(r.outputs_begin)].sizes.empty()) return false;
    if (!flat_lookup && !(!shared[0] && shared[1])) return false;
    if (!flat_lookup) attrs.dim += 1;
  }

  std::vector<Tensor> inputs, recorded;
  gather_all(s, batch, inputs, recorded);
  for (int32_t k : expand_shared) {
    Tensor& state = inputs[static_cast<size_t>(k)];
    state = state.unsqueeze(0).expand(with_batch(static_cast<int64_t>(batch.size()), state.sizes()));
  }
  std::vector<Tensor>* rec = r.num_recorded >= 0 ? &recorded : nullptr;
  if (!flat_lookup) {
    run_op_batched(s, batch, attrs_ptr, inputs, rec);
    return true;
  }
  // one lookup of the N indices end to end: (N * k, rest...) viewed as (N, k, rest...)
  const int64_t n = static_cast<int64_t>(batch.size());
  const OutputMeta& meta = s.metas[static_cast<size_t>(r.outputs_begin)];
  std::vector<Tensor> flat_inputs = {inputs[0], inputs[1].reshape({-1})};
  std::vector<Tensor> flat_recorded;
  if (rec != nullptr) flat_recorded = {recorded[0], recorded[1].reshape({-1})};
  DimVector flat_sizes(meta.sizes);
  flat_sizes[0] *= n;
  Tensor out;
  OpOptions options = options_of(r);
  std::vector<const Tensor*> rec_ptrs;
  if (rec != nullptr) {
    rec_ptrs = pointers(flat_recorded);
    options.recorded_inputs = TensorPtrList(rec_ptrs.data(), rec_ptrs.size());
  }
  const OutputMeta out_meta(flat_sizes, meta.dtype, meta.device);
  run_op(r.op, attrs_ptr, OpInputs(flat_inputs.data(), 2), OpOutputs(&out, &out_meta, 1), options);
  const Tensor rows = out.view(with_batch(n, meta.sizes));
  take_rows(s, batch, &rows, 1);
  return true;
}

// Orders the batch by where its first input from an earlier batch sits (source batch, then row), so that this input
// gathers as narrows of its sources rather than a reordering copy. Any order gives the same values: op i's outputs
// are row i of the batched call.
void order_batch(BatchingScope& s, std::vector<int32_t>& batch) {
  const RecordedOp& r = s.ops[static_cast<size_t>(batch[0])];
  int32_t position = -1;
  for (int32_t k = 0; k < r.num_inputs && position < 0; ++k)
    if (result_at(s, position_of(s, batch[0], false, k)) != nullptr) position = k;
  if (position < 0) return;
  struct Key {
    int32_t source;
    int64_t row;
    int32_t op;
  };
  std::vector<Key> keys;
  keys.reserve(batch.size());
  for (int32_t op : batch) {
    const RecordedResult* result = result_at(s, position_of(s, op, false, position));
    if (result == nullptr) return;  // same signature, yet not pending here: keep the order
    keys.push_back({result->batch, result->row, op});
  }
  const auto before = [](const Key& a, const Key& b) {
    return a.source != b.source ? a.source < b.source : a.row < b.row;
  };
  if (std::is_sorted(keys.begin(), keys.end(), before)) return;
  std::stable_sort(keys.begin(), keys.end(), before);
  for (size_t i = 0; i < keys.size(); ++i) batch[i] = keys[i].op;
}

}  // namespace

// ---- views ----------------------------------------------------------------------------------------------------------

Tensor apply_view(const RecordedOp& r, const OpAttrs& a, const Tensor& base, int64_t shift) {
  auto shifted = [&](IntList dims) {
    DimVector out;
    if (shift != 0) out.push_back(0);
    for (int64_t d : dims) out.push_back(d + shift);
    return out;
  };
  switch (r.op) {
    case OpId::view: {
      if (shift == 0) return base.view(a.dims);
      return base.reshape(with_batch(base.size(0), a.dims));
    }
    case OpId::transpose: return base.transpose(a.dims[0] + shift, a.dims[1] + shift);
    case OpId::t: {
      if (shift == 0) return base.t();
      return base.dim() - 1 < 2 ? base.view(base.sizes()) : base.transpose(1, 2);
    }
    case OpId::permute: return base.permute(shifted(a.dims));
    case OpId::squeeze: {
      if (a.dim >= 0) return base.squeeze(a.dim + shift);
      if (shift == 0) return base.squeeze();
      Tensor out = base;
      for (int64_t d = base.dim() - 1; d >= 1; --d)
        if (base.size(d) == 1) out = out.squeeze(d);
      return out;
    }
    case OpId::unsqueeze: return base.unsqueeze(a.dim + shift);
    case OpId::expand: {
      if (shift == 0) return base.expand(a.dims);
      return lined_up(base, a.dims.size()).expand(with_batch(base.size(0), a.dims));
    }
    case OpId::slice: {
      const SliceAttrs& slice = a.get<SliceAttrs>();
      return base.slice(a.dim + shift, slice.start, slice.end, slice.step);
    }
    case OpId::select: return base.select(a.dim + shift, a.get<SelectAttrs>().index);
    case OpId::diagonal: {
      const DiagonalViewAttrs& d = a.get<DiagonalViewAttrs>();
      return base.diagonal(d.offset, d.dim1 + shift, d.dim2 + shift);
    }
    default: break;
  }
  throw Error(fmt::format("autobatch: internal: no replay for the view op {}", op_name(r.op)));
}

bool run_batched(BatchingScope& scope, std::vector<int32_t>& batch) {
  order_batch(scope, batch);
  const RecordedOp& r = scope.ops[static_cast<size_t>(batch[0])];
  AutoGradMode mode(r.grad_enabled);
  switch (r.kind) {
    case RecordedKind::elementwise: return batch_elementwise(scope, batch);
    case RecordedKind::view: return batch_view(scope, batch);
    case RecordedKind::op: return batch_op(scope, batch);
  }
  return false;
}

}  // namespace reel::detail
