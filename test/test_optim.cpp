// reel/test/test_optim.cpp — optimizers, gradient clipping and learning-rate schedulers against numbers worked
// out independently: PyTorch's documented update rules transcribed here as plain double arithmetic (never by
// calling reel's optimizers), a few first steps worked by hand, and the schedulers' closed forms. Also parameter
// groups, zero_grad, skipped parameters, state_dict round trips (continued steps bit-identical, through a
// safetensors file too) and the error messages.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <numbers>
#include <vector>

using reel::Tensor;
namespace optim = reel::optim;
using Values = std::vector<double>;

namespace {

Tensor param64(const Values& values) { return reel::tensor(values, reel::kFloat64).requires_grad_(); }

void set_grad(Tensor& param, const Values& grad) { param.mutable_grad() = reel::tensor(grad, reel::kFloat64); }

void check_values(const Tensor& t, const Values& expected, double rtol = 1e-12) {
  const Values got = t.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    CHECK(std::fabs(got[i] - expected[i]) <= rtol * (1 + std::fabs(expected[i])));
  }
}

// The test problem: loss = sum_i (a_i p_i^2 / 2 - b_i p_i), so dloss/dp_i = a_i p_i - b_i.
const Values kA{1.0, 2.0, 0.5};
const Values kB{0.3, -0.2, 1.0};
const Values kStart{1.0, -1.0, 0.5};

Values quadratic_grad(const Values& p) {
  Values g(p.size());
  for (size_t i = 0; i < p.size(); ++i) g[i] = kA[i] * p[i] - kB[i];
  return g;
}

// Sets the gradient of the test problem through reel's autograd.
void backward_quadratic(Tensor& param) {
  param.mutable_grad() = Tensor();
  const Tensor a = reel::tensor(kA, reel::kFloat64), b = reel::tensor(kB, reel::kFloat64);
  (a * param * param * 0.5 - b * param).sum().backward();
}

// Runs `steps` steps of `optimizer` on the test problem and compares with `reference`, which maps the parameter
// values and gradient to the next values (the rule transcribed in plain doubles), after every step.
void run_against_reference(optim::Optimizer& optimizer, Tensor& param,
                           const std::function<void(Values& p, const Values& g)>& reference, int steps = 5) {
  Values expected = kStart;
  for (int step = 1; step <= steps; ++step) {
    INFO("step " << step);
    backward_quadratic(param);
    reference(expected, quadratic_grad(expected));
    optimizer.step();
    check_values(param, expected);
  }
}

}  // namespace

// ---- first steps worked by hand ----------------------------------------------------------------------------------
TEST_CASE("optimizer first steps worked by hand", "[optim]") {
  SECTION("SGD with momentum 0.9 and a constant gradient 1") {
    // b = 1, 1.9, 2.71; p = 1 - 0.1 b cumulatively: 0.9, 0.71, 0.439
    Tensor p = param64({1.0});
    optim::SGD sgd({p}, optim::SGDOptions(0.1).momentum(0.9));
    for (double expected : {0.9, 0.71, 0.439}) {
      set_grad(p, {1.0});
      sgd.step();
      check_values(p, {expected});
    }
  }
  SECTION("Adam Adagrad and RMSprop first steps") {
    // Adam: m_hat = g, v_hat = g^2, so the first step moves by lr g / (|g| + eps)
    Tensor p = param64({1.0, 1.0});
    optim::Adam adam({p}, optim::AdamOptions(0.1));
    set_grad(p, {2.0, -0.5});
    adam.step();
    check_values(p, {1 - 0.1 * 2 / (2 + 1e-8), 1 + 0.1 * 0.5 / (0.5 + 1e-8)}, 1e-15);
    // Adagrad: sum = g^2, the first step moves by lr g / (|g| + eps)
    Tensor q = param64({1.0});
    optim::Adagrad adagrad({q}, optim::AdagradOptions(0.1));
    set_grad(q, {4.0});
    adagrad.step();
    check_values(q, {1 - 0.1 * 4 / (4 + 1e-10)}, 1e-15);
    // RMSprop: v = 0.01 g^2, the first step moves by lr g / (0.1 |g| + eps) = 10 lr sign(g)
    Tensor r = param64({1.0});
    optim::RMSprop rmsprop({r}, optim::RMSpropOptions(0.01));
    set_grad(r, {3.0});
    rmsprop.step();
    check_values(r, {1 - 0.01 * 3 / (0.3 + 1e-8)}, 1e-15);
    CHECK(r.item<double>() == Approx(0.9).epsilon(1e-6));
  }
}

// ---- each optimizer against its documented rule ------------------------------------------------------------------
TEST_CASE("SGD variants match the documented update rule", "[optim]") {
  struct Case {
    double lr, momentum, dampening, weight_decay;
    bool nesterov;
  };
  for (const Case& c : {Case{0.1, 0, 0, 0, false}, Case{0.1, 0.9, 0, 0, false}, Case{0.05, 0.8, 0.3, 0, false},
                        Case{0.1, 0.9, 0, 0, true}, Case{0.1, 0.7, 0, 0.1, true}, Case{0.2, 0.5, 0.1, 0.05, false}}) {
    INFO("lr " << c.lr << ", momentum " << c.momentum << ", dampening " << c.dampening << ", weight_decay "
               << c.weight_decay << ", nesterov " << c.nesterov);
    Tensor p = param64(kStart);
    optim::SGD sgd({p}, optim::SGDOptions(c.lr).momentum(c.momentum).dampening(c.dampening)
                            .weight_decay(c.weight_decay).nesterov(c.nesterov));
    Values buffer;
    run_against_reference(sgd, p, [&](Values& theta, const Values& grad) {
      const bool first = buffer.empty();
      buffer.resize(theta.size());
      for (size_t i = 0; i < theta.size(); ++i) {
        double g = grad[i] + c.weight_decay * theta[i];  // g_t = grad + lambda theta
        if (c.momentum != 0) {
          // b_t = g_t on the first step, else mu b + (1 - tau) g_t
          buffer[i] = first ? g : c.momentum * buffer[i] + (1 - c.dampening) * g;
          g = c.nesterov ? g + c.momentum * buffer[i] : buffer[i];
        }
        theta[i] -= c.lr * g;  // theta_t = theta - gamma g_t
      }
    });
  }
}

