// reel/samples/common/compare_metrics.cpp — the check behind the samples' "same training with automatic batching"
// tests (samples/same_training.cmake): two metrics CSVs of one sample, run eagerly and inside
// reel::autobatch::Scope with the same seed, must hold the same rows. Columns named like a loss agree to a relative
// 1e-3 (float32 sums taken in another order drift slowly over a run); accuracies to half a point (a prediction at a
// near-tie may flip); speed columns (..._per_second) are not compared; every other column (epoch, step) exactly.
//
//   sample_compare_metrics eager.csv batched.csv
// Exit status 0 when they agree; 1 with the first difference printed; 2 on a bad file.
#include <cmath>
#include <cstdio>
#include <string>

#include "common/metrics.h"

namespace {

bool contains(const std::string& name, const char* part) { return name.find(part) != std::string::npos; }

// Whether a and b agree for this column; `why` says the tolerance used.
bool agree(const std::string& column, double a, double b, std::string& why) {
  if (std::isnan(a) || std::isnan(b)) {
    why = "both NaN";
    return std::isnan(a) && std::isnan(b);
  }
  if (contains(column, "loss") || contains(column, "ppl")) {
    why = "relative 1e-3";
    return std::fabs(a - b) <= 1e-3 * std::max(std::fabs(a), std::fabs(b)) + 1e-9;
  }
  if (contains(column, "acc")) {  // a fraction in [0, 1] or a percentage
    const double half_point = std::max(std::fabs(a), std::fabs(b)) > 1.0 ? 0.5 : 0.005;
    why = "half a point";
    return std::fabs(a - b) <= half_point;
  }
  why = "exactly";
  return a == b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s eager.csv batched.csv\n", argv[0]);
    return 2;
  }
  try {
    const reel_samples::MetricsTable a = reel_samples::read_metrics(argv[1]);
    const reel_samples::MetricsTable b = reel_samples::read_metrics(argv[2]);
    if (a.columns != b.columns || a.rows.size() != b.rows.size() || a.rows.empty()) {
      std::fprintf(stderr, "compare_metrics: %s and %s differ in columns or rows (%zu and %zu rows)\n", argv[1],
                   argv[2], a.rows.size(), b.rows.size());
      return 1;
    }
    for (size_t r = 0; r < a.rows.size(); ++r) {
      for (size_t c = 0; c < a.columns.size(); ++c) {
        const std::string& column = a.columns[c];
        if (contains(column, "per_second")) continue;
        std::string why;
        if (!agree(column, a.rows[r][c], b.rows[r][c], why)) {
          std::fprintf(stderr, "compare_metrics: row %zu, %s: %.7g (%s) and %.7g (%s) do not agree (%s)\n", r + 1,
                       column.c_str(), a.rows[r][c], argv[1], b.rows[r][c], argv[2], why.c_str());
          return 1;
        }
      }
    }
    std::printf("compare_metrics: %zu rows agree (%s, %s)\n", a.rows.size(), argv[1], argv[2]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_metrics: %s\n", e.what());
    return 2;
  }
}
