// reel/tensor/tensor.h — reel::Tensor, the handle users hold.
//
// A Tensor is an intrusive pointer to a TensorImpl: sizes, strides and an element offset into a shared
// Storage, plus dtype, device and (once autograd is involved) an AutogradMeta. Copying a Tensor copies the
// handle, not the data, exactly as in LibTorch. The methods below are thin: each forwards to the free
// function of the same name in ops.h, which is the single front door where ops are checked, dispatched
// to a backend kernel and recorded for autograd.
//
// A tensor of layout kSparse (a row-sparse gradient, Note [Row-sparse gradients] in docs/NOTES.md) has no storage:
// its value is given by row indices and rows (TensorImpl::sparse); is_sparse(), _indices(), _values(), coalesce()
// and to_dense() read it (tensor/sparse.cpp), and dense ops refuse it by name.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "callback.h"
#include "device.h"
#include "dtype.h"
#include "error.h"
#include "options.h"
#include "scalar.h"
#include "shape.h"
#include "storage.h"

namespace reel {

struct OpAttrs;  // an op call's attributes (tensor/op_attrs.h)

namespace autograd {
struct Node;
// Releases one reference to a node (autograd/node.cpp). tensor/ holds nodes only through this.
void release_node(Node* node);
void retain_node(Node* node);
const char* node_name(const Node* node);  // e.g. "MulBackward"

// What Tensor::grad_fn() returns: the node pointer (it converts to autograd::Node* for the library), with LibTorch's
// `grad_fn()->name()`: the node stays internal (autograd/node.h), so `->` reaches this handle, which forwards.
class GradFn {
 public:
  GradFn(Node* node = nullptr) : node_(node) {}  // NOLINT: implicit, a pointer
  operator Node*() const { return node_; }       // NOLINT: implicit, a pointer
  Node* get() const { return node_; }
  const GradFn* operator->() const { return this; }
  // PyTorch's name of the node ("MulBackward0", a custom function's class name); see autograd/node.h.
  std::string name() const;
  // The op's attributes (autograd/node.h: Node::attrs).
  const OpAttrs& attrs() const;
  friend bool operator==(const GradFn& a, std::nullptr_t) { return a.node_ == nullptr; }
  friend bool operator==(const GradFn& a, const Node* b) { return a.node_ == b; }

 private:
  Node* node_;
};
}  // namespace autograd

struct TensorImpl;
namespace indexing {
class TensorIndex;  // tensor/indexing.h: one entry of x.index({...}) (Slice, None, Ellipsis, integer, bool, Tensor)
}
template <typename T, size_t N>
class TensorAccessor;  // tensor/accessor.h: x.accessor<T, N>()
namespace detail {
// Rebuilds the history of a view whose base's history changed (autograd/record.cpp).
void refresh_view_history(const TensorImpl& view);
// Runs the ops an open autobatch::Scope recorded so that `impl` (an output of one of them) has its value
// (autobatch/execute.cpp); throws the error of a failed batch run.
void materialize_pending(const TensorImpl& impl);
// The row indices and rows of a sparse tensor (tensor/sparse.h); deleted by release_sparse_parts.
struct SparseParts;
void release_sparse_parts(SparseParts* parts);
}  // namespace detail

// How a tensor's elements are held: strided (dense memory) or sparse (row indices and rows), as LibTorch's
// torch::kStrided and torch::kSparse.
enum class Layout : uint8_t { Strided, Sparse };
constexpr Layout kStrided = Layout::Strided;
constexpr Layout kSparse = Layout::Sparse;

// The rarer autograd state of a tensor (.grad of a leaf, hooks, retain_grad). Defined by autograd/;
// tensor/ only owns it. The hot part, grad_fn and output_nr, sits inline in TensorImpl.
struct AutogradMetaBase {
  virtual ~AutogradMetaBase() = default;
};

struct TensorImpl {
  RefCount refcount{0};
  ScalarType dtype = kFloat32;
  Device device;
  bool requires_grad = false;
  bool is_contiguous = true;
  bool is_view = false;  // made by a view op over another tensor's storage (see Note [In-place ops and autograd])
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DimVector sizes;
  DimVector strides;  // in elements
  Storage storage;
  autograd::Node* grad_fn = nullptr;  // one counted reference; null for leaves and for tensors off the tape
  uint32_t output_nr = 0;             // which output of grad_fn this tensor is
  // Bumped whenever this tensor's history is replaced in place (an in-place op, a write through one of its
  // views, requires_grad_): views of it compare it with their copy and rebuild their own history.
  uint32_t history_version = 0;
  // Views made by a view op: the root tensor (never itself a view) whose storage they view, and the root's
  // history_version when this view's history was last set (Note [In-place ops and autograd]).
  uint32_t view_base_history = 0;
  // Automatic batching (autobatch/): 1 + the index of the recorded op whose output this tensor is, while that op
  // has not run (storage is null until then; sizes, dtype and device are known); 0 for every other tensor.
  uint32_t pending_node = 0;
  IntrusivePtr<TensorImpl> view_base;
  std::unique_ptr<AutogradMetaBase> autograd;
  // Set only for a sparse tensor (then storage is null and strides empty): its row indices and rows, owned.
  detail::SparseParts* sparse = nullptr;

