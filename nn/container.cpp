// reel/nn/container.cpp — Sequential, ModuleList and ModuleDict: registration of children under their
// positions or keys, lookups with clear errors, and Sequential's chained forward.
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

void throw_wrong_module_type(const char* container, const std::string& key, const Module& module, const char* wanted) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(wanted, nullptr, nullptr, &status);
  const std::string wanted_name = status == 0 && demangled ? demangled : wanted;
  std::free(demangled);
  throw Error(fmt::format("{}: the module at {} is a {}, not a {}", container, key, module.type_name(), wanted_name));
}

}  // namespace detail

// ---- Sequential -------------------------------------------------------------------------------------------------

SequentialImpl::SequentialImpl(std::vector<NamedUnaryModule> modules) {
  for (NamedUnaryModule& entry : modules) push_back(std::move(entry));
}

void SequentialImpl::push_back(NamedUnaryModule entry) {
  register_module(entry.name, entry.module);
  entries_.push_back(std::move(entry.module));
  forwards_.push_back(std::move(entry.forward));
}

// y = m_n(...m_0(x))
Tensor SequentialImpl::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& forward_one : forwards_) x = forward_one(x);
  return x;
}

// ---- ModuleList -------------------------------------------------------------------------------------------------

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(entries_.size()), module);
  entries_.push_back(std::move(module));
}

void ModuleListImpl::extend(const ModuleListImpl& other) {
  const std::vector<std::shared_ptr<Module>> others = other.entries_;  // a copy: `other` may be this list
  for (const auto& module : others) push_back(module);
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
