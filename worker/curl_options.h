#pragma once
// The libcurl settings every forage request shares, whether it goes through
// the worker's Fetcher (pages) or a BlockingFetch (robots.txt, sitemaps,
// `forage select URL`): only http and https, redirects included; the run's
// timeouts, redirect limit, user agent, headers and proxy; every content
// encoding curl decodes. Each caller adds what is its own (write callback,
// error buffer, stall timeout, method and body, cookie share).

#include <optional>
#include <string>
#include <vector>

#include "worker/curl_handles.h"
#include "worker/fetcher.h"

namespace forage::worker {

// The --header lines as a curl list; nullopt if libcurl ran out of memory.
std::optional<CurlSlist> HeaderList(const std::vector<std::string>& headers);

// Applies the shared settings of `options` to `easy`. `headers` (from
// HeaderList) must outlive the transfer; null: none.
void ApplyRequestOptions(CURL* easy, const FetchOptions& options, curl_slist* headers);

// The TLS part of ApplyRequestOptions: CA bundle or directory, --insecure,
// client certificate and key, and the HTTP version (2 over TLS unless
// http1_1).
void ApplyTlsOptions(CURL* easy, const FetchOptions& options);

// Why a transfer failed, as curl says it: the error buffer's text (or
// curl_easy_strerror when empty), followed for TLS errors by curl's name for
// the code, e.g. "SSL certificate problem: unable to get local issuer
// certificate (CURLE_PEER_FAILED_VERIFICATION)".
std::string TransferError(int curl_code, const char* error_buffer);

// Adds what the finished transfer `easy` did on the wire to `stats`: new
// connections, whether it made a TLS handshake, its HTTP version.
void CountConnection(CURL* easy, ConnectionStats* stats);

}  // namespace forage::worker
