#include "cmd/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <time.h>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cmd/bench_chart.h"
#include "cmd/tune_rule.h"
#include "engine/engine.h"

namespace forage::cmd {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0 : (n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

Result<engine::Summary> RunOnce(engine::Config job, int workers, int concurrency) {
  job.workers = workers;
  job.concurrency = concurrency;
  // Every run is fresh and stores nothing: run's output flags have no effect.
  // Swept concurrency is not to be capped by the default --per-host (8) on a
  // one-host job; a per-host the user gave holds.
  if (!job.per_host_given && job.per_host != 0) job.per_host = std::max(job.per_host, concurrency);
  job.discard_output = true;
  job.quiet = true;
  job.report_path.clear();
  job.resume = false;
  job.force = false;
  return engine::Run(job);
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The share of one core this thread gets while it spins for 100 ms: 1 on an
// idle machine, less when other processes compete for the cores. Taken
// right after each run, so that tune_rule judges a worker's busy time
// against what it could have had.
double CoreShare() {
  constexpr double kSpin = 0.1;
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  double wall = 0;
  volatile uint64_t sink = 0;
  while ((wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) <
         kSpin) {
    for (uint64_t i = 0; i < 10000; ++i) sink = sink + i;
  }
  return std::clamp((ThreadCpuSeconds() - cpu0) / wall, 0.0, 1.0);
}

// The runs of one setting so far.
struct Samples {
  std::string mode;
  int workers = 1, concurrency = 1;
  std::vector<double> wall, user, sys, busy, share;
  uint64_t pages = 0, items = 0;
  double max_loop_lag_s = 0;
};

// One more run of a setting into `into`.
Status RunInto(const engine::Config& job, Samples* into) {
  auto s = RunOnce(job, into->workers, into->concurrency);
  if (!s) return s.error();
  if (s->pages_failed > 0) {
    return Err(ErrorCode::kIo, "bench: {} pages failed in the {} run ({} workers): {}",
               s->pages_failed, into->mode, into->workers,
               s->failures.empty() ? "" : s->failures[0].reason);
  }
  into->wall.push_back(s->wall_s);
  into->user.push_back(s->user_s);
  into->sys.push_back(s->sys_s);
  double busy = 0;
  for (const auto& w : s->per_worker) {
    busy += w.busy_s;
    into->max_loop_lag_s = std::max(into->max_loop_lag_s, w.max_loop_lag_s);
  }
  into->busy.push_back(busy);
  into->share.push_back(CoreShare());
  into->pages = s->pages_ok;
  into->items = s->items;
  return OkStatus();
}

// Medians and the spread of the wall time. `s` holds at least one run.
BenchRow RowOf(const Samples& s) {
  BenchRow row;
  row.mode = s.mode;
  row.workers = s.workers;
  row.concurrency = s.concurrency;
  row.wall_s = Median(s.wall);
  row.user_s = Median(s.user);
  row.sys_s = Median(s.sys);
  row.busy_s = Median(s.busy);
  row.core_share = Median(s.share);
  row.wall_min_s = *std::min_element(s.wall.begin(), s.wall.end());
  row.wall_max_s = *std::max_element(s.wall.begin(), s.wall.end());
  row.pages = s.pages;
  row.items = s.items;
  row.max_loop_lag_s = s.max_loop_lag_s;
  row.runs = static_cast<int>(s.wall.size());
  return row;
}

// Runs one configuration `repeat` times; medians and spread.
Result<BenchRow> Measure(const engine::Config& job, std::string mode, int workers,
                         int concurrency, int repeat) {
  Samples samples{std::move(mode), workers, concurrency, {}, {}, {}, {}, {}, 0, 0, 0};
  for (int i = 0; i < repeat; ++i) {
    if (auto st = RunInto(job, &samples); !st) return st.error();
  }
  return RowOf(samples);
}

int Cores() { return engine::UsableCores(); }

std::string Label(const BenchRow& r) {
  return r.mode == "hybrid" ? fmt::format("hybrid x{}", r.workers) : r.mode;
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Err(ErrorCode::kIo, "write '{}'", path);
  return OkStatus();
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace

std::string BenchTable(const std::vector<BenchRow>& rows) {
  const BenchRow* seq = nullptr;
  const BenchRow* async = nullptr;
  for (const auto& r : rows) {
    if (r.mode == "sequential") seq = &r;
    if (r.mode == "async") async = &r;
  }
  // CPU % as the run report counts it: user+sys over wall, of all the usable cores.
  const int cores = std::max(1, engine::UsableCores());
  std::string out = fmt::format(
      "| mode | workers | concurrency | wall s (min-max) | user s | sys s | CPU % of {} cores | "
      "pages/s | speed-up vs sequential | CPU cost vs async | worst loop lag ms |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n",
      cores);
  for (const auto& r : rows) {
    double cpu = r.user_s + r.sys_s;
    out += fmt::format(
        "| {} | {} | {} | {:.3f} ({:.3f}-{:.3f}) | {:.3f} | {:.3f} | {:.0f} | {:.1f} | {} | {} | "
        "{:.1f} |\n",
        r.mode, r.workers, r.concurrency, r.wall_s, r.wall_min_s, r.wall_max_s, r.user_s, r.sys_s,
        r.wall_s > 0 ? 100 * cpu / r.wall_s / cores : 0.0,
        r.wall_s > 0 ? static_cast<double>(r.pages) / r.wall_s : 0.0,
        seq != nullptr && r.wall_s > 0 ? fmt::format("{:.2f}x", seq->wall_s / r.wall_s) : "-",
        async != nullptr && async->user_s + async->sys_s > 0
            ? fmt::format("{:+.1f}%", 100 * (cpu / (async->user_s + async->sys_s) - 1))
            : "-",
        r.max_loop_lag_s * 1e3);
  }
  return out;
}

std::string BenchJson(const std::vector<BenchRow>& rows) {
  nlohmann::ordered_json j;
  j["rows"] = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    j["rows"].push_back({{"mode", r.mode},
                         {"workers", r.workers},
                         {"concurrency", r.concurrency},
                         {"wall_s", r.wall_s},
                         {"user_s", r.user_s},
                         {"sys_s", r.sys_s},
                         {"pages", r.pages},
                         {"items", r.items},
                         {"wall_min_s", r.wall_min_s},
                         {"wall_max_s", r.wall_max_s},
                         {"runs", r.runs},
                         {"max_loop_lag_ms", r.max_loop_lag_s * 1e3},
                         {"busy_s", r.busy_s},
                         {"core_share", r.core_share}});
  }
  return j.dump(2) + "\n";
}

std::string JobLabel(const engine::Config& job) {
  std::string what;
  if (!job.url_template.empty()) {
    what = fmt::format("{} pages {}", job.url_template, job.pages);
  } else if (!job.start_urls.empty()) {
    what = job.start_urls.front();
    if (job.start_urls.size() > 1) what += fmt::format(" and {} more", job.start_urls.size() - 1);
  } else if (!job.urls_file.empty()) {
    what = "URLs of " + job.urls_file;
  } else if (!job.sitemaps.empty()) {
    what = "sitemap " + job.sitemaps.front();
  }
  if (job.job_name.empty()) return what;
  return what.empty() ? job.job_name + ".toml" : fmt::format("{}.toml ({})", job.job_name, what);
}

namespace {

// The flags (and job-file keys) that reproduce a measured setting; per-host
// too when the job's cap would hold the concurrency back.
struct SettingFlags {
  std::string flags, keys;
};

SettingFlags FlagsFor(const BenchRow& r, const engine::Config& job, bool per_host_raised) {
  SettingFlags f{fmt::format("--workers {} --concurrency {}", r.workers, r.concurrency),
                 fmt::format("workers = {}, concurrency = {}", r.workers, r.concurrency)};
  if (per_host_raised && job.per_host != 0 && r.concurrency > job.per_host) {
    f.flags += fmt::format(" --per-host {}", r.concurrency);
    f.keys += fmt::format(", per_host = {}", r.concurrency);
  }
  return f;
}

std::string Range(const BenchRow& r) {
  return r.runs > 1 ? fmt::format("{:.3f} s ({:.3f}-{:.3f} over {} runs)", r.wall_s, r.wall_min_s,
                                  r.wall_max_s, r.runs)
                    : fmt::format("{:.3f} s (1 run)", r.wall_s);
}

std::string SettingName(const BenchRow& r) {
  return fmt::format("{} worker{} at concurrency {}", r.workers, r.workers == 1 ? "" : "s",
                     r.concurrency);
}

// Why `pick` is recommended, in one line.
std::string Why(const std::vector<BenchRow>& rows, size_t pick) {
  const size_t fastest = Fastest(rows);
  const BenchRow& p = rows[pick];
  if (pick != fastest) {
    return fmt::format(
        "why: median {}; the fastest, {} at {}, is not faster beyond the noise, so the cheaper "
        "setting wins",
        Range(p), SettingName(rows[fastest]), Range(rows[fastest]));
  }
  // The fastest beats every cheaper setting beyond the noise; name the
  // closest of them.
  const BenchRow* next = nullptr;
  for (const auto& r : rows) {
    if (Cheaper(r, p) && (next == nullptr || r.wall_s < next->wall_s)) next = &r;
  }
  if (next == nullptr) return fmt::format("why: median {}; the fastest and the cheapest", Range(p));
  return fmt::format(
      "why: median {}, the fastest; it beats every cheaper setting beyond the noise (the best of "
      "them, {}, took {})",
      Range(p), SettingName(*next), Range(*next));
}

constexpr const char* kRuleLine =
    "rule: faster beyond the noise = a lower median wall time by more than both min-max spreads "
    "together and by more than 5%; among the settings the fastest does not beat so, the cheapest "
    "(fewest workers, then lowest concurrency)";

nlohmann::ordered_json ContextJson(const engine::Config& job, const std::string& date) {
  nlohmann::ordered_json j;
  j["job"] = JobLabel(job);
  j["cores"] = Cores();
  j["date"] = date;
  return j;
}

}  // namespace

Status RunBench(const engine::Config& job, const BenchOptions& o) {
  std::vector<int> workers = o.workers_list;
  if (workers.empty()) {
    for (int w = 2; w <= Cores(); w *= 2) workers.push_back(w);
    if (workers.empty() || workers.back() != Cores()) workers.push_back(std::max(2, Cores()));
  }
  const int repeat = std::max(1, o.repeat);
  const std::string date = Today();
  std::vector<BenchRow> rows;
  auto add = [&](const std::string& mode, int w, int c) -> Status {
    fmt::print(stderr, "forage bench: {} (workers {}, concurrency {}) x{}\n", mode, w, c, repeat);
    auto row = Measure(job, mode, w, c, repeat);
    if (!row) return row.error();
    rows.push_back(*row);
    return OkStatus();
  };
  if (auto st = add("sequential", 1, 1); !st) return st;
  if (auto st = add("async", 1, job.concurrency); !st) return st;
  for (int w : workers) {
    if (auto st = add("hybrid", w, job.concurrency); !st) return st;
  }
  std::string table = BenchTable(rows);
  fmt::print("{}", table);
  for (const auto& r : rows) {
    if (r.items != rows.front().items) {
      return Err(ErrorCode::kIo, "bench: {} produced {} records, sequential {}", Label(r), r.items,
                 rows.front().items);
    }
  }
  fmt::print("\nevery mode produced the same {} records from {} pages\n", rows.front().items,
             rows.front().pages);
  const size_t pick = Recommend(rows);
  fmt::print("recommended: {} ({})\n{}\n", FlagsFor(rows[pick], job, false).flags,
             Label(rows[pick]), Why(rows, pick));
  if (!o.md_path.empty()) {
    if (auto st = WriteText(o.md_path, "# forage bench\n\n" + table); !st) return st;
  }
  if (!o.json_path.empty()) {
    auto j = nlohmann::ordered_json::parse(BenchJson(rows));
    j.update(ContextJson(job, date));
    j["recommended"] = pick;
    if (auto st = WriteText(o.json_path, j.dump(2) + "\n"); !st) return st;
  }
  if (!o.svg_path.empty()) {
    ChartContext chart{"forage bench", JobLabel(job), Cores(), date, static_cast<int>(pick)};
    if (auto st = WriteText(o.svg_path, BenchSvg(rows, chart)); !st) return st;
  }
  return OkStatus();
}

Status RunTune(const engine::Config& input, const TuneOptions& o) {
  engine::Config job = input;
  job.limit_pages = static_cast<uint64_t>(std::max(1, o.sample_pages));
  const int max_workers = o.max_workers > 0 ? o.max_workers : Cores();
  std::vector<int> workers = o.workers_list;
  if (workers.empty()) {
    for (int w = 1; w < max_workers; w *= 2) workers.push_back(w);
    workers.push_back(max_workers);
  }
  std::vector<int> concurrency = o.concurrency_list;
  if (concurrency.empty()) concurrency = {4, 16, 64, job.concurrency};
  for (auto* list : {&workers, &concurrency}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  // Every setting, cheapest first; the repeats are interleaved (each setting
  // once, then again) so that a slow spell of the machine spreads over all
  // settings instead of making one look slow.
  std::vector<Samples> points;
  for (int w : workers) {
    for (int c : concurrency) {
      points.push_back(Samples{w == 1 ? "async" : "hybrid", w, c, {}, {}, {}, {}, {}, 0, 0, 0});
    }
  }
  const bool raise_per_host = !o.per_host_given && !job.per_host_given && job.per_host != 0;
  const int repeat = std::max(1, o.repeat);
  const auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (int round = 0; round < repeat && !cut; ++round) {
    for (auto& p : points) {
      double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (spent > o.budget_s && !(round == 0 && &p == &points.front())) {
        cut = true;
        break;
      }
      fmt::print(stderr, "forage tune: run {} of {}: workers {} concurrency {}\n", round + 1,
                 repeat, p.workers, p.concurrency);
      engine::Config point = job;
      // A concurrency sweep must not be capped by the polite per-host
      // default: per-host rises with it unless the user set it.
      if (raise_per_host) point.per_host = std::max(job.per_host, p.concurrency);
      if (auto st = RunInto(point, &p); !st) return st;
    }
  }
  std::vector<BenchRow> rows;
  for (const auto& p : points) {
    if (!p.wall.empty()) rows.push_back(RowOf(p));
  }
  const std::string date = Today();
  const std::string table = BenchTable(rows);
  fmt::print("{}", table);
  const size_t pick = Recommend(rows);
  const SettingFlags flags = FlagsFor(rows[pick], job, raise_per_host);
  const ScalingVerdict scaling = JudgeScaling(rows);
  std::string text = fmt::format("\nrecommended: {}   (job file: {})\n{}\n{}\n{}\n", flags.flags,
                                 flags.keys, Why(rows, pick), ScalingLine(scaling), kRuleLine);
  if (raise_per_host && concurrency.back() > job.per_host) {
    text += fmt::format(
        "per-host: raised with the swept concurrency (the job's per-host cap of {} would hold "
        "it back); give --per-host to sweep under a fixed cap\n",
        job.per_host);
  } else if (job.per_host != 0 && concurrency.back() > job.per_host) {
    text += fmt::format(
        "per-host: capped at {} as given: on one host, concurrency above {} cannot be faster\n",
        job.per_host, job.per_host);
  }
  if (cut) {
    text += fmt::format("(the budget of {:.0f} s cut the sweep short: {} of {} runs done)\n",
                        o.budget_s, [&] {
                          size_t n = 0;
                          for (const auto& p : points) n += p.wall.size();
                          return n;
                        }(),
                        points.size() * static_cast<size_t>(repeat));
  }
  fmt::print("{}", text);
  if (!o.md_path.empty()) {
    if (auto st = WriteText(o.md_path, "# forage tune\n\n" + table + text); !st) return st;
  }
  if (!o.json_path.empty()) {
    auto j = nlohmann::ordered_json::parse(BenchJson(rows));
    j.update(ContextJson(job, date));
    j["recommended"] = {{"workers", rows[pick].workers},
                        {"concurrency", rows[pick].concurrency},
                        {"flags", flags.flags}};
    static constexpr const char* kScaling[] = {"unknown", "workers_help", "io_bound",
                                               "cpu_no_gain"};
    j["scaling"] = kScaling[static_cast<int>(scaling.scaling)];
    j["per_host_raised"] = raise_per_host;
    if (auto st = WriteText(o.json_path, j.dump(2) + "\n"); !st) return st;
  }
  if (!o.svg_path.empty()) {
    ChartContext chart{"forage tune", JobLabel(job), Cores(), date, static_cast<int>(pick)};
    if (auto st = WriteText(o.svg_path, BenchSvg(rows, chart)); !st) return st;
  }
  return OkStatus();
}

}  // namespace forage::cmd
