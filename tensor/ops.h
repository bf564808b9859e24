// reel/tensor/ops.h — the public op API: free functions, operators and creation functions.
//
// Every function here is a front door: it checks its arguments (throwing reel::Error that names the op and
// shows the shapes, dtypes and devices), computes the output's shape and dtype, allocates it, and calls the
// kernel registered for the op and the inputs' device (tensor/dispatch.h). The op table tensor/ops.def
// lists them all; docs/ARCHITECTURE.md follows one call through.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tensor.h"

namespace reel {

// ---- random numbers -------------------------------------------------------------------------------------
// Seeds the default generator: after manual_seed(s) every random op gives the same values again.
void manual_seed(uint64_t seed);

// ---- creation ------------------------------------------------------------------------------------------
Tensor empty(IntList sizes, TensorOptions options = {});
Tensor zeros(IntList sizes, TensorOptions options = {});
Tensor ones(IntList sizes, TensorOptions options = {});
Tensor full(IntList sizes, Scalar value, TensorOptions options = {});  // dtype from value unless given
Tensor arange(Scalar end, TensorOptions options = {});
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions options = {});
Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});
Tensor rand(IntList sizes, TensorOptions options = {});   // U[0, 1)
Tensor randn(IntList sizes, TensorOptions options = {});  // N(0, 1)
Tensor randint(int64_t high, IntList sizes, TensorOptions options = kInt64);
Tensor randint(int64_t low, int64_t high, IntList sizes, TensorOptions options = kInt64);
namespace detail {
// The options of a *_like result: t's dtype and device unless `options` name others.
TensorOptions like_options(const Tensor& t, const std::optional<TensorOptions>& options);
}  // namespace detail
Tensor empty_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor ones_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor full_like(const Tensor& t, Scalar value, std::optional<TensorOptions> options = std::nullopt);
Tensor rand_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor randn_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, std::optional<TensorOptions> options = std::nullopt);
Tensor& uniform_(Tensor& t, double low = 0.0, double high = 1.0);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0);
// Sampling (tensor/random_sampling.cpp): y_i ~ Bernoulli(p_i) with p = self's values (bernoulli(self)) or p
// (bernoulli(self, p), shaped like self); num_samples category indices per row of non-negative weights; a random
// permutation of 0..n-1 (int64 unless options give a dtype).
Tensor bernoulli(const Tensor& self);
Tensor bernoulli(const Tensor& self, double p);
Tensor multinomial(const Tensor& self, int64_t num_samples, bool replacement = false);
Tensor randperm(int64_t n, TensorOptions options = kInt64);

// Wraps memory the caller owns (no copy). The memory must outlive the tensor unless a deleter is given,
// which the last tensor sharing the storage calls. Strides default to row-major.
Tensor from_blob(void* data, IntList sizes, TensorOptions options = {});
Tensor from_blob(void* data, IntList sizes, IntList strides, TensorOptions options = {});
Tensor from_blob(void* data, IntList sizes, Callback<void(void*)> deleter, TensorOptions options = {});
// Copies `data` (row-major, product of sizes elements) into a new CPU tensor of the matching dtype.
template <typename T>
Tensor from_blob_copy(const T* data, IntList sizes, TensorOptions options = {});

// From C++ values, like torch::tensor: 1-D from a list or vector, 2-D from a nested list. The dtype follows
// the C++ type as in LibTorch: double and float lists give the default float32, int and long lists int64, bool
// lists bool, uint8_t lists uint8, unless options say otherwise.
template <typename T>
Tensor tensor(const std::vector<T>& values, TensorOptions options = {});
template <typename T>
Tensor tensor(std::initializer_list<T> values, TensorOptions options = {});
template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> rows, TensorOptions options = {});
Tensor scalar_tensor(Scalar value, TensorOptions options = {});  // float32 unless options name a dtype

// ---- elementwise ---------------------------------------------------------------------------------------
#define REEL_UNARY_OP(name, functor, result, math) Tensor name(const Tensor& x);
#define REEL_BINARY_OP(name, functor, result, math) \
  Tensor name(const Tensor& a, const Tensor& b);   \
  Tensor name(const Tensor& a, Scalar b);          \
  Tensor name(Scalar a, const Tensor& b);
#include "ops.def"
// Fused backward primitives: (grad, saved tensor) -> input gradient.
#define REEL_FUSED_BACKWARD_OP(name, functor, math) Tensor name(const Tensor& grad, const Tensor& saved);
#include "ops.def"
// Parameterised elementwise ops (the activations): reel::leaky_relu(x, negative_slope = 0.01) and, where LibTorch
// has one, the in-place reel::leaky_relu_(x, negative_slope = 0.01), with LibTorch's parameter names, order and
// defaults as ops.def declares them. Defined here, each is one call into the row's front door.
}  // namespace reel
#include "op_id.h"  // the OpId of each row (here rather than above: only these inline forwards need it)
namespace reel {
namespace detail {
// y = the row's op on x with `params` (its parameters in the row's order); in place: into self.
Tensor unary_param_op(OpId op, const Tensor& x, const ElementwiseParams& params);
Tensor& unary_param_op_(OpId op, Tensor& self, const ElementwiseParams& params);
// The largest and lowest finite values of t's dtype (nan_to_num's default posinf and neginf); 0 for an undefined t.
double largest_finite(const Tensor& t);
double lowest_finite(const Tensor& t);
}  // namespace detail
#define REEL_PARAMETER_LIST(...) __VA_OPT__(, __VA_ARGS__)  // (double a = 1) -> , double a = 1; () -> nothing
#define REEL_ARGUMENT_LIST(...) __VA_ARGS__                  // (a, b) -> a, b
#define REEL_IN_PLACE_FORM_with_in_place(name, params, args)                        \
  inline Tensor& name##_(Tensor& self REEL_PARAMETER_LIST params) {                 \
    return detail::unary_param_op_(OpId::name, self, {REEL_ARGUMENT_LIST args});     \
  }
