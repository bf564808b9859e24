// reel/nn/embedding.cpp — Embedding and EmbeddingBag: F::embedding's options (max_norm renormalisation in place,
// scale_grad_by_freq through a gradient hook on the looked-up rows), F::embedding_bag as a composite (one lookup,
// then index_add / scatter_reduce into the bags), from_pretrained, and the printed options.
#include "nn/embedding.h"

#include <cmath>
#include <vector>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

std::string embedding_bag_mode_name(const EmbeddingBagMode& mode) {
  return std::visit([](const auto& tag) { return std::string(tag.name); }, mode);
}

namespace functional {

namespace {

// padding_idx wrapped to [0, rows), -1 when absent
int64_t wrap_padding(const char* op, std::optional<int64_t> padding_idx, int64_t rows) {
  if (!padding_idx) return -1;
  const int64_t padding = *padding_idx;
  REEL_CHECK(padding >= -rows && padding < rows, "{}: padding_idx {} is out of range for {} embeddings", op, padding,
             rows);
  return padding < 0 ? padding + rows : padding;
}

// Every index in [0, rows): a clear error before max_norm writes into weight
void check_index_range(const char* op, const Tensor& flat, int64_t rows) {
  if (flat.numel() == 0) return;
  const int64_t low = flat.amin().item<int64_t>(), high = flat.amax().item<int64_t>();
  REEL_CHECK(low >= 0 && high < rows, "{}: index out of range: indices span [{}, {}] but weight has {} rows", op, low,
             high, rows);
}

// ATen's embedding_renorm_: each distinct looked-up row r with ||r||_p > max_norm becomes r max_norm / (||r||_p + 1e-7)
void renorm_rows(const Tensor& weight, const Tensor& flat, double max_norm, double norm_type) {
  if (flat.numel() == 0) return;
  NoGradGuard no_grad;
  const Tensor rows_index = std::get<0>(unique(flat.to(kInt64)));
  const Tensor rows = weight.index_select(0, rows_index);
  const Tensor norms = rows.norm(norm_type, {1}, /*keepdim=*/true);
  const Tensor scale = where(gt(norms, max_norm), max_norm / (norms + 1e-7), ones_like(norms));
  Tensor target = weight;  // a handle: the rows land in the caller's weight
  target.index_copy_(0, rows_index, rows * scale);
}

// The gradient of each looked-up row divided by how often its index occurs in `flat`: a hook on `rows` (n, D)
Tensor scale_by_frequency(const Tensor& rows, const Tensor& flat, int64_t num_rows) {
  if (!rows.requires_grad() || flat.numel() == 0) return rows;
  const Tensor counts = bincount(flat.to(kInt64), Tensor(), num_rows);
  const Tensor inverse = reciprocal(counts.index_select(0, flat.to(kInt64)).to(rows.dtype())).unsqueeze(1);
  rows.register_hook([inverse](const Tensor& grad) { return grad * inverse; });  // rows: this lookup's own result
  return rows;
}

}  // namespace

// y[..., :] = W[index[...], :] after max_norm; gradient rows / count with scale_grad_by_freq
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  input.check_defined("embedding");
  weight.check_defined("embedding");
  REEL_CHECK(weight.dim() == 2, "embedding: weight must be 2-D, got shape {}", shape_str(weight.sizes()));
  const int64_t rows = weight.size(0);
  const int64_t padding = wrap_padding("embedding", options.padding_idx(), rows);
  const Tensor flat = input.reshape({input.numel()});
  if (options.max_norm()) {
    REEL_CHECK(input.dtype() == kInt64 || input.dtype() == kInt32,
               "embedding: index must be an int64 or int32 tensor, got {} (shape {})", dtype_name(input.dtype()),
               shape_str(input.sizes()));
    check_index_range("embedding", flat, rows);
    renorm_rows(weight, flat, *options.max_norm(), options.norm_type());
  }
  Tensor out = reel::embedding(weight, flat, padding, /*scale_grad_by_freq=*/false, options.sparse());
  if (options.scale_grad_by_freq()) out = scale_by_frequency(out, flat, rows);
  DimVector out_shape(input.sizes());
  out_shape.push_back(weight.size(1));
  return out.view(out_shape);
}

