// reel/samples/common/plot.cpp — learning-curve panels drawn on a Canvas and written as PNG.
#include "plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <reel/reel.h>

#include "image.h"

namespace reel_samples {

namespace {

constexpr int kMinPanelWidth = 420;
constexpr int kHeight = 340;
constexpr int kTitleHeight = 30;
constexpr int kMarginLeft = 62, kMarginRight = 14, kMarginTop = 22, kMarginBottom = 40;

constexpr Rgb kPalette[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14}, {148, 103, 189},
                            {140, 86, 75}};

struct Panel {
  std::string name;
  std::vector<int> columns;
};

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void include(double value) {
    if (!std::isfinite(value)) return;
    low = std::min(low, value);
    high = std::max(high, value);
  }
  bool empty() const { return !(low <= high); }
  // Widens a degenerate range and adds a little room above and below.
  void pad() {
    if (empty()) low = 0, high = 1;
    if (high - low < 1e-12) {
      const double half = std::max(std::fabs(low) * 0.05, 1e-6);
      low -= half;
      high += half;
    }
  }
};

// A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over the range.
double nice_step(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
  return nice * power;
}

std::string tick_label(double value, double step) {
  char text[32];
  if (std::fabs(value) < step * 1e-6) value = 0;
  const double magnitude = std::max(std::fabs(value), step);
  if (magnitude >= 1e5 || magnitude < 1e-3) std::snprintf(text, sizeof text, "%.2g", value);
  else if (step >= 1) std::snprintf(text, sizeof text, "%.0f", value);
  else {
    const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text;
}

void draw_panel(Canvas& canvas, int left, int width, const Panel& panel, const MetricsTable& table) {
  const int x0 = left + kMarginLeft, x1 = left + width - kMarginRight;
  const int y0 = kTitleHeight + kMarginTop, y1 = kHeight - kMarginBottom;
  Range xs, ys;
  for (const auto& row : table.rows) {
    xs.include(row[0]);
    for (int column : panel.columns) ys.include(row[column]);
  }
  xs.pad();
  ys.pad();
  const double y_margin = (ys.high - ys.low) * 0.05;
  ys.low -= y_margin;
  ys.high += y_margin;
  auto to_x = [&](double x) { return x0 + static_cast<int>(std::lround((x - xs.low) / (xs.high - xs.low) * (x1 - x0))); };
  auto to_y = [&](double y) { return y1 - static_cast<int>(std::lround((y - ys.low) / (ys.high - ys.low) * (y1 - y0))); };

  // Grid and tick labels.
  const double x_step = nice_step(xs.high - xs.low, 5), y_step = nice_step(ys.high - ys.low, 5);
  for (double x = std::ceil(xs.low / x_step) * x_step; x <= xs.high + x_step * 1e-9; x += x_step) {
    const int px = to_x(x);
    canvas.line(px, y0, px, y1, kGrey);
    const std::string label = tick_label(x, x_step);
    canvas.text(px - Canvas::text_width(label) / 2, y1 + 6, label, kBlack);
  }
  for (double y = std::ceil(ys.low / y_step) * y_step; y <= ys.high + y_step * 1e-9; y += y_step) {
    const int py = to_y(y);
    canvas.line(x0, py, x1, py, kGrey);
    const std::string label = tick_label(y, y_step);
    canvas.text(x0 - 6 - Canvas::text_width(label), py - 3, label, kBlack);
  }
  // Frame and axis names.
  canvas.line(x0, y0, x1, y0, kBlack);
  canvas.line(x0, y1, x1, y1, kBlack);
  canvas.line(x0, y0, x0, y1, kBlack);
  canvas.line(x1, y0, x1, y1, kBlack);
  const std::string& x_name = table.columns[0];
  canvas.text((x0 + x1 - Canvas::text_width(x_name)) / 2, y1 + 20, x_name, kBlack);
  canvas.text_vertical(left + 4, (y0 + y1 + Canvas::text_width(panel.name)) / 2, panel.name, kBlack);

  // Curves: consecutive finite points joined by 2-pixel lines; a lone point gets a small square.
  for (size_t series = 0; series < panel.columns.size(); ++series) {
    const int column = panel.columns[series];
    const Rgb colour = kPalette[series % std::size(kPalette)];
    bool have_previous = false;
    int previous_x = 0, previous_y = 0;
    for (size_t r = 0; r < table.rows.size(); ++r) {
      const double x = table.rows[r][0], y = table.rows[r][column];
      if (!std::isfinite(x) || !std::isfinite(y)) {
        have_previous = false;
        continue;
      }
      const int px = to_x(x), py = to_y(y);
      if (have_previous) canvas.line(previous_x, previous_y, px, py, colour, 2);
      else canvas.fill_rect(px - 1, py - 1, px + 1, py + 1, colour);
      have_previous = true;
      previous_x = px;
      previous_y = py;
    }
  }
  // Legend: one row above the frame, right-aligned, "── name" per series, clear of the curves.
  int legend_x = x1;
  for (size_t series = panel.columns.size(); series-- > 0;) {
    const std::string& name = table.columns[panel.columns[series]];
    legend_x -= Canvas::text_width(name) + 22;
    const int legend_y = y0 - 13;
    canvas.line(legend_x, legend_y + 3, legend_x + 15, legend_y + 3, kPalette[series % std::size(kPalette)], 2);
    canvas.text(legend_x + 20, legend_y, name, kBlack);
    legend_x -= 12;
  }
}

}  // namespace

void plot_metrics(const MetricsTable& table, const std::string& png_path, const std::string& title) {
  if (table.columns.size() < 2 || table.rows.empty())
    throw reel::Error("plot_metrics: nothing to plot for " + png_path + " (need a header and at least one row)");
  std::vector<Panel> panels = {{"loss", {}}, {"perplexity", {}}, {"accuracy", {}}};
  for (size_t i = 1; i < table.columns.size(); ++i) {
    const std::string& name = table.columns[i];
    if (name.find("loss") != std::string::npos) panels[0].columns.push_back(static_cast<int>(i));
    else if (name.find("ppl") != std::string::npos) panels[1].columns.push_back(static_cast<int>(i));
    else if (name.find("acc") != std::string::npos) panels[2].columns.push_back(static_cast<int>(i));
  }
  std::erase_if(panels, [](const Panel& panel) { return panel.columns.empty(); });
  if (panels.empty())
    throw reel::Error("plot_metrics: no column of " + png_path + "'s table has loss, ppl or acc in its name");

  // Panels share the width; they grow when the title (drawn at twice the font size) needs more room.
  const int count = static_cast<int>(panels.size());
  const int panel_width = std::max(kMinPanelWidth, (Canvas::text_width(title, 2) + 20 + count - 1) / count);
  Canvas canvas(panel_width * count, kHeight, kWhite);
  canvas.text(10, 8, title, kBlack, 2);
  for (int i = 0; i < count; ++i) draw_panel(canvas, i * panel_width, panel_width, panels[i], table);
  write_png(png_path, canvas);
}

void plot_metrics(const std::string& csv_path, const std::string& png_path, const std::string& title) {
  plot_metrics(read_metrics(csv_path), png_path, title);
}

}  // namespace reel_samples
