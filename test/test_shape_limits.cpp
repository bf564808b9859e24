// Regression tests for shape arithmetic at the int64 limits, each a finding of the libFuzzer target
// test/fuzz/fuzz_shapes.cpp (issue 8, docs/reliability.md). Before the fixes these computed products, strides or
// offsets that overflowed int64 (undefined behaviour, reported by UBSan in the sanitizer build); now a request
// that cannot be represented throws reel::Error naming the op and the shape, and tensors without elements, whose
// strides and offset as_strided leaves arbitrary (as in PyTorch), are handled without touching those values.
// Expected values are worked out by hand.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cstdint>
#include <limits>
#include <vector>

using Catch::Contains;
using reel::Tensor;

namespace {

constexpr int64_t kHuge = int64_t{1} << 62;

Tensor arange_int64(int64_t n) { return reel::arange(n, reel::kInt64); }

}  // namespace

TEST_CASE("view and reshape refuse sizes whose product overflows int64", "[views][limits]") {
  const Tensor t = arange_int64(6);
  // 2 * 2^62 leaves int64 before the -1 is inferred.
  REQUIRE_THROWS_WITH(t.view({2, kHuge, -1}), Contains("view") && Contains("int64"));
  REQUIRE_THROWS_WITH(t.reshape({kHuge, 4, -1}), Contains("reshape") && Contains("int64"));
  REQUIRE_THROWS_WITH(t.view({kHuge, kHuge, 0}), Contains("view") && Contains("int64"));
  // Still fine: sizes that multiply to 6.
  REQUIRE(t.view({3, -1}).sizes() == reel::IntList({3, 2}));
}

TEST_CASE("empty shapes whose contiguous strides overflow are refused as in PyTorch", "[views][limits]") {
  // [0, 2^62, 2^62] has no elements, but the stride of dim 0 would be 2^124.
  REQUIRE_THROWS_WITH(reel::empty({0, kHuge, kHuge}), Contains("strides") && Contains("int64"));
  REQUIRE_THROWS_WITH(reel::zeros({0, kHuge, 2}), Contains("strides"));
  // Viewing an empty tensor as such a shape needs the same strides.
  REQUIRE_THROWS_WITH(reel::empty({0}).view({0, kHuge, kHuge}), Contains("strides"));
  // Strides that fit are kept: [0, 2^61, 2] -> [2^62, 2, 1].
  const Tensor e = reel::empty({0, kHuge / 2, 2});
  REQUIRE(e.numel() == 0);
  REQUIRE(e.strides() == reel::IntList({kHuge, 2, 1}));
}

TEST_CASE("as_strided refuses a layout whose last element index overflows", "[views][limits]") {
  const Tensor t = arange_int64(10);
  REQUIRE_THROWS_WITH(t.as_strided({2, 2}, {kHuge, kHuge}, 0), Contains("as_strided") && Contains("2^63"));
  REQUIRE_THROWS_WITH(t.as_strided({3}, {std::numeric_limits<int64_t>::max()}, 1), Contains("as_strided"));
  // In range: the same formula the check uses.
  REQUIRE(t.as_strided({2, 2}, {4, 1}, 1).contiguous().to_vector<int64_t>() == std::vector<int64_t>({1, 2, 5, 6}));
}

TEST_CASE("slice with a step near int64 max keeps the first element", "[views][limits]") {
  const Tensor t = arange_int64(10);
  const Tensor s = t.slice(0, 0, 10, std::numeric_limits<int64_t>::max());
  REQUIRE(s.sizes() == reel::IntList({1}));
  REQUIRE(s.to_vector<int64_t>() == std::vector<int64_t>({0}));
  const Tensor s2 = t.slice(0, 3, 10, kHuge);
  REQUIRE(s2.to_vector<int64_t>() == std::vector<int64_t>({3}));
}

TEST_CASE("views of an empty tensor with huge strides and offsets stay usable", "[views][limits]") {
  const Tensor t = arange_int64(10);
  // No elements, so as_strided accepts any non-negative strides and offset (as PyTorch does).
  const Tensor e = t.as_strided({0, 3}, {1, kHuge}, 0);
  REQUIRE(e.numel() == 0);
  // Each of these multiplied a size or an index by the huge stride.
  REQUIRE(e.unsqueeze(1).sizes() == reel::IntList({0, 1, 3}));
  REQUIRE(e.slice(1, 0, 3, 2).sizes() == reel::IntList({0, 2}));
  REQUIRE(e.select(1, 2).sizes() == reel::IntList({0}));
  REQUIRE(t.as_strided({3, 0}, {kHuge, 1}, 0).expand({1, 3, 0}).sizes() == reel::IntList({1, 3, 0}));
  // Elementwise loops and copies read no stride of an empty operand.
  REQUIRE((e + e).sizes() == reel::IntList({0, 3}));
  REQUIRE(e.clone().sizes() == reel::IntList({0, 3}));
  // An empty view far past its storage: data_ptr gives the storage's start instead of an address beyond it.
  const Tensor far = t.as_strided({0}, {1}, kHuge);
  REQUIRE(far.storage_offset() == kHuge);
  REQUIRE(far.data_ptr() == t.data_ptr());
  REQUIRE(far.contiguous().numel() == 0);
}

TEST_CASE("a size-1 dim with a huge stride is read like any other", "[views][limits]") {
  const Tensor t = arange_int64(10);
  // Dim 0 has one element, so its stride is never multiplied by a non-zero index.
  const Tensor one = t.as_strided({1, 3}, {kHuge, 2}, 1);
  REQUIRE(one.contiguous().to_vector<int64_t>() == std::vector<int64_t>({1, 3, 5}));
  REQUIRE((one + one).to_vector<int64_t>() == std::vector<int64_t>({2, 6, 10}));
}

TEST_CASE("flatten refuses merged dims whose product overflows", "[views][limits]") {
  const Tensor t = arange_int64(10);
  // [0, 2^62, 2^62] holds nothing (its leading 0 makes the count 0), but dims 1..2 multiply past int64.
  const Tensor e = t.as_strided({0, kHuge, kHuge}, {1, 1, 1}, 0);
  REQUIRE_THROWS_WITH(e.flatten(1), Contains("flatten") && Contains("int64"));
  REQUIRE(e.flatten().sizes() == reel::IntList({0}));
}
