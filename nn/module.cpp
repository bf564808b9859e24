// reel/nn/module.cpp — Module: registration, traversal, train/eval, device/dtype moves, state dicts, printing,
// and the deep copy behind clone() (nn/cloneable.h).
#include "nn/module.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <typeinfo>
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

namespace {

// The entries of a module tree, whose names are unique by construction, as an OrderedDict (without the
// per-insert duplicate scan).
template <typename Value>
OrderedDict<std::string, Value> to_dict(std::vector<std::pair<std::string, Value>> entries,
                                        const char* key_description) {
  OrderedDict<std::string, Value> out(key_description);
  out.reserve(entries.size());
  for (auto& [name, value] : entries) out.append_unique(std::move(name), std::move(value));
  return out;
}

}  // namespace

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  NamedTensors out;
  collect(out, "", true, recurse);
  return to_dict(std::move(out), "Parameter");
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  NamedTensors named;
  collect(named, "", true, recurse);
  std::vector<Tensor> out;
  out.reserve(named.size());
  for (auto& entry : named) out.push_back(std::move(entry.second));
  return out;
}

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect(out, "", false, recurse);
  return to_dict(std::move(out), "Buffer");
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  NamedTensors named;
  collect(named, "", false, recurse);
  std::vector<Tensor> out;
  out.reserve(named.size());
  for (auto& entry : named) out.push_back(std::move(entry.second));
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& entry : children_) out.push_back(entry.second);
  return out;
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
  return to_dict(children_, "Module");
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                        bool include_self) {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  // depth-first, each module before its children; `prefix` is this module's dotted path
  auto walk = [&out](auto& self, Module& module, const std::string& prefix) -> void {
    for (const auto& [name, child] : module.children_) {
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      out.emplace_back(path, child);
      self(self, *child, path);
    }
  };
  if (include_self) out.emplace_back(name_prefix, shared_from_this());
  walk(walk, *this, name_prefix);
  return to_dict(std::move(out), "Module");
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& entry : named_modules(std::string(), include_self)) out.push_back(entry.second);
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

// ---- clone ------------------------------------------------------------------------------------------------------

std::shared_ptr<Module> Module::clone(const std::optional<Device>&) const {
  throw Error(fmt::format(
      "{}: clone() is not implemented for this module: derive its Impl from reel::nn::Cloneable<{}Impl> (nn/cloneable.h) "
      "instead of reel::nn::Module, as LibTorch's torch::nn::Cloneable",
      type_name(), type_name()));
}

namespace detail {

void ModuleCloning::clear_registrations(Module& module) {
  module.parameters_.clear();
  module.buffers_.clear();
  module.children_.clear();
}

namespace {

// "weight, bias" for error messages
template <typename List>
std::string names_of(const List& list) {
  std::vector<std::string> names;
  for (const auto& entry : list) names.push_back(entry.first);
  return fmt::format("[{}]", fmt::join(names, ", "));
}

// target := a copy of source's data (fresh storage), with source's requires_grad
void copy_tensor(Tensor& target, const Tensor& source, const std::string& what) {
  if (!source.defined() && !target.defined()) return;
  REEL_CHECK(source.defined() && target.defined(), "clone: {} is defined in only one of the original and the copy",
             what);
  target.set_data(source.detach().clone());
  if (target.requires_grad() != source.requires_grad()) target.requires_grad_(source.requires_grad());
}

void collect_tree(const Module& module, std::set<const void*>& tensors, std::set<const void*>& modules) {
  modules.insert(&module);
  for (const auto& [name, t] : module.state_dict())
    if (t.defined()) tensors.insert(t.impl());
  for (const auto& child : module.children()) collect_tree(*child, tensors, modules);
}

}  // namespace

void ModuleCloning::copy_state(Module& target, const Module& source) {
  REEL_CHECK(typeid(target) == typeid(source), "clone: the copy of a {} was built as a {}", source.type_name(),
             target.type_name());
  auto same_names = [](const auto& a, const auto& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) { return x.first == y.first; });
  };
  REEL_CHECK(same_names(target.parameters_, source.parameters_) && same_names(target.buffers_, source.buffers_) &&
                 same_names(target.children_, source.children_),
             "clone: {} was changed after construction (parameters {}, buffers {}, submodules {}; a freshly built one "
             "has {}, {}, {}): give it a reset() that registers everything, as LibTorch's Cloneable requires",
             source.type_name(), names_of(source.parameters_), names_of(source.buffers_), names_of(source.children_),
             names_of(target.parameters_), names_of(target.buffers_), names_of(target.children_));
  NoGradGuard no_grad;
  for (size_t i = 0; i < source.parameters_.size(); ++i)
    copy_tensor(target.parameters_[i].second, source.parameters_[i].second,
                source.type_name() + " parameter '" + source.parameters_[i].first + "'");
  for (size_t i = 0; i < source.buffers_.size(); ++i)
    copy_tensor(target.buffers_[i].second, source.buffers_[i].second,
                source.type_name() + " buffer '" + source.buffers_[i].first + "'");
  target.training_ = source.training_;
  for (size_t i = 0; i < source.children_.size(); ++i)
    copy_state(*target.children_[i].second, *source.children_[i].second);
}

std::shared_ptr<Module> ModuleCloning::clone_by_rebuild(const Module& source, const std::optional<Device>& device) {
  REEL_CHECK(static_cast<bool>(source.rebuild_),
             "{}: clone() needs the module to be built through its holder ({}(...), REEL_MODULE) from copyable "
             "arguments, or a reset() override that registers its parameters, buffers and submodules (LibTorch's "
             "Cloneable)",
             source.type_name(), source.type_name());
  std::shared_ptr<Module> copy = source.rebuild_();
  copy->rebuild_ = source.rebuild_;
  copy_state(*copy, source);
  finish(*copy, source, device);
  return copy;
}

void ModuleCloning::finish(Module& copy, const Module& source, const std::optional<Device>& device) {
  std::set<const void*> source_tensors, source_modules, copy_tensors, copy_modules;
  collect_tree(source, source_tensors, source_modules);
  collect_tree(copy, copy_tensors, copy_modules);
  for (const void* t : copy_tensors)
    REEL_CHECK(!source_tensors.count(t), "clone: the copy of {} shares a parameter or buffer with the original",
               source.type_name());
  for (const void* m : copy_modules)
    REEL_CHECK(!source_modules.count(m), "clone: the copy of {} shares a submodule with the original",
               source.type_name());
  if (device) copy.to(*device);
}

void throw_empty_holder(const char* impl_type_name) {
  throw_error(fmt::format("{}: accessing an empty module holder (constructed with nullptr)", impl_type_name));
}
}  // namespace detail

}  // namespace reel::nn
