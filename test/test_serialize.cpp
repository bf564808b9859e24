// Tests of nn/serialize.h on good files: round trips of every dtype and shape (0-dim and size-0 included)
// through safetensors, .npy and .npz; non-contiguous tensors; metadata; fixtures written by numpy and
// safetensors (test/fixtures, from scripts/make_fixtures.py), including byte-for-byte equality with what the
// reference libraries write; atomic saves (a failing save and a killed save leave the previous file intact);
// and, where Python with numpy and safetensors is installed, reel's files read back by the Python libraries.
// The hostile files are in test_serialize_hostile.cpp.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "serialize_test_utils.h"

using Catch::Contains;
using reel::Tensor;
using namespace reel::serialize;
using namespace serialize_test;

namespace {

NamedTensors expected_with_bf16() {
  NamedTensors tensors = expected_arrays();
  tensors.emplace_back("bf16", expected_bf16());
  return tensors;
}

std::vector<std::string> names_of(const NamedTensors& tensors) {
  std::vector<std::string> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  return names;
}

// Tensors equal in value to `expected_arrays()` but built as views with unusual strides.
NamedTensors non_contiguous_arrays() {
  NamedTensors tensors = expected_arrays();
  for (auto& [name, tensor] : tensors) {
    if (name == "f64")
      tensor = reel::tensor(std::vector<double>{-1, -0.25, -0.75, 0, -0.5, 0.25}, reel::kFloat64).reshape({3, 2}).t();
    if (name == "f32") tensor = tensor.permute({2, 0, 1}).contiguous().permute({1, 2, 0});
    if (name == "i32") {
      Tensor wide = reel::zeros({3, 4}, reel::kInt32);
      wide.slice(1, 0, 4, 2).copy_(tensor);
      tensor = wide.slice(1, 0, 4, 2);
    }
    if (name == "u8")
      tensor = reel::tensor(std::vector<uint8_t>{9, 0, 9, 50, 9, 100, 9, 150, 9, 200}).slice(0, 1, 10, 2);
  }
  for (const auto& [name, tensor] : tensors) {
    if (name == "f64" || name == "f32" || name == "i32" || name == "u8") REQUIRE_FALSE(tensor.is_contiguous());
  }
  return tensors;
}

}  // namespace

// ---- safetensors -----------------------------------------------------------------------------------------

