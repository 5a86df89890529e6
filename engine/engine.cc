#include "engine/engine.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "engine/cluster_run.h"
#include "engine/crawl.h"
#include "engine/crawl_journal.h"
#include "engine/job_rules.h"
#include "engine/master.h"
#include "engine/master_fetch.h"
#include "engine/plan.h"
#include "engine/proxy_list.h"
#include "engine/robots_gate.h"
#include "engine/sitemap_source.h"
#include "engine/store.h"
#include "engine/supervisor.h"
#include "parser/extract.h"
#include "parser/field_spec.h"
#include "worker/cpu_clock.h"
#include "worker/http_cache.h"
#include "worker/memory.h"
#include "worker/worker.h"

namespace forage::engine {
namespace {

constexpr const char* kUserAgent = "forage/0.1";

double Seconds(const timeval& tv) { return worker::TimevalSeconds(tv); }

// The name of the link column the list rules get with --follow; it is not
// written out.
constexpr const char* kFollowColumn = "\x01follow";

}  // namespace

// (JobRules, CompileJobRules and MakeWorkerConfig are declared in
// engine/job_rules.h: a node of a distributed job compiles the same rules.)
Result<JobRules> CompileJobRules(const Config& config) {
  std::vector<parser::FieldSpec> fields;
  for (const auto& f : config.fields) fields.push_back(parser::FieldSpec{f.name, f.selector});
  if (!config.follow.empty()) {
    if (config.detail_fields.empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--follow needs --detail-field NAME=SELECTOR for the pages it finds");
    }
    if (config.depth < 1) {
      return Err(ErrorCode::kInvalidArgument, "--depth {} must be 1 or more", config.depth);
    }
    // Every link of the item, resolved against the page's URL.
    fields.push_back(parser::FieldSpec{kFollowColumn, config.follow + " | all | url"});
  } else if (!config.detail_fields.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--detail-field needs --follow");
  }
  auto list = parser::CompileRules(config.items, fields);
  if (!list) {
    if (!config.follow.empty() &&
        list.error().message.find(kFollowColumn) != std::string::npos) {
      return Err(ErrorCode::kInvalidArgument, "--follow '{}': {}", config.follow,
                 list.error().message.substr(list.error().message.find(':') + 1));
    }
    return list.error();
  }
  JobRules out{std::move(*list), std::nullopt, std::nullopt, {}, {}};
  if (config.crawl || !config.next.empty() || !config.sitemaps.empty()) {
    if (auto st = CheckDiscoveryFlags(config); !st) return st.error();
  }
  if (config.crawl || !config.next.empty()) {
    std::vector<parser::FieldSpec> link_fields;
    if (config.crawl) {
      link_fields.push_back(parser::FieldSpec{"a", "a[href]::attr(href) | url | all"});
      link_fields.push_back(parser::FieldSpec{"area", "area[href]::attr(href) | url | all"});
    } else {
      auto next = parser::ParseFieldText("next", config.next);  // checked above
      link_fields.push_back(
          parser::FieldSpec{"next", next && next->options.url ? config.next : config.next + " | url"});
    }
    // A JSON next link (`json:$.next`) is read from the JSON page's root.
    const bool json_next = !config.crawl && IsJsonRule(config.next);
    auto links = parser::CompileRules(json_next ? "json:$" : ":root", link_fields);
    if (!links) {
      return Err(ErrorCode::kInvalidArgument, "--next '{}': {}", config.next,
                 links.error().message);
    }
    out.links = std::move(*links);
  }
  const size_t own = config.fields.size();
  out.names.assign(out.list.field_names().begin(), out.list.field_names().begin() + own);
  out.formats.assign(out.list.formats().begin(), out.list.formats().begin() + own);
  if (!config.follow.empty()) {
    std::vector<parser::FieldSpec> detail;
    for (const auto& f : config.detail_fields) {
      if (std::find(out.names.begin(), out.names.end(), f.name) != out.names.end()) {
        return Err(ErrorCode::kInvalidArgument,
                   "--detail-field '{}': a --field has that name already", f.name);
      }
      detail.push_back(parser::FieldSpec{f.name, f.selector});
    }
    auto compiled = parser::CompileRules(config.detail_items, detail);
    if (!compiled) {
      return Err(ErrorCode::kInvalidArgument, "detail pages: {}", compiled.error().message);
    }
    out.names.insert(out.names.end(), compiled->field_names().begin(),
                     compiled->field_names().end());
    out.formats.insert(out.formats.end(), compiled->formats().begin(), compiled->formats().end());
    out.detail = std::move(*compiled);
  }
  return out;
}

worker::WorkerConfig MakeWorkerConfig(const Config& config, const parser::Rules* rules) {
  worker::WorkerConfig w;
  w.fetch.timeout_ms = config.timeout_ms;
  w.fetch.connect_timeout_ms = config.connect_timeout_ms;
  w.fetch.max_body_bytes = config.max_body_bytes;
  w.fetch.user_agent = config.user_agent.empty() ? kUserAgent : config.user_agent;
  if (!config.contact.empty()) w.fetch.user_agent += " (+" + config.contact + ")";
  w.fetch.stall_timeout_ms = config.stall_timeout_ms;
  w.fetch.headers = config.headers;
  w.fetch.proxy = config.proxy;
  w.fetch.method = config.method;
  w.fetch.body = config.body;
  w.fetch.cacert = config.cacert;
  w.fetch.capath = config.capath;
  w.fetch.insecure = config.insecure;
  w.fetch.client_cert = config.client_cert;
  w.fetch.client_key = config.client_key;
  w.fetch.http1_1 = config.http1_1;
  w.fetch.cache_dir = config.cache_dir;
  w.fetch.cache_mode = config.cache_mode == "revalidate" ? worker::CacheMode::kRevalidate
                                                         : worker::CacheMode::kAlways;
  w.fetch.cache_max_bytes = config.cache_max_bytes;
  w.fetch.proxy_mode =
      config.proxy_mode == "sticky" ? worker::ProxyMode::kSticky : worker::ProxyMode::kRotate;
  w.rules = rules;
  w.cpu_burn_s = config.cpu_burn_s;
  w.page_cpu_limit_s = config.page_cpu_limit_s;
  // An in-process worker (--workers 0) is the master: it is never replaced.
  if (config.workers > 0) {
    w.max_rss_bytes = config.worker_max_rss_bytes > 0 ? config.worker_max_rss_bytes
                                                      : worker::DefaultWorkerMaxRss(config.workers);
  }
  return w;
}

namespace {

// SIGINT and SIGTERM are ignored from here until the process ends (a run in
// `forage bench` takes them again with its next Master), then unblocked
// (Master::CloseLoopHandles blocked them).
void IgnoreStopSignalsFromNowOn() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, nullptr);
  sigaction(SIGTERM, &ignore, nullptr);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
}

