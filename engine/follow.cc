#include "engine/follow.h"

#include <utility>

namespace forage::engine {

FollowTree::FollowTree(Plan* plan, Dispatcher* dispatcher, int depth, size_t follow_column)
    : plan_(plan),
      dispatcher_(dispatcher),
      depth_limit_(depth),
      follow_column_(follow_column),
      depth_(plan->pages.size(), 0),
      carried_(plan->pages.size()) {
  for (uint32_t i = 0; i < plan->hosts.size(); ++i) host_ids_[plan->hosts[i]] = i;
  for (const auto& p : plan->pages) seen_.insert(p.url);
}

void FollowTree::Hold(uint64_t page, std::vector<parser::Record>&& records) {
  auto& held = held_[page];
  held.insert(held.end(), std::make_move_iterator(records.begin()),
              std::make_move_iterator(records.end()));
}

uint32_t FollowTree::HostId(const std::string& origin) {
  auto [it, inserted] = host_ids_.try_emplace(origin, static_cast<uint32_t>(plan_->hosts.size()));
  if (inserted) plan_->hosts.push_back(origin);
  return it->second;
}

// Links come resolved (the follow column has the `url` option); a link is
// normalised by dropping its fragment, then fetched once per job.
void FollowTree::AddFollowUps(uint64_t page, uint64_t root) {
  auto it = held_.find(page);
  if (it == held_.end()) return;
  for (const parser::Record& r : it->second) {
    if (follow_column_ >= r.values.size() || !r.values[follow_column_]) continue;
    std::vector<parser::FieldValue> carried(r.values.begin(),
                                            r.values.begin() + static_cast<long>(follow_column_));
    for (const parser::FieldValue& link : parser::ListItems(*r.values[follow_column_])) {
      if (!link) continue;
      std::string url = link->substr(0, link->find('#'));
      auto origin = UrlOrigin(url);  // only http(s) links are followed
      if (!origin || !seen_.insert(url).second) continue;
      plan_->pages.push_back(PageTask{plan_->pages[page].page_number, url, HostId(*origin)});
      depth_.push_back(depth_[page] + 1);
      carried_.push_back(carried);
      dispatcher_->AddPage(root);
      ++open_below_[root];
    }
  }
}

void FollowTree::Finish(uint64_t page, bool ok, std::vector<Completed>* completed) {
  const uint64_t root = dispatcher_->root_of(page);
  if (ok && depth_[page] < depth_limit_) {
    AddFollowUps(page, root);
  } else if (ok) {
    auto& out = bucket_[root][page];
    for (parser::Record& r : held_[page]) {
      parser::Record merged;
      merged.values = carried_[page];
      merged.values.insert(merged.values.end(), std::make_move_iterator(r.values.begin()),
                           std::make_move_iterator(r.values.end()));
      out.push_back(std::move(merged));
    }
  }
  held_.erase(page);
  if (page == root) {
    root_finished_ok_[root] = ok;
  } else {
    --open_below_[root];
  }
  auto done = root_finished_ok_.find(root);
  if (done != root_finished_ok_.end() && open_below_[root] == 0) {
    Completed c;
    c.root = root;
    c.ok = done->second;
    for (auto& [p, records] : bucket_[root]) {
      c.records.insert(c.records.end(), std::make_move_iterator(records.begin()),
                       std::make_move_iterator(records.end()));
    }
    bucket_.erase(root);
    open_below_.erase(root);
    root_finished_ok_.erase(done);
    completed->push_back(std::move(c));
  }
}

}  // namespace forage::engine
