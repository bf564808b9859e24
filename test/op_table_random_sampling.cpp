// reel/test/op_table_random_sampling.cpp — op-table rows of the sampling ops: bernoulli, exponential, geometric,
// cauchy, log_normal (the in-place fills), multinomial and randperm.
//
// No exact reference exists for random values; each row's `check` tests what the exact distribution implies at the
// fixed seeds used here, with bounds of six standard errors (plus rounding slack for the 16-bit floats): the
// probability of a tail event (a CDF value), moments where they exist, the support, that a strided in-place fill
// touches only its view, and that manual_seed repeats the stream while the next draw differs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "test/op_table.h"

namespace reel::test {

namespace {

enum class Case : int64_t { Statistics, StridedInPlace, Reproducible, Shapes };

Sample sampling_sample(std::string description, Case kind, ScalarType dtype, Device device) {
  Sample s;
  s.description = std::move(description);
  s.dtype = dtype;
  s.promoted = dtype;
  s.device = device;
  s.index = static_cast<int64_t>(kind);
  return s;
}

std::vector<Sample> four_cases(ScalarType dtype, Device device) {
  return {sampling_sample("[40000]: CDF points and moments", Case::Statistics, dtype, device),
          sampling_sample("into a step-2 slice of a [60, 41] base", Case::StridedInPlace, dtype, device),
          sampling_sample("manual_seed repeats the stream", Case::Reproducible, dtype, device),
          sampling_sample("size-0 and 0-dim", Case::Shapes, dtype, device)};
}

// The fraction of v at most x, and its bound: six standard errors of a proportion q plus slack.
double fraction_at_most(const std::vector<double>& v, double x) {
  return static_cast<double>(std::count_if(v.begin(), v.end(), [&](double y) { return y <= x; })) /
         static_cast<double>(v.size());
}
void check_cdf(const std::vector<double>& v, double x, double q, double slack) {
  INFO("P(X <= " << x << ") should be " << q);
  CHECK(std::fabs(fraction_at_most(v, x) - q) < 6 * std::sqrt(q * (1 - q) / static_cast<double>(v.size())) + slack);
}

// A row for an in-place fill: `fill` fills a tensor; `check_values` judges 40000 values of the Statistics case
// and the filled view of StridedInPlace; `slack` is the rounding allowance of a dtype.
OpTestRow fill_row(std::string op, std::vector<ScalarType> dtypes, std::function<void(Tensor&)> fill,
                   std::function<void(const std::vector<double>&, double slack)> check_values) {
  OpTestRow row;
  row.op = std::move(op);
  row.dtypes = std::move(dtypes);
  row.samples = four_cases;
  row.run = [fill](const Sample& s) -> std::vector<Tensor> {
    const TensorOptions options = TensorOptions(s.dtype).device(s.device);
    auto draw = [&](IntList sizes) {
      Tensor t = reel::zeros(sizes, options);
      fill(t);
      return t;
    };
    switch (static_cast<Case>(s.index)) {
      case Case::Statistics: return {draw({200, 200})};
      case Case::StridedInPlace: {
        Tensor base = reel::full({60, 41}, 100, options);
        Tensor before = base.clone();
        Tensor view = base.narrow(1, 1, 40).slice(1, 0, 40, 2);  // the odd columns
        fill(view);
        return {base, before, view};
      }
      case Case::Reproducible: {
        reel::manual_seed(4321);
        Tensor a = draw({50});
        reel::manual_seed(4321);
        Tensor b = draw({50});
        return {a, b, draw({50})};
      }
      case Case::Shapes: return {draw({0, 3}), draw({})};
    }
    return {};
  };
  row.check = [check_values](const Sample& s, const std::vector<Tensor>& out) {
    for (const Tensor& t : out) {
      CHECK(dtype_name(t.dtype()) == dtype_name(s.dtype));
      CHECK(t.device() == s.device);
    }
    const double slack = (s.dtype == kFloat16 || s.dtype == kBFloat16) ? 0.02 : 0.0;
    switch (static_cast<Case>(s.index)) {
      case Case::Statistics: check_values(out[0].to_vector<double>(), slack); break;
      case Case::StridedInPlace: {
        const std::vector<double> after = out[0].to_vector<double>(), before = out[1].to_vector<double>();
        for (size_t i = 0; i < after.size(); ++i) {
          if ((i % 41) % 2 == 0) CHECK(after[i] == before[i]);  // outside the view: untouched
        }
        const std::vector<double> view = out[2].to_vector<double>();
        // 100 (the old value) is outside, or all but impossible in, each distribution tested here (bool: true).
        if (s.dtype != kBool) CHECK(std::count(view.begin(), view.end(), 100.0) < 20);
        break;
      }
      case Case::Reproducible:
        CHECK(out[0].to_vector<double>() == out[1].to_vector<double>());
        CHECK(out[0].to_vector<double>() != out[2].to_vector<double>());
        break;
      case Case::Shapes:
        CHECK(out[0].numel() == 0);
        CHECK(out[1].dim() == 0);
        break;
    }
  };
  return row;
}

std::vector<OpTestRow> in_place_rows() {
  std::vector<OpTestRow> rows;
  // Bernoulli(0.3): P(X = 0) = 0.7, values in {0, 1}.
  rows.push_back(fill_row("bernoulli", kAllDtypes, [](Tensor& t) { t.bernoulli_(0.3); },
                          [](const std::vector<double>& v, double) {
                            for (double x : v) CHECK((x == 0 || x == 1));
                            check_cdf(v, 0.5, 0.7, 0);
                          }));
  // Exp(2): P(X <= x) = 1 - e^(-2x); mean 1/2.
  rows.push_back(fill_row("exponential", kFloatDtypes, [](Tensor& t) { t.exponential_(2.0); },
                          [](const std::vector<double>& v, double slack) {
                            for (double x : v) CHECK(x >= 0);
                            for (double x : {0.1, 0.3466, 1.0, 2.0}) check_cdf(v, x, 1 - std::exp(-2 * x), slack);
                          }));
  // Geom(0.25) on {1, 2, ...}: P(X <= k) = 1 - 0.75^k.
  rows.push_back(fill_row("geometric", kNumericDtypes, [](Tensor& t) { t.geometric_(0.25); },
                          [](const std::vector<double>& v, double slack) {
                            for (double x : v) CHECK((x >= 1 && x == std::floor(x)));
                            for (int k : {1, 2, 4, 8}) check_cdf(v, k, 1 - std::pow(0.75, k), slack);
                          }));
  // Cauchy(1, 2): P(X <= x) = 1/2 + atan((x - 1) / 2) / pi.
  rows.push_back(fill_row("cauchy", kFloatDtypes, [](Tensor& t) { t.cauchy_(1.0, 2.0); },
                          [](const std::vector<double>& v, double slack) {
                            for (double x : {-5.0, -1.0, 1.0, 3.0, 20.0})
                              check_cdf(v, x, 0.5 + std::atan((x - 1) / 2) / M_PI, slack);
                          }));
  // LogNormal(0.5, 0.75): ln X ~ N(0.5, 0.75^2).
  rows.push_back(fill_row("log_normal", kFloatDtypes, [](Tensor& t) { t.log_normal_(0.5, 0.75); },
                          [](const std::vector<double>& v, double slack) {
                            for (double x : v) CHECK(x > 0);
                            for (double z : {-1.5, -0.5, 0.0, 1.0}) {
                              const double q = 0.5 * std::erfc(-z / std::sqrt(2.0));
                              check_cdf(v, std::exp(0.5 + 0.75 * z), q, slack);
                            }
                          }));
  return rows;
}

// multinomial on rows of weights [1, 2, 3, 0, 4] (probabilities 0.1, 0.2, 0.3, 0, 0.4) in each floating dtype.
OpTestRow multinomial_row() {
  OpTestRow row;
  row.op = "multinomial";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    for (bool replacement : {true, false}) {
      Sample s = sampling_sample(replacement ? "2 rows x 20000 samples with replacement"
                                             : "4000 rows x 4 samples without replacement",
                                 Case::Statistics, dtype, device);
      s.flag = replacement;
      out.push_back(s);
    }
    return out;
  };
  row.run = [](const Sample& s) -> std::vector<Tensor> {
    const Tensor w = reel::from_blob_copy<double>(std::vector<double>{1, 2, 3, 0, 4}.data(), {5})
                         .to(TensorOptions(s.dtype).device(s.device));
    if (s.flag) return {reel::multinomial(w.unsqueeze(0).expand({2, 5}), 20000, true)};
    return {w.expand({4000, 5}).multinomial(4, false)};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& out) {
    CHECK(dtype_name(out[0].dtype()) == "int64");
    CHECK(out[0].device() == s.device);
    const std::vector<double> v = out[0].to_vector<double>();
    const double p[5] = {0.1, 0.2, 0.3, 0.0, 0.4};
    std::vector<double> counts(5, 0.0);
    const int64_t per_row = out[0].size(1);
    double first_draws = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      REQUIRE((v[i] >= 0 && v[i] < 5));
      if (!s.flag && i % static_cast<size_t>(per_row) != 0) continue;  // without replacement: first draws only
      counts[static_cast<size_t>(v[i])] += 1;
      first_draws += 1;
    }
    CHECK(counts[3] == 0);  // a zero weight is never drawn
    // Chi-square statistic over the 4 possible categories (3 degrees of freedom): 99.99% quantile 21.1.
    double chi2 = 0;
    for (int c = 0; c < 5; ++c)
      if (p[c] > 0) chi2 += (counts[c] - first_draws * p[c]) * (counts[c] - first_draws * p[c]) / (first_draws * p[c]);
    CHECK(chi2 < 21.1);
    if (!s.flag) {  // without replacement: each row is 4 distinct categories, all but the zero weight
      for (int64_t r = 0; r < out[0].size(0); ++r) {
        std::set<double> row_values(v.begin() + r * per_row, v.begin() + (r + 1) * per_row);
        CHECK(row_values.size() == 4);
      }
    }
  };
  return row;
}

