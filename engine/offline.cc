#include "engine/offline.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/plan.h"
#include "engine/robots_gate.h"
#include "engine/store.h"
#include "parser/extract.h"
#include "parser/field_spec.h"
#include "parser/html_document.h"
#include "parser/selector.h"
#include "parser/robots.h"
#include "worker/blocking_fetch.h"
#include "worker/fetch_once.h"

namespace forage::engine {
namespace {

constexpr const char* kUserAgent = "forage/0.1";  // as `run` (engine.cc)

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

// One page's bytes and what the response said of them.
struct Page {
  std::string bytes;
  std::string content_type;  // empty for files and stdin
  std::string url;           // the final URL of a fetched page
};

Error TooLarge(const std::string& name, uint64_t max_bytes) {
  return Err(ErrorCode::kInvalidArgument,
             "'{}' is larger than --max-body ({} MiB); nothing read. Raise --max-body to read it",
             name, max_bytes >> 20);
}

// The stream's bytes, refused once they pass `max_bytes`: read in pieces, never
// more than the cap plus one piece, so a 200 MB file (or an endless pipe) costs
// no more memory than a page `run` would accept.
Result<std::string> ReadCapped(std::FILE* f, const std::string& name, uint64_t max_bytes) {
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    size_t n = std::fread(buffer, 1, sizeof buffer, f);
    bytes.append(buffer, n);
    if (bytes.size() > max_bytes) return TooLarge(name, max_bytes);
    if (n < sizeof buffer) break;
  }
  // A directory opens, then fails to read (EISDIR): an error, not an empty page.
  if (std::ferror(f)) {
    return Err(ErrorCode::kInvalidArgument, "read '{}': {}", name, std::strerror(errno));
  }
  return bytes;
}

bool IsUrl(const std::string& page) {
  return page.rfind("http://", 0) == 0 || page.rfind("https://", 0) == 0;
}

// robots.txt, obeyed as `run` obeys it (RFC 9309, the status rules of
// engine/robots_gate.h, one attempt): a page it disallows is not fetched.
Status CheckRobots(const std::string& url, worker::FetchOptions options) {
  auto origin = UrlOrigin(url);
  if (!origin) return origin.error();
  const std::string robots_url = *origin + "/robots.txt";
  options.max_redirects = 5;
  const RobotsAnswer answer = RobotsFromResponse(
      worker::BlockingFetch(robots_url, options, parser::kRobotsMaxBytes), "forage");
  if (answer.rules.Allowed(PathAndQuery(url))) return OkStatus();
  if (answer.unavailable) {
    return Err(ErrorCode::kIo, "GET {}: {} ({}; --ignore-robots to fetch it anyway)", url,
               *answer.unavailable, robots_url);
  }
  return Err(ErrorCode::kIo, "GET {}: blocked by {} (--ignore-robots to fetch it anyway)", url,
             robots_url);
}

// One GET with the run's fetcher settings.
Result<Page> Fetch(const std::string& url, const Config& config) {
  worker::FetchOptions options;
  options.timeout_ms = config.timeout_ms;
  options.connect_timeout_ms = config.connect_timeout_ms;
  options.max_body_bytes = config.max_body_bytes;
  options.user_agent = config.user_agent.empty() ? kUserAgent : config.user_agent;
  options.headers = config.headers;
  options.proxy = config.proxy;
  options.cacert = config.cacert;
  options.capath = config.capath;
  options.insecure = config.insecure;
  options.client_cert = config.client_cert;
  options.client_key = config.client_key;
  options.http1_1 = config.http1_1;
  if (!config.ignore_robots) {
    if (auto st = CheckRobots(url, options); !st) return st.error();
  }
  auto fetched = worker::FetchOnce(url, options);
  if (!fetched) return fetched.error();
  return Page{std::move(fetched->body), std::move(fetched->content_type), std::move(fetched->url)};
}

// A file, `-` for standard input, or an http(s) URL.
Result<Page> LoadPage(const std::string& name, const Config& config) {
  if (IsUrl(name)) return Fetch(name, config);
  Page page;
  Result<std::string> bytes = std::string();
  if (name == "-") {
    bytes = ReadCapped(stdin, "-", config.max_body_bytes);
  } else {
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(name.c_str(), "rb"));
    if (f == nullptr) {
      return Err(ErrorCode::kInvalidArgument, "read '{}': {}", name, std::strerror(errno));
    }
    bytes = ReadCapped(f.get(), name, config.max_body_bytes);
  }
  if (!bytes) return bytes.error();
  page.bytes = std::move(*bytes);
  return page;
}

bool StartsWithJson(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start, 5) == "json:";
}

