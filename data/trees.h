// reel/data/trees.h — labelled constituency trees in PTB bracket notation (the Stanford Sentiment Treebank).
//
//   std::vector<reel::data::Tree> train = reel::data::read_trees("sst/train.txt");   // 8544 trees
//   train[0].label;          // the sentence's sentiment, 0..4
//   train[0].leaves();       // its words
//
// One tree per line: `(label word)` is a leaf, `(label child child ...)` an inner node (SST is strictly
// binary; other counts of children are accepted). Tokens are separated by ASCII spaces only, so a U+00A0
// inside a word stays in the word. Words are unescaped: -LRB- -> (, -RRB- -> ), \/ -> /, \* -> *. Blank lines
// are skipped. A malformed line (unbalanced brackets, a bad or out-of-range label, text after the tree) gives
// a reel::Error with the file name, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reel::data {

struct Tree {
  int64_t label = 0;
  std::string word;            // leaves only
  std::vector<Tree> children;  // empty for a leaf

  bool is_leaf() const { return children.empty(); }
  int64_t node_count() const;  // this node and all below it
  int64_t leaf_count() const;
  std::vector<std::string> leaves() const;  // the words, left to right
  // The bracket form again, words escaped as in the file: parse_tree(t.str()) == t.
  std::string str() const;
  bool operator==(const Tree& other) const = default;
};

// Trees deeper than this are refused (a hostile file could otherwise exhaust the stack of recursive code).
inline constexpr int64_t kMaxTreeDepth = 1000;

// Parses one tree filling `line` (surrounding spaces allowed). Labels must be integers in [0, num_labels).
// `source` and `line_number` only name the place in errors.
Tree parse_tree(std::string_view line, int64_t num_labels = 5, const std::string& source = "tree",
                int64_t line_number = 1);
// Every tree of a file, one per non-blank line.
std::vector<Tree> read_trees(const std::string& path, int64_t num_labels = 5);

// PTB escapes of words: unescape_word("-LRB-") == "(", unescape_word("1\\/2") == "1/2"; escape_word inverts it.
std::string unescape_word(std::string_view token);
std::string escape_word(std::string_view word);

}  // namespace reel::data
