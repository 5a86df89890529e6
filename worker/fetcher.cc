#include "worker/fetcher.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "worker/curl_options.h"

namespace forage::worker {

namespace {

// The value of response header `name` of the last response (after
// redirects); empty when absent.
std::string LastHeader(CURL* e, const char* name) {
  curl_header* h = nullptr;
  if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value) {
    return h->value;
  }
  return {};
}

// Whether any Cache-Control header of the last response says no-store.
bool NoStore(CURL* e) {
  curl_header* h = nullptr;
  for (size_t i = 0; curl_easy_header(e, "Cache-Control", i, CURLH_HEADER, -1, &h) == CURLHE_OK;
       ++i) {
    std::string v = h->value ? h->value : "";
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v.find("no-store") != std::string::npos) return true;
    if (i + 1 >= h->amount) break;
  }
  return false;
}

// "host:port" of an absolute URL (the text between "//" and the path).
std::string HostOf(const std::string& url) {
  size_t start = url.find("//");
  start = start == std::string::npos ? 0 : start + 2;
  size_t end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

struct Fetcher::Transfer {
  uint64_t id = 0;
  std::string url;
  std::string cache_key;
  std::optional<CacheEntry> stored;  // --cache-mode revalidate: what a 304 confirms
  CurlSlist conditional_headers;     // the job's headers plus If-None-Match/If-Modified-Since
  int proxy = -1;                    // index in the pool; -1: none
  std::vector<int> tried_proxies;    // proxies that failed this request
  CurlEasy easy;
  std::string body;
  uint64_t max_body_bytes = 0;
  bool too_large = false;
  bool out_of_fds = false;  // socket() failed with EMFILE or ENFILE
  char error[CURL_ERROR_SIZE] = {};
};

// A socket curl wants watched. The poll handle outlives this struct if curl
// drops the socket while a close is pending (UvHandle frees it on close).
struct Fetcher::SocketWatch {
  Fetcher* fetcher = nullptr;
  curl_socket_t socket = CURL_SOCKET_BAD;
  UvHandle<uv_poll_t> poll;
};

Fetcher::Fetcher(uv_loop_t* loop, FetchOptions options, DoneFn on_done)
    : loop_(loop), options_(std::move(options)), on_done_(std::move(on_done)) {}

Result<std::unique_ptr<Fetcher>> Fetcher::Create(uv_loop_t* loop, FetchOptions options,
                                                 DoneFn on_done) {
  std::unique_ptr<Fetcher> f(new Fetcher(loop, std::move(options), std::move(on_done)));
  f->multi_.reset(curl_multi_init());
  if (!f->multi_) return Err(ErrorCode::kInternal, "curl_multi_init() failed");
  auto timer = UvHandle<uv_timer_t>::Create([&](uv_timer_t* t) { return uv_timer_init(loop, t); });
  if (!timer) return timer.error();
  f->timer_ = std::move(*timer);
  f->timer_.get()->data = f.get();
  CURLM* m = f->multi_.get();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, OnCurlSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, f.get());
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, OnCurlTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, f.get());
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, static_cast<long>(f->options_.max_idle_connections));
  // HTTP/2 streams share one connection per host (libcurl's default since
  // 7.62; said here because --per-host relies on it).
  curl_multi_setopt(m, CURLMOPT_PIPELINING, f->options_.http1_1 ? CURLPIPE_NOTHING
                                                                : CURLPIPE_MULTIPLEX);
  std::optional<CurlSlist> headers = HeaderList(f->options_.headers);
  if (!headers) return Err(ErrorCode::kInternal, "curl_slist_append() failed");
  f->headers_ = std::move(*headers);
  // One cookie jar and DNS cache for every transfer of this worker.
  f->share_ = {curl_share_init(), [](CURLSH* s) { curl_share_cleanup(s); }};
  if (!f->share_) return Err(ErrorCode::kInternal, "curl_share_init() failed");
  curl_share_setopt(f->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  curl_share_setopt(f->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  // Each transfer has a fresh easy handle, whose own session cache starts
  // empty: the share lets a new connection to a host resume the TLS session
  // of an earlier one (an abbreviated handshake).
  curl_share_setopt(f->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  if (!f->options_.cache_dir.empty()) {
    auto cache = HttpCache::Open(f->options_.cache_dir);
    if (!cache) return cache.error();
    f->cache_.emplace(std::move(*cache));
    auto ready =
        UvHandle<uv_timer_t>::Create([&](uv_timer_t* t) { return uv_timer_init(loop, t); });
    if (!ready) return ready.error();
    f->ready_timer_ = std::move(*ready);
    f->ready_timer_.get()->data = f.get();
  }
  if (!f->options_.proxies.empty()) f->pool_.emplace(f->options_.proxies, f->options_.proxy_mode);
  return f;
}

Fetcher::~Fetcher() {
  // libcurl may call OnCurlSocket from inside these calls, so make them here,
  // in a fixed order, while every member is still alive.
  for (auto& [easy, t] : transfers_) curl_multi_remove_handle(multi_.get(), easy);
  transfers_.clear();
  multi_.reset();
  share_.reset();  // after every easy handle that used it
  watches_.clear();
  timer_.Close();
  ready_timer_.Close();
}

Status Fetcher::Configure(CURL* e, Transfer* t, const std::string& url) {
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnCurlWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnCurlOpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
  ApplyRequestOptions(e, options_,
                      t->conditional_headers ? t->conditional_headers.get() : headers_.get());
  if (t->proxy >= 0) curl_easy_setopt(e, CURLOPT_PROXY, pool_->url(t->proxy).c_str());
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  if (options_.stall_timeout_ms > 0) {
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<int64_t>(1, options_.stall_timeout_ms / 1000)));
  }
  if (!options_.body.empty() || options_.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(options_.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, options_.body.c_str());
  }
  if (!options_.method.empty() && options_.method != "GET" && options_.method != "POST") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, options_.method.c_str());
  }
  // The worker's cookie jar lives in the share; "" turns the cookie engine
  // on without reading a file.
  curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
  curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
  // Over HTTPS a transfer waits for a connection being set up to the same
  // host rather than open its own: once ALPN says h2, all of them become
  // streams of that one connection. Under HTTP/1.1 they then open their own.
  if (!options_.http1_1 && url.rfind("https://", 0) == 0) {
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  }
  return OkStatus();
}

