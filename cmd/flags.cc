#include "cmd/flags.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <charconv>
#include <cctype>
#include <cmath>
#include <tuple>
#include <filesystem>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cmd/duration.h"
#include "cmd/job_file.h"
#include "cmd/size.h"

namespace forage::cmd {
namespace {

constexpr const char* kVersion = "forage 0.1.0";

const std::vector<std::string>& KnownFlags() {
  static const std::vector<std::string> flags = {
      "--url",     "--pages",    "--urls",        "--items",    "--field",  "--workers",
      "--concurrency", "--per-host", "--timeout", "--connect-timeout", "--max-body",
      "--cpu-burn", "--hang-timeout", "--page-cpu-limit", "--worker-max-rss", "--order",
      "--rate", "--delay", "--retries",
      "--max-retry-wait", "--stall-timeout", "--header", "--proxy", "--method", "--data",
      "--state", "--resume", "--force", "--overwrite", "--append", "--key", "--follow", "--detail-items", "--detail-field",
      "--depth",   "--next", "--crawl", "--scope", "--allow", "--deny", "--max-pages",
      "--chunking",    "--user-agent", "--contact", "--ignore-robots", "--sitemap", "--output", "--report",
      "--quiet",   "--help",     "--version",
      "--format", "--with-source", "--allow-empty", "--throttle",
      "--cacert", "--capath", "--insecure", "--cert", "--cert-key", "--http1.1",
      "--cache", "--cache-mode", "--cache-max", "--proxy-list", "--proxy-mode",
      // bench and tune
      "--workers-list", "--concurrency-list", "--repeat", "--md", "--json", "--svg",
      "--max-workers", "--sample", "--budget",
      "--redis", "--lease-timeout", "--max-deliveries"};
  return flags;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Raw flag values as typed; converted and checked after CLI11 has parsed.
struct RawRun {
  std::string job_file;
  std::vector<std::string> detail_fields;
  std::string workers = "auto";
  std::vector<std::string> fields;
  std::string timeout = "30s";
  std::string connect_timeout = "10s";
  std::string cpu_burn;
  std::string hang_timeout = "30s";
  std::string delay;
  std::string max_retry_wait = "60s";
  std::string stall_timeout = "30s";
  std::string order = "page";
  std::string chunking = "dynamic";
  std::string max_body = "16";
  std::string page_cpu_limit = "10s";
  std::string worker_max_rss;  // empty: the engine's default
  std::string cache_max;       // empty: no bound
  std::string throttle = "off";
  std::vector<std::string> urls;  // --url, repeatable
  std::string depth;              // empty: not given
  std::string max_pages;          // empty: not given (no limit)
  std::string lease_timeout;      // --redis: empty = the default (30s)
};

// TLS and HTTP version flags, shared by run, select and extract. On `run`,
// --key is taken by record keys; FinishTls sorts out which is which.
void AddTlsFlags(CLI::App* app, engine::Config* c) {
  app->add_option("--cacert", c->cacert, "trust the CA certificates in this PEM file (https)");
  app->add_option("--capath", c->capath, "trust the CA certificates in this directory (c_rehash)");
  app->add_flag("-k,--insecure", c->insecure,
                "do not verify TLS certificates or host names (warns; testing only)");
  app->add_option("--cert", c->client_cert, "client certificate (PEM; may hold its key too)");
  app->add_option("--cert-key", c->client_key, "the client certificate's private key (PEM)");
  app->add_flag("--http1.1", c->http1_1, "HTTP/1.1 only (default: HTTP/2 over TLS when offered)");
}

// The TLS files are there and readable, before any work starts.
Status CheckTlsFiles(const engine::Config& c) {
  namespace fs = std::filesystem;
  struct File {
    const char* flag;
    const std::string& path;
    bool directory;
  };
  for (const File& f : {File{"--cacert", c.cacert, false}, File{"--capath", c.capath, true},
                        File{"--cert", c.client_cert, false},
                        File{"--key", c.client_key, false}}) {
    if (f.path.empty()) continue;
    std::error_code ec;
    const fs::file_status st = fs::status(f.path, ec);
    if (!fs::exists(st)) {
      return Err(ErrorCode::kInvalidArgument, "{} '{}': no such {}", f.flag, f.path,
                 f.directory ? "directory" : "file");
    }
    if (f.directory != fs::is_directory(st)) {
      return Err(ErrorCode::kInvalidArgument, "{} '{}': expected a {}", f.flag, f.path,
                 f.directory ? "directory" : "file");
    }
    if (access(f.path.c_str(), R_OK) != 0) {
      return Err(ErrorCode::kInvalidArgument, "{} '{}': not readable", f.flag, f.path);
    }
  }
  if (!c.client_key.empty() && c.client_cert.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--cert-key '{}' needs --cert (the certificate)",
               c.client_key);
  }
  return OkStatus();
}

// `forage run`: --key names a record key field, unless --cert is given and
// the value names none of the fields; then it is the client certificate's
// private key, as in curl (--cert-key says it without doubt).
Status FinishTls(engine::Config* c) {
  std::vector<std::string> names;
  for (const auto& f : c->fields) names.push_back(f.name);
  for (const auto& f : c->detail_fields) names.push_back(f.name);
  std::vector<std::string> record_keys;
  for (auto& k : c->key) {
    if (std::find(names.begin(), names.end(), k) != names.end()) {
      record_keys.push_back(std::move(k));
      continue;
    }
    if (c->client_cert.empty()) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(k, ec)) {
        return Err(ErrorCode::kInvalidArgument,
                   "--key '{}' is a file, not one of the fields: a client certificate's key "
                   "goes with --cert FILE",
                   k);
      }
      record_keys.push_back(std::move(k));  // the engine names the unknown field
      continue;
    }
    if (!c->client_key.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--key '{}' is not one of the fields, and the client key is '{}' already", k,
                 c->client_key);
    }
    c->client_key = std::move(k);
  }
  c->key = std::move(record_keys);
  return CheckTlsFiles(*c);
}

