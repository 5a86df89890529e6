#include "engine/redis_node.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/job_rules.h"
#include "engine/job_spec.h"
#include "engine/node_name.h"
#include "engine/node_router.h"
#include "engine/redis_client.h"
#include "engine/redis_keys.h"
#include "engine/worker_pool.h"
#include "worker/uv_handle.h"

namespace forage::engine {
namespace {

namespace keys = redis_keys;
using keys::ToU64;
using keys::WallNow;
using worker::UvHandle;

constexpr uint64_t kMaxIdleTickMs = 20;
// While it holds pages a node polls at least this often: a finished page
// makes room, and the next lease should not wait long.
constexpr uint64_t kMaxBusyTickMs = 4;
// How often a node reads its job's state (is the run still on?).
constexpr uint64_t kMetaIntervalMs = 50;
// A finished page's answer waits at most this long for others, so that
// several go in one script call and one round trip (docs/distributed.md).
constexpr double kAnswerDelayS = 0.020;
// Holding more than this many pages per worker, a node reads leases with
// its answers, a few times right after (kFollowUps: the collector's leases
// in reply to them), and else only every kFedPollS (a lease the collector
// makes later, under --rate, or for a slow site's pages).
constexpr size_t kWellFedPerWorker = 2;
constexpr int kFollowUps = 2;
constexpr double kFedPollS = 0.025;
// The most answers one script call carries (Lua's unpack has a limit).
constexpr size_t kMaxAnswersPerCall = 64;
constexpr uint64_t kSearchTickMs = 50;
constexpr double kInfoIntervalS = 1;

double MonoNow() { return static_cast<double>(uv_hrtime()) * 1e-9; }

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// One job run this node serves: its workers and what they hold.
struct Session {
  std::string job, run;
  std::string pages_key, results_key, meta_key, nodes_key;
  Config config;
  std::optional<JobRules> rules;
  worker::WorkerConfig worker_config;
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<NodeRouter> router;
  struct Out {
    std::string entry, kind, frames;
    uint64_t items = 0;
    double at = 0;  // when the page finished
  };
  std::deque<Out> outbox;  // results not yet in Redis
  double next_renew = 0;
  double next_meta = 0;
  double next_read = 0;  // when it next reads leases while holding pages
  int follow_ups = 0;    // reads left to look for the replies to its last answers
  double self_user0 = 0, self_sys0 = 0;  // the node's own CPU when it began
  double next_info = 0;
  // Its own leases pending from before (a dead node whose name it took, or
  // a reconnect): read from this id of its pending history until none is
  // left, then new ones (">").
  std::string history = "0";
  uint64_t reread = 0;  // leases it read again from its pending history
  bool ended = false;     // its run is over in Redis (done, stopped or replaced)
  bool orphaned = false;  // ...or its collector is gone (it may come back: --resume)
  bool stopped = false;   // every worker is gone
};

class Node {
 public:
  explicit Node(NodeOptions options, RedisAddress address)
      : options_(std::move(options)),
        redis_(std::move(address), kRedisTimeoutS),
        name_(options_.name.empty() ? HostName() : options_.name),
        token_(NodeToken()) {}

  Result<NodeOutcome> Run() {
    if (!loop_.ok()) return Err(ErrorCode::kInternal, "uv_loop_init() failed");
    signal(SIGPIPE, SIG_IGN);
    if (options_.workers < 0) options_.workers = UsableCores();
    auto t = UvHandle<uv_timer_t>::Create([&](uv_timer_t* h) { return uv_timer_init(loop_.get(), h); });
    if (!t) return t.error();
    tick_ = std::move(*t);
    tick_.get()->data = this;
    for (int signum : {SIGINT, SIGTERM, SIGCHLD}) {
      auto h = UvHandle<uv_signal_t>::Create(
          [&](uv_signal_t* s) { return uv_signal_init(loop_.get(), s); });
      if (!h) return h.error();
      h->get()->data = this;
      uv_signal_start(h->get(), OnUvSignal, signum);
      signals_.push_back(std::move(*h));
    }
    idle_since_ = MonoNow();
    Schedule(0);
    uv_run(loop_.get(), UV_RUN_DEFAULT);
    session_.reset();
    if (error_) return *error_;
    return outcome_;
  }

