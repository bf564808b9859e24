// reel/nn/optim.cpp — the optimizer base (groups, zero_grad, state_dict), the five update rules and gradient
// clipping.
//
// Each update_group is PyTorch's single-tensor algorithm (torch/optim/<name>.py, `_single_tensor_<name>`)
// transcribed with reel's in-place ops, in the same order of operations, so float64 results agree with PyTorch
// to rounding. Steps run under NoGradGuard (Optimizer::step), so the in-place ops touch the parameters' memory
// directly and nothing is recorded. Sparse gradients (a sparse embedding's, Note [Row-sparse gradients]) take
// PyTorch's branches: SGD and Adagrad update only the rows present, SparseAdam exists for them, Adam, AdamW and
// RMSprop refuse them with PyTorch's messages.
#include "optim.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <typeinfo>
#include <unordered_map>

#include "../tensor/error_format.h"
#include "../tensor/grad_mode.h"

namespace reel::optim {

// ---- options ------------------------------------------------------------------------------------------------
namespace {

OptionRef number(const char* name, double& value) { return OptionRef{name, {&value}, nullptr}; }
OptionRef flag(const char* name, bool& value) { return OptionRef{name, {}, &value}; }
OptionRef pair(const char* name, Betas& value) {
  return OptionRef{name, {&std::get<0>(value), &std::get<1>(value)}, nullptr};
}

const OptionRef* find_ref(const std::vector<OptionRef>& refs, const std::string& name) {
  for (const OptionRef& ref : refs) {
    if (ref.name == name) return &ref;
  }
  return nullptr;
}

void check_at_least(const std::string& optimizer, const char* what, double value, double low) {
  REEL_CHECK(value >= low, "{}: invalid {} {} (must be >= {})", optimizer, what, value, low);
}

void check_betas(const std::string& optimizer, const Betas& betas) {
  for (double beta : {std::get<0>(betas), std::get<1>(betas)}) {
    REEL_CHECK(beta >= 0.0 && beta < 1.0, "{}: invalid beta {} (each of betas must lie in [0, 1))", optimizer, beta);
  }
}

}  // namespace

double OptimizerOptions::get_lr() const { return option("lr").at(0); }
void OptimizerOptions::set_lr(double lr) { set_option("lr", {lr}); }

bool OptimizerOptions::has_option(const std::string& name) const {
  return find_ref(const_cast<OptimizerOptions*>(this)->option_refs(), name) != nullptr;
}

std::vector<double> OptimizerOptions::option(const std::string& name) const {
  const std::vector<OptionRef> refs = const_cast<OptimizerOptions*>(this)->option_refs();
  const OptionRef* ref = find_ref(refs, name);
  REEL_CHECK(ref != nullptr, "optimizer options: there is no option '{}'", name);
  if (ref->flag != nullptr) return {*ref->flag ? 1.0 : 0.0};
  std::vector<double> values;
  for (const double* value : ref->numbers) values.push_back(*value);
  return values;
}

void OptimizerOptions::set_option(const std::string& name, const std::vector<double>& values) {
  const std::vector<OptionRef> refs = option_refs();
  const OptionRef* ref = find_ref(refs, name);
  REEL_CHECK(ref != nullptr, "optimizer options: there is no option '{}'", name);
  const size_t expected = ref->flag != nullptr ? 1 : ref->numbers.size();
  REEL_CHECK(values.size() == expected, "optimizer options: option '{}' takes {} value(s), got {}", name, expected,
             values.size());
  if (ref->flag != nullptr) {
    *ref->flag = values[0] != 0.0;
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) *ref->numbers[i] = values[i];
}

std::vector<std::string> OptimizerOptions::option_names() const {
  std::vector<std::string> names;
  for (const OptionRef& ref : const_cast<OptimizerOptions*>(this)->option_refs()) names.push_back(ref.name);
  return names;
}

std::vector<OptionRef> SGDOptions::option_refs() {
  return {number("lr", lr_), number("momentum", momentum_), number("dampening", dampening_),
          number("weight_decay", weight_decay_), flag("nesterov", nesterov_)};
}
void SGDOptions::validate(const std::string& optimizer) const {
  check_at_least(optimizer, "learning rate", lr_, 0);
  check_at_least(optimizer, "momentum", momentum_, 0);
  check_at_least(optimizer, "weight_decay", weight_decay_, 0);
  REEL_CHECK(!nesterov_ || (momentum_ > 0 && dampening_ == 0),
             "{}: Nesterov momentum requires a momentum and zero dampening (momentum {}, dampening {})", optimizer,
             momentum_, dampening_);
}

std::vector<OptionRef> AdamOptions::option_refs() {
  return {number("lr", lr_), pair("betas", betas_), number("eps", eps_), number("weight_decay", weight_decay_),
          flag("amsgrad", amsgrad_)};
}
void AdamOptions::validate(const std::string& optimizer) const {
  check_at_least(optimizer, "learning rate", lr_, 0);
  check_at_least(optimizer, "epsilon", eps_, 0);
  check_at_least(optimizer, "weight_decay", weight_decay_, 0);
  check_betas(optimizer, betas_);
}

std::vector<OptionRef> AdamWOptions::option_refs() {
  return {number("lr", lr_), pair("betas", betas_), number("eps", eps_), number("weight_decay", weight_decay_),
          flag("amsgrad", amsgrad_)};
}
void AdamWOptions::validate(const std::string& optimizer) const {
  check_at_least(optimizer, "learning rate", lr_, 0);
  check_at_least(optimizer, "epsilon", eps_, 0);
  check_at_least(optimizer, "weight_decay", weight_decay_, 0);
  check_betas(optimizer, betas_);
}

std::vector<OptionRef> AdagradOptions::option_refs() {
  return {number("lr", lr_), number("lr_decay", lr_decay_), number("weight_decay", weight_decay_),
          number("initial_accumulator_value", initial_accumulator_value_), number("eps", eps_)};
}
void AdagradOptions::validate(const std::string& optimizer) const {
  check_at_least(optimizer, "learning rate", lr_, 0);
  check_at_least(optimizer, "lr_decay", lr_decay_, 0);
  check_at_least(optimizer, "weight_decay", weight_decay_, 0);
  check_at_least(optimizer, "initial_accumulator_value", initial_accumulator_value_, 0);
  check_at_least(optimizer, "epsilon", eps_, 0);
}

std::vector<OptionRef> RMSpropOptions::option_refs() {
  return {number("lr", lr_),         number("alpha", alpha_),       number("eps", eps_),
          number("weight_decay", weight_decay_), number("momentum", momentum_), flag("centered", centered_)};
}
void RMSpropOptions::validate(const std::string& optimizer) const {
  check_at_least(optimizer, "learning rate", lr_, 0);
  check_at_least(optimizer, "alpha", alpha_, 0);
  check_at_least(optimizer, "epsilon", eps_, 0);
  check_at_least(optimizer, "weight_decay", weight_decay_, 0);
  check_at_least(optimizer, "momentum", momentum_, 0);
}

std::vector<OptionRef> SparseAdamOptions::option_refs() {
  return {number("lr", lr_), pair("betas", betas_), number("eps", eps_)};
}
void SparseAdamOptions::validate(const std::string& optimizer) const {
  REEL_CHECK(lr_ > 0, "{}: Invalid learning rate: {} (must be > 0)", optimizer, lr_);
  REEL_CHECK(eps_ > 0, "{}: Invalid epsilon value: {} (must be > 0)", optimizer, eps_);
  check_betas(optimizer, betas_);
}

// ---- parameter groups -------------------------------------------------------------------------------------------
OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_),
      options_(other.options_ ? other.options_->clone() : nullptr),
      initial_lr_(other.initial_lr_),
      lr_restored_(other.lr_restored_) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.options_ ? other.options_->clone() : nullptr;
    initial_lr_ = other.initial_lr_;
    lr_restored_ = other.lr_restored_;
  }
  return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
  REEL_CHECK(options_ != nullptr, "OptimizerParamGroup: the group has no options (add it to an optimizer first)");
  return *options_;
}
const OptimizerOptions& OptimizerParamGroup::options() const {
  REEL_CHECK(options_ != nullptr, "OptimizerParamGroup: the group has no options (add it to an optimizer first)");
  return *options_;
}

