#include "engine/crawl.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <re2/re2.h>

#include "parser/field_spec.h"
#include "parser/selector.h"
#include "parser/url.h"

namespace forage::engine {
namespace {

Scope ScopeOf(const std::string& text) {
  if (text == "domain") return Scope::kDomain;
  if (text == "any") return Scope::kAny;
  return Scope::kHost;
}

// "http://a.b:81/x" -> "a.b" (the URL is normalised: no userinfo case issues
// matter here, the host is lower-case).
std::string_view HostOf(std::string_view url) {
  size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  std::string_view rest = url.substr(start + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

std::unique_ptr<re2::RE2> Compile(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  return std::make_unique<re2::RE2>(pattern, options);
}

}  // namespace

std::optional<std::string> NormaliseUrl(std::string_view url) {
  std::optional<std::string> resolved = parser::ResolveUrl({}, url);
  if (!resolved) return std::nullopt;
  if (size_t hash = resolved->find('#'); hash != std::string::npos) resolved->resize(hash);
  if (resolved->rfind("http://", 0) != 0 && resolved->rfind("https://", 0) != 0) {
    return std::nullopt;
  }
  if (HostOf(*resolved).empty()) return std::nullopt;
  return resolved;
}

bool InScope(Scope scope, std::string_view start, std::string_view url) {
  switch (scope) {
    case Scope::kAny:
      return true;
    case Scope::kHost: {
      auto a = UrlOrigin(start);
      auto b = UrlOrigin(url);
      return a && b && *a == *b;
    }
    case Scope::kDomain: {
      std::string_view base = HostOf(start);
      if (base.substr(0, 4) == "www.") base.remove_prefix(4);
      std::string_view host = HostOf(url);
      if (host == base) return true;
      return host.size() > base.size() && host.substr(host.size() - base.size()) == base &&
             host[host.size() - base.size() - 1] == '.';
    }
  }
  return false;
}

bool IsJsonRule(std::string_view selector) {
  const size_t start = selector.find_first_not_of(" \t\n\r\f");
  return start != std::string_view::npos && selector.substr(start, 5) == "json:";
}

Status CheckDiscoveryFlags(const Config& config) {
  for (const auto* list : {&config.allow, &config.deny}) {
    for (const std::string& pattern : *list) {
      auto re = Compile(pattern);
      if (!re->ok()) {
        return Err(ErrorCode::kInvalidArgument, "{} '{}': {}",
                   list == &config.allow ? "--allow" : "--deny", pattern, re->error());
      }
    }
  }
  if (config.scope != "host" && config.scope != "domain" && config.scope != "any") {
    return Err(ErrorCode::kInvalidArgument, "--scope '{}': expected host, domain or any",
               config.scope);
  }
  if (!config.next.empty()) {
    auto field = parser::ParseFieldText("next", config.next);
    if (!field) return Err(ErrorCode::kInvalidArgument, "--next '{}': {}", config.next,
                           field.error().message);
    // `json:PATH` on a JSON page (`--next 'json:$.next'`): its value is the link.
    if (IsJsonRule(field->selector)) {
      auto rules = parser::CompileRules(
          "json:$", {parser::FieldSpec{"next", std::string(config.next)}});
      if (!rules) {
        return Err(ErrorCode::kInvalidArgument, "--next '{}': {}", config.next,
                   rules.error().message);
      }
      return OkStatus();
    }
    auto selector = parser::CompileFieldSelector(field->selector);
    if (!selector) {
      return Err(ErrorCode::kInvalidArgument, "--next '{}': {}", config.next,
                 selector.error().message);
    }
    // `SELECTOR | json:PATH` reads the link from JSON in the element's text.
    if (selector->pseudo != parser::PseudoElement::kAttr && field->options.json_path.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--next '{}': the selector must give a URL: end it in ::attr(NAME), e.g. "
                 "'a.next::attr(href)'",
                 config.next);
    }
  }
  return OkStatus();
}

Discovery::Discovery(Plan* plan, PageBook* book, const Config& config)
    : plan_(plan),
      book_(book),
      next_(!config.next.empty()),
      scope_(ScopeOf(config.scope)),
      max_depth_(config.max_depth),
      max_pages_(config.max_pages) {
  for (const auto& p : config.allow) allow_.push_back(Compile(p));
  for (const auto& p : config.deny) deny_.push_back(Compile(p));
  for (uint64_t p = 0; p < plan->size(); ++p) {
    std::string url = NormaliseUrl(plan->url(p)).value_or(plan->url(p));
    seen_.insert(url);
    start_.emplace(p, std::move(url));
  }
}

Discovery::~Discovery() = default;

std::function<bool(const std::string& url)> SitemapUrlFilter(const Config& config) {
  if (config.allow.empty() && config.deny.empty()) return nullptr;
  auto allow = std::make_shared<std::vector<std::unique_ptr<re2::RE2>>>();
  auto deny = std::make_shared<std::vector<std::unique_ptr<re2::RE2>>>();
  for (const auto& p : config.allow) allow->push_back(Compile(p));
  for (const auto& p : config.deny) deny->push_back(Compile(p));
  return [allow, deny](const std::string& url) {
    for (const auto& re : *deny) {
      if (re2::RE2::PartialMatch(url, *re)) return false;
    }
    return allow->empty() || std::any_of(allow->begin(), allow->end(), [&](const auto& re) {
             return re2::RE2::PartialMatch(url, *re);
           });
  };
}

bool Discovery::Allowed(const std::string& url) const {
  for (const auto& re : deny_) {
    if (re2::RE2::PartialMatch(url, *re)) return false;
  }
  if (allow_.empty()) return true;
  return std::any_of(allow_.begin(), allow_.end(),
                     [&](const auto& re) { return re2::RE2::PartialMatch(url, *re); });
}

void Discovery::AddLinks(uint64_t page, uint64_t root, std::vector<std::string> links,
                         std::vector<uint64_t>* added) {
  const int depth = book_->depth(page) + 1;
  if (max_depth_ >= 0 && depth > max_depth_) return;
  if (depth > std::numeric_limits<uint16_t>::max()) return;
  const std::string& start = start_[root];
  for (const std::string& link : links) {
    if (max_pages_ > 0 && plan_->size() >= max_pages_) return;
    std::optional<std::string> url = NormaliseUrl(link);
    if (!url) continue;  // not http(s): skipped silently
    if (!next_ && !InScope(scope_, start, *url)) continue;
    if (!Allowed(*url)) continue;
    // A URL already fetched (or to be): a --next chain that comes back ends.
    if (!seen_.insert(*url).second) {
      if (next_) return;
      continue;
    }
    auto origin = UrlOrigin(*url);
    uint64_t id = plan_->Add(PageTask{plan_->page_number(page), *url, plan_->InternHost(*origin)});
    book_->Add(root, static_cast<uint16_t>(depth), {});  // the same id: they grow together
    added->push_back(id);
    if (next_) roots_.Found(root);
    ++found_;
    if (next_) return;  // one next link a page
  }
}

void Discovery::Finish(uint64_t page, bool ok, std::vector<uint64_t>* added,
                       std::vector<RootRecords::Completed>* completed) {
  const uint64_t root = book_->root(page);
  std::vector<parser::Record> held = book_->TakeHeld(page);
  std::vector<std::string> links = book_->TakeLinks(page);
  if (ok) AddLinks(page, root, std::move(links), added);
  if (!next_) {  // --crawl: the page's records go out now, on their own
    completed->push_back(RootRecords::Completed{page, ok, ok ? std::move(held) : decltype(held){}});
    return;
  }
  if (ok && !held.empty()) roots_.File(root, page, std::move(held));
  if (auto c = roots_.Finished(root, page, ok)) completed->push_back(std::move(*c));
}

}  // namespace forage::engine
