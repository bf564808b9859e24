// reel/cpu/ctc.cpp — CPU kernels of the CTC loss: the forward (alpha) recursion and the backward (beta) recursion,
// in log space.
//
// For sample b with T_b frames and target l of length L, the extended target l' inserts the blank around every
// label (length 2L + 1, l'_s = blank for even s, l_((s-1)/2) for odd s).
//   alpha_0(0) = lp[0, blank], alpha_0(1) = lp[0, l'_1];
//   alpha_t(s) = lp[t, l'_s] + ln(e^alpha_{t-1}(s) + e^alpha_{t-1}(s-1) + [l'_s != l'_{s-2}] e^alpha_{t-1}(s-2));
//   nll = -ln(e^alpha_{T-1}(2L) + e^alpha_{T-1}(2L-1)).
// beta is the same recursion run backwards from the last frame; the gradient (PyTorch's, see tensor/ops_ctc.cpp) is
//   g_b (e^lp[t, c] - e^(ln sum_{s: l'_s = c} alpha_t(s) beta_t(s) + nll - lp[t, c])) for t < T_b, 0 after.
// Samples are independent and run in parallel; arithmetic in the input's dtype (float32 or float64) with
// log-sum-exp done stably around the largest term.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_attrs.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

template <typename T>
T log_add(T a, T b) {
  const T ninf = -std::numeric_limits<T>::infinity();
  if (a == ninf) return b;
  if (b == ninf) return a;
  const T m = std::max(a, b);
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

// One sample's view of the kernel's inputs.
struct CtcSample {
  int64_t input_length, target_length;
  const int64_t* target;  // target_length labels
};

struct CtcBatch {
  int64_t T, N, C, S;  // S = 2 max_target + 1, log_alpha's last dim
  std::vector<CtcSample> samples;
};

// Offsets of each sample's labels in padded (N, S) or concatenated 1-d targets; labels checked against C.
CtcBatch ctc_batch(const char* op, const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                   const Tensor& target_lengths, int64_t blank) {
  CtcBatch batch{log_probs.size(0), log_probs.size(1), log_probs.size(2), 1, {}};
  const int64_t* il = input_lengths.data_ptr<int64_t>();
  const int64_t* tl = target_lengths.data_ptr<int64_t>();
  const int64_t* tg = targets.data_ptr<int64_t>();
  int64_t offset = 0, max_target = 0;
  for (int64_t b = 0; b < batch.N; ++b) {
    const int64_t start = targets.dim() == 1 ? offset : b * targets.size(1);
    for (int64_t k = 0; k < tl[b]; ++k) {
      const int64_t label = tg[start + k];
      REEL_CHECK(label >= 0 && label < batch.C && label != blank,
                 "{}: target {} of sample {} is {}, not a class in [0, {}) other than blank {}", op, k, b, label,
                 batch.C, blank);
    }
    batch.samples.push_back({il[b], tl[b], tg + start});
    offset += tl[b];
    max_target = std::max(max_target, tl[b]);
  }
  batch.S = 2 * max_target + 1;
  return batch;
}

inline int64_t extended_label(const CtcSample& s, int64_t i, int64_t blank) {
  return i % 2 == 0 ? blank : s.target[i / 2];
}

// log_alpha (T_b rows of S used) for one sample; returns nll.
template <typename T>
T forward_sample(const T* lp, const CtcBatch& batch, int64_t b, int64_t blank, T* alpha) {
  const T ninf = -std::numeric_limits<T>::infinity();
  const CtcSample& s = batch.samples[static_cast<size_t>(b)];
  const int64_t ext = 2 * s.target_length + 1;
  std::fill(alpha, alpha + batch.T * batch.S, ninf);
  if (s.input_length == 0) return s.target_length == 0 ? T(0) : std::numeric_limits<T>::infinity();
  auto at = [&](int64_t t, int64_t c) { return lp[(t * batch.N + b) * batch.C + c]; };
  alpha[0] = at(0, blank);
  if (s.target_length > 0) alpha[1] = at(0, extended_label(s, 1, blank));
  for (int64_t t = 1; t < s.input_length; ++t) {
    const T* prev = alpha + (t - 1) * batch.S;
    T* cur = alpha + t * batch.S;
    for (int64_t i = 0; i < ext; ++i) {
      const int64_t label = extended_label(s, i, blank);
      T sum = prev[i];
      if (i > 0) sum = log_add(sum, prev[i - 1]);
      if (i > 1 && label != extended_label(s, i - 2, blank)) sum = log_add(sum, prev[i - 2]);
      cur[i] = sum == ninf ? ninf : sum + at(t, label);
    }
  }
  const T* last = alpha + (s.input_length - 1) * batch.S;
  T total = last[ext - 1];
  if (s.target_length > 0) total = log_add(total, last[ext - 2]);
  return -total;
}

// inputs: log_probs (T, N, C), targets int64, input_lengths, target_lengths (N) int64; outputs nll (N), log_alpha
// (N, T, S); attrs: CtcLossAttrs.
void ctc_loss_kernel(const KernelArgs& args) {
  const Tensor& lp = args.inputs[0];
  const CtcLossAttrs& a = args.attrs->get<CtcLossAttrs>();
  const CtcBatch batch = ctc_batch("_ctc_loss", lp, args.inputs[1], args.inputs[2], args.inputs[3], a.blank);
  Tensor& nll = args.outputs[0];
  Tensor& log_alpha = args.outputs[1];
  dispatch_floating(lp.dtype(), "_ctc_loss", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const T* lpp = lp.data_ptr<T>();
      T* alpha = log_alpha.data_ptr<T>();
      T* out = nll.data_ptr<T>();
      parallel_for(0, batch.N, 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) out[b] = forward_sample(lpp, batch, b, a.blank, alpha + b * batch.T * batch.S);
      });
    } else {
      REEL_CHECK(false, "_ctc_loss: log_probs must be float32 or float64, got {}", dtype_name(lp.dtype()));
    }
  });
}