namespace {
// Adam / AdamW as documented: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, m_hat = m / (1 - b1^t),
// vmax = max(vmax, v) (amsgrad), v_hat = v (or vmax) / (1 - b2^t), theta -= lr m_hat / (sqrt(v_hat) + eps);
// Adam adds lambda theta to g, AdamW multiplies theta by (1 - lr lambda) first.
struct AdamReference {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, decoupled;
  Values m, v, vmax;
  int t = 0;
  void operator()(Values& theta, const Values& grad) {
    ++t;
    m.resize(theta.size(), 0.0);
    v.resize(theta.size(), 0.0);
    vmax.resize(theta.size(), 0.0);
    for (size_t i = 0; i < theta.size(); ++i) {
      double g = grad[i];
      if (decoupled) {
        theta[i] *= 1 - lr * weight_decay;
      } else {
        g += weight_decay * theta[i];
      }
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      vmax[i] = std::max(vmax[i], v[i]);
      const double m_hat = m[i] / (1 - std::pow(beta1, t));
      const double v_hat = (amsgrad ? vmax[i] : v[i]) / (1 - std::pow(beta2, t));
      theta[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};
}  // namespace

TEST_CASE("Adam and AdamW variants match the documented update rule", "[optim]") {
  for (bool amsgrad : {false, true}) {
    for (double weight_decay : {0.0, 0.1}) {
      INFO("Adam, amsgrad " << amsgrad << ", weight_decay " << weight_decay);
      Tensor p = param64(kStart);
      optim::Adam adam({p}, optim::AdamOptions(0.1).betas({0.8, 0.9}).weight_decay(weight_decay).amsgrad(amsgrad));
      run_against_reference(adam, p, AdamReference{0.1, 0.8, 0.9, 1e-8, weight_decay, amsgrad, false, {}, {}, {}});
    }
  }
  for (bool amsgrad : {false, true}) {
    INFO("AdamW, amsgrad " << amsgrad);
    Tensor p = param64(kStart);
    optim::AdamW adamw({p}, optim::AdamWOptions(0.1).amsgrad(amsgrad));  // weight_decay defaults to 0.01
    run_against_reference(adamw, p, AdamReference{0.1, 0.9, 0.999, 1e-8, 0.01, amsgrad, true, {}, {}, {}});
  }
  SECTION("amsgrad keeps the largest second moment when gradients shrink") {
    const std::vector<Values> grads{{1.0}, {0.1}, {0.01}, {2.0}, {0.05}};
    for (bool amsgrad : {false, true}) {
      Tensor p = param64({0.0});
      optim::Adam adam({p}, optim::AdamOptions(0.01).betas({0.9, 0.5}).amsgrad(amsgrad));
      AdamReference reference{0.01, 0.9, 0.5, 1e-8, 0.0, amsgrad, false, {}, {}, {}};
      Values expected{0.0};
      for (const Values& g : grads) {
        set_grad(p, g);
        adam.step();
        reference(expected, g);
        check_values(p, expected);
      }
      CHECK(adam.state(p)->count("max_exp_avg_sq") == (amsgrad ? 1u : 0u));
    }
  }
}

TEST_CASE("Adagrad variants match the documented update rule", "[optim]") {
  struct Case {
    double lr, lr_decay, weight_decay, initial_accumulator_value;
  };
  for (const Case& c : {Case{0.1, 0, 0, 0}, Case{0.1, 0.1, 0, 0}, Case{0.5, 0, 0.1, 0}, Case{0.3, 0.05, 0.02, 0.5}}) {
    INFO("lr " << c.lr << ", lr_decay " << c.lr_decay << ", weight_decay " << c.weight_decay << ", initial "
               << c.initial_accumulator_value);
    Tensor p = param64(kStart);
    optim::Adagrad adagrad({p}, optim::AdagradOptions(c.lr).lr_decay(c.lr_decay).weight_decay(c.weight_decay)
                                    .initial_accumulator_value(c.initial_accumulator_value));
    Values sum(kStart.size(), c.initial_accumulator_value);
    int t = 0;
    run_against_reference(adagrad, p, [&](Values& theta, const Values& grad) {
      ++t;
      const double clr = c.lr / (1 + (t - 1) * c.lr_decay);  // gamma~ = gamma / (1 + (t - 1) eta)
      for (size_t i = 0; i < theta.size(); ++i) {
        const double g = grad[i] + c.weight_decay * theta[i];
        sum[i] += g * g;
        theta[i] -= clr * g / (std::sqrt(sum[i]) + 1e-10);
      }
    });
  }
}

TEST_CASE("RMSprop variants match the documented update rule", "[optim]") {
  struct Case {
    double lr, alpha, weight_decay, momentum;
    bool centered;
  };
  for (const Case& c : {Case{0.01, 0.99, 0, 0, false}, Case{0.01, 0.9, 0, 0, true}, Case{0.02, 0.95, 0, 0.5, false},
                        Case{0.01, 0.9, 0.1, 0.3, true}}) {
    INFO("lr " << c.lr << ", alpha " << c.alpha << ", weight_decay " << c.weight_decay << ", momentum "
               << c.momentum << ", centered " << c.centered);
    Tensor p = param64(kStart);
    optim::RMSprop rmsprop({p}, optim::RMSpropOptions(c.lr).alpha(c.alpha).weight_decay(c.weight_decay)
                                    .momentum(c.momentum).centered(c.centered));
    Values v(3, 0.0), g_ave(3, 0.0), b(3, 0.0);
    run_against_reference(rmsprop, p, [&](Values& theta, const Values& grad) {
      for (size_t i = 0; i < theta.size(); ++i) {
        const double g = grad[i] + c.weight_decay * theta[i];
        v[i] = c.alpha * v[i] + (1 - c.alpha) * g * g;  // v = alpha v + (1 - alpha) g^2
        double v_tilde = v[i];
        if (c.centered) {
          g_ave[i] = c.alpha * g_ave[i] + (1 - c.alpha) * g;
          v_tilde -= g_ave[i] * g_ave[i];
        }
        if (c.momentum > 0) {
          b[i] = c.momentum * b[i] + g / (std::sqrt(v_tilde) + 1e-8);
          theta[i] -= c.lr * b[i];
        } else {
          theta[i] -= c.lr * g / (std::sqrt(v_tilde) + 1e-8);
        }
      }
    });
  }
}

// ---- groups, gradients, closures ---------------------------------------------------------------------------------
TEST_CASE("parameter groups keep their own options", "[optim]") {
  Tensor fast = param64({1.0, 2.0}), slow = param64({1.0}), late = param64({5.0});
  optim::SGD sgd({optim::OptimizerParamGroup({fast}, optim::SGDOptions(0.5)), optim::OptimizerParamGroup({slow})},
                 optim::SGDOptions(0.1));
  CHECK(sgd.param_groups().size() == 2);
  CHECK(sgd.param_groups()[1].options().get_lr() == 0.1);  // a group without options takes the defaults
  sgd.add_param_group(optim::OptimizerParamGroup({late}, optim::SGDOptions(0.01).momentum(0.9)));
  CHECK(sgd.size() == 3);
  for (Tensor* p : {&fast, &slow, &late}) set_grad(*p, Values(static_cast<size_t>(p->numel()), 1.0));
  sgd.step();
  check_values(fast, {0.5, 1.5});
  check_values(slow, {0.9});
  check_values(late, {4.99});
  // changing one group's lr affects only that group
  sgd.param_groups()[1].options().set_lr(1.0);
  sgd.step();
  check_values(fast, {0.0, 1.0});
  check_values(slow, {-0.1});
  check_values(late, {5.0 - 0.01 - 0.01 * 1.9});
}

TEST_CASE("parameters without gradients are skipped and zero_grad clears gradients", "[optim]") {
  Tensor used = param64({1.0}), unused = param64({2.0});
  optim::Adam adam({used, unused}, optim::AdamOptions(0.1));
  set_grad(used, {1.0});
  adam.step();
  check_values(unused, {2.0});
  CHECK(adam.state(unused) == nullptr);
  REQUIRE(adam.state(used) != nullptr);
  CHECK(adam.state(used)->at("step").item<double>() == 1.0);

  adam.zero_grad(false);
  REQUIRE(used.grad().defined());
  check_values(used.grad(), {0.0});
  CHECK_FALSE(unused.grad().defined());
  adam.zero_grad();
  CHECK_FALSE(used.grad().defined());

  // parameters keep their identity: a handle taken before the step sees the new value
  Tensor handle = used;
  set_grad(used, {1.0});
  adam.step();
  CHECK(handle.is_same(used));
  CHECK(handle.item<double>() < 0.9);
  CHECK(used.is_leaf());
  CHECK(used.requires_grad());
}

TEST_CASE("step calls the closure with grad mode on and returns its loss", "[optim]") {
  Tensor p = param64({3.0});
  optim::SGD sgd({p}, optim::SGDOptions(0.25));
  int calls = 0;
  reel::NoGradGuard no_grad;  // step turns grad mode on for the closure
  const Tensor loss = sgd.step([&] {
    ++calls;
    sgd.zero_grad();
    Tensor value = (p * p).sum();  // d/dp = 2p = 6
    value.backward();
    return value;
  });
  CHECK(calls == 1);
  CHECK(loss.item<double>() == 9.0);
  check_values(p, {3.0 - 0.25 * 6.0});
  CHECK_FALSE(reel::is_grad_enabled());
}

// ---- state_dict ----------------------------------------------------------------------------------------------------
namespace {
// Runs `steps` steps with the fixed gradient sequence, starting at step index `first`.
void run_fixed(optim::Optimizer& optimizer, std::vector<Tensor>& params, int first, int steps) {
  for (int s = first; s < first + steps; ++s) {
    for (size_t k = 0; k < params.size(); ++k) {
      Values grad;
      for (int64_t i = 0; i < params[k].numel(); ++i) grad.push_back(std::sin(1.3 * s + 0.7 * i + k));
      set_grad(params[k], grad);
    }
    optimizer.step();
  }
}

template <typename Opt, typename Options>
void check_round_trip(const Options& options, const Options& other_options, bool through_file) {
  std::vector<Tensor> a{param64({1.0, -2.0, 0.5}), param64({0.25, 4.0})};
  Opt original({optim::OptimizerParamGroup({a[0]}), optim::OptimizerParamGroup({a[1]}, other_options)}, options);
  run_fixed(original, a, 0, 3);
  reel::nn::NamedTensors saved = original.state_dict();
  if (through_file) {
    const auto path = std::filesystem::temp_directory_path() / "reel_test_optim_state.safetensors";
    reel::serialize::save_safetensors(path.string(), saved);
    saved = reel::serialize::load_safetensors(path.string());
    std::filesystem::remove(path);
  }
  // a fresh optimizer over copies of the parameters, made with other options, takes over the saved ones
  std::vector<Tensor> b{param64(a[0].to_vector<double>()), param64(a[1].to_vector<double>())};
  Opt restored({optim::OptimizerParamGroup({b[0]}), optim::OptimizerParamGroup({b[1]})}, other_options);
  restored.load_state_dict(saved);
  CHECK(restored.param_groups()[0].options().option_names() == original.param_groups()[0].options().option_names());
  for (size_t g = 0; g < 2; ++g) {
    for (const std::string& name : original.param_groups()[g].options().option_names()) {
      CHECK(restored.param_groups()[g].options().option(name) == original.param_groups()[g].options().option(name));
    }
  }
  run_fixed(original, a, 3, 3);
  run_fixed(restored, b, 3, 3);
  for (size_t k = 0; k < 2; ++k) CHECK(a[k].to_vector<double>() == b[k].to_vector<double>());  // bit-identical
}
}  // namespace

TEST_CASE("state_dict round trips and continued steps are identical", "[optim]") {
  check_round_trip<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).nesterov(true),
                               optim::SGDOptions(0.05).momentum(0.5).weight_decay(0.1), false);
  check_round_trip<optim::Adam>(optim::AdamOptions(0.1).amsgrad(true).betas({0.8, 0.9}),
                                optim::AdamOptions(0.02).weight_decay(0.1), false);
  check_round_trip<optim::AdamW>(optim::AdamWOptions(0.1), optim::AdamWOptions(0.3).amsgrad(true), true);
  check_round_trip<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.1),
                                   optim::AdagradOptions(0.2).initial_accumulator_value(0.1), false);
  check_round_trip<optim::RMSprop>(optim::RMSpropOptions(0.01).centered(true).momentum(0.5),
                                   optim::RMSpropOptions(0.02).momentum(0.1), true);
}

