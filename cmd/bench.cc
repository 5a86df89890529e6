#include "cmd/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  // Swept concurrency is not to be capped by the default --per-host (8) on a
  // one-host job; a per-host the user gave holds.
  if (!job.per_host_given) job.per_host = std::max(job.per_host, concurrency);
  job.discard_output = true;
  job.quiet = true;
  job.report_path.clear();
  return engine::Run(job);
}

// Runs one configuration `repeat` times; medians and spread.
Result<BenchRow> Measure(const engine::Config& job, std::string mode, int workers,
                         int concurrency, int repeat) {
  BenchRow row;
  row.mode = std::move(mode);
  row.workers = workers;
  row.concurrency = concurrency;
  std::vector<double> wall, user, sys;
  for (int i = 0; i < repeat; ++i) {
    auto s = RunOnce(job, workers, concurrency);
    if (!s) return s.error();
    if (s->pages_failed > 0) {
      return Err(ErrorCode::kIo, "bench: {} pages failed in the {} run ({} workers): {}",
                 s->pages_failed, row.mode, workers,
                 s->failures.empty() ? "" : s->failures[0].reason);
    }
    wall.push_back(s->wall_s);
    user.push_back(s->user_s);
    sys.push_back(s->sys_s);
    row.pages = s->pages_ok;
    row.items = s->items;
    for (const auto& w : s->per_worker) row.max_loop_lag_s = std::max(row.max_loop_lag_s, w.max_loop_lag_s);
  }
  row.wall_s = Median(wall);
  row.user_s = Median(user);
  row.sys_s = Median(sys);
  row.wall_min_s = *std::min_element(wall.begin(), wall.end());
  row.wall_max_s = *std::max_element(wall.begin(), wall.end());
  row.runs = repeat;
  return row;
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

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
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
                         {"max_loop_lag_ms", r.max_loop_lag_s * 1e3}});
  }
  return j.dump(2) + "\n";
}

// Grouped bars: wall time and CPU time (user + sys) for every configuration.
std::string BenchSvg(const std::vector<BenchRow>& rows) {
  const double width =
      std::max(560.0, 120.0 * static_cast<double>(std::max<size_t>(rows.size(), 1)) + 140);
  const double height = 360, top = 50, bottom = 300, left = 70;
  double max_v = 0.001;
  for (const auto& r : rows) max_v = std::max({max_v, r.wall_s, r.user_s + r.sys_s});
  // A round axis maximum: 1, 2 or 5 times a power of ten.
  double step = std::pow(10.0, std::floor(std::log10(max_v)));
  double axis = step;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * step >= max_v) {
      axis = m * step;
      break;
    }
  }
  auto y = [&](double v) { return bottom - (bottom - top) * v / axis; };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2:.0f}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">forage bench: wall "
      "vs CPU time (s)</text>\n",
      width, height, left);
  for (int i = 0; i <= 5; ++i) {
    double v = axis * i / 5, yy = y(v);
    s += fmt::format(
        "<line x1=\"{:.0f}\" y1=\"{:.1f}\" x2=\"{:.0f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{:.0f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
        left, yy, width - 20, yy, left - 6, yy + 4, v);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    double x = left + 20 + 120.0 * static_cast<double>(i);
    double cpu = r.user_s + r.sys_s;
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"40\" height=\"{:.1f}\" fill=\"#3b6fb6\">"
        "<title>wall {:.3f} s</title></rect>\n"
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"40\" height=\"{:.1f}\" fill=\"#e08a2c\">"
        "<title>user+sys {:.3f} s</title></rect>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.2f}</text>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.2f}</text>\n"
        "<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{}</text>\n",
        x, y(r.wall_s), bottom - y(r.wall_s), r.wall_s, x + 42, y(cpu), bottom - y(cpu), cpu,
        x + 20, y(r.wall_s) - 4, r.wall_s, x + 62, y(cpu) - 4, cpu, x + 41, bottom + 18,
        XmlEscape(Label(r)));
  }
  s += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\" stroke=\"black\"/>\n"
      "<rect x=\"{0:.0f}\" y=\"{3:.0f}\" width=\"12\" height=\"12\" fill=\"#3b6fb6\"/>"
      "<text x=\"{4:.0f}\" y=\"{5:.0f}\">wall</text>\n"
      "<rect x=\"{6:.0f}\" y=\"{3:.0f}\" width=\"12\" height=\"12\" fill=\"#e08a2c\"/>"
      "<text x=\"{7:.0f}\" y=\"{5:.0f}\">user + sys (CPU)</text>\n</svg>\n",
      left, bottom, width - 20, bottom + 32, left + 16, bottom + 42, left + 80, left + 96);
  return s;
}

