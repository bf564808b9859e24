// reel/nn/container.cpp — Sequential, ModuleList and ModuleDict: registration of children under their
// positions or keys, lookups with clear errors, Sequential's chained forward, the containers' clone(),
// nn::Functional, and AnyModule's error messages.
#include "nn/container.h"

#include "tensor/error_format.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace reel::nn {

namespace detail {

std::shared_ptr<Module> child_at(const std::vector<std::shared_ptr<Module>>& children, int64_t index,
                                 const char* container) {
  const int64_t size = static_cast<int64_t>(children.size());
  REEL_CHECK(index >= -size && index < size, "{}: index {} is out of range for {} modules", container, index, size);
  return children[static_cast<size_t>(index < 0 ? index + size : index)];
}

std::string demangle_type_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : type.name();
  std::free(demangled);
  return name;
}

void throw_any_value_type(const std::type_info& held, const std::type_info& wanted) {
  throw Error(fmt::format("AnyValue: the value is a {}, not a {}", demangle_type_name(held), demangle_type_name(wanted)));
}

void throw_any_forward(const std::string& module, const std::string& problem) {
  throw Error(fmt::format("AnyModule: cannot call forward of {}: {}", module, problem));
}

void throw_wrong_module_type(const char* container, const std::string& key, const Module& module, const char* wanted) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(wanted, nullptr, nullptr, &status);
  const std::string wanted_name = status == 0 && demangled ? demangled : wanted;
  std::free(demangled);
  throw Error(fmt::format("{}: the module at {} is a {}, not a {}", container, key, module.type_name(), wanted_name));
}

}  // namespace detail

// ---- Sequential -------------------------------------------------------------------------------------------------

SequentialImpl::SequentialImpl(std::vector<NamedAnyModule> modules) {
  for (NamedAnyModule& entry : modules) push_back(std::move(entry));
}

void SequentialImpl::push_back(std::string name, AnyModule module) {
  REEL_CHECK(!module.is_empty(), "Sequential: the module '{}' is empty", name);
  register_module(std::move(name), module.ptr());
  entries_.push_back(module.ptr());
  all_unary_ = all_unary_ && module.is_unary_tensor();
  modules_.push_back(std::move(module));
}

void SequentialImpl::extend(const SequentialImpl& other) {
  const std::vector<AnyModule> others = other.modules_;  // a copy: `other` may be this Sequential
  for (const AnyModule& module : others) push_back(module);
}

const AnyModule& SequentialImpl::first_module(const char* what) const {
  REEL_CHECK(!modules_.empty(), "Sequential: cannot call {}() on an empty Sequential with these inputs", what);
  return modules_.front();
}

// y = m_n(...m_0(x))
Tensor SequentialImpl::forward_tensor(const Tensor& input) {
  if (all_unary_) {
    Tensor x = input;
    for (const AnyModule& module : modules_) x = module.forward_tensor(x);
    return x;
  }
  AnyValue x(input);
  for (const AnyModule& module : modules_) x = module.any_forward(std::move(x));
  return x.get<Tensor>();
}

std::shared_ptr<Module> SequentialImpl::clone(const std::optional<Device>& device) const {
  auto copy = std::make_shared<SequentialImpl>();
  const auto names = named_children();
  for (size_t i = 0; i < modules_.size(); ++i) copy->push_back(names[i].key(), modules_[i].clone(device));
  detail::ModuleCloning::set_training(*copy, is_training());
  return copy;
}

// ---- Functional -------------------------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function, int) : Cloneable("Functional"), function_(std::move(function)) {
  REEL_CHECK(static_cast<bool>(function_), "Functional: the function is empty");
}

// y = f(x)
Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

// ---- ModuleList -------------------------------------------------------------------------------------------------

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(entries_.size()), module);
  entries_.push_back(std::move(module));
}

void ModuleListImpl::extend(const ModuleListImpl& other) {
  const std::vector<std::shared_ptr<Module>> others = other.entries_;  // a copy: `other` may be this list
  for (const auto& module : others) push_back(module);
}

std::shared_ptr<Module> ModuleListImpl::clone(const std::optional<Device>& device) const {
  auto copy = std::make_shared<ModuleListImpl>();
  for (const auto& module : entries_) copy->push_back(module->clone(device));
  detail::ModuleCloning::set_training(*copy, is_training());
  return copy;
}

// ---- ModuleDict -------------------------------------------------------------------------------------------------

ModuleDictImpl::ModuleDictImpl(std::vector<NamedModule> modules) { update(modules); }

void ModuleDictImpl::insert(const std::string& key, std::shared_ptr<Module> module) {
  REEL_CHECK(module != nullptr, "ModuleDict: the module for key '{}' is empty", key);
  auto found = std::find_if(items_.begin(), items_.end(), [&](const auto& item) { return item.first == key; });
  if (found != items_.end()) {
    replace_module(key, module);
    found->second = std::move(module);
    return;
  }
  register_module(key, module);
  items_.emplace_back(key, std::move(module));
}

void ModuleDictImpl::update(const std::vector<NamedModule>& modules) {
  for (const NamedModule& entry : modules) insert(entry.name, entry.module);
}

std::shared_ptr<Module> ModuleDictImpl::clone(const std::optional<Device>& device) const {
  auto copy = std::make_shared<ModuleDictImpl>();
  for (const auto& [key, module] : items_) copy->insert(key, module->clone(device));
  detail::ModuleCloning::set_training(*copy, is_training());
  return copy;
}

bool ModuleDictImpl::contains(const std::string& key) const {
  return std::any_of(items_.begin(), items_.end(), [&](const auto& item) { return item.first == key; });
}

std::shared_ptr<Module> ModuleDictImpl::operator[](const std::string& key) const {
  auto found = std::find_if(items_.begin(), items_.end(), [&](const auto& item) { return item.first == key; });
  REEL_CHECK(found != items_.end(), "ModuleDict: no module under key '{}' (keys: {})", key,
             fmt::join(keys(), ", "));
  return found->second;
}

std::vector<std::string> ModuleDictImpl::keys() const {
  std::vector<std::string> out;
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

std::vector<std::shared_ptr<Module>> ModuleDictImpl::values() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& item : items_) out.push_back(item.second);
  return out;
}

}  // namespace reel::nn