// y[b] = sum / mean / max of (psw[i]) W[input[i]] over the non-padding entries i of bag b
Tensor embedding_bag(const Tensor& input, const Tensor& weight, const EmbeddingBagFuncOptions& options) {
  input.check_defined("embedding_bag");
  weight.check_defined("embedding_bag");
  REEL_CHECK(weight.dim() == 2, "embedding_bag: weight must be 2-D, got shape {}", shape_str(weight.sizes()));
  REEL_CHECK(input.dtype() == kInt64 || input.dtype() == kInt32,
             "embedding_bag: input must be an int64 or int32 tensor, got {} (shape {})", dtype_name(input.dtype()),
             shape_str(input.sizes()));
  const std::string mode = embedding_bag_mode_name(options.mode());
  const Tensor& psw = options.per_sample_weights();
  if (psw.defined()) {
    REEL_CHECK(mode == "sum", "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
               "for mode='sum' (got mode='{}')", mode);
    REEL_CHECK(psw.sizes() == input.sizes(), "embedding_bag: per_sample_weights (shape {}) must have the shape of "
               "input ({})", shape_str(psw.sizes()), shape_str(input.sizes()));
  }
  if (mode == "max") {
    REEL_CHECK(!options.scale_grad_by_freq(), "embedding_bag: max mode does not support scale_grad_by_freq");
    REEL_CHECK(!options.sparse(), "embedding_bag: max mode does not support sparse weights");
  }
  // The bag boundaries: starts[b], ends[b] over the flattened input.
  std::vector<int64_t> starts;
  int64_t used = input.numel();
  if (input.dim() == 2) {
    REEL_CHECK(!options.offsets().defined(), "embedding_bag: if input is 2D, then offsets has to be None, as input is "
               "treated is a mini-batch of fixed length sequences (input shape {})", shape_str(input.sizes()));
    for (int64_t b = 0; b < input.size(0); ++b) starts.push_back(b * input.size(1));
  } else {
    REEL_CHECK(input.dim() == 1, "embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension {} "
               "(shape {})", input.dim(), shape_str(input.sizes()));
    const Tensor& offsets = options.offsets();
    REEL_CHECK(offsets.defined(), "embedding_bag: offsets has to be a 1D Tensor but got None (input shape {})",
               shape_str(input.sizes()));
    REEL_CHECK(offsets.dim() == 1, "embedding_bag: offsets has to be a 1D Tensor, got shape {}",
               shape_str(offsets.sizes()));
    const Tensor host = offsets.to(kCPU).to(kInt64).contiguous();
    starts.assign(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
    if (options.include_last_offset()) {
      REEL_CHECK(!starts.empty(), "embedding_bag: include_last_offset needs at least one offset (the end)");
      used = starts.back();
      starts.pop_back();
    }
    REEL_CHECK(starts.empty() || starts.front() == 0, "embedding_bag: offsets[0] has to be 0, i.e., the first sequence "
               "in the mini-batch has to start from position 0. However, got {}", starts.empty() ? 0 : starts.front());
    for (size_t b = 1; b < starts.size(); ++b)
      REEL_CHECK(starts[b] >= starts[b - 1], "embedding_bag: offsets must be non-decreasing, got {} after {}",
                 starts[b], starts[b - 1]);
    REEL_CHECK(used <= input.numel() && (starts.empty() || starts.back() <= input.numel()),
               "embedding_bag: offsets[-1] can not be greater than input's length ({}), but got offsets[-1] of {}",
               input.numel(), options.include_last_offset() ? used : starts.back());
  }
  const auto bags = static_cast<int64_t>(starts.size());
  const int64_t dim = weight.size(1);
  // bag_of[i]: the bag of entry i < used
  std::vector<int64_t> bag_of(static_cast<size_t>(used));
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t end = b + 1 < bags ? starts[static_cast<size_t>(b + 1)] : used;
    for (int64_t i = starts[static_cast<size_t>(b)]; i < end; ++i) bag_of[static_cast<size_t>(i)] = b;
  }
  const Tensor bag_index = tensor(bag_of, kInt64).to(weight.device());
  const Tensor flat = input.reshape({input.numel()}).narrow(0, 0, used);
  const int64_t padding = wrap_padding("embedding_bag", options.padding_idx(), weight.size(0));
  Tensor rows = embedding(flat, weight,
                          EmbeddingFuncOptions()
                              .padding_idx(options.padding_idx())
                              .max_norm(options.max_norm())
                              .norm_type(options.norm_type())
                              .scale_grad_by_freq(options.scale_grad_by_freq())
                              .sparse(options.sparse()));  // (used, D)
  const Tensor keep = padding >= 0 ? ne(flat, padding) : ones({used}, TensorOptions(kBool).device(weight.device()));
  const Tensor keep_values = keep.to(weight.dtype()).unsqueeze(1);
  const Tensor counts = zeros({bags}, TensorOptions(weight.dtype()).device(weight.device()))
                            .index_add(0, bag_index, keep.to(weight.dtype()));
  const Tensor empty_out = zeros({bags, dim}, TensorOptions(weight.dtype()).device(weight.device()));
  if (mode == "max") {
    const Tensor candidates = where(keep.unsqueeze(1), rows, -INFINITY);
    const Tensor maxima = empty_out.scatter_reduce(0, bag_index.unsqueeze(1).expand({used, dim}), candidates, "amax",
                                                   /*include_self=*/false);
    return where(gt(counts, 0.0).unsqueeze(1), maxima, 0.0);
  }
  if (psw.defined()) rows = rows * psw.reshape({psw.numel()}).narrow(0, 0, used).to(weight.dtype()).unsqueeze(1);
  if (padding >= 0) rows = rows * keep_values;
  const Tensor sums = empty_out.index_add(0, bag_index, rows);
  if (mode == "sum") return sums;
  return sums / clamp(counts, 1.0).unsqueeze(1);
}

}  // namespace functional