Status Fetcher::Start(uint64_t id, const std::string& url) {
  auto t = std::make_unique<Transfer>();
  t->id = id;
  t->url = url;
  t->max_body_bytes = options_.max_body_bytes;
  if (cache_) {
    t->cache_key = HttpCache::Key(options_.method, url, options_.body);
    std::optional<CacheEntry> entry = cache_->Load(t->cache_key);
    // An entry filed under the wrong name, or over this run's --max-body, is
    // not used: the page is fetched (and checked) again.
    if (entry && (entry->url != url || entry->body.size() > options_.max_body_bytes)) {
      entry.reset();
    }
    if (entry && options_.cache_mode == CacheMode::kAlways) {
      // Delivered from the loop, never from inside Start.
      FetchResult r;
      r.id = id;
      r.transport_ok = true;
      r.http_status = entry->status;
      r.content_type = std::move(entry->content_type);
      r.effective_url = std::move(entry->effective_url);
      r.body = std::move(entry->body);
      r.from_cache = true;
      ++cache_hits_;
      ready_.push_back(std::move(r));
      uv_timer_start(ready_timer_.get(), OnUvReady, in_ready_callback_ ? 1 : 0, 0);
      return OkStatus();
    }
    if (entry && (!entry->etag.empty() || !entry->last_modified.empty())) {
      std::vector<std::string> headers = options_.headers;
      if (!entry->etag.empty()) headers.push_back("If-None-Match: " + entry->etag);
      if (!entry->last_modified.empty()) {
        headers.push_back("If-Modified-Since: " + entry->last_modified);
      }
      std::optional<CurlSlist> list = HeaderList(headers);
      if (!list) return Err(ErrorCode::kInternal, "curl_slist_append() failed");
      t->conditional_headers = std::move(*list);
      t->stored = std::move(entry);
    }
  }
  if (pool_) t->proxy = pool_->Pick(HostOf(url), t->tried_proxies, NowSeconds());
  return Launch(std::move(t));
}

// Hands a transfer to curl on a fresh handle (also when a request moves to
// another proxy).
Status Fetcher::Launch(std::unique_ptr<Transfer> t) {
  // A fresh handle per transfer: connections live in the multi's pool, so
  // nothing is lost, and libcurl 7.88 leaks a reused handle's cookie-file
  // list on curl_easy_reset.
  t->easy.reset(curl_easy_init());
  if (!t->easy) return Err(ErrorCode::kInternal, "curl_easy_init() failed");
  CURL* e = t->easy.get();
  if (auto st = Configure(e, t.get(), t->url); !st) return st;
  transfers_.emplace(e, std::move(t));
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), e); rc != CURLM_OK) {
    transfers_.erase(e);
    return Err(ErrorCode::kInternal, "curl_multi_add_handle() failed: {}",
               curl_multi_strerror(rc));
  }
  ++requests_;
  return OkStatus();
}