// ---- the optimizer base ------------------------------------------------------------------------------------------
struct Optimizer::States {
  std::unordered_map<const TensorImpl*, ParamState> of;
};

Optimizer::Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)), states_(std::make_unique<States>()) {
  defaults_->validate(name_);
  for (const OptimizerParamGroup& group : param_groups) add_param_group(group);
  REEL_CHECK(size() > 0, "{}: optimizer got an empty parameter list", name_);
}

Optimizer::~Optimizer() = default;

void Optimizer::add_param_group(const OptimizerParamGroup& group) {
  OptimizerParamGroup added(group.params(), group.has_options() ? group.options().clone() : defaults_->clone());
  added.initial_lr() = group.initial_lr();
  const OptimizerOptions& options = added.options();
  REEL_CHECK(typeid(options) == typeid(*defaults_),
             "{}: a parameter group's options belong to another optimizer (pass {}Options)", name_, name_);
  options.validate(name_);
  std::set<const TensorImpl*> seen;
  for (const OptimizerParamGroup& existing : param_groups_) {
    for (const Tensor& param : existing.params()) seen.insert(param.impl());
  }
  for (size_t i = 0; i < added.params().size(); ++i) {
    const Tensor& param = added.params()[i];
    REEL_CHECK(param.defined(), "{}: parameter {} of the new group is an undefined tensor", name_, i);
    REEL_CHECK(!param.is_sparse(), "{}: Sparse params at indices [{}]: {} requires dense parameter tensors", name_, i,
               name_);
    REEL_CHECK(param.is_floating_point(), "{}: can only optimize floating tensors, parameter {} is {} (shape {})",
               name_, i, dtype_name(param.dtype()), shape_str(param.sizes()));
    REEL_CHECK(param.is_leaf(), "{}: can't optimize a non-leaf tensor (parameter {}, shape {})", name_, i,
               shape_str(param.sizes()));
    REEL_CHECK(seen.insert(param.impl()).second,
               "{}: some parameters appear in more than one parameter group (parameter {}, shape {})", name_, i,
               shape_str(param.sizes()));
  }
  param_groups_.push_back(std::move(added));
}

