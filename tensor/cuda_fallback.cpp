// reel/tensor/cuda_fallback.cpp — tensor/cuda.h in a build without the CUDA backend: every call throws a
// reel::Error saying this build has no CUDA backend, except what a CPU program may ask harmlessly (the pinned
// allocator seam answers nullptr, so is_pinned() is false; destroying a never-recorded Event does nothing).
// In a CUDA build cuda/allocator.cpp and cuda/stream.cpp define these functions and this file is empty.
#ifndef REEL_WITH_CUDA

#include <atomic>

#include "tensor/cuda.h"
#include "tensor/error_format.h"

namespace reel::cuda {

namespace {
[[noreturn]] void no_cuda(const char* function) {
  throw_error(fmt::format("cuda::{}: this build of reel has no CUDA backend (configure with -DREEL_CUDA=ON where "
                          "nvcc exists)", function));
}
}  // namespace

int current_device() { no_cuda("current_device"); }
void set_device(int) { no_cuda("set_device"); }
void synchronize(int) { no_cuda("synchronize"); }

int64_t memory_allocated(int) { no_cuda("memory_allocated"); }
int64_t max_memory_allocated(int) { no_cuda("max_memory_allocated"); }
int64_t memory_reserved(int) { no_cuda("memory_reserved"); }
void reset_peak_memory_stats(int) { no_cuda("reset_peak_memory_stats"); }
void empty_cache() { no_cuda("empty_cache"); }

bool Stream::query() const { no_cuda("Stream::query"); }
void Stream::synchronize() const { no_cuda("Stream::synchronize"); }
void Stream::wait(const Event&) const { no_cuda("Stream::wait"); }
Stream get_stream_from_pool(int) { no_cuda("get_stream_from_pool"); }
Stream default_stream(int) { no_cuda("default_stream"); }
Stream current_stream(int) { no_cuda("current_stream"); }
void set_current_stream(const Stream&) { no_cuda("set_current_stream"); }

StreamGuard::StreamGuard(const Stream& stream) : previous_stream_(stream), previous_device_(-1) {
  no_cuda("StreamGuard");
}
StreamGuard::~StreamGuard() = default;

Event::~Event() = default;  // an Event can only be created here, never recorded: nothing to release
Event::Event(Event&& other) noexcept
    : event_(nullptr), device_(other.device_), enable_timing_(other.enable_timing_), was_recorded_(false) {}
Event& Event::operator=(Event&& other) noexcept {
  device_ = other.device_;
  enable_timing_ = other.enable_timing_;
  return *this;
}
void Event::record() { no_cuda("Event::record"); }
void Event::record(const Stream&) { no_cuda("Event::record"); }
void Event::block(const Stream&) const { no_cuda("Event::block"); }
bool Event::query() const { no_cuda("Event::query"); }
void Event::synchronize() const { no_cuda("Event::synchronize"); }
float Event::elapsed_time(const Event&) const { no_cuda("Event::elapsed_time"); }

namespace detail {
Allocator* pinned_host_allocator() { return nullptr; }
void* allocate_device_memory(size_t nbytes, int device) {
  throw_error(fmt::format("cannot allocate {} bytes on cuda:{}: this build of reel has no CUDA backend", nbytes,
                          device));
}
}  // namespace detail

// ---- matmul and convolution settings: kept, without effect (a CPU program may set them harmlessly) -------------
namespace {
std::atomic<bool> tf32_allowed{false};
std::atomic<bool> benchmark_mode{false};
}  // namespace

void set_allow_tf32(bool allow) { tf32_allowed.store(allow); }
bool allow_tf32() { return tf32_allowed.load(); }

void set_conv_backend(ConvBackend backend) {
  REEL_CHECK(backend != ConvBackend::cudnn,
             "set_conv_backend: the cudnn backend was asked for, but this build of reel does not link cuDNN (it has "
             "no CUDA backend at all)");
}
ConvBackend conv_backend() { return ConvBackend::naive; }
bool cudnn_is_available() { return false; }
void set_cudnn_benchmark(bool benchmark) { benchmark_mode.store(benchmark); }
bool cudnn_benchmark() { return benchmark_mode.load(); }
ConvAlgorithmCacheStats conv_algorithm_cache_stats() { return {}; }
void clear_conv_algorithm_cache() {}

}  // namespace reel::cuda

#endif  // REEL_WITH_CUDA
