// Tests of the view ops (tensor/views.cpp): values against index arithmetic worked out by hand or with
// naive loops, storage sharing (writes through a view reach the base), strides, non-contiguous inputs,
// size-0 and 0-dim tensors, every dtype, and the error messages of bad arguments.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <vector>

using reel::IntList;
using reel::Tensor;
using Catch::Contains;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// 0, 1, ..., n-1 as int64 in the given shape.
Tensor iota(IntList sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return reel::arange(n).view(sizes);
}

std::vector<double> range_values(int64_t n) {
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<double>(i));
  return out;
}

bool same_storage(const Tensor& a, const Tensor& b) { return a.storage().get() == b.storage().get(); }

}  // namespace

TEST_CASE("view: new shapes over the same storage, -1 inferred", "[views]") {
  Tensor x = iota({2, 3, 4});
  Tensor v = x.view({6, 4});
  REQUIRE(v.sizes() == IntList({6, 4}));
  REQUIRE(v.strides() == IntList({4, 1}));
  REQUIRE(values(v) == range_values(24));
  REQUIRE(same_storage(v, x));
  REQUIRE(x.view({-1}).sizes() == IntList({24}));
  REQUIRE(x.view({4, -1, 2}).sizes() == IntList({4, 3, 2}));

  // Writing through the view writes the base.
  v.select(0, 5).fill_(-7);  // elements 20..23
  auto base = values(x);
  REQUIRE(base[19] == 19);
  REQUIRE(base[20] == -7);
  REQUIRE(base[23] == -7);
}

TEST_CASE("view: PyTorch's stride rule on non-contiguous inputs", "[views]") {
  // Every other element of the last dim: sizes [2, 3, 2], strides [12, 4, 2]; dims 0 and 1 still merge.
  Tensor x = iota({2, 3, 4}).slice(2, 0, std::nullopt, 2);
  REQUIRE(x.strides() == IntList({12, 4, 2}));
  Tensor v = x.view({6, 2});
  REQUIRE(v.strides() == IntList({4, 2}));
  std::vector<double> expected;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 2; ++j) expected.push_back(i * 4 + j * 2);
  REQUIRE(values(v) == expected);
  REQUIRE(same_storage(v, x));
  // Splitting a dim of a non-contiguous tensor is fine too.
  REQUIRE(x.view({2, 3, 2, 1}).strides() == IntList({12, 4, 2, 2}));  // as PyTorch: the size-1 dim gets the chunk stride

  // Merging the transposed dims cannot be a view.
  Tensor t = iota({2, 3}).t();
  REQUIRE_THROWS_WITH(t.view({6}), Contains("view") && Contains("[3, 2]") && Contains("[1, 3]"));
  // Size-1 dims with odd strides do not get in the way.
  Tensor odd = reel::Tensor::make_view(iota({6}), {2, 1, 3}, {3, 100, 1}, 0);
  REQUIRE(odd.view({6}).strides() == IntList({1}));
}

TEST_CASE("view: errors name the op and the shapes", "[views]") {
  Tensor x = iota({2, 3});
  REQUIRE_THROWS_AS(x.view({4}), reel::Error);
  REQUIRE_THROWS_WITH(x.view({4}), Contains("view") && Contains("[4]") && Contains("6"));
  REQUIRE_THROWS_WITH(x.view({-1, -1}), Contains("view") && Contains("only one"));
  REQUIRE_THROWS_WITH(x.view({4, -1}), Contains("view") && Contains("[4, -1]"));
  REQUIRE_THROWS_WITH(x.view({-2, 3}), Contains("view") && Contains("-2"));
  REQUIRE_THROWS_WITH(Tensor().view({1}), Contains("view") && Contains("undefined"));
}

TEST_CASE("view and reshape: 0-dim and size-0 tensors", "[views]") {
  Tensor s = reel::scalar_tensor(3.5);
  REQUIRE(s.view({1, 1}).sizes() == IntList({1, 1}));
  REQUIRE(s.view({}).dim() == 0);
  REQUIRE(s.view({-1}).sizes() == IntList({1}));
  REQUIRE(s.reshape({1}).item<double>() == 3.5);
  REQUIRE(s.view({1}).view({}).item<double>() == 3.5);

  Tensor e = reel::zeros({0, 3});
  REQUIRE(e.view({3, 0}).sizes() == IntList({3, 0}));
  REQUIRE(e.view({-1, 3}).sizes() == IntList({0, 3}));
  REQUIRE(e.reshape({0}).numel() == 0);
  REQUIRE_THROWS_WITH(e.view({-1, 0}), Contains("view") && Contains("infer"));
}

