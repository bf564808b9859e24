// reel/test/test_errors.cpp — misuse must throw reel::Error with a message that names the op and shows the
// shapes (and, where they matter, the dtypes, dims, indices or devices) involved.
//
// One test case per class of misuse: broadcast mismatch, matmul inner sizes, dims out of range (negative dims
// wrap, too-negative ones throw), indices out of range, views over incompatible strides, reshapes to another
// element count, negative sizes, size overflow, unsupported dtypes, in-place results that do not fit, tensors
// on different devices (without a GPU: creating a CUDA tensor throws), and undefined tensors.
#include <catch2/catch.hpp>

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
}

}  // namespace reel::test
