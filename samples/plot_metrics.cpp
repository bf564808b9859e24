// reel/samples/plot_metrics.cpp — draws any sample's metrics CSV as a PNG of learning curves, after the fact
// (the samples draw their own at the end of a run; this redraws one, e.g. from a run that was stopped early).
//
//   ./plot_metrics char_lstm_metrics.csv char_lstm.png "char_lstm: Tiny Shakespeare"
//
// Columns whose names contain "loss", "ppl" or "acc" are drawn against the first column (samples/common/plot.h).
#include <cstdio>
#include <string>

#include "common/cli.h"
#include "common/plot.h"

int main(int argc, char** argv) {
  return reel_samples::run_main("plot_metrics", [&] {
    const char* usage =
        "plot_metrics: draws a metrics CSV (first column = x axis; loss, ppl and acc columns) as a PNG.\n\n"
        "usage: plot_metrics METRICS.csv OUT.png [TITLE]\n";
    const std::string first = argc > 1 ? argv[1] : "";
    if (first == "--help" || first == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (argc < 3 || argc > 4) {
      std::fputs(usage, stderr);
      return 2;
    }
    const std::string title = argc == 4 ? argv[3] : std::string(argv[1]);
    reel_samples::plot_metrics(std::string(argv[1]), std::string(argv[2]), title);
    std::printf("plot: %s\n", argv[2]);
    return 0;
  });
}