// randperm(n) in each dtype that holds n - 1: a permutation of 0..n-1.
OpTestRow randperm_row() {
  OpTestRow row;
  row.op = "randperm";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    return std::vector<Sample>{sampling_sample("randperm(100)", Case::Statistics, dtype, device),
                               sampling_sample("randperm(0)", Case::Shapes, dtype, device)};
  };
  row.run = [](const Sample& s) -> std::vector<Tensor> {
    return {reel::randperm(s.index == static_cast<int64_t>(Case::Shapes) ? 0 : 100,
                           TensorOptions(s.dtype).device(s.device))};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& out) {
    CHECK(dtype_name(out[0].dtype()) == dtype_name(s.dtype));
    CHECK(out[0].device() == s.device);
    std::vector<double> v = out[0].to_vector<double>();
    const bool identity = std::is_sorted(v.begin(), v.end());
    std::sort(v.begin(), v.end());
    for (size_t i = 0; i < v.size(); ++i) CHECK(v[i] == static_cast<double>(i));
    if (!v.empty()) CHECK(!identity);  // the identity has probability 1 / 100!
  };
  return row;
}

void add_random_sampling_rows(std::vector<OpTestRow>& rows) {
  for (OpTestRow& row : in_place_rows()) rows.push_back(std::move(row));
  rows.push_back(multinomial_row());
  rows.push_back(randperm_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_random_sampling_rows);

}  // namespace reel::test