double Fetcher::NowSeconds() const { return static_cast<double>(uv_now(loop_)) / 1000.0; }

// After a transfer through a proxy: tells the pool how the proxy did and, on
// a proxy error, starts the request again through a proxy it has not tried.
// True when it did (the transfer is no longer the caller's).
bool Fetcher::RetryOnAnotherProxy(std::unique_ptr<Transfer>& t, CURL* e, CURLcode code) {
  if (!pool_ || t->proxy < 0) return false;
  long status = 0;
  long connect_code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(e, CURLINFO_HTTP_CONNECTCODE, &connect_code);
  const bool failed = IsProxyError(code, status, connect_code);
  const double now = NowSeconds();
  pool_->Report(t->proxy, failed, now);
  if (!failed) return false;
  t->tried_proxies.push_back(t->proxy);
  int next = pool_->Pick(HostOf(t->url), t->tried_proxies, now);
  if (next < 0) return false;
  curl_multi_remove_handle(multi_.get(), e);
  t->easy.reset();
  t->proxy = next;
  t->body.clear();
  t->too_large = false;
  t->out_of_fds = false;
  t->error[0] = '\0';
  const uint64_t id = t->id;
  if (auto st = Launch(std::move(t)); !st) {
    FetchResult r;
    r.id = id;
    r.error = st.error().message;
    on_done_(std::move(r));
  }
  return true;
}

bool Fetcher::IsProxyError(int curl_code, long http_status, long connect_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_CONNECT:  // with a proxy set, curl connects only to the proxy
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return true;
    case CURLE_OK:
      return http_status == 407;
    default:
      return connect_code == 407;
  }
}

void Fetcher::DeliverReady() {
  in_ready_callback_ = true;
  std::deque<FetchResult> batch;
  batch.swap(ready_);
  for (FetchResult& r : batch) on_done_(std::move(r));
  in_ready_callback_ = false;
}

void Fetcher::StoreInCache(const std::string& key, const CacheEntry& entry) {
  if (!cache_) return;
  if (auto st = cache_->Store(key, entry); !st) {
    if (!cache_write_warned_) {
      fmt::print(stderr, "forage: warning: {} (the cache is not written)\n", st.error().message);
      cache_write_warned_ = true;
    }
    return;
  }
  stored_since_evict_ += entry.body.size();
  if (options_.cache_max_bytes > 0 && stored_since_evict_ > options_.cache_max_bytes / 8) {
    cache_->Evict(options_.cache_max_bytes);
    stored_since_evict_ = 0;
  }
}

