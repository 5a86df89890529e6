#pragma once
// Discovery: pages the job finds as it goes, for --next (pagination: one
// next link a page) and --crawl (every in-scope <a href>/<area href>).
//
// Like --follow's follow-ups (engine/follow), a page's links are registered
// only when the page is done, so a page whose worker died is fetched again
// without losing or duplicating a link. Every discovered page belongs to the
// root (start URL) it descends from.
//
// --next: a root's records go out, in chain order, once the root and every
// page of its chain are finished, so ordered output and --resume count roots
// (an interrupted chain is fetched again as a whole on --resume).
// --crawl: each page's records go out as the page is finished, on its own
// (the crawl promises no order; the merger writes them in the order the
// pages were found), so --resume works page by page with the pages found
// kept in a journal (engine/crawl_journal).
//
// Each URL is fetched at most once per job, compared in normalised form
// (NormaliseUrl). Master-only, single-threaded.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/page_book.h"
#include "engine/plan.h"
#include "engine/root_records.h"

namespace re2 {
class RE2;
}

namespace forage::engine {

// `url` (absolute) as discovery compares it: lower-case scheme and host,
// default port removed, dot segments resolved, fragment dropped, query kept
// as is (parser::ResolveUrl's serialisation). nullopt for anything but a
// valid http(s) URL (mailto:, javascript:, tel:, ...).
std::optional<std::string> NormaliseUrl(std::string_view url);

enum class Scope { kHost, kDomain, kAny };

// Whether `url` is in `scope` of `start` (both normalised):
//   host    same scheme, host and port;
//   domain  the host is the start's host, or a subdomain of it, with a
//           leading "www." of the start's host left out (start
//           www.example.com: example.com and shop.example.com are in);
//           any scheme and port;
//   any     every http(s) URL.
bool InScope(Scope scope, std::string_view start, std::string_view url);

// A field's selector is `json:PATH` (leading whitespace allowed): a rule on
// JSON pages, such as `--next 'json:$.next'`.
bool IsJsonRule(std::string_view selector);

// Checks --scope, --allow and --deny (RE2) and the --next selector; an error
// names the bad flag.
Status CheckDiscoveryFlags(const Config& config);

// --allow/--deny as a test on absolute URLs (deny wins; with --allow, a URL
// must match one of them; partial matches, as for --crawl), for the pages of
// --sitemap. Null when neither is given. The patterns were checked by
// CheckDiscoveryFlags.
std::function<bool(const std::string& url)> SitemapUrlFilter(const Config& config);

class Discovery {
 public:
  // `plan` and `book` grow with the pages found; `config` was checked by
  // CheckDiscoveryFlags.
  Discovery(Plan* plan, PageBook* book, const Config& config);
  ~Discovery();

  // The page is finished for good (call before the book settles it: its
  // records and links are taken from the book). A page that succeeded
  // registers its links (appended to `added`, to be queued). --next files
  // its records under its root and appends roots that became complete to
  // `completed`; --crawl appends the page itself, with its records.
  void Finish(uint64_t page, bool ok, std::vector<uint64_t>* added,
              std::vector<RootRecords::Completed>* completed);

  // --resume of a crawl: a page an earlier run found (and journaled) is
  // seen again; the caller has added it to the plan and the book.
  void Restore(const std::string& url) {
    seen_.insert(url);
    ++found_;
  }
  // --crawl: every page is its own unit of output and of --resume.
  bool per_page() const { return !next_; }

  uint64_t pages_found() const { return found_; }

 private:
  bool Allowed(const std::string& url) const;
  void AddLinks(uint64_t page, uint64_t root, std::vector<std::string> links,
                std::vector<uint64_t>* added);

  Plan* plan_;
  PageBook* book_;
  bool next_;  // --next: at most one link a page
  Scope scope_;
  int max_depth_;       // -1: none
  uint64_t max_pages_;  // 0: none
  std::vector<std::unique_ptr<re2::RE2>> allow_;
  std::vector<std::unique_ptr<re2::RE2>> deny_;
  std::unordered_map<uint64_t, std::string> start_;  // root -> its normalised URL
  RootRecords roots_;  // pages open below each root, and their records
  std::unordered_set<std::string> seen_;  // normalised: every URL fetched or to fetch
  uint64_t found_ = 0;
};

}  // namespace forage::engine