  TensorImpl() = default;
  static void* operator new(size_t size);  // per-thread pool (tensor/pool.h)
  static void operator delete(void* p, size_t size);
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl() {
    if (grad_fn != nullptr) autograd::release_node(grad_fn);
    if (sparse != nullptr) [[unlikely]]
      detail::release_sparse_parts(sparse);
  }
  void refresh_contiguity();  // recomputes is_contiguous from sizes/strides
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor
  explicit Tensor(IntrusivePtr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A new tensor of `sizes` (row-major) over freshly allocated storage; values uninitialised. Errors (negative
  // sizes, overflow, an unavailable device) name `op`.
  static Tensor make(IntList sizes, ScalarType dtype, Device device, const char* op = "empty");
  // The same on the CPU, in pinned host memory from the CUDA backend (reel::Error in a build without CUDA).
  static Tensor make_pinned(IntList sizes, ScalarType dtype, const char* op = "pin_memory");
  // A view: shares `storage`, with its own sizes/strides/offset.
  static Tensor make_view(const Tensor& base, IntList sizes, IntList strides, int64_t offset);

  // ---- metadata -------------------------------------------------------------------------------------
  // Each accessor below throws reel::Error ("<accessor>: called on an undefined tensor") on an undefined tensor.
  bool defined() const { return impl_.get() != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  int64_t dim() const { return static_cast<int64_t>(meta("dim").sizes.size()); }
  int64_t ndimension() const { return dim(); }
  IntList sizes() const { return meta("sizes").sizes; }
  IntList strides() const {
    const TensorImpl& m = meta("strides");
    if (m.sparse != nullptr) [[unlikely]]
      check_defined("strides");  // a sparse tensor has none: throws naming the accessor
    return m.strides;
  }
  int64_t size(int64_t d) const;    // negative d wraps
  int64_t stride(int64_t d) const;  // negative d wraps
  int64_t numel() const { return meta("numel").numel; }
  ScalarType dtype() const { return meta("dtype").dtype; }
  ScalarType scalar_type() const { return meta("scalar_type").dtype; }
  Device device() const { return meta("device").device; }
  bool is_cpu() const { return meta("is_cpu").device.is_cpu(); }
  bool is_cuda() const { return meta("is_cuda").device.is_cuda(); }
  bool is_contiguous() const { return meta("is_contiguous").is_contiguous; }
  bool is_floating_point() const { return reel::is_floating_point(meta("is_floating_point").dtype); }
  int64_t storage_offset() const { return meta("storage_offset").offset; }
  int64_t element_size() const { return reel::element_size(meta("element_size").dtype); }
  int64_t nbytes() const { return numel() * element_size(); }
  const Storage& storage() const { return storage_meta("storage").storage; }
  TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
  uint32_t version() const { return storage_meta("version").storage->version; }
  // LibTorch's spelling of version(): the storage's in-place write counter.
  int64_t _version() const { return static_cast<int64_t>(version()); }
  void bump_version() const { ++storage_meta("bump_version").storage->version; }
  bool is_same(const Tensor& other) const { return impl_.get() == other.impl_.get(); }
  int32_t use_count() const { return impl_.use_count(); }

  // Pointer to the first element (storage data + offset).
  void* data_ptr() const;
  // Typed pointer; throws reel::Error when T does not match dtype().
  template <typename T>
  T* data_ptr() const {
    check_dtype_is(dtype_of_v<T>, "data_ptr");
    return static_cast<T*>(data_ptr());
  }
  // The single value of a one-element tensor (copied to the host if needed).
  Scalar item() const;
  template <typename T>
  T item() const {
    return item().to<T>();
  }
  // All values as a std::vector<T> in row-major order (converted from any dtype, copied from any device).
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- autograd (defined in autograd/; see docs/autograd.md) --------------------------------------------
  // True for leaves marked with requires_grad_ and for every output of a recorded op.
  // (An output of an op an autobatch::Scope recorded and has not run yet answers without running it.)
  bool requires_grad() const { return fresh_meta("requires_grad", false).requires_grad; }
  Tensor& requires_grad_(bool on = true);  // leaves only, floating dtypes only
  Tensor& set_requires_grad(bool on) { return requires_grad_(on); }
  // The accumulated gradient of a leaf (or of a non-leaf after retain_grad()); undefined when none.
  const Tensor& grad() const;
  Tensor& mutable_grad();
  bool is_leaf() const { return fresh_meta("is_leaf").grad_fn == nullptr; }
  autograd::GradFn grad_fn() const { return fresh_meta("grad_fn").grad_fn; }
  uint32_t output_nr() const { return impl_->output_nr; }
  // Backpropagates from this tensor; `gradient` defaults to ones for a one-element tensor.
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  Tensor detach() const;  // same storage, off the tape
  Tensor& detach_();
  void retain_grad() const;
  bool retains_grad() const;
  // Calls hook(grad) whenever this tensor's gradient is computed; a hook returning a Tensor replaces it.
  template <typename Hook>
  unsigned register_hook(Hook&& hook) const {
    if constexpr (std::is_void_v<std::invoke_result_t<Hook&, const Tensor&>>) {
      return add_hook([h = std::forward<Hook>(hook)](const Tensor& grad) mutable {
        h(grad);
        return Tensor();
      });
    } else {
      return add_hook(Callback<Tensor(const Tensor&)>(std::forward<Hook>(hook)));
    }
  }
  void remove_hook(unsigned handle) const;
  unsigned add_hook(Callback<Tensor(const Tensor&)> hook) const;

  // ---- conversion and copies ------------------------------------------------------------------------
  Tensor to(ScalarType dtype) const;
  Tensor to(Device device, bool non_blocking = false) const;
  Tensor to(DeviceType device, bool non_blocking = false) const { return to(Device(device), non_blocking); }
  Tensor to(Device device, ScalarType dtype, bool non_blocking = false) const;
  Tensor to(const TensorOptions& options) const;
  Tensor cpu() const { return to(Device(kCPU)); }
  Tensor cuda(int index = 0) const { return to(Device(kCUDA, index)); }
  Tensor contiguous() const;
  Tensor clone() const;
  // Makes this tensor show new_data's storage, layout, dtype and device in place, keeping its identity (every
  // handle to it sees the change) and its requires_grad flag; how Module::to moves parameters.
  void set_data(const Tensor& new_data);
  // non_blocking: a copy between a pinned CPU tensor and a CUDA tensor may return before it has finished
  // (synchronise the stream, or an Event, before touching the host memory); otherwise copies are synchronous.
  Tensor& copy_(const Tensor& src, bool non_blocking = false);
  // A copy of this CPU tensor in page-locked (pinned) host memory, itself when already pinned; needs CUDA.
  Tensor pin_memory() const;
  bool is_pinned() const;  // storage from the pinned host allocator (pin_memory, to(kCPU, non_blocking=true))
  Tensor& fill_(Scalar value);
  Tensor& zero_();
  // ---- random fills and sampling (tensor/random.cpp, tensor/random_sampling.cpp) -----------------------
  Tensor& uniform_(double from = 0, double to = 1);
  Tensor& normal_(double mean = 0, double std = 1);
  Tensor& random_();                                          // [0, 2^digits] floats, [0, max] integers
  Tensor& random_(int64_t to);                                // [0, to)
  Tensor& random_(int64_t from, std::optional<int64_t> to);   // [from, to), to absent: [from, max]
  Tensor& exponential_(double lambd = 1);
  Tensor& geometric_(double p);
  Tensor& cauchy_(double median = 0, double sigma = 1);
  Tensor& log_normal_(double mean = 1, double std = 2);
  Tensor& bernoulli_(double p = 0.5);
  Tensor& bernoulli_(const Tensor& p);
  Tensor bernoulli() const;  // each element a Bernoulli draw with this tensor's value as its probability
  Tensor multinomial(int64_t num_samples, bool replacement = false) const;

  // ---- views (share storage) ------------------------------------------------------------------------
  Tensor view(IntList sizes) const;
  Tensor reshape(IntList sizes) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor permute(IntList dims) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(IntList sizes) const;
  Tensor expand_as(const Tensor& other) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start = std::nullopt, std::optional<int64_t> end = std::nullopt,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor as_strided(IntList sizes, IntList strides, std::optional<int64_t> storage_offset = std::nullopt) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(IntList split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  Tensor operator[](int64_t index) const { return select(0, index); }

  // ---- elementwise (one method and one in-place form per op-table row) --------------------------------
#define REEL_UNARY_OP(name, functor, result, math) \
  Tensor name() const;                             \
  Tensor& name##_();
#define REEL_BINARY_OP(name, functor, result, math) \
  Tensor name(const Tensor& other) const;            \
  Tensor name(Scalar other) const;                   \
  Tensor& name##_(const Tensor& other);              \
  Tensor& name##_(Scalar other);
#include "ops.def"
  Tensor add(const Tensor& other, Scalar alpha) const;
  Tensor sub(const Tensor& other, Scalar alpha) const;
  Tensor& add_(const Tensor& other, Scalar alpha);
  Tensor& sub_(const Tensor& other, Scalar alpha);
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
  Tensor addcmul(const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1) const;
  Tensor addcdiv(const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1) const;
  // In place: one pass straight into self when nothing is recorded (the optimizers' updates).
  Tensor& addcmul_(const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1);
  Tensor& addcdiv_(const Tensor& tensor1, const Tensor& tensor2, Scalar value = 1);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
  Tensor masked_fill(const Tensor& mask, Scalar value) const;
  Tensor& masked_fill_(const Tensor& mask, Scalar value);
  Tensor where(const Tensor& condition, const Tensor& other) const;  // condition ? *this : other
  // pointwise math beyond the basics (tensor/ops_pointwise_math.cpp), as LibTorch's methods
  Tensor div(const Tensor& other, std::optional<std::string_view> rounding_mode) const;
  Tensor div(Scalar other, std::optional<std::string_view> rounding_mode) const;
  Tensor& div_(const Tensor& other, std::optional<std::string_view> rounding_mode);
  Tensor& div_(Scalar other, std::optional<std::string_view> rounding_mode);
  Tensor lerp(const Tensor& end, Scalar weight) const;
  Tensor lerp(const Tensor& end, const Tensor& weight) const;
  Tensor& lerp_(const Tensor& end, Scalar weight);
  Tensor& lerp_(const Tensor& end, const Tensor& weight);
  Tensor clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt) const;
  Tensor& clamp_(const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor& masked_fill_(const Tensor& mask, const Tensor& value);
  Tensor logit(std::optional<double> eps = std::nullopt) const;
  Tensor& logit_(std::optional<double> eps = std::nullopt);
  Tensor nan_to_num(std::optional<double> nan = std::nullopt, std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt) const;
  Tensor& nan_to_num_(std::optional<double> nan = std::nullopt, std::optional<double> posinf = std::nullopt,
                      std::optional<double> neginf = std::nullopt);
  Tensor polygamma(int64_t n) const;
  Tensor& polygamma_(int64_t n);

  // ---- reductions -----------------------------------------------------------------------------------
  Tensor sum() const;
  Tensor sum(IntList dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(IntList dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor amax(IntList dims = {}, bool keepdim = false) const;
  Tensor amin(IntList dims = {}, bool keepdim = false) const;
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  // var and std take LibTorch's overload set, so each spelling means what it means there (the list with the
  // LibTorch declarations: test/test_libtorch_spellings.cpp): x.var() and x.var(true) reduce everything, unbiased;
  // x.var(1) and x.var({1}) reduce dim 1 (LibTorch's C++-only var(int dim), gh-40287); an integer after a dim list
  // is read as `unbiased` (x.var({1}, 2) is unbiased, not correction 2); a correction is passed as a Scalar:
  // x.var({1}, reel::Scalar(2)).
  Tensor var(bool unbiased = true) const;
  Tensor var(int dim) const;
  Tensor var(IntList dims, bool unbiased = true, bool keepdim = false) const;
  // A braced list of several dims (`x.var({0, 1})`) would otherwise match no overload better than another.
  Tensor var(std::initializer_list<int64_t> dims, bool unbiased = true, bool keepdim = false) const {
    return var(IntList(dims), unbiased, keepdim);
  }
  Tensor var(IntList dims, std::optional<Scalar> correction, bool keepdim = false) const;
  Tensor std(bool unbiased = true) const;
  Tensor std(int dim) const;
  Tensor std(IntList dims, bool unbiased = true, bool keepdim = false) const;
  Tensor std(std::initializer_list<int64_t> dims, bool unbiased = true, bool keepdim = false) const {
    return std(IntList(dims), unbiased, keepdim);
  }
  Tensor std(IntList dims, std::optional<Scalar> correction, bool keepdim = false) const;
  Tensor logsumexp(IntList dims, bool keepdim = false) const;
  Tensor norm(Scalar p = 2) const;
  Tensor norm(Scalar p, IntList dims, bool keepdim = false) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;

  // ---- linear algebra, shape and index ops ----------------------------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1) const;
  // self = beta * self + alpha * mat1 @ mat2, in place (one GEMM straight into self when it is contiguous).
  Tensor& addmm_(const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1);
  Tensor outer(const Tensor& other) const;
  Tensor dot(const Tensor& tensor) const;
  Tensor vdot(const Tensor& other) const;
  Tensor mv(const Tensor& vec) const;
  Tensor addmv(const Tensor& mat, const Tensor& vec, Scalar beta = 1, Scalar alpha = 1) const;
  Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1) const;
  Tensor addbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1) const;
  Tensor kron(const Tensor& other) const;
  Tensor trace() const;
  Tensor diag(int64_t diagonal = 0) const;
  Tensor diag_embed(int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1) const;
  Tensor cross(const Tensor& other, std::optional<int64_t> dim = std::nullopt) const;
  Tensor flip(IntList dims) const;
  Tensor repeat(IntList repeats) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, Scalar value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- sorting, selection, counting and scans (declared with the free functions in tensor/ops.h) -----------
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> sort(std::optional<bool> stable, int64_t dim = -1, bool descending = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  Tensor argsort(bool stable, int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  std::tuple<Tensor, Tensor> kthvalue(int64_t k, int64_t dim = -1, bool keepdim = false) const;
  Tensor median() const;
  std::tuple<Tensor, Tensor> median(int64_t dim, bool keepdim = false) const;
  Tensor nanmedian() const;
  std::tuple<Tensor, Tensor> nanmedian(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> mode(int64_t dim = -1, bool keepdim = false) const;
  std::tuple<Tensor, Tensor, Tensor> unique_consecutive(bool return_inverse = false, bool return_counts = false,
                                                        std::optional<int64_t> dim = std::nullopt) const;
  Tensor bincount(const Tensor& weights = Tensor(), int64_t minlength = 0) const;
  Tensor histc(int64_t bins = 100, Scalar min = 0, Scalar max = 0) const;
  Tensor cumsum(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor cumprod(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor logcumsumexp(int64_t dim) const;
  std::tuple<Tensor, Tensor> cummax(int64_t dim) const;
  std::tuple<Tensor, Tensor> cummin(int64_t dim) const;
  Tensor nansum(IntList dims = {}, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor count_nonzero(IntList dims) const;
  Tensor count_nonzero(std::optional<int64_t> dim = std::nullopt) const;
  std::tuple<Tensor, Tensor> aminmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor sum(ScalarType dtype) const;
  Tensor sum(IntList dims, bool keepdim, std::optional<ScalarType> dtype) const;
  Tensor mean(ScalarType dtype) const;
  Tensor mean(IntList dims, bool keepdim, std::optional<ScalarType> dtype) const;
  Tensor softmax(int64_t dim, std::optional<ScalarType> dtype) const;
  Tensor log_softmax(int64_t dim, std::optional<ScalarType> dtype) const;

  // ---- indexing API, masks and the index ops (tensor/indexing.cpp, ops_advanced_index.cpp, ops_scatter_reduce.cpp,
  //      ops_shape_extras.cpp, ops_compare.cpp; declared with their free functions in tensor/ops.h) -----------------
  // x.index({Slice(1, None, 2), 0, Ellipsis, None, mask, idx}): PyTorch's x[1::2, 0, ..., None, mask, idx]. Slices,
  // integers, None and Ellipsis give a view; tensors (and bools) index advanced, into a new tensor.
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  // x.index_put_({...}, v): PyTorch's x[...] = v (v broadcast to the indexed region, cast to x's dtype).
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& rhs);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, Scalar v);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& rhs);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, Scalar v);
  // The kernel forms (at::index / at::index_put_): one optional index tensor per leading dim.
  Tensor index(const std::vector<std::optional<Tensor>>& indices) const;
  Tensor index_put(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                   bool accumulate = false) const;
  Tensor& index_put_(const std::vector<std::optional<Tensor>>& indices, const Tensor& values, bool accumulate = false);
  // Element access on the CPU: x.accessor<float, 2>()[i][j] (tensor/accessor.h).
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() const&;
  template <typename T, size_t N>
  TensorAccessor<T, N> accessor() && = delete;
  Tensor take(const Tensor& index) const;
  Tensor take_along_dim(const Tensor& indices, std::optional<int64_t> dim = std::nullopt) const;
  Tensor masked_select(const Tensor& mask) const;
  Tensor masked_scatter(const Tensor& mask, const Tensor& source) const;
  Tensor& masked_scatter_(const Tensor& mask, const Tensor& source);
  Tensor nonzero() const;
  Tensor argwhere() const;
  Tensor index_fill(int64_t dim, const Tensor& index, Scalar value) const;
  Tensor index_fill(int64_t dim, const Tensor& index, const Tensor& value) const;
  Tensor& index_fill_(int64_t dim, const Tensor& index, Scalar value);
  Tensor& index_fill_(int64_t dim, const Tensor& index, const Tensor& value);
  Tensor index_copy(int64_t dim, const Tensor& index, const Tensor& source) const;
  Tensor& index_copy_(int64_t dim, const Tensor& index, const Tensor& source);
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce) const;
  Tensor scatter(int64_t dim, const Tensor& index, Scalar value, std::string_view reduce) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce);
  Tensor scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                        bool include_self = true) const;
  Tensor& scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, std::string_view reduce,
                          bool include_self = true);
  Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim = std::nullopt,
                           std::optional<int64_t> output_size = std::nullopt) const;
  Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt,
                           std::optional<int64_t> output_size = std::nullopt) const;
  std::vector<Tensor> tensor_split(int64_t sections, int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(IntList indices, int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(const Tensor& tensor_indices_or_sections, int64_t dim = 0) const;
  std::vector<Tensor> split_with_sizes(IntList split_sizes, int64_t dim = 0) const;
  Tensor unfold(int64_t dimension, int64_t size, int64_t step) const;
  Tensor movedim(IntList source, IntList destination) const;
  Tensor movedim(int64_t source, int64_t destination) const;
  Tensor moveaxis(IntList source, IntList destination) const;
  Tensor moveaxis(int64_t source, int64_t destination) const;
  Tensor unflatten(int64_t dim, IntList sizes) const;
  Tensor roll(IntList shifts, IntList dims = {}) const;
  Tensor rot90(int64_t k = 1, IntList dims = {0, 1}) const;
  Tensor view_as(const Tensor& other) const;
  Tensor type_as(const Tensor& other) const;
  Tensor new_zeros(IntList size, TensorOptions options = {}) const;
  Tensor new_ones(IntList size, TensorOptions options = {}) const;
  Tensor new_full(IntList size, Scalar fill_value, TensorOptions options = {}) const;
  Tensor new_empty(IntList size, TensorOptions options = {}) const;
  Tensor to(const Tensor& other, bool non_blocking = false, bool copy = false) const;  // other's dtype and device
  Tensor max(const Tensor& other) const;  // maximum
  Tensor min(const Tensor& other) const;  // minimum
  Tensor isclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;
  bool allclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;
  bool equal(const Tensor& other) const;

  // ---- compound assignment --------------------------------------------------------------------------
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(Scalar other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(Scalar other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(Scalar other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(Scalar other) { return div_(other); }
  Tensor& operator&=(const Tensor& other) { return bitwise_and_(other); }
  Tensor& operator&=(Scalar other) { return bitwise_and_(other); }
  Tensor& operator|=(const Tensor& other) { return bitwise_or_(other); }
  Tensor& operator|=(Scalar other) { return bitwise_or_(other); }
  Tensor& operator^=(const Tensor& other) { return bitwise_xor_(other); }
  Tensor& operator^=(Scalar other) { return bitwise_xor_(other); }
  Tensor& operator<<=(const Tensor& other) { return bitwise_left_shift_(other); }
  Tensor& operator<<=(Scalar other) { return bitwise_left_shift_(other); }
  Tensor& operator>>=(const Tensor& other) { return bitwise_right_shift_(other); }
  Tensor& operator>>=(Scalar other) { return bitwise_right_shift_(other); }

  std::string str() const;  // the printed form, as operator<< writes it

  // ---- sparse tensors (tensor/sparse.cpp; Note [Row-sparse gradients]) --------------------------------
  // A sparse tensor of sizes [n, ...] holds nnz rows: _indices() [1, nnz] int64 (the row of each), _values()
  // [nnz, ...] (the rows). Its value is zeros with each row added in at its index (repeated indices add up).
  bool is_sparse() const { return meta("is_sparse").sparse != nullptr; }
  Layout layout() const { return is_sparse() ? kSparse : kStrided; }
  Tensor _indices() const;        // shares memory with the tensor's indices
  Tensor _values() const;         // shares memory with the tensor's rows
  Tensor indices() const;         // _indices() of a coalesced tensor (throws for an uncoalesced one)
  Tensor values() const;          // _values() of a coalesced tensor (throws for an uncoalesced one)
  int64_t _nnz() const;           // the number of rows held
  int64_t sparse_dim() const;     // 1 for a sparse tensor, 0 for a strided one
  int64_t dense_dim() const;      // dim() - sparse_dim()
  bool is_coalesced() const;      // indices sorted and unique
  Tensor coalesce() const;        // duplicate rows summed, indices sorted; itself when already coalesced
  Tensor to_dense() const;        // a strided tensor of the same value; itself when already strided

  // Throws reel::Error unless the tensor is defined and strided (names `op`; a sparse tensor's message points to
  // to_dense()). Every dense front door calls it on its operands: inline, with the throwing part out of line.
  void check_defined(const char* op) const {
    if (impl_.get() == nullptr || impl_->sparse != nullptr) [[unlikely]]
      refuse(op);
  }
  // Throws reel::Error unless the tensor is defined, of either layout (names `op`).
  void check_defined_any_layout(const char* op) const;

 private:
  void check_dtype_is(ScalarType expected, const char* op) const;
  // The error of check_defined: an undefined or a sparse tensor given to `op` (a cold call).
  [[noreturn]] void refuse(const char* op) const;
  // The impl of a defined tensor; throws reel::Error naming `accessor` for an undefined one (a cold call).
  const TensorImpl& meta(const char* accessor) const {
    if (impl_.get() == nullptr) [[unlikely]]
      check_defined(accessor);
    return *impl_;
  }
  // meta() for accessors of the memory (storage, version): a sparse tensor has none, so they throw for it.
  const TensorImpl& storage_meta(const char* accessor) const {
    if (impl_.get() == nullptr || impl_->sparse != nullptr) [[unlikely]]
      check_defined(accessor);
    if (impl_->pending_node != 0) [[unlikely]]
      detail::materialize_pending(*impl_);
    return *impl_;
  }
  // meta() for the autograd accessors: a view whose base's history changed since its own was set (an in-place
  // op on the base or through another view) first rebuilds its history from the base's.
  // `materialize`: an output of a recorded, not yet run op (autobatch) runs first.
  const TensorImpl& fresh_meta(const char* accessor, bool materialize = true) const {
    const TensorImpl& m = meta(accessor);
    if (m.pending_node != 0 && materialize) [[unlikely]]
      detail::materialize_pending(m);
    if (m.view_base && m.view_base->history_version != m.view_base_history) [[unlikely]]
      detail::refresh_view_history(m);
    return m;
  }
  IntrusivePtr<TensorImpl> impl_;
};

}  // namespace reel
