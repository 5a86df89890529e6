#include "worker/curl_options.h"

#include <fmt/format.h>

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
  ApplyTlsOptions(e, options);
}

void ApplyTlsOptions(CURL* e, const FetchOptions& options) {
  if (!options.cacert.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.cacert.c_str());
  if (!options.capath.empty()) curl_easy_setopt(e, CURLOPT_CAPATH, options.capath.c_str());
  if (options.insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options.client_cert.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, options.client_cert.c_str());
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!options.client_key.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLKEY, options.client_key.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
  }
  // HTTP/2 where TLS's ALPN agrees on it, HTTP/1.1 otherwise (and always in
  // clear text: no h2c upgrade dance).
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                   options.http1_1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS);
}

std::string TransferError(int curl_code, const char* error_buffer) {
  const auto code = static_cast<CURLcode>(curl_code);
  std::string text = error_buffer != nullptr && error_buffer[0] != '\0' ? error_buffer
                                                                         : curl_easy_strerror(code);
  // TLS failures also carry curl's own name for them: the text alone
  // ("SSL certificate problem: ...") varies with the TLS library.
  const char* name = nullptr;
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR: name = "CURLE_SSL_CONNECT_ERROR"; break;
    case CURLE_SSL_ENGINE_NOTFOUND: name = "CURLE_SSL_ENGINE_NOTFOUND"; break;
    case CURLE_SSL_CERTPROBLEM: name = "CURLE_SSL_CERTPROBLEM"; break;
    case CURLE_SSL_CIPHER: name = "CURLE_SSL_CIPHER"; break;
    case CURLE_PEER_FAILED_VERIFICATION: name = "CURLE_PEER_FAILED_VERIFICATION"; break;
    case CURLE_SSL_CACERT_BADFILE: name = "CURLE_SSL_CACERT_BADFILE"; break;
    case CURLE_SSL_CRL_BADFILE: name = "CURLE_SSL_CRL_BADFILE"; break;
    case CURLE_SSL_ISSUER_ERROR: name = "CURLE_SSL_ISSUER_ERROR"; break;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: name = "CURLE_SSL_PINNEDPUBKEYNOTMATCH"; break;
    case CURLE_SSL_INVALIDCERTSTATUS: name = "CURLE_SSL_INVALIDCERTSTATUS"; break;
    case CURLE_SSL_CLIENTCERT: name = "CURLE_SSL_CLIENTCERT"; break;
    default: break;
  }
  if (name != nullptr) text += fmt::format(" ({})", name);
  return text;
}

void CountConnection(CURL* e, ConnectionStats* stats) {
  long connects = 0;
  if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    stats->connections_opened += static_cast<uint64_t>(connects);
  }
  curl_off_t appconnect = 0;
  if (curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &appconnect) == CURLE_OK &&
      appconnect > 0) {
    ++stats->tls_handshakes;
  }
  long version = 0;
  if (curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version) != CURLE_OK) return;
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
    case CURL_HTTP_VERSION_1_1: ++stats->http1; break;
    case CURL_HTTP_VERSION_2_0: ++stats->http2; break;
    case CURL_HTTP_VERSION_3: ++stats->http3; break;
    default: break;  // no response
  }
}

}  // namespace forage::worker