void AddRunFlags(CLI::App* run, engine::Config* c, RawRun* raw) {
  // A flag given twice (in the job file, then on the command line) takes the
  // last value: the command line overrides the file.
  run->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  run->add_option("job", raw->job_file, "job file (TOML); flags given here override it");
  run->add_option("--url", raw->urls,
                  "a start URL (repeatable), or one URL template with {page} and --pages")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--pages", c->pages, "pages: 1-48, or 1-10,15,20-30");
  run->add_option("--urls", c->urls_file, "file with one URL a line (instead of --url/--pages)");
  run->add_option("--sitemap", c->sitemaps,
                  "sitemap URL (urlset, index, .gz) or 'robots' (the hosts' robots.txt); repeatable")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--items", c->items, "CSS selector: one record per match");
  run->add_option("--field", raw->fields, "NAME=SELECTOR, relative to the item (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);  // one value per --field; a stray word is an error
  run->add_option("--follow", c->follow,
                  "two-stage crawl: each item's link(s) to fetch, e.g. 'a::attr(href)'");
  run->add_option("--detail-items", c->detail_items, "on followed pages: one record per match (:root)");
  run->add_option("--detail-field", raw->detail_fields, "NAME=SELECTOR on followed pages (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--depth", raw->depth,
                  "levels of links to follow (--follow: 1; --next/--crawl: no limit)");
  run->add_option("--next", c->next,
                  "pagination: each page's next link, e.g. 'a.next::attr(href)'");
  run->add_flag("--crawl", c->crawl, "follow every in-scope <a href>/<area href> link");
  run->add_option("--scope", c->scope, "--crawl: host (default), domain or any");
  run->add_option("--allow", c->allow, "--crawl/--next: only URLs matching this RE2 (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--deny", c->deny, "--crawl/--next: never URLs matching this RE2 (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--max-pages", raw->max_pages, "--crawl/--next: fetch at most N pages in all");
  run->add_option("-w,--workers", raw->workers, "worker processes: N, auto (cores), 0 (in-process)");
  run->add_option("-c,--concurrency", c->concurrency, "transfers in flight, whole job");
  run->add_option("--per-host", c->per_host, "transfers in flight per host, whole job (0 = no cap)")
      ->each([c](const std::string&) { c->per_host_given = true; });
  run->add_option("--rate", c->rate_per_host, "requests per second per host, whole job");
  run->add_option("--delay", raw->delay, "gap between requests to a host, jittered x0.5-1.5");
  run->add_option("--throttle", raw->throttle,
                  "off (default) or auto: per-host concurrency adapts, up to --per-host");
  run->add_option("--retries", c->retries, "further attempts after a retryable failure (3)");
  run->add_option("--max-retry-wait", raw->max_retry_wait, "cap on backoff and Retry-After (60s)");
  run->add_option("--timeout", raw->timeout, "per-attempt timeout (e.g. 30s)");
  run->add_option("--stall-timeout", raw->stall_timeout,
                  "abort a transfer that receives nothing this long (30s)");
  run->add_option("--connect-timeout", raw->connect_timeout, "connect timeout (e.g. 10s)");
  run->add_option("--max-body", raw->max_body,
                  "body size cap: MiB, or with a unit (16, 500KB, 1GiB)");
  run->add_option("--cpu-burn", raw->cpu_burn, "extra CPU time per page (e.g. 100ms)");
  run->add_option("--hang-timeout", raw->hang_timeout,
                  "kill a worker silent this long while it holds pages (30s)");
  run->add_option("--page-cpu-limit", raw->page_cpu_limit,
                  "fail a page whose parse and extraction take more CPU (10s; 0 = none)");
  run->add_option("--worker-max-rss", raw->worker_max_rss,
                  "replace a worker whose memory passes this (400MB, 2GiB; default: half "
                  "the RAM / workers)");
  run->add_option("--order", raw->order, "page (default) or arrival");
  run->add_option("--chunking", raw->chunking, "dynamic (default) or static");
  run->add_option("--user-agent", c->user_agent, "User-Agent header");
  run->add_option("--contact", c->contact,
                  "how site owners reach you: appended to the User-Agent as ' (+TEXT)'");
  run->add_flag("--ignore-robots", c->ignore_robots, "do not fetch or obey robots.txt");
  run->add_option("-H,--header", c->headers, "request header 'Name: value' (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--proxy", c->proxy, "proxy URL (http://, https://, socks5h://...)");
  run->add_option("--proxy-list", c->proxy_list,
                  "file of proxy URLs, one a line (http://, https://, socks5h://)");
  run->add_option("--proxy-mode", c->proxy_mode,
                  "rotate (default: each request the next proxy) or sticky (one per host)");
  run->add_option("--cache", c->cache_dir, "keep responses in DIR and serve them again");
  run->add_option("--cache-mode", c->cache_mode,
                  "always (default: no request when cached) or revalidate (ETag/Last-Modified)");
  run->add_option("--cache-max", raw->cache_max, "bound on the --cache directory (500MB, 2GiB)");
  run->add_option("-X,--method", c->method, "request method (GET)");
  run->add_option("--data", c->body, "request body (with --method POST)");
  run->add_option("-o,--output", c->output,
                  "output: .csv, .jsonl, .json, .sqlite, or - (JSONL on stdout)");
  run->add_option("--format", c->format, "csv, jsonl, json or sqlite (default: by the extension)");
  run->add_flag("--with-source", c->with_source, "add page_url and page_number to every record");
  run->add_flag("--allow-empty", c->allow_empty,
                "a run that extracts no item at all exits 0 (default: exit 1)");
  run->add_option("--report", c->report_path, "write the run's figures as JSON");
  run->add_option("--state", c->state_path, "where the resume state lives (OUTPUT.state)");
  run->add_flag("--resume", c->resume, "continue the unfinished run of this job");
  run->add_option("--key", c->key,
                  "a field that identifies a record; repeats are dropped (with --cert, a value "
                  "naming no field is the client key file)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_flag("--force", c->force, "start over even if an unfinished run's state exists");
  run->add_flag("--overwrite", c->overwrite,
                "replace an existing output (kept if the run stores no record)");
  run->add_flag("--append", c->append, "add the records after an existing output's own");
  run->add_flag("-q,--quiet", c->quiet, "no report and no progress on stderr");
  AddTlsFlags(run, c);
  run->add_option("--redis", c->redis_url,
                  "run the job on the nodes of this Redis "
                  "(redis://[[USER]:PASSWORD@]HOST[:PORT][/DB])");
  run->add_option("--lease-timeout", raw->lease_timeout,
                  "--redis: a node's page not renewed this long is leased again (30s)");
  run->add_option("--max-deliveries", c->max_deliveries,
                  "--redis: a page lost on nodes this many times is dead (3)");
}

Status ParseWorkers(const std::string& text, int* workers) {
  if (text == "auto") {
    *workers = -1;
    return OkStatus();
  }
  int v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > 1024) {
    return Err(ErrorCode::kInvalidArgument,
               "--workers '{}': expected a number of processes (0-1024) or auto", text);
  }
  *workers = v;
  return OkStatus();
}

// "1,2,4,8" -> {1, 2, 4, 8}; empty stays empty (the default list).
Status ParseWorkersList(const std::string& text, std::vector<int>* out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma - start);
    int v = 0;
    if (auto st = ParseWorkers(part, &v); !st || v < 1) {
      return Err(ErrorCode::kInvalidArgument, "--workers-list '{}': '{}' is not a worker count",
                 text, part);
    }
    out->push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return OkStatus();
}