namespace F = functional;

// ---- Embedding --------------------------------------------------------------------------------------------------

EmbeddingImpl::EmbeddingImpl(int64_t num_embeddings_, int64_t embedding_dim_, std::optional<int64_t> padding_idx_,
                             bool sparse_)
    : EmbeddingImpl(EmbeddingOptions(num_embeddings_, embedding_dim_).padding_idx(padding_idx_).sparse(sparse_)) {}

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& options_)
    : options(options_),
      num_embeddings(options_.num_embeddings()),
      embedding_dim(options_.embedding_dim()),
      padding_idx(options_.padding_idx()),
      sparse(options_.sparse()) {
  REEL_CHECK(num_embeddings >= 0 && embedding_dim >= 0,
             "Embedding: num_embeddings and embedding_dim must be non-negative, got {} and {}", num_embeddings,
             embedding_dim);
  if (padding_idx) {
    REEL_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings,
               "Embedding: padding_idx must be within num_embeddings ({}), got {}", num_embeddings, *padding_idx);
    if (*padding_idx < 0) *padding_idx += num_embeddings;
    options.padding_idx(padding_idx);
  }
  const Tensor& given = options._weight();
  if (given.defined()) {
    REEL_CHECK(given.dim() == 2 && given.size(0) == num_embeddings && given.size(1) == embedding_dim,
               "Embedding: shape of _weight ({}) does not match num_embeddings and embedding_dim ({}, {})",
               shape_str(given.sizes()), num_embeddings, embedding_dim);
    weight = register_parameter("weight", given);
  } else {
    weight = register_parameter("weight", empty({num_embeddings, embedding_dim}));
    reset_parameters();
  }
}

std::shared_ptr<EmbeddingImpl> EmbeddingImpl::from_pretrained(const Tensor& embeddings,
                                                               const EmbeddingFromPretrainedOptions& options) {
  embeddings.check_defined("Embedding::from_pretrained");
  REEL_CHECK(embeddings.dim() == 2, "Embedding::from_pretrained: embeddings parameter is expected to be 2-dimensional, "
             "got shape {}", shape_str(embeddings.sizes()));
  auto module = std::make_shared<EmbeddingImpl>(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                                                    ._weight(embeddings)
                                                    .padding_idx(options.padding_idx())
                                                    .max_norm(options.max_norm())
                                                    .norm_type(options.norm_type())
                                                    .scale_grad_by_freq(options.scale_grad_by_freq())
                                                    .sparse(options.sparse()));
  module->weight.requires_grad_(!options.freeze());
  return module;
}

// W ~ N(0, 1), W[padding_idx] = 0
void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard no_grad;
    weight.select(0, *padding_idx).fill_(0);
  }
}

// y[..., :] = W[index[...], :]
Tensor EmbeddingImpl::forward(const Tensor& input) {
  return F::embedding(input, weight,
                      F::EmbeddingFuncOptions()
                          .padding_idx(padding_idx)
                          .max_norm(options.max_norm())
                          .norm_type(options.norm_type())
                          .scale_grad_by_freq(options.scale_grad_by_freq())
                          .sparse(sparse));
}

