// reel/test/test_cuda_runtime.cpp — the CUDA runtime (tensor/cuda.h, cuda/allocator.cpp, cuda/stream.cpp,
// cuda/copy.cu): the caching allocator's reuse, statistics, out-of-memory path and cache release; streams and
// events ordering asynchronous copies and kernels; pinned memory; copies between host and device with casts,
// broadcasting and non-contiguous operands checked against the CPU. Tests that need a GPU skip with a warning
// where none exists; the last ones check the clear errors of a build or a machine without CUDA.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <string>
#include <vector>

using namespace reel;

namespace {

const TensorOptions kOnGpu = TensorOptions(kFloat32).device(Device(kCUDA));

int64_t rounded_to_block(int64_t bytes) { return (bytes + 511) / 512 * 512; }

// Message of the reel::Error `fn` throws ("" when it throws none).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const ScalarType kAllDtypes[] = {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kUInt8, kBool};

// 48 values in [0, 100) with fractions, exact in every floating dtype, some zero (so bool gets both values).
Tensor sample_values() {
  std::vector<double> values;
  for (int i = 0; i < 48; ++i) values.push_back(i % 5 == 0 ? 0.0 : (i * 37 % 97) + 0.25 * (i % 4));
  return tensor(values, kFloat64);
}

}  // namespace

TEST_CASE("cuda runtime: the caching allocator reuses a freed block", "[cuda][allocator]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: caching allocator reuse test skipped");
    return;
  }
  cuda::synchronize();
  cuda::empty_cache();
  const int64_t start = cuda::memory_allocated();
  // A large request (50 MiB + 123 B) gets a segment of its own, so best fit finds exactly this block again.
  const int64_t large = (int64_t{50} << 20) + 123;
  void* first = nullptr;
  int64_t reserved = 0;
  {
    Tensor block = empty({large}, TensorOptions(kUInt8).device(Device(kCUDA)));
    first = block.data_ptr();
    CHECK(cuda::memory_allocated() - start == rounded_to_block(large));
    reserved = cuda::memory_reserved();
    CHECK(reserved >= cuda::memory_allocated());
  }
  CHECK(cuda::memory_allocated() == start);
  CHECK(cuda::memory_reserved() == reserved);  // freed to the cache, not to CUDA
  {
    Tensor again = empty({large}, TensorOptions(kUInt8).device(Device(kCUDA)));
    CHECK(again.data_ptr() == first);
    CHECK(cuda::memory_reserved() == reserved);
    CHECK(cuda::memory_allocated() - start == rounded_to_block(large));
  }
  // Small requests round up to 512 B and are carved from cached segments: no new reservation the second time.
  {
    Tensor small = empty({1000}, TensorOptions(kUInt8).device(Device(kCUDA)));
    CHECK(cuda::memory_allocated() - start >= 1024);  // 1024, or a cached block too small to split (< 1536)
    CHECK(cuda::memory_allocated() - start < 1536);
  }
  const int64_t reserved_small = cuda::memory_reserved();
  {
    Tensor small = empty({1000}, TensorOptions(kUInt8).device(Device(kCUDA)));
    CHECK(cuda::memory_reserved() == reserved_small);
  }
  CHECK(cuda::memory_allocated() == start);
  // A zero-byte tensor holds no memory.
  Tensor nothing = empty({0}, kOnGpu);
  CHECK(cuda::memory_allocated() == start);
}

TEST_CASE("cuda runtime: peak memory statistics", "[cuda][allocator]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: peak statistics test skipped");
    return;
  }
  cuda::reset_peak_memory_stats();
  const int64_t start = cuda::memory_allocated();
  CHECK(cuda::max_memory_allocated() == start);
  const int64_t bytes = int64_t{8} << 20;
  int64_t highest = 0;
  {
    Tensor a = empty({bytes / 4}, kOnGpu);
    Tensor b = empty({bytes / 4}, kOnGpu);
    highest = cuda::memory_allocated();
    CHECK(highest >= start + 2 * bytes);  // more when a cached block just too small to split was taken whole
    CHECK(highest <= start + 2 * bytes + 2 * (int64_t{1} << 20));
  }
  CHECK(cuda::memory_allocated() == start);
  CHECK(cuda::max_memory_allocated() == highest);  // the peak survives the frees
  cuda::reset_peak_memory_stats();
  CHECK(cuda::max_memory_allocated() == start);
  CHECK(cuda::max_memory_allocated(-1) == cuda::max_memory_allocated(cuda::current_device()));
}

