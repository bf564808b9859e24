// reel/nn/scheduler.h — learning-rate schedulers: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
// LinearLR, OneCycleLR and ReduceLROnPlateau.
//
// PyTorch's semantics: constructing a scheduler records each group's starting lr (the group's initial_lr, set
// by the first scheduler on that optimizer, as PyTorch's group["initial_lr"]) and runs step 0 (LinearLR and
// OneCycleLR change the lr right away); each `step()` then advances one epoch and writes the new lrs into the
// optimizer's groups. Call it after `optimizer.step()`:
//
//   reel::optim::SGD optimizer(params, 0.1);
//   reel::optim::StepLR scheduler(optimizer, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) { train(optimizer); scheduler.step(); }
//
// The epoch-wise schedulers use PyTorch's chainable (recursive) forms — each new lr is computed from the group's
// current lr — so they compose with each other and with manual lr changes exactly as in PyTorch; alone, they
// give the closed forms their documentation states (checked in test/test_optim.cpp).
//
// Resuming (docs/checkpoints.md). Because the forms are chainable, a scheduler must continue from the epoch its
// optimizer's restored lrs belong to: construct model, optimizer and scheduler as the first run did, then load
// all three (`reel::load(optimizer, ...)`, `reel::load(scheduler, ...)`, or the state_dict() / load_state_dict()
// pairs), in either order. `state_dict()` holds PyTorch's keys (last_epoch, base_lrs, _step_count, _last_lr and
// the scheduler's own fields). Or, as in PyTorch, pass `last_epoch` = (epochs done - 1) to a scheduler built
// after the optimizer was loaded. What must not be done — build a fresh scheduler on a restored optimizer and
// step it to the saved epoch — would apply the schedule twice (a StepLR with gamma 0.5 resumed after 3 decays
// runs 8x too slow): reel refuses it with a reel::Error, both when the fresh scheduler is built after the
// optimizer's state was loaded and when the optimizer's state is loaded under a scheduler whose own state was
// not. To start a new schedule from restored lrs on purpose, reset each group's initial_lr() first.
//
// One deliberate difference from PyTorch 2.x: a StepLR / MultiStepLR resumed with last_epoch on a decay epoch
// does not decay a second time in its constructor (PyTorch's ExponentialLR and CosineAnnealingLR already skip the
// constructor's update; its StepLR and MultiStepLR do not, halving the lr of such a resume).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arg.h"
#include "optim.h"

namespace reel::optim {

// One entry of a scheduler's state dict: PyTorch's key and the field that holds it (0-dim tensors for numbers
// and flags, 1-D for lists).
struct SchedulerField {
  SchedulerField(std::string name, double* value) : name(std::move(name)), number(value) {}
  SchedulerField(std::string name, int64_t* value) : name(std::move(name)), integer(value) {}
  SchedulerField(std::string name, bool* value) : name(std::move(name)), flag(value) {}
  SchedulerField(std::string name, std::vector<double>* value) : name(std::move(name)), numbers(value) {}
  SchedulerField(std::string name, std::vector<int64_t>* value) : name(std::move(name)), integers(value) {}
  bool is_list() const { return numbers != nullptr || integers != nullptr; }

  std::string name;
  // exactly one is set
  double* number = nullptr;
  int64_t* integer = nullptr;
  bool* flag = nullptr;
  std::vector<double>* numbers = nullptr;
  std::vector<int64_t>* integers = nullptr;
};

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch and writes the new learning rates into the optimizer's groups.
  void step();
  // The learning rates the last step() (or the constructor) set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lrs_; }
  // The epoch count: 0 after construction (last_epoch + 1 when constructed with last_epoch), +1 per step().
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  // The class name ("StepLR"), recorded in checkpoint files.
  virtual const char* name() const = 0;

  // PyTorch's keys as named tensors (float64 / int64; bools as 0 / 1): last_epoch, _step_count, base_lrs, _last_lr
  // and the scheduler's own fields (StepLR: step_size, gamma; ...).
  NamedTensors state_dict() const;
  // Restores every field (hyperparameters too, as PyTorch's __dict__ update does); every key must be present
  // and known, lists must have one value per group. The optimizer's lrs are not touched: they come from its
  // own state dict.
  void load_state_dict(const NamedTensors& state_dict);

 protected:
  // last_epoch = -1 starts a schedule (each group's initial_lr is set from its lr unless already set); a value
  // >= 0 resumes one after an optimizer's load_state_dict and requires every group's initial_lr. initial_lrs,
  // when given, replace each group's initial_lr first (OneCycleLR starts from max_lr / div_factor).
  LRScheduler(Optimizer& optimizer, int64_t last_epoch,
              std::optional<std::vector<double>> initial_lrs = std::nullopt);
  // The learning rates for last_epoch_, one per group; may read the groups' current lrs.
  virtual std::vector<double> get_lr() = 0;
  // The scheduler's own state dict entries beside the base's.
  virtual std::vector<SchedulerField> own_fields() { return {}; }
  // Runs the constructor's step (is_initial_ set); each derived constructor calls it last (virtual get_lr is not
  // callable from this constructor).
  void initial_step();
  // Each group's current lr.
  std::vector<double> current_lrs() const;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  bool is_initial_ = false;  // inside the constructor's step: the chainable forms keep the current lrs

