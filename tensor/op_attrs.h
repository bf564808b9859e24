// reel/tensor/op_attrs.h — the attributes of one op call: a few fields every family shares, plus one typed struct
// per op family held in a std::variant (internal).
//
// The front door fills OpAttrs, run_op hands it to the kernel (KernelArgs::attrs) and the recorder keeps a copy on
// the node for the backward formula. Fields shared by many families keep their PyTorch meaning everywhere:
//   dims     the reduced / flipped / permuted dims; the view records' sizes and strides (as_strided, CopySlices)
//   dim      the one dim of index ops, cat, softmax, scans, sort, slice, select; the view records' output rank
//   keepdim  reductions keep the reduced dims with size 1
// Everything else an op needs lives in its family's struct below, with names that say what the numbers are.
// Read it with `attrs.get<ClampAttrs>()` (throws an internal reel::Error naming both alternatives' indices when the
// op stored another family) and write it with `attrs.set(ClampAttrs{...})`. New families add their struct here and
// append it to `FamilyAttrs` (appending keeps the existing alternatives' indices, which error messages name).
// Every alternative is trivially copyable and destructible, so building OpAttrs, copying it onto a node and
// resetting it stay plain stores, and an op without attributes passes no OpAttrs at all (attrs == nullptr).
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <variant>

#include "conv_params.h"
#include "error_format.h"
#include "op_id.h"
#include "rnn_params.h"
#include "tensor.h"