Tensor Optimizer::step(const LossClosure& closure) {
  Tensor loss;
  if (closure) {
    EnableGradGuard enable_grad;
    loss = closure();
  }
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) update_group(group);
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    for (Tensor& param : group.params()) {
      if (!param.grad().defined()) continue;
      if (set_to_none) {
        param.mutable_grad() = Tensor();
      } else {
        param.mutable_grad().detach_();
        param.mutable_grad().zero_();
      }
    }
  }
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> params;
  for (const OptimizerParamGroup& group : param_groups_) {
    params.insert(params.end(), group.params().begin(), group.params().end());
  }
  return params;
}

size_t Optimizer::size() const {
  size_t count = 0;
  for (const OptimizerParamGroup& group : param_groups_) count += group.params().size();
  return count;
}

const ParamState* Optimizer::state(const Tensor& param) const {
  auto found = states_->of.find(param.impl());
  return found == states_->of.end() ? nullptr : &found->second;
}

ParamState& Optimizer::state_of(const Tensor& param) { return states_->of[param.impl()]; }

// ---- state_dict ---------------------------------------------------------------------------------------------------
NamedTensors Optimizer::state_dict() const {
  NoGradGuard no_grad;
  NamedTensors out;
  const std::vector<Tensor> params = parameters();
  for (size_t index = 0; index < params.size(); ++index) {
    const ParamState* param_state = state(params[index]);
    if (param_state == nullptr) continue;
    for (const auto& [name, value] : *param_state) {
      // a sparse state tensor (SGD's momentum buffer of a sparse gradient) is saved as its dense value
      out.emplace_back(fmt::format("state.{}.{}", index, name), value.is_sparse() ? value.to_dense() : value.clone());
    }
  }
  int64_t first_index = 0;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const OptimizerParamGroup& group = param_groups_[g];
    for (const std::string& option : group.options().option_names()) {
      const std::vector<double> values = group.options().option(option);
      Tensor value = values.size() == 1 ? scalar_tensor(values[0], kFloat64) : tensor(values, kFloat64);
      out.emplace_back(fmt::format("param_groups.{}.{}", g, option), value);
    }
    if (group.initial_lr()) {
      out.emplace_back(fmt::format("param_groups.{}.initial_lr", g), scalar_tensor(*group.initial_lr(), kFloat64));
    }
    std::vector<int64_t> indices;
    for (size_t i = 0; i < group.params().size(); ++i) indices.push_back(first_index++);
    out.emplace_back(fmt::format("param_groups.{}.params", g), tensor(indices, kInt64));
  }
  return out;
}

