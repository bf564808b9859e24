// reel/test/test_data_readers.cpp — the readers of reel::data: IDX (plain and gzip), Fashion-MNIST, PTB trees,
// character and word text, batchify and BPTT batches.
//
// Small fixtures (test/fixtures/data, written by make_data_fixtures.py there) check values and every error
// path; the real files check the published counts: SST, Tiny Shakespeare and PTB from ../shared/data (its
// README.md gives the numbers), Fashion-MNIST from Debian's dataset-fashion-mnist. A test whose real files are
// missing passes with a WARN naming what it skipped.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using reel::Tensor;
namespace data = reel::data;

std::string fixture(const std::string& name) { return std::string(REEL_SOURCE_DIR) + "/test/fixtures/data/" + name; }
std::string shared_data(const std::string& name) { return std::string(REEL_SOURCE_DIR) + "/../shared/data/" + name; }
bool have(const std::string& path, const char* what) {
  if (std::filesystem::exists(path)) return true;
  WARN("missing " << path << ": " << what << " not checked");
  return false;
}

// make_data_fixtures.py idx_value.
uint8_t idx_value(int64_t i) { return static_cast<uint8_t>((i * 37 + 11) % 256); }

std::vector<int64_t> sizes_of(const Tensor& t) { return std::vector<int64_t>(t.sizes().begin(), t.sizes().end()); }

using Catch::Contains;

}  // namespace

// ---- IDX and gzip ---------------------------------------------------------------------------------------------------
TEST_CASE("read_idx reads uint8 IDX plain and gzip-compressed", "[data][idx]") {
  for (const char* name : {"idx_u8.idx", "idx_u8.idx.gz"}) {
    CAPTURE(name);
    Tensor t = data::read_idx(fixture(name));
    REQUIRE(t.dtype() == reel::kUInt8);
    REQUIRE(sizes_of(t) == std::vector<int64_t>{3, 2, 4});
    const std::vector<int64_t> values = t.to_vector<int64_t>();
    for (int64_t i = 0; i < 24; ++i) REQUIRE(values[static_cast<size_t>(i)] == idx_value(i));
  }
}

TEST_CASE("read_idx reads big-endian int32 and float32", "[data][idx]") {
  Tensor i32 = data::read_idx(fixture("idx_i32.idx"));
  REQUIRE(i32.dtype() == reel::kInt32);
  REQUIRE(sizes_of(i32) == std::vector<int64_t>{2, 3});
  REQUIRE(i32.to_vector<int64_t>() == std::vector<int64_t>{-7, 0, 1, 65536, -2147483648LL, 2147483647});
  Tensor f32 = data::read_idx(fixture("idx_f32.idx"));
  REQUIRE(f32.dtype() == reel::kFloat32);
  REQUIRE(f32.to_vector<float>() == std::vector<float>{0.5f, -1.25f, 3.0e9f, 0.0f});
}

TEST_CASE("read_idx refuses malformed IDX files naming the file", "[data][idx]") {
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_truncated.idx")),
                      Contains("idx_truncated.idx") && Contains("truncated IDX data") && Contains("[3, 2, 4]") &&
                          Contains("need 24 bytes, the file holds 20"));
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_bad_magic.idx")),
                      Contains("idx_bad_magic.idx") && Contains("bad IDX magic number 01 02 08 03"));
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_bad_type.idx")),
                      Contains("idx_bad_type.idx") && Contains("element type 0x0b (short) is not supported"));
  REQUIRE_THROWS_WITH(data::read_idx(fixture("no_such_file.idx")), Contains("no_such_file.idx"));
}

TEST_CASE("read_idx refuses broken gzip members", "[data][idx]") {
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_bad_crc.idx.gz")),
                      Contains("idx_bad_crc.idx.gz") && Contains("gzip CRC-32 mismatch"));
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_bad_deflate.idx.gz")), Contains("idx_bad_deflate.idx.gz"));
  REQUIRE_THROWS_WITH(data::read_idx(fixture("idx_cut.idx.gz")),
                      Contains("idx_cut.idx.gz") && Contains("at least 18 bytes"));
  // A header CRC that does not match: flip a byte of the stored file name in a copy of the good file.
  const std::string copy = (std::filesystem::temp_directory_path() / "reel_data_bad_hcrc.idx.gz").string();
  std::filesystem::copy_file(fixture("idx_u8.idx.gz"), copy, std::filesystem::copy_options::overwrite_existing);
  {
    std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(10);
    file.put('X');
  }
  REQUIRE_THROWS_WITH(data::read_idx(copy), Contains("gzip header CRC mismatch"));
  std::filesystem::remove(copy);
}