 private:
  std::vector<SchedulerField> fields();

  std::vector<double> last_lrs_;
  uint64_t seen_restores_ = 0;  // optimizer_.lr_restores() when this scheduler was made
  bool resumed_ = false;        // made with last_epoch >= 0, or its state was loaded
};

// lr = base_lr * gamma^floor(epoch / step_size)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1, int64_t last_epoch = -1);
  const char* name() const override { return "StepLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr = base_lr * gamma^(number of milestones <= epoch); a milestone listed twice counts twice
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1, int64_t last_epoch = -1);
  const char* name() const override { return "MultiStepLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr = base_lr * gamma^epoch
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma, int64_t last_epoch = -1);
  const char* name() const override { return "ExponentialLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  double gamma_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, continuing as a cosine past T_max
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0, int64_t last_epoch = -1);
  const char* name() const override { return "CosineAnnealingLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// lr = base_lr * (start + (end - start) min(epoch, total_iters) / total_iters)
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3.0, double end_factor = 1.0, int64_t total_iters = 5,
           int64_t last_epoch = -1);
  const char* name() const override { return "LinearLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

// ---- OneCycleLR ---------------------------------------------------------------------------------------------------
enum class AnnealStrategy { Cos, Linear };

struct OneCycleLROptions {
  // max_lr for every group; per-group values go in max_lrs.
  OneCycleLROptions(double max_lr, int64_t total_steps) : max_lrs_({max_lr}), total_steps_(total_steps) {}
  OneCycleLROptions(std::vector<double> max_lrs, int64_t total_steps)
      : max_lrs_(std::move(max_lrs)), total_steps_(total_steps) {}
  REEL_ARG(std::vector<double>, max_lrs);
  REEL_ARG(int64_t, total_steps);
  REEL_ARG(double, pct_start) = 0.3;
  REEL_ARG(AnnealStrategy, anneal_strategy) = AnnealStrategy::Cos;
  // Cycles momentum (SGD, RMSprop) or beta1 (Adam, AdamW) inversely to the lr, between these two values.
  REEL_ARG(bool, cycle_momentum) = true;
  REEL_ARG(double, base_momentum) = 0.85;
  REEL_ARG(double, max_momentum) = 0.95;
  REEL_ARG(double, div_factor) = 25.0;
  REEL_ARG(double, final_div_factor) = 1e4;
  REEL_ARG(bool, three_phase) = false;
  // The index of the last batch done, when resuming (-1: a new cycle).
  REEL_ARG(int64_t, last_epoch) = -1;
};

// The 1cycle policy (Smith & Topin): lr rises from max_lr / div_factor to max_lr over pct_start of total_steps,
// then anneals to max_lr / (div_factor * final_div_factor) (three_phase: back to the initial lr first, then
// to the minimum). Step once per batch; more than total_steps steps throw.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& options);
  const char* name() const override { return "OneCycleLR"; }

 protected:
  std::vector<double> get_lr() override;
  std::vector<SchedulerField> own_fields() override;

 private:
  enum class LrPoint { Initial, Max, Min };
  enum class MomentumPoint { Max, Base };
  // One stretch of the cycle: from its start (the previous phase's end step) to end_step.
  struct Phase {
    double end_step;
    LrPoint start_lr, end_lr;
    MomentumPoint start_momentum, end_momentum;
  };
  double lr_at(LrPoint point, size_t group) const;
  double momentum_at(MomentumPoint point) const;
  double anneal(double start, double end, double pct) const;

  OneCycleLROptions options_;
  std::vector<Phase> phases_;
  std::vector<double> initial_lrs_, max_lrs_, min_lrs_;
  bool use_beta1_ = false;
};

// ---- ReduceLROnPlateau ----------------------------------------------------------------------------------------------
enum class PlateauMode { Min, Max };
enum class ThresholdMode { Rel, Abs };

struct ReduceLROnPlateauOptions {
  REEL_ARG(PlateauMode, mode) = PlateauMode::Min;
  REEL_ARG(double, factor) = 0.1;
  REEL_ARG(int64_t, patience) = 10;
  REEL_ARG(double, threshold) = 1e-4;
  REEL_ARG(ThresholdMode, threshold_mode) = ThresholdMode::Rel;
  REEL_ARG(int64_t, cooldown) = 0;
  // One value for every group, or one per group.
  REEL_ARG(std::vector<double>, min_lr) = std::vector<double>{0.0};
  REEL_ARG(double, eps) = 1e-8;
};

// Multiplies each group's lr by `factor` (not below min_lr) once the metric has not improved for more than
// `patience` steps, then waits `cooldown` steps before counting again. Improvement (min mode, rel): metric <
// best (1 - threshold); abs: metric < best - threshold (max mode mirrors). Changes smaller than eps are skipped.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }
  const char* name() const { return "ReduceLROnPlateau"; }
  // PyTorch's keys: factor, min_lrs, patience, cooldown, eps, last_epoch, _last_lr, mode (0 min, 1 max),
  // threshold, threshold_mode (0 rel, 1 abs), best, cooldown_counter, num_bad_epochs.
  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& state_dict);

 private:
  bool is_better(double metric) const;
  std::vector<SchedulerField> fields();

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lrs_;
};

}  // namespace reel::optim