TEST_CASE("state_dict uses the documented key scheme", "[optim]") {
  Tensor p = param64({1.0, 2.0}), q = param64({3.0});
  optim::Adam adam({optim::OptimizerParamGroup({p}), optim::OptimizerParamGroup({q}, optim::AdamOptions(0.5).amsgrad(true))},
                   optim::AdamOptions(0.1).eps(1e-6));
  set_grad(q, {1.0});
  adam.step();  // only q (index 1) has state
  std::map<std::string, Tensor> keys;
  for (const auto& [name, value] : adam.state_dict()) keys[name] = value;
  for (const char* name : {"state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq",
                           "param_groups.0.lr", "param_groups.0.betas", "param_groups.0.eps",
                           "param_groups.0.weight_decay", "param_groups.0.amsgrad", "param_groups.0.params",
                           "param_groups.1.lr", "param_groups.1.params"}) {
    INFO(name);
    CHECK(keys.count(name) == 1);
  }
  CHECK(keys.size() == 4 + 2 * 6);
  CHECK(keys["param_groups.0.lr"].item<double>() == 0.1);
  CHECK(keys["param_groups.1.lr"].item<double>() == 0.5);
  CHECK(keys["param_groups.1.amsgrad"].item<double>() == 1.0);
  CHECK(keys["param_groups.0.amsgrad"].item<double>() == 0.0);
  CHECK(keys["param_groups.0.eps"].item<double>() == 1e-6);
  CHECK(keys["param_groups.0.betas"].to_vector<double>() == Values{0.9, 0.999});
  CHECK(keys["param_groups.1.params"].to_vector<int64_t>() == std::vector<int64_t>{1});
  CHECK(keys["state.1.step"].item<double>() == 1.0);
  check_values(keys["state.1.exp_avg"], {0.1});  // (1 - 0.9) * 1
  CHECK(keys["state.1.exp_avg"].dtype() == reel::kFloat64);

  optim::Adam other({optim::OptimizerParamGroup({p}), optim::OptimizerParamGroup({q})});
  using Catch::Matchers::Contains;
  reel::nn::NamedTensors bad = adam.state_dict();
  bad.emplace_back("param_groups.0.momentum", reel::scalar_tensor(0.5, reel::kFloat64));
  REQUIRE_THROWS_WITH(other.load_state_dict(bad), Contains("unexpected key 'param_groups.0.momentum'"));
  bad = adam.state_dict();
  bad.emplace_back("bogus", reel::scalar_tensor(0.5, reel::kFloat64));
  REQUIRE_THROWS_WITH(other.load_state_dict(bad), Contains("unexpected key 'bogus'"));
  optim::Adam one_group({p, q});
  REQUIRE_THROWS_WITH(one_group.load_state_dict(adam.state_dict()), Contains("2 parameter groups"));
  optim::Adam swapped({optim::OptimizerParamGroup({p, q}), optim::OptimizerParamGroup({param64({0.0})})});
  REQUIRE_THROWS_WITH(swapped.load_state_dict(adam.state_dict()), Contains("has 1 parameters"));
  optim::SGD sgd({p, q});
  reel::nn::NamedTensors missing = sgd.state_dict();
  REQUIRE(missing.front().first == "param_groups.0.lr");  // plain SGD keeps no state
  missing.erase(missing.begin());
  REQUIRE_THROWS_WITH(sgd.load_state_dict(missing), Contains("missing key 'param_groups.0.lr'"));
}

