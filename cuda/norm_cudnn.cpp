// reel/cuda/norm_cudnn.cpp — batch normalization with cuDNN (legacy API, CUDNN_BATCHNORM_SPATIAL), the fast path of
// the CUDA kernels in cuda/norm.cu. Compiled to nothing without REEL_WITH_CUDNN.
//
// The contiguous input (N, C, ...) is described as an NCHW tensor (N, C, S, 1), S the product of dims 2.., and the
// per-channel tensors as (1, C, 1, 1) in the input's type (cuDNN wants double parameters for double data, float
// otherwise: reel's float32 / float64 exactly). An undefined weight or bias becomes a tensor of ones or zeros, since
// cuDNN reads both.
//   forward   cudnnBatchNormalizationForwardTraining: y, save_mean and save_invstd = 1 / sqrt(biased var + eps)
//             (what reel's kernels compute); running averages are not updated (null pointers), the caller
//             (nn::functional::batch_norm) updates its running stats from save_mean and save_invstd itself.
//   backward  cudnnBatchNormalizationBackward with the saved mean and invstd as cuDNN's cache: dx, dw, db.
// cuDNN describes sizes with int, so problems with more elements than that, empty problems and eps below
// CUDNN_BN_MIN_EPSILON go to reel's kernels, as does a problem cuDNN reports "not supported" (statuses 3000-3999).
#include "cuda/norm.h"

#ifdef REEL_WITH_CUDNN

#include <limits>

#include "cuda/cudnn_utils.h"
#include "cuda/kernels.h"
#include "tensor/ops.h"

namespace reel::cuda {

namespace {

// cuDNN 9 numbers its "not supported" statuses 3000-3999 (shape, data type, layout, architecture...).
bool not_supported(cudnnStatus_t status) { return status >= CUDNN_STATUS_NOT_SUPPORTED && status < 4000; }

// True when cuDNN can describe the problem: a non-empty input whose element count fits in int, eps it accepts.
bool cudnn_can_take(const Tensor& x, double eps) {
  return x.numel() > 0 && x.numel() <= std::numeric_limits<int>::max() && eps >= CUDNN_BN_MIN_EPSILON;
}

// The (N, C, S, 1) view of a contiguous (N, C, ...) tensor.
DimVector nchw_view(const Tensor& x) {
  int64_t spatial = 1;
  for (int64_t d = 2; d < x.dim(); ++d) spatial *= x.size(d);
  return {x.size(0), x.size(1), spatial, 1};
}

// t itself, or a (C) tensor of `value` in x's dtype on x's device when t is undefined.
Tensor or_filled(const Tensor& t, const Tensor& x, double value) {
  if (t.defined()) return t;
  return full({x.size(1)}, value, TensorOptions(x.dtype()).device(x.device()));
}

// The host-side blend factors cuDNN reads: double for double data, float otherwise.
struct BlendFactors {
  double one_d = 1.0, zero_d = 0.0;
  float one_f = 1.0f, zero_f = 0.0f;
  bool is_double;
  explicit BlendFactors(ScalarType dtype) : is_double(dtype == kFloat64) {}
  const void* one() const { return is_double ? static_cast<const void*>(&one_d) : static_cast<const void*>(&one_f); }
  const void* zero() const {
    return is_double ? static_cast<const void*>(&zero_d) : static_cast<const void*>(&zero_f);
  }
};

}  // namespace

// (y, save_mean, save_invstd): per channel over (N, S), y = (x - mean) invstd w + b
bool cudnn_batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y, Tensor& save_mean,
                              Tensor& save_invstd, double eps) {
  if (!cudnn_can_take(x, eps)) return false;
  const ScalarType dtype = x.dtype();
  const TensorDescriptor data(dtype, nchw_view(x));
  const TensorDescriptor params(dtype, {1, x.size(1), 1, 1});
  const Tensor w = or_filled(weight, x, 1.0), b = or_filled(bias, x, 0.0);
  const BlendFactors blend(dtype);
  const cudnnStatus_t status = cudnnBatchNormalizationForwardTraining(
      cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, blend.one(), blend.zero(), data.get(), x.data_ptr(), data.get(),
      y.data_ptr(), params.get(), w.data_ptr(), b.data_ptr(), /*exponentialAverageFactor=*/0.0,
      /*resultRunningMean=*/nullptr, /*resultRunningVariance=*/nullptr, eps, save_mean.data_ptr(),
      save_invstd.data_ptr());
  if (not_supported(status)) return false;
  REEL_CUDNN_CHECK(status);
  return true;
}

// (dx, dw, db) from the saved mean and invstd: db = sum g, dw = sum g x^, dx = w invstd (g - db/M - x^ dw/M)
bool cudnn_batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                               const Tensor& save_invstd, Tensor& dx, Tensor& dw, Tensor& db, double eps) {
  if (!cudnn_can_take(x, eps)) return false;
  const ScalarType dtype = x.dtype();
  const TensorDescriptor data(dtype, nchw_view(x));
  const TensorDescriptor params(dtype, {1, x.size(1), 1, 1});
  const Tensor w = or_filled(weight, x, 1.0);
  const BlendFactors blend(dtype);
  const cudnnStatus_t status = cudnnBatchNormalizationBackward(
      cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, blend.one(), blend.zero(), blend.one(), blend.zero(), data.get(),
      x.data_ptr(), data.get(), grad.data_ptr(), data.get(), dx.data_ptr(), params.get(), w.data_ptr(),
      dw.data_ptr(), db.data_ptr(), eps, save_mean.data_ptr(), save_invstd.data_ptr());
  if (not_supported(status)) return false;
  REEL_CUDNN_CHECK(status);
  return true;
}

}  // namespace reel::cuda

#endif  // REEL_WITH_CUDNN