namespace {

// Splits "<number>.<rest>" after `prefix`; false when the key does not have that form.
bool split_indexed_key(const std::string& key, const std::string& prefix, int64_t& index, std::string& rest) {
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  const char* begin = key.data() + prefix.size();
  const char* end = key.data() + key.size();
  auto [after, error] = std::from_chars(begin, end, index);
  if (error != std::errc() || after == begin || after == end || *after != '.' || index < 0) return false;
  rest.assign(after + 1, end);
  return !rest.empty();
}

}  // namespace

void Optimizer::load_state_dict(const NamedTensors& state_dict) {
  std::map<int64_t, std::map<std::string, Tensor>> saved_groups;
  std::map<int64_t, ParamState> saved_states;
  for (const auto& [key, value] : state_dict) {
    int64_t index = 0;
    std::string rest;
    REEL_CHECK(value.defined(), "{}.load_state_dict: '{}' is an undefined tensor", name_, key);
    if (split_indexed_key(key, "state.", index, rest)) {
      saved_states[index][rest] = value;
    } else if (split_indexed_key(key, "param_groups.", index, rest)) {
      saved_groups[index][rest] = value;
    } else {
      throw_error(fmt::format("{}.load_state_dict: unexpected key '{}' (keys are state.<i>.<name>, "
                              "param_groups.<g>.<option> and param_groups.<g>.params)",
                              name_, key));
    }
  }
  REEL_CHECK(saved_groups.size() == param_groups_.size() &&
                 (saved_groups.empty() || saved_groups.rbegin()->first + 1 == static_cast<int64_t>(param_groups_.size())),
             "{}.load_state_dict: the state dict has {} parameter groups, the optimizer has {}", name_,
             saved_groups.size(), param_groups_.size());

  // Validate everything before changing anything.
  std::vector<std::unique_ptr<OptimizerOptions>> new_options;
  std::vector<std::optional<double>> new_initial_lrs;
  std::map<int64_t, Tensor> param_of_saved_index;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    const OptimizerParamGroup& group = param_groups_[g];
    std::map<std::string, Tensor> entries = saved_groups.at(static_cast<int64_t>(g));
    auto params_entry = entries.find("params");
    REEL_CHECK(params_entry != entries.end(), "{}.load_state_dict: missing key 'param_groups.{}.params'", name_, g);
    const std::vector<int64_t> saved_indices = params_entry->second.to_vector<int64_t>();
    REEL_CHECK(saved_indices.size() == group.params().size(),
               "{}.load_state_dict: loaded parameter group {} has {} parameters, the optimizer's group has {}", name_,
               g, saved_indices.size(), group.params().size());
    for (size_t k = 0; k < saved_indices.size(); ++k) {
      REEL_CHECK(param_of_saved_index.emplace(saved_indices[k], group.params()[k]).second,
                 "{}.load_state_dict: parameter index {} appears in two groups", name_, saved_indices[k]);
    }
    entries.erase(params_entry);
    std::unique_ptr<OptimizerOptions> options = group.options().clone();
    for (const std::string& option : options->option_names()) {
      auto entry = entries.find(option);
      REEL_CHECK(entry != entries.end(), "{}.load_state_dict: missing key 'param_groups.{}.{}'", name_, g, option);
      options->set_option(option, entry->second.to_vector<double>());
      entries.erase(entry);
    }
    options->validate(name_);
    std::optional<double> initial_lr;
    if (auto entry = entries.find("initial_lr"); entry != entries.end()) {
      initial_lr = entry->second.item<double>();
      entries.erase(entry);
    }
    REEL_CHECK(entries.empty(), "{}.load_state_dict: unexpected key 'param_groups.{}.{}' (not an option of {})",
               name_, g, entries.empty() ? "" : entries.begin()->first, name_);
    new_options.push_back(std::move(options));
    new_initial_lrs.push_back(initial_lr);
  }
  for (const auto& [index, saved_state] : saved_states) {
    REEL_CHECK(param_of_saved_index.count(index) == 1,
               "{}.load_state_dict: 'state.{}' names a parameter that no parameter group lists", name_, index);
  }

  NoGradGuard no_grad;
  states_->of.clear();
  for (const auto& [index, saved_state] : saved_states) {
    const Tensor& param = param_of_saved_index.at(index);
    ParamState& param_state = state_of(param);
    for (const auto& [name, value] : saved_state) {
      // step stays a float64 count on the CPU; floating state follows the parameter's dtype and device
      if (name == "step") {
        param_state[name] = value.to(Device(kCPU), kFloat64).clone();
      } else if (value.is_floating_point()) {
        param_state[name] = value.to(param.device(), param.dtype()).clone();
      } else {
        param_state[name] = value.to(param.device()).clone();
      }
    }
  }
  bool restored_scheduled_lr = false;
  for (size_t g = 0; g < param_groups_.size(); ++g) {
    param_groups_[g].set_options(std::move(new_options[g]));
    param_groups_[g].initial_lr() = new_initial_lrs[g];
    // a group that has an initial_lr carries an lr a scheduler set: schedulers check how they continue from it
    param_groups_[g].lr_restored() = new_initial_lrs[g].has_value();
    restored_scheduled_lr |= new_initial_lrs[g].has_value();
  }
  if (restored_scheduled_lr) ++lr_restores_;
}

