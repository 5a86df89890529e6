#pragma once
// Fakes for the master's roles in unit tests: a sink that records, a worker
// port that records what the Router sends and lets the test play the
// workers, on a clock the test sets. Test-only (linked into engine_tests).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/router.h"
#include "engine/store.h"

namespace forage::engine::testing {

inline std::vector<parser::Record> Recs(std::vector<std::vector<std::string>> rows) {
  std::vector<parser::Record> out;
  for (auto& row : rows) {
    parser::Record r;
    for (auto& v : row) r.values.emplace_back(std::move(v));
    out.push_back(std::move(r));
  }
  return out;
}

// Records every Write (values joined by '|') and every Checkpoint's marks.
// `fail_write_at`: the Nth Write (1-based) fails, as a full disk would.
class FakeSink : public Sink {
 public:
  Status Write(const parser::Record& r, const PageTask& page) override {
    if (++writes_ == fail_write_at) return Err(ErrorCode::kIo, "disk full");
    std::string row;
    for (size_t i = 0; i < r.values.size(); ++i) {
      if (i > 0) row += '|';
      row += r.values[i].value_or("-");
    }
    rows.push_back(row);
    pages.push_back(page.page_number);
    return OkStatus();
  }
  Status Checkpoint(const std::vector<PageMark>& marks) override {
    ++checkpoints;
    for (const auto& m : marks) this->marks.push_back(m);
    return OkStatus();
  }
  Status Finish(bool complete) override {
    finished = complete ? 1 : 0;
    return OkStatus();
  }

  std::vector<std::string> rows;
  std::vector<uint64_t> pages;  // page number of each row
  std::vector<PageMark> marks;
  int checkpoints = 0;
  int finished = -1;
  int fail_write_at = 0;

 private:
  int writes_ = 0;
};

class FakePort : public WorkerPort {
 public:
  double Now() override { return now; }
  void Send(int slot, const worker::Message& msg) override { sent.emplace_back(slot, msg); }
  Result<int64_t> Start(int slot) override {
    started.push_back(slot);
    return static_cast<int64_t>(1000 + started.size());
  }
  void KillAll(bool) override { ++kills; }
  void WakeAt(double at) override { wake = at; }
  bool AllGone() const override { return gone; }
  void Shutdown() override { ++shutdowns; }

  // Page ids leased to `slot` since the last call.
  std::vector<uint64_t> TakeLeases(int slot) {
    std::vector<uint64_t> out;
    for (auto it = sent.begin(); it != sent.end();) {
      auto* lease = std::get_if<worker::LeaseMsg>(&it->second);
      if (it->first == slot && lease != nullptr) {
        for (auto& item : lease->items) out.push_back(item.page_id);
        it = sent.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  int Stops(int slot) const {
    int n = 0;
    for (auto& [s, m] : sent) n += s == slot && std::holds_alternative<worker::StopMsg>(m) ? 1 : 0;
    return n;
  }

  double now = 100;
  std::vector<std::pair<int, worker::Message>> sent;
  std::vector<int> started;
  int kills = 0;
  int shutdowns = 0;
  bool gone = false;
  std::optional<double> wake;
};

}  // namespace forage::engine::testing
