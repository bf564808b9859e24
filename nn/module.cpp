// reel/nn/module.cpp — Module: registration, traversal, train/eval, device/dtype moves, state dicts, printing.
#include "nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::nn {

void Module::check_new_name(const std::string& name, const char* what) const {
  REEL_CHECK(!name.empty(), "{}: {} name must not be empty", type_name(), what);
  REEL_CHECK(name.find('.') == std::string::npos, "{}: {} name '{}' must not contain a dot", type_name(), what,
             name);
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& entry) { return entry.first == name; });
  };
  REEL_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_),
             "{}: a parameter, buffer or submodule named '{}' is already registered", type_name(), name);
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  tensor.check_defined("register_parameter");
  if (requires_grad) tensor.requires_grad_(true);
  parameters_.emplace_back(std::move(name), std::move(tensor));
  return parameters_.back().second;
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_new_name(name, "buffer");
  buffers_.emplace_back(std::move(name), std::move(tensor));
  return buffers_.back().second;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  check_new_name(name, "submodule");
  REEL_CHECK(module != nullptr, "{}: submodule '{}' is empty", type_name(), name);
  children_.emplace_back(std::move(name), std::move(module));
}

void Module::replace_module(const std::string& name, std::shared_ptr<Module> module) {
  for (auto& [child_name, child] : children_) {
    if (child_name == name) {
      child = std::move(module);
      return;
    }
  }
  throw Error(fmt::format("{}: no submodule named '{}' to replace", type_name(), name));
}

void Module::collect(NamedTensors& out, const std::string& prefix, bool parameters, bool recurse) const {
  for (const auto& [name, tensor] : parameters ? parameters_ : buffers_) out.emplace_back(prefix + name, tensor);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect(out, prefix + name + ".", parameters, true);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  collect(out, "", true, recurse);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& entry : named_parameters(recurse)) out.push_back(entry.second);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect(out, "", false, recurse);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& entry : named_buffers(recurse)) out.push_back(entry.second);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& entry : children_) out.push_back(entry.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules(bool include_self) {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  if (include_self) out.emplace_back("", shared_from_this());
  for (const auto& [name, child] : children_) {
    for (auto& [sub_name, sub] : child->named_modules(true))
      out.emplace_back(sub_name.empty() ? name : name + "." + sub_name, sub);
  }
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& entry : named_modules(include_self)) out.push_back(entry.second);
  return out;
}

void Module::apply(const Callback<void(Module&)>& fn) {
  fn(*this);
  for (auto& entry : children_) entry.second->apply(fn);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& entry : children_) entry.second->train(on);
}

void Module::to(Device device, bool non_blocking) {
  NoGradGuard no_grad;
  for (auto* list : {&parameters_, &buffers_}) {
    for (auto& entry : *list) {
      Tensor& t = entry.second;
      t.set_data(t.to(device, non_blocking));
      if (t.grad().defined()) t.mutable_grad() = t.grad().to(device, non_blocking);
    }
  }
  for (auto& entry : children_) entry.second->to(device, non_blocking);
}

void Module::to(ScalarType dtype) {
  NoGradGuard no_grad;
  for (auto* list : {&parameters_, &buffers_}) {
    for (auto& entry : *list) {
      Tensor& t = entry.second;
      if (!t.is_floating_point()) continue;  // integer buffers (e.g. num_batches_tracked) keep their dtype
      t.set_data(t.to(dtype));
      if (t.grad().defined()) t.mutable_grad() = t.grad().to(dtype);
    }
  }
  for (auto& entry : children_) entry.second->to(dtype);
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.mutable_grad() = Tensor();
    } else {
      NoGradGuard no_grad;
      p.mutable_grad().detach_();  // a .grad from a create_graph pass drops its history, as Optimizer::zero_grad
      p.mutable_grad().zero_();
    }
  }
}

// PyTorch's order: each module's parameters, then its buffers, then its children's, depth-first.
void Module::collect_state(NamedTensors& out, const std::string& prefix) const {
  for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, tensor] : buffers_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, child] : children_) child->collect_state(out, prefix + name + ".");
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect_state(out, "");
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  NamedTensors own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> given;
  for (const auto& [name, value] : state) given.insert(name);
  std::set<std::string> known;
  for (const auto& [name, value] : own) known.insert(name);
  for (const auto& [name, value] : state)
    if (!known.count(name)) unexpected.push_back(name);
  for (auto& [name, target] : own) {
    auto it = std::find_if(state.begin(), state.end(), [&key = name](const auto& entry) { return entry.first == key; });
    if (it == state.end()) {
      missing.push_back(name);
      continue;
    }
    if (!(it->second.sizes() == target.sizes())) {
      mismatched.push_back(fmt::format("{}: checkpoint shape {} vs model shape {}", name,
                                       shape_str(it->second.sizes()), shape_str(target.sizes())));
    }
  }
  std::string problems;
  if (!mismatched.empty()) problems += fmt::format(" size mismatch for {}.", fmt::join(mismatched, "; "));
  if (strict && !missing.empty()) problems += fmt::format(" Missing keys: {}.", fmt::join(missing, ", "));
  if (strict && !unexpected.empty()) problems += fmt::format(" Unexpected keys: {}.", fmt::join(unexpected, ", "));
  REEL_CHECK(problems.empty(), "load_state_dict: error(s) loading the state dict for {}:{}", type_name(), problems);
  NoGradGuard no_grad;
  for (auto& [name, target] : own) {
    auto it = std::find_if(state.begin(), state.end(), [&key = name](const auto& entry) { return entry.first == key; });
    if (it != state.end()) target.copy_(it->second.to(target.device()));
  }
}

std::string Module::type_name() const {
  if (!type_name_.empty()) return type_name_;
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(*this).name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : typeid(*this).name();
  std::free(demangled);
  const size_t colon = name.rfind("::");
  if (colon != std::string::npos) name = name.substr(colon + 2);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.resize(name.size() - 4);
  return name;
}

void Module::print(std::ostream& os, int indent) const {
  os << type_name() << "(" << extra_repr();
  if (!children_.empty()) {
    os << "\n";
    for (const auto& [name, child] : children_) {
      os << std::string(static_cast<size_t>(indent + 2), ' ') << "(" << name << "): ";
      child->print(os, indent + 2);
      os << "\n";
    }
    os << std::string(static_cast<size_t>(indent), ' ');
  }
  os << ")";
}

std::string Module::str() const {
  std::ostringstream os;
  print(os, 0);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.str(); }

namespace detail {
void throw_empty_holder(const char* impl_type_name) {
  throw_error(fmt::format("{}: accessing an empty module holder (constructed with nullptr)", impl_type_name));
}
}  // namespace detail

}  // namespace reel::nn
