// reel/cuda/rnn.cpp — CUDA kernels of the fused multi-step RNN ops (fused_rnn, fused_rnn_backward): cuDNN's RNN
// (v8 API: cudnnRNNForward, cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8), the counterpart of cpu/rnn.cpp.
//
// cuDNN runs float32, float64 and float16 (float math) problems with at least one step and one batch row, when the
// convolution backend switch (reel::cuda::set_conv_backend, which batch norm follows too) says cudnn. Everything else
// — bfloat16, empty problems, the naive backend, a build without cuDNN — runs the generic implementation
// (tensor/rnn_generic.cpp) on the GPU with reel's own CUDA ops: the plain-CUDA baseline cuDNN is measured against.
//
// Descriptors: algorithm STANDARD, double bias (PyTorch's b_ih and b_hh) or none, linear input, no dropout (reel's
// lstm() applies dropout between layers itself), the LSTM's projection size (projSize; H without one), and
// sequence-major packed data (CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED, PyTorch's layout): a dense (T, N, I) input is
// N sequences T long, a packed one (PackedSequence: batch_sizes non-increasing) N sequences of the lengths its
// batch_sizes give, sorted longest first as this layout requires; hx as (P, N, S), cx as (P, N, H). The math type: FMA only for float32 unless reel::cuda::allow_tf32(), tensor cores for float16.
// Weights: reel's flat weight (tensor/rnn_params.h) is copied into cuDNN's weight space matrix by matrix (addresses
// from cudnnGetRNNWeightParams; gate order i f g o and r z n, cuDNN's linear-layer ids 0..G-1 for W_ih and G..2G-1
// for W_hh, and 8 for an LSTM's projection W_hr, which has no bias); the weight gradient comes back the same way from
// cuDNN's dweight space.
// The reserve a training forward leaves is 2-D (1, bytes): cuDNN's reserve space, padded to 256 bytes, then the
// weight space the forward used, which the backward passes back to cuDNN.
#include <fmt/format.h>

#include "cuda/kernels.h"
#include "tensor/cuda.h"
#include "tensor/ops.h"
#include "tensor/dispatch.h"
#include "tensor/rnn_generic.h"

#ifdef REEL_WITH_CUDNN
#include <limits>

#include "cuda/check.h"
#include "cuda/cudnn_utils.h"
#endif