// "4,16,64" -> {4, 16, 64}: tune's --concurrency-list.
Status ParseConcurrencyList(const std::string& text, std::vector<int>* out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma - start);
    int v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size() || v < 1 || v > 100000) {
      return Err(ErrorCode::kInvalidArgument,
                 "--concurrency-list '{}': '{}' is not a number of transfers (1-100000)", text,
                 part);
    }
    out->push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return OkStatus();
}

// --field NAME=SELECTOR values, in order.
Status ParseFields(const std::vector<std::string>& flags, std::vector<engine::FieldRule>* out) {
  for (const auto& f : flags) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Err(ErrorCode::kInvalidArgument, "--field '{}': expected NAME=SELECTOR", f);
    }
    out->push_back(engine::FieldRule{f.substr(0, eq), f.substr(eq + 1)});
  }
  return OkStatus();
}

// --url: one template with {page} (and --pages), or start URLs; --urls
// FILE instead. Then the discovery flags (--next, --crawl and their limits).
Status FinishUrls(const RawRun& raw, engine::Config* c) {
  const bool templated = raw.urls.size() == 1 && raw.urls[0].find("{page}") != std::string::npos;
  if (c->urls_file.empty()) {
    if (raw.urls.empty() && c->sitemaps.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--url is required (or --urls FILE, or --sitemap URL)");
    }
    if (templated) {
      c->url_template = raw.urls[0];
      if (c->pages.empty()) {
        return Err(ErrorCode::kInvalidArgument, "--pages is required with --url");
      }
    } else {
      for (const auto& u : raw.urls) {
        if (u.find("{page}") != std::string::npos) {
          return Err(ErrorCode::kInvalidArgument,
                     "--url '{}': a {{page}} template cannot be combined with other --url", u);
        }
      }
      if (!c->pages.empty()) {
        return Err(ErrorCode::kInvalidArgument,
                   "url '{}' has no {{page}} placeholder: --pages only makes sense with a "
                   "{{page}} template in --url (to fetch a list of URLs, give --url once for "
                   "each, or --urls FILE)",
                   raw.urls[0]);
      }
      c->start_urls = raw.urls;
    }
  } else if (!raw.urls.empty() || !c->pages.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--urls cannot be combined with --url/--pages");
  }
  if (!raw.depth.empty()) {
    int v = -1;
    auto [end, ec] = std::from_chars(raw.depth.data(), raw.depth.data() + raw.depth.size(), v);
    if (ec != std::errc() || end != raw.depth.data() + raw.depth.size() || v < 0) {
      return Err(ErrorCode::kInvalidArgument, "--depth '{}': expected 0 or more levels",
                 raw.depth);
    }
    c->depth = v;
    c->max_depth = v;
  }
  if (!raw.max_pages.empty()) {
    uint64_t v = 0;
    const std::string& t = raw.max_pages;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || v == 0) {
      return Err(ErrorCode::kInvalidArgument,
                 "--max-pages '{}': expected 1 or more pages (for no limit, leave it out)", t);
    }
    c->max_pages = v;
  }
  for (const std::string& s : c->sitemaps) {
    if (s != "robots" && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
      return Err(ErrorCode::kInvalidArgument, "--sitemap '{}': expected an http(s) URL or robots",
                 s);
    }
  }
  const bool discover = c->crawl || !c->next.empty();
  if (c->crawl && !c->next.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--next and --crawl cannot be combined");
  }
  if (discover && !c->follow.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--follow cannot be combined with --{}",
               c->crawl ? "crawl" : "next");
  }
  if (!discover) {
    for (const char* f : {"--scope", "--allow", "--deny", "--max-pages"}) {
      bool given = (f == std::string_view("--scope") && c->scope != "host") ||
                   (f == std::string_view("--allow") && !c->allow.empty()) ||
                   (f == std::string_view("--deny") && !c->deny.empty()) ||
                   (f == std::string_view("--max-pages") && c->max_pages != 0);
      // --allow/--deny also filter the pages of --sitemap.
      bool filter = f == std::string_view("--allow") || f == std::string_view("--deny");
      if (filter && !c->sitemaps.empty()) continue;
      if (given) {
        return Err(ErrorCode::kInvalidArgument, "{} needs --crawl or --next{}", f,
                   filter ? " (or --sitemap)" : "");
      }
    }
  }
  if (c->scope != "host" && c->scope != "domain" && c->scope != "any") {
    return Err(ErrorCode::kInvalidArgument, "--scope '{}': expected host, domain or any",
               c->scope);
  }
  return OkStatus();
}