#define REEL_IN_PLACE_FORM_no_in_place(name, params, args)
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math)     \
  inline Tensor name(const Tensor& self REEL_PARAMETER_LIST params) {               \
    return detail::unary_param_op(OpId::name, self, {REEL_ARGUMENT_LIST args});      \
  }                                                                                 \
  REEL_IN_PLACE_FORM_##in_place(name, params, args)
#include "ops.def"
#undef REEL_IN_PLACE_FORM_with_in_place
#undef REEL_IN_PLACE_FORM_no_in_place
#undef REEL_PARAMETER_LIST
#undef REEL_ARGUMENT_LIST

// ---- pointwise math beyond the basics (tensor/ops_pointwise_math.cpp), LibTorch's signatures ----------------
// polygamma(n, x) in LibTorch's order (the op-table row also gives polygamma(x, n)).
Tensor polygamma(int64_t n, const Tensor& self);
// a / b rounded as rounding_mode says: nullopt true division, "trunc" toward zero, "floor" toward -inf (integer
// inputs stay integer with a mode; integer division by zero throws). Zero gradients with a mode, as PyTorch's.
Tensor div(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode);
Tensor div(const Tensor& self, Scalar other, std::optional<std::string_view> rounding_mode);
// start + weight (end - start); floating dtypes, start / end (/ weight) of one dtype, broadcast together.
Tensor lerp(const Tensor& self, const Tensor& end, Scalar weight);
Tensor lerp(const Tensor& self, const Tensor& end, const Tensor& weight);
// clamp with tensor bounds (broadcast with self; gradients to self and to the bound that was taken).
Tensor clamp(const Tensor& self, const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
// self where mask is false, the 0-dim tensor value (cast to self's dtype) where it is true.
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha);  // a + alpha * b
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha);  // a - alpha * b
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, Scalar b);
Tensor where(const Tensor& condition, Scalar a, const Tensor& b);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
// y = self + value * tensor1 * tensor2 and y = self + value * tensor1 / tensor2 in one pass (torch.addcmul /
// torch.addcdiv), the three tensors broadcast together; addcdiv takes floating dtypes only, and an integer result
// takes an integral value only.
Tensor addcmul(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1);
Tensor addcdiv(const Tensor& self, const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1);
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);

// The dtype PyTorch's type promotion gives an op on these operands (dimensioned tensors outrank 0-dim
// tensors, which outrank plain numbers, within each category bool < integer < floating).
ScalarType result_type(const Tensor& a, const Tensor& b);
ScalarType result_type(const Tensor& a, Scalar b);

// ---- reductions ----------------------------------------------------------------------------------------
// An empty `dims` list reduces over every dim.
Tensor sum(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor amax(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor max(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// var / std: y = sum_i (x_i - mean)^2 / max(n - correction, 0) (std: its square root), in LibTorch's overloads:
//   var(x, unbiased)                        every dim; correction 1 or 0
//   var(x, int dim)                         that dim, unbiased (LibTorch's C++-only overload: var(x, 1) is a dim)
//   var(x, dims, unbiased, keepdim = false) an integer here is `unbiased`: var(x, {1}, 2, true) is unbiased
//   var(x, dims = {}, correction = nullopt (1), keepdim = false)   correction is a Scalar: var(x, {1}, Scalar(2))
// An empty `dims` reduces every dim. test/test_libtorch_spellings.cpp lists what each spelling means in LibTorch.
Tensor var(const Tensor& x, bool unbiased);
Tensor var(const Tensor& x, int dim);
Tensor var(const Tensor& x, IntList dims, bool unbiased, bool keepdim = false);
Tensor var(const Tensor& x, IntList dims = {}, std::optional<Scalar> correction = std::nullopt, bool keepdim = false);
Tensor std(const Tensor& x, bool unbiased);
Tensor std(const Tensor& x, int dim);
Tensor std(const Tensor& x, IntList dims, bool unbiased, bool keepdim = false);
Tensor std(const Tensor& x, IntList dims = {}, std::optional<Scalar> correction = std::nullopt, bool keepdim = false);
Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim = false);
Tensor norm(const Tensor& x, Scalar p = 2, IntList dims = {}, bool keepdim = false);
Tensor all(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor any(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

// ---- linear algebra ------------------------------------------------------------------------------------
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1);
// y = x W^T + b (torch::linear): x of shape [..., in], weight [out, in], bias [out] or undefined.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor());
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);

// ---- linear algebra: products, diagonals, cross products, distances, norms ---------------------------------------
// LibTorch's names, argument order and defaults (tensor/ops_linalg_products.cpp, tensor/ops_einsum.cpp,
// tensor/ops_linalg_norms.cpp). The GEMM-based ones (dot, mv, addmv, baddbmm, addbmm, tensordot, einsum) follow
// mm's dtype rule: one dtype, no bool; integers run on the CPU.
Tensor dot(const Tensor& self, const Tensor& tensor);
Tensor vdot(const Tensor& self, const Tensor& other);  // dot (no complex dtypes to conjugate)
Tensor mv(const Tensor& self, const Tensor& vec);
Tensor addmv(const Tensor& self, const Tensor& mat, const Tensor& vec, Scalar beta = 1, Scalar alpha = 1);
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1);
Tensor addbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1);
// Einstein summation: "ij,jk->ik", implicit output (the labels seen once, in ASCII order), "..." broadcast dims,
// a label repeated within one operand takes its diagonal. Contracted pairwise, each pair one bmm: left to right, or
// in the order `path` gives (opt_einsum's contraction path, flattened as PyTorch takes it: pairs of positions in the
// list of operands still to contract, each pair's result appended at its end).
Tensor einsum(std::string_view equation, const std::vector<Tensor>& tensors,
              std::optional<IntList> path = std::nullopt);
