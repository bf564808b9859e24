// reel/cuda/stream.cpp — streams, events and the current stream of each thread (API in tensor/cuda.h).
//
// Each thread keeps one current stream per device, the default (legacy null) stream until set_current_stream
// or a StreamGuard changes it; current_raw_stream() answers it for the current device and every kernel and
// async copy launches there. New streams come from a per-device pool of 32 non-blocking streams created on
// first use and handed out round-robin (LibTorch's getStreamFromPool); they are never destroyed, so a Stream
// value stays valid for the whole process and the caching allocator's stream tags never dangle.
#include <array>
#include <atomic>
#include <mutex>
#include <utility>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/stream.h"
#include "tensor/cuda.h"
#include "tensor/device.h"

namespace reel::cuda {

namespace {

constexpr int kStreamsPerPool = 32;

struct StreamPool {
  std::once_flag created;
  std::array<cudaStream_t, kStreamsPerPool> streams{};
  std::atomic<uint32_t> next{0};
};

StreamPool& pool_of(int device) {
  static StreamPool* pools = new StreamPool[kMaxDevices];  // never destroyed: streams live for the process
  return pools[device];
}

// Per thread, per device: the current stream (nullptr = default stream).
thread_local std::array<cudaStream_t, kMaxDevices> t_current_streams{};

int raw_current_device() {
  int device = 0;
  REEL_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

}  // namespace

// ---- devices ---------------------------------------------------------------------------------------------
int resolve_device(int device, const char* function) {
  const int count = device_count();
  REEL_CHECK(count > 0, "cuda::{}: no CUDA device is available on this machine (device argument {})", function,
             device);
  if (device == -1) return raw_current_device();
  REEL_CHECK(device >= 0 && device < count, "cuda::{}: device {} does not exist ({} CUDA device(s), indices 0..{}, "
             "or -1 for the current device)", function, device, count, count - 1);
  return device;
}

DeviceGuard::DeviceGuard(int device) {
  previous_ = raw_current_device();
  if (previous_ != device) REEL_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);  // no throw in a destructor
}

int current_device() { return resolve_device(-1, "current_device"); }

void set_device(int device) {
  REEL_CHECK(device != -1, "cuda::set_device: needs a device index, not -1");
  set_current_device(Device(kCUDA, resolve_device(device, "set_device")));
}

// Waits for all work on the device: every stream, every thread's.
void synchronize(int device) {
  DeviceGuard guard(resolve_device(device, "synchronize"));
  REEL_CUDA_CHECK(cudaDeviceSynchronize());
}

// ---- current streams -------------------------------------------------------------------------------------
cudaStream_t current_raw_stream_of(int device) { return t_current_streams[device]; }

cudaStream_t current_raw_stream() { return t_current_streams[raw_current_device()]; }

Stream current_stream(int device) {
  const int index = resolve_device(device, "current_stream");
  return Stream(index, t_current_streams[index]);
}

Stream default_stream(int device) { return Stream(resolve_device(device, "default_stream"), nullptr); }

void set_current_stream(const Stream& stream) {
  resolve_device(stream.device_index(), "set_current_stream");
  t_current_streams[stream.device_index()] = stream.stream();
}

Stream get_stream_from_pool(int device) {
  const int index = resolve_device(device, "get_stream_from_pool");
  StreamPool& pool = pool_of(index);
  std::call_once(pool.created, [&] {
    DeviceGuard guard(index);
    for (cudaStream_t& s : pool.streams) REEL_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  });
  const uint32_t slot = pool.next.fetch_add(1, std::memory_order_relaxed) % kStreamsPerPool;
  return Stream(index, pool.streams[slot]);
}

StreamGuard::StreamGuard(const Stream& stream)
    : previous_stream_(current_stream(stream.device_index())), previous_device_(current_device()) {
  set_current_device(stream.device());
  set_current_stream(stream);
}

StreamGuard::~StreamGuard() {
  t_current_streams[previous_stream_.device_index()] = previous_stream_.stream();
  cudaSetDevice(previous_device_);  // no throw in a destructor; the device existed when the guard was made
}

// ---- Stream ----------------------------------------------------------------------------------------------
// True when the stream has no unfinished work; cudaErrorNotReady means "still busy", anything else is an error.
bool Stream::query() const {
  DeviceGuard guard(device_);
  const cudaError_t status = cudaStreamQuery(handle_);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();  // not an error: clear it
    return false;
  }
  REEL_CUDA_CHECK(status);
  return true;
}

void Stream::synchronize() const {
  DeviceGuard guard(device_);
  REEL_CUDA_CHECK(cudaStreamSynchronize(handle_));
}

void Stream::wait(const Event& event) const { event.block(*this); }

// ---- Event -----------------------------------------------------------------------------------------------
Event::~Event() {
  if (event_ != nullptr) cudaEventDestroy(event_);  // no throw in a destructor
}

Event::Event(Event&& other) noexcept
    : event_(std::exchange(other.event_, nullptr)),
      device_(other.device_),
      enable_timing_(other.enable_timing_),
      was_recorded_(std::exchange(other.was_recorded_, false)) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (event_ != nullptr) cudaEventDestroy(event_);
    event_ = std::exchange(other.event_, nullptr);
    device_ = other.device_;
    enable_timing_ = other.enable_timing_;
    was_recorded_ = std::exchange(other.was_recorded_, false);
  }
  return *this;
}

void Event::record() { record(current_stream()); }

void Event::record(const Stream& stream) {
  resolve_device(stream.device_index(), "Event::record");
  DeviceGuard guard(stream.device_index());
  if (event_ == nullptr) {
    const unsigned flags = enable_timing_ ? cudaEventDefault : cudaEventDisableTiming;
    REEL_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags));
    device_ = stream.device_index();
  }
  REEL_CHECK(device_ == stream.device_index(),
             "cuda::Event::record: the event belongs to cuda:{} but the stream to cuda:{}", device_,
             stream.device_index());
  REEL_CUDA_CHECK(cudaEventRecord(event_, stream.stream()));
  was_recorded_ = true;
}

void Event::block(const Stream& stream) const {
  if (!was_recorded_) return;
  DeviceGuard guard(stream.device_index());
  REEL_CUDA_CHECK(cudaStreamWaitEvent(stream.stream(), event_, 0));
}

bool Event::query() const {
  if (!was_recorded_) return true;
  const cudaError_t status = cudaEventQuery(event_);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  REEL_CUDA_CHECK(status);
  return true;
}

void Event::synchronize() const {
  if (was_recorded_) REEL_CUDA_CHECK(cudaEventSynchronize(event_));
}

// ms = time(end) - time(this), from the GPU's clock at the two recorded points.
float Event::elapsed_time(const Event& end) const {
  REEL_CHECK(enable_timing_ && end.enable_timing_,
             "cuda::Event::elapsed_time: both events need enable_timing=true (start: {}, end: {})", enable_timing_,
             end.enable_timing_);
  REEL_CHECK(was_recorded_ && end.was_recorded_,
             "cuda::Event::elapsed_time: both events must be recorded first (start: {}, end: {})", was_recorded_,
             end.was_recorded_);
  REEL_CHECK(device_ == end.device_, "cuda::Event::elapsed_time: the events belong to cuda:{} and cuda:{}", device_,
             end.device_);
  end.synchronize();
  float ms = 0.0f;
  REEL_CUDA_CHECK(cudaEventElapsedTime(&ms, event_, end.event_));
  return ms;
}

}  // namespace reel::cuda
