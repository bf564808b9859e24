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

namespace {
// The fields as named tensors: numbers and flags 0-dim (float64, int64, bool as int64 0 / 1), lists 1-D.
NamedTensors fields_to_state_dict(const std::vector<SchedulerField>& fields) {
  NamedTensors out;
  for (const SchedulerField& f : fields) {
    Tensor value = f.number     ? scalar_tensor(*f.number, kFloat64)
                   : f.integer  ? scalar_tensor(*f.integer, kInt64)
                   : f.flag     ? scalar_tensor(static_cast<int64_t>(*f.flag), kInt64)
                   : f.numbers  ? tensor(*f.numbers, kFloat64)
                                : tensor(*f.integers, kInt64);
    out.emplace_back(f.name, std::move(value));
  }
  return out;
}

// Reads every field from `state_dict` (all keys present, none unknown; the `per_group` lists one value per
// group), validating everything before assigning anything.
void load_fields(const std::string& who, const std::vector<SchedulerField>& fields, const NamedTensors& state_dict,
                 size_t groups, const std::vector<std::string>& per_group) {
  std::vector<const Tensor*> values(fields.size(), nullptr);
  for (const auto& [key, value] : state_dict) {
    auto field =
        std::find_if(fields.begin(), fields.end(), [&key = key](const SchedulerField& f) { return f.name == key; });
    REEL_CHECK(field != fields.end(), "{}.load_state_dict: unexpected key '{}'", who, key);
    REEL_CHECK(value.defined(), "{}.load_state_dict: '{}' is an undefined tensor", who, key);
    const bool is_list = field->is_list();
    REEL_CHECK(value.dim() == (is_list ? 1 : 0), "{}.load_state_dict: '{}' has shape {}, expected a {}", who, key,
               shape_str(value.sizes()), is_list ? "1-D list" : "0-dim number");
    if (std::find(per_group.begin(), per_group.end(), key) != per_group.end()) {
      REEL_CHECK(static_cast<size_t>(value.numel()) == groups,
                 "{}.load_state_dict: '{}' has {} values but the optimizer has {} parameter groups", who, key,
                 value.numel(), groups);
    }
    values[static_cast<size_t>(field - fields.begin())] = &value;
  }
  for (size_t i = 0; i < fields.size(); ++i)
    REEL_CHECK(values[i] != nullptr, "{}.load_state_dict: missing key '{}'", who, fields[i].name);
  for (size_t i = 0; i < fields.size(); ++i) {
    const SchedulerField& f = fields[i];
    const Tensor value = values[i]->to(Device(kCPU));
    if (f.number) *f.number = value.to(kFloat64).item<double>();
    else if (f.integer) *f.integer = value.to(kInt64).item<int64_t>();
    else if (f.flag) *f.flag = value.to(kInt64).item<int64_t>() != 0;
    else if (f.numbers) *f.numbers = value.to(kFloat64).to_vector<double>();
    else *f.integers = value.to(kInt64).to_vector<int64_t>();
  }
}
}  // namespace

// ---- the base -------------------------------------------------------------------------------------------------
LRScheduler::LRScheduler(Optimizer& optimizer, int64_t last_epoch, std::optional<std::vector<double>> initial_lrs)
    : optimizer_(optimizer), last_epoch_(last_epoch) {
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  REEL_CHECK(last_epoch >= -1, "LRScheduler: last_epoch must be -1 (a new schedule) or the index of the last epoch "
                               "done (>= 0), got {}", last_epoch);
  if (initial_lrs) {
    REEL_CHECK(initial_lrs->size() == groups.size(), "LRScheduler: got {} initial learning rates for {} groups",
               initial_lrs->size(), groups.size());
    for (size_t g = 0; g < groups.size(); ++g) groups[g].initial_lr() = (*initial_lrs)[g];
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    OptimizerParamGroup& group = groups[g];
    if (last_epoch == -1) {
      // A fresh schedule on lrs that a previous run's scheduler set would apply the schedule a second time.
      REEL_CHECK(!group.lr_restored() || !group.initial_lr() || *group.initial_lr() == group.options().get_lr(),
                 "LRScheduler: parameter group {} of {} was restored by load_state_dict with lr {} that a scheduler "
                 "moved from its initial_lr {}; a new scheduler stepped to the saved epoch would apply its schedule "
                 "twice. Resume by loading the scheduler's state too (scheduler.load_state_dict / reel::load), or "
                 "construct it with last_epoch = epochs done - 1; to start a new schedule from the restored lr, "
                 "reset the group's initial_lr() first",
                 g, optimizer_.name(), group.options().get_lr(), *group.initial_lr());
      if (!group.initial_lr()) group.initial_lr() = group.options().get_lr();
    } else {
      REEL_CHECK(group.initial_lr().has_value(),
                 "LRScheduler: resuming with last_epoch = {} needs parameter group {}'s initial_lr, which the "
                 "optimizer's state dict holds once a scheduler ran: load the optimizer's state first",
                 last_epoch, g);
    }
    group.lr_restored() = false;
    base_lrs_.push_back(*group.initial_lr());
  }
  seen_restores_ = optimizer_.lr_restores();
  resumed_ = last_epoch >= 0;
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  is_initial_ = true;
  try {
    step();
  } catch (...) {
    is_initial_ = false;
    throw;
  }
  is_initial_ = false;
}