TEST_CASE("safetensors round trip of every dtype with metadata", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(path, expected_with_bf16(), expected_metadata());
  std::map<std::string, std::string> metadata = {{"stale", "entry"}};
  const NamedTensors loaded = load_safetensors(path, &metadata);
  require_same_tensors(loaded, expected_with_bf16());
  REQUIRE(metadata == expected_metadata());
  // The data lies sorted by descending dtype alignment, then by name, and loads in that order.
  REQUIRE(names_of(loaded) ==
          std::vector<std::string>{"i64", "f64", "empty", "f32", "scalar", "i32", "bf16", "f16", "u8", "bool"});
  REQUIRE(dir.entries() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors writes the bytes the Python library writes", "[serialize]") {
  TempDir dir;
  save_safetensors(dir.file("plain.safetensors"), expected_arrays());
  REQUIRE(read_bytes(dir.file("plain.safetensors")) == read_bytes(fixture("reference_numpy.safetensors")));

  save_safetensors(dir.file("none.safetensors"), {});
  REQUIRE(read_bytes(dir.file("none.safetensors")) == le_bytes(8, 8) + "{}      ");
  REQUIRE(load_safetensors(dir.file("none.safetensors")).empty());
}

TEST_CASE("safetensors files written by the Python library load", "[serialize]") {
  std::map<std::string, std::string> metadata;
  const NamedTensors loaded = load_safetensors(fixture("reference.safetensors"), &metadata);
  require_same_tensors(loaded, expected_with_bf16());
  REQUIRE(metadata == expected_metadata());

  const NamedTensors plain = load_safetensors(fixture("reference_numpy.safetensors"), &metadata);
  require_same_tensors(plain, expected_arrays());
  REQUIRE(metadata.empty());
}

TEST_CASE("safetensors saves non-contiguous views and tensors that require grad", "[serialize]") {
  TempDir dir;
  NamedTensors tensors = non_contiguous_arrays();
  Tensor weight = reel::ones({2, 2}, reel::kFloat32).requires_grad_();
  tensors.emplace_back("weight", weight);
  tensors.emplace_back("expanded", reel::tensor(std::vector<int64_t>{4, 5}).reshape({2, 1}).expand({2, 3}));
  save_safetensors(dir.file("views.safetensors"), tensors);

  NamedTensors want = expected_arrays();
  want.emplace_back("weight", reel::ones({2, 2}, reel::kFloat32));
  want.emplace_back("expanded", reel::tensor(std::vector<int64_t>{4, 4, 4, 5, 5, 5}).reshape({2, 3}));
  require_same_tensors(load_safetensors(dir.file("views.safetensors")), want);
}

TEST_CASE("safetensors metadata and names keep every character", "[serialize]") {
  TempDir dir;
  const std::map<std::string, std::string> metadata = {{"controls", std::string("\x01\x1f\x7f\b\f\n\r\t", 8)},
                                                       {"quotes", "a \"quoted\" back\\slash / slash"},
                                                       {"unicode", "\xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8"},
                                                       {"empty", ""}};
  const std::string odd_name = "layer.0/\"w\"\\\n\xc3\xa9";
  save_safetensors(dir.file("m.safetensors"), {{odd_name, reel::ones({1}, reel::kFloat32)}, {"", reel::zeros({1})}},
                   metadata);
  const std::string bytes = read_bytes(dir.file("m.safetensors"));
  // serde_json's escapes: short forms where JSON has them, \u00XX for other control bytes, the rest verbatim.
  REQUIRE_THAT(bytes, Contains("\"controls\":\"\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\""));
  REQUIRE_THAT(bytes, Contains("\"quotes\":\"a \\\"quoted\\\" back\\\\slash / slash\""));
  std::map<std::string, std::string> loaded_metadata;
  const NamedTensors loaded = load_safetensors(dir.file("m.safetensors"), &loaded_metadata);
  REQUIRE(loaded_metadata == metadata);
  REQUIRE(names_of(loaded) == std::vector<std::string>{"", odd_name});
}

TEST_CASE("safetensors save errors name the file and the problem", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const Tensor one = reel::ones({1});
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", one}, {"a", one}}),
                      Contains(path) && Contains("'a' is given twice"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"__metadata__", one}}), Contains(path) && Contains("reserved"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"u", Tensor()}}), Contains(path) && Contains("'u' is undefined"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"bad\xff", one}}), Contains(path) && Contains("not valid UTF-8"));
  REQUIRE_THROWS_WITH(save_safetensors(path, {{"a", one}}, {{"k", "\xc0\x80"}}),
                      Contains(path) && Contains("metadata value"));
  REQUIRE(dir.entries().empty());
}

// ---- npy ------------------------------------------------------------------------------------------------

TEST_CASE("npy round trip of every dtype writes numpy.save's bytes", "[serialize]") {
  TempDir dir;
  for (const auto& [name, tensor] : expected_arrays()) {
    const std::string path = dir.file(name + ".npy");
    save_npy(path, tensor);
    require_identical(load_npy(path), tensor, name);
    INFO("npy_" << name << ".npy");
    REQUIRE(read_bytes(path) == read_bytes(fixture("npy_" + name + ".npy")));
  }
  for (const auto& [name, tensor] : non_contiguous_arrays()) {
    save_npy(dir.file("view.npy"), tensor);
    require_identical(load_npy(dir.file("view.npy")), tensor.contiguous(), name);
  }
}

TEST_CASE("npy files written by numpy load", "[serialize]") {
  for (const auto& [name, tensor] : expected_arrays())
    require_identical(load_npy(fixture("npy_" + name + ".npy")), tensor, name);
  const Tensor fortran = load_npy(fixture("npy_fortran.npy"));
  require_identical(fortran, reel::arange(24, reel::kInt32).reshape({2, 3, 4}), "fortran");
  REQUIRE(fortran.is_contiguous());
  const NamedTensors arrays = expected_arrays();
  require_identical(load_npy(fixture("npy_bigendian_f8.npy")), arrays[0].second, "big-endian f8");
  require_identical(load_npy(fixture("npy_bigendian_i4.npy")), arrays[4].second, "big-endian i4");
  require_identical(load_npy(fixture("npy_v2.npy")), arrays[1].second, "format 2.0");
  require_identical(load_npy(fixture("npy_v3.npy")), arrays[1].second, "format 3.0");
}

TEST_CASE("npy refuses bfloat16 and undefined tensors", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("bf.npy");
  REQUIRE_THROWS_WITH(save_npy(path, expected_bf16()), Contains(path) && Contains("bfloat16") && Contains("NumPy"));
  REQUIRE_THROWS_WITH(save_npy(path, Tensor()), Contains(path) && Contains("undefined"));
  REQUIRE(dir.entries().empty());
}

// ---- npz ------------------------------------------------------------------------------------------------

