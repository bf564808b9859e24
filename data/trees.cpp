// reel/data/trees.cpp — PTB bracket trees: the parser, the escapes, and the Tree helpers.
//
// The parser walks a line once with an explicit stack of open nodes (no recursion, so a hostile line cannot
// overflow the C++ stack; depth is capped at kMaxTreeDepth so that the recursive helpers and the destructor
// are safe too). Pointers on the stack stay valid: a node's children vector only grows while that node is the
// innermost open one, and none of its earlier children are still open then.
#include "trees.h"

#include <charconv>

#include "../tensor/error_format.h"
#include "text.h"

namespace reel::data {

namespace {

class TreeParser {
 public:
  TreeParser(std::string_view line, int64_t num_labels, const std::string& source, int64_t line_number)
      : line_(line), num_labels_(num_labels), source_(source), line_number_(line_number) {}

  Tree parse() {
    skip_spaces();
    if (at_end()) fail("an empty line where a tree was expected");
    if (peek() != '(') fail(fmt::format("a tree must start with '(', found '{}'", peek()));
    Tree root;
    std::vector<Tree*> open;
    open_node(root, open);
    while (!open.empty()) {
      skip_spaces();
      if (at_end()) {
        fail(fmt::format("the line ends with {} bracket{} still open (unbalanced tree)", open.size(),
                         open.size() == 1 ? "" : "s"));
      }
      Tree& node = *open.back();
      if (peek() == ')') {
        if (node.children.empty() && !has_word_.back()) fail("a node with a label but no word or children");
        ++position_;
        open.pop_back();
        has_word_.pop_back();
      } else if (peek() == '(') {
        if (has_word_.back()) fail("a node has both a word and children");
        node.children.emplace_back();
        open_node(node.children.back(), open);
      } else {
        if (has_word_.back()) fail("a leaf has a second word (expected ')')");
        if (!node.children.empty()) fail("a node has both children and a word");
        const std::string_view token = read_token();
        if (!at_end() && peek() == '(') fail("'(' inside a word (brackets in words are written -LRB- and -RRB-)");
        node.word = unescape_word(token);
        has_word_.back() = true;
      }
    }
    skip_spaces();
    if (!at_end()) fail("text after the end of the tree (unbalanced brackets?)");
    return root;
  }

 private:
  void open_node(Tree& node, std::vector<Tree*>& open) {
    if (static_cast<int64_t>(open.size()) >= kMaxTreeDepth) {
      fail(fmt::format("the tree is deeper than {} levels", kMaxTreeDepth));
    }
    ++position_;  // '('
    const size_t label_start = position_;
    const std::string_view label = read_token();
    if (label.empty()) {
      position_ = label_start;
      fail("a '(' without a label");
    }
    int64_t value = -1;
    const auto [end, error] = std::from_chars(label.data(), label.data() + label.size(), value);
    if (error != std::errc() || end != label.data() + label.size() || label[0] == '-' || label[0] == '+') {
      position_ = label_start;
      fail(fmt::format("bad label '{}': labels are integers 0..{}", label, num_labels_ - 1));
    }
    if (value >= num_labels_) {
      position_ = label_start;
      fail(fmt::format("label {} is out of range 0..{}", value, num_labels_ - 1));
    }
    node.label = value;
    open.push_back(&node);
    has_word_.push_back(false);
  }

  // Bytes up to the next space or bracket (a token may hold any other byte, U+00A0 included).
  std::string_view read_token() {
    const size_t start = position_;
    while (!at_end() && peek() != ' ' && peek() != '(' && peek() != ')') ++position_;
    return line_.substr(start, position_ - start);
  }

  void skip_spaces() {
    while (!at_end() && peek() == ' ') ++position_;
  }
  bool at_end() const { return position_ >= line_.size(); }
  char peek() const { return line_[position_]; }

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(fmt::format("read_trees: '{}': line {}, column {}: {}", source_, line_number_, position_ + 1, problem));
  }

  std::string_view line_;
  int64_t num_labels_;
  const std::string& source_;
  int64_t line_number_;
  size_t position_ = 0;
  std::vector<bool> has_word_;  // per open node: its word has been read
};

void append_str(const Tree& tree, std::string& out) {
  out += '(';
  out += std::to_string(tree.label);
  if (tree.is_leaf()) {
    out += ' ';
    out += escape_word(tree.word);
  }
  for (const Tree& child : tree.children) {
    out += ' ';
    append_str(child, out);
  }
  out += ')';
}

void collect_leaves(const Tree& tree, std::vector<std::string>& out) {
  if (tree.is_leaf()) out.push_back(tree.word);
  for (const Tree& child : tree.children) collect_leaves(child, out);
}

}  // namespace

// ---- escapes -------------------------------------------------------------------------------------------------------
std::string unescape_word(std::string_view token) {
  std::string word;
  word.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    const std::string_view rest = token.substr(i);
    if (rest.starts_with("-LRB-")) {
      word += '(', i += 5;
    } else if (rest.starts_with("-RRB-")) {
      word += ')', i += 5;
    } else if (rest.starts_with("\\/") || rest.starts_with("\\*")) {
      word += rest[1], i += 2;
    } else {
      word += rest[0], i += 1;
    }
  }
  return word;
}

std::string escape_word(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (char c : word) {
    switch (c) {
      case '(': out += "-LRB-"; break;
      case ')': out += "-RRB-"; break;
      case '/': out += "\\/"; break;
      case '*': out += "\\*"; break;
      default: out += c;
    }
  }
  return out;
}

// ---- Tree ----------------------------------------------------------------------------------------------------------
int64_t Tree::node_count() const {
  int64_t count = 1;
  for (const Tree& child : children) count += child.node_count();
  return count;
}

int64_t Tree::leaf_count() const {
  if (is_leaf()) return 1;
  int64_t count = 0;
  for (const Tree& child : children) count += child.leaf_count();
  return count;
}

std::vector<std::string> Tree::leaves() const {
  std::vector<std::string> out;
  collect_leaves(*this, out);
  return out;
}

std::string Tree::str() const {
  std::string out;
  append_str(*this, out);
  return out;
}

// ---- reading -------------------------------------------------------------------------------------------------------
Tree parse_tree(std::string_view line, int64_t num_labels, const std::string& source, int64_t line_number) {
  REEL_CHECK(num_labels >= 1, "parse_tree: num_labels must be at least 1, got {}", num_labels);
  return TreeParser(line, num_labels, source, line_number).parse();
}

std::vector<Tree> read_trees(const std::string& path, int64_t num_labels) {
  REEL_CHECK(num_labels >= 1, "read_trees: num_labels must be at least 1, got {}", num_labels);
  const std::string text = read_text_file(path);
  std::vector<Tree> trees;
  size_t start = 0;
  int64_t number = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(' ') != std::string_view::npos) {
      trees.push_back(TreeParser(line, num_labels, path, number).parse());
    }
    start = end + 1;
    ++number;
  }
  return trees;
}

}  // namespace reel::data
