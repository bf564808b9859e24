// reel/samples/common/cli.cpp — argument parsing, device and thread setup, data-path checks for the samples.
#include "cli.h"

#include "plot.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <sstream>

#ifndef REEL_SAMPLES_SOURCE_DIR
#define REEL_SAMPLES_SOURCE_DIR "."
#endif

namespace reel_samples {

namespace fs = std::filesystem;

namespace {

std::string format_double(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

int64_t parse_int(const std::string& option, const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end)
    throw reel::Error(option + " expects a whole number, got '" + text + "'");
  return value;
}

double parse_double(const std::string& option, const std::string& text) {
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw reel::Error(option + " expects a number, got '" + text + "'");
}

}  // namespace

ArgParser::ArgParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void ArgParser::add(const std::string& name, Target target, const std::string& help, std::string default_text) {
  if (name.rfind("--", 0) != 0) throw reel::Error("ArgParser: option names start with --, got '" + name + "'");
  if (find(name)) throw reel::Error("ArgParser: option " + name + " registered twice");
  entries_.push_back({name, help, std::move(default_text), target});
}

void ArgParser::option(const std::string& name, int64_t& target, const std::string& help) {
  add(name, &target, help, std::to_string(target));
}
void ArgParser::option(const std::string& name, double& target, const std::string& help) {
  add(name, &target, help, format_double(target));
}
void ArgParser::option(const std::string& name, std::string& target, const std::string& help) {
  add(name, &target, help, target.empty() ? "" : target);
}
void ArgParser::flag(const std::string& name, bool& target, const std::string& help) {
  add(name, &target, help, target ? "on" : "off");
}

void ArgParser::add_common(CommonOptions& options, bool with_data) {
  option("--device", options.device, "where to train: cpu, cuda or cuda:N");
  option("--epochs", options.epochs, "passes over the training data");
  option("--seed", options.seed, "random seed (initialisation, shuffling, sampling)");
  if (with_data) option("--data", options.data, "data folder or file (default: see below)");
  option("--threads", options.threads, "CPU threads; 0 = all cores");
  option("--steps", options.steps,
         "stop after this many training steps (smoke test; exit status 1 unless the loss fell); 0 = no limit");
  option("--out", options.out, "folder for the metrics CSV, the model (.safetensors) and the plot (.png)");
  flag("--plot", options.plot, "write the PNG plot of the metrics (--no-plot: skip it)");
}

const ArgParser::Entry* ArgParser::find(const std::string& name) const {
  for (const Entry& entry : entries_)
    if (entry.name == name) return &entry;
  return nullptr;
}

bool ArgParser::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(help_text().c_str(), stdout);
      return false;
    }
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const Entry* entry = find(arg);
    if (!entry && arg.rfind("--no-", 0) == 0) {
      const Entry* positive = find("--" + arg.substr(5));
      if (positive && std::holds_alternative<bool*>(positive->target)) {
        if (inline_value) throw reel::Error(arg + " takes no value");
        *std::get<bool*>(positive->target) = false;
        continue;
      }
    }
    if (!entry) throw reel::Error("unknown argument '" + arg + "' (try --help)");
    if (std::holds_alternative<bool*>(entry->target)) {
      if (inline_value) throw reel::Error(arg + " takes no value (use " + arg + " or --no-" + arg.substr(2) + ")");
      *std::get<bool*>(entry->target) = true;
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else {
      if (i + 1 >= argc) throw reel::Error(arg + " needs a value (try --help)");
      value = argv[++i];
    }
    if (auto* integer = std::get_if<int64_t*>(&entry->target)) **integer = parse_int(arg, value);
    else if (auto* number = std::get_if<double*>(&entry->target)) **number = parse_double(arg, value);
    else *std::get<std::string*>(entry->target) = value;
  }
  return true;
}

