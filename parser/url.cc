#include "parser/url.h"

#include <cstdint>
#include <vector>

#include "parser/ascii.h"

// The WHATWG URL parser as a few passes instead of its state machine: clean
// the input, split off the scheme, authority, path, query and fragment,
// merge with the base (RFC 3986 section 5.2, which the state machine
// implements too), normalise, percent-encode, serialise.

namespace forage::parser {
namespace {

struct Url {
  std::string scheme;  // lower case, no ':'
  bool has_authority = false;
  std::string userinfo;  // with its '@' when present
  std::string host;
  std::string port;  // digits, default port removed
  std::string path;  // for hierarchical URLs, starts with '/'
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

bool IsSpecial(std::string_view scheme) {
  return scheme == "http" || scheme == "https" || scheme == "ws" || scheme == "wss" ||
         scheme == "ftp" || scheme == "file";
}

std::string_view DefaultPort(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  if (scheme == "ftp") return "21";
  return {};
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Leading and trailing C0 controls and spaces go; tabs and newlines anywhere.
std::string Clean(std::string_view input) {
  while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20)
    input.remove_prefix(1);
  while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.remove_suffix(1);
  std::string out;
  out.reserve(input.size());
  for (char c : input) {
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

// The length of the scheme at the start of `s` (without ':'), or 0.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() &&
         (IsAlpha(s[i]) || IsDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  return i < s.size() && s[i] == ':' ? i : 0;
}

// Special URLs read '\' as '/' before the query.
std::string SlashesFixed(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '?' || c == '#') break;
    if (c == '\\') c = '/';
  }
  return out;
}

enum class EncodeSet { kC0Control, kUserinfo, kPath, kQuery, kSpecialQuery, kFragment };

bool NeedsEncoding(unsigned char c, EncodeSet set) {
  if (c < 0x20 || c >= 0x7F) return true;
  switch (set) {
    case EncodeSet::kC0Control:
      return false;
    case EncodeSet::kFragment:
      return c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
    case EncodeSet::kQuery:
      return c == ' ' || c == '"' || c == '#' || c == '<' || c == '>';
    case EncodeSet::kSpecialQuery:
      return c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' || c == '\'';
    case EncodeSet::kPath:
      return c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' || c == '?' || c == '`' ||
             c == '{' || c == '}';
    case EncodeSet::kUserinfo:
      return NeedsEncoding(c, EncodeSet::kPath) || c == '/' || c == ':' || c == ';' || c == '=' ||
             c == '@' || (c >= '[' && c <= '^') || c == '|';
  }
  return false;
}

std::string PercentEncoded(std::string_view s, EncodeSet set) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (NeedsEncoding(c, set)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

bool IsSingleDot(std::string_view s) { return s == "." || EqualsIgnoreAsciiCase(s, "%2e"); }

bool IsDoubleDot(std::string_view s) {
  return s == ".." || EqualsIgnoreAsciiCase(s, ".%2e") || EqualsIgnoreAsciiCase(s, "%2e.") ||
         EqualsIgnoreAsciiCase(s, "%2e%2e");
}

// Removes "." and ".." segments from a path that starts with '/'. A dot
// segment at the end leaves a trailing slash ("/a/b/.." -> "/a/").
std::string DotSegmentsRemoved(std::string_view path) {
  std::vector<std::string_view> out;
  std::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (IsDoubleDot(segment)) {
      if (!out.empty()) out.pop_back();
      if (last) out.push_back({});
    } else if (IsSingleDot(segment)) {
      if (last) out.push_back({});
    } else {
      out.push_back(segment);
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  std::string result;
  for (std::string_view segment : out) {
    result.push_back('/');
    result.append(segment);
  }
  return result.empty() ? "/" : result;
}

// Splits "path?query#fragment" into the URL's parts.
void SplitPathQueryFragment(std::string_view s, Url* url) {
  size_t hash = s.find('#');
  if (hash != std::string_view::npos) {
    url->fragment = std::string(s.substr(hash + 1));
    s = s.substr(0, hash);
  }
  size_t question = s.find('?');
  if (question != std::string_view::npos) {
    url->query = std::string(s.substr(question + 1));
    s = s.substr(0, question);
  }
  url->path = std::string(s);
}

// Forbidden host code points: a host containing one is a parse failure. An
// IPv6 host is "[...]" of hex digits, ':' and '.' only.
bool IsValidHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    return host.substr(1, host.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") ==
           std::string_view::npos;
  }
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '#' || c == '/' || c == ':' || c == '<' ||
        c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
        c == '|' || c == 0x7F) {
      return false;
    }
  }
  return true;
}

bool ParseAuthority(std::string_view authority, Url* url) {
  url->has_authority = true;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    // The username and the password are encoded apart: the first ':' divides them.
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    url->userinfo = PercentEncoded(userinfo.substr(0, colon), EncodeSet::kUserinfo);
    if (colon != std::string_view::npos) {
      url->userinfo += ":" + PercentEncoded(userinfo.substr(colon + 1), EncodeSet::kUserinfo);
    }
    url->userinfo += "@";
    authority.remove_prefix(at + 1);
  }
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  std::string_view host = authority;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    uint32_t value = 0;
    for (char c : port) {
      if (!IsDigit(c)) return false;
      value = value * 10 + static_cast<uint32_t>(c - '0');
      if (value > 65535) return false;
    }
    if (!port.empty()) url->port = std::to_string(value);
    if (url->port == DefaultPort(url->scheme)) url->port.clear();
  }
  if (host.empty() && IsSpecial(url->scheme) && url->scheme != "file") return false;
  if (!IsValidHost(host)) return false;
  url->host = IsSpecial(url->scheme) ? AsciiLowered(host) : std::string(host);
  return true;
}

// An absolute URL ("scheme:..."), parsed but not yet normalised.
std::optional<Url> ParseAbsolute(std::string_view s) {
  size_t scheme_length = SchemeLength(s);
  if (scheme_length == 0) return std::nullopt;
  Url url;
  url.scheme = AsciiLowered(s.substr(0, scheme_length));
  std::string rest(s.substr(scheme_length + 1));
  bool special = IsSpecial(url.scheme);
  if (special) rest = SlashesFixed(rest);
  std::string_view view = rest;
  if (special && url.scheme != "file") {
    // "http:x.test", "http:/x.test" and "http:///x.test" all name the host.
    while (!view.empty() && view.front() == '/') view.remove_prefix(1);
  } else if (view.substr(0, 2) == "//") {
    view.remove_prefix(2);
  } else {
    SplitPathQueryFragment(view, &url);  // no authority
    return url;
  }
  size_t end = view.find_first_of("/?#");
  if (!ParseAuthority(view.substr(0, end), &url)) return std::nullopt;
  SplitPathQueryFragment(end == std::string_view::npos ? std::string_view() : view.substr(end),
                         &url);
  return url;
}

bool HasOpaquePath(const Url& url) {
  return !url.has_authority && (url.path.empty() || url.path.front() != '/');
}

std::string Serialize(Url url) {
  bool special = IsSpecial(url.scheme);
  if (!HasOpaquePath(url)) {
    if (url.path.empty()) url.path = "/";
    if (url.path.front() == '/') url.path = DotSegmentsRemoved(url.path);
  }
  std::string out = url.scheme + ":";
  if (url.has_authority) {
    out += "//" + url.userinfo + url.host;
    if (!url.port.empty()) out += ":" + url.port;
  }
  if (HasOpaquePath(url)) {
    out += PercentEncoded(url.path, EncodeSet::kC0Control);
  } else {
    // Without an authority, a path starting "//" would read as one: the URL
    // Standard writes "/." before it ("foo:/.//x" stays so).
    if (!url.has_authority && url.path.substr(0, 2) == "//") out += "/.";
    out += PercentEncoded(url.path, EncodeSet::kPath);
  }
  if (url.query) {
    out += "?" + PercentEncoded(*url.query, special ? EncodeSet::kSpecialQuery : EncodeSet::kQuery);
  }
  if (url.fragment) out += "#" + PercentEncoded(*url.fragment, EncodeSet::kFragment);
  return out;
}

// The directory of the base path, for merging: "/a/b" -> "/a/".
std::string MergedPath(const Url& base, std::string_view path) {
  if (base.has_authority && base.path.empty()) return "/" + std::string(path);
  size_t slash = base.path.rfind('/');
  if (slash == std::string::npos) return "/" + std::string(path);
  return base.path.substr(0, slash + 1) + std::string(path);
}

std::optional<std::string> ResolveRelative(const Url& base, std::string reference) {
  bool special = IsSpecial(base.scheme);
  if (special) reference = SlashesFixed(reference);
  if (HasOpaquePath(base)) {
    // "mailto:x" and the like take nothing but a new fragment.
    if (reference.empty() || reference.front() != '#') return std::nullopt;
    Url url = base;
    url.fragment = reference.substr(1);
    return Serialize(std::move(url));
  }
  if (reference.substr(0, 2) == "//") {
    std::optional<Url> url = ParseAbsolute(base.scheme + ":" + reference);
    if (!url) return std::nullopt;
    return Serialize(std::move(*url));
  }
  Url url = base;
  url.fragment.reset();
  if (reference.empty()) return Serialize(std::move(url));
  if (reference.front() == '#') {
    url.fragment = reference.substr(1);
    return Serialize(std::move(url));
  }
  if (reference.front() == '?') {
    url.query.reset();
    SplitPathQueryFragment(reference, &url);
    url.path = base.path;
    return Serialize(std::move(url));
  }
  url.query.reset();
  Url parts;
  SplitPathQueryFragment(reference, &parts);
  url.path = reference.front() == '/' ? parts.path : MergedPath(base, parts.path);
  url.query = std::move(parts.query);
  url.fragment = std::move(parts.fragment);
  return Serialize(std::move(url));
}

}  // namespace

std::optional<std::string> ResolveUrl(std::string_view base_text, std::string_view reference_text) {
  std::string reference = Clean(reference_text);
  std::optional<Url> base = ParseAbsolute(Clean(base_text));
  size_t scheme_length = SchemeLength(reference);
  if (scheme_length > 0) {
    std::string scheme = AsciiLowered(std::string_view(reference).substr(0, scheme_length));
    std::string_view rest = std::string_view(reference).substr(scheme_length + 1);
    // "http:page.html" on an http page is relative, as in browsers.
    bool relative = base && IsSpecial(scheme) && scheme == base->scheme && scheme != "file" &&
                    (rest.empty() || (rest.front() != '/' && rest.front() != '\\'));
    if (!relative) {
      std::optional<Url> url = ParseAbsolute(reference);
      if (!url) return std::nullopt;
      return Serialize(std::move(*url));
    }
    reference = std::string(rest);
  }
  if (!base) return std::nullopt;
  return ResolveRelative(*base, std::move(reference));
}

}  // namespace forage::parser
