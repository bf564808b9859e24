// reel/test/test_cuda_ops.cpp — what the op-table harness cannot check about the CUDA shape, index, random and
// creation kernels (cuda/shape.cu, index.cu, random.cu, creation.cu):
//   - random ops on CUDA give bit for bit the CPU's numbers for the same manual_seed (uniform, normal, randint,
//     every dtype, odd sizes, consecutive ops sharing one stream);
//   - an out-of-range index on CUDA throws the CPU's reel::Error (naming the op and the index) and writes nothing;
//   - scatter_add and index_add with heavily clashing indices (GPU atomics) equal the CPU's sums: exactly where
//     the sums are exact in the dtype, within float32 rounding otherwise; scatter with clashes keeps one of the
//     clashing values;
//   - linspace and arange on CUDA equal the CPU bit for bit on long ranges.
// Without a CUDA device every test warns and skips.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace reel;

namespace {

bool skip_without_gpu() {
  if (cuda::is_available()) return false;
  WARN("no CUDA device: CUDA op test skipped");
  return true;
}

const Device kGpu(kCUDA);

std::vector<double> values(const Tensor& t) { return t.to(Device(kCPU)).to_vector<double>(); }

// "" when the two tensors hold exactly the same values (any devices), else the count and the first difference.
std::string difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = values(a), y = values(b);
  if (x.size() != y.size()) return "sizes differ: " + std::to_string(x.size()) + " vs " + std::to_string(y.size());
  size_t count = 0, first = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == y[i]) continue;
    if (count++ == 0) first = i;
  }
  if (count == 0) return "";
  return std::to_string(count) + " of " + std::to_string(x.size()) + " values differ; first at " +
         std::to_string(first) + ": " + fmt::format("{} vs {}", x[first], y[first]);
}

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

// `count` integers drawn uniformly from [0, bound), reproducibly.
std::vector<int64_t> random_integers(int64_t count, int64_t bound, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, bound - 1);
  std::vector<int64_t> out(static_cast<size_t>(count));
  for (int64_t& v : out) v = pick(rng);
  return out;
}

Tensor integer_tensor(const std::vector<int64_t>& data, IntList shape, ScalarType dtype) {
  return tensor(data, kInt64).reshape(shape).to(dtype);
}

const std::vector<std::vector<int64_t>> kRandomShapes = {{1}, {3}, {7}, {4099}, {3, 5, 7}, {1000, 33}};

std::string shape_text(const std::vector<int64_t>& shape) { return shape_str(IntList(shape.data(), shape.size())); }

}  // namespace

// ---- random --------------------------------------------------------------------------------------------------------

TEST_CASE("cuda random: rand and randn on CUDA equal the CPU bit for bit after the same manual_seed",
          "[cuda][random]") {
  if (skip_without_gpu()) return;
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    for (const auto& shape : kRandomShapes) {
      INFO("dtype " << dtype_name(dtype) << ", shape " << shape_text(shape));
      const IntList sizes(shape.data(), shape.size());
      // Two ops in a row: the second starts where the first one's reservation ended, on both devices.
      manual_seed(2024);
      const Tensor cpu_uniform = rand(sizes, dtype);
      const Tensor cpu_normal = randn(sizes, dtype);
      manual_seed(2024);
      const Tensor gpu_uniform = rand(sizes, TensorOptions(dtype).device(kGpu));
      const Tensor gpu_normal = randn(sizes, TensorOptions(dtype).device(kGpu));
      CHECK(gpu_uniform.is_cuda());
      CHECK(difference(gpu_uniform, cpu_uniform) == "");
      CHECK(difference(gpu_normal, cpu_normal) == "");
    }
  }
}

TEST_CASE("cuda random: uniform_ and normal_ with bounds on CUDA equal the CPU bit for bit", "[cuda][random]") {
  if (skip_without_gpu()) return;
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    Tensor cpu = empty({513}, dtype), gpu = empty({513}, TensorOptions(dtype).device(kGpu));
    manual_seed(99);
    uniform_(cpu, -2.5, 3.25);
    manual_seed(99);
    uniform_(gpu, -2.5, 3.25);
    CHECK(difference(gpu, cpu) == "");
    manual_seed(100);
    normal_(cpu, 3.0, 0.37);
    manual_seed(100);
    normal_(gpu, 3.0, 0.37);
    CHECK(difference(gpu, cpu) == "");
  }
}

