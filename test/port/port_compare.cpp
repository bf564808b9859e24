// reel/test/port/port_compare.cpp — runs a port-check program and compares what it prints with what the same
// source printed when built against LibTorch (test/port/CMakeLists.txt).
//
//   port_compare <expected file> <program> [arguments...]
//
// The expected lines first get the program's own rename (`torch::` -> `reel::`: LibTorch prints C++ names such as
// torch::autograd::CppNode<F> for a custom function's node, which reel prints as reel::autograd::CppNode<F>). The
// outputs must then have the same lines with the same whitespace-separated tokens; a token that reads fully as a
// number is compared as one, equal when |a - b| <= 1e-4 max(|a|, |b|) + 1e-6 (the programs print six significant
// digits, and float32 training steps in another order drift in the last ones); any other token must be equal as
// text. The exit status is 0 on a match; otherwise every differing line is printed, with the program's full
// output, and the status is 1 (2 when the program could not run or failed).
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The mechanical rename applied to LibTorch's output.
std::string renamed(std::string line) {
  const std::string from = "torch::", to = "reel::";
  for (size_t at = line.find(from); at != std::string::npos; at = line.find(from, at + to.size()))
    line.replace(at, from.size(), to);
  return line;
}

std::vector<std::string> split_tokens(const std::string& line) {
  std::vector<std::string> tokens;
  std::istringstream in(line);
  for (std::string token; in >> token;) tokens.push_back(token);
  return tokens;
}

bool parse_number(const std::string& token, double& value) {
  if (token.empty()) return false;
  char* end = nullptr;
  value = std::strtod(token.c_str(), &end);
  return end == token.c_str() + token.size();
}

bool tokens_match(const std::string& expected, const std::string& actual) {
  double a = 0, b = 0;
  if (parse_number(expected, a) && parse_number(actual, b)) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::fabs(a - b) <= 1e-4 * std::fmax(std::fabs(a), std::fabs(b)) + 1e-6;
  }
  return expected == actual;
}

bool lines_match(const std::string& expected, const std::string& actual) {
  std::vector<std::string> e = split_tokens(expected), a = split_tokens(actual);
  if (e.size() != a.size()) return false;
  for (size_t i = 0; i < e.size(); ++i)
    if (!tokens_match(e[i], a[i])) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: port_compare <expected file> <program> [arguments...]\n";
    return 2;
  }
  std::ifstream expected_file(argv[1]);
  if (!expected_file) {
    std::cerr << "port_compare: cannot read the expected output " << argv[1] << "\n";
    return 2;
  }
  std::stringstream expected_text;
  expected_text << expected_file.rdbuf();

  std::string command = std::string("'") + argv[2] + "'";
  for (int i = 3; i < argc; ++i) command += std::string(" '") + argv[i] + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    std::cerr << "port_compare: cannot run " << command << "\n";
    return 2;
  }
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    std::cerr << "port_compare: " << argv[2] << " failed (status " << WEXITSTATUS(status) << "); its output:\n"
              << output;
    return 2;
  }

  std::vector<std::string> expected = split_lines(expected_text.str()), actual = split_lines(output);
  int differences = 0;
  for (size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
    const std::string e = i < expected.size() ? renamed(expected[i]) : "<no line>";
    const std::string a = i < actual.size() ? actual[i] : "<no line>";
    if (i < expected.size() && i < actual.size() && lines_match(e, a)) continue;
    std::cerr << "line " << i + 1 << ":\n  LibTorch: " << e << "\n  reel:     " << a << "\n";
    ++differences;
  }
  if (differences > 0) {
    std::cerr << differences << " line(s) differ from " << argv[1] << "; reel's full output:\n" << output;
    return 1;
  }
  std::cout << "port_compare: " << actual.size() << " lines match " << argv[1] << "\n";
  return 0;
}