// ---- update rules -------------------------------------------------------------------------------------------------
namespace {

// The state's step count plus one, stored back (a 0-dim float64 CPU tensor, as PyTorch's float32 `step`).
double advance_step(ParamState& state) {
  Tensor& step = state["step"];
  if (!step.defined()) step = zeros({}, kFloat64);
  const double next = step.item<double>() + 1;
  step.fill_(next);
  return next;
}

// The named state tensor, created as zeros like `param` when missing.
Tensor& state_tensor(ParamState& state, const char* name, const Tensor& param) {
  Tensor& value = state[name];
  if (!value.defined()) value = zeros_like(param);
  return value;
}

// self = self + w (end - self), in PyTorch's lerp form (end - (end - self)(1 - w) when w >= 0.5)
void lerp_(Tensor& self, const Tensor& end, double weight) {
  if (weight < 0.5) {
    self.add_(end - self, weight);
  } else {
    self.copy_(end - (end - self) * (1 - weight));
  }
}

template <typename Options>
Options& typed_options(OptimizerParamGroup& group) {
  return static_cast<Options&>(group.options());
}

// Optimizers without a sparse algorithm refuse a sparse gradient with PyTorch's message.
void refuse_sparse_gradient(const Tensor& param, const char* message) {
  REEL_CHECK(!param.grad().is_sparse(), "{} (a parameter of shape {} has a sparse gradient)", message,
             shape_str(param.sizes()));
}

// The 1-D row numbers of a coalesced sparse gradient.
Tensor rows_of(const Tensor& coalesced) { return coalesced._indices().view({coalesced._nnz()}); }

// One Adam / AdamW step for `param` (decoupled: AdamW's weight decay, applied to the parameter directly).
void adam_step(Tensor& param, ParamState& state, double lr, const Betas& betas, double eps, double weight_decay,
               bool amsgrad, bool decoupled) {
  const auto [beta1, beta2] = betas;
  Tensor grad = param.grad();
  Tensor& exp_avg = state_tensor(state, "exp_avg", param);
  Tensor& exp_avg_sq = state_tensor(state, "exp_avg_sq", param);
  const double step = advance_step(state);
  if (decoupled) {
    param.mul_(1 - lr * weight_decay);  // p = p (1 - lr wd)
  } else if (weight_decay != 0) {
    grad = grad.add(param, weight_decay);  // g = g + wd p
  }
  lerp_(exp_avg, grad, 1 - beta1);                   // m = b1 m + (1 - b1) g
  exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);  // v = b2 v + (1 - b2) g^2
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  Tensor denominator;
  if (amsgrad) {
    Tensor& max_exp_avg_sq = state_tensor(state, "max_exp_avg_sq", param);
    max_exp_avg_sq.maximum_(exp_avg_sq);  // vmax = max(vmax, v)
    denominator = max_exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(eps);
  } else {
    denominator = exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(eps);
  }
  param.addcdiv_(exp_avg, denominator, -step_size);  // p = p - lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer("SGD", std::move(param_groups), defaults.clone()) {}

void SGD::update_group(OptimizerParamGroup& group) {
  const SGDOptions& options = typed_options<SGDOptions>(group);
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    Tensor direction = param.grad();
    // A sparse gradient goes through the same lines: its rows are added into the dense parameter (and momentum
    // buffer), the buffer of a sparse gradient is sparse as in PyTorch. Weight decay would be sparse + dense,
    // which PyTorch refuses.
    REEL_CHECK(!(direction.is_sparse() && options.weight_decay() != 0),
               "SGD: weight_decay is not supported with a sparse gradient (parameter of shape {}): PyTorch fails in "
               "grad.add(param) with \"add(sparse, dense) is not supported. Use add(dense, sparse) instead.\"",
               shape_str(param.sizes()));
    if (options.weight_decay() != 0) direction = direction.add(param, options.weight_decay());  // d = g + wd p
    if (options.momentum() != 0) {
      ParamState& state = state_of(param);
      Tensor& buffer = state["momentum_buffer"];
      if (!buffer.defined()) {
        buffer = direction.clone();  // b = d on the first step
      } else {
        buffer.mul_(options.momentum()).add_(direction, 1 - options.dampening());  // b = mu b + (1 - tau) d
      }
      // A sparse buffer keeps its value with each row once (PyTorch's keeps appending rows).
      if (buffer.is_sparse()) buffer = buffer.coalesce();
      // nesterov: d = d + mu b; else d = b
      direction = options.nesterov() ? direction.add(buffer, options.momentum()) : buffer;
    }
    param.add_(direction, -options.lr());  // p = p - lr d
  }
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer("Adam", std::move(param_groups), defaults.clone()) {}

void Adam::update_group(OptimizerParamGroup& group) {
  const AdamOptions& options = typed_options<AdamOptions>(group);
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    refuse_sparse_gradient(param, "Adam does not support sparse gradients, please consider SparseAdam instead");
    adam_step(param, state_of(param), options.lr(), options.betas(), options.eps(), options.weight_decay(),
              options.amsgrad(), /*decoupled=*/false);
  }
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer("AdamW", std::move(param_groups), defaults.clone()) {}

void AdamW::update_group(OptimizerParamGroup& group) {
  const AdamWOptions& options = typed_options<AdamWOptions>(group);
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    refuse_sparse_gradient(param, "AdamW does not support sparse gradients, please consider SparseAdam instead");
    adam_step(param, state_of(param), options.lr(), options.betas(), options.eps(), options.weight_decay(),
              options.amsgrad(), /*decoupled=*/true);
  }
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer("Adagrad", std::move(param_groups), defaults.clone()) {}

void Adagrad::update_group(OptimizerParamGroup& group) {
  const AdagradOptions& options = typed_options<AdagradOptions>(group);
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    Tensor grad = param.grad();
    REEL_CHECK(!(grad.is_sparse() && options.weight_decay() != 0),
               "Adagrad: weight_decay option is not compatible with sparse gradients (parameter of shape {})",
               shape_str(param.sizes()));
    ParamState& state = state_of(param);
    Tensor& sum = state["sum"];
    if (!sum.defined()) sum = full_like(param, options.initial_accumulator_value());
    const double step = advance_step(state);
    if (options.weight_decay() != 0) grad = grad.add(param, options.weight_decay());  // g = g + wd p
    const double clr = options.lr() / (1 + (step - 1) * options.lr_decay());  // clr = lr / (1 + (t - 1) decay)
    if (grad.is_sparse()) {
      // Only the rows present: duplicates summed first (the update is non-linear), then for each row r
      // s[r] = s[r] + g[r]^2, p[r] = p[r] - clr g[r] / (sqrt(s[r]) + eps); other rows keep p and s.
      grad = grad.coalesce();
      const Tensor rows = rows_of(grad);
      const Tensor& values = grad._values();
      sum.index_add_(0, rows, values.pow(2));
      const Tensor std_values = sum.index_select(0, rows).sqrt_().add_(options.eps());
      param.index_add_(0, rows, values / std_values, -clr);
      continue;
    }
    sum.addcmul_(grad, grad);                                                  // s = s + g^2
    const Tensor std_dev = sum.sqrt().add_(options.eps());
    param.addcdiv_(grad, std_dev, -clr);  // p = p - clr g / (sqrt(s) + eps)
  }
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer("RMSprop", std::move(param_groups), defaults.clone()) {}

void RMSprop::update_group(OptimizerParamGroup& group) {
  const RMSpropOptions& options = typed_options<RMSpropOptions>(group);
  const double alpha = options.alpha();
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    refuse_sparse_gradient(param, "RMSprop does not support sparse gradients");
    ParamState& state = state_of(param);
    Tensor& square_avg = state_tensor(state, "square_avg", param);
    advance_step(state);
    Tensor grad = param.grad();
    if (options.weight_decay() != 0) grad = grad.add(param, options.weight_decay());  // g = g + wd p
    square_avg.mul_(alpha).addcmul_(grad, grad, 1 - alpha);  // v = a v + (1 - a) g^2
    Tensor average;
    if (options.centered()) {
      Tensor& grad_avg = state_tensor(state, "grad_avg", param);
      lerp_(grad_avg, grad, 1 - alpha);                                   // m = a m + (1 - a) g
      average = square_avg.addcmul(grad_avg, grad_avg, -1).sqrt_();  // sqrt(v - m^2)
    } else {
      average = square_avg.sqrt();  // sqrt(v)
    }
    average.add_(options.eps());
    if (options.momentum() > 0) {
      Tensor& buffer = state_tensor(state, "momentum_buffer", param);
      buffer.mul_(options.momentum()).addcdiv_(grad, average);  // b = mu b + g / (sqrt(v) + eps)
      param.add_(buffer, -options.lr());                     // p = p - lr b
    } else {
      param.addcdiv_(grad, average, -options.lr());  // p = p - lr g / (sqrt(v) + eps)
    }
  }
}

