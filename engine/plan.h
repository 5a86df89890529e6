#pragma once
// The job's plan: every page to fetch, in the order results are stored.
//
// Pages from a `{page}` template keep only their page number; their URL is
// made when it is needed (a lease, a failure's report), so a plan of a
// million template pages holds no million strings. Pages from --urls and the
// follow-ups --follow finds keep their URL. Master-only, single-threaded.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/config.h"

namespace forage::engine {

struct PageTask {
  uint64_t page_number = 0;  // from --pages; the line number with --urls
  std::string url;
  uint32_t host_id = 0;  // index into Plan::hosts
};

class Plan {
 public:
  // Template pages: `numbers` expand `url_template` (whose origin holds no
  // {page}: every page is on host `host_id`).
  void SetTemplate(std::string url_template, uint32_t host_id, std::vector<uint64_t> numbers);
  // A page with its own URL (--urls, follow-ups), after every earlier page.
  uint64_t Add(PageTask task);
  // The id of a "scheme://host:port" origin, added if new.
  uint32_t InternHost(const std::string& origin);

  uint64_t size() const { return numbers_.size() + stored_.size(); }
  PageTask page(uint64_t i) const;
  std::string url(uint64_t i) const;
  uint64_t page_number(uint64_t i) const {
    return i < numbers_.size() ? numbers_[i] : stored_[i - numbers_.size()].page_number;
  }
  uint32_t host_id(uint64_t i) const {
    return i < numbers_.size() ? template_host_ : stored_[i - numbers_.size()].host_id;
  }
  const std::vector<std::string>& hosts() const { return hosts_; }

 private:
  std::string template_;
  uint32_t template_host_ = 0;
  std::vector<uint64_t> numbers_;  // template pages, first
  std::vector<PageTask> stored_;   // then pages with their own URL
  std::vector<std::string> hosts_;  // distinct origins
  std::unordered_map<std::string, uint32_t> host_ids_;
};

// Parses "1-48" or "1-10,15,20-30" into page numbers, in the order given.
// Rejects empty parts, reversed ranges, zero, duplicates and absurd sizes.
Result<std::vector<uint64_t>> ParsePageList(std::string_view spec);

// Checks that `url` is an absolute http(s) URL and returns its origin
// ("http://127.0.0.1:8080"), the key for per-host limits.
Result<std::string> UrlOrigin(std::string_view url);

// Replaces every "{page}" of `tmpl` with `page`.
std::string ExpandTemplate(std::string_view tmpl, uint64_t page);

// Expands --url/--pages or reads --urls; every URL is checked before any work.
Result<Plan> BuildPlan(const Config& config);

}  // namespace forage::engine
