#include "engine/redis_collector.h"

#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/redis_keys.h"

namespace forage::engine {
namespace {

namespace keys = redis_keys;
using keys::ToU64;
using keys::WallNow;
using worker::UvHandle;

// Redis unreachable this long at the end: the job's final state is not
// written (nodes then wait for a new run, or --exit-when-idle).
constexpr double kGiveUpFinalS = 30;
constexpr uint64_t kMaxIdleTickMs = 20;
constexpr int kReadCount = 512;
// The longest a collector's read of results waits for one (XREAD BLOCK).
constexpr int kBlockMs = 20;

// The worker frames a node wrote for one page.
Result<std::vector<worker::Message>> DecodeFrames(std::string_view bytes) {
  std::vector<worker::Message> out;
  while (!bytes.empty()) {
    if (bytes.size() < worker::kFrameHeaderBytes) {
      return Err(ErrorCode::kParse, "result: a truncated frame header");
    }
    worker::FrameHeader h = worker::DecodeFrameHeader(bytes);
    bytes.remove_prefix(worker::kFrameHeaderBytes);
    if (bytes.size() < h.payload_bytes) return Err(ErrorCode::kParse, "result: a truncated frame");
    auto m = worker::DecodePayload(h, bytes.substr(0, h.payload_bytes));
    if (!m) return m.error();
    out.push_back(std::move(*m));
    bytes.remove_prefix(h.payload_bytes);
  }
  return out;
}

}  // namespace

RedisCollectorPort::RedisCollectorPort(uv_loop_t* loop, const Config& config, const Plan& plan,
                                       ClusterJob job)
    : loop_(loop),
      config_(config),
      plan_(plan),
      job_(std::move(job)),
      pages_key_(keys::Pages(job_.job)),
      results_key_(keys::Results(job_.job)),
      dead_key_(keys::Dead(job_.job)),
      meta_key_(keys::Meta(job_.job)),
      nodes_key_(keys::Nodes(job_.job)),
      redis_(ParseRedisUrl(config.redis_url).has_value() ? *ParseRedisUrl(config.redis_url)
                                                         : RedisAddress{},
             kRedisTimeoutS) {}

RedisCollectorPort::~RedisCollectorPort() { CloseHandles(); }

void RedisCollectorPort::Bind(WorkerEvents* events, std::function<void()> on_shutdown) {
  events_ = events;
  on_shutdown_ = std::move(on_shutdown);
}

Status RedisCollectorPort::InitHandles() {
  for (auto* t : {&tick_timer_, &wake_timer_}) {
    auto h = UvHandle<uv_timer_t>::Create([&](uv_timer_t* x) { return uv_timer_init(loop_, x); });
    if (!h) return h.error();
    *t = std::move(*h);
    t->get()->data = this;
  }
  // The job is submitted afresh: whatever an earlier run of it left in
  // Redis (leases, results not yet stored) is dropped; a run that resumes
  // leases again what its output does not hold. Nodes still working on the
  // old entries find them gone, and their results add nothing.
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::vector<std::vector<std::string>> submit = {
      {"MULTI"},
      {"DEL", pages_key_, results_key_, dead_key_, nodes_key_},
      {"XGROUP", "CREATE", pages_key_, keys::kNodesGroup, "$", "MKSTREAM"},
      {"DEL", meta_key_},
      {"HSET", meta_key_, "spec", job_.spec, "run", job_.run, "state", "running", "collector",
       fmt::format("{}:{}", host, getpid()), "started_at", fmt::format("{:.3f}", WallNow()),
       "pages_total", std::to_string(plan_.size()), "pages_settled", "0", "pages_done", "0",
       "pages_failed", "0", "pages_dead", "0", "items", "0"},
      {"SADD", keys::kJobs, job_.job},
      {"SET", keys::Alive(job_.job), job_.run, "PX", keys::kAliveMs},
      {"EXEC"},
  };
  auto r = redis_.Pipeline(submit);
  if (!r) {
    return Err(ErrorCode::kNetwork, "--redis {}: cannot submit the job: {}",
               redis_.address().Display(), r.error().message);
  }
  for (const RedisReply& reply : *r) {
    if (reply.is_error() || (&reply == &r->back() && reply.is_nil())) {
      return Err(ErrorCode::kNetwork, "--redis {}: cannot submit the job: {}",
                 redis_.address().Display(), reply.str());
    }
  }
  ScheduleTick(0);
  return OkStatus();
}

double RedisCollectorPort::Now() { return static_cast<double>(uv_hrtime()) * 1e-9; }

Result<int64_t> RedisCollectorPort::Start(int /*slot*/) { return static_cast<int64_t>(getpid()); }

void RedisCollectorPort::Send(int /*slot*/, const worker::Message& msg) {
  if (const auto* lease = std::get_if<worker::LeaseMsg>(&msg)) {
    for (const worker::LeaseItem& item : lease->items) {
      outbox_.push_back({"XADD", pages_key_, "*", "p", std::to_string(item.page_id), "u",
                         item.url, "r", std::to_string(item.rules)});
    }
    ScheduleTick(0);
  } else if (std::holds_alternative<worker::StopMsg>(msg)) {
    stop_sent_ = true;
    ScheduleTick(0);
  }
}

void RedisCollectorPort::KillAll(bool /*in_process_too*/) {
  stop_sent_ = true;
  ScheduleTick(0);
}

void RedisCollectorPort::WakeAt(double at) {
  if (!wake_timer_) return;
  auto ms = static_cast<uint64_t>(std::ceil(std::max(0.0, at - Now()) * 1000));
  uv_timer_start(wake_timer_.get(), OnUvWake, ms, 0);
}

bool RedisCollectorPort::AllGone() const { return closed_; }

void RedisCollectorPort::Shutdown() {
  CloseHandles();
  if (on_shutdown_) on_shutdown_();
}

void RedisCollectorPort::CloseHandles() {
  tick_timer_.Close();
  wake_timer_.Close();
}

// From inside a timer callback at least 1 ms: libuv runs a 0 ms timer armed
// in a timer callback again in the same pass, starving the loop's I/O.
void RedisCollectorPort::ScheduleTick(uint64_t ms) {
  if (tick_timer_) {
    uv_timer_start(tick_timer_.get(), OnUvTick, in_timer_ ? std::max<uint64_t>(ms, 1) : ms, 0);
  }
}

void RedisCollectorPort::Unreachable(const Error& e) {
  if (!unreachable_) {
    unreachable_ = true;
    unreachable_since_ = Now();
    if (!config_.quiet) fmt::print(stderr, "\nforage: {}; waiting for Redis\n", e.message);
  }
}

void RedisCollectorPort::Tick() {
  const double now = Now();
  bool busy = false;
  if (!hello_sent_) {
    hello_sent_ = true;
    events_->OnMessage(0, worker::HelloMsg{getpid()});  // the Router leases (into the outbox)
  }
  bool ok = true;
  if (!stop_sent_) {
    ok = ReadResults();  // sends the outbox in the same round trip
    // The results read made room: their pages' successors go out now, with
    // the next read (not a tick later: nodes are waiting for them).
    if (ok && !outbox_.empty() && !read_ids_.empty() && !stop_sent_) ok = ReadResults();
    busy = ok && !read_ids_.empty();
    if (ok && now >= next_reap_) {
      next_reap_ = now + std::clamp(config_.lease_timeout_s / 4, 0.05, 5.0);
      ok = Reap();
    }
    if (ok && !stop_sent_ && router_ != nullptr && router_->interrupts() > 0) {
      // Interrupted: the leases no node has taken yet are taken back, so
      // the run ends once the nodes answered what they hold.
      ok = Withdraw();
    }
    if (ok && !stop_sent_ && now >= next_meta_) {
      next_meta_ = now + 1;
      UpdateMeta(false);
    }
  }
  if (stop_sent_ && !final_written_) {
    ok = Flush();
    if (ok) {
      UpdateMeta(true);
      ok = Flush();
      final_written_ = ok;
    }
    if (!ok && now - unreachable_since_ > kGiveUpFinalS) {
      fmt::print(stderr, "forage: warning: Redis unreachable for {:.0f} s: the job's end is not "
                         "recorded there\n", kGiveUpFinalS);
      final_written_ = true;
    }
  }
  if (ok && unreachable_) {
    unreachable_ = false;
    if (!config_.quiet) fmt::print(stderr, "forage: Redis is back\n");
  }
  if (final_written_ && !closed_) {
    // The cluster slot is done: to the Router, a worker that stopped.
    closed_ = true;
    events_->OnChannelClosed(0);
    events_->OnWorkerGone(0, false);
    events_->MaybeStop();
    return;
  }
  if (!ok) {
    idle_ms_ = 100;
    ScheduleTick(idle_ms_);
    return;
  }
  if (!outbox_.empty()) {  // new leases go out now
    idle_ms_ = 1;
    ScheduleTick(0);
    return;
  }
  if (busy) {  // more results may come: soon, a few at a time
    idle_ms_ = 1;
    ScheduleTick(1);
    return;
  }
  if (events_->outstanding(0) > 0) {  // the next read blocks until a result comes
    idle_ms_ = 1;
    ScheduleTick(0);
    return;
  }
  idle_ms_ = std::min<uint64_t>(kMaxIdleTickMs, idle_ms_ * 2);
  ScheduleTick(idle_ms_);
}

bool RedisCollectorPort::Flush() {
  if (outbox_.empty()) return true;
  std::vector<std::vector<std::string>> cmds(outbox_.begin(), outbox_.end());
  auto r = redis_.Pipeline(cmds);
  if (!r) {
    Unreachable(r.error());
    return false;
  }
  for (size_t i = 0; i < r->size(); ++i) {
    if ((*r)[i].is_error()) {
      fmt::print(stderr, "forage: redis: {} {}: {}\n", cmds[i][0], cmds[i][1], (*r)[i].str());
    }
  }
  outbox_.clear();
  return true;
}

bool RedisCollectorPort::ReadResults() {
  std::vector<std::vector<std::string>> cmds(outbox_.begin(), outbox_.end());
  const size_t sent = cmds.size();
  if (!read_ids_.empty()) {
    std::vector<std::string> del = {"XDEL", results_key_};
    del.insert(del.end(), read_ids_.begin(), read_ids_.end());
    cmds.push_back(std::move(del));
  }
  // Pages out on nodes: a long poll (the loop
  // has nothing else to do meanwhile but its timers, which wait that long
  // at most), so waiting costs a round trip per block, not per poll.
  if (events_->outstanding(0) > 0 && hello_sent_) {
    cmds.push_back({"XREAD", "COUNT", std::to_string(kReadCount), "BLOCK",
                    std::to_string(kBlockMs), "STREAMS", results_key_, last_result_});
  } else {
    cmds.push_back({"XREAD", "COUNT", std::to_string(kReadCount), "STREAMS", results_key_,
                    last_result_});
  }
  auto r = redis_.Pipeline(cmds);
  if (!r) {
    Unreachable(r.error());
    return false;
  }
  for (size_t i = 0; i < sent; ++i) {
    if ((*r)[i].is_error()) {
      fmt::print(stderr, "forage: redis: {} {}: {}\n", cmds[i][0], cmds[i][1], (*r)[i].str());
    }
  }
  outbox_.clear();
  read_ids_.clear();
  const RedisReply& reply = r->back();
  if (reply.is_error()) {
    Unreachable(Err(ErrorCode::kNetwork, "redis: XREAD: {}", reply.str()));
    return false;
  }
  last_read_found_ = !reply.is_nil() && reply.size() > 0;
  if (!last_read_found_) return true;
  RedisReply entries = reply.at(0).at(1);
  for (size_t i = 0; i < entries.size(); ++i) {
    RedisReply e = entries.at(i);
    std::string id(e.at(0).str());
    RedisReply f = e.at(1);
    std::string kind, frames, node;
    for (size_t j = 0; j + 1 < f.size(); j += 2) {
      std::string_view name = f.at(j).str();
      if (name == "k") kind = f.at(j + 1).str();
      if (name == "m") frames = f.at(j + 1).str();
      if (name == "n") node = f.at(j + 1).str();
    }
    last_result_ = id;
    read_ids_.push_back(id);
    if (stop_sent_) continue;  // the Router is done: nothing more is taken
    HandleResult(kind, frames, node);
  }
  return true;
}

void RedisCollectorPort::HandleResult(const std::string& kind, const std::string& frames,
                                      const std::string& node) {
  auto msgs = DecodeFrames(frames);
  if (!msgs) {
    fmt::print(stderr, "forage: a result from node {} is unreadable: {}\n", node,
               msgs.error().message);
    return;
  }
  if (kind == "lost") {
    for (auto& m : *msgs) {
      if (auto* d = std::get_if<worker::PageDoneMsg>(&m)) {
        uint64_t page = d->page_id;
        if (router_ != nullptr &&
            router_->OnPageLost(0, page, fmt::format("{} on node {}", d->reason, node))) {
          outbox_.push_back({"XADD", dead_key_, "*", "p", std::to_string(page), "u",
                             page < plan_.size() ? plan_.url(page) : "", "reason", d->reason});
        }
      }
    }
    return;
  }
  for (auto& m : *msgs) events_->OnMessage(0, std::move(m));
}

bool RedisCollectorPort::Reap() {
  const auto idle_ms = static_cast<long long>(config_.lease_timeout_s * 1000);
  auto r = redis_.Command({"XPENDING", pages_key_, keys::kNodesGroup, "IDLE",
                           std::to_string(idle_ms), "-", "+", "512"});
  if (!r) {
    Unreachable(r.error());
    return false;
  }
  if (r->is_error() || r->size() == 0) return true;
  std::vector<std::string> args = {pages_key_, keys::kNodesGroup};
  std::map<std::string, std::string> node_of;
  for (size_t i = 0; i < r->size(); ++i) {
    std::string id(r->at(i).at(0).str());
    node_of[id] = r->at(i).at(1).str();
    args.push_back(id);
  }
  auto taken = redis_.Eval(keys::kReclaimScript, args);
  if (!taken) {
    Unreachable(taken.error());
    return false;
  }
  for (size_t i = 0; i + 1 < taken->size(); i += 2) {
    std::string id(taken->at(i).str());
    uint64_t page = ToU64(taken->at(i + 1).str());
    std::string why = fmt::format("lease expired on node {}", node_of[id]);
    if (router_ != nullptr && router_->OnPageLost(0, page, why)) {
      outbox_.push_back({"XADD", dead_key_, "*", "p", std::to_string(page), "u",
                         page < plan_.size() ? plan_.url(page) : "", "reason", why});
    }
  }
  return true;
}

bool RedisCollectorPort::Withdraw() {
  // Delivered to the collector itself, each untaken entry can no longer go
  // to a node; then acknowledged and deleted.
  auto r = redis_.Command({"XREADGROUP", "GROUP", keys::kNodesGroup, "collector-withdraw", "COUNT",
                           "100000", "STREAMS", pages_key_, ">"});
  if (!r) {
    Unreachable(r.error());
    return false;
  }
  if (r->is_error() || r->is_nil() || r->size() == 0) return true;
  RedisReply entries = r->at(0).at(1);
  std::vector<std::string> ack = {"XACK", pages_key_, keys::kNodesGroup};
  std::vector<std::string> del = {"XDEL", pages_key_};
  std::vector<uint64_t> pages;
  for (size_t i = 0; i < entries.size(); ++i) {
    RedisReply e = entries.at(i);
    ack.emplace_back(e.at(0).str());
    del.emplace_back(e.at(0).str());
    RedisReply f = e.at(1);
    for (size_t j = 0; j + 1 < f.size(); j += 2) {
      if (f.at(j).str() == "p") pages.push_back(ToU64(f.at(j + 1).str()));
    }
  }
  if (pages.empty()) return true;
  outbox_.push_back(std::move(ack));
  outbox_.push_back(std::move(del));
  for (uint64_t p : pages) router_->OnPageReturned(0, p);
  return true;
}

void RedisCollectorPort::UpdateMeta(bool final_state) {
  std::vector<std::string> cmd = {"HSET", meta_key_, "updated_at", fmt::format("{:.3f}", WallNow()),
                                  "pages_total", std::to_string(plan_.size())};
  if (router_ != nullptr) {
    cmd.insert(cmd.end(), {"pages_settled", std::to_string(router_->book().settled_count())});
  }
  cmd.insert(cmd.end(), {"round_trips", std::to_string(redis_.round_trips() + 1)});
  if (summary_ != nullptr) {
    cmd.insert(cmd.end(),
               {"pages_done", std::to_string(summary_->pages_ok + summary_->pages_resumed -
                                             summary_->pages_resumed_failed),
                "pages_failed", std::to_string(summary_->pages_failed - summary_->pages_dead),
                "pages_dead", std::to_string(summary_->pages_dead), "items",
                std::to_string(summary_->items)});
  }
  if (final_state) {
    const bool done = router_ != nullptr && router_->book().all_settled() && !router_->error();
    cmd.insert(cmd.end(), {"state", done ? "done" : "stopped"});
  }
  outbox_.push_back(std::move(cmd));
  if (final_state) {
    outbox_.push_back({"DEL", keys::Alive(job_.job)});
    if (!read_ids_.empty()) {  // results read last: nothing is left behind
      std::vector<std::string> del = {"XDEL", results_key_};
      del.insert(del.end(), read_ids_.begin(), read_ids_.end());
      outbox_.push_back(std::move(del));
      read_ids_.clear();
    }
  } else {
    outbox_.push_back({"SET", keys::Alive(job_.job), job_.run, "PX", keys::kAliveMs});
  }
}

Result<std::vector<NodeSummary>> ReadNodeSummaries(RedisClient& redis, const std::string& job) {
  auto r = redis.Command({"HGETALL", keys::Nodes(job)});
  if (!r) return r.error();
  std::map<std::string, NodeSummary> nodes;
  for (size_t i = 0; i + 1 < r->size(); i += 2) {
    std::string field(r->at(i).str());
    size_t colon = field.rfind(':');
    if (colon == std::string::npos) continue;
    std::string name = field.substr(0, colon);
    std::string what = field.substr(colon + 1);
    NodeSummary& n = nodes[name];
    n.node = name;
    std::string_view value = r->at(i + 1).str();
    if (what == "pages") n.pages = ToU64(value);
    if (what == "items") n.items = ToU64(value);
    if (what == "info") {
      auto j = nlohmann::json::parse(value, nullptr, false);
      if (j.is_discarded()) continue;
      n.host = j.value("host", "");
      n.pid = j.value("pid", int64_t{0});
      n.requests = j.value("requests", uint64_t{0});
      n.round_trips = j.value("round_trips", uint64_t{0});
      n.body_bytes = j.value("body_bytes", uint64_t{0});
      n.user_s = j.value("user_s", 0.0);
      n.sys_s = j.value("sys_s", 0.0);
      n.reread = j.value("reread", uint64_t{0});
      n.final_run = j.value("final", "");
      n.alive_at = j.value("alive_at", 0.0);
      n.connections_opened = j.value("connections_opened", uint64_t{0});
      n.tls_handshakes = j.value("tls_handshakes", uint64_t{0});
      n.http1 = j.value("http1", uint64_t{0});
      n.http2 = j.value("http2", uint64_t{0});
      n.http3 = j.value("http3", uint64_t{0});
      n.cache_hits = j.value("cache_hits", uint64_t{0});
      n.cache_revalidated = j.value("cache_revalidated", uint64_t{0});
      n.cache_misses = j.value("cache_misses", uint64_t{0});
    }
  }
  std::vector<NodeSummary> out;
  for (auto& [name, n] : nodes) out.push_back(std::move(n));
  return out;
}

// --- C entry points

void RedisCollectorPort::OnUvTick(uv_timer_t* h) noexcept {
  if (h->data == nullptr) return;
  auto* port = static_cast<RedisCollectorPort*>(h->data);
  port->in_timer_ = true;
  port->Tick();
  port->in_timer_ = false;
}

void RedisCollectorPort::OnUvWake(uv_timer_t* h) noexcept {
  if (h->data == nullptr) return;
  auto* port = static_cast<RedisCollectorPort*>(h->data);
  port->in_timer_ = true;
  port->events_->Pump();
  port->in_timer_ = false;
}

}  // namespace forage::engine
