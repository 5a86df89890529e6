#include "tests/torture/runner.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "tests/torture/job_process.h"

namespace forage::torture {

using testing::FileExists;
using testing::ReadFile;

struct Runner::Iteration {
  int index = 0;
  uint64_t seed = 0;
  Plan plan;
  std::string dir;
  std::string out;
  const Clean* clean = nullptr;
  std::deque<FaultEvent> pending;
  long requests_so_far = 0;  // fixture requests of the stages so far
  std::string after = "run";  // what the next stage follows, for messages
  bool done = false;          // a stage exited 0: the job is complete
  bool stop = false;          // no further stage can help
  std::vector<std::string> failures;
  std::set<std::string> failure_kinds;  // each counted once per iteration
  std::vector<std::string> stages;      // one summary per stage
};

namespace {

constexpr const char* kTable = "out";  // the job's table in a SQLite output: the output's stem
// A SQLite output builds the job's table under this name inside the
// database, and renames it to kTable in the transaction that completes the job.
constexpr const char* kPartTable = "_forage_part_out";

// What an output left on disk: an unfinished part (PATH.part, or the SQLite
// part table) and a published output (PATH, or the SQLite job table).
struct OnDisk {
  bool part = false;
  bool published = false;
};

OnDisk Look(const std::string& out, Sink sink) {
  if (sink == Sink::kSqlite) {
    return OnDisk{SqliteHasTable(out, kPartTable), SqliteHasTable(out, kTable)};
  }
  return OnDisk{FileExists(out + ".part"), FileExists(out)};
}

std::string Tail(const std::string& text, size_t max_chars = 400) {
  std::string t = text.size() > max_chars ? "..." + text.substr(text.size() - max_chars) : text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  for (char& c : t) {
    if (c == '\n') c = '|';
  }
  return t;
}

// "exit 3", "killed by signal 25 (SIGXFSZ)".
std::string Outcome(int code, int sig) {
  if (sig == 0) return fmt::format("exit {}", code);
  return fmt::format("killed by signal {} (SIG{})", sig, sigabbrev_np(sig));
}

long SizeOf(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<long>(n);
}

}  // namespace

Runner::Runner(const Options& options, const std::string& work_dir)
    : options_(options),
      work_dir_(work_dir),
      fixture_({"--pages", std::to_string(std::max(options.pages, 48)), "--delay",
                std::to_string(options.fixture_delay_ms), "--delay-spread",
                std::to_string(options.fixture_delay_ms)}) {}

std::vector<std::string> Runner::JobArgv(const JobShape& shape, int workers, int concurrency,
                                         const std::string& out) const {
  const std::string url = fixture_.url() + "shop/page/{page}/";
  const std::string few_pages = fmt::format("1-{}", std::max(1, options_.pages / 16));
  std::vector<std::string> argv;
  switch (shape.kind) {
    case JobKind::kList:
      argv = testing::SeedJob(fixture_, fmt::format("1-{}", options_.pages));
      break;
    case JobKind::kFollow:
      // Detail records carry the product page's whole markup (::html), so a
      // follow job's output is as large as a plain one's and holds CR, LF,
      // quotes and commas in its fields.
      argv = {testing::ForageBin(), "run", "--url", url, "--pages", few_pages,
              "--items", ".product", "--field", "name=h2", "--field", "price=.price",
              "--follow", ".woocommerce-loop-product__link::attr(href)",
              "--detail-field", "title=h1.product_title", "--detail-field", "sku=.sku",
              "--detail-field", "body=::html"};
      break;
    case JobKind::kDense:
      // Every element of the page: many small records, some fields missing
      // (empty in CSV, null in JSONL, NULL in SQLite).
      argv = {testing::ForageBin(), "run", "--url", url, "--pages", few_pages,
              "--items", "*", "--field", "class=::attr(class)", "--field", "id=::attr(id)",
              "--field", "href=::attr(href)", "--field", "text=::text"};
      break;
    case JobKind::kCrawl:
      // Every list page, found by following links from page 1.
      argv = testing::SeedJob(fixture_, "1");
      argv[3] = fixture_.url() + "shop/page/1/";
      argv.erase(argv.begin() + 4, argv.begin() + 6);  // no {page}, no --pages
      argv.insert(argv.end(), {"--crawl", "--allow", "/shop/page/[0-9]+/$"});
      break;
  }
  argv.insert(argv.end(), {"--workers", std::to_string(workers), "--concurrency",
                           std::to_string(concurrency), "--order",
                           shape.arrival ? "arrival" : "page", "-o", out, "--quiet"});
  return argv;
}

// Whether a job's records come in one order every run (a crawl's follow
// the order its pages were found in).
static bool InOrder(const JobShape& shape) { return !shape.arrival && shape.kind != JobKind::kCrawl; }

const Runner::Clean& Runner::CleanRun(const JobShape& shape) {
  auto& slot = clean_[shape];
  if (slot) return *slot;
  std::string name = shape.Name();
  std::replace(name.begin(), name.end(), ' ', '-');
  std::string dir = work_dir_ + "/clean-" + name;
  std::filesystem::create_directories(dir);
  std::string out = dir + "/out" + SinkExtension(shape.sink);
  fixture_.Get("/__reset");
  auto r = testing::RunProcess(JobArgv(shape, 2, 8, out), {}, options_.stage_timeout_s);
  if (r.exit_code != 0) {
    throw std::runtime_error(fmt::format("clean run of '{}' exited {}: {}", shape.Name(),
                                         r.exit_code, Tail(r.err)));
  }
  slot = std::make_unique<Clean>();
  slot->records = ReadRecords(out, shape.sink, kTable);
  slot->requests = fixture_.Stat("requests");
  slot->bytes = SizeOf(out);
  if (!slot->records.readable || slot->records.rows.empty()) {
    throw std::runtime_error(fmt::format("clean run of '{}' wrote nothing readable: {}",
                                         shape.Name(), slot->records.error));
  }
  fmt::print("clean run: {:<22} {:>5} records  {:>4} requests  {:>8} bytes\n", shape.Name(),
             slot->records.rows.size(), slot->requests, slot->bytes);
  return *slot;
}

void Runner::Fail(Iteration& it, const std::string& kind, const std::string& detail) {
  std::string key = fmt::format("{} [{}]", kind, SinkName(it.plan.shape.sink));
  if (it.failure_kinds.insert(key).second) ++tally_.failures[key];
  it.failures.push_back(detail.empty() ? kind : kind + ": " + detail);
}

// Waits until the stage has made `requests` fixture requests, then `delay_ms`
// more (a random moment, not a synchronisation). False if the run ended first.
bool Runner::WaitForMoment(JobProcess& proc, long requests, int delay_ms) {
  bool reached = testing::WaitUntil(
      [&] { return proc.Exited() || fixture_.Stat("requests") >= requests; },
      options_.stage_timeout_s);
  if (!reached || proc.Exited()) return false;
  if (delay_ms > 0) usleep(static_cast<useconds_t>(delay_ms) * 1000);
  return !proc.Exited();
}

void Runner::RunStage(Iteration& it, int index) {
  Stage st;
  st.index = index;
  st.resume = index > 0;
  auto argv = JobArgv(it.plan.shape, it.plan.workers, it.plan.concurrency, it.out);
  if (st.resume) argv.push_back("--resume");
  fixture_.Get("/__reset");

  long file_size_limit = 0;
  if (!st.resume && !it.pending.empty() && it.pending.front().kind == Fault::kDiskFull) {
    file_size_limit = std::max(16L << 10, static_cast<long>(it.pending.front().share *
                                                             static_cast<double>(it.clean->bytes)));
    it.pending.pop_front();
    ++tally_.faults_landed["disk-full"];
  }
  st.disk_full = file_size_limit > 0;
  st.label = st.resume ? "resume after " + it.after : "run";
  st.summary = st.disk_full ? fmt::format("run with RLIMIT_FSIZE={}", file_size_limit) : st.label;
  const std::string err_path = fmt::format("{}/stage-{}.err", it.dir, index);
  {
    JobProcess proc(argv, err_path, file_size_limit, options_.child_ignores_sigxfsz);
    if (!st.disk_full) InflictFaults(it, st, proc);
    st.code = proc.Wait(options_.stage_timeout_s);
    st.sig = proc.term_signal();
    if (!proc.GroupGone(10)) Fail(it, "workers outlived the master by 10 s", st.label);
  }
  it.requests_so_far += fixture_.Stat("requests");
  ++tally_.stages;
  if (st.resume) ++tally_.resumes;
  it.stages.push_back(fmt::format("{} -> {}", st.summary, Outcome(st.code, st.sig)));
  st.err = ReadFile(err_path);
  JudgeStage(it, st);
}

// At most one worker kill per process (a page being processed when two
// workers die is failed by design), then at most one fault that ends it.
void Runner::InflictFaults(Iteration& it, Stage& st, JobProcess& proc) {
  // The requests this stage has left to make, roughly: a resumed run refetches
  // what the last checkpoint did not cover, so never less than a quarter of
  // the job (a fault drawn past the stage's end misses, and is counted).
  const long total = it.clean->requests;
  const long remaining = std::max({1L, total / 4, total - it.requests_so_far});
  long at = 0;
  if (!it.pending.empty() && it.pending.front().kind == Fault::kKillWorker) {
    FaultEvent ev = it.pending.front();
    it.pending.pop_front();
    at = std::max(1L, std::lround(ev.share * static_cast<double>(remaining)));
    std::vector<pid_t> workers;
    if (WaitForMoment(proc, at, ev.delay_ms)) workers = proc.Workers();
    if (!workers.empty()) {
      Rng pick(it.seed ^ static_cast<uint64_t>(st.index + 1));
      st.worker_killed = kill(workers[pick.Below(workers.size())], SIGKILL) == 0;
    }
    ++(st.worker_killed ? tally_.faults_landed : tally_.faults_missed)["kill-worker"];
    st.summary += st.worker_killed ? fmt::format(", kill-worker@{}req", at)
                                   : ", kill-worker missed";
  }
  if (!it.pending.empty() && it.pending.front().kind != Fault::kKillWorker) {
    FaultEvent ev = it.pending.front();
    it.pending.pop_front();
    at += std::max(1L, std::lround(ev.share * static_cast<double>(std::max(1L, remaining - at))));
    const bool landed = WaitForMoment(proc, at, ev.delay_ms);
    if (landed && ev.kind == Fault::kKillMaster) proc.SignalGroup(SIGKILL);
    if (landed && ev.kind == Fault::kSigint) proc.Signal(SIGINT);
    if (landed) st.ending = ev.kind;
    ++(landed ? tally_.faults_landed : tally_.faults_missed)[FaultName(ev.kind)];
    st.summary += landed ? fmt::format(", {}@{}req+{}ms", FaultName(ev.kind), at, ev.delay_ms)
                         : fmt::format(", {} missed", FaultName(ev.kind));
  }
}

void Runner::JudgeStage(Iteration& it, const Stage& st) {
  const std::string what = st.disk_full    ? "disk-full"
                           : st.ending     ? FaultName(*st.ending)
                           : st.worker_killed ? "kill-worker"
                                              : st.label;
  if (st.code == -1) {
    Fail(it, what + ": no exit", fmt::format("killed after {} s", options_.stage_timeout_s));
    it.stop = true;
    return;
  }
  if (st.code == 0) {
    if (st.disk_full) Fail(it, "disk-full: exit 0 (want exit 3)", "the limit did not stop it");
    it.done = true;
    return;
  }
  // The previous fault landed after the job had completed: nothing is left
  // to resume, and the output must be whole.
  const OnDisk disk = Look(it.out, it.plan.shape.sink);
  if (st.code == 2 && st.resume && !disk.part && disk.published &&
      (it.plan.shape.sink == Sink::kSqlite || !FileExists(it.out + ".state"))) {
    it.stages.back() += " (nothing to resume: the fault came after completion)";
    it.done = true;
    return;
  }
  // An exit code, or (want_signal) death by that signal.
  int want = 0, want_signal = 0;
  if (st.disk_full) want = 3;
  if (st.ending == Fault::kKillMaster) want_signal = SIGKILL;
  if (st.ending == Fault::kSigint) want = 130;
  const bool as_wanted =
      want_signal != 0 ? st.sig == want_signal : st.sig == 0 && st.code == want;
  if (!as_wanted) {
    Fail(it, fmt::format("{}: {} (want {})", what, Outcome(st.code, st.sig),
                         Outcome(want, want_signal)),
         Tail(st.err));
  }
  CheckLeftovers(it, st, as_wanted);
  if (st.disk_full && st.err.find(it.out) == std::string::npos) {
    Fail(it, "disk-full: no message naming the output", Tail(st.err));
  }
  // 1: the run finished with failed pages; 2: refused. A resume cannot help.
  if (st.sig == 0 && (st.code == 1 || st.code == 2)) it.stop = true;
  it.after = st.resume && what == st.label ? "resume" : what;
}

// What a run ended by its fault must leave behind. A full disk never
// publishes, whatever the exit; the others are judged when the run ended as
// its fault should have made it end.
void Runner::CheckLeftovers(Iteration& it, const Stage& st, bool as_wanted) {
  const OnDisk disk = Look(it.out, it.plan.shape.sink);
  const bool part = disk.part;
  const bool published = disk.published;
  if (st.disk_full) {
    if (published) Fail(it, "disk-full: a file at the final path");
    if (!part) Fail(it, "disk-full: no PATH.part");
  }
  if (!as_wanted) return;
  if (st.ending == Fault::kKillMaster && !part && !published) {
    Fail(it, "kill-master: neither PATH.part nor PATH left");
  }
  if (st.ending != Fault::kSigint) return;
  // An interrupted file output is published with its state kept for
  // --resume; an interrupted SQLite job keeps its rows in the part table.
  const bool sqlite = it.plan.shape.sink == Sink::kSqlite;
  if (sqlite ? (!part || published) : (!published || part)) {
    Fail(it, sqlite ? "sigint: rows not kept in the part table" : "sigint: output not published at PATH");
    return;
  }
  Records kept = ReadRecords(it.out, it.plan.shape.sink, sqlite ? kPartTable : kTable);
  std::string why = kept.readable ? CheckPart(it.clean->records, kept, InOrder(it.plan.shape))
                                  : "unreadable: " + kept.error;
  if (!why.empty()) Fail(it, "sigint: kept output is not part of the clean one", why);
}

void Runner::CheckFinal(Iteration& it) {
  const Sink sink = it.plan.shape.sink;
  if (Look(it.out, sink).part) Fail(it, "final: PATH.part (or the SQLite part table) left");
  if (sink != Sink::kSqlite && FileExists(it.out + ".state")) Fail(it, "final: state left");
  Records got = ReadRecords(it.out, sink, kTable);
  if (!got.readable) {
    ++tally_.mismatches;
    Fail(it, "final: output unreadable", got.error);
    return;
  }
  if (got.has_state_tables) Fail(it, "final: resume tables left in the database");
  Diff d = Compare(it.clean->records, got, InOrder(it.plan.shape));
  if (d.Same()) return;
  ++tally_.mismatches;
  const std::string detail = d.Describe();
  if (d.duplicates > 0) Fail(it, "final: duplicate records", detail);
  if (d.missing > 0) Fail(it, "final: missing records", detail);
  if (d.foreign > 0) Fail(it, "final: records not in the clean run", detail);
  if (d.header_differs) Fail(it, "final: header differs", detail);
  if (d.duplicates == 0 && d.missing == 0 && d.foreign == 0) {
    if (d.first_difference >= 0) Fail(it, "final: order differs", detail);
    else if (d.bytes_differ) Fail(it, "final: bytes differ", detail);
  }
}

bool Runner::RunStages(Iteration& it) {
  // Each fault ends at most one stage, and one resume follows the last.
  const int max_stages = static_cast<int>(it.pending.size()) + 3;
  for (int stage = 0; stage < max_stages; ++stage) {
    RunStage(it, stage);
    if (it.done || it.stop) break;
  }
  if (!it.done && !it.stop) Fail(it, "never completed", fmt::format("{} stages", max_stages));
  return it.done;
}

Plan Runner::PlanOf(uint64_t seed, int index) const {
  Plan plan = DrawPlan(IterationSeed(seed, index), options_.max_kill_delay_ms);
  if (options_.only_sink) plan.shape.sink = *options_.only_sink;
  if (options_.only_job) plan.shape.kind = *options_.only_job;
  return plan;
}

bool Runner::RunIteration(uint64_t seed, int index) {
  Iteration it;
  it.index = index;
  it.seed = IterationSeed(seed, index);
  it.plan = PlanOf(seed, index);
  it.clean = &CleanRun(it.plan.shape);
  it.dir = fmt::format("{}/iter-{:04}", work_dir_, index);
  std::filesystem::remove_all(it.dir);
  std::filesystem::create_directories(it.dir);
  it.out = it.dir + "/out" + SinkExtension(it.plan.shape.sink);
  it.pending.assign(it.plan.faults.begin(), it.plan.faults.end());

  const auto start = std::chrono::steady_clock::now();
  ++tally_.iterations;
  ++tally_.iterations_by_sink[SinkName(it.plan.shape.sink)];
  if (RunStages(it)) CheckFinal(it);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const bool ok = it.failures.empty();
  fmt::print("iter {:4} {}: {} ({:.1f} s)\n", index, ok ? "ok  " : "FAIL", it.plan.Describe(),
             wall_s);
  if (!ok || options_.verbose) {
    for (const auto& s : it.stages) fmt::print("      stage: {}\n", s);
  }
  if (ok) {
    ++tally_.passed;
    if (!options_.keep) std::filesystem::remove_all(it.dir);
  } else {
    ++tally_.failed_by_sink[SinkName(it.plan.shape.sink)];
    for (const auto& f : it.failures) fmt::print("      FAIL {}\n", f);
    fmt::print("      kept {}\n", it.dir);
  }
  std::fflush(stdout);
  return ok;
}

}  // namespace forage::torture
