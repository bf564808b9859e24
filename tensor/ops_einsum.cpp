// reel/tensor/ops_einsum.cpp — einsum(equation, tensors, path): Einstein summation, PyTorch's semantics.
//
// Subscripts are the letters a-z, A-Z and at most one "..." per operand (broadcast dims, aligned from the right
// across operands). A label repeated within one operand takes that operand's diagonal (a diagonal view). Without
// "->" the output is the "..." dims followed by the labels that appear exactly once, in ASCII order (upper case
// first); with "->" the output lists its labels once each, and labels (or "...") missing from it are summed.
// Labelled dims of size 1 broadcast against the other operands, as PyTorch's do.
//
// How: every operand is brought to one aligned layout — its repeated labels replaced by diagonals, its dims
// permuted into a global label order and size-1 dims inserted for the labels it lacks (views only). Operands are
// then contracted pairwise, each pair with one bmm, left to right or in the order of a given contraction path
// (opt_einsum's: each pair names two positions in the list of operands left, whose product goes to its end):
// dims both sides have and that are still needed become the batch, dims needed later that only one side has become
// that side's rows or columns, dims no longer needed that both sides have become the inner (summed) dim, and a dim
// only one side has and nobody needs later is summed on that side first. A composite of views, sum and bmm, so it differentiates through them.
#include <algorithm>
#include <array>
#include <string>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel {

namespace {

constexpr int kNumLetters = 52;

// 'A'..'Z' -> 0..25, 'a'..'z' -> 26..51 (ASCII order), anything else -> -1.
int letter_index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

char letter_of(int index) { return static_cast<char>(index < 26 ? 'A' + index : 'a' + (index - 26)); }

// One side of the equation's terms: letter indices in order, and where the ellipsis sits among them (if any).
struct Term {
  std::vector<int> letters;
  bool has_ellipsis = false;
  size_t ellipsis_at = 0;  // number of letters before the ellipsis
};

// Parses one term ("ij", "...ij", "i...j"); `what` names it in errors ("operand 0", "the output").
Term parse_term(std::string_view text, std::string_view equation, const std::string& what) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '.') {
      REEL_CHECK(i + 2 < text.size() && text[i + 1] == '.' && text[i + 2] == '.',
                 "einsum(): found '.' for {} that is not part of any ellipsis (equation \"{}\")", what, equation);
      REEL_CHECK(!term.has_ellipsis, "einsum(): found '.' for {} for which an ellipsis was already found (equation "
                 "\"{}\")", what, equation);
      term.has_ellipsis = true;
      term.ellipsis_at = term.letters.size();
      i += 2;
      continue;
    }
    const int index = letter_index(c);
    REEL_CHECK(index >= 0, "einsum(): invalid subscript '{}' given for {} in the equation \"{}\": subscripts must be in "
               "[a-zA-Z]", c, what, equation);
    term.letters.push_back(index);
  }
  return term;
}

std::string shapes_str(const std::vector<Tensor>& tensors) {
  std::string out;
  for (size_t i = 0; i < tensors.size(); ++i) out += (i ? ", " : "") + shape_str(tensors[i].sizes());
  return out;
}

// sum over `dims` (keepdim), in the input's dtype (sum widens integers to int64).
Tensor sum_keep(const Tensor& x, const DimVector& dims) {
  if (dims.empty()) return x;
  Tensor summed = x.sum(dims, true);
  return summed.dtype() == x.dtype() ? summed : summed.to(x.dtype());
}

