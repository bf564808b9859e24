// reel/samples/common/progress.h — a live progress bar for training loops, and the smoke-test loss check.
//
//   reel_samples::Progress bar("epoch 1/5", steps_per_epoch, "batch");
//   for (...) { ...; bar.step(1, "loss 0.4312"); }
//   bar.finish("loss 0.3120");
//
// On a terminal the bar redraws one line in place (at most ten times a second):
//   epoch 1/5 [##########..........]  50%  234/469 batch  41.2 batch/s  ETA 0:05  loss 0.4312
// When stdout is a pipe or a file (CI logs, nohup) it prints the same text as plain lines instead, one each
// 10% of the way and at the end, so logs stay readable.
//
// LossTrend keeps the training losses of a run and says whether they fell: the mean of the last quarter of the
// steps against the mean of the first quarter. Samples use it for their --steps smoke tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace reel_samples {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "step");
  // Records `count` more units done; `status` (e.g. "loss 0.43") is shown after the rate and ETA.
  void step(int64_t count = 1, const std::string& status = "");
  // Prints the final line (elapsed time instead of the ETA) and ends it with a newline.
  void finish(const std::string& status = "");
  double elapsed_seconds() const;
  int64_t done() const { return done_; }

 private:
  std::string line(const std::string& status, bool final) const;
  void draw(const std::string& status);

  std::string label_, unit_;
  int64_t total_, done_ = 0;
  bool terminal_;
  bool finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

class LossTrend {
 public:
  void add(double loss) { losses_.push_back(loss); }
  size_t size() const { return losses_.size(); }
  // Mean of the first / last quarter of the recorded losses (at least one value each).
  double first_mean() const;
  double last_mean() const;
  // True when the last quarter's mean is below the first quarter's and every loss is finite.
  bool fell() const;
  // "training loss fell from 2.301 to 1.872 over 40 steps" or "... did NOT fall ...".
  std::string summary() const;

 private:
  std::vector<double> losses_;
};

// One epoch's training losses: every step's loss goes to the run's LossTrend (the smoke test's check) and to a
// running mean for the progress bar and the epoch's metrics row.
class EpochLoss {
 public:
  explicit EpochLoss(LossTrend& trend) : trend_(trend) {}
  void add(double loss) {
    trend_.add(loss);
    sum_ += loss;
    ++count_;
  }
  double mean() const { return count_ > 0 ? sum_ / static_cast<double>(count_) : 0.0; }
  std::string status() const;  // "loss 1.2345", the running mean

 private:
  LossTrend& trend_;
  double sum_ = 0;
  int64_t count_ = 0;
};

struct CommonOptions;
// The end of a --steps smoke run: prints the trend and returns the exit status, 1 when the loss did not fall.
// Returns 0 without printing when this is not a smoke run.
int smoke_exit_status(const CommonOptions& options, const LossTrend& trend);

}  // namespace reel_samples
