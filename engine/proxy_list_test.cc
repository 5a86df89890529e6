#include "engine/proxy_list.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

TEST_SUITE("engine.proxy_list") {

TEST_CASE("proxy URLs a line, blank lines and comments skipped") {
  auto list = ParseProxyList(
      "# office proxies\n"
      "http://127.0.0.1:3128\n"
      "\n"
      "  socks5h://user:pw@127.0.0.2:1080  \r\n"
      "https://[::1]:8443/\n"
      "   # indented comment\n",
      "p.txt");
  REQUIRE(list.has_value());
  CHECK(*list == std::vector<std::string>{"http://127.0.0.1:3128",
                                          "socks5h://user:pw@127.0.0.2:1080",
                                          "https://[::1]:8443/"});
}

TEST_CASE("a bad line names the file and the line") {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"http://a:1\nftp://b:21\n", "p.txt:2: 'ftp://b:21': scheme 'ftp'"},
                        Case{"\n127.0.0.1:3128\n", "p.txt:2: '127.0.0.1:3128': expected"},
                        Case{"http://a:99999\n", "p.txt:1: 'http://a:99999': port '99999' out"},
                        Case{"http://a:x\n", "p.txt:1: 'http://a:x': port 'x' is not"},
                        Case{"http://a:1/path\n", "p.txt:1: 'http://a:1/path': a proxy URL has no"},
                        Case{"http://:1\n", "p.txt:1: 'http://:1': no host"}}) {
    CAPTURE(c.text);
    auto list = ParseProxyList(c.text, "p.txt");
    REQUIRE_FALSE(list.has_value());
    CHECK(list.error().code == ErrorCode::kInvalidArgument);
    CHECK(list.error().message.find(c.message) != std::string::npos);
  }
  auto empty = ParseProxyList("# nothing\n\n", "p.txt");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message == "--proxy-list p.txt: no proxy in the file");
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::engine