Tensor tensordot(const Tensor& self, const Tensor& other, IntList dims_self, IntList dims_other);
Tensor kron(const Tensor& self, const Tensor& other);
Tensor trace(const Tensor& self);
Tensor diagonal(const Tensor& self, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
Tensor diag(const Tensor& self, int64_t diagonal = 0);
Tensor diag_embed(const Tensor& self, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);
// torch::cross: without dim, the first dim of size 3 (PyTorch's deprecated default).
Tensor cross(const Tensor& self, const Tensor& other, std::optional<int64_t> dim = std::nullopt);
// compute_mode: nullopt or 0 = matrix products for p = 2 when either set has more than 25 rows, 1 = always for p = 2,
// 2 = never (PyTorch's "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm...").
Tensor cdist(const Tensor& x1, const Tensor& x2, double p = 2, std::optional<int64_t> compute_mode = std::nullopt);

namespace linalg {
Tensor cross(const Tensor& self, const Tensor& other, int64_t dim = -1);
// ||x||_ord over `dim` (nullopt: every dim); ord 0 counts nonzeros, +-inf is max/min |x|. dtype: computed in it.
Tensor vector_norm(const Tensor& self, Scalar ord = 2, std::optional<IntList> dim = std::nullopt, bool keepdim = false,
                   std::optional<ScalarType> dtype = std::nullopt);
// Matrix norms over the two dims `dim`: ord "fro", 1 / -1 (max / min column sum of |x|), inf / -inf (rows),
// "nuc" (sum of the singular values), 2 / -2 (the largest / smallest singular value).
Tensor matrix_norm(const Tensor& self, Scalar ord, IntList dim = {-2, -1}, bool keepdim = false,
                   std::optional<ScalarType> dtype = std::nullopt);
Tensor matrix_norm(const Tensor& self, std::string_view ord = "fro", IntList dim = {-2, -1}, bool keepdim = false,
                   std::optional<ScalarType> dtype = std::nullopt);
inline Tensor matrix_norm(const Tensor& self, const char* ord, IntList dim = {-2, -1}, bool keepdim = false,
                          std::optional<ScalarType> dtype = std::nullopt) {
  return matrix_norm(self, std::string_view(ord), dim, keepdim, dtype);
}
// torch::linalg::norm: a vector norm (of the flattened input when ord and dim are both absent) or, for a 2-D input
// or two dims, a matrix norm; a string ord is always a matrix norm.
Tensor norm(const Tensor& self, std::optional<Scalar> ord = std::nullopt, std::optional<IntList> dim = std::nullopt,
            bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
Tensor norm(const Tensor& self, std::string_view ord, std::optional<IntList> dim = std::nullopt, bool keepdim = false,
            std::optional<ScalarType> dtype = std::nullopt);
inline Tensor norm(const Tensor& self, const char* ord, std::optional<IntList> dim = std::nullopt, bool keepdim = false,
                   std::optional<ScalarType> dtype = std::nullopt) {
  return norm(self, std::string_view(ord), dim, keepdim, dtype);
}
// Singular value decomposition A = U diag(S) Vh of each matrix of a floating (*, m, n) A, k = min(m, n): S (*, k)
// descending (real, the dtype of A); full_matrices: U (*, m, m) and Vh (*, n, n), else (*, m, k) and (*, k, n).
// Signs of the singular vectors are one valid choice (as in PyTorch, any is). `driver` (cuSOLVER's choice in
// LibTorch) is accepted and ignored. Gradients assume distinct singular values (PyTorch's formula).
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices = true,
                                       std::optional<std::string_view> driver = std::nullopt);
// The singular values of svd(A), descending; gradient U diag(g) Vh.
Tensor svdvals(const Tensor& A, std::optional<std::string_view> driver = std::nullopt);
}  // namespace linalg
// torch::svd (PyTorch's older spelling): (U, S, V) with V = Vh^T; some = reduced U and V; without compute_uv, U and
// V are zero matrices of the full shapes (as in PyTorch).
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& self, bool some = true, bool compute_uv = true);

// ---- shape ops that move data --------------------------------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor flip(const Tensor& x, IntList dims);
Tensor repeat(const Tensor& x, IntList repeats);
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

// ---- indexing ------------------------------------------------------------------------------------------
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, Scalar value);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
Tensor one_hot(const Tensor& index, int64_t num_classes = -1);  // int64 result, as in PyTorch
// Rows of weight picked by index: y[..., :] = weight[index[...], :], LibTorch's torch::embedding. The gradient of
// weight leaves out the positions whose index is padding_idx (>= 0; -1: none). sparse: the gradient reaching weight
// (a leaf) is a sparse tensor of the looked-up rows (Note [Row-sparse gradients]). scale_grad_by_freq is not
// supported (reel::Error when true).
Tensor embedding(const Tensor& weight, const Tensor& index, int64_t padding_idx = -1, bool scale_grad_by_freq = false,
                 bool sparse = false);