Status FinishRun(const RawRun& raw, engine::Config* c) {
  if (auto st = ParseWorkers(raw.workers, &c->workers); !st) return st;
  if (auto st = ParseFields(raw.fields, &c->fields); !st) return st;
  if (auto st = ParseFields(raw.detail_fields, &c->detail_fields); !st) return st;
  // Every duration flag: its text, where it goes, and whether 0 is allowed.
  struct DurationFlag {
    const char* flag;
    const std::string& text;
    double* seconds;
    bool positive;
  };
  double timeout_s = 0, connect_s = 0, stall_s = 0;
  for (const DurationFlag& d :
       {DurationFlag{"--timeout", raw.timeout, &timeout_s, true},
        DurationFlag{"--connect-timeout", raw.connect_timeout, &connect_s, true},
        DurationFlag{"--hang-timeout", raw.hang_timeout, &c->hang_timeout_s, true},
        DurationFlag{"--cpu-burn", raw.cpu_burn, &c->cpu_burn_s, false},
        DurationFlag{"--delay", raw.delay, &c->delay_s, false},
        DurationFlag{"--max-retry-wait", raw.max_retry_wait, &c->max_retry_wait_s, false},
        DurationFlag{"--stall-timeout", raw.stall_timeout, &stall_s, false},
        DurationFlag{"--lease-timeout", raw.lease_timeout, &c->lease_timeout_s, true}}) {
    if (d.text.empty()) continue;
    auto v = ParseDuration(d.text);
    if (!v) return Err(ErrorCode::kInvalidArgument, "{}: {}", d.flag, v.error().message);
    if (d.positive && *v <= 0) {
      return Err(ErrorCode::kInvalidArgument, "{} '{}': expected a duration above 0", d.flag,
                 d.text);
    }
    *d.seconds = *v;
  }
  // A worker is heard at least once a second: under 3 heartbeats a healthy
  // worker could be taken for hung.
  if (c->hang_timeout_s < 3) {
    return Err(ErrorCode::kInvalidArgument,
               "--hang-timeout '{}': must be at least 3s (3 of a worker's 1 s heartbeats)",
               raw.hang_timeout);
  }
  c->timeout_ms = static_cast<int64_t>(timeout_s * 1000);
  c->connect_timeout_ms = static_cast<int64_t>(connect_s * 1000);
  c->stall_timeout_ms = static_cast<int64_t>(stall_s * 1000);
  for (const auto& h : c->headers) {
    if (h.find(':') == std::string::npos || h.front() == ':') {
      return Err(ErrorCode::kInvalidArgument, "--header '{}': expected 'Name: value'", h);
    }
  }
  if (raw.page_cpu_limit == "0") {
    c->page_cpu_limit_s = 0;
  } else {
    auto v = ParseDuration(raw.page_cpu_limit);
    if (!v) return Err(ErrorCode::kInvalidArgument, "--page-cpu-limit: {}", v.error().message);
    c->page_cpu_limit_s = *v;
  }
  if (!std::isfinite(c->rate_per_host) || c->rate_per_host < 0) {
    return Err(ErrorCode::kInvalidArgument, "--rate '{}': expected a number of requests per "
               "second, 0 (none) or more", c->rate_per_host);
  }
  if (c->retries < 0) return Err(ErrorCode::kInvalidArgument, "--retries must be 0 or more");
  auto max_body = ParseSize(raw.max_body);
  if (!max_body) return Err(ErrorCode::kInvalidArgument, "--max-body: {}", max_body.error().message);
  if (*max_body == 0) return Err(ErrorCode::kInvalidArgument, "--max-body must be > 0");
  c->max_body_bytes = *max_body;
  if (!raw.worker_max_rss.empty()) {
    auto rss = ParseSize(raw.worker_max_rss);
    if (!rss) {
      return Err(ErrorCode::kInvalidArgument, "--worker-max-rss: {}", rss.error().message);
    }
    if (*rss < (1u << 20)) {
      return Err(ErrorCode::kInvalidArgument, "--worker-max-rss '{}': at least 1 MiB",
                 raw.worker_max_rss);
    }
    c->worker_max_rss_bytes = *rss;
  }
  if (c->cache_mode != "always" && c->cache_mode != "revalidate") {
    return Err(ErrorCode::kInvalidArgument, "--cache-mode '{}': expected always or revalidate",
               c->cache_mode);
  }
  if (!raw.cache_max.empty()) {
    auto max = ParseSize(raw.cache_max);
    if (!max) return Err(ErrorCode::kInvalidArgument, "--cache-max: {}", max.error().message);
    if (*max == 0) return Err(ErrorCode::kInvalidArgument, "--cache-max must be > 0");
    c->cache_max_bytes = *max;
  }
  if (c->cache_dir.empty() && (!raw.cache_max.empty() || c->cache_mode != "always")) {
    return Err(ErrorCode::kInvalidArgument, "{} needs --cache DIR (the cache it applies to)",
               raw.cache_max.empty() ? "--cache-mode" : "--cache-max");
  }
  if (c->proxy_mode != "rotate" && c->proxy_mode != "sticky") {
    return Err(ErrorCode::kInvalidArgument, "--proxy-mode '{}': expected rotate or sticky",
               c->proxy_mode);
  }
  // rotate is the default, so only sticky can be told apart from "not given".
  if (c->proxy_mode == "sticky" && c->proxy_list.empty()) {
    return Err(ErrorCode::kInvalidArgument,
               "--proxy-mode sticky needs --proxy-list FILE (the proxies it chooses among)");
  }
  if (!c->proxy_list.empty() && !c->proxy.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--proxy and --proxy-list exclude each other");
  }
  // --format CSV as --format csv: as forgiving as the extension it overrides.
  std::transform(c->format.begin(), c->format.end(), c->format.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (raw.order == "page") {
    c->order = engine::Order::kPage;
  } else if (raw.order == "arrival") {
    c->order = engine::Order::kArrival;
  } else {
    return Err(ErrorCode::kInvalidArgument, "--order '{}': expected page or arrival", raw.order);
  }
  if (raw.chunking == "dynamic") {
    c->chunking = engine::Chunking::kDynamic;
  } else if (raw.chunking == "static") {
    c->chunking = engine::Chunking::kStatic;
  } else {
    return Err(ErrorCode::kInvalidArgument, "--chunking '{}': expected dynamic or static",
               raw.chunking);
  }
  if (raw.throttle == "auto" || raw.throttle == "off") {
    c->throttle_auto = raw.throttle == "auto";
  } else {
    return Err(ErrorCode::kInvalidArgument, "--throttle '{}': expected off or auto",
               raw.throttle);
  }
  if (auto st = FinishUrls(raw, c); !st) return st;
  if (c->items.empty()) return Err(ErrorCode::kInvalidArgument, "--items is required");
  if (c->fields.empty()) {
    return Err(ErrorCode::kInvalidArgument, "at least one --field NAME=SELECTOR is required");
  }
  return FinishTls(c);
}

Error UnknownArgument(const std::string& arg) {
  if (arg.rfind("-", 0) != 0) {
    return Err(ErrorCode::kInvalidArgument, "unexpected argument '{}'", arg);
  }
  std::string name = arg.substr(0, arg.find('='));
  std::string hint = SuggestFlag(name);
  if (hint.empty()) return Err(ErrorCode::kInvalidArgument, "unknown flag '{}'", name);
  return Err(ErrorCode::kInvalidArgument, "unknown flag '{}' (did you mean {}?)", name, hint);
}

// `forage run JOB.toml [flags]`: the job file's flags, then the command
// line's. Repeatable flags given on the command line replace the file's.
std::vector<std::string> MergeJobArgs(std::vector<std::string> file_args,
                                      const std::vector<std::string>& cli_args) {
  struct Repeatable {
    std::string_view flag;   // as the job file writes it
    std::string_view alias;  // another spelling on the command line
  };
  for (const Repeatable& r : {Repeatable{"--field", "--field"}, Repeatable{"--header", "-H"},
                              Repeatable{"--key", "--key"}, Repeatable{"--url", "--url"},
                              Repeatable{"--allow", "--allow"}, Repeatable{"--deny", "--deny"},
                              Repeatable{"--detail-field", "--detail-field"}}) {
    bool on_cli = std::any_of(cli_args.begin(), cli_args.end(), [&](const std::string& a) {
      return a == r.flag || a == r.alias || a.rfind(std::string(r.flag) + "=", 0) == 0;
    });
    if (!on_cli) continue;
    std::vector<std::string> kept;
    for (size_t i = 0; i < file_args.size(); ++i) {
      if (file_args[i] == r.flag && i + 1 < file_args.size()) {
        ++i;  // drop the flag and its value
        continue;
      }
      kept.push_back(std::move(file_args[i]));
    }
    file_args = std::move(kept);
  }
  file_args.insert(file_args.end(), cli_args.begin(), cli_args.end());
  return file_args;
}

}  // namespace

