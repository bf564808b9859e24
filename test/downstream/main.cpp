// The downstream app: includes the installed <reel/reel.h>, computes a small broadcast expression and
// checks the values. Returns non-zero (and says why) on any mismatch, so the install test fails loudly.
#include <reel/reel.h>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  try {
    reel::Tensor row = reel::tensor({1.0, 2.0, 3.0});             // [3]
    reel::Tensor column = reel::full({2, 1}, 10.0);               // [2, 1]
    reel::Tensor result = reel::exp(row * 0.0) * (column + row);  // [2, 3]: 1 * (10 + row)
    const std::vector<float> got = result.to_vector<float>();
    const std::vector<float> expected = {11, 12, 13, 11, 12, 13};
    if (result.sizes() != reel::IntList({2, 3}) || got.size() != expected.size()) {
      std::fprintf(stderr, "downstream: wrong result shape\n");
      return 1;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (std::fabs(got[i] - expected[i]) > 1e-6f) {
        std::fprintf(stderr, "downstream: element %zu is %g, expected %g\n", i, got[i], expected[i]);
        return 1;
      }
    }
    std::printf("downstream: a [2, 3] reel::Tensor computed correctly through the installed package\n");
    return 0;
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "downstream: reel::Error: %s\n", e.what());
    return 1;
  }
}