// ---- sparse tensors (tensor/sparse.cpp) ----------------------------------------------------------------
// A sparse tensor of `size` holding the rows `values` [nnz, size[1:]...] at rows indices[0] (indices [1, nnz],
// int64 or int32); repeated indices add up. The inputs are copied.
Tensor sparse_coo_tensor(const Tensor& indices, const Tensor& values, IntList size);

// ---- softmax -------------------------------------------------------------------------------------------
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- sorting, selection, counting and scans (tensor/ops_sort.cpp, ops_scan.cpp, ops_unique_search.cpp) ----------
// LibTorch's names, argument order and defaults; the pairs are (values, int64 indices). NaN orders above every
// number. Ties may come back in any order unless the sort is stable (reel's CPU sort then keeps input order).
// As in LibTorch, sort(x, true) is sort(x, dim = 1): a stable sort is spelled sort(x, /*stable=*/true, dim, desc)
// with an std::optional<bool>, and argsort(x, true) picks the stable overload.
std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim = -1, bool descending = false);
std::tuple<Tensor, Tensor> sort(const Tensor& self, std::optional<bool> stable, int64_t dim = -1,
                                bool descending = false);
Tensor argsort(const Tensor& self, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& self, bool stable, int64_t dim = -1, bool descending = false);
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim = -1, bool largest = true,
                                bool sorted = true);
std::tuple<Tensor, Tensor> kthvalue(const Tensor& self, int64_t k, int64_t dim = -1, bool keepdim = false);
// median: the lower of the two middle values; median(x) is over every element (0-dim value, NaN when empty).
Tensor median(const Tensor& self);
std::tuple<Tensor, Tensor> median(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor nanmedian(const Tensor& self);
std::tuple<Tensor, Tensor> nanmedian(const Tensor& self, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> mode(const Tensor& self, int64_t dim = -1, bool keepdim = false);
// torch.unique's C++ spelling is at::_unique2 (torch::unique does not exist in LibTorch): (values, inverse, counts),
// with inverse and counts empty ([0]) unless asked for. reel always sorts the values (`sorted` = false allows any
// order in PyTorch, so the sorted one is valid too). NaNs are each their own value.
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& self, bool sorted = true, bool return_inverse = false,
                                          bool return_counts = false);
inline std::tuple<Tensor, Tensor, Tensor> _unique2(const Tensor& self, bool sorted = true, bool return_inverse = false,
                                                   bool return_counts = false) {
  return unique(self, sorted, return_inverse, return_counts);
}
// No dim: runs of equal neighbours of the flattened input. With dim: runs of equal slices along dim (values keeps one
// slice per run; inverse has size(dim) entries, counts one per run).
std::tuple<Tensor, Tensor, Tensor> unique_consecutive(const Tensor& self, bool return_inverse = false,
                                                      bool return_counts = false,
                                                      std::optional<int64_t> dim = std::nullopt);
// 1-D non-negative integers; int64 counts, or sums of `weights` (float32 weights: float32, others float64).
Tensor bincount(const Tensor& self, const Tensor& weights = Tensor(), int64_t minlength = 0);
// Floating input; min == max means the data's own range.
Tensor histc(const Tensor& self, int64_t bins = 100, Scalar min = 0, Scalar max = 0);
// sorted_sequence 1-D, or with the leading dims of `self`; the inputs are promoted to a common dtype. side "left" /
// "right" says the same as `right` (they must not disagree); sorter (int64, sorted_sequence's shape) gives the
// ascending order of an unsorted sequence along its last dim: the result indexes that order.
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& self, bool out_int32 = false, bool right = false,
                    std::optional<std::string_view> side = std::nullopt,
                    const std::optional<Tensor>& sorter = std::nullopt);
Tensor bucketize(const Tensor& self, const Tensor& boundaries, bool out_int32 = false, bool right = false);
// cumsum / cumprod: bool and integer inputs give int64 unless `dtype` says otherwise (the input is cast first).
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor logcumsumexp(const Tensor& self, int64_t dim);
std::tuple<Tensor, Tensor> cummax(const Tensor& self, int64_t dim);
std::tuple<Tensor, Tensor> cummin(const Tensor& self, int64_t dim);
Tensor nansum(const Tensor& self, IntList dims = {}, bool keepdim = false,
              std::optional<ScalarType> dtype = std::nullopt);
// As in LibTorch, count_nonzero(x, 1) is ambiguous: pass IntList{1} or std::optional<int64_t>(1).
Tensor count_nonzero(const Tensor& self, IntList dims);
Tensor count_nonzero(const Tensor& self, std::optional<int64_t> dim = std::nullopt);
// (min, max) over dim, or over every element without one.
std::tuple<Tensor, Tensor> aminmax(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// The dtype overloads of LibTorch: the input is cast to `dtype` first, then reduced (sum(dtype) of int32 values
// in float64, softmax in float32 of a float16 input, ...).
Tensor sum(const Tensor& x, ScalarType dtype);
Tensor sum(const Tensor& x, IntList dims, bool keepdim, std::optional<ScalarType> dtype);
Tensor mean(const Tensor& x, ScalarType dtype);
Tensor mean(const Tensor& x, IntList dims, bool keepdim, std::optional<ScalarType> dtype);
Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype);
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype);

// ---- convolution and pooling ---------------------------------------------------------------------------
// Inputs are (N, C, H, W), or (C, H, W) unbatched; weights (O, C / groups, kH, kW). Each pair argument takes one
// value for both spatial dims or {height, width}, as in PyTorch. Floating dtypes only.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntList stride = 1,
              IntList padding = 0, IntList dilation = 1, int64_t groups = 1);
