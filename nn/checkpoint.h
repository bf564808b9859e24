// reel/nn/checkpoint.h — reel::save / reel::load as LibTorch spells them (torch::save / torch::load), and
// reel::str (c10::str).
//
//   reel::save(model, "model.safetensors");          // a module holder, a shared_ptr or a Module&
//   reel::load(model, "model.safetensors");          // in place, strict (every key, every shape)
//   reel::save(optimizer, "optimizer.safetensors");  reel::load(optimizer, "optimizer.safetensors");
//   reel::save(scheduler, "scheduler.safetensors");  reel::load(scheduler, "scheduler.safetensors");
//   reel::save(tensor, "t.safetensors");             reel::load(tensor, "t.safetensors");
//   reel::save(std::vector<reel::Tensor>{a, b}, "v.safetensors");  reel::load(vector, "v.safetensors");
//
// Every file is a safetensors file (nn/serialize.h; written atomically). A module file holds its state_dict()
// under PyTorch's keys ("fc1.weight", "bn.running_mean", ...), so Python reads it with
// `safetensors.torch.load_file(path)` and `model.load_state_dict(...)`, and reel::load reads files written that way
// by Python. The "__metadata__" records what the file holds: "reel.kind" = module, tensor, tensors, optimizer or
// scheduler, and "reel.type" (the optimizer's or scheduler's class name); loading a file into the wrong kind of
// object throws reel::Error naming both. A file without "reel.kind" (Python's) is a module state dict.
//
// Where the values go: a module's and an optimizer's tensors are copied into the object's own tensors (its dtype
// and device stay); a loaded tensor, or each tensor of a vector, goes back to the device it was saved from
// ("reel.devices" in the metadata), or to `device` when given (LibTorch's optional device argument).
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "../tensor/tensor.h"
#include "module.h"
#include "optim.h"
#include "scheduler.h"

namespace reel {

// ---- modules --------------------------------------------------------------------------------------------------
void save(const nn::Module& module, const std::string& path);
// Strict: every key of the module's state_dict must be in the file and nothing else; shapes must match. Values
// are cast to each tensor's dtype and copied to its device.
void load(nn::Module& module, const std::string& path);

template <typename Impl>
void save(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename Impl>
void load(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  load(static_cast<nn::Module&>(*module), path);
}
template <typename M>
  requires std::is_base_of_v<nn::Module, M>
void save(const std::shared_ptr<M>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename M>
  requires std::is_base_of_v<nn::Module, M>
void load(const std::shared_ptr<M>& module, const std::string& path) {
  load(static_cast<nn::Module&>(*module), path);
}

// ---- tensors --------------------------------------------------------------------------------------------------
// One tensor, under the name "0".
void save(const Tensor& tensor, const std::string& path);
// Replaces `tensor` with the saved one (on its saved device, or on `device`).
void load(Tensor& tensor, const std::string& path, std::optional<Device> device = std::nullopt);
// The tensors under the names "0", "1", ...; undefined tensors are refused.
void save(const std::vector<Tensor>& tensors, const std::string& path);
void load(std::vector<Tensor>& tensors, const std::string& path, std::optional<Device> device = std::nullopt);

// ---- optimizers and schedulers --------------------------------------------------------------------------------
// The optimizer's state_dict() (nn/optim.h); loading needs the same optimizer class and parameter groups.
void save(const optim::Optimizer& optimizer, const std::string& path);
void load(optim::Optimizer& optimizer, const std::string& path);
// The scheduler's state_dict() (nn/scheduler.h); loading needs the same scheduler class.
void save(const optim::LRScheduler& scheduler, const std::string& path);
void load(optim::LRScheduler& scheduler, const std::string& path);
void save(const optim::ReduceLROnPlateau& scheduler, const std::string& path);
void load(optim::ReduceLROnPlateau& scheduler, const std::string& path);

// ---- c10::str ---------------------------------------------------------------------------------------------------
// The arguments written one after another with operator<<: reel::str("epoch-", 3, ".pt") == "epoch-3.pt".
namespace detail {
// The stream reel::str writes into: a std::ostringstream behind a pointer, so this header needs only <ostream>.
class StrStream {
 public:
  StrStream();
  ~StrStream();
  StrStream(const StrStream&) = delete;
  StrStream& operator=(const StrStream&) = delete;
  std::ostream& stream();
  std::string str() const;

 private:
  std::unique_ptr<std::ostringstream> out_;
};
}  // namespace detail

template <typename... Args>
std::string str(const Args&... args) {
  detail::StrStream out;
  (out.stream() << ... << args);
  return out.str();
}

}  // namespace reel