 private:
  // From inside the tick itself at least 1 ms: libuv runs a 0 ms timer
  // armed in a timer callback again in the same pass, and the loop would
  // never poll its workers' sockets.
  void Schedule(uint64_t ms) {
    if (tick_) uv_timer_start(tick_.get(), OnUvTick, in_tick_ ? std::max<uint64_t>(ms, 1) : ms, 0);
  }

  // The next tick at the loop's next turn (unless it is due sooner), so the
  // answers of one turn go in one round trip.
  void Kick() {
    if (tick_ && uv_timer_get_due_in(tick_.get()) > 0) Schedule(0);
  }

  void Exit() {
    if (named_ && !lost_name_) ReleaseNodeName(redis_, name_, token_);  // free at once
    tick_.Close();
    signals_.clear();
  }

  // A failure waiting cannot mend (Redis refused our password, our name is
  // another node's now): its workers are stopped, what it holds is left to
  // its name's next owner or the reaper, and it exits 3.
  void Fatal(Error e) {
    if (error_) return;
    error_ = Err(e.code, "node {}: {}", name_, e.message);  // printed by the caller
    if (session_) session_->router->Abort();
    Schedule(0);
  }

  // Owns its name (engine/node_name.h): the one asked for, else the first
  // free HOSTNAME-N. A name taken over from a dead node brings its pending
  // leases, which each session reads first.
  bool ClaimName() {
    auto c = ClaimNodeName(redis_, options_.name, token_, options_.run.empty());
    if (!c) {
      Unreachable(c.error());
      return false;
    }
    Reachable();
    if (c->name.empty()) {
      // Held by a node of another machine: free when its key expires,
      // unless that node is alive and renews it.
      if (c->wait_ms >= 0 && (name_wait_ms_ < 0 || c->wait_ms <= name_wait_ms_)) {
        if (name_wait_ms_ < 0 && !options_.quiet) {
          fmt::print(stderr, "forage: node {}: {}; waiting up to {} ms for it to expire\n", name_,
                     c->in_use, c->wait_ms);
        }
        name_wait_ms_ = c->wait_ms;
        return false;
      }
      Fatal(Err(ErrorCode::kNetwork, "{}{}", c->in_use,
                c->wait_ms >= 0 ? " (its key was renewed: that node is alive)" : ""));
      return false;
    }
    name_ = c->name;
    named_ = true;
    pending_first_ = !c->previous.empty();
    next_name_renew_ = MonoNow() + kInfoIntervalS;
    if (!c->previous.empty() && !options_.quiet) {
      auto prev = nlohmann::json::parse(c->previous, nullptr, false);
      fmt::print(stderr, "forage: node {}: took over the name of a dead node (pid {}); its "
                 "pending leases are read first\n", name_,
                 prev.is_object() ? prev.value("pid", int64_t{0}) : 0);
    }
    return true;
  }

  // The name's lease, renewed every second; a name lost to another node
  // (ours expired in a long outage and was taken) ends this node.
  bool RenewName() {
    const double now = MonoNow();
    if (now < next_name_renew_) return true;
    next_name_renew_ = now + kInfoIntervalS;  // unreachable: tried again in a second
    auto r = RenewNodeName(redis_, name_, token_);
    if (!r) {
      Unreachable(r.error());
      return false;
    }
    if (!*r) {
      lost_name_ = true;
      Fatal(Err(ErrorCode::kNetwork,
                "its name is another node's now (its key {} expired, while Redis was "
                "unreachable, and was taken); exiting: the new owner re-reads its leases",
                keys::NodeName(name_)));
      return false;
    }
    return true;
  }

  void Unreachable(const Error& e) {
    if (redis_.auth_failed()) {
      Fatal(e);
      return;
    }
    if (!unreachable_ && !options_.quiet) {
      fmt::print(stderr, "forage: node {}: {}; waiting for Redis\n", name_, e.message);
    }
    unreachable_ = true;
  }
  void Reachable() {
    if (unreachable_ && !options_.quiet) fmt::print(stderr, "forage: node {}: Redis is back\n", name_);
    unreachable_ = false;
  }

