#include "worker/fetch_once.h"

#include <curl/curl.h>

#include <memory>

namespace forage::worker {
namespace {

struct CurlCloser {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistCloser {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

struct Download {
  std::string* bytes;
  uint64_t max_bytes;
  bool too_large = false;
};

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  if (d->bytes->size() + size * n > d->max_bytes) {
    d->too_large = true;
    return 0;  // aborts the transfer
  }
  d->bytes->append(data, size * n);
  return size * n;
}

}  // namespace

Result<FetchedPage> FetchOnce(const std::string& url, const FetchOptions& options) {
  std::unique_ptr<CURL, CurlCloser> curl(curl_easy_init());
  if (!curl) return Err(ErrorCode::kIo, "GET {}: cannot start libcurl", url);
  CURL* e = curl.get();
  FetchedPage page;
  Download download{&page.body, options.max_body_bytes};
  char error[CURL_ERROR_SIZE] = "";
  std::unique_ptr<curl_slist, SlistCloser> headers;
  for (const std::string& h : options.headers) {
    curl_slist* grown = curl_slist_append(headers.get(), h.c_str());
    if (grown == nullptr) return Err(ErrorCode::kIo, "GET {}: out of memory", url);
    (void)headers.release();  // now owned by `grown`
    headers.reset(grown);
  }
  // As Fetcher::Start (fetcher.cc).
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &download);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (!options.user_agent.empty()) {
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  }
  if (headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  if (!options.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str());
  CURLcode rc = curl_easy_perform(e);
  if (download.too_large) {
    return Err(ErrorCode::kInvalidArgument,
               "'{}' is larger than --max-body ({} MiB); nothing read. Raise --max-body to read it",
               url, options.max_body_bytes >> 20);
  }
  if (rc != CURLE_OK) {
    return Err(ErrorCode::kIo, "GET {}: {}", url, error[0] != '\0' ? error : curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return Err(ErrorCode::kIo, "GET {}: HTTP {}", url, status);
  char* type = nullptr;
  if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) {
    page.content_type = type;
  }
  char* final_url = nullptr;
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &final_url);
  page.url = final_url != nullptr ? final_url : url;
  return page;
}

}  // namespace forage::worker
