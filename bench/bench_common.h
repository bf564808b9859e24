// bench/bench_common.h — what every bench program shares: the command line (--quick, --threads, --device,
// --conv),
// a monotonic clock, repeat statistics, and the one machine-readable output line per figure:
//
//   bench=W1 figure=forward_nograd_ns_per_op value=53.2 unit=ns repeats=20 min=51.0 median=53.2 max=60.1 threads=2
//
// `value` is always the median over the repeats; min and max show how noisy the machine was.
// Memory read by the program itself from /proc/self/status: print_resident_memory (VmRSS now, W8's growth
// figures) and print_peak_memory (VmHWM, figure vmhwm_mib), both in MiB. W8's peak figure for comparisons between
// libraries is measured from outside the same way for every program and library: scripts/bench.sh runs each
// under /usr/bin/time -v and reports its maximum resident set size as figure peak_rss_mib. The LibTorch twins in
// bench/libtorch/ include this file too, so both sides print the same lines.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

struct Options {
  bool quick = false;        // tiny sizes and few repeats: a smoke run for CTest, not a measurement
  int threads = 2;           // the workloads' default (../shared/bench-workloads.md)
  bool threads_given = false;  // --threads was on the command line (programs that sweep 1 and 2 then run only it)
  std::string device = "cpu";  // "cpu" or "cuda" (programs that support a device say so in their usage)
  std::string conv;          // CUDA convolution backend: "cudnn" or "naive" (W4 on CUDA only)
};

inline Options parse_options(int argc, char** argv, const char* usage) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      options.quick = true;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      options.threads = std::atoi(argv[++i]);
      options.threads_given = true;
    } else if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
      options.device = argv[++i];
    } else if (std::strcmp(argv[i], "--conv") == 0 && i + 1 < argc) {
      options.conv = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
      std::exit(2);
    }
  }
  if (options.device != "cpu" && options.device != "cuda") {
    std::fprintf(stderr, "%s: --device must be cpu or cuda, not '%s'\n", argv[0], options.device.c_str());
    std::exit(2);
  }
  if (options.threads < 1) {
    std::fprintf(stderr, "%s: --threads must be at least 1\n", argv[0]);
    std::exit(2);
  }
  return options;
}

inline double now_seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

struct Stats {
  double min = 0, median = 0, max = 0;
  size_t repeats = 0;
};

inline Stats summarize(std::vector<double> samples) {
  Stats stats;
  if (samples.empty()) return stats;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  stats.repeats = n;
  stats.min = samples.front();
  stats.max = samples.back();
  stats.median = n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  return stats;
}

// Prints one figure line. `extra` holds further key=value fields (e.g. "n=1024 threads=1").
inline void print_figure(const char* workload, const char* figure, const char* unit, const Stats& stats,
                         const std::string& extra) {
  std::printf("bench=%s figure=%s value=%.4g unit=%s repeats=%zu min=%.4g median=%.4g max=%.4g %s\n", workload,
              figure, stats.median, unit, stats.repeats, stats.min, stats.median, stats.max, extra.c_str());
  std::fflush(stdout);
}

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), in MiB; -1 where it cannot be read (not Linux).
inline double process_status_mib(const char* field) {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  double mib = -1;
  const size_t field_length = std::strlen(field);
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, field, field_length) == 0 && line[field_length] == ':') {
      mib = std::strtod(line + field_length + 1, nullptr) / 1024.0;  // the kernel writes "VmRSS:   1234 kB"
      break;
    }
  }
  std::fclose(status);
  return mib;
}

// One memory figure: a single sample, so min = median = max.
inline void print_memory_figure(const char* workload, const char* figure, double mib, const std::string& extra) {
  std::printf("bench=%s figure=%s value=%.1f unit=MiB repeats=1 min=%.1f median=%.1f max=%.1f %s\n", workload,
              figure, mib, mib, mib, mib, extra.c_str());
  std::fflush(stdout);
}

// The peak resident memory of the whole run so far as the program reads it (VmHWM); call it last. W8's peak
// figure is /usr/bin/time -v's (scripts/bench.sh), not this one.
inline void print_peak_memory(const char* workload, const std::string& extra) {
  print_memory_figure(workload, "vmhwm_mib", process_status_mib("VmHWM"), extra);
}

// W8: the resident memory now (VmRSS), e.g. every K trees of a long W6 run.
inline void print_resident_memory(const char* workload, const std::string& extra) {
  print_memory_figure(workload, "rss_mib", process_status_mib("VmRSS"), extra);
}

// Where the shared data sets are (sst/, tinyshakespeare/): $REEL_DATA, else ../shared/data next to the
// repository (REEL_BENCH_DATA_DIR, set by bench/CMakeLists.txt), else /work/shared/data.
inline std::string default_data_root() {
  if (const char* from_env = std::getenv("REEL_DATA"); from_env != nullptr && *from_env != 0) return from_env;
#ifdef REEL_BENCH_DATA_DIR
  return REEL_BENCH_DATA_DIR;
#else
  return "/work/shared/data";
#endif
}

// Takes "--name value" out of argv when argv[i] is `name` and a value follows; returns the value or nullptr.
// Programs take their own flags this way first and hand the rest to parse_options.
inline const char* take_value(int& i, int argc, char** argv, const char* name) {
  if (std::strcmp(argv[i], name) != 0 || i + 1 >= argc) return nullptr;
  return argv[++i];
}

// Keeps the compiler from deleting a computation whose result is otherwise unused.
template <typename T>
inline void keep(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

}  // namespace bench