  void Tick() {
    if (!named_ && !error_ && interrupts_ == 0 && !ClaimName()) {
      if (!error_ && options_.exit_when_idle_s >= 0 &&
          MonoNow() - idle_since_ >= options_.exit_when_idle_s) {
        Exit();
        return;
      }
      if (!error_) {
        Schedule(200);
        return;
      }
    }
    if (named_ && !error_) RenewName();  // Redis unreachable: the rest of the tick waits too
    if (session_ && session_->stopped) {
      // The answers of its last pages go out before the session ends (a
      // second interrupt gives them up: their leases are reclaimed; a
      // fatal error leaves them to its name's next owner).
      bool again = false;
      if (interrupts_ >= 2 || error_) session_->outbox.clear();
      if (!session_->outbox.empty() && !Exchange(&again)) {
        Schedule(100);
        return;
      }
      if (!session_->outbox.empty()) {
        Schedule(0);
        return;
      }
      EndSession();
    }
    if (!session_) {
      if (interrupts_ > 0 || done_ || error_) {
        Exit();
        return;
      }
      if (FindJob()) {
        Schedule(0);
        return;
      }
      if (options_.exit_when_idle_s >= 0 && MonoNow() - idle_since_ >= options_.exit_when_idle_s) {
        Exit();
        return;
      }
      Schedule(unreachable_ ? 200 : kSearchTickMs);
      return;
    }
    SessionTick();
  }

  // A running job: the one asked for, else the first one in forage:jobs.
  bool FindJob() {
    std::vector<std::string> jobs;
    if (!options_.job.empty()) {
      jobs.push_back(options_.job);
    } else {
      auto r = redis_.Command({"SMEMBERS", keys::kJobs});
      if (!r) {
        Unreachable(r.error());
        return false;
      }
      for (size_t i = 0; i < r->size(); ++i) jobs.emplace_back(r->at(i).str());
      std::sort(jobs.begin(), jobs.end());
      if (pending_first_ && !PendingFirst(&jobs)) return false;
    }
    for (const std::string& job : jobs) {
      auto rs = redis_.Pipeline({{"HMGET", keys::Meta(job), "run", "state", "spec"},
                                 {"GET", keys::Alive(job)}});
      if (!rs) {
        Unreachable(rs.error());
        return false;
      }
      Reachable();
      const RedisReply& r = (*rs)[0];
      std::string run(r.at(0).str()), state(r.at(1).str()), spec(r.at(2).str());
      if ((*rs)[1].str() != run) continue;  // its collector is gone (or not yet started)
      if (!options_.run.empty() && run != options_.run) continue;  // not yet submitted
      if (state != "running") {
        if (!options_.run.empty()) done_ = true;  // our run ended before we came
        continue;
      }
      if (run == last_run_) continue;  // served, and left (it is ending)
      if (auto st = StartSession(job, run, spec); !st) {
        fmt::print(stderr, "forage: node {}: job {}: {}\n", name_, job, st.error().message);
        last_run_ = run;
        continue;
      }
      pending_first_ = false;
      return true;
    }
    return false;
  }

  // After taking a dead node's name: the jobs where leases are pending
  // under it go first (in name order), until none is left.
  bool PendingFirst(std::vector<std::string>* jobs) {
    std::vector<std::vector<std::string>> cmds;
    for (const std::string& job : *jobs) {
      cmds.push_back({"XPENDING", keys::Pages(job), keys::kNodesGroup, "-", "+", "1", name_});
    }
    if (cmds.empty()) {
      pending_first_ = false;
      return true;
    }
    auto r = redis_.Pipeline(cmds);
    if (!r) {
      Unreachable(r.error());
      return false;
    }
    std::vector<std::string> first, rest;
    for (size_t i = 0; i < jobs->size(); ++i) {
      const RedisReply& reply = (*r)[i];
      (!reply.is_error() && reply.size() > 0 ? first : rest).push_back((*jobs)[i]);
    }
    pending_first_ = !first.empty();
    first.insert(first.end(), rest.begin(), rest.end());
    *jobs = std::move(first);
    return true;
  }

