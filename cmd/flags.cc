#include "cmd/flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <vector>

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
      "--depth",   "--chunking",    "--user-agent", "--contact", "--ignore-robots", "--sitemap", "--output", "--report",
      "--quiet",   "--help",     "--version"};
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
};

void AddRunFlags(CLI::App* run, engine::Config* c, RawRun* raw) {
  // A flag given twice (in the job file, then on the command line) takes the
  // last value: the command line overrides the file.
  run->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  run->add_option("job", raw->job_file, "job file (TOML); flags given here override it");
  run->add_option("--url", c->url_template, "URL template with {page}");
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
  run->add_option("--depth", c->depth, "levels of links to follow (1)");
  run->add_option("-w,--workers", raw->workers, "worker processes: N, auto (cores), 0 (in-process)");
  run->add_option("-c,--concurrency", c->concurrency, "transfers in flight, whole job");
  run->add_option("--per-host", c->per_host, "transfers in flight per host, whole job (0 = no cap)");
  run->add_option("--rate", c->rate_per_host, "requests per second per host, whole job");
  run->add_option("--delay", raw->delay, "gap between requests to a host, jittered x0.5-1.5");
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
  run->add_option("-X,--method", c->method, "request method (GET)");
  run->add_option("--data", c->body, "request body (with --method POST)");
  run->add_option("-o,--output", c->output, "output: .csv, .jsonl, or - (JSONL on stdout)");
  run->add_option("--report", c->report_path, "write the run's figures as JSON");
  run->add_option("--state", c->state_path, "where the resume state lives (OUTPUT.state)");
  run->add_flag("--resume", c->resume, "continue the unfinished run of this job");
  run->add_option("--key", c->key, "a field that identifies a record; repeats are dropped")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_flag("--force", c->force, "start over even if an unfinished run's state exists");
  run->add_flag("--overwrite", c->overwrite,
                "replace an existing output (kept if the run stores no record)");
  run->add_flag("--append", c->append, "add the records after an existing output's own");
  run->add_flag("-q,--quiet", c->quiet, "no report and no progress on stderr");
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
        DurationFlag{"--stall-timeout", raw.stall_timeout, &stall_s, false}}) {
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
  if (c->urls_file.empty()) {
    if (c->url_template.empty() && c->sitemaps.empty()) return Err(ErrorCode::kInvalidArgument, "--url is required (or --urls FILE)");
    if (!c->url_template.empty() && c->pages.empty()) return Err(ErrorCode::kInvalidArgument, "--pages is required with --url");
  } else if (!c->url_template.empty() || !c->pages.empty()) {
    return Err(ErrorCode::kInvalidArgument, "--urls cannot be combined with --url/--pages");
  }
  if (c->items.empty()) return Err(ErrorCode::kInvalidArgument, "--items is required");
  if (c->fields.empty()) {
    return Err(ErrorCode::kInvalidArgument, "at least one --field NAME=SELECTOR is required");
  }
  return OkStatus();
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
                              Repeatable{"--key", "--key"},
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
  for (int i = 2; i < argc; ++i) {  // after "forage run"
    if (!dropped && argv[i] == job) {
      dropped = true;
      continue;
    }
    cli.emplace_back(argv[i]);
  }
  std::vector<std::string> merged = MergeJobArgs(std::move(*file_args), cli);
  merged.insert(merged.begin(), {argv[0], "run"});
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

Result<Invocation> ParseArgs(int argc, const char* const* argv) {
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

  std::string bench_job, bench_workers, bench_burn, tune_budget = "120s";
  CLI::App* bench = app.add_subcommand(
      "bench", "run a job as sequential, async and hybrid; compare wall with user+sys time");
  bench->add_option("job", bench_job, "job file (TOML)")->required();
  bench->add_option("--workers-list", bench_workers, "hybrid worker counts, e.g. 1,2,4,8");
  bench->add_option("--repeat", inv.bench.repeat, "runs per configuration (3); medians reported");
  bench->add_option("--cpu-burn", bench_burn, "CPU time per page, overrides the job's");
  bench->add_option("--md", inv.bench.md_path, "write the table as Markdown");
  bench->add_option("--json", inv.bench.json_path, "write the rows as JSON");
  bench->add_option("--svg", inv.bench.svg_path, "write a chart of wall and CPU time");
  CLI::App* tune = app.add_subcommand(
      "tune", "sweep workers x concurrency on a sample of a job and recommend settings");
  tune->add_option("job", bench_job, "job file (TOML)")->required();
  tune->add_option("--max-workers", inv.tune.max_workers, "largest worker count tried (cores)");
  tune->add_option("--sample", inv.tune.sample_pages, "pages of the job to use (48)");
  tune->add_option("--budget", tune_budget, "stop sweeping after this long (120s)");

  CLI::App* select = app.add_subcommand(
      "select", "print every match of a selector in a local HTML file, one JSON value a line");
  std::string select_file;
  select->add_option("file", select_file, "HTML file")->required();
  select->add_option("selector", inv.selector, "CSS selector (may end in ::text, ::attr(x))")
      ->required();
  select->add_option("--attr", inv.attr, "print this attribute's value instead of the text");
  CLI::App* extract = app.add_subcommand(
      "extract", "apply --items/--field rules to local HTML files, print JSON Lines");
  extract->add_option("files", inv.files, "HTML files")->required();
  extract->add_option("--items", inv.config.items, "CSS selector: one record per match");
  std::vector<std::string> extract_fields;
  extract->add_option("--field", extract_fields, "NAME=SELECTOR (repeatable)")
      ->allow_extra_args(false);
  extract->add_option("--base-url", inv.base_url, "the pages' URL, to resolve `url` fields");
  // As run's --max-body: a larger file is refused (exit 2), not read.
  std::string offline_max_body = "16";
  for (CLI::App* offline : {select, extract}) {
    offline->add_option("--max-body", offline_max_body,
                        "refuse a larger file: MiB, or a size such as 200MB (16)");
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
  if (run->parsed()) {
    if (!run->remaining().empty()) return UnknownArgument(run->remaining().front());
    if (!raw.job_file.empty()) {
      // A stray word is a mistake, not a job file: those end in .toml.
      const std::string& job = raw.job_file;
      if (job.size() < 6 || job.compare(job.size() - 5, 5, ".toml") != 0) {
        return UnknownArgument(job);
      }
      return ParseWithJobFile(argc, argv, job);
    }
    if (auto st = FinishRun(raw, &inv.config); !st) return st.error();
    inv.action = Action::kRun;
    return inv;
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
  }
  if (select->parsed()) {
    inv.files = {select_file};
    inv.action = Action::kSelect;
    return inv;
  }
  if (extract->parsed()) {
    if (auto st = ParseFields(extract_fields, &inv.config.fields); !st) return st.error();
    if (inv.config.items.empty()) return Err(ErrorCode::kInvalidArgument, "--items is required");
    if (inv.config.fields.empty()) {
      return Err(ErrorCode::kInvalidArgument, "at least one --field NAME=SELECTOR is required");
    }
    inv.action = Action::kExtract;
    return inv;
  }
  if (bench->parsed() || tune->parsed()) {
    std::vector<const char*> run_argv = {argv[0], "run", bench_job.c_str()};
    auto job = ParseArgs(static_cast<int>(run_argv.size()), run_argv.data());
    if (!job) return job.error();
    inv.config = job->config;
    if (bench->parsed()) {
      if (auto st = ParseWorkersList(bench_workers, &inv.bench.workers_list); !st) return st.error();
      if (inv.bench.repeat < 1) {
        return Err(ErrorCode::kInvalidArgument, "--repeat {}: expected 1 or more",
                   inv.bench.repeat);
      }
      if (!bench_burn.empty()) {
        auto burn = ParseDuration(bench_burn);
        if (!burn) return Err(ErrorCode::kInvalidArgument, "--cpu-burn: {}", burn.error().message);
        inv.bench.cpu_burn_s = *burn;
      }
      inv.action = Action::kBench;
    } else {
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
      inv.action = Action::kTune;
    }
    return inv;
  }
  inv.text = app.help();
  inv.exit_code = 2;
  return inv;
}

}  // namespace forage::cmd