SparseAdam::SparseAdam(std::vector<Tensor> params, SparseAdamOptions defaults)
    : SparseAdam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}
SparseAdam::SparseAdam(std::vector<OptimizerParamGroup> param_groups, SparseAdamOptions defaults)
    : Optimizer("SparseAdam", std::move(param_groups), defaults.clone()) {}

// PyTorch's sparse_adam (torch/optim/_functional.py): the moments of the rows present move towards the
// gradient, old += (1 - b) (new - old); the other rows' moments stay (lazy), and only those rows of p change.
void SparseAdam::update_group(OptimizerParamGroup& group) {
  const SparseAdamOptions& options = typed_options<SparseAdamOptions>(group);
  const auto [beta1, beta2] = options.betas();
  for (Tensor& param : group.params()) {
    if (!param.grad().defined()) continue;
    REEL_CHECK(param.grad().is_sparse(),
               "SparseAdam does not support dense gradients, please consider Adam instead (a parameter of shape {} "
               "has a dense gradient)",
               shape_str(param.sizes()));
    ParamState& state = state_of(param);
    Tensor& exp_avg = state_tensor(state, "exp_avg", param);
    Tensor& exp_avg_sq = state_tensor(state, "exp_avg_sq", param);
    const double step = advance_step(state);  // counted even when the gradient holds no rows, as PyTorch
    const Tensor grad = param.grad().coalesce();
    const Tensor rows = rows_of(grad);
    const Tensor& values = grad._values();
    if (values.numel() == 0) continue;
    const Tensor old_exp_avg = exp_avg.index_select(0, rows);
    Tensor exp_avg_update = values.sub(old_exp_avg).mul_(1 - beta1);  // (1 - b1) (g - m)
    exp_avg.index_add_(0, rows, exp_avg_update);
    const Tensor old_exp_avg_sq = exp_avg_sq.index_select(0, rows);
    Tensor exp_avg_sq_update = values.pow(2).sub_(old_exp_avg_sq).mul_(1 - beta2);  // (1 - b2) (g^2 - v)
    exp_avg_sq.index_add_(0, rows, exp_avg_sq_update);
    Tensor numerator = exp_avg_update.add_(old_exp_avg);  // the new m of the rows
    exp_avg_sq_update.add_(old_exp_avg_sq);                // the new v of the rows
    const Tensor denominator = exp_avg_sq_update.sqrt_().add_(options.eps());
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = options.lr() * std::sqrt(bias_correction2) / bias_correction1;
    param.index_add_(0, rows, numerator.div_(denominator) * -step_size);  // p = p - step_size m / (sqrt(v) + eps)
  }
}

}  // namespace reel::optim

