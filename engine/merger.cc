#include "engine/merger.h"

#include <utility>

namespace forage::engine {

Merger::Merger(Order order, uint64_t pages, EmitFn emit)
    : order_(order), emit_(std::move(emit)), resolved_(pages, 0) {}

Status Merger::Commit(uint64_t page, std::vector<parser::Record>&& records) {
  return Resolve(page, true, &records);
}

Status Merger::Skip(uint64_t page) {
  std::vector<parser::Record> none;
  return Resolve(page, false, &none);
}

Status Merger::Preresolve(uint64_t page) {
  if (resolved_[page]) return OkStatus();
  resolved_[page] = 1;
  return Advance();
}

Status Merger::Resolve(uint64_t page, bool ok, std::vector<parser::Record>* records) {
  if (resolved_[page]) return OkStatus();  // resolved once only
  resolved_[page] = 1;
  if (order_ == Order::kArrival) {
    if (auto st = emit_(page, ok, std::move(*records)); !st) return st;
  } else {
    ready_.emplace(page, std::make_pair(ok, std::move(*records)));
  }
  return Advance();
}

Status Merger::Advance() {
  while (cursor_ < resolved_.size() && resolved_[cursor_]) {
    if (auto it = ready_.find(cursor_); it != ready_.end()) {
      auto st = emit_(cursor_, it->second.first, std::move(it->second.second));
      ready_.erase(it);
      if (!st) return st;
    }
    ++cursor_;
  }
  return OkStatus();
}

}  // namespace forage::engine