// "10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True" (defaults left out)
std::string EmbeddingImpl::extra_repr() const {
  std::string text = fmt::format("{}, {}", num_embeddings, embedding_dim);
  if (padding_idx) text += fmt::format(", padding_idx={}", *padding_idx);
  if (options.max_norm()) text += ", max_norm=" + repr::py_float(*options.max_norm());
  if (options.norm_type() != 2.0) text += ", norm_type=" + repr::py_float(options.norm_type());
  if (options.scale_grad_by_freq()) text += ", scale_grad_by_freq=True";
  if (sparse) text += ", sparse=True";
  return text;
}

// ---- EmbeddingBag -----------------------------------------------------------------------------------------------

EmbeddingBagImpl::EmbeddingBagImpl(const EmbeddingBagOptions& options_) : options(options_) {
  const int64_t rows = options.num_embeddings(), dim = options.embedding_dim();
  REEL_CHECK(rows >= 0 && dim >= 0, "EmbeddingBag: num_embeddings and embedding_dim must be non-negative, got {} and {}",
             rows, dim);
  if (options.padding_idx()) {
    const int64_t padding = *options.padding_idx();
    REEL_CHECK(padding >= -rows && padding < rows, "EmbeddingBag: padding_idx must be within num_embeddings ({}), "
               "got {}", rows, padding);
    options.padding_idx(padding < 0 ? padding + rows : padding);
  }
  const Tensor& given = options._weight();
  if (given.defined()) {
    REEL_CHECK(given.dim() == 2 && given.size(0) == rows && given.size(1) == dim,
               "EmbeddingBag: shape of _weight ({}) does not match num_embeddings and embedding_dim ({}, {})",
               shape_str(given.sizes()), rows, dim);
    weight = register_parameter("weight", given);
  } else {
    weight = register_parameter("weight", empty({rows, dim}));
    reset_parameters();
  }
}

std::shared_ptr<EmbeddingBagImpl> EmbeddingBagImpl::from_pretrained(
    const Tensor& embeddings, const EmbeddingBagFromPretrainedOptions& options) {
  embeddings.check_defined("EmbeddingBag::from_pretrained");
  REEL_CHECK(embeddings.dim() == 2, "EmbeddingBag::from_pretrained: embeddings parameter is expected to be "
             "2-dimensional, got shape {}", shape_str(embeddings.sizes()));
  auto module = std::make_shared<EmbeddingBagImpl>(EmbeddingBagOptions(embeddings.size(0), embeddings.size(1))
                                                       ._weight(embeddings)
                                                       .max_norm(options.max_norm())
                                                       .norm_type(options.norm_type())
                                                       .scale_grad_by_freq(options.scale_grad_by_freq())
                                                       .mode(options.mode())
                                                       .sparse(options.sparse())
                                                       .include_last_offset(options.include_last_offset())
                                                       .padding_idx(options.padding_idx()));
  module->weight.requires_grad_(!options.freeze());
  return module;
}

// W ~ N(0, 1), W[padding_idx] = 0
void EmbeddingBagImpl::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *options.padding_idx()).fill_(0);
  }
}

// y[b] = reduce of the rows of bag b
Tensor EmbeddingBagImpl::forward(const Tensor& input, const Tensor& offsets, const Tensor& per_sample_weights) {
  return F::embedding_bag(input, weight,
                          F::EmbeddingBagFuncOptions()
                              .offsets(offsets)
                              .max_norm(options.max_norm())
                              .norm_type(options.norm_type())
                              .scale_grad_by_freq(options.scale_grad_by_freq())
                              .mode(options.mode())
                              .sparse(options.sparse())
                              .per_sample_weights(per_sample_weights)
                              .include_last_offset(options.include_last_offset())
                              .padding_idx(options.padding_idx()));
}

// "10, 3, mode='sum'" plus the options that differ from PyTorch's defaults, in PyTorch's order
std::string EmbeddingBagImpl::extra_repr() const {
  std::string text = fmt::format("{}, {}", options.num_embeddings(), options.embedding_dim());
  if (options.max_norm()) text += ", max_norm=" + repr::py_float(*options.max_norm());
  if (options.norm_type() != 2.0) text += ", norm_type=" + repr::py_float(options.norm_type());
  if (options.scale_grad_by_freq()) text += ", scale_grad_by_freq=True";
  text += fmt::format(", mode='{}'", embedding_bag_mode_name(options.mode()));
  if (options.padding_idx()) text += fmt::format(", padding_idx={}", *options.padding_idx());
  return text;
}

}  // namespace reel::nn