// Re-parses the command line with the job file's flags in front of it.
Result<Invocation> ParseWithJobFile(int argc, const char* const* argv, const std::string& job) {
  auto file_args = JobFileArgs(job);
  if (!file_args) return file_args.error();
  std::vector<std::string> cli;
  bool dropped = false;
  for (int i = 2; i < argc; ++i) {  // after "forage run" (or bench, tune)
    if (!dropped && argv[i] == job) {
      dropped = true;
      continue;
    }
    cli.emplace_back(argv[i]);
  }
  std::vector<std::string> merged = MergeJobArgs(std::move(*file_args), cli);
  merged.insert(merged.begin(), {argv[0], argv[1]});  // run, bench or tune
  std::vector<const char*> ptrs;
  for (const auto& a : merged) ptrs.push_back(a.c_str());
  // The file's own flags cannot name another job file (no key does).
  auto inv = ParseArgs(static_cast<int>(ptrs.size()), ptrs.data());
  if (inv && inv->config.job_name.empty()) {
    inv->config.job_name = std::filesystem::path(job).stem().string();
  }
  return inv;
}

std::string SuggestFlag(const std::string& typo) {
  std::string best;
  size_t best_d = 3;  // at most two edits away
  for (const auto& f : KnownFlags()) {
    size_t d = EditDistance(typo, f);
    if (d < best_d) {
      best_d = d;
      best = f;
    }
  }
  return best;
}