TEST_CASE("reshape: a view when possible, else a copy", "[views]") {
  Tensor x = iota({2, 3});
  Tensor r = x.reshape({3, 2});
  REQUIRE(same_storage(r, x));
  REQUIRE(values(r) == range_values(6));

  Tensor t = x.t();  // [[0, 3], [1, 4], [2, 5]]
  Tensor flat = t.reshape({-1});
  REQUIRE_FALSE(same_storage(flat, x));
  REQUIRE(flat.is_contiguous());
  REQUIRE(values(flat) == std::vector<double>({0, 3, 1, 4, 2, 5}));
  REQUIRE_THROWS_WITH(x.reshape({5}), Contains("reshape") && Contains("[5]"));
}

TEST_CASE("flatten", "[views]") {
  Tensor x = iota({2, 3, 4});
  REQUIRE(x.flatten().sizes() == IntList({24}));
  REQUIRE(x.flatten(1).sizes() == IntList({2, 12}));
  REQUIRE(x.flatten(0, 1).sizes() == IntList({6, 4}));
  REQUIRE(x.flatten(-2, -1).sizes() == IntList({2, 12}));
  REQUIRE(x.flatten(1, 1).sizes() == IntList({2, 3, 4}));
  REQUIRE(same_storage(x.flatten(), x));
  REQUIRE(reel::scalar_tensor(2).flatten().sizes() == IntList({1}));
  // Non-contiguous: flattening the transposed dims copies, in the transposed order.
  Tensor t = iota({2, 3}).t().flatten();
  REQUIRE(values(t) == std::vector<double>({0, 3, 1, 4, 2, 5}));
  REQUIRE_THROWS_WITH(x.flatten(2, 1), Contains("flatten"));
  REQUIRE_THROWS_WITH(x.flatten(3), Contains("flatten") && Contains("3"));
}

TEST_CASE("transpose, t and permute", "[views]") {
  Tensor x = iota({2, 3, 4});
  Tensor y = x.transpose(0, 2);
  REQUIRE(y.sizes() == IntList({4, 3, 2}));
  REQUIRE(y.strides() == IntList({1, 4, 12}));
  REQUIRE_FALSE(y.is_contiguous());
  std::vector<double> expected;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) expected.push_back(i * 12 + j * 4 + k);
  REQUIRE(values(y) == expected);
  REQUIRE(values(x.transpose(-1, 0)) == expected);
  REQUIRE(same_storage(y, x));

  Tensor m = iota({2, 3});
  REQUIRE(values(m.t()) == std::vector<double>({0, 3, 1, 4, 2, 5}));
  REQUIRE(m.t().sizes() == IntList({3, 2}));
  REQUIRE(iota({4}).t().sizes() == IntList({4}));
  REQUIRE(reel::scalar_tensor(1.0).t().dim() == 0);
  REQUIRE_THROWS_WITH(x.t(), Contains("t:") && Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(x.transpose(0, 3), Contains("transpose") && Contains("3"));

  Tensor p = x.permute({1, 2, 0});
  REQUIRE(p.sizes() == IntList({3, 4, 2}));
  REQUIRE(p.strides() == IntList({4, 1, 12}));
  expected.clear();
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 2; ++i) expected.push_back(i * 12 + j * 4 + k);
  REQUIRE(values(p) == expected);
  REQUIRE(values(x.permute({-2, -1, -3})) == expected);
  REQUIRE_THROWS_WITH(x.permute({0, 1}), Contains("permute") && Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(x.permute({0, 1, 1}), Contains("permute") && Contains("repeat"));
  REQUIRE_THROWS_WITH(x.permute({0, 1, 5}), Contains("permute"));
}

