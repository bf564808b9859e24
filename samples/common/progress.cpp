// reel/samples/common/progress.cpp — the progress bar (terminal: redrawn line; pipe: plain lines) and LossTrend.
#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli.h"

namespace reel_samples {

namespace {

constexpr int kBarWidth = 24;
constexpr double kRedrawSeconds = 0.1;

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      terminal_(isatty(STDOUT_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::line(const std::string& status, bool final) const {
  const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  std::string text = label_;
  if (terminal_) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    text += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
  }
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, " %3d%%  %lld/%lld %s  %.1f %s/s", static_cast<int>(fraction * 100),
                static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate, unit_.c_str());
  text += numbers;
  if (final) {
    text += "  took " + format_duration(elapsed);
  } else {
    const double remaining = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1.0;
    text += "  ETA " + format_duration(remaining);
  }
  if (!status.empty()) text += "  " + status;
  return text;
}

void Progress::draw(const std::string& status) {
  if (terminal_) {
    std::printf("\r%s\x1b[K", line(status, false).c_str());
  } else {
    std::printf("%s\n", line(status, false).c_str());
  }
  std::fflush(stdout);
}

void Progress::step(int64_t count, const std::string& status) {
  done_ += count;
  const auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (std::chrono::duration<double>(now - last_draw_).count() >= kRedrawSeconds) {
      last_draw_ = now;
      draw(status);
    }
    return;
  }
  // Plain lines: one per tenth of the way (the last one is finish()'s).
  const int decile = static_cast<int>(10 * done_ / total_);
  if (decile > last_decile_ && done_ < total_) {
    if (last_decile_ >= 0) draw(status);
    last_decile_ = decile;
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (terminal_) std::printf("\r%s\x1b[K\n", line(status, true).c_str());
  else std::printf("%s\n", line(status, true).c_str());
  std::fflush(stdout);
}

double LossTrend::first_mean() const {
  if (losses_.empty()) return NAN;
  const size_t count = std::max<size_t>(1, losses_.size() / 4);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += losses_[i];
  return sum / static_cast<double>(count);
}

double LossTrend::last_mean() const {
  if (losses_.empty()) return NAN;
  const size_t count = std::max<size_t>(1, losses_.size() / 4);
  double sum = 0;
  for (size_t i = losses_.size() - count; i < losses_.size(); ++i) sum += losses_[i];
  return sum / static_cast<double>(count);
}

bool LossTrend::fell() const {
  if (losses_.size() < 2) return false;
  for (double loss : losses_)
    if (!std::isfinite(loss)) return false;
  return last_mean() < first_mean();
}

std::string EpochLoss::status() const {
  char text[48];
  std::snprintf(text, sizeof text, "loss %.4f", mean());
  return text;
}

std::string LossTrend::summary() const {
  char text[160];
  std::snprintf(text, sizeof text, "training loss %s from %.4f (first quarter) to %.4f (last quarter) over %zu steps",
                fell() ? "fell" : "did NOT fall", first_mean(), last_mean(), losses_.size());
  return text;
}

int smoke_exit_status(const CommonOptions& options, const LossTrend& trend) {
  if (!options.smoke()) return 0;
  std::printf("smoke test: %s\n", trend.summary().c_str());
  return trend.fell() ? 0 : 1;
}

}  // namespace reel_samples