  Status StartSession(const std::string& job, const std::string& run, const std::string& spec) {
    auto config = DecodeJobSpec(spec);
    if (!config) return config.error();
    auto s = std::make_unique<Session>();
    s->job = job;
    s->run = run;
    s->pages_key = keys::Pages(job);
    s->results_key = keys::Results(job);
    s->meta_key = keys::Meta(job);
    s->nodes_key = keys::Nodes(job);
    s->config = std::move(*config);
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    s->self_user0 = static_cast<double>(self.ru_utime.tv_sec) + self.ru_utime.tv_usec * 1e-6;
    s->self_sys0 = static_cast<double>(self.ru_stime.tv_sec) + self.ru_stime.tv_usec * 1e-6;
    s->config.workers = std::max(1, options_.workers);
    s->config.quiet = options_.quiet;
    auto rules = CompileJobRules(s->config);
    if (!rules) return rules.error();
    s->rules = std::move(*rules);
    s->worker_config = MakeWorkerConfig(s->config, &s->rules->list);
    if (s->rules->detail) s->worker_config.detail_rules = &*s->rules->detail;
    if (s->rules->links) s->worker_config.link_rules = &*s->rules->links;
    s->pool = std::make_unique<WorkerPool>(loop_.get(), s->config, s->worker_config,
                                           s->config.workers);
    Session* raw = s.get();
    NodeRouter::Callbacks cb;
    cb.done = [this, raw](const std::string& entry, uint64_t, std::string frames, uint64_t items) {
      raw->outbox.push_back(Session::Out{entry, "done", std::move(frames), items, MonoNow()});
      Kick();  // the next tick sends it, now or with others (AnswersDue)
    };
    cb.lost = [this, raw](const std::string& entry, uint64_t, std::string frames) {
      raw->outbox.push_back(Session::Out{entry, "lost", std::move(frames), 0, MonoNow()});
      Kick();
    };
    cb.stopped = [this, raw] {
      raw->stopped = true;
      Schedule(0);
    };
    s->router = std::make_unique<NodeRouter>(s->pool.get(), s->config.workers,
                                             s->config.concurrency, std::move(cb));
    s->pool->Bind(s->router.get(), [] {});
    session_ = std::move(s);
    if (auto st = session_->router->Start(); !st) return st;
    if (auto st = session_->pool->InitHandles(); !st) return st;
    if (!options_.quiet) {
      fmt::print(stderr, "forage: node {}: serving job {} with {} workers\n", name_, job,
                 session_->config.workers);
    }
    idle_ms_ = 1;
    return OkStatus();
  }

  void EndSession() {
    PostInfo(true);
    outcome_.pages += session_->router->pages();
    outcome_.items += session_->router->items();
    last_run_ = session_->orphaned ? std::string() : session_->run;
    if (!options_.quiet) {
      fmt::print(stderr, "forage: node {}: job {}: {} pages, {} items\n", name_, session_->job,
                 session_->router->pages(), session_->router->items());
    }
    session_.reset();
    idle_since_ = MonoNow();
    if (!options_.run.empty()) done_ = true;
  }

  void SessionTick() {
    Session& s = *session_;
    const double now = MonoNow();
    bool again = false;
    bool ok = Exchange(&again);
    if (ok && now >= s.next_renew && s.router->held() > 0) {
      s.next_renew = now + std::max(0.02, s.config.lease_timeout_s / 3);
      std::vector<std::string> cmd = {"XCLAIM", s.pages_key, keys::kNodesGroup, name_, "0"};
      for (auto& e : s.router->held_entries()) cmd.push_back(std::move(e));
      cmd.push_back("JUSTID");
      auto r = redis_.Command(cmd);
      if (!r) {
        Unreachable(r.error());
        ok = false;
      }
    }
    if (ok && now >= s.next_info) {
      s.next_info = now + kInfoIntervalS;
      ok = PostInfo();
    }
    if (ok) Reachable();
    if (!ok) {
      Schedule(100);
      return;
    }
    if (again) {
      idle_ms_ = 1;
      Schedule(0);
      return;
    }
    // The next tick: when an answer is due, a read of leases is due, or the
    // job's state (a finished page kicks a tick anyway).
    const double at = MonoNow();
    double due = s.ended ? at + kMetaIntervalMs / 1000.0 : s.next_meta;
    if (!s.outbox.empty()) due = std::min(due, s.outbox.front().at + kAnswerDelayS);
    if (!s.ended && !read_failed_ && s.router->room() > 0) due = std::min(due, s.next_read);
    Schedule(static_cast<uint64_t>(std::ceil(std::max(0.0, due - at) * 1000)));
  }

