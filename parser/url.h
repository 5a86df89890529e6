#pragma once
// Resolving links against a page's URL, as a browser resolves an <a href>:
// the WHATWG URL Standard's parser for the parts scraped links use (special
// schemes http, https, ws, wss, ftp, file; RFC 3986 reference resolution
// for the rest). Written here rather than with libcurl's curl_url(), because
// parser/ stays free of libcurl (docs/architecture.md) and libcurl follows
// RFC 3986, which differs from browsers on backslashes, whitespace and
// percent-encoding. Pure functions; safe from any thread.
//
// Not done: IDNA (a non-ASCII host stays as UTF-8 rather than becoming
// punycode), IPv4 number forms (`http://0x7f.1/`), and the document's own
// encoding for query strings (queries are always percent-encoded as UTF-8).

#include <optional>
#include <string>
#include <string_view>

namespace forage::parser {

// `reference` (an href or src value) resolved against the absolute URL
// `base`, serialised as browsers do: "../b?q#f" against
// "https://x.test/a/c" -> "https://x.test/b?q#f". Leading and trailing
// spaces and control characters are removed, tabs and newlines dropped,
// backslashes read as slashes in special URLs, "." and ".." segments
// removed, the default port dropped, the host lowercased, and spaces and
// non-ASCII characters percent-encoded. An absolute `reference` needs no
// base. nullopt when there is no valid result: `base` is empty or not
// absolute while `reference` is relative, or the URL is malformed (a bad
// port, an empty host).
std::optional<std::string> ResolveUrl(std::string_view base, std::string_view reference);

}  // namespace forage::parser
