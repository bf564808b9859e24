// reel/tensor/profiler.cpp — the per-op profiler: an OpObserver that keeps a stack of the ops in flight (so a
// kernel that runs ops itself gets self and total times) and sums calls and times per (op, input shapes).
#include "tensor/profiler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

#include "tensor/error_format.h"
#include "tensor/shape.h"
#include "tensor/tensor.h"

namespace reel::profiler {

struct Profile::Figures {
  using Clock = std::chrono::steady_clock;
  struct Open {
    Clock::time_point start;
    double child_us = 0;  // time of the ops nested inside this one
  };
  std::vector<Open> stack;
  std::map<std::pair<std::string, std::string>, OpStats> stats;  // (name, shapes) -> figures
};

namespace {

std::string shapes_of(const OpEvent& event) {
  std::string out = "[";
  for (int i = 0; i < event.num_inputs(); ++i) {
    const Tensor& t = event.input(i);
    if (i > 0) out += ", ";
    out += t.defined() ? shape_str(t.sizes()) : "[]";
  }
  return out + "]";
}

// "12.345us", "1.234ms" or "2.345s", as PyTorch's table prints times.
std::string time_str(double us) {
  if (us >= 1e6) return fmt::format("{:.3f}s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.3f}ms", us / 1e3);
  return fmt::format("{:.3f}us", us);
}

double sort_key(const OpStats& s, const std::string& sort_by) {
  if (sort_by == "self_cpu_time_total") return s.self_cpu_us;
  if (sort_by == "cpu_time_total") return s.cpu_total_us;
  if (sort_by == "cpu_time_avg") return s.cpu_avg_us();
  if (sort_by == "count") return static_cast<double>(s.calls);
  REEL_CHECK(false, "profiler: unknown sort key '{}' (use self_cpu_time_total, cpu_time_total, cpu_time_avg or "
             "count)", sort_by);
  return 0;
}

}  // namespace

Profile::Profile(bool record_shapes)
    : record_shapes_(record_shapes), outer_(set_op_observer(this)), figures_(std::make_unique<Figures>()) {}

Profile::~Profile() { stop(); }

void Profile::stop() {
  if (!active_) return;
  active_ = false;
  // Scopes nest like a stack; a Profile stopped out of order leaves the thread's observer as it found it.
  if (current_op_observer() == this) set_op_observer(outer_);
}

void Profile::before(const OpEvent& event) {
  if (outer_ != nullptr) outer_->before(event);
  figures_->stack.push_back({Figures::Clock::now(), 0.0});
}

void Profile::after(const OpEvent& event) {
  const Figures::Clock::time_point end = Figures::Clock::now();
  std::vector<Figures::Open>& stack = figures_->stack;
  if (!stack.empty()) {
    const Figures::Open open = stack.back();
    stack.pop_back();
    const double total = std::chrono::duration<double, std::micro>(end - open.start).count();
    if (!stack.empty()) stack.back().child_us += total;
    OpStats& s = figures_->stats[{std::string(op_name(event.op())), record_shapes_ ? shapes_of(event) : std::string()}];
    ++s.calls;
    s.cpu_total_us += total;
    s.self_cpu_us += total - open.child_us;
  }
  if (outer_ != nullptr) outer_->after(event);
}

std::vector<OpStats> Profile::key_averages(bool group_by_input_shape, const std::string& sort_by) const {
  REEL_CHECK(!group_by_input_shape || record_shapes_,
             "profiler: key_averages(group_by_input_shape=true) needs a Profile made with record_shapes=true");
  std::map<std::pair<std::string, std::string>, OpStats> grouped;
  for (const auto& [key, s] : figures_->stats) {
    OpStats& g = grouped[{key.first, group_by_input_shape ? key.second : std::string()}];
    g.name = key.first;
    g.input_shapes = group_by_input_shape ? key.second : std::string();
    g.calls += s.calls;
    g.self_cpu_us += s.self_cpu_us;
    g.cpu_total_us += s.cpu_total_us;
  }
  sort_key(OpStats{}, sort_by);  // refuses an unknown key even when there are no rows
  std::vector<OpStats> rows;
  for (auto& [key, s] : grouped) rows.push_back(s);
  std::stable_sort(rows.begin(), rows.end(), [&](const OpStats& a, const OpStats& b) {
    return sort_key(a, sort_by) > sort_key(b, sort_by);
  });
  return rows;
}

std::string Profile::table(const std::string& sort_by, int row_limit, bool group_by_input_shape) const {
  const std::vector<OpStats> rows = key_averages(group_by_input_shape, sort_by);
  double self_sum = 0;  // every op's self time once: the profiled time (the percentages' base)
  for (const OpStats& s : rows) self_sum += s.self_cpu_us;
  size_t name_width = 4, shape_width = 12;
  for (const OpStats& s : rows) {
    name_width = std::max(name_width, s.name.size());
    shape_width = std::max(shape_width, s.input_shapes.size());
  }
  auto percent = [](double part, double whole) { return whole > 0 ? fmt::format("{:.2f}%", 100 * part / whole) : "-"; };
  std::string out;
  std::string header = fmt::format("{:<{}}  {:>10}  {:>12}  {:>11}  {:>12}  {:>12}  {:>10}", "Name", name_width,
                                   "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls");
  if (group_by_input_shape) header += fmt::format("  {}", "Input Shapes");
  const std::string rule(header.size(), '-');
  out += rule + "\n" + header + "\n" + rule + "\n";
  int shown = 0;
  for (const OpStats& s : rows) {
    if (row_limit >= 0 && shown++ >= row_limit) break;
    out += fmt::format("{:<{}}  {:>10}  {:>12}  {:>11}  {:>12}  {:>12}  {:>10}", s.name, name_width,
                       percent(s.self_cpu_us, self_sum), time_str(s.self_cpu_us), percent(s.cpu_total_us, self_sum),
                       time_str(s.cpu_total_us), time_str(s.cpu_avg_us()), s.calls);
    if (group_by_input_shape) out += "  " + s.input_shapes;
    out += "\n";
  }
  out += rule + "\n" + fmt::format("Self CPU time total: {}\n", time_str(self_sum));
  return out;
}

}  // namespace reel::profiler
