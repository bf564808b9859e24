// reel/tensor/ops_ctc.cpp — connectionist temporal classification: the kernel op _ctc_loss (negative log likelihood
// and the forward variables), its backward primitive, cuDNN's CTC (_cudnn_ctc_loss), the rule that picks it, and the
// composite ctc_loss with PyTorch's reductions.
//
// The recursion runs on the CPU (cpu/ctc.cpp); its CUDA kernels (cuda/ctc.cpp) copy their inputs to the host, run
// it there and copy the results back. As in PyTorch, ctc_loss calls cuDNN's CTC instead when the rule of
// tensor/ops_ctc.h holds (float32 CUDA log_probs, blank 0, int32 concatenated targets on the CPU, every input length
// equal to T, target lengths under 256) and the recursion otherwise; both give the same values, within float32
// rounding (cuDNN computes the gradient in the forward, which the backward then scales). zero_infinity zeroes
// infinite losses on both paths (PyTorch's fix for its cuDNN path, pytorch#176910). The lengths travel to the
// kernels as int64 CPU tensors on every device.
// As in PyTorch, the gradient _ctc_loss_backward returns is e^lp - e^(ln sum alpha beta + nll - lp): the gradient
// with respect to the logits when log_probs = log_softmax(logits), which log_softmax's backward passes unchanged.
// It is not d nll / d log_probs of arbitrary log_probs (a gradcheck must go through log_softmax, as PyTorch's).
// cuDNN's gradient is the same one (its softmax normalisation of log_probs leaves log-softmax outputs unchanged).
#include <algorithm>
#include <limits>

#include "tensor/cuda.h"
#include "tensor/error_format.h"
#include "tensor/op_attrs.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"
#include "tensor/ops_ctc.h"

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

namespace detail {

// PyTorch's _use_cudnn_ctc_loss (lengths as lists) and reel's three additions (tensor/ops_ctc.h)
bool use_cudnn_ctc_loss(const CudnnCtcFacts& f) {
  if (!f.cudnn_enabled || !f.log_probs_device.is_cuda() || f.blank != 0) return false;
  if (f.log_probs_dtype != kFloat32 || f.log_probs_sizes.size() != 3) return false;
  if (f.targets_dtype != kInt32 || f.targets_dim != 1 || !f.targets_device.is_cpu() || !f.targets_contiguous)
    return false;
  const int64_t T = f.log_probs_sizes[0], N = f.log_probs_sizes[1], C = f.log_probs_sizes[2];
  if (T == 0 || N == 0 || C == 0) return false;
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  if (T > kIntMax || N > kIntMax || C > kIntMax || T * N * C > kIntMax) return false;
  if (static_cast<int64_t>(f.input_lengths.size()) != N || static_cast<int64_t>(f.target_lengths.size()) != N)
    return false;
  for (size_t b = 0; b < f.input_lengths.size(); ++b) {
    if (f.input_lengths[b] != T) return false;
    if (f.target_lengths[b] >= 256 || f.target_lengths[b] > f.input_lengths[b]) return false;
  }
  return true;
}

}  // namespace detail

bool _use_cudnn_ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                         IntList target_lengths, int64_t blank) {
  log_probs.check_defined("_use_cudnn_ctc_loss");
  targets.check_defined("_use_cudnn_ctc_loss");
  detail::CudnnCtcFacts facts;
  facts.cudnn_enabled = cuda::cudnn_is_available() && cuda::conv_backend() == cuda::ConvBackend::cudnn;
  facts.log_probs_device = log_probs.device();
  facts.log_probs_dtype = log_probs.dtype();
  facts.log_probs_sizes = log_probs.sizes();
  facts.targets_device = targets.device();
  facts.targets_dtype = targets.dtype();
  facts.targets_dim = targets.dim();
  facts.targets_contiguous = targets.is_contiguous();
  facts.input_lengths = input_lengths;
  facts.target_lengths = target_lengths;
  facts.blank = blank;
  return detail::use_cudnn_ctc_loss(facts);
}