namespace {

// `worker` and `status` are parsed apart (cmd/cluster_cmd.cc) but named,
// suggested and listed in --help with the others.
constexpr std::array<std::string_view, 8> kSubcommands = {
    "run", "demo", "bench", "tune", "select", "extract", "worker", "status"};

// `forage slect ...`: the closest subcommand, or empty.
std::string SuggestSubcommand(const std::string& typo) {
  std::string best;
  size_t best_d = 3;
  for (std::string_view sub : kSubcommands) {
    size_t d = EditDistance(typo, std::string(sub));
    if (d < best_d) {
      best_d = d;
      best = sub;
    }
  }
  return best;
}

}  // namespace

std::string HelpPointer(int argc, const char* const* argv, const std::string& message) {
  std::string sub;
  if (argc > 1 && std::find(kSubcommands.begin(), kSubcommands.end(),
                            std::string_view(argv[1])) != kSubcommands.end()) {
    sub = argv[1];
  }
  std::string help = sub.empty() ? "'forage --help'" : fmt::format("'forage {} --help'", sub);
  auto has = [&](std::string_view part) { return message.find(part) != std::string::npos; };
  std::string doc = message.rfind("job file", 0) == 0 ? "docs/jobfile.md"
                    : message.rfind("--field", 0) == 0 || message.rfind("field '", 0) == 0 ||
                            has("selector")
                        ? "docs/selectors.md"
                    : has("output '") || has("state '") || has("--resume") || has("--append") ||
                            has("--format")
                        ? "docs/output.md"
                        : "docs/cli.md";
  return fmt::format("{} and {}", help, doc);
}

