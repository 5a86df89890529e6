#pragma once
// Sitemaps (sitemaps.org protocol 0.9): a <urlset> of <url><loc> pages or a
// <sitemapindex> of <sitemap><loc> sitemaps, possibly gzip-compressed.
// Pure: bytes in, URLs out. The protocol's limits are enforced: at most
// kSitemapMaxUrls locations and kSitemapMaxBytes (uncompressed) per file.
//
// The scanner reads elements by name (a namespace prefix is ignored), keeps
// the text of each <loc> inside a <url> or <sitemap> (entities and CDATA
// decoded, whitespace trimmed), and rejects a document whose root is not
// urlset or sitemapindex, which includes anything that is not XML.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace forage::parser {

inline constexpr size_t kSitemapMaxUrls = 50'000;
inline constexpr uint64_t kSitemapMaxBytes = 52'428'800;  // 50 MiB, as sitemaps.org counts

enum class SitemapKind { kUrlset, kIndex };

struct Sitemap {
  SitemapKind kind = SitemapKind::kUrlset;
  std::vector<std::string> locs;  // in document order
};

// Parses an (uncompressed) sitemap. Errors name the problem: "not a sitemap
// (not XML)", "not a sitemap (root element <html>)", "more than 50000 URLs".
Result<Sitemap> ParseSitemap(std::string_view xml);

// Whether `bytes` start with the gzip magic (1f 8b).
bool IsGzip(std::string_view bytes);

// Inflates a gzip stream (several members are read in turn); fails when the
// result would pass `max_bytes` or the stream is corrupt.
Result<std::string> Gunzip(std::string_view gz, uint64_t max_bytes);

}  // namespace forage::parser
