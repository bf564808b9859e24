// reel/nn/optim.h — optimizers (SGD, Adam, AdamW, Adagrad, RMSprop, SparseAdam) and gradient clipping.
//
// The API is LibTorch's (torch::optim): an optimizer holds parameter groups, each a list of parameters with its
// own options; `step()` updates every parameter that has a gradient, in place and without recording (the
// parameters keep their identity, so modules and other handles see the new values); `zero_grad()` clears the
// gradients. Update rules and defaults are PyTorch's single-tensor (foreach=False, maximize=False) algorithms,
// transcribed line by line in nn/optim.cpp. Sparse gradients (nn::Embedding with sparse, Note [Row-sparse gradients]
// in docs/NOTES.md) follow PyTorch: SGD and Adagrad update only the rows present (no weight_decay), SparseAdam is
// Adam for them, Adam / AdamW / RMSprop refuse them.
//
//   reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(0.1).momentum(0.9));
//   reel::optim::Adam adam(model->parameters(), 1e-3);   // a bare lr converts to the options, as in LibTorch
//   reel::optim::Adam gan(params, reel::optim::AdamOptions(2e-4).betas(std::make_tuple(0.5, 0.5)));
//   static_cast<reel::optim::SGDOptions&>(optimizer.param_groups()[0].options()).lr(0.01);  // LibTorch's cast
//   for (...) { optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step(); }
//
// Two groups with different learning rates:
//   reel::optim::Adam optimizer({reel::optim::OptimizerParamGroup(body->parameters()),
//                                reel::optim::OptimizerParamGroup(head->parameters(), reel::optim::AdamOptions(1e-2))},
//                               reel::optim::AdamOptions(1e-3));
//
// state_dict() flattens the optimizer into named tensors (so it saves like a module's state dict):
//   "state.<i>.<name>"         per-parameter state, i = the parameter's position counting through the groups in
//                              order (PyTorch's numbering): step (0-dim float64), momentum_buffer, exp_avg,
//                              exp_avg_sq, max_exp_avg_sq, sum, square_avg, grad_avg, as the algorithm keeps them
//   "param_groups.<g>.<opt>"   each option of group g as a 0-dim float64 tensor (bools as 0 / 1; betas as a
//                              1-D tensor of two values); "initial_lr" too once a scheduler has set it
//   "param_groups.<g>.params"  1-D int64 tensor: the indices i of the group's parameters
// load_state_dict() requires the same group sizes, restores options and state (state tensors are cast to each
// parameter's dtype and device, step stays float64) and rejects unknown or missing keys.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../tensor/callback.h"
#include "../tensor/ops.h"
#include "../tensor/sorted_map.h"
#include "arg.h"
#include "module.h"

namespace reel::optim {

using nn::NamedTensors;

// One option seen generically (state_dict, schedulers): its PyTorch name and where its value lives.
struct OptionRef {
  std::string name;
  std::vector<double*> numbers;  // one value, or two for betas
  bool* flag = nullptr;          // set instead for bool options (nesterov, amsgrad, centered)
};

// Base of each optimizer's options struct.
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  // Every option, in PyTorch's order.
  virtual std::vector<OptionRef> option_refs() = 0;
  // Throws reel::Error naming `optimizer` when a value is out of range (negative lr, betas outside [0, 1), ...).
  virtual void validate(const std::string& optimizer) const = 0;

  double get_lr() const;
  void set_lr(double lr);
  bool has_option(const std::string& name) const;
  // The option's value(s) (bools as 0 / 1); throws when there is no such option.
  std::vector<double> option(const std::string& name) const;
  void set_option(const std::string& name, const std::vector<double>& values);
  std::vector<std::string> option_names() const;
};

// A list of parameters and the options they are updated with. Built without options, it takes the optimizer's
// defaults when added.
class OptimizerParamGroup {
 public:
  explicit OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  template <typename Options, typename = std::enable_if_t<std::is_base_of_v<OptimizerOptions, Options>>>
  OptimizerParamGroup(std::vector<Tensor> params, const Options& options)
      : params_(std::move(params)), options_(options.clone()) {}
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }
  // The learning rate a scheduler started from (PyTorch's group["initial_lr"]); set by the first scheduler.
  std::optional<double>& initial_lr() { return initial_lr_; }
  const std::optional<double>& initial_lr() const { return initial_lr_; }
  // Set by the optimizer's load_state_dict when the loaded group had an initial_lr (its lr is a scheduler's),
  // cleared when a scheduler takes the group over (nn/scheduler.h: the resume checks).
  bool& lr_restored() { return lr_restored_; }
  bool lr_restored() const { return lr_restored_; }

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
  std::optional<double> initial_lr_;
  bool lr_restored_ = false;
};

// Adam's (beta1, beta2).
using Betas = std::tuple<double, double>;

// Per-parameter state: name -> tensor (step, momentum_buffer, exp_avg, ...), in name order.
using ParamState = SortedMap<std::string, Tensor>;

