// reel/nn/checkpoint.cpp — reel::save / reel::load (nn/checkpoint.h): each object's state as a safetensors file
// whose metadata names what it holds.
#include "checkpoint.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "../tensor/error_format.h"
#include "serialize.h"

namespace reel {
namespace {

constexpr const char* kKindKey = "reel.kind";
constexpr const char* kTypeKey = "reel.type";
constexpr const char* kDevicesKey = "reel.devices";

using Metadata = std::map<std::string, std::string>;

// "module", "tensor", ...; a file without the key (Python's safetensors) holds a module state dict.
std::string kind_of(const Metadata& metadata) {
  auto it = metadata.find(kKindKey);
  return it == metadata.end() ? "" : it->second;
}

std::string describe(const std::string& kind) {
  return kind.empty() ? "a state dict without reel's kind marker (as Python's safetensors writes it)"
                      : fmt::format("a saved {}", kind);
}

// Loads the file and checks that it holds `expected` (an empty kind is accepted where `accept_unmarked`).
serialize::NamedTensors read(const std::string& op, const std::string& path, const std::string& expected,
                             Metadata& metadata, bool accept_unmarked = false) {
  serialize::NamedTensors tensors = serialize::load_safetensors(path, &metadata);
  const std::string kind = kind_of(metadata);
  REEL_CHECK(kind == expected || (kind.empty() && accept_unmarked), "{}: '{}' holds {}, not a saved {}", op, path,
             describe(kind), expected);
  return tensors;
}

// Checks the class name recorded for an optimizer or scheduler.
void check_type(const std::string& op, const std::string& path, const Metadata& metadata, const std::string& type) {
  auto it = metadata.find(kTypeKey);
  const std::string saved = it == metadata.end() ? "<unrecorded>" : it->second;
  REEL_CHECK(saved == type, "{}: '{}' holds the state of a {}, not of a {}", op, path, saved, type);
}

// Tensors named "0", "1", ... back in index order, each on its saved device (or `device`).
std::vector<Tensor> indexed_tensors(const std::string& op, const std::string& path,
                                    serialize::NamedTensors tensors, const Metadata& metadata,
                                    std::optional<Device> device) {
  std::vector<Tensor> out(tensors.size());
  for (auto& [name, value] : tensors) {
    size_t index = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), index);
    REEL_CHECK(error == std::errc() && end == name.data() + name.size() && index < tensors.size() &&
                   !out[index].defined(),
               "{}: '{}' has a tensor named '{}'; a saved tensor list names its {} tensors 0 to {}", op, path, name,
               tensors.size(), tensors.size() == 0 ? 0 : tensors.size() - 1);
    out[index] = std::move(value);
  }
  std::vector<std::string> devices;
  if (auto it = metadata.find(kDevicesKey); it != metadata.end() && !it->second.empty()) {
    size_t start = 0;
    while (true) {
      const size_t comma = it->second.find(',', start);
      devices.push_back(it->second.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  REEL_CHECK(devices.empty() || devices.size() == out.size(), "{}: '{}' records {} devices for {} tensors", op, path,
             devices.size(), out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const Device target = device ? *device : devices.empty() ? Device(kCPU) : Device(devices[i]);
    if (out[i].device() != target) out[i] = out[i].to(target);
  }
  return out;
}

void write_indexed(const std::string& path, const std::vector<Tensor>& tensors, const std::string& kind,
                   const std::string& op) {
  serialize::NamedTensors named;
  std::string devices;
  for (size_t i = 0; i < tensors.size(); ++i) {
    REEL_CHECK(tensors[i].defined(), "{}: tensor {} is undefined", op, i);
    named.emplace_back(std::to_string(i), tensors[i]);
    devices += (i == 0 ? "" : ",") + tensors[i].device().str();
  }
  serialize::save_safetensors(path, named, Metadata{{kKindKey, kind}, {kDevicesKey, devices}});
}

}  // namespace

// ---- modules --------------------------------------------------------------------------------------------------
void save(const nn::Module& module, const std::string& path) {
  serialize::NamedTensors tensors;
  for (const auto& [name, value] : module.state_dict()) tensors.emplace_back(name, value);
  serialize::save_safetensors(path, tensors, Metadata{{kKindKey, "module"}, {kTypeKey, module.type_name()}});
}

void load(nn::Module& module, const std::string& path) {
  Metadata metadata;
  serialize::NamedTensors tensors = read("reel::load(module)", path, "module", metadata, /*accept_unmarked=*/true);
  nn::NamedTensors state;
  for (auto& [name, value] : tensors) state.emplace_back(std::move(name), std::move(value));
  module.load_state_dict(state, /*strict=*/true);
}

// ---- tensors --------------------------------------------------------------------------------------------------
void save(const Tensor& tensor, const std::string& path) {
  write_indexed(path, {tensor}, "tensor", "reel::save(tensor)");
}

void load(Tensor& tensor, const std::string& path, std::optional<Device> device) {
  Metadata metadata;
  serialize::NamedTensors tensors = read("reel::load(tensor)", path, "tensor", metadata);
  REEL_CHECK(tensors.size() == 1, "reel::load(tensor): '{}' holds {} tensors, expected 1", path, tensors.size());
  tensor = indexed_tensors("reel::load(tensor)", path, std::move(tensors), metadata, device)[0];
}

void save(const std::vector<Tensor>& tensors, const std::string& path) {
  write_indexed(path, tensors, "tensors", "reel::save(tensors)");
}

void load(std::vector<Tensor>& tensors, const std::string& path, std::optional<Device> device) {
  Metadata metadata;
  serialize::NamedTensors named = read("reel::load(tensors)", path, "tensors", metadata);
  tensors = indexed_tensors("reel::load(tensors)", path, std::move(named), metadata, device);
}

// ---- optimizers and schedulers --------------------------------------------------------------------------------
void save(const optim::Optimizer& optimizer, const std::string& path) {
  serialize::NamedTensors tensors;
  for (const auto& [name, value] : optimizer.state_dict()) tensors.emplace_back(name, value);
  serialize::save_safetensors(path, tensors, Metadata{{kKindKey, "optimizer"}, {kTypeKey, optimizer.name()}});
}

void load(optim::Optimizer& optimizer, const std::string& path) {
  Metadata metadata;
  serialize::NamedTensors tensors = read("reel::load(optimizer)", path, "optimizer", metadata);
  check_type("reel::load(optimizer)", path, metadata, optimizer.name());
  nn::NamedTensors state(tensors.begin(), tensors.end());
  optimizer.load_state_dict(state);
}

namespace {
template <typename Scheduler>
void save_scheduler(const Scheduler& scheduler, const std::string& path) {
  serialize::NamedTensors tensors;
  for (const auto& [name, value] : scheduler.state_dict()) tensors.emplace_back(name, value);
  serialize::save_safetensors(path, tensors, Metadata{{kKindKey, "scheduler"}, {kTypeKey, scheduler.name()}});
}

template <typename Scheduler>
void load_scheduler(Scheduler& scheduler, const std::string& path) {
  Metadata metadata;
  serialize::NamedTensors tensors = read("reel::load(scheduler)", path, "scheduler", metadata);
  check_type("reel::load(scheduler)", path, metadata, scheduler.name());
  nn::NamedTensors state(tensors.begin(), tensors.end());
  scheduler.load_state_dict(state);
}
}  // namespace

void save(const optim::LRScheduler& scheduler, const std::string& path) { save_scheduler(scheduler, path); }
void load(optim::LRScheduler& scheduler, const std::string& path) { load_scheduler(scheduler, path); }
void save(const optim::ReduceLROnPlateau& scheduler, const std::string& path) { save_scheduler(scheduler, path); }
void load(optim::ReduceLROnPlateau& scheduler, const std::string& path) { load_scheduler(scheduler, path); }

// ---- c10::str ---------------------------------------------------------------------------------------------------
namespace detail {
StrStream::StrStream() : out_(std::make_unique<std::ostringstream>()) {}
StrStream::~StrStream() = default;
std::ostream& StrStream::stream() { return *out_; }
std::string StrStream::str() const { return out_->str(); }
}  // namespace detail

}  // namespace reel
