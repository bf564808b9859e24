// test/fuzz/fuzz_trees.cpp — libFuzzer target: the fuzzer's bytes as a file of PTB-bracket trees (SST).
//
// Feeds read_trees (line splitting, blank lines) and parse_tree (brackets, labels, words, escapes -LRB- -RRB-
// \/ \*, depth limit kMaxTreeDepth). Seeds: test/fuzz/corpus/fuzz_trees (lines in the Stanford Sentiment
// Treebank's format). The first byte picks the number of labels (1..10), the rest is the file.
// Every tree read must satisfy the documented round trip parse_tree(t.str()) == t, and its counts must agree:
// leaves().size() == leaf_count() <= node_count(), labels within [0, num_labels).
#include <cstdint>
#include <string_view>

#include "fuzz_input.h"
#include "data/trees.h"

namespace {

void check_tree(const reel::data::Tree& tree, int64_t num_labels) {
  REEL_FUZZ_REQUIRE(tree.label >= 0 && tree.label < num_labels, "label %lld out of range",
                    static_cast<long long>(tree.label));
  for (const reel::data::Tree& child : tree.children) check_tree(child, num_labels);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("trees", ".txt");
  if (size == 0) return 0;
  const int64_t num_labels = 1 + data[0] % 10;
  file.write(data + 1, size - 1);
  reel_fuzz::expect_only_reel_errors([&] {
    const std::vector<reel::data::Tree> trees = reel::data::read_trees(file.path(), num_labels);
    for (const reel::data::Tree& tree : trees) {
      check_tree(tree, num_labels);
      const int64_t leaves = static_cast<int64_t>(tree.leaves().size());
      REEL_FUZZ_REQUIRE(leaves == tree.leaf_count() && leaves <= tree.node_count() && leaves >= 1,
                        "%lld leaves, leaf_count %lld, node_count %lld", static_cast<long long>(leaves),
                        static_cast<long long>(tree.leaf_count()), static_cast<long long>(tree.node_count()));
      const std::string text = tree.str();
      REEL_FUZZ_REQUIRE(reel::data::parse_tree(text, num_labels) == tree, "round trip changed '%s'", text.c_str());
    }
  });
  // The same bytes straight into parse_tree, as one (possibly multi-line) string.
  reel_fuzz::expect_only_reel_errors([&] {
    const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);
    const reel::data::Tree tree = reel::data::parse_tree(line, num_labels);
    check_tree(tree, num_labels);
    REEL_FUZZ_REQUIRE(reel::data::parse_tree(tree.str(), num_labels) == tree, "round trip changed a tree");
  });
  return 0;
}