  // Whether the answers waiting go out now. While its workers have enough
  // pages, a node lets them wait (kAnswerDelayS at most) to go together:
  // one round trip and one script call for several pages instead of one
  // each. They go at once when the node ends or drains, when its workers
  // run short of pages (the collector leases more only once it has read
  // answers), or when half of what it holds is answered.
  bool AnswersDue(const Session& s, double now) const {
    if (s.outbox.empty()) return false;
    if (s.ended || s.stopped || s.router->draining()) return true;
    const size_t held = s.router->held();
    if (held <= static_cast<size_t>(s.config.workers) || s.outbox.size() >= held) return true;
    return now - s.outbox.front().at >= kAnswerDelayS;
  }

  // One round trip: the answers waiting when due (AnswersDue; one result
  // script per kMaxAnswersPerCall), the job's state (when due), and new
  // leases (when there is room and a read is due). `again`: leases came and
  // there is room for more.
  bool Exchange(bool* again) {
    Session& s = *session_;
    const double now = MonoNow();
    std::vector<std::vector<std::string>> cmds;
    std::vector<size_t> call_sizes;  // answers per script call
    const bool flush = AnswersDue(s, now);
    if (flush) {
      auto sha = redis_.ScriptSha(keys::kResultScript);
      if (!sha) {
        Unreachable(sha.error());
        return false;
      }
      for (size_t i = 0; i < s.outbox.size(); i += kMaxAnswersPerCall) {
        const size_t n = std::min(kMaxAnswersPerCall, s.outbox.size() - i);
        std::vector<std::string> cmd = {"EVALSHA", *sha, "3", s.pages_key, s.results_key,
                                        s.nodes_key, keys::kNodesGroup, name_};
        cmd.reserve(cmd.size() + 4 * n);
        for (size_t j = i; j < i + n; ++j) {
          const Session::Out& o = s.outbox[j];
          cmd.insert(cmd.end(), {o.entry, o.kind, o.frames, std::to_string(o.items)});
        }
        cmds.push_back(std::move(cmd));
        call_sizes.push_back(n);
      }
    }
    const size_t answers = cmds.size();
    const bool meta = !s.ended && now >= s.next_meta;
    if (meta) {
      s.next_meta = now + kMetaIntervalMs / 1000.0;
      cmds.push_back({"HMGET", s.meta_key, "run", "state"});
      cmds.push_back({"GET", keys::Alive(s.job)});
    }
    // Leases: with every answer sent, when it holds nothing (the read
    // waits in Redis), or when a poll is due (next_read).
    const size_t room = s.ended ? 0 : s.router->room();
    const bool history = !s.history.empty();
    const bool read =
        room > 0 && (history || flush || s.router->held() == 0 || now >= s.next_read);
    if (read) {
      std::vector<std::string> cmd = {"XREADGROUP", "GROUP", keys::kNodesGroup, name_, "COUNT",
                                      std::to_string(room)};
      // Idle, it waits in Redis (a long poll) instead of polling it. Holding
      // pages it never blocks: its loop must read its workers' sockets. (A
      // read of its own history, from an ID, never blocks.)
      if (s.router->held() == 0) cmd.insert(cmd.end(), {"BLOCK", std::to_string(kMaxIdleTickMs)});
      cmd.insert(cmd.end(), {"STREAMS", s.pages_key, history ? s.history : ">"});
      cmds.push_back(std::move(cmd));
    }
    if (cmds.empty()) return true;
    auto r = redis_.Pipeline(cmds);
    if (!r) {
      Unreachable(r.error());
      return false;
    }
    for (size_t i = 0; i < answers; ++i) {
      const RedisReply& reply = (*r)[i];
      if (reply.is_error() && reply.str().substr(0, 8) == "NOSCRIPT") {
        redis_.ForgetScripts();  // loaded again with the next tick; the rest wait
        break;
      }
      if (reply.is_error()) fmt::print(stderr, "forage: node {}: result script: {}\n", name_, reply.str());
      s.outbox.erase(s.outbox.begin(), s.outbox.begin() + static_cast<std::ptrdiff_t>(call_sizes[i]));
    }
    size_t k = answers;
    if (meta) {
      HandleMeta((*r)[k].at(0), (*r)[k].at(1), (*r)[k + 1]);
      k += 2;
    }
    if (!read || s.ended) return true;
    const RedisReply& reply = (*r)[k];
    read_failed_ = reply.is_error();  // NOGROUP: the job's keys are gone (or being resubmitted)
    if (history) {
      // Its own pending entries first (a name taken over from a dead node),
      // until a read returns none.
      if (reply.is_error()) return true;
      if (reply.is_nil() || reply.size() == 0 || reply.at(0).at(1).size() == 0) {
        EndHistory(again);
        return true;
      }
      AddLeases(reply.at(0).at(1), true);
      *again = *again || s.router->room() > 0;
      return true;
    }
    const bool got = !reply.is_error() && !reply.is_nil() && reply.size() > 0 &&
                     reply.at(0).at(1).size() > 0;
    if (got) AddLeases(reply.at(0).at(1), false);
    // The next read. Right after its answers the collector's leases in
    // reply come within a round trip or two: it looks again soon
    // (kFollowUps times). Otherwise a node whose workers have enough pages
    // reads with its next answers (or after kFedPollS); one running short
    // polls, backing off to kMaxBusyTickMs.
    const bool fed = s.router->held() > kWellFedPerWorker * static_cast<size_t>(s.config.workers);
    if (flush) s.follow_ups = kFollowUps;
    if (got && fed) s.follow_ups = 0;
    if (!flush && !got && s.follow_ups > 0) --s.follow_ups;
    idle_ms_ = got || flush ? 1 : std::min<uint64_t>(kMaxBusyTickMs, idle_ms_ * 2);
    s.next_read = now + (fed && s.follow_ups == 0 ? kFedPollS : static_cast<double>(idle_ms_) / 1000);
    if (s.router->held() == 0) s.next_read = now;  // holding nothing, its reads wait in Redis
    *again = got && !fed && s.router->room() > 0;
    return true;
  }

