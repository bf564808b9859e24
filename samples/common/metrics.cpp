// reel/samples/common/metrics.cpp — MetricsWriter and read_metrics.
#include "metrics.h"

#include <cstdio>
#include <sstream>

#include <reel/reel.h>

namespace reel_samples {

namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

MetricsWriter::MetricsWriter(std::string path, std::vector<std::string> columns)
    : path_(std::move(path)), columns_(std::move(columns)), out_(path_, std::ios::trunc) {
  if (!out_) throw reel::Error("cannot write the metrics file " + path_);
  if (columns_.empty()) throw reel::Error("MetricsWriter: no columns for " + path_);
  for (size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << columns_[i];
  out_ << "\n";
  out_.flush();
}

void MetricsWriter::row(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw reel::Error("MetricsWriter: " + std::to_string(values.size()) + " values for " +
                      std::to_string(columns_.size()) + " columns in " + path_);
  for (size_t i = 0; i < values.size(); ++i) {
    char text[32];
    std::snprintf(text, sizeof text, "%.7g", values[i]);
    out_ << (i ? "," : "") << text;
  }
  out_ << "\n";
  out_.flush();
}

int MetricsTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

MetricsTable read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw reel::Error("cannot read the metrics file " + path);
  MetricsTable table;
  std::string line;
  if (!std::getline(in, line) || line.empty()) throw reel::Error(path + ": no header line");
  table.columns = split_commas(line);
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_commas(line);
    if (fields.size() != table.columns.size())
      throw reel::Error(path + ":" + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                        " fields, the header has " + std::to_string(table.columns.size()));
    std::vector<double> row;
    for (const std::string& field : fields) {
      try {
        size_t used = 0;
        row.push_back(std::stod(field, &used));
        if (used != field.size()) throw std::invalid_argument(field);
      } catch (const std::exception&) {
        throw reel::Error(path + ":" + std::to_string(line_number) + ": '" + field + "' is not a number");
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace reel_samples