// (N, C, L) or (C, L) input, (O, C / groups, K) weight; one value each for stride, padding and dilation.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntList stride = 1,
              IntList padding = 0, IntList dilation = 1, int64_t groups = 1);
// (N, C, D, H, W) or (C, D, H, W) input, (O, C / groups, kD, kH, kW) weight; one value or three for stride, padding
// and dilation. Computed as one conv2d per depth tap of the kernel (a composite: CPU and CUDA alike).
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntList stride = 1,
              IntList padding = 0, IntList dilation = 1, int64_t groups = 1);
// The transposed convolutions (the input gradient of conv2d / conv1d): (N, C_in, H, W) or unbatched input,
// weight (C_in, C_out / groups, kH, kW), output (N, C_out, (H - 1) s - 2 pad + d (k - 1) + output_padding + 1, ...).
// ATen's argument order (output_padding after padding, dilation last); output_padding < stride or < dilation.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntList stride = 1,
                        IntList padding = 0, IntList output_padding = 0, int64_t groups = 1, IntList dilation = 1);
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntList stride = 1,
                        IntList padding = 0, IntList output_padding = 0, int64_t groups = 1, IntList dilation = 1);
// conv2d's backward primitives (4-D only): the input gradient for an input of size input_size, and the weight
// gradient for a weight of size weight_size, given the output gradient (torch.nn.grad.conv2d_input/_weight).
Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, IntList input_size, IntList stride = 1,
                             IntList padding = 0, IntList dilation = 1, int64_t groups = 1);
Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, IntList weight_size,
                              IntList stride = 1, IntList padding = 0, IntList dilation = 1, int64_t groups = 1);
// stride defaults to kernel_size. Padded positions never win; a NaN in a window wins.
Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  IntList dilation = 1, bool ceil_mode = false);
// (values, indices): indices are int64 flat positions h * W + w within each input plane.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntList kernel_size, IntList stride = {},
                                                   IntList padding = 0, IntList dilation = 1, bool ceil_mode = false);
// dx (zeros of input_size, 4-D) with g added at the indices max_pool2d_with_indices returned.
Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& indices, IntList input_size);
// divisor_override: the window sum divided by this instead of the window size
Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool2d_backward(const Tensor& grad_output, IntList input_size, IntList kernel_size, IntList stride = {},
                           IntList padding = 0, bool ceil_mode = false, bool count_include_pad = true);
Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, IntList input_size);
// (values, indices) over the adaptive windows of adaptive_avg_pool2d: the first maximum wins, a NaN wins; indices
// are int64 flat positions h * W + w within each input plane (max_pool2d_backward scatters the gradient back).
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntList output_size);
// The 1-D and 3-D pooling ops (tensor/ops_pool_nd.cpp), ATen's arguments: (N, C, L) / (C, L) and (N, C, D, H, W) /
// (C, D, H, W) inputs; one value or one per spatial dim for the sizes; stride empty = kernel_size. The 1-D ones run
// the 2-D kernels on (N, C, 1, L); the 3-D ones are separable: the 2-D op over (H, W), then over depth.
Tensor max_pool1d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  IntList dilation = 1, bool ceil_mode = false);
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, IntList kernel_size, IntList stride = {},
                                                   IntList padding = 0, IntList dilation = 1, bool ceil_mode = false);
Tensor avg_pool1d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);
Tensor adaptive_avg_pool1d(const Tensor& input, IntList output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, IntList output_size);
Tensor max_pool3d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  IntList dilation = 1, bool ceil_mode = false);
// indices: flat positions d * H * W + h * W + w within each (D, H, W) input volume
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntList kernel_size, IntList stride = {},
                                                   IntList padding = 0, IntList dilation = 1, bool ceil_mode = false);
// divisor_override: the window sum divided by this instead of the window size
Tensor avg_pool3d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor adaptive_avg_pool3d(const Tensor& input, IntList output_size);
// The inverse of max_pool2d_with_indices: (N, C, oH, oW) zeros with input[n, c, i, j] at flat position
// indices[n, c, i, j] of its plane; output_size = (oH, oW).
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, IntList output_size);

// ---- resampling (tensor/ops_resample.cpp) and CTC (tensor/ops_ctc.cpp), LibTorch's torch:: spellings ------------
// Inputs (N, C, W) for the 1-d forms and (N, C, H, W) for the 2-d ones; output_size holds the spatial sizes.
// scales* are the user's scale factors: given, PyTorch steps the source coordinate by 1 / scale instead of in / out.
// nearest: src = min(floor(dst * step), in - 1). linear / bicubic: src = dst * (in - 1) / (out - 1) with
// align_corners, else (dst + 0.5) * step - 0.5 (clamped at 0 for linear); bicubic uses A = -0.75, edges replicated.
Tensor upsample_nearest1d(const Tensor& input, IntList output_size, std::optional<double> scales = std::nullopt);
Tensor upsample_nearest2d(const Tensor& input, IntList output_size, std::optional<double> scales_h = std::nullopt,
                          std::optional<double> scales_w = std::nullopt);
Tensor upsample_linear1d(const Tensor& input, IntList output_size, bool align_corners,
                         std::optional<double> scales = std::nullopt);
Tensor upsample_bilinear2d(const Tensor& input, IntList output_size, bool align_corners,
                           std::optional<double> scales_h = std::nullopt, std::optional<double> scales_w = std::nullopt);