  // Leases read from the stream (XREADGROUP's entries), to the workers;
  // `history`: re-read from its own pending entries (counted in reread).
  void AddLeases(const RedisReply& entries, bool history) {
    Session& s = *session_;
    for (size_t i = 0; i < entries.size(); ++i) {
      RedisReply e = entries.at(i);
      RedisReply f = e.at(1);
      if (history) {
        s.history = e.at(0).str();
        if (f.size() == 0) continue;  // an entry deleted meanwhile: nothing to do
        ++s.reread;
      }
      uint64_t page = 0;
      std::string url;
      uint8_t rules = 0;
      for (size_t j = 0; j + 1 < f.size(); j += 2) {
        std::string_view name = f.at(j).str();
        if (name == "p") page = ToU64(f.at(j + 1).str());
        if (name == "u") url = f.at(j + 1).str();
        if (name == "r") rules = static_cast<uint8_t>(ToU64(f.at(j + 1).str()));
      }
      s.router->Add(std::string(e.at(0).str()), page, std::move(url), rules);
    }
    s.router->Pump();
  }

  // Its pending history is read: from now on new leases.
  void EndHistory(bool* again) {
    Session& s = *session_;
    s.history.clear();
    *again = true;  // the first read of new leases at once
    if (s.reread > 0 && !options_.quiet) {
      fmt::print(stderr, "forage: node {}: job {}: re-read {} leases pending under its name\n",
                 name_, s.job, s.reread);
    }
  }

  // Reads the job's state; a run that is over (done, stopped, replaced by a
  // new run of the job) ends the session: what is held is dropped (a new
  // run leases it again; a finished one needs nothing more).
  bool HandleMeta(const RedisReply& run, const RedisReply& state, const RedisReply& alive) {
    Session& s = *session_;
    if (run.str() == s.run && state.str() == "running") {
      // A run whose collector is gone (killed, never resumed) is left once
      // nothing is held: its leases would only be fetched for nobody.
      if (alive.str() == s.run || s.router->held() > 0) return true;
      s.orphaned = true;
    }
    s.ended = true;
    if (state.str() != "done" || run.str() != s.run) s.router->ForgetAll();
    s.router->Drain();
    return true;
  }