namespace reel::cuda {

namespace {

#ifdef REEL_WITH_CUDNN

constexpr size_t kReserveAlignment = 256;

size_t round_up(size_t bytes) { return (bytes + kReserveAlignment - 1) / kReserveAlignment * kReserveAlignment; }

bool fits_int(int64_t v) { return v <= std::numeric_limits<int>::max(); }

// Whether cuDNN runs this problem (see the file's header).
bool use_cudnn(const Tensor& input, const Tensor& hx, const Tensor& batch_sizes) {
  const ScalarType dtype = input.dtype();
  if (dtype != kFloat32 && dtype != kFloat64 && dtype != kFloat16) return false;
  if (conv_backend() != ConvBackend::cudnn) return false;
  const int64_t steps = batch_sizes.defined() ? batch_sizes.size(0) : input.size(0), batch = hx.size(1);
  return steps > 0 && batch > 0 && fits_int(steps) && fits_int(batch) && fits_int(input.numel()) &&
         fits_int(input.size(-1)) && fits_int(hx.size(2)) && fits_int(hx.size(0));
}

cudnnRNNMode_t cell_mode(RnnMode mode) {
  switch (mode) {
    case RnnMode::rnn_tanh: return CUDNN_RNN_TANH;
    case RnnMode::rnn_relu: return CUDNN_RNN_RELU;
    case RnnMode::lstm: return CUDNN_LSTM;
    case RnnMode::gru: return CUDNN_GRU;
  }
  return CUDNN_LSTM;
}

cudnnMathType_t rnn_math_type(ScalarType dtype) {
  if (dtype == kFloat16) return CUDNN_TENSOR_OP_MATH;
  if (dtype == kFloat32) return allow_tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  return CUDNN_DEFAULT_MATH;
}

// Each sequence's length: T for a dense input, else the number of steps whose batch size exceeds the sequence's
// row (batch_sizes non-increasing, so the lengths come out sorted longest first).
std::vector<int> sequence_lengths(const Tensor& input, const Tensor& hx, const Tensor& batch_sizes) {
  if (!batch_sizes.defined()) return std::vector<int>(static_cast<size_t>(input.size(1)), static_cast<int>(input.size(0)));
  std::vector<int> lengths(static_cast<size_t>(hx.size(1)), 0);
  for (int64_t b : batch_sizes.to_vector<int64_t>())
    for (int64_t n = 0; n < b; ++n) ++lengths[static_cast<size_t>(n)];
  return lengths;
}

// Every descriptor of one problem, and the sizes cuDNN asks for.
class RnnProblem {
 public:
  // lengths: each of the `batch` sequences' length, non-increasing; steps = the longest.
  RnnProblem(const RnnParams& params, ScalarType dtype, const std::vector<int>& lengths, int64_t steps,
             int64_t batch, int64_t input_size, int64_t hidden, bool training)
      : params_(params), hidden_(hidden), input_size_(input_size), handle_(cudnn_handle()) {
    const cudnnDataType_t data = cudnn_data_type(dtype);
    const cudnnDataType_t math = dtype == kFloat16 ? CUDNN_DATA_FLOAT : data;
    REEL_CUDNN_CHECK(cudnnCreateDropoutDescriptor(&dropout_));
    REEL_CUDNN_CHECK(cudnnCreateRNNDescriptor(&rnn_));
    REEL_CUDNN_CHECK(cudnnCreateRNNDataDescriptor(&x_));
    REEL_CUDNN_CHECK(cudnnCreateRNNDataDescriptor(&y_));
    REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&h_));
    REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&c_));
    REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&matrix_));
    REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias_));
    REEL_CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_, handle_, 0.0f, nullptr, 0, 0));
    const int H = static_cast<int>(hidden);
    const int S = static_cast<int>(params.has_projection() ? params.proj_size : hidden);  // projSize = H: none
    REEL_CUDNN_CHECK(cudnnSetRNNDescriptor_v8(
        rnn_, CUDNN_RNN_ALGO_STANDARD, cell_mode(params.mode),
        params.has_biases ? CUDNN_RNN_DOUBLE_BIAS : CUDNN_RNN_NO_BIAS,
        params.bidirectional ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, data, math,
        rnn_math_type(dtype), static_cast<int32_t>(input_size), H, S, static_cast<int32_t>(params.num_layers),
        dropout_, CUDNN_RNN_PADDED_IO_DISABLED));
    REEL_CUDNN_CHECK(cudnnSetRNNDataDescriptor(x_, data, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED,
                                               static_cast<int>(steps), static_cast<int>(batch),
                                               static_cast<int>(input_size), lengths.data(), nullptr));
    REEL_CUDNN_CHECK(cudnnSetRNNDataDescriptor(y_, data, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED,
                                               static_cast<int>(steps), static_cast<int>(batch),
                                               static_cast<int>(params.directions() * S), lengths.data(), nullptr));
    const int h_dims[3] = {static_cast<int>(params.pseudo_layers()), static_cast<int>(batch), S};
    const int h_strides[3] = {static_cast<int>(batch) * S, S, 1};
    REEL_CUDNN_CHECK(cudnnSetTensorNdDescriptor(h_, data, 3, h_dims, h_strides));
    const int c_dims[3] = {static_cast<int>(params.pseudo_layers()), static_cast<int>(batch), H};
    const int c_strides[3] = {static_cast<int>(batch) * H, H, 1};
    REEL_CUDNN_CHECK(cudnnSetTensorNdDescriptor(c_, data, 3, c_dims, c_strides));
    REEL_CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(handle_, rnn_, &weight_bytes_));
    REEL_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handle_, rnn_,
                                               training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE, x_,
                                               &work_bytes_, &reserve_bytes_));
  }
  ~RnnProblem() {
    cudnnDestroyTensorDescriptor(bias_);
    cudnnDestroyTensorDescriptor(matrix_);
    cudnnDestroyTensorDescriptor(c_);
    cudnnDestroyTensorDescriptor(h_);
    cudnnDestroyRNNDataDescriptor(y_);
    cudnnDestroyRNNDataDescriptor(x_);
    cudnnDestroyRNNDescriptor(rnn_);
    cudnnDestroyDropoutDescriptor(dropout_);
  }
  RnnProblem(const RnnProblem&) = delete;
  RnnProblem& operator=(const RnnProblem&) = delete;

  // Copies reel's flat weight into cuDNN's weight space (to_space) or cuDNN's (d)weight space into the flat tensor.
  void copy_weights(void* space, char* flat, int64_t element_bytes, bool to_space) {
    const RnnWeightLayout layout{params_, input_size_, hidden_};
    const int64_t G = params_.gates(), H = hidden_, S = layout.state_size();
    const cudaStream_t stream = current_raw_stream();
    for (int64_t p = 0; p < params_.pseudo_layers(); ++p) {
      const RnnWeightSlices s = layout.slices(p);
      for (int64_t lin = 0; lin < 2 * G; ++lin) {
        void* matrix = nullptr;
        void* bias = nullptr;
        REEL_CUDNN_CHECK(cudnnGetRNNWeightParams(handle_, rnn_, static_cast<int32_t>(p), weight_bytes_, space,
                                                 static_cast<int32_t>(lin), matrix_, &matrix, bias_, &bias));
        const bool input_part = lin < G;
        const int64_t gate = input_part ? lin : lin - G;
        const int64_t columns = input_part ? s.input_size : S;
        const int64_t matrix_elements = H * columns;
        REEL_CHECK(matrix != nullptr && described_elements(matrix_) == matrix_elements,
                   "fused_rnn (cuDNN): pseudo-layer {} linear layer {}: cuDNN's matrix has {} elements, reel's layout "
                   "{} ({} x {})",
                   p, lin, matrix ? described_elements(matrix_) : 0, matrix_elements, H, columns);
        char* flat_matrix = flat + ((input_part ? s.w_ih : s.w_hh) + gate * matrix_elements) * element_bytes;
        copy(static_cast<char*>(matrix), flat_matrix, matrix_elements * element_bytes, to_space, stream);
        if (!params_.has_biases) continue;
        REEL_CHECK(bias != nullptr && described_elements(bias_) == H,
                   "fused_rnn (cuDNN): pseudo-layer {} linear layer {}: cuDNN's bias has {} elements, expected {}", p,
                   lin, bias ? described_elements(bias_) : 0, H);
        char* flat_bias = flat + ((input_part ? s.b_ih : s.b_hh) + gate * H) * element_bytes;
        copy(static_cast<char*>(bias), flat_bias, H * element_bytes, to_space, stream);
      }
      if (s.w_hr < 0) continue;
      // the projection W_hr (S, H): linear layer 8, no bias
      void* matrix = nullptr;
      REEL_CUDNN_CHECK(cudnnGetRNNWeightParams(handle_, rnn_, static_cast<int32_t>(p), weight_bytes_, space, 8,
                                               matrix_, &matrix, nullptr, nullptr));
      REEL_CHECK(matrix != nullptr && described_elements(matrix_) == S * H,
                 "fused_rnn (cuDNN): pseudo-layer {}: cuDNN's projection matrix has {} elements, reel's layout {} "
                 "({} x {})",
                 p, matrix ? described_elements(matrix_) : 0, S * H, S, H);
      copy(static_cast<char*>(matrix), flat + s.w_hr * element_bytes, S * H * element_bytes, to_space, stream);
    }
  }

  cudnnHandle_t handle() const { return handle_; }
  cudnnRNNDescriptor_t rnn() const { return rnn_; }
  cudnnRNNDataDescriptor_t x() const { return x_; }
  cudnnRNNDataDescriptor_t y() const { return y_; }
  cudnnTensorDescriptor_t h() const { return h_; }
  cudnnTensorDescriptor_t c() const { return c_; }
  size_t weight_bytes() const { return weight_bytes_; }
  size_t work_bytes() const { return work_bytes_; }
  size_t reserve_bytes() const { return reserve_bytes_; }
  // The reserve tensor's size: cuDNN's reserve padded, then the weight space.
  int64_t saved_bytes() const { return static_cast<int64_t>(round_up(reserve_bytes_) + weight_bytes_); }

 private:
  static int64_t described_elements(cudnnTensorDescriptor_t desc) {
    cudnnDataType_t type;
    int rank = 0, dims[8], strides[8];
    REEL_CUDNN_CHECK(cudnnGetTensorNdDescriptor(desc, 8, &type, &rank, dims, strides));
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= dims[d];
    return n;
  }
  static void copy(char* space, char* flat, int64_t bytes, bool to_space, cudaStream_t stream) {
    REEL_CUDA_CHECK(cudaMemcpyAsync(to_space ? space : flat, to_space ? flat : space, static_cast<size_t>(bytes),
                                    cudaMemcpyDeviceToDevice, stream));
  }

  RnnParams params_;
  int64_t hidden_, input_size_;
  cudnnHandle_t handle_;
  cudnnDropoutDescriptor_t dropout_ = nullptr;
  cudnnRNNDescriptor_t rnn_ = nullptr;
  cudnnRNNDataDescriptor_t x_ = nullptr, y_ = nullptr;
  cudnnTensorDescriptor_t h_ = nullptr, c_ = nullptr, matrix_ = nullptr, bias_ = nullptr;
  size_t weight_bytes_ = 0, work_bytes_ = 0, reserve_bytes_ = 0;
};

