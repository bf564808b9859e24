// reel/test/test_errors.cpp — misuse must throw reel::Error with a message that names the op and shows the
// shapes (and, where they matter, the dtypes, dims, indices or devices) involved.
//
// One test case per class of misuse: broadcast mismatch, matmul inner sizes, dims out of range (negative dims
// wrap, too-negative ones throw), indices out of range, views over incompatible strides, reshapes to another
// element count, negative sizes, size overflow, unsupported dtypes, in-place results that do not fit, tensors
// on different devices (without a GPU: creating a CUDA tensor throws), and undefined tensors. Then a CPU
// allocation larger than the address space (reel::OutOfMemoryError), and the table of docs/errors.md: each
// message quoted there is produced here and compared in full, and must appear in the document verbatim.
#include <reel/reel.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test/op_table.h"

namespace reel::test {

namespace {

// Runs `call` and checks that it throws reel::Error whose message contains each of `parts`.
template <typename Call>
void check_error(Call&& call, const std::vector<std::string>& parts) {
  try {
    call();
  } catch (const reel::Error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    for (const std::string& part : parts) CHECK_THAT(message, Catch::Contains(part));
    return;
  } catch (const std::exception& e) {
    FAIL_CHECK("threw an exception that is not a reel::Error: " << e.what());
    return;
  }
  FAIL_CHECK("no exception was thrown");
}

Tensor values_2x3() { return from_blob_copy<double>(std::vector<double>{1, 2, 3, 4, 5, 6}.data(), {2, 3}); }

}  // namespace

TEST_CASE("errors: shapes that do not broadcast", "[errors]") {
  const Tensor a = ones({2, 3}), b = ones({4});
  check_error([&] { reel::add(a, b); }, {"add", "[2, 3]", "[4]"});
  check_error([&] { reel::mul(ones({3, 1, 4}), ones({2, 3})); }, {"mul", "[3, 1, 4]", "[2, 3]"});
  check_error([&] { reel::where(ones({2, 3}, kBool), a, b); }, {"where", "[2, 3]", "[4]"});
  check_error([&] { reel::masked_fill(a, ones({3, 3}, kBool), 1.0); }, {"masked_fill", "[2, 3]", "[3, 3]"});
  check_error([&] { Tensor x = ones({2, 3}); x.copy_(ones({4})); }, {"copy_", "[2, 3]", "[4]"});
}

TEST_CASE("errors: matrix products with mismatched inner sizes", "[errors]") {
  // PyTorch's wording, which these messages follow, writes the shapes as 2x3.
  check_error([] { reel::mm(ones({2, 3}), ones({4, 5})); }, {"mm", "2x3", "4x5"});
  check_error([] { reel::bmm(ones({2, 2, 3}), ones({2, 4, 5})); }, {"bmm", "2x2x3", "2x4x5"});
  check_error([] { reel::matmul(ones({2, 3}), ones({4})); }, {"matmul", "[2, 3]", "[4]"});
  check_error([] { reel::addmm(ones({2, 5}), ones({2, 3}), ones({4, 5})); }, {"addmm", "2x3", "4x5"});
  check_error([] { reel::mm(ones({2, 3}), ones({3})); }, {"mm", "[3]"});
}

TEST_CASE("errors: dims out of range - negative dims wrap", "[errors]") {
  const Tensor x = values_2x3();
  // -1 is the last dim, -2 the first, for every op taking a dim.
  CHECK(reel::sum(x, {-1}).to_vector<double>() == reel::sum(x, {1}).to_vector<double>());
  CHECK(reel::softmax(x, -2).to_vector<double>() == reel::softmax(x, 0).to_vector<double>());
  CHECK(x.unsqueeze(-1).sizes().vec() == std::vector<int64_t>{2, 3, 1});
  CHECK(x.transpose(-1, -2).sizes().vec() == std::vector<int64_t>{3, 2});
  CHECK(reel::cat({x, x}, -1).sizes().vec() == std::vector<int64_t>{2, 6});

  check_error([&] { reel::sum(x, {2}); }, {"sum", "2", "[2, 3]"});
  check_error([&] { reel::sum(x, {-3}); }, {"sum", "-3", "[2, 3]"});
  check_error([&] { reel::softmax(x, 2); }, {"softmax", "2", "[2, 3]"});
  check_error([&] { x.transpose(0, -3); }, {"transpose", "-3", "[2, 3]"});
  check_error([&] { x.unsqueeze(3); }, {"unsqueeze", "3", "[2, 3]"});
  check_error([&] { reel::cat({x, x}, 2); }, {"cat", "2", "[2, 3]"});
  check_error([&] { reel::argmax(x, -3); }, {"argmax", "-3", "[2, 3]"});
}

TEST_CASE("errors: indices out of range", "[errors]") {
  const Tensor x = values_2x3();
  check_error([&] { x.select(0, 2); }, {"select", "2", "[2, 3]"});
  check_error([&] { x.select(1, -4); }, {"select", "-4", "[2, 3]"});
  check_error([&] { x.narrow(1, 2, 2); }, {"narrow", "[2, 3]"});
  check_error([&] { reel::index_select(x, 0, reel::tensor({0, 5}, kInt64)); }, {"index_select", "5", "[2, 3]"});
  check_error([&] { reel::index_select(x, 1, reel::tensor({-1}, kInt64)); }, {"index_select", "-1", "[2, 3]"});
  check_error([&] { reel::gather(x, 1, from_blob_copy<int64_t>(std::vector<int64_t>{0, 3}.data(), {2, 1})); },
              {"gather", "3", "[2, 3]"});
  check_error([&] { reel::embedding(x, reel::tensor({2}, kInt64)); }, {"embedding", "2", "[2, 3]"});
  check_error([&] { reel::one_hot(reel::tensor({0, 4}, kInt64), 3); }, {"one_hot", "4", "3"});
}

TEST_CASE("errors: view over incompatible strides", "[errors]") {
  const Tensor transposed = values_2x3().t();
  check_error([&] { transposed.view({6}); }, {"view", "[3, 2]", "[6]"});
  // reshape copies instead.
  CHECK(transposed.reshape({6}).to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
  check_error([&] { values_2x3().expand({3, 3}); }, {"expand", "[2, 3]", "[3, 3]"});
  check_error([&] { values_2x3().as_strided({2, 3}, {3}); }, {"as_strided", "[2, 3]"});
}

TEST_CASE("errors: reshape to a different number of elements", "[errors]") {
  const Tensor x = values_2x3();
  check_error([&] { x.reshape({4}); }, {"reshape", "[2, 3]", "[4]"});
  check_error([&] { x.view({5, -1}); }, {"view", "[2, 3]", "[5, -1]"});
  check_error([&] { x.reshape({-1, -1}); }, {"reshape", "[-1, -1]"});
}

TEST_CASE("errors: negative sizes", "[errors]") {
  check_error([] { reel::empty({2, -1}); }, {"empty", "[2, -1]"});
  check_error([] { reel::zeros({-3}); }, {"zeros", "[-3]"});
  check_error([] { reel::rand({4, -2}); }, {"rand", "[4, -2]"});
  check_error([] { reel::eye(-1); }, {"eye", "-1"});
  check_error([] { values_2x3().repeat({1, -1}); }, {"repeat", "[1, -1]"});
}

TEST_CASE("errors: sizes whose element count overflows", "[errors]") {
  const int64_t huge = int64_t{1} << 40;
  check_error([&] { reel::empty({huge, huge}); }, {"empty", "[1099511627776, 1099511627776]"});
  check_error([&] { reel::ones({huge, huge, 16}); }, {"ones", "[1099511627776, 1099511627776, 16]"});
  // The element count fits in int64, the byte count does not.
  check_error([&] { reel::empty({int64_t{1} << 62}, kFloat64); }, {"empty", "[4611686018427387904]"});
}

TEST_CASE("errors: dtypes an op does not support", "[errors]") {
  const Tensor flags = ones({2, 3}, kBool), counts = ones({2, 3}, kInt64);
  check_error([&] { reel::sub(flags, flags); }, {"sub", "bool", "[2, 3]"});
  check_error([&] { reel::neg(flags); }, {"neg", "bool", "[2, 3]"});
  check_error([&] { reel::mean(counts); }, {"mean", "int64", "[2, 3]"});
  check_error([&] { reel::softmax(counts, 0); }, {"softmax", "int64", "[2, 3]"});
  check_error([&] { reel::var(counts); }, {"var", "int64", "[2, 3]"});
  check_error([&] { reel::mm(ones({2, 2}, kBool), ones({2, 2}, kBool)); }, {"mm", "bool", "[2, 2]"});
  check_error([&] { reel::where(counts, counts, counts); }, {"where", "int64", "[2, 3]"});
  check_error([&] { reel::masked_fill(counts, flags, 0.5); }, {"masked_fill", "int64"});
  check_error([&] { reel::index_select(values_2x3(), 0, ones({1}, kFloat32)); }, {"index_select", "float32"});
  check_error([&] { reel::rand({2}, kInt64); }, {"rand", "int64"});
  check_error([&] { reel::arange(3, kBool); }, {"arange", "bool"});
}

// The ops whose math has no bool meaning (the Numeric rows of tensor/ops.def) refuse bool inputs with one message,
// as PyTorch does; the other Same-dtype ops take them.
TEST_CASE("errors: the elementwise ops without a bool meaning refuse bool inputs", "[errors]") {
  const Tensor flags = ones({2, 3}, kBool);
  const std::vector<std::pair<std::string, std::function<Tensor()>>> unary = {
      {"neg", [&] { return reel::neg(flags); }},
      {"abs", [&] { return reel::abs(flags); }},
      {"sign", [&] { return reel::sign(flags); }},
      {"square", [&] { return reel::square(flags); }},
      {"relu", [&] { return reel::relu(flags); }},
      {"floor", [&] { return reel::floor(flags); }},
      {"ceil", [&] { return reel::ceil(flags); }},
      {"round", [&] { return reel::round(flags); }},
      {"hardtanh", [&] { return reel::hardtanh(flags); }},
      {"threshold", [&] { return reel::threshold(flags, 0.5, 0.0); }},
  };
  for (const auto& [name, call] : unary) {
    INFO(name);
    CHECK_THROWS_WITH(call(), name + ": dtype bool is not supported (shape [2, 3])");
  }
  CHECK_THROWS_WITH(reel::sub(flags, flags), "sub: dtype bool is not supported (shapes [2, 3] and [2, 3])");
  CHECK_THROWS_WITH(reel::pow(flags, flags), "pow: dtype bool is not supported (shapes [2, 3] and [2, 3])");
  CHECK(reel::add(flags, flags).dtype() == kBool);
  CHECK(reel::mul(flags, flags).dtype() == kBool);
  CHECK(reel::maximum(flags, flags).dtype() == kBool);
  CHECK(reel::minimum(flags, flags).dtype() == kBool);
}

TEST_CASE("errors: in-place results that do not fit the tensor", "[errors]") {
  check_error([] { Tensor x = ones({3}); x.add_(ones({2, 3})); }, {"add_", "[2, 3]", "[3]"});
  check_error([] { Tensor x = ones({2, 3}, kInt64); x.div_(ones({2, 3}, kInt64)); }, {"div_", "float32", "int64"});
  check_error([] { Tensor x = ones({2, 3}, kInt64); x.exp_(); }, {"exp_", "int64"});
}

TEST_CASE("errors: tensors on different devices and or on a device that is not there", "[errors]") {
  if (!cuda::is_available()) {
    // Without a GPU every way of making a CUDA tensor throws a clear error.
    check_error([] { reel::empty({2, 3}, Device(kCUDA)); }, {"empty", "CUDA", "[2, 3]"});
    check_error([] { reel::zeros({2}, Device(kCUDA)); }, {"zeros", "CUDA"});
    check_error([] { values_2x3().to(Device(kCUDA)); }, {"CUDA", "[2, 3]"});
    check_error([] { values_2x3().cuda(); }, {"CUDA", "[2, 3]"});
    return;
  }
  const Tensor on_cpu = ones({2, 3}), on_gpu = ones({2, 3}, Device(kCUDA));
  check_error([&] { reel::add(on_cpu, on_gpu); }, {"add", "cpu", "cuda", "[2, 3]"});
  check_error([&] { reel::mm(on_cpu, on_gpu.t()); }, {"mm", "cpu", "cuda"});
  check_error([&] { reel::where(ones({2, 3}, kBool), on_cpu, on_gpu); }, {"where", "cpu", "cuda"});
  check_error([&] { reel::cat({on_cpu, on_gpu}); }, {"cat", "cpu", "cuda"});
  check_error([&] { reel::index_select(on_gpu, 0, reel::tensor({0}, kInt64)); }, {"index_select", "cpu", "cuda"});
  check_error([] { ones({2}, Device(kCUDA, 99)); }, {"cuda:99"});
}

TEST_CASE("errors: undefined tensors", "[errors]") {
  const Tensor undefined;
  CHECK_FALSE(undefined.defined());
  check_error([&] { reel::exp(undefined); }, {"exp", "undefined"});
  check_error([&] { reel::add(ones({2}), undefined); }, {"add", "undefined"});
  check_error([&] { reel::sum(undefined); }, {"sum", "undefined"});
  check_error([&] { reel::matmul(undefined, ones({2, 2})); }, {"matmul", "undefined"});
  check_error([&] { undefined.view({2}); }, {"view", "undefined"});
  check_error([&] { undefined.item(); }, {"item", "undefined"});
  check_error([&] { undefined.to_vector<float>(); }, {"to_vector", "undefined"});
  check_error([&] { reel::cat({ones({2}), undefined}); }, {"cat", "undefined"});
  // the metadata accessors too (they once read through a null pointer)
  check_error([&] { (void)undefined.sizes(); }, {"sizes", "undefined"});
  check_error([&] { (void)undefined.dim(); }, {"dim", "undefined"});
  check_error([&] { (void)undefined.numel(); }, {"numel", "undefined"});
  check_error([&] { (void)undefined.dtype(); }, {"dtype", "undefined"});
  check_error([&] { (void)undefined.device(); }, {"device", "undefined"});
  check_error([&] { (void)undefined.is_contiguous(); }, {"is_contiguous", "undefined"});
  check_error([&] { (void)undefined.requires_grad(); }, {"requires_grad", "undefined"});
}

// ThreadSanitizer and AddressSanitizer replace malloc: by default they abort on an allocation this large
// instead of returning null, so the test only runs in builds without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REEL_TEST_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define REEL_TEST_SANITIZED_MALLOC 1
#endif
#endif

TEST_CASE("errors: a CPU allocation larger than the address space throws OutOfMemoryError", "[errors]") {
#ifdef REEL_TEST_SANITIZED_MALLOC
  WARN("sanitizer build: its malloc aborts instead of failing, so the CPU out-of-memory test is skipped");
#else
  const Tensor kept = ones({1000});  // a live block, so the statistics are not all zero
  const cpu::MemoryStats before = cpu::memory_stats();
  const int64_t too_many = int64_t{1} << 48;  // 256 TiB: more than x86-64's 128 TiB of user address space
  std::string message;
  try {
    reel::empty({too_many}, kUInt8);
  } catch (const OutOfMemoryError& e) {
    message = e.what();
  }
  INFO("message: " << message);
  REQUIRE_FALSE(message.empty());
  // The statistics are those of the live blocks, without the failed request: no negative cached bytes.
  std::smatch parts;
  const std::regex format(
      R"(CPU allocator: out of memory allocating 281474976710656 bytes \(([0-9]+) bytes allocated, ([0-9]+) cached\))");
  REQUIRE(std::regex_match(message, parts, format));
  CHECK(std::stoll(parts[1].str()) == before.allocated_bytes);
  CHECK(cpu::memory_stats().allocated_bytes == before.allocated_bytes);
  // The allocator still works afterwards.
  const Tensor after = full({1000}, 2.5);
  CHECK(after.sum().item<double>() == 2500.0);
  CHECK(kept.sum().item<double>() == 1000.0);
#endif
}

namespace {

// One row of docs/errors.md: the call, and the message quoted there (after `normalise`).
struct QuotedError {
  std::string row;
  std::function<void()> call;
  std::string message;
  bool out_of_memory = false;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("errors: the messages quoted in docs/errors.md are the messages reel gives", "[errors]") {
  const std::string doc = read_text_file(std::string(REEL_SOURCE_DIR) + "/docs/errors.md");
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("reel_errors_md_" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  const std::string dir = scratch.string() + "/";
  const std::string fixtures = std::string(REEL_SOURCE_DIR) + "/test/fixtures/data/";
  {
    std::ofstream(dir + "short.safetensors", std::ios::binary) << "abc";
  }
  // Paths in messages are shown relative to the scratch or fixture folder; temporary-file names carry the
  // process id and a counter, shown as <pid>.<n>.
  auto normalise = [&](std::string message) {
    for (const std::string& prefix : {dir, fixtures}) {
      for (size_t at = message.find(prefix); at != std::string::npos; at = message.find(prefix))
        message.erase(at, prefix.size());
    }
    return std::regex_replace(message, std::regex(R"(\.tmp\.[0-9]+\.[0-9]+)"), ".tmp.<pid>.<n>");
  };
  const Tensor x = from_blob_copy<double>(std::vector<double>{1, 2, 3, 4, 5, 6}.data(), {2, 3});
  const std::vector<QuotedError> rows = {
      {"broadcast", [] { reel::add(ones({2, 3}), ones({4})); },
       "add: shapes [2, 3] and [4] cannot be broadcast (size 3 vs 4 at dim 1 of the result)"},
      {"matmul", [] { reel::mm(ones({2, 3}), ones({4, 5})); },
       "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"},
      {"reshape", [&] { x.reshape({4}); },
       "reshape: shape [4] is invalid for an input of 6 elements (input shape [2, 3])"},
      {"view", [&] { x.t().view({6}); },
       "view: size [6] is not compatible with the input's size [3, 2] and stride [1, 3] (at least one dim spans two "
       "non-contiguous subspaces); use .reshape(...) instead"},
      {"negative size", [] { reel::zeros({-3}); }, "zeros: negative size -3 in shape [-3]"},
      {"overflow", [] { reel::empty({int64_t{1} << 40, int64_t{1} << 40}); },
       "empty: shape [1099511627776, 1099511627776] has more elements than int64 can count"},
      {"dtype", [] { reel::sub(ones({2, 3}, kBool), ones({2, 3}, kBool)); },
       "sub: dtype bool is not supported (shapes [2, 3] and [2, 3])"},
      {"dtype floating", [] { reel::mean(ones({2, 3}, kInt64)); },
       "mean: could not infer the output dtype: the input must be floating point, got int64 (shape [2, 3]); convert "
       "it first, e.g. x.to(reel::kFloat32)"},
      {"dtype in-place", [] { Tensor t = ones({2, 3}, kInt64); t.div_(ones({2, 3}, kInt64)); },
       "div_: result dtype float32 cannot be cast to the in-place tensor's dtype int64"},
      {"negative power", [] { reel::pow(reel::tensor({2, 3}), -2); },
       "pow: Integers to negative integer powers are not allowed. (base of dtype int64 and shape [2], exponent -2; use "
       "a floating-point base or exponent, e.g. x.pow(-2.0))"},
      {"dim", [&] { reel::sum(x, {2}); },
       "sum: dim 2 out of range for a tensor of shape [2, 3] (2 dims, expected a dim in [-2, 1])"},
      {"index", [&] { x.select(0, 2); }, "select: index 2 out of range for dim 0 of size 2 (shape [2, 3])"},
      {"index tensor", [&] { reel::index_select(x, 0, reel::tensor({0, 5}, kInt64)); },
       "index_select: index 5 is out of bounds for dim 0 with size 2 (valid range [0, 2)) of the input of shape "
       "[2, 3]"},
      {"undefined", [] { reel::exp(Tensor()); }, "exp: called on an undefined tensor"},
      {"in-place overlap", [] { reel::zeros({1, 3}).expand({4, 3}).add_(1.0); },
       "add_: unsupported operation: more than one element of the written-to tensor refers to a single memory "
       "location. Please clone() the tensor before performing the operation. (shape [4, 3], strides [0, 1])"},
      {"in-place view of a leaf",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         w.narrow(0, 0, 1).mul_(2.0);
       },
       "mul_: a view of a leaf Variable that requires grad is being used in an in-place operation (view shape [1], "
       "leaf shape [2]); wrap it in NoGradGuard or write into a clone()"},
      {"in-place view made without grad",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         Tensor y = w * 1;
         Tensor v;
         {
           NoGradGuard no_grad;
           v = y.narrow(0, 0, 1);
         }
         v.mul_(2.0);
       },
       "mul_: a view (shape [1]) of a tensor that requires grad was created with grad mode off and is being "
       "modified in place with grad mode on: its base's history cannot follow. Create the view with grad mode on, "
       "or clone() it first"},
      {"detach_ of a view",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         (w * 1).narrow(0, 0, 1).detach_();
       },
       "detach_: can't detach views in-place (shape [1]): the view's history follows its base's; use detach() "
       "instead"},
      {"in-place leaf",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         w.add_(1.0);
       },
       "add_: a leaf tensor that requires grad (shape [2]) is being used in an in-place operation; wrap it in "
       "NoGradGuard or use the out-of-place add"},
      {"in-place saved",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         Tensor y = w.exp();  // exp saves its output for backward
         y.mul_(2.0);
         y.sum().backward();
       },
       "ExpBackward: one of the tensors needed for gradient computation has been modified by an in-place operation: "
       "saved output 1 of shape [2] is at version 1; expected version 0"},
      {"backward twice",
       [] {
         Tensor w = reel::tensor({1.5}, kFloat64).requires_grad_();
         Tensor loss = (w.exp() * w).sum();
         loss.backward();
         loss.backward();
       },
       "MulBackward: trying to backward through the graph a second time (or to use saved tensors after they were "
       "freed). Pass retain_graph=true to the first backward() if you need to backward twice."},
      {"backward non-scalar",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         (w * 2).backward();
       },
       "backward: grad can be implicitly created only for one-element outputs, but the output has shape [2]; pass a "
       "gradient of that shape"},
      {"backward without grad", [] { reel::tensor({1.0, 2.0}).sum().backward(); },
       "backward: element 0 of tensors does not require grad and does not have a grad_fn (shape [])"},
      {"grad unused",
       [] {
         Tensor w = reel::tensor({1.0, 2.0}, kFloat64).requires_grad_();
         Tensor unused = reel::tensor({5.0}, kFloat64).requires_grad_();
         autograd::grad({(w * 2).sum()}, {w, unused});
       },
       "autograd::grad: input 1 (shape [1]) was not used in the graph; pass allow_unused=true if that is intended"},
      {"missing file", [&] { serialize::load_safetensors(dir + "model.safetensors"); },
       "load_safetensors: 'model.safetensors': cannot open the file: No such file or directory"},
      {"missing directory",
       [&] { serialize::save_safetensors(dir + "no_such_dir/model.safetensors", {{"w", ones({3})}}); },
       "save_safetensors: 'no_such_dir/model.safetensors': cannot create the temporary file "
       "'no_such_dir/model.safetensors.tmp.<pid>.<n>': No such file or directory"},
      {"truncated file", [&] { serialize::load_safetensors(dir + "short.safetensors"); },
       "load_safetensors: 'short.safetensors': the file is 3 bytes, too short for the 8-byte header length "
       "(truncated?)"},
      {"unsupported dtype in a file", [&] { serialize::save_npy(dir + "b.npy", ones({2}, kBFloat16)); },
       "save_npy: 'b.npy': the tensor is bfloat16, which NumPy's format cannot store; convert it first, e.g. "
       ".to(reel::kFloat32)"},
      {"state dict",
       [] {
         nn::Linear fc(3, 2);
         fc->load_state_dict({{"weight", zeros({2, 4})}});
       },
       "load_state_dict: error(s) loading the state dict for Linear: size mismatch for weight: checkpoint shape "
       "[2, 4] vs model shape [2, 3]. Missing keys: bias."},
      {"data set missing", [] { data::FashionMNIST("no_such_dir"); },
       "data::datasets::MNIST: no 'train-images-idx3-ubyte' or 'train-images-idx3-ubyte.gz' in 'no_such_dir': put "
       "the MNIST files there, or for Fashion-MNIST install them with `apt-get install dataset-fashion-mnist` (they "
       "go to /usr/share/datasets/fashion-mnist) or pass --data"},
      {"IDX", [&] { data::read_idx(fixtures + "idx_bad_magic.idx"); },
       "read_idx: 'idx_bad_magic.idx': bad IDX magic number 01 02 08 03: it must start with 00 00"},
      {"trees", [] { data::parse_tree("(2 a) (2 b)", 5, "t.txt", 4); },
       "read_trees: 't.txt': line 4, column 7: text after the end of the tree (unbalanced brackets?)"},
      {"text", [&] { data::read_char_text(fixtures + "chars_bad_utf8.txt"); },
       "CharVocabulary: 'chars_bad_utf8.txt': line 2, column 3: invalid UTF-8 byte 0xff"},
      {"sparse dense op",
       [] { reel::sparse_coo_tensor(reel::zeros({1, 2}, kInt64), ones({2, 3}), {4, 3}).sum(); },
       "sum: not supported for a sparse tensor (shape [4, 3], 2 rows held); call to_dense() for its dense value, or "
       "_indices() / _values() for its rows"},
      {"sparse plus dense",
       [] { reel::sparse_coo_tensor(reel::zeros({1, 2}, kInt64), ones({2, 3}), {4, 3}) + ones({4, 3}); },
       "add(sparse, dense) is not supported. Use add(dense, sparse) instead (shapes [4, 3] and [4, 3])"},
      {"Adam sparse",
       [] {
         Tensor w = ones({4, 3}).requires_grad_();
         reel::embedding(w, reel::tensor({1, 1}, kInt64), -1, false, /*sparse=*/true).sum().backward();
         optim::Adam({w}).step();
       },
       "Adam does not support sparse gradients, please consider SparseAdam instead (a parameter of shape [4, 3] has "
       "a sparse gradient)"},
  };
  for (const QuotedError& row : rows) {
    INFO("row: " << row.row);
    std::string message;
    try {
      row.call();
    } catch (const Error& e) {
      message = normalise(e.what());
    }
    CHECK(message == row.message);
    CHECK(doc.find(row.message) != std::string::npos);  // quoted in docs/errors.md, character for character
  }
  // Without a CUDA device, creating a CUDA tensor names the reason (two wordings, by build).
  if (!cuda::is_available()) {
#ifdef REEL_WITH_CUDA
    const std::string reason = "no CUDA device is available on this machine";
#else
    const std::string reason =
        "this build of reel has no CUDA backend (configure with -DREEL_CUDA=ON where nvcc exists)";
#endif
    const std::string expected = "empty: cannot create a tensor of shape [2, 3] on cuda:0: " + reason;
    std::string message;
    try {
      reel::empty({2, 3}, Device(kCUDA));
    } catch (const Error& e) {
      message = e.what();
    }
    CHECK(message == expected);
    CHECK(doc.find(expected) != std::string::npos);
  }
  std::filesystem::remove_all(scratch);
}

}  // namespace reel::test