// The job's name: given, else the output file's stem ("products" for
// out/products.sqlite), else "records".
std::string JobName(const Config& config, const std::string& output) {
  if (!config.job_name.empty()) return config.job_name;
  std::string stem = std::filesystem::path(output).stem().string();
  return stem.empty() || stem == "-" ? "records" : stem;
}

// What makes two runs the same job for --resume: the pages, the rules and
// the output's format. A hash, so the state need not store the plan.
std::string Fingerprint(const Config& c, const Plan& plan) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](std::string_view s) {
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator, so "ab","c" != "a","bc"
  };
  for (uint64_t i = 0; i < plan.size(); ++i) mix(plan.url(i));
  mix(c.items);
  for (const auto& f : c.fields) {
    mix(f.name);
    mix(f.selector);
  }
  mix(c.order == Order::kPage ? "page" : "arrival");
  mix(c.follow);
  mix(c.detail_items);
  for (const auto& f : c.detail_fields) {
    mix(f.name);
    mix(f.selector);
  }
  mix(std::to_string(c.depth));
  if (c.crawl || !c.next.empty()) {  // the pages a run finds, and what it may find
    mix(c.crawl ? "crawl" : "next");
    mix(c.next);
    mix(c.scope);
    for (const auto& a : c.allow) mix("allow " + a);
    for (const auto& d : c.deny) mix("deny " + d);
    mix(std::to_string(c.max_depth));
    mix(std::to_string(c.max_pages));
  }
  // Only when given, so the states of earlier versions still match.
  if (!c.format.empty()) mix("format=" + c.format);
  if (c.with_source) mix("with_source");
  return fmt::format("{:016x}-{}", h, plan.size());
}

