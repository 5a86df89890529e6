#include "worker/curl_options.h"

namespace forage::worker {

std::optional<CurlSlist> HeaderList(const std::vector<std::string>& headers) {
  CurlSlist list;
  for (const auto& h : headers) {
    curl_slist* l = curl_slist_append(list.get(), h.c_str());
    if (l == nullptr) return std::nullopt;
    (void)list.release();  // now owned by `l`
    list.reset(l);
  }
  return list;
}

void ApplyRequestOptions(CURL* e, const FetchOptions& options, curl_slist* headers) {
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
  // Only http and https are ever fetched, redirects included.
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
  if (!options.user_agent.empty()) {
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  }
  if (headers != nullptr) curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  if (!options.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str());
  // --proxy-list: a BlockingFetch (robots.txt, sitemaps) takes the first; the
  // Fetcher sets each transfer's own after this.
  if (options.proxy.empty() && !options.proxies.empty()) {
    curl_easy_setopt(e, CURLOPT_PROXY, options.proxies.front().c_str());
  }
}

}  // namespace forage::worker