TEST_CASE("read_maybe_gzip passes plain files through", "[data][idx]") {
  const std::vector<uint8_t> plain = data::read_maybe_gzip(fixture("idx_u8.idx"));
  const std::vector<uint8_t> unzipped = data::read_maybe_gzip(fixture("idx_u8.idx.gz"));
  REQUIRE(plain.size() == 4 + 3 * 4 + 24);
  REQUIRE(plain == unzipped);
}

// ---- Fashion-MNIST ---------------------------------------------------------------------------------------------------
TEST_CASE("FashionMNIST reads a root of plain and gzip files", "[data][fashion_mnist]") {
  data::FashionMNIST train(fixture("fmnist"), data::FashionMNIST::Mode::kTrain);
  data::datasets::MNIST test(fixture("fmnist"), data::datasets::MNIST::Mode::kTest);
  REQUIRE(train.size().value() == 5);
  REQUIRE(test.size().value() == 3);
  REQUIRE(train.is_train());
  REQUIRE_FALSE(test.is_train());
  REQUIRE(train.targets().to_vector<int64_t>() == std::vector<int64_t>{9, 0, 3, 1, 4});
  REQUIRE(test.targets().to_vector<int64_t>() == std::vector<int64_t>{2, 7, 5});
  data::Example<> item = train.get(2);
  REQUIRE(item.data.dtype() == reel::kFloat32);
  REQUIRE(sizes_of(item.data) == std::vector<int64_t>{1, 28, 28});
  REQUIRE(item.target.dtype() == reel::kInt64);
  REQUIRE(item.target.dim() == 0);
  REQUIRE(item.target.item<int64_t>() == 3);
  const std::vector<float> pixels = item.data.to_vector<float>();
  for (int64_t p : {0, 1, 400, 783}) {
    REQUIRE(pixels[static_cast<size_t>(p)] == static_cast<float>(idx_value(2 * 784 + p)) / 255.0f);
  }
  REQUIRE(data::FashionMNIST::classes().size() == 10);
  REQUIRE(data::FashionMNIST::classes()[9] == "Ankle boot");
  REQUIRE(data::FashionMNIST::exists(fixture("fmnist")));
  REQUIRE_THROWS_WITH(train.get(5), Contains("index 5 is out of range for 5 images"));
}

TEST_CASE("FashionMNIST without its files says how to get them", "[data][fashion_mnist]") {
  REQUIRE_FALSE(data::FashionMNIST::exists(fixture("no_such_dir")));
  REQUIRE_THROWS_WITH(data::FashionMNIST(fixture("no_such_dir")),
                      Contains("train-images-idx3-ubyte") && Contains("apt-get install dataset-fashion-mnist") &&
                          Contains("or pass --data"));
}

TEST_CASE("FashionMNIST from the Debian package has the published sizes", "[data][fashion_mnist]") {
  if (!data::FashionMNIST::exists()) {
    WARN("dataset-fashion-mnist is not installed: the real Fashion-MNIST files are not checked");
    return;
  }
  data::FashionMNIST train;  // default_root(), Mode::kTrain
  data::FashionMNIST test(data::FashionMNIST::default_root(), data::FashionMNIST::Mode::kTest);
  REQUIRE(train.size().value() == 60000);
  REQUIRE(test.size().value() == 10000);
  REQUIRE(train.images().sizes() == reel::IntList({60000, 1, 28, 28}));
  // Balanced classes: 6000 per class in train, 1000 in test.
  Tensor train_counts = reel::zeros({10}, reel::kInt64).index_add(0, train.targets(), reel::ones({60000}, reel::kInt64));
  REQUIRE(train_counts.to_vector<int64_t>() == std::vector<int64_t>(10, 6000));
  REQUIRE(train.targets().narrow(0, 0, 4).to_vector<int64_t>() == std::vector<int64_t>{9, 0, 0, 3});
  REQUIRE(test.targets().narrow(0, 0, 4).to_vector<int64_t>() == std::vector<int64_t>{9, 2, 1, 1});
  // Pixel sums, computed with Python's gzip module: the first image, and the whole train split.
  // images() holds pixels / 255 in float32: times 255 and rounded, they are the bytes again.
  Tensor pixels = train.images().mul(255.0).round().to(reel::kInt64);
  REQUIRE(pixels.select(0, 0).sum().item<int64_t>() == 76247);
  REQUIRE(pixels.sum().item<int64_t>() == 3431114169LL);
}