// Expands --sitemap into pages after the plan's own ("robots": the
// Sitemap: lines of the robots.txt of each host the plan has). Sitemaps that
// fail are listed in `out`; the job goes on with the others. The documents
// are fetched by `fetch` on its loop (the engine's, before the run).
Status AddSitemapPages(const Config& config, MasterFetch& fetch, RobotsGate* robots, Plan& plan,
                       SitemapPages* out) {
  std::vector<std::string> sources;
  for (const std::string& s : config.sitemaps) {
    if (s != "robots") {
      sources.push_back(s);
      continue;
    }
    if (plan.hosts().empty()) {
      return Err(ErrorCode::kInvalidArgument,
                 "--sitemap robots needs --url or --urls: whose robots.txt?");
    }
    if (robots) {
      // The gate's one fetch of each origin's robots.txt serves both: all of
      // them at once, then their Sitemap: lines in the plan's order.
      for (const std::string& origin : plan.hosts()) robots->AnswerFor(origin);
      fetch.RunUntil([robots] { return !robots->pending(); });
    }
    for (const std::string& origin : plan.hosts()) {
      if (!robots) {  // --ignore-robots: read it for its Sitemap: lines only
        sources.push_back(origin + "/robots.txt");
        continue;
      }
      if (const RobotsAnswer* a = robots->AnswerFor(origin)) {
        for (const std::string& sitemap : a->rules.sitemaps()) sources.push_back(sitemap);
      }
    }
  }
  *out = ExpandSitemaps(
      sources,
      [&fetch](const std::string& url, uint64_t cap) { return fetch.GetAndWait(url, cap); },
      SitemapUrlFilter(config),
      [&fetch](const std::vector<std::pair<std::string, uint64_t>>& documents) {
        fetch.Prefetch(documents);
      });
  uint64_t number = 0;
  for (const std::string& url : out->urls) {
    auto origin = UrlOrigin(url);
    if (!origin) continue;
    plan.Add(PageTask{++number, url, plan.InternHost(*origin)});
  }
  if (plan.size() == 0 && out->failures.empty()) {
    out->failures.push_back(PageFailure{config.sitemaps.front(), "sitemap: no page URL in it"});
  }
  return OkStatus();
}

Status CheckLimits(const Config& c) {
  if (c.concurrency < 1) {
    return Err(ErrorCode::kInvalidArgument, "concurrency {} must be at least 1", c.concurrency);
  }
  if (c.per_host < 0) {
    return Err(ErrorCode::kInvalidArgument, "per-host {} must be 0 (no limit) or more",
               c.per_host);
  }
  if (c.retries < 0) return Err(ErrorCode::kInvalidArgument, "retries {} must be 0 or more", c.retries);
  if (c.rate_per_host < 0) {
    return Err(ErrorCode::kInvalidArgument, "rate {} must be above 0", c.rate_per_host);
  }
  if (c.workers < -1) {
    return Err(ErrorCode::kInvalidArgument, "workers {} must be auto, 0 or more", c.workers);
  }
  return OkStatus();
}

}  // namespace

