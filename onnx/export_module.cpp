// reel/onnx/export_module.cpp — the module exporter's driver: checks the options, runs the module tree in eval
// mode on copies of the example inputs while lowering it layer by layer (lower_*.cpp), names the graph inputs and
// outputs, marks the dynamic axes, and puts the training flags back.
#include "onnx/export_module.h"

#include <utility>

#include "nn/container.h"
#include "onnx/lowering.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::onnx {

namespace detail {

namespace {
thread_local bool wrong_gate_order = false;
// The module path being lowered, for the errors of throw_unsupported.
thread_local const std::string* lowering_scope = nullptr;
}  // namespace

WrongGateOrderForTesting::WrongGateOrderForTesting() : previous_(wrong_gate_order) { wrong_gate_order = true; }
WrongGateOrderForTesting::~WrongGateOrderForTesting() { wrong_gate_order = previous_; }
bool wrong_gate_order_for_testing() { return wrong_gate_order; }

// ---- Lowering's helpers ---------------------------------------------------------------------------------------

std::string Lowering::node_prefix() const {
  std::string prefix = scope.empty() ? "" : "/";
  for (char c : scope) prefix += c == '.' ? '/' : c;
  return prefix;
}

std::vector<std::string> Lowering::nodes(const std::string& op_type, std::vector<std::string> inputs,
                                         std::vector<Attribute> attributes, int num_outputs) {
  return graph.add_node(op_type, std::move(inputs), std::move(attributes), num_outputs,
                        node_prefix() + "/" + op_type);
}

std::string Lowering::node(const std::string& op_type, std::vector<std::string> inputs,
                           std::vector<Attribute> attributes) {
  return nodes(op_type, std::move(inputs), std::move(attributes), 1)[0];
}

std::string Lowering::param(const std::string& name, const Tensor& value) {
  return graph.add_initializer(scope.empty() ? name : scope + "." + name, value.detach());
}

std::string Lowering::int64s(const std::string& name, const std::vector<int64_t>& values) {
  return graph.add_initializer(node_prefix() + "/" + name, reel::tensor(values, reel::dtype(kInt64)));
}

std::string Lowering::scalar(const std::string& name, double value, ScalarType dtype) {
  return graph.add_initializer(node_prefix() + "/" + name, reel::scalar_tensor(value, reel::dtype(dtype)));
}

// ---- errors ----------------------------------------------------------------------------------------------------

void throw_unsupported(const nn::Module& module, const std::string& why) {
  const std::string where =
      lowering_scope == nullptr || lowering_scope->empty() ? "" : " (module '" + *lowering_scope + "')";
  throw_error("onnx::export_module: " + module.type_name() + where + " cannot be exported to ONNX: " + why);
}

const Value& single_input(const nn::Module& module, const std::vector<Value>& inputs) {
  if (inputs.size() != 1)
    throw_error("onnx::export_module: " + module.type_name() + " takes one input tensor, but the exporter has " +
                std::to_string(inputs.size()) + " values for it");
  return inputs[0];
}

// ---- the walk ---------------------------------------------------------------------------------------------------

std::vector<Value> lower_module(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering) {
  if (module.as<nn::SequentialImpl>() != nullptr) {
    // y = m_n(...m_0(x)): each child gets the previous child's values; an empty Sequential passes x through.
    std::vector<Value> values = inputs;
    const std::string outer = lowering.scope;
    for (const auto& item : module.named_children()) {
      lowering.scope = outer.empty() ? item.key() : outer + "." + item.key();
      values = lower_module(*item.value(), values, lowering);
    }
    lowering.scope = outer;
    return values;
  }
  lowering_scope = &lowering.scope;
  std::vector<Value> out;
  if (lower_basic(module, inputs, lowering, out) || lower_conv(module, inputs, lowering, out) ||
      lower_recurrent(module, inputs, lowering, out) || lower_attention(module, inputs, lowering, out))
    return out;
  if (module.as<nn::ModuleListImpl>() != nullptr || module.as<nn::ModuleDictImpl>() != nullptr)
    throw_unsupported(module, "it has no forward of its own (its owner decides how to call its children)");
  if (module.as<nn::FunctionalImpl>() != nullptr)
    throw_unsupported(module, "it wraps an arbitrary C++ function, which the exporter cannot see into");
  throw_unsupported(module, "it has no ONNX lowering: the exporter walks Sequential and the built-in layers listed "
                            "in docs/onnx.md; a module with its own forward needs graph capture");
}

namespace {

// The training flags of a module tree, put back when this goes out of scope (parents first, then children, so
// that each module ends with its own flag).
class TrainingFlags {
 public:
  explicit TrainingFlags(nn::Module& root) { collect(root); }
  ~TrainingFlags() {
    for (const auto& [module, on] : flags_) module->train(on);
  }
  TrainingFlags(const TrainingFlags&) = delete;
  TrainingFlags& operator=(const TrainingFlags&) = delete;

