#pragma once
// The job's plan: every page to fetch, in the order results are stored.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/config.h"

namespace forage::engine {

struct PageTask {
  uint64_t page_number = 0;  // from --pages; the line number with --urls
  std::string url;
  uint32_t host_id = 0;  // index into Plan::hosts
};

struct Plan {
  std::vector<PageTask> pages;
  std::vector<std::string> hosts;  // distinct "scheme://host:port" origins
};

// Parses "1-48" or "1-10,15,20-30" into page numbers, in the order given.
// Rejects empty parts, reversed ranges, zero, duplicates and absurd sizes.
Result<std::vector<uint64_t>> ParsePageList(std::string_view spec);

// Checks that `url` is an absolute http(s) URL and returns its origin
// ("http://127.0.0.1:8080"), the key for per-host limits.
Result<std::string> UrlOrigin(std::string_view url);

// Expands --url/--pages or reads --urls; every URL is checked before any work.
Result<Plan> BuildPlan(const Config& config);

}  // namespace forage::engine