// ---- trees ----------------------------------------------------------------------------------------------------------
TEST_CASE("read_trees parses labels words and escapes", "[data][trees]") {
  std::vector<data::Tree> trees = data::read_trees(fixture("trees_small.txt"));
  REQUIRE(trees.size() == 3);  // the blank line is skipped
  const data::Tree& first = trees[0];
  REQUIRE(first.label == 3);
  REQUIRE(first.children.size() == 2);
  REQUIRE(first.node_count() == 9);
  REQUIRE(first.leaf_count() == 5);
  REQUIRE(first.leaves() == std::vector<std::string>{"The", "Rock", "is", "great", "."});
  REQUIRE(first.children[1].children[0].children[1].label == 4);
  REQUIRE(first.children[1].children[0].children[1].word == "great");
  // -LRB- -RRB- and \/ unescaped; the no-break space stays inside its token.
  REQUIRE(trees[1].leaves() == std::vector<std::string>{"(", "8\u00a01/2", ")"});
  REQUIRE(trees[2].leaves() == std::vector<std::string>{"*bad*"});
  REQUIRE(trees[2].node_count() == 2);  // a unary root over a leaf
  for (const data::Tree& tree : trees) REQUIRE(data::parse_tree(tree.str()) == tree);
  REQUIRE(trees[1].str() == "(1 (2 -LRB-) (1 (1 8\u00a01\\/2) (2 -RRB-)))");
}

TEST_CASE("read_trees reports malformed lines with file line and column", "[data][trees]") {
  REQUIRE_THROWS_WITH(data::read_trees(fixture("trees_unbalanced.txt")),
                      Contains("trees_unbalanced.txt") && Contains("line 2") &&
                          Contains("1 bracket still open (unbalanced tree)"));
  REQUIRE_THROWS_WITH(data::read_trees(fixture("trees_bad_label.txt")),
                      Contains("trees_bad_label.txt': line 2, column 5: label 7 is out of range 0..4"));
  REQUIRE(data::read_trees(fixture("trees_bad_label.txt"), 8).size() == 2);
  REQUIRE_THROWS_WITH(data::read_trees(fixture("no_such_trees.txt")), Contains("no_such_trees.txt"));
}