TEST_CASE("cuda runtime: an impossible allocation throws OutOfMemoryError and the allocator still works",
          "[cuda][allocator]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: out-of-memory test skipped");
    return;
  }
  const int64_t start = cuda::memory_allocated();
  const int64_t one_pib = int64_t{1} << 50;
  std::string message;
  try {
    empty({one_pib}, TensorOptions(kUInt8).device(Device(kCUDA)));
  } catch (const OutOfMemoryError& e) {
    message = e.what();
  }
  REQUIRE_FALSE(message.empty());
  CHECK_THAT(message, Catch::Contains("1125899906842624 bytes"));
  CHECK_THAT(message, Catch::Contains("cuda:0"));
  CHECK_THAT(message, Catch::Contains("allocated"));
  CHECK_THAT(message, Catch::Contains("reserved"));
  CHECK_THAT(message, Catch::Contains("peak"));
  CHECK(cuda::memory_allocated() == start);
  Tensor after = full({1000}, 3.0f, kOnGpu);
  const std::vector<float> values = after.to_vector<float>();
  CHECK(values == std::vector<float>(1000, 3.0f));
}

TEST_CASE("cuda runtime: empty_cache returns cached blocks to CUDA", "[cuda][allocator]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: empty_cache test skipped");
    return;
  }
  const int64_t bytes = int64_t{64} << 20;
  { Tensor big = empty({bytes / 4}, kOnGpu); }
  const int64_t cached = cuda::memory_reserved();
  CHECK(cached >= bytes);
  cuda::empty_cache();
  CHECK(cuda::memory_reserved() <= cached - bytes);
  CHECK(cuda::memory_reserved() >= cuda::memory_allocated());
}

TEST_CASE("cuda runtime: async copies and a kernel on a side stream ordered by an event", "[cuda][stream]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: stream ordering test skipped");
    return;
  }
  const int64_t n = int64_t{1} << 20;
  Tensor host_in = arange(0, n, 1, kFloat32).pin_memory();
  Tensor host_out = empty({n}, kFloat32).pin_memory();
  REQUIRE(host_in.is_pinned());
  REQUIRE(host_out.is_pinned());
  cuda::Stream side = cuda::get_stream_from_pool();
  CHECK_FALSE(side.is_default());
  CHECK(cuda::current_stream() == cuda::default_stream());
  cuda::Event done;
  {
    cuda::StreamGuard guard(side);
    CHECK(cuda::current_stream() == side);
    Tensor device_copy = empty({n}, kOnGpu);
    device_copy.copy_(host_in, /*non_blocking=*/true);  // H2D, asynchronous on `side`
    Tensor result = device_copy * 2.0f + 1.0f;            // kernels on `side`
    host_out.copy_(result, /*non_blocking=*/true);        // D2H into pinned memory, asynchronous
    done.record(side);
  }
  CHECK(cuda::current_stream() == cuda::default_stream());
  done.synchronize();
  CHECK(done.query());
  CHECK(side.query());
  const float* out = host_out.data_ptr<float>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += out[i] != 2.0f * static_cast<float>(i) + 1.0f;
  CHECK(wrong == 0);
}

TEST_CASE("cuda runtime: a second stream waits for an event of the first", "[cuda][stream]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: cross-stream event test skipped");
    return;
  }
  cuda::Stream producer = cuda::get_stream_from_pool();
  cuda::Stream consumer = cuda::get_stream_from_pool();
  REQUIRE_FALSE(producer == consumer);
  const int64_t n = int64_t{1} << 22;
  Tensor produced = empty({n}, kOnGpu);  // allocated on the default stream, used on both below
  cuda::Event ready(/*enable_timing=*/true);
  cuda::Event start(/*enable_timing=*/true);
  {
    cuda::StreamGuard guard(producer);
    start.record();
    produced.fill_(1.0f);
    for (int i = 0; i < 20; ++i) produced.mul_(1.0f);  // keep the producer busy for a while
    produced.fill_(5.0f);
    ready.record();
  }
  consumer.wait(ready);
  Tensor consumed;
  {
    cuda::StreamGuard guard(consumer);
    consumed = produced.to(kFloat64).to(Device(kCPU), /*non_blocking=*/true);
    CHECK(consumed.is_pinned());  // CUDA -> CPU with non_blocking lands in pinned memory
    consumer.synchronize();
  }
  CHECK(consumer.query());
  const double* values = consumed.data_ptr<double>();
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += values[i] != 5.0;
  CHECK(wrong == 0);
  CHECK(start.elapsed_time(ready) >= 0.0f);
  cuda::synchronize();
  // Events without timing refuse elapsed_time; an unrecorded event is complete and waiting on it is a no-op.
  cuda::Event plain;
  CHECK(plain.query());
  consumer.wait(plain);
  plain.record(consumer);
  CHECK_THAT(error_of([&] { plain.elapsed_time(ready); }), Catch::Contains("enable_timing"));
}