void LRScheduler::step() {
  std::vector<OptimizerParamGroup>& groups = optimizer_.param_groups();
  // The optimizer's state was loaded after this scheduler was made, but the scheduler's own state was not: the
  // schedule would restart from epoch 0 on lrs a previous run's schedule already moved.
  REEL_CHECK(resumed_ || optimizer_.lr_restores() == seen_restores_,
             "{}.step(): the optimizer's state (learning rates a scheduler had set) was loaded after this scheduler "
             "was made, but the scheduler's state was not (it is at epoch {}); load it too (load_state_dict / "
             "reel::load) so the schedule continues from the saved epoch, or make the scheduler after loading the "
             "optimizer (with last_epoch to resume; after resetting each group's initial_lr() for a new schedule)",
             name(), last_epoch_);
  ++step_count_;
  ++last_epoch_;
  const std::vector<double> lrs = get_lr();
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

std::vector<SchedulerField> LRScheduler::fields() {
  std::vector<SchedulerField> all = own_fields();
  all.push_back({"base_lrs", &base_lrs_});
  all.push_back({"last_epoch", &last_epoch_});
  all.push_back({"_step_count", &step_count_});
  all.push_back({"_last_lr", &last_lrs_});
  return all;
}

NamedTensors LRScheduler::state_dict() const {
  return fields_to_state_dict(const_cast<LRScheduler*>(this)->fields());
}

void LRScheduler::load_state_dict(const NamedTensors& state_dict) {
  load_fields(name(), const_cast<LRScheduler*>(this)->fields(), state_dict, optimizer_.param_groups().size(),
              {"base_lrs", "_last_lr"});
  for (OptimizerParamGroup& group : optimizer_.param_groups()) group.lr_restored() = false;
  resumed_ = true;
}

namespace {
// Every current lr times `factor`.
std::vector<double> scaled(std::vector<double> lrs, double factor) {
  for (double& lr : lrs) lr *= factor;
  return lrs;
}
}  // namespace

// ---- StepLR ---------------------------------------------------------------------------------------------------
StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma, int64_t last_epoch)
    : LRScheduler(optimizer, last_epoch), step_size_(step_size), gamma_(gamma) {
  REEL_CHECK(step_size > 0, "StepLR: step_size must be positive, got {}", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  // lr = lr * gamma at every multiple of step_size
  if (is_initial_ || last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return current_lrs();
  return scaled(current_lrs(), gamma_);
}

std::vector<SchedulerField> StepLR::own_fields() { return {{"step_size", &step_size_}, {"gamma", &gamma_}}; }

// ---- MultiStepLR ----------------------------------------------------------------------------------------------
MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma, int64_t last_epoch)
    : LRScheduler(optimizer, last_epoch), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

std::vector<SchedulerField> MultiStepLR::own_fields() { return {{"milestones", &milestones_}, {"gamma", &gamma_}}; }

std::vector<double> MultiStepLR::get_lr() {
  // lr = lr * gamma^(times last_epoch is listed)
  const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (is_initial_ || hits == 0) return current_lrs();
  return scaled(current_lrs(), std::pow(gamma_, static_cast<double>(hits)));
}

// ---- ExponentialLR --------------------------------------------------------------------------------------------
ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma, int64_t last_epoch)
    : LRScheduler(optimizer, last_epoch), gamma_(gamma) {
  initial_step();
}

std::vector<SchedulerField> ExponentialLR::own_fields() { return {{"gamma", &gamma_}}; }

std::vector<double> ExponentialLR::get_lr() {
  // lr = lr * gamma after the constructor's step
  if (is_initial_) return current_lrs();
  return scaled(current_lrs(), gamma_);
}

// ---- CosineAnnealingLR ----------------------------------------------------------------------------------------
CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min, int64_t last_epoch)
    : LRScheduler(optimizer, last_epoch), t_max_(T_max), eta_min_(eta_min) {
  REEL_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got {}", T_max);
  initial_step();
}