// inputs: grad (N), log_probs, targets, input_lengths, target_lengths, nll (N), log_alpha (N, T, S); output
// d log_probs (T, N, C); attrs: CtcLossAttrs.
void ctc_loss_backward_kernel(const KernelArgs& args) {
  const Tensor& lp = args.inputs[1];
  const CtcLossAttrs& a = args.attrs->get<CtcLossAttrs>();
  const CtcBatch batch = ctc_batch("_ctc_loss_backward", lp, args.inputs[2], args.inputs[3], args.inputs[4], a.blank);
  REEL_CHECK(args.inputs[6].size(2) >= batch.S, "_ctc_loss_backward: log_alpha {} is too short for targets of length {}",
             shape_str(args.inputs[6].sizes()), (batch.S - 1) / 2);
  const int64_t alpha_row = args.inputs[6].size(2);
  Tensor& dlp = args.outputs[0];
  dispatch_floating(lp.dtype(), "_ctc_loss_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const T ninf = -std::numeric_limits<T>::infinity();
      const T* g = args.inputs[0].data_ptr<T>();
      const T* lpp = lp.data_ptr<T>();
      const T* nll = args.inputs[5].data_ptr<T>();
      const T* alpha_all = args.inputs[6].data_ptr<T>();
      T* out = dlp.data_ptr<T>();
      parallel_for(0, batch.N, 1, [&](int64_t begin, int64_t end) {
        std::vector<T> beta, lcab;
        for (int64_t b = begin; b < end; ++b) {
          const CtcSample& s = batch.samples[static_cast<size_t>(b)];
          const T* alpha = alpha_all + b * batch.T * alpha_row;
          auto at = [&](int64_t t, int64_t c) { return lpp[(t * batch.N + b) * batch.C + c]; };
          auto grad_at = [&](int64_t t, int64_t c) -> T& { return out[(t * batch.N + b) * batch.C + c]; };
          const bool zero = s.input_length == 0 || (a.zero_infinity && std::isinf(nll[b]));
          for (int64_t t = 0; t < batch.T; ++t)
            for (int64_t c = 0; c < batch.C; ++c) grad_at(t, c) = T(0);
          if (zero) continue;
          const int64_t ext = 2 * s.target_length + 1, tb = s.input_length;
          beta.assign(static_cast<size_t>(tb * ext), ninf);
          beta[(tb - 1) * ext + ext - 1] = at(tb - 1, a.blank);
          if (s.target_length > 0) beta[(tb - 1) * ext + ext - 2] = at(tb - 1, extended_label(s, ext - 2, a.blank));
          for (int64_t t = tb - 2; t >= 0; --t) {
            for (int64_t i = 0; i < ext; ++i) {
              const int64_t label = extended_label(s, i, a.blank);
              const T* next = beta.data() + (t + 1) * ext;
              T sum = next[i];
              if (i + 1 < ext) sum = log_add(sum, next[i + 1]);
              if (i + 2 < ext && label != extended_label(s, i + 2, a.blank)) sum = log_add(sum, next[i + 2]);
              beta[t * ext + i] = sum == ninf ? ninf : sum + at(t, label);
            }
          }
          lcab.assign(static_cast<size_t>(batch.C), ninf);
          for (int64_t t = 0; t < tb; ++t) {
            std::fill(lcab.begin(), lcab.end(), ninf);
            for (int64_t i = 0; i < ext; ++i) {
              const int64_t label = extended_label(s, i, a.blank);
              lcab[label] = log_add(lcab[label], alpha[t * alpha_row + i] + beta[t * ext + i]);
            }
            for (int64_t c = 0; c < batch.C; ++c) {
              const T l = at(t, c);
              grad_at(t, c) = (std::exp(l) - std::exp(lcab[c] + nll[b] - l)) * g[b];
            }
          }
        }
      });
    } else {
      REEL_CHECK(false, "_ctc_loss_backward: log_probs must be float32 or float64, got {}", dtype_name(lp.dtype()));
    }
  });
}

}  // namespace

void register_ctc_kernels() {
  register_kernel(OpId::_ctc_loss, kCPU, &ctc_loss_kernel);
  register_kernel(OpId::_ctc_loss_backward, kCPU, &ctc_loss_backward_kernel);
}

}  // namespace reel::cpu
