#include "parser/sitemap.h"

#include <zlib.h>

#include <optional>

namespace forage::parser {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// "ns:loc" -> "loc"
std::string_view LocalName(std::string_view name) {
  size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Character data with XML's five entities and numeric references decoded;
// CDATA sections taken as they are.
std::string DecodeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i).starts_with("<![CDATA[")) {
      size_t end = s.find("]]>", i + 9);
      if (end == std::string_view::npos) end = s.size();
      out.append(s.substr(i + 9, end - i - 9));
      i = end == s.size() ? end : end + 3;
      continue;
    }
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i++];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (ent.starts_with("#")) {
      uint32_t cp = 0;
      bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      for (char c : ent.substr(hex ? 2 : 1)) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
        if (d < 0 || cp > 0x10FFFF) {
          cp = 0xFFFD;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      AppendUtf8(out, cp);
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi + 1;
  }
  return out;
}

}  // namespace

Result<Sitemap> ParseSitemap(std::string_view xml) {
  if (xml.starts_with("\xEF\xBB\xBF")) xml.remove_prefix(3);
  Sitemap out;
  std::optional<std::string> root;
  int in_entry = 0;        // inside <url> or <sitemap>
  size_t loc_start = std::string_view::npos;
  size_t i = 0;
  while (i < xml.size()) {
    size_t lt = xml.find('<', i);
    if (lt == std::string_view::npos) break;
    if (!root && !Trim(xml.substr(i, lt - i)).empty()) {
      return Err(ErrorCode::kInvalidArgument, "not a sitemap (not XML)");
    }
    std::string_view rest = xml.substr(lt);
    if (rest.starts_with("<!--")) {
      size_t end = xml.find("-->", lt + 4);
      i = end == std::string_view::npos ? xml.size() : end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t end = xml.find("]]>", lt + 9);
      i = end == std::string_view::npos ? xml.size() : end + 3;
      continue;
    }
    if (rest.starts_with("<?") || rest.starts_with("<!")) {
      size_t end = xml.find('>', lt);
      i = end == std::string_view::npos ? xml.size() : end + 1;
      continue;
    }
    size_t gt = xml.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view tag = xml.substr(lt + 1, gt - lt - 1);
    const bool closing = tag.starts_with("/");
    if (closing) tag.remove_prefix(1);
    const bool empty = tag.ends_with("/");
    if (empty) tag.remove_suffix(1);
    size_t name_end = 0;
    while (name_end < tag.size() && !IsSpace(tag[name_end])) ++name_end;
    std::string_view name = LocalName(tag.substr(0, name_end));
    i = gt + 1;
    if (!root) {
      if (closing || name.empty()) return Err(ErrorCode::kInvalidArgument, "not a sitemap (not XML)");
      root = std::string(name);
      if (name == "urlset") {
        out.kind = SitemapKind::kUrlset;
      } else if (name == "sitemapindex") {
        out.kind = SitemapKind::kIndex;
      } else {
        return Err(ErrorCode::kInvalidArgument, "not a sitemap (root element <{}>)",
                   std::string(name).substr(0, 40));
      }
      continue;
    }
    const std::string_view entry = out.kind == SitemapKind::kUrlset ? "url" : "sitemap";
    if (name == entry && !empty) {
      in_entry += closing ? -1 : 1;
      if (in_entry < 0) in_entry = 0;
    } else if (name == "loc" && in_entry > 0 && !empty) {
      if (!closing) {
        loc_start = gt + 1;
      } else if (loc_start != std::string_view::npos) {
        std::string loc(Trim(DecodeText(xml.substr(loc_start, lt - loc_start))));
        loc_start = std::string_view::npos;
        if (loc.empty()) continue;
        if (out.locs.size() >= kSitemapMaxUrls) {
          return Err(ErrorCode::kInvalidArgument, "more than {} URLs (the protocol's limit)",
                     kSitemapMaxUrls);
        }
        out.locs.push_back(std::move(loc));
      }
    }
  }
  if (!root) return Err(ErrorCode::kInvalidArgument, "not a sitemap (not XML)");
  return out;
}

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view gz, uint64_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return Err(ErrorCode::kInternal, "inflateInit2 failed");
  }
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&z};
  std::string out;
  char buf[64 * 1024];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_NO_FLUSH);
    const size_t got = sizeof buf - z.avail_out;
    if (out.size() + got > max_bytes) {
      return Err(ErrorCode::kInvalidArgument, "larger than {} bytes uncompressed (the protocol's limit)",
                 max_bytes);
    }
    out.append(buf, got);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return out;
      if (inflateReset(&z) != Z_OK) return Err(ErrorCode::kInvalidArgument, "bad gzip data");
      continue;  // the next member
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      return Err(ErrorCode::kInvalidArgument, "truncated gzip data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Err(ErrorCode::kInvalidArgument, "bad gzip data ({})", z.msg ? z.msg : "corrupt");
    }
  }
}

}  // namespace forage::parser
