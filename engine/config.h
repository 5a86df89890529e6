#pragma once
// The job, as the user asked for it: a plain struct filled and validated once
// by cmd/flags.cc, read by the engine. No behaviour here.

#include <cstdint>
#include <string>
#include <vector>

namespace forage::engine {

struct FieldRule {
  std::string name;
  std::string selector;  // may end in ::attr(NAME) or ::text
};

enum class Order { kPage, kArrival };
enum class Chunking { kDynamic, kStatic };

struct Config {
  // What to fetch: a template with {page} over a page list, or a URL file.
  std::string url_template;
  std::string pages;  // "1-48", "1-10,15,20-30"
  std::string urls_file;
  // Start URLs without {page} (--url given once without {page}, or repeated).
  std::vector<std::string> start_urls;
  // --sitemap: sitemap URLs (or "robots": the Sitemap: lines of the plan's
  // hosts' robots.txt); their pages come after the plan's, in sitemap order.
  std::vector<std::string> sitemaps;
  uint64_t limit_pages = 0;  // only the first N pages of the plan (forage tune); 0 = all

  // What to extract.
  std::string items;
  std::vector<FieldRule> fields;

  // Two-stage crawls: --follow is a field selector for each item's link(s);
  // the pages it finds are extracted with detail_items / detail_fields, each
  // record prefixed with the fields of the item that linked to it. Pages at
  // `depth` levels below the plan's are detail pages; levels above are list
  // pages (the job's items and fields, and --follow).
  std::string follow;
  std::string detail_items = ":root";
  std::vector<FieldRule> detail_fields;
  int depth = 1;

  // Discovery (engine/crawl): --next follows one next link a page (the chain
  // is one root); --crawl follows every in-scope <a>/<area> link. `max_depth`
  // (-1 = none) and `max_pages` (0 = none) bound both; --allow/--deny are RE2
  // patterns matched against the absolute URL.
  std::string next;
  bool crawl = false;
  std::string scope = "host";  // host | domain | any
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  int max_depth = -1;
  uint64_t max_pages = 0;

  // How.
  int workers = -1;  // -1 = auto (usable cores), 0 = in-process
  // Polite defaults (Scrapy's are 16 and 8): a real site sees at most 8.
  int concurrency = 32;
  int per_host = 8;  // 0 = only --concurrency applies
  bool per_host_given = false;  // --per-host (or per_host) was set, not the default
  double rate_per_host = 0;  // requests per second per host, whole job; 0 = none
  double delay_s = 0;        // gap between requests to one host, jittered x0.5-1.5
  // --throttle auto: each host's cap on transfers in flight adapts
  // (engine/throttle), from 2 up to per_host (--concurrency if per_host is 0).
  bool throttle_auto = false;
  int retries = 3;           // further attempts for a retryable failure
  double max_retry_wait_s = 60;  // cap on backoff and on Retry-After
  double backoff_base_s = 0.5;   // first backoff; doubles with each attempt
  int64_t timeout_ms = 30'000;
  int64_t connect_timeout_ms = 10'000;
  int64_t stall_timeout_ms = 30'000;  // abort a transfer that receives nothing this long
  uint64_t max_body_bytes = 16ull << 20;
  double cpu_burn_s = 0;
  // A worker silent this long while it holds pages is killed as hung.
  double hang_timeout_s = 30;
  // CPU time a page may take in parse and extraction before it fails with
  // "too slow" (not retried); 0 = no limit. --cpu-burn is not counted.
  double page_cpu_limit_s = 10;
  // A worker whose resident memory passes this after a page asks to be
  // replaced (Retire). 0 = the default: half the RAM shared by the workers.
  uint64_t worker_max_rss_bytes = 0;
  Order order = Order::kPage;
  Chunking chunking = Chunking::kDynamic;
  std::string user_agent;
  std::string contact;  // appended to the User-Agent as " (+CONTACT)"
  // robots.txt (engine/robots_gate) is obeyed unless this is set.
  bool ignore_robots = false;
  std::vector<std::string> headers;  // "Name: value"
  std::string proxy;
  std::string method;  // empty = GET
  std::string body;
  // --cache DIR (worker/http_cache): responses kept on disk and served again;
  // --cache-mode always (no request when an entry exists) or revalidate
  // (conditional request; 304 reuses the entry); --cache-max bounds the
  // directory (0 = no bound).
  std::string cache_dir;
  std::string cache_mode = "always";
  uint64_t cache_max_bytes = 0;
  // --proxy-list FILE (engine/proxy_list): one proxy URL a line, read by
  // engine::Run; --proxy-mode rotate (each request the next proxy) or sticky
  // (one proxy per host).
  std::string proxy_list;
  std::string proxy_mode = "rotate";

  // Where results go.
  std::string job_name;
  std::vector<std::string> key;  // fields whose values identify a record; repeats are dropped  // names the SQLite table; default: the output's file name stem
  std::string output;  // .csv / .jsonl / .sqlite; "-" or empty = JSONL on stdout
  std::string format;  // csv, jsonl, json, sqlite; empty: by the output's extension
  bool with_source = false;  // add page_url and page_number to every record
  bool allow_empty = false;  // a run that extracts no item at all is not an error
  bool discard_output = false;  // count records but store none (forage bench)
  std::string report_path;
  std::string state_path;  // empty: OUTPUT.state
  bool resume = false;     // continue the unfinished run whose state exists
  bool force = false;      // start over even if a state exists
  bool overwrite = false;  // replace an existing output (kept if the run stores no record)
  bool append = false;     // add the records after an existing output's own
  bool quiet = false;

  // TLS and HTTP versions (worker/curl_options). Empty: the system's CA store,
  // no client certificate.
  std::string cacert;       // --cacert: PEM bundle of CAs to trust instead
  std::string capath;       // --capath: directory of hashed CA certificates
  bool insecure = false;    // --insecure: no certificate or host name check
  std::string client_cert;  // --cert: client certificate (PEM; may hold the key too)
  std::string client_key;   // --key FILE with --cert, or --cert-key: its private key
  bool http1_1 = false;     // --http1.1: never HTTP/2 (default: HTTP/2 over TLS when offered)
  // Distributed mode (docs/distributed.md): the job goes through this Redis
  // (redis://HOST[:PORT][/DB]); empty = local mode.
  std::string redis_url;
  double lease_timeout_s = 30;  // a node's lease not renewed this long is reclaimed
  int max_deliveries = 3;       // a page lost this many times on nodes is dead (poison)
};

}  // namespace forage::engine