TEST_CASE("squeeze and unsqueeze", "[views]") {
  Tensor x = iota({2, 3}).view({1, 2, 1, 3, 1});
  REQUIRE(x.squeeze().sizes() == IntList({2, 3}));
  REQUIRE(x.squeeze(0).sizes() == IntList({2, 1, 3, 1}));
  REQUIRE(x.squeeze(-1).sizes() == IntList({1, 2, 1, 3}));
  REQUIRE(x.squeeze(1).sizes() == IntList({1, 2, 1, 3, 1}));  // size 2: unchanged
  REQUIRE(same_storage(x.squeeze(), x));
  REQUIRE(reel::ones({1, 1}).squeeze().dim() == 0);
  REQUIRE(reel::scalar_tensor(1).squeeze(0).dim() == 0);
  REQUIRE_THROWS_WITH(x.squeeze(5), Contains("squeeze"));

  Tensor m = iota({2, 3});
  REQUIRE(m.unsqueeze(0).sizes() == IntList({1, 2, 3}));
  REQUIRE(m.unsqueeze(0).strides() == IntList({6, 3, 1}));
  REQUIRE(m.unsqueeze(1).strides() == IntList({3, 3, 1}));
  REQUIRE(m.unsqueeze(2).sizes() == IntList({2, 3, 1}));
  REQUIRE(m.unsqueeze(2).strides() == IntList({3, 1, 1}));
  REQUIRE(m.unsqueeze(-1).sizes() == IntList({2, 3, 1}));
  REQUIRE(m.unsqueeze(-3).sizes() == IntList({1, 2, 3}));
  REQUIRE(values(m.t().unsqueeze(1)) == std::vector<double>({0, 3, 1, 4, 2, 5}));
  REQUIRE(reel::scalar_tensor(4).unsqueeze(0).sizes() == IntList({1}));
  REQUIRE_THROWS_WITH(m.unsqueeze(3), Contains("unsqueeze") && Contains("3"));
}