Status RunBench(const engine::Config& input, const BenchOptions& o) {
  engine::Config job = input;
  if (o.cpu_burn_s >= 0) job.cpu_burn_s = o.cpu_burn_s;
  std::vector<int> workers = o.workers_list;
  if (workers.empty()) {
    for (int w = 2; w <= Cores(); w *= 2) workers.push_back(w);
    if (workers.empty() || workers.back() != Cores()) workers.push_back(std::max(2, Cores()));
  }
  const int repeat = std::max(1, o.repeat);
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
  if (!o.md_path.empty()) {
    if (auto st = WriteText(o.md_path, "# forage bench\n\n" + table); !st) return st;
  }
  if (!o.json_path.empty()) {
    if (auto st = WriteText(o.json_path, BenchJson(rows)); !st) return st;
  }
  if (!o.svg_path.empty()) {
    if (auto st = WriteText(o.svg_path, BenchSvg(rows)); !st) return st;
  }
  return OkStatus();
}

Status RunTune(const engine::Config& input, const TuneOptions& o) {
  engine::Config job = input;
  job.limit_pages = static_cast<uint64_t>(std::max(1, o.sample_pages));
  const int max_workers = o.max_workers > 0 ? o.max_workers : Cores();
  std::vector<int> workers;
  for (int w = 1; w < max_workers; w *= 2) workers.push_back(w);
  workers.push_back(max_workers);
  std::vector<int> concurrency = {4, 16, 64, job.concurrency};
  std::sort(concurrency.begin(), concurrency.end());
  concurrency.erase(std::unique(concurrency.begin(), concurrency.end()), concurrency.end());

  const auto start = std::chrono::steady_clock::now();
  std::vector<BenchRow> rows;
  bool cut = false;
  for (int c : concurrency) {
    for (int w : workers) {
      double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (spent > o.budget_s) {
        cut = true;
        break;
      }
      fmt::print(stderr, "forage tune: workers {} concurrency {}\n", w, c);
      auto row = Measure(job, w == 1 ? "async" : "hybrid", w, c, 1);
      if (!row) return row.error();
      rows.push_back(*row);
    }
  }
  if (rows.empty()) return Err(ErrorCode::kInvalidArgument, "tune: the budget allows no run");
  fmt::print("{}", BenchTable(rows));
  double best_wall = rows[0].wall_s;
  for (const auto& r : rows) best_wall = std::min(best_wall, r.wall_s);
  // Among the runs within 10% of the best wall time, the cheapest in CPU;
  // then the fewest workers.
  const BenchRow* pick = nullptr;
  for (const auto& r : rows) {
    if (r.wall_s > best_wall * 1.10) continue;
    if (pick == nullptr || r.user_s + r.sys_s < pick->user_s + pick->sys_s - 1e-9 ||
        (r.user_s + r.sys_s <= pick->user_s + pick->sys_s + 1e-9 && r.workers < pick->workers)) {
      pick = &r;
    }
  }
  double best_one_worker = 0;
  for (const auto& r : rows) {
    if (r.workers == 1 && (best_one_worker == 0 || r.wall_s < best_one_worker)) best_one_worker = r.wall_s;
  }
  fmt::print("\nrecommended: --workers {} --concurrency {}   (job file: workers = {}, concurrency = {})\n",
             pick->workers, pick->concurrency, pick->workers, pick->concurrency);
  fmt::print("why: {:.3f} s wall on {} pages, within 10% of the best ({:.3f} s), at the least CPU "
             "({:.3f} s user+sys).\n",
             pick->wall_s, pick->pages, best_wall, pick->user_s + pick->sys_s);
  if (best_one_worker > 0 && best_one_worker <= best_wall * 1.10) {
    fmt::print("the job is IO-bound: one worker is as fast as several ({:.3f} s vs {:.3f} s); more "
               "workers will not help.\n",
               best_one_worker, best_wall);
  }
  if (cut) fmt::print("(the budget of {:.0f} s cut the sweep short)\n", o.budget_s);
  return OkStatus();
}

}  // namespace forage::cmd