// ---- gradient clipping ----------------------------------------------------------------------------------------------
TEST_CASE("clip_grad_norm_ returns the total norm and scales the gradients", "[optim]") {
  Tensor a = param64({0.0, 0.0}), b = param64({0.0}), none = param64({0.0});
  auto reset = [&] {
    set_grad(a, {3.0, 4.0});
    set_grad(b, {12.0});
  };
  reset();
  // total = sqrt(9 + 16 + 144) = 13; coef = 6.5 / (13 + 1e-6)
  CHECK(reel::nn::utils::clip_grad_norm_({a, b, none}, 6.5) == Approx(13.0).epsilon(1e-15));
  const double coef = 6.5 / (13.0 + 1e-6);
  check_values(a.grad(), {3 * coef, 4 * coef}, 1e-15);
  check_values(b.grad(), {12 * coef}, 1e-15);
  // a large max_norm leaves them alone
  reset();
  CHECK(optim::clip_grad_norm_({a, b}, 100.0) == Approx(13.0));
  check_values(a.grad(), {3.0, 4.0}, 0);
  // other norms: 1-norm 19, inf-norm 12
  reset();
  CHECK(optim::clip_grad_norm_({a, b}, 1.0, 1.0) == Approx(19.0));
  check_values(b.grad(), {12 / (19 + 1e-6)}, 1e-15);
  reset();
  CHECK(optim::clip_grad_norm_({a, b}, 6.0, INFINITY) == Approx(12.0));
  check_values(a.grad(), {3 * 6 / (12 + 1e-6), 4 * 6 / (12 + 1e-6)}, 1e-15);
  // no gradients: 0
  CHECK(optim::clip_grad_norm_({none}, 1.0) == 0.0);
  // non-finite norms throw on request, leaving the gradients as they were
  set_grad(a, {NAN, 1.0});
  REQUIRE_THROWS_WITH(optim::clip_grad_norm_({a, b}, 1.0, 2.0, true), Catch::Matchers::Contains("non-finite"));
  CHECK(a.grad().to_vector<double>()[1] == 1.0);
  // clip_grad_value_ clamps each element
  reset();
  optim::clip_grad_value_({a, b}, 3.5);
  check_values(a.grad(), {3.0, 3.5}, 0);
  check_values(b.grad(), {3.5}, 0);
}

// ---- schedulers --------------------------------------------------------------------------------------------------------
namespace {
// Checks the lr after construction (epoch 0) and after each of `epochs` steps against closed_form(epoch).
void check_schedule(optim::LRScheduler& scheduler, optim::Optimizer& optimizer,
                    const std::function<double(int)>& closed_form, int epochs = 12) {
  for (int epoch = 0; epoch <= epochs; ++epoch) {
    INFO("epoch " << epoch);
    if (epoch > 0) scheduler.step();
    CHECK(scheduler.last_epoch() == epoch);
    CHECK(optimizer.param_groups()[0].options().get_lr() == Approx(closed_form(epoch)).epsilon(1e-12));
    CHECK(scheduler.get_last_lr()[0] == optimizer.param_groups()[0].options().get_lr());
  }
}
}  // namespace

