#include "parser/url.h"

#include <string>

#include <doctest/doctest.h>

namespace forage::parser {
namespace {

constexpr std::string_view kBase = "https://x.test/a/b/c?q=1#top";

// The resolved URL, or "FAIL".
std::string Resolve(std::string_view reference, std::string_view base = kBase) {
  std::optional<std::string> url = ResolveUrl(base, reference);
  return url ? *url : "FAIL";
}

TEST_SUITE("parser.url") {

TEST_CASE("relative references resolve as RFC 3986 and browsers do") {
  CHECK(Resolve("d") == "https://x.test/a/b/d");
  CHECK(Resolve("./d") == "https://x.test/a/b/d");
  CHECK(Resolve("../d") == "https://x.test/a/d");
  CHECK(Resolve("../../../../d") == "https://x.test/d");
  CHECK(Resolve("d/") == "https://x.test/a/b/d/");
  CHECK(Resolve(".") == "https://x.test/a/b/");
  CHECK(Resolve("..") == "https://x.test/a/");
  CHECK(Resolve("/p/../q") == "https://x.test/q");
  CHECK(Resolve("/p/./q/.") == "https://x.test/p/q/");
  CHECK(Resolve("d?x=1#f") == "https://x.test/a/b/d?x=1#f");
  CHECK(Resolve("?x=2") == "https://x.test/a/b/c?x=2");
  CHECK(Resolve("#f") == "https://x.test/a/b/c?q=1#f");
  CHECK(Resolve("") == "https://x.test/a/b/c?q=1");
  CHECK(Resolve("//y.test/p") == "https://y.test/p");
  CHECK(Resolve("//Y.Test") == "https://y.test/");
  CHECK(Resolve("a/%2e%2E/b") == "https://x.test/a/b/b");
  CHECK(Resolve("x", "https://x.test") == "https://x.test/x");
  CHECK(Resolve("x", "https://x.test/dir/") == "https://x.test/dir/x");
}

TEST_CASE("absolute references are normalised, with or without a base") {
  CHECK(Resolve("HTTP://Y.TEST:80/a/./b/../c") == "http://y.test/a/c");
  CHECK(Resolve("https://y.test:443") == "https://y.test/");
  CHECK(Resolve("https://y.test:8443/") == "https://y.test:8443/");
  CHECK(Resolve("https://y.test:0080/") == "https://y.test:80/");
  CHECK(Resolve("https://u:p@y.test/") == "https://u:p@y.test/");
  CHECK(Resolve("https://y.test/A?B#C", "") == "https://y.test/A?B#C");
  CHECK(Resolve("mailto:someone@x.test") == "mailto:someone@x.test");
  CHECK(Resolve("javascript:void(0)") == "javascript:void(0)");
  CHECK(Resolve("data:text/plain,a b") == "data:text/plain,a b");
  CHECK(Resolve("tel:+1-555") == "tel:+1-555");
  CHECK(Resolve("foo://host/a/../b") == "foo://host/b");
}

TEST_CASE("browser leniency: whitespace, backslashes, missing slashes") {
  CHECK(Resolve("  \t/p q\n ") == "https://x.test/p%20q");
  CHECK(Resolve("/p\nq\t") == "https://x.test/pq");
  CHECK(Resolve("\\p\\q") == "https://x.test/p/q");
  CHECK(Resolve("\\\\y.test\\p") == "https://y.test/p");
  CHECK(Resolve("https:y.test/p", "http://x.test/") == "https://y.test/p");
  CHECK(Resolve("http:p", "http://x.test/a/b") == "http://x.test/a/p");
  CHECK(Resolve("http:/y.test/p") == "http://y.test/p");
  CHECK(Resolve("https:///y.test/p") == "https://y.test/p");
}

TEST_CASE("percent-encoding as the URL Standard's sets say") {
  CHECK(Resolve("/\xC3\xA9?\xC3\xA9#\xC3\xA9") == "https://x.test/%C3%A9?%C3%A9#%C3%A9");
  CHECK(Resolve("/a\"b<c>`{}") == "https://x.test/a%22b%3Cc%3E%60%7B%7D");
  CHECK(Resolve("?a b'c\"") == "https://x.test/a/b/c?a%20b%27c%22");
  CHECK(Resolve("#a b`c") == "https://x.test/a/b/c?q=1#a%20b%60c");
  CHECK(Resolve("/already%20encoded%zz") == "https://x.test/already%20encoded%zz");
  CHECK(Resolve("foo:a b") == "foo:a b");
}

TEST_CASE("failures: no usable base, bad ports, empty hosts") {
  CHECK(Resolve("d", "") == "FAIL");
  CHECK(Resolve("d", "/relative/base") == "FAIL");
  CHECK(Resolve("d", "mailto:x@y.test") == "FAIL");
  CHECK(Resolve("#f", "mailto:x@y.test") == "mailto:x@y.test#f");
  CHECK(Resolve("https://y.test:99999/") == "FAIL");
  CHECK(Resolve("https://y.test:8o/") == "FAIL");
  CHECK(Resolve("https:///") == "FAIL");
  CHECK(Resolve("http://a b/") == "FAIL");
  CHECK(Resolve("http://a<b/") == "FAIL");
}

TEST_CASE("a host containing ':' fails, also when the port after it is empty") {
  CHECK(Resolve("http://a:b:/p") == "FAIL");  // was http://a:b/p, which it then refused
  CHECK(Resolve("http://a:b:80/p") == "FAIL");
  CHECK(Resolve("/p", "http://x.test:/") == "http://x.test/p");  // an empty port is fine
  CHECK(Resolve("http://a]b/") == "FAIL");
  CHECK(Resolve("http://[::1]:8080/p") == "http://[::1]:8080/p");
}

TEST_CASE("file URLs keep an empty host") {
  CHECK(Resolve("file:///tmp/a/../b") == "file:///tmp/b");
  CHECK(Resolve("c.html", "file:///tmp/page.html") == "file:///tmp/c.html");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