void AppendValue(const parser::FieldValue& v, bool json, std::string* out) {
  if (!v) {
    *out += "null";
  } else if (json) {
    *out += *v;
  } else {
    parser::AppendJsonString(*v, out);
  }
  *out += '\n';
}

}  // namespace

Result<std::string> SelectInPage(const std::string& page_name, const std::string& selector,
                                 const std::string& attr, const Config& config) {
  std::string out;
  if (StartsWithJson(selector)) {
    // A JSON page: the path's values, as JSON.
    if (!attr.empty()) {
      return Err(ErrorCode::kInvalidArgument, "--attr does not apply to a json: selector");
    }
    Result<std::vector<parser::FieldValue>> check =
        parser::SelectJsonFieldValues("null", "select", selector, "");
    if (!check) return check.error();  // a bad path: exit 2 before any fetch
    auto page = LoadPage(page_name, config);
    if (!page) return page.error();
    auto values = parser::SelectJsonFieldValues(page->bytes, "select", selector, page->url);
    if (!values) return Err(values.error().code, "'{}': {}", page_name, values.error().message);
    bool json = parser::JsonFieldFormat(selector) == parser::ValueFormat::kJson;
    for (const auto& v : *values) AppendValue(v, json, &out);
    return out;
  }
  // The full field syntax (`SELECTOR | json:PATH | all ...`): the field's values.
  Result<parser::ParsedField> parsed = parser::ParseFieldText("select", selector);
  if (parsed && attr.empty() &&
      parsed->selector.size() < selector.find_last_not_of(" \t\r\n") + 1) {
    Result<std::vector<parser::FieldValue>> check =
        parser::SelectFieldValues(parser::HtmlDocument::Parse(std::string(), ""), "select",
                                  selector, "");
    if (!check) return check.error();  // a bad field: exit 2 before any fetch
    auto page = LoadPage(page_name, config);
    if (!page) return page.error();
    auto doc = parser::HtmlDocument::Parse(std::move(page->bytes), page->content_type);
    auto values = parser::SelectFieldValues(doc, "select", selector, page->url);
    if (!values) return values.error();
    parser::ValueFormat format = parser::JsonFieldFormat(selector);
    bool bare = format == parser::ValueFormat::kJson || format == parser::ValueFormat::kNumber;
    for (const auto& v : *values) AppendValue(v, bare, &out);
    return out;
  }
  auto field = parser::CompileFieldSelector(selector);
  if (!field) return field.error();
  if (!attr.empty()) {
    // --attr applies to every alternative of a list, as if each ended in ::attr().
    if (field->pseudo != parser::PseudoElement::kNone || !field->alternatives.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--attr '{}': the selector ends in a pseudo-element already", attr);
    }
    auto with_attr = parser::CompileFieldSelector("::attr(" + attr + ")");
    if (!with_attr) return Err(ErrorCode::kInvalidArgument, "--attr '{}': not an attribute name", attr);
    field->pseudo = parser::PseudoElement::kAttr;
    field->attr_name = with_attr->attr_name;
  }
  auto page = LoadPage(page_name, config);
  if (!page) return page.error();
  auto doc = parser::HtmlDocument::Parse(std::move(page->bytes), page->content_type);
  for (const parser::FieldValue& v : parser::SelectValues(doc, *field)) AppendValue(v, false, &out);
  return out;
}

Result<std::string> ExtractPages(const std::vector<std::string>& pages, const Config& config,
                                 const std::string& base_url) {
  std::vector<parser::FieldSpec> fields;
  for (const auto& f : config.fields) fields.push_back(parser::FieldSpec{f.name, f.selector});
  auto rules = parser::CompileRules(config.items, fields);
  if (!rules) return rules.error();
  // Records are written exactly as a run writes JSON Lines.
  std::string out;
  for (const auto& name : pages) {
    auto page = LoadPage(name, config);
    if (!page) return page.error();
    const std::string& page_url = base_url.empty() ? page->url : base_url;
    parser::ExtractResult result;
    if (rules->json_items() || parser::IsJsonContentType(page->content_type)) {
      auto extracted = parser::ExtractJson(page->bytes, *rules, page_url);
      if (!extracted) {
        return Err(ErrorCode::kInvalidArgument, "'{}': {}", name, extracted.error().message);
      }
      result = std::move(*extracted);
    } else {
      auto doc = parser::HtmlDocument::Parse(std::move(page->bytes), page->content_type);
      result = parser::Extract(doc, *rules, page_url);
    }
    for (const auto& r : result.records) {
      AppendJsonRecord(r, rules->field_names(), rules->formats(), &out);
    }
  }
  return out;
}

}  // namespace forage::engine
