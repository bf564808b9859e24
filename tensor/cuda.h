// reel/tensor/cuda.h — the CUDA runtime as users see it (LibTorch names, PyTorch semantics): device memory
// statistics and the caching allocator's cache, streams, events, device-wide synchronisation.
//
//   reel::cuda::memory_allocated()                 bytes held by live CUDA tensors on device 0
//   reel::cuda::Stream s = reel::cuda::get_stream_from_pool();
//   { reel::cuda::StreamGuard guard(s); ... }      ops in this scope run on s
//   reel::cuda::Event done; done.record(s); reel::cuda::current_stream().wait(done);
//
// Every kernel of a thread launches on that thread's current stream of the current device (the default
// stream until set_current_stream or a StreamGuard changes it). Memory a tensor frees goes back to the caching
// allocator tagged with the stream it was allocated on and is reused only by allocations on that stream, so
// stream order alone keeps reuse safe (memory used on another stream must be kept alive by the user until that
// stream is done with it, e.g. with an Event).
// Implemented by cuda/allocator.cpp and cuda/stream.cpp; in a build without CUDA by tensor/cuda_fallback.cpp,
// whose functions throw reel::Error saying so. device_count() and is_available() live in tensor/device.h.
// A device argument of -1 means the calling thread's current device.
#pragma once

#include <cstddef>
#include <cstdint>

#include "device.h"

// The CUDA runtime's opaque handle types (cudaStream_t is CUstream_st*, cudaEvent_t is CUevent_st*), declared
// here so this header does not need cuda_runtime.h.
struct CUstream_st;
struct CUevent_st;

namespace reel {

class Allocator;

namespace cuda {

// ---- devices ---------------------------------------------------------------------------------------------
int current_device();             // the calling thread's current CUDA device
void set_device(int device);      // makes `device` current for the calling thread
void synchronize(int device = -1);  // waits until every stream of `device` has finished its work

// ---- memory (the caching device allocator) -------------------------------------------------------------
int64_t memory_allocated(int device = 0);      // bytes in live blocks (requests rounded up to 512 B)
int64_t max_memory_allocated(int device = 0);  // peak of memory_allocated since start or the last reset
int64_t memory_reserved(int device = 0);       // bytes obtained from cudaMalloc and not yet returned
void reset_peak_memory_stats(int device = 0);  // max_memory_allocated := memory_allocated
// Returns every cached, unused block of every device to CUDA (cudaFree), and the unused page-locked host blocks
// (cudaFreeHost). Memory held by live tensors stays.
void empty_cache();

// ---- streams ---------------------------------------------------------------------------------------------
class Event;

// A CUDA stream of one device: a light value (device index + raw handle); copying it does not copy the stream.
// Streams come from get_stream_from_pool and live until the process ends.
class Stream {
 public:
  Stream(int device, CUstream_st* handle) : device_(device), handle_(handle) {}

  int device_index() const { return device_; }
  Device device() const { return Device(kCUDA, device_); }
  CUstream_st* stream() const { return handle_; }  // the cudaStream_t; nullptr is the default (legacy) stream
  bool is_default() const { return handle_ == nullptr; }

  bool query() const;        // true when all work queued on the stream has finished
  void synchronize() const;  // blocks the host until all work queued on the stream has finished
  void wait(const Event& event) const;  // later work on this stream waits for `event` (no host block)

  bool operator==(const Stream& other) const { return device_ == other.device_ && handle_ == other.handle_; }