TEST_CASE("epoch schedulers follow their closed forms", "[optim]") {
  Tensor p = param64({1.0});
  SECTION("StepLR") {
    optim::SGD sgd({p}, optim::SGDOptions(0.1));
    optim::StepLR scheduler(sgd, 3, 0.5);  // 0.1 * 0.5^floor(t / 3)
    check_schedule(scheduler, sgd, [](int t) { return 0.1 * std::pow(0.5, t / 3); });
  }
  SECTION("MultiStepLR") {
    optim::SGD sgd({p}, optim::SGDOptions(1.0));
    optim::MultiStepLR scheduler(sgd, {2, 5, 5, 9}, 0.1);  // 5 counts twice
    check_schedule(scheduler, sgd, [](int t) { return t < 2 ? 1.0 : t < 5 ? 0.1 : t < 9 ? 1e-3 : 1e-4; });
  }
  SECTION("ExponentialLR") {
    optim::SGD sgd({p}, optim::SGDOptions(0.2));
    optim::ExponentialLR scheduler(sgd, 0.9);
    check_schedule(scheduler, sgd, [](int t) { return 0.2 * std::pow(0.9, t); });
  }
  SECTION("CosineAnnealingLR through and past T_max") {
    optim::SGD sgd({p}, optim::SGDOptions(0.1));
    optim::CosineAnnealingLR scheduler(sgd, 4, 0.01);
    // eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2, which rises again after T_max
    check_schedule(scheduler, sgd, [](int t) { return 0.01 + 0.09 * (1 + std::cos(std::numbers::pi * t / 4)) / 2; },
                   14);
    CHECK(scheduler.get_last_lr()[0] == Approx(0.055));  // t = 14: cos(3.5 pi) = 0
  }
  SECTION("CosineAnnealingLR by hand") {
    optim::Adam adam({p}, optim::AdamOptions(1.0));
    optim::CosineAnnealingLR scheduler(adam, 2);  // 1, (1 + cos(pi / 2)) / 2 = 0.5, 0, then 0.5, 1
    for (double expected : {0.5, 0.0, 0.5, 1.0, 0.5}) {
      scheduler.step();
      CHECK(scheduler.get_last_lr()[0] == Approx(expected).margin(1e-15));
    }
  }
  SECTION("LinearLR warm-up with the defaults") {
    optim::SGD sgd({p}, optim::SGDOptions(0.3));
    optim::LinearLR scheduler(sgd);  // 0.3 (1/3 + (2/3) min(t, 5) / 5)
    check_schedule(scheduler, sgd, [](int t) { return 0.3 * (1.0 / 3 + (2.0 / 3) * std::min(t, 5) / 5); });
  }
  SECTION("LinearLR decay") {
    optim::SGD sgd({p}, optim::SGDOptions(1.0));
    optim::LinearLR scheduler(sgd, 1.0, 0.25, 4);  // 1, 0.8125, 0.625, 0.4375, 0.25, 0.25, ...
    check_schedule(scheduler, sgd, [](int t) { return 1.0 - 0.75 * std::min(t, 4) / 4.0; });
  }
  SECTION("two chained schedulers multiply as in PyTorch") {
    optim::SGD sgd({p}, optim::SGDOptions(1.0));
    optim::ExponentialLR exponential(sgd, 0.9);
    optim::StepLR step(sgd, 3, 0.1);
    for (int t = 1; t <= 9; ++t) {
      exponential.step();
      step.step();
      CHECK(sgd.param_groups()[0].options().get_lr() == Approx(std::pow(0.9, t) * std::pow(0.1, t / 3)));
    }
    CHECK(step.base_lrs()[0] == 1.0);  // the second scheduler starts from the group's initial_lr
  }
}