Tensor bytes_on(const Tensor& like, int64_t bytes, const char* what) {
  return Tensor::make({std::max<int64_t>(bytes, 1)}, kUInt8, like.device(), what);
}

// The device copy of the sequence lengths cuDNN's v8 calls read (devSeqLengths).
Tensor device_lengths(const std::vector<int>& lengths, const Tensor& input) {
  std::vector<int32_t> values(lengths.begin(), lengths.end());
  return tensor(values, TensorOptions(kInt32)).to(input.device());
}

// The problem of a kernel call: inputs {input, hx, cx, weight, ...} and the packed input's batch_sizes.
struct CallShape {
  std::vector<int> lengths;
  int64_t steps, batch;
  CallShape(const Tensor& input, const Tensor& hx, const Tensor& batch_sizes)
      : lengths(sequence_lengths(input, hx, batch_sizes)),
        steps(batch_sizes.defined() ? batch_sizes.size(0) : input.size(0)),
        batch(hx.size(1)) {}
};

void* ptr_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

void cudnn_forward(const RnnParams& params, const KernelArgs& args) {
  const Tensor &input = args.inputs[0], &hx = args.inputs[1], &cx = args.inputs[2], &weight = args.inputs[3];
  const CallShape shape(input, hx, args.inputs[4]);
  const int64_t hidden = params.has_cell() ? cx.size(2) : hx.size(2);
  RnnProblem problem(params, input.dtype(), shape.lengths, shape.steps, shape.batch, input.size(-1), hidden,
                     params.train);
  const Tensor lengths = device_lengths(shape.lengths, input);
  const Tensor work = bytes_on(input, static_cast<int64_t>(problem.work_bytes()), "cuDNN RNN workspace");
  Tensor space_owner;
  char* weight_space;
  char* reserve = nullptr;
  if (params.train) {
    args.outputs[3] = Tensor::make({1, problem.saved_bytes()}, kUInt8, input.device(), "fused_rnn reserve");
    reserve = static_cast<char*>(args.outputs[3].data_ptr());
    weight_space = reserve + round_up(problem.reserve_bytes());
  } else {
    space_owner = bytes_on(input, static_cast<int64_t>(problem.weight_bytes()), "cuDNN RNN weight space");
    weight_space = static_cast<char*>(space_owner.data_ptr());
  }
  problem.copy_weights(weight_space, static_cast<char*>(weight.data_ptr()), weight.element_size(), true);
  REEL_CUDNN_CHECK(cudnnRNNForward(
      problem.handle(), problem.rnn(), params.train ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE,
      static_cast<const int32_t*>(lengths.data_ptr()), problem.x(), input.data_ptr(), problem.y(),
      args.outputs[0].data_ptr(), problem.h(), hx.data_ptr(), args.outputs[1].data_ptr(), problem.c(),
      ptr_or_null(cx), ptr_or_null(args.outputs[2]), problem.weight_bytes(), weight_space, problem.work_bytes(),
      work.data_ptr(), params.train ? problem.reserve_bytes() : 0, reserve));
}