Tensor upsample_bicubic2d(const Tensor& input, IntList output_size, bool align_corners,
                          std::optional<double> scales_h = std::nullopt, std::optional<double> scales_w = std::nullopt);
// y[n, c, i, j] = input[n, c] sampled at grid[n, i, j] = (x, y) in [-1, 1] (x along W); input (N, C, H, W), grid
// (N, H_out, W_out, 2). interpolation_mode 0 bilinear, 1 nearest (ties to even); padding_mode 0 zeros, 1 border,
// 2 reflection (PyTorch's codes).
Tensor grid_sampler(const Tensor& input, const Tensor& grid, int64_t interpolation_mode, int64_t padding_mode,
                    bool align_corners);
Tensor grid_sampler_2d(const Tensor& input, const Tensor& grid, int64_t interpolation_mode, int64_t padding_mode,
                       bool align_corners);
// (grad_input, grad_grid) of grid_sampler_2d.
std::tuple<Tensor, Tensor> grid_sampler_2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                                                    int64_t interpolation_mode, int64_t padding_mode,
                                                    bool align_corners);
// Connectionist temporal classification. log_probs (T, N, C) (or (T, C) unbatched) log-softmax outputs; targets
// (N, S) padded or 1-d concatenated, without blanks; lengths per sample. (neg_log_likelihood (N), log_alpha
// (N, T, 2 max_target_length + 1)); the CPU recursion (CUDA inputs are copied to the host and back). ctc_loss runs
// _cudnn_ctc_loss instead where PyTorch's rule allows it (tensor/ops_ctc.h).
std::tuple<Tensor, Tensor> _ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                                     IntList target_lengths, int64_t blank = 0, bool zero_infinity = false);
Tensor _ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                          IntList target_lengths, const Tensor& neg_log_likelihood, const Tensor& log_alpha,
                          int64_t blank, bool zero_infinity = false);
// cuDNN's CTC (PyTorch's _cudnn_ctc_loss; CUDA builds linking cuDNN only, reel::Error elsewhere): log_probs (T, N, C)
// float32 on CUDA, targets the concatenated labels as a contiguous 1-D int32 CPU tensor, blank 0, every input length
// T >= 1, target lengths <= min(255, T). Returns (neg_log_likelihood (N), grad (T, N, C)): cuDNN computes the
// gradient in the forward, e^lp - occupancy as _ctc_loss_backward's; a sample no alignment reaches gets an
// infinite loss and a NaN gradient, as the recursion gives. deterministic picks
// cuDNN's deterministic algorithm; zero_infinity zeroes infinite losses' gradients in the backward.
std::tuple<Tensor, Tensor> _cudnn_ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                                           IntList target_lengths, int64_t blank, bool deterministic,
                                           bool zero_infinity);
// Whether ctc_loss runs _cudnn_ctc_loss for these arguments (PyTorch's rule: tensor/ops_ctc.h).
bool _use_cudnn_ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths,
                         IntList target_lengths, int64_t blank);
// reduction: 0 none (per sample), 1 mean (each loss divided by its target length, then the batch mean), 2 sum
// (at::Reduction's values, which reel::nn::Reduction's None / Mean / Sum share).
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths, IntList target_lengths,
                int64_t blank = 0, int64_t reduction = 1, bool zero_infinity = false);
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank = 0, int64_t reduction = 1, bool zero_infinity = false);

// ---- normalization -------------------------------------------------------------------------------------
// Batch normalization with batch statistics (training mode), fused: input (N, C, ...) with N * spatial > 1 values
// per channel; weight and bias (C) or undefined (then 1 and 0). Returns (y, save_mean, save_invstd) with
// save_invstd = 1 / sqrt(biased variance + eps). float32 and float64 only; weight and bias in the input's dtype.
std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     double eps);
// Its backward primitive: (grad_input, grad_weight, grad_bias) from grad_output, the input, the weight (or
// undefined) and the forward's save_mean / save_invstd. Not differentiable itself.
std::tuple<Tensor, Tensor, Tensor> native_batch_norm_backward(const Tensor& grad_output, const Tensor& input,
                                                              const Tensor& weight, const Tensor& save_mean,
                                                              const Tensor& save_invstd, double eps);

// ---- recurrent networks (tensor/ops_rnn.cpp) -----------------------------------------------------------
// Multi-step, multi-layer recurrent nets in one call, as torch::lstm / torch::gru / torch::rnn_tanh / torch::rnn_relu:
// input (T, N, I) or batch_first (N, T, I); hx (layers * directions, N, H); params per layer and direction in
// PyTorch's order {w_ih (G*H, I_l), w_hh (G*H, H)[, b_ih (G*H), b_hh (G*H)]}, G = 4 (LSTM, gates i f g o), 3 (GRU,
// r z n) or 1; dropout applies to every layer's output but the last when train. Each runs as one fused_rnn node (cuDNN
// on CUDA) and returns (output (T, N, D*H) or batch_first (N, T, D*H), h_n[, c_n]). float dtypes only; one device.
// An LSTM projects (PyTorch's proj_size) when h_0's last size S differs from c_0's H: then each layer and direction's
// params end with w_hr (S, H), w_hh is (G*H, S), h_0 / h_n are (layers * D, N, S) and the output has D*S features.
// The packed forms take a PackedSequence's data (R, I) and its batch_sizes (int64, CPU) instead of a padded input
// and return the output packed (R, D*S): each sequence runs exactly its own length in both directions.
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, const std::vector<Tensor>& hx,
                                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool train, bool bidirectional, bool batch_first);
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& data, const Tensor& batch_sizes, const std::vector<Tensor>& hx,
                                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                        double dropout, bool train, bool bidirectional);
