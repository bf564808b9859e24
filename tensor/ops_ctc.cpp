// reel/tensor/ops_ctc.cpp — connectionist temporal classification: the kernel op _ctc_loss (negative log likelihood
// and the forward variables), its backward primitive, and the composite ctc_loss with PyTorch's reductions.
//
// The recursion runs on the CPU (cpu/ctc.cpp); the CUDA kernels (cuda/ctc.cpp) copy their inputs to the host, run
// it there and copy the results back. reel does not call cuDNN's CTC, whose restrictions (int32 targets on the host,
// label lengths under 256, float32 only) would make results depend on the call. The lengths travel to the kernel
// as int64 CPU tensors on every device.
// As in PyTorch, the gradient _ctc_loss_backward returns is e^lp - e^(ln sum alpha beta + nll - lp): the gradient
// with respect to the logits when log_probs = log_softmax(logits), which log_softmax's backward passes unchanged.
// It is not d nll / d log_probs of arbitrary log_probs (a gradcheck must go through log_softmax, as PyTorch's).
#include <algorithm>
#include <limits>

#include "tensor/error_format.h"
#include "tensor/op_attrs.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

Tensor lengths_tensor(IntList lengths) {
  return tensor(std::vector<int64_t>(lengths.begin(), lengths.end()), TensorOptions(kInt64));
}

// The checks of PyTorch's ctc_loss: shapes, dtypes, lengths in range; returns the batch size.
void check_ctc(const char* op, const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
               IntList target_lengths, int64_t blank) {
  log_probs.check_defined(op);
  targets.check_defined(op);
  REEL_CHECK(is_floating_point(log_probs.dtype()) && log_probs.dtype() != kFloat16 && log_probs.dtype() != kBFloat16,
             "{}: log_probs must be float32 or float64, got {} (shape {})", op, dtype_name(log_probs.dtype()),
             shape_str(log_probs.sizes()));
  REEL_CHECK(log_probs.dim() == 3, "{}: log_probs must be 3-D (T, N, C), got shape {}", op,
             shape_str(log_probs.sizes()));
  REEL_CHECK(targets.dtype() == kInt64 || targets.dtype() == kInt32,
             "{}: targets must be int64 or int32 class indices, got {} (shape {})", op, dtype_name(targets.dtype()),
             shape_str(targets.sizes()));
  const int64_t T = log_probs.size(0), N = log_probs.size(1), C = log_probs.size(2);
  REEL_CHECK(blank >= 0 && blank < C, "{}: blank must be in label range [0, {}), got {}", op, C, blank);
  REEL_CHECK(static_cast<int64_t>(input_lengths.size()) == N && static_cast<int64_t>(target_lengths.size()) == N,
             "{}: expected {} input_lengths and target_lengths (log_probs {}), got {} and {}", op, N,
             shape_str(log_probs.sizes()), input_lengths.size(), target_lengths.size());
  int64_t max_target = 0, total = 0;
  for (int64_t b = 0; b < N; ++b) {
    REEL_CHECK(input_lengths[b] >= 0 && input_lengths[b] <= T,
               "{}: input_lengths[{}] = {} must be in [0, T = {}] (log_probs {})", op, b, input_lengths[b], T,
               shape_str(log_probs.sizes()));
    REEL_CHECK(target_lengths[b] >= 0, "{}: target_lengths[{}] = {} is negative", op, b, target_lengths[b]);
    max_target = std::max(max_target, target_lengths[b]);
    total += target_lengths[b];
  }
  if (targets.dim() == 1) {
    REEL_CHECK(targets.numel() >= total,
               "{}: concatenated targets of shape {} hold fewer than the sum of target_lengths, {}", op,
               shape_str(targets.sizes()), total);
  } else {
    REEL_CHECK(targets.dim() == 2 && targets.size(0) == N && targets.size(1) >= max_target,
               "{}: padded targets must be (N = {}, S >= max target length {}), got shape {}", op, N, max_target,
               shape_str(targets.sizes()));
  }
}

}  // namespace