std::vector<SchedulerField> CosineAnnealingLR::own_fields() { return {{"T_max", &t_max_}, {"eta_min", &eta_min_}}; }

std::vector<double> CosineAnnealingLR::get_lr() {
  const double pi = std::numbers::pi;
  const double t = static_cast<double>(last_epoch_);
  const double t_max = static_cast<double>(t_max_);
  std::vector<double> lrs = current_lrs();
  if (is_initial_) return lrs;
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
LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters,
                   int64_t last_epoch)
    : LRScheduler(optimizer, last_epoch),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  REEL_CHECK(start_factor > 0 && start_factor <= 1,
             "LinearLR: start_factor must be greater than 0 and at most 1, got {}", start_factor);
  REEL_CHECK(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor must lie in [0, 1], got {}", end_factor);
  REEL_CHECK(total_iters > 0, "LinearLR: total_iters must be positive, got {}", total_iters);
  initial_step();
}

std::vector<SchedulerField> LinearLR::own_fields() {
  return {{"start_factor", &start_factor_}, {"end_factor", &end_factor_}, {"total_iters", &total_iters_}};
}

std::vector<double> LinearLR::get_lr() {
  if (last_epoch_ == 0) return scaled(current_lrs(), start_factor_);  // lr = lr * start
  if (is_initial_ || last_epoch_ > total_iters_) return current_lrs();
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
    : LRScheduler(optimizer, options.last_epoch(), one_cycle_initial_lrs(optimizer, options)), options_(options) {
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

std::vector<SchedulerField> OneCycleLR::own_fields() {
  return {{"total_steps", &options_.total_steps()}, {"initial_lr", &initial_lrs_}, {"max_lr", &max_lrs_},
          {"min_lr", &min_lrs_}, {"cycle_momentum", &options_.cycle_momentum()}, {"use_beta1", &use_beta1_},
          {"base_momentum", &options_.base_momentum()}, {"max_momentum", &options_.max_momentum()}};
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

std::vector<SchedulerField> ReduceLROnPlateau::fields() {
  return {{"factor", &options_.factor()},     {"min_lrs", &min_lrs_},
          {"patience", &options_.patience()}, {"cooldown", &options_.cooldown()},
          {"eps", &options_.eps()},           {"last_epoch", &last_epoch_},
          {"_last_lr", &last_lrs_},           {"threshold", &options_.threshold()},
          {"best", &best_},                   {"cooldown_counter", &cooldown_counter_},
          {"num_bad_epochs", &num_bad_epochs_}};
}

NamedTensors ReduceLROnPlateau::state_dict() const {
  NamedTensors out = fields_to_state_dict(const_cast<ReduceLROnPlateau*>(this)->fields());
  out.emplace_back("mode", scalar_tensor(options_.mode() == PlateauMode::Max ? 1 : 0, kInt64));
  out.emplace_back("threshold_mode", scalar_tensor(options_.threshold_mode() == ThresholdMode::Abs ? 1 : 0, kInt64));
  return out;
}

void ReduceLROnPlateau::load_state_dict(const NamedTensors& state_dict) {
  // mode and threshold_mode are enums: read them beside the numeric fields.
  NamedTensors numeric;
  int64_t mode = -1, threshold_mode = -1;
  for (const auto& [key, value] : state_dict) {
    if (key == "mode" || key == "threshold_mode") {
      REEL_CHECK(value.defined() && value.numel() == 1, "ReduceLROnPlateau.load_state_dict: '{}' must hold one value",
                 key);
      const int64_t v = value.to(Device(kCPU)).to(kInt64).item<int64_t>();
      REEL_CHECK(v == 0 || v == 1, "ReduceLROnPlateau.load_state_dict: '{}' must be 0 or 1, got {}", key, v);
      (key == "mode" ? mode : threshold_mode) = v;
    } else {
      numeric.emplace_back(key, value);
    }
  }
  REEL_CHECK(mode >= 0, "ReduceLROnPlateau.load_state_dict: missing key 'mode'");
  REEL_CHECK(threshold_mode >= 0, "ReduceLROnPlateau.load_state_dict: missing key 'threshold_mode'");
  load_fields("ReduceLROnPlateau", fields(), numeric, optimizer_.param_groups().size(), {"min_lrs", "_last_lr"});
  options_.mode(mode == 1 ? PlateauMode::Max : PlateauMode::Min);
  options_.threshold_mode(threshold_mode == 1 ? ThresholdMode::Abs : ThresholdMode::Rel);
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