// ---- gradient clipping ------------------------------------------------------------------------------------------
namespace reel::nn::utils {

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  REEL_CHECK(norm_type > 0, "clip_grad_norm_: norm_type must be positive or infinity, got {}", norm_type);
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& param : parameters) {
    if (param.defined() && param.grad().defined() && param.grad().numel() > 0) grads.push_back(param.grad());
  }
  if (grads.empty()) return 0.0;
  // total = (sum_i ||g_i||_p^p)^(1/p), or max_i max |g_i| for p = inf; a sparse gradient's norm is that of its
  // value: of its rows once duplicates are summed (rows not held are zeros and add nothing)
  std::vector<Tensor> elements;
  for (const Tensor& grad : grads) {
    const Tensor values = grad.is_sparse() ? grad.coalesce()._values() : grad;
    if (values.numel() > 0) elements.push_back(values);
  }
  double total = 0.0;
  if (std::isinf(norm_type)) {
    for (const Tensor& values : elements) total = std::max(total, abs(values).amax().item<double>());
  } else {
    for (const Tensor& values : elements) total += std::pow(norm(values, norm_type).item<double>(), norm_type);
    total = std::pow(total, 1.0 / norm_type);
  }
  REEL_CHECK(!error_if_nonfinite || std::isfinite(total),
             "clip_grad_norm_: the total norm of order {} of the gradients of {} parameters is non-finite ({}), so "
             "it cannot be clipped; pass error_if_nonfinite = false to clip anyway",
             norm_type, parameters.size(), total);
  // g = g min(1, max_norm / (total + 1e-6))
  const double clip_coef = max_norm / (total + 1e-6);
  const double clamped_coef = std::isnan(clip_coef) ? clip_coef : std::min(clip_coef, 1.0);
  for (Tensor& grad : grads) grad.mul_(clamped_coef);  // a sparse gradient's rows are scaled in place
  return total;
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& param : parameters) {
    if (!param.defined() || !param.grad().defined()) continue;
    Tensor grad = param.grad();
    REEL_CHECK(!grad.is_sparse(),
               "clip_grad_value_: not supported for a sparse gradient (parameter of shape {}); clamping its rows "
               "would clamp each duplicate row separately, not their sum",
               shape_str(param.sizes()));
    grad.clamp_(-clip_value, clip_value);  // g = clamp(g, -c, c)
  }
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace reel::nn::utils
