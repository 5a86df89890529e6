#include "engine/plan.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <utility>

#include "parser/url.h"

namespace forage::engine {
namespace {

// A job of more pages than this is a typo, not a crawl.
constexpr uint64_t kMaxPages = 100'000'000;

Result<uint64_t> ParseNumber(std::string_view s, std::string_view spec) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Err(ErrorCode::kInvalidArgument, "page list '{}': '{}' is not a page number", spec, s);
  }
  if (v == 0) return Err(ErrorCode::kInvalidArgument, "page list '{}': pages start at 1", spec);
  return v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ExpandTemplate(std::string_view tmpl, uint64_t page) {
  std::string out;
  std::string num = std::to_string(page);
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 6, "{page}") == 0) {
      out += num;
      i += 6;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

void Plan::SetTemplate(std::string url_template, uint32_t host_id, std::vector<uint64_t> numbers) {
  template_ = std::move(url_template);
  template_host_ = host_id;
  numbers_ = std::move(numbers);
}

uint64_t Plan::Add(PageTask task) {
  stored_.push_back(std::move(task));
  return size() - 1;
}

uint32_t Plan::InternHost(const std::string& origin) {
  auto [it, inserted] = host_ids_.try_emplace(origin, static_cast<uint32_t>(hosts_.size()));
  if (inserted) hosts_.push_back(origin);
  return it->second;
}

std::string Plan::url(uint64_t i) const {
  return i < numbers_.size() ? ExpandTemplate(template_, numbers_[i])
                             : stored_[i - numbers_.size()].url;
}

PageTask Plan::page(uint64_t i) const {
  if (i >= numbers_.size()) return stored_[i - numbers_.size()];
  return PageTask{numbers_[i], ExpandTemplate(template_, numbers_[i]), template_host_};
}

Result<std::vector<uint64_t>> ParsePageList(std::string_view spec) {
  // Ranges first, checked for overlaps by sorting them (no set of every
  // page: a list of a million pages costs its vector only).
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  uint64_t total = 0;
  if (Trim(spec).empty()) return Err(ErrorCode::kInvalidArgument, "page list is empty");
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string_view part = Trim(spec.substr(start, comma - start));
    size_t dash = part.find('-');
    auto lo = ParseNumber(Trim(part.substr(0, dash)), spec);
    if (!lo) return lo.error();
    uint64_t hi = *lo;
    if (dash != std::string_view::npos) {
      auto h = ParseNumber(Trim(part.substr(dash + 1)), spec);
      if (!h) return h.error();
      hi = *h;
    }
    if (hi < *lo) {
      return Err(ErrorCode::kInvalidArgument, "page list '{}': range '{}' runs backwards", spec,
                 part);
    }
    if (hi - *lo + total >= kMaxPages) {
      return Err(ErrorCode::kInvalidArgument, "page list '{}': more than {} pages", spec,
                 kMaxPages);
    }
    total += hi - *lo + 1;
    ranges.emplace_back(*lo, hi);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::vector<std::pair<uint64_t, uint64_t>> sorted = ranges;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].first <= sorted[i - 1].second) {
      return Err(ErrorCode::kInvalidArgument, "page list '{}': page {} is listed twice", spec,
                 sorted[i].first);
    }
  }
  std::vector<uint64_t> pages;
  pages.reserve(total);
  for (auto [lo, hi] : ranges) {
    for (uint64_t p = lo; p <= hi; ++p) pages.push_back(p);
  }
  return pages;
}

Result<std::string> UrlOrigin(std::string_view url) {
  size_t scheme_end = url.find("://");
  std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  std::string lower(scheme);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != "http" && lower != "https") {
    return Err(ErrorCode::kInvalidArgument, "url '{}': only http and https URLs are fetched", url);
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return Err(ErrorCode::kInvalidArgument, "url '{}': no host", url);
  std::string origin = lower + "://";
  for (char c : authority) origin += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

Result<Plan> BuildPlan(const Config& config) {
  Plan plan;
  auto add = [&](uint64_t number, std::string url) -> Status {
    auto origin = UrlOrigin(url);
    if (!origin) return origin.error();
    // A URL no browser would parse (a bad port, an unclosed [IPv6]) is bad
    // input, found before any work rather than failed as a page.
    if (!parser::ResolveUrl("", url)) {
      return Err(ErrorCode::kInvalidArgument, "url '{}': not a valid URL", url);
    }
    plan.Add(PageTask{number, std::move(url), plan.InternHost(*origin)});
    return OkStatus();
  };

  if (!config.urls_file.empty()) {
    std::ifstream in(config.urls_file);
    if (!in) return Err(ErrorCode::kInvalidArgument, "open urls file '{}': cannot read it",
                        config.urls_file);
    std::string line;
    uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      std::string_view t = Trim(line);
      while (!t.empty() && (t.back() == '\r' || t.back() == '\t')) t.remove_suffix(1);
      if (t.empty() || t.front() == '#') continue;
      if (config.limit_pages > 0 && plan.size() >= config.limit_pages) break;
      if (auto st = add(n, std::string(t)); !st) return st.error();
    }
    if (plan.size() == 0) {
      return Err(ErrorCode::kInvalidArgument, "urls file '{}' holds no URL", config.urls_file);
    }
    return plan;
  }

  if (!config.start_urls.empty()) {
    // Start URLs: each fetched once; a URL given twice is one page.
    std::vector<std::string> seen;
    uint64_t n = 0;
    for (const std::string& u : config.start_urls) {
      ++n;
      if (std::find(seen.begin(), seen.end(), u) != seen.end()) continue;
      seen.push_back(u);
      if (config.limit_pages > 0 && plan.size() >= config.limit_pages) break;
      if (config.max_pages > 0 && plan.size() >= config.max_pages) break;
      if (auto st = add(n, u); !st) return st.error();
    }
    return plan;
  }

  if (config.url_template.find("{page}") == std::string::npos) {
    return Err(ErrorCode::kInvalidArgument, "url '{}' has no {{page}} placeholder",
               config.url_template);
  }
  auto pages = ParsePageList(config.pages);
  if (!pages) return pages.error();
  if (config.limit_pages > 0 && pages->size() > config.limit_pages) {
    pages->resize(config.limit_pages);
  }
  // The URL's origin (checked on the first page) is every page's, unless
  // {page} is part of it: then each page keeps its own URL.
  const std::string first = ExpandTemplate(config.url_template, pages->front());
  auto origin = UrlOrigin(first);
  if (!origin) return origin.error();
  if (!parser::ResolveUrl("", first)) {
    return Err(ErrorCode::kInvalidArgument, "url '{}': not a valid URL", first);
  }
  auto template_origin = UrlOrigin(config.url_template);
  if (template_origin && template_origin->find("{page}") == std::string::npos) {
    uint32_t host = plan.InternHost(*origin);
    plan.SetTemplate(config.url_template, host, std::move(*pages));
    return plan;
  }
  for (uint64_t p : *pages) {
    if (auto st = add(p, ExpandTemplate(config.url_template, p)); !st) return st.error();
  }
  return plan;
}

}  // namespace forage::engine