namespace reel {

// No attributes beyond the shared fields.
using NoFamilyAttrs = std::monostate;

// clamp: y = min(max(x, min), max); an absent bound does not apply.
struct ClampAttrs {
  std::optional<Scalar> min, max;
};

// fill_, and the identity an empty reduction's output is filled with: every written element = value.
struct FillAttrs {
  Scalar value;
};

// scatter / scatter_add: self[index] = (scatter) or += (scatter_add) src when has_src (the op's second input),
// else value.
struct ScatterAttrs {
  bool has_src = false;
  Scalar value;
};

// addcmul / addcdiv: y = self + value * t1 * t2 (addcmul) or self + value * t1 / t2 (addcdiv).
struct AddcAttrs {
  Scalar value = 1;
};

// GEMM (addmm, addmm_, linear's GEMM): C = beta * C + alpha * A @ B. linear stores beta = 1 when C already holds
// the broadcast bias, else 0; mm and bmm pass no attributes (alpha = 1, beta = 0).
struct ScaleAttrs {
  Scalar alpha = 1;
  Scalar beta = 0;
};

// index_add: self[index] += alpha * source.
struct IndexAddAttrs {
  Scalar alpha = 1;
};

// tril / triu: keep the elements on and below (tril) or on and above (triu) diagonal k of the last two dims.
struct DiagonalAttrs {
  int64_t diagonal = 0;
};

// one_hot: y[..., c] = (x[...] == c) for c < num_classes.
struct OneHotAttrs {
  int64_t num_classes = 0;
};

// embedding (recorded as index_select of weight rows): rows at padding_idx get no gradient; sparse asks for a
// sparse gradient of the weight.
struct EmbeddingAttrs {
  bool sparse = false;
  std::optional<int64_t> padding_idx;
};

// var / std: sum_i (x_i - mean)^2 / max(n - correction, 0).
struct VarianceAttrs {
  double correction = 1;
};

// norm: (sum_i |x_i|^p)^(1/p), with p = inf / -inf / 0 as in PyTorch.
struct NormAttrs {
  double p = 2;
};

// native_batch_norm and its backward: x^ = (x - mean) / sqrt(var + eps).
struct EpsAttrs {
  double eps = 1e-5;
};

// arange: y_i = start + i * step (int64 scalars for integral dtypes, double otherwise).
struct ArangeAttrs {
  Scalar start, step;
};

// linspace: y_i = start + i * (end - start) / (steps - 1), steps = the output's length.
struct LinspaceAttrs {
  double start = 0, end = 0;
};

// copy_ / to(): with non_blocking a host<->device transfer may return before it completed (stream ordered).
struct CopyAttrs {
  bool non_blocking = false;
};

// slice / narrow view records: y = x[..., start:end:step, ...] along attrs.dim (start, end already clamped).
struct SliceAttrs {
  int64_t start = 0, end = 0, step = 1;
};

// select view records: y = x[..., index, ...] along attrs.dim (index already wrapped).
struct SelectAttrs {
  int64_t index = 0;
};

// as_strided and CopySlices records: the view starts at storage_offset of the storage the base (the recorded
// input) starts at base_offset of; dims holds the view's sizes and strides (as_strided: then the base's strides).
struct AsStridedAttrs {
  int64_t storage_offset = 0, base_offset = 0;
};

// Where an op's random draws start in the Philox stream (tensor/philox.h): the generator's seed (the key) and
// the offset of the first draw reserved for the op.
struct PhiloxPosition {
  uint64_t seed = 0, offset = 0;
};

// uniform (rand, uniform_): y_i = low + (high - low) * u_i, u_i ~ U[0, 1).
struct UniformAttrs {
  double low = 0, high = 1;
  PhiloxPosition philox;
};

// normal (randn, normal_): y_i = mean + std * z_i, z_i ~ N(0, 1).
struct NormalAttrs {
  double mean = 0, std = 1;
  PhiloxPosition philox;
};

// randint: y_i = low + (r_i mod (high - low)); wide_draws: r_i takes 64 random bits (range > 2^32), else 32.
struct RandintAttrs {
  int64_t low = 0, high = 1;
  bool wide_draws = false;
  PhiloxPosition philox;
};

// ---- sorting, selection, counting (tensor/ops_sort.cpp, tensor/ops_unique_search.cpp) ----
// sort: ascending unless `descending`; `stable` keeps equal elements in their input order.
struct SortAttrs {
  bool descending = false;
  bool stable = false;
};
// topk: the `k` largest (or smallest) along dim, in order when `sorted`.
struct TopkAttrs {
  int64_t k = 1;
  bool largest = true;
  bool sorted = true;
};
// kthvalue: the k-th smallest along dim, counted from 1.
struct KthvalueAttrs {
  int64_t k = 1;
};
// unique / unique_consecutive: which of the optional outputs are wanted (the others come back empty, [0]).
struct UniqueAttrs {
  bool sorted = true;
  bool return_inverse = false;
  bool return_counts = false;
};
// histc: `bins` equal bins over [min, max] (the front door has resolved min == max to the data's range);
// bincount: at least `minlength` bins (`bins` = the output length the front door computed).
struct HistogramAttrs {
  int64_t bins = 100;
  double min = 0;
  double max = 0;
  int64_t minlength = 0;
};
// searchsorted: int32 indices instead of int64; `right`: the index after the last element <= v.
struct SearchsortedAttrs {
  bool out_int32 = false;
  bool right = false;
};
// diagonal(offset, dim1, dim2): dim1 and dim2 wrapped against the input's rank.
struct DiagonalViewAttrs {
  int64_t offset = 0;
  int64_t dim1 = 0;
  int64_t dim2 = 1;
};

// ---- sampling (tensor/random_sampling.cpp; the draws as in Note [Random numbers], tensor/philox.h) ----
// bernoulli: y_i = (u_i < p_i), p_i from the op's input (float64, the output's numel) or `p` when it has none.
struct BernoulliAttrs {
  double p = 0.5;
  PhiloxPosition philox;
};
// exponential_: y_i = -ln(u_i) / lambd.
struct ExponentialAttrs {
  double lambd = 1;
  PhiloxPosition philox;
};
// geometric_: y_i = max(1, ceil(ln(u_i) / ln(1 - p))); log1m_p = ln(1 - p), computed once by the front door.
struct GeometricAttrs {
  double p = 0.5, log1m_p = -0.6931471805599453;
  PhiloxPosition philox;
};
// cauchy_: y_i = median + sigma tan(pi (u_i - 1/2)).
struct CauchyAttrs {
  double median = 0, sigma = 1;
  PhiloxPosition philox;
};
// log_normal_: y_i = e^(mean + std z_i), z_i ~ N(0, 1).
struct LogNormalAttrs {
  double mean = 1, std = 2;
  PhiloxPosition philox;
};
// multinomial: num_samples category indices per row of weights, with or without replacement.
struct MultinomialAttrs {
  int64_t num_samples = 1;
  bool replacement = false;
  PhiloxPosition philox;
};
// ---- resampling (tensor/ops_resample.cpp) and CTC (tensor/ops_ctc.cpp) ----
// upsample: nearest (floor rule), linear (bilinear over two dims) or bicubic (A = -0.75) taps. scale_h / scale_w
// are the user's scale factors (0: none given, the source step is then in / out), as PyTorch's scales_h / scales_w.
enum class UpsampleMode : int8_t { Nearest, Linear, Bicubic };
struct UpsampleAttrs {
  UpsampleMode mode = UpsampleMode::Nearest;
  bool align_corners = false;
  double scale_h = 0;
  double scale_w = 0;
};
// grid_sampler_2d: PyTorch's integer codes, interpolation 0 bilinear / 1 nearest, padding 0 zeros / 1 border /
// 2 reflection.
struct GridSampleAttrs {
  int64_t interpolation_mode = 0;
  int64_t padding_mode = 0;
  bool align_corners = false;
};
// _ctc_loss: the blank class; zero_infinity turns infinite losses (impossible alignments) and their gradients to 0.
struct CtcLossAttrs {
  int64_t blank = 0;
  bool zero_infinity = false;
};
// _cudnn_ctc_loss: PyTorch's arguments. blank is always 0 (cuDNN's blank); deterministic picks cuDNN's deterministic
// algorithm; zero_infinity is read by the backward formula only (infinite losses get zero gradients).
struct CudnnCtcLossAttrs {
  int64_t blank = 0;
  bool deterministic = true;
  bool zero_infinity = false;
};
// ---- advanced indexing (tensor/ops_advanced_index.cpp, ops_scatter_reduce.cpp) ----
// index / index_put: OpAttrs::dims holds the indexed dims of self, ascending. index_put: `accumulate` adds the
// values into self (duplicate indices add up) instead of writing them (one of the duplicates wins).
struct IndexPutAttrs {
  bool accumulate = false;
};
// scatter_reduce's kernel: how the values landing on one element of self combine; include_self: self's own value
// takes part (otherwise an element that receives anything starts from the first value it receives). "mean" is
// the front door's: a sum divided by the count.
enum class ScatterReduction : uint8_t { sum, prod, amax, amin };
struct ScatterReduceAttrs {
  ScatterReduction reduce = ScatterReduction::sum;
  bool include_self = true;
};

// linalg_svd: full_matrices gives square U (m, m) and Vh (n, n), otherwise (m, k) and (k, n) with k = min(m, n);
// without compute_uv only S is computed (U and Vh come back empty).
struct SvdAttrs {
  bool full_matrices = true;
  bool compute_uv = true;
};

using FamilyAttrs = std::variant<NoFamilyAttrs,
                                 ElementwiseParams,  // parameterised elementwise rows (REEL_UNARY_PARAM_OP)
                                 ClampAttrs,          // clamp
                                 FillAttrs,           // fill_, an empty reduction's identity
                                 ScatterAttrs,        // scatter, scatter_add
                                 AddcAttrs,           // addcmul, addcdiv
                                 ScaleAttrs,          // addmm, addmm_, linear's GEMM
                                 IndexAddAttrs,       // index_add
                                 DiagonalAttrs,       // tril, triu
                                 OneHotAttrs,         // one_hot
                                 EmbeddingAttrs,      // embedding's index_select
                                 VarianceAttrs,       // var
                                 NormAttrs,           // norm
                                 EpsAttrs,            // native_batch_norm(_backward)
                                 ArangeAttrs,         // arange
                                 LinspaceAttrs,       // linspace
                                 CopyAttrs,           // copy (copy_, to)
                                 SliceAttrs,          // slice view records
                                 SelectAttrs,         // select view records
                                 AsStridedAttrs,      // as_strided and CopySlices records
                                 UniformAttrs,        // uniform (rand, uniform_)
                                 NormalAttrs,         // normal (randn, normal_)
                                 RandintAttrs,        // randint
                                 ConvParams,          // conv2d and its backward primitives (tensor/conv_params.h)
                                 PoolParams,          // max_pool2d, avg_pool2d(_backward) (tensor/conv_params.h)
                                 RnnParams,           // fused_rnn(_backward) (tensor/rnn_params.h)
                                 SortAttrs, TopkAttrs, KthvalueAttrs, UniqueAttrs, HistogramAttrs,  // sort family
                                 SearchsortedAttrs,
                                 DiagonalViewAttrs,  // the diagonal view
                                 BernoulliAttrs, ExponentialAttrs, GeometricAttrs, CauchyAttrs,  // sampling
                                 LogNormalAttrs, MultinomialAttrs,
                                 UpsampleAttrs, GridSampleAttrs, CtcLossAttrs,  // resampling, CTC
                                 IndexPutAttrs, ScatterReduceAttrs,             // advanced indexing, scatter_reduce
                                 SvdAttrs,                                      // linalg_svd
                                 CudnnCtcLossAttrs>;                            // _cudnn_ctc_loss

static_assert(std::is_trivially_copyable_v<FamilyAttrs> && std::is_trivially_destructible_v<FamilyAttrs>,
              "FamilyAttrs alternatives must stay trivially copyable: OpAttrs is built per op call and copied "
              "onto autograd nodes");

struct OpAttrs {
  DimVector dims;
  int64_t dim = 0;
  bool keepdim = false;
  FamilyAttrs family;

  template <class T>
  const T& get() const {
    const T* value = std::get_if<T>(&family);
    REEL_CHECK(value != nullptr, "internal: op attributes hold alternative {} of FamilyAttrs, not alternative {}",
               family.index(), FamilyAttrs(std::in_place_type<T>).index());
    return *value;
  }
  template <class T>
  T& get() {
    return const_cast<T&>(static_cast<const OpAttrs&>(*this).get<T>());
  }
  template <class T>
  bool holds() const {
    return std::holds_alternative<T>(family);
  }
  template <class T>
  OpAttrs& set(T value) {
    family = std::move(value);
    return *this;
  }
};

// An OpAttrs holding `value` as its family struct and the shared fields' defaults.
template <class T>
OpAttrs family_attrs(T value) {
  OpAttrs attrs;
  attrs.family = std::move(value);
  return attrs;
}

}  // namespace reel
