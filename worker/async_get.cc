#include "worker/async_get.h"

#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "worker/curl_options.h"

namespace forage::worker {

struct AsyncGet::Transfer {
  std::string url;
  uint64_t cap = 0;
  std::string body;
  bool truncated = false;
  Done done;
  CurlEasy easy;
  char error[CURL_ERROR_SIZE] = {};
};

// A socket curl wants watched (as in the Fetcher).
struct AsyncGet::SocketWatch {
  AsyncGet* owner = nullptr;
  curl_socket_t socket = CURL_SOCKET_BAD;
  UvHandle<uv_poll_t> poll;
};

AsyncGet::AsyncGet(uv_loop_t* loop, FetchOptions options)
    : loop_(loop), options_(std::move(options)) {}

Result<std::unique_ptr<AsyncGet>> AsyncGet::Create(uv_loop_t* loop, FetchOptions options) {
  options.method.clear();
  options.body.clear();
  std::unique_ptr<AsyncGet> g(new AsyncGet(loop, std::move(options)));
  g->multi_.reset(curl_multi_init());
  if (!g->multi_) return Err(ErrorCode::kInternal, "curl_multi_init() failed");
  for (UvHandle<uv_timer_t>* t : {&g->timer_, &g->ready_timer_}) {
    auto timer =
        UvHandle<uv_timer_t>::Create([&](uv_timer_t* h) { return uv_timer_init(loop, h); });
    if (!timer) return timer.error();
    *t = std::move(*timer);
    t->get()->data = g.get();
  }
  CURLM* m = g->multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, OnCurlSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, g.get());
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, OnCurlTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, g.get());
  std::optional<CurlSlist> headers = HeaderList(g->options_.headers);
  if (!headers) return Err(ErrorCode::kInternal, "curl_slist_append() failed");
  g->headers_ = std::move(*headers);
  g->share_ = {curl_share_init(), [](CURLSH* s) { curl_share_cleanup(s); }};
  if (!g->share_) return Err(ErrorCode::kInternal, "curl_share_init() failed");
  curl_share_setopt(g->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(g->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  if (!g->options_.cache_dir.empty() && g->options_.cache_mode == CacheMode::kAlways) {
    // A cache that cannot be opened only costs requests (as the pages' would fail the run
    // in the workers, which report it).
    if (auto cache = HttpCache::Open(g->options_.cache_dir)) g->cache_.emplace(std::move(*cache));
  }
  return g;
}

AsyncGet::~AsyncGet() {
  // libcurl may call OnCurlSocket from inside these calls: every member is
  // still alive here.
  for (auto& [easy, t] : transfers_) curl_multi_remove_handle(multi_.get(), easy);
  transfers_.clear();
  multi_.reset();
  share_.reset();
  watches_.clear();
  timer_.Close();
  ready_timer_.Close();
}

void AsyncGet::Get(const std::string& url, uint64_t cap, Done done, int64_t max_redirects) {
  if (cache_) {
    // Always a GET, whatever the job's method.
    if (std::optional<CacheEntry> e = cache_->Load(HttpCache::Key("GET", url, ""));
        e && e->body.size() <= cap) {
      BlockingFetchResult r;
      r.transport_ok = true;
      r.http_status = e->status;
      r.requests = 0;  // the site saw nothing
      r.body = std::move(e->body);
      r.effective_url = std::move(e->effective_url);
      r.content_type = std::move(e->content_type);
      Deliver(std::move(r), std::move(done));
      return;
    }
  }
  auto t = std::make_unique<Transfer>();
  t->url = url;
  t->cap = cap;
  t->done = std::move(done);
  t->easy.reset(curl_easy_init());
  if (!t->easy) {
    BlockingFetchResult r;
    r.error = "curl_easy_init() failed";
    Deliver(std::move(r), std::move(t->done));
    return;
  }
  CURL* e = t->easy.get();
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnCurlWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnCurlOpenSocket);
  ApplyRequestOptions(e, options_, headers_.get());
  if (max_redirects >= 0) curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(max_redirects));
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
  transfers_.emplace(e, std::move(t));
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), e); rc != CURLM_OK) {
    auto it = transfers_.find(e);
    Done d = std::move(it->second->done);
    transfers_.erase(it);
    BlockingFetchResult r;
    r.error = std::string("curl_multi_add_handle() failed: ") + curl_multi_strerror(rc);
    Deliver(std::move(r), std::move(d));
  }
}

void AsyncGet::Deliver(BlockingFetchResult&& r, Done done) {
  ready_.push_back(Ready{std::move(r), std::move(done)});
  uv_timer_start(ready_timer_.get(), OnUvReady, 0, 0);
}

void AsyncGet::DeliverReady() {
  std::deque<Ready> batch;
  batch.swap(ready_);
  for (Ready& r : batch) r.done(std::move(r.result));
}

