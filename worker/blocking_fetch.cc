#include "worker/blocking_fetch.h"

#include <algorithm>
#include <optional>

#include "worker/curl_handles.h"
#include "worker/curl_options.h"
#include "worker/fetcher.h"

namespace forage::worker {
namespace {

struct Sink {
  std::string* body;
  uint64_t cap;
  bool truncated = false;
};

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  const uint64_t room = sink->cap - std::min<uint64_t>(sink->cap, sink->body->size());
  if (bytes > room) {
    sink->body->append(data, static_cast<size_t>(room));
    sink->truncated = true;
    return 0;  // ends the transfer: we have all we read
  }
  sink->body->append(data, bytes);
  return bytes;
}

}  // namespace

BlockingFetchResult BlockingFetch(const std::string& url, const FetchOptions& options,
                                  uint64_t cap) {
  BlockingFetchResult out;
  CurlEasy easy(curl_easy_init());
  if (!easy) {
    out.error = "curl_easy_init() failed";
    return out;
  }
  CURL* e = easy.get();
  char error[CURL_ERROR_SIZE] = {};
  Sink sink{&out.body, cap};
  std::optional<CurlSlist> headers = HeaderList(options.headers);
  if (!headers) {
    out.error = "curl_slist_append() failed";
    return out;
  }
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  ApplyRequestOptions(e, options, headers->get());
  CURLcode rc = curl_easy_perform(e);
  ReadTransferResult(e, rc, error, sink.truncated, &out);
  return out;
}

void ReadTransferResult(CURL* e, CURLcode rc, const char* error, bool truncated,
                        BlockingFetchResult* out) {
  out->truncated = truncated;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->http_status);
  long redirects = 0;
  curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
  out->requests = out->http_status > 0 ? redirects + 1 : 0;
  if (char* u = nullptr; curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u) {
    out->effective_url = u;
  }
  if (char* ct = nullptr; curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
    out->content_type = ct;
  }
  if (curl_off_t wait = -1;
      curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &wait) == CURLE_OK && wait > 0 &&
      out->http_status > 0) {
    out->retry_after_s = static_cast<double>(wait);
  }
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && truncated)) {
    out->transport_ok = true;
  } else {
    out->too_many_redirects = rc == CURLE_TOO_MANY_REDIRECTS;
    out->error = TransferError(rc, error);
    out->retryable = Fetcher::IsRetryable(rc, 0, false);
  }
}

}  // namespace forage::worker