TEST_CASE("cuda runtime: pin_memory and is_pinned", "[cuda][pinned]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: pin_memory test skipped");
    return;
  }
  Tensor pageable = arange(0, 12, 1, kFloat32).reshape({3, 4});
  CHECK_FALSE(pageable.is_pinned());
  Tensor pinned = pageable.pin_memory();
  CHECK(pinned.is_pinned());
  CHECK(pinned.is_cpu());
  CHECK(pinned.to_vector<float>() == pageable.to_vector<float>());
  CHECK(pinned.pin_memory().data_ptr() == pinned.data_ptr());  // already pinned: itself
  CHECK(pinned.t().is_pinned());                                 // views share the pinned storage
  Tensor transposed = pageable.t().pin_memory();                 // a non-contiguous source
  CHECK(transposed.is_pinned());
  CHECK(transposed.to_vector<float>() == pageable.t().contiguous().to_vector<float>());
  Tensor on_gpu = pageable.cuda();
  CHECK_FALSE(on_gpu.is_pinned());
  CHECK_THAT(error_of([&] { on_gpu.pin_memory(); }), Catch::Contains("only CPU tensors can be pinned"));
  CHECK_FALSE(on_gpu.cpu().is_pinned());  // a blocking copy to the CPU lands in ordinary memory
  // Freed pinned blocks are reused; the values of a fresh pinned tensor are then whatever was written last.
  for (int i = 0; i < 3; ++i) {
    Tensor round_trip = full({256}, static_cast<float>(i), kFloat32).pin_memory();
    Tensor back = round_trip.to(Device(kCUDA), /*non_blocking=*/true).to(Device(kCPU));
    CHECK(back.to_vector<float>() == std::vector<float>(256, static_cast<float>(i)));
  }
}

TEST_CASE("cuda runtime: copies across devices with casts broadcasting and strides match the CPU",
          "[cuda][copy]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: cross-device copy test skipped");
    return;
  }
  const Tensor base = sample_values();
  for (ScalarType from : kAllDtypes) {
    const Tensor source = base.to(from).reshape({6, 8}).t();  // [8, 6], non-contiguous
    const Tensor source_gpu = base.to(from).cuda().reshape({6, 8}).t();
    for (ScalarType to : kAllDtypes) {
      INFO(dtype_name(from) << " -> " << dtype_name(to));
      const Tensor expected = empty({8, 6}, to).copy_(source);  // the CPU kernel's answer
      const std::vector<double> want = expected.to_vector<double>();
      // host -> device, strided host source, dense device destination
      Tensor h2d = empty({8, 6}, TensorOptions(to).device(Device(kCUDA))).copy_(source);
      CHECK(h2d.to_vector<double>() == want);
      // device -> device, strided source, cast on the device
      Tensor d2d = empty({8, 6}, TensorOptions(to).device(Device(kCUDA))).copy_(source_gpu);
      CHECK(d2d.to_vector<double>() == want);
      // device -> host into a strided destination
      Tensor d2h = empty({6, 8}, to).t();
      d2h.copy_(source_gpu);
      CHECK(d2h.to_vector<double>() == want);
      // host -> strided device destination
      Tensor strided_gpu = empty({6, 8}, TensorOptions(to).device(Device(kCUDA))).t();
      strided_gpu.copy_(source);
      CHECK(strided_gpu.to_vector<double>() == want);
      // broadcasting: [8, 6] -> [2, 8, 6], from the host and on the device
      std::vector<double> twice = want;
      twice.insert(twice.end(), want.begin(), want.end());
      Tensor broadcast_h2d = empty({2, 8, 6}, TensorOptions(to).device(Device(kCUDA))).copy_(source);
      CHECK(broadcast_h2d.to_vector<double>() == twice);
      Tensor broadcast_d2h = empty({2, 8, 6}, to).copy_(source_gpu);
      CHECK(broadcast_d2h.to_vector<double>() == twice);
    }
  }
  // Tensor::to with a dtype and a device in one call, and a 0-dim tensor.
  Tensor both = base.to(Device(kCUDA), kFloat16);
  CHECK(both.dtype() == kFloat16);
  CHECK(both.to_vector<double>() == base.to(kFloat16).to_vector<double>());
  Tensor scalar = full(IntList(), 2.5, kFloat64).cuda();
  CHECK(scalar.dim() == 0);
  CHECK(scalar.item<double>() == 2.5);
  CHECK(scalar.to(kInt32).cpu().item<int64_t>() == 2);
  if (cuda::device_count() >= 2) {  // peer copies: strided float32 on cuda:0 -> float64 on cuda:1
    const Tensor strided = base.to(kFloat32).reshape({6, 8}).t();
    const Tensor strided_first = base.to(kFloat32).cuda(0).reshape({6, 8}).t();
    Tensor on_second = empty({8, 6}, TensorOptions(kFloat64).device(Device(kCUDA, 1))).copy_(strided_first);
    CHECK(on_second.to_vector<double>() == empty({8, 6}, kFloat64).copy_(strided).to_vector<double>());
  }
}

