#include "engine/plan.h"

#include <charconv>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

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

std::string Expand(std::string_view tmpl, uint64_t page) {
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

}  // namespace

Result<std::vector<uint64_t>> ParsePageList(std::string_view spec) {
  std::vector<uint64_t> pages;
  std::unordered_set<uint64_t> seen;
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
    if (hi - *lo + pages.size() >= kMaxPages) {
      return Err(ErrorCode::kInvalidArgument, "page list '{}': more than {} pages", spec,
                 kMaxPages);
    }
    for (uint64_t p = *lo; p <= hi; ++p) {
      if (!seen.insert(p).second) {
        return Err(ErrorCode::kInvalidArgument, "page list '{}': page {} is listed twice", spec,
                   p);
      }
      pages.push_back(p);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
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
  std::unordered_map<std::string, uint32_t> host_ids;
  auto add = [&](uint64_t number, std::string url) -> Status {
    auto origin = UrlOrigin(url);
    if (!origin) return origin.error();
    auto [it, inserted] = host_ids.try_emplace(*origin, static_cast<uint32_t>(plan.hosts.size()));
    if (inserted) plan.hosts.push_back(*origin);
    plan.pages.push_back(PageTask{number, std::move(url), it->second});
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
      if (config.limit_pages > 0 && plan.pages.size() >= config.limit_pages) break;
      if (auto st = add(n, std::string(t)); !st) return st.error();
    }
    if (plan.pages.empty()) {
      return Err(ErrorCode::kInvalidArgument, "urls file '{}' holds no URL", config.urls_file);
    }
    return plan;
  }

  if (config.url_template.find("{page}") == std::string::npos) {
    return Err(ErrorCode::kInvalidArgument, "url '{}' has no {{page}} placeholder",
               config.url_template);
  }
  auto pages = ParsePageList(config.pages);
  if (!pages) return pages.error();
  plan.pages.reserve(pages->size());
  for (uint64_t p : *pages) {
    if (config.limit_pages > 0 && plan.pages.size() >= config.limit_pages) break;
    if (auto st = add(p, Expand(config.url_template, p)); !st) return st.error();
  }
  return plan;
}

}  // namespace forage::engine
