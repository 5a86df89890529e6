#include "worker/fetcher.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "worker/curl_options.h"

namespace forage::worker {

struct Fetcher::Transfer {
  uint64_t id = 0;
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
  std::optional<CurlSlist> headers = HeaderList(f->options_.headers);
  if (!headers) return Err(ErrorCode::kInternal, "curl_slist_append() failed");
  f->headers_ = std::move(*headers);
  // One cookie jar and DNS cache for every transfer of this worker.
  f->share_ = {curl_share_init(), [](CURLSH* s) { curl_share_cleanup(s); }};
  if (!f->share_) return Err(ErrorCode::kInternal, "curl_share_init() failed");
  curl_share_setopt(f->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  curl_share_setopt(f->share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
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
}

Status Fetcher::Configure(CURL* e, Transfer* t, const std::string& url) {
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnCurlWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnCurlOpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
  ApplyRequestOptions(e, options_, headers_.get());
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
  return OkStatus();
}

Status Fetcher::Start(uint64_t id, const std::string& url) {
  auto t = std::make_unique<Transfer>();
  t->id = id;
  t->max_body_bytes = options_.max_body_bytes;
  // A fresh handle per transfer: connections live in the multi's pool, so
  // nothing is lost, and libcurl 7.88 leaks a reused handle's cookie-file
  // list on curl_easy_reset.
  t->easy.reset(curl_easy_init());
  if (!t->easy) return Err(ErrorCode::kInternal, "curl_easy_init() failed");
  CURL* e = t->easy.get();
  if (auto st = Configure(e, t.get(), url); !st) return st;
  transfers_.emplace(e, std::move(t));
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), e); rc != CURLM_OK) {
    transfers_.erase(e);
    return Err(ErrorCode::kInternal, "curl_multi_add_handle() failed: {}",
               curl_multi_strerror(rc));
  }
  ++requests_;
  return OkStatus();
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
      r.error = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
    }
    r.body = std::move(t->body);

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

}  // namespace forage::worker