std::tuple<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                               bool has_biases, int64_t num_layers, double dropout, bool train, bool bidirectional,
                               bool batch_first);
std::tuple<Tensor, Tensor> gru(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                               const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout,
                               bool train, bool bidirectional);
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first);
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                                    const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                    double dropout, bool train, bool bidirectional);
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& input, const Tensor& hx, const std::vector<Tensor>& params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional, bool batch_first);
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx,
                                    const std::vector<Tensor>& params, bool has_biases, int64_t num_layers,
                                    double dropout, bool train, bool bidirectional);
// The fused op underneath: time-major input (T, N, I), hx (layers * D, N, S) and cx (layers * D, N, H) (cx for LSTM
// only, else undefined; S = proj_size when it is set, LSTM only, else H), weight the flat 1-D concatenation of the
// params (layout in tensor/rnn_params.h). With batch_sizes (int64, CPU; non-increasing, first = N) the input is
// packed (R = sum of batch_sizes, I) and so is the output. Returns (output, h_n, c_n (LSTM) or undefined, reserve):
// the reserve (uint8, opaque) is what the backward needs, left when grad mode is on and an input requires grad.
// No dropout.
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                                     const Tensor& weight, const std::string& mode,
                                                     int64_t num_layers, bool has_biases, bool bidirectional,
                                                     int64_t proj_size = 0, const Tensor& batch_sizes = {});
// Its backward primitive (not differentiable itself): (dinput, dhx, dcx (LSTM) or undefined, dweight) from the
// forward's tensors and reserve; undefined grads count as zeros.
std::tuple<Tensor, Tensor, Tensor, Tensor> fused_rnn_backward(const Tensor& input, const Tensor& hx,
                                                              const Tensor& cx, const Tensor& weight,
                                                              const Tensor& output, const Tensor& reserve,
                                                              const Tensor& grad_output, const Tensor& grad_hy,
                                                              const Tensor& grad_cy, const std::string& mode,
                                                              int64_t num_layers, bool has_biases,
                                                              bool bidirectional, int64_t proj_size = 0,
                                                              const Tensor& batch_sizes = {});

// ---- fused recurrent cells (tensor/ops_rnn_cell.cpp) -------------------------------------------------------------
// The pointwise tail of one cell step as one op (PyTorch's _thnn_fused_* names and argument order), given the gate
// pre-activations. Gates are (..., G * H) with any leading dims (each leading index a row), states (..., H) with the
// same leading dims; an optional bias (undefined: none) is 1-D (G * H), shared by every row. Floating dtypes, one
// dtype and device for every tensor. The workspace output holds what the backward needs.
// LSTM, gates [i f g o]: cy = σ(f) cx + σ(i) tanh(g), hy = σ(o) tanh(cy). Returns (hy, cy, workspace (..., 4 H)).
std::tuple<Tensor, Tensor, Tensor> _thnn_fused_lstm_cell(const Tensor& input_gates, const Tensor& hidden_gates,
                                                         const Tensor& cx, const Tensor& input_bias = {},
                                                         const Tensor& hidden_bias = {});
// Its backward (not differentiable): (d gates (..., 4 H), dcx, d bias (4 H) when has_bias, else undefined); an
// undefined grad_hy or grad_cy counts as zeros, and with both undefined every result is undefined (PyTorch's rule).
std::tuple<Tensor, Tensor, Tensor> _thnn_fused_lstm_cell_backward_impl(const Tensor& grad_hy, const Tensor& grad_cy,
                                                                       const Tensor& cx, const Tensor& cy,
                                                                       const Tensor& workspace, bool has_bias);
// GRU, gates [r z n]: r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r h_n), hy = n + z (hx - n), each bias
// added to its side (b_hn inside r's product). Returns (hy, workspace (..., 5 H)).
std::tuple<Tensor, Tensor> _thnn_fused_gru_cell(const Tensor& input_gates, const Tensor& hidden_gates, const Tensor& hx,
                                                const Tensor& input_bias = {}, const Tensor& hidden_bias = {});
// Its backward (not differentiable): (d input gates, d hidden gates, dhx, d input bias, d hidden bias), the bias
// gradients undefined unless has_bias.
std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor> _thnn_fused_gru_cell_backward(const Tensor& grad_hy,
                                                                                 const Tensor& workspace,
                                                                                 bool has_bias);
// The N-ary Tree-LSTM node of nn::BinaryTreeLSTMCell (reel's own op) with k = children_c.size() children (0 to 5):
// input_gates (..., 4 H) in [i f o u] (the x side), hidden_gates (..., (3 + k) H) in [i f_1..f_k o u] and bias
// (4 H) in [i f o u] are each optional (at least one of the gate tensors is given); the x side and bias of f serve
// every child's forget gate. c = σ(i) tanh(u) + Σ_k σ(f_k) c_k, h = σ(o) tanh(c). Returns (h, c, workspace (...,
// (3 + k) H)).
std::tuple<Tensor, Tensor, Tensor> _fused_tree_lstm_cell(const Tensor& input_gates, const Tensor& hidden_gates,
                                                         const Tensor& bias, const std::vector<Tensor>& children_c);