TEST_CASE("OneCycleLR follows the 1cycle schedule and cycles momentum", "[optim]") {
  Tensor p = param64({1.0});
  auto cos_anneal = [](double start, double end, double pct) {
    return end + (start - end) / 2 * (std::cos(std::numbers::pi * pct) + 1);
  };
  SECTION("two phases with cosine annealing and SGD momentum") {
    optim::SGD sgd({p}, optim::SGDOptions(0.1).momentum(0.9));
    optim::OneCycleLR scheduler(sgd, optim::OneCycleLROptions(1.0, 10));
    // initial 1 / 25 = 0.04, min 0.04 / 1e4; phase ends at 0.3 * 10 - 1 = 2 and 9
    const double initial = 0.04, min_lr = 0.04 / 1e4;
    auto lr_at = [&](int t) {
      return t <= 2 ? cos_anneal(initial, 1.0, t / 2.0) : cos_anneal(1.0, min_lr, (t - 2) / 7.0);
    };
    auto momentum_at = [&](int t) {
      return t <= 2 ? cos_anneal(0.95, 0.85, t / 2.0) : cos_anneal(0.85, 0.95, (t - 2) / 7.0);
    };
    for (int t = 0; t <= 10; ++t) {
      INFO("step " << t);
      if (t > 0) scheduler.step();
      CHECK(scheduler.get_last_lr()[0] == Approx(lr_at(t)).epsilon(1e-12));
      CHECK(sgd.param_groups()[0].options().option("momentum")[0] == Approx(momentum_at(t)).epsilon(1e-12));
    }
    // by hand: step 1 is halfway up: 1 - (1 - 0.04) / 2 = 0.52
    REQUIRE_THROWS_WITH(scheduler.step(), Catch::Matchers::Contains("total_steps is 10"));
  }
  SECTION("by hand") {
    optim::SGD sgd({p}, optim::SGDOptions(0.1).momentum(0.9));
    optim::OneCycleLR scheduler(sgd, optim::OneCycleLROptions(1.0, 10));
    CHECK(scheduler.get_last_lr()[0] == Approx(0.04));
    scheduler.step();
    CHECK(scheduler.get_last_lr()[0] == Approx(0.52));
    CHECK(sgd.param_groups()[0].options().option("momentum")[0] == Approx(0.9));
    scheduler.step();
    CHECK(scheduler.get_last_lr()[0] == Approx(1.0));
  }
  SECTION("three phases with linear annealing and Adam's beta1") {
    optim::Adam adam({p}, optim::AdamOptions(0.1).betas({0.9, 0.99}));
    optim::OneCycleLR scheduler(adam, optim::OneCycleLROptions(0.5, 20)
                                          .pct_start(0.25)
                                          .anneal_strategy(optim::AnnealStrategy::Linear)
                                          .three_phase(true)
                                          .div_factor(10)
                                          .final_div_factor(100));
    // phases end at 0.25 * 20 - 1 = 4, 2 * 0.25 * 20 - 2 = 8, and 19
    const double initial = 0.05, min_lr = 0.05 / 100;
    auto linear = [](double start, double end, double pct) { return (end - start) * pct + start; };
    for (int t = 0; t <= 19; ++t) {
      INFO("step " << t);
      if (t > 0) scheduler.step();
      const double lr = t <= 4 ? linear(initial, 0.5, t / 4.0)
                        : t <= 8 ? linear(0.5, initial, (t - 4) / 4.0)
                                 : linear(initial, min_lr, (t - 8) / 11.0);
      const double beta1 = t <= 4 ? linear(0.95, 0.85, t / 4.0) : t <= 8 ? linear(0.85, 0.95, (t - 4) / 4.0) : 0.95;
      CHECK(scheduler.get_last_lr()[0] == Approx(lr).epsilon(1e-12));
      const Values betas = adam.param_groups()[0].options().option("betas");
      CHECK(betas[0] == Approx(beta1).epsilon(1e-12));
      CHECK(betas[1] == 0.99);
    }
  }
  SECTION("optimizers without momentum need cycle_momentum off") {
    optim::Adagrad adagrad({p});
    REQUIRE_THROWS_WITH(optim::OneCycleLR(adagrad, optim::OneCycleLROptions(1.0, 10)),
                        Catch::Matchers::Contains("cycle_momentum"));
    optim::OneCycleLR scheduler(adagrad, optim::OneCycleLROptions(1.0, 10).cycle_momentum(false));
    CHECK(scheduler.get_last_lr()[0] == Approx(0.04));
  }
}

TEST_CASE("ReduceLROnPlateau reduces after patience and honours cooldown and min_lr", "[optim]") {
  Tensor p = param64({1.0});
  SECTION("min mode, relative threshold") {
    optim::SGD sgd({p}, optim::SGDOptions(1.0));
    optim::ReduceLROnPlateau scheduler(sgd, optim::ReduceLROnPlateauOptions().patience(2).factor(0.5));
    // 0.89995 is not an improvement on 0.9 (needs < 0.9 (1 - 1e-4) = 0.89991)
    const Values metrics{1.0, 0.9, 0.95, 0.89995, 0.95, 0.8, 0.81, 0.82, 0.83, 0.84};
    const Values expected{1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25};
    for (size_t i = 0; i < metrics.size(); ++i) {
      INFO("epoch " << i + 1);
      scheduler.step(metrics[i]);
      CHECK(scheduler.get_last_lr()[0] == expected[i]);
    }
    CHECK(scheduler.best() == 0.8);
  }
  SECTION("max mode, absolute threshold, cooldown and min_lr") {
    optim::SGD sgd({optim::OptimizerParamGroup({p}), optim::OptimizerParamGroup({param64({0.0})})},
                   optim::SGDOptions(1.0));
    optim::ReduceLROnPlateau scheduler(sgd, optim::ReduceLROnPlateauOptions()
                                                .mode(optim::PlateauMode::Max)
                                                .threshold_mode(optim::ThresholdMode::Abs)
                                                .threshold(0.1)
                                                .patience(1)
                                                .cooldown(2)
                                                .factor(0.1)
                                                .min_lr({0.05, 0.0}));
    // an improvement must exceed best + 0.1; after a reduction, two cooldown epochs count no bad epochs
    const Values metrics{1.0, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
    const std::vector<Values> expected{{1.0, 1.0}, {1.0, 1.0},   {0.1, 0.1},   {0.1, 0.1},    {0.1, 0.1},
                                       {0.1, 0.1}, {0.05, 0.01}, {0.05, 0.01}, {0.05, 0.01}};
    for (size_t i = 0; i < metrics.size(); ++i) {
      INFO("epoch " << i + 1);
      scheduler.step(metrics[i]);
      CHECK(scheduler.get_last_lr()[0] == Approx(expected[i][0]));
      CHECK(scheduler.get_last_lr()[1] == Approx(expected[i][1]));
    }
  }
  REQUIRE_THROWS_WITH(
      [&] {
        optim::SGD sgd({p});
        optim::ReduceLROnPlateau(sgd, optim::ReduceLROnPlateauOptions().factor(1.0));
      }(),
      Catch::Matchers::Contains("factor"));
}

// ---- errors -------------------------------------------------------------------------------------------------------------
TEST_CASE("optimizer errors are clear", "[optim]") {
  using Catch::Matchers::Contains;
  Tensor p = param64({1.0}), q = param64({2.0});
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(-0.1)), Contains("SGD") && Contains("learning rate"));
  REQUIRE_THROWS_WITH(optim::SGD({p}, optim::SGDOptions(0.1).nesterov(true)), Contains("Nesterov"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, optim::AdamOptions().betas({0.9, 1.0})), Contains("Adam") && Contains("beta"));
  REQUIRE_THROWS_WITH(optim::RMSprop({p}, optim::RMSpropOptions().alpha(-1)), Contains("alpha"));
  REQUIRE_THROWS_WITH(optim::Adagrad({p}, optim::AdagradOptions().lr_decay(-1)), Contains("lr_decay"));
  REQUIRE_THROWS_WITH(optim::SGD(std::vector<Tensor>{}), Contains("empty parameter list"));
  REQUIRE_THROWS_WITH(optim::SGD({p, p}), Contains("more than one parameter group"));
  REQUIRE_THROWS_WITH(optim::SGD({p * 2}), Contains("non-leaf"));
  REQUIRE_THROWS_WITH(optim::SGD({reel::tensor({1, 2}, reel::kInt64)}), Contains("floating"));
  optim::SGD sgd({p});
  REQUIRE_THROWS_WITH(sgd.add_param_group(optim::OptimizerParamGroup({p})), Contains("more than one"));
  REQUIRE_THROWS_WITH(sgd.add_param_group(optim::OptimizerParamGroup({q}, optim::AdamOptions())),
                      Contains("another optimizer"));
  REQUIRE_THROWS_WITH(optim::StepLR(sgd, 0), Contains("step_size"));
  REQUIRE_THROWS_WITH(optim::LinearLR(sgd, 0.0), Contains("start_factor"));
  REQUIRE_THROWS_WITH(optim::CosineAnnealingLR(sgd, 0), Contains("T_max"));
}