void AsyncGet::MaybeStore(const std::string& url, const BlockingFetchResult& r) {
  if (!cache_) return;
  const bool answer = (r.http_status >= 200 && r.http_status < 300) || r.http_status == 404 ||
                      r.http_status == 410;
  if (!r.transport_ok || !answer || r.truncated) return;
  CacheEntry e;
  e.status = r.http_status;
  e.url = url;
  e.effective_url = r.effective_url;
  e.content_type = r.content_type;
  e.stored_at = static_cast<int64_t>(std::time(nullptr));
  e.body = r.body;
  (void)cache_->Store(HttpCache::Key("GET", url, ""), e);  // a failure only costs a request
}

int AsyncGet::HandleSocket(curl_socket_t s, int what, SocketWatch* watch) {
  if (what == CURL_POLL_REMOVE) {
    if (watch != nullptr) {
      curl_multi_assign(multi_.get(), s, nullptr);
      watches_.erase(s);
    }
    return 0;
  }
  if (watch == nullptr) {
    auto w = std::make_unique<SocketWatch>();
    w->owner = this;
    w->socket = s;
    auto poll = UvHandle<uv_poll_t>::Create(
        [&](uv_poll_t* p) { return uv_poll_init_socket(loop_, p, s); });
    if (!poll) return -1;
    w->poll = std::move(*poll);
    w->poll.get()->data = w.get();
    watch = w.get();
    curl_multi_assign(multi_.get(), s, watch);
    watches_[s] = std::move(w);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(watch->poll.get(), events, OnUvPoll);
  return 0;
}

void AsyncGet::HandleTimerChange(long timeout_ms) {
  if (timeout_ms < 0) {
    uv_timer_stop(timer_.get());
    return;
  }
  // Never back into libcurl from inside its callback; a 0 ms timer re-armed
  // from a timer callback starves I/O on libuv < 1.48 (see the Fetcher).
  uint64_t delay_ms = static_cast<uint64_t>(timeout_ms);
  if (delay_ms == 0 && in_timer_callback_) delay_ms = 1;
  uv_timer_start(timer_.get(), OnUvTimer, delay_ms, 0);
}

void AsyncGet::HandleReadiness(curl_socket_t s, int status, int events) {
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  int running = 0;
  curl_multi_socket_action(multi_.get(), s, flags, &running);
  DrainCompleted();
}

void AsyncGet::HandleTimeout() {
  in_timer_callback_ = true;
  int running = 0;
  curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
  in_timer_callback_ = false;
  DrainCompleted();
}

void AsyncGet::DrainCompleted() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    const CURLcode rc = msg->data.result;
    auto it = transfers_.find(e);
    if (it == transfers_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);

    BlockingFetchResult out;
    ReadTransferResult(e, rc, t->error, t->truncated, &out);
    CountConnection(e, &stats_);
    out.body = std::move(t->body);
    curl_multi_remove_handle(multi_.get(), e);
    t->easy.reset();
    MaybeStore(t->url, out);
    // From a poll or timer callback of the loop, not from inside libcurl:
    // `done` may start another Get.
    t->done(std::move(out));
  }
}

// --- C entry points: recover `this`, forward, nothing else.

int AsyncGet::OnCurlSocket(CURL*, curl_socket_t s, int what, void* userp,
                           void* socketp) noexcept {
  return static_cast<AsyncGet*>(userp)->HandleSocket(s, what, static_cast<SocketWatch*>(socketp));
}

int AsyncGet::OnCurlTimer(CURLM*, long timeout_ms, void* userp) noexcept {
  static_cast<AsyncGet*>(userp)->HandleTimerChange(timeout_ms);
  return 0;
}

curl_socket_t AsyncGet::OnCurlOpenSocket(void*, curlsocktype, curl_sockaddr* address) noexcept {
  // Not inherited by the workers the master forks later.
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t AsyncGet::OnCurlWrite(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  const size_t bytes = size * n;
  const uint64_t room = t->cap - std::min<uint64_t>(t->cap, t->body.size());
  if (bytes > room) {
    t->body.append(data, static_cast<size_t>(room));
    t->truncated = true;
    return 0;  // ends the transfer: we have all we read
  }
  t->body.append(data, bytes);
  return bytes;
}

void AsyncGet::OnUvPoll(uv_poll_t* h, int status, int events) noexcept {
  auto* w = static_cast<SocketWatch*>(h->data);
  if (w == nullptr) return;
  w->owner->HandleReadiness(w->socket, status, events);
}

void AsyncGet::OnUvTimer(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<AsyncGet*>(h->data)->HandleTimeout();
}

void AsyncGet::OnUvReady(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<AsyncGet*>(h->data)->DeliverReady();
}

}  // namespace forage::worker
