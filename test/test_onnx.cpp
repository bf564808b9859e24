// test/test_onnx.cpp — the ONNX exporter without Python: the protobuf writer's bytes, the wire layout of an exported
// model read back by a small protobuf reader written here (field numbers and wire types from onnx.proto), the gate
// permutation of the recurrent layers, training flags and inputs left as they were, and the errors of unsupported
// modules and bad options. Values are checked against onnxruntime by test/onnx (the CTest onnx_runtime_check).
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "onnx/lowering.h"
#include "onnx/protobuf_writer.h"
#include "reel.h"

namespace nn = reel::nn;
namespace onnx = reel::onnx;
using reel::Tensor;

namespace {

// ---- a minimal protobuf reader -------------------------------------------------------------------------------

struct Field {
  int number = 0;
  int wire = 0;
  uint64_t varint = 0;  // wire 0; the bits of wire 1 and 5
  std::string bytes;    // wire 2
};

uint64_t read_varint(std::string_view data, size_t& pos) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    REQUIRE(pos < data.size());
    const auto byte = static_cast<uint8_t>(data[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  FAIL("varint longer than 10 bytes");
  return 0;
}

std::vector<Field> parse(std::string_view data) {
  std::vector<Field> fields;
  size_t pos = 0;
  while (pos < data.size()) {
    const uint64_t tag = read_varint(data, pos);
    Field f;
    f.number = static_cast<int>(tag >> 3);
    f.wire = static_cast<int>(tag & 7);
    REQUIRE(f.number >= 1);
    if (f.wire == 0) {
      f.varint = read_varint(data, pos);
    } else if (f.wire == 1 || f.wire == 5) {
      const size_t width = f.wire == 1 ? 8 : 4;
      REQUIRE(pos + width <= data.size());
      std::memcpy(&f.varint, data.data() + pos, width);
      pos += width;
    } else if (f.wire == 2) {
      const uint64_t size = read_varint(data, pos);
      REQUIRE(pos + size <= data.size());
      f.bytes = std::string(data.substr(pos, size));
      pos += size;
    } else {
      FAIL("unexpected wire type " << f.wire);
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

std::vector<Field> all(const std::vector<Field>& message, int number) {
  std::vector<Field> out;
  for (const Field& f : message)
    if (f.number == number) out.push_back(f);
  return out;
}

Field one(const std::vector<Field>& message, int number, int wire) {
  const std::vector<Field> found = all(message, number);
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].wire == wire);
  return found[0];
}

std::vector<int64_t> packed_varints(const std::string& bytes) {
  std::vector<int64_t> values;
  size_t pos = 0;
  while (pos < bytes.size()) values.push_back(static_cast<int64_t>(read_varint(bytes, pos)));
  return values;
}

std::string hex(const std::string& bytes) {
  std::string out;
  const char* digits = "0123456789ABCDEF";
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::Error& e) {
    return e.what();
  }
  return "(no reel::Error)";
}

// The dim of a ValueInfoProto's shape: (dim_value or -1, dim_param).
std::vector<std::pair<int64_t, std::string>> dims_of(const Field& value_info) {
  const auto type = parse(one(parse(value_info.bytes), 2, 2).bytes);
  const auto tensor_type = parse(one(type, 1, 2).bytes);
  REQUIRE(one(tensor_type, 1, 0).varint == 1);  // FLOAT
  std::vector<std::pair<int64_t, std::string>> dims;
  for (const Field& dim : all(parse(one(tensor_type, 2, 2).bytes), 1)) {
    const auto d = parse(dim.bytes);
    if (!all(d, 2).empty())
      dims.emplace_back(-1, one(d, 2, 2).bytes);
    else
      dims.emplace_back(static_cast<int64_t>(one(d, 1, 0).varint), "");
  }
  return dims;
}

struct NetImpl : nn::Module {
  NetImpl() { fc = register_module("fc", nn::Linear(2, 2)); }
  Tensor forward(const Tensor& x) { return fc(x).relu(); }
  nn::Linear fc{nullptr};
};
REEL_MODULE(Net);

}  // namespace

TEST_CASE("protobuf writer: varints, fixed-width and length-delimited fields", "[onnx]") {
  using onnx::detail::ProtoWriter;
  ProtoWriter w;
  w.uint64_field(1, 300);
  CHECK(hex(w.bytes()) == "08 AC 02");
  ProtoWriter negative;
  negative.int64_field(2, -1);  // int64: ten bytes of two's complement
  CHECK(hex(negative.bytes()) == "10 FF FF FF FF FF FF FF FF FF 01");
  ProtoWriter f;
  f.float_field(3, 1.0f);
  CHECK(hex(f.bytes()) == "1D 00 00 80 3F");
  ProtoWriter d;
  d.double_field(6, -2.0);
  CHECK(hex(d.bytes()) == "31 00 00 00 00 00 00 00 C0");
  ProtoWriter s;
  s.bytes_field(4, "hi");
  CHECK(hex(s.bytes()) == "22 02 68 69");
  ProtoWriter packed;
  packed.packed_int64_field(5, {1, 300});
  packed.packed_int64_field(6, {});  // nothing for an empty list
  CHECK(hex(packed.bytes()) == "2A 03 01 AC 02");
  ProtoWriter floats;
  floats.packed_float_field(7, {1.0f, -2.0f});
  CHECK(hex(floats.bytes()) == "3A 08 00 00 80 3F 00 00 00 C0");
  ProtoWriter nested;
  nested.message_field(20, s);  // field 20 needs a two-byte tag
  CHECK(hex(nested.bytes()) == "A2 01 04 22 02 68 69");
  CHECK_THAT(error_of([] { ProtoWriter().uint64_field(0, 1); }), Catch::Contains("field number 0"));
}

TEST_CASE("an exported Linear reads back with ONNX's field numbers and wire types", "[onnx]") {
  reel::manual_seed(3);
  nn::Sequential net(nn::Linear(3, 2));
  const onnx::Model model = onnx::export_model(
      net, {reel::randn({4, 3})},
      onnx::ExportOptions().input_names({"x"}).output_names({"y"}).dynamic_axes(
          {{"x", {{0, "batch"}}}, {"y", {{0, "batch"}}}}));
  const auto m = parse(model.serialize());
  CHECK(one(m, 1, 0).varint == 8);                // ir_version
  CHECK(one(m, 2, 2).bytes == "reel");            // producer_name
  CHECK_FALSE(one(m, 3, 2).bytes.empty());        // producer_version
  const auto opset = parse(one(m, 8, 2).bytes);   // opset_import
  CHECK(one(opset, 1, 2).bytes.empty());          // domain ""
  CHECK(one(opset, 2, 0).varint == 17);           // version
  const auto graph = parse(one(m, 7, 2).bytes);
  CHECK(one(graph, 2, 2).bytes == "main_graph");

  const auto nodes = all(graph, 1);
  REQUIRE(nodes.size() == 1);
  const auto node = parse(nodes[0].bytes);
  CHECK(one(node, 4, 2).bytes == "Gemm");
  const auto node_inputs = all(node, 1);
  REQUIRE(node_inputs.size() == 3);
  CHECK(node_inputs[0].bytes == "x");
  CHECK(node_inputs[1].bytes == "0.weight");
  CHECK(node_inputs[2].bytes == "0.bias");
  CHECK(one(node, 2, 2).bytes == "y");
  const auto attribute = parse(one(node, 5, 2).bytes);
  CHECK(one(attribute, 1, 2).bytes == "transB");
  CHECK(one(attribute, 3, 0).varint == 1);
  CHECK(one(attribute, 20, 0).varint == 2);  // AttributeProto.INT

  const auto initializers = all(graph, 5);
  REQUIRE(initializers.size() == 2);
  const auto weight = parse(initializers[0].bytes);
  CHECK(packed_varints(one(weight, 1, 2).bytes) == std::vector<int64_t>{2, 3});
  CHECK(one(weight, 2, 0).varint == 1);  // FLOAT
  CHECK(one(weight, 8, 2).bytes == "0.weight");
  const std::string raw = one(weight, 9, 2).bytes;
  const Tensor w = net->ptr<nn::LinearImpl>(0)->weight.contiguous();
  REQUIRE(raw.size() == 6 * sizeof(float));
  CHECK(std::memcmp(raw.data(), w.data_ptr(), raw.size()) == 0);

  using Dims = std::vector<std::pair<int64_t, std::string>>;
  CHECK(dims_of(one(graph, 11, 2)) == Dims{{-1, "batch"}, {3, ""}});
  CHECK(dims_of(one(graph, 12, 2)) == Dims{{-1, "batch"}, {2, ""}});
  CHECK(parse(one(graph, 11, 2).bytes)[0].bytes == "x");
}

TEST_CASE("ONNX attributes carry their type", "[onnx]") {
  onnx::Model model;
  model.graph.inputs.push_back({"x", onnx::DataType::Float, {2}});
  const std::string y = model.graph.add_node(
      "Dummy", {"x"},
      {onnx::Attribute::Float("f", 0.5), onnx::Attribute::Ints("ints", {1, -2}),
       onnx::Attribute::Strings("names", {"Tanh", "Relu"}), onnx::Attribute::String("s", "abc"),
       onnx::Attribute::Floats("floats", {0.25f}), onnx::Attribute::TensorValue("t", reel::ones({2}))})[0];
  CHECK(y == "Dummy_output_0");
  const auto graph = parse(one(parse(model.serialize()), 7, 2).bytes);
  const auto attributes = all(parse(one(graph, 1, 2).bytes), 5);
  REQUIRE(attributes.size() == 6);
  const auto f = parse(attributes[0].bytes);
  CHECK(one(f, 2, 5).varint == 0x3F000000u);  // 0.5f
  CHECK(one(f, 20, 0).varint == 1);           // FLOAT
  const auto ints = parse(attributes[1].bytes);
  CHECK(packed_varints(one(ints, 8, 2).bytes) == std::vector<int64_t>{1, -2});
  CHECK(one(ints, 20, 0).varint == 7);  // INTS
  const auto names = parse(attributes[2].bytes);
  REQUIRE(all(names, 9).size() == 2);
  CHECK(all(names, 9)[1].bytes == "Relu");
  CHECK(one(names, 20, 0).varint == 8);  // STRINGS
  CHECK(one(parse(attributes[3].bytes), 4, 2).bytes == "abc");
  CHECK(one(parse(attributes[3].bytes), 20, 0).varint == 3);  // STRING
  CHECK(one(parse(attributes[4].bytes), 20, 0).varint == 6);  // FLOATS
  const auto t = parse(attributes[5].bytes);
  CHECK(one(parse(one(t, 5, 2).bytes), 2, 0).varint == 1);  // TensorProto.data_type FLOAT
  CHECK(one(t, 20, 0).varint == 4);                         // TENSOR

  onnx::Attribute untyped;
  untyped.name = "u";
  model.graph.nodes[0].attributes.push_back(untyped);
  CHECK_THAT(error_of([&] { model.serialize(); }), Catch::Contains("'u'") && Catch::Contains("has no type"));
}

TEST_CASE("ONNX export permutes LSTM and GRU gates into ONNX's order", "[onnx]") {
  reel::manual_seed(5);
  auto initializer = [](const onnx::Model& model, const std::string& name) {
    for (const auto& init : model.graph.initializers)
      if (init.name == name) return init.value;
    FAIL("no initializer " << name);
    return Tensor();
  };
  const int64_t h = 4;
  nn::LSTM lstm(nn::LSTMOptions(3, h));
  const onnx::Model model = onnx::export_model(lstm, {reel::randn({5, 2, 3})});
  const Tensor w = initializer(model, "W_l0");
  REQUIRE(w.sizes().vec() == std::vector<int64_t>{1, 4 * h, 3});
  const Tensor w_ih = lstm->all_weights[0][0];  // PyTorch's blocks i, f, g, o
  CHECK(reel::equal(w[0].narrow(0, 0, h), w_ih.narrow(0, 0, h)));          // i
  CHECK(reel::equal(w[0].narrow(0, h, h), w_ih.narrow(0, 3 * h, h)));      // o
  CHECK(reel::equal(w[0].narrow(0, 2 * h, h), w_ih.narrow(0, h, h)));      // f
  CHECK(reel::equal(w[0].narrow(0, 3 * h, h), w_ih.narrow(0, 2 * h, h)));  // c = g
  const Tensor b = initializer(model, "B_l0");
  CHECK(reel::equal(b[0].narrow(0, 4 * h + h, h), lstm->all_weights[0][3].narrow(0, 3 * h, h)));  // R's o bias
  bool found = false;
  for (const auto& node : model.graph.nodes)
    if (node.op_type == "LSTM") {
      found = true;
      CHECK(node.outputs.size() == 3);
      CHECK(node.attributes[0].name == "hidden_size");
      CHECK(node.attributes[0].i == h);
    }
  CHECK(found);

  nn::GRU gru(nn::GRUOptions(3, h).bidirectional(true));
  const onnx::Model gru_model = onnx::export_model(gru, {reel::randn({5, 2, 3})});
  const Tensor r = initializer(gru_model, "R_l0");
  REQUIRE(r.sizes().vec() == std::vector<int64_t>{2, 3 * h, h});
  const Tensor w_hh_reverse = gru->all_weights[1][1];  // PyTorch's blocks r, z, n
  CHECK(reel::equal(r[1].narrow(0, 0, h), w_hh_reverse.narrow(0, h, h)));          // z
  CHECK(reel::equal(r[1].narrow(0, h, h), w_hh_reverse.narrow(0, 0, h)));          // r
  CHECK(reel::equal(r[1].narrow(0, 2 * h, h), w_hh_reverse.narrow(0, 2 * h, h)));  // h = n
  bool linear_before_reset = false;
  for (const auto& node : gru_model.graph.nodes)
    for (const auto& a : node.attributes) linear_before_reset |= a.name == "linear_before_reset" && a.i == 1;
  CHECK(linear_before_reset);

  // the test-only switch leaves PyTorch's order in place
  onnx::detail::WrongGateOrderForTesting wrong;
  const onnx::Model unpermuted = onnx::export_model(lstm, {reel::randn({5, 2, 3})});
  CHECK(reel::equal(initializer(unpermuted, "W_l0")[0], w_ih));
}

TEST_CASE("ONNX export leaves training flags and example inputs as they were", "[onnx]") {
  nn::Sequential net(nn::ReLU(nn::ReLUOptions(true)), nn::Linear(3, 3), nn::Dropout(0.5));
  net->train();
  net[2]->eval();
  const Tensor x = reel::randn({2, 3});
  const Tensor before = x.clone();
  const onnx::Model model = onnx::export_model(net, {x});
  CHECK(net->is_training());
  CHECK(net[1]->is_training());
  CHECK_FALSE(net[2]->is_training());
  CHECK(reel::equal(x, before));  // the in-place ReLU ran on a copy
  // dropout adds no node; the Gemm writes the output
  REQUIRE(model.graph.nodes.size() == 2);
  CHECK(model.graph.nodes[1].op_type == "Gemm");
  CHECK(model.graph.nodes[1].outputs[0] == "output");

  // an empty Sequential is the identity: an Identity node from the input to the output
  const onnx::Model identity = onnx::export_model(nn::Sequential(), {x});
  REQUIRE(identity.graph.nodes.size() == 1);
  CHECK(identity.graph.nodes[0].op_type == "Identity");
  CHECK(identity.graph.nodes[0].inputs[0] == "input");
  CHECK(identity.graph.nodes[0].outputs[0] == "output");
}

TEST_CASE("ONNX export errors name the module and the reason", "[onnx]") {
  const Tensor x = reel::randn({2, 3});
  nn::Sequential mlp(nn::Linear(3, 2));
  CHECK_THAT(error_of([&] { onnx::export_model(mlp, {x}, onnx::ExportOptions().opset_version(18)); }),
             Catch::Contains("opset_version 18 is not supported") && Catch::Contains("17"));
  CHECK_THAT(error_of([&] { onnx::export_model(mlp, {}); }), Catch::Contains("no example inputs"));
  CHECK_THAT(error_of([&] { onnx::export_model(mlp, {x}, onnx::ExportOptions().input_names({"a", "b"})); }),
             Catch::Contains("2 input names given for 1 value"));
  CHECK_THAT(error_of([&] { onnx::export_model(mlp, {x}, onnx::ExportOptions().output_names({"o", "o"})); }),
             Catch::Contains("2 output names given"));
  CHECK_THAT(error_of([&] { onnx::export_model(mlp, {x}, onnx::ExportOptions().dynamic_axes({{"z", {{0, "n"}}}})); }),
             Catch::Contains("dynamic_axes names 'z'"));
  CHECK_THAT(
      error_of([&] { onnx::export_model(mlp, {x}, onnx::ExportOptions().dynamic_axes({{"input", {{2, "n"}}}})); }),
      Catch::Contains("axis 2 of 'input' is out of range"));
  CHECK_THAT(error_of([&] { onnx::export_module(mlp, {x}, "/nonexistent_dir_reel/m.onnx"); }),
             Catch::Contains("/nonexistent_dir_reel/m.onnx"));

  CHECK_THAT(error_of([&] { onnx::export_model(Net(), {x.narrow(1, 0, 2)}); }),
             Catch::Contains("Net cannot be exported to ONNX") && Catch::Contains("graph capture"));
  CHECK_THAT(error_of([&] { onnx::export_model(nn::Sequential(nn::Linear(3, 3), nn::Bilinear(3, 3, 2)), {x}); }),
             Catch::Contains("Bilinear (module '1') cannot be exported") && Catch::Contains("no ONNX lowering"));
  nn::Sequential outer;
  outer->push_back("block", nn::Sequential(nn::Identity(), nn::LSTM(nn::LSTMOptions(3, 4).proj_size(2))));
  CHECK_THAT(error_of([&] { onnx::export_model(outer, {reel::randn({5, 2, 3})}); }),
             Catch::Contains("LSTM (module 'block.1') cannot be exported") && Catch::Contains("proj_size"));
  CHECK_THAT(error_of([&] { onnx::export_model(nn::ModuleList(nn::Linear(3, 3)), {x}); }),
             Catch::Contains("ModuleList cannot be exported") && Catch::Contains("no forward of its own"));
  CHECK_THAT(error_of([&] { onnx::export_model(nn::Sequential(nn::Functional(reel::relu)), {x}); }),
             Catch::Contains("Functional (module '0') cannot be exported") && Catch::Contains("C++ function"));
  CHECK_THAT(error_of([&] { onnx::export_model(nn::LSTM(nn::LSTMOptions(3, 4).proj_size(2)), {reel::randn({5, 2, 3})}); }),
             Catch::Contains("LSTM cannot be exported") && Catch::Contains("proj_size"));
  CHECK_THAT(error_of([&] { onnx::export_model(nn::LSTM(nn::LSTMOptions(3, 4)), {reel::randn({5, 3})}); }),
             Catch::Contains("unbatched"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::Embedding(nn::EmbeddingOptions(10, 3).max_norm(1.0)), {reel::randint(10, {4})});
             }),
             Catch::Contains("Embedding cannot be exported") && Catch::Contains("max_norm"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::Conv1d(nn::Conv1dOptions(2, 2, 3).padding(1).padding_mode(reel::kCircular)),
                                  {reel::randn({1, 2, 8})});
             }),
             Catch::Contains("Conv1d cannot be exported") && Catch::Contains("circular"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::BatchNorm1d(nn::BatchNormOptions(3).track_running_stats(false)), {x});
             }),
             Catch::Contains("BatchNorm1d cannot be exported") && Catch::Contains("track_running_stats"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::MultiheadAttention(nn::MultiheadAttentionOptions(4, 2).add_bias_kv(true)),
                                  {reel::randn({3, 1, 4})});
             }),
             Catch::Contains("MultiheadAttention cannot be exported") && Catch::Contains("add_bias_kv"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({3, 3})),
                                  {reel::randn({1, 1, 5, 6})});
             }),
             Catch::Contains("AdaptiveAvgPool2d cannot be exported") && Catch::Contains("does not divide"));
  CHECK_THAT(error_of([&] {
               onnx::export_model(nn::AvgPool2d(nn::AvgPool2dOptions(2).divisor_override(3)), {reel::randn({1, 1, 4, 4})});
             }),
             Catch::Contains("divisor_override"));
}