TEST_CASE("cuda random: randint on CUDA equals the CPU for every dtype and for ranges wider than 2^32",
          "[cuda][random]") {
  if (skip_without_gpu()) return;
  struct Case {
    ScalarType dtype;
    int64_t low, high;
  };
  const Case cases[] = {{kInt64, -3, 17},      {kInt32, -100000, 100000}, {kUInt8, 0, 256},
                        {kBool, 0, 2},         {kFloat16, -1000, 1000},   {kBFloat16, -200, 200},
                        {kFloat32, 0, 1 << 20}, {kFloat64, -7, 7},
                        {kInt64, -(int64_t{1} << 40), int64_t{1} << 40}};  // 64-bit draws
  for (const Case& c : cases) {
    for (const auto& shape : kRandomShapes) {
      INFO("dtype " << dtype_name(c.dtype) << ", range [" << c.low << ", " << c.high << "), shape "
                    << shape_text(shape));
      const IntList sizes(shape.data(), shape.size());
      manual_seed(7);
      const Tensor cpu = randint(c.low, c.high, sizes, c.dtype);
      manual_seed(7);
      const Tensor gpu = randint(c.low, c.high, sizes, TensorOptions(c.dtype).device(kGpu));
      CHECK(gpu.dtype() == c.dtype);
      CHECK(difference(gpu, cpu) == "");
    }
  }
}

// ---- index errors --------------------------------------------------------------------------------------------------

TEST_CASE("cuda index: an out-of-range index throws the CPU's error naming the op and the index", "[cuda][index]") {
  if (skip_without_gpu()) return;
  const Tensor x_cpu = arange(12, kFloat32).reshape({4, 3});
  const Tensor x_gpu = x_cpu.to(kGpu);
  // The same call on both devices must fail with the same message, which names the op and the bad value.
  auto same_error = [](const std::string& op, const std::string& value, auto&& call) {
    const std::string on_cpu = error_of([&] { call(Device(kCPU)); });
    const std::string on_gpu = error_of([&] { call(kGpu); });
    INFO("CPU: " << on_cpu << "\nCUDA: " << on_gpu);
    CHECK(on_gpu.rfind(op + ":", 0) == 0);
    CHECK(on_gpu.find(value) != std::string::npos);
    CHECK(on_gpu == on_cpu);
  };
  same_error("index_select", "index 7 is out of bounds for dim 0 with size 4", [&](Device d) {
    index_select(x_cpu.to(d), 0, tensor(std::vector<int64_t>{0, 7, 1}, kInt64).to(d));
  });
  same_error("index_select", "index -1 is out of bounds for dim 1 with size 3", [&](Device d) {
    index_select(x_cpu.to(d), 1, tensor(std::vector<int64_t>{2, -1}, kInt32).to(d));
  });
  same_error("gather", "index 3 is out of bounds for dim 1 with size 3", [&](Device d) {
    gather(x_cpu.to(d), 1, integer_tensor({0, 3, 1, 0}, {4, 1}, kInt64).to(d));
  });
  same_error("scatter", "index 5 is out of bounds for dim 0 with size 4", [&](Device d) {
    scatter(x_cpu.to(d), 0, integer_tensor({1, 5, 0}, {1, 3}, kInt64).to(d), 0.5);
  });
  same_error("scatter_add", "index -2 is out of bounds for dim 1 with size 3", [&](Device d) {
    scatter_add(x_cpu.to(d), 1, integer_tensor({0, -2}, {2, 1}, kInt64).to(d), ones({2, 1}).to(d));
  });
  same_error("index_add", "index 4 is out of bounds for dim 0 with size 4", [&](Device d) {
    index_add(x_cpu.to(d), 0, tensor(std::vector<int64_t>{4}, kInt32).to(d), ones({1, 3}).to(d));
  });
  same_error("one_hot", "smaller than num_classes (3), got 5", [&](Device d) {
    one_hot(tensor(std::vector<int64_t>{1, 5, 0}, kInt64).to(d), 3);
  });
  same_error("one_hot", "non-negative, got -1", [&](Device d) {
    one_hot(tensor(std::vector<int64_t>{1, -1}, kInt64).to(d), 3);
  });

  // Validation comes before any write: an in-place scatter_ with one bad index leaves self as it was.
  Tensor self = x_gpu.clone();
  const Tensor bad = integer_tensor({0, 1, 2, 0, 1, 9}, {2, 3}, kInt64).to(kGpu);
  CHECK_THROWS_AS(self.scatter_(0, bad, full({2, 3}, -1.0f).to(kGpu)), Error);
  CHECK(difference(self, x_cpu) == "");
}