  // `final`: the session is over, its workers stopped (their last Stats
  // in): the collector waits for these figures (engine/cluster_run).
  bool PostInfo(bool final = false) {
    if (!session_) return true;
    Session& s = *session_;
    // The node's CPU: its workers' and its own (the master loop) since the
    // session began.
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    const double own_user = static_cast<double>(self.ru_utime.tv_sec) + self.ru_utime.tv_usec * 1e-6 - s.self_user0;
    const double own_sys = static_cast<double>(self.ru_stime.tv_sec) + self.ru_stime.tv_usec * 1e-6 - s.self_sys0;
    const worker::StatsMsg counters = s.router->counters();
    nlohmann::json info = {{"host", HostName()},
                           {"pid", static_cast<int64_t>(getpid())},
                           {"workers", s.config.workers},
                           {"requests", counters.requests},
                           {"body_bytes", counters.body_bytes},
                           {"connections_opened", counters.connections_opened},
                           {"tls_handshakes", counters.tls_handshakes},
                           {"http1", counters.http1},
                           {"http2", counters.http2},
                           {"http3", counters.http3},
                           {"cache_hits", counters.cache_hits},
                           {"cache_revalidated", counters.cache_revalidated},
                           {"cache_misses", counters.cache_misses},
                           {"user_s", s.router->user_s() + own_user},
                           {"sys_s", s.router->sys_s() + own_sys},
                           {"master_user_s", own_user},
                           {"master_sys_s", own_sys},
                           {"restarts", s.router->restarts()},
                           {"held", s.router->held()},
                           {"reread", s.reread},
                           {"round_trips", redis_.round_trips()},
                           {"alive_at", WallNow()},
                           {"final", final ? s.run : std::string()}};
    auto r = redis_.Command({"HSET", s.nodes_key, name_ + ":info", info.dump()});
    if (!r) {
      Unreachable(r.error());
      return false;
    }
    return true;
  }

  void HandleSignal(int signum) {
    if (signum == SIGCHLD) {
      if (session_) {
        session_->pool->ReapChildren();
        session_->router->MaybeStop();
      }
      return;
    }
    ++interrupts_;
    outcome_.interrupted = true;
    if (!session_) {
      Exit();
      return;
    }
    if (interrupts_ == 1) {
      if (!options_.quiet) {
        fmt::print(stderr, "\nforage: node {}: interrupted; finishing its pages (again to abort)\n",
                   name_);
      }
      session_->router->Drain();
    } else {
      session_->router->Abort();
    }
    Schedule(0);
  }

  static void OnUvTick(uv_timer_t* h) noexcept {
    if (h->data == nullptr) return;
    Node* node = static_cast<Node*>(h->data);
    node->in_tick_ = true;
    node->Tick();
    node->in_tick_ = false;
  }
  static void OnUvSignal(uv_signal_t* h, int signum) noexcept {
    if (h->data != nullptr) static_cast<Node*>(h->data)->HandleSignal(signum);
  }

  worker::UvLoop loop_;  // first: destroyed last
  NodeOptions options_;
  RedisClient redis_;
  std::string name_;
  std::string token_;  // this process as the owner of its name
  bool named_ = false;     // owns name_ in Redis
  bool lost_name_ = false;
  bool pending_first_ = false;  // took a dead node's name: its jobs with pending leases first
  long long name_wait_ms_ = -1;  // the name asked for is held elsewhere: its last time to live
  double next_name_renew_ = 0;
  UvHandle<uv_timer_t> tick_;
  std::vector<UvHandle<uv_signal_t>> signals_;
  std::unique_ptr<Session> session_;
  std::string last_run_;
  NodeOutcome outcome_;
  std::optional<Error> error_;
  double idle_since_ = 0;
  uint64_t idle_ms_ = 1;
  bool read_failed_ = false;  // the last read of leases was an error reply
  bool in_tick_ = false;
  int interrupts_ = 0;
  bool done_ = false;
  bool unreachable_ = false;
};

}  // namespace

Result<NodeOutcome> RunNode(const NodeOptions& options) {
  auto address = ParseRedisUrl(options.redis_url);
  if (!address) return address.error();
  Node node(options, *address);
  return node.Run();
}

}  // namespace forage::engine