TEST_CASE("cuda runtime: fill on the device in every dtype", "[cuda][copy]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: fill test skipped");
    return;
  }
  for (ScalarType dtype : kAllDtypes) {
    INFO(dtype_name(dtype));
    Tensor filled = empty({3, 5}, TensorOptions(dtype).device(Device(kCUDA)));
    filled.fill_(1);
    CHECK(filled.to_vector<double>() == std::vector<double>(15, 1.0));
    Tensor strided = zeros({4, 6}, TensorOptions(dtype).device(Device(kCUDA)));
    strided.t().select(0, 1).fill_(1);  // column 1 of the [4, 6] tensor
    const std::vector<double> values = strided.to_vector<double>();
    for (int64_t i = 0; i < 24; ++i) CHECK(values[i] == (i % 6 == 1 ? 1.0 : 0.0));
  }
}

TEST_CASE("cuda runtime: device arguments are checked", "[cuda][errors]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: device argument test skipped");
    return;
  }
  CHECK_THAT(error_of([] { cuda::memory_allocated(99); }), Catch::Contains("memory_allocated") &&
                                                                Catch::Contains("device 99 does not exist"));
  CHECK_THAT(error_of([] { cuda::get_stream_from_pool(-7); }), Catch::Contains("get_stream_from_pool"));
  CHECK_THAT(error_of([] { cuda::set_device(-1); }), Catch::Contains("set_device"));
}

TEST_CASE("cuda runtime: without a CUDA device the runtime API throws a clear error", "[cuda][errors]") {
  if (cuda::is_available()) {
    SUCCEED("a CUDA device exists: the device tests above ran instead");
    return;
  }
#ifdef REEL_WITH_CUDA
  const std::string reason = "no CUDA device is available";
#else
  const std::string reason = "this build of reel has no CUDA backend";
#endif
  CHECK_THAT(error_of([] { cuda::memory_allocated(); }), Catch::Contains("memory_allocated") && Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::max_memory_allocated(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::memory_reserved(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::reset_peak_memory_stats(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::empty_cache(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::synchronize(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::current_device(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::current_stream(); }), Catch::Contains("current_stream") && Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::default_stream(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::get_stream_from_pool(); }), Catch::Contains(reason));
  CHECK_THAT(error_of([] { cuda::Event event; event.record(); }), Catch::Contains(reason));
  const Tensor cpu_values = ones({2, 3});
  CHECK_FALSE(cpu_values.is_pinned());
#ifdef REEL_WITH_CUDA
  CHECK_THAT(error_of([&] { cpu_values.pin_memory(); }), Catch::Contains("pin_memory") && Catch::Contains("no CUDA device"));
#else
  CHECK_THAT(error_of([&] { cpu_values.pin_memory(); }), Catch::Contains("pin_memory") && Catch::Contains("no CUDA backend"));
#endif
}