 private:
  void collect(nn::Module& module) {
    flags_.emplace_back(&module, module.is_training());
    for (const auto& child : module.children()) collect(*child);
  }
  std::vector<std::pair<nn::Module*, bool>> flags_;
};

// The name of value k of `count` given the user's names: theirs, else `base` (one value) or `base_<k>`.
std::string io_name(const std::vector<std::string>& names, size_t k, size_t count, const std::string& base) {
  if (k < names.size()) return names[k];
  return count == 1 ? base : base + "_" + std::to_string(k);
}

void check_names(const std::vector<std::string>& names, size_t count, const char* what) {
  REEL_CHECK(names.size() <= count, "onnx::export_module: {} {} given for {} {}", names.size(), what, count,
             count == 1 ? "value" : "values");
  for (size_t i = 0; i < names.size(); ++i) {
    REEL_CHECK(!names[i].empty(), "onnx::export_module: {} {} is empty", what, i);
    for (size_t j = 0; j < i; ++j)
      REEL_CHECK(names[i] != names[j], "onnx::export_module: {} '{}' is given twice", what, names[i]);
  }
}

// The shape of `example` with the axes named in dynamic_axes for `name` made symbolic.
std::vector<Dimension> shape_of(const std::string& name, const Tensor& example, const DynamicAxes& dynamic_axes,
                                std::vector<bool>& used) {
  std::vector<Dimension> shape(example.sizes().begin(), example.sizes().end());
  const auto rank = static_cast<int64_t>(shape.size());
  for (size_t k = 0; k < dynamic_axes.size(); ++k) {
    if (dynamic_axes[k].first != name) continue;
    used[k] = true;
    std::vector<bool> seen(shape.size(), false);
    for (const DynamicAxis& axis : dynamic_axes[k].second) {
      REEL_CHECK(axis.axis >= -rank && axis.axis < rank,
                 "onnx::export_module: dynamic_axes: axis {} of '{}' is out of range for its shape {}", axis.axis,
                 name, shape_str(example.sizes()));
      REEL_CHECK(!axis.name.empty(), "onnx::export_module: dynamic_axes: axis {} of '{}' has an empty name",
                 axis.axis, name);
      const auto a = static_cast<size_t>(axis.axis < 0 ? axis.axis + rank : axis.axis);
      REEL_CHECK(!seen[a], "onnx::export_module: dynamic_axes: axis {} of '{}' is named twice", axis.axis, name);
      seen[a] = true;
      shape[a] = Dimension::named(axis.name);
    }
  }
  return shape;
}

}  // namespace
}  // namespace detail

Model export_model(nn::Module& module, const std::vector<Tensor>& example_inputs, const ExportOptions& options) {
  using namespace detail;
  REEL_CHECK(options.opset_version() == 17,
             "onnx::export_module: opset_version {} is not supported: reel exports opset 17 (IR version 8) only",
             options.opset_version());
  REEL_CHECK(!example_inputs.empty(), "onnx::export_module: no example inputs given for {}", module.type_name());
  for (size_t k = 0; k < example_inputs.size(); ++k)
    REEL_CHECK(example_inputs[k].defined(), "onnx::export_module: example input {} is undefined", k);
  check_names(options.input_names(), example_inputs.size(), "input names");

  Model model;
  model.opset_version = options.opset_version();
  Graph& graph = model.graph;
  graph.name = options.graph_name();
  std::vector<bool> used_axes(options.dynamic_axes().size(), false);
  std::vector<Value> inputs;
  for (size_t k = 0; k < example_inputs.size(); ++k) {
    const Tensor& x = example_inputs[k];
    const std::string name = io_name(options.input_names(), k, example_inputs.size(), "input");
    graph.inputs.push_back({name, data_type_of(x.dtype()), shape_of(name, x, options.dynamic_axes(), used_axes)});
    inputs.push_back({name, x.detach().clone()});  // copies: an in-place layer must not change the caller's tensors
  }

  std::vector<Value> outputs;
  {
    struct ClearScope {
      ~ClearScope() { lowering_scope = nullptr; }
    } clear_scope;
    TrainingFlags restore(module);
    module.eval();
    NoGradGuard no_grad;
    Lowering lowering(graph);
    outputs = lower_module(module, inputs, lowering);
  }
  check_names(options.output_names(), outputs.size(), "output names");

  // Name the outputs: the node that computes an output writes the output's name; an output that is a graph input,
  // an initializer or an output already named goes through an Identity.
  std::vector<std::string> renamed;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::string name = io_name(options.output_names(), k, outputs.size(), "output");
    const std::string& value = outputs[k].name;
    for (const ValueInfo& input : graph.inputs)
      REEL_CHECK(input.name != name, "onnx::export_module: '{}' names both an input and an output", name);
    bool is_output = false;
    for (const std::string& r : renamed) is_output |= r == value;
    if (graph.is_node_output(value) && !is_output) {
      graph.rename_value(value, name);
      renamed.push_back(name);
      for (size_t j = k + 1; j < outputs.size(); ++j)
        if (outputs[j].name == value) outputs[j].name = name;
    } else {
      graph.nodes.push_back(Node{"Identity", {value}, {name}, {}, graph.unique_name("/Identity_" + name), ""});
    }
    graph.outputs.push_back(
        {name, data_type_of(outputs[k].example.dtype()),
         shape_of(name, outputs[k].example, options.dynamic_axes(), used_axes)});
  }
  for (size_t k = 0; k < used_axes.size(); ++k)
    REEL_CHECK(used_axes[k], "onnx::export_module: dynamic_axes names '{}', which is not an input or output name",
               options.dynamic_axes()[k].first);
  return model;
}

void export_module(nn::Module& module, const std::vector<Tensor>& example_inputs, const std::string& path,
                   const ExportOptions& options) {
  export_model(module, example_inputs, options).save(path);
}

}  // namespace reel::onnx