// (nll, log_alpha): the forward recursion per sample
std::tuple<Tensor, Tensor> _ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                                     IntList target_lengths, int64_t blank, bool zero_infinity) {
  const char* op = "_ctc_loss";
  check_ctc(op, log_probs, targets, input_lengths, target_lengths, blank);
  int64_t max_target = 0;
  for (int64_t l : target_lengths) max_target = std::max(max_target, l);
  const Tensor inputs[] = {log_probs, targets.to(kInt64), lengths_tensor(input_lengths), lengths_tensor(target_lengths)};
  OpAttrs attrs;
  attrs.set(CtcLossAttrs{blank, zero_infinity});
  const int64_t T = log_probs.size(0), N = log_probs.size(1);
  Tensor outs[2];
  run_op(OpId::_ctc_loss, &attrs, inputs,
         {outs, {{{N}, log_probs.dtype(), log_probs.device()}, {{N, T, 2 * max_target + 1}, log_probs.dtype(), log_probs.device()}}},
         {.contiguous_inputs = 0b1111, .allocating = op});
  return {outs[0], outs[1]};
}

// d log_probs[t, b, c] = g_b (e^lp - e^(ln sum_{s: l'_s = c} alpha_t(s) beta_t(s) + nll_b - lp)), 0 for t >= T_b
Tensor _ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                          IntList target_lengths, const Tensor& neg_log_likelihood, const Tensor& log_alpha,
                          int64_t blank, bool zero_infinity) {
  const char* op = "_ctc_loss_backward";
  check_ctc(op, log_probs, targets, input_lengths, target_lengths, blank);
  grad.check_defined(op);
  const int64_t N = log_probs.size(1);
  REEL_CHECK(grad.numel() == N && neg_log_likelihood.numel() == N && log_alpha.dim() == 3 && log_alpha.size(0) == N &&
                 log_alpha.size(1) == log_probs.size(0),
             "{}: grad {}, neg_log_likelihood {} and log_alpha {} do not match log_probs {}", op,
             shape_str(grad.sizes()), shape_str(neg_log_likelihood.sizes()), shape_str(log_alpha.sizes()),
             shape_str(log_probs.sizes()));
  const Tensor inputs[] = {grad.to(log_probs.dtype()).reshape({N}), log_probs, targets.to(kInt64),
                           lengths_tensor(input_lengths), lengths_tensor(target_lengths),
                           neg_log_likelihood.to(log_probs.dtype()), log_alpha.to(log_probs.dtype())};
  OpAttrs attrs;
  attrs.set(CtcLossAttrs{blank, zero_infinity});
  Tensor out;
  run_op(OpId::_ctc_loss_backward, &attrs, inputs, {&out, {{log_probs.sizes(), log_probs.dtype(), log_probs.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b1111111, .allocating = op});
  return out;
}

// loss_b = nll_b (0 where infinite with zero_infinity); mean divides each by max(target_length, 1), then averages
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths, IntList target_lengths,
                int64_t blank, int64_t reduction, bool zero_infinity) {
  const char* op = "ctc_loss";
  log_probs.check_defined(op);
  targets.check_defined(op);
  REEL_CHECK(reduction >= 0 && reduction <= 2, "{}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {}", op,
             reduction);
  if (log_probs.dim() == 2) {  // unbatched (T, C) with targets (S)
    const Tensor loss = ctc_loss(log_probs.unsqueeze(1), targets.unsqueeze(0), input_lengths, target_lengths, blank,
                                 reduction, zero_infinity);
    return reduction == 0 ? loss.squeeze(0) : loss;
  }
  Tensor nll = std::get<0>(_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity));
  if (zero_infinity) nll = where(eq(nll, std::numeric_limits<double>::infinity()), Scalar(0.0), nll);
  if (reduction == 0) return nll;
  if (reduction == 2) return nll.sum();
  std::vector<int64_t> divisors(target_lengths.begin(), target_lengths.end());
  for (int64_t& d : divisors) d = std::max<int64_t>(d, 1);
  return (nll / tensor(divisors, TensorOptions(nll.dtype()).device(nll.device()))).mean();
}

// The same with the lengths as int64 / int32 tensors (any device).
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, int64_t reduction, bool zero_infinity) {
  const char* op = "ctc_loss";
  for (const Tensor* t : {&input_lengths, &target_lengths}) {
    t->check_defined(op);
    REEL_CHECK((t->dtype() == kInt64 || t->dtype() == kInt32) && t->dim() <= 1,
               "{}: input_lengths and target_lengths must be 0-D or 1-D int64 / int32 tensors, got {} of shape {}", op,
               dtype_name(t->dtype()), shape_str(t->sizes()));
  }
  auto to_list = [](const Tensor& t) {
    const Tensor host = t.to(kCPU).to(kInt64).contiguous().reshape({-1});
    return std::vector<int64_t>(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
  };
  const std::vector<int64_t> il = to_list(input_lengths), tl = to_list(target_lengths);
  return ctc_loss(log_probs, targets, il, tl, blank, reduction, zero_infinity);
}

}  // namespace reel