// Contracts two operands in the aligned layout (same rank, each dim its size or 1). keep[g]: dim g is needed after
// this step (in the output or a later operand). The result is in the aligned layout too.
Tensor contract_pair(Tensor a, Tensor b, const std::vector<bool>& keep) {
  const int64_t rank = a.dim();
  DimVector sum_a_first, sum_b_first;
  for (int64_t g = 0; g < rank; ++g) {
    if (keep[static_cast<size_t>(g)]) continue;
    if (a.size(g) != 1 && b.size(g) == 1) sum_a_first.push_back(g);
    if (b.size(g) != 1 && a.size(g) == 1) sum_b_first.push_back(g);
  }
  a = sum_keep(a, sum_a_first);
  b = sum_keep(b, sum_b_first);
  DimVector batch, rows, inner, columns, rest;
  for (int64_t g = 0; g < rank; ++g) {
    const bool in_a = a.size(g) != 1, in_b = b.size(g) != 1;
    if (!keep[static_cast<size_t>(g)]) {
      (in_a && in_b ? inner : rest).push_back(g);
    } else if (in_a && in_b) {
      batch.push_back(g);
    } else if (in_b) {
      columns.push_back(g);
    } else {
      rows.push_back(g);  // only a has it, or both have size 1
    }
  }
  auto product = [](const Tensor& t, const DimVector& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= t.size(d);
    return n;
  };
  auto concat = [](std::initializer_list<const DimVector*> lists) {
    DimVector out;
    for (const DimVector* list : lists)
      for (int64_t d : *list) out.push_back(d);
    return out;
  };
  // a's dims outside batch, rows and inner have size 1 in a, as b's outside batch, inner and columns have in b.
  const DimVector order_a = concat({&batch, &rows, &inner, &columns, &rest});
  const DimVector order_b = concat({&batch, &inner, &columns, &rows, &rest});
  const int64_t nb = product(a, batch), nr = product(a, rows), ni = product(a, inner), nc = product(b, columns);
  const Tensor a3 = a.permute(order_a).reshape({nb, nr, ni});
  const Tensor b3 = b.permute(order_b).reshape({nb, ni, nc});
  const DimVector order_out = concat({&batch, &rows, &columns, &inner, &rest});
  DimVector out_sizes, inverse(static_cast<size_t>(rank));
  for (size_t i = 0; i < order_out.size(); ++i) {
    const int64_t g = order_out[i];
    const bool from_b = std::find(columns.begin(), columns.end(), g) != columns.end();
    const bool summed = i >= batch.size() + rows.size() + columns.size();
    out_sizes.push_back(summed ? 1 : (from_b ? b.size(g) : a.size(g)));
    inverse[static_cast<size_t>(g)] = static_cast<int64_t>(i);
  }
  return bmm(a3, b3).reshape(out_sizes).permute(inverse);
}

}  // namespace