TEST_CASE("int8 and int16 tensors round trip and read the Python libraries' files", "[serialize]") {
  // The I8 file was written by safetensors' numpy API (scripts/make_fixtures.py): arange(-2, 2, dtype=int8).
  const NamedTensors from_python = load_safetensors(fixture("unsupported_i8.safetensors"));
  REQUIRE(from_python.size() == 1);
  require_identical(from_python[0].second, reel::arange(-2, 2, 1, reel::kInt8), "I8 from safetensors");
  TempDir dir;
  const Tensor i8 = reel::tensor({-128, -1, 0, 1, 127}).to(reel::kInt8);
  const Tensor i16 = reel::tensor({-32768, -300, 0, 300, 32767}).to(reel::kInt16).reshape({5, 1});
  save_safetensors(dir.file("ints.safetensors"), {{"i8", i8}, {"i16", i16}});
  const NamedTensors back = load_safetensors(dir.file("ints.safetensors"));
  REQUIRE(back.size() == 2);
  for (const auto& [name, t] : back) require_identical(t, name == "i8" ? i8 : i16, name);
  for (const auto& [name, t, descr] : {std::tuple{"i8", i8, "'|i1'"}, std::tuple{"i16", i16, "'<i2'"}}) {
    const std::string path = dir.file(std::string(name) + ".npy");
    save_npy(path, t);
    require_identical(load_npy(path), t, name);
    const std::string bytes = read_bytes(path);
    INFO(name);
    REQUIRE(bytes.find(descr) != std::string::npos);  // numpy's own spelling of the dtype
  }
}

TEST_CASE("npz round trip keeps names and order", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("arrays.npz");
  save_npz(path, expected_arrays());
  const NamedTensors loaded = load_npz(path);
  REQUIRE(names_of(loaded) == names_of(expected_arrays()));
  require_same_tensors(loaded, expected_arrays());

  save_npz(path, non_contiguous_arrays());
  require_same_tensors(load_npz(path), expected_arrays());
  save_npz(path, {{"caf\xc3\xa9/w", reel::ones({2}, reel::kInt64)}});
  REQUIRE(names_of(load_npz(path)) == std::vector<std::string>{"caf\xc3\xa9/w"});
  save_npz(path, {});
  REQUIRE(load_npz(path).empty());
}

TEST_CASE("npz archives written by numpy load stored and compressed", "[serialize]") {
  require_same_tensors(load_npz(fixture("reference.npz")), expected_arrays());

  NamedTensors compressed_want = expected_arrays();
  const std::vector<uint8_t> lcg = lcg_bytes(1500);
  compressed_want.emplace_back("lcg", reel::tensor(lcg));
  compressed_want.emplace_back("ramp", reel::arange(400, reel::kFloat32));
  const NamedTensors compressed = load_npz(fixture("reference_compressed.npz"));
  REQUIRE(names_of(compressed) == names_of(compressed_want));
  require_same_tensors(compressed, compressed_want);

  NamedTensors level0_want;
  for (const auto& [name, tensor] : expected_arrays()) {
    if (name == "f32" || name == "u8" || name == "bool") level0_want.emplace_back(name, tensor);
  }
  require_same_tensors(load_npz(fixture("reference_level0.npz")), level0_want);
}

TEST_CASE("npz save errors name the tensor", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("bad.npz");
  REQUIRE_THROWS_WITH(save_npz(path, {{"ok", reel::ones({1})}, {"half", expected_bf16()}}),
                      Contains(path) && Contains("tensor 'half' is bfloat16"));
  REQUIRE_THROWS_WITH(save_npz(path, {{"a", reel::ones({1})}, {"a", reel::ones({1})}}), Contains("'a' is given twice"));
  REQUIRE_THROWS_WITH(save_npz(path, {{"", reel::ones({1})}}), Contains("empty"));
  REQUIRE(dir.entries().empty());
}

// ---- atomic writes --------------------------------------------------------------------------------------