// Its backward (not differentiable): (d input gates (..., 4 H) [i Σf o u] when input_gates_grad or has_bias, d hidden
// gates (..., (3 + k) H) when hidden_gates_grad, d bias (4 H) when has_bias, dc_k per child); undefined grad_h or
// grad_c count as zeros.
std::tuple<Tensor, Tensor, Tensor, std::vector<Tensor>> _fused_tree_lstm_cell_backward(
    const Tensor& grad_h, const Tensor& grad_c, const Tensor& c, const Tensor& workspace,
    const std::vector<Tensor>& children_c, bool input_gates_grad, bool hidden_gates_grad, bool has_bias);

// ---- advanced indexing, masks and the index ops (tensor/ops_advanced_index.cpp, ops_scatter_reduce.cpp,
//      ops_shape_extras.cpp, ops_compare.cpp; the TensorIndex API x.index({...}) is tensor/indexing.h) -------------
// at::index: indices[d] (when present) indexes dim d of self; bool/uint8 masks stand for their nonzero columns and
// cover as many dims as they have; the index tensors broadcast together to B, which replaces the indexed dims when
// they are adjacent and comes first otherwise. Negative indices count from the end.
Tensor index(const Tensor& self, const std::vector<std::optional<Tensor>>& indices);
// self[indices] = values (accumulate: +=, duplicates add up), values broadcast to the indexed shape, of self's dtype.
Tensor index_put(const Tensor& self, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                 bool accumulate = false);
Tensor& index_put_(Tensor& self, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                   bool accumulate = false);
Tensor nonzero(const Tensor& self);   // [n, self.dim()] int64 coordinates of the nonzeros, row-major order
Tensor argwhere(const Tensor& self);  // nonzero
// torch::where(condition): the coordinates of the true elements, one int64 tensor per dim (nonzero's columns).
std::vector<Tensor> where(const Tensor& condition);
Tensor take(const Tensor& self, const Tensor& index);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim = std::nullopt);
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);  // 0-dim value
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
// scatter with reduce "add" or "multiply" (self's values take part).
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value, std::string_view reduce);
// reduce: "sum", "prod", "mean", "amax" or "amin"; include_self = false leaves self's value out wherever a src value
// lands (a mean over integers rounds down, as PyTorch's).
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      std::string_view reduce, bool include_self = true);
// repeats: one count per element along dim (or a single count); no dim: over the flattened input. The form with
// only repeats gives the indices [0]*repeats[0] + [1]*repeats[1] + ....
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt);
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                         std::optional<int64_t> output_size = std::nullopt);
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size = std::nullopt);
std::vector<Tensor> tensor_split(const Tensor& self, int64_t sections, int64_t dim = 0);
std::vector<Tensor> tensor_split(const Tensor& self, IntList indices, int64_t dim = 0);
std::vector<Tensor> tensor_split(const Tensor& self, const Tensor& tensor_indices_or_sections, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& self, IntList split_sizes, int64_t dim = 0);
Tensor movedim(const Tensor& self, IntList source, IntList destination);
Tensor movedim(const Tensor& self, int64_t source, int64_t destination);
Tensor moveaxis(const Tensor& self, IntList source, IntList destination);
Tensor moveaxis(const Tensor& self, int64_t source, int64_t destination);
Tensor unflatten(const Tensor& self, int64_t dim, IntList sizes);
Tensor roll(const Tensor& self, IntList shifts, IntList dims = {});
Tensor rot90(const Tensor& self, int64_t k = 1, IntList dims = {0, 1});
Tensor max(const Tensor& self, const Tensor& other);  // maximum
Tensor min(const Tensor& self, const Tensor& other);  // minimum
Tensor isclose(const Tensor& self, const Tensor& other, double rtol = 1e-05, double atol = 1e-08,
               bool equal_nan = false);
bool allclose(const Tensor& self, const Tensor& other, double rtol = 1e-05, double atol = 1e-08,
              bool equal_nan = false);
bool equal(const Tensor& self, const Tensor& other);

// ---- operators -----------------------------------------------------------------------------------------
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
inline Tensor operator+(Scalar a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
inline Tensor operator-(Scalar a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
inline Tensor operator*(Scalar a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
inline Tensor operator/(Scalar a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
inline Tensor operator&(const Tensor& a, Scalar b) { return bitwise_and(a, b); }
inline Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
inline Tensor operator|(const Tensor& a, Scalar b) { return bitwise_or(a, b); }
inline Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }
inline Tensor operator^(const Tensor& a, Scalar b) { return bitwise_xor(a, b); }
inline Tensor operator<<(const Tensor& a, const Tensor& b) { return bitwise_left_shift(a, b); }
inline Tensor operator<<(const Tensor& a, Scalar b) { return bitwise_left_shift(a, b); }
inline Tensor operator>>(const Tensor& a, const Tensor& b) { return bitwise_right_shift(a, b); }
inline Tensor operator>>(const Tensor& a, Scalar b) { return bitwise_right_shift(a, b); }
inline Tensor operator~(const Tensor& x) { return bitwise_not(x); }
inline Tensor operator!(const Tensor& x) { return logical_not(x); }
inline Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
inline Tensor operator==(const Tensor& a, Scalar b) { return eq(a, b); }
inline Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
inline Tensor operator!=(const Tensor& a, Scalar b) { return ne(a, b); }
inline Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
inline Tensor operator<(const Tensor& a, Scalar b) { return lt(a, b); }
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
inline Tensor operator<=(const Tensor& a, Scalar b) { return le(a, b); }
inline Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
inline Tensor operator>(const Tensor& a, Scalar b) { return gt(a, b); }
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
inline Tensor operator>=(const Tensor& a, Scalar b) { return ge(a, b); }

}  // namespace reel

#include "ops_inl.h"