TEST_CASE("parse_tree refuses each kind of bad input", "[data][trees]") {
  const auto error_of = [](const std::string& line) {
    try {
      data::parse_tree(line, 5, "t.txt", 4);
    } catch (const reel::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  REQUIRE(error_of("(2 a) (2 b)") == "read_trees: 't.txt': line 4, column 7: text after the end of the tree (unbalanced brackets?)");
  REQUIRE(error_of("(x a)") == "read_trees: 't.txt': line 4, column 2: bad label 'x': labels are integers 0..4");
  REQUIRE(error_of("(-1 a)") == "read_trees: 't.txt': line 4, column 2: bad label '-1': labels are integers 0..4");
  REQUIRE(error_of("(2)") == "read_trees: 't.txt': line 4, column 3: a node with a label but no word or children");
  REQUIRE(error_of("(2 a b)") == "read_trees: 't.txt': line 4, column 6: a leaf has a second word (expected ')')");
  REQUIRE(error_of("(2 a (2 b))") == "read_trees: 't.txt': line 4, column 6: a node has both a word and children");
  REQUIRE(error_of("(2 (2 b) a)") == "read_trees: 't.txt': line 4, column 10: a node has both children and a word");
  REQUIRE(error_of("(2 a(b))").find("'(' inside a word") != std::string::npos);
  REQUIRE(error_of("2 a") == "read_trees: 't.txt': line 4, column 1: a tree must start with '(', found '2'");
  REQUIRE(error_of("( 2 a)") == "read_trees: 't.txt': line 4, column 2: a '(' without a label");
  REQUIRE(error_of("(2 (3 a)") == "read_trees: 't.txt': line 4, column 9: the line ends with 1 bracket still open (unbalanced tree)");
  // Deep nesting is refused before it can exhaust the stack.
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "(1 ";
  REQUIRE(error_of(deep).find("deeper than 1000 levels") != std::string::npos);
  REQUIRE(data::unescape_word("a\\/b-LRB-\\*") == "a/b(*");
  REQUIRE(data::escape_word("a/b(*") == "a\\/b-LRB-\\*");
}

TEST_CASE("SST trees have the README counts", "[data][trees][sst]") {
  struct Split {
    const char* file;
    size_t trees;
    int64_t leaves;
    std::vector<int64_t> root_labels;
  };
  const std::vector<Split> splits = {{"train.txt", 8544, 163563, {1092, 2218, 1624, 2322, 1288}},
                                     {"dev.txt", 1101, 21274, {139, 289, 229, 279, 165}},
                                     {"test.txt", 2210, 42405, {279, 633, 389, 510, 399}}};
  for (const Split& split : splits) {
    const std::string path = shared_data(std::string("sst/") + split.file);
    if (!have(path, "SST counts")) continue;
    CAPTURE(path);
    std::vector<data::Tree> trees = data::read_trees(path);
    REQUIRE(trees.size() == split.trees);
    int64_t leaves = 0;
    std::vector<int64_t> roots(5, 0);
    bool binary = true;
    for (const data::Tree& tree : trees) {
      leaves += tree.leaf_count();
      ++roots[static_cast<size_t>(tree.label)];
      binary = binary && tree.node_count() == 2 * tree.leaf_count() - 1;
    }
    REQUIRE(leaves == split.leaves);
    REQUIRE(roots == split.root_labels);
    REQUIRE(binary);
  }
}

// ---- character text ------------------------------------------------------------------------------------------------
TEST_CASE("CharVocabulary is the sorted distinct code points", "[data][text]") {
  data::CharText text = data::read_char_text(fixture("chars_utf8.txt"));
  // "h\u00e9llo w\u00f6rld\nhello\n": \n space d e h l o r w \u00e9 \u00f6
  REQUIRE(text.vocab.symbols() == std::vector<char32_t>{U'\n', U' ', U'd', U'e', U'h', U'l', U'o', U'r', U'w',
                                                         U'\u00e9', U'\u00f6'});
  REQUIRE(text.ids.numel() == 18);  // 18 code points in 20 bytes
  REQUIRE(text.ids.narrow(0, 0, 3).to_vector<int64_t>() == std::vector<int64_t>{4, 9, 5});
  REQUIRE(text.vocab.decode(text.ids) == "h\u00e9llo w\u00f6rld\nhello\n");
  REQUIRE(text.vocab.id(U'\u00f6') == 10);
  REQUIRE_THROWS_WITH(text.vocab.encode("hex", "q.txt"),
                      Contains("'q.txt': line 1, column 3: 'x' (U+0078) is not in the vocabulary"));
  REQUIRE_THROWS_WITH(text.vocab.decode(std::vector<int64_t>{11}), Contains("id 11 is out of range for 11 symbols"));
}

TEST_CASE("character text with invalid UTF-8 names file line and column", "[data][text]") {
  REQUIRE_THROWS_WITH(data::read_char_text(fixture("chars_bad_utf8.txt")),
                      Contains("chars_bad_utf8.txt': line 2, column 3: invalid UTF-8 byte 0xff"));
  REQUIRE_THROWS_WITH(data::CharVocabulary::build("ok\n\xc3", "cut"), Contains("'cut': line 2, column 1: UTF-8 sequence cut off"));
  REQUIRE_THROWS_WITH(data::CharVocabulary::build("\xc0\xaf", "overlong"), Contains("overlong"));
}

TEST_CASE("Tiny Shakespeare has 65 symbols", "[data][text]") {
  const std::string path = shared_data("tinyshakespeare/input.txt");
  if (!have(path, "Tiny Shakespeare counts")) return;
  data::CharText text = data::read_char_text(path);
  REQUIRE(text.vocab.size() == 65);
  REQUIRE(text.ids.numel() == 1115394);
  REQUIRE(text.vocab.decode(text.ids.narrow(0, 0, 14)) == "First Citizen:");
}

// ---- word text -----------------------------------------------------------------------------------------------------
TEST_CASE("Vocabulary follows word_language_model", "[data][text]") {
  data::Vocabulary vocab = data::Vocabulary::build_from_file(fixture("words_train.txt"));
  // " the cat sat \n\n the dog\tran \n a cat": ids by first appearance, <eos> per line, <unk> appended.
  REQUIRE(vocab.tokens() == std::vector<std::string>{"the", "cat", "sat", "<eos>", "dog", "ran", "a", "<unk>"});
  Tensor train = data::encode_words_file(fixture("words_train.txt"), vocab);
  REQUIRE(train.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 3, 0, 4, 5, 3, 6, 1, 3});
  Tensor valid = data::encode_words_file(fixture("words_valid.txt"), vocab);
  REQUIRE(vocab.decode(valid) == "the <unk> sat <eos>");
  REQUIRE(data::split_words(" a\tb  c\r") == std::vector<std::string_view>{"a", "b", "c"});
  data::Vocabulary bare;
  bare.add("x");
  REQUIRE_THROWS_WITH(bare.id("y"), Contains("'y' is not in the vocabulary and there is no <unk>"));
  REQUIRE_THROWS_WITH(vocab.token(8), Contains("id 8 is out of range for 8 tokens"));
}

TEST_CASE("batchify and bptt_batch match word_language_model", "[data][text]") {
  Tensor ids = reel::arange(26, reel::kInt64);
  Tensor batches = data::batchify(ids, 4);  // 26 -> 24 ids, 6 steps x 4 columns
  REQUIRE(sizes_of(batches) == std::vector<int64_t>{6, 4});
  REQUIRE(batches.select(1, 1).to_vector<int64_t>() == std::vector<int64_t>{6, 7, 8, 9, 10, 11});
  REQUIRE(batches.select(0, 0).to_vector<int64_t>() == std::vector<int64_t>{0, 6, 12, 18});
  auto [input, target] = data::bptt_batch(batches, 0, 2);
  REQUIRE(sizes_of(input) == std::vector<int64_t>{2, 4});
  REQUIRE(target.to_vector<int64_t>() == std::vector<int64_t>{1, 7, 13, 19, 2, 8, 14, 20});
  auto [last_input, last_target] = data::bptt_batch(batches, 4, 35);  // only one step left
  REQUIRE(last_input.size(0) == 1);
  REQUIRE(last_target.to_vector<int64_t>() == std::vector<int64_t>{5, 11, 17, 23});
  REQUIRE_THROWS_WITH(data::bptt_batch(batches, 5, 35), Contains("position 5 is outside [0, 5)"));
  REQUIRE_THROWS_WITH(data::batchify(ids, 30), Contains("26 ids are fewer than one per column of batch_size 30"));
}

TEST_CASE("PTB has the README vocabulary and token counts", "[data][text]") {
  const std::string train_path = shared_data("ptb/ptb.train.txt");
  if (!have(train_path, "PTB counts")) return;
  data::Vocabulary vocab = data::Vocabulary::build_from_file(train_path);
  REQUIRE(vocab.size() == 10000);
  REQUIRE(data::encode_words_file(train_path, vocab).numel() == 929589);
  Tensor valid = data::encode_words_file(shared_data("ptb/ptb.valid.txt"), vocab);
  Tensor test = data::encode_words_file(shared_data("ptb/ptb.test.txt"), vocab);
  REQUIRE(valid.numel() == 73760);
  REQUIRE(test.numel() == 82430);
  // Every line ends with <eos>: the counts of <eos> are the line counts.
  REQUIRE(valid.eq(vocab.eos_id()).sum().item<int64_t>() == 3370);
  REQUIRE(data::batchify(valid, 10).size(0) == 7376);
}