void cudnn_backward(const RnnParams& params, const KernelArgs& args) {
  const Tensor &input = args.inputs[0], &hx = args.inputs[1], &cx = args.inputs[2], &weight = args.inputs[3];
  const Tensor &output = args.inputs[4], &reserve = args.inputs[5];
  const CallShape shape(input, hx, args.inputs[9]);
  const int64_t hidden = params.has_cell() ? cx.size(2) : hx.size(2);
  RnnProblem problem(params, input.dtype(), shape.lengths, shape.steps, shape.batch, input.size(-1), hidden, true);
  REEL_CHECK(reserve.size(1) == problem.saved_bytes(),
             "fused_rnn_backward: the reserve holds {} bytes, cuDNN's problem (shape {}, hidden {}) needs {}: was it "
             "made by a forward of another problem?",
             reserve.size(1), shape_str(input.sizes()), hidden, problem.saved_bytes());
  const Tensor lengths = device_lengths(shape.lengths, input);
  const Tensor work = bytes_on(input, static_cast<int64_t>(problem.work_bytes()), "cuDNN RNN workspace");
  char* reserve_space = static_cast<char*>(reserve.data_ptr());
  char* weight_space = reserve_space + round_up(problem.reserve_bytes());
  const Tensor grad_output = args.inputs[6].defined() ? args.inputs[6] : zeros_like(output);
  REEL_CUDNN_CHECK(cudnnRNNBackwardData_v8(
      problem.handle(), problem.rnn(), static_cast<const int32_t*>(lengths.data_ptr()), problem.y(),
      output.data_ptr(), grad_output.data_ptr(), problem.x(), args.outputs[0].data_ptr(), problem.h(), hx.data_ptr(),
      ptr_or_null(args.inputs[7]), args.outputs[1].data_ptr(), problem.c(), ptr_or_null(cx),
      ptr_or_null(args.inputs[8]), ptr_or_null(args.outputs[2]), problem.weight_bytes(), weight_space,
      problem.work_bytes(), work.data_ptr(), problem.reserve_bytes(), reserve_space));
  // cuDNN adds into the dweight space
  const Tensor dweight_space = zeros({std::max<int64_t>(static_cast<int64_t>(problem.weight_bytes()), 1)},
                                     TensorOptions(kUInt8).device(input.device()));
  REEL_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(
      problem.handle(), problem.rnn(), CUDNN_WGRAD_MODE_ADD, static_cast<const int32_t*>(lengths.data_ptr()),
      problem.x(), input.data_ptr(), problem.h(), hx.data_ptr(), problem.y(), output.data_ptr(),
      problem.weight_bytes(), dweight_space.data_ptr(), problem.work_bytes(), work.data_ptr(),
      problem.reserve_bytes(), reserve_space));
  problem.copy_weights(dweight_space.data_ptr(), static_cast<char*>(args.outputs[3].data_ptr()),
                       weight.element_size(), false);
}

