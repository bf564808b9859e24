// reel/samples/common/cli.h — what every sample program shares on its command line.
//
// Each sample declares its own options next to the common ones (--device, --epochs, --seed, --data, --threads,
// --steps, --out, --no-plot) and gets a --help that lists them all with their defaults:
//
//   reel_samples::CommonOptions common;
//   common.epochs = 10;                           // the sample's own defaults, before parsing
//   int64_t hidden = 128;
//   reel_samples::ArgParser args("fashion_mlp", "An MLP on Fashion-MNIST.");
//   args.add_common(common);
//   args.option("--hidden", hidden, "hidden units");
//   if (!args.parse(argc, argv)) return 0;       // --help was printed
//   reel::Device device = reel_samples::setup(common);
//
// `run_main` wraps a sample's body so that a reel::Error (bad argument, missing data file, no GPU) ends the
// program with "<sample>: error: <message>" and exit status 1 instead of an uncaught exception.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include <reel/reel.h>

namespace reel_samples {

// The options every sample has. Fill in the sample's own defaults before parsing.
struct CommonOptions {
  std::string device = "cpu";  // cpu | cuda | cuda:N
  int64_t epochs = 1;
  int64_t seed = 0;
  std::string data;    // the data folder or file; empty: the sample's default location
  int64_t threads = 0;  // CPU threads; 0 leaves the library default (all cores)
  int64_t steps = 0;    // > 0: stop after this many training steps (smoke test), exit 1 unless the loss fell
  std::string out = ".";  // folder for the metrics CSV, the safetensors model and the PNG plot
  bool plot = true;       // write the PNG plot of the metrics
  bool smoke() const { return steps > 0; }
};

class ArgParser {
 public:
  ArgParser(std::string program, std::string summary);

  // Registers an option "--name VALUE" (or "--name=VALUE") that writes into `target`; `target`'s value at
  // registration is the default shown by --help.
  void option(const std::string& name, int64_t& target, const std::string& help);
  void option(const std::string& name, double& target, const std::string& help);
  void option(const std::string& name, std::string& target, const std::string& help);
  // A switch: "--name" sets it, "--no-name" clears it.
  void flag(const std::string& name, bool& target, const std::string& help);
  // The common options; without_data leaves out --data (for samples that generate their data).
  void add_common(CommonOptions& options, bool with_data = true);
  // Lines printed after the option list by --help (examples, where to get the data).
  void epilogue(const std::string& text) { epilogue_ = text; }

  // Parses argv. Returns false when --help (or -h) was given and the help was printed; throws reel::Error for
  // an unknown option, a missing value or a value that does not parse.
  bool parse(int argc, char** argv);
  std::string help_text() const;
  const std::string& program() const { return program_; }

 private:
  using Target = std::variant<int64_t*, double*, std::string*, bool*>;
  struct Entry {
    std::string name, help, default_text;
    Target target;
  };
  void add(const std::string& name, Target target, const std::string& help, std::string default_text);
  const Entry* find(const std::string& name) const;

  std::string program_, summary_, epilogue_;
  std::vector<Entry> entries_;
};

// Applies the common options: thread count, seed, output folder (created), and the device. --device cuda
// throws a reel::Error saying why it cannot be used (a build without CUDA, or no GPU visible).
reel::Device setup(const CommonOptions& options);

// `<out>/<name>`.
std::string output_path(const CommonOptions& options, const std::string& name);

// The folder the repository's test data live in (../shared/data next to the source tree, or $REEL_DATA).
std::string shared_data_dir();

// Throws a reel::Error naming `path`, what it is and how to get it when `path` does not exist.
void require_path(const std::string& path, const std::string& what, const std::string& how_to_get);

// Writes the run's outputs: the state dict as <out>/<name>.safetensors and, unless --no-plot, the plot of
// <out>/<name>_metrics.csv as <out>/<name>.png; prints where they went.
void save_outputs(const CommonOptions& options, const std::string& name, const std::string& title,
                  const reel::nn::NamedTensors& state_dict);

// Runs `body`, turning a reel::Error or std::exception into "<program>: error: ..." on stderr and exit code 1.
int run_main(const std::string& program, const std::function<int()>& body);

// "1:05" or "1:02:03" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace reel_samples