int Fetcher::HandleSocket(curl_socket_t s, int what, SocketWatch* watch) {
  if (what == CURL_POLL_REMOVE) {
    if (watch != nullptr) {
      curl_multi_assign(multi_.get(), s, nullptr);
      watches_.erase(s);  // closes the poll handle
    }
    return 0;
  }
  if (watch == nullptr) {
    auto w = std::make_unique<SocketWatch>();
    w->fetcher = this;
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

void Fetcher::HandleTimerChange(long timeout_ms) {
  if (timeout_ms < 0) {
    uv_timer_stop(timer_.get());
    return;
  }
  // We never call back into libcurl from inside its own callback: the timer
  // fires from the loop. A 0 ms timer re-armed from a timer callback starves
  // I/O on libuv < 1.48 (Debian 12 has 1.44.2), so there it waits 1 ms.
  uint64_t delay_ms = static_cast<uint64_t>(timeout_ms);
  if (delay_ms == 0 && in_timer_callback_) delay_ms = 1;
  uv_timer_start(timer_.get(), OnUvTimer, delay_ms, 0);
}

void Fetcher::HandleReadiness(curl_socket_t s, int status, int events) {
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

void Fetcher::HandleTimeout() {
  in_timer_callback_ = true;
  int running = 0;
  curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
  in_timer_callback_ = false;
  DrainCompleted();
}

// The only caller of curl_multi_info_read.
void Fetcher::DrainCompleted() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* e = msg->easy_handle;
    CURLcode code = msg->data.result;  // copy before the handle is removed
    auto it = transfers_.find(e);
    if (it == transfers_.end()) continue;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers_.erase(it);
    if (RetryOnAnotherProxy(t, e, code)) continue;

    FetchResult r;
    r.id = t->id;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.http_status);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &r.total_s);
    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME, &r.first_byte_s);
    if (char* ct = nullptr; curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
      r.content_type = ct;
    }
    if (char* u = nullptr; curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u) {
      r.effective_url = u;
    }
    CountConnection(e, &connection_stats_);
    r.too_large = t->too_large;
    r.transport_ok = code == CURLE_OK;
    r.retryable = IsRetryable(code, r.http_status, t->too_large);
    if (curl_off_t wait = -1; curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &wait) == CURLE_OK &&
                              wait > 0) {
      r.retry_after_s = static_cast<double>(wait);
    }
    if (t->too_large) {
      r.error = "too large";
    } else if (code != CURLE_OK && t->out_of_fds) {
      // curl reports it as "Couldn't connect to server"; the site is not to
      // blame, and the page may well succeed once transfers have ended.
      r.error = "out of file descriptors";
      r.retryable = true;
    } else if (code != CURLE_OK) {
      r.error = TransferError(code, t->error);
    }
    r.body = std::move(t->body);
    if (t->proxy >= 0 && !r.error.empty()) {
      r.error += " (proxy " + pool_->url(t->proxy) + ")";
      if (IsProxyError(code, r.http_status, 0)) r.retryable = code != CURLE_OK;
    }
    if (cache_) {
      if (t->stored && code == CURLE_OK && r.http_status == 304) {
        r.http_status = t->stored->status;
        r.content_type = std::move(t->stored->content_type);
        r.effective_url = std::move(t->stored->effective_url);
        r.body = std::move(t->stored->body);
        r.revalidated = true;
        ++cache_revalidated_;
      } else {
        ++cache_misses_;
        if (code == CURLE_OK && r.http_status >= 200 && r.http_status < 300 && !NoStore(e)) {
          CacheEntry entry;
          entry.status = r.http_status;
          entry.url = t->url;
          entry.effective_url = r.effective_url;
          entry.content_type = r.content_type;
          entry.etag = LastHeader(e, "ETag");
          entry.last_modified = LastHeader(e, "Last-Modified");
          entry.stored_at = static_cast<int64_t>(std::time(nullptr));
          r.cache_entry = std::move(entry);
          r.cache_key = t->cache_key;
        }
      }
    }

    curl_multi_remove_handle(multi_.get(), e);
    t->easy.reset();
    on_done_(std::move(r));
  }
}

bool Fetcher::IsRetryable(int curl_code, long http_status, bool too_large) {
  if (too_large) return false;
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return http_status == 408 || http_status == 429 || http_status == 500 ||
             http_status == 502 || http_status == 503 || http_status == 504;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// --- C entry points: recover `this`, forward, nothing else.

int Fetcher::OnCurlSocket(CURL*, curl_socket_t s, int what, void* userp, void* socketp) noexcept {
  return static_cast<Fetcher*>(userp)->HandleSocket(s, what, static_cast<SocketWatch*>(socketp));
}

int Fetcher::OnCurlTimer(CURLM*, long timeout_ms, void* userp) noexcept {
  static_cast<Fetcher*>(userp)->HandleTimerChange(timeout_ms);
  return 0;
}

curl_socket_t Fetcher::OnCurlOpenSocket(void* clientp, curlsocktype,
                                        curl_sockaddr* address) noexcept {
  curl_socket_t s = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (s == CURL_SOCKET_BAD && (errno == EMFILE || errno == ENFILE)) {
    static_cast<Transfer*>(clientp)->out_of_fds = true;
  }
  return s;
}

size_t Fetcher::OnCurlWrite(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  size_t bytes = size * n;
  if (t->body.size() + bytes > t->max_body_bytes) {
    t->too_large = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  if (t->body.empty()) {
    curl_off_t length = -1;
    curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (length > 0 && static_cast<uint64_t>(length) <= t->max_body_bytes) {
      t->body.reserve(static_cast<size_t>(length));
    }
  }
  t->body.append(data, bytes);
  return bytes;
}

void Fetcher::OnUvPoll(uv_poll_t* h, int status, int events) noexcept {
  auto* w = static_cast<SocketWatch*>(h->data);
  if (w == nullptr) return;
  w->fetcher->HandleReadiness(w->socket, status, events);
}

void Fetcher::OnUvTimer(uv_timer_t* h) noexcept {
  if (h->data == nullptr) return;
  static_cast<Fetcher*>(h->data)->HandleTimeout();
}

void Fetcher::OnUvReady(uv_timer_t* h) noexcept {
  if (h->data == nullptr) return;
  static_cast<Fetcher*>(h->data)->DeliverReady();
}

}  // namespace forage::worker