Result<Summary> Run(const Config& input) {
  const double start_s = static_cast<double>(uv_hrtime()) * 1e-9;
  // CPU time is counted from here: a process may run several jobs (bench).
  rusage self0{}, children0{};
  getrusage(RUSAGE_SELF, &self0);
  getrusage(RUSAGE_CHILDREN, &children0);
  Config config = input;
  if (auto st = CheckLimits(config); !st) return st.error();
  const int cores = UsableCores();
  RaiseFdLimit();  // thousands of connections; workers inherit it
  if (config.workers < 0) config.workers = cores;

  // Everything that can be wrong with the job is found before any work.
  const bool sitemap_only = config.url_template.empty() && config.urls_file.empty() &&
                            config.start_urls.empty() && !config.sitemaps.empty();
  auto plan = sitemap_only ? Result<Plan>(Plan{}) : BuildPlan(config);
  if (!plan) return plan.error();
  auto rules = CompileJobRules(config);
  if (!rules) return rules.error();
  const std::string output = config.output.empty() ? "-" : config.output;
  std::vector<size_t> key_columns;
  for (const auto& k : config.key) {
    const auto& names = rules->names;
    auto it = std::find(names.begin(), names.end(), k);
    if (it == names.end()) {
      return Err(ErrorCode::kInvalidArgument, "--key '{}' is not one of the fields", k);
    }
    key_columns.push_back(static_cast<size_t>(it - names.begin()));
  }
  if (config.resume && config.force) {
    return Err(ErrorCode::kInvalidArgument, "--resume and --force exclude each other");
  }
  worker::WorkerConfig worker_config = MakeWorkerConfig(config, &rules->list);
  if (!config.proxy_list.empty()) {
    auto proxies = ReadProxyList(config.proxy_list);
    if (!proxies) return proxies.error();
    worker_config.fetch.proxies = std::move(*proxies);
  }
  // --cache: opened (and bounded) once by the master before the workers
  // start, and bounded again when the run ends; workers also evict as they
  // store (worker::Fetcher::StoreInCache).
  std::optional<worker::HttpCache> cache;
  if (!config.cache_dir.empty()) {
    auto opened = worker::HttpCache::Open(config.cache_dir);
    if (!opened) return opened.error();
    cache.emplace(std::move(*opened));
    cache->Evict(config.cache_max_bytes);
  }
  // The master's own requests (robots.txt, sitemaps): asynchronous, on a
  // loop (engine/master_fetch), with the pages' options.
  std::optional<worker::NetworkScope> master_network;
  if (!config.ignore_robots || !config.sitemaps.empty()) {
    master_network.emplace();
    if (!master_network->ok()) return Err(ErrorCode::kInternal, "curl_global_init() failed");
  }
  MasterFetch master_fetch(worker_config.fetch);
  std::optional<RobotsGate> robots;
  if (!config.ignore_robots) {
    robots.emplace(&master_fetch, "forage",
                   RobotsRetry{config.retries, config.backoff_base_s, config.max_retry_wait_s});
  }
  // --sitemap: read before the workers start, on a loop of its own; their
  // pages join the plan (and so the job's fingerprint for --resume).
  SitemapPages sitemap_pages;
  if (!config.sitemaps.empty()) {
    worker::UvLoop sitemap_loop;
    if (!sitemap_loop.ok()) return Err(ErrorCode::kInternal, "uv_loop_init() failed");
    if (auto st = master_fetch.Attach(sitemap_loop.get()); !st) return st.error();
    auto st = AddSitemapPages(config, master_fetch, robots ? &*robots : nullptr, *plan,
                              &sitemap_pages);
    master_fetch.Detach();
    if (!st) return st.error();
  }
  SinkOptions sink_options;
  sink_options.path = output;
  sink_options.field_names = rules->names;
  sink_options.formats = rules->formats;
  sink_options.format = config.format;
  sink_options.with_source = config.with_source;
  // The rules each column came from: --field, then --detail-field.
  std::vector<FieldRule> column_rules = config.fields;
  column_rules.insert(column_rules.end(), config.detail_fields.begin(), config.detail_fields.end());
  for (size_t i = 0; i < rules->names.size(); ++i) {
    parser::FieldType type = parser::FieldType::kString;
    if (i < column_rules.size()) {
      auto parsed = parser::ParseFieldText(column_rules[i].name, column_rules[i].selector);
      if (parsed && !parsed->options.all) type = parsed->options.type;
    }
    sink_options.types.push_back(type);
  }
  sink_options.table = JobName(config, output);
  std::optional<ClusterJob> cluster;  // --redis: this run is a distributed job's collector
  if (!config.redis_url.empty()) {
    auto job = PrepareClusterJob(config, sink_options.table);
    if (!job) return job.error();
    cluster = std::move(*job);
  }
  sink_options.state_path = config.state_path;
  sink_options.fingerprint = Fingerprint(config, *plan);
  sink_options.overwrite = config.overwrite;
  sink_options.append = config.append;
  sink_options.mode = config.resume  ? ResumeMode::kResume
                      : config.force ? ResumeMode::kForce
                                     : ResumeMode::kFresh;
  // A write past RLIMIT_FSIZE must fail with EFBIG, reported with the
  // output's name, rather than kill the master with SIGXFSZ.
  signal(SIGXFSZ, SIG_IGN);
  std::vector<PageMark> resumed;
  auto sink = config.discard_output ? Result<std::unique_ptr<Sink>>(DiscardSink())
                                    : OpenSink(sink_options, &resumed);
  if (!sink) return sink.error();
  // --crawl to a file: the pages found are journaled beside the state, so
  // --resume continues page by page (engine/crawl_journal).
  std::unique_ptr<CrawlJournal> journal;
  std::vector<FoundPage> found;
  if (config.crawl && !config.discard_output && output != "-") {
    const std::string path = CrawlJournalPath(output, config.state_path);
    auto j = config.resume ? CrawlJournal::Resume(path, sink_options.fingerprint, &found)
                           : CrawlJournal::Create(path, sink_options.fingerprint);
    if (!j) return j.error();
    journal = std::move(*j);
  }

  if (rules->detail) worker_config.detail_rules = &*rules->detail;
  if (rules->links) worker_config.link_rules = &*rules->links;
  std::unique_ptr<worker::NetworkScope> network;
  if (config.workers == 0) {
    network = std::make_unique<worker::NetworkScope>();
    if (!network->ok()) return Err(ErrorCode::kInternal, "curl_global_init() failed");
  }

  Summary summary;
  summary.cores = cores;
  summary.workers = config.workers;
  if (!config.discard_output) {
    summary.output = output;
    auto format = SinkFormatFor(output, config.format);
    if (format) summary.output_format = SinkFormatName(*format);
  }
  summary.report_path = config.report_path;
  for (size_t i = 0; i < rules->names.size(); ++i) {
    summary.fields.push_back(
        FieldFill{rules->names[i], i < column_rules.size() ? column_rules[i].selector : ""});
  }
  summary.failures = std::move(sitemap_pages.failures);
  summary.pages_failed = summary.failures.size();
  Status run = OkStatus();
  // The collector leases to one slot, the cluster; its own node (a child
  // forked now, before the Master's loop exists) runs config.workers workers.
  Config collector_config = config;
  if (cluster) collector_config.workers = 1;
  pid_t node = -1;
  if (cluster && plan->size() > 0) {
    auto started = StartEmbeddedNode(config, *cluster);
    if (!started) return started.error();
    node = *started;
  }
  if (plan->size() > 0) {
    Master master(collector_config, *plan, worker_config, sink->get(), std::move(key_columns),
                  config.fields.size());
    if (cluster) master.SetCluster(*cluster);
    if (robots) {
      master.SetGate([&robots, &plan](uint64_t page, double* host_gap_s) {
        return robots->Judge(plan->url(page), host_gap_s);
      });
      master.SetLoopClient(&master_fetch);
      robots->SetOnAnswer([&master](const std::string&) { master.OnGateNews(); });
    }
    // --cache-mode always: a page whose entry is on disk makes no request,
    // so it takes no --rate/--delay/Crawl-delay slot (as Scrapy's cache
    // middleware answers before the download slot). A torn entry found
    // then is fetched unpaced, once. Not in a distributed job: the nodes'
    // caches are theirs.
    if (cache && !cluster && config.cache_mode != "revalidate") {
      master.SetNoRequest([&cache, &plan, &config](uint64_t page) {
        return cache->Has(worker::HttpCache::Key(config.method, plan->url(page), config.body));
      });
    }
    if (journal) master.SetCrawlJournal(journal.get(), std::move(found));
    run = master.Run(resumed, &summary);
    if (robots) robots->SetOnAnswer(nullptr);
  }
  {
    // The master's robots.txt and sitemap transfers count with the pages'.
    AddTransport(master_fetch.connection_stats(), &summary.transport);
  }
  if (cache) {
    summary.cache_enabled = true;
    cache->Evict(config.cache_max_bytes);
  }
  const auto& proxies = worker_config.fetch.proxies;
  summary.proxies.resize(proxies.size());
  for (size_t i = 0; i < proxies.size(); ++i) summary.proxies[i].url = proxies[i];
  if (cluster && plan->size() > 0) FinishCluster(config, *cluster, node, !run, &summary);
  if (robots) {
    summary.robots = robots->origins();
    for (const auto& o : summary.robots) summary.requests += o.requests;
  }
  // The loop is over and the output is not yet published: a SIGINT/SIGTERM
  // now (held pending since the master closed its signal handles) must not
  // kill the process half-way through Finish. The work is done; the output is
  // completed and the run ends as it would have.
  IgnoreStopSignalsFromNowOn();
  Status finish = (*sink)->Finish(run.has_value() && !summary.interrupted);
  // The state is gone with a complete run: the crawl's journal goes too.
  if (finish && journal && run.has_value() && !summary.interrupted) {
    if (auto st = journal->Remove(); !st) finish = st;
  }
  // `-o - | head`: the reader had enough. The run's figures still go to
  // --report; the caller exits 141.
  summary.output_closed = !run && run.error().code == ErrorCode::kClosed;
  if (!run && !summary.output_closed) return run.error();
  if (!finish && !(summary.output_closed && finish.error().code == ErrorCode::kClosed)) {
    return finish.error();
  }

  summary.fields.resize(rules->names.size());  // columns only (not --follow's links)
  for (FieldFill& f : summary.fields) f.empty = summary.items - std::min(summary.items, f.filled);

  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  summary.user_s = Seconds(self.ru_utime) - Seconds(self0.ru_utime) + Seconds(children.ru_utime) -
                   Seconds(children0.ru_utime);
  summary.sys_s = Seconds(self.ru_stime) - Seconds(self0.ru_stime) + Seconds(children.ru_stime) -
                  Seconds(children0.ru_stime);
  summary.wall_s = static_cast<double>(uv_hrtime()) * 1e-9 - start_s;
  return summary;
}

}  // namespace forage::engine
