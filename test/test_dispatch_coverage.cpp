// reel/test/test_dispatch_coverage.cpp — every op goes through the one dispatch point.
//
// A counting op observer (tensor/dispatch.h) watches every row of the op test table (test/op_table.h) run on its
// first dtype on the CPU, every sample. The row of each op of tensor/ops.def that is not Composite must produce an
// event under that op's own OpId: a view event for the View family, a kernel event for every other family
// (run_op, tensor/op_call.h, or the elementwise front doors' own dispatch). A Composite row must produce at least
// one event (the ops it is written with). The failure lists every op never seen. Cudnn rows (cuDNN calls, CUDA only)
// are left out: on the CPU their front door refuses before dispatch, which their own row checks.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "tensor/dispatch.h"
#include "test/op_table.h"

namespace reel::test {

namespace {

// Counts the events of one row, by OpId and kind (kernel or view).
struct EventCounter final : OpObserver {
  int kernel_events[kNumOps] = {};
  int view_events[kNumOps] = {};
  int total = 0;

  void before(const OpEvent& event) override {
    ++total;
    int* counts = event.is_view() ? view_events : kernel_events;
    ++counts[static_cast<int>(event.op())];
  }
  void after(const OpEvent&) override {}
};

// Installs an observer for a scope and restores the one it replaced, also when the row throws.
class ObserverScope {
 public:
  explicit ObserverScope(OpObserver* observer) : replaced_(set_op_observer(observer)) {}
  ~ObserverScope() { set_op_observer(replaced_); }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;

 private:
  OpObserver* replaced_;
};

std::string joined(const std::vector<std::string>& names) {
  std::ostringstream os;
  for (size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << names[i];
  return os.str();
}

}  // namespace

TEST_CASE("dispatch coverage: every op of ops.def is seen by the op observer under its own OpId",
          "[dispatch_coverage]") {
  std::vector<bool> seen(kNumOps, false);
  std::vector<std::string> failed_rows, silent_composites;
  for (const OpTestRow& row : op_test_rows()) {
    int index = -1;
    for (int i = 0; i < kNumOps; ++i)
      if (kOpInfos[i].name == row.op) index = i;
    if (index < 0) continue;  // test_coverage.cpp reports rows naming no op
    const OpInfo& info = kOpInfos[index];
    if (info.family == OpFamily::Cudnn) continue;

    std::vector<Sample> samples;
    try {
      samples = row.samples(row.dtypes.front(), Device(kCPU));
    } catch (const std::exception& e) {
      failed_rows.push_back(row.op + " (making samples: " + e.what() + ")");
      continue;
    }
    EventCounter events;
    for (const Sample& sample : samples) {
      try {
        ObserverScope scope(&events);
        row.run(sample);
      } catch (const std::exception& e) {
        failed_rows.push_back(row.op + " (sample '" + sample.description + "': " + e.what() + ")");
      }
    }
    if (info.family == OpFamily::Composite) {
      if (events.total == 0) silent_composites.push_back(row.op);
      continue;
    }
    const int* counts = info.family == OpFamily::View ? events.view_events : events.kernel_events;
    if (counts[index] > 0) seen[static_cast<size_t>(index)] = true;
  }

  std::vector<std::string> never_seen;
  for (int i = 0; i < kNumOps; ++i) {
    const OpInfo& info = kOpInfos[i];
    if (info.family == OpFamily::Composite || info.family == OpFamily::Cudnn || seen[static_cast<size_t>(i)]) continue;
    never_seen.push_back(std::string(info.name) + (info.family == OpFamily::View ? " (view)" : " (kernel)"));
  }
  {
    INFO("rows that threw: " << joined(failed_rows));
    CHECK(failed_rows.empty());
  }
  {
    INFO("Composite rows that produced no event at all: " << joined(silent_composites));
    CHECK(silent_composites.empty());
  }
  INFO("ops never seen by the op observer under their own OpId while their op-table row ran (views as view events, "
       "every other non-Composite op as a kernel event): "
       << joined(never_seen));
  CHECK(never_seen.empty());
}

}  // namespace reel::test