#endif  // REEL_WITH_CUDNN

// (output, hy, cy, reserve): cuDNN, or the generic implementation on the GPU
void fused_rnn_kernel(const KernelArgs& args) {
  const RnnParams params = args.attrs->get<RnnParams>();
#ifdef REEL_WITH_CUDNN
  if (use_cudnn(args.inputs[0], args.inputs[1], args.inputs[4])) return cudnn_forward(params, args);
#endif
  reel::detail::rnn_forward_generic(params, args.inputs[0], args.inputs[1], args.inputs[2], args.inputs[3],
                                    args.inputs[4], args.outputs[0], args.outputs[1], args.outputs[2],
                                    &args.outputs[3]);
}

// (dinput, dhx, dcx, dweight) with the implementation the forward's reserve came from (its rank says which)
void fused_rnn_backward_kernel(const KernelArgs& args) {
  const RnnParams params = args.attrs->get<RnnParams>();
  const Tensor& reserve = args.inputs[5];
  if (reserve.dim() == 2) {
#ifdef REEL_WITH_CUDNN
    return cudnn_backward(params, args);
#else
    throw Error("fused_rnn_backward: the reserve was made by cuDNN, which this build does not link");
#endif
  }
  reel::detail::rnn_backward_generic(params, args.inputs[0], args.inputs[1], args.inputs[2], args.inputs[3],
                                     args.inputs[9], args.inputs[4], reserve, args.inputs[6], args.inputs[7],
                                     args.inputs[8], args.outputs[0], args.outputs[1], args.outputs[2],
                                     args.outputs[3]);
}

}  // namespace

void register_rnn_kernels() {
  register_kernel(OpId::fused_rnn, kCUDA, &fused_rnn_kernel);
  register_kernel(OpId::fused_rnn_backward, kCUDA, &fused_rnn_backward_kernel);
}

}  // namespace reel::cuda