std::string ArgParser::help_text() const {
  std::ostringstream out;
  out << program_ << ": " << summary_ << "\n\nusage: " << program_ << " [options]\n\noptions:\n";
  size_t width = 0;
  for (const Entry& entry : entries_) {
    const bool is_flag = std::holds_alternative<bool*>(entry.target);
    width = std::max(width, entry.name.size() + (is_flag ? 0 : 6));
  }
  for (const Entry& entry : entries_) {
    const bool is_flag = std::holds_alternative<bool*>(entry.target);
    std::string left = entry.name + (is_flag ? "" : " VALUE");
    out << "  " << left << std::string(width + 2 - left.size(), ' ') << entry.help;
    if (!entry.default_text.empty()) out << " [" << entry.default_text << "]";
    out << "\n";
  }
  out << "  --help" << std::string(width + 2 - 6, ' ') << "print this help and exit\n";
  if (!epilogue_.empty()) out << "\n" << epilogue_ << (epilogue_.back() == '\n' ? "" : "\n");
  return out.str();
}

reel::Device setup(const CommonOptions& options) {
  if (options.threads < 0) throw reel::Error("--threads must be >= 0, got " + std::to_string(options.threads));
  if (options.epochs < 1) throw reel::Error("--epochs must be >= 1, got " + std::to_string(options.epochs));
  if (options.steps < 0) throw reel::Error("--steps must be >= 0, got " + std::to_string(options.steps));
  if (options.threads > 0) reel::set_num_threads(static_cast<int>(options.threads));
  reel::manual_seed(static_cast<uint64_t>(options.seed));

  const reel::Device device(options.device);  // throws on anything but cpu / cuda / cuda:N
  if (device.is_cuda()) {
#ifndef REEL_WITH_CUDA
    throw reel::Error("--device " + options.device +
                      ": this build of reel has no CUDA backend; rebuild with nvcc installed "
                      "(cmake -DREEL_CUDA=ON) or use --device cpu");
#else
    const int count = reel::cuda::device_count();
    if (count == 0)
      throw reel::Error("--device " + options.device + ": no CUDA GPU is visible (check nvidia-smi and "
                        "CUDA_VISIBLE_DEVICES) or use --device cpu");
    if (device.index >= count)
      throw reel::Error("--device " + options.device + ": only " + std::to_string(count) + " GPU(s) visible");
#endif
  }
  std::error_code error;
  fs::create_directories(options.out, error);
  if (error) throw reel::Error("--out " + options.out + ": cannot create the folder (" + error.message() + ")");
  return device;
}

std::string output_path(const CommonOptions& options, const std::string& name) {
  return (fs::path(options.out) / name).string();
}

std::string shared_data_dir() {
  if (const char* from_env = std::getenv("REEL_DATA"); from_env && *from_env) return from_env;
  return (fs::path(REEL_SAMPLES_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal().string();
}

void require_path(const std::string& path, const std::string& what, const std::string& how_to_get) {
  std::error_code error;
  if (fs::exists(path, error)) return;
  throw reel::Error(what + " not found at " + path + "\n  " + how_to_get);
}

void save_outputs(const CommonOptions& options, const std::string& name, const std::string& title,
                  const reel::nn::NamedTensors& state_dict) {
  const std::string model_path = output_path(options, name + ".safetensors");
  reel::serialize::save_safetensors(model_path, state_dict);
  std::printf("model:   %s\n", model_path.c_str());
  const std::string csv_path = output_path(options, name + "_metrics.csv");
  std::printf("metrics: %s\n", csv_path.c_str());
  if (options.plot) {
    const std::string png_path = output_path(options, name + ".png");
    plot_metrics(csv_path, png_path, title);
    std::printf("plot:    %s\n", png_path.c_str());
  }
}

int run_main(const std::string& program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const reel::Error& error) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error.what());
  } catch (const std::exception& error) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error.what());
  }
  return 1;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  const int64_t total = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  return text;
}

}  // namespace reel_samples