// Einstein summation over `tensors` as `equation` says (see the file comment).
Tensor einsum(std::string_view equation, const std::vector<Tensor>& tensors, std::optional<IntList> path) {
  REEL_CHECK(!tensors.empty(), "einsum(): must provide at least one operand (equation \"{}\")", equation);
  for (const Tensor& t : tensors) t.check_defined("einsum");
  const size_t arrow = equation.find("->");
  const std::string_view lhs = equation.substr(0, arrow);
  REEL_CHECK(lhs.find_first_of("->") == std::string_view::npos &&
                 (arrow == std::string_view::npos ||
                  equation.substr(arrow + 2).find_first_of("->") == std::string_view::npos),
             "einsum(): the equation \"{}\" may hold \"->\" only once, and '-' and '>' nowhere else", equation);

  // ---- parse the operands' terms and check them against the operands' ranks --------------------------------
  std::vector<Term> terms;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    const std::string what = "operand " + std::to_string(terms.size());
    terms.push_back(parse_term(lhs.substr(start, comma == std::string_view::npos ? comma : comma - start), equation,
                               what));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  REEL_CHECK(terms.size() == tensors.size(), "einsum(): the equation \"{}\" has {} operand terms but {} tensors were "
             "given (shapes {})", equation, terms.size(), tensors.size(), shapes_str(tensors));
  int64_t ellipsis_rank = 0;
  std::array<int, kNumLetters> counts{};
  for (size_t i = 0; i < terms.size(); ++i) {
    const Term& term = terms[i];
    const auto letters = static_cast<int64_t>(term.letters.size());
    const int64_t rank = tensors[i].dim();
    if (term.has_ellipsis) {
      REEL_CHECK(rank >= letters, "einsum(): the number of subscripts in the equation \"{}\" ({}) is more than the "
                 "number of dimensions ({}) for operand {} of shape {}", equation, letters, rank, i,
                 shape_str(tensors[i].sizes()));
      ellipsis_rank = std::max(ellipsis_rank, rank - letters);
    } else {
      REEL_CHECK(rank == letters, "einsum(): the number of subscripts in the equation \"{}\" ({}) does not match the "
                 "number of dimensions ({}) for operand {} of shape {} and no ellipsis was given", equation, letters,
                 rank, i, shape_str(tensors[i].sizes()));
    }
    for (int letter : term.letters) ++counts[static_cast<size_t>(letter)];
    REEL_CHECK(tensors[i].device() == tensors[0].device(), "einsum(): all operands must be on one device, got {} "
               "(operand 0) and {} (operand {})", tensors[0].device().str(), tensors[i].device().str(), i);
    REEL_CHECK(tensors.size() == 1 || tensors[i].dtype() == tensors[0].dtype(), "einsum(): operands must have the "
               "same dtype, got {} (operand 0) and {} (operand {}) in \"{}\"", dtype_name(tensors[0].dtype()),
               dtype_name(tensors[i].dtype()), i, equation);
  }
  REEL_CHECK(tensors.size() == 1 || tensors[0].dtype() != kBool, "einsum(): dtype bool is not supported for products "
             "(equation \"{}\")", equation);

  // ---- the output term ------------------------------------------------------------------------------------
  Term output;
  if (arrow != std::string_view::npos) {
    output = parse_term(equation.substr(arrow + 2), equation, "the output");
    std::array<bool, kNumLetters> seen{};
    for (int letter : output.letters) {
      REEL_CHECK(counts[static_cast<size_t>(letter)] > 0, "einsum(): output subscript {} does not appear in the "
                 "equation \"{}\" for any input operand", letter_of(letter), equation);
      REEL_CHECK(!seen[static_cast<size_t>(letter)], "einsum(): output subscript {} appears more than once in the "
                 "output of \"{}\"", letter_of(letter), equation);
      seen[static_cast<size_t>(letter)] = true;
    }
  } else {
    output.has_ellipsis = std::any_of(terms.begin(), terms.end(), [](const Term& t) { return t.has_ellipsis; });
    output.ellipsis_at = 0;
    for (int letter = 0; letter < kNumLetters; ++letter)
      if (counts[static_cast<size_t>(letter)] == 1) output.letters.push_back(letter);
  }

  // ---- global dims: the ellipsis dims first, then the used letters in ASCII order -------------------------
  std::array<int64_t, kNumLetters> global_of;
  global_of.fill(-1);
  int64_t rank = ellipsis_rank;
  for (int letter = 0; letter < kNumLetters; ++letter)
    if (counts[static_cast<size_t>(letter)] > 0) global_of[static_cast<size_t>(letter)] = rank++;
  auto term_dims = [&](const Term& term, int64_t ellipsis_dims) {
    DimVector dims;
    for (size_t k = 0; k <= term.letters.size(); ++k) {
      if (term.has_ellipsis && k == term.ellipsis_at)
        for (int64_t e = ellipsis_rank - ellipsis_dims; e < ellipsis_rank; ++e) dims.push_back(e);
      if (k < term.letters.size()) dims.push_back(global_of[static_cast<size_t>(term.letters[k])]);
    }
    return dims;
  };
  auto dim_name = [&](int64_t g) {
    if (g < ellipsis_rank) return std::string("an ellipsis dim");
    const auto letter = std::find(global_of.begin(), global_of.end(), g) - global_of.begin();
    return std::string("subscript ") + letter_of(static_cast<int>(letter));
  };

  // ---- each operand in the aligned layout: diagonals for repeated labels, permuted, size-1 dims added ------
  std::vector<Tensor> aligned;
  std::vector<std::vector<bool>> present;
  DimVector global_sizes(static_cast<size_t>(rank), 1);
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor x = tensors[i];
    DimVector dims = term_dims(terms[i], x.dim() - static_cast<int64_t>(terms[i].letters.size()));
    for (bool again = true; again;) {
      again = false;
      for (size_t p = 0; p < dims.size() && !again; ++p) {
        for (size_t q = p + 1; q < dims.size() && !again; ++q) {
          if (dims[p] != dims[q]) continue;
          const auto dp = static_cast<int64_t>(p), dq = static_cast<int64_t>(q);
          REEL_CHECK(x.size(dp) == x.size(dq), "einsum(): {} is repeated for operand {} but the sizes don't match, {} "
                     "!= {} (equation \"{}\", shape {})", dim_name(dims[p]), i, x.size(dp),
                     x.size(dq), equation, shape_str(tensors[i].sizes()));
          const int64_t g = dims[p];
          x = x.diagonal(0, dp, dq);
          dims.erase(q);
          dims.erase(p);
          dims.push_back(g);
          again = true;
        }
      }
    }
    DimVector order(dims.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);
    std::sort(order.begin(), order.end(), [&](int64_t l, int64_t r) {
      return dims[static_cast<size_t>(l)] < dims[static_cast<size_t>(r)];
    });
    x = x.permute(order);
    std::vector<bool> has(static_cast<size_t>(rank), false);
    for (int64_t g : dims) has[static_cast<size_t>(g)] = true;
    for (int64_t g = 0; g < rank; ++g)
      if (!has[static_cast<size_t>(g)]) x = x.unsqueeze(g);
    for (int64_t g = 0; g < rank; ++g) {
      const int64_t size = x.size(g);
      int64_t& global = global_sizes[static_cast<size_t>(g)];
      REEL_CHECK(size == 1 || global == 1 || size == global, "einsum(): operands do not broadcast in \"{}\": {} has "
                 "size {} in operand {} but size {} in an earlier operand (shapes {})", equation, dim_name(g), size, i,
                 global, shapes_str(tensors));
      if (size != 1) global = size;
    }
    aligned.push_back(x);
    present.push_back(std::move(has));
  }

  // ---- contract: each step takes two operands of the list (the first two, or the path's pair) and keeps the
  // dims the output or another operand still needs ---------------------------------------------------------
  const DimVector out_dims = term_dims(output, ellipsis_rank);
  std::vector<bool> in_output(static_cast<size_t>(rank), false);
  for (int64_t g : out_dims) in_output[static_cast<size_t>(g)] = true;
  const size_t steps = aligned.size() - 1;
  if (path) {
    REEL_CHECK(path->size() == 2 * steps, "einsum(): the contraction path must hold {} positions ({} pairs) for {} "
               "operands, got {} (equation \"{}\")", 2 * steps, steps, aligned.size(), path->size(), equation);
  }
  for (size_t step = 0; step < steps; ++step) {
    int64_t i = 0, j = 1;
    if (path) {
      i = (*path)[2 * step], j = (*path)[2 * step + 1];
      const auto live = static_cast<int64_t>(aligned.size());
      REEL_CHECK(i >= 0 && j >= 0 && i < live && j < live && i != j, "einsum(): contraction path pair {} is ({}, {}), "
                 "but it must name two different operands of the {} left (positions 0 to {}; equation \"{}\")", step,
                 i, j, live, live - 1, equation);
      if (j < i) std::swap(i, j);
    }
    std::vector<bool> keep = in_output;
    for (size_t k = 0; k < aligned.size(); ++k) {
      if (static_cast<int64_t>(k) == i || static_cast<int64_t>(k) == j) continue;
      for (int64_t g = 0; g < rank; ++g) keep[static_cast<size_t>(g)] = keep[static_cast<size_t>(g)] || present[k][static_cast<size_t>(g)];
    }
    Tensor product = contract_pair(aligned[static_cast<size_t>(i)], aligned[static_cast<size_t>(j)], keep);
    std::vector<bool> has(static_cast<size_t>(rank), false);
    for (int64_t g = 0; g < rank; ++g)
      has[static_cast<size_t>(g)] = keep[static_cast<size_t>(g)] && (present[static_cast<size_t>(i)][static_cast<size_t>(g)] ||
                                                                     present[static_cast<size_t>(j)][static_cast<size_t>(g)]);
    for (int64_t k : {j, i}) {  // j > i: erase the later one first
      aligned.erase(aligned.begin() + k);
      present.erase(present.begin() + k);
    }
    // left to right: the running product stays first; a path's product goes to the end, as opt_einsum's
    const size_t at = path ? aligned.size() : 0;
    aligned.insert(aligned.begin() + static_cast<std::ptrdiff_t>(at), std::move(product));
    present.insert(present.begin() + static_cast<std::ptrdiff_t>(at), std::move(has));
  }
  Tensor result = aligned[0];
  DimVector summed;
  for (int64_t g = 0; g < rank; ++g)
    if (!in_output[static_cast<size_t>(g)] && result.size(g) != 1) summed.push_back(g);
  result = sum_keep(result, summed);

  // ---- the output's order; the remaining (size-1) dims dropped --------------------------------------------
  DimVector order = out_dims, out_sizes;
  for (int64_t g : out_dims) out_sizes.push_back(result.size(g));
  for (int64_t g = 0; g < rank; ++g)
    if (!in_output[static_cast<size_t>(g)]) order.push_back(g);
  return result.permute(order).reshape(out_sizes);
}

}  // namespace reel
