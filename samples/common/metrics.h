// reel/samples/common/metrics.h — the metrics CSV every sample writes, and reading it back for the plot.
//
//   reel_samples::MetricsWriter metrics(path, {"epoch", "train_loss", "test_loss", "test_acc"});
//   metrics.row({1, 0.52, 0.47, 0.83});   // written and flushed at once: a crashed run keeps its rows
//
// The first column is the x axis of the plot (epoch or step). Columns whose name contains "loss" or "ppl" are
// drawn in the left panel, columns containing "acc" in the right one (samples/common/plot.h).
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace reel_samples {

class MetricsWriter {
 public:
  // Creates (truncates) the file and writes the header; throws reel::Error when it cannot be opened.
  MetricsWriter(std::string path, std::vector<std::string> columns);
  // One row, as many values as columns (throws otherwise); values print with up to 7 significant digits.
  void row(const std::vector<double>& values);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

// A numeric CSV: header names and rows of numbers.
struct MetricsTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  // The index of a column, or -1.
  int column(const std::string& name) const;
};

// Reads a CSV written by MetricsWriter (or any header + numbers CSV); throws reel::Error naming the file and
// line on a malformed row.
MetricsTable read_metrics(const std::string& path);

}  // namespace reel_samples
