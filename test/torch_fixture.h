// reel/test/torch_fixture.h — the arrays PyTorch wrote for a test (test/fixtures/torch/<file>.npz, made by the
// generator scripts beside them) and the comparison the PyTorch-fixture tests share.
//
//   const reel_test::TorchFixture& fixture() { static const reel_test::TorchFixture f("conv.npz"); return f; }
//   reel_test::check_close(y, fixture().array("case.y"), "output");
#pragma once

#include <catch2/catch.hpp>
#include <reel/nn/serialize.h>
#include <reel/reel.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace reel_test {

class TorchFixture {
 public:
  explicit TorchFixture(std::string file) : file_(std::move(file)) {
    for (auto& [name, tensor] :
         reel::serialize::load_npz(std::string(REEL_SOURCE_DIR) + "/test/fixtures/torch/" + file_))
      arrays_[name] = tensor;
  }
  // The array stored under `name`; a test failure naming the file when there is none.
  const reel::Tensor& array(const std::string& name) const {
    const auto it = arrays_.find(name);
    if (it == arrays_.end()) FAIL(file_ << " has no array " << name);
    return it->second;
  }
  // Every array, by name.
  const std::map<std::string, reel::Tensor>& arrays() const { return arrays_; }

 private:
  std::string file_;
  std::map<std::string, reel::Tensor> arrays_;
};

// got equals PyTorch's expected values: same shape, |a - b| / (1 + |b|) <= tolerance everywhere.
inline void check_close(const reel::Tensor& got, const reel::Tensor& expected, const std::string& what,
                        double tolerance = 1e-10) {
  INFO(what << ": got shape " << reel::shape_str(got.sizes()) << ", PyTorch's " << reel::shape_str(expected.sizes()));
  REQUIRE(got.defined());
  REQUIRE(got.sizes() == expected.sizes());
  const std::vector<double> a = got.cpu().to(reel::kDouble).contiguous().to_vector<double>(),
                            b = expected.to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1 + std::fabs(b[i])));
  INFO("largest relative difference " << worst);
  CHECK(worst <= tolerance);
}

}  // namespace reel_test
