#include "engine/master_fetch.h"

#include <cmath>
#include <utility>

#include "engine/summary.h"
#include "parser/robots.h"

namespace forage::engine {

struct MasterFetch::Timer {
  MasterFetch* owner = nullptr;
  std::list<std::unique_ptr<Timer>>::iterator self;
  std::function<void()> fn;
  worker::UvHandle<uv_timer_t> handle;
};

MasterFetch::MasterFetch(worker::FetchOptions options) : options_(std::move(options)) {
  options_.method.clear();
  options_.body.clear();
}

MasterFetch::~MasterFetch() { Detach(); }

Status MasterFetch::Attach(uv_loop_t* loop) {
  Detach();
  auto get = worker::AsyncGet::Create(loop, options_);
  if (!get) return get.error();
  auto t = worker::UvHandle<uv_timer_t>::Create(
      [&](uv_timer_t* h) { return uv_timer_init(loop, h); });
  if (!t) return t.error();
  get_ = std::move(*get);
  deliver_timer_ = std::move(*t);
  deliver_timer_.get()->data = this;
  loop_ = loop;
  return OkStatus();
}

void MasterFetch::Detach() {
  if (loop_ == nullptr) return;
  AddTransport(get_->connection_stats(), &past_);
  get_.reset();
  deliver_timer_.Close();
  queued_.clear();
  timers_.clear();  // closes their handles
  ahead_.clear();   // their callbacks were dropped with get_
  ahead_queue_.clear();
  ahead_wanted_.clear();
  loop_ = nullptr;
}

worker::ConnectionStats MasterFetch::connection_stats() const {
  worker::ConnectionStats s = past_;
  if (get_) AddTransport(get_->connection_stats(), &s);
  return s;
}

void MasterFetch::Queue(std::function<void()> fn) {
  if (loop_ == nullptr) return;
  queued_.push_back(std::move(fn));
  uv_timer_start(deliver_timer_.get(), OnUvDeliver, 0, 0);
}

void MasterFetch::DeliverQueued() {
  std::deque<std::function<void()>> batch;
  batch.swap(queued_);
  const uv_loop_t* loop = loop_;
  for (auto& fn : batch) {
    if (loop_ != loop) return;  // detached by an earlier one: the rest is dropped
    fn();
  }
}

void MasterFetch::Get(const std::string& url, Done done) {
  if (loop_ == nullptr) return;
  // RFC 9309 2.3.1.2: at least 5 redirects followed, and no more here.
  get_->Get(
      url, parser::kRobotsMaxBytes,
      [this, done = std::move(done)](worker::BlockingFetchResult&& r) mutable {
        Queue([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      },
      5);
}

void MasterFetch::GetDocument(const std::string& url, uint64_t cap, Done done) {
  if (loop_ == nullptr) return;
  get_->Get(url, cap, [this, done = std::move(done)](worker::BlockingFetchResult&& r) mutable {
    Queue([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
}

void MasterFetch::After(double seconds, std::function<void()> fn) {
  if (loop_ == nullptr) return;
  auto h = worker::UvHandle<uv_timer_t>::Create(
      [&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
  if (!h) {  // cannot wait: go at once (from the loop)
    Queue(std::move(fn));
    return;
  }
  auto timer = std::make_unique<Timer>();
  timer->owner = this;
  timer->fn = std::move(fn);
  timer->handle = std::move(*h);
  timer->handle.get()->data = timer.get();
  Timer* raw = timer.get();
  timers_.push_back(std::move(timer));
  raw->self = std::prev(timers_.end());
  const double ms = std::max(0.0, std::ceil(seconds * 1000));
  uv_timer_start(raw->handle.get(), OnUvTimer, static_cast<uint64_t>(ms), 0);
}

void MasterFetch::RunUntil(const std::function<bool()>& done) {
  while (loop_ != nullptr && !done()) {
    if (uv_run(loop_, UV_RUN_ONCE) == 0 && !done()) break;  // nothing left that could
  }
}

worker::BlockingFetchResult MasterFetch::GetAndWait(const std::string& url, uint64_t cap) {
  worker::BlockingFetchResult out;
  if (loop_ == nullptr) {
    out.error = "no loop to fetch on";
    return out;
  }
  std::shared_ptr<Ahead> a;
  if (auto it = ahead_.find(url); it != ahead_.end() && it->second->cap == cap) {
    a = it->second;
  } else {
    ahead_wanted_.erase(url);  // not started ahead: now, and not again from the queue
    a = std::make_shared<Ahead>();
    a->cap = cap;
    GetDocument(url, cap, [a](worker::BlockingFetchResult&& r) {
      a->result = std::move(r);
      a->finished = true;
    });
  }
  RunUntil([&] { return a->finished; });
  if (auto it = ahead_.find(url); it != ahead_.end() && it->second == a) ahead_.erase(it);
  StartAhead();
  if (!a->finished) {
    out.error = "the fetch did not finish";
    return out;
  }
  return std::move(a->result);
}

void MasterFetch::Prefetch(const std::vector<std::pair<std::string, uint64_t>>& documents) {
  for (const auto& d : documents) {
    if (ahead_.count(d.first) > 0 || !ahead_wanted_.insert(d.first).second) continue;
    ahead_queue_.push_back(d);
  }
  StartAhead();
}

void MasterFetch::StartAhead() {
  while (loop_ != nullptr && ahead_.size() < kReadAhead && !ahead_queue_.empty()) {
    auto [url, cap] = std::move(ahead_queue_.front());
    ahead_queue_.pop_front();
    if (ahead_wanted_.erase(url) == 0 || ahead_.count(url) > 0) continue;  // taken meanwhile
    auto a = std::make_shared<Ahead>();
    a->cap = cap;
    ahead_.emplace(url, a);
    GetDocument(url, cap, [a](worker::BlockingFetchResult&& r) {
      a->result = std::move(r);
      a->finished = true;
    });
  }
}

void MasterFetch::OnUvDeliver(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<MasterFetch*>(h->data)->DeliverQueued();
}

void MasterFetch::OnUvTimer(uv_timer_t* h) noexcept {
  auto* t = static_cast<Timer*>(h->data);
  if (t == nullptr) return;
  MasterFetch* owner = t->owner;
  std::function<void()> fn = std::move(t->fn);
  owner->timers_.erase(t->self);  // closes the handle; `t` is gone
  fn();
}

}  // namespace forage::engine