TEST_CASE("a save that fails mid-write leaves the previous file and no temporary", "[serialize]") {
  TempDir dir;
  const Tensor small = reel::arange(4, reel::kFloat32);
  const Tensor big = reel::ones({1 << 20}, reel::kFloat32);  // 4 MiB: over the file-size limit set below
  const std::string st = dir.file("w.safetensors"), npy = dir.file("w.npy"), npz = dir.file("w.npz");
  save_safetensors(st, {{"w", small}});
  save_npy(npy, small);
  save_npz(npz, {{"w", small}});
  const std::string st_before = read_bytes(st), npy_before = read_bytes(npy), npz_before = read_bytes(npz);

  // The kernel refuses writes past RLIMIT_FSIZE with EFBIG (SIGXFSZ ignored): a real I/O error mid-write.
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGXFSZ, &ignore, &previous) == 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string errors[3];
  try {
    save_safetensors(st, {{"w", big}});
  } catch (const reel::Error& e) {
    errors[0] = e.what();
  }
  try {
    save_npy(npy, big);
  } catch (const reel::Error& e) {
    errors[1] = e.what();
  }
  try {
    save_npz(npz, {{"w", big}});
  } catch (const reel::Error& e) {
    errors[2] = e.what();
  }
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &saved) == 0);
  REQUIRE(::sigaction(SIGXFSZ, &previous, nullptr) == 0);

  REQUIRE_THAT(errors[0], Contains(st) && Contains("writing the temporary file") && Contains("File too large"));
  REQUIRE_THAT(errors[1], Contains(npy) && Contains("File too large"));
  REQUIRE_THAT(errors[2], Contains(npz) && Contains("File too large"));
  REQUIRE(read_bytes(st) == st_before);
  REQUIRE(read_bytes(npy) == npy_before);
  REQUIRE(read_bytes(npz) == npz_before);
  REQUIRE(dir.entries() == std::vector<std::string>{"w.npy", "w.npz", "w.safetensors"});
}

TEST_CASE("a save into a missing directory or over a directory fails cleanly", "[serialize]") {
  TempDir dir;
  const Tensor t = reel::ones({3});
  const std::string missing = dir.file("no/such/dir/w.safetensors");
  REQUIRE_THROWS_WITH(save_safetensors(missing, {{"w", t}}),
                      Contains(missing) && Contains("cannot create the temporary file"));
  std::filesystem::create_directory(dir.file("taken"));
  REQUIRE_THROWS_WITH(save_npy(dir.file("taken"), t), Contains("taken") && Contains("renaming the temporary file"));
  REQUIRE(dir.entries() == std::vector<std::string>{"taken"});
  REQUIRE(std::filesystem::is_empty(dir.file("taken")));
}

TEST_CASE("a save killed mid-write leaves the previous checkpoint loadable", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  const Tensor old_weights = reel::full({1 << 22}, 1.0, reel::kFloat32);  // 16 MiB
  const Tensor new_weights = reel::full({1 << 22}, 2.0, reel::kFloat32);
  save_safetensors(path, {{"w", old_weights}});

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child only rewrites the checkpoint, over and over, until it is killed.
    try {
      for (int i = 0; i < 1000; ++i) save_safetensors(path, {{"w", new_weights}});
    } catch (...) {
    }
    ::_exit(0);
  }
  // Kill it once a temporary file exists, that is, while a save is in progress.
  bool seen_temporary = false;
  for (int i = 0; i < 20000 && !seen_temporary; ++i) {
    for (const std::string& name : dir.entries()) seen_temporary |= name.find(".tmp.") != std::string::npos;
    if (!seen_temporary) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(seen_temporary);

  const NamedTensors loaded = load_safetensors(path);
  REQUIRE(loaded.size() == 1);
  const Tensor& got = loaded[0].second;
  REQUIRE(got.numel() == old_weights.numel());
  const bool is_old = std::memcmp(got.data_ptr(), old_weights.data_ptr(), static_cast<size_t>(got.nbytes())) == 0;
  const bool is_new = std::memcmp(got.data_ptr(), new_weights.data_ptr(), static_cast<size_t>(got.nbytes())) == 0;
  REQUIRE((is_old || is_new));
}

// ---- Python reads reel's files ----------------------------------------------------------------------------

TEST_CASE("files written by reel load in numpy and safetensors", "[serialize]") {
  if (std::system("python3 -c \"import numpy, safetensors\" >/dev/null 2>&1") != 0) {
    WARN(
        "python3 with numpy and safetensors is not available: skipping the check in Python "
        "(pip install numpy safetensors)");
    return;
  }
  TempDir dir;
  NamedTensors with_views = non_contiguous_arrays();
  with_views.emplace_back("bf16", expected_bf16().t().contiguous().t());
  save_safetensors(dir.file("reel.safetensors"), with_views, expected_metadata());
  save_safetensors(dir.file("reel_plain.safetensors"), expected_arrays());
  for (const auto& [name, tensor] : non_contiguous_arrays()) save_npy(dir.file("reel_" + name + ".npy"), tensor);
  save_npz(dir.file("reel.npz"), non_contiguous_arrays());
  const std::string command =
      "python3 " + std::string(REEL_SOURCE_DIR) + "/scripts/check_reel_files.py " + dir.path().string();
  REQUIRE(std::system(command.c_str()) == 0);
}