 private:
  int device_;
  CUstream_st* handle_;
};

// A non-blocking stream (no implicit synchronisation with the default stream) of `device`. As in LibTorch, each
// device has a pool of 32 streams handed out round-robin: the first 32 calls give distinct streams.
Stream get_stream_from_pool(int device = -1);
Stream default_stream(int device = -1);   // the default (legacy null) stream of `device`
Stream current_stream(int device = -1);   // the calling thread's current stream of `device`
void set_current_stream(const Stream& stream);  // for the calling thread and stream.device_index()

// Makes `stream` current (and its device the current device) for the calling thread until the guard is
// destroyed, then restores the previous current stream of that device and the previous current device.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream previous_stream_;
  int previous_device_;
};

// ---- events ----------------------------------------------------------------------------------------------
// A CUDA event, created on first record (on the recording stream's device). Before any record, query() is true
// and synchronize()/wait are no-ops, as in PyTorch. Movable, not copyable.
class Event {
 public:
  explicit Event(bool enable_timing = false) : enable_timing_(enable_timing) {}
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record();                       // on the current stream of the current device
  void record(const Stream& stream);   // marks the point after all work queued on `stream` so far
  void block(const Stream& stream) const;  // stream.wait(*this)
  bool query() const;                  // true when the recorded work has finished (or nothing was recorded)
  void synchronize() const;            // blocks the host until the recorded work has finished
  // Milliseconds between this event and `end`; both must be recorded with enable_timing. Waits for `end`.
  float elapsed_time(const Event& end) const;

  bool is_created() const { return event_ != nullptr; }
  bool was_recorded() const { return was_recorded_; }
  int device_index() const { return device_; }
  CUevent_st* event() const { return event_; }

 private:
  CUevent_st* event_ = nullptr;
  int device_ = -1;
  bool enable_timing_ = false;
  bool was_recorded_ = false;
};

namespace detail {
// Internal seams used by tensor/tensor.cpp (implemented by cuda/allocator.cpp, or the fallback).
// The page-locked host allocator behind Tensor::pin_memory; nullptr in a build without CUDA.
Allocator* pinned_host_allocator();
// Allocates `nbytes` of device memory on `device` from the caching allocator (which frees it through its
// Allocator::deallocate), on that device's current stream.
void* allocate_device_memory(size_t nbytes, int device);
}  // namespace detail

}  // namespace cuda
}  // namespace reel

// ---- matmul and convolution settings (cuda/cublas_utils.cpp, cuda/conv.cpp) -----------------------------------
// In a build without CUDA (tensor/cuda_fallback.cpp) the switches keep their values and have no effect, and
// asking for the cuDNN backend throws.
namespace reel::cuda {

// TF32 tensor-core math for float32 matmuls (cuBLAS math mode) and convolutions (cuDNN math type): faster, with a
// 10-bit mantissa in the products. Off by default (PyTorch's torch.backends.cuda.matmul.allow_tf32 default); one
// switch for both, unlike PyTorch's two.
void set_allow_tf32(bool allow);
bool allow_tf32();

// Which implementation runs the CUDA convolutions (conv2d and its two backward ops): cuDNN, or reel's own plain
// direct convolution (one thread per output element; the baseline that shows what cuDNN buys). The default is
// cudnn when this build links cuDNN, naive otherwise; asking for cudnn without it throws reel::Error.
// The batch normalization kernels (native_batch_norm and its backward, cuda/norm.cu) follow the same switch: cuDNN's
// batch norm, or reel's own one-block-per-channel kernels.
enum class ConvBackend { cudnn, naive };
void set_conv_backend(ConvBackend backend);
ConvBackend conv_backend();
bool cudnn_is_available();  // true when this build links cuDNN

// How the cuDNN algorithm of each convolution problem is picked, once per problem (then cached): cuDNN's
// heuristics (false, the default) or by timing every algorithm on the first call (true, like
// torch.backends.cudnn.benchmark).
void set_cudnn_benchmark(bool benchmark);
bool cudnn_benchmark();

// The cache of picked cuDNN algorithms, keyed by the whole problem (op, dtype, device, shapes, stride, padding,
// dilation, groups, TF32 and benchmark settings): its size and how often a lookup found / missed an entry.
struct ConvAlgorithmCacheStats {
  int64_t entries = 0, hits = 0, misses = 0;
};
ConvAlgorithmCacheStats conv_algorithm_cache_stats();
void clear_conv_algorithm_cache();  // forgets every entry and zeroes the counters

}  // namespace reel::cuda
