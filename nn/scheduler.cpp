// reel/nn/scheduler.cpp — the learning-rate schedulers of nn/scheduler.h.
//
// Each get_lr is PyTorch's (torch/optim/lr_scheduler.py) chainable form, transcribed branch by branch: the new
// lr is the group's current lr times a factor (or, for the cosine, an affine update of it), which reproduces
// the documented closed form when the scheduler runs alone and composes as PyTorch's does otherwise.
#include "scheduler.h"

#include "../tensor/error_format.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace reel::optim {

// ---- the base -------------------------------------------------------------------------------------------------
LRScheduler::LRScheduler(Optimizer& optimizer, std::optional<std::vector<double>> initial_lrs)
    : optimizer_(optimizer) {
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  if (initial_lrs) {
    REEL_CHECK(initial_lrs->size() == groups.size(), "LRScheduler: got {} initial learning rates for {} groups",
               initial_lrs->size(), groups.size());
    for (size_t g = 0; g < groups.size(); ++g) groups[g].initial_lr() = (*initial_lrs)[g];
  }
  for (OptimizerParamGroup& group : groups) {
    if (!group.initial_lr()) group.initial_lr() = group.options().get_lr();
    base_lrs_.push_back(*group.initial_lr());
  }
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  const std::vector<double> lrs = get_lr();
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  REEL_CHECK(lrs.size() == groups.size(),
             "LRScheduler: the optimizer has {} parameter groups but the scheduler was made for {}", groups.size(),
             lrs.size());
  for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(lrs[g]);
  last_lrs_ = current_lrs();
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs;
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) lrs.push_back(group.options().get_lr());
  return lrs;
}

namespace {
// Every current lr times `factor`.
std::vector<double> scaled(std::vector<double> lrs, double factor) {
  for (double& lr : lrs) lr *= factor;
  return lrs;
}
}  // namespace

// ---- StepLR ---------------------------------------------------------------------------------------------------
StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  REEL_CHECK(step_size > 0, "StepLR: step_size must be positive, got {}", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  // lr = lr * gamma at every multiple of step_size
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return current_lrs();
  return scaled(current_lrs(), gamma_);
}

// ---- MultiStepLR ----------------------------------------------------------------------------------------------
MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  // lr = lr * gamma^(times last_epoch is listed)
  const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (hits == 0) return current_lrs();
  return scaled(current_lrs(), std::pow(gamma_, static_cast<double>(hits)));
}

// ---- ExponentialLR --------------------------------------------------------------------------------------------
ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  // lr = lr * gamma after epoch 0
  if (last_epoch_ == 0) return current_lrs();
  return scaled(current_lrs(), gamma_);
}

// ---- CosineAnnealingLR ----------------------------------------------------------------------------------------
CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  REEL_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got {}", T_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  const double pi = std::numbers::pi;
  const double t = static_cast<double>(last_epoch_);
  const double t_max = static_cast<double>(t_max_);
  std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (size_t g = 0; g < lrs.size(); ++g) {
    const double base = base_lrs_[g];
    if ((((last_epoch_ - 1 - t_max_) % (2 * t_max_)) + 2 * t_max_) % (2 * t_max_) == 0) {
      // leaving the minimum: lr = lr + (base - eta_min) (1 - cos(pi / T_max)) / 2
      lrs[g] = lrs[g] + (base - eta_min_) * (1 - std::cos(pi / t_max)) / 2;
    } else {
      // lr = eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))
      lrs[g] = (1 + std::cos(pi * t / t_max)) / (1 + std::cos(pi * (t - 1) / t_max)) * (lrs[g] - eta_min_) + eta_min_;
    }
  }
  return lrs;
}

// ---- LinearLR -------------------------------------------------------------------------------------------------
LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  REEL_CHECK(start_factor > 0 && start_factor <= 1,
             "LinearLR: start_factor must be greater than 0 and at most 1, got {}", start_factor);
  REEL_CHECK(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor must lie in [0, 1], got {}", end_factor);
  REEL_CHECK(total_iters > 0, "LinearLR: total_iters must be positive, got {}", total_iters);
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  if (last_epoch_ == 0) return scaled(current_lrs(), start_factor_);  // lr = lr * start
  if (last_epoch_ > total_iters_) return current_lrs();
  // lr = lr * (1 + (end - start) / (total start + (t - 1)(end - start)))
  const double slope = end_factor_ - start_factor_;
  const double factor = 1.0 + slope / (static_cast<double>(total_iters_) * start_factor_ +
                                       static_cast<double>(last_epoch_ - 1) * slope);
  return scaled(current_lrs(), factor);
}

