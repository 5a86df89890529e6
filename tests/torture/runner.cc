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
  std::vector<std::string> stages;  // one summary per stage
};

namespace {

constexpr const char* kTable = "out";  // the job's table in a SQLite output: the output's stem

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
  }
  argv.insert(argv.end(), {"--workers", std::to_string(workers), "--concurrency",
                           std::to_string(concurrency), "--order",
                           shape.arrival ? "arrival" : "page", "-o", out, "--quiet"});
  return argv;
}

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
  ++tally_.failures[fmt::format("{} [{}]", kind, SinkName(it.plan.shape.sink))];
  it.failures.push_back(detail.empty() ? kind : kind + ": " + detail);
}

// Waits until the stage has made `requests` fixture requests, then `delay_ms`
// more (a random moment, not a synchronisation). False if the run ended first.
bool Runner::WaitForMoment(Iteration&, JobProcess& proc, long requests, int delay_ms) {
  bool reached = testing::WaitUntil(
      [&] { return proc.Exited() || fixture_.Stat("requests") >= requests; },
      options_.stage_timeout_s);
  if (!reached || proc.Exited()) return false;
  if (delay_ms > 0) usleep(static_cast<useconds_t>(delay_ms) * 1000);
  return !proc.Exited();
}

void Runner::RunStage(Iteration& it, int stage) {
  const bool resume = stage > 0;
  const Clean& clean = *it.clean;
  auto argv = JobArgv(it.plan.shape, it.plan.workers, it.plan.concurrency, it.out);
  if (resume) argv.push_back("--resume");
  fixture_.Get("/__reset");

  long file_size_limit = 0;
  if (!resume && !it.pending.empty() && it.pending.front().kind == Fault::kDiskFull) {
    file_size_limit = std::max(16L << 10, static_cast<long>(it.pending.front().share *
                                                             static_cast<double>(clean.bytes)));
    it.pending.pop_front();
  }
  const bool disk_full = file_size_limit > 0;
  const std::string label = resume ? "resume after " + it.after : "run";
  std::string summary = disk_full ? fmt::format("run with RLIMIT_FSIZE={}", file_size_limit)
                                  : label;
  const std::string err_path = fmt::format("{}/stage-{}.err", it.dir, stage);
  JobProcess proc(argv, err_path, file_size_limit, options_.child_ignores_sigxfsz);
  // The requests this stage has left to make, roughly: a resumed run refetches
  // what the last checkpoint did not cover, so never less than a quarter of
  // the job (a fault drawn past the stage's end misses, and is counted).
  const long remaining =
      std::max({1L, clean.requests / 4, clean.requests - it.requests_so_far});
  Rng pick(it.seed ^ static_cast<uint64_t>(stage + 1));

  // At most one worker kill per process (a page being processed when two
  // workers die is failed by design), then at most one fault that ends it.
  bool worker_killed = false;
  std::optional<Fault> ending;
  long at = 0;
  if (!disk_full && !it.pending.empty() && it.pending.front().kind == Fault::kKillWorker) {
    FaultEvent ev = it.pending.front();
    it.pending.pop_front();
    at = std::max(1L, std::lround(ev.share * static_cast<double>(remaining)));
    std::vector<pid_t> workers;
    if (WaitForMoment(it, proc, at, ev.delay_ms)) workers = proc.Workers();
    if (!workers.empty()) {
      pid_t victim = workers[pick.Below(workers.size())];
      worker_killed = kill(victim, SIGKILL) == 0;
    }
    ++(worker_killed ? tally_.faults_landed : tally_.faults_missed)["kill-worker"];
    summary += worker_killed ? fmt::format(", kill-worker@{}req", at) : ", kill-worker missed";
  }
  if (!disk_full && !it.pending.empty() && it.pending.front().kind != Fault::kKillWorker) {
    FaultEvent ev = it.pending.front();
    it.pending.pop_front();
    at += std::max(1L, std::lround(ev.share * static_cast<double>(std::max(1L, remaining - at))));
    bool landed = WaitForMoment(it, proc, at, ev.delay_ms);
    if (landed && ev.kind == Fault::kKillMaster) proc.SignalGroup(SIGKILL);
    if (landed && ev.kind == Fault::kSigint) proc.Signal(SIGINT);
    if (landed) ending = ev.kind;
    ++(landed ? tally_.faults_landed : tally_.faults_missed)[FaultName(ev.kind)];
    summary += landed ? fmt::format(", {}@{}req+{}ms", FaultName(ev.kind), at, ev.delay_ms)
                      : fmt::format(", {} missed", FaultName(ev.kind));
  }
  if (disk_full) ++tally_.faults_landed["disk-full"];

  const int code = proc.Wait(options_.stage_timeout_s);
  const int sig = proc.term_signal();
  if (!proc.GroupGone(10)) Fail(it, "workers outlived the master by 10 s", label);
  it.requests_so_far += fixture_.Stat("requests");
  ++tally_.stages;
  if (resume) ++tally_.resumes;
  it.stages.push_back(fmt::format("{} -> {}", summary, Outcome(code, sig)));
  const std::string err = ReadFile(err_path);

  const std::string what = disk_full ? "disk-full"
                           : ending  ? FaultName(*ending)
                           : worker_killed ? "kill-worker"
                                           : label;
  // An exit code, or (want_signal) death by that signal.
  int want = 0, want_signal = 0;
  if (disk_full) want = 3;
  if (ending == Fault::kKillMaster) want_signal = SIGKILL;
  if (ending == Fault::kSigint) want = 130;

  if (code == -1) {
    Fail(it, what + ": no exit", fmt::format("killed after {} s", options_.stage_timeout_s));
    it.stop = true;
    return;
  }
  if (code == 0) {
    if (disk_full) Fail(it, "disk-full: exit 0 (want exit 3)", "the limit did not stop the run");
    it.done = true;
    return;
  }
  // The previous fault landed after the job had completed: nothing is left
  // to resume, and the output must be whole.
  if (code == 2 && resume && !FileExists(it.out + ".part") && FileExists(it.out) &&
      (it.plan.shape.sink == Sink::kSqlite || !FileExists(it.out + ".state"))) {
    it.stages.back() += " (nothing to resume: the fault came after completion)";
    it.done = true;
    return;
  }
  const bool as_wanted = want_signal != 0 ? sig == want_signal : sig == 0 && code == want;
  if (!as_wanted) {
    Fail(it, fmt::format("{}: {} (want {})", what, Outcome(code, sig), Outcome(want, want_signal)),
         Tail(err));
  }
  if (disk_full) {
    if (err.find(it.out) == std::string::npos) {
      Fail(it, "disk-full: no message naming the output", Tail(err));
    }
    if (FileExists(it.out)) Fail(it, "disk-full: a file at the final path");
    if (!FileExists(it.out + ".part")) Fail(it, "disk-full: no PATH.part");
  }
  if (ending == Fault::kSigint && as_wanted) {
    if (!FileExists(it.out) || FileExists(it.out + ".part")) {
      Fail(it, "sigint: output not published at PATH");
    } else {
      Records part = ReadRecords(it.out, it.plan.shape.sink, kTable);
      std::string why = part.readable
                            ? CheckPart(clean.records, part, !it.plan.shape.arrival)
                            : "unreadable: " + part.error;
      if (!why.empty()) Fail(it, "sigint: kept output is not part of the clean one", why);
    }
  }
  if (ending == Fault::kKillMaster && as_wanted && !FileExists(it.out + ".part") &&
      !FileExists(it.out)) {
    Fail(it, "kill-master: neither PATH.part nor PATH left");
  }
  // 1: the run finished with failed pages; 2: refused. A resume cannot help.
  if (sig == 0 && (code == 1 || code == 2)) it.stop = true;
  it.after = resume && what == label ? "resume" : what;
}

void Runner::CheckFinal(Iteration& it) {
  const Sink sink = it.plan.shape.sink;
  if (FileExists(it.out + ".part")) Fail(it, "final: PATH.part left");
  if (sink != Sink::kSqlite && FileExists(it.out + ".state")) Fail(it, "final: state left");
  Records got = ReadRecords(it.out, sink, kTable);
  if (!got.readable) {
    ++tally_.mismatches;
    Fail(it, "final: output unreadable", got.error);
    return;
  }
  if (got.has_state_tables) Fail(it, "final: resume tables left in the database");
  Diff d = Compare(it.clean->records, got, !it.plan.shape.arrival);
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
