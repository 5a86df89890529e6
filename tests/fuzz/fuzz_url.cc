// Fuzz target: URL resolution (parser/url.h). Input: "BASE\nREFERENCE"
// (no line break: an empty base, the whole input the reference).
//
// Properties beyond "no memory error, no hang":
// - a resolved URL is absolute and a fixed point: resolving it again (with no
//   base, and against itself) gives it back unchanged;
// - an http(s) result is clean: lower-case scheme, no bytes below 0x21, no DEL,
//   no backslash before the query, a non-empty host without ':' (outside [IPv6]), a port
//   of digits only that is not the default, and a path starting with '/'.

#include <cstdint>
#include <optional>
#include <string>

#include "parser/url.h"
#include "tests/fuzz/fuzz_check.h"

namespace forage::parser {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void CheckHttpUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  FUZZ_CHECK(scheme_end != std::string::npos, url);
  std::string_view scheme = std::string_view(url).substr(0, scheme_end);
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u > 0x20 && u != 0x7F, "a raw space or control: " + url);
  }
  // A backslash is a slash before the query; the query and fragment keep it.
  FUZZ_CHECK(url.substr(0, url.find_first_of("?#")).find('\\') == std::string::npos,
             "a backslash in the path: " + url);
  std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  size_t end = rest.find_first_of("/?#");
  FUZZ_CHECK(end != std::string_view::npos && rest[end] == '/', "no path: " + url);
  std::string_view authority = rest.substr(0, end);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  std::string_view port;
  if (StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    FUZZ_CHECK(close != std::string_view::npos, "unclosed [: " + url);
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      FUZZ_CHECK(after.front() == ':', "junk after ]: " + url);
      port = after.substr(1);
      FUZZ_CHECK(!port.empty(), "an empty port: " + url);
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      FUZZ_CHECK(!port.empty(), "an empty port: " + url);
    }
  }
  FUZZ_CHECK(!host.empty(), "an empty host: " + url);
  for (char c : host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "an upper-case host: " + url);
  for (char c : port) FUZZ_CHECK(c >= '0' && c <= '9', "a port that is not digits: " + url);
  FUZZ_CHECK(port != (scheme == "http" ? "80" : "443"), "the default port kept: " + url);
  FUZZ_CHECK(port.empty() || port.front() != '0' || port == "0", "a port with a leading 0: " + url);
}

}  // namespace
}  // namespace forage::parser

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace forage::parser;
  auto [base, reference] = forage::fuzz::SplitLine(forage::fuzz::AsText(data, size));
  std::optional<std::string> url = ResolveUrl(base, reference);
  (void)ResolveUrl(reference, base);
  if (!url) return 0;
  using forage::fuzz::Escaped;
  std::string what = "base '" + Escaped(base) + "' reference '" + Escaped(reference) + "' -> '" +
                     Escaped(*url) + "'";
  std::optional<std::string> again = ResolveUrl("", *url);
  FUZZ_CHECK(again.has_value(), "the result does not resolve again: " + what);
  FUZZ_CHECK(*again == *url, "not a fixed point: " + what + " -> '" + Escaped(*again) + "'");
  std::optional<std::string> self = ResolveUrl(*url, *url);
  FUZZ_CHECK(self && *self == *url, "against itself: " + what);
  if (StartsWith(*url, "http://") || StartsWith(*url, "https://")) CheckHttpUrl(*url);
  for (char c : std::string_view(*url).substr(0, url->find(':'))) {
    FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "an upper-case scheme: " + what);
  }
  return 0;
}