// ---- accumulation with clashing indices ----------------------------------------------------------------------------

TEST_CASE("cuda index: scatter_add with many clashing indices equals the CPU", "[cuda][index]") {
  if (skip_without_gpu()) return;
  // 400 x 3 updates into 4 x 3 targets, values in {0, 1, 2}: every partial sum stays below 256, so it is exact
  // in every dtype (uint8 wraps, exactly) and the order the atomics land in cannot matter.
  const Tensor index = integer_tensor(random_integers(1200, 4, 1), {400, 3}, kInt64);
  const std::vector<int64_t> src_values = random_integers(1200, 3, 2);
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kUInt8}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor src = integer_tensor(src_values, {400, 3}, dtype);
    const Tensor start = integer_tensor(random_integers(12, 5, 3), {4, 3}, dtype);
    const Tensor cpu = scatter_add(start, 0, index, src);
    const Tensor gpu = scatter_add(start.to(kGpu), 0, index.to(kGpu), src.to(kGpu));
    CHECK(difference(gpu, cpu) == "");
    // In place into a transposed (strided) self, along dim 1 of the [3, 4] view.
    Tensor base_cpu = zeros({4, 3}, dtype), base_gpu = zeros({4, 3}, TensorOptions(dtype).device(kGpu));
    Tensor view_cpu = base_cpu.t(), view_gpu = base_gpu.t();
    const Tensor index_t = index.t().contiguous();
    view_cpu.scatter_add_(1, index_t, src.t());
    view_gpu.scatter_add_(1, index_t.to(kGpu), src.t().to(kGpu));
    CHECK(difference(base_gpu, base_cpu) == "");
  }
  // Heavy contention: 1M updates onto one element (exact: sum 1M < 2^24 in float32).
  const int64_t n = 1 << 20;
  for (ScalarType dtype : {kFloat32, kInt64}) {
    const TensorOptions on_gpu = TensorOptions(dtype).device(kGpu);
    const Tensor all_zero = zeros({n}, TensorOptions(kInt64).device(kGpu));
    const Tensor gpu = scatter_add(zeros({1}, on_gpu), 0, all_zero, ones({n}, on_gpu));
    CHECK(values(gpu) == std::vector<double>{static_cast<double>(n)});
  }
  // Arbitrary float32 values: the order of the sums differs, so within rounding.
  const Tensor real_src = rand({400, 3});
  const Tensor cpu = scatter_add(zeros({4, 3}), 0, index, real_src);
  const Tensor gpu = scatter_add(zeros({4, 3}).to(kGpu), 0, index.to(kGpu), real_src.to(kGpu));
  const std::vector<double> a = values(gpu), b = values(cpu);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-5));
}

