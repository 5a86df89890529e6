#include "engine/recorder.h"

#include <utility>

namespace forage::engine {

Recorder::Recorder(Sink* sink, std::vector<size_t> key_columns)
    : sink_(sink), key_columns_(std::move(key_columns)) {}

Status Recorder::Store(uint64_t page_id, const PageTask& task, bool ok,
                       const std::vector<parser::Record>& records) {
  for (const auto& r : records) {
    if (!key_columns_.empty() && !seen_keys_.insert(RecordKey(r)).second) {
      ++duplicates_;
      continue;
    }
    if (auto st = sink_->Write(r, task); !st) return st;
    ++items_;
    if (filled_.size() < r.values.size()) filled_.resize(r.values.size());
    for (size_t i = 0; i < r.values.size(); ++i) {
      // An empty list ("[]", the form of `| all` with no match) is empty too.
      const auto& v = r.values[i];
      if (v && !v->empty() && *v != "[]") ++filled_[i];
    }
  }
  unsaved_.push_back(PageMark{page_id, ok});
  return OkStatus();
}

Status Recorder::Checkpoint() {
  if (auto st = sink_->Checkpoint(unsaved_); !st) return st;
  unsaved_.clear();
  return OkStatus();
}

// The values of the --key fields, each length-prefixed so that ("ab", "c")
// and ("a", "bc") differ; a missing value differs from an empty one.
std::string Recorder::RecordKey(const parser::Record& r) const {
  std::string key;
  for (size_t col : key_columns_) {
    const auto& v = col < r.values.size() ? r.values[col] : std::nullopt;
    if (!v) {
      key += '-';
      continue;
    }
    key += std::to_string(v->size());
    key += ':';
    key += *v;
  }
  return key;
}

}  // namespace forage::engine
