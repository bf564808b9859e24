// reel/cuda/cudnn_utils.cpp — cuDNN handles (one per thread and device), the cuDNN status check, and the owning
// descriptor wrappers declared in cuda/cudnn_utils.h. Compiled to nothing without REEL_WITH_CUDNN.
//
// A cuDNN handle must not be used by two threads at once and carries its stream, so each thread keeps one handle
// per device and every use re-binds it to the thread's current stream. Handles are destroyed when their thread
// exits (errors ignored: at process exit the driver may already be shutting down).
#include "cuda/cudnn_utils.h"

#ifdef REEL_WITH_CUDNN

#include <fmt/format.h>

#include <array>
#include <limits>
#include <vector>

#include "cuda/check.h"
#include "cuda/kernels.h"

namespace reel::cuda {

namespace {

struct ThreadHandles {
  std::vector<cudnnHandle_t> by_device;
  ~ThreadHandles() {
    for (cudnnHandle_t handle : by_device)
      if (handle != nullptr) cudnnDestroy(handle);
  }
};

// cuDNN's descriptors take int sizes; the caller (cuda/conv.cpp) sends larger problems to the naive kernels.
int descriptor_int(int64_t value, const char* what) {
  REEL_CHECK(value >= 0 && value <= std::numeric_limits<int>::max(),
             "cuDNN descriptor: {} = {} does not fit in int", what, value);
  return static_cast<int>(value);
}

// The four sizes of an NCHW tensor or filter as ints.
std::array<int, 4> descriptor_sizes(IntList sizes) {
  REEL_CHECK(sizes.size() == 4, "cuDNN descriptor: expected 4 sizes (N, C, H, W), got {}", shape_str(sizes));
  std::array<int, 4> out{};
  for (size_t d = 0; d < 4; ++d) out[d] = descriptor_int(sizes[d], "a tensor size");
  return out;
}

}  // namespace

void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file, int line) {
  throw_error(fmt::format("cuDNN error at {}:{}: {} failed: {} ({})", file, line, call, cudnnGetErrorString(status),
                          static_cast<int>(status)));
}

cudnnHandle_t cudnn_handle() {
  int device = 0;
  REEL_CUDA_CHECK(cudaGetDevice(&device));
  thread_local ThreadHandles handles;
  if (static_cast<size_t>(device) >= handles.by_device.size())
    handles.by_device.resize(static_cast<size_t>(device) + 1, nullptr);
  cudnnHandle_t& handle = handles.by_device[static_cast<size_t>(device)];
  if (handle == nullptr) REEL_CUDNN_CHECK(cudnnCreate(&handle));
  REEL_CUDNN_CHECK(cudnnSetStream(handle, current_raw_stream()));
  return handle;
}

cudnnDataType_t cudnn_data_type(ScalarType dtype) {
  switch (dtype) {
    case kFloat32: return CUDNN_DATA_FLOAT;
    case kFloat64: return CUDNN_DATA_DOUBLE;
    case kFloat16: return CUDNN_DATA_HALF;
    case kBFloat16: return CUDNN_DATA_BFLOAT16;
    default: throw_unsupported_dtype("cuDNN convolution", dtype);
  }
}

TensorDescriptor::TensorDescriptor(ScalarType dtype, IntList sizes) {
  REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
  try {
    const std::array<int, 4> n = descriptor_sizes(sizes);
    REEL_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(desc_, CUDNN_TENSOR_NCHW, cudnn_data_type(dtype), n[0], n[1], n[2], n[3]));
  } catch (...) {
    cudnnDestroyTensorDescriptor(desc_);
    throw;
  }
}
TensorDescriptor::~TensorDescriptor() { cudnnDestroyTensorDescriptor(desc_); }

FilterDescriptor::FilterDescriptor(ScalarType dtype, IntList sizes) {
  REEL_CUDNN_CHECK(cudnnCreateFilterDescriptor(&desc_));
  try {
    const std::array<int, 4> n = descriptor_sizes(sizes);
    REEL_CUDNN_CHECK(
        cudnnSetFilter4dDescriptor(desc_, cudnn_data_type(dtype), CUDNN_TENSOR_NCHW, n[0], n[1], n[2], n[3]));
  } catch (...) {
    cudnnDestroyFilterDescriptor(desc_);
    throw;
  }
}
FilterDescriptor::~FilterDescriptor() { cudnnDestroyFilterDescriptor(desc_); }

ConvolutionDescriptor::ConvolutionDescriptor(ScalarType dtype, const ConvParams& p) {
  REEL_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&desc_));
  try {
    const cudnnDataType_t compute = dtype == kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    REEL_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        desc_, descriptor_int(p.padding[0], "padding"), descriptor_int(p.padding[1], "padding"),
        descriptor_int(p.stride[0], "stride"), descriptor_int(p.stride[1], "stride"),
        descriptor_int(p.dilation[0], "dilation"), descriptor_int(p.dilation[1], "dilation"), CUDNN_CROSS_CORRELATION,
        compute));
    REEL_CUDNN_CHECK(cudnnSetConvolutionGroupCount(desc_, descriptor_int(p.groups, "groups")));
  } catch (...) {
    cudnnDestroyConvolutionDescriptor(desc_);
    throw;
  }
}
ConvolutionDescriptor::~ConvolutionDescriptor() { cudnnDestroyConvolutionDescriptor(desc_); }

void ConvolutionDescriptor::set_math_type(cudnnMathType_t math_type) {
  REEL_CUDNN_CHECK(cudnnSetConvolutionMathType(desc_, math_type));
}

}  // namespace reel::cuda

#endif  // REEL_WITH_CUDNN