// ---- scheduler state dicts, last_epoch and the resume checks ----------------------------------------------------
namespace {
using MakeScheduler = std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&, int64_t last_epoch)>;

struct SchedulerCase {
  const char* name;
  MakeScheduler make;
  std::vector<std::string> own_keys;  // PyTorch's names of the scheduler's own fields
};

std::vector<SchedulerCase> scheduler_cases() {
  return {
      {"StepLR", [](optim::Optimizer& o, int64_t e) { return std::make_unique<optim::StepLR>(o, 3, 0.5, e); },
       {"step_size", "gamma"}},
      {"MultiStepLR",
       [](optim::Optimizer& o, int64_t e) {
         return std::make_unique<optim::MultiStepLR>(o, std::vector<int64_t>{2, 6, 6}, 0.5, e);
       },
       {"milestones", "gamma"}},
      {"ExponentialLR",
       [](optim::Optimizer& o, int64_t e) { return std::make_unique<optim::ExponentialLR>(o, 0.8, e); },
       {"gamma"}},
      {"CosineAnnealingLR",
       [](optim::Optimizer& o, int64_t e) { return std::make_unique<optim::CosineAnnealingLR>(o, 4, 0.01, e); },
       {"T_max", "eta_min"}},
      {"LinearLR", [](optim::Optimizer& o, int64_t e) { return std::make_unique<optim::LinearLR>(o, 0.25, 1.0, 8, e); },
       {"start_factor", "end_factor", "total_iters"}},
      {"OneCycleLR",
       [](optim::Optimizer& o, int64_t e) {
         return std::make_unique<optim::OneCycleLR>(o, optim::OneCycleLROptions(1.0, 20).last_epoch(e));
       },
       {"total_steps", "initial_lr", "max_lr", "min_lr", "cycle_momentum", "use_beta1", "base_momentum",
        "max_momentum"}},
  };
}

// The lrs of a run of `epochs` steps from construction: lr before each epoch's training.
std::vector<double> run_lrs(optim::Optimizer& optimizer, optim::LRScheduler& scheduler, int epochs) {
  std::vector<double> lrs;
  for (int e = 0; e < epochs; ++e) {
    lrs.push_back(optimizer.param_groups()[0].options().get_lr());
    scheduler.step();
  }
  return lrs;
}
}  // namespace

TEST_CASE("scheduler state dicts hold PyTorch's keys and resume a run exactly", "[optim][checkpoint]") {
  constexpr int kHalf = 6;  // a StepLR / MultiStepLR decay epoch
  for (const SchedulerCase& c : scheduler_cases()) {
    INFO(c.name);
    Tensor p = param64({1.0});
    optim::SGD straight({p}, optim::SGDOptions(0.1).momentum(0.9));
    auto straight_scheduler = c.make(straight, -1);
    CHECK(std::string(straight_scheduler->name()) == c.name);
    const std::vector<double> expected = run_lrs(straight, *straight_scheduler, 2 * kHalf);

    optim::SGD first({p}, optim::SGDOptions(0.1).momentum(0.9));
    auto first_scheduler = c.make(first, -1);
    run_lrs(first, *first_scheduler, kHalf);
    const auto optimizer_state = first.state_dict();
    const auto scheduler_state = first_scheduler->state_dict();
    std::vector<std::string> keys;
    for (const auto& [key, value] : scheduler_state) keys.push_back(key);
    std::vector<std::string> expected_keys = c.own_keys;
    for (const char* key : {"base_lrs", "last_epoch", "_step_count", "_last_lr"}) expected_keys.push_back(key);
    CHECK(keys == expected_keys);
    for (const auto& [key, value] : scheduler_state) {
      if (key == "last_epoch") CHECK(value.item<int64_t>() == kHalf);
      if (key == "_step_count") CHECK(value.item<int64_t>() == kHalf + 1);  // the constructor's step counts
    }

    SECTION(std::string("load_state_dict, either order: ") + c.name) {
      for (bool optimizer_first : {true, false}) {
        optim::SGD resumed({p}, optim::SGDOptions(0.1).momentum(0.9));
        auto resumed_scheduler = c.make(resumed, -1);
        if (optimizer_first) resumed.load_state_dict(optimizer_state);
        resumed_scheduler->load_state_dict(scheduler_state);
        if (!optimizer_first) resumed.load_state_dict(optimizer_state);
        CHECK(resumed_scheduler->last_epoch() == kHalf);
        const std::vector<double> rest = run_lrs(resumed, *resumed_scheduler, kHalf);
        CHECK(rest == std::vector<double>(expected.begin() + kHalf, expected.end()));
      }
    }
    SECTION(std::string("last_epoch = epochs done - 1 after the optimizer's load: ") + c.name) {
      optim::SGD resumed({p}, optim::SGDOptions(0.1).momentum(0.9));
      resumed.load_state_dict(optimizer_state);
      auto resumed_scheduler = c.make(resumed, kHalf - 1);
      CHECK(resumed_scheduler->last_epoch() == kHalf);
      const std::vector<double> rest = run_lrs(resumed, *resumed_scheduler, kHalf);
      for (int e = 0; e < kHalf; ++e) CHECK(rest[e] == Approx(expected[kHalf + e]).epsilon(1e-14));
    }
    SECTION(std::string("a fresh scheduler on a restored optimizer is refused: ") + c.name) {
      // The trap the old header described: load the optimizer, make a new scheduler, step it to the saved epoch.
      optim::SGD resumed({p}, optim::SGDOptions(0.1).momentum(0.9));
      resumed.load_state_dict(optimizer_state);
      if (resumed.param_groups()[0].options().get_lr() != *resumed.param_groups()[0].initial_lr()) {
        CHECK_THROWS_WITH(c.make(resumed, -1), Catch::Matchers::Contains("would apply its schedule twice"));
      }
      // made before the optimizer's load, stepped without loading its own state
      optim::SGD other({p}, optim::SGDOptions(0.1).momentum(0.9));
      auto unloaded = c.make(other, -1);
      other.load_state_dict(optimizer_state);
      CHECK_THROWS_WITH(unloaded->step(), Catch::Matchers::Contains("the scheduler's state was not"));
    }
  }
}

