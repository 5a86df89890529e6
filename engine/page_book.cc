#include "engine/page_book.h"

#include <iterator>
#include <utility>

namespace forage::engine {

PageBook::PageBook(uint64_t pages) : entries_(pages) {
  for (uint64_t p = 0; p < pages; ++p) entries_[p].root = p;
}

uint64_t PageBook::Add(uint64_t root, uint16_t depth, std::vector<parser::FieldValue> carried) {
  const uint64_t p = entries_.size();
  Entry e;
  e.root = root;
  e.depth = depth;
  entries_.push_back(e);
  if (!carried.empty()) carried_.emplace(p, std::move(carried));
  return p;
}

const std::vector<parser::FieldValue>& PageBook::carried(uint64_t p) const {
  static const std::vector<parser::FieldValue> kNone;
  auto it = carried_.find(p);
  return it == carried_.end() ? kNone : it->second;
}

void PageBook::Lease(uint64_t p, int slot) {
  Entry& e = entries_[p];
  e.state = PageState::kFetching;
  e.owner = static_cast<int16_t>(slot);
}

void PageBook::MarkFetched(uint64_t p) {
  if (entries_[p].state == PageState::kFetching) entries_[p].state = PageState::kProcessing;
}

void PageBook::Hold(uint64_t p, std::vector<parser::Record>&& records) {
  if (entries_[p].owner < 0) return;
  auto& held = held_[p];
  if (held.empty()) {
    held = std::move(records);
  } else {
    held.insert(held.end(), std::make_move_iterator(records.begin()),
                std::make_move_iterator(records.end()));
  }
}

std::vector<parser::Record> PageBook::TakeHeld(uint64_t p) {
  auto it = held_.find(p);
  if (it == held_.end()) return {};
  std::vector<parser::Record> out = std::move(it->second);
  held_.erase(it);
  return out;
}

void PageBook::HoldLinks(uint64_t p, std::vector<std::string>&& links) {
  if (entries_[p].owner < 0) return;
  auto& held = links_[p];
  held.insert(held.end(), std::make_move_iterator(links.begin()),
              std::make_move_iterator(links.end()));
}

std::vector<std::string> PageBook::TakeLinks(uint64_t p) {
  auto it = links_.find(p);
  if (it == links_.end()) return {};
  std::vector<std::string> out = std::move(it->second);
  links_.erase(it);
  return out;
}

void PageBook::Requeue(uint64_t p, bool waiting) {
  Forget(p);
  Entry& e = entries_[p];
  e.owner = -1;
  e.state = waiting ? PageState::kWaiting : PageState::kPending;
}

void PageBook::Settle(uint64_t p, bool ok) {
  Entry& e = entries_[p];
  if (settled(p)) return;
  Forget(p);
  carried_.erase(p);
  e.owner = -1;
  e.state = ok ? PageState::kDone : PageState::kFailed;
  ++settled_;
}

}  // namespace forage::engine