// ---- OneCycleLR -----------------------------------------------------------------------------------------------
namespace {
// max_lrs as given, or the single value repeated for every group.
std::vector<double> per_group(const std::vector<double>& values, size_t groups, const char* what) {
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  REEL_CHECK(values.size() == groups, "{}: expected 1 or {} values (one per group), got {}", what, groups,
             values.size());
  return values;
}

std::vector<double> one_cycle_initial_lrs(const Optimizer& optimizer, const OneCycleLROptions& options) {
  std::vector<double> lrs = per_group(options.max_lrs(), optimizer.param_groups().size(), "OneCycleLR max_lr");
  for (double& lr : lrs) lr /= options.div_factor();
  return lrs;
}
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& options)
    : LRScheduler(optimizer, one_cycle_initial_lrs(optimizer, options)), options_(options) {
  REEL_CHECK(options.total_steps() > 0, "OneCycleLR: total_steps must be positive, got {}", options.total_steps());
  REEL_CHECK(options.pct_start() >= 0 && options.pct_start() <= 1, "OneCycleLR: pct_start must lie in [0, 1], got {}",
             options.pct_start());
  const double total = static_cast<double>(options.total_steps());
  const double pct = options.pct_start();
  if (options.three_phase()) {
    phases_ = {{pct * total - 1, LrPoint::Initial, LrPoint::Max, MomentumPoint::Max, MomentumPoint::Base},
               {2 * pct * total - 2, LrPoint::Max, LrPoint::Initial, MomentumPoint::Base, MomentumPoint::Max},
               {total - 1, LrPoint::Initial, LrPoint::Min, MomentumPoint::Max, MomentumPoint::Max}};
  } else {
    phases_ = {{pct * total - 1, LrPoint::Initial, LrPoint::Max, MomentumPoint::Max, MomentumPoint::Base},
               {total - 1, LrPoint::Max, LrPoint::Min, MomentumPoint::Base, MomentumPoint::Max}};
  }
  max_lrs_ = per_group(options.max_lrs(), optimizer.param_groups().size(), "OneCycleLR max_lr");
  initial_lrs_ = base_lrs_;
  for (double initial : initial_lrs_) min_lrs_.push_back(initial / options.final_div_factor());
  if (options.cycle_momentum()) {
    const OptimizerOptions& defaults = optimizer.defaults();
    REEL_CHECK(defaults.has_option("momentum") || defaults.has_option("betas"),
               "OneCycleLR: {} has neither momentum nor betas; pass cycle_momentum(false)", optimizer.name());
    use_beta1_ = defaults.has_option("betas");
    for (OptimizerParamGroup& group : optimizer.param_groups()) {
      if (use_beta1_) {
        std::vector<double> betas = group.options().option("betas");
        betas[0] = options.max_momentum();
        group.options().set_option("betas", betas);
      } else {
        group.options().set_option("momentum", {options.max_momentum()});
      }
    }
  }
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  // cos: end + (start - end) (1 + cos(pi pct)) / 2; linear: start + (end - start) pct
  if (options_.anneal_strategy() == AnnealStrategy::Cos) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1);
  }
  return (end - start) * pct + start;
}

double OneCycleLR::lr_at(LrPoint point, size_t group) const {
  switch (point) {
    case LrPoint::Initial: return initial_lrs_[group];
    case LrPoint::Max: return max_lrs_[group];
    case LrPoint::Min: return min_lrs_[group];
  }
  return 0.0;
}

double OneCycleLR::momentum_at(MomentumPoint point) const {
  return point == MomentumPoint::Max ? options_.max_momentum() : options_.base_momentum();
}

std::vector<double> OneCycleLR::get_lr() {
  const double step = static_cast<double>(last_epoch_);
  REEL_CHECK(last_epoch_ <= options_.total_steps(), "OneCycleLR: tried to step {} times; total_steps is {}",
             last_epoch_, options_.total_steps());
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  std::vector<double> lrs;
  for (size_t g = 0; g < groups.size(); ++g) {
    double start_step = 0.0;
    double lr = 0.0;
    double momentum = 0.0;
    for (size_t p = 0; p < phases_.size(); ++p) {
      const Phase& phase = phases_[p];
      if (step <= phase.end_step || p + 1 == phases_.size()) {
        const double pct = (step - start_step) / (phase.end_step - start_step);
        lr = anneal(lr_at(phase.start_lr, g), lr_at(phase.end_lr, g), pct);
        momentum = anneal(momentum_at(phase.start_momentum), momentum_at(phase.end_momentum), pct);
        break;
      }
      start_step = phase.end_step;
    }
    lrs.push_back(lr);
    if (!options_.cycle_momentum()) continue;
    if (use_beta1_) {
      std::vector<double> betas = groups[g].options().option("betas");
      betas[0] = momentum;
      groups[g].options().set_option("betas", betas);
    } else {
      groups[g].options().set_option("momentum", {momentum});
    }
  }
  return lrs;
}

// ---- ReduceLROnPlateau ----------------------------------------------------------------------------------------
ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(std::move(options)) {
  REEL_CHECK(options_.factor() < 1.0, "ReduceLROnPlateau: factor must be < 1.0, got {}", options_.factor());
  REEL_CHECK(options_.patience() >= 0, "ReduceLROnPlateau: patience must be non-negative, got {}",
             options_.patience());
  min_lrs_ = per_group(options_.min_lr(), optimizer_.param_groups().size(), "ReduceLROnPlateau min_lr");
  best_ = options_.mode() == PlateauMode::Min ? std::numeric_limits<double>::infinity()
                                              : -std::numeric_limits<double>::infinity();
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) last_lrs_.push_back(group.options().get_lr());
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double threshold = options_.threshold();
  const bool relative = options_.threshold_mode() == ThresholdMode::Rel;
  if (options_.mode() == PlateauMode::Min) {
    return relative ? metric < best_ * (1 - threshold) : metric < best_ - threshold;
  }
  return relative ? metric > best_ * (threshold + 1) : metric > best_ + threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // ignore bad epochs during the cooldown
  }
  if (num_bad_epochs_ > options_.patience()) {
    std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
    for (size_t g = 0; g < groups.size() && g < min_lrs_.size(); ++g) {
      // lr = max(lr * factor, min_lr), skipped when the change is below eps
      const double old_lr = groups[g].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[g]);
      if (old_lr - new_lr > options_.eps()) groups[g].options().set_lr(new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lrs_.clear();
  for (const OptimizerParamGroup& group : optimizer_.param_groups()) last_lrs_.push_back(group.options().get_lr());
}

}  // namespace reel::optim
