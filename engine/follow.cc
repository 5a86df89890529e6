#include "engine/follow.h"

#include <utility>

namespace forage::engine {

FollowTree::FollowTree(Plan* plan, PageBook* book, int depth, size_t follow_column)
    : plan_(plan), book_(book), depth_limit_(depth), follow_column_(follow_column) {
  for (uint64_t p = 0; p < plan->size(); ++p) seen_.insert(plan->url(p));
}

// Links come resolved (the follow column has the `url` option); a link is
// normalised by dropping its fragment, then fetched once per job.
void FollowTree::AddFollowUps(uint64_t page, uint64_t root, std::vector<parser::Record>& records,
                              std::vector<uint64_t>* added) {
  for (const parser::Record& r : records) {
    if (follow_column_ >= r.values.size() || !r.values[follow_column_]) continue;
    std::vector<parser::FieldValue> carried(r.values.begin(),
                                            r.values.begin() + static_cast<long>(follow_column_));
    for (const parser::FieldValue& link : parser::ListItems(*r.values[follow_column_])) {
      if (!link) continue;
      std::string url = link->substr(0, link->find('#'));
      auto origin = UrlOrigin(url);  // only http(s) links are followed
      if (!origin || !seen_.insert(url).second) continue;
      uint64_t id = plan_->Add(PageTask{plan_->page_number(page), url, plan_->InternHost(*origin)});
      uint64_t in_book =
          book_->Add(root, static_cast<uint16_t>(book_->depth(page) + 1), carried);
      (void)in_book;  // the same id: plan and book grow together
      added->push_back(id);
      roots_.Found(root);
    }
  }
}

void FollowTree::Finish(uint64_t page, bool ok, std::vector<uint64_t>* added,
                        std::vector<Completed>* completed) {
  const uint64_t root = book_->root(page);
  std::vector<parser::Record> held = book_->TakeHeld(page);
  if (ok && book_->depth(page) < depth_limit_) {
    AddFollowUps(page, root, held, added);
  } else if (ok) {
    const auto& carried = book_->carried(page);
    std::vector<parser::Record> out;
    out.reserve(held.size());
    for (parser::Record& r : held) {
      parser::Record merged;
      merged.values = carried;
      merged.values.insert(merged.values.end(), std::make_move_iterator(r.values.begin()),
                           std::make_move_iterator(r.values.end()));
      out.push_back(std::move(merged));
    }
    roots_.File(root, page, std::move(out));
  }
  if (auto c = roots_.Finished(root, page, ok)) completed->push_back(std::move(*c));
}

}  // namespace forage::engine