Result<Invocation> ParseArgs(int argc, const char* const* argv) {
  if (argc > 1 && argv[1][0] != '-' &&
      std::find(kSubcommands.begin(), kSubcommands.end(), std::string_view(argv[1])) ==
          kSubcommands.end()) {
    std::string hint = SuggestSubcommand(argv[1]);
    const std::string_view word = argv[1];
    if (word.size() > 5 && word.substr(word.size() - 5) == ".toml") {
      return Err(ErrorCode::kInvalidArgument,
                 "unknown command '{}' (did you mean forage run {}?)", word, word);
    }
    if (hint.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "unknown command '{}' (commands: run, demo, bench, tune, select, extract, "
                 "worker, status)",
                 argv[1]);
    }
    return Err(ErrorCode::kInvalidArgument, "unknown command '{}' (did you mean {}?)", argv[1],
               hint);
  }
  CLI::App app{"forage: fetch a range of pages, extract records with CSS selectors, store them"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", kVersion);
  Invocation inv;
  RawRun raw;
  CLI::App* run = app.add_subcommand("run", "run a job: fetch, extract, store");
  AddRunFlags(run, &inv.config, &raw);
  run->allow_extras();
  CLI::App* demo = app.add_subcommand(
      "demo", "start the test site, scrape its 48-page shop into products.csv, print the report");
  demo->add_option("-w,--workers", raw.workers, "worker processes: N, auto, 0");
  demo->add_option("-o,--output", inv.config.output, "where the products go (products.csv)");

  // bench and tune take run's flags (a job file optional), then their own.
  std::string bench_workers, tune_concurrency, tune_budget = "120s";
  CLI::App* bench = app.add_subcommand(
      "bench", "run a job as sequential, async and hybrid; compare wall with user+sys time");
  AddRunFlags(bench, &inv.config, &raw);
  bench->allow_extras();
  bench->add_option("--workers-list", bench_workers, "hybrid worker counts, e.g. 1,2,4,8");
  bench->add_option("--repeat", inv.bench.repeat, "runs per configuration (3); medians reported");
  bench->add_option("--md", inv.bench.md_path, "write the table as Markdown");
  bench->add_option("--json", inv.bench.json_path, "write the rows as JSON");
  bench->add_option("--svg", inv.bench.svg_path, "write a chart of wall and CPU time");
  CLI::App* tune = app.add_subcommand(
      "tune", "sweep workers x concurrency on a sample of a job and recommend settings");
  AddRunFlags(tune, &inv.config, &raw);
  tune->allow_extras();
  tune->add_option("--max-workers", inv.tune.max_workers, "largest worker count tried (cores)");
  tune->add_option("--workers-list", bench_workers, "worker counts tried (1,2,4,... to --max-workers)");
  tune->add_option("--concurrency-list", tune_concurrency,
                   "concurrencies tried (4,16,64 and the job's)");
  tune->add_option("--repeat", inv.tune.repeat, "runs per setting (3); medians and min-max compared");
  tune->add_option("--sample", inv.tune.sample_pages, "pages of the job to use (48)");
  tune->add_option("--budget", tune_budget, "stop sweeping after this long (120s)");
  tune->add_option("--md", inv.tune.md_path, "write the table and the recommendation as Markdown");
  tune->add_option("--json", inv.tune.json_path, "write the rows and the recommendation as JSON");
  tune->add_option("--svg", inv.tune.svg_path, "write a chart of the sweep");

  CLI::App* select = app.add_subcommand(
      "select", "print every match of a selector in a page (file, URL or - for stdin), one JSON "
                "value a line");
  std::string select_file;
  select->add_option("page", select_file, "HTML or JSON file, http(s) URL, or - (stdin)")
      ->required();
  select->add_option("selector", inv.selector, "CSS selector (may end in ::text, ::attr(x))")
      ->required();
  select->add_option("--attr", inv.attr, "print this attribute's value instead of the text");
  CLI::App* extract = app.add_subcommand(
      "extract", "apply --items/--field rules (or a job file's) to pages, print JSON Lines");
  // Listed for --help only: forage_main hands these to cmd/cluster_cmd.cc
  // before this parser runs.
  app.add_subcommand("worker", "serve distributed jobs from a Redis: forage worker --redis URL")
      ->allow_extras();
  app.add_subcommand("status", "pages and nodes of distributed jobs: forage status --redis URL")
      ->allow_extras();
  extract->add_option("pages", inv.files,
                      "[JOB.toml] then files, http(s) URLs, or - (stdin)")
      ->required();
  extract->add_option("--items", inv.config.items, "CSS selector or json:PATH: one record per match");
  std::vector<std::string> extract_fields;
  extract->add_option("--field", extract_fields, "NAME=SELECTOR (repeatable)")
      ->allow_extra_args(false);
  extract->add_option("--base-url", inv.base_url, "the pages' URL, to resolve `url` fields");
  // As run's --max-body: a larger file is refused (exit 2), not read.
  std::string offline_max_body = "16";
  std::string offline_timeout, offline_connect_timeout;
  for (CLI::App* offline : {select, extract}) {
    offline->add_option("--max-body", offline_max_body,
                        "refuse a larger file: MiB, or a size such as 200MB (16)");
    // A URL page is fetched as `run` fetches.
    offline->add_option("--user-agent", inv.config.user_agent, "User-Agent header (URL pages)");
    offline->add_option("-H,--header", inv.config.headers,
                        "request header 'Name: value' (repeatable; URL pages)")
        ->allow_extra_args(false);
    offline->add_option("--timeout", offline_timeout, "timeout of a URL page (30s)");
    offline->add_option("--connect-timeout", offline_connect_timeout, "connect timeout (10s)");
    AddTlsFlags(offline, &inv.config);
    offline->add_option("--key", inv.config.client_key, "the --cert's private key (PEM)");
    offline->add_flag("--ignore-robots", inv.config.ignore_robots,
                      "fetch a URL page even if its robots.txt disallows it");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    inv.text = app.help();
    return inv;
  } catch (const CLI::CallForAllHelp&) {
    inv.text = app.help("", CLI::AppFormatMode::All);
    return inv;
  } catch (const CLI::CallForVersion&) {
    inv.text = std::string(kVersion) + "\n";
    return inv;
  } catch (const CLI::ParseError& e) {
    if (e.get_name() == "ExtrasError") {
      auto extras = app.remaining();
      if (!extras.empty()) return UnknownArgument(extras.front());
    }
    return Err(ErrorCode::kInvalidArgument, "{}", e.what());
  }
  // Help for a subcommand comes through CallForHelp above; none given: usage.
  // run, bench and tune read a job the same way: a job file, flags, or both.
  CLI::App* job_sub = run->parsed()     ? run
                      : bench->parsed() ? bench
                      : tune->parsed()  ? tune
                                        : nullptr;
  if (job_sub != nullptr) {
    if (!job_sub->remaining().empty()) return UnknownArgument(job_sub->remaining().front());
    if (!raw.job_file.empty()) {
      // A stray word is a mistake, not a job file: those end in .toml.
      const std::string& job = raw.job_file;
      if (job.size() < 6 || job.compare(job.size() - 5, 5, ".toml") != 0) {
        return UnknownArgument(job);
      }
      return ParseWithJobFile(argc, argv, job);
    }
    if (auto st = FinishRun(raw, &inv.config); !st) return st.error();
    if (run->parsed()) {
      inv.action = Action::kRun;
      return inv;
    }
  }
  if (demo->parsed()) {
    if (auto st = ParseWorkers(raw.workers, &inv.config.workers); !st) return st.error();
    if (inv.config.output.empty()) inv.config.output = "products.csv";
    inv.action = Action::kDemo;
    return inv;
  }
  if (select->parsed() || extract->parsed()) {
    auto max_body = ParseSize(offline_max_body);
    if (!max_body) {
      return Err(ErrorCode::kInvalidArgument, "--max-body: {}", max_body.error().message);
    }
    if (*max_body == 0) return Err(ErrorCode::kInvalidArgument, "--max-body must be > 0");
    inv.config.max_body_bytes = *max_body;
    for (auto [flag, text, ms] : {std::tuple{"--timeout", &offline_timeout, &inv.config.timeout_ms},
                                  std::tuple{"--connect-timeout", &offline_connect_timeout,
                                             &inv.config.connect_timeout_ms}}) {
      if (text->empty()) continue;
      auto v = ParseDuration(*text);
      if (!v) return Err(ErrorCode::kInvalidArgument, "{}: {}", flag, v.error().message);
      if (*v <= 0) {
        return Err(ErrorCode::kInvalidArgument, "{} '{}': expected a duration above 0", flag,
                   *text);
      }
      *ms = static_cast<int64_t>(*v * 1000);
    }
    for (const auto& h : inv.config.headers) {
      if (h.find(':') == std::string::npos || h.front() == ':') {
        return Err(ErrorCode::kInvalidArgument, "--header '{}': expected 'Name: value'", h);
      }
    }
    if (auto st = CheckTlsFiles(inv.config); !st) return st.error();
  }
  if (select->parsed()) {
    if (select->count("--attr") > 0 && inv.attr.empty()) {
      return Err(ErrorCode::kInvalidArgument, "--attr '': expected an attribute name");
    }
    inv.files = {select_file};
    inv.action = Action::kSelect;
    return inv;
  }
  if (extract->parsed()) {
    if (auto st = ParseFields(extract_fields, &inv.config.fields); !st) return st.error();
    // `forage extract JOB.toml PAGE...`: the job's rules (and fetch settings),
    // unless --items / --field are given too.
    const std::string first = inv.files.front();  // a copy: erased below
    if (first.size() > 5 && first.compare(first.size() - 5, 5, ".toml") == 0) {
      std::vector<const char*> run_argv = {argv[0], "run", first.c_str()};
      auto job = ParseArgs(static_cast<int>(run_argv.size()), run_argv.data());
      if (!job) return job.error();
      if (inv.config.items.empty()) inv.config.items = job->config.items;
      if (inv.config.fields.empty()) inv.config.fields = job->config.fields;
      if (inv.config.user_agent.empty()) inv.config.user_agent = job->config.user_agent;
      if (inv.config.headers.empty()) inv.config.headers = job->config.headers;
      if (offline_timeout.empty()) inv.config.timeout_ms = job->config.timeout_ms;
      if (inv.config.cacert.empty()) inv.config.cacert = job->config.cacert;
      if (inv.config.capath.empty()) inv.config.capath = job->config.capath;
      if (inv.config.client_cert.empty()) {
        inv.config.client_cert = job->config.client_cert;
        inv.config.client_key = job->config.client_key;
      }
      inv.config.insecure = inv.config.insecure || job->config.insecure;
      inv.config.ignore_robots = inv.config.ignore_robots || job->config.ignore_robots;
      inv.config.http1_1 = inv.config.http1_1 || job->config.http1_1;
      if (offline_connect_timeout.empty()) {
        inv.config.connect_timeout_ms = job->config.connect_timeout_ms;
      }
      inv.files.erase(inv.files.begin());
      if (inv.files.empty()) {
        return Err(ErrorCode::kInvalidArgument,
                   "forage extract {}: name the pages to try the job's rules on (files, URLs or "
                   "-)",
                   first);
      }
    }
    if (inv.config.items.empty()) return Err(ErrorCode::kInvalidArgument, "--items is required");
    if (inv.config.fields.empty()) {
      return Err(ErrorCode::kInvalidArgument, "at least one --field NAME=SELECTOR is required");
    }
    inv.action = Action::kExtract;
    return inv;
  }
  if (bench->parsed()) {
    if (auto st = ParseWorkersList(bench_workers, &inv.bench.workers_list); !st) return st.error();
    if (inv.bench.repeat < 1) {
      return Err(ErrorCode::kInvalidArgument, "--repeat {}: expected 1 or more", inv.bench.repeat);
    }
    inv.action = Action::kBench;
    return inv;
  }
  if (tune->parsed()) {
    if (auto st = ParseWorkersList(bench_workers, &inv.tune.workers_list); !st) return st.error();
    if (auto st = ParseConcurrencyList(tune_concurrency, &inv.tune.concurrency_list); !st) {
      return st.error();
    }
    if (inv.tune.repeat < 1) {
      return Err(ErrorCode::kInvalidArgument, "--repeat {}: expected 1 or more", inv.tune.repeat);
    }
    if (inv.tune.sample_pages < 1) {
      return Err(ErrorCode::kInvalidArgument, "--sample {}: expected 1 or more pages",
                 inv.tune.sample_pages);
    }
    if (inv.tune.max_workers < 0) {
      return Err(ErrorCode::kInvalidArgument, "--max-workers {}: expected 1 or more",
                 inv.tune.max_workers);
    }
    auto budget = ParseDuration(tune_budget);
    if (!budget) return Err(ErrorCode::kInvalidArgument, "--budget: {}", budget.error().message);
    inv.tune.budget_s = *budget;
    // A concurrency sweep is not capped by the polite per-host default
    // unless the user (flag or job file) set --per-host.
    inv.tune.per_host_given = tune->count("--per-host") > 0;
    inv.action = Action::kTune;
    return inv;
  }
  inv.text = app.help();
  inv.exit_code = 2;
  return inv;
}

}  // namespace forage::cmd