class Optimizer {
 public:
  // Re-evaluates the model and returns the loss; step() calls it with grad mode on before updating.
  using LossClosure = Callback<Tensor()>;

  Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
            std::unique_ptr<OptimizerOptions> defaults);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter whose gradient is defined (others are skipped); returns the closure's loss, or an
  // undefined tensor without a closure.
  Tensor step(const LossClosure& closure = nullptr);
  // Appends a group; options default to the optimizer's. A parameter may belong to one group only.
  void add_param_group(const OptimizerParamGroup& group);
  // Clears every parameter's gradient: undefined when set_to_none (PyTorch's default), else zeros.
  void zero_grad(bool set_to_none = true);

  std::vector<OptimizerParamGroup>& param_groups() { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const { return param_groups_; }
  const OptimizerOptions& defaults() const { return *defaults_; }
  OptimizerOptions& defaults() { return *defaults_; }
  // Every parameter, group by group (the numbering state_dict uses).
  std::vector<Tensor> parameters() const;
  // The number of parameters over all groups.
  size_t size() const;
  const std::string& name() const { return name_; }
  // The state kept for `param`; nullptr before its first update.
  const ParamState* state(const Tensor& param) const;

  // The flattened optimizer (scheme in the header comment).
  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& state_dict);
  // How many load_state_dict calls restored learning rates a scheduler had set (groups with initial_lr).
  uint64_t lr_restores() const { return lr_restores_; }

 protected:
  // One update of the group's parameters; runs under NoGradGuard.
  virtual void update_group(OptimizerParamGroup& group) = 0;
  // The state of `param`, created empty on first use.
  ParamState& state_of(const Tensor& param);

 private:
  std::string name_;
  std::vector<OptimizerParamGroup> param_groups_;
  std::unique_ptr<OptimizerOptions> defaults_;
  uint64_t lr_restores_ = 0;
  struct States;  // parameter -> its ParamState (nn/optim.cpp)
  std::unique_ptr<States> states_;
};

// ---- SGD ----------------------------------------------------------------------------------------------------
struct SGDOptions : OptimizerOptions {
  SGDOptions(double lr = 1e-3) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(double, momentum) = 0.0;
  REEL_ARG(double, dampening) = 0.0;
  REEL_ARG(double, weight_decay) = 0.0;
  REEL_ARG(bool, nesterov) = false;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SGDOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, SGDOptions defaults = SGDOptions());
  explicit SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults = SGDOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

// ---- Adam and AdamW -------------------------------------------------------------------------------------------
struct AdamOptions : OptimizerOptions {
  AdamOptions(double lr = 1e-3) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(Betas, betas) = std::make_tuple(0.9, 0.999);
  REEL_ARG(double, eps) = 1e-8;
  REEL_ARG(double, weight_decay) = 0.0;
  REEL_ARG(bool, amsgrad) = false;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions defaults = AdamOptions());
  explicit Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = AdamOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

struct AdamWOptions : OptimizerOptions {
  AdamWOptions(double lr = 1e-3) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(Betas, betas) = std::make_tuple(0.9, 0.999);
  REEL_ARG(double, eps) = 1e-8;
  REEL_ARG(double, weight_decay) = 1e-2;
  REEL_ARG(bool, amsgrad) = false;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamWOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<Tensor> params, AdamWOptions defaults = AdamWOptions());
  explicit AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = AdamWOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

// ---- Adagrad --------------------------------------------------------------------------------------------------
struct AdagradOptions : OptimizerOptions {
  AdagradOptions(double lr = 1e-2) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(double, lr_decay) = 0.0;
  REEL_ARG(double, weight_decay) = 0.0;
  REEL_ARG(double, initial_accumulator_value) = 0.0;
  REEL_ARG(double, eps) = 1e-10;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdagradOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(std::vector<Tensor> params, AdagradOptions defaults = AdagradOptions());
  explicit Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = AdagradOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

// ---- RMSprop --------------------------------------------------------------------------------------------------
struct RMSpropOptions : OptimizerOptions {
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(double, alpha) = 0.99;
  REEL_ARG(double, eps) = 1e-8;
  REEL_ARG(double, weight_decay) = 0.0;
  REEL_ARG(double, momentum) = 0.0;
  REEL_ARG(bool, centered) = false;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<RMSpropOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = RMSpropOptions());
  explicit RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = RMSpropOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

// ---- SparseAdam ---------------------------------------------------------------------------------------------
// Adam for sparse gradients (PyTorch's SparseAdam): only the moments and values of the rows present change; a
// dense gradient is refused. Parameters with dense gradients belong to another optimizer (e.g. Adam).
struct SparseAdamOptions : OptimizerOptions {
  SparseAdamOptions(double lr = 1e-3) : lr_(lr) {}
  REEL_ARG(double, lr);
  REEL_ARG(Betas, betas) = std::make_tuple(0.9, 0.999);
  REEL_ARG(double, eps) = 1e-8;

 public:
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SparseAdamOptions>(*this); }
  std::vector<OptionRef> option_refs() override;
  void validate(const std::string& optimizer) const override;
};

class SparseAdam : public Optimizer {
 public:
  explicit SparseAdam(std::vector<Tensor> params, SparseAdamOptions defaults = SparseAdamOptions());
  explicit SparseAdam(std::vector<OptimizerParamGroup> param_groups, SparseAdamOptions defaults = SparseAdamOptions());

 protected:
  void update_group(OptimizerParamGroup& group) override;
};

}  // namespace reel::optim

// ---- gradient clipping (torch::nn::utils) -------------------------------------------------------------------------
namespace reel::nn::utils {

// Scales every defined gradient by min(1, max_norm / (total + 1e-6)), total = the norm_type-norm of all the
// gradients taken together (norm_type = inf: the largest |g|). Returns total (0 when no gradient is defined).
// A sparse gradient counts with its value (its rows, duplicates summed) and its rows are scaled.
// error_if_nonfinite: throws reel::Error when total is NaN or infinite (the gradients are left unchanged).
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
// Clamps every defined gradient into [-clip_value, clip_value] (reel::Error for a sparse one).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace reel::nn::utils

namespace reel::optim {
using nn::utils::clip_grad_norm_;
using nn::utils::clip_grad_value_;
}  // namespace reel::optim
