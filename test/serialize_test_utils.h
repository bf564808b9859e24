// reel/test/serialize_test_utils.h — helpers shared by test_serialize.cpp and test_serialize_hostile.cpp:
// a scratch directory, raw file reads and writes, the fixture paths, and the arrays the fixtures hold,
// recomputed from the formulas of scripts/make_fixtures.py (expected_arrays, expected_bf16_bits, lcg_bytes).
#pragma once

#include <reel/reel.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "nn/serialize.h"

namespace serialize_test {

using reel::Tensor;
using reel::serialize::NamedTensors;

// A fresh directory under the system temporary directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("reel_serialize_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  // Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string fixture(const std::string& name) { return std::string(REEL_SOURCE_DIR) + "/test/fixtures/" + name; }

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string le_bytes(uint64_t value, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(i < 8 ? static_cast<char>((value >> (8 * i)) & 0xff) : '\0');
  return out;
}

// scripts/make_fixtures.py lcg_bytes: x <- (x * 1103515245 + 12345) mod 2^31, byte (x >> 16) & 0xff.
inline std::vector<uint8_t> lcg_bytes(size_t n, uint64_t seed = 12345) {
  std::vector<uint8_t> out;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = (x * 1103515245u + 12345u) % (uint64_t{1} << 31);
    out.push_back(static_cast<uint8_t>((x >> 16) & 0xff));
  }
  return out;
}

template <typename T, typename Fn>
Tensor from_formula(int64_t n, reel::IntList sizes, Fn&& value) {
  std::vector<T> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(static_cast<T>(value(i)));
  return reel::tensor(values, reel::TensorOptions(reel::dtype_of_v<T>)).reshape(sizes);
}

// scripts/make_fixtures.py expected_arrays(), in the same order.
inline NamedTensors expected_arrays() {
  return {
      {"f64", from_formula<double>(6, {2, 3}, [](int64_t i) { return static_cast<double>(i) / 4 - 1; })},
      {"f32", from_formula<float>(24, {2, 3, 4}, [](int64_t i) { return static_cast<float>(i) * 0.5f - 3; })},
      {"f16",
       from_formula<float>(10, {10}, [](int64_t i) { return static_cast<float>(i) * 0.25f - 1; }).to(reel::kFloat16)},
      {"i64", from_formula<int64_t>(5, {5}, [](int64_t i) { return i * (int64_t{1} << 40) - 3; })},
      {"i32", from_formula<int32_t>(6, {3, 2}, [](int64_t i) { return i - 3; })},
      {"u8", from_formula<uint8_t>(5, {5}, [](int64_t i) { return i * 50; })},
      {"bool", from_formula<bool>(7, {7}, [](int64_t i) { return i % 3 == 0; })},
      {"scalar", reel::scalar_tensor(2.5, reel::kFloat32)},
      {"empty", reel::zeros({0, 4}, reel::kFloat32)},
  };
}

// scripts/make_fixtures.py expected_bf16_bits(), as a bfloat16 tensor.
inline Tensor expected_bf16() {
  return from_formula<float>(8, {2, 4}, [](int64_t i) { return static_cast<float>(i) * 0.5f - 2; }).to(reel::kBFloat16);
}

inline const std::map<std::string, std::string>& expected_metadata() {
  static const std::map<std::string, std::string> metadata = {{"format", "np"},
                                                              {"note", "reel fixture \xc3\xa9\t\"quoted\"\n"}};
  return metadata;
}

// Same dtype, shape and bytes.
inline void require_identical(const Tensor& got, const Tensor& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.defined());
  REQUIRE(got.is_cpu());
  REQUIRE(reel::dtype_name(got.dtype()) == reel::dtype_name(want.dtype()));
  REQUIRE(reel::shape_str(got.sizes()) == reel::shape_str(want.sizes()));
  const Tensor a = got.contiguous();
  const Tensor b = want.contiguous();
  if (a.numel() > 0) REQUIRE(std::memcmp(a.data_ptr(), b.data_ptr(), static_cast<size_t>(a.nbytes())) == 0);
}

inline void require_same_tensors(const NamedTensors& got, const NamedTensors& want) {
  REQUIRE(got.size() == want.size());
  std::map<std::string, Tensor> by_name(got.begin(), got.end());
  for (const auto& [name, tensor] : want) {
    INFO("tensor " << name);
    REQUIRE(by_name.count(name) == 1);
    require_identical(by_name[name], tensor, name);
  }
}

}  // namespace serialize_test