TEST_CASE("expand and expand_as", "[views]") {
  Tensor col = reel::tensor({1, 2, 3}).view({3, 1});
  Tensor e = col.expand({3, 4});
  REQUIRE(e.sizes() == IntList({3, 4}));
  REQUIRE(e.strides() == IntList({1, 0}));
  REQUIRE(values(e) == std::vector<double>({1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  REQUIRE(col.expand({-1, 2}).sizes() == IntList({3, 2}));
  Tensor lead = col.expand({2, 3, 2});
  REQUIRE(lead.sizes() == IntList({2, 3, 2}));
  REQUIRE(lead.strides()[0] == 0);
  REQUIRE(values(lead) == std::vector<double>({1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  REQUIRE(same_storage(e, col));
  REQUIRE(col.expand({3, 0}).numel() == 0);
  REQUIRE(reel::scalar_tensor(5).expand({2, 2}).to_vector<int64_t>() == std::vector<int64_t>({5, 5, 5, 5}));
  REQUIRE(col.expand_as(reel::zeros({2, 3, 5})).sizes() == IntList({2, 3, 5}));

  REQUIRE_THROWS_WITH(col.expand({4, 4}), Contains("expand") && Contains("[4, 4]") && Contains("[3, 1]"));
  REQUIRE_THROWS_WITH(col.expand({-1, 3, 1}), Contains("expand") && Contains("-1"));
  REQUIRE_THROWS_WITH(col.expand({3}), Contains("expand") && Contains("[3]"));
  REQUIRE_THROWS_WITH(col.expand({3, -2}), Contains("expand") && Contains("-2"));
}

TEST_CASE("narrow and slice", "[views]") {
  Tensor x = iota({4, 5});
  Tensor n = x.narrow(1, 1, 3);
  REQUIRE(n.sizes() == IntList({4, 3}));
  REQUIRE(n.storage_offset() == 1);
  std::vector<double> expected;
  for (int i = 0; i < 4; ++i)
    for (int j = 1; j < 4; ++j) expected.push_back(i * 5 + j);
  REQUIRE(values(n) == expected);
  REQUIRE(values(x.narrow(0, -1, 1)) == std::vector<double>({15, 16, 17, 18, 19}));
  REQUIRE(x.narrow(0, 4, 0).numel() == 0);
  REQUIRE_THROWS_WITH(x.narrow(0, 3, 2), Contains("narrow") && Contains("3") && Contains("2"));
  REQUIRE_THROWS_WITH(x.narrow(0, 5, 0), Contains("narrow"));
  REQUIRE_THROWS_WITH(x.narrow(0, 0, -1), Contains("narrow") && Contains("-1"));

  Tensor row = iota({10});
  REQUIRE(values(row.slice(0, 2, 8, 3)) == std::vector<double>({2, 5}));
  REQUIRE(values(row.slice(0, -3)) == std::vector<double>({7, 8, 9}));
  REQUIRE(values(row.slice(0, std::nullopt, -7)) == std::vector<double>({0, 1, 2}));
  REQUIRE(values(row.slice(0, -100, 100, 4)) == std::vector<double>({0, 4, 8}));
  REQUIRE(row.slice(0, 8, 3).numel() == 0);
  REQUIRE(row.slice(0, 20).numel() == 0);
  REQUIRE(row.slice(0, 1, 9, 2).strides() == IntList({2}));
  REQUIRE_THROWS_WITH(row.slice(0, 0, 5, 0), Contains("slice") && Contains("step"));
  REQUIRE_THROWS_WITH(row.slice(0, 0, 5, -1), Contains("slice") && Contains("-1"));
  REQUIRE_THROWS_WITH(reel::scalar_tensor(1).slice(0, 0, 1), Contains("slice") && Contains("0-dim"));

  // A strided slice of a column view writes into the base.
  x.slice(1, 4, 5).slice(0, 0, std::nullopt, 2).fill_(-1);
  auto base = values(x);
  REQUIRE(base[4] == -1);
  REQUIRE(base[9] == 9);
  REQUIRE(base[14] == -1);
  REQUIRE(base[19] == 19);
}

TEST_CASE("select and the index operator", "[views]") {
  Tensor x = iota({3, 4});
  REQUIRE(values(x.select(0, 1)) == std::vector<double>({4, 5, 6, 7}));
  REQUIRE(values(x.select(1, -1)) == std::vector<double>({3, 7, 11}));
  REQUIRE(x.select(1, 2).strides() == IntList({4}));
  REQUIRE(x[2][3].item<int64_t>() == 11);
  REQUIRE(x[2][3].dim() == 0);
  x[1][2].fill_(100);
  REQUIRE(values(x)[6] == 100);
  REQUIRE_THROWS_WITH(x.select(0, 3), Contains("select") && Contains("3") && Contains("[3, 4]"));
  REQUIRE_THROWS_WITH(x.select(1, -5), Contains("select") && Contains("-5"));
  REQUIRE_THROWS_WITH(reel::scalar_tensor(1.0).select(0, 0), Contains("select") && Contains("0-dim"));
  REQUIRE_THROWS_WITH(x.select(2, 0), Contains("select") && Contains("2"));
}

TEST_CASE("as_strided", "[views]") {
  Tensor x = iota({6});
  Tensor windows = x.as_strided({4, 3}, {1, 1});
  REQUIRE(values(windows) == std::vector<double>({0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5}));
  REQUIRE(same_storage(windows, x));
  REQUIRE(values(x.as_strided({2}, {2}, 3)) == std::vector<double>({3, 5}));
  // The offset defaults to the tensor's own.
  REQUIRE(values(x.slice(0, 2).as_strided({2}, {1})) == std::vector<double>({2, 3}));
  REQUIRE(x.as_strided({0, 4}, {100, 100}, 6).numel() == 0);
  REQUIRE_THROWS_WITH(x.as_strided({4, 3}, {2, 1}), Contains("as_strided") && Contains("[4, 3]") && Contains("6"));
  REQUIRE_THROWS_WITH(x.as_strided({2}, {1}, 5), Contains("as_strided"));
  REQUIRE_THROWS_WITH(x.as_strided({2}, {-1}), Contains("as_strided") && Contains("negative"));
  REQUIRE_THROWS_WITH(x.as_strided({2, 2}, {1}), Contains("as_strided"));
}

TEST_CASE("chunk, split and unbind", "[views]") {
  Tensor x = iota({5, 2});
  auto chunks = x.chunk(3);
  REQUIRE(chunks.size() == 3);
  REQUIRE(chunks[0].sizes() == IntList({2, 2}));
  REQUIRE(chunks[2].sizes() == IntList({1, 2}));
  REQUIRE(values(chunks[2]) == std::vector<double>({8, 9}));
  REQUIRE(same_storage(chunks[1], x));
  REQUIRE(iota({6}).chunk(4).size() == 3);  // chunks of ceil(6 / 4) = 2, as in PyTorch
  REQUIRE(x.chunk(2, 1).size() == 2);
  auto empty_chunks = reel::zeros({0, 2}).chunk(3);
  REQUIRE(empty_chunks.size() == 3);
  REQUIRE(empty_chunks[0].sizes() == IntList({0, 2}));
  REQUIRE_THROWS_WITH(x.chunk(0), Contains("chunk") && Contains("0"));

  auto parts = iota({7}).split(3);
  REQUIRE(parts.size() == 3);
  REQUIRE(values(parts[1]) == std::vector<double>({3, 4, 5}));
  REQUIRE(values(parts[2]) == std::vector<double>({6}));
  REQUIRE(reel::zeros({0}).split(2).size() == 1);
  auto sized = x.split({1, 4});
  REQUIRE(sized.size() == 2);
  REQUIRE(values(sized[1]) == std::vector<double>({2, 3, 4, 5, 6, 7, 8, 9}));
  auto columns = x.split({1, 0, 1}, -1);
  REQUIRE(columns[1].sizes() == IntList({5, 0}));
  REQUIRE(values(columns[2]) == std::vector<double>({1, 3, 5, 7, 9}));
  REQUIRE_THROWS_WITH(x.split({1, 2}), Contains("split") && Contains("[1, 2]") && Contains("5"));
  REQUIRE_THROWS_WITH(x.split(0), Contains("split"));
  REQUIRE_THROWS_WITH(x.split(-1), Contains("split") && Contains("-1"));

  auto rows = x.unbind();
  REQUIRE(rows.size() == 5);
  REQUIRE(values(rows[3]) == std::vector<double>({6, 7}));
  auto cols = x.unbind(1);
  REQUIRE(values(cols[1]) == std::vector<double>({1, 3, 5, 7, 9}));
  REQUIRE(reel::zeros({0, 3}).unbind().empty());
  REQUIRE_THROWS_WITH(reel::scalar_tensor(1).unbind(), Contains("unbind"));
}

TEST_CASE("views work on every dtype", "[views]") {
  const reel::ScalarType dtypes[] = {reel::kBool,    reel::kUInt8,    reel::kInt32,   reel::kInt64,
                                     reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64};
  for (auto dtype : dtypes) {
    INFO("dtype " << dtype);
    Tensor x = iota({2, 3}).to(dtype);  // bool: 0 -> false, the rest true
    REQUIRE(x.dtype() == dtype);
    auto as_dtype = [&](double v) { return dtype == reel::kBool ? (v != 0 ? 1.0 : 0.0) : v; };
    std::vector<double> transposed;
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) transposed.push_back(as_dtype(i * 3 + j));
    REQUIRE(values(x.t().contiguous()) == transposed);
    REQUIRE(values(x.t().reshape({6})) == transposed);
    REQUIRE(values(x.select(1, 2)) == std::vector<double>({as_dtype(2), as_dtype(5)}));
    REQUIRE(values(x.slice(1, 0, 1).expand({2, 2})) == std::vector<double>({0, 0, as_dtype(3), as_dtype(3)}));
    REQUIRE(x.unsqueeze(0).squeeze().dtype() == dtype);
  }
}

TEST_CASE("views of tensors that require grad", "[views]") {
  Tensor w = reel::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, reel::requires_grad());
  Tensor v = w.t().reshape({6}).slice(0, 1, 5, 2).unsqueeze(0).expand({2, 2});
  REQUIRE(values(v) == std::vector<double>({4, 5, 4, 5}));
  REQUIRE(w.permute({1, 0}).select(0, 2).sizes() == IntList({2}));
  {
    reel::NoGradGuard no_grad;
    REQUIRE(values(w.view({3, 2})[2]) == std::vector<double>({5, 6}));
  }
}