// (nll, grad) from cuDNN; the checks keep cuDNN inside what it reads correctly (PyTorch leaves some to cuDNN)
std::tuple<Tensor, Tensor> _cudnn_ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                                           IntList target_lengths, int64_t blank, bool deterministic,
                                           bool zero_infinity) {
  const char* op = "_cudnn_ctc_loss";
  log_probs.check_defined(op);
  targets.check_defined(op);
  REEL_CHECK(log_probs.is_cuda(), "{}: log_probs must be a CUDA tensor (cuDNN's CTC has no CPU form; ctc_loss runs "
             "the recursion there), got a {} tensor of shape {}", op, log_probs.device().str(),
             shape_str(log_probs.sizes()));
  REEL_CHECK(cuda::cudnn_is_available(), "{}: this build of reel does not link cuDNN (ctc_loss runs the recursion)",
             op);
  REEL_CHECK(log_probs.dtype() == kFloat32 && log_probs.dim() == 3,
             "{}: log_probs must be a 3-D (T, N, C) float32 tensor, got {} of shape {}", op,
             dtype_name(log_probs.dtype()), shape_str(log_probs.sizes()));
  REEL_CHECK(targets.dtype() == kInt32 && targets.dim() == 1 && targets.is_cpu() && targets.is_contiguous(),
             "{}: targets must be the concatenated labels as a contiguous 1-D int32 CPU tensor, got {} of shape {} "
             "on {}{}", op, dtype_name(targets.dtype()), shape_str(targets.sizes()), targets.device().str(),
             targets.is_contiguous() ? "" : " (not contiguous)");
  REEL_CHECK(blank == 0, "{}: blank must be label 0 for cuDNN's CTC, got {}", op, blank);
  const int64_t T = log_probs.size(0), N = log_probs.size(1), C = log_probs.size(2);
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  REEL_CHECK(C >= 1 && T * N * C <= kIntMax, "{}: log_probs of shape {} needs at least one class (the blank) and at "
             "most {} elements (cuDNN's int sizes)", op, shape_str(log_probs.sizes()), kIntMax);
  REEL_CHECK(static_cast<int64_t>(input_lengths.size()) == N && static_cast<int64_t>(target_lengths.size()) == N,
             "{}: expected {} input_lengths and target_lengths (log_probs {}), got {} and {}", op, N,
             shape_str(log_probs.sizes()), input_lengths.size(), target_lengths.size());
  int64_t total = 0;
  for (int64_t b = 0; b < N; ++b) {
    const int64_t il = input_lengths[b], tl = target_lengths[b];
    REEL_CHECK(il == T && T >= 1, "{}: input_lengths[{}] = {} must equal T = {} >= 1 (cuDNN's CTC takes full-length "
               "inputs only, PyTorch's condition; log_probs {})", op, b, il, T, shape_str(log_probs.sizes()));
    REEL_CHECK(tl >= 0 && tl <= 255 && tl <= il,
               "{}: target_lengths[{}] = {} must be in [0, min(255, input length {})] for cuDNN's CTC", op, b, tl, il);
    total += tl;
  }
  REEL_CHECK(targets.numel() >= total, "{}: targets of shape {} hold fewer labels than the sum of target_lengths, {}",
             op, shape_str(targets.sizes()), total);
  const int32_t* labels = targets.data_ptr<int32_t>();
  for (int64_t k = 0; k < total; ++k)
    REEL_CHECK(labels[k] >= 1 && labels[k] < C, "{}: label {} of the targets is {}, not a class in [1, {}) (0 is the "
               "blank)", op, k, labels[k], C);
  const Tensor inputs[] = {log_probs, targets, lengths_tensor(input_lengths), lengths_tensor(target_lengths)};
  OpAttrs attrs;
  attrs.set(CudnnCtcLossAttrs{blank, deterministic, zero_infinity});
  Tensor outs[2];
  run_op(OpId::_cudnn_ctc_loss, &attrs, inputs,
         {outs, {{{N}, kFloat32, log_probs.device()}, {log_probs.sizes(), kFloat32, log_probs.device()}}},
         {.skip_kernel_when_empty = true, .contiguous_inputs = 0b0001, .allocating = op});
  return {outs[0], outs[1]};
}

// loss_b = nll_b (0 where infinite with zero_infinity); mean divides each by max(target_length, 1), then averages
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths, IntList target_lengths,
                int64_t blank, int64_t reduction, bool zero_infinity) {
  const char* op = "ctc_loss";
  log_probs.check_defined(op);
  targets.check_defined(op);
  REEL_CHECK(reduction >= 0 && reduction <= 2, "{}: reduction must be 0 (none), 1 (mean) or 2 (sum), got {}", op,
             reduction);
  if (log_probs.dim() == 2) {  // unbatched (T, C) with targets (S): one sample, whose targets read as concatenated
    const Tensor loss =
        ctc_loss(log_probs.unsqueeze(1), targets, input_lengths, target_lengths, blank, reduction, zero_infinity);
    return reduction == 0 ? loss.squeeze(0) : loss;
  }
  // PyTorch's ctc_loss_impl: cuDNN where its rule holds (always its deterministic algorithm), else the recursion
  Tensor nll = _use_cudnn_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank)
                   ? std::get<0>(_cudnn_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                                 /*deterministic=*/true, zero_infinity))
                   : std::get<0>(_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity));
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