TEST_CASE("cuda index: index_add with many clashing indices equals the CPU", "[cuda][index]") {
  if (skip_without_gpu()) return;
  const std::vector<int64_t> positions = random_integers(600, 5, 4);
  const std::vector<int64_t> source_values = random_integers(600 * 4, 3, 5);
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kUInt8}) {
    for (ScalarType index_dtype : {kInt64, kInt32}) {
      INFO("dtype " << dtype_name(dtype) << ", index " << dtype_name(index_dtype));
      const Tensor index = tensor(positions, kInt64).to(index_dtype);
      const Tensor source = integer_tensor(source_values, {600, 4}, dtype);
      const Scalar alpha = is_floating_point(dtype) ? Scalar(1.0) : Scalar(int64_t{2});
      const Tensor start = integer_tensor(random_integers(20, 4, 6), {5, 4}, dtype);
      // dim 0: ~120 updates of {0, 1, 2} per target row, sums below 256 (exact in bfloat16 too).
      const Tensor cpu = index_add(start, 0, index, source, alpha);
      const Tensor gpu = index_add(start.to(kGpu), 0, index.to(kGpu), source.to(kGpu), alpha);
      CHECK(difference(gpu, cpu) == "");
      // dim 1 of a [4, 5] self.
      const Tensor cpu_t = index_add(start.t().contiguous(), 1, index, source.t());
      const Tensor gpu_t = index_add(start.t().contiguous().to(kGpu), 1, index.to(kGpu), source.t().to(kGpu));
      CHECK(difference(gpu_t, cpu_t) == "");
    }
  }
  // alpha = 0.5 on float32/float64: halves of small integers still sum exactly.
  for (ScalarType dtype : {kFloat32, kFloat64}) {
    const Tensor index = tensor(positions, kInt64);
    const Tensor source = integer_tensor(source_values, {600, 4}, dtype);
    const Tensor cpu = index_add(zeros({5, 4}, dtype), 0, index, source, 0.5);
    const Tensor gpu = index_add(zeros({5, 4}, TensorOptions(dtype).device(kGpu)), 0, index.to(kGpu),
                                 source.to(kGpu), 0.5);
    CHECK(difference(gpu, cpu) == "");
  }
}

TEST_CASE("cuda index: scatter with clashing indices keeps one of the clashing values", "[cuda][index]") {
  if (skip_without_gpu()) return;
  // Every row of src goes to row 0 of self: each self[0][j] must end as some src[i][j].
  const Tensor src = arange(30, kFloat32).reshape({10, 3});
  const Tensor gpu = scatter(full({2, 3}, -1.0f).to(kGpu), 0, zeros({10, 3}, kInt64).to(kGpu), src.to(kGpu));
  const std::vector<double> out = values(gpu);
  for (int j = 0; j < 3; ++j) {
    INFO("column " << j << " got " << out[static_cast<size_t>(j)]);
    const double v = out[static_cast<size_t>(j)];
    CHECK(v >= 0.0);
    CHECK(std::fmod(v - j, 3.0) == 0.0);  // src[i][j] = 3 i + j
    CHECK(out[static_cast<size_t>(3 + j)] == -1.0);
  }
}

// ---- creation -------------------------------------------------------------------------------------------------------

TEST_CASE("cuda creation: linspace and arange on CUDA equal the CPU bit for bit", "[cuda][creation]") {
  if (skip_without_gpu()) return;
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kUInt8}) {
    INFO("dtype " << dtype_name(dtype));
    const double high = dtype == kUInt8 ? 255.0 : dtype == kFloat16 || dtype == kBFloat16 ? 100.0 : 12345.0;
    for (int64_t steps : {1, 2, 3, 100001}) {
      INFO("linspace(-0.3 or 0, " << high << ", " << steps << ")");
      const double low = dtype == kUInt8 ? 0.0 : -0.3;
      const Tensor gpu = linspace(low, high, steps, TensorOptions(dtype).device(kGpu));
      CHECK(difference(gpu, linspace(low, high, steps, dtype)) == "");
    }
    if (is_floating_point(dtype)) {
      const Tensor gpu = arange(-1.0, 37.0, 0.1, TensorOptions(dtype).device(kGpu));
      CHECK(difference(gpu, arange(-1.0, 37.0, 0.1, dtype)) == "");
    } else {
      const int64_t end = dtype == kUInt8 ? 250 : 100000;
      CHECK(difference(arange(3, end, 7, TensorOptions(dtype).device(kGpu)), arange(3, end, 7, dtype)) == "");
    }
    CHECK(difference(eye(5, 7, TensorOptions(dtype).device(kGpu)), eye(5, 7, dtype)) == "");
  }
}