TEST_CASE("StepLR resumed the old way would run 8x too slow: reel refuses it and the recipe is exact",
          "[optim][checkpoint]") {
  Tensor p = param64({1.0});
  optim::SGD sgd({p}, 0.1);
  optim::StepLR scheduler(sgd, 10, 0.5);
  for (int e = 0; e < 30; ++e) scheduler.step();
  CHECK(sgd.param_groups()[0].options().get_lr() == Approx(0.1 / 8));
  const auto saved = sgd.state_dict();

  optim::SGD restored({p}, 0.1);
  restored.load_state_dict(saved);
  CHECK_THROWS_WITH(optim::StepLR(restored, 10, 0.5),
                    Catch::Matchers::Contains("group 0 of SGD was restored by load_state_dict with lr 0.0125"));
  // a new schedule from the restored lr, on purpose
  restored.param_groups()[0].initial_lr().reset();
  optim::StepLR fresh(restored, 10, 0.5);
  CHECK(fresh.base_lrs()[0] == Approx(0.0125));

  optim::SGD resumed({p}, 0.1);
  optim::StepLR resumed_scheduler(resumed, 10, 0.5);
  resumed.load_state_dict(saved);
  resumed_scheduler.load_state_dict(scheduler.state_dict());
  for (int e = 30; e < 40; ++e) resumed_scheduler.step();
  CHECK(resumed.param_groups()[0].options().get_lr() == Approx(0.1 / 16));
}

TEST_CASE("scheduler load_state_dict and last_epoch errors", "[optim][checkpoint]") {
  Tensor p = param64({1.0});
  optim::SGD sgd({p}, 0.1);
  CHECK_THROWS_WITH(optim::StepLR(sgd, 3, 0.5, 4), Catch::Matchers::Contains("needs parameter group 0's initial_lr"));
  CHECK_THROWS_WITH(optim::StepLR(sgd, 3, 0.5, -2), Catch::Matchers::Contains("last_epoch must be -1"));
  optim::StepLR step(sgd, 3, 0.5);
  auto state = step.state_dict();
  auto extra = state;
  extra.emplace_back("bogus", reel::scalar_tensor(1.0, reel::kFloat64));
  CHECK_THROWS_WITH(step.load_state_dict(extra),
                    Catch::Matchers::Contains("StepLR.load_state_dict: unexpected key 'bogus'"));
  auto missing = state;
  missing.erase(missing.begin());
  CHECK_THROWS_WITH(step.load_state_dict(missing), Catch::Matchers::Contains("missing key 'step_size'"));
  auto wrong_groups = state;
  for (auto& [key, value] : wrong_groups)
    if (key == "base_lrs") value = reel::tensor(Values{0.1, 0.2}, reel::kFloat64);
  CHECK_THROWS_WITH(step.load_state_dict(wrong_groups),
                    Catch::Matchers::Contains("'base_lrs' has 2 values but the optimizer has 1"));
  CHECK(step.last_epoch() == 0);  // nothing changed by the failed loads
}

TEST_CASE("ReduceLROnPlateau state dict round trip", "[optim][checkpoint]") {
  Tensor p = param64({1.0});
  optim::SGD sgd({p}, 1.0);
  optim::ReduceLROnPlateau plateau(sgd, optim::ReduceLROnPlateauOptions().patience(1).mode(optim::PlateauMode::Max));
  for (double metric : {1.0, 2.0, 1.5, 1.4}) plateau.step(metric);
  optim::SGD other({p}, 1.0);
  optim::ReduceLROnPlateau restored(other);
  restored.load_state_dict(plateau.state_dict());
  other.load_state_dict(sgd.state_dict());
  CHECK(restored.best() == 2.0);
  CHECK(restored.last_epoch() == 4);
  for (double metric : {1.3, 1.2, 2.5, 2.4}) {
    plateau.step(metric);
    restored.step(metric);
    CHECK(other.param_groups()[0].options().get_lr() == sgd.param_groups()[0].options().get_lr());
    CHECK(restored.num_bad_epochs() == plateau.num_bad_epochs());
  }
  CHECK(sgd.param_groups()[0].options().get_lr() < 1.0);
}

TEST_CASE("optimizers take a bare learning rate and LibTorch's option casts", "[optim][spellings]") {
  Tensor p = param64({1.0, 2.0});
  optim::SGD sgd({p}, 0.1);
  optim::Adam adam({p}, 1e-3);
  optim::AdamW adamw({p}, 2e-3);
  optim::Adagrad adagrad({p}, 0.5);
  optim::RMSprop rmsprop({p}, 0.25);
  CHECK(sgd.param_groups()[0].options().get_lr() == 0.1);
  CHECK(adam.param_groups()[0].options().get_lr() == 1e-3);
  CHECK(adamw.param_groups()[0].options().get_lr() == 2e-3);
  CHECK(adagrad.param_groups()[0].options().get_lr() == 0.5);
  CHECK(rmsprop.param_groups()[0].options().get_lr() == 0.25);
  optim::Adam gan({p}, optim::AdamOptions(2e-4).betas(std::make_tuple(0.5, 0.5)));
  CHECK(std::get<0>(static_cast<optim::AdamOptions&>(gan.param_groups()[0].options()).betas()) == 0.5);
  for (auto& group : sgd.param_groups()) static_cast<optim::SGDOptions&>(group.options()).lr(0.05);
  CHECK(static_cast<const optim::SGDOptions&>(sgd.param_groups()[0].options()).lr() == 0.05);
  // the step uses the lr set through the cast: p - 0.05 g
  p.mutable_grad() = reel::tensor(Values{1.0, -2.0}, reel::kFloat64);
  sgd.step();
  check_values(p, {0.95, 2.1}, 1e-15);
}
