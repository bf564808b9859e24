// reel/test/op_table_views.cpp — op-table rows of the view ops (view ... contiguous, chunk, split, unbind)
// and of clone.
//
// Values are checked against the naive index-mapping references; each sample also says whether every output
// must share the input's storage (Sample::flag): always for the pure views, only when no copy is needed for
// reshape, flatten and contiguous, never for clone. Inputs come contiguous, transposed and step-2 strided,
// so views of views (and their offsets) are covered.
#include <catch2/catch.hpp>

#include <algorithm>

#include "test/op_table.h"

namespace reel::test {

namespace {

struct ViewSpec {
  std::string name;
  std::function<std::vector<Sample>(InputMaker&)> samples;  // dtype and device come from the maker
  std::function<std::vector<Tensor>(const Sample&)> run;
  std::function<std::vector<RefTensor>(const Sample&, const RefTensor& x)> reference;
};

// A sample whose outputs must (shares = true) or must not share the input's storage.
Sample view_sample(std::string description, Tensor x, bool shares) {
  Sample s;
  s.description = std::move(description);
  s.inputs = {std::move(x)};
  s.flag = shares;
  return s;
}

OpTestRow view_row(ViewSpec spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = kAllDtypes;
  row.samples = [make = spec.samples](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> samples = make(m);
    for (Sample& s : samples) {
      s.dtype = s.promoted = dtype;
      s.device = device;
    }
    return samples;
  };
  row.run = spec.run;
  row.reference = [reference = spec.reference](const Sample& s) { return reference(s, RefTensor::of(s.inputs[0])); };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      INFO("output " << i << (s.flag ? " must share" : " must not share") << " the input's storage");
      CHECK((outputs[i].storage().get() == s.inputs[0].storage().get()) == s.flag);
    }
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

std::vector<Tensor> one(Tensor t) { return {std::move(t)}; }
std::vector<RefTensor> one(RefTensor t) { return {std::move(t)}; }

// The slices a chunk/split makes along `dim`: consecutive pieces of the given lengths.
std::vector<RefTensor> pieces(const RefTensor& x, int64_t dim, const Shape& lengths) {
  std::vector<RefTensor> out;
  int64_t start = 0;
  for (int64_t length : lengths) {
    out.push_back(ref_slice(x, dim, start, start + length, 1));
    start += length;
  }
  return out;
}

void add_view_rows(std::vector<OpTestRow>& rows) {
  const Layout T = Layout::Transposed, S = Layout::Strided;
  std::vector<ViewSpec> specs;

  // view(sizes), Sample::dims = sizes
  specs.push_back({"view",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape sizes) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(sizes);
                     };
                     add("[2, 3, 4] as [6, 4]", m.make({2, 3, 4}), {6, 4});
                     add("[2, 3, 4] as [-1]", m.make({2, 3, 4}), {-1});
                     add("[2, 3, 4] as [4, -1, 3]", m.make({2, 3, 4}), {4, -1, 3});
                     add("step-2 slice [3, 4] as [3, 2, 2] (splits a strided dim)", m.make({3, 4}, {}, S), {3, 2, 2});
                     add("0-dim as [1]", m.make({}), {1});
                     add("[1] as 0-dim", m.make({1}), {});
                     add("size-0 [0, 3] as [3, 0]", m.make({0, 3}), {3, 0});
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].view(s.dims)); },
                   [](const Sample& s, const RefTensor& x) { return one(ref_reshape(x, s.dims)); }});

  // reshape(sizes): a view when the strides allow it, else a copy
  specs.push_back({"reshape",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape sizes, bool shares) {
                       out.push_back(view_sample(std::move(d), std::move(x), shares));
                       out.back().dims = std::move(sizes);
                     };
                     add("contiguous [2, 3, 4] as [4, 6] (a view)", m.make({2, 3, 4}), {4, 6}, true);
                     add("transposed [3, 4] as [12] (a copy)", m.make({3, 4}, {}, T), {12}, false);
                     add("transposed [3, 4] as [2, 6] (a copy)", m.make({3, 4}, {}, T), {2, -1}, false);
                     add("step-2 slice [3, 4] as [3, 2, 2] (a view)", m.make({3, 4}, {}, S), {3, 2, 2}, true);
                     add("step-2 slice [3, 4] as [12] (a copy)", m.make({3, 4}, {}, S), {12}, false);
                     add("0-dim as [1, 1]", m.make({}), {1, 1}, true);
                     add("size-0 [0, 3] as [3, 0]", m.make({0, 3}), {3, 0}, true);
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].reshape(s.dims)); },
                   [](const Sample& s, const RefTensor& x) { return one(ref_reshape(x, s.dims)); }});

  // flatten(start, end): Sample::dims = {start, end}
  specs.push_back({"flatten",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape range, bool shares) {
                       out.push_back(view_sample(std::move(d), std::move(x), shares));
                       out.back().dims = std::move(range);
                     };
                     add("[2, 3, 4] all dims", m.make({2, 3, 4}), {0, -1}, true);
                     add("[2, 3, 4] dims 1..2", m.make({2, 3, 4}), {1, 2}, true);
                     add("[2, 3, 4] dims 0..1", m.make({2, 3, 4}), {0, 1}, true);
                     add("start == end keeps the shape", m.make({2, 3, 4}), {1, 1}, true);
                     add("transposed [3, 4] (a copy)", m.make({3, 4}, {}, T), {0, -1}, false);
                     add("0-dim gives [1]", m.make({}), {0, -1}, true);
                     add("size-0 [2, 0, 3], dims 1..2", m.make({2, 0, 3}), {1, 2}, true);
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].flatten(s.dims[0], s.dims[1])); },
                   [](const Sample& s, const RefTensor& x) {
                     if (x.dim() == 0) return one(RefTensor({1}, x.values, x.dtype));
                     const int64_t start = wrap(s.dims[0], x.dim()), end = wrap(s.dims[1], x.dim());
                     Shape shape(x.shape.begin(), x.shape.begin() + start);
                     int64_t merged = 1;
                     for (int64_t d = start; d <= end; ++d) merged *= x.shape[d];
                     shape.push_back(merged);
                     shape.insert(shape.end(), x.shape.begin() + end + 1, x.shape.end());
                     return one(RefTensor(shape, x.values, x.dtype));
                   }});

  // transpose(d0, d1): Sample::dims = {d0, d1}; t(): no arguments; permute(dims): Sample::dims
  specs.push_back({"transpose",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape pair) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(pair);
                     };
                     add("[2, 3, 4] dims 0, 2", m.make({2, 3, 4}), {0, 2});
                     add("dims -1, -2", m.make({2, 3, 4}), {-1, -2});
                     add("the same dim twice", m.make({2, 3}), {1, 1});
                     add("transposed input back", m.make({3, 4}, {}, T), {0, 1});
                     add("step-2 slice input", m.make({3, 4}, {}, S), {1, 0});
                     add("size-0 [0, 3]", m.make({0, 3}), {0, 1});
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].transpose(s.dims[0], s.dims[1])); },
                   [](const Sample& s, const RefTensor& x) {
                     Shape order(x.shape.size());
                     for (size_t d = 0; d < order.size(); ++d) order[d] = static_cast<int64_t>(d);
                     std::swap(order[wrap(s.dims[0], x.dim())], order[wrap(s.dims[1], x.dim())]);
                     return one(ref_permute(x, order));
                   }});
  specs.push_back({"t",
                   [=](InputMaker& m) {
                     return std::vector<Sample>{view_sample("[3, 4]", m.make({3, 4}), true),
                                                view_sample("transposed [3, 4]", m.make({3, 4}, {}, T), true),
                                                view_sample("1-d [5] is unchanged", m.make({5}, {}, S), true),
                                                view_sample("0-dim", m.make({}), true),
                                                view_sample("size-0 [0, 3]", m.make({0, 3}), true)};
                   },
                   [](const Sample& s) { return one(s.inputs[0].t()); },
                   [](const Sample&, const RefTensor& x) { return one(x.dim() < 2 ? x : ref_permute(x, {1, 0})); }});
  specs.push_back({"permute",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape order) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(order);
                     };
                     add("[2, 3, 4] as (2, 0, 1)", m.make({2, 3, 4}), {2, 0, 1});
                     add("negative dims (-1, 0, 1)", m.make({2, 3, 4}), {-1, 0, 1});
                     add("transposed input", m.make({3, 4}, {}, T), {1, 0});
                     add("step-2 slice [2, 3, 4]", m.make({2, 3, 4}, {}, S), {1, 2, 0});
                     add("0-dim, no dims", m.make({}), {});
                     add("size-0 [2, 0, 3]", m.make({2, 0, 3}), {2, 1, 0});
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].permute(s.dims)); },
                   [](const Sample& s, const RefTensor& x) { return one(ref_permute(x, s.dims)); }});

  // squeeze() / squeeze(dim): Sample::dims = {dim} or {}; unsqueeze(dim): Sample::dim
  specs.push_back({"squeeze",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape dim) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(dim);
                     };
                     add("[1, 3, 1, 4], all size-1 dims", m.make({1, 3, 1, 4}), {});
                     add("dim 0", m.make({1, 3, 1, 4}), {0});
                     add("dim -2", m.make({1, 3, 1, 4}), {-2});
                     add("a dim of size 3 stays", m.make({1, 3, 1, 4}), {1});
                     add("step-2 slice [3, 1]", m.make({3, 1}, {}, S), {});
                     add("0-dim", m.make({}), {});
                     add("[1, 0, 1]", m.make({1, 0, 1}), {});
                     return out;
                   },
                   [](const Sample& s) { return one(s.dims.empty() ? s.inputs[0].squeeze() : s.inputs[0].squeeze(s.dims[0])); },
                   [](const Sample& s, const RefTensor& x) {
                     Shape shape;
                     for (int64_t d = 0; d < x.dim(); ++d) {
                       const bool drop = x.shape[d] == 1 && (s.dims.empty() || wrap(s.dims[0], x.dim()) == d);
                       if (!drop) shape.push_back(x.shape[d]);
                     }
                     return one(RefTensor(shape, x.values, x.dtype));
                   }});
  specs.push_back({"unsqueeze",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t dim) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dim = dim;
                     };
                     add("[2, 3] at 0", m.make({2, 3}), 0);
                     add("[2, 3] at 2 (last)", m.make({2, 3}), 2);
                     add("[2, 3] at -1", m.make({2, 3}), -1);
                     add("transposed [3, 4] at 1", m.make({3, 4}, {}, T), 1);
                     add("0-dim at 0", m.make({}), 0);
                     add("size-0 [0, 3] at 1", m.make({0, 3}), 1);
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].unsqueeze(s.dim)); },
                   [](const Sample& s, const RefTensor& x) {
                     Shape shape = x.shape;
                     shape.insert(shape.begin() + wrap(s.dim, x.dim() + 1), 1);
                     return one(RefTensor(shape, x.values, x.dtype));
                   }});

  // expand(sizes): Sample::dims
  specs.push_back({"expand",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape sizes) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(sizes);
                     };
                     add("[3, 1] to [3, 4]", m.make({3, 1}), {3, 4});
                     add("[1, 3] to [2, 2, 3] (new leading dims)", m.make({1, 3}), {2, 2, 3});
                     add("-1 keeps a size", m.make({3, 1}), {-1, 4});
                     add("0-dim to [2, 3]", m.make({}), {2, 3});
                     add("[0, 1] to [0, 4]", m.make({0, 1}), {0, 4});
                     add("step-2 slice [3, 1] to [2, 3, 5]", m.make({3, 1}, {}, S), {2, 3, 5});
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].expand(s.dims)); },
                   [](const Sample& s, const RefTensor& x) { return one(ref_expand(x, s.dims)); }});

  // narrow(dim, start, length): Sample::dim, index, length; slice(dim, start, end, step): Sample::dim,
  // scalar (start, absent = none), scalar2 (end), step; select(dim, index): Sample::dim, index
  specs.push_back({"narrow",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t dim, int64_t start, int64_t length) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dim = dim;
                       out.back().index = start;
                       out.back().length = length;
                     };
                     add("[4, 5] dim 0 from 1, 2 rows", m.make({4, 5}), 0, 1, 2);
                     add("dim 1 from 2, 3 columns", m.make({4, 5}), 1, 2, 3);
                     add("negative start -2", m.make({4, 5}), 1, -2, 2);
                     add("length 0", m.make({4, 5}), -1, 0, 0);
                     add("transposed input", m.make({4, 5}, {}, T), 0, 1, 3);
                     add("step-2 slice input", m.make({4, 5}, {}, S), 1, 1, 3);
                     add("size-0 [0, 5] dim 1", m.make({0, 5}), 1, 1, 2);
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].narrow(s.dim, s.index, s.length)); },
                   [](const Sample& s, const RefTensor& x) {
                     const int64_t size = x.shape[wrap(s.dim, x.dim())];
                     const int64_t start = s.index < 0 ? s.index + size : s.index;
                     return one(ref_slice(x, s.dim, start, start + s.length, 1));
                   }});
  specs.push_back({"slice",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t dim, std::optional<int64_t> start,
                                    std::optional<int64_t> end, int64_t step) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dim = dim;
                       if (start) out.back().scalar = Scalar(*start);
                       if (end) out.back().scalar2 = Scalar(*end);
                       out.back().step = step;
                     };
                     add("[6, 5] dim 0, 1:5:2", m.make({6, 5}), 0, 1, 5, 2);
                     add("dim 1, everything", m.make({6, 5}), 1, std::nullopt, std::nullopt, 1);
                     add("negative start -3", m.make({6, 5}), 1, -3, std::nullopt, 1);
                     add("end beyond the size is clamped", m.make({6, 5}), 0, 2, 100, 3);
                     add("start after end is empty", m.make({6, 5}), 0, 4, 2, 1);
                     add("transposed input, step 2", m.make({6, 5}, {}, T), 1, 0, std::nullopt, 2);
                     add("step-2 slice input, step 2", m.make({6, 5}, {}, S), 1, 1, std::nullopt, 2);
                     add("size-0 [0, 3]", m.make({0, 3}), 0, 0, 1, 1);
                     return out;
                   },
                   [](const Sample& s) {
                     const std::optional<int64_t> start = s.scalar ? std::optional<int64_t>(s.scalar->to_int64()) : std::nullopt;
                     const std::optional<int64_t> end = s.scalar2 ? std::optional<int64_t>(s.scalar2->to_int64()) : std::nullopt;
                     return one(s.inputs[0].slice(s.dim, start, end, s.step));
                   },
                   [](const Sample& s, const RefTensor& x) {
                     const int64_t size = x.shape[wrap(s.dim, x.dim())];
                     auto clamp_index = [size](int64_t i) { return std::clamp(i < 0 ? i + size : i, int64_t{0}, size); };
                     const int64_t start = s.scalar ? clamp_index(s.scalar->to_int64()) : 0;
                     const int64_t end = s.scalar2 ? clamp_index(s.scalar2->to_int64()) : size;
                     return one(ref_slice(x, s.dim, start, std::max(start, end), s.step));
                   }});
  specs.push_back({"select",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t dim, int64_t index) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dim = dim;
                       out.back().index = index;
                     };
                     add("[3, 4] dim 0 index 1", m.make({3, 4}), 0, 1);
                     add("dim 1 index -1", m.make({3, 4}), 1, -1);
                     add("[2, 3, 4] dim 1 index 2", m.make({2, 3, 4}), 1, 2);
                     add("1-d gives 0-dim", m.make({5}, {}, S), 0, 3);
                     add("transposed input", m.make({3, 4}, {}, T), 1, 2);
                     add("size-0 [2, 0] dim 0", m.make({2, 0}), 0, 1);
                     return out;
                   },
                   [](const Sample& s) { return one(s.inputs[0].select(s.dim, s.index)); },
                   [](const Sample& s, const RefTensor& x) { return one(ref_select(x, s.dim, s.index)); }});

  // as_strided(sizes, strides, offset): Sample::dims, ints, scalar (offset; absent = the input's own offset)
  specs.push_back({"as_strided",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape sizes, Shape strides, std::optional<int64_t> offset) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dims = std::move(sizes);
                       out.back().ints = std::move(strides);
                       if (offset) out.back().scalar = Scalar(*offset);
                     };
                     add("[12] as [3, 3] strides (3, 1) offset 1", m.make({12}), {3, 3}, {3, 1}, 1);
                     add("overlapping windows (1, 1)", m.make({12}), {3, 3}, {1, 1}, 0);
                     add("stride 0 rows", m.make({12}), {2, 4}, {0, 1}, 2);
                     add("offset taken from a strided input", m.make({3, 4}, {}, S), {2, 2}, {9, 2}, std::nullopt);
                     add("0-dim at offset 5", m.make({12}), {}, {}, 5);
                     add("size-0", m.make({12}), {0, 3}, {3, 1}, 0);
                     add("size-0 input", m.make({0, 4}), {0}, {1}, 0);
                     return out;
                   },
                   [](const Sample& s) {
                     const std::optional<int64_t> offset = s.scalar ? std::optional<int64_t>(s.scalar->to_int64()) : std::nullopt;
                     return one(s.inputs[0].as_strided(s.dims, s.ints, offset));
                   },
                   [](const Sample& s, const RefTensor&) {
                     // The whole storage, read through a flat view of it.
                     const Tensor& x = s.inputs[0];
                     const int64_t elements = static_cast<int64_t>(x.storage()->nbytes) / x.element_size();
                     const RefTensor storage = RefTensor::of(Tensor::make_view(x, {elements}, {1}, 0));
                     const int64_t offset = s.scalar ? s.scalar->to_int64() : x.storage_offset();
                     return one(ref_as_strided(storage.values, s.dims, s.ints, offset, x.dtype()));
                   }});

  // contiguous(): x itself when row-major, else a row-major copy; clone(): always a copy
  specs.push_back({"contiguous",
                   [=](InputMaker& m) {
                     return std::vector<Sample>{view_sample("contiguous input (itself)", m.make({2, 3}), true),
                                                view_sample("transposed input (a copy)", m.make({3, 4}, {}, T), false),
                                                view_sample("step-2 slice (a copy)", m.make({2, 5}, {}, S), false),
                                                view_sample("0-dim", m.make({}), true),
                                                view_sample("size-0", m.make({0, 3}), true)};
                   },
                   [](const Sample& s) {
                     Tensor y = s.inputs[0].contiguous();
                     CHECK(y.is_contiguous());
                     return one(y);
                   },
                   [](const Sample&, const RefTensor& x) { return one(x); }});
  specs.push_back({"clone",
                   [=](InputMaker& m) {
                     return std::vector<Sample>{view_sample("contiguous", m.make({2, 3}), false),
                                                view_sample("transposed", m.make({3, 4}, {}, T), false),
                                                view_sample("step-2 slice", m.make({2, 5}, {}, S), false),
                                                view_sample("0-dim", m.make({}), false),
                                                view_sample("size-0 [0, 3]", m.make({0, 3}), false),
                                                view_sample("large [40000]", m.make({40000}), false)};
                   },
                   [](const Sample& s) { return one(s.inputs[0].clone()); },
                   [](const Sample&, const RefTensor& x) { return one(x); }});

  // chunk(chunks, dim): Sample::index, dim; split(size or sizes, dim): Sample::ints (one size = split_size);
  // unbind(dim): Sample::dim
  specs.push_back({"chunk",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t chunks, int64_t dim) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().index = chunks;
                       out.back().dim = dim;
                     };
                     add("[5, 4] in 2 along dim 0", m.make({5, 4}), 2, 0);
                     add("[5, 4] in 3 along dim 1 (gives 2 of 2)", m.make({5, 4}), 3, 1);
                     add("[5] in 6 (gives 5 of 1)", m.make({5}), 6, 0);
                     add("transposed [4, 6] in 3 along -1", m.make({4, 6}, {}, T), 3, -1);
                     return out;
                   },
                   [](const Sample& s) { return s.inputs[0].chunk(s.index, s.dim); },
                   [](const Sample& s, const RefTensor& x) {
                     const int64_t size = x.shape[wrap(s.dim, x.dim())];
                     const int64_t piece = (size + s.index - 1) / s.index;
                     Shape lengths;
                     for (int64_t start = 0; start < size; start += piece) lengths.push_back(std::min(piece, size - start));
                     return pieces(x, s.dim, lengths);
                   }});
  specs.push_back({"split",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, Shape sizes, int64_t dim, bool list) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().ints = std::move(sizes);
                       out.back().dim = dim;
                       out.back().step = list ? 1 : 0;
                     };
                     add("[5, 4] by 2 along dim 0", m.make({5, 4}), {2}, 0, false);
                     add("[5, 4] by 10 (one piece)", m.make({5, 4}), {10}, 0, false);
                     add("sizes (1, 3) along dim 1", m.make({5, 4}), {1, 3}, 1, true);
                     add("sizes (0, 2, 3) along dim 0", m.make({5, 4}, {}, S), {0, 2, 3}, 0, true);
                     add("transposed [4, 6] by 4 along -1", m.make({4, 6}, {}, T), {4}, -1, false);
                     return out;
                   },
                   [](const Sample& s) {
                     return s.step == 1 ? s.inputs[0].split(IntList(s.ints), s.dim) : s.inputs[0].split(s.ints[0], s.dim);
                   },
                   [](const Sample& s, const RefTensor& x) {
                     if (s.step == 1) return pieces(x, s.dim, s.ints);
                     const int64_t size = x.shape[wrap(s.dim, x.dim())];
                     Shape lengths;
                     for (int64_t start = 0; start < size; start += s.ints[0]) lengths.push_back(std::min(s.ints[0], size - start));
                     return pieces(x, s.dim, lengths);
                   }});
  specs.push_back({"unbind",
                   [=](InputMaker& m) {
                     std::vector<Sample> out;
                     auto add = [&](std::string d, Tensor x, int64_t dim) {
                       out.push_back(view_sample(std::move(d), std::move(x), true));
                       out.back().dim = dim;
                     };
                     add("[3, 4] along dim 0", m.make({3, 4}), 0);
                     add("along dim 1", m.make({3, 4}), 1);
                     add("[2, 3, 4] along -1", m.make({2, 3, 4}, {}, S), -1);
                     add("transposed input", m.make({3, 4}, {}, T), 0);
                     add("size-0 dim gives no tensors", m.make({0, 3}), 0);
                     return out;
                   },
                   [](const Sample& s) { return s.inputs[0].unbind(s.dim); },
                   [](const Sample& s, const RefTensor& x) {
                     std::vector<RefTensor> out;
                     for (int64_t i = 0; i < x.shape[wrap(s.dim, x.dim())]; ++i) out.push_back(ref_select(x, s.dim, i));
                     return out;
                   }});
  for (ViewSpec& spec : specs) rows.push_back(view_row(std::move(spec)));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_view_rows);

}  // namespace reel::test
