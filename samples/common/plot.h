// reel/samples/common/plot.h — turns a metrics CSV into a PNG of learning curves.
//
//   reel_samples::plot_metrics("fashion_mlp_metrics.csv", "fashion_mlp.png", "fashion_mlp: MLP on Fashion-MNIST");
//
// The first column is the x axis. Columns are grouped into panels side by side by their names: "loss" (every
// column whose name contains "loss"), "perplexity" ("ppl") and "accuracy" ("acc"); other columns are not drawn.
// Each panel has its own y range, five or so round-numbered ticks on each axis, grid lines, and a legend with
// one colour per column. Missing values (NaN) leave a gap in the curve.
#pragma once

#include <string>

#include "metrics.h"

namespace reel_samples {

// Draws the table; throws reel::Error when no column belongs to a panel or there are no rows.
void plot_metrics(const MetricsTable& table, const std::string& png_path, const std::string& title);
// Reads the CSV, then as above.
void plot_metrics(const std::string& csv_path, const std::string& png_path, const std::string& title);

}  // namespace reel_samples
